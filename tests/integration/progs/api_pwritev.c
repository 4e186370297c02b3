/* SPDX-License-Identifier: MIT */
/* pwritev(FD, two pieces of the payload, offset 1).
 * Built twice (API64, prog.h): api_pwritev64 makes the call by its 64 name. */
#include "prog.h"
#include <sys/uio.h>

int main(int argc, char **argv)
{
	char p[] = PAYLOAD;
	struct iovec iov[2] = { { p, 3 }, { p + 3, PAYLOAD_LEN - 3 } };

	if (argc < 2)
		return usage("api_pwritev" API64_SFX " FD");
	return outcome(API64(pwritev)(fd_arg(argv[1]), iov, 2, 1) < 0);
}
