/* SPDX-License-Identifier: MIT */
/* freopen(PATH, MODE, a stream on /dev/null), then fputs the payload.
 * Built twice (API64, prog.h): api_freopen64 makes the call by its 64 name. */
#include "prog.h"

int main(int argc, char **argv)
{
	FILE *f;

	if (argc < 3)
		return usage("api_freopen" API64_SFX " PATH MODE");
	f = fopen("/dev/null", "r");
	if (!f)
		return 2;
	f = API64(freopen)(argv[1], argv[2], f);
	if (!f)
		return outcome(1);
	if (argv[2][0] != 'r' || strchr(argv[2], '+'))
		fputs(PAYLOAD, f);
	return outcome(fclose(f) != 0);
}
