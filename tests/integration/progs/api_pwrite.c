/* SPDX-License-Identifier: MIT */
/* pwrite(FD, payload, offset 2): FD inherited from the shell.
 * Built twice (API64, prog.h): api_pwrite64 makes the call by its 64 name. */
#include "prog.h"

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage("api_pwrite" API64_SFX " FD");
	return outcome(API64(pwrite)(fd_arg(argv[1]), PAYLOAD, PAYLOAD_LEN, 2) < 0);
}
