/* SPDX-License-Identifier: MIT */
/* openat(DIRFD, NAME, FLAGS, 0644) with DIRFD the directory DIR, then write the
 * payload through the fd.
 * Built twice (API64, prog.h): api_openat64 makes the call by its 64 name. */
#include "prog.h"

int main(int argc, char **argv)
{
	int dirfd;

	if (argc < 3)
		return usage("api_openat" API64_SFX " DIR NAME [FLAGS]");
	dirfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (dirfd < 0)
		return 2;
	return opened(API64(openat)(dirfd, argv[2], flags_of(argv[3]), 0644));
}
