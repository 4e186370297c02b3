/* SPDX-License-Identifier: MIT */
/* Splitting a path into its directory and its last name (path.h). */
#include "path.h"

#include <string.h>

#include "banned.h"

const char *cl_path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

const char *cl_path_split(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash) {
		if (size < 2)
			return NULL;
		strcpy(dir, ".");
		return path;
	}
	n = slash == path ? 1 : (size_t)(slash - path); /* "/name": the root */
	if (n >= size)
		return NULL;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return slash + 1;
}
