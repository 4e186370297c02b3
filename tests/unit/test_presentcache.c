/* SPDX-License-Identifier: MIT */
/* The present cache shared by one user's processes (presentcache.c): answers
 * only for the exact (dev, ino, ctime, nlink) it was told, survives the
 * process, reads torn or foreign entries as misses, and is used only from a
 * file that is the user's own. The cache is mapped once per process, so every
 * case runs in a child of its own; a child's exit code is the line that
 * failed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"

#define CACHE_SIZE (4096 + (1u << 17) * 4 * 16)

/* In a child: fail with the line number as the exit code. */
#define CHECK(c)                                  \
	do {                                      \
		if (!(c))                         \
			_exit(__LINE__ % 250 + 1); \
	} while (0)

/* Run FN in a child with COWLINK_CACHE = CACHE (NULL: the default); its
 * exit code (0: passed). */
static int in_child(void (*fn)(void), const char *cache)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		cl_cfg.cache = cache;
		fn();
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* A stat of a multi-link regular file with a fine-grained ctime, made up:
 * the cache looks at no other field. */
static struct stat fake(ino_t ino)
{
	struct stat st;

	memset(&st, 0, sizeof st);
	st.st_mode = S_IFREG | 0444;
	st.st_nlink = 2;
	st.st_dev = 0x801;
	st.st_ino = ino;
	st.st_ctim.tv_sec = 1700000000;
	st.st_ctim.tv_nsec = 123456789;
	return st;
}

static const struct cl_record rec0220 = { 1, 0220, false };

static void put_and_get(void)
{
	struct stat st = fake(1000), other;
	struct cl_record r = { 9, 9, false };

	CHECK(cl_presentcache_get(&st, &r) == CL_UNKNOWN);
	cl_presentcache_put(&st, 1, &rec0220);
	CHECK(cl_presentcache_get(&st, &r) == 1);
	CHECK(r.version == 1 && r.wbits == 0220);
	/* A malformed record is remembered as what it reads as: version 0. */
	st = fake(1001);
	cl_presentcache_put(&st, 1, &(struct cl_record){ 0, 0, false });
	CHECK(cl_presentcache_get(&st, &r) == 1 && r.version == 0 && r.wbits == 0);
	st = fake(1002);
	cl_presentcache_put(&st, 0, &(struct cl_record){ 0, 0, false });
	CHECK(cl_presentcache_get(&st, &r) == 0);
	/* An answer changes with what a later read found. */
	cl_presentcache_put(&st, 1, &(struct cl_record){ 1, 0222, false });
	CHECK(cl_presentcache_get(&st, &r) == 1 && r.wbits == 0222);
	cl_presentcache_put(&st, 0, &r);
	CHECK(cl_presentcache_get(&st, &r) == 0);

	/* Any field of the key changed: not known. */
	st = fake(1000);
	other = st, other.st_nlink = 3;
	CHECK(cl_presentcache_get(&other, &r) == CL_UNKNOWN);
	other = st, other.st_ctim.tv_nsec++;
	CHECK(cl_presentcache_get(&other, &r) == CL_UNKNOWN);
	other = st, other.st_ctim.tv_sec++;
	CHECK(cl_presentcache_get(&other, &r) == CL_UNKNOWN);
	other = st, other.st_ino += 1u << 16; /* the same bucket */
	CHECK(cl_presentcache_get(&other, &r) == CL_UNKNOWN);
	other = st, other.st_dev++;
	CHECK(cl_presentcache_get(&other, &r) == CL_UNKNOWN);
}

/* What another process told the cache. */
static void get_later(void)
{
	struct stat st = fake(1000);
	struct cl_record r;

	CHECK(cl_presentcache_get(&st, &r) == 1 && r.version == 1 && r.wbits == 0220);
	st = fake(1002);
	CHECK(cl_presentcache_get(&st, &r) == 0);
}

static void across_processes(void **state)
{
	const char *cache = fx_p(fx_dir, "across");
	struct stat st;

	(void)state;
	assert_int_equal(in_child(put_and_get, cache), 0);
	assert_int_equal(in_child(get_later, cache), 0);
	/* Made private to the user, at its full size. */
	assert_int_equal(stat(cache, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, CACHE_SIZE);
	assert_int_equal(st.st_nlink, 1);
}

/* What is never cached: a coarse ctime (re-made file systems reuse inode
 * numbers within the second), one link, not a regular file. */
static void never_cached(void)
{
	struct stat st = fake(2000);
	struct cl_record r;

	st.st_ctim.tv_nsec = 0;
	cl_presentcache_put(&st, 1, &rec0220);
	CHECK(cl_presentcache_get(&st, &r) == CL_UNKNOWN);
	st = fake(2001), st.st_nlink = 1;
	cl_presentcache_put(&st, 1, &rec0220);
	CHECK(cl_presentcache_get(&st, &r) == CL_UNKNOWN);
	st = fake(2002), st.st_mode = S_IFDIR | 0755;
	cl_presentcache_put(&st, 1, &rec0220);
	CHECK(cl_presentcache_get(&st, &r) == CL_UNKNOWN);
	/* ...while the cache itself works. */
	st = fake(2003);
	cl_presentcache_put(&st, 1, &rec0220);
	CHECK(cl_presentcache_get(&st, &r) == 1);
}

static void uncacheable(void **state)
{
	(void)state;
	assert_int_equal(in_child(never_cached, fx_p(fx_dir, "never")), 0);
}

/* Up to N inodes from START on that share FIRST's bucket, into INOS. */
static int bucket_mates(ino_t first, ino_t *inos, int n)
{
	struct stat a = fake(first), b;
	int found = 0;

	for (ino_t i = first; found < n && i < first + (1u << 26); i += 64) {
		b = fake(i);
		if (cl_presentcache_bucket(&b) == cl_presentcache_bucket(&a))
			inos[found++] = i;
	}
	return found;
}

/* Five inodes in one 4-way bucket: the last one told is known, older ones
 * may be gone, none is ever answered wrong. */
static void crowded(void)
{
	struct cl_record r;
	ino_t ino[5];
	int known = 0;

	CHECK(bucket_mates(3000, ino, 5) == 5);
	for (unsigned i = 0; i < 5; i++) {
		struct stat st = fake(ino[i]);

		cl_presentcache_put(&st, 1, &(struct cl_record){ 1, i & 1 ? 0200 : 020, false });
	}
	for (unsigned i = 0; i < 5; i++) {
		struct stat st = fake(ino[i]);
		int m = cl_presentcache_get(&st, &r);

		CHECK(m == CL_UNKNOWN || (m == CL_YES && r.wbits == (i & 1 ? 0200u : 020u)));
		known += m == CL_YES;
		if (i == 4)
			CHECK(m == CL_YES);
	}
	CHECK(known >= 1 && known <= 4);
}

/* Newer answers about one inode (its ctime and links move on) take the
 * place of its older ones: three other inodes of the bucket stay known. */
static void versions(void)
{
	struct cl_record r;
	ino_t ino[4];

	CHECK(bucket_mates(9000, ino, 4) == 4);
	for (unsigned i = 1; i < 4; i++) {
		struct stat st = fake(ino[i]);

		cl_presentcache_put(&st, 1, &rec0220);
	}
	for (unsigned v = 0; v < 20; v++) {
		struct stat st = fake(ino[0]);

		st.st_ctim.tv_nsec += v;
		st.st_nlink += v % 3;
		cl_presentcache_put(&st, 1, &rec0220);
		CHECK(cl_presentcache_get(&st, &r) == 1);
	}
	for (unsigned i = 1; i < 4; i++) {
		struct stat st = fake(ino[i]);

		CHECK(cl_presentcache_get(&st, &r) == 1);
	}
}

/* A bucket full of answers nobody asks for again (deleted files): new
 * answers push those out before the ones in use. */
static void second_chance(void)
{
	struct cl_record r;
	ino_t ino[8];

	CHECK(bucket_mates(20000, ino, 8) == 8);
	for (unsigned i = 0; i < 4; i++) { /* four stale, never read */
		struct stat st = fake(ino[i]);

		cl_presentcache_put(&st, 1, &rec0220);
	}
	for (unsigned i = 4; i < 8; i++) { /* four live, read after each put */
		struct stat st = fake(ino[i]);

		cl_presentcache_put(&st, 1, &rec0220);
		for (unsigned j = 4; j <= i; j++) {
			struct stat sj = fake(ino[j]);

			CHECK(cl_presentcache_get(&sj, &r) == 1);
		}
	}
}

static void eviction(void **state)
{
	(void)state;
	assert_int_equal(in_child(crowded, fx_p(fx_dir, "crowded")), 0);
	assert_int_equal(in_child(versions, fx_p(fx_dir, "versions")), 0);
	assert_int_equal(in_child(second_chance, fx_p(fx_dir, "second")), 0);
}

/* Flip one bit of every stored key, or of every stored value, in the file. */
static void damage(const char *cache, int word)
{
	int fd = open(cache, O_RDWR);
	uint64_t *t;

	assert_true(fd >= 0);
	t = mmap(NULL, CACHE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(t != MAP_FAILED);
	close(fd);
	for (size_t i = 4096 / 8; i < CACHE_SIZE / 8; i += 2)
		if (t[i])
			t[i + word] ^= 1ull << 40;
	munmap(t, CACHE_SIZE);
}

static void put_one(void)
{
	struct stat st = fake(4000);

	cl_presentcache_put(&st, 1, &rec0220);
}

static void miss_one(void)
{
	struct stat st = fake(4000);
	struct cl_record r;

	CHECK(cl_presentcache_get(&st, &r) == CL_UNKNOWN);
	/* Still usable: a new answer overwrites the damaged one. */
	cl_presentcache_put(&st, 0, &rec0220);
	CHECK(cl_presentcache_get(&st, &r) == 0);
}

static void torn_entries(void **state)
{
	const char *cache = fx_p(fx_dir, "torn");

	(void)state;
	for (int word = 0; word < 2; word++) {
		assert_int_equal(unlink(cache) == 0 || errno == ENOENT, 1);
		assert_int_equal(in_child(put_one, cache), 0);
		damage(cache, word);
		assert_int_equal(in_child(miss_one, cache), 0);
	}
}

/* Two processes writing into the same buckets at once: every answer either
 * is the one that belongs to the inode or a miss. */
static void hammer(void)
{
	struct cl_record r;

	for (unsigned n = 0; n < 200000; n++) {
		unsigned i = (n * 2654435761u >> 7) % 64;
		struct stat st = fake(5000 + ((ino_t)i << 16));
		mode_t w = (mode_t)(i % 7 + 1) << 3 & 0222;
		int m;

		if (n & 1) {
			cl_presentcache_put(&st, 1, &(struct cl_record){ 1, w, false });
			continue;
		}
		m = cl_presentcache_get(&st, &r);
		CHECK(m == CL_UNKNOWN || (m == CL_YES && r.version == 1 && r.wbits == w));
	}
}

static void concurrent_writers(void **state)
{
	const char *cache = fx_p(fx_dir, "hammer");
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		cl_cfg.cache = cache;
		hammer();
		_exit(0);
	}
	assert_int_equal(in_child(hammer, cache), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void unusable_put_get(void)
{
	struct stat st = fake(6000);
	struct cl_record r;

	cl_presentcache_put(&st, 1, &rec0220);
	CHECK(cl_presentcache_get(&st, &r) == CL_UNKNOWN);
}

/* Files the cache must not use -- and must leave exactly as they are. */
static void refused_files(void **state)
{
	const char *open_mode = fx_p(fx_dir, "mode0644");
	const char *others = fx_p(fx_dir, "others");
	const char *linked = fx_p(fx_dir, "linked"), *linked2 = fx_p(fx_dir, "linked2");
	const char *foreign = fx_p(fx_dir, "foreign");
	const char *small = fx_p(fx_dir, "small");
	const char *sym = fx_p(fx_dir, "sym"), *target = fx_p(fx_dir, "target");
	const char *off = fx_p(fx_dir, "off");
	char *junk = calloc(1, CACHE_SIZE);
	struct stat st;

	(void)state;
	assert_non_null(junk);
	/* Readable or writable by others. */
	assert_int_equal(fx_write(open_mode, "", 0, 0644), 0);
	assert_int_equal(in_child(unusable_put_get, open_mode), 0);
	assert_int_equal(stat(open_mode, &st), 0);
	assert_int_equal(st.st_size, 0);
	/* Somebody else's file. */
	assert_int_equal(fx_write(others, "", 0, 0600), 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(others, 65534, 65534), 0);
		assert_int_equal(in_child(unusable_put_get, others), 0);
		assert_int_equal(stat(others, &st), 0);
		assert_int_equal(st.st_size, 0);
	}
	/* A second name: someone could read it through the other one. */
	assert_int_equal(fx_write(linked, "", 0, 0600), 0);
	assert_int_equal(link(linked, linked2), 0);
	assert_int_equal(in_child(unusable_put_get, linked), 0);
	assert_int_equal(stat(linked, &st), 0);
	assert_int_equal(st.st_size, 0);
	/* The right size but another layout: left byte for byte alone. */
	memset(junk, 'j', CACHE_SIZE);
	assert_int_equal(fx_write(foreign, junk, CACHE_SIZE, 0600), 0);
	assert_int_equal(in_child(unusable_put_get, foreign), 0);
	assert_int_equal(fx_write(small, "abc", 3, 0600), 0);
	assert_int_equal(in_child(unusable_put_get, small), 0);
	int fd = open(foreign, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, junk, CACHE_SIZE), CACHE_SIZE);
	close(fd);
	for (size_t i = 0; i < CACHE_SIZE; i++)
		if (junk[i] != 'j')
			fail_msg("byte %zu of a foreign file changed", i);
	assert_int_equal(stat(small, &st), 0);
	assert_int_equal(st.st_size, 3);
	/* A symlink is not followed: nothing is created at its target. */
	assert_int_equal(symlink(target, sym), 0);
	assert_int_equal(in_child(unusable_put_get, sym), 0);
	assert_int_equal(lstat(target, &st), -1);
	/* Turned off, or not an absolute path: no file at all. */
	assert_int_equal(chdir(fx_dir), 0);
	assert_int_equal(in_child(unusable_put_get, "off"), 0);
	assert_int_equal(in_child(unusable_put_get, ""), 0);
	assert_int_equal(in_child(unusable_put_get, "0"), 0);
	assert_int_equal(in_child(unusable_put_get, "relative"), 0);
	assert_int_equal(lstat(off, &st), -1);
	assert_int_equal(lstat(fx_p(fx_dir, "relative"), &st), -1);
	assert_int_equal(chdir("/"), 0);
	free(junk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(across_processes),
		cmocka_unit_test(uncacheable),
		cmocka_unit_test(eviction),
		cmocka_unit_test(torn_entries),
		cmocka_unit_test(concurrent_writers),
		cmocka_unit_test(refused_files),
	};

	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
