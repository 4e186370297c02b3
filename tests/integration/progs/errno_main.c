/* SPDX-License-Identifier: MIT */
/* Print errno as main finds it: the shim's constructor runs before main and
 * must leave errno as the loader left it (shim-transparency.sh compares
 * the line with and without the shim, in each of the constructor's paths). */
#include <errno.h>
#include <stdio.h>

int main(void)
{
	int e = errno;

	printf("errno at main: %d\n", e);
	return 0;
}
