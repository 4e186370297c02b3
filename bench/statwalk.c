/* SPDX-License-Identifier: MIT */
/* lstat every entry of a tree through the libc calls the shim wraps
 * (opendir/readdir, fstatat), and print how many entries were seen. `du`
 * and `find` walk with fts/nftw, whose stat calls are glibc-internal and so
 * never reach a preload library: this is what a program that stats for
 * itself (ls -l, make, rsync) pays.
 *
 *   statwalk DIR
 *
 * Built by bench/run.sh with cc -O2; not part of the CMake build. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static long walk(int dfd, const char *name)
{
	struct dirent *e;
	long count = 0;
	DIR *d;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while ((e = readdir(d))) {
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		count++;
		if (S_ISDIR(st.st_mode))
			count += walk(fd, e->d_name);
	}
	closedir(d);
	return count;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: statwalk DIR\n");
		return 2;
	}
	printf("%ld\n", walk(AT_FDCWD, argv[1]));
	return 0;
}
