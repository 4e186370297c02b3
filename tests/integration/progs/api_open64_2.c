/* SPDX-License-Identifier: MIT */
/* __open64_2(PATH, FLAGS): the fortified open without a mode, called by name. */
#include "prog.h"

int __open64_2(const char *path, int flags);

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage("api_open64_2 PATH [FLAGS]");
	return opened(__open64_2(argv[1], flags_of(argv[2])));
}
