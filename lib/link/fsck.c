/* SPDX-License-Identifier: MIT */
/* The checks behind cowlink fsck: temp names left by an interrupted break
 * or link, orphaned marks, malformed records, shared inodes made writable
 * behind the shim's back, sets restored without their marks (reported, and
 * re-marked on request: cl_fsck_adopt). Raw calls only, so they see the raw
 * metadata even under the shim (the walk itself is walk.c). */
#include "link-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

mode_t cl_fsck_guess_wbits(mode_t mode)
{
	return (mode & S_IRUSR) ? S_IWUSR : 0;
}

/* The pid in a temp name ".cowlink-tmp.<pid>.<n>", or 0. */
static pid_t tmp_pid(const char *name)
{
	const char *p = name + sizeof CL_TMP_PREFIX - 1;
	long pid = 0;

	for (; *p >= '0' && *p <= '9'; p++) {
		pid = pid * 10 + (*p - '0');
		if (pid > 0x3fffffff)
			return 0;
	}
	return *p == '.' ? (pid_t)pid : 0;
}

/* A temp name: remove it, unless its process is still running (a break or
 * link in progress) or the directory's break lock (lock.c: a break holds it
 * from start to end) cannot be had within cl_lock_wait_ms. */
static int fsck_tmp(int dirfd, const char *name, struct cl_fsck_finding *f, bool dry_run)
{
	char proc[32];
	struct stat pst;
	pid_t pid = tmp_pid(name);
	int r;

	if (pid > 0 && pid != getpid()) {
		snprintf(proc, sizeof proc, "/proc/%d", (int)pid);
		if (cl_fstatat(AT_FDCWD, proc, &pst, 0) == 0) {
			f->pid = pid;
			return 0;
		}
	}
	if (dry_run)
		return 0;
	if (dirfd != AT_FDCWD) {
		r = cl_lock_dir(dirfd);
		if (r < 0)
			return r;
	}
	r = cl_unlinkat(dirfd, name, 0);
	if (dirfd != AT_FDCWD)
		cl_unlock_dir(dirfd);
	return r < 0 ? r : 1;
}

/* Unshare an orphan in place (break.c's way, which a racing cowln wins). */
static int repair_orphan(int fd, const struct stat *st, mode_t wbits)
{
	struct cl_record rec = { CL_RECORD_VERSION, wbits, false };
	int r = cl_unshare_orphan(fd, st, &rec);

	return r < 0 ? r : 1;
}

/* Record WBITS, then clear the write bits: the record first, while the
 * inode may still be written (a non-root owner needs that for the xattr). */
static int repair_protect(int fd, const struct stat *st, mode_t wbits)
{
	struct cl_record rec = { CL_RECORD_VERSION, wbits, false };
	int r;

	r = cl_mark_write_fd(fd, &rec, 0);
	if (r == 0 && (st->st_mode & 0222))
		r = cl_fchmod(fd, st->st_mode & 07777 & ~(mode_t)0222);
	return r < 0 ? r : 1;
}

/* cl_fsck_at(), or with ORPHANS_ONLY cl_fsck_orphan_at(). */
static int fsck_name(int dirfd, const char *name, const char *path, const struct stat *st,
		     bool dry_run, bool orphans_only, cl_fsck_fn fn, void *arg)
{
	struct cl_fsck_finding f = { .path = path, .st = st };
	const char *base = cl_path_base(name);
	struct stat fst;
	int marked, fd, r;

	if (!S_ISREG(st->st_mode))
		return 0;
	/* A protected orphan: one name, no write bit. Nothing else is read
	 * (an orphan of --no-protect is writable and harms nobody). */
	if (orphans_only && (st->st_nlink != 1 || (st->st_mode & 0222)))
		return 0;
	if (!orphans_only && !strncmp(base, CL_TMP_PREFIX, sizeof CL_TMP_PREFIX - 1)) {
		f.kind = CL_FSCK_TMP;
		f.result = fsck_tmp(dirfd, name, &f, dry_run);
		fn(&f, arg);
		return 1;
	}
	marked = cl_mark_read_at(dirfd, name, &f.rec);
	if (marked < 0)
		return marked;
	if (marked == 0) {
		/* Hard links that look like a protected set without its mark
		 * (a backup restored without xattrs), or a read-only group:
		 * which, fsck cannot tell, so it only says so. */
		if (orphans_only || st->st_nlink < 2 || (st->st_mode & 0222))
			return 0;
		f.kind = CL_FSCK_RESTORED;
		f.wbits = cl_fsck_guess_wbits(st->st_mode);
		fn(&f, arg);
		return 1;
	}

	if (st->st_nlink == 1) {
		f.kind = CL_FSCK_ORPHAN;
		f.wbits = f.rec.version ? f.rec.wbits : cl_fsck_guess_wbits(st->st_mode);
	} else if (f.rec.version == 0) {
		f.kind = CL_FSCK_MALFORMED;
		f.wbits = cl_fsck_guess_wbits(st->st_mode) | (st->st_mode & 0222);
	} else if (f.rec.wbits && (st->st_mode & 0222)) {
		f.kind = CL_FSCK_UNPROTECTED;
		f.wbits = f.rec.wbits | (st->st_mode & 0222);
	} else {
		return 0;
	}
	if (dry_run)
		goto out_report;

	/* Under the break lock, so no break of this name runs meanwhile; the
	 * stat is checked again once it is held. */
	if (dirfd != AT_FDCWD) {
		r = cl_lock_dir(dirfd);
		if (r < 0) {
			f.result = r;
			goto out_report;
		}
	}
	fd = cl_openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
	if (fd < 0) {
		f.result = fd;
		goto out_unlock;
	}
	r = cl_fstat(fd, &fst);
	if (r == 0 && (fst.st_dev != st->st_dev || fst.st_ino != st->st_ino ||
		       fst.st_mode != st->st_mode || fst.st_nlink != st->st_nlink))
		r = -EAGAIN; /* changed since the walk saw it: look again later */
	if (r == 0)
		r = f.kind == CL_FSCK_ORPHAN ? repair_orphan(fd, st, f.wbits)
					     : repair_protect(fd, st, f.wbits);
	f.result = r;
	cl_close(fd);
out_unlock:
	if (dirfd != AT_FDCWD)
		cl_unlock_dir(dirfd);
out_report:
	fn(&f, arg);
	return 1;
}

int cl_fsck_at(int dirfd, const char *name, const char *path,
	       const struct stat *st, bool dry_run, cl_fsck_fn fn, void *arg)
{
	return fsck_name(dirfd, name, path, st, dry_run, false, fn, arg);
}

int cl_fsck_orphan_at(int dirfd, const char *name, const char *path,
		      const struct stat *st, bool dry_run, cl_fsck_fn fn, void *arg)
{
	return fsck_name(dirfd, name, path, st, dry_run, true, fn, arg);
}

int cl_fsck_adopt(const char *path, bool dry_run, struct stat *st, mode_t *wbits,
		  enum cl_adopt_refusal *why)
{
	struct cl_record rec;
	int fd, marked, r;

	*why = CL_ADOPT_OK;
	*wbits = 0;
	fd = cl_openat(AT_FDCWD, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
	if (fd == -ELOOP) { /* a symlink: say what it is, not ELOOP */
		r = cl_fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
		if (r == 0)
			*why = CL_ADOPT_NOT_REGULAR;
		return r;
	}
	if (fd < 0)
		return fd;
	r = cl_fstat(fd, st);
	if (r)
		goto out;
	if (!S_ISREG(st->st_mode)) {
		*why = CL_ADOPT_NOT_REGULAR;
		goto out;
	}
	if (st->st_nlink < 2) {
		*why = CL_ADOPT_ONE_LINK;
		goto out;
	}
	marked = cl_mark_read_fd(fd, &rec);
	if (marked < 0) {
		r = marked;
		goto out;
	}
	if (marked) {
		*why = CL_ADOPT_MARKED;
		goto out;
	}
	if (st->st_mode & 0222) {
		*why = CL_ADOPT_WRITABLE;
		goto out;
	}
	*wbits = cl_fsck_guess_wbits(st->st_mode);
	if (!dry_run)
		r = cl_link_adopt(fd, st, path, *wbits);
out:
	cl_close(fd);
	return r;
}
