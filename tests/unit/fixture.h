/* SPDX-License-Identifier: MIT */
/* Helpers shared by the cmocka unit tests of lib/core, lib/link and
 * lib/run: temporary trees, cowlink sets made by hand, loop-mounted
 * filesystems, fault injection and "nothing changed" snapshots. Functions return 0 / -errno unless they say
 * otherwise; none of them calls cmocka, so tests decide what is a failure.
 * Not thread-safe except where noted. */
#ifndef COWLINK_TEST_FIXTURE_H
#define COWLINK_TEST_FIXTURE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "link-internal.h"

/* The exit code (and fx_loop_mount result) of "cannot run here". */
#define FX_SKIP 77

/* A new directory under $TMPDIR or /tmp (malloc'ed path), and its removal. */
char *fx_tmpdir(void);
void fx_rmtree(const char *path);

/* The common fixture, per test (cmocka_unit_test_setup_teardown) or per
 * group: fx_setup makes fx_dir, a new fx_tmpdir(); fx_teardown uninstalls
 * the fault hook and removes fx_dir. A test that needs more wraps them. */
extern char *fx_dir;
int fx_setup(void **state);
int fx_teardown(void **state);

/* DIR "/" NAME in one of 64 rotating static buffers: valid for 63 more calls. */
const char *fx_p(const char *dir, const char *name);

/* Create PATH (O_TRUNC) with LEN bytes of DATA, or SIZE bytes of a
 * pseudo-random pattern from SEED, and mode MODE (umask ignored). */
int fx_write(const char *path, const void *data, size_t len, mode_t mode);
int fx_fill(const char *path, off_t size, unsigned seed, mode_t mode);

/* Make DST a cowlink of SRC by hand, as cowln does: link, write the record
 * of SRC's write bits, then (PROTECT) clear them. SRC may already be marked,
 * then its record is kept and only the link is made. */
int fx_make_set(const char *src, const char *dst, bool protect);

/* 1 when A and B have the same bytes, 0 when not, -errno. */
int fx_same_content(const char *a, const char *b);
/* Whether A and B are one inode (false when either is missing). */
bool fx_same_inode(const char *a, const char *b);
/* The number of CL_TMP_PREFIX names in DIR (-errno when unreadable). */
int fx_litter(const char *dir);
/* st_mode & 07777 | recorded bits: what the shim presents. */
mode_t fx_presented_mode(const char *path);

/* Everything about a name that a failed break must leave alone. */
struct fx_snap {
	struct stat st;
	uint64_t hash;           /* of the content */
	char xattrs[4096];       /* "name=value\n" of every xattr, sorted as listed */
	size_t xlen;
};
int fx_snap(const char *path, struct fx_snap *s);
/* 1 when PATH still matches S (inode, nlink, mode, owner, size, mtime,
 * ctime, content, xattrs); 0 with a line on stderr saying what differs. */
int fx_snap_same(const char *path, const struct fx_snap *s);

/* A filesystem image loop-mounted in a temporary directory. */
struct fx_mount {
	char dir[PATH_MAX];      /* holds img and the mount point */
	char mnt[PATH_MAX];      /* the mount point */
};
/* mkfs FSTYPE ("ext4", "xfs" with reflink=1, "btrfs") on a SIZE_MB sparse
 * image and mount it. 0, or FX_SKIP after a reason on stderr (not root, no
 * mkfs, no loop device). */
int fx_loop_mount(struct fx_mount *m, const char *fstype, unsigned size_mb);
void fx_loop_umount(struct fx_mount *m);

/* Fault injection through cl_fault_hook. fx_fault_arm(OP, N, ERR) makes the
 * N-th (1-based) call of OP from now on fail with ERR; OP == CL_OP_NR counts
 * every call. N == 0 only counts. fx_fault_off() uninstalls the hook.
 * fx_calls[] and fx_calls_total count calls since the last arm (atomic). */
extern unsigned long fx_calls[CL_OP_NR];
extern unsigned long fx_calls_total;
extern bool fx_fault_fired;
/* The op of each of the first FX_TRACE_MAX calls since the last arm. */
#define FX_TRACE_MAX 256
extern enum cl_op fx_trace[FX_TRACE_MAX];
void fx_fault_arm(enum cl_op op, unsigned long n, int err);
/* One more fault (up to 4 in all) besides the one fx_fault_arm set. */
void fx_fault_add(enum cl_op op, unsigned long n, int err);
void fx_fault_off(void);

/* Run FN(ARG) in a child with uid UID, gid GID and no supplementary groups;
 * returns FN's return value (as an exit code, 0..255), or -1 when the child
 * died or could not drop privileges. */
int fx_run_as(uid_t uid, gid_t gid, int (*fn)(void *), void *arg);

#endif
