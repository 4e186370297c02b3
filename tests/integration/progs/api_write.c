/* SPDX-License-Identifier: MIT */
/* write(FD, payload): FD inherited from the shell. */
#include "prog.h"

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage("api_write FD");
	return outcome(write(fd_arg(argv[1]), PAYLOAD, PAYLOAD_LEN) < 0);
}
