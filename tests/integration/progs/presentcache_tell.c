/* SPDX-License-Identifier: MIT */
/* Tell the present cache (the shared mark cache) something about a file, true
 * or not, as any process of the user could: the test of "writes never trust
 * it".
 *
 *   presentcache_tell CACHE PATH marked WBITS | unmarked
 *
 * PATH is stat'ed (following symlinks) for the key; CACHE is the cache
 * file, as COWLINK_CACHE would name it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

int main(int argc, char **argv)
{
	struct cl_record r = { CL_RECORD_VERSION, 0, false };
	struct stat st, again;
	int marked;

	if (argc < 4 || (strcmp(argv[3], "marked") && strcmp(argv[3], "unmarked"))) {
		fprintf(stderr, "usage: presentcache_tell CACHE PATH marked WBITS | unmarked\n");
		return 2;
	}
	marked = !strcmp(argv[3], "marked");
	if (marked)
		r.wbits = (mode_t)strtoul(argc > 4 ? argv[4] : "0", NULL, 8);
	if (stat(argv[2], &st)) {
		perror(argv[2]);
		return 1;
	}
	cl_cfg.cache = argv[1];
	cl_presentcache_put(&st, marked, &r);
	/* Read back: the cache must have taken it, or the test proves nothing. */
	if (cl_presentcache_get(&st, &r) != (marked ? CL_YES : CL_NO)) {
		fprintf(stderr, "presentcache_tell: %s: the cache did not take it\n", argv[2]);
		return 1;
	}
	if (stat(argv[2], &again) || again.st_ctim.tv_nsec != st.st_ctim.tv_nsec) {
		fprintf(stderr, "presentcache_tell: %s changed meanwhile\n", argv[2]);
		return 1;
	}
	return 0;
}
