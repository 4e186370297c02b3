/* SPDX-License-Identifier: MIT */
/* A library whose constructor writes a cowlink before libcowlink.so's
 * constructor has run (libfaketime's test of calls from another library's
 * constructor): ld.so initializes a program's own dependencies before a
 * preloaded library. The write-open must break the link all the same:
 * the real functions resolve on first use. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int abi_ctor_result = -1;
int abi_ctor_errno;

__attribute__((constructor)) static void write_early(void)
{
	const char *path = getenv("ABI_CTOR_PATH");
	static const char line[] = "from a constructor\n";
	int fd;

	if (!path)
		return;
	fd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0) {
		abi_ctor_errno = errno;
		abi_ctor_result = 1;
		return;
	}
	abi_ctor_result = write(fd, line, strlen(line)) == (ssize_t)strlen(line) ? 0 : 2;
	if (abi_ctor_result)
		abi_ctor_errno = errno;
	close(fd);
}
