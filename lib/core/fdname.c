/* SPDX-License-Identifier: MIT */
/* The names the core gives to what it holds: /proc/self/fd/N for an fd, the
 * hidden names a break or a link works under, and an fd linked in under
 * one of them. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

static atomic_uint tmp_counter;

void cl_proc_fd_path(int fd, char *buf)
{
	static const char pre[] = "/proc/self/fd/";

	memcpy(buf, pre, sizeof pre - 1);
	buf += sizeof pre - 1;
	buf[cl_utoa((unsigned)fd, buf)] = '\0';
}

static bool proc_gone;

bool cl_proc_missing(void)
{
	struct stat st;
	int e;

	if (__atomic_load_n(&proc_gone, __ATOMIC_RELAXED))
		return true;
	e = cl_fstatat(AT_FDCWD, "/proc/self/fd", &st, 0);
	if (e != -ENOENT && e != -ENOTDIR)
		return false;
	cl_debug("no /proc here: what is open is changed by name, and an fd's "
		 "name cannot be found");
	__atomic_store_n(&proc_gone, true, __ATOMIC_RELAXED);
	return true;
}

bool cl_proc_gone(void)
{
	return __atomic_load_n(&proc_gone, __ATOMIC_RELAXED);
}

static pid_t pinned_pid; /* cl_tmp_pin_pid's, or 0 */

void cl_tmp_pin_pid(void)
{
	__atomic_store_n(&pinned_pid, getpid(), __ATOMIC_RELAXED);
}

void cl_tmp_name(char *buf, size_t n)
{
	pid_t pid = __atomic_load_n(&pinned_pid, __ATOMIC_RELAXED);

	snprintf(buf, n, CL_TMP_PREFIX "%d.%u", (int)(pid ? pid : getpid()),
		 atomic_fetch_add(&tmp_counter, 1));
}

int cl_tmp_create(int pfd, char *tmp, size_t n)
{
	int fd = -EEXIST;

	for (int i = 0; i < CL_TMP_TRIES && fd == -EEXIST; i++) {
		cl_tmp_name(tmp, n);
		fd = cl_openat(pfd, tmp, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC,
			       0600);
	}
	if (fd < 0)
		tmp[0] = '\0';
	return fd;
}

int cl_fd_link(int fd, int pfd, const char *name, bool *no_empty_path)
{
	char proc[CL_PROC_FD_MAX];
	int e;

	if (!*no_empty_path) {
		e = cl_linkat(fd, "", pfd, name, AT_EMPTY_PATH);
		if (e != -ENOENT && e != -EPERM)
			return e;
		*no_empty_path = true;
	}
	cl_proc_fd_path(fd, proc);
	return cl_linkat(AT_FDCWD, proc, pfd, name, AT_SYMLINK_FOLLOW);
}

int cl_fd_link_tmp(int fd, int pfd, char *tmp, size_t n, bool *no_empty_path)
{
	int e = -EEXIST;

	for (int i = 0; i < CL_TMP_TRIES && e == -EEXIST; i++) {
		cl_tmp_name(tmp, n);
		e = cl_fd_link(fd, pfd, tmp, no_empty_path);
	}
	if (e)
		tmp[0] = '\0';
	return e;
}
