/* SPDX-License-Identifier: MIT */
/* ftruncate(FD, LEN): FD inherited from the shell.
 * Built twice (API64, prog.h): api_ftruncate64 makes the call by its 64 name. */
#include "prog.h"

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage("api_ftruncate" API64_SFX " FD LEN");
	return outcome(API64(ftruncate)(fd_arg(argv[1]), atol(argv[2])) < 0);
}
