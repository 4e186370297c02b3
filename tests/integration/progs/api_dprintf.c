/* SPDX-License-Identifier: MIT */
/* dprintf(FD, payload): FD inherited from the shell. */
#include "prog.h"

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage("api_dprintf FD");
	return outcome(dprintf(fd_arg(argv[1]), "%s", PAYLOAD) < 0);
}
