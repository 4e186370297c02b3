/* SPDX-License-Identifier: MIT */
/* llistxattr(PATH): the size query (n == 0), then a buffer of exactly that size;
 * prints the size and the names, one a line. */
#include "prog.h"
#include <sys/xattr.h>

int main(int argc, char **argv)
{
	char *buf;
	ssize_t n, m, i;

	if (argc < 2)
		return usage("api_llistxattr PATH");
	{
	n = llistxattr(argv[1], NULL, 0);
	if (n < 0)
		return outcome(1);
	buf = malloc((size_t)n + 1);
	if (!buf)
		return 2;
	m = llistxattr(argv[1], buf, (size_t)n);
	if (m < 0)
		return outcome(1);
	printf("size %zd %zd\n", n, m);
	for (i = 0; i < m; i += (ssize_t)strlen(buf + i) + 1)
		printf("%s\n", buf + i);
	free(buf);
	}
	return 0;
}
