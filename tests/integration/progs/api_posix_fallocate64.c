/* posix_fallocate64(FD, 0, LEN): returns the error instead of setting errno. */
#include "prog.h"

int main(int argc, char **argv)
{
	int e;

	if (argc < 3)
		return usage("api_posix_fallocate64 FD LEN");
	e = posix_fallocate64(fd_arg(argv[1]), 0, atol(argv[2]));
	errno = e;
	return outcome(e != 0);
}
