/* SPDX-License-Identifier: MIT */
/* chown(PATH, UID, GID). */
#include "prog.h"

int main(int argc, char **argv)
{
	if (argc < 4)
		return usage("api_chown PATH UID GID");
	return outcome(chown(argv[1], (uid_t)atol(argv[2]), (gid_t)atol(argv[3])) < 0);
}
