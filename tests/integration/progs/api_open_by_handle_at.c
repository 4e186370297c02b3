/* SPDX-License-Identifier: MIT */
/* open_by_handle_at(MOUNTFD, handle of PATH, FLAGS): a write-open without a
 * name. Prints "nohandle" (exit 77) when the filesystem has no handles. */
#include "prog.h"

int main(int argc, char **argv)
{
	struct file_handle *h;
	int mount_id, mountfd, fd;

	if (argc < 2)
		return usage("api_open_by_handle_at PATH [FLAGS]");
	h = malloc(sizeof *h + MAX_HANDLE_SZ);
	if (!h)
		return 2;
	h->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, argv[1], h, &mount_id, 0) < 0) {
		free(h);
		puts("nohandle");
		return 77;
	}
	mountfd = open(".", O_RDONLY | O_DIRECTORY);
	if (mountfd < 0)
		return 2;
	fd = open_by_handle_at(mountfd, h, flags_of(argv[2]));
	free(h);
	return opened(fd);
}
