/* SPDX-License-Identifier: MIT */
/* Seed input of fuzz_audit, built at build time instead of a
 * copy of someone else's binary: a small dynamic executable that imports
 * wrapped calls (open, write, fstat, chmod) and syscall(), so the ELF
 * reader starts from an image with a dynamic section, symbol versions and
 * an interpreter. audit.cmake also cuts its first 64 bytes (header only)
 * and its first 2000 bytes (truncated) into the seed directory. */
#ifndef _GNU_SOURCE /* the build defines it */
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct stat st;
	int fd;

	if (argc < 2)
		return (int)syscall(SYS_getpid) < 0;
	fd = open(argv[1], O_WRONLY | O_CREAT, 0644);
	if (fd < 0 || fstat(fd, &st) != 0)
		return 1;
	if (write(fd, "seed\n", 5) != 5 || chmod(argv[1], st.st_mode) != 0)
		return 1;
	printf("%s\n", argv[1]);
	return close(fd) != 0;
}
