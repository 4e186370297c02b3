/* SPDX-License-Identifier: MIT */
/* ioctl(FD, FS_IOC_SETFLAGS, flags | FS_NODUMP_FL) on a READ-ONLY fd of PATH. */
#include "prog.h"
#include <linux/fs.h>
#include <sys/ioctl.h>

int main(int argc, char **argv)
{
	int fd, flags;

	if (argc < 2)
		return usage("api_ioctl_setflags PATH");
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
		return 2;
	flags |= FS_NODUMP_FL;
	return outcome(ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0);
}
