/* SPDX-License-Identifier: MIT */
/* transp: a fixed list of file-system calls on files that are NOT cowlinks,
 * printing each result (return value, errno name, what was read back). Run
 * in an empty directory once with the shim and once without: the outputs
 * must be identical (shim-transparency.sh). No inode numbers, times or pids
 * are printed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%-28s -1 %s\n", what, strerrorname_np(errno) ? strerrorname_np(errno) : "?");
	else
		printf("%-28s %ld\n", what, r);
}

/* Like show(), and checks that a successful call left errno alone. */
static void show_keep(const char *what, long r)
{
	show(what, r);
	if (r >= 0 && errno != 12345)
		printf("%-28s errno changed to %s\n", what, strerrorname_np(errno));
}
#define KEEP(what, call) do { long r_; errno = 12345; r_ = (call); show_keep(what, r_); } while (0)

static void content(const char *what, const char *path)
{
	char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);

	if (n < 0) {
		show(what, -1);
	} else {
		buf[n] = 0;
		for (char *p = buf; *p; p++)
			if (*p == '\n')
				*p = '|';
		printf("%-28s [%s]\n", what, buf);
	}
	if (fd >= 0)
		close(fd);
}

static void mode(const char *what, const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		show(what, -1);
	else
		printf("%-28s %o nlink %lu size %lld\n", what, (unsigned)st.st_mode,
		       (unsigned long)st.st_nlink, (long long)st.st_size);
}

int main(void)
{
	int fd, fd2, p[2], sv[2];
	char buf[64], path[64];
	struct stat st;
	FILE *f;
	char *m;

	umask(022);
	/* errno values of failing opens */
	show("open missing r", open("missing", O_RDONLY));
	show("open missing w", open("missing", O_WRONLY));
	show("open missing/x w", open("missing/x", O_WRONLY | O_CREAT, 0644));
	KEEP("creat f", fd = creat("f", 0640));
	KEEP("write f", write(fd, "hello\n", 6));
	close(fd);
	show("open f excl", open("f", O_WRONLY | O_CREAT | O_EXCL, 0644));
	show("open f/x", open("f/x", O_RDONLY));
	show("open f directory", open("f", O_RDONLY | O_DIRECTORY));
	mkdir("d", 0755);
	show("open d w", open("d", O_WRONLY));
	show("open d rw", open("d", O_RDWR));
	show("open d trunc", open("d", O_RDONLY | O_TRUNC));
	fd = open("d", O_RDONLY | O_DIRECTORY);
	show("open d directory", fd >= 0 ? 0 : -1);
	close(fd);
	symlink("f", "l");
	symlink("nowhere", "dangling");
	show("open l nofollow w", open("l", O_WRONLY | O_NOFOLLOW));
	fd = open("dangling", O_WRONLY | O_CREAT, 0600);
	show("open dangling creat", fd >= 0 ? 0 : -1);
	close(fd);
	mode("mode nowhere", "nowhere");
	show("open dangling excl", open("dangling", O_WRONLY | O_CREAT | O_EXCL, 0600));
	/* O_APPEND: writes land at the end whatever the offset */
	fd = open("f", O_WRONLY | O_APPEND);
	lseek(fd, 0, SEEK_SET);
	KEEP("append write", write(fd, "more\n", 5));
	KEEP("append pwrite", pwrite(fd, "P\n", 2, 0));
	close(fd);
	content("content f", "f");
	/* O_TRUNC on a one-link file, read-only fd writes */
	fd = open("f", O_RDONLY | O_TRUNC);
	show("rdonly trunc", fd >= 0 ? 0 : -1);
	show("write on rdonly", write(fd, "x", 1));
	show("ftruncate on rdonly", ftruncate(fd, 0));
	show("fallocate on rdonly", fallocate(fd, 0, 0, 10));
	errno = posix_fallocate(fd, 0, 10);
	show("posix_fallocate on rdonly", errno ? -1 : 0);
	close(fd);
	mode("mode f", "f");
	/* O_TMPFILE, linked in */
	fd = open(".", O_WRONLY | O_TMPFILE, 0600);
	show("tmpfile write", write(fd, "tmp\n", 4));
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	show("tmpfile linkat", linkat(AT_FDCWD, path, AT_FDCWD, "t", AT_SYMLINK_FOLLOW));
	close(fd);
	content("content t", "t");
	mode("mode t", "t");
	/* O_PATH */
	fd = open("t", O_PATH);
	show("opath fstat", fstat(fd, &st));
	show("opath write", write(fd, "x", 1));
	show("opath fchmod", fchmod(fd, 0600));
	close(fd);
	/* FIFOs, pipes, sockets, /dev/null, /proc */
	mkfifo("fifo", 0600);
	fd = open("fifo", O_RDWR);
	show("fifo write", write(fd, "ff", 2));
	show("fifo read", read(fd, buf, sizeof buf));
	close(fd);
	show("fifo nonblock w", open("fifo", O_WRONLY | O_NONBLOCK));
	show("pipe", pipe(p));
	show("pipe write", write(p[1], "pp", 2));
	show("pipe read", read(p[0], buf, sizeof buf));
	show("pipe ftruncate", ftruncate(p[1], 0));
	show("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	show("socket write", write(sv[0], "ss", 2));
	show("socket read", read(sv[1], buf, sizeof buf));
	show("socket mmap", mmap(NULL, 4096, PROT_READ, MAP_SHARED, sv[0], 0) == MAP_FAILED ? -1 : 0);
	fd = open("/dev/null", O_WRONLY);
	show("devnull write", write(fd, "n", 1));
	close(fd);
	fd = open("/proc/self/comm", O_RDONLY);
	show("proc read", read(fd, buf, sizeof buf) > 0 ? 0 : -1);
	close(fd);
	show("proc write", open("/proc/self/stat", O_WRONLY));
	/* writes through fds of plain files: every family */
	fd = open("w", O_RDWR | O_CREAT | O_TRUNC, 0644);
	KEEP("w write", write(fd, "0123456789\n", 11));
	KEEP("w pwrite", pwrite(fd, "AB", 2, 2));
	{
		struct iovec iov[2] = { { "x", 1 }, { "y", 1 } };
		KEEP("w writev", writev(fd, iov, 2));
		KEEP("w pwritev", pwritev(fd, iov, 2, 5));
	}
	KEEP("w ftruncate", ftruncate(fd, 16));
	KEEP("w fallocate", fallocate(fd, 0, 0, 20));
	errno = posix_fallocate(fd, 0, 24);
	show("w posix_fallocate", errno ? -1 : 0);
	m = mmap(NULL, 4, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	show("w mmap shared", m == MAP_FAILED ? -1 : 0);
	if (m != MAP_FAILED) {
		memcpy(m, "MMAP", 4);
		munmap(m, 4);
	}
	fd2 = open("t", O_RDONLY);
	KEEP("w sendfile", sendfile(fd, fd2, NULL, 4));
	lseek(fd2, 0, SEEK_SET);
	KEEP("w copy_file_range", copy_file_range(fd2, NULL, fd, NULL, 4, 0));
	close(fd2);
	KEEP("w dup2", dup2(fd, 20));
	KEEP("w write dup", write(20, "D", 1));
	KEEP("w fcntl getfl", fcntl(20, F_GETFL) & (O_ACCMODE | O_APPEND));
	close(20);
	show("write closed", write(20, "D", 1));
	f = fdopen(fd, "w");
	show("w fdopen", f ? 0 : -1);
	fputs("stdio\n", f);
	fclose(f);
	content("content w", "w");
	mode("mode w", "w");
	/* stdio opens */
	f = fopen("missing/x", "w");
	show("fopen missing dir", f ? 0 : -1);
	f = fopen("s", "w");
	fputs("one\n", f);
	fclose(f);
	f = fopen("s", "a");
	fputs("two\n", f);
	fclose(f);
	f = fopen("s", "r+");
	fputs("ONE", f);
	fclose(f);
	f = fopen("s", "wx");
	show("fopen wx existing", f ? 0 : -1);
	content("content s", "s");
	/* metadata, truncation, xattrs on plain files */
	KEEP("chmod", chmod("s", 0604));
	KEEP("chown", chown("s", 1, 2));
	KEEP("lchown l", lchown("l", 3, 4));
	KEEP("truncate", truncate("s", 3));
	show("truncate missing", truncate("missing", 0));
	show("truncate dir", truncate("d", 0));
	show("chmod missing", chmod("missing", 0600));
	KEEP("setxattr", setxattr("s", "user.k", "v", 1, 0));
	show("setxattr create again", setxattr("s", "user.k", "v", 1, XATTR_CREATE));
	show("getxattr missing", getxattr("s", "user.none", buf, sizeof buf));
	KEEP("listxattr size", listxattr("s", NULL, 0));
	show("listxattr small", listxattr("s", buf, 1));
	show("removexattr missing", removexattr("s", "user.none"));
	show("setxattr on symlink", lsetxattr("l", "user.k", "v", 1, 0));
	struct timespec ts[2] = { { 1000, 0 }, { 2000, 5 } };
	KEEP("utimensat", utimensat(AT_FDCWD, "s", ts, 0));
	lstat("s", &st);
	printf("%-28s %ld.%ld\n", "mtime s", (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	mode("mode s", "s");
	content("content s2", "s");
	/* an unmarked hard link (no scope): writes are shared */
	link("s", "s2");
	fd = open("s2", O_WRONLY | O_APPEND);
	KEEP("hardlink write", write(fd, "!", 1));
	close(fd);
	content("hardlink other", "s");
	mode("hardlink mode", "s");
	show("access w s", access("s", W_OK));
	show("access x s", access("s", X_OK));
	show("access missing", access("missing", F_OK));
	show("faccessat eaccess", faccessat(AT_FDCWD, "s", W_OK, AT_EACCESS));
	show("rename", rename("s2", "s3"));
	show("rename missing", rename("missing", "s4"));
	show("unlink dir", unlink("d"));
	show("rmdir nonempty", rmdir("."));
	return 0;
}
