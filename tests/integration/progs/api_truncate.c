/* truncate(PATH, LEN). */
#include "prog.h"

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage("api_truncate PATH LEN");
	return outcome(truncate(argv[1], atol(argv[2])) < 0);
}
