/* fopen64(PATH, MODE), then fputs the payload and fclose. */
#include "prog.h"

int main(int argc, char **argv)
{
	FILE *f;

	if (argc < 3)
		return usage("api_fopen64 PATH MODE");
	f = fopen64(argv[1], argv[2]);
	if (!f)
		return outcome(1);
	if (argv[2][0] != 'r' || strchr(argv[2], '+'))
		fputs(PAYLOAD, f);
	return outcome(fclose(f) != 0);
}
