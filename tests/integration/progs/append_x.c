/* SPDX-License-Identifier: MIT */
/* Append "x\n" to the file named on the command line through open(2) and
 * write(2), and say whether libcowlink.so is mapped into this process. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char line[4096];
	int mapped = 0, fd;
	FILE *maps = fopen("/proc/self/maps", "r");

	while (maps && fgets(line, sizeof line, maps))
		if (strstr(line, "libcowlink"))
			mapped = 1;
	if (maps)
		fclose(maps);
	printf("shim %s\n", mapped ? "loaded" : "absent");
	if (argc != 2)
		return 2;
	fd = open(argv[1], O_WRONLY | O_APPEND);
	if (fd < 0 || write(fd, "x\n", 2) != 2) {
		perror(argv[1]);
		return 1;
	}
	return close(fd) ? 1 : 0;
}
