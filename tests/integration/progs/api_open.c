/* SPDX-License-Identifier: MIT */
/* open(PATH, FLAGS, 0644), then write the payload through the fd.
 * Built twice (API64, prog.h): api_open64 makes the call by its 64 name. */
#include "prog.h"

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage("api_open" API64_SFX " PATH [FLAGS]");
	return opened(API64(open)(argv[1], flags_of(argv[2]), 0644));
}
