/* SPDX-License-Identifier: MIT */
/* The seccomp filter of the supervisor (docs/DESIGN.md §4b), in raw classic
 * BPF. Only the calls that can write a file or change its metadata, or remove a
 * name, go up to the supervisor (SECCOMP_RET_USER_NOTIF): the rows of
 * syscalls.def. The opens go up only for a write access mode or O_TRUNC,
 * decided here from the flags argument the row names, and ioctl only for
 * the file-flag and clone requests. Everything else stays in the kernel. */
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/fs.h>
#include <linux/fsverity.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>

#include "banned.h"

#if defined(__x86_64__)
#define CL_AUDIT_ARCH AUDIT_ARCH_X86_64
#define CL_X32_BIT 0x40000000u
#elif defined(__aarch64__)
#define CL_AUDIT_ARCH AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define CL_AUDIT_ARCH AUDIT_ARCH_RISCV64
#else
#error "cowlink run: no seccomp architecture for this target"
#endif


/* The low 32 bits of system call argument N (int flags, unsigned cmd). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LO(n) (offsetof(struct seccomp_data, args) + 8 * (n))
#else
#define ARG_LO(n) (offsetof(struct seccomp_data, args) + 8 * (n) + 4)
#endif

/* Every trapped call and how it is sent up (syscalls.def: CL_SC_ALWAYS,
 * CL_SC_OPEN | n, CL_SC_HOW | n, CL_SC_IOCTL). */
static const struct { int nr; int up; } trapped[] = {
#define SYSCALL(name, up, ...) { __NR_##name, up },
#include "syscalls.def"
#undef SYSCALL
};

/* The ioctl requests sent up (the 32-bit FS_IOC32_SETFLAGS is served on
 * 64-bit kernels too). FIDEDUPERANGE changes no content: it stays down. */
static const unsigned ioctls[] = {
	FS_IOC_SETFLAGS, FS_IOC32_SETFLAGS, FS_IOC_FSSETXATTR, FS_IOC_SETVERSION,
	FS_IOC_ENABLE_VERITY, FICLONE, FICLONERANGE,
};

/* Jump targets, resolved once the program is laid out. */
enum { L_NOTIFY, L_ALLOW, L_ENOSYS, L_KILL, L_IOCTL, L_FLAGS, L_NR = L_FLAGS + 6 };

struct bpf_asm {
	struct sock_filter *p;
	size_t n, max;
	int at[L_NR];           /* where each label is, -1 until placed */
	struct { size_t insn; int label; bool jt; } fix[64];
	size_t nfix;
	bool overflow;
};

static void emit(struct bpf_asm *a, struct sock_filter f)
{
	if (a->n < a->max)
		a->p[a->n] = f;
	else
		a->overflow = true;
	a->n++;
}

static void stmt(struct bpf_asm *a, unsigned short code, unsigned k)
{
	emit(a, (struct sock_filter)BPF_STMT(code, k));
}

/* A conditional jump to LABEL, taken when the test holds (JT) or fails. */
static void jump(struct bpf_asm *a, unsigned short op, unsigned k, int label, bool jt)
{
	if (a->nfix < sizeof a->fix / sizeof a->fix[0]) {
		a->fix[a->nfix].insn = a->n;
		a->fix[a->nfix].label = label;
		a->fix[a->nfix].jt = jt;
		a->nfix++;
	} else {
		a->overflow = true;
	}
	emit(a, (struct sock_filter)BPF_JUMP(BPF_JMP | op | BPF_K, k, 0, 0));
}

/* if (A == K) goto LABEL (or, with BPF_JSET, if (A & K); BPF_JGE: A >= K). */
static void jump_if(struct bpf_asm *a, unsigned short op, unsigned k, int label)
{
	jump(a, op, k, label, true);
}

/* if (A != K) goto LABEL. */
static void jump_unless(struct bpf_asm *a, unsigned k, int label)
{
	jump(a, BPF_JEQ, k, label, false);
}

static void place(struct bpf_asm *a, int label)
{
	a->at[label] = (int)a->n;
}

int cl_filter_build(struct sock_filter *out, size_t max, unsigned flags)
{
	struct bpf_asm a = { .p = out, .max = max };
	unsigned opens = 0, arg;
	size_t i;

	memset(a.at, -1, sizeof a.at);
	stmt(&a, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	jump_unless(&a, CL_AUDIT_ARCH, L_KILL);
	stmt(&a, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
#ifdef CL_X32_BIT
	jump_if(&a, BPF_JGE, CL_X32_BIT, L_KILL);
#endif
	for (i = 0; i < sizeof trapped / sizeof trapped[0]; i++) {
		int label = L_NOTIFY; /* CL_SC_ALWAYS, CL_SC_HOW */

		if (CL_SC_KIND(trapped[i].up) == CL_SC_OPEN) {
			label = L_FLAGS + CL_SC_ARG(trapped[i].up);
			opens |= 1u << CL_SC_ARG(trapped[i].up);
		} else if (trapped[i].up == CL_SC_IOCTL) {
			label = L_IOCTL;
		}
		jump_if(&a, BPF_JEQ, (unsigned)trapped[i].nr, label);
	}
	if (!(flags & COWLINK_SPAWN_IO_URING))
		jump_if(&a, BPF_JEQ, __NR_io_uring_setup, L_ENOSYS);
	place(&a, L_ALLOW);
	stmt(&a, BPF_RET | BPF_K, SECCOMP_RET_ALLOW);

	/* An open whose flags, in argument ARG, ask for a write access mode
	 * or O_TRUNC. */
	for (arg = 0; arg < 6; arg++) {
		if (!(opens & 1u << arg))
			continue;
		place(&a, L_FLAGS + arg);
		stmt(&a, BPF_LD | BPF_W | BPF_ABS, ARG_LO(arg));
		jump_if(&a, BPF_JSET, O_ACCMODE | O_TRUNC, L_NOTIFY);
		stmt(&a, BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	}

	place(&a, L_IOCTL);
	stmt(&a, BPF_LD | BPF_W | BPF_ABS, ARG_LO(1));
	for (i = 0; i < sizeof ioctls / sizeof ioctls[0]; i++)
		jump_if(&a, BPF_JEQ, ioctls[i], L_NOTIFY);
	stmt(&a, BPF_RET | BPF_K, SECCOMP_RET_ALLOW);

	place(&a, L_NOTIFY);
	stmt(&a, BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
	place(&a, L_ENOSYS);
	stmt(&a, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
	place(&a, L_KILL);
	stmt(&a, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);

	if (a.overflow || a.n > BPF_MAXINSNS)
		return -E2BIG;
	for (i = 0; i < a.nfix; i++) {
		int to = a.at[a.fix[i].label];
		long off = (long)to - (long)a.fix[i].insn - 1;

		if (to < 0 || off < 0 || off > 255)
			return -E2BIG;
		if (a.fix[i].jt)
			out[a.fix[i].insn].jt = (unsigned char)off;
		else
			out[a.fix[i].insn].jf = (unsigned char)off;
	}
	return (int)a.n;
}
