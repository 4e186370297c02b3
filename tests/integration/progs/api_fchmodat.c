/* SPDX-License-Identifier: MIT */
/* fchmodat(DIRFD, NAME, MODE, 0). */
#include "prog.h"
#include <sys/stat.h>

int main(int argc, char **argv)
{
	int dirfd;

	if (argc < 4)
		return usage("api_fchmodat DIR NAME MODE");
	dirfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (dirfd < 0)
		return 2;
	return outcome(fchmodat(dirfd, argv[2], (mode_t)strtoul(argv[3], NULL, 8), 0) < 0);
}
