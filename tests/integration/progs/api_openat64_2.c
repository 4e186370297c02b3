/* SPDX-License-Identifier: MIT */
/* __openat64_2(DIRFD, NAME, FLAGS): the fortified openat without a mode. */
#include "prog.h"

int __openat64_2(int dirfd, const char *path, int flags);

int main(int argc, char **argv)
{
	int dirfd;

	if (argc < 3)
		return usage("api_openat64_2 DIR NAME [FLAGS]");
	dirfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (dirfd < 0)
		return 2;
	return opened(__openat64_2(dirfd, argv[2], flags_of(argv[3])));
}
