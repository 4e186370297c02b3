/* SPDX-License-Identifier: MIT */
/* fallocate(FD, 0, 0, LEN): grows the file to LEN.
 * Built twice (API64, prog.h): api_fallocate64 makes the call by its 64 name. */
#include "prog.h"

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage("api_fallocate" API64_SFX " FD LEN");
	return outcome(API64(fallocate)(fd_arg(argv[1]), 0, 0, atol(argv[2])) < 0);
}
