/* SPDX-License-Identifier: MIT */
/* The public break calls (include/cowlink.h): thin over cl_break_at. */
#include "internal.h"

#include <errno.h>

#include "banned.h"

int cowlink_break(const char *path)
{
	struct cl_break_opts o = { .keep = -1 };

	if (!path)
		return -EFAULT;
	return cl_break_at(AT_FDCWD, path, &o);
}

int cowlink_break_truncate(const char *path, off_t length)
{
	struct cl_break_opts o = { .keep = length };

	if (!path)
		return -EFAULT;
	if (length < 0)
		return -EINVAL;
	return cl_break_at(AT_FDCWD, path, &o);
}
