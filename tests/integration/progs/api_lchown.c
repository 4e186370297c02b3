/* SPDX-License-Identifier: MIT */
/* lchown(PATH, UID, GID). */
#include "prog.h"

int main(int argc, char **argv)
{
	if (argc < 4)
		return usage("api_lchown PATH UID GID");
	return outcome(lchown(argv[1], (uid_t)atol(argv[2]), (gid_t)atol(argv[3])) < 0);
}
