/* SPDX-License-Identifier: MIT */
/* truncate(PATH, LEN).
 * Built twice (API64, prog.h): api_truncate64 makes the call by its 64 name. */
#include "prog.h"

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage("api_truncate" API64_SFX " PATH LEN");
	return outcome(API64(truncate)(argv[1], atol(argv[2])) < 0);
}
