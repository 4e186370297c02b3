/* SPDX-License-Identifier: MIT */
/* Reading and writing the caller's memory without faulting (peek.h):
 * process_vm_readv and process_vm_writev on ourselves, which the kernel
 * answers with what it could copy. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"
#include "peek.h"

/* The smallest page size: a remote range split here stops a read at the
 * first unreadable page, whatever the real size. */
#define PEEK_PAGE 4096u

/* Our pid, asked each time (glibc keeps no cache): a cached one could be
 * a vfork child's, stored in the memory it shares with its parent, and
 * once that child has exec'd it names another process. getpid is the
 * cheapest system call there is, and a peek is never on a fast path. */
static pid_t self_pid(void)
{
	return cl_getpid();
}

/* Up to N bytes at SRC into DST, split at page boundaries; the count read
 * (short at the first unreadable page), or -errno. */
static ssize_t peek_some(void *dst, const void *src, size_t n)
{
	struct iovec local = { dst, n }, remote[2];
	uintptr_t s = (uintptr_t)src;
	size_t first = PEEK_PAGE - (size_t)(s % PEEK_PAGE);
	unsigned long nr = 1;
	ssize_t r;

	remote[0] = (struct iovec){ (void *)s, n };
	if (n > first) {
		remote[0].iov_len = first;
		remote[1] = (struct iovec){ (void *)(s + first), n - first };
		nr = 2;
	}
	r = cl_process_vm_readv(self_pid(), &local, 1, remote, nr, 0);
	if (r == -ENOSYS || r == -EPERM) {
		/* No process_vm_readv here (a seccomp policy): read it as
		 * before, trusting the caller. */
		memcpy(dst, src, n);
		return (ssize_t)n;
	}
	return r;
}

int cl_peek(void *dst, const void *src, size_t n)
{
	ssize_t r;

	if (n == 0)
		return 0;
	r = peek_some(dst, src, n);
	return r == (ssize_t)n ? 0 : -EFAULT;
}

int cl_peek_str(char *dst, size_t cap, const char *src)
{
	ssize_t r = peek_some(dst, src, cap);

	if (r <= 0)
		return -EFAULT;
	if (memchr(dst, '\0', (size_t)r))
		return 0;
	return r < (ssize_t)cap ? -EFAULT : -ENAMETOOLONG;
}

int cl_poke(void *dst, const void *src, size_t n)
{
	struct iovec local = { (void *)src, n }, remote = { dst, n };
	ssize_t r;

	if (n == 0)
		return 0;
	r = cl_process_vm_writev(self_pid(), &local, 1, &remote, 1, 0);
	if (r == -ENOSYS || r == -EPERM) {
		memcpy(dst, src, n); /* as peek_some */
		return 0;
	}
	return r == (ssize_t)n ? 0 : -EFAULT;
}

bool cl_peek_empty(const char *path)
{
	char c;

	return path && cl_peek(&c, path, 1) == 0 && c == '\0';
}
