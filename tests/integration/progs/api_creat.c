/* SPDX-License-Identifier: MIT */
/* creat(PATH, 0644): truncates an existing file; write the payload.
 * Built twice (API64, prog.h): api_creat64 makes the call by its 64 name. */
#include "prog.h"

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage("api_creat" API64_SFX " PATH");
	return opened(API64(creat)(argv[1], 0644));
}
