/* SPDX-License-Identifier: MIT */
/* fopen(PATH, MODE), then fputs the payload and fclose.
 * Built twice (API64, prog.h): api_fopen64 makes the call by its 64 name. */
#include "prog.h"

int main(int argc, char **argv)
{
	FILE *f;

	if (argc < 3)
		return usage("api_fopen" API64_SFX " PATH MODE");
	f = API64(fopen)(argv[1], argv[2]);
	if (!f)
		return outcome(1);
	if (argv[2][0] != 'r' || strchr(argv[2], '+'))
		fputs(PAYLOAD, f);
	return outcome(fclose(f) != 0);
}
