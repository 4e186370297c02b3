/* SPDX-License-Identifier: MIT */
/* Does a rename that replaces a name write the new file's data first
 * (docs/DESIGN.md §5, durability)? btrfs does. ext4 does when it allocates
 * the delayed blocks at such a rename (auto_da_alloc, the default) and
 * journals in data=ordered or data=journal mode, so that the rename's commit
 * waits for them: not when mounted with noauto_da_alloc or data=writeback.
 * Those are options of the mount, which only /proc/self/mountinfo tells:
 * read once per filesystem and process. Where it cannot be read, or does
 * not show the filesystem, the answer is no, and the break syncs. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

/* Filesystems remembered: (dev << 2) | KNOWN | ORDERED each, 0 for none.
 * One word a slot, so a reader never pairs one dev with another's answer. */
#define SLOTS 8
enum { KNOWN = 1, ORDERED = 2 };
static uint64_t seen[SLOTS];
static unsigned next_slot;

/* Is WORD (LEN bytes) one of the comma-separated options OPTS (N bytes)? */
static bool has_option(const char *opts, size_t n, const char *word)
{
	size_t len = strlen(word);
	const char *p = opts, *end = opts + n;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t k = (size_t)((comma ? comma : end) - p);

		if (k == len && !memcmp(p, word, len))
			return true;
		p += k + 1;
	}
	return false;
}

/* Skip the field at P (up to a blank) and the blank after it. */
static const char *next_field(const char *p, const char *end)
{
	while (p < end && *p != ' ')
		p++;
	return p < end ? p + 1 : end;
}

/* One mountinfo line, "ID PARENT MAJ:MIN ROOT POINT OPTS [TAGS...] - TYPE
 * SOURCE SUPEROPTS" (blanks in fields are escaped as \040): -1 when it is not
 * DEV's, else whether its super options leave the rename ordered. */
static int line_orders(const char *line, size_t n, dev_t dev)
{
	const char *end = line + n, *p = next_field(next_field(line, end), end);
	char *q;
	unsigned long maj, min;

	/* strtoul would skip a newline: digits first. */
	if (p >= end || *p < '0' || *p > '9')
		return -1;
	maj = strtoul(p, &q, 10);
	if (q + 1 >= end || *q != ':' || q[1] < '0' || q[1] > '9')
		return -1;
	min = strtoul(q + 1, &q, 10);
	if (q > end || cl_makedev(maj, min) != dev)
		return -1;
	for (p = q; p + 3 <= end && memcmp(p, " - ", 3); p++)
		;
	if (p + 3 > end)
		return 0; /* not the shape expected: sync */
	p = next_field(next_field(p + 3, end), end); /* past TYPE and SOURCE */
	return !has_option(p, (size_t)(end - p), "noauto_da_alloc") &&
	       !has_option(p, (size_t)(end - p), "data=writeback");
}

/* Read /proc/self/mountinfo for DEV's line: 1 ordered, 0 not or not found. */
static int ext4_orders(dev_t dev)
{
	char buf[4096];
	size_t have = 0;
	bool skipping = false; /* inside a line longer than BUF */
	int fd, ans = 0;

	fd = cl_openat(AT_FDCWD, "/proc/self/mountinfo", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	for (;;) {
		ssize_t got = cl_read(fd, buf + have, sizeof buf - have);
		char *p = buf, *nl;

		if (got == -EINTR)
			continue;
		if (got <= 0)
			break;
		have += (size_t)got;
		while ((nl = memchr(p, '\n', (size_t)(buf + have - p)))) {
			int a = skipping ? -1 : line_orders(p, (size_t)(nl - p), dev);

			skipping = false;
			if (a >= 0) {
				ans = a;
				goto out;
			}
			p = nl + 1;
		}
		have = (size_t)(buf + have - p);
		if (have == sizeof buf) {
			skipping = true; /* not DEV's, as far as we can tell: sync */
			have = 0;
		} else {
			memmove(buf, p, have);
		}
	}
out:
	cl_close(fd);
	return ans;
}

bool cl_rename_orders_data(long ftype, dev_t dev)
{
	uint64_t v;
	unsigned i;
	int ans;

	if (ftype == BTRFS_SUPER_MAGIC)
		return true;
	if (ftype != EXT4_SUPER_MAGIC)
		return false;
	for (i = 0; i < SLOTS; i++) {
		v = __atomic_load_n(&seen[i], __ATOMIC_RELAXED);
		if ((v & KNOWN) && v >> 2 == (uint64_t)dev)
			return v & ORDERED;
	}
	ans = ext4_orders(dev);
	if ((uint64_t)dev >> 62 == 0) {
		i = __atomic_fetch_add(&next_slot, 1, __ATOMIC_RELAXED) % SLOTS;
		__atomic_store_n(&seen[i], (uint64_t)dev << 2 | KNOWN | (ans ? ORDERED : 0),
				 __ATOMIC_RELAXED);
	}
	return ans;
}
