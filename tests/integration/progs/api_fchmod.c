/* SPDX-License-Identifier: MIT */
/* fchmod(FD, MODE) on a READ-ONLY fd of PATH (it works on those too). */
#include "prog.h"
#include <sys/stat.h>

int main(int argc, char **argv)
{
	int fd;

	if (argc < 3)
		return usage("api_fchmod PATH MODE");
	fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		return 2;
	return outcome(fchmod(fd, (mode_t)strtoul(argv[2], NULL, 8)) < 0);
}
