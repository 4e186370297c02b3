/* SPDX-License-Identifier: MIT */
/* fdreuse SHARED_FD PLAIN: the fd table must not keep a "safe" answer when
 * an fd number changes meaning. SHARED_FD is an inherited writable fd on a
 * shared inode; PLAIN an ordinary file. Each step writes PLAIN through an fd
 * (which the shim may then cache as safe), makes that fd NUMBER refer to the
 * shared inode another way, and writes again; prints "<step> <outcome>".
 * The dup family refuses to copy the shared fd (ETXTBSY): then the step's
 * outcome is the dup's, and the number keeps its old meaning. */
#include "prog.h"
#include <sys/socket.h>

static int shared;

static int plain_fd(const char *plain)
{
	int fd = open(plain, O_WRONLY | O_APPEND);

	if (fd < 0 || write(fd, "p\n", 2) != 2) {
		perror(plain);
		exit(2);
	}
	return fd;
}

static void step(const char *name, int fd)
{
	printf("%s ", name);
	fflush(stdout);
	outcome(write(fd, PAYLOAD, PAYLOAD_LEN) < 0);
	fflush(stdout);
}

/* A dup-family call returned R onto FD: its own refusal, or the write. */
static void step_dup(const char *name, int r, int fd)
{
	if (r < 0) {
		printf("%s ", name);
		fflush(stdout);
		outcome(1);
		fflush(stdout);
		return;
	}
	step(name, fd);
}

/* Send fd IN over the socketpair SV and receive it: the new number is the
 * lowest free one. The pair is made before, so that no wrapped call touches
 * that number in between. */
static int pass_fd(const int sv[2], int in)
{
	char c = 0, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl, .msg_controllen = sizeof ctl };
	struct cmsghdr *cm;
	int out;

	memset(ctl, 0, sizeof ctl);
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &in, sizeof in);
	if (sendmsg(sv[0], &m, 0) != 1)
		exit(2);
	if (recvmsg(sv[1], &m, 0) != 1)
		exit(2);
	memcpy(&out, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof out);
	return out;
}

/* The same through recvmmsg, which receives a vector of messages. */
static int pass_fd_mmsg(const int sv[2], int in)
{
	char c = 0, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct mmsghdr mm = { .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1,
					   .msg_control = ctl, .msg_controllen = sizeof ctl } };
	struct cmsghdr *cm;
	int out;

	memset(ctl, 0, sizeof ctl);
	cm = CMSG_FIRSTHDR(&mm.msg_hdr);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &in, sizeof in);
	if (sendmsg(sv[0], &mm.msg_hdr, 0) != 1)
		exit(2);
	if (recvmmsg(sv[1], &mm, 1, 0, NULL) != 1)
		exit(2);
	memcpy(&out, CMSG_DATA(CMSG_FIRSTHDR(&mm.msg_hdr)), sizeof out);
	return out;
}

int main(int argc, char **argv)
{
	int fd, n, sv[2];
	FILE *f;

	if (argc < 3)
		return usage("fdreuse SHARED_FD PLAIN");
	shared = fd_arg(argv[1]);

	step("inherited", shared);

	fd = plain_fd(argv[2]);
	step_dup("dup2", dup2(shared, fd), fd);
	close(fd);

	fd = plain_fd(argv[2]);
	step_dup("dup3", dup3(shared, fd, O_CLOEXEC), fd);
	close(fd);

	fd = plain_fd(argv[2]);
	close(fd);
	n = dup(shared);
	step_dup(n < 0 || n == fd ? "close+dup" : "close+dup(other number)", n, n);
	close(n);

	fd = plain_fd(argv[2]);
	close(fd);
	n = fcntl(shared, F_DUPFD, fd);
	step_dup("fcntl-dupfd", n, n);
	close(n);

	fd = plain_fd(argv[2]);
	close(fd);
	n = fcntl(shared, F_DUPFD_CLOEXEC, fd);
	step_dup("fcntl-dupfd-cloexec", n, n);
	close(n);

	/* fclose closes inside glibc, past the close wrapper. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 2;
	f = fopen(argv[2], "a");
	if (!f)
		return 2;
	fd = fileno(f);
	if (write(fd, "p\n", 2) != 2)
		return 2;
	fclose(f);
	n = pass_fd(sv, shared);
	step(n == fd ? "fclose+recvmsg" : "fclose+recvmsg(other number)", n);
	close(n);

	f = fopen(argv[2], "a");
	if (!f)
		return 2;
	fd = fileno(f);
	if (write(fd, "p\n", 2) != 2)
		return 2;
	fclose(f);
	n = pass_fd_mmsg(sv, shared);
	step(n == fd ? "fclose+recvmmsg" : "fclose+recvmmsg(other number)", n);
	close(n);

	fd = plain_fd(argv[2]);
	step("plain", fd);
	close(fd);
	return 0;
}
