/* SPDX-License-Identifier: MIT */
/* sendfile(FD, SRC, NULL, size of SRC): FD is the target.
 * Built twice (API64, prog.h): api_sendfile64 makes the call by its 64 name. */
#include "prog.h"
#include <sys/sendfile.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	struct stat st;
	int in;

	if (argc < 3)
		return usage("api_sendfile" API64_SFX " SRC FD");
	in = open(argv[1], O_RDONLY);
	if (in < 0 || fstat(in, &st) < 0)
		return 2;
	return outcome(API64(sendfile)(fd_arg(argv[2]), in, NULL, (size_t)st.st_size) < 0);
}
