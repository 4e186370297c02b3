/* creat(PATH, 0644): truncates an existing file; write the payload. */
#include "prog.h"

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage("api_creat PATH");
	return opened(creat(argv[1], 0644));
}
