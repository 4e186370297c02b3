/* SPDX-License-Identifier: MIT */
/* removexattr(PATH, NAME). */
#include "prog.h"
#include <sys/xattr.h>

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage("api_removexattr PATH NAME");
	return outcome(removexattr(argv[1], argv[2]) < 0);
}
