/* SPDX-License-Identifier: MIT */
/* chmod(PATH, MODE in octal). */
#include "prog.h"
#include <sys/stat.h>

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage("api_chmod PATH MODE");
	return outcome(chmod(argv[1], (mode_t)strtoul(argv[2], NULL, 8)) < 0);
}
