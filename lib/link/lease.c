/* SPDX-License-Identifier: MIT */
/* Read leases on a source while it is being cowlinked (docs/DESIGN.md §6): they
 * tell whether anyone has it open for writing, and hold back a writer that
 * opens it meanwhile until we have looked once more. */
#include "link-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>

#include "banned.h"

/* The lease-break signal. The kernel sends it to the fd's owner, which
 * every F_SETLEASE resets to the caller, so F_SETOWN 0 after the lease
 * leaves a window in which SIGIO (default action: terminate) kills us, and
 * a second F_SETLEASE reopens it (tested: test_link dies of SIGIO that way).
 * The signal number is per open file and survives the reset: SIGURG is
 * ignored by default, and setting it before the lease leaves no window. */
#define CL_LEASE_SIG SIGURG

bool cl_lease_sigio_ignored(void)
{
	struct sigaction sa;

	return sigaction(SIGIO, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN;
}

int cl_lease_take(int fd, int *why, bool sigio_ignored)
{
	int e = 0;

	*why = 0;
	/* A process that ignores SIGIO (cowln) can skip the call per file. */
	if (!sigio_ignored)
		e = cl_fcntl(fd, F_SETSIG, CL_LEASE_SIG);
	if (e)
		goto out_none;
	e = cl_fcntl(fd, F_SETLEASE, F_RDLCK);
	if (e == -EAGAIN || e == -EWOULDBLOCK)
		return -ETXTBSY;
	if (!e)
		return 1;
out_none:
	/* EACCES/EPERM: not the owner and no CAP_LEASE; EINVAL: leases off
	 * or a filesystem without them (NFS, FUSE). Going on is allowed. */
	*why = -e;
	return 0;
}

int cl_lease_recheck(int fd)
{
	/* A writer that opened (or truncated) while we held the lease has
	 * started a lease break and waits for it in break_lease(): the lease
	 * now reports its target type, F_UNLCK, instead of F_RDLCK. So does a
	 * lease the kernel took back after lease-break-time. F_GETLEASE only
	 * looks (F_SETLEASE again would allocate, and hand the break signal
	 * back to us). */
	int t = cl_fcntl(fd, F_GETLEASE, 0);

	if (t < 0)
		return t;
	return t == F_RDLCK ? 0 : -ETXTBSY;
}

bool cl_lease_alone(int fd)
{
	if (cl_fcntl(fd, F_SETLEASE, F_WRLCK))
		return false;
	/* Back to what the caller holds; if that fails, its recheck sees a
	 * lease that is not a read lease and reports the source busy. */
	(void)cl_fcntl(fd, F_SETLEASE, F_RDLCK);
	return true;
}

void cl_lease_drop(int fd)
{
	(void)cl_fcntl(fd, F_SETLEASE, F_UNLCK);
}
