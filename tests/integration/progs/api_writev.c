/* SPDX-License-Identifier: MIT */
/* writev(FD, two pieces of the payload): FD inherited from the shell. */
#include "prog.h"
#include <sys/uio.h>

int main(int argc, char **argv)
{
	char p[] = PAYLOAD;
	struct iovec iov[2] = { { p, 3 }, { p + 3, PAYLOAD_LEN - 3 } };

	if (argc < 2)
		return usage("api_writev FD");
	return outcome(writev(fd_arg(argv[1]), iov, 2) < 0);
}
