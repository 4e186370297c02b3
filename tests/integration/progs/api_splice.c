/* SPDX-License-Identifier: MIT */
/* splice(pipe holding the payload, FD): FD is the target. */
#include "prog.h"

int main(int argc, char **argv)
{
	int p[2];

	if (argc < 2)
		return usage("api_splice FD");
	if (pipe(p) < 0 || write(p[1], PAYLOAD, PAYLOAD_LEN) != (ssize_t)PAYLOAD_LEN)
		return 2;
	return outcome(splice(p[0], NULL, fd_arg(argv[1]), NULL, PAYLOAD_LEN, 0) < 0);
}
