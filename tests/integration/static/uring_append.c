/* SPDX-License-Identifier: MIT */
/* An io_uring writer (liburing): opens PATH and appends a line through
 * the ring, falling back to plain system calls when io_uring_setup fails
 * (cowlink run answers ENOSYS). Prints "uring" or "fallback". */
#define _GNU_SOURCE
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DATA "appended\n"

int main(int argc, char **argv)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int fd, r;

	if (argc != 2)
		return 2;
	if (io_uring_queue_init(4, &ring, 0) < 0) {
		/* Raw calls: the shim must not be what saves the other names. */
		fd = (int)syscall(SYS_openat, AT_FDCWD, argv[1], O_WRONLY | O_APPEND);
		if (fd < 0 || syscall(SYS_write, fd, DATA, strlen(DATA)) != (long)strlen(DATA))
			return 1;
		puts("fallback");
		return 0;
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_openat(sqe, AT_FDCWD, argv[1], O_WRONLY | O_APPEND, 0);
	io_uring_submit(&ring);
	if (io_uring_wait_cqe(&ring, &cqe) < 0 || cqe->res < 0)
		return 1;
	fd = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_write(sqe, fd, DATA, strlen(DATA), (unsigned long long)-1);
	io_uring_submit(&ring);
	if (io_uring_wait_cqe(&ring, &cqe) < 0 || cqe->res != (int)strlen(DATA))
		return 1;
	puts("uring");
	return 0;
}
