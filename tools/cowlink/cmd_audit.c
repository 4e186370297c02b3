/* SPDX-License-Identifier: MIT */
/* cowlink audit: one line per program telling whether the shim will cover
 * it, and why not. Exit 0 all covered, 1 some not covered, 2 on error. */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "audit.h"
#include "util.h"

#ifndef COWLINK_HAVE_LIBELF
int cmd_audit(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	warnmsg("audit: not in this build: cowlink was built without libelf "
		"(install libelf-dev and build again)");
	return 2;
}
#else
static void help(void)
{
	printf("Usage: cowlink audit PROGRAM...\n"
	       "Tell from each PROGRAM's ELF file whether libcowlink.so will cover it: a\n"
	       "dynamic 64-bit executable that imports the libc calls the shim wraps is\n"
	       "covered (one that also imports syscall() is, but for the raw system calls\n"
	       "it makes, if any); static, set-ID, capability, 32-bit and raw-syscall\n"
	       "programs, and those that link liburing, are not: the reason says when\n"
	       "cowlink run (the seccomp supervisor) covers them. In the machine-wide mode\n"
	       "(cowlink enable --system) set-ID and capability programs are judged as the\n"
	       "others: the loader loads /etc/ld.so.preload into them too.\n"
	       "Scripts are judged by their interpreter. A PROGRAM without a slash is\n"
	       "looked up in PATH.\n\n"
	       "Exit status: 0 all covered, 1 some not covered, 2 some could not be read.\n");
}

int cmd_audit(int argc, char **argv)
{
	const struct flag flags[] = {
		{ "help", 'h', NULL, false, NULL },
		{ NULL, 0, NULL, false, NULL },
	};
	const struct cmd_flags cmd = { "audit", flags, help, "PROGRAM", 0 };
	struct audit_result r;
	char lib[PATH_MAX];
	int i, rc = parse_flags(argc, argv, &cmd);

	if (rc >= 0)
		return rc;
	rc = 0;
	audit_machine_wide = system_mode_entry(lib, sizeof lib) > 0;
	for (i = optind; i < argc; i++) {
		switch (audit_program(argv[i], &r)) {
		case AUDIT_COVERED:
			if (r.raw_syscall)
				printf("%s: covered, but imports syscall(): raw system calls it makes,"
				       " if any, are not; cowlink run covers them (%s)\n",
				       argv[i], r.reason);
			else
				printf("%s: covered (%s)\n", argv[i], r.reason);
			break;
		case AUDIT_NOT_COVERED:
			printf("%s: NOT covered: %s\n", argv[i], r.reason);
			if (rc < 1)
				rc = 1;
			break;
		default:
			fflush(stdout);
			warnmsg("%s: %s", argv[i], r.reason);
			rc = 2;
			break;
		}
	}
	return rc;
}
#endif
