/* SPDX-License-Identifier: MIT */
/* badptr: every row of lib/wrap.def -- the table of every symbol the shim
 * wraps, read here with the preprocessor, so that a new row is covered
 * without a line of this file -- called once per pointer parameter with that
 * parameter a PROT_NONE page and the others valid, on "b", one name of a
 * two-name cowlink set ("cow"), and on a plain file ("plain"). Each call is
 * made in a forked child, so that a crash is an outcome, not the end of the
 * test. One line per call:
 *
 *   <sym> arg<N>:<param> <cow|plain> <outcome>
 *
 * the outcome being the result and errno name, or the signal that killed
 * the child. Run once without the shim and once under it (--check), the
 * outputs must be the same: the shim answers a bad pointer as libc and the
 * kernel do (EFAULT), and crashes only where the call crashes without it
 * (libc itself dereferences a FILE *, a mode string, a
 * posix_spawn_file_actions_t). Without the shim the "cow" cases run on a
 * plain file too: b stands for one, and the shared inode, its write bits
 * cleared, is no reference for a non-root owner. Under the shim it also
 * fails when a call changed "a", the set's other name (content, mode,
 * owner, size, mtime, inode, xattr), or failed and yet split the set (a
 * break for nothing).
 *
 * Rows are called through one generic pointer type with six long
 * arguments: every parameter of every row is an integer, a pointer or a
 * va_list, which the LP64 Linux ABIs this builds for (x86-64, aarch64) pass
 * in the same registers as a long. A parameter gets its valid value from
 * its name (arg_value); a variadic argument that is a pointer (fcntl's lock,
 * ioctl's argument) gets extra cases from vcases[]. Symbols libc lacks (the
 * __xstat family, compat-only since glibc 2.33) print "absent". */
#include <aio.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cowlink.h"

#if !defined(__x86_64__) && !defined(__aarch64__)
int main(void)
{
	fputs("badptr: the generic call needs x86-64 or aarch64\n", stderr);
	return 77;
}
#else

struct row {
	const char *ret, *sym, *params;
};

static const struct row rows[] = {
#define WRAP(ret, sym, params, flags) { #ret, #sym, #params },
#include "../../../lib/wrap.def"
#undef WRAP
};

/* More cases of a row: PARAM set to VAL. With DOTS, the variadic argument
 * is the pointer that gets the bad page (fcntl's lock, ioctl's argument);
 * without, each pointer parameter in turn, as for the row itself (the *at
 * calls with AT_EMPTY_PATH, their dirfd then an fd on b). */
struct vcase {
	const char *sym, *what, *param;
	long val;
	bool dots;
};

static const struct vcase vcases[] = {
	{ "fcntl", "F_GETLK", "cmd", F_GETLK, true },
	{ "fcntl", "F_SETLK", "cmd", F_SETLK, true },
	{ "fcntl64", "F_GETLK", "cmd", F_GETLK, true },
	{ "ioctl", "FS_IOC_GETFLAGS", "req", FS_IOC_GETFLAGS, true },
	{ "ioctl", "FS_IOC_SETFLAGS", "req", FS_IOC_SETFLAGS, true },
	{ "ioctl", "FS_IOC32_SETFLAGS", "req", FS_IOC32_SETFLAGS, true },
	{ "ioctl", "FS_IOC_FSSETXATTR", "req", FS_IOC_FSSETXATTR, true },
	{ "ioctl", "FS_IOC_SETVERSION", "req", FS_IOC_SETVERSION, true },
	{ "ioctl", "FICLONERANGE", "req", FICLONERANGE, true },
	{ "ioctl", "FIDEDUPERANGE", "req", FIDEDUPERANGE, true },
	{ "fchmodat", "AT_EMPTY_PATH", "flags", AT_EMPTY_PATH, false },
	{ "fchownat", "AT_EMPTY_PATH", "flags", AT_EMPTY_PATH, false },
	{ "utimensat", "AT_EMPTY_PATH", "flags", AT_EMPTY_PATH, false },
	{ "fstatat", "AT_EMPTY_PATH", "flags", AT_EMPTY_PATH, false },
	{ "fstatat64", "AT_EMPTY_PATH", "flags", AT_EMPTY_PATH, false },
	{ "statx", "AT_EMPTY_PATH", "flags", AT_EMPTY_PATH, false },
	/* A list that fits only without the mark: the kernel says ERANGE
	 * and the shim writes the list itself ("user.test" is 10 bytes). */
	{ "listxattr", "n=10", "n", 10, false },
	{ "llistxattr", "n=10", "n", 10, false },
	{ "flistxattr", "n=10", "n", 10, false },
	/* Opens that break before the open, not after. */
	{ "open", "O_RDONLY|O_TRUNC", "flags", O_RDONLY | O_TRUNC, false },
	{ "openat", "O_RDONLY|O_TRUNC", "flags", O_RDONLY | O_TRUNC, false },
	{ "open", "O_CREAT|O_EXCL", "flags", O_WRONLY | O_CREAT | O_EXCL, false },
};

#define MAXP 6

struct param {
	char type[64];
	char name[32];
	bool ptr;
	bool dots;
};

/* "(const char *path, int flags, ...)" into P; the count. */
static int parse(const char *s, struct param *p)
{
	char buf[512], *save = NULL, *tok;
	int n = 0;

	snprintf(buf, sizeof buf, "%s", s + 1);
	buf[strlen(buf) - 1] = '\0';
	for (tok = strtok_r(buf, ",", &save); tok && n < MAXP; tok = strtok_r(NULL, ",", &save)) {
		char *e, *id;

		while (*tok == ' ')
			tok++;
		memset(&p[n], 0, sizeof p[n]);
		if (strcmp(tok, "...") == 0) {
			snprintf(p[n].name, sizeof p[n].name, "...");
			p[n++].dots = true;
			continue;
		}
		p[n].ptr = strchr(tok, '*') || strchr(tok, '[');
		e = strchr(tok, '[');
		if (e)
			*e = '\0';
		e = tok + strlen(tok);
		while (e > tok && e[-1] == ' ')
			*--e = '\0';
		id = e;
		while (id > tok && (id[-1] == '_' || (id[-1] >= 'a' && id[-1] <= 'z') ||
				    (id[-1] >= 'A' && id[-1] <= 'Z') || (id[-1] >= '0' && id[-1] <= '9')))
			id--;
		snprintf(p[n].name, sizeof p[n].name, "%s", id);
		*id = '\0';
		snprintf(p[n].type, sizeof p[n].type, "%s", tok);
		n++;
	}
	return n;
}

static bool has(const char *s, const char *w)
{
	return strstr(s, w) != NULL;
}

/* The write family and what needs a writable fd: under the shim, opening
 * it breaks b first, as it would for the program that does it. */
static bool needs_rw(const char *sym)
{
	return has(sym, "write") || has(sym, "trunc") || has(sym, "falloc") ||
	       has(sym, "printf") || has(sym, "mmap") || has(sym, "fdopen") ||
	       has(sym, "lio_") || has(sym, "copy_file_range") || has(sym, "sendfile") ||
	       has(sym, "splice");
}

/* The valid values, made in the child before the call. */
struct ctx {
	int ro, rw, src, dir, sock, pipe;
	char scratch[4096];
	char times[64];
	off64_t off;
	pid_t pid;
	struct iovec iov;
	struct aiocb cb;
	struct aiocb *cbs[1];
	struct msghdr msg;
	struct mmsghdr mmsg;
	posix_spawn_file_actions_t fa;
	char *argv[2];
	char *envp[1];
	FILE *f;
};

static int fd_rw(struct ctx *c)
{
	if (c->rw < 0)
		c->rw = open("b", O_RDWR | O_CLOEXEC);
	return c->rw;
}

static long arg_value(struct ctx *c, const char *sym, const struct param *p)
{
	const char *n = p->name, *t = p->type;

	if (p->dots)
		return has(sym, "open") ? 0600 : 0;
	if (!strcmp(n, "path") || !strcmp(n, "old") || !strcmp(n, "file")) {
		if (!strcmp(sym, "posix_spawn"))
			return (long)"/bin/true";
		if (!strcmp(sym, "posix_spawnp"))
			return (long)"true";
		if (has(sym, "chdir"))
			return (long)".";
		return (long)"b";
	}
	if (!strcmp(n, "new_"))
		return (long)"c";
	if (!strcmp(n, "name"))
		return (long)"user.test";
	if (!strcmp(n, "val"))
		return has(t, "const") ? (long)"seeded" : (long)c->scratch;
	if (!strcmp(n, "n"))
		return has(sym, "setxattr") ? 6 : has(sym, "xattr") ? 64 :
		       has(sym, "recvmmsg") || has(sym, "lio_") ? 1 : 4;
	if (!strcmp(n, "buf"))
		return (long)"data";
	if (!strcmp(n, "fmt"))
		return (long)"x";
	if (!strcmp(n, "iov")) {
		c->iov = (struct iovec){ (void *)"data", 4 };
		return (long)&c->iov;
	}
	if (!strcmp(n, "cnt") || !strcmp(n, "len"))
		return !strcmp(n, "cnt") ? 1 : 4;
	if (!strcmp(n, "inoff") && !strcmp(sym, "splice"))
		return 0; /* a pipe has no offset */
	if (p->ptr && (!strcmp(n, "off") || has(n, "off")))
		return (long)&c->off;
	if (!strcmp(n, "cb") || (!strcmp(n, "list") && has(t, "aiocb"))) {
		c->cb = (struct aiocb){ .aio_fildes = fd_rw(c), .aio_buf = (void *)"data",
					.aio_nbytes = 4, .aio_lio_opcode = LIO_WRITE };
		c->cbs[0] = &c->cb;
		return !strcmp(n, "cb") ? (long)&c->cb : (long)c->cbs;
	}
	if (!strcmp(n, "msg") || !strcmp(n, "vec")) {
		c->iov = (struct iovec){ c->scratch, 16 };
		c->msg = (struct msghdr){ .msg_iov = &c->iov, .msg_iovlen = 1 };
		c->mmsg.msg_hdr = c->msg;
		return !strcmp(n, "msg") ? (long)&c->msg : (long)&c->mmsg;
	}
	if (!strcmp(n, "t"))
		return (long)c->times; /* zeros: the epoch, explicit times */
	if (!strcmp(n, "fa")) {
		posix_spawn_file_actions_init(&c->fa);
		posix_spawn_file_actions_addopen(&c->fa, 3, "b", O_WRONLY, 0);
		return (long)&c->fa;
	}
	if (!strcmp(n, "pid"))
		return (long)&c->pid;
	if (!strcmp(n, "argv")) {
		c->argv[0] = (char *)"true";
		return (long)c->argv;
	}
	if (!strcmp(n, "envp"))
		return (long)c->envp;
	if (!strcmp(n, "f")) {
		c->f = fopen("/dev/null", "r");
		return (long)c->f;
	}
	if (!strcmp(n, "mode"))
		return has(t, "char") ? (long)"r+" : has(sym, "access") ? W_OK :
		       has(sym, "lio_") ? LIO_WAIT : 0600;
	if (!strcmp(n, "flags")) {
		if (has(sym, "mmap"))
			return MAP_SHARED;
		if (has(sym, "recv"))
			return MSG_DONTWAIT;
		return has(sym, "open") && !has(sym, "fopen") ? O_WRONLY : 0;
	}
	if (!strcmp(n, "prot"))
		return PROT_READ | PROT_WRITE;
	if (!strcmp(n, "uid"))
		return (long)getuid();
	if (!strcmp(n, "gid"))
		return (long)getgid();
	if (!strcmp(n, "ver"))
		return 1; /* _STAT_VER_LINUX */
	if (!strcmp(n, "mask"))
		return STATX_BASIC_STATS;
	if (!strcmp(n, "dirfd") || !strcmp(n, "olddir") || !strcmp(n, "newdir"))
		return AT_FDCWD;
	if (!strcmp(n, "mountfd"))
		return c->dir;
	if (!strcmp(n, "in"))
		return !strcmp(sym, "splice") ? c->pipe : c->src;
	if (!strcmp(n, "out"))
		return fd_rw(c);
	if (!strcmp(n, "fd")) {
		if (has(sym, "file_actions"))
			return 3;
		if (has(sym, "recv"))
			return c->sock;
		return needs_rw(sym) ? fd_rw(c) : c->ro;
	}
	if (!strcmp(n, "ap"))
		return (long)c->scratch; /* a va_list as passed; "x" reads none */
	return p->ptr ? (long)c->scratch : 0; /* attr, sev, addr, timeout... */
}

static void ctx_open(struct ctx *c)
{
	int sv[2], pp[2];

	memset(c, 0, sizeof *c);
	c->rw = -1;
	c->ro = open("b", O_RDONLY | O_CLOEXEC);
	c->src = open("src", O_RDONLY | O_CLOEXEC);
	c->dir = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0) {
		c->sock = sv[0];
		(void)send(sv[1], "m", 1, 0);
	}
	if (pipe(pp) == 0) {
		c->pipe = pp[0];
		(void)!write(pp[1], "pipe", 4);
	}
}

typedef long gen_fn(long, ...);

/* What the child reports through shared memory. */
struct res {
	int done;
	int due; /* the child opened b for writing (or posix_spawn will): a break is due */
	int err;
	long r;
};

/* The call, in the child. ARG: the parameter that gets the bad page (or the
 * variadic one, REQ its request). */
__attribute__((no_sanitize("undefined")))
static void call(const struct row *row, void *fn, int arg, const struct vcase *v,
		 void *bad, struct res *res)
{
	struct param p[MAXP];
	struct ctx c;
	long a[MAXP] = { 0 };
	int np = parse(row->params, p);

	ctx_open(&c);
	for (int i = 0; i < np; i++)
		a[i] = arg_value(&c, row->sym, &p[i]);
	for (int i = 0; v && i < np; i++) {
		if (!strcmp(p[i].name, v->param))
			a[i] = v->val;
		if (!strcmp(p[i].name, "dirfd") && !strcmp(v->param, "flags"))
			a[i] = c.ro;
	}
	a[arg] = (long)bad;
	res->due = c.rw >= 0 || !strcmp(p[0].name, "pid");
	alarm(10);
	errno = 0;
	res->r = ((gen_fn *)fn)(a[0], a[1], a[2], a[3], a[4], a[5]);
	res->err = errno;
	if (!strcmp(row->ret, "int"))
		res->r = (int)res->r; /* the upper half of the register is not the callee's */
	res->done = 1;
}

static void outcome(const struct row *row, const struct res *res, int status,
		    char *out, size_t n)
{
	const char *e = strerrorname_np(res->err);

	if (WIFSIGNALED(status)) {
		snprintf(out, n, "SIG%s", sigabbrev_np(WTERMSIG(status)));
		return;
	}
	if (!res->done) {
		snprintf(out, n, "exit %d", WEXITSTATUS(status));
		return;
	}
	if (!strcmp(row->ret, "void")) {
		snprintf(out, n, "returned");
		return;
	}
	if (strchr(row->ret, '*')) {
		bool ok = res->r != 0 && res->r != -1;
		snprintf(out, n, ok ? "ok" : "NULL %s", e ? e : "0");
		return;
	}
	snprintf(out, n, "%ld", res->r);
	if (res->r == -1)
		snprintf(out + strlen(out), n - strlen(out), " %s", e ? e : "0");
}

/* ---- the files, made with raw calls: the parent may run under the shim */

static const char seed[] = "line one\nline two\nthird line\n";

static void make_file(const char *name)
{
	struct timespec ts[2] = { { 1000000000, 0 }, { 981173106, 123456789 } };
	int fd = (int)syscall(SYS_openat, AT_FDCWD, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);

	if (fd < 0 || syscall(SYS_write, fd, seed, sizeof seed - 1) < 0 ||
	    syscall(SYS_fsetxattr, fd, "user.test", "seeded", 6, 0) < 0 ||
	    syscall(SYS_utimensat, fd, NULL, ts, 0) < 0) {
		perror(name);
		exit(2);
	}
	syscall(SYS_close, fd);
}

static void setup(bool cow)
{
	const char *names[] = { "a", "b", "c" };

	for (size_t i = 0; i < 3; i++)
		syscall(SYS_unlinkat, AT_FDCWD, names[i], 0);
	if (!cow) {
		make_file("b");
		return;
	}
	make_file("a");
	int e = cowlink_link("a", "b", COWLINK_REFLINK_NEVER, NULL);
	if (e < 0) {
		fprintf(stderr, "cowlink_link: %s\n", strerror(-e));
		exit(2);
	}
}

/* What must not change of NAME: content, mode, owner, size, mtime, inode and
 * the user xattr -- raw, without the shim's presentation, but the mode as
 * stat presents it: a set split by a due break leaves "a" its last name, an
 * ordinary file again with its recorded write bits back. */
static void raw_state(const char *name, char *out, size_t n)
{
	struct statx sx = { 0 };
	struct stat st = { 0 };
	char val[64] = "", data[256] = "";
	long got;
	int fd;

	syscall(SYS_statx, AT_FDCWD, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx);
	(void)lstat(name, &st);
	got = syscall(SYS_getxattr, name, "user.test", val, sizeof val - 1);
	fd = (int)syscall(SYS_openat, AT_FDCWD, name, O_RDONLY | O_CLOEXEC, 0);
	if (fd >= 0) {
		(void)syscall(SYS_read, fd, data, sizeof data - 1);
		syscall(SYS_close, fd);
	}
	snprintf(out, n, "%o %u %u %llu %lld.%u %llu [%.*s] [%s]", st.st_mode, sx.stx_uid,
		 sx.stx_gid, (unsigned long long)sx.stx_size, (long long)sx.stx_mtime.tv_sec,
		 sx.stx_mtime.tv_nsec, (unsigned long long)sx.stx_ino,
		 got > 0 ? (int)got : 0, val, data);
}

static unsigned long long ino_of(const char *name)
{
	struct statx sx = { 0 };

	syscall(SYS_statx, AT_FDCWD, name, AT_SYMLINK_NOFOLLOW, STATX_INO, &sx);
	return sx.stx_ino;
}

static int failures;

static void one(const struct row *row, void *fn, int arg, const char *pname,
		const struct vcase *v, bool cow, bool check, void *bad,
		struct res *res)
{
	char before[512], after[512], out[128];
	int status = 0;
	pid_t pid;

	setup(cow && check);
	if (cow && check)
		raw_state("a", before, sizeof before);
	memset(res, 0, sizeof *res);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		call(row, fn, arg, v, bad, res);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	outcome(row, res, status, out, sizeof out);
	printf("%s%s%s arg%d:%s %s %s\n", row->sym, v ? "/" : "", v ? v->what : "",
	       arg + 1, pname, cow ? "cow" : "plain", out);
	if (!check || !cow)
		return;
	raw_state("a", after, sizeof after);
	if (strcmp(before, after) != 0) {
		fprintf(stderr, "%s arg%d:%s: a changed: [%s] -> [%s]\n", row->sym,
			arg + 1, pname, before, after);
		failures++;
	}
	if (res->done && !res->due && res->r == -1 && ino_of("a") != ino_of("b")) {
		fprintf(stderr, "%s arg%d:%s: failed (%s) and split the set\n",
			row->sym, arg + 1, pname, out);
		failures++;
	}
}

int main(int argc, char **argv)
{
	bool check = argc > 1 && !strcmp(argv[1], "--check");
	struct rlimit nocore = { 0, 0 };
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct res *res = mmap(NULL, sizeof *res, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int cases = 0;

	if (!libc || bad == MAP_FAILED || res == MAP_FAILED) {
		fputs("badptr: setup failed\n", stderr);
		return 2;
	}
	setrlimit(RLIMIT_CORE, &nocore);
	make_file("src");
	for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
		const struct row *row = &rows[r];
		struct param p[MAXP];
		int np = parse(row->params, p);
		void *fn = dlsym(RTLD_DEFAULT, row->sym);

		if (!dlsym(libc, row->sym) || !fn) {
			printf("%s absent\n", row->sym);
			continue;
		}
		for (int cow = 1; cow >= 0; cow--) {
			for (int i = 0; i < np; i++) {
				if (!p[i].ptr)
					continue;
				one(row, fn, i, p[i].name, NULL, cow, check, bad, res);
				cases++;
			}
			for (size_t k = 0; k < sizeof vcases / sizeof vcases[0]; k++) {
				const struct vcase *v = &vcases[k];

				if (strcmp(v->sym, row->sym) != 0)
					continue;
				for (int i = 0; i < np; i++) {
					if (v->dots ? !p[i].dots : !p[i].ptr)
						continue;
					one(row, fn, i, p[i].name, v, cow, check, bad, res);
					cases++;
				}
			}
		}
	}
	fprintf(stderr, "badptr: %d cases\n", cases);
	return failures ? 1 : 0;
}
#endif
