/* SPDX-License-Identifier: MIT */
/* Shared by the one-call programs of the shim tests (shim-*.sh). Each
 * program makes ONE call through the symbol it is named after and prints
 * the outcome on stdout: "ok", or the errno name ("ETXTBSY", "EACCES"...).
 * Exit 0: the call succeeded; 1: it failed; 2: usage or setup error. They
 * are built without _FILE_OFFSET_BITS and _FORTIFY_SOURCE, so a call to
 * open() is a call to the symbol "open" (tests/integration.cmake). */
#ifndef PROG_H
#define PROG_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A program for a call with a 64 twin (open/open64...) is one source built
 * twice (integration.cmake: a file that uses API64): api_<call> with the
 * plain names, api_<call>64 with -DAPI64_BUILD and the 64 ones. */
#ifdef API64_BUILD
#define API64(sym) sym##64
#define API64_SFX "64"
#else
#define API64(sym) sym
#define API64_SFX ""
#endif

/* What the programs write through an fd they got. */
#define PAYLOAD "payload\n"
#define PAYLOAD_LEN (sizeof PAYLOAD - 1)

/* Print the outcome of the call under test and give the exit code. */
static inline int outcome(int failed)
{
	if (failed) {
		const char *n = strerrorname_np(errno);
		printf("%s\n", n ? n : "unknown-errno");
		return 1;
	}
	puts("ok");
	return 0;
}

static inline int usage(const char *args)
{
	fprintf(stderr, "usage: %s\n", args);
	return 2;
}

/* Open flags from letters: r w + (access mode: read, write, both), then
 * a t c x n (O_APPEND O_TRUNC O_CREAT O_EXCL O_NOFOLLOW). NULL: "wa". */
static inline int flags_of(const char *s)
{
	int f = 0;

	if (!s)
		s = "wa";
	for (; *s; s++) {
		switch (*s) {
		case 'r': f = (f & ~O_ACCMODE) | O_RDONLY; break;
		case 'w': f = (f & ~O_ACCMODE) | O_WRONLY; break;
		case '+': f = (f & ~O_ACCMODE) | O_RDWR; break;
		case 'a': f |= O_APPEND; break;
		case 't': f |= O_TRUNC; break;
		case 'c': f |= O_CREAT; break;
		case 'x': f |= O_EXCL; break;
		case 'n': f |= O_NOFOLLOW; break;
		default: fprintf(stderr, "bad flag letter %c\n", *s); exit(2);
		}
	}
	return f;
}

/* After a successful open: write the payload when the fd is writable, and
 * report. A failed write is reported as "write:<errno name>". */
static inline int opened(int fd)
{
	if (fd < 0)
		return outcome(1);
	if ((fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDONLY &&
	    write(fd, PAYLOAD, PAYLOAD_LEN) != (ssize_t)PAYLOAD_LEN) {
		printf("write:");
		return outcome(1);
	}
	if (close(fd) < 0) {
		printf("close:");
		return outcome(1);
	}
	return outcome(0);
}

/* An fd number from the command line. */
static inline int fd_arg(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v < 0 || v > 1024) {
		fprintf(stderr, "bad fd %s\n", s);
		exit(2);
	}
	return (int)v;
}

#endif
