/* SPDX-License-Identifier: MIT */
/* __dprintf_chk(FD, payload), what dprintf becomes under _FORTIFY_SOURCE. */
#include "prog.h"

int __dprintf_chk(int fd, int flag, const char *fmt, ...);

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage("api_dprintf_chk FD");
	return outcome(__dprintf_chk(fd_arg(argv[1]), 1, "%s", PAYLOAD) < 0);
}
