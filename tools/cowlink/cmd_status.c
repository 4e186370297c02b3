/* cowlink status: what each path shares (cowlink set, orphaned mark,
 * unmarked hard links, reflinked extents), its recorded write bits, and the
 * processes that hold a shared inode open — those keep the old data after a
 * break (DESIGN §8). With -r, a summary of each directory tree. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cowlink.h"
#include "internal.h"
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
		printf("%s: %llu files in %llu directories: %llu cowlinks in %llu sets, %llu orphaned marks, "
		       "%llu unmarked hard links, %llu reflinked, %llu malformed records, %llu unprotected\n",
		       dir, (unsigned long long)c->files, (unsigned long long)c->dirs,
		       (unsigned long long)c->shared, (unsigned long long)c->sets.n,
		       (unsigned long long)c->orphan, (unsigned long long)c->unmarked,
		       (unsigned long long)c->reflinked, (unsigned long long)c->malformed,
		       (unsigned long long)c->unprotected);
	}
	if (c->errors)
		c->rc = 1;
	inoset_free(&c->sets);
}

static void help(void)
{
	printf("Usage: cowlink status [-r] [--json] PATH...\n"
	       "Show what each PATH shares: a cowlink set (and how many names), an orphaned\n"
	       "mark, unmarked hard links, a reflinked copy; the write bits protection\n"
	       "cleared; and the processes holding a shared inode open.\n\n"
	       "  -r, --recursive  summarise each directory tree, listing what is not plain\n"
	       "      --json       one JSON object per PATH, one per line\n"
	       "  -h, --help       this text\n\n"
	       "Exit status: 0, or 1 when a PATH could not be examined.\n");
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "recursive", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct status_ctx c = { .rc = 0 };
	bool recursive = false;
	int o, i;

	while ((o = getopt_long(argc, argv, "+rh", opts, NULL)) != -1) {
		switch (o) {
		case 'r':
			recursive = true;
			break;
		case 'j':
			c.json = true;
			break;
		case 'h':
			help();
			return 0;
		default:
			return usage_error("status");
		}
	}
	if (optind >= argc) {
		warnmsg("status: no PATH given");
		return usage_error("status");
	}
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
