/* SPDX-License-Identifier: MIT */
/* setxattr(PATH, NAME, VALUE, 0). */
#include "prog.h"
#include <sys/xattr.h>

int main(int argc, char **argv)
{
	if (argc < 4)
		return usage("api_setxattr PATH NAME VALUE");
	return outcome(setxattr(argv[1], argv[2], argv[3], strlen(argv[3]), 0) < 0);
}
