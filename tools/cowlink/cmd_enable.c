/* SPDX-License-Identifier: MIT */
/* cowlink enable --system / disable --system: the machine-wide mode, the
 * shim in /etc/ld.so.preload, so that every dynamically linked program on
 * the machine loads it (docs/DESIGN.md §6). An entry there that does not
 * load stops every program, so enable first makes sure the library is
 * root's alone (a library anyone can replace, loaded into every root
 * process, is a root hole) and that a test program runs with it preloaded;
 * the file is rewritten whole (a temporary file in /etc, fsync, rename),
 * keeping every other entry; disable takes out only ours. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cowlink.h"
#include "cowlink-tools.h"

#include "util.h"

#define PRELOAD_FILE "/etc/ld.so.preload"
#define PRELOAD_DIR "/etc"
#define PRELOAD_MAX (1 << 20)
#define TEST_LOAD_SECONDS 10

/* What the loader takes apart /etc/ld.so.preload by (glibc's rtld: white
 * space and ':'; '#' starts a comment to the end of the line). */
static bool sep(char ch)
{
	return ch == ' ' || ch == '\t' || ch == ':' || ch == '\n' || ch == '\r';
}

/* Is the entry [P, P+LEN) ours: LIB itself, or a libcowlink.so by its
 * base name (another build, an older install)? */
static bool ours(const char *p, size_t len, const char *lib)
{
	const char *base = p;

	if (lib && strlen(lib) == len && !memcmp(p, lib, len))
		return true;
	for (size_t i = 0; i < len; i++)
		if (p[i] == '/')
			base = p + i + 1;
	len -= (size_t)(base - p);
	return len >= 13 && !memcmp(base, "libcowlink.so", 13);
}

/* The file's text (NUL-terminated, *LEN bytes) or NULL with *ERR: -ENOENT
 * for none (not an error to the callers), -ELOOP for a symlink (we would
 * replace the link, not its target: refused), -EFBIG past PRELOAD_MAX. */
static char *read_preload(size_t *len, struct stat *st, int *err)
{
	char *text;
	ssize_t n;
	int fd;

	*len = 0;
	fd = open(PRELOAD_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	*err = fstat(fd, st) < 0 ? -errno : !S_ISREG(st->st_mode) ? -EINVAL :
	       st->st_size >= PRELOAD_MAX ? -EFBIG : 0;
	if (*err) {
		close(fd);
		return NULL;
	}
	text = xmalloc((size_t)st->st_size + 1);
	while ((n = read(fd, text + *len, (size_t)st->st_size - *len)) > 0)
		*len += (size_t)n;
	if (n < 0) {
		*err = -errno;
		free(text);
		close(fd);
		return NULL;
	}
	text[*len] = '\0';
	close(fd);
	*err = 0;
	return text;
}

/* The next entry of TEXT (LEN bytes) from *I on: its start, its length in
 * *N, *I past it; NULL at the end. Comments are skipped. */
static const char *next_entry(const char *text, size_t len, size_t *i, size_t *n)
{
	size_t j;

	while (*i < len) {
		if (text[*i] == '#') {
			while (*i < len && text[*i] != '\n')
				(*i)++;
		} else if (sep(text[*i])) {
			(*i)++;
		} else {
			for (j = *i; j < len && !sep(text[j]) && text[j] != '#'; j++)
				;
			*n = j - *i;
			*i = j;
			return text + j - *n;
		}
	}
	return NULL;
}

int system_mode_entry(char *out, size_t n)
{
	const char *e;
	struct stat st;
	size_t len, i = 0, elen;
	int err;
	char *text = read_preload(&len, &st, &err);

	if (!text)
		return err == -ENOENT ? 0 : err;
	while ((e = next_entry(text, len, &i, &elen)))
		if (ours(e, elen, NULL)) {
			snprintf(out, n, "%.*s", (int)elen, e);
			free(text);
			return 1;
		}
	free(text);
	return 0;
}

/* Does TEXT name LIB itself? */
static bool has_entry(const char *text, size_t len, const char *lib)
{
	const char *e;
	size_t i = 0, elen;

	while ((e = next_entry(text, len, &i, &elen)))
		if (elen == strlen(lib) && !memcmp(e, lib, elen))
			return true;
	return false;
}

/* Is LIB the first entry of TEXT? */
static bool first_entry(const char *text, size_t len, const char *lib)
{
	size_t i = 0, elen;
	const char *e = text ? next_entry(text, len, &i, &elen) : NULL;

	return e && elen == strlen(lib) && !memcmp(e, lib, elen);
}

/* TEXT (LEN bytes) without our entries (LIB, or any libcowlink.so), into a
 * new string; *GONE counts what was taken out, *KEPT what other entries are
 * left. A line with none of ours is kept byte for byte; one with ours is
 * written again with its other entries separated by spaces, and its
 * comment; one left with neither goes. */
static char *strip_ours(const char *text, size_t len, const char *lib, size_t *gone,
			size_t *kept)
{
	char *out = xmalloc(len + 2), *o = out;
	const char *line = text, *end = text + len, *nl, *hash, *p, *q;

	*gone = *kept = 0;
	for (; line < end; line = nl + 1) {
		size_t here_ours = 0, here_kept = 0;

		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end;
		hash = memchr(line, '#', (size_t)(nl - line));
		if (!hash)
			hash = nl;
		for (p = line; p < hash; p = q) {
			while (p < hash && sep(*p))
				p++;
			for (q = p; q < hash && !sep(*q); q++)
				;
			if (q > p && ours(p, (size_t)(q - p), lib))
				here_ours++;
			else if (q > p)
				here_kept++;
		}
		*gone += here_ours;
		*kept += here_kept;
		if (!here_ours) {
			memcpy(o, line, (size_t)(nl - line));
			o += nl - line;
			if (nl < end)
				*o++ = '\n';
			continue;
		}
		for (p = line; p < hash; p = q) {
			while (p < hash && sep(*p))
				p++;
			for (q = p; q < hash && !sep(*q); q++)
				;
			if (q > p && !ours(p, (size_t)(q - p), lib)) {
				if (o > out && o[-1] != '\n')
					*o++ = ' ';
				memcpy(o, p, (size_t)(q - p));
				o += q - p;
			}
		}
		if (hash < nl) {
			if (o > out && o[-1] != '\n')
				*o++ = ' ';
			memcpy(o, hash, (size_t)(nl - hash));
			o += nl - hash;
		}
		if (o > out && o[-1] != '\n')
			*o++ = '\n';
	}
	*o = '\0';
	return out;
}

static bool only_blank(const char *s)
{
	for (; *s; s++)
		if (!sep(*s) || *s == ':')
			return false;
	return true;
}

/* Replace /etc/ld.so.preload by TEXT, or remove it when TEXT is NULL:
 * a temporary file in /etc, fsync, rename over it, fsync of /etc, so that
 * a crash leaves the old file or the new one, never half of one. 0 or
 * -errno (said). */
static int write_preload(const char *text)
{
	char tmp[] = PRELOAD_DIR "/.ld.so.preload.cowlink-XXXXXX";
	size_t len, off = 0;
	ssize_t n;
	int fd, dfd, e = 0;

	if (!text) {
		if (unlink(PRELOAD_FILE) < 0 && errno != ENOENT) {
			e = -errno;
			errmsg(e, "cannot remove %s", PRELOAD_FILE);
			return e;
		}
		goto sync_dir;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		e = -errno;
		errmsg(e, "cannot write in %s%s", PRELOAD_DIR,
		       e == -EACCES || e == -EPERM ? " (the machine-wide mode is root's)" : "");
		return e;
	}
	len = strlen(text);
	if (fchmod(fd, 0644) < 0)
		e = -errno;
	while (!e && off < len) {
		n = write(fd, text + off, len - off);
		if (n < 0 && errno != EINTR)
			e = -errno;
		else if (n > 0)
			off += (size_t)n;
	}
	if (!e && fsync(fd) < 0)
		e = -errno;
	if (close(fd) < 0 && !e)
		e = -errno;
	if (!e && rename(tmp, PRELOAD_FILE) < 0)
		e = -errno;
	if (e) {
		errmsg(e, "cannot write %s (left as it was)", PRELOAD_FILE);
		unlink(tmp);
		return e;
	}
sync_dir:
	dfd = open(PRELOAD_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

/* Is PATH's file, and every directory above it, root's alone? A directory
 * others may write must be sticky (they cannot then replace root's
 * entries). 0, or -1 after saying what is wrong. */
static int root_only(const char *path)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	if (stat(path, &st) < 0) {
		errmsg(errno, "%s", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		warnmsg("%s: not a regular file", path);
		return -1;
	}
	if (st.st_uid != 0 || (st.st_mode & 022)) {
		warnmsg("%s: must be owned by root and writable by root alone (it "
			"would be loaded into every root process): it is owned by uid %u, "
			"mode %04o", path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	snprintf(dir, sizeof dir, "%s", path);
	while ((slash = strrchr(dir, '/'))) {
		slash[slash == dir ? 1 : 0] = '\0';
		if (stat(dir, &st) < 0) {
			errmsg(errno, "%s", dir);
			return -1;
		}
		if (st.st_uid != 0 || ((st.st_mode & 022) && !(st.st_mode & S_ISVTX))) {
			warnmsg("%s: the directory %s is not root's alone (owner uid %u, mode "
				"%04o): someone else could replace the library", path, dir,
				(unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
			return -1;
		}
		if (slash == dir)
			break;
	}
	return 0;
}

/* Run a test program with LIB preloaded (NULL: nothing but what
 * /etc/ld.so.preload names), in a clean environment: it must exit 0 and
 * say nothing on stderr (the loader's "cannot be preloaded" goes there, and
 * so would any line of the shim's). 0, or -1 said, with LIB, or WHAT when
 * LIB is NULL. */
static int test_load(const char *lib, const char *what)
{
	static const char *const progs[] = { "/bin/true", "/usr/bin/true" };
	char env0[PATH_MAX + 16], said[512];
	char *envp[] = { env0, (char *)"PATH=/usr/bin:/bin", NULL };
	const char *who = lib ? lib : what;
	const char *prog = NULL;
	size_t got = 0;
	time_t until;
	int pfd[2], status, nul;
	pid_t pid;

	for (size_t i = 0; i < sizeof progs / sizeof progs[0] && !prog; i++)
		if (access(progs[i], X_OK) == 0)
			prog = progs[i];
	if (!prog) {
		warnmsg("no test program (/bin/true) to load %s into: refused", who);
		return -1;
	}
	if (lib)
		snprintf(env0, sizeof env0, "LD_PRELOAD=%s", lib);
	else
		envp[0] = envp[1], envp[1] = NULL;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		die(errno, "pipe");
	pid = fork();
	if (pid < 0)
		die(errno, "fork");
	if (pid == 0) {
		nul = open("/dev/null", O_RDWR);
		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
		}
		dup2(pfd[1], 2);
		execve(prog, (char *[]){ (char *)"true", NULL }, envp);
		_exit(127);
	}
	close(pfd[1]);
	until = time(NULL) + TEST_LOAD_SECONDS;
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		char buf[256];
		ssize_t n;
		int left = (int)(until - time(NULL));

		if (left <= 0 || poll(&p, 1, left * 1000) == 0) {
			kill(pid, SIGKILL);
			break;
		}
		n = read(pfd[0], buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (got < sizeof said - 1) {
			size_t k = (size_t)n < sizeof said - 1 - got ? (size_t)n : sizeof said - 1 - got;

			memcpy(said + got, buf, k);
			got += k;
		}
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die(errno, "waitpid");
	said[got] = '\0';
	while (got && said[got - 1] == '\n')
		said[--got] = '\0';
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !got)
		return 0;
	if (WIFSIGNALED(status))
		warnmsg("%s: %s with it preloaded was killed by signal %d%s", who, prog,
			WTERMSIG(status),
			WTERMSIG(status) == SIGKILL ? " (it did not end within 10 s)" : "");
	else
		warnmsg("%s: %s with it preloaded %s%s%s", who, prog,
			WEXITSTATUS(status) ? "failed" : "said on stderr",
			got ? ": " : "", got ? said : "");
	return -1;
}

/* Is LIB a path the loader reads as one entry? */
static int plain_path(const char *lib)
{
	if (lib[0] != '/') {
		warnmsg("enable: --library %s: give an absolute path", lib);
		return -1;
	}
	for (const char *p = lib; *p; p++)
		if (sep(*p) || *p == '#') {
			warnmsg("enable: --library %s: the loader would split the path at "
				"a space, ':' or '#'", lib);
			return -1;
		}
	if (strlen(lib) >= PATH_MAX) {
		warnmsg("enable: --library: the path is too long");
		return -1;
	}
	return 0;
}

/* What /etc/cowlink.conf will give every program (said, not refused: the
 * shim ignores a file it does not trust, and the mode works without it). */
static void say_conf(void)
{
	struct cl_conf c;
	char why[128];
	unsigned line;
	int e = cl_conf_read(CL_CONF_PATH, &c, &line);

	if (e < 0 && e != -ENOENT)
		warnmsg("%s: %s: the shim ignores the whole file", CL_CONF_PATH,
			cl_conf_why(e, line, why, sizeof why));
}

struct sys_opts {
	const char *library;
	bool system;
};

static int sys_options(int argc, char **argv, const char *sub, struct sys_opts *o,
		       void (*help_fn)(void))
{
	const struct flag flags[] = {
		{ "system", 0, &o->system, true, NULL },
		{ "library", 0, NULL, false, &o->library },
		{ "help", 'h', NULL, false, NULL },
		{ NULL, 0, NULL, false, NULL },
	};
	const struct cmd_flags cmd = { sub, flags, help_fn, NULL, 0 };
	int rc;

	memset(o, 0, sizeof *o);
	rc = parse_flags(argc, argv, &cmd);
	if (rc >= 0)
		return rc;
	if (optind < argc) {
		warnmsg("%s: unexpected argument '%s'", sub, argv[optind]);
		return usage_error(sub);
	}
	if (!o->system) {
		warnmsg("%s: only the machine-wide mode is switched on and off (--system); "
			"for a session use 'cowlink shell', for one command 'cowlink run'", sub);
		return usage_error(sub);
	}
	return -1;
}

static void enable_help(void)
{
	printf("Usage: cowlink enable --system [--library PATH]\n"
	       "Turn the machine-wide mode on: put libcowlink.so in /etc/ld.so.preload, so\n"
	       "that every dynamically linked program started from now on loads it: root's,\n"
	       "cron's, daemons', set-ID programs'. Their settings come from\n"
	       "/etc/cowlink.conf (libcowlink(7)). Static programs are not covered: see\n"
	       "'cowlink audit', and 'cowlink run' for them.\n\n"
	       "A broken entry in /etc/ld.so.preload stops every program on the machine, so\n"
	       "the library must be owned by root and writable by root alone (and so must\n"
	       "every directory above it), and /bin/true must run with it preloaded and\n"
	       "say nothing; otherwise nothing is changed. The file is replaced atomically;\n"
	       "its other entries are kept. Enabling twice keeps one entry.\n\n"
	       "      --system        the machine-wide mode (the only one)\n"
	       "      --library PATH  another build of the shim (absolute; default: the\n"
	       "                      installed one)\n"
	       "  -h, --help          this text\n\n"
	       "Exit status: 0, 1 when the library was refused or the file could not be\n"
	       "written (nothing changed), 2 for a bad usage.\n");
}

static void disable_help(void)
{
	printf("Usage: cowlink disable --system [--library PATH]\n"
	       "Turn the machine-wide mode off: take libcowlink.so out of\n"
	       "/etc/ld.so.preload (every entry whose base name is libcowlink.so*, and PATH\n"
	       "if given), keeping the others; the file is removed when nothing else is\n"
	       "left in it. Programs started from now on run without the shim; running\n"
	       "ones keep it.\n\n"
	       "      --system        the machine-wide mode (the only one)\n"
	       "      --library PATH  take this entry out too, whatever its name\n"
	       "  -h, --help          this text\n\n"
	       "Exit status: 0 (also when the mode was not on), 1 when the file could not\n"
	       "be written, 2 for a bad usage.\n");
}

int cmd_enable(int argc, char **argv)
{
	char lib[PATH_MAX], *text, *rest, *next;
	size_t len, gone, kept, rlen;
	struct sys_opts o;
	struct stat st;
	int r = sys_options(argc, argv, "enable", &o, enable_help), e;

	if (r >= 0)
		return r;
	if (o.library)
		snprintf(lib, sizeof lib, "%s", o.library);
	else if (!find_shim(lib, sizeof lib)) {
		warnmsg("enable: libcowlink.so not found; give it with --library PATH");
		return 1;
	}
	if (plain_path(o.library ? o.library : lib) < 0)
		return o.library ? 2 : 1;
	text = read_preload(&len, &st, &e);
	if (!text && e != -ENOENT) {
		errmsg(e, "enable: %s%s", PRELOAD_FILE,
		       e == -ELOOP ? " is a symlink: edit it by hand" : "");
		return 1;
	}
	if (root_only(lib) < 0 || test_load(lib, NULL) < 0) {
		warnmsg("enable: refused; %s left as it was", PRELOAD_FILE);
		free(text);
		return 1;
	}
	/* Other builds of the shim go: two would wrap every call twice. Ours
	 * comes first: the loader binds a symbol to the first object that
	 * defines it, so a library before ours that defines open or write
	 * (libc itself) would leave the wrappers out. */
	rest = strip_ours(text ? text : "", len, lib, &gone, &kept);
	if (gone == 1 && first_entry(text, len, lib)) {
		printf("machine-wide mode already on: %s names %s\n", PRELOAD_FILE, lib);
		say_conf();
		free(rest);
		free(text);
		return 0;
	}
	if (gone && text && has_entry(text, len, lib))
		gone--; /* the others, for the message */
	rlen = strlen(rest);
	next = xmalloc(rlen + strlen(lib) + 2);
	snprintf(next, rlen + strlen(lib) + 2, "%s\n%s", lib, rest);
	e = write_preload(next);
	free(next);
	free(rest);
	/* The library loaded above, with the old file; now the new file
	 * alone, as every program will read it. glibc (2.36) honours only the
	 * first '#' comment of the file and reads the words of a later one
	 * as names: the pre-check saw such a file, but a rewrite must not
	 * make one. Where it fails, the old file comes back. */
	if (!e && test_load(NULL, "the new " PRELOAD_FILE) < 0) {
		e = write_preload(text);
		warnmsg("enable: refused; %s %s", PRELOAD_FILE,
			e ? "could NOT be put back: fix it by hand now" : "put back as it was");
		free(text);
		return 1;
	}
	free(text);
	if (e)
		return 1;
	printf("machine-wide mode on: %s names %s; programs started from now on load "
	       "it (running ones do not)\n", PRELOAD_FILE, lib);
	if (gone)
		printf("replaced: %zu other libcowlink.so %s\n", gone, plural(gone, "entry", "entries"));
	say_conf();
	return 0;
}

int cmd_disable(int argc, char **argv)
{
	char *text, *rest;
	size_t len, gone, kept;
	struct sys_opts o;
	struct stat st;
	int r = sys_options(argc, argv, "disable", &o, disable_help), e;

	if (r >= 0)
		return r;
	text = read_preload(&len, &st, &e);
	if (!text) {
		if (e == -ENOENT) {
			printf("machine-wide mode not on: there is no %s\n", PRELOAD_FILE);
			return 0;
		}
		errmsg(e, "disable: %s%s", PRELOAD_FILE,
		       e == -ELOOP ? " is a symlink: edit it by hand" : "");
		return 1;
	}
	rest = strip_ours(text, len, o.library, &gone, &kept);
	free(text);
	if (!gone) {
		printf("machine-wide mode not on: %s names no libcowlink.so\n", PRELOAD_FILE);
		free(rest);
		return 0;
	}
	e = write_preload(only_blank(rest) ? NULL : rest);
	free(rest);
	if (e)
		return 1;
	/* Taking entries out cannot make the loader's reading worse; say it
	 * if the file is still not clean (its other entries, its comments). */
	if (test_load(NULL, PRELOAD_FILE) < 0)
		warnmsg("disable: the loader still complains of what is left in %s", PRELOAD_FILE);
	printf("machine-wide mode off: %zu %s taken out of %s%s; programs started from "
	       "now on run without the shim (running ones keep it)\n", gone,
	       plural(gone, "entry", "entries"), PRELOAD_FILE,
	       kept ? "" : ", which had nothing else and is removed");
	return 0;
}
