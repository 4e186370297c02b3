/* freopen64(PATH, MODE, a stream on /dev/null), then fputs the payload. */
#include "prog.h"

int main(int argc, char **argv)
{
	FILE *f;

	if (argc < 3)
		return usage("api_freopen64 PATH MODE");
	f = fopen("/dev/null", "r");
	if (!f)
		return 2;
	f = freopen64(argv[1], argv[2], f);
	if (!f)
		return outcome(1);
	if (argv[2][0] != 'r' || strchr(argv[2], '+'))
		fputs(PAYLOAD, f);
	return outcome(fclose(f) != 0);
}
