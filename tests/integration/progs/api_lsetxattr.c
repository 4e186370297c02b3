/* SPDX-License-Identifier: MIT */
/* lsetxattr(PATH, NAME, VALUE, 0). */
#include "prog.h"
#include <sys/xattr.h>

int main(int argc, char **argv)
{
	if (argc < 4)
		return usage("api_lsetxattr PATH NAME VALUE");
	return outcome(lsetxattr(argv[1], argv[2], argv[3], strlen(argv[3]), 0) < 0);
}
