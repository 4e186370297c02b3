/* SPDX-License-Identifier: MIT */
/* nochange: one metadata call whose arguments may restate what the file
 * has, for shim-nochange.sh. Prints the outcome ("ok" or the errno name).
 *   nochange chmod|fchmod PATH MODE
 *   nochange chown|fchown PATH UID GID           (-1 keeps)
 *   nochange setxattr|fsetxattr PATH NAME VALUE create|replace|0
 *   nochange removexattr|fremovexattr PATH NAME
 *   nochange utimensat|futimens PATH ATIME MTIME (secs.nsecs, omit, now,
 *                                                 keep: what stat shows)
 *   nochange utimes PATH ATIME MTIME             (keep: to the microsecond)
 * The f* forms go through a read-only fd. */
#include "prog.h"
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/xattr.h>

static struct timespec ts_arg(const char *s, const struct timespec *have)
{
	struct timespec t = { 0, 0 };
	char *dot;

	if (!strcmp(s, "omit")) {
		t.tv_nsec = UTIME_OMIT;
	} else if (!strcmp(s, "now")) {
		t.tv_nsec = UTIME_NOW;
	} else if (!strcmp(s, "keep")) {
		t = *have;
	} else {
		t.tv_sec = strtol(s, &dot, 10);
		if (*dot == '.')
			t.tv_nsec = strtol(dot + 1, NULL, 10);
	}
	return t;
}

static int xflags(const char *s)
{
	if (!strcmp(s, "create"))
		return XATTR_CREATE;
	if (!strcmp(s, "replace"))
		return XATTR_REPLACE;
	return 0;
}

int main(int argc, char **argv)
{
	struct timespec t[2];
	struct timeval tv[2];
	struct stat st;
	const char *op = argc > 1 ? argv[1] : "";
	int fd = -1;

	if (argc < 4)
		return usage("nochange CALL PATH ARGS...");
	if (op[0] == 'f' && (fd = open(argv[2], O_RDONLY)) < 0)
		return outcome(1);
	if (!strcmp(op, "chmod"))
		return outcome(chmod(argv[2], (mode_t)strtol(argv[3], NULL, 8)) < 0);
	if (!strcmp(op, "fchmod"))
		return outcome(fchmod(fd, (mode_t)strtol(argv[3], NULL, 8)) < 0);
	if (argc >= 5 && !strcmp(op, "chown"))
		return outcome(chown(argv[2], (uid_t)atol(argv[3]), (gid_t)atol(argv[4])) < 0);
	if (argc >= 5 && !strcmp(op, "fchown"))
		return outcome(fchown(fd, (uid_t)atol(argv[3]), (gid_t)atol(argv[4])) < 0);
	if (argc >= 6 && !strcmp(op, "setxattr"))
		return outcome(setxattr(argv[2], argv[3], argv[4], strlen(argv[4]),
					xflags(argv[5])) < 0);
	if (argc >= 6 && !strcmp(op, "fsetxattr"))
		return outcome(fsetxattr(fd, argv[3], argv[4], strlen(argv[4]),
					 xflags(argv[5])) < 0);
	if (!strcmp(op, "removexattr"))
		return outcome(removexattr(argv[2], argv[3]) < 0);
	if (!strcmp(op, "fremovexattr"))
		return outcome(fremovexattr(fd, argv[3]) < 0);
	if (argc < 5 || stat(argv[2], &st) < 0)
		return usage("nochange CALL PATH ARGS...");
	t[0] = ts_arg(argv[3], &st.st_atim);
	t[1] = ts_arg(argv[4], &st.st_mtim);
	if (!strcmp(op, "utimensat"))
		return outcome(utimensat(AT_FDCWD, argv[2], t, 0) < 0);
	if (!strcmp(op, "futimens"))
		return outcome(futimens(fd, t) < 0);
	if (!strcmp(op, "utimes")) {
		for (int i = 0; i < 2; i++) {
			tv[i].tv_sec = t[i].tv_sec;
			tv[i].tv_usec = t[i].tv_nsec / 1000;
		}
		return outcome(utimes(argv[2], tv) < 0);
	}
	return usage("nochange CALL PATH ARGS...");
}
