/* SPDX-License-Identifier: MIT */
/* snap: the test scripts' fast stat-and-hash (one process instead of a
 * dozen per check, without the shim).
 *   snap PATH...      one line per PATH:
 *     <fnv64 of content> <raw mode> <mode with recorded bits> <uid> <gid>
 *     <size> <mtime.ns> <nlink> <dev:ino> <record or -> <user xattrs or ->
 *     <ctime.ns> (last: the checks that compare lines leave it out)
 *   snap --plain PATH what lib.sh's snapshot compares, in one process:
 *                     <fnv64 of content> <mode and type, hex> <uid> <gid>
 *                     <size> <mtime> <user xattrs but the mark, or ->
 *                     (content and xattrs through a final symlink, the
 *                     rest of the name itself, as sha256sum <PATH, stat -c
 *                     and getfattr -d gave them; "missing", status 0, if
 *                     there is no PATH)
 *   snap --copy PATH  the same without the mtime (lib.sh's run_plain_meta)
 *   snap --link A B   make B a cowlink of A by hand, as cowln does: link;
 *                     once per set, record A's write bits and clear them. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MARK "user.cowlink"

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static uint64_t hash_file(const char *path)
{
	uint64_t h = 1469598103934665603ull;
	unsigned char buf[65536];
	ssize_t n, i;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (i = 0; i < n; i++)
			h = (h ^ buf[i]) * 1099511628211ull;
	close(fd);
	return h;
}

/* The user xattrs but the mark: name=hexvalue, sorted, comma-separated. */
static void print_xattrs(const char *path, int follow)
{
	char list[8192], *names[256], val[4096];
	ssize_t n = follow ? listxattr(path, list, sizeof list) : llistxattr(path, list, sizeof list);
	ssize_t i, v;
	size_t k = 0, j;

	for (i = 0; n > 0 && i < n && k < 256; i += (ssize_t)strlen(list + i) + 1)
		if (!strncmp(list + i, "user.", 5) && strcmp(list + i, MARK))
			names[k++] = list + i;
	if (!k) {
		fputs(" -", stdout);
		return;
	}
	qsort(names, k, sizeof *names, cmpstr);
	for (j = 0; j < k; j++) {
		printf("%s%s=", j ? "," : " ", names[j]);
		v = follow ? getxattr(path, names[j], val, sizeof val)
			   : lgetxattr(path, names[j], val, sizeof val);
		for (i = 0; i < v; i++)
			printf("%02x", (unsigned char)val[i]);
	}
}

static int snap(const char *path)
{
	char rec[64];
	ssize_t n;
	unsigned w = 0;
	struct stat st;

	if (lstat(path, &st) < 0) {
		printf("missing\n");
		return 1;
	}
	n = lgetxattr(path, MARK, rec, sizeof rec - 1);
	if (n >= 0) {
		rec[n] = 0;
		if (sscanf(rec, "cowlink v1 w=%o", &w) != 1)
			w = 0;
		for (char *p = rec; *p; p++)
			if (*p == ' ')
				*p = '_';
	} else {
		strcpy(rec, "-");
	}
	printf("%016" PRIx64 " %o %o %u %u %lld %lld.%09ld %lu %lu:%lu %s",
	       S_ISREG(st.st_mode) ? hash_file(path) : 0,
	       (unsigned)(st.st_mode & 07777), (unsigned)((st.st_mode | (w & 0222)) & 07777),
	       (unsigned)st.st_uid, (unsigned)st.st_gid, (long long)st.st_size,
	       (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
	       (unsigned long)st.st_nlink, (unsigned long)st.st_dev,
	       (unsigned long)st.st_ino, rec);
	print_xattrs(path, 0);
	printf(" %lld.%09ld\n", (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	return 0;
}

/* --plain (with_mtime) and --copy: see the head of the file. */
static int plain(const char *path, int with_mtime)
{
	struct stat st, target;

	if (lstat(path, &st) < 0) {
		printf("missing\n"); /* a line that differs, and no error: as before */
		return 0;
	}
	printf("%016" PRIx64 " %x %u %u %lld",
	       stat(path, &target) == 0 && S_ISREG(target.st_mode) ? hash_file(path) : 0,
	       (unsigned)st.st_mode, (unsigned)st.st_uid, (unsigned)st.st_gid,
	       (long long)st.st_size);
	if (with_mtime)
		printf(" %lld", (long long)st.st_mtim.tv_sec);
	print_xattrs(path, 1);
	putchar('\n');
	return 0;
}

static int link_by_hand(const char *a, const char *b)
{
	char rec[64];
	struct stat st;
	int n;

	if (link(a, b) < 0 || stat(a, &st) < 0) {
		perror(b);
		return 1;
	}
	if (getxattr(a, MARK, rec, sizeof rec) >= 0)
		return 0;
	n = snprintf(rec, sizeof rec, "cowlink v1 w=%04o", (unsigned)(st.st_mode & 0222));
	if (setxattr(a, MARK, rec, (size_t)n, XATTR_CREATE) < 0 ||
	    chmod(a, st.st_mode & 07555) < 0) {
		perror(a);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int i, r = 0;

	if (argc == 4 && !strcmp(argv[1], "--link"))
		return link_by_hand(argv[2], argv[3]);
	if (argc == 3 && (!strcmp(argv[1], "--plain") || !strcmp(argv[1], "--copy")))
		return plain(argv[2], argv[1][2] == 'p');
	for (i = 1; i < argc; i++)
		r |= snap(argv[i]);
	return r;
}
