/* Read leases on a source while it is being cowlinked (DESIGN §6): they
 * tell whether anyone has it open for writing, and hold back a writer that
 * opens it meanwhile until we have looked once more. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>

#include "banned.h"

/* The lease-break signal. The kernel sends it to the fd's owner, which
 * every F_SETLEASE (the re-check too) resets to the caller, so F_SETOWN 0
 * after the lease leaves a window in which SIGIO (default action: terminate)
 * kills us. The signal number is per open file and survives that reset:
 * SIGURG is ignored by default, and setting it before the lease leaves no
 * window at all. */
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
	/* A writer that opened while we held the lease has raised the write
	 * count and now waits in break_lease(): F_SETLEASE refuses again. */
	int e = cl_fcntl(fd, F_SETLEASE, F_RDLCK);

	return e == -EAGAIN || e == -EWOULDBLOCK ? -ETXTBSY : e;
}

void cl_lease_drop(int fd)
{
	(void)cl_fcntl(fd, F_SETLEASE, F_UNLCK);
}
