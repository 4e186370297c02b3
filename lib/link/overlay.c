/* SPDX-License-Identifier: MIT */
/* overlayfs: is a file still in a lower layer? Marking and linking it copy it
 * up in full first (its mark is an xattr of the upper file, its new name an
 * upper link), so that cowlink is not space-free (docs/DESIGN.md §8); cowln
 * says so under -v. Neither st_dev nor st_ino tells: with all layers on one
 * filesystem a file keeps the lower inode's number through its copy-up. The
 * upper layer does: the file is in it, under the same path below the mount's
 * upperdir (as /proc/self/mountinfo shows it), once it was copied up or made
 * there. Where that directory cannot be seen from here (a container's
 * overlay), nobody can tell, and the caller says so. */
#include "link-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "banned.h"

#define OVERLAYFS_MAGIC 0x794c7630
#define MOUNTINFO_MAX (4u << 20)

/* /proc/self/mountinfo, NUL-terminated, in a malloc'ed buffer, or NULL. */
static char *read_mountinfo(void)
{
	size_t cap = 64u << 10, len = 0;
	char *buf = malloc(cap), *more;
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = cl_openat(AT_FDCWD, "/proc/self/mountinfo", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while ((n = cl_read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len - 1 == 0) {
			if (cap >= MOUNTINFO_MAX || !(more = realloc(buf, cap * 2))) {
				n = -1;
				break;
			}
			buf = more;
			cap *= 2;
		}
	}
	cl_close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/* The field at *P up to one of the bytes of STOP (or the end), with the
 * kernel's octal escapes (\040 for a space, \054 for a comma) undone, into
 * OUT (N bytes); *P moves past it. -ENAMETOOLONG when it does not fit. */
static int field(const char **p, const char *stop, char *out, size_t n)
{
	const char *s = *p;
	size_t o = 0;

	while (*s && *s != '\n' && !strchr(stop, *s)) {
		char c = *s++;

		if (c == '\\' && s[0] >= '0' && s[0] <= '3' && s[1] >= '0' && s[1] <= '7' &&
		    s[2] >= '0' && s[2] <= '7') {
			c = (char)((s[0] - '0') << 6 | (s[1] - '0') << 3 | (s[2] - '0'));
			s += 3;
		}
		if (o + 1 >= n)
			return -ENAMETOOLONG;
		out[o++] = c;
	}
	out[o] = '\0';
	*p = s;
	return 0;
}

/* The value of the option NAME= in the comma-separated OPTS (escaped as
 * field() undoes) into OUT, or false. */
static bool option(const char *opts, const char *name, char *out, size_t n)
{
	size_t len = strlen(name);
	const char *p = opts;

	while (*p && *p != '\n') {
		if (!strncmp(p, name, len) && p[len] == '=') {
			p += len + 1;
			return field(&p, ", ", out, n) == 0;
		}
		while (*p && *p != ',' && *p != ' ' && *p != '\n')
			p++;
		if (*p != ',')
			break;
		p++;
	}
	return false;
}

/* Is PREFIX (a mount point) PATH itself or one of its ancestors? 0 if not,
 * else 1 + the length of PREFIX to take off PATH, so that what is left is ""
 * or "/...": the longer the mount point, the larger. */
static size_t under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 1 && prefix[0] == '/')
		return 1;
	if (strncmp(path, prefix, n) || (path[n] && path[n] != '/'))
		return 0;
	return n + 1;
}

struct mnt {
	char point[PATH_MAX], root[PATH_MAX], upper[PATH_MAX];
	bool metacopy;
};

/* The overlay mount of /proc/self/mountinfo line LINE, if it is one of
 * device DEV and holds PATH, into *M: the length of its mount point, else
 * 0. */
static size_t match(const char *line, dev_t dev, const char *path, struct mnt *m)
{
	unsigned ma, mi;
	const char *p = line, *sep;
	char fstype[32], on[8];
	int used = 0;

	if (sscanf(p, "%*u %*u %u:%u %n", &ma, &mi, &used) < 2 || !used ||
	    makedev(ma, mi) != dev)
		return 0;
	p += used;
	if (field(&p, " ", m->root, sizeof m->root) || *p++ != ' ' ||
	    field(&p, " ", m->point, sizeof m->point))
		return 0;
	sep = strstr(p, " - ");
	if (!sep)
		return 0;
	p = sep + 3;
	if (field(&p, " ", fstype, sizeof fstype) || strcmp(fstype, "overlay"))
		return 0;
	p = strchr(p + 1, ' '); /* past the source: the super options */
	if (!p || !option(p + 1, "upperdir", m->upper, sizeof m->upper))
		return 0;
	m->metacopy = option(p + 1, "metacopy", on, sizeof on) && !strcmp(on, "on");
	return under(path, m->point);
}

int cl_overlay_upper_dir(int dirfd, char *upper, size_t n)
{
	char path[PATH_MAX], fdpath[32];
	struct mnt *m, *best;
	struct statfs sf;
	struct stat st;
	size_t len, best_len = 0;
	ssize_t r;
	char *info, *line;
	int e;

	if (cl_fstatfs(dirfd, &sf) || (unsigned long)sf.f_type != OVERLAYFS_MAGIC)
		return 1;
	if (cl_fstat(dirfd, &st))
		return -EIO;
	snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", dirfd);
	r = cl_readlinkat(AT_FDCWD, fdpath, path, sizeof path);
	if (r <= 0 || (size_t)r >= sizeof path || path[0] != '/')
		return r < 0 ? (int)r : -ENAMETOOLONG;
	path[r] = '\0';
	info = read_mountinfo();
	m = malloc(2 * sizeof *m);
	if (!info || !m) {
		free(info);
		free(m);
		return -ENOMEM;
	}
	best = m + 1;
	for (line = info; line && *line;) {
		len = match(line, st.st_dev, path, m);
		if (len > best_len) {
			best_len = len;
			*best = *m;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	free(info);
	e = -ENOENT;
	if (!best_len)
		goto out; /* not in this namespace's table */
	if (best->metacopy) {
		e = 1; /* a link copies up the metadata only */
		goto out;
	}
	if (snprintf(upper, n, "%s%s%s", best->upper, strcmp(best->root, "/") ? best->root : "",
		     path + best_len - 1) >= (int)n) {
		e = -ENAMETOOLONG;
		goto out;
	}
	/* The upper layer itself must be visible here; the directory at hand
	 * need not be there yet (then all it holds is in a lower layer). */
	e = cl_fstatat(AT_FDCWD, best->upper, &st, 0);
	if (!e && !S_ISDIR(st.st_mode))
		e = -ENOTDIR;
out:
	free(m);
	return e;
}

int cl_overlay_lower(const char *upper_dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	int e;

	if (snprintf(path, sizeof path, "%s/%s", upper_dir, name) >= (int)sizeof path)
		return -ENAMETOOLONG;
	e = cl_fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW);
	if (e == -ENOENT || e == -ENOTDIR)
		return 1;
	return e ? e : 0;
}
