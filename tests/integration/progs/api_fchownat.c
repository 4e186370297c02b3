/* SPDX-License-Identifier: MIT */
/* fchownat(DIRFD, NAME, UID, GID, 0). */
#include "prog.h"

int main(int argc, char **argv)
{
	int dirfd;

	if (argc < 5)
		return usage("api_fchownat DIR NAME UID GID");
	dirfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (dirfd < 0)
		return 2;
	return outcome(fchownat(dirfd, argv[2], (uid_t)atol(argv[3]), (gid_t)atol(argv[4]), 0) < 0);
}
