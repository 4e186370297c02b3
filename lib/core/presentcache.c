/* SPDX-License-Identifier: MIT */
/* The present cache (COWLINK_CACHE; the shared mark cache of the docs): "is
 * this inode marked, with which bits", remembered across one user's processes
 * so that presenting a cowlinked tree (ls -l, make, grep -r, rsync) does not
 * read the mark of every file again in every process. Reading a mark is a
 * system call that costs as much as the stat it follows; one process rarely
 * stats an inode twice.
 *
 * It is a hint for presentation only (stat, access): a decision to write,
 * break or trust an fd never rests on it, because anyone who can write the
 * file can put anything in it. It is filled from real reads of the mark.
 *
 * Keyed like docs/DESIGN.md §2's per-process cache by (dev, ino, ctime, nlink):
 * setting or removing the mark changes ctime, adding or removing a name
 * changes nlink. An inode whose ctime has no nanoseconds (a coarse clock:
 * small-inode ext4, old kernels) is never cached: two inodes a second apart
 * on a re-made file system could share the key.
 *
 * The file: one per effective user, "/dev/shm/cowlink-<euid>.marks" unless
 * COWLINK_CACHE names another or "off". Mapped shared on first use, used only
 * if it is a regular file with one link, owned by the caller's effective
 * user, with no group or other permission bits. Never in a secure-execution
 * (set-user-ID) process. 8 MiB of 16-byte entries in 4-way buckets; every
 * access is a relaxed atomic load or store, so it is lock-free and
 * async-signal-safe. An entry is {key hash, value | check}: a reader accepts
 * it only if the check (a hash of both) matches, so a torn or overlapping
 * write reads as a miss. */
#include "internal.h"

#include <errno.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "banned.h"

#define RUN_BITS 11 /* 2^11 runs of 64 inodes, a page of buckets each */
#define BUCKETS (64u << RUN_BITS)
#define WAYS 4
#define HEADER 4096
#define SIZE (HEADER + (size_t)BUCKETS * WAYS * sizeof(struct entry))

static const char magic[] = "cowlink mark cache v1";

struct entry {
	uint64_t key;   /* hash of (dev, ino, ctime, nlink), never 0; 0: empty */
	uint64_t value; /* check << 32 | payload */
};

enum { UNTRIED, MAPPING, READY, UNAVAILABLE };
static int state = UNTRIED;
static struct entry *table;

static uint64_t fmix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static uint64_t key_of(const struct stat *st)
{
	uint64_t h = (uint64_t)st->st_ino * 0x9e3779b97f4a7c15ull;

	h ^= ((uint64_t)st->st_dev + 0x636f776c696e6b31ull) * 0xc2b2ae3d27d4eb4full;
	h ^= (uint64_t)st->st_ctim.tv_sec * 0x165667b19e3779f9ull;
	h ^= ((uint64_t)st->st_ctim.tv_nsec << 20 ^ (uint64_t)st->st_nlink) *
	     0x27d4eb2f165667c5ull;
	return fmix(h) | 1;
}

/* The bucket: runs of 64 inode numbers share a page of buckets, placed by a
 * hash of the run, so that the inodes of one directory, which file systems
 * number close together, share pages and cache lines, while a tree spread
 * over many block groups does not pile up in the same buckets. */
size_t cl_presentcache_bucket(const struct stat *st)
{
	uint64_t ino = (uint64_t)st->st_ino;
	uint64_t run = ((ino >> 6) + (uint64_t)st->st_dev * 0xc2b2ae3d27d4eb4full) *
		       0x9e3779b97f4a7c15ull;

	/* Fibonacci hashing: the top bits of the product place the run. */
	return (size_t)((run >> (64 - RUN_BITS)) * 64 + (ino & 63));
}

static struct entry *bucket(struct entry *t, const struct stat *st)
{
	return t + cl_presentcache_bucket(st) * WAYS;
}

/* payload: bit 31 set, bit 0 marked, bits 1-8 record version, 9-20 wbits,
 * 21-29 a tag of (dev, ino) alone, so that a newer answer about an inode
 * replaces the older ones (its other ctimes and link counts) in place of
 * crowding them out of the bucket; bit 30 "used since it was last spared"
 * (second chance: entries of deleted files go first), outside the check so
 * that a hit can set it with one atomic OR. */
#define TAG_SHIFT 21
#define TAG_MASK 0x1ffu
#define USED (1u << 30)

static uint32_t check_of(uint64_t key, uint32_t payload)
{
	return (uint32_t)(fmix(key ^ (payload & ~USED)) >> 32);
}

static uint32_t tag_of(const struct stat *st)
{
	return (uint32_t)(fmix((uint64_t)st->st_ino ^ (uint64_t)st->st_dev << 40) &
			  TAG_MASK);
}

static uint32_t payload_of(int marked, const struct cl_record *r, uint32_t tag)
{
	uint32_t p = 1u << 31 | tag << TAG_SHIFT;

	if (marked)
		p |= 1u | (r->version & 0xffu) << 1 | ((uint32_t)r->wbits & 07777u) << 9;
	return p;
}

/* The cache file's name into BUF (N bytes): false for none. */
static bool cache_path(char *buf, size_t n)
{
	static const char pre[] = "/dev/shm/cowlink-", post[] = ".marks";
	const char *s = cl_cfg.cache;
	size_t at = sizeof pre - 1;

	if (s) {
		if (s[0] != '/' || strlen(s) >= n)
			return false; /* "off", "0", "" or a relative name */
		strcpy(buf, s);
		return true;
	}
	memcpy(buf, pre, at);
	at += cl_utoa((unsigned)geteuid(), buf + at);
	memcpy(buf + at, post, sizeof post);
	return true;
}

static struct entry *map_cache(void)
{
	char path[PATH_MAX];
	struct stat st;
	long p;
	int fd;

	if (getauxval(AT_SECURE) || !cache_path(path, sizeof path))
		return NULL;
	fd = cl_openat(AT_FDCWD, path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
		       O_NONBLOCK | O_NOCTTY, 0600);
	if (fd < 0)
		return NULL;
	if (cl_fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != geteuid() || (st.st_mode & 077) ||
	    (st.st_size != (off_t)SIZE &&
	     (st.st_size != 0 || cl_ftruncate(fd, (off_t)SIZE) < 0))) {
		(void)cl_close(fd);
		return NULL;
	}
	p = cl_mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	(void)cl_close(fd);
	if (p < 0 && p > -4096)
		return NULL;
	/* A new file gets its header; a file of another layout is left alone.
	 * Two processes creating it at once write the same bytes. */
	if (((char *)p)[0] == '\0')
		memcpy((char *)p, magic, sizeof magic);
	else if (memcmp((char *)p, magic, sizeof magic)) {
		(void)cl_munmap((void *)p, SIZE);
		return NULL;
	}
	return (struct entry *)((char *)p + HEADER);
}

/* The table, mapping it on first use; NULL when there is none (yet: another
 * thread or an interrupted caller is mapping it). */
static struct entry *cache(void)
{
	int s = __atomic_load_n(&state, __ATOMIC_ACQUIRE), expect = UNTRIED;
	struct entry *t;
	int saved;

	if (__builtin_expect(s == READY, 1))
		return table;
	if (s != UNTRIED || !__atomic_compare_exchange_n(&state, &expect, MAPPING,
							false, __ATOMIC_ACQ_REL,
							__ATOMIC_RELAXED))
		return NULL;
	saved = errno;
	t = map_cache();
	errno = saved;
	table = t;
	__atomic_store_n(&state, t ? READY : UNAVAILABLE, __ATOMIC_RELEASE);
	if (!t)
		cl_debug("no shared mark cache: each process reads marks itself");
	return t;
}

static bool cacheable(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_nlink > 1 && st->st_ctim.tv_nsec != 0;
}

enum cl_maybe cl_presentcache_get(const struct stat *st, struct cl_record *r)
{
	struct entry *b, *t;
	uint64_t key, v;
	uint32_t p;

	if (!cacheable(st) || !(t = cache()))
		return CL_UNKNOWN;
	key = key_of(st);
	b = bucket(t, st);
	for (int i = 0; i < WAYS; i++) {
		if (__atomic_load_n(&b[i].key, __ATOMIC_RELAXED) != key)
			continue;
		v = __atomic_load_n(&b[i].value, __ATOMIC_RELAXED);
		p = (uint32_t)v;
		if ((v >> 32) != check_of(key, p) || !(p >> 31))
			return CL_UNKNOWN;
		if (!(p & USED))
			__atomic_fetch_or(&b[i].value, (uint64_t)USED, __ATOMIC_RELAXED);
		if (!(p & 1u))
			return CL_NO;
		r->version = (p >> 1) & 0xffu;
		r->wbits = (mode_t)((p >> 9) & 07777u);
		return CL_YES;
	}
	return CL_UNKNOWN;
}

void cl_presentcache_put(const struct stat *st, int marked, const struct cl_record *r)
{
	struct entry *b, *t, *slot = NULL;
	uint64_t key, k, v;
	uint32_t p, tag;
	int rank, best = 0;

	if (!cacheable(st) || !(t = cache()))
		return;
	key = key_of(st);
	tag = tag_of(st);
	b = bucket(t, st);
	/* This very key, else an older answer about the same inode, else an
	 * empty or damaged slot, else one not used since it was last spared;
	 * the used ones are spared once more (their bit cleared), and with
	 * all four used, one goes at random. */
	for (int i = 0; i < WAYS; i++) {
		k = __atomic_load_n(&b[i].key, __ATOMIC_RELAXED);
		v = __atomic_load_n(&b[i].value, __ATOMIC_RELAXED);
		if (k == key) {
			slot = &b[i];
			break;
		}
		if (k == 0 || (v >> 32) != check_of(k, (uint32_t)v))
			rank = 2;
		else if (((uint32_t)v >> TAG_SHIFT & TAG_MASK) == tag)
			rank = 3;
		else if (!((uint32_t)v & USED))
			rank = 1;
		else
			rank = 0;
		if (rank > best) {
			best = rank;
			slot = &b[i];
		}
	}
	if (!slot) {
		for (int i = 0; i < WAYS; i++)
			__atomic_fetch_and(&b[i].value, ~(uint64_t)USED, __ATOMIC_RELAXED);
		slot = &b[(key >> 16) % WAYS];
	}
	p = payload_of(marked, r, tag);
	/* Key first, then value: a reader between the two sees a check that
	 * does not match, which is a miss. */
	__atomic_store_n(&slot->key, key, __ATOMIC_RELAXED);
	__atomic_store_n(&slot->value, (uint64_t)check_of(key, p) << 32 | p,
			 __ATOMIC_RELEASE);
}
