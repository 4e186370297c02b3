/* pwrite(FD, payload, offset 2): FD inherited from the shell. */
#include "prog.h"

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage("api_pwrite FD");
	return outcome(pwrite(fd_arg(argv[1]), PAYLOAD, PAYLOAD_LEN, 2) < 0);
}
