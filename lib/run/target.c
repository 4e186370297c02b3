/* SPDX-License-Identifier: MIT */
/* A target process as the supervisor sees it: its memory, the names it
 * would resolve, its credentials (supervise.h). */
#include "supervise.h"

#include <errno.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "banned.h"

#define PAGE 4096u
#define MAX_GROUPS 1024

/* /proc/PID/mem, for kernels or setups without process_vm_readv. */
static int read_mem(pid_t pid, uint64_t addr, void *buf, size_t n)
{
	char path[40];
	ssize_t got;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
	fd = cl_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	got = cl_pread(fd, buf, n, (off_t)addr);
	cl_close(fd);
	if (got < 0)
		return (int)got;
	return (size_t)got == n ? 0 : -EFAULT;
}

int cl_target_read(pid_t pid, uint64_t addr, void *buf, size_t n)
{
	struct iovec local = { buf, n }, remote = { (void *)(uintptr_t)addr, n };
	ssize_t got;

	if (!n)
		return 0;
	got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (got < 0 && (errno == ENOSYS || errno == EPERM))
		return read_mem(pid, addr, buf, n);
	if (got < 0)
		return -errno;
	return (size_t)got == n ? 0 : -EFAULT;
}

ssize_t cl_target_read_str(pid_t pid, uint64_t addr, char *buf, size_t n)
{
	size_t have = 0, chunk;
	char *nul;
	int e;

	if (!addr)
		return -EFAULT;
	/* Page by page: the string may end just before an unmapped page. */
	while (have < n) {
		chunk = PAGE - (size_t)((addr + have) % PAGE);
		if (chunk > n - have)
			chunk = n - have;
		e = cl_target_read(pid, addr + have, buf + have, chunk);
		if (e)
			return e;
		nul = memchr(buf + have, '\0', chunk);
		if (nul)
			return nul - buf;
		have += chunk;
	}
	return -ENAMETOOLONG;
}

int cl_target_path(pid_t pid, int dirfd, const char *path, char *out)
{
	int n;

	if (path[0] == '/')
		n = snprintf(out, CL_TPATH_MAX, "/proc/%d/root%s", (int)pid, path);
	else if (dirfd == AT_FDCWD)
		n = snprintf(out, CL_TPATH_MAX, "/proc/%d/cwd/%s", (int)pid, path);
	else
		n = snprintf(out, CL_TPATH_MAX, "/proc/%d/fd/%d/%s", (int)pid, dirfd, path);
	return n < 0 || n >= CL_TPATH_MAX ? -ENAMETOOLONG : 0;
}

void cl_target_fd_path(pid_t pid, int fd, char *out)
{
	snprintf(out, CL_TPATH_MAX, "/proc/%d/fd/%d", (int)pid, fd);
}

/* What /proc/PID/status says about the credentials. */
struct creds {
	unsigned fsuid, fsgid;
	int ngroups;
	gid_t groups[MAX_GROUPS];
	unsigned long long capeff;
};

/* The 4th number of a "Uid:" or "Gid:" line: the fs id. */
static bool fs_id(const char *line, unsigned *out)
{
	unsigned r, e, s;

	return sscanf(line, "%u %u %u %u", &r, &e, &s, out) == 4;
}

static int read_creds(pid_t pid, struct creds *c)
{
	char path[40], *buf, *line, *next;
	ssize_t n, total = 0;
	size_t cap = 65536;
	int fd, found = 0, e = 0;

	buf = malloc(cap + 1);
	if (!buf)
		return -ENOMEM;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	fd = cl_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0) {
		e = fd;
		goto out_free;
	}
	while ((size_t)total < cap && (n = cl_read(fd, buf + total, cap - (size_t)total)) > 0)
		total += n;
	cl_close(fd);
	buf[total] = '\0';
	c->ngroups = 0;
	for (line = buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(line, "Uid:", 4) && fs_id(line + 4, &c->fsuid)) {
			found |= 1;
		} else if (!strncmp(line, "Gid:", 4) && fs_id(line + 4, &c->fsgid)) {
			found |= 2;
		} else if (!strncmp(line, "CapEff:", 7) &&
			   sscanf(line + 7, "%llx", &c->capeff) == 1) {
			found |= 4;
		} else if (!strncmp(line, "Groups:", 7)) {
			char *p = line + 7, *end;

			while (c->ngroups < MAX_GROUPS) {
				unsigned long g = strtoul(p, &end, 10);

				if (end == p)
					break;
				c->groups[c->ngroups++] = (gid_t)g;
				p = end;
			}
		}
	}
	if (found != 7)
		e = -ESRCH;
out_free:
	free(buf);
	return e;
}

int cl_target_become(pid_t pid)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	struct creds *c;
	int e;

	if (geteuid() != 0)
		return 0;
	c = malloc(sizeof *c);
	if (!c)
		return -ENOMEM;
	e = read_creds(pid, c);
	if (e)
		goto out;
	/* Raw calls: glibc's setgroups would change every thread. */
	if (syscall(SYS_setgroups, (size_t)c->ngroups, c->groups) ||
	    syscall(SYS_capget, &h, d)) {
		e = -errno;
		goto out;
	}
	(void)syscall(SYS_setfsgid, c->fsgid);
	(void)syscall(SYS_setfsuid, c->fsuid);
	if ((unsigned)syscall(SYS_setfsgid, -1) != c->fsgid ||
	    (unsigned)syscall(SYS_setfsuid, -1) != c->fsuid) {
		e = -EPERM;
		goto out;
	}
	/* The target's effective set, within what we have. */
	d[0].effective = (uint32_t)c->capeff & d[0].permitted;
	d[1].effective = (uint32_t)(c->capeff >> 32) & d[1].permitted;
	if (syscall(SYS_capset, &h, d))
		e = -errno;
out:
	free(c);
	return e;
}
