/* Included last by every lib/core source: a by-name file system call there
 * would go through the preload shim's own wrapper and recurse. Use cl_*
 * (sys.h). Modelled on git's banned.h. */
#ifndef CL_BANNED_H
#define CL_BANNED_H

#define BANNED(f) sorry_##f##_is_banned_in_lib_core_use_cl_sys

#undef open
#define open(...) BANNED(open)
#undef openat
#define openat(...) BANNED(openat)
#undef creat
#define creat(...) BANNED(creat)
#undef fopen
#define fopen(...) BANNED(fopen)
#undef write
#define write(...) BANNED(write)
#undef pwrite
#define pwrite(...) BANNED(pwrite)
#undef truncate
#define truncate(...) BANNED(truncate)
#undef ftruncate
#define ftruncate(...) BANNED(ftruncate)
#undef chmod
#define chmod(...) BANNED(chmod)
#undef fchmod
#define fchmod(...) BANNED(fchmod)
#undef chown
#define chown(...) BANNED(chown)
#undef fchown
#define fchown(...) BANNED(fchown)
#undef stat
#define stat(...) BANNED(stat)
#undef fstat
#define fstat(...) BANNED(fstat)
#undef lstat
#define lstat(...) BANNED(lstat)
#undef unlink
#define unlink(...) BANNED(unlink)
#undef unlinkat
#define unlinkat(...) BANNED(unlinkat)
#undef remove
#define remove(...) BANNED(remove)
#undef fstatat
#define fstatat(...) BANNED(fstatat)
#undef setxattr
#define setxattr(...) BANNED(setxattr)
#undef fsetxattr
#define fsetxattr(...) BANNED(fsetxattr)
#undef getxattr
#define getxattr(...) BANNED(getxattr)
#undef fgetxattr
#define fgetxattr(...) BANNED(fgetxattr)
#undef utimensat
#define utimensat(...) BANNED(utimensat)
#undef futimens
#define futimens(...) BANNED(futimens)
#undef mmap
#define mmap(...) BANNED(mmap)
#undef ioctl
#define ioctl(...) BANNED(ioctl)

#endif
