/* SPDX-License-Identifier: MIT */
/* fdopen(FD, MODE) on an fd the program inherited; then fputs the payload. */
#include "prog.h"

int main(int argc, char **argv)
{
	FILE *f;

	if (argc < 3)
		return usage("api_fdopen FD MODE");
	f = fdopen(fd_arg(argv[1]), argv[2]);
	if (!f)
		return outcome(1);
	fputs(PAYLOAD, f);
	return outcome(fclose(f) != 0);
}
