/* SPDX-License-Identifier: MIT */
/* copy_file_range(SRC, NULL, FD, NULL, size of SRC, 0): FD is the target. */
#include "prog.h"
#include <sys/stat.h>

int main(int argc, char **argv)
{
	struct stat st;
	int in;

	if (argc < 3)
		return usage("api_copy_file_range SRC FD");
	in = open(argv[1], O_RDONLY);
	if (in < 0 || fstat(in, &st) < 0)
		return 2;
	return outcome(copy_file_range(in, NULL, fd_arg(argv[2]), NULL, (size_t)st.st_size, 0) < 0);
}
