/* SPDX-License-Identifier: MIT */
/* lgetxattr(PATH, NAME): prints the value, or the errno name. */
#include "prog.h"
#include <sys/xattr.h>

int main(int argc, char **argv)
{
	char v[256];
	ssize_t n;

	if (argc < 3)
		return usage("api_lgetxattr PATH NAME");
	n = lgetxattr(argv[1], argv[2], v, sizeof v);
	if (n < 0)
		return outcome(1);
	printf("%.*s\n", (int)n, v);
	return 0;
}
