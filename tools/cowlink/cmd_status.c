/* SPDX-License-Identifier: MIT */
/* cowlink status: what each path shares (cowlink set, orphaned mark,
 * unmarked hard links, reflinked extents), its recorded write bits, and the
 * processes that hold a shared inode open — those keep the old data after a
 * break (docs/DESIGN.md §8). With -r, a summary of each directory tree. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cowlink.h"
#include "cowlink-tools.h"
#include "util.h"

struct status_ctx {
	bool json;
	bool scanned;
	struct cl_holder *holders;
	ssize_t nholders;
	int rc;
	/* -r: the tree being summarised */
	bool first_entry;
	uint64_t files, plain, shared, orphan, unmarked, reflinked, malformed,
		unprotected, dirs, errors;
	uint64_t orphan_ro;   /* orphans without write bits (fsck --orphans's) */
	struct inoset sets;
};

static const char *kind_name(const struct cowlink_status *s)
{
	switch (s->kind) {
	case COWLINK_SHARED:
		return "shared";
	case COWLINK_ORPHAN:
		return "orphan";
	case COWLINK_UNMARKED:
		return "unmarked";
	default:
		return s->reflinked == 1 ? "reflinked" : "plain";
	}
}

static const char *type_name(mode_t m)
{
	if (S_ISREG(m))
		return "file";
	if (S_ISDIR(m))
		return "directory";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "device";
	if (S_ISFIFO(m))
		return "fifo";
	if (S_ISSOCK(m))
		return "socket";
	return "other";
}

/* The holders of DEV/INO, from one scan of /proc per run. */
static size_t find_holders(struct status_ctx *c, uint64_t dev, uint64_t ino,
			   const struct cl_holder **first)
{
	ssize_t lo = 0, hi, i;

	if (!c->scanned) {
		c->scanned = true;
		c->nholders = cl_holders_scan(&c->holders);
		if (c->nholders < 0) {
			errmsg((int)c->nholders, "cannot scan /proc for open files");
			c->nholders = 0;
		}
	}
	hi = c->nholders;
	while (lo < hi) { /* first entry >= dev/ino */
		ssize_t mid = (lo + hi) / 2;
		const struct cl_holder *h = &c->holders[mid];

		if (h->dev < dev || (h->dev == dev && h->ino < ino))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < c->nholders && c->holders[i].dev == dev && c->holders[i].ino == ino; i++)
		;
	*first = c->holders + lo;
	return (size_t)(i - lo);
}

static void print_text(struct status_ctx *c, const char *path, const struct cowlink_status *s)
{
	const struct cl_holder *h;
	char comm[64];
	size_t n, i;

	printf("%s: ", path);
	switch (s->kind) {
	case COWLINK_SHARED:
		printf("cowlink (%llu names), mode %04o", (unsigned long long)s->names,
		       (unsigned)(s->mode & 07777));
		if (!s->record_ok)
			printf(", malformed record (treated as a cowlink; cowlink fsck rewrites it)");
		else if (s->recorded && s->protected_)
			printf(", recorded +%04o, protected", (unsigned)s->recorded);
		else if (s->recorded)
			printf(", recorded +%04o, NOT protected (made writable without the shim; cowlink fsck re-protects)",
			       (unsigned)s->recorded);
		else
			printf(", not protected (--no-protect)");
		break;
	case COWLINK_ORPHAN:
		printf("orphaned mark (1 name), mode %04o, recorded +%04o: unshared on the next write, or by cowlink fsck",
		       (unsigned)(s->mode & 07777), (unsigned)s->recorded);
		break;
	case COWLINK_UNMARKED:
		printf("%llu hard links, not marked (cowlinks only under COWLINK_TREES)",
		       (unsigned long long)s->names);
		if (!(s->mode & 0222))
			printf(", no write bits: a set restored without its xattrs? "
			       "'cowlink fsck --adopt' makes it one");
		break;
	default:
		if (!S_ISREG(s->mode))
			printf("not a regular file (%s)", type_name(s->mode));
		else if (s->reflinked == 1)
			printf("reflinked copy (shares extents, independent already)");
		else
			printf("plain file");
		break;
	}
	if (s->kind != COWLINK_PLAIN && s->reflinked == 1)
		printf(", extents shared");
	putchar('\n');
	if (s->kind == COWLINK_PLAIN)
		return;
	n = find_holders(c, s->dev, s->ino, &h);
	if (!n)
		return;
	printf("  open by:");
	for (i = 0; i < n; i++)
		printf("%s %d (%s)", i ? "," : "", (int)h[i].pid, proc_comm(h[i].pid, comm, sizeof comm));
	printf(" — they keep the shared data after a break\n");
}

static void print_json(struct status_ctx *c, const char *path, const struct cowlink_status *s)
{
	const struct cl_holder *h = NULL;
	char comm[64];
	size_t n = 0, i;

	printf("{\"path\":");
	json_str(stdout, path);
	printf(",\"type\":\"%s\",\"kind\":\"%s\",\"names\":%llu,\"dev\":%llu,\"ino\":%llu,"
	       "\"mode\":\"%04o\",\"recorded\":\"%04o\",\"protected\":%s,\"record_ok\":%s,\"reflinked\":%s",
	       type_name(s->mode), kind_name(s), (unsigned long long)s->names,
	       (unsigned long long)s->dev, (unsigned long long)s->ino,
	       (unsigned)(s->mode & 07777), (unsigned)s->recorded,
	       s->protected_ ? "true" : "false", s->record_ok ? "true" : "false",
	       s->reflinked < 0 ? "null" : s->reflinked ? "true" : "false");
	if (s->kind != COWLINK_PLAIN)
		n = find_holders(c, s->dev, s->ino, &h);
	printf(",\"holders\":[");
	for (i = 0; i < n; i++) {
		printf("%s{\"pid\":%d,\"comm\":", i ? "," : "", (int)h[i].pid);
		json_str(stdout, proc_comm(h[i].pid, comm, sizeof comm));
		putchar('}');
	}
	printf("]}");
}

static void json_error(const char *path, int err)
{
	printf("{\"path\":");
	json_str(stdout, path);
	printf(",\"error\":");
	json_str(stdout, strerror(-err));
	printf("}");
}

/* One regular file met by the tree walk: count it, list it unless plain. */
static int tree_entry(const struct cl_walk_ent *e, void *arg)
{
	struct status_ctx *c = arg;
	struct cowlink_status s;
	int r;

	if (e->err) {
		errmsg(e->err, "%s", e->path);
		c->errors++;
		return 0;
	}
	if (e->post)
		return 0;
	if (S_ISDIR(e->st->st_mode)) {
		c->dirs++;
		return 0;
	}
	if (!S_ISREG(e->st->st_mode))
		return 0;
	c->files++;
	r = cowlink_status(e->path, &s);
	if (r < 0) {
		errmsg(r, "%s", e->path);
		c->errors++;
		return 0;
	}
	switch (s.kind) {
	case COWLINK_SHARED:
		c->shared++;
		inoset_add(&c->sets, s.dev, s.ino);
		if (!s.record_ok)
			c->malformed++;
		else if (s.recorded && !s.protected_)
			c->unprotected++;
		break;
	case COWLINK_ORPHAN:
		c->orphan++;
		if (!(e->st->st_mode & 0222))
			c->orphan_ro++;
		break;
	case COWLINK_UNMARKED:
		c->unmarked++;
		break;
	default:
		if (s.reflinked == 1)
			c->reflinked++;
		else
			c->plain++;
		return 0;
	}
	if (c->json) {
		if (!c->first_entry)
			putchar(',');
		c->first_entry = false;
		print_json(c, e->path, &s);
	} else {
		print_text(c, e->path, &s);
	}
	return 0;
}

static void status_tree(struct status_ctx *c, const char *dir)
{
	c->files = c->plain = c->shared = c->orphan = c->unmarked = 0;
	c->reflinked = c->malformed = c->unprotected = c->dirs = c->errors = 0;
	c->orphan_ro = 0;
	c->first_entry = true;
	if (c->json) {
		printf("{\"path\":");
		json_str(stdout, dir);
		printf(",\"type\":\"directory\",\"entries\":[");
	}
	cl_walk(dir, tree_entry, c);
	if (c->json) {
		printf("],\"summary\":{\"files\":%llu,\"plain\":%llu,\"cowlinks\":%llu,\"sets\":%llu,"
		       "\"orphans\":%llu,\"unmarked\":%llu,\"reflinked\":%llu,\"malformed\":%llu,"
		       "\"unprotected\":%llu,\"directories\":%llu,\"errors\":%llu}}\n",
		       (unsigned long long)c->files, (unsigned long long)c->plain,
		       (unsigned long long)c->shared, (unsigned long long)c->sets.n,
		       (unsigned long long)c->orphan, (unsigned long long)c->unmarked,
		       (unsigned long long)c->reflinked, (unsigned long long)c->malformed,
		       (unsigned long long)c->unprotected, (unsigned long long)c->dirs,
		       (unsigned long long)c->errors);
	} else {
		printf("%s: %llu %s in %llu %s: %llu %s in %llu %s, %llu orphaned %s, "
		       "%llu unmarked hard %s, %llu reflinked, %llu malformed %s, %llu unprotected\n",
		       dir, (unsigned long long)c->files, plural(c->files, "file", "files"),
		       (unsigned long long)c->dirs, plural(c->dirs, "directory", "directories"),
		       (unsigned long long)c->shared, plural(c->shared, "cowlink", "cowlinks"),
		       (unsigned long long)c->sets.n, plural(c->sets.n, "set", "sets"),
		       (unsigned long long)c->orphan, plural(c->orphan, "mark", "marks"),
		       (unsigned long long)c->unmarked, plural(c->unmarked, "link", "links"),
		       (unsigned long long)c->reflinked,
		       (unsigned long long)c->malformed, plural(c->malformed, "record", "records"),
		       (unsigned long long)c->unprotected);
		/* Left by names removed without the shim: say how to get the
		 * write bits back (an unprotected orphan harms nobody). */
		if (c->orphan_ro)
			printf("%s: %llu %s, read-only until unshared: 'cowlink fsck --orphans %s' "
			       "unshares %s\n", dir, (unsigned long long)c->orphan_ro,
			       plural(c->orphan_ro, "orphan", "orphans"), dir,
			       plural(c->orphan_ro, "it", "them"));
	}
	if (c->errors)
		c->rc = 1;
	inoset_free(&c->sets);
}

/* Where libcowlink.so is mapped in process PID (0: this one), into PATH (N
 * bytes): 1 mapped, 0 not, -errno when its maps cannot be read. */
static int shim_mapped(int pid, char *path, size_t n)
{
	char file[64], line[PATH_MAX + 128], *p;
	FILE *f;
	int found = 0;

	if (pid)
		snprintf(file, sizeof file, "/proc/%d/maps", pid);
	else
		snprintf(file, sizeof file, "/proc/self/maps");
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof line, f)) {
		p = strchr(line, '/');
		if (!p || !strstr(p, "/libcowlink.so"))
			continue;
		p[strcspn(p, "\n")] = '\0';
		snprintf(path, n, "%s", p);
		found = 1;
	}
	if (!found && ferror(f))
		found = -EIO;
	fclose(f);
	return found;
}

/* The parent of PID, from /proc/PID/stat (after the command's ")"). */
static int parent_of(int pid)
{
	char file[64], buf[512], *p;
	FILE *f;
	int ppid = 0;

	snprintf(file, sizeof file, "/proc/%d/stat", pid);
	f = fopen(file, "re");
	if (!f)
		return 0;
	if (fgets(buf, sizeof buf, f) && (p = strrchr(buf, ')')))
		if (sscanf(p + 1, " %*c %d", &ppid) != 1)
			ppid = 0;
	fclose(f);
	return ppid;
}

/* The machine-wide mode: our entry in /etc/ld.so.preload, and what
 * /etc/cowlink.conf gives the programs that have no COWLINK_* of their own. */
static void system_status(void)
{
	char lib[PATH_MAX];
	struct cl_conf c;
	char why[128];
	unsigned line;
	int e = system_mode_entry(lib, sizeof lib);

	if (e > 0)
		printf("machine-wide mode: on (%s in /etc/ld.so.preload): every dynamically "
		       "linked program started now loads it\n", lib);
	else if (e == 0)
		printf("machine-wide mode: off (/etc/ld.so.preload names no libcowlink.so)\n");
	else
		printf("machine-wide mode: cannot tell (/etc/ld.so.preload: %s)\n", strerror(-e));
	e = cl_conf_read(CL_CONF_PATH, &c, &line);
	if (e == 0) {
		printf("%s: trees = %s, exclude = %s (for programs whose environment does "
		       "not set them)\n", CL_CONF_PATH, c.trees ? c.trees : "(none)",
		       c.exclude ? c.exclude : "(none)");
	} else if (e != -ENOENT) {
		printf("%s: ignored: %s\n", CL_CONF_PATH, cl_conf_why(e, line, why, sizeof why));
	}
}

/* cowlink status with no PATH: is this session under the shim? This
 * process (it inherited the environment the shell gives its programs) and
 * each ancestor up to the first without the shim, by their memory maps;
 * COWLINK_SHELL marks a shell started by cowlink shell. 0 when this process
 * and its parent (the shell) both have it, else 1. */
static int status_session(void)
{
	const char *pre = getenv("LD_PRELOAD"), *marker = getenv("COWLINK_SHELL");
	const char *trees = getenv("COWLINK_TREES"), *excl = getenv("COWLINK_EXCLUDE");
	char path[PATH_MAX], comm[64];
	int self, pid, m = 0, covered_up = 0, depth;
	bool named = pre && strstr(pre, "libcowlink.so");

	self = shim_mapped(0, path, sizeof path);
	if (self > 0)
		printf("this process: libcowlink.so loaded (%s)\n", path);
	else if (named)
		printf("this process: LD_PRELOAD names libcowlink.so, but the loader did not "
		       "load it (not on the library path? give its full path, or use "
		       "'cowlink shell')\n");
	else
		printf("this process: libcowlink.so not loaded (LD_PRELOAD %s)\n",
		       pre && *pre ? "does not name it" : "is not set");
	if (self > 0 && marker && atoi(marker) == getpid()) {
		/* The shell of cowlink shell exec'ed us (bash -c 'CMD'): this
		 * process is that shell. */
		printf("this process is the shell started by cowlink shell\n");
		covered_up++;
	}
	for (pid = covered_up ? 0 : getppid(), depth = 0; pid > 1 && depth < 64;
	     pid = parent_of(pid), depth++) {
		m = shim_mapped(pid, path, sizeof path);
		printf("parent %d (%s): %s%s\n", pid, proc_comm(pid, comm, sizeof comm),
		       m > 0 ? "libcowlink.so loaded" : m == 0 ? "not under the shim" :
		       "cannot tell (its maps are not readable)",
		       marker && atoi(marker) == pid ? ", started by cowlink shell" : "");
		if (m <= 0)
			break;
		covered_up++;
	}
	system_status();
	if (trees && *trees)
		printf("COWLINK_TREES=%s\n", trees);
	if (excl && *excl)
		printf("COWLINK_EXCLUDE=%s\n", excl);
	if (self > 0 && covered_up > 0) {
		printf("covered: this shell and what it starts run under the shim\n");
		return 0;
	}
	if (self > 0)
		printf("not covered: programs started from here load the shim, but the shell "
		       "itself does not, so its own redirections (echo x >> f) write without "
		       "it; start one with 'cowlink shell'\n");
	else
		printf("not covered: writes from here go straight into shared inodes; start a "
		       "shell with 'cowlink shell'\n");
	return 1;
}

static void help(void)
{
	printf("Usage: cowlink status [-r] [--json] [PATH...]\n"
	       "Show what each PATH shares: a cowlink set (and how many names), an orphaned\n"
	       "mark, unmarked hard links, a reflinked copy; the write bits protection\n"
	       "cleared; and the processes holding a shared inode open. With no PATH:\n"
	       "whether this session (this process and the shell above it) runs under\n"
	       "libcowlink.so.\n\n"
	       "  -r, --recursive  summarise each directory tree, listing what is not plain\n"
	       "      --json       one JSON object per PATH, one per line\n"
	       "  -h, --help       this text\n\n"
	       "Exit status: 0, or 1 when a PATH could not be examined (with no PATH:\n"
	       "when the session is not covered).\n");
}

int cmd_status(int argc, char **argv)
{
	struct status_ctx c = { .rc = 0 };
	bool recursive = false;
	const struct flag flags[] = {
		{ "recursive", 'r', &recursive, true, NULL },
		{ "json", 0, &c.json, true, NULL },
		{ "help", 'h', NULL, false, NULL },
		{ NULL, 0, NULL, false, NULL },
	};
	const struct cmd_flags cmd = { "status", flags, help, NULL, 0 };
	int i, rc = parse_flags(argc, argv, &cmd);

	if (rc >= 0)
		return rc;
	if (optind >= argc)
		return status_session();
	for (i = optind; i < argc; i++) {
		struct cowlink_status s;
		int r = cowlink_status(argv[i], &s);

		if (r < 0) {
			errmsg(r, "%s", argv[i]);
			if (c.json) {
				json_error(argv[i], r);
				putchar('\n');
			}
			c.rc = 1;
			continue;
		}
		if (recursive && S_ISDIR(s.mode)) {
			status_tree(&c, argv[i]);
			continue;
		}
		if (c.json) {
			print_json(&c, argv[i], &s);
			putchar('\n');
		} else {
			print_text(&c, argv[i], &s);
		}
	}
	free(c.holders);
	if (fflush(stdout) != 0)
		c.rc = 2;
	return c.rc;
}
