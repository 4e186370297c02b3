/* SPDX-License-Identifier: MIT */
/* Helpers shared by the cowlink subcommands. Following git's naming tiers,
 * x* functions die on failure; the others return an error. */
#ifndef COWLINK_TOOL_UTIL_H
#define COWLINK_TOOL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The subcommands, each in cmd_<name>.c; they return the exit status. */
int cmd_status(int argc, char **argv);
int cmd_break(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_fsck(int argc, char **argv);
int cmd_du(int argc, char **argv);
int cmd_dedupe(int argc, char **argv);
int cmd_shell(int argc, char **argv);
int cmd_enable(int argc, char **argv);
int cmd_disable(int argc, char **argv);

/* cmd_run.c: the shim's absolute path into OUT (N bytes), or false: the
 * libdir beside the installed tool, the build tree's, the configured one. */
bool find_shim(char *out, size_t n);
/* cmd_enable.c, for cowlink status: the first entry of /etc/ld.so.preload
 * that is libcowlink.so (by its base name) into OUT; 1 found, 0 not, or
 * -errno when the file cannot be read. */
int system_mode_entry(char *out, size_t n);

/* cmd_run.c, shared with cmd_shell.c: the options of run and shell. */
struct run_opts {
	const char *trees, *exclude;
	bool debug;
	bool preload_only;     /* no seccomp supervisor (--preload-only; shell) */
	unsigned spawn_flags;  /* COWLINK_SPAWN_* (--allow-io-uring) */
	const char *sub;       /* "run" or "shell": the label of every message */
	const char *what;      /* how to name the command when it cannot run (NULL: argv[0]) */
};
/* Parse them into *O; -1 to go on (optind at the first operand), else the
 * exit status (--help shown by HELP_FN, or a usage error). */
int run_options(int argc, char **argv, const char *sub, struct run_opts *o,
		void (*help_fn)(void));
/* Run ARGV (NULL-terminated) with the shim preloaded and the settings of
 * O made, under the seccomp supervisor unless O->preload_only (then it is
 * exec'd); MARKER (may be NULL) becomes COWLINK_SHELL. Returns the exit
 * status: the command's, or 2 a tree refused, 126, 127. */
int run_under_shim(char **argv, const struct run_opts *o, const char *marker);
/* Warn once, as a session starts, where the exclusion of O (or an inherited
 * COWLINK_EXCLUDE) protects nothing: no trees, or SCOPE (the checked trees,
 * or NULL) holding neither the current directory nor ccache's cache
 * (unprotected.c). */
void warn_unprotected(const struct run_opts *o, const char *scope);

/* "cowlink: MSG" on stderr (err: plus ": strerror(-ERR)" when ERR != 0). */
void warnmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void errmsg(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* errmsg, then exit(2). */
void die(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Print "Try 'cowlink SUB --help'." on stderr and return 2. */
int usage_error(const char *sub);

/* An option of a subcommand: --NAME, and -LETTER unless LETTER is 0. An
 * on/off one sets *VAR to VALUE; one with an argument (ARG not NULL) sets
 * *ARG to it; the option with neither shows the help. */
struct flag {
	const char *name;
	char letter;
	bool *var;
	bool value;
	const char **arg;
};
/* A subcommand's options and what must follow them. */
struct cmd_flags {
	const char *sub;          /* "break": the label of its messages */
	const struct flag *flags; /* ended by a NULL name; at most 8 */
	void (*help)(void);
	const char *operand;      /* "PATH": at least one is needed (NULL: none) */
	int usage_rc;             /* the exit status of a bad usage (0: 2) */
};
/* Parse the options before the first operand (flags.c): -1 to go on with
 * optind at the first operand, else the exit status: 0 after the help,
 * C->usage_rc after "Try ..." for a bad option or a missing operand. */
int parse_flags(int argc, char **argv, const struct cmd_flags *c);

/* SIZE as du -h prints it ("4.0K", "12M") into BUF, or in bytes. */
const char *fmt_size(uint64_t size, bool bytes, char buf[32]);
/* ONE when N is 1, else MANY: "1 file", "2 files", "0 files". */
const char *plural(uint64_t n, const char *one, const char *many);

/* Print S as a JSON string, quotes included. */
void json_str(FILE *f, const char *s);

/* The command name of a process (/proc/PID/comm) into BUF. */
const char *proc_comm(int pid, char *buf, size_t n);

/* A set of (dev, ino) pairs, for counting each inode once. */
struct inoset {
	struct inoset_ent { uint64_t dev, ino, seen; } *v;
	size_t n, cap;
};
/* Add DEV/INO; returns how many times it has now been seen (1 = new). */
uint64_t inoset_add(struct inoset *s, uint64_t dev, uint64_t ino);
/* How many times DEV/INO was added (0: never). */
uint64_t inoset_count(const struct inoset *s, uint64_t dev, uint64_t ino);
void inoset_free(struct inoset *s);

#endif
