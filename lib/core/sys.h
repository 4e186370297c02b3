/* The core's only door to the kernel: raw system calls that return the
 * result or -errno. They never go through libc's named wrappers, so the core
 * cannot recurse into the preload shim, and tests can inject faults through
 * cl_fault_hook. They may clobber errno; callers that must keep it save it. */
#ifndef CL_SYS_H
#define CL_SYS_H

#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/uio.h>

/* One code per wrapped call, for fault injection and debugging. */
enum cl_op {
	CL_OP_OPENAT, CL_OP_CLOSE, CL_OP_FSTAT, CL_OP_FSTATAT, CL_OP_READ,
	CL_OP_WRITE, CL_OP_PREAD, CL_OP_LSEEK, CL_OP_FTRUNCATE, CL_OP_FCHMOD,
	CL_OP_FCHMODAT, CL_OP_FCHOWN, CL_OP_FCHOWNAT, CL_OP_FUTIMENS,
	CL_OP_UTIMENSAT, CL_OP_FGETXATTR, CL_OP_FSETXATTR, CL_OP_FLISTXATTR,
	CL_OP_FREMOVEXATTR, CL_OP_LGETXATTR, CL_OP_LSETXATTR, CL_OP_LLISTXATTR,
	CL_OP_LREMOVEXATTR, CL_OP_LINKAT, CL_OP_UNLINKAT, CL_OP_RENAMEAT2,
	CL_OP_MKDIRAT, CL_OP_SYMLINKAT, CL_OP_READLINKAT, CL_OP_IOCTL,
	CL_OP_COPY_FILE_RANGE, CL_OP_FLOCK, CL_OP_FCNTL, CL_OP_FDATASYNC,
	CL_OP_FSTATFS, CL_OP_GETDENTS64, CL_OP_FALLOCATE, CL_OP_FSYNC,
	CL_OP_DUP3, CL_OP_GETXATTRAT, CL_OP_MMAP, CL_OP_MUNMAP, CL_OP_MKNODAT,
	CL_OP_SYNC_FILE_RANGE, CL_OP_GETXATTR, CL_OP_OPEN_BY_HANDLE_AT,
	CL_OP_NR
};

/* When set, called before each call; a non-zero return is an errno that the
 * call then fails with, without reaching the kernel. Tests only. */
extern int (*cl_fault_hook)(enum cl_op op);

int     cl_openat(int dirfd, const char *path, int flags, mode_t mode);
int     cl_close(int fd);
int     cl_fstat(int fd, struct stat *st);
int     cl_fstatat(int dirfd, const char *path, struct stat *st, int flags);
ssize_t cl_read(int fd, void *buf, size_t n);
ssize_t cl_write(int fd, const void *buf, size_t n);
ssize_t cl_pread(int fd, void *buf, size_t n, off_t off);
off_t   cl_lseek(int fd, off_t off, int whence);
int     cl_ftruncate(int fd, off_t len);
int     cl_fchmod(int fd, mode_t mode);
int     cl_fchmodat(int dirfd, const char *path, mode_t mode);
int     cl_fchown(int fd, uid_t uid, gid_t gid);
int     cl_fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags);
int     cl_futimens(int fd, const struct timespec ts[2]);
int     cl_utimensat(int dirfd, const char *path, const struct timespec ts[2], int flags);
ssize_t cl_fgetxattr(int fd, const char *name, void *val, size_t n);
int     cl_fsetxattr(int fd, const char *name, const void *val, size_t n, int flags);
ssize_t cl_flistxattr(int fd, char *list, size_t n);
int     cl_fremovexattr(int fd, const char *name);
ssize_t cl_lgetxattr(const char *path, const char *name, void *val, size_t n);
/* getxattr(2): follows a final symlink -- and a magic link (/proc/PID/fd/N). */
ssize_t cl_getxattr(const char *path, const char *name, void *val, size_t n);
int     cl_lsetxattr(const char *path, const char *name, const void *val, size_t n, int flags);
ssize_t cl_llistxattr(const char *path, char *list, size_t n);
int     cl_lremovexattr(const char *path, const char *name);
int     cl_linkat(int olddir, const char *old, int newdir, const char *new_, int flags);
int     cl_unlinkat(int dirfd, const char *path, int flags);
int     cl_renameat2(int olddir, const char *old, int newdir, const char *new_, unsigned flags);
int     cl_mkdirat(int dirfd, const char *path, mode_t mode);
int     cl_symlinkat(const char *target, int dirfd, const char *path);
ssize_t cl_readlinkat(int dirfd, const char *path, char *buf, size_t n);
int     cl_ioctl(int fd, unsigned long req, void *arg);
ssize_t cl_copy_file_range(int in, off_t *inoff, int out, off_t *outoff, size_t n, unsigned flags);
int     cl_flock(int fd, int op);
int     cl_fcntl(int fd, int cmd, long arg);
int     cl_fdatasync(int fd);
int     cl_sync_file_range(int fd, off_t off, off_t n, unsigned flags);
int     cl_fsync(int fd);
int     cl_fstatfs(int fd, struct statfs *sf);
ssize_t cl_getdents64(int fd, void *buf, size_t n);
int     cl_fallocate(int fd, int mode, off_t off, off_t len);
int     cl_dup3(int oldfd, int newfd, int flags);
int     cl_mknodat(int dirfd, const char *path, mode_t mode, dev_t dev);
struct file_handle;
int     cl_open_by_handle_at(int mountfd, struct file_handle *h, int flags);
/* The address, or -errno (in [-4095, -1]). */
long    cl_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int     cl_munmap(void *addr, size_t len);
/* getxattrat(2), Linux 6.13 and later: -ENOSYS before. */
ssize_t cl_getxattrat(int dirfd, const char *path, int atflags, const char *name,
		      void *val, size_t n);

/* A record from cl_getdents64(). */
struct cl_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

#endif
