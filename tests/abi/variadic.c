/* SPDX-License-Identifier: MIT */
/* Variadic argument promotion through the shim's wrappers (libfaketime's
 * test): open's mode passed as short, unsigned short, int and mode_t, read
 * only when O_CREAT or O_TMPFILE says it is there; fcntl's and ioctl's
 * third arguments as int, none, and pointer. Run in a directory holding a
 * cowlink set b c d e f g (the script checks that each write-open below
 * broke exactly its name). Built without _FILE_OFFSET_BITS and fortify so
 * that open is open. Exit 0 when every call did what it does without the
 * shim; each failure is one line on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

int __open_2(const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

static int failures;

static void bad(const char *what)
{
	fprintf(stderr, "variadic: %s: %s\n", what, strerror(errno));
	failures++;
}

/* FD (named WHAT) must be a valid fd on a file of mode WANT. Closes it. */
static void expect_mode(int fd, const char *what, mode_t want)
{
	struct stat st;

	if (fd < 0)
		return bad(what);
	if (fstat(fd, &st) < 0)
		return bad(what);
	if ((st.st_mode & 07777) != want) {
		fprintf(stderr, "variadic: %s: mode %o, want %o\n", what,
			(unsigned)(st.st_mode & 07777), (unsigned)want);
		failures++;
	}
	close(fd);
}

/* A write through FD (a write-open of a cowlink). Closes it. */
static void expect_write(int fd, const char *what)
{
	if (fd < 0 || write(fd, "x", 1) != 1)
		bad(what);
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	int (*op)(const char *, int, ...) = open;
	int fd, dfd, fl, n, flags;

	if (argc != 2 || chdir(argv[1]) < 0)
		return 2;
	umask(0);
	dfd = open(".", O_RDONLY | O_DIRECTORY);

	/* New files: the mode must arrive whatever type it was passed as. */
	expect_mode(open("new-short", O_CREAT | O_WRONLY | O_EXCL, (short)0640), "open short", 0640);
	expect_mode(open64("new-int", O_CREAT | O_WRONLY, 0604), "open64 int", 0604);
	expect_mode(openat(AT_FDCWD, "new-ushort", O_CREAT | O_RDWR, (unsigned short)0600), "openat ushort", 0600);
	expect_mode(openat64(dfd, "new-modet", O_CREAT | O_WRONLY | O_TRUNC, (mode_t)0660), "openat64 mode_t", 0660);
	expect_mode(op("new-ptr", O_CREAT | O_WRONLY, (short)0606), "open by pointer", 0606);
	expect_mode(creat("new-creat", 0602), "creat", 0602);
	fd = open(".", O_TMPFILE | O_WRONLY, (short)0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR))
		expect_mode(fd, "open O_TMPFILE short", 0600);

	/* Write-opens of cowlinks, with and without a mode argument. */
	expect_write(open("b", O_WRONLY | O_APPEND), "open b (no mode)");
	expect_write(open("c", O_WRONLY | O_APPEND | O_CREAT, (short)0600), "open c (O_CREAT, short)");
	expect_write(openat(dfd, "d", O_RDWR | O_APPEND), "openat d");
	expect_write(__open_2("e", O_WRONLY | O_APPEND), "__open_2 e");
	expect_write(__openat64_2(dfd, "f", O_WRONLY | O_APPEND), "__openat64_2 f");
	expect_write(op("g", O_RDWR | O_APPEND), "open g by pointer");

	/* fcntl and ioctl: no third argument, an int, a pointer. */
	fd = open("new-int", O_RDWR);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    !(fcntl(fd, F_GETFL) & O_NONBLOCK))
		bad("fcntl F_SETFL int");
	n = fcntl(fd, F_DUPFD_CLOEXEC, 100);
	if (n < 100)
		bad("fcntl F_DUPFD_CLOEXEC 100");
	else
		close(n);
	n = -1;
	if (ioctl(fd, FIONREAD, &n) < 0 || n != 0)
		bad("ioctl FIONREAD pointer");
	flags = 0;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 && errno != ENOTTY &&
	    errno != EOPNOTSUPP && errno != EINVAL)
		bad("ioctl FS_IOC_GETFLAGS pointer");
	close(fd);
	return failures ? 1 : 0;
}
