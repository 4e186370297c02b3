/* SPDX-License-Identifier: MIT */
/* cl_break_at: a name gets a private inode with the same content and
 * presented metadata; the other names never change; every failure leaves
 * the path exactly as it was, with no temporary litter. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

#define ACL_XATTR "system.posix_acl_access"
#define ACL_DEFAULT_XATTR "system.posix_acl_default"

static const struct cl_break_opts ALL = { .keep = -1 };

/* The other names of a set after a successful break: same inode, same
 * bytes, same mode, owner, mtime and xattrs (nlink and ctime may move). */
static void assert_other_same(const char *path, const struct fx_snap *s)
{
	struct fx_snap now;

	assert_int_equal(fx_snap(path, &now), 0);
	assert_true(now.st.st_ino == s->st.st_ino && now.st.st_dev == s->st.st_dev);
	assert_int_equal(now.st.st_mode, s->st.st_mode);
	assert_int_equal(now.st.st_uid, s->st.st_uid);
	assert_int_equal(now.st.st_gid, s->st.st_gid);
	assert_int_equal(now.st.st_size, s->st.st_size);
	assert_true(now.st.st_mtim.tv_sec == s->st.st_mtim.tv_sec &&
		    now.st.st_mtim.tv_nsec == s->st.st_mtim.tv_nsec);
	assert_true(now.hash == s->hash);
	assert_int_equal(now.xlen, s->xlen);
	assert_memory_equal(now.xattrs, s->xattrs, s->xlen);
}

/* A private, complete copy of OTHER at NAME: its own inode, same bytes,
 * presented mode of OTHER, one link, no mark. */
static void assert_broken(const char *name, const char *other, mode_t mode)
{
	struct stat st;
	char v[64];

	assert_false(fx_same_inode(name, other));
	assert_int_equal(fx_same_content(name, other), 1);
	assert_int_equal(lstat(name, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(st.st_mode & 07777, mode);
	assert_int_equal(lgetxattr(name, CL_XATTR, v, sizeof v), -1);
	assert_int_equal(errno, ENODATA);
}

/* A three-name set a, b, c of SIZE bytes of mode MODE, protected. */
static void make3(off_t size, mode_t mode)
{
	assert_int_equal(fx_fill(fx_p(fx_dir, "a"), size, 1, mode), 0);
	assert_int_equal(fx_make_set(fx_p(fx_dir, "a"), fx_p(fx_dir, "b"), true), 0);
	assert_int_equal(fx_make_set(fx_p(fx_dir, "a"), fx_p(fx_dir, "c"), true), 0);
}

static int brk_name(const char *name, const struct cl_break_opts *o)
{
	return cl_break_at(AT_FDCWD, fx_p(fx_dir, name), o);
}

/* Content, mode | wbits, owner, times and user xattrs (not the mark). */
static void keeps_everything(void **state)
{
	struct timespec ts[2] = { { 1000000000, 123456789 }, { 1200000000, 987654321 } };
	const char *a = fx_p(fx_dir, "a");
	struct fx_snap sa;
	struct stat st;
	char v[16];

	(void)state;
	assert_int_equal(fx_fill(a, 100000, 7, 0640), 0);
	assert_int_equal(chown(a, 1234, 5678), 0);
	assert_int_equal(chmod(a, 06750), 0); /* setgid/setuid must survive fchown */
	assert_int_equal(setxattr(a, "user.colour", "blue", 4, 0), 0);
	assert_int_equal(utimensat(AT_FDCWD, a, ts, 0), 0);
	assert_int_equal(fx_make_set(a, fx_p(fx_dir, "b"), true), 0);
	assert_int_equal(fx_make_set(a, fx_p(fx_dir, "c"), true), 0);
	assert_int_equal(fx_presented_mode(fx_p(fx_dir, "b")), 06750);
	assert_int_equal(fx_snap(a, &sa), 0);
	/* The snapshot's read moved the atime: set it back, older than the
	 * ctime, so that relatime would update it on the break's read. */
	assert_int_equal(utimensat(AT_FDCWD, a, ts, 0), 0);

	assert_int_equal(brk_name("b", &ALL), 0);
	/* The break read the shared inode without touching its atime. */
	assert_int_equal(lstat(a, &st), 0);
	assert_true(st.st_atim.tv_sec == ts[0].tv_sec && st.st_atim.tv_nsec == ts[0].tv_nsec);
	/* Before anything reads the copy and moves its atime. */
	assert_int_equal(lstat(fx_p(fx_dir, "b"), &st), 0);
	assert_broken(fx_p(fx_dir, "b"), a, 06750);
	assert_int_equal(st.st_uid, 1234);
	assert_int_equal(st.st_gid, 5678);
	if (!(st.st_atim.tv_sec == ts[0].tv_sec && st.st_atim.tv_nsec == ts[0].tv_nsec))
		fail_msg("atime %ld.%09ld, want %ld.%09ld", (long)st.st_atim.tv_sec,
			 st.st_atim.tv_nsec, (long)ts[0].tv_sec, ts[0].tv_nsec);
	assert_true(st.st_mtim.tv_sec == ts[1].tv_sec && st.st_mtim.tv_nsec == ts[1].tv_nsec);
	assert_int_equal(lgetxattr(fx_p(fx_dir, "b"), "user.colour", v, sizeof v), 4);
	assert_memory_equal(v, "blue", 4);
	assert_other_same(a, &sa);
	assert_other_same(fx_p(fx_dir, "c"), &sa);
	assert_true(fx_same_inode(a, fx_p(fx_dir, "c")));
	assert_int_equal(fx_litter(fx_dir), 0);
	/* A second break of the same name is a no-op. */
	assert_int_equal(lstat(fx_p(fx_dir, "b"), &st), 0);
	assert_int_equal(brk_name("b", &ALL), 0);
	struct stat st2;
	assert_int_equal(lstat(fx_p(fx_dir, "b"), &st2), 0);
	assert_true(st.st_ino == st2.st_ino);
}

/* An ACL: user_obj rw, user 1234 rw, group_obj r, mask rw, other r. */
static size_t make_acl(unsigned char *buf)
{
	static const uint16_t ent[][2] = { { 0x01, 6 }, { 0x02, 6 }, { 0x04, 4 },
					   { 0x10, 6 }, { 0x20, 4 } };
	static const uint32_t ids[] = { 0xffffffff, 1234, 0xffffffff, 0xffffffff, 0xffffffff };
	uint32_t ver = 2;
	size_t i, n = 4;

	memcpy(buf, &ver, 4);
	for (i = 0; i < 5; i++) {
		memcpy(buf + n, &ent[i][0], 2);
		memcpy(buf + n + 2, &ent[i][1], 2);
		memcpy(buf + n + 4, &ids[i], 4);
		n += 8;
	}
	return n;
}

static void keeps_acl(void **state)
{
	unsigned char acl[64], got[64];
	size_t n = make_acl(acl);
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");
	struct fx_snap sa;

	(void)state;
	assert_int_equal(fx_fill(a, 5000, 2, 0644), 0);
	if (setxattr(a, ACL_XATTR, acl, n, 0)) {
		print_message("SKIP: no POSIX ACLs here (%s)\n", strerror(errno));
		skip();
	}
	assert_int_equal(fx_make_set(a, b, true), 0);
	assert_int_equal(fx_make_set(a, fx_p(fx_dir, "c"), true), 0);
	assert_int_equal(fx_presented_mode(b), 0664);
	assert_int_equal(fx_snap(a, &sa), 0);
	assert_int_equal(brk_name("b", &ALL), 0);
	assert_broken(b, a, 0664);
	/* The mask got its write bit back with the mode: the ACL as it was. */
	assert_int_equal(lgetxattr(b, ACL_XATTR, got, sizeof got), (ssize_t)n);
	assert_memory_equal(got, acl, n);
	assert_other_same(a, &sa);
}

/* O_TMPFILE in a directory with a default ACL inherits it; the copy must
 * not keep it when the source had no ACL. */
static void default_acl_dir(void **state)
{
	unsigned char acl[64], got[64];
	size_t n = make_acl(acl);
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");

	(void)state;
	make3(3000, 0640);
	if (setxattr(fx_dir, ACL_DEFAULT_XATTR, acl, n, 0)) {
		print_message("SKIP: no default ACLs here (%s)\n", strerror(errno));
		skip();
	}
	assert_int_equal(brk_name("b", &ALL), 0);
	assert_broken(b, a, 0640);
	assert_int_equal(lgetxattr(b, ACL_XATTR, got, sizeof got), -1);
	assert_int_equal(errno, ENODATA);
}

static void keeps_holes(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");
	char block[65536];
	struct stat sa, sb;
	int fd;

	(void)state;
	memset(block, 'x', sizeof block);
	fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, block, sizeof block, 0), (ssize_t)sizeof block);
	assert_int_equal(pwrite(fd, block, sizeof block, 4 << 20), (ssize_t)sizeof block);
	assert_int_equal(ftruncate(fd, 8 << 20), 0);
	assert_int_equal(fsync(fd), 0);
	close(fd);
	assert_int_equal(fx_make_set(a, b, true), 0);
	assert_int_equal(fx_make_set(a, fx_p(fx_dir, "c"), true), 0);
	assert_int_equal(brk_name("b", &ALL), 0);
	assert_broken(b, a, 0644);
	assert_int_equal(stat(a, &sa), 0);
	assert_int_equal(stat(b, &sb), 0);
	assert_int_equal(sb.st_size, 8 << 20);
	/* 128 KiB of data, not 8 MiB: the holes stayed holes. */
	assert_true(sb.st_blocks <= sa.st_blocks + 16);
	assert_true(sb.st_blocks < (1 << 20) / 512);
}

static void truncate_to_zero(void **state)
{
	struct cl_break_opts o = { .keep = 0 };
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");
	struct timespec t0, t1;
	struct fx_snap sa;
	struct stat st;

	(void)state;
	make3(4 << 20, 0644);
	assert_int_equal(fx_snap(a, &sa), 0);
	fx_fault_arm(CL_OP_NR, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(brk_name("b", &o), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fx_fault_off();
	print_message("truncate-to-0 break of 4 MiB: %ld us, %lu calls\n",
		      (long)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000),
		      fx_calls_total);
	/* Nothing was copied or synced, whatever the size. */
	assert_int_equal(fx_calls[CL_OP_COPY_FILE_RANGE], 0);
	assert_int_equal(fx_calls[CL_OP_READ] + fx_calls[CL_OP_PREAD], 0);
	assert_int_equal(fx_calls[CL_OP_IOCTL], 0);
	assert_int_equal(fx_calls[CL_OP_FDATASYNC] + fx_calls[CL_OP_FSYNC], 0);
	assert_int_equal(lstat(b, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_other_same(a, &sa);
}

static void truncate_to_n(void **state)
{
	struct cl_break_opts o = { .keep = 1000 };
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b"), *c = fx_p(fx_dir, "c");
	char ba[200000], bb[200000];
	struct stat st;
	int fd;

	(void)state;
	make3(100000, 0600);
	assert_int_equal(brk_name("b", &o), 0);
	assert_int_equal(lstat(b, &st), 0);
	assert_int_equal(st.st_size, 1000);
	fd = open(a, O_RDONLY);
	assert_int_equal(read(fd, ba, sizeof ba), 100000);
	close(fd);
	fd = open(b, O_RDONLY);
	assert_int_equal(read(fd, bb, sizeof bb), 1000);
	close(fd);
	assert_memory_equal(ba, bb, 1000);
	/* Longer than the file: the rest reads as zeros, as truncate would. */
	o.keep = 150000;
	assert_int_equal(brk_name("c", &o), 0);
	assert_false(fx_same_inode(a, c));
	fd = open(c, O_RDONLY);
	assert_int_equal(read(fd, bb, sizeof bb), 150000);
	close(fd);
	assert_memory_equal(ba, bb, 100000);
	for (int i = 100000; i < 150000; i++)
		assert_int_equal(bb[i], 0);
}

static void orphan_in_place(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");
	struct stat before, after;
	char v[64];

	(void)state;
	assert_int_equal(fx_fill(a, 4096, 3, 0664), 0);
	assert_int_equal(fx_make_set(a, b, true), 0);
	assert_int_equal(unlink(a), 0);
	assert_int_equal(lstat(b, &before), 0);
	assert_int_equal(before.st_mode & 0777, 0444);
	fx_fault_arm(CL_OP_NR, 0, 0);
	assert_int_equal(brk_name("b", &ALL), 0);
	fx_fault_off();
	assert_int_equal(lstat(b, &after), 0);
	assert_true(before.st_ino == after.st_ino);
	assert_int_equal(after.st_mode & 0777, 0664);
	assert_int_equal(lgetxattr(b, CL_XATTR, v, sizeof v), -1);
	assert_int_equal(errno, ENODATA);
	assert_int_equal(fx_calls[CL_OP_LINKAT] + fx_calls[CL_OP_RENAMEAT2], 0);

	/* A read-only original (no write bits recorded) loses its mark too. */
	assert_int_equal(fx_fill(a, 10, 4, 0444), 0);
	assert_int_equal(fx_make_set(a, fx_p(fx_dir, "x"), true), 0);
	assert_int_equal(unlink(fx_p(fx_dir, "x")), 0);
	assert_int_equal(brk_name("a", &ALL), 0);
	assert_int_equal(lgetxattr(a, CL_XATTR, v, sizeof v), -1);
	assert_int_equal(lstat(a, &after), 0);
	assert_int_equal(after.st_mode & 0777, 0444);

	/* Breaking one of two names leaves the other an orphan: unshared too. */
	assert_int_equal(unlink(b), 0);
	assert_int_equal(fx_fill(a, 5000, 5, 0640), 0);
	assert_int_equal(fx_make_set(a, b, true), 0);
	assert_int_equal(brk_name("b", &ALL), 0);
	assert_broken(b, a, 0640);
	assert_broken(a, b, 0640);
}

/* A malformed or unknown record means "a cowlink with no recorded bits". */
static void malformed_record(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");

	(void)state;
	assert_int_equal(fx_fill(a, 3000, 6, 0444), 0);
	assert_int_equal(setxattr(a, CL_XATTR, "cowlink v9 w=0222", 17, 0), 0);
	assert_int_equal(link(a, b), 0);
	assert_int_equal(brk_name("b", &ALL), 0);
	assert_broken(b, a, 0444);
}

static void symlinks(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b"), *c = fx_p(fx_dir, "c");
	struct fx_snap sb;
	struct stat st;

	(void)state;
	make3(2000, 0644);
	assert_int_equal(symlink("b", fx_p(fx_dir, "lb")), 0);
	assert_int_equal(mkdir(fx_p(fx_dir, "sub"), 0755), 0);
	assert_int_equal(symlink("../c", fx_p(fx_dir, "sub/lc")), 0);
	assert_int_equal(symlink("sub/lc", fx_p(fx_dir, "llc")), 0);
	assert_int_equal(fx_snap(b, &sb), 0);

	/* nofollow: the symlink itself is not a cowlink. */
	struct cl_break_opts nf = { .keep = -1, .nofollow = true };
	assert_int_equal(brk_name("lb", &nf), 0);
	assert_int_equal(fx_snap_same(b, &sb), 1);

	/* A symlink replaced between its lstat and its readlink (EINVAL: not
	 * a symlink now; ENOENT: gone) is looked at again, not an error. */
	fx_fault_arm(CL_OP_READLINKAT, 1, EINVAL);
	fx_fault_add(CL_OP_READLINKAT, 2, ENOENT);
	assert_int_equal(brk_name("lb", &ALL), 0);
	assert_true(fx_fault_fired);
	assert_true(fx_calls[CL_OP_READLINKAT] >= 3);
	fx_fault_off();
	assert_int_equal(lstat(fx_p(fx_dir, "lb"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_broken(b, a, 0644);
	/* Relative targets are relative to each symlink's own directory. */
	assert_int_equal(brk_name("llc", &ALL), 0);
	assert_broken(c, a, 0644);
	assert_int_equal(lstat(fx_p(fx_dir, "sub/lc"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));

	assert_int_equal(symlink("loop2", fx_p(fx_dir, "loop1")), 0);
	assert_int_equal(symlink("loop1", fx_p(fx_dir, "loop2")), 0);
	assert_int_equal(brk_name("loop1", &ALL), -ELOOP);
	/* A dangling symlink: nothing to break. */
	assert_int_equal(symlink("nowhere", fx_p(fx_dir, "dangling")), 0);
	assert_int_equal(brk_name("dangling", &ALL), 0);
}

static void not_a_cowlink(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *h = fx_p(fx_dir, "h");
	struct fx_snap sa;

	(void)state;
	assert_int_equal(fx_fill(a, 2000, 8, 0644), 0);
	assert_int_equal(fx_snap(a, &sa), 0);
	assert_int_equal(brk_name("a", &ALL), 0);
	assert_int_equal(fx_snap_same(a, &sa), 1);
	/* Plain hard links share writes: not ours to break... */
	assert_int_equal(link(a, h), 0);
	assert_int_equal(fx_snap(a, &sa), 0);
	assert_int_equal(brk_name("h", &ALL), 0);
	assert_int_equal(fx_snap_same(h, &sa), 1);
	/* ...unless in scope (COWLINK_TREES). */
	struct cl_break_opts sc = { .keep = -1, .scope = true };
	assert_int_equal(brk_name("h", &sc), 0);
	assert_broken(h, a, 0644);
	assert_int_equal(brk_name("missing", &ALL), 0);
	assert_int_equal(mkdir(fx_p(fx_dir, "d"), 0755), 0);
	assert_int_equal(brk_name("d", &ALL), 0);
	assert_int_equal(brk_name("d/", &ALL), 0);
	assert_int_equal(cl_break_at(AT_FDCWD, "/", &ALL), 0);
	assert_int_equal(mkfifo(fx_p(fx_dir, "fifo"), 0644), 0);
	assert_int_equal(brk_name("fifo", &ALL), 0);
}

/* With dev/ino given, only that inode is broken. And a dirfd works. */
static void dev_ino_and_dirfd(void **state)
{
	struct cl_break_opts o = { .keep = -1 };
	const char *b = fx_p(fx_dir, "b");
	struct fx_snap sb;
	struct stat st;
	int dfd;

	(void)state;
	make3(1000, 0644);
	assert_int_equal(fx_snap(b, &sb), 0);
	o.dev = sb.st.st_dev;
	o.ino = sb.st.st_ino + 1;
	assert_int_equal(brk_name("b", &o), 0);
	assert_int_equal(fx_snap_same(b, &sb), 1);
	o.ino = sb.st.st_ino;
	dfd = open(fx_dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(cl_break_at(dfd, "b", &o), 0);
	/* The break's lock was released: nothing holds the directory now. */
	assert_int_equal(flock(dfd, LOCK_EX | LOCK_NB), 0);
	assert_int_equal(lstat(b, &st), 0);
	assert_true(st.st_ino != sb.st.st_ino);
	close(dfd);
}

struct race {
	const char *path;
	pthread_barrier_t *bar;
	int ret;
};

static void *race_thread(void *arg)
{
	struct race *r = arg;

	pthread_barrier_wait(r->bar);
	r->ret = cl_break_at(AT_FDCWD, r->path, &ALL);
	return NULL;
}

/* N threads in each of M processes break one name at once: one copy, made
 * once (one rename in all), every caller told 0. */
static void concurrent(void **state)
{
	enum { M = 3, N = 4 };
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");
	pid_t pids[M];
	struct fx_snap sa;
	int i, status, renames = 0;

	(void)state;
	make3(2 << 20, 0644);
	assert_int_equal(fx_snap(a, &sa), 0);
	for (i = 0; i < M; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			pthread_barrier_t bar;
			pthread_t th[N];
			struct race r[N];
			int j, bad = 0;

			fx_fault_arm(CL_OP_NR, 0, 0);
			pthread_barrier_init(&bar, NULL, N);
			for (j = 0; j < N; j++) {
				r[j] = (struct race){ b, &bar, -1 };
				pthread_create(&th[j], NULL, race_thread, &r[j]);
			}
			for (j = 0; j < N; j++) {
				pthread_join(th[j], NULL);
				bad |= r[j].ret != 0;
			}
			_exit(bad ? 100 : (int)fx_calls[CL_OP_RENAMEAT2]);
		}
	}
	for (i = 0; i < M; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_true(WEXITSTATUS(status) != 100);
		renames += WEXITSTATUS(status);
	}
	assert_int_equal(renames, 1);
	assert_broken(b, a, 0644);
	assert_other_same(a, &sa);
	assert_true(fx_same_inode(a, fx_p(fx_dir, "c")));
	assert_int_equal(fx_litter(fx_dir), 0);
}

static int break_b(void *arg)
{
	return -cl_break_at(AT_FDCWD, arg, &ALL);
}

static int break_b_owner(void *arg)
{
	struct cl_break_opts o = { .keep = -1, .need = CL_NEED_OWNER };

	return -cl_break_at(AT_FDCWD, arg, &o);
}

static void eacces_non_root(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");
	const char *o1 = fx_p(fx_dir, "o1"), *o2 = fx_p(fx_dir, "o2");
	struct fx_snap sb;

	(void)state;
	if (geteuid() != 0) {
		print_message("SKIP: needs root to switch users\n");
		skip();
	}
	assert_int_equal(chmod(fx_dir, 0777), 0);
	/* root's 0644 file: nobody may not write it. */
	make3(1000, 0644);
	assert_int_equal(fx_snap(b, &sb), 0);
	assert_int_equal(fx_run_as(65534, 65534, break_b, (void *)b), EACCES);
	assert_int_equal(fx_snap_same(b, &sb), 1);
	/* root's 0666 file: writable, but nobody could not keep the owner. */
	assert_int_equal(chmod(a, 0444), 0);
	assert_int_equal(fx_fill(fx_p(fx_dir, "w"), 10, 1, 0666), 0);
	assert_int_equal(fx_make_set(fx_p(fx_dir, "w"), fx_p(fx_dir, "w2"), true), 0);
	assert_int_equal(fx_snap(fx_p(fx_dir, "w2"), &sb), 0);
	assert_int_equal(fx_run_as(65534, 65534, break_b, (void *)fx_p(fx_dir, "w2")), EACCES);
	assert_int_equal(fx_snap_same(fx_p(fx_dir, "w2"), &sb), 1);
	/* Before a chmod, someone else's file: EPERM, as chmod says. */
	assert_int_equal(fx_run_as(65534, 65534, break_b_owner, (void *)fx_p(fx_dir, "w2")), EPERM);
	assert_int_equal(fx_snap_same(fx_p(fx_dir, "w2"), &sb), 1);
	/* nobody's own file: fine. */
	assert_int_equal(fx_fill(o1, 1000, 2, 0644), 0);
	assert_int_equal(chown(o1, 65534, 65534), 0);
	assert_int_equal(fx_make_set(o1, o2, true), 0);
	assert_int_equal(fx_make_set(o1, fx_p(fx_dir, "o3"), true), 0);
	assert_int_equal(fx_run_as(65534, 65534, break_b, (void *)o2), 0);
	assert_broken(o2, o1, 0644);
	assert_int_equal(fx_litter(fx_dir), 0);
}

static void erofs_bind(void **state)
{
	const char *b = fx_p(fx_dir, "b");
	char ro[PATH_MAX];
	struct fx_snap sb;
	int e;

	(void)state;
	make3(1000, 0644);
	snprintf(ro, sizeof ro, "%s/ro", fx_dir);
	assert_int_equal(mkdir(ro, 0755), 0);
	if (mount(fx_dir, ro, NULL, MS_BIND, NULL) ||
	    mount(NULL, ro, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL)) {
		print_message("SKIP: cannot make a read-only bind mount (%s)\n", strerror(errno));
		umount2(ro, MNT_DETACH);
		skip();
	}
	assert_int_equal(fx_snap(b, &sb), 0);
	e = cl_break_at(AT_FDCWD, fx_p(ro, "b"), &ALL);
	umount2(ro, MNT_DETACH);
	assert_int_equal(e, -EROFS);
	assert_int_equal(fx_snap_same(b, &sb), 1);
	assert_int_equal(fx_litter(fx_dir), 0);
}

static void enospc_loop(void **state)
{
	struct fx_mount m;
	struct statvfs vf;
	struct fx_snap sb;
	const char *a, *b;
	off_t size;
	int e;

	(void)state;
	if (fx_loop_mount(&m, "ext4", 16) == FX_SKIP)
		skip();
	assert_int_equal(statvfs(m.mnt, &vf), 0);
	size = (off_t)(vf.f_bavail * vf.f_frsize * 6 / 10);
	a = fx_p(m.mnt, "a");
	b = fx_p(m.mnt, "b");
	assert_int_equal(fx_fill(a, size, 9, 0644), 0);
	assert_int_equal(fx_make_set(a, b, true), 0);
	assert_int_equal(fx_snap(b, &sb), 0);
	e = cl_break_at(AT_FDCWD, b, &ALL);
	assert_int_equal(fx_snap_same(b, &sb), 1);
	assert_int_equal(fx_litter(m.mnt), 0);
	assert_int_equal(statvfs(m.mnt, &vf), 0);
	fx_loop_umount(&m);
	assert_int_equal(e, -ENOSPC);
}

static void clone_on_xfs(void **state)
{
	struct fx_mount m;
	const char *a, *b;
	int e;

	(void)state;
	if (fx_loop_mount(&m, "xfs", 320) == FX_SKIP)
		skip();
	a = fx_p(m.mnt, "a");
	b = fx_p(m.mnt, "b");
	assert_int_equal(fx_fill(a, 1 << 20, 10, 0644), 0);
	assert_int_equal(fx_make_set(a, b, true), 0);
	fx_fault_arm(CL_OP_NR, 0, 0);
	e = cl_break_at(AT_FDCWD, b, &ALL);
	fx_fault_off();
	if (!e) {
		assert_false(fx_same_inode(a, b));
		assert_int_equal(fx_same_content(a, b), 1);
	}
	fx_loop_umount(&m);
	assert_int_equal(e, 0);
	/* FICLONE did it: no data copy, no data sync (even on XFS). */
	assert_int_equal(fx_calls[CL_OP_IOCTL], 1);
	assert_int_equal(fx_calls[CL_OP_COPY_FILE_RANGE], 0);
	assert_int_equal(fx_calls[CL_OP_PREAD] + fx_calls[CL_OP_READ], 0);
	assert_int_equal(fx_calls[CL_OP_FDATASYNC], 0);
}

/* A copy (FICLONE refused) on XFS under COWLINK_FSYNC=auto is synced
 * before the rename: XFS does not order data before a replacing rename. */
static void auto_fsync_on_xfs(void **state)
{
	struct fx_mount m;
	const char *a, *b;
	int e;

	(void)state;
	if (fx_loop_mount(&m, "xfs", 320) == FX_SKIP)
		skip();
	a = fx_p(m.mnt, "a");
	b = fx_p(m.mnt, "b");
	assert_int_equal(fx_fill(a, 1 << 20, 10, 0644), 0);
	assert_int_equal(fx_make_set(a, b, true), 0);
	fx_fault_arm(CL_OP_IOCTL, 1, EOPNOTSUPP);
	e = cl_break_at(AT_FDCWD, b, &ALL);
	fx_fault_off();
	int same = fx_same_content(a, b);
	fx_loop_umount(&m);
	assert_int_equal(e, 0);
	assert_int_equal(same, 1);
	assert_int_equal(fx_calls[CL_OP_FDATASYNC], 1);
}

/* openat #1 is the parent, #2 the source, #3 the O_TMPFILE one. */
#define TMPFILE_OPENAT 3

static void no_tmpfile(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");
	struct fx_snap sa;

	(void)state;
	make3(300000, 0644);
	assert_int_equal(fx_snap(a, &sa), 0);
	fx_fault_arm(CL_OP_OPENAT, TMPFILE_OPENAT, EOPNOTSUPP);
	assert_int_equal(brk_name("b", &ALL), 0);
	fx_fault_off();
	assert_true(fx_fault_fired);
	/* A hidden name was created and renamed: no linkat needed. */
	assert_int_equal(fx_calls[CL_OP_LINKAT], 0);
	assert_int_equal(fx_calls[CL_OP_RENAMEAT2], 1);
	assert_broken(b, a, 0644);
	assert_other_same(a, &sa);
	assert_int_equal(fx_litter(fx_dir), 0);
}

/* Fail every call of a successful break in turn (with ERR; TMPFILE: also
 * without O_TMPFILE): each run either fails leaving both names exactly as
 * they were, or succeeds completely; never any litter. */
static void sweep(int names, int err, bool tmpfile)
{
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], went_on[256] = "";
	enum cl_op trace[FX_TRACE_MAX];
	unsigned long total, i, failed = 0;
	struct fx_snap sa, sb;
	int e;

	snprintf(a, sizeof a, "%s", fx_p(fx_dir, "a"));
	snprintf(b, sizeof b, "%s", fx_p(fx_dir, "b"));
	snprintf(c, sizeof c, "%s", fx_p(fx_dir, "c"));
	make3(200000, 0644);
	if (names == 2)
		assert_int_equal(unlink(c), 0);
	fx_fault_arm(CL_OP_NR, 0, 0);
	if (!tmpfile)
		fx_fault_add(CL_OP_OPENAT, TMPFILE_OPENAT, EOPNOTSUPP);
	assert_int_equal(brk_name("b", &ALL), 0);
	total = fx_calls_total;
	fx_fault_off();
	memcpy(trace, fx_trace, sizeof trace);
	assert_true(total > 10);
	for (i = 1; i <= total; i++) {
		unlink(a);
		unlink(b);
		unlink(c);
		make3(200000, 0644);
		if (names == 2)
			assert_int_equal(unlink(c), 0);
		assert_int_equal(fx_snap(a, &sa), 0);
		assert_int_equal(fx_snap(b, &sb), 0);
		fx_fault_arm(CL_OP_NR, i, err);
		if (!tmpfile)
			fx_fault_add(CL_OP_OPENAT, TMPFILE_OPENAT, EOPNOTSUPP);
		e = brk_name("b", &ALL);
		fx_fault_off();
		if (fx_litter(fx_dir) != 0)
			fail_msg("call %lu: litter left (break returned %d)", i, e);
		if (e) {
			failed++;
			if (e != -err)
				fail_msg("call %lu: got %d, want %d", i, e, -err);
			if (!fx_snap_same(b, &sb) || !fx_snap_same(a, &sa))
				fail_msg("call %lu: failed break changed something", i);
		} else {
			size_t l = strlen(went_on);
			snprintf(went_on + l, sizeof went_on - l, " %d",
				 i <= FX_TRACE_MAX ? (int)trace[i - 1] : -1);
			assert_false(fx_same_inode(a, b));
			assert_int_equal(fx_same_content(a, b), 1);
			assert_int_equal(fx_presented_mode(b), 0644);
			assert_int_equal(fx_presented_mode(a), 0644);
			assert_true(sa.hash == sb.hash);
		}
	}
	print_message("%lu calls, %lu failed cleanly, %lu went on (ops%s)\n", total, failed,
		      total - failed, went_on);
	assert_true(failed > total / 2);
}

static void faults_everywhere(void **state)
{
	(void)state;
	sweep(3, EIO, true);
}

static void faults_everywhere_enospc(void **state)
{
	(void)state;
	sweep(3, ENOSPC, true);
}

static void faults_orphan_left(void **state)
{
	(void)state;
	sweep(2, EIO, true);
}

static void faults_without_tmpfile(void **state)
{
	(void)state;
	sweep(3, EIO, false);
}

static void public_api(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b"), *c = fx_p(fx_dir, "c");
	struct stat st;

	(void)state;
	make3(5000, 0644);
	errno = 1234;
	assert_int_equal(cowlink_break(b), 0);
	assert_int_equal(errno, 1234);
	assert_broken(b, a, 0644);
	assert_int_equal(cowlink_break_truncate(c, -1), -EINVAL);
	assert_int_equal(cowlink_break_truncate(c, 10), 0);
	assert_int_equal(lstat(c, &st), 0);
	assert_int_equal(st.st_size, 10);
	assert_false(fx_same_inode(a, c));
	assert_int_equal(cowlink_break(fx_p(fx_dir, "none")), 0);
}

/* A directory the caller may write but not read: an O_PATH parent, no
 * lock, and the break still works. */
static void unreadable_dir(void **state)
{
	char ud[PATH_MAX];
	const char *f, *g;

	(void)state;
	if (geteuid() != 0) {
		print_message("SKIP: needs root to switch users\n");
		skip();
	}
	snprintf(ud, sizeof ud, "%s", fx_p(fx_dir, "ud"));
	f = fx_p(ud, "f");
	g = fx_p(ud, "g");
	assert_int_equal(chmod(fx_dir, 0755), 0);
	assert_int_equal(mkdir(ud, 0755), 0);
	assert_int_equal(fx_fill(f, 5000, 1, 0644), 0);
	assert_int_equal(chown(f, 65534, 65534), 0);
	assert_int_equal(fx_make_set(f, g, true), 0);
	assert_int_equal(fx_make_set(f, fx_p(ud, "h"), true), 0);
	assert_int_equal(chmod(ud, 0333), 0);
	assert_int_equal(fx_run_as(65534, 65534, break_b, (void *)g), 0);
	assert_int_equal(chmod(ud, 0755), 0);
	assert_broken(g, f, 0644);
	assert_int_equal(fx_litter(ud), 0);
}

/* COWLINK_FSYNC: always syncs, never does not, auto skips ext4/tmpfs. */
static void fsync_policy(void **state)
{
	static const struct { enum cl_fsync how; unsigned long syncs; } cases[] = {
		{ CL_FSYNC_ALWAYS, 1 }, { CL_FSYNC_NEVER, 0 }, { CL_FSYNC_AUTO, 0 },
	};
	const char *b = fx_p(fx_dir, "b");
	struct statfs sf;

	(void)state;
	assert_int_equal(statfs(fx_dir, &sf), 0);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		unlink(fx_p(fx_dir, "a"));
		unlink(b);
		unlink(fx_p(fx_dir, "c"));
		make3(100000, 0644);
		cl_cfg.fsync = cases[i].how;
		fx_fault_arm(CL_OP_NR, 0, 0);
		assert_int_equal(brk_name("b", &ALL), 0);
		fx_fault_off();
		cl_cfg.fsync = CL_FSYNC_AUTO;
		assert_false(fx_same_inode(fx_p(fx_dir, "a"), b));
		if (cases[i].how == CL_FSYNC_AUTO && sf.f_type != 0xEF53 && sf.f_type != 0x01021994)
			continue; /* auto elsewhere: covered on XFS */
		assert_int_equal(fx_calls[CL_OP_FDATASYNC], cases[i].syncs);
	}
}

/* Break B of a fresh set {A, B} of SIZE bytes in D, counting the calls
 * (fx_calls); the copy must be complete. */
static void counted_break(const char *d, off_t size)
{
	const char *a = fx_p(d, "a"), *b = fx_p(d, "b");

	unlink(a);
	unlink(b);
	assert_int_equal(fx_fill(a, size, 7, 0644), 0);
	assert_int_equal(fx_make_set(a, b, true), 0);
	fx_fault_arm(CL_OP_NR, 0, 0);
	/* Where FICLONE works (XFS here), refuse it: this is about copies. */
	fx_fault_add(CL_OP_IOCTL, 1, EOPNOTSUPP);
	assert_int_equal(cl_break_at(AT_FDCWD, b, &ALL), 0);
	fx_fault_off();
	assert_false(fx_same_inode(a, b));
	assert_int_equal(fx_same_content(a, b), 1);
}

/* A copy that goes to disk before the rename (ext4's replacing rename, the
 * fdatasync of XFS) starts writeback every 8 MiB as it copies, never for the
 * tail; one that does not (tmpfs, COWLINK_FSYNC=never on XFS) does not. */
static void flush_ahead(void **state)
{
	struct fx_mount m;
	struct statfs sf;
	const char *ext4 = fx_dir;
	bool own = false;

	(void)state;
	assert_int_equal(statfs(fx_dir, &sf), 0);
	if (sf.f_type != 0xEF53) {
		if (fx_loop_mount(&m, "ext4", 64) == FX_SKIP)
			skip();
		ext4 = m.mnt;
		own = true;
	}
	counted_break(ext4, 20 << 20);
	assert_int_equal(fx_calls[CL_OP_SYNC_FILE_RANGE], 2);
	assert_int_equal(fx_calls[CL_OP_FDATASYNC], 0);
	counted_break(ext4, 1 << 20);
	assert_int_equal(fx_calls[CL_OP_SYNC_FILE_RANGE], 0);
	if (own)
		fx_loop_umount(&m);

	if (!statfs("/dev/shm", &sf) && sf.f_type == 0x01021994) {
		char *shm = strdup("/dev/shm/cowlink-unit.XXXXXX");

		assert_non_null(mkdtemp(shm));
		counted_break(shm, 20 << 20);
		fx_rmtree(shm);
		free(shm);
		assert_int_equal(fx_calls[CL_OP_SYNC_FILE_RANGE], 0);
	}

	if (fx_loop_mount(&m, "xfs", 320) == FX_SKIP)
		return;
	counted_break(m.mnt, 20 << 20);
	assert_int_equal(fx_calls[CL_OP_SYNC_FILE_RANGE], 2);
	assert_int_equal(fx_calls[CL_OP_FDATASYNC], 1);
	cl_cfg.fsync = CL_FSYNC_NEVER;
	counted_break(m.mnt, 20 << 20);
	cl_cfg.fsync = CL_FSYNC_AUTO;
	assert_int_equal(fx_calls[CL_OP_SYNC_FILE_RANGE], 0);
	assert_int_equal(fx_calls[CL_OP_FDATASYNC], 0);
	fx_loop_umount(&m);
}

/* The fixed cost of a break of a small plain file on ext4: no FICLONE (ext4
 * has none), no SEEK_DATA/SEEK_HOLE (it has no holes), no ftruncate (the
 * copy has the size), no read of an ACL the xattr list does not name, and
 * two lookups of the name (the locked check, the check before the rename).
 * Of the four fstats, one is the orphan's unshare looking at the link
 * count again after its " unsharing" record (a racing cowln -f). */
static void small_break_calls(void **state)
{
	struct statfs sf;

	(void)state;
	assert_int_equal(statfs(fx_dir, &sf), 0);
	if (sf.f_type != 0xEF53)
		skip();
	counted_break(fx_dir, 10000);
	assert_int_equal(fx_calls[CL_OP_IOCTL], 0);
	assert_int_equal(fx_calls[CL_OP_LSEEK], 0);
	assert_int_equal(fx_calls[CL_OP_FTRUNCATE], 0);
	assert_int_equal(fx_calls[CL_OP_FGETXATTR], 1); /* the mark */
	assert_int_equal(fx_calls[CL_OP_FSTATAT], 2);
	assert_int_equal(fx_calls[CL_OP_FSTAT], 4);
}

/* linkat(AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH on older kernels (it
 * says ENOENT): the /proc/self/fd link is the way in then. */
static void link_in_via_proc(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");

	(void)state;
	make3(10000, 0644);
	fx_fault_arm(CL_OP_LINKAT, 1, ENOENT);
	assert_int_equal(brk_name("b", &ALL), 0);
	fx_fault_off();
	assert_true(fx_fault_fired);
	assert_int_equal(fx_calls[CL_OP_LINKAT], 2);
	assert_broken(b, a, 0644);
	assert_int_equal(fx_litter(fx_dir), 0);
}

/* Both ways in refused -- AT_EMPTY_PATH (ENOENT before Linux 6.10 without
 * CAP_DAC_READ_SEARCH) and /proc, which this mount namespace lacks (a
 * minimal container): the copy is made again under a hidden name. In a
 * child, which unmounts /proc in a namespace of its own (root only). */
static void link_in_without_proc(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");
	int status;
	pid_t pid;

	(void)state;
	make3(10000, 0644);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    umount2("/proc", MNT_DETACH))
			_exit(FX_SKIP);
		fx_fault_arm(CL_OP_LINKAT, 1, ENOENT);
		_exit(brk_name("b", &ALL) == 0 && fx_fault_fired &&
		      fx_calls[CL_OP_LINKAT] == 2 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == FX_SKIP)
		skip(); /* not root: no namespace of our own */
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_broken(b, a, 0644);
	assert_int_equal(fx_litter(fx_dir), 0);
}

/* Someone (not a cowlink break) replaced the name while the copy was made:
 * theirs stays, ours goes, and that is not an error. */
static bool linked;
static int replace_hook(enum cl_op op)
{
	if (op == CL_OP_LINKAT)
		linked = true;
	else if (op == CL_OP_FSTATAT && linked) {
		linked = false;
		if (rename(fx_p(fx_dir, "x"), fx_p(fx_dir, "b")))
			return EIO;
	}
	return 0;
}

static void replaced_meanwhile(void **state)
{
	const char *b = fx_p(fx_dir, "b");
	struct stat x, now;

	(void)state;
	make3(10000, 0644);
	assert_int_equal(fx_write(fx_p(fx_dir, "x"), "theirs", 6, 0600), 0);
	assert_int_equal(lstat(fx_p(fx_dir, "x"), &x), 0);
	linked = false;
	cl_fault_hook = replace_hook;
	assert_int_equal(brk_name("b", &ALL), 0);
	cl_fault_hook = NULL;
	assert_int_equal(lstat(b, &now), 0);
	assert_true(now.st_ino == x.st_ino);
	assert_int_equal(fx_litter(fx_dir), 0);
	assert_true(fx_same_inode(fx_p(fx_dir, "a"), fx_p(fx_dir, "c")));
}

/* An orphan whose original had no owner write bit, unshared by its
 * (non-root) owner: removing the mark needs write permission, lent just
 * for that, and the mode ends as it was. */
static void orphan_readonly_as_owner(void **state)
{
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");
	struct stat st;
	char v[64];

	(void)state;
	if (geteuid() != 0) {
		print_message("SKIP: needs root to switch users\n");
		skip();
	}
	assert_int_equal(chmod(fx_dir, 0777), 0);
	assert_int_equal(fx_fill(a, 100, 1, 0444), 0);
	assert_int_equal(chown(a, 65534, 65534), 0);
	assert_int_equal(fx_make_set(a, b, true), 0);
	assert_int_equal(unlink(a), 0);
	/* Before a write: refused, as the open of a 0444 file would be. */
	assert_int_equal(fx_run_as(65534, 65534, break_b, (void *)b), EACCES);
	assert_int_equal(lgetxattr(b, CL_XATTR, v, sizeof v), 17);
	/* Before a chmod by the owner: fine. */
	assert_int_equal(fx_run_as(65534, 65534, break_b_owner, (void *)b), 0);
	assert_int_equal(lgetxattr(b, CL_XATTR, v, sizeof v), -1);
	assert_int_equal(errno, ENODATA);
	assert_int_equal(lstat(b, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0444);
}

/* An immutable or append-only shared inode cannot be replaced: the break
 * fails with the kernel's EPERM and leaves everything as it was. */
static int set_flags(const char *path, int flags)
{
	int fd = open(path, O_RDONLY), e;

	if (fd < 0)
		return -1;
	e = ioctl(fd, FS_IOC_SETFLAGS, &flags);
	close(fd);
	return e;
}

static void immutable_source(void **state)
{
	static const int flags[] = { FS_IMMUTABLE_FL, FS_APPEND_FL };
	const char *b = fx_p(fx_dir, "b");
	struct fx_snap sb;
	int e;

	(void)state;
	make3(1000, 0644);
	for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) {
		if (set_flags(b, flags[i])) {
			print_message("SKIP: cannot set inode flags here (%s)\n", strerror(errno));
			skip();
		}
		assert_int_equal(fx_snap(b, &sb), 0);
		e = brk_name("b", &ALL);
		assert_int_equal(set_flags(b, 0), 0);
		assert_int_equal(e, -EPERM);
		assert_int_equal(sb.st.st_nlink, 3);
		assert_int_equal(fx_litter(fx_dir), 0);
		assert_true(fx_same_inode(b, fx_p(fx_dir, "a")));
	}
}

/* Someone holds the directory's lock past the bound (an application's own
 * flock of the directory looks the same): the break gives up with
 * EWOULDBLOCK and changes nothing. */
static void lock_busy(void **state)
{
	const char *b = fx_p(fx_dir, "b");
	struct fx_snap sb;
	int dfd, e;

	(void)state;
	make3(1000, 0644);
	assert_int_equal(fx_snap(b, &sb), 0);
	dfd = open(fx_dir, O_RDONLY | O_DIRECTORY);
	assert_int_equal(flock(dfd, LOCK_EX), 0);
	cl_lock_wait_ms = 50;
	e = brk_name("b", &ALL);
	cl_lock_wait_ms = CL_LOCK_WAIT_MS;
	close(dfd);
	assert_int_equal(e, -EWOULDBLOCK);
	assert_int_equal(fx_snap_same(b, &sb), 1);
	assert_int_equal(fx_litter(fx_dir), 0);
}

/* Two unshares of one orphan (a break's and a metadata change's, in two
 * processes) take turns under the inode lock: one acting on what it knew
 * before the other finished could undo the other's work, or a linker's
 * (race-meta-relink; the linker's half is in test_link.c). */
struct orphan {
	int fd;
	struct stat st;
	struct cl_record rec;
};

/* A (0644) left the one name of a protected set: an orphan, open on O->fd. */
static void make_orphan(struct orphan *o)
{
	const char *a = fx_p(fx_dir, "a"), *b = fx_p(fx_dir, "b");

	assert_int_equal(fx_fill(a, 100, 1, 0644), 0);
	assert_int_equal(fx_make_set(a, b, true), 0);
	assert_int_equal(unlink(b), 0);
	o->fd = open(a, O_RDONLY);
	assert_true(o->fd >= 0);
	assert_int_equal(fstat(o->fd, &o->st), 0);
	assert_int_equal(o->st.st_mode & 07777, 0444);
	assert_int_equal(cl_mark_read_fd(o->fd, &o->rec), 1);
}

static void assert_unshared(const char *path, mode_t mode)
{
	struct stat st;
	char v[64];

	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, mode);
	assert_int_equal(lgetxattr(path, CL_XATTR, v, sizeof v), -1);
	assert_int_equal(errno, ENODATA);
}

/* The other unshare finishes (bits back, mark off) just before this one's
 * removal of the mark: the mode stays the one both restore. */
static int other_unshare_hook(enum cl_op op)
{
	if (op == CL_OP_FREMOVEXATTR && !linked) {
		linked = true;
		if (chmod(fx_p(fx_dir, "a"), 0644) || removexattr(fx_p(fx_dir, "a"), CL_XATTR))
			return EIO;
	}
	return 0;
}

static void unshare_finished_by_another(void **state)
{
	struct orphan o;

	(void)state;
	make_orphan(&o);
	linked = false;
	cl_fault_hook = other_unshare_hook;
	assert_int_equal(cl_unshare_orphan(o.fd, &o.st, &o.rec), 0);
	cl_fault_hook = NULL;
	close(o.fd);
	assert_true(linked);
	assert_unshared(fx_p(fx_dir, "a"), 0644);
}

/* While one unshare runs, the inode's flock is held: a second one (another
 * open file description) cannot have it. */
static int lock_probe_result;
static int lock_probe_hook(enum cl_op op)
{
	int fd;

	if (op == CL_OP_FSTAT && lock_probe_result == -2) {
		fd = open(fx_p(fx_dir, "a"), O_RDONLY);
		lock_probe_result = fd < 0 ? -3 : flock(fd, LOCK_EX | LOCK_NB) ? errno : 0;
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static void unshares_take_turns(void **state)
{
	struct orphan o;
	int fd;

	(void)state;
	make_orphan(&o);
	lock_probe_result = -2;
	cl_fault_hook = lock_probe_hook;
	assert_int_equal(cl_unshare_orphan(o.fd, &o.st, &o.rec), 0);
	cl_fault_hook = NULL;
	assert_int_equal(lock_probe_result, EWOULDBLOCK);
	/* ... and it is let go afterwards. */
	fd = open(fx_p(fx_dir, "a"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);
	close(o.fd);
	assert_unshared(fx_p(fx_dir, "a"), 0644);
}

/* A user's own flock of the file: the unshare does not wait for it (long),
 * it goes on without the lock. */
static void unshare_past_a_user_flock(void **state)
{
	struct orphan o;
	int fd;

	(void)state;
	make_orphan(&o);
	fd = open(fx_p(fx_dir, "a"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(cl_unshare_orphan(o.fd, &o.st, &o.rec), 0);
	close(fd);
	close(o.fd);
	assert_unshared(fx_p(fx_dir, "a"), 0644);
}

/* Without the lock, another unshare may finish and a cowln -f make a set of
 * the inode again before this one removes the mark: it reads the word
 * again first, and leaves the new set's mark and mode alone. */
static int relinked_hook(enum cl_op op)
{
	static const char mark[] = "cowlink v1 w=0200";
	const char *a = fx_p(fx_dir, "a");

	if (op == CL_OP_FLOCK)
		return EBADF; /* no flock here */
	if (op == CL_OP_FGETXATTR && !linked) {
		linked = true;
		if (removexattr(a, CL_XATTR) || setxattr(a, CL_XATTR, mark, sizeof mark - 1, 0) ||
		    chmod(a, 0444) || link(a, fx_p(fx_dir, "b")))
			return EIO;
	}
	return 0;
}

static void unshare_unlocked_sees_a_new_set(void **state)
{
	const char *a = fx_p(fx_dir, "a");
	struct orphan o;
	struct stat st;
	char v[64];
	ssize_t n;

	(void)state;
	make_orphan(&o);
	linked = false;
	cl_fault_hook = relinked_hook;
	assert_int_equal(cl_unshare_orphan(o.fd, &o.st, &o.rec), -EAGAIN);
	cl_fault_hook = NULL;
	close(o.fd);
	assert_true(linked);
	assert_int_equal(lstat(a, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0444);
	assert_int_equal(st.st_nlink, 2);
	n = lgetxattr(a, CL_XATTR, v, sizeof v);
	assert_int_equal(n, 17);
	assert_memory_equal(v, "cowlink v1 w=0200", 17);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(keeps_everything), T(keeps_acl), T(default_acl_dir), T(keeps_holes),
		T(truncate_to_zero), T(truncate_to_n), T(orphan_in_place),
		T(malformed_record), T(symlinks), T(not_a_cowlink),
		T(dev_ino_and_dirfd), T(concurrent), T(eacces_non_root), T(erofs_bind),
		T(enospc_loop), T(clone_on_xfs), T(auto_fsync_on_xfs), T(no_tmpfile), T(faults_everywhere),
		T(faults_everywhere_enospc), T(faults_orphan_left),
		T(faults_without_tmpfile), T(public_api), T(unreadable_dir),
		T(fsync_policy), T(link_in_via_proc), T(link_in_without_proc),
		T(replaced_meanwhile),
		T(orphan_readonly_as_owner), T(immutable_source), T(lock_busy),
		T(flush_ahead), T(small_break_calls),
		T(unshare_finished_by_another), T(unshares_take_turns),
		T(unshare_past_a_user_flock), T(unshare_unlocked_sees_a_new_set),
	};
#undef T
	/* The TSan build runs only the concurrency case (tests/tsan.cmake). */
	if (getenv("COWLINK_TEST_FILTER"))
		cmocka_set_test_filter(getenv("COWLINK_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
