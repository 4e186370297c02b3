/* SPDX-License-Identifier: MIT */
/* lremovexattr(PATH, NAME). */
#include "prog.h"
#include <sys/xattr.h>

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage("api_lremovexattr PATH NAME");
	return outcome(lremovexattr(argv[1], argv[2]) < 0);
}
