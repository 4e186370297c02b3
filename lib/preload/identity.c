/* SPDX-License-Identifier: MIT */
/* See identity.h. The permutation is a table of the numbers it moves, (dev,
 * real, shown) with real != shown; every number not in it shows itself.
 * Breaking X into Y composes it with the swap of X and Y: X now shows what
 * Y showed and Y what X showed, so it stays a bijection whatever it held.
 *
 * Two copies of the table, written lock-free for readers (a seqlock each):
 * a writer fills the copy readers are not pointed at and then points them
 * at it, so a stat in a signal handler that interrupted a writer reads a
 * whole table, never a half-written one. Writers take turns with a
 * try-flag; one that finds it taken records nothing (see identity.h). */
#include "identity.h"

#include <stdbool.h>
#include <stdint.h>

/* 64 breaks of distinct numbers; one entry is 24 bytes, in .bss. */
#define ENTRIES 128

struct entry {
	uint64_t dev, real, shown;
};

static struct table {
	unsigned seq; /* odd while a writer fills it */
	unsigned n;
	struct entry e[ENTRIES];
} tables[2];

static unsigned cur;  /* readers use tables[cur & 1] */
static int writing;   /* a writer's turn */
int cl_identity_used;

#define LOAD(p) __atomic_load_n(p, __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n(p, v, __ATOMIC_RELAXED)

/* The index of (DEV, REAL) in the first N entries of T, or -1. */
static int find(const struct table *t, unsigned n, uint64_t dev, uint64_t real)
{
	for (unsigned i = 0; i < n; i++)
		if (LOAD(&t->e[i].real) == real && LOAD(&t->e[i].dev) == dev)
			return (int)i;
	return -1;
}

static uint64_t shown_in(const struct table *t, unsigned n, uint64_t dev, uint64_t real)
{
	int i = find(t, n, dev, real);

	return i < 0 ? real : LOAD(&t->e[i].shown);
}

static void put(struct table *t, unsigned i, uint64_t dev, uint64_t real, uint64_t shown)
{
	STORE(&t->e[i].dev, dev);
	STORE(&t->e[i].real, real);
	STORE(&t->e[i].shown, shown);
}

/* Make REAL show SHOWN in T (*N entries): an entry changed, added or,
 * when it shows itself again, dropped. False when T is full. */
static bool set(struct table *t, unsigned *n, uint64_t dev, uint64_t real, uint64_t shown)
{
	int i = find(t, *n, dev, real);

	if (i < 0 && real == shown)
		return true;
	if (i < 0) {
		if (*n == ENTRIES)
			return false;
		put(t, (*n)++, dev, real, shown);
	} else if (real != shown) {
		STORE(&t->e[i].shown, shown);
	} else {
		struct entry *last = &t->e[--*n];

		put(t, (unsigned)i, LOAD(&last->dev), LOAD(&last->real), LOAD(&last->shown));
	}
	return true;
}

void cl_identity_swap(dev_t dev, ino_t old_ino, ino_t ino)
{
	struct table *from, *to;
	uint64_t x = old_ino, y = ino, px, py;
	unsigned c, n, seq;
	int idle = 0;
	bool ok;

	if (x == y || !__atomic_compare_exchange_n(&writing, &idle, 1, false,
						   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	c = LOAD(&cur);
	from = &tables[c & 1];
	to = &tables[(c + 1) & 1];
	seq = LOAD(&to->seq);
	STORE(&to->seq, seq + 1);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	n = LOAD(&from->n);
	for (unsigned i = 0; i < n; i++)
		put(to, i, LOAD(&from->e[i].dev), LOAD(&from->e[i].real),
		    LOAD(&from->e[i].shown));
	px = shown_in(from, n, dev, x);
	py = shown_in(from, n, dev, y);
	ok = set(to, &n, dev, x, py) && set(to, &n, dev, y, px);
	STORE(&to->n, n);
	__atomic_store_n(&to->seq, seq + 2, __ATOMIC_RELEASE);
	if (ok) {
		__atomic_store_n(&cur, c + 1, __ATOMIC_RELEASE);
		STORE(&cl_identity_used, 1);
	}
	__atomic_store_n(&writing, 0, __ATOMIC_RELEASE);
}

void cl_identity_show(dev_t dev, ino_t *ino)
{
	/* A retry means a writer replaced the table under this reader; each
	 * writer replaces it once per break, so a few tries always do. */
	for (int tries = 0; tries < 1000; tries++) {
		const struct table *t = &tables[__atomic_load_n(&cur, __ATOMIC_ACQUIRE) & 1];
		unsigned seq = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
		uint64_t shown;

		if (seq & 1)
			continue;
		shown = shown_in(t, LOAD(&t->n), dev, *ino);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (LOAD(&t->seq) == seq) {
			*ino = (ino_t)shown;
			return;
		}
	}
}
