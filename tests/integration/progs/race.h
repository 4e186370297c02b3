/* SPDX-License-Identifier: MIT */
/* How long a race harness runs (the race tests: race-*.sh,
 * stress-concurrency.sh). A race is exercised by rounds, not by seconds: a
 * harness runs for at least SECONDS and until each counter it watches has
 * reached ROUNDS, whichever comes later, so that a slow or loaded machine
 * runs as many rounds as a quiet one, only for longer. CAP seconds bound
 * it all, well inside the test's timeout; a harness stopped by the cap
 * prints what it ran and its test reports the race as not run (skipped),
 * never as a failure of what it checks. Counters shared by two processes
 * live in a MAP_SHARED mapping and are read and written atomically. */
#ifndef RACE_H
#define RACE_H

#include <stdlib.h>
#include <time.h>

struct race_clock {
	double min_end, cap_end;
	long rounds;
};

static inline double race_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* From the arguments SECONDS [ROUNDS [CAP]] (ROUNDS 0 by default: time
 * alone; CAP 20 times SECONDS, at least 120 s, by default). */
static inline void race_start(struct race_clock *c, char **arg, int nargs)
{
	double secs = atof(arg[0]), t = race_now();
	double cap = nargs > 2 ? atof(arg[2]) : (secs * 20 > 120 ? secs * 20 : 120);

	c->min_end = t + secs;
	c->cap_end = t + cap;
	c->rounds = nargs > 1 ? atol(arg[1]) : 0;
}

static inline long race_load(const long *n)
{
	return __atomic_load_n(n, __ATOMIC_RELAXED);
}

static inline void race_add(long *n)
{
	__atomic_add_fetch(n, 1, __ATOMIC_RELAXED);
}

/* Go on? Until the time is up and both counters have their rounds. */
static inline int race_more(const struct race_clock *c, const long *a, const long *b)
{
	double t = race_now();

	if (t >= c->cap_end)
		return 0;
	return t < c->min_end || race_load(a) < c->rounds || race_load(b) < c->rounds;
}

/* Did the counters reach their rounds (or was the race stopped by the cap)? */
static inline int race_done(const struct race_clock *c, long a, long b)
{
	return a >= c->rounds && b >= c->rounds;
}

#endif
