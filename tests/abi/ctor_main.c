/* SPDX-License-Identifier: MIT */
/* Reports what ctor_lib's constructor did: exit 0 when its write-open and
 * write succeeded (the script then checks that only its name changed). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

extern int abi_ctor_result;
extern int abi_ctor_errno;

int main(void)
{
	if (abi_ctor_result != 0) {
		fprintf(stderr, "constructor: step %d failed: %s\n", abi_ctor_result,
			strerror(abi_ctor_errno));
		return 1;
	}
	return 0;
}
