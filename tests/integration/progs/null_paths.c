/* SPDX-License-Identifier: MIT */
/* null_paths: every wrapped call that takes a path, given NULL (and the
 * *at forms with a dirfd). Prints "<call> <outcome>" for each; the shim
 * must give exactly what libc gives (EFAULT, or what Linux does with a NULL
 * path: utimensat(fd, NULL) is futimens), never a crash. */
#include "prog.h"
#include <stdio.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <utime.h>

#define T(name, call) do { printf("%s ", name); fflush(stdout); outcome((call) < 0); fflush(stdout); } while (0)

/* Through a volatile, so that the compiler cannot see the NULL. */
static const char *volatile nul;

/* NULL where glibc declares nonnull is the point: not UBSan's business. */
__attribute__((no_sanitize("undefined"))) int main(void)
{
	struct stat st;
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	char buf[64];
	int d = open(".", O_RDONLY | O_DIRECTORY);

	T("open", open(nul, O_WRONLY));
	T("openat", openat(d, nul, O_WRONLY | O_CREAT, 0600));
	T("creat", creat(nul, 0600));
	T("truncate", truncate(nul, 0));
	T("chmod", chmod(nul, 0600));
	T("fchmodat", fchmodat(d, nul, 0600, 0));
	T("chown", chown(nul, 0, 0));
	T("lchown", lchown(nul, 0, 0));
	T("fchownat", fchownat(d, nul, 0, 0, 0));
	T("utime", utime(nul, NULL));
	T("utimes", utimes(nul, NULL));
	T("utimensat-omit", utimensat(d, nul, ts, 0));
	T("setxattr", setxattr(nul, "user.x", "v", 1, 0));
	T("lsetxattr", lsetxattr(nul, "user.x", "v", 1, 0));
	T("removexattr", removexattr(nul, "user.x"));
	T("getxattr", (int)getxattr(nul, "user.x", buf, sizeof buf));
	T("listxattr", (int)listxattr(nul, buf, sizeof buf));
	T("stat", stat(nul, &st));
	T("lstat", lstat(nul, &st));
	T("fstatat", fstatat(d, nul, &st, 0));
	T("access", access(nul, W_OK));
	T("faccessat", faccessat(d, nul, W_OK, 0));
	T("unlink", unlink(nul));
	T("unlinkat", unlinkat(d, nul, 0));
	T("remove", remove(nul));
	T("rename", rename(nul, "x"));
	T("rename2", rename("x", nul));
	T("renameat", renameat(d, nul, d, "x"));
	T("fopen", fopen(nul, "w") ? 0 : -1);
	return 0;
}
