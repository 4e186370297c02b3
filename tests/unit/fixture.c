/* SPDX-License-Identifier: MIT */
/* Helpers for the unit tests (see fixture.h). Plain libc: this is test
 * code, not the library. */
#include "fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

char *fx_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char buf[PATH_MAX];

	snprintf(buf, sizeof buf, "%s/cowlink-unit.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(buf))
		return NULL;
	return strdup(buf);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void fx_rmtree(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

char *fx_dir;

int fx_setup(void **state)
{
	(void)state;
	fx_dir = fx_tmpdir();
	return fx_dir ? 0 : -1;
}

int fx_teardown(void **state)
{
	(void)state;
	fx_fault_off();
	fx_rmtree(fx_dir);
	free(fx_dir);
	fx_dir = NULL;
	return 0;
}

const char *fx_p(const char *dir, const char *name)
{
	static char ring[64][PATH_MAX];
	static unsigned next;
	char *b = ring[next++ % 64];

	snprintf(b, PATH_MAX, "%s/%s", dir, name);
	return b;
}

int fx_write(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			int e = -errno;
			close(fd);
			return e;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fchmod(fd, mode)) {
		int e = -errno;
		close(fd);
		return e;
	}
	return close(fd) ? -errno : 0;
}

int fx_fill(const char *path, off_t size, unsigned seed, mode_t mode)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
	char buf[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	off_t done = 0;
	size_t i;

	if (fd < 0)
		return -errno;
	while (done < size) {
		size_t n = size - done < (off_t)sizeof buf ? (size_t)(size - done) : sizeof buf;

		for (i = 0; i < n; i += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(buf + i, &x, n - i < 8 ? n - i : 8);
		}
		if (write(fd, buf, n) != (ssize_t)n) {
			int e = errno ? -errno : -EIO;
			close(fd);
			return e;
		}
		done += (off_t)n;
	}
	if (fchmod(fd, mode)) {
		int e = -errno;
		close(fd);
		return e;
	}
	return close(fd) ? -errno : 0;
}

int fx_make_set(const char *src, const char *dst, bool protect)
{
	struct cl_record r = { CL_RECORD_VERSION, 0, false };
	struct stat st;
	int fd, e, marked;

	fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		e = -errno;
		goto out;
	}
	marked = cl_mark_read_fd(fd, &r);
	if (marked < 0) {
		e = marked;
		goto out;
	}
	if (!marked) {
		r.version = CL_RECORD_VERSION;
		r.wbits = protect ? st.st_mode & 0222 : 0;
		r.dying = false;
		e = cl_mark_write_fd(fd, &r, 0);
		if (e)
			goto out;
		if (protect && fchmod(fd, st.st_mode & 07777 & ~0222u)) {
			e = -errno;
			goto out;
		}
	}
	e = link(src, dst) ? -errno : 0;
out:
	close(fd);
	return e;
}

int fx_same_content(const char *a, const char *b)
{
	char ba[65536], bb[65536];
	int fa, fb, r = 1;
	ssize_t na, nb;

	fa = open(a, O_RDONLY | O_CLOEXEC);
	if (fa < 0)
		return -errno;
	fb = open(b, O_RDONLY | O_CLOEXEC);
	if (fb < 0) {
		r = -errno;
		close(fa);
		return r;
	}
	for (;;) {
		na = read(fa, ba, sizeof ba);
		nb = na > 0 ? read(fb, bb, (size_t)na) : read(fb, bb, 1);
		if (na < 0 || nb < 0) {
			r = -EIO;
			break;
		}
		if (na != nb || memcmp(ba, bb, (size_t)na)) {
			r = 0;
			break;
		}
		if (na == 0)
			break;
	}
	close(fa);
	close(fb);
	return r;
}

bool fx_same_inode(const char *a, const char *b)
{
	struct stat sa, sb;

	if (lstat(a, &sa) || lstat(b, &sb))
		return false;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int fx_litter(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, CL_TMP_PREFIX, strlen(CL_TMP_PREFIX)))
			n++;
	closedir(d);
	return n;
}

mode_t fx_presented_mode(const char *path)
{
	struct cl_record r = { 0, 0, false };
	struct stat st;

	if (lstat(path, &st))
		return (mode_t)-1;
	if (cl_mark_read_path(path, &r) <= 0)
		r.wbits = 0;
	return (st.st_mode & 07777) | r.wbits;
}

static uint64_t hash_file(const char *path)
{
	uint64_t h = 0xcbf29ce484222325ull;
	char buf[65536];
	ssize_t n, i;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (i = 0; i < n; i++)
			h = (h ^ (unsigned char)buf[i]) * 0x100000001b3ull;
	close(fd);
	return h;
}

int fx_snap(const char *path, struct fx_snap *s)
{
	char list[2048], val[1024];
	ssize_t n, v;
	char *name;

	memset(s, 0, sizeof *s);
	if (lstat(path, &s->st))
		return -errno;
	s->hash = hash_file(path);
	n = llistxattr(path, list, sizeof list);
	if (n < 0)
		return -errno;
	for (name = list; name < list + n; name += strlen(name) + 1) {
		v = lgetxattr(path, name, val, sizeof val);
		if (v < 0)
			return -errno;
		if (s->xlen + strlen(name) + (size_t)v * 2 + 3 >= sizeof s->xattrs)
			return -E2BIG;
		s->xlen += (size_t)snprintf(s->xattrs + s->xlen, sizeof s->xattrs - s->xlen,
					    "%s=", name);
		for (ssize_t i = 0; i < v; i++)
			s->xlen += (size_t)snprintf(s->xattrs + s->xlen, 3, "%02x",
						    (unsigned char)val[i]);
		s->xattrs[s->xlen++] = '\n';
	}
	return 0;
}

int fx_snap_same(const char *path, const struct fx_snap *s)
{
	struct fx_snap now;
	const struct stat *a = &s->st, *b = &now.st;
	int e = fx_snap(path, &now);

	if (e) {
		fprintf(stderr, "fx_snap_same: %s: %s\n", path, strerror(-e));
		return 0;
	}
#define DIFF(what, cond)                                                      \
	if (cond) {                                                           \
		fprintf(stderr, "fx_snap_same: %s: %s changed\n", path, what); \
		return 0;                                                     \
	}
	DIFF("inode", a->st_dev != b->st_dev || a->st_ino != b->st_ino);
	DIFF("nlink", a->st_nlink != b->st_nlink);
	DIFF("mode", a->st_mode != b->st_mode);
	DIFF("owner", a->st_uid != b->st_uid || a->st_gid != b->st_gid);
	DIFF("size", a->st_size != b->st_size);
	DIFF("mtime", a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
			      a->st_mtim.tv_nsec != b->st_mtim.tv_nsec);
	DIFF("ctime", a->st_ctim.tv_sec != b->st_ctim.tv_sec ||
			      a->st_ctim.tv_nsec != b->st_ctim.tv_nsec);
	DIFF("content", s->hash != now.hash);
	DIFF("xattrs", s->xlen != now.xlen || memcmp(s->xattrs, now.xattrs, s->xlen));
#undef DIFF
	return 1;
}

/* Run a command line quietly; 0 when it exited 0. */
static int quiet(const char *cmd)
{
	char line[PATH_MAX * 3];

	if (snprintf(line, sizeof line, "%s >/dev/null 2>&1", cmd) >= (int)sizeof line)
		return -1;
	return system(line);
}

int fx_loop_mount(struct fx_mount *m, const char *fstype, unsigned size_mb)
{
	char cmd[PATH_MAX * 3], *dir;
	const char *mkfs;

	memset(m, 0, sizeof *m);
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: loop mounts need root\n");
		return FX_SKIP;
	}
	if (!strcmp(fstype, "xfs"))
		mkfs = "mkfs.xfs -q -f -m reflink=1";
	else if (!strcmp(fstype, "btrfs"))
		mkfs = "mkfs.btrfs -q -f";
	else
		mkfs = "mkfs.ext4 -q -F";
	snprintf(cmd, sizeof cmd, "command -v %.*s", (int)strcspn(mkfs, " "), mkfs);
	if (quiet(cmd)) {
		fprintf(stderr, "SKIP: no mkfs for %s\n", fstype);
		return FX_SKIP;
	}
	dir = fx_tmpdir();
	if (!dir)
		return -errno;
	snprintf(m->dir, sizeof m->dir, "%s", dir);
	snprintf(m->mnt, sizeof m->mnt, "%s/mnt", dir);
	free(dir);
	if (snprintf(cmd, sizeof cmd,
		     "mkdir '%s' && truncate -s %uM '%s/img' && %s '%s/img' && mount -o loop '%s/img' '%s'",
		     m->mnt, size_mb, m->dir, mkfs, m->dir, m->dir, m->mnt) >= (int)sizeof cmd ||
	    quiet(cmd)) {
		fprintf(stderr, "SKIP: cannot make and loop-mount a %u MiB %s image\n",
			size_mb, fstype);
		fx_rmtree(m->dir);
		m->mnt[0] = '\0';
		return FX_SKIP;
	}
	return 0;
}

void fx_loop_umount(struct fx_mount *m)
{
	if (!m->dir[0])
		return;
	if (m->mnt[0])
		umount2(m->mnt, MNT_DETACH);
	fx_rmtree(m->dir);
	m->dir[0] = '\0';
}

unsigned long fx_calls[CL_OP_NR];
unsigned long fx_calls_total;
bool fx_fault_fired;
enum cl_op fx_trace[FX_TRACE_MAX];

#define MAX_FAULTS 4
static struct fault {
	enum cl_op op;
	unsigned long n;
	int err;
} faults[MAX_FAULTS];
static int nfaults;

static int fault_hook(enum cl_op op)
{
	unsigned long mine = __atomic_add_fetch(&fx_calls[op], 1, __ATOMIC_RELAXED);
	unsigned long all = __atomic_add_fetch(&fx_calls_total, 1, __ATOMIC_RELAXED);
	int i;

	if (all <= FX_TRACE_MAX)
		fx_trace[all - 1] = op;
	for (i = 0; i < nfaults; i++) {
		const struct fault *f = &faults[i];

		if (f->n && ((f->op == CL_OP_NR && all == f->n) || (f->op == op && mine == f->n))) {
			fx_fault_fired = true;
			return f->err;
		}
	}
	return 0;
}

void fx_fault_arm(enum cl_op op, unsigned long n, int err)
{
	memset(fx_calls, 0, sizeof fx_calls);
	fx_calls_total = 0;
	fx_fault_fired = false;
	nfaults = 0;
	fx_fault_add(op, n, err);
	cl_fault_hook = fault_hook;
}

void fx_fault_add(enum cl_op op, unsigned long n, int err)
{
	if (nfaults < MAX_FAULTS)
		faults[nfaults++] = (struct fault){ op, n, err };
}

void fx_fault_off(void)
{
	cl_fault_hook = NULL;
	nfaults = 0;
}

int fx_run_as(uid_t uid, gid_t gid, int (*fn)(void *), void *arg)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
			_exit(255);
		_exit(fn(arg) & 0xff);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status) == 255 ? -1 : WEXITSTATUS(status);
}
