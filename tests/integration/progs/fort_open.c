/* SPDX-License-Identifier: MIT */
/* The fortified opens: built with -O2 -D_FORTIFY_SOURCE=2, once plain
 * (fort_open: calls __open_2 and __openat_2) and once with
 * _FILE_OFFSET_BITS=64 (fort_open64: __open64_2, __openat64_2), because the
 * flags are not a compile-time constant and no mode is passed.
 * fort_open DIR NAME FLAGS: open(DIR/NAME), then openat(DIR, NAME); each
 * writes the payload. */
#include "prog.h"
#include <limits.h>

int main(int argc, char **argv)
{
	char path[PATH_MAX];
	int dirfd, r;

	if (argc < 4)
		return usage("fort_open DIR NAME FLAGS");
	snprintf(path, sizeof path, "%s/%s", argv[1], argv[2]);
	r = opened(open(path, flags_of(argv[3])));
	if (r)
		return r;
	dirfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (dirfd < 0)
		return 2;
	return opened(openat(dirfd, argv[2], flags_of(argv[3])));
}
