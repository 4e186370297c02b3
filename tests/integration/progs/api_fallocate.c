/* fallocate(FD, 0, 0, LEN): grows the file to LEN. */
#include "prog.h"

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage("api_fallocate FD LEN");
	return outcome(fallocate(fd_arg(argv[1]), 0, 0, atol(argv[2])) < 0);
}
