/* SPDX-License-Identifier: MIT */
/* Whether the shim can cover a program, from its ELF file (libelf). The
 * readers neither exit nor print, so a fuzz target can call them. */
#ifndef COWLINK_TOOL_AUDIT_H
#define COWLINK_TOOL_AUDIT_H

#include <limits.h>
#include <stddef.h>

enum audit_verdict {
	AUDIT_COVERED,
	AUDIT_NOT_COVERED,
	AUDIT_ERROR,          /* could not be examined: missing, unreadable */
};

#define AUDIT_MAX_NEEDED 32

struct audit_result {
	enum audit_verdict verdict;
	char reason[512];     /* why, for a line "PROG: covered (REASON)" / "NOT covered: REASON" */
	char path[PATH_MAX];  /* the file examined (PROG resolved through PATH) */
	/* Filled by audit_elf_mem for a dynamic program that imports none of
	 * the wrapped calls itself: its DT_NEEDED libraries and DT_RUNPATH (or
	 * DT_RPATH), where audit_program looks for the calls next. */
	int imports_none;
	int setid;            /* set-ID or file capabilities: no_new_privs strips them */
	int raw_syscall;      /* imports syscall(): raw system calls the shim cannot see */
	int uring;            /* needs liburing: io_uring I/O the shim cannot see */
	unsigned nneeded;
	char needed[AUDIT_MAX_NEEDED][64];
	char runpath[512];
};

/* Judge an ELF image of LEN bytes at BUF (libelf may rewrite it in place:
 * pass a private copy or mapping). Fills R; returns R->verdict. */
enum audit_verdict audit_elf_mem(void *buf, size_t len, struct audit_result *r);

/* Judge the ELF file open at FD (mapped privately). */
enum audit_verdict audit_elf_fd(int fd, struct audit_result *r);

/* Set when /etc/ld.so.preload names the shim (the machine-wide mode): the
 * loader loads it into set-ID programs too, so they are judged by their
 * ELF file like the others. */
extern int audit_machine_wide;

/* Judge PROG as execvp would run it: look it up in PATH when it has no
 * slash, then check the file mode (set-ID), file capabilities, a "#!" line
 * (judging the interpreter instead, through /usr/bin/env too) and its ELF. */
enum audit_verdict audit_program(const char *prog, struct audit_result *r);

#endif
