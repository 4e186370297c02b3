/* Raw system calls for the core (see sys.h). */
#include "sys.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

int (*cl_fault_hook)(enum cl_op op);

/* Fail with an injected errno when a test asks for one. */
#define FAULT(op)                                                     \
	do {                                                          \
		if (__builtin_expect(cl_fault_hook != NULL, 0)) {     \
			int e_ = cl_fault_hook(op);                   \
			if (e_)                                       \
				return -e_;                           \
		}                                                     \
	} while (0)

/* syscall() reports failure through errno; turn that into -errno. */
static inline long ret(long r)
{
	return r == -1 ? -errno : r;
}

#define SC(op, ...)                                   \
	do {                                          \
		FAULT(op);                            \
		return ret(syscall(__VA_ARGS__));     \
	} while (0)

int cl_openat(int d, const char *p, int f, mode_t m) { SC(CL_OP_OPENAT, SYS_openat, d, p, f, m); }
int cl_close(int fd) { SC(CL_OP_CLOSE, SYS_close, fd); }
int cl_fstat(int fd, struct stat *st) { SC(CL_OP_FSTAT, SYS_fstat, fd, st); }
int cl_fstatat(int d, const char *p, struct stat *st, int f) { SC(CL_OP_FSTATAT, SYS_newfstatat, d, p, st, f); }
ssize_t cl_read(int fd, void *b, size_t n) { SC(CL_OP_READ, SYS_read, fd, b, n); }
ssize_t cl_write(int fd, const void *b, size_t n) { SC(CL_OP_WRITE, SYS_write, fd, b, n); }
ssize_t cl_pread(int fd, void *b, size_t n, off_t o) { SC(CL_OP_PREAD, SYS_pread64, fd, b, n, o); }
off_t cl_lseek(int fd, off_t o, int w) { SC(CL_OP_LSEEK, SYS_lseek, fd, o, w); }
int cl_ftruncate(int fd, off_t l) { SC(CL_OP_FTRUNCATE, SYS_ftruncate, fd, l); }
int cl_fchmod(int fd, mode_t m) { SC(CL_OP_FCHMOD, SYS_fchmod, fd, m); }
int cl_fchmodat(int d, const char *p, mode_t m) { SC(CL_OP_FCHMODAT, SYS_fchmodat, d, p, m); }
int cl_fchown(int fd, uid_t u, gid_t g) { SC(CL_OP_FCHOWN, SYS_fchown, fd, u, g); }
int cl_fchownat(int d, const char *p, uid_t u, gid_t g, int f) { SC(CL_OP_FCHOWNAT, SYS_fchownat, d, p, u, g, f); }
int cl_futimens(int fd, const struct timespec ts[2]) { SC(CL_OP_FUTIMENS, SYS_utimensat, fd, NULL, ts, 0); }
int cl_utimensat(int d, const char *p, const struct timespec ts[2], int f) { SC(CL_OP_UTIMENSAT, SYS_utimensat, d, p, ts, f); }
ssize_t cl_fgetxattr(int fd, const char *n, void *v, size_t s) { SC(CL_OP_FGETXATTR, SYS_fgetxattr, fd, n, v, s); }
int cl_fsetxattr(int fd, const char *n, const void *v, size_t s, int f) { SC(CL_OP_FSETXATTR, SYS_fsetxattr, fd, n, v, s, f); }
ssize_t cl_flistxattr(int fd, char *l, size_t s) { SC(CL_OP_FLISTXATTR, SYS_flistxattr, fd, l, s); }
int cl_fremovexattr(int fd, const char *n) { SC(CL_OP_FREMOVEXATTR, SYS_fremovexattr, fd, n); }
ssize_t cl_lgetxattr(const char *p, const char *n, void *v, size_t s) { SC(CL_OP_LGETXATTR, SYS_lgetxattr, p, n, v, s); }
ssize_t cl_getxattr(const char *p, const char *n, void *v, size_t s) { SC(CL_OP_GETXATTR, SYS_getxattr, p, n, v, s); }
int cl_lsetxattr(const char *p, const char *n, const void *v, size_t s, int f) { SC(CL_OP_LSETXATTR, SYS_lsetxattr, p, n, v, s, f); }
ssize_t cl_llistxattr(const char *p, char *l, size_t s) { SC(CL_OP_LLISTXATTR, SYS_llistxattr, p, l, s); }
int cl_lremovexattr(const char *p, const char *n) { SC(CL_OP_LREMOVEXATTR, SYS_lremovexattr, p, n); }
int cl_linkat(int od, const char *o, int nd, const char *n, int f) { SC(CL_OP_LINKAT, SYS_linkat, od, o, nd, n, f); }
int cl_unlinkat(int d, const char *p, int f) { SC(CL_OP_UNLINKAT, SYS_unlinkat, d, p, f); }
int cl_renameat2(int od, const char *o, int nd, const char *n, unsigned f) { SC(CL_OP_RENAMEAT2, SYS_renameat2, od, o, nd, n, f); }
int cl_mkdirat(int d, const char *p, mode_t m) { SC(CL_OP_MKDIRAT, SYS_mkdirat, d, p, m); }
int cl_symlinkat(const char *t, int d, const char *p) { SC(CL_OP_SYMLINKAT, SYS_symlinkat, t, d, p); }
ssize_t cl_readlinkat(int d, const char *p, char *b, size_t n) { SC(CL_OP_READLINKAT, SYS_readlinkat, d, p, b, n); }
int cl_ioctl(int fd, unsigned long r, void *a) { SC(CL_OP_IOCTL, SYS_ioctl, fd, r, a); }
ssize_t cl_copy_file_range(int i, off_t *io, int o, off_t *oo, size_t n, unsigned f) { SC(CL_OP_COPY_FILE_RANGE, SYS_copy_file_range, i, io, o, oo, n, f); }
int cl_flock(int fd, int op) { SC(CL_OP_FLOCK, SYS_flock, fd, op); }
int cl_fcntl(int fd, int cmd, long a) { SC(CL_OP_FCNTL, SYS_fcntl, fd, cmd, a); }
int cl_fdatasync(int fd) { SC(CL_OP_FDATASYNC, SYS_fdatasync, fd); }
int cl_sync_file_range(int fd, off_t o, off_t n, unsigned f) { SC(CL_OP_SYNC_FILE_RANGE, SYS_sync_file_range, fd, o, n, f); }
int cl_fsync(int fd) { SC(CL_OP_FSYNC, SYS_fsync, fd); }
int cl_fstatfs(int fd, struct statfs *sf) { SC(CL_OP_FSTATFS, SYS_fstatfs, fd, sf); }
ssize_t cl_getdents64(int fd, void *b, size_t n) { SC(CL_OP_GETDENTS64, SYS_getdents64, fd, b, n); }
int cl_fallocate(int fd, int m, off_t o, off_t l) { SC(CL_OP_FALLOCATE, SYS_fallocate, fd, m, o, l); }
int cl_dup3(int o, int n, int f) { SC(CL_OP_DUP3, SYS_dup3, o, n, f); }
int cl_open_by_handle_at(int m, struct file_handle *h, int f) { SC(CL_OP_OPEN_BY_HANDLE_AT, SYS_open_by_handle_at, m, h, f); }
long cl_mmap(void *a, size_t l, int p, int f, int fd, off_t o) { SC(CL_OP_MMAP, SYS_mmap, a, l, p, f, fd, o); }
int cl_munmap(void *a, size_t l) { SC(CL_OP_MUNMAP, SYS_munmap, a, l); }
int cl_mknodat(int d, const char *p, mode_t m, dev_t dev) { SC(CL_OP_MKNODAT, SYS_mknodat, d, p, m, dev); }

#ifndef SYS_getxattrat
#define SYS_getxattrat 464 /* the same on every architecture (Linux 6.13) */
#endif

ssize_t cl_getxattrat(int d, const char *p, int atflags, const char *name, void *v, size_t n)
{
	struct {
		uint64_t value;
		uint32_t size;
		uint32_t flags;
	} args = { (uint64_t)(uintptr_t)v, (uint32_t)n, 0 };

	SC(CL_OP_GETXATTRAT, SYS_getxattrat, d, p, atflags, name, &args, sizeof args);
}
