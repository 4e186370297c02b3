/* ftruncate(FD, LEN): FD inherited from the shell. */
#include "prog.h"

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage("api_ftruncate FD LEN");
	return outcome(ftruncate(fd_arg(argv[1]), atol(argv[2])) < 0);
}
