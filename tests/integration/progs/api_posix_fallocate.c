/* SPDX-License-Identifier: MIT */
/* posix_fallocate(FD, 0, LEN): returns the error instead of setting errno.
 * Built twice (API64, prog.h): api_posix_fallocate64 makes the call by its 64 name. */
#include "prog.h"

int main(int argc, char **argv)
{
	int e;

	if (argc < 3)
		return usage("api_posix_fallocate" API64_SFX " FD LEN");
	e = API64(posix_fallocate)(fd_arg(argv[1]), 0, atol(argv[2]));
	errno = e;
	return outcome(e != 0);
}
