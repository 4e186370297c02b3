/* SPDX-License-Identifier: MIT */
/* Extent maps (FS_IOC_FIEMAP) and extent sharing (FIDEDUPERANGE), for
 * cowlink dedupe and cowlink du (docs/DESIGN.md §6). Raw calls only, so
 * that the answer is the raw truth under the shim too. */
#include "link-internal.h"

#include <errno.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>

#include "banned.h"

/* Extents asked for per FS_IOC_FIEMAP call. */
#define FIEMAP_BATCH 64
/* Bytes asked for per FIDEDUPERANGE call: btrfs shares at most 16 MiB a
 * call (and says so only by a shorter bytes_deduped), others cap it their
 * own way; the loop goes on from what was done either way. */
#define DEDUPE_STEP (16u << 20)

bool cl_extents_may_share(int fd)
{
	struct statfs sf;

	if (cl_fstatfs(fd, &sf))
		return true;
	switch ((unsigned long)sf.f_type) {
	case 0xEF53:     /* ext2, ext3, ext4 */
	case 0x01021994: /* tmpfs */
	case 0x858458f6: /* ramfs */
		return false;
	default:
		return true;
	}
}

int cl_extents_each(int fd, cl_extent_fn fn, void *arg)
{
	union { /* a fiemap and room for its extents */
		struct fiemap fm;
		char room[sizeof(struct fiemap) + FIEMAP_BATCH * sizeof(struct fiemap_extent)];
	} m;
	struct cl_extent x;
	uint64_t start = 0;
	unsigned i;
	int r;

	for (;;) {
		memset(&m, 0, sizeof m);
		m.fm.fm_start = start;
		m.fm.fm_length = FIEMAP_MAX_OFFSET - start;
		m.fm.fm_extent_count = FIEMAP_BATCH;
		r = cl_ioctl(fd, FS_IOC_FIEMAP, &m);
		if (r < 0)
			return r == -ENOTTY ? -EOPNOTSUPP : r;
		if (m.fm.fm_mapped_extents == 0)
			return 0;
		for (i = 0; i < m.fm.fm_mapped_extents; i++) {
			const struct fiemap_extent *e = &m.fm.fm_extents[i];

			x.logical = e->fe_logical;
			x.physical = e->fe_physical;
			x.length = e->fe_length;
			x.flags = e->fe_flags;
			r = fn(&x, arg);
			if (r)
				return r;
			if (e->fe_flags & FIEMAP_EXTENT_LAST)
				return 0;
		}
		i = m.fm.fm_mapped_extents - 1;
		start = m.fm.fm_extents[i].fe_logical + m.fm.fm_extents[i].fe_length;
		if (start <= m.fm.fm_start)
			return 0;
	}
}

/* Does the extent X have a place on disk of its own (not inline in the
 * metadata, not waiting for allocation)? Only those can be shared. */
static bool placed(const struct cl_extent *x)
{
	return !(x->flags & (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC |
			     FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_DATA_TAIL));
}

/* A file's extent map, collected. */
struct xmap {
	struct cl_extent *v;
	size_t n, cap;
};

static int collect(const struct cl_extent *x, void *arg)
{
	struct xmap *m = arg;

	struct cl_extent *v = cl_grow(m->v, &m->cap, m->n, sizeof *v, 16);

	if (!v)
		return -ENOMEM;
	m->v = v;
	m->v[m->n++] = *x;
	return 0;
}

/* Does S map the bytes [L, L + LEN) of a file to PHYS + (offset - L), with
 * no gap? S is sorted by logical offset. */
static bool maps_to(const struct xmap *s, uint64_t l, uint64_t len, uint64_t phys)
{
	uint64_t pos = l, end = l + len;
	size_t i;

	for (i = 0; i < s->n && pos < end; i++) {
		const struct cl_extent *x = &s->v[i];

		if (x->logical + x->length <= pos)
			continue;
		if (x->logical > pos || !placed(x) ||
		    x->physical - x->logical != phys - l)
			return false;
		pos = x->logical + x->length;
	}
	return pos >= end;
}

int cl_extents_shared_with(int sfd, int dfd)
{
	struct xmap s = { 0 }, d = { 0 };
	size_t i;
	int r;

	r = cl_extents_each(sfd, collect, &s);
	if (!r)
		r = cl_extents_each(dfd, collect, &d);
	if (r)
		goto out;
	r = 1;
	for (i = 0; i < d.n && r; i++) {
		const struct cl_extent *x = &d.v[i];

		if (!placed(x)) {
			/* Inline data cannot be shared (btrfs says it did
			 * and keeps it inline): nothing to gain there. Data
			 * not yet placed can. */
			if (!(x->flags & (FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_DATA_TAIL)))
				r = 0;
			continue;
		}
		if (!(x->flags & FIEMAP_EXTENT_SHARED) ||
		    !maps_to(&s, x->logical, x->length, x->physical))
			r = 0;
	}
out:
	free(s.v);
	free(d.v);
	return r;
}

static int sum_unshared(const struct cl_extent *x, void *arg)
{
	if (!(x->flags & (FIEMAP_EXTENT_SHARED | FIEMAP_EXTENT_DATA_INLINE |
			  FIEMAP_EXTENT_DATA_TAIL)))
		*(uint64_t *)arg += x->length;
	return 0;
}

int cl_extents_unshared(int fd, uint64_t *bytes)
{
	*bytes = 0;
	return cl_extents_each(fd, sum_unshared, bytes);
}

int cl_dedupe_range(int sfd, int dfd, uint64_t len)
{
	union { /* a request and the room for its one destination */
		struct file_dedupe_range r;
		char room[sizeof(struct file_dedupe_range) +
			  sizeof(struct file_dedupe_range_info)];
	} a;
	struct file_dedupe_range_info *to = &a.r.info[0];
	uint64_t off = 0;
	int r;

	while (off < len) {
		memset(&a, 0, sizeof a);
		a.r.src_offset = off;
		a.r.src_length = len - off < DEDUPE_STEP ? len - off : DEDUPE_STEP;
		a.r.dest_count = 1;
		to->dest_fd = dfd;
		to->dest_offset = off;
		r = cl_ioctl(sfd, FIDEDUPERANGE, &a);
		if (r < 0)
			return r == -ENOTTY ? -EOPNOTSUPP : r;
		if (to->status < 0)
			return to->status == -ENOTTY ? -EOPNOTSUPP : to->status;
		/* The kernel compared under its locks: a change since our own
		 * comparison. What was shared before it holds the same bytes
		 * in both files, so it stays. */
		if (to->status == FILE_DEDUPE_RANGE_DIFFERS)
			return -ESTALE;
		/* Nothing done and nothing said: it will not share this range
		 * (a filesystem that cannot, quietly). */
		if (to->bytes_deduped == 0)
			return -EINVAL;
		off += to->bytes_deduped;
	}
	return 0;
}

/* One FIDEDUPERANGE of LEN bytes from offset 0 of SFD to DFD: the error
 * of the call or of its one destination. */
static int dedupe_once(int sfd, int dfd, uint64_t len)
{
	union {
		struct file_dedupe_range r;
		char room[sizeof(struct file_dedupe_range) +
			  sizeof(struct file_dedupe_range_info)];
	} a;
	int r;

	memset(&a, 0, sizeof a);
	a.r.src_length = len;
	a.r.dest_count = 1;
	a.r.info[0].dest_fd = dfd;
	r = cl_ioctl(sfd, FIDEDUPERANGE, &a);
	if (!r && a.r.info[0].status < 0)
		r = a.r.info[0].status;
	return r == -ENOTTY ? -EOPNOTSUPP : r;
}

int cl_dedupe_range_probe(int sfd, int dfd)
{
	int r = dedupe_once(sfd, dfd, 0);

	if (r)
		return r; /* no such operation here (EINVAL), or across filesystems */
	/* A range deduplicated onto itself: refused as an overlap (EINVAL)
	 * where the filesystem could share, but before that, with
	 * EOPNOTSUPP, where it cannot (XFS without reflink). */
	r = dedupe_once(sfd, sfd, 1);
	return r == -EOPNOTSUPP ? r : 0;
}

bool cl_dedupe_unsupported(int e)
{
	return e == -EOPNOTSUPP || e == -EINVAL || e == -EXDEV || e == -ENOSYS;
}
