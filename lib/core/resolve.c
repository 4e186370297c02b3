/* SPDX-License-Identifier: MIT */
/* Following a final symlink: the one resolver of the shim's decisions and of
 * the break (internal.h, cl_resolve). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "banned.h"

int cl_resolve(int dirfd, const char *path, char *out, struct stat *st,
	       enum cl_resolve_how how)
{
	char link[PATH_MAX];
	struct stat want;
	size_t len = strlen(path), pre;
	const char *slash;
	ssize_t n;
	int hops = 0, e;

	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	if (out != path)
		memcpy(out, path, len + 1);
	for (;;) {
		e = cl_fstatat(dirfd, out, st, AT_SYMLINK_NOFOLLOW);
		if (e < 0) {
			if (how == CL_RESOLVE_LOOSE)
				return 0; /* the locked re-check reports it */
			return hops && e == -ENOENT ? -CL_ESHARED : e;
		}
		if (!S_ISLNK(st->st_mode))
			break;
		if (++hops > CL_SYMLOOP_MAX)
			return -ELOOP;
		n = cl_readlinkat(dirfd, out, link, sizeof link);
		if (n == -EINVAL || n == -ENOENT)
			continue; /* replaced since the stat: look again */
		if (n < 0)
			return (int)n;
		if ((size_t)n >= sizeof link)
			return -ENAMETOOLONG;
		link[n] = '\0';
		/* A relative target is relative to the link's own directory. */
		slash = strrchr(out, '/');
		pre = link[0] == '/' || !slash ? 0 : (size_t)(slash - out) + 1;
		if (pre + (size_t)n >= PATH_MAX)
			return -ENAMETOOLONG;
		memcpy(out + pre, link, (size_t)n + 1);
	}
	if (!hops || how == CL_RESOLVE_LOOSE)
		return 0;
	/* Proof: the name found is what the kernel's own following reaches
	 * now (a magic link's readlink text may name another inode). */
	e = cl_fstatat(dirfd, path, &want, 0);
	if (e < 0)
		return e;
	if (want.st_dev != st->st_dev || want.st_ino != st->st_ino)
		return -CL_ESHARED;
	return 0;
}
