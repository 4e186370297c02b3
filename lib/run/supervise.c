/* SPDX-License-Identifier: MIT */
/* The supervisor's loop (docs/DESIGN.md §4b): take each notification the filter
 * sends up (classify.c says what it is), look at the object its name or fd
 * leads to (tname.c: through fds of the target, in its root), and where that
 * reaches a cowlink, hand a job to a worker thread (act.c), which acts with
 * the target's credentials and answers. A call that reaches no cowlink goes
 * on (SECCOMP_USER_NOTIF_FLAG_CONTINUE) and the kernel resolves its name
 * again.
 *
 * The loop itself never waits for a lock or a copy: a target that holds a
 * break lock (the shim's own break, under cowlink run) and makes a call
 * that comes up here is answered at once, while a worker waits for that
 * lock. It is a correctness aid, not a sandbox. */
#include "job.h"
#include "classify.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banned.h"

/* The one decision (cl_verdict, docs/DESIGN.md §4), on the fd this loop
 * holds, the supervisor's way: an orphaned mark counts, and so (WIDE) does
 * an unreadable mark, or any multi-link file under scope, for the worker's
 * break under the lock decides. */
bool cl_reaches_cowlink(int fd, bool opath, const struct stat *st)
{
	struct cl_pin p = { .fd = fd, .opath = opath, .st = st, .mark = -1 };
	struct cl_record r;

	/* A one-name file with its owner write bit is no orphan: no call. */
	return cl_cow_candidate(st) &&
	       cl_verdict(&p, CL_VERDICT_ORPHANS | CL_VERDICT_WIDE, &r) > 0;
}

/* The same for the file the target's fd (its /proc/PID/fd/N name P, a magic
 * link) is open on, pinned first: *ST gets the pin's fstat. */
static bool fd_reaches(const char *p, struct stat *st)
{
	int fd = cl_openat(AT_FDCWD, p, O_PATH | O_CLOEXEC, 0);
	bool reaches;

	if (fd < 0)
		return false;
	reaches = cl_fstat(fd, st) == 0 && S_ISREG(st->st_mode) && st->st_nlink > 1 &&
		  cl_reaches_cowlink(fd, true, st);
	cl_close(fd);
	return reaches;
}

/* The object the name T leads to (a final symlink followed unless
 * NOFOLLOW), as an O_PATH fd, when it reaches a cowlink; else -1. *ST gets
 * its stat; *MAGIC says whether the name was a magic link of /proc (the
 * kernel follows it to an open file, whatever that file's name now is). */
static int name_reaches(const struct tname *t, bool nofollow, struct stat *st, bool *magic)
{
	int fd;

	*magic = false;
	/* Most names lead to no cowlink: one stat says so. */
	if (!t->resolve) {
		if (cl_fstatat(t->dirfd, t->path, st, AT_SYMLINK_NOFOLLOW) ||
		    (S_ISLNK(st->st_mode) &&
		     (nofollow || cl_fstatat(t->dirfd, t->path, st, 0))) ||
		    !cl_cow_candidate(st))
			return -1;
	}
	fd = cl_tname_open(t, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (cl_fstat(fd, st))
		goto no;
	if (S_ISLNK(st->st_mode)) {
		if (nofollow)
			goto no;
		*magic = cl_is_magic_link(fd, st);
		cl_close(fd);
		fd = cl_tname_open(t, O_PATH | O_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (cl_fstat(fd, st))
			goto no;
	}
	if (cl_reaches_cowlink(fd, true, st))
		return fd;
no:
	cl_close(fd);
	return -1;
}

/* ---- deciding on one notification ---------------------------------------- */

/* Is the target's fd FD a writable fd on a shared inode? */
static bool fd_write_shared(pid_t pid, int fd, const char *proc, const struct stat *st)
{
	unsigned long flags;
	long long pos;
	struct stat pst;

	if (!S_ISREG(st->st_mode) || st->st_nlink < 2 || !fd_reaches(proc, &pst))
		return false;
	return cl_fd_info(pid, fd, &pos, &flags) || (flags & O_ACCMODE) != O_RDONLY;
}

/* open_by_handle_at for writing: a handle has no name to break, so the
 * call fails with ETXTBSY when it leads to a shared inode, as in the shim.
 * Looking needs CAP_DAC_READ_SEARCH, which the call needs too. */
static bool handle_shared(pid_t pid, int mountfd, uint64_t addr)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[MAX_HANDLE_SZ];
	} h;
	char p[CL_TPATH_MAX];
	struct stat st;
	bool shared = false;
	int m, f;

	if (cl_target_read(pid, addr, &h.fh, sizeof h.fh) || h.fh.handle_bytes > MAX_HANDLE_SZ ||
	    cl_target_read(pid, addr + sizeof h.fh, h.bytes, h.fh.handle_bytes))
		return false;
	if (mountfd == AT_FDCWD)
		snprintf(p, sizeof p, "/proc/%d/cwd", (int)pid);
	else
		cl_target_fd_path(pid, mountfd, p);
	/* Not O_PATH: the kernel wants a real fd on the mount. */
	m = cl_openat(AT_FDCWD, p, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
	if (m < 0)
		return false;
	f = cl_open_by_handle_at(m, &h.fh, O_PATH | O_CLOEXEC);
	cl_close(m);
	if (f < 0)
		return false;
	if (!cl_fstat(f, &st) && S_ISREG(st.st_mode) && st.st_nlink > 1)
		shared = cl_reaches_cowlink(f, true, &st);
	cl_close(f);
	return shared;
}

static struct job *new_job(int nfd, const struct seccomp_notif *req, enum job_kind kind)
{
	struct job *j = malloc(sizeof *j);

	if (!j)
		return NULL;
	memset(&j->o, 0, sizeof j->o);
	j->nfd = nfd;
	j->kind = kind;
	j->req = *req;
	j->o.keep = -1;
	j->obj = -1;
	j->magic = j->has_from = j->nofollow = false;
	j->name.dirfd = j->from.dirfd = AT_FDCWD;
	return j;
}

/* Is the name T (a rename's source) the inode ST, the victim's? */
static bool from_same(const struct tname *t, const struct stat *st)
{
	struct stat fs;
	int fd = cl_tname_open(t, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
	bool same;

	if (fd < 0)
		return false;
	same = cl_fstat(fd, &fs) == 0 && fs.st_dev == st->st_dev && fs.st_ino == st->st_ino;
	cl_close(fd);
	return same;
}

/* Does the O_PATH fd FD, on a regular file, have the mark? */
static bool marked(int fd)
{
	struct cl_record rec;

	return cl_mark_read_pinned(fd, &rec) > 0;
}

/* COWLINK_EXCLUDE as the supervisor found it, else /etc/cowlink.conf's
 * exclude (the shim reads them in each program): a program it names is left
 * alone here too. */
static const char *exclude;
static struct cl_conf conf;

/* Is the target PID a program COWLINK_EXCLUDE names? By its executable. */
static bool target_excluded(pid_t pid)
{
	char link[40];

	if (!exclude)
		return false;
	snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
	return cl_excluded(exclude, link, NULL);
}

/* Each decide_* looks at what the call C of REQ reaches: 0 with *JP NULL,
 * the call goes on; 0 with a job in *JP, a worker acts; -errno, the call
 * fails with it. */

/* A call on a name: a cowlink it reaches is broken by a worker. */
static long decide_name(int nfd, const struct seccomp_notif *req, const struct call *c,
			struct job **jp)
{
	struct tname t = { .dirfd = AT_FDCWD };
	struct stat st;
	struct job *j;
	bool magic;
	int obj, r;

	r = cl_tname_get((pid_t)req->pid, c->dirfd, c->path, c->resolve, &t);
	if (r < 0)
		/* What the kernel would say: the call is not let go on
		 * unlooked at. */
		return r;
	if (r > 0 || (obj = name_reaches(&t, c->nofollow, &st, &magic)) < 0) {
		cl_tname_free(&t);
		return 0;
	}
	j = new_job(nfd, req, JOB_NAME);
	if (!j) {
		cl_close(obj);
		cl_tname_free(&t);
		return -ENOMEM;
	}
	j->obj = obj;
	j->magic = magic;
	j->name = t;
	j->o.keep = c->keep;
	j->o.nofollow = j->nofollow = c->nofollow;
	j->o.need = c->need;
	*jp = j;
	return 0;
}

/* A call on the target's fd: a write through a writable fd on a shared
 * inode fails, as in the shim; a change of metadata breaks the fd's name. */
static long decide_fd(int nfd, const struct seccomp_notif *req, const struct call *c,
		      struct job **jp)
{
	char p[CL_TPATH_MAX];
	pid_t pid = (pid_t)req->pid;
	struct stat st;
	struct job *j;

	cl_target_fd_path(pid, c->fd, p);
	if (cl_fstatat(AT_FDCWD, p, &st, 0) || !S_ISREG(st.st_mode))
		return 0;
	if (c->what == C_FD_DATA) {
		if (!fd_write_shared(pid, c->fd, p, &st))
			return 0;
		cl_debug("run: pid %u: writable fd %d on a shared inode", req->pid, c->fd);
		return -ETXTBSY; /* as the shim */
	}
	/* An orphan (one name) shares nothing: its change goes on. The shim
	 * unshares one with calls that come up here while it holds the
	 * directory's break lock, which a break here would wait for. */
	if (st.st_nlink < 2 || !fd_reaches(p, &st))
		return 0;
	j = new_job(nfd, req, JOB_FD);
	if (!j)
		return -ENOMEM;
	j->fd = c->fd;
	j->o.need = c->need;
	*jp = j;
	return 0;
}

/* A removal that may leave an orphan (two names), or a rename from another
 * name of the set (one_set, job_remove in act.c): a worker makes it and
 * unshares the survivor. Never refused: an orphan is no harm, fsck and
 * presentation cope. */
static long decide_remove(int nfd, const struct seccomp_notif *req, const struct call *c,
			  struct job **jp)
{
	pid_t pid = (pid_t)req->pid;
	struct tname t = { .dirfd = AT_FDCWD }, from = { .dirfd = AT_FDCWD };
	struct stat st;
	struct job *j = NULL;
	int obj = -1;

	if (cl_tname_get(pid, c->dirfd, c->path, 0, &t) ||
	    (obj = cl_tname_open(&t, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0)) < 0 ||
	    cl_fstat(obj, &st) || !S_ISREG(st.st_mode) || st.st_nlink < 2 ||
	    (c->from && cl_tname_get(pid, c->fromdir, c->from, 0, &from)) ||
	    (st.st_nlink != 2 && !(c->from && from_same(&from, &st))) || !marked(obj))
		goto out;
	j = new_job(nfd, req, JOB_REMOVE);
	if (!j)
		goto out;
	j->name = t;
	t.dirfd = AT_FDCWD;
	j->has_from = c->from != 0;
	j->from = from;
	from.dirfd = AT_FDCWD;
	*jp = j;
out:
	if (obj >= 0)
		cl_close(obj);
	cl_tname_free(&t);
	cl_tname_free(&from);
	return 0;
}

static void handle(int nfd, const struct seccomp_notif *req)
{
	struct job *j = NULL;
	struct call c;
	long r = 0;

	cl_classify(req, &c);
	if (c.what != C_NONE && target_excluded((pid_t)req->pid)) {
		cl_answer(nfd, req->id, 0, true);
		return;
	}
	switch (c.what) {
	case C_NAME:
		r = decide_name(nfd, req, &c, &j);
		break;
	case C_FD_DATA:
	case C_FD_META:
		r = decide_fd(nfd, req, &c, &j);
		break;
	case C_REMOVE:
		r = decide_remove(nfd, req, &c, &j);
		break;
	case C_HANDLE:
		if (handle_shared((pid_t)req->pid, c.fd, c.path)) {
			cl_debug("run: pid %u: open_by_handle_at for writing of a shared inode",
				 req->pid);
			r = -ETXTBSY; /* as the shim */
		}
		break;
	case C_NONE:
		break;
	}
	if (j)
		cl_job_dispatch(j);
	else
		cl_answer(nfd, req->id, r, r == 0);
}

/* ---- the loop --------------------------------------------------------------- */

static void reap(pid_t child, int *status, bool *done)
{
	pid_t p;
	int st;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		if (p == child) {
			*status = st;
			*done = true;
		}
	}
}

int cl_supervise(int nfd, pid_t child, bool forward)
{
	struct seccomp_notif_sizes sizes = { 0 };
	struct seccomp_notif *req;
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	sigset_t chld;
	size_t size = sizeof *req;
	int sfd, status = 0;
	bool done = false;

	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0 &&
	    sizes.seccomp_notif > size)
		size = sizes.seccomp_notif;
	req = malloc(size);
	if (!req)
		return -ENOMEM;
	exclude = secure_getenv("COWLINK_EXCLUDE");
	if (!exclude) {
		unsigned line;

		if (cl_conf_read(CL_CONF_PATH, &conf, &line) == 0)
			exclude = conf.exclude;
	}
	if (exclude && !*exclude)
		exclude = NULL;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (forward) {
		sigaddset(&chld, SIGTERM);
		sigaddset(&chld, SIGHUP);
	}
	sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	pfd[0] = (struct pollfd){ .fd = nfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	reap(child, &status, &done);
	for (;;) {
		if (sfd < 0)
			reap(child, &status, &done);
		if (poll(pfd, sfd >= 0 ? 2 : 1, sfd >= 0 ? -1 : 100) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (sfd >= 0 && (pfd[1].revents & POLLIN)) {
			while (cl_read(sfd, &si, sizeof si) == sizeof si)
				/* A hangup of the terminal (the kernel's) reaches
				 * the command itself. */
				if (si.ssi_signo != SIGCHLD && si.ssi_code != SI_KERNEL)
					(void)kill(child, (int)si.ssi_signo);
			reap(child, &status, &done);
		}
		if (pfd[0].revents & POLLIN) {
			memset(req, 0, size);
			if (cl_ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, req) == 0)
				handle(nfd, req);
		} else if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			break; /* no target left */
		}
	}
	/* Every target has been reaped (a filter counts a task until then). */
	while (!done) {
		pid_t p = waitpid(child, &status, 0);

		if (p == child || (p < 0 && errno != EINTR))
			break;
	}
	if (sfd >= 0)
		cl_close(sfd);
	free(req);
	return status;
}
