/* SPDX-License-Identifier: MIT */
/* cowlink dedupe (docs/DESIGN.md §6): turn identical files into files that
 * share extents, or into cowlinks where the filesystem cannot share. Names
 * are grouped by what stat says (filesystem, size, owner, mtime), then by a
 * hash of content and of the rest of the metadata (presented mode, xattrs but
 * the mark, ACL, inode flags). Each name but the first of a group then
 * shares the first one's extents (FIDEDUPERANGE: the kernel compares the
 * bytes under its locks, each file keeps its inode, no mark, no shim
 * needed), or, on a filesystem that cannot, is replaced by a cowlink of the
 * first after a byte-for-byte comparison made under read leases on both,
 * just before the link. Which of the two is decided once per filesystem. */
#include "link-internal.h"

#include <errno.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

#define BUF_SIZE (128 * 1024)
#define ACL_XATTR "system.posix_acl_access"

/* The inode flags (FS_IOC_GETFLAGS, lsattr) that are the file's own
 * settings, as chattr sets them: two files that differ in one are not
 * copies, since one name of a merged set would lose its setting. Flags the
 * filesystem keeps for itself (extents, inline data, encryption) are left
 * out: a copy may differ there. */
#define KEPT_FLAGS (FS_SECRM_FL | FS_UNRM_FL | FS_COMPR_FL | FS_SYNC_FL | \
		    FS_IMMUTABLE_FL | FS_APPEND_FL | FS_NODUMP_FL | FS_NOATIME_FL | \
		    FS_JOURNAL_DATA_FL | FS_NOTAIL_FL | FS_NOCOW_FL | FS_NOCOMP_FL | \
		    FS_PROJINHERIT_FL | FS_VERITY_FL | FS_DAX_FL)
/* No name of these may be replaced nor their inode linked (EPERM): such a
 * file is never a candidate. */
#define FROZEN_FLAGS (FS_IMMUTABLE_FL | FS_APPEND_FL)

/* One regular file met by the walk. */
struct ent {
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	uid_t uid;
	gid_t gid;
	mode_t mode;          /* presented: st_mode & 07777 | recorded bits */
	nlink_t nlink;
	unsigned iflags;      /* inode flags & KEPT_FLAGS */
	struct timespec mtime;
	uint64_t hash;        /* of the content */
	uint64_t mhash;       /* of the metadata blob */
	bool skip;            /* not a candidate (reported already when it says so) */
};

/* Can a filesystem share extents (FIDEDUPERANGE)? CL_UNKNOWN until the
 * first attempt there says; CL_NO from the start where its type says it
 * never can, or when asked for cowlinks only. */
struct fsmode {
	dev_t dev;
	enum cl_maybe can;
};

struct dedupe {
	struct ent *v;
	size_t n, cap;
	struct fsmode *fs;
	size_t nfs;
	unsigned flags;
	bool dry_run;
	cl_dedupe_fn fn;
	void *arg;
	struct cl_dedupe_stats *stats;
	char *buf1, *buf2;
	bool lease_noted;     /* "no lease" told once */
	int err;              /* ENOMEM while walking */
};

static void report(struct dedupe *d, enum cl_dedupe_what what, const char *path,
		   const char *master, int result, uint64_t bytes)
{
	struct cl_dedupe_event e = { what, path, master, result, bytes };

	if (what == CL_DEDUPE_ERROR)
		d->stats->errors++;
	if (d->fn)
		d->fn(&e, d->arg);
}

/* 64-bit FNV-1a over 8-byte words (tail bytewise), multiplied once more per
 * word: fast enough to be limited by reading, and only a pre-filter. */
static uint64_t hash_more(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t w;

	for (; n >= 8; n -= 8, b += 8) {
		memcpy(&w, b, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	for (; n; n--, b++)
		h = (h ^ *b) * 0x100000001b3ull;
	return h;
}

#define HASH_INIT 0xcbf29ce484222325ull

/* The presented mode of FD (ST its stat): st_mode | recorded bits when the
 * inode carries the mark. *WBITS gets the recorded bits. 1 when marked, 0
 * when not, -errno. */
static int presented(int fd, const struct stat *st, mode_t *mode, mode_t *wbits)
{
	struct cl_record r;
	int m = cl_mark_read_fd(fd, &r);

	if (m < 0)
		return m;
	*wbits = m ? r.wbits : 0;
	*mode = (st->st_mode & 07777) | *wbits;
	return m;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Protection cleared the write bits WBITS in the ACL's owner, mask (or
 * group, without a mask) and other entries too: put them back so that a
 * protected cowlink compares equal to the copy it stands for. */
static void acl_present(unsigned char *v, size_t n, mode_t wbits)
{
	bool mask = false;
	size_t off;

	for (off = 4; off + 8 <= n; off += 8)
		if ((v[off] | v[off + 1] << 8) == 0x10)
			mask = true;
	for (off = 4; off + 8 <= n; off += 8) {
		unsigned tag = v[off] | v[off + 1] << 8;

		if ((tag == 0x01 && (wbits & 0200)) || (tag == 0x20 && (wbits & 0002)) ||
		    (tag == (mask ? 0x10u : 0x04u) && (wbits & 0020)))
			v[off + 2] |= 2;
	}
}

/* The metadata blob of FD that stat does not give: every xattr but the mark,
 * sorted by name, as "name\0" u32 length, value; the ACL presented with
 * WBITS. *OUT is malloc'ed, *LEN its length. */
static int meta_blob(int fd, mode_t wbits, unsigned char **out, size_t *len)
{
	char *list = NULL, **names = NULL;
	unsigned char *b = NULL;
	size_t nn = 0, i, bl = 0, cap = 0;
	ssize_t ll, vl;
	char *p;
	int e = 0;

	*out = NULL;
	*len = 0;
	ll = cl_flistxattr(fd, NULL, 0);
	if (ll == -EOPNOTSUPP || ll == 0)
		return 0;
	if (ll < 0)
		return (int)ll;
	list = malloc((size_t)ll + 1);
	names = calloc((size_t)ll, sizeof *names);
	if (!list || !names) {
		e = -ENOMEM;
		goto out_free;
	}
	ll = cl_flistxattr(fd, list, (size_t)ll);
	if (ll < 0) { /* ERANGE: grew meanwhile, the comparison will catch it */
		e = (int)ll;
		goto out_free;
	}
	for (p = list; p < list + ll; p += strlen(p) + 1)
		if (strcmp(p, CL_XATTR))
			names[nn++] = p;
	qsort(names, nn, sizeof *names, str_cmp);
	for (i = 0; i < nn; i++) {
		size_t nl = strlen(names[i]) + 1;
		uint32_t v32;

		vl = cl_fgetxattr(fd, names[i], NULL, 0);
		if (vl < 0) {
			e = (int)vl;
			goto out_free;
		}
		if (bl + nl + 4 + (size_t)vl > cap) {
			unsigned char *nb;

			cap = (bl + nl + 4 + (size_t)vl) * 2;
			nb = realloc(b, cap);
			if (!nb) {
				e = -ENOMEM;
				goto out_free;
			}
			b = nb;
		}
		memcpy(b + bl, names[i], nl);
		bl += nl;
		vl = cl_fgetxattr(fd, names[i], b + bl + 4, (size_t)vl);
		if (vl < 0) {
			e = (int)vl;
			goto out_free;
		}
		v32 = (uint32_t)vl;
		memcpy(b + bl, &v32, 4);
		if (!strcmp(names[i], ACL_XATTR))
			acl_present(b + bl + 4, (size_t)vl, wbits);
		bl += 4 + (size_t)vl;
	}
	*out = b;
	*len = bl;
	b = NULL;
out_free:
	free(b);
	free(names);
	free(list);
	return e;
}

/* The inode flags of FD that a copy would keep (KEPT_FLAGS); none where the
 * filesystem has no flags. 0 or -errno. */
static int inode_flags(int fd, unsigned *out)
{
	int f = 0, r = cl_ioctl(fd, FS_IOC_GETFLAGS, &f);

	*out = 0;
	if (r == -ENOTTY || r == -EOPNOTSUPP || r == -EINVAL || r == -ENOSYS)
		return 0;
	if (r < 0)
		return r;
	*out = (unsigned)f & KEPT_FLAGS;
	return 0;
}

/* Open PATH (in DIRFD) for reading, never following a final symlink and
 * never waiting for a write lease (EWOULDBLOCK: about to be written). */
static int open_ro(int dirfd, const char *path)
{
	int fd = cl_openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
			   O_NOCTTY | O_CLOEXEC, 0);

	return fd == -EWOULDBLOCK ? -ETXTBSY : fd;
}

/* Is the inode FD (ST) still the one the scan saw as E, with the same
 * stat-level metadata? */
static bool same_as_scanned(const struct ent *e, const struct stat *st)
{
	return st->st_dev == e->dev && st->st_ino == e->ino && st->st_size == e->size &&
	       st->st_uid == e->uid && st->st_gid == e->gid &&
	       st->st_mtim.tv_sec == e->mtime.tv_sec &&
	       st->st_mtim.tv_nsec == e->mtime.tv_nsec && S_ISREG(st->st_mode);
}

/* Hash E's content and metadata blob (second pass, candidates only). */
static int hash_ent(struct dedupe *d, struct ent *e)
{
	unsigned char *blob;
	struct stat st;
	mode_t wbits;
	size_t bl;
	uint64_t h = HASH_INIT;
	ssize_t got;
	int fd, r;

	fd = open_ro(AT_FDCWD, e->path);
	if (fd < 0)
		return fd;
	r = cl_fstat(fd, &st);
	if (r)
		goto out_close;
	if (!same_as_scanned(e, &st)) {
		r = -ESTALE;
		goto out_close;
	}
	r = presented(fd, &st, &e->mode, &wbits);
	if (r < 0)
		goto out_close;
	if (st.st_nlink > 1 && !r) {
		r = -EMLINK; /* plain hard links share writes on purpose */
		goto out_close;
	}
	r = inode_flags(fd, &e->iflags);
	if (r)
		goto out_close;
	if (e->iflags & FROZEN_FLAGS) {
		r = -EPERM;
		goto out_close;
	}
	r = meta_blob(fd, wbits, &blob, &bl);
	if (r)
		goto out_close;
	e->mhash = hash_more(HASH_INIT, blob, bl);
	free(blob);
	while ((got = cl_read(fd, d->buf1, BUF_SIZE)) > 0)
		h = hash_more(h, d->buf1, (size_t)got);
	if (got < 0)
		r = (int)got;
	e->hash = h;
out_close:
	cl_close(fd);
	return r;
}

static int walk_fn(const struct cl_walk_ent *w, void *arg)
{
	struct dedupe *d = arg;
	struct ent *e;

	if (w->err) {
		report(d, CL_DEDUPE_ERROR, w->path, NULL, w->err, 0);
		return 0;
	}
	if (w->post || !S_ISREG(w->st->st_mode) || w->st->st_size == 0)
		return 0;
	if (!strncmp(w->name, CL_TMP_PREFIX, sizeof CL_TMP_PREFIX - 1))
		return 0;
	e = cl_grow(d->v, &d->cap, d->n, sizeof *e, 256);
	if (!e)
		return d->err = -ENOMEM;
	d->v = e;
	e = &d->v[d->n];
	memset(e, 0, sizeof *e);
	e->path = strdup(w->path);
	if (!e->path)
		return d->err = -ENOMEM;
	e->dev = w->st->st_dev;
	e->ino = w->st->st_ino;
	e->size = w->st->st_size;
	e->uid = w->st->st_uid;
	e->gid = w->st->st_gid;
	e->mode = w->st->st_mode & 07777;
	e->nlink = w->st->st_nlink;
	e->mtime = w->st->st_mtim;
	d->n++;
	return 0;
}

#define CMP(a, b) do { if ((a) != (b)) return (a) < (b) ? -1 : 1; } while (0)

/* The first grouping: what one stat says. */
static int stat_cmp(const struct ent *a, const struct ent *b)
{
	CMP(a->dev, b->dev);
	CMP(a->size, b->size);
	CMP(a->uid, b->uid);
	CMP(a->gid, b->gid);
	CMP(a->mtime.tv_sec, b->mtime.tv_sec);
	CMP(a->mtime.tv_nsec, b->mtime.tv_nsec);
	return 0;
}

static int qsort_stat(const void *a, const void *b)
{
	return stat_cmp(a, b);
}

/* The final grouping: candidates first, then stat, presented mode, the
 * hashes and, last, the inode flags (so that copies kept apart only by
 * their flags are neighbours, to be told); by path within a group, so its
 * first name is the master. */
static int full_cmp(const struct ent *a, const struct ent *b)
{
	int r;

	CMP(a->skip, b->skip);
	r = stat_cmp(a, b);
	if (r)
		return r;
	CMP(a->mode, b->mode);
	CMP(a->hash, b->hash);
	CMP(a->mhash, b->mhash);
	CMP(a->iflags, b->iflags);
	return 0;
}

/* Would A and B be one group but for their inode flags? */
static bool flags_apart(const struct ent *a, const struct ent *b)
{
	return !a->skip && !b->skip && !stat_cmp(a, b) && a->mode == b->mode &&
	       a->hash == b->hash && a->mhash == b->mhash && a->iflags != b->iflags;
}

static int qsort_full(const void *a, const void *b)
{
	int r = full_cmp(a, b);

	return r ? r : strcmp(((const struct ent *)a)->path, ((const struct ent *)b)->path);
}

/* Open the directory of PATH (O_PATH) and point *BASE at its last name. */
static int open_parent(const char *path, const char **base)
{
	char dir[PATH_MAX];

	*base = cl_path_base(path);
	if (!cl_path_split(path, dir, sizeof dir))
		return -ENAMETOOLONG;
	return cl_openat(AT_FDCWD, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
}

/* The metadata and, when BYTES, byte for byte the content of two open
 * files: 0 identical, -ESTALE different, -EPERM immutable or append-only,
 * -errno. */
static int compare(struct dedupe *d, int mfd, const struct stat *ms, int dfd,
		   const struct stat *ds, bool bytes)
{
	unsigned char *mb = NULL, *db = NULL;
	size_t ml, dl;
	mode_t mmode, dmode, mw, dw;
	unsigned mf, df;
	off_t off = 0;
	ssize_t a, b;
	int r;

	if (ms->st_size != ds->st_size || ms->st_uid != ds->st_uid ||
	    ms->st_gid != ds->st_gid || ms->st_mtim.tv_sec != ds->st_mtim.tv_sec ||
	    ms->st_mtim.tv_nsec != ds->st_mtim.tv_nsec)
		return -ESTALE;
	r = presented(mfd, ms, &mmode, &mw);
	if (r >= 0)
		r = presented(dfd, ds, &dmode, &dw);
	if (r < 0)
		return r;
	if (mmode != dmode)
		return -ESTALE;
	r = inode_flags(mfd, &mf);
	if (!r)
		r = inode_flags(dfd, &df);
	if (r)
		return r;
	if (mf != df)
		return -ESTALE;
	if (mf & FROZEN_FLAGS) /* made so since the scan */
		return -EPERM;
	r = meta_blob(mfd, mw, &mb, &ml);
	if (!r)
		r = meta_blob(dfd, dw, &db, &dl);
	if (!r && (ml != dl || (ml && memcmp(mb, db, ml))))
		r = -ESTALE;
	free(mb);
	free(db);
	if (r || !bytes)
		return r;
	for (;;) {
		a = cl_pread(mfd, d->buf1, BUF_SIZE, off);
		b = cl_pread(dfd, d->buf2, BUF_SIZE, off);
		if (a < 0 || b < 0)
			return a < 0 ? (int)a : (int)b;
		if (a != b || memcmp(d->buf1, d->buf2, (size_t)a))
			return -ESTALE;
		if (a == 0)
			return 0;
		off += a;
	}
}

/* Put the cowlink of MFD in place of DBASE (in DDIR, the inode DFD):
 * link it under a hidden name, check once more under the leases, then
 * exchange it with the name (rename where exchange is missing) and remove
 * the hidden name, which now holds the old inode — or, when the name
 * already was a link of the master (rename is then a no-op), the link. */
static int replace(struct dedupe *d, int mfd, int lm, int ddir, const char *dbase,
		   int dfd, int ld, const struct stat *ds)
{
	char src[CL_PROC_FD_MAX], tmp[64];
	enum cowlink_how how = 0;
	struct stat ts, ns;
	cl_note_fn note = cl_note;
	int r = -EEXIST, i;

	/* Link the very inode compared (its fd), never what the name is now. */
	cl_proc_fd_path(mfd, src);
	for (i = 0; i < CL_TMP_TRIES && r == -EEXIST; i++) {
		cl_tmp_name(tmp, sizeof tmp);
		/* dedupe_one() said what leases it could not have, by name;
		 * link.c would say it of /proc/self/fd/N. */
		cl_note = NULL;
		r = cowlink_link_at(AT_FDCWD, src, ddir, tmp,
				    (d->flags & COWLINK_NO_PROTECT) | COWLINK_REFLINK_NEVER, &how);
		cl_note = note;
	}
	if (r)
		return r;
	if (how != COWLINK_LINKED) { /* a copy (link limit) saves nothing */
		r = -EMLINK;
		goto out_unlink;
	}
	r = cl_fstatat(ddir, tmp, &ts, AT_SYMLINK_NOFOLLOW);
	if (r)
		goto out_unlink;
	if ((lm > 0 && (r = cl_lease_recheck(mfd))) || (ld > 0 && (r = cl_lease_recheck(dfd))))
		goto out_unlink;
	r = cl_renameat2(ddir, tmp, ddir, dbase, RENAME_EXCHANGE);
	if (r == -EINVAL || r == -ENOSYS) {
		r = cl_fstatat(ddir, dbase, &ns, AT_SYMLINK_NOFOLLOW);
		if (!r && (ns.st_dev != ds->st_dev || ns.st_ino != ds->st_ino))
			r = -ESTALE;
		if (!r)
			r = cl_renameat2(ddir, tmp, ddir, dbase, 0);
	} else if (!r) {
		/* The hidden name holds what the name was: D, or someone's new file. */
		r = cl_fstatat(ddir, tmp, &ns, AT_SYMLINK_NOFOLLOW);
		if (!r && (ns.st_dev != ds->st_dev || ns.st_ino != ds->st_ino) &&
		    (ns.st_dev != ts.st_dev || ns.st_ino != ts.st_ino)) {
			(void)cl_renameat2(ddir, tmp, ddir, dbase, RENAME_EXCHANGE);
			r = -ESTALE;
		}
	}
out_unlink:
	i = cl_unlinkat(ddir, tmp, 0);
	if (!r && i && i != -ENOENT)
		r = i;
	return r;
}

/* With M's inode open as MFD (fstat MS) and DUP's as DFD (fstat DS, its
 * name DBASE in DDIR), both checked against the scan: take both leases,
 * compare, and unless in a dry run replace the name; a mark given for
 * nothing is undone, an orphan left is unshared. 0 or -errno; *WHO gets the
 * name a skip is about, *FREED what the replacement frees. */
static int lease_and_replace(struct dedupe *d, const struct ent *m, const struct ent *dup,
			     int mfd, struct stat *ms, int ddir, const char *dbase,
			     int dfd, struct stat *ds, const char **who, uint64_t *freed)
{
	struct cl_record rec;
	int lm, ld, whym, whyd, r;

	lm = cl_lease_take(mfd, &whym, cl_lease_sigio_ignored());
	if (lm < 0) {
		*who = m->path; /* the master is open for writing */
		return lm;
	}
	ld = cl_lease_take(dfd, &whyd, cl_lease_sigio_ignored());
	if (ld < 0) {
		r = ld;
		goto out_drop;
	}
	if ((!lm || !ld) && !d->lease_noted) {
		d->lease_noted = true;
		cl_notef("no lease on '%s' (%s): a writer that has it open now would not be seen"
			 " (said once)", lm ? dup->path : m->path, strerror(lm ? whyd : whym));
	}
	r = compare(d, mfd, ms, dfd, ds, true);
	if (r)
		goto out_drop;
	if (ds->st_nlink == 1)
		*freed = (uint64_t)ds->st_blocks * 512;
	if (!d->dry_run)
		r = replace(d, mfd, lm, ddir, dbase, dfd, ld, ds);
	/* A master that got its mark for nothing: unshare it in place again. */
	if (r && !d->dry_run && cl_fstat(mfd, ms) == 0 && ms->st_nlink == 1 &&
	    cl_mark_read_fd(mfd, &rec) > 0)
		(void)cl_unshare_orphan(mfd, ms, &rec);
	/* A set that lost its last other name here is unshared in place. */
	if (!r && !d->dry_run && cl_fstat(dfd, ds) == 0 && ds->st_nlink == 1 &&
	    cl_mark_read_fd(dfd, &rec) > 0)
		(void)cl_unshare_orphan(dfd, ds, &rec);
out_drop:
	if (lm > 0)
		cl_lease_drop(mfd);
	if (ld > 0)
		cl_lease_drop(dfd);
	return r;
}

/* The filesystem of the master M (open as MFD): can it share extents? */
static struct fsmode *fs_mode(struct dedupe *d, const struct ent *m, int mfd)
{
	struct fsmode *f;
	size_t i;

	for (i = 0; i < d->nfs; i++)
		if (d->fs[i].dev == m->dev)
			return &d->fs[i];
	f = realloc(d->fs, (d->nfs + 1) * sizeof *f);
	if (!f)
		return NULL; /* then cowlinks, as before */
	d->fs = f;
	f = &d->fs[d->nfs++];
	f->dev = m->dev;
	f->can = (d->flags & COWLINK_REFLINK_NEVER) || !cl_extents_may_share(mfd) ?
		 CL_NO : CL_UNKNOWN;
	return f;
}

/* share() found nothing to do, or found that the filesystem cannot. */
#define SHARE_DONE_ALREADY 1
#define SHARE_CANNOT 2

/* Make DUP (DFD, fstat DS) share the extents of M (MFD, MS) on a
 * filesystem F that can or may: compare the metadata (the kernel compares
 * the bytes), then FIDEDUPERANGE over the whole file. No lease: each file
 * keeps its inode, so a writer of either keeps writing to its own file, and
 * the kernel shares only what is identical under its locks. The first
 * attempt on a filesystem decides for all of it (event CL_DEDUPE_FS): a
 * filesystem that cannot says so there (SHARE_CANNOT: make a cowlink).
 * 0, SHARE_DONE_ALREADY (shares all it can with M already), SHARE_CANNOT,
 * or -errno; *FREED gets the bytes sharing frees. */
static int share(struct dedupe *d, struct fsmode *f, const struct ent *m, int mfd,
		 struct stat *ms, int dfd, struct stat *ds, uint64_t *freed)
{
	int r = compare(d, mfd, ms, dfd, ds, false);

	if (r)
		return r;
	r = cl_extents_shared_with(mfd, dfd);
	if (r == 1)
		return SHARE_DONE_ALREADY;
	/* No extent map: the space freed is a guess, the sharing still works. */
	if (cl_extents_unshared(dfd, freed))
		*freed = ds->st_nlink == 1 ? (uint64_t)ds->st_blocks * 512 : 0;
	if (d->dry_run) {
		if (f->can == CL_UNKNOWN) {
			/* Nothing may change: ask without sharing. */
			r = cl_dedupe_range_probe(mfd, dfd);
			f->can = r ? CL_NO : CL_YES;
			report(d, CL_DEDUPE_FS, m->path, NULL, r, 0);
		}
		return f->can == CL_YES ? 0 : SHARE_CANNOT;
	}
	r = cl_dedupe_range(mfd, dfd, (uint64_t)ds->st_size);
	if (f->can == CL_UNKNOWN && (!r || cl_dedupe_unsupported(r))) {
		f->can = r ? CL_NO : CL_YES;
		report(d, CL_DEDUPE_FS, m->path, NULL, r, 0);
	}
	if (r && f->can == CL_NO)
		return SHARE_CANNOT;
	/* EPERM here is about the caller's right to share into DUP (not
	 * its owner, no write access), not an inode flag, which compare()
	 * saw. */
	return r == -EPERM ? -EACCES : r;
}

/* Count and report what dedupe_one() did with DUP (R: 0 or -errno; WHO the
 * name a skip is about, FREED the bytes freed). */
static void tell_result(struct dedupe *d, const struct ent *m, const struct ent *dup,
			int r, const char *who, uint64_t freed, bool shared)
{
	if (!r) {
		d->stats->files++;
		d->stats->bytes += freed;
		if (shared)
			d->stats->shared++;
		report(d, shared ? CL_DEDUPE_SHARED : CL_DEDUPE_LINKED, dup->path, m->path,
		       0, freed);
	} else if (r == -ESTALE || r == -ETXTBSY || r == -EMLINK || r == -EPERM) {
		report(d, CL_DEDUPE_SKIPPED, who, m->path, r, 0);
	} else {
		report(d, CL_DEDUPE_ERROR, dup->path, m->path, r, 0);
	}
}

/* Make the name D share M's extents, or replace it by a cowlink of M (both
 * names of one group); in a dry run only compare. Reports what happened. */
static void dedupe_one(struct dedupe *d, const struct ent *m, const struct ent *dup)
{
	const char *mbase, *dbase;
	struct stat ms, ds;
	struct fsmode *f;
	int mdir, ddir, mfd, dfd, r;
	uint64_t freed = 0;
	bool same = false, shared = false;
	const char *who = dup->path; /* the name a skip is about */

	mdir = open_parent(m->path, &mbase);
	if (mdir < 0) {
		report(d, CL_DEDUPE_ERROR, m->path, m->path, mdir, 0);
		return;
	}
	ddir = open_parent(dup->path, &dbase);
	if (ddir < 0) {
		r = ddir;
		goto out_close_mdir;
	}
	mfd = open_ro(mdir, mbase);
	if (mfd < 0) {
		r = mfd;
		goto out_close_ddir;
	}
	dfd = open_ro(ddir, dbase);
	if (dfd < 0) {
		r = dfd;
		goto out_close_mfd;
	}
	r = cl_fstat(mfd, &ms);
	if (!r)
		r = cl_fstat(dfd, &ds);
	if (r)
		goto out_close_dfd;
	same = ms.st_dev == ds.st_dev && ms.st_ino == ds.st_ino;
	if (same)
		goto out_close_dfd; /* already one inode: nothing to do */
	if (ms.st_dev != m->dev || ms.st_ino != m->ino) {
		who = m->path;
		r = -ESTALE;
		goto out_close_dfd;
	}
	if (!same_as_scanned(dup, &ds)) {
		r = -ESTALE;
		goto out_close_dfd;
	}
	f = fs_mode(d, m, mfd);
	if (f && f->can != CL_NO) {
		r = share(d, f, m, mfd, &ms, dfd, &ds, &freed);
		same = r == SHARE_DONE_ALREADY;
		shared = !r;
		if (r != SHARE_CANNOT)
			goto out_close_dfd;
		freed = 0;
	}
	r = lease_and_replace(d, m, dup, mfd, &ms, ddir, dbase, dfd, &ds, &who, &freed);
out_close_dfd:
	cl_close(dfd);
out_close_mfd:
	cl_close(mfd);
out_close_ddir:
	cl_close(ddir);
out_close_mdir:
	cl_close(mdir);
	if (!same)
		tell_result(d, m, dup, r, who, freed, shared);
}

/* Hash the names of each run that stat cannot tell apart; a name that
 * cannot take part is marked skip (and reported). */
static void hash_runs(struct dedupe *d)
{
	size_t i, j, k;
	int r;

	for (i = 0; i < d->n; i = j) {
		for (j = i + 1; j < d->n && !stat_cmp(&d->v[i], &d->v[j]); j++)
			;
		for (k = i; k < j; k++) {
			struct ent *e = &d->v[k];

			if (j - i < 2) {
				e->skip = true;
				continue;
			}
			r = hash_ent(d, e);
			if (!r)
				continue;
			e->skip = true;
			report(d, r == -EMLINK || r == -ETXTBSY || r == -ESTALE || r == -EPERM ?
			       CL_DEDUPE_SKIPPED : CL_DEDUPE_ERROR, e->path, NULL, r, 0);
		}
	}
}

int cl_dedupe(char *const *roots, size_t n, unsigned flags, bool dry_run,
	      cl_dedupe_fn fn, void *arg, struct cl_dedupe_stats *stats)
{
	struct dedupe d = { .flags = flags, .dry_run = dry_run, .fn = fn, .arg = arg,
			    .stats = stats };
	size_t i, j, k, prev = 0;
	int saved = errno, r = 0;

	memset(stats, 0, sizeof *stats);
	d.buf1 = malloc(BUF_SIZE);
	d.buf2 = malloc(BUF_SIZE);
	if (!d.buf1 || !d.buf2) {
		r = -ENOMEM;
		goto out_free;
	}
	for (i = 0; i < n && !d.err; i++)
		(void)cl_walk(roots[i], walk_fn, &d);
	if (d.err) {
		r = d.err;
		goto out_free;
	}
	if (d.n)
		qsort(d.v, d.n, sizeof *d.v, qsort_stat);
	hash_runs(&d);
	if (d.n)
		qsort(d.v, d.n, sizeof *d.v, qsort_full);
	for (i = 0; i < d.n && !d.v[i].skip; i = j) {
		uint64_t before = stats->files;
		bool told = false;

		for (j = i + 1; j < d.n && !full_cmp(&d.v[i], &d.v[j]); j++)
			;
		/* The previous group has this one's content but other flags. */
		if (i > 0 && flags_apart(&d.v[prev], &d.v[i]))
			report(&d, CL_DEDUPE_FLAGS, d.v[i].path, d.v[prev].path, 0, 0);
		else
			prev = i;
		for (k = i + 1; k < j; k++) {
			if (d.v[k].dev == d.v[i].dev && d.v[k].ino == d.v[i].ino)
				continue; /* a name of the master's inode already */
			if (!told) {
				report(&d, CL_DEDUPE_GROUP, d.v[i].path, d.v[i].path, 0, 0);
				told = true;
			}
			dedupe_one(&d, &d.v[i], &d.v[k]);
		}
		if (stats->files > before)
			stats->groups++;
	}
	if (stats->errors)
		r = -EIO;
out_free:
	for (i = 0; i < d.n; i++)
		free(d.v[i].path);
	free(d.v);
	free(d.fs);
	free(d.buf1);
	free(d.buf2);
	errno = saved;
	return r;
}
