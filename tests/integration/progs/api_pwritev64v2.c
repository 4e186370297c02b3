/* SPDX-License-Identifier: MIT */
/* pwritev64v2(FD, two pieces of the payload, offset 1, flags 0). */
#include "prog.h"
#include <sys/uio.h>

int main(int argc, char **argv)
{
	char p[] = PAYLOAD;
	struct iovec iov[2] = { { p, 3 }, { p + 3, PAYLOAD_LEN - 3 } };

	if (argc < 2)
		return usage("api_pwritev64v2 FD");
	return outcome(pwritev64v2(fd_arg(argv[1]), iov, 2, 1, 0) < 0);
}
