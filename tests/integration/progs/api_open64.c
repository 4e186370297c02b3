/* open64(PATH, FLAGS, 0644), then write the payload through the fd. */
#include "prog.h"

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage("api_open64 PATH [FLAGS]");
	return opened(open64(argv[1], flags_of(argv[2]), 0644));
}
