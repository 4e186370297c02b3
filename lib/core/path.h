/* SPDX-License-Identifier: MIT */
/* Splitting a path into its directory and its last name, the one way the
 * library and the tools do it (no allocation, PATH is not changed). */
#ifndef COWLINK_PATH_H
#define COWLINK_PATH_H

#include <stddef.h>

/* What follows PATH's last slash ("" when PATH ends in one), or PATH itself
 * when it holds none. */
const char *cl_path_base(const char *path);
/* The directory part of PATH into DIR (SIZE bytes): "." when PATH holds no
 * slash, "/" when its only slash leads, else what comes before the last
 * slash. Returns cl_path_base(PATH), or NULL (DIR unset) when the directory
 * part does not fit in SIZE bytes. */
const char *cl_path_split(const char *path, char *dir, size_t size);

#endif
