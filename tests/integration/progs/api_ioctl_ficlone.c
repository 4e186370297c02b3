/* SPDX-License-Identifier: MIT */
/* ioctl(FD, FICLONE, fd of SRC): FD (inherited, writable) becomes a clone
 * of SRC. */
#include "prog.h"
#include <linux/fs.h>
#include <sys/ioctl.h>

int main(int argc, char **argv)
{
	int in;

	if (argc < 3)
		return usage("api_ioctl_ficlone SRC FD");
	in = open(argv[1], O_RDONLY);
	if (in < 0)
		return 2;
	return outcome(ioctl(fd_arg(argv[2]), FICLONE, in) < 0);
}
