/* SPDX-License-Identifier: MIT */
/* mmap(PROT_READ|PROT_WRITE, MAP_SHARED | private | validate) of FD, then
 * store the payload at offset 0 and msync.
 * Built twice (API64, prog.h): api_mmap64 makes the call by its 64 name. */
#include "prog.h"
#include <sys/mman.h>

int main(int argc, char **argv)
{
	int flags = MAP_SHARED;
	char *m;

	if (argc < 2)
		return usage("api_mmap" API64_SFX " FD [shared|private|validate]");
	if (argc > 2 && !strcmp(argv[2], "private"))
		flags = MAP_PRIVATE;
	if (argc > 2 && !strcmp(argv[2], "validate"))
		flags = MAP_SHARED_VALIDATE;
	m = API64(mmap)(NULL, PAYLOAD_LEN, PROT_READ | PROT_WRITE, flags, fd_arg(argv[1]), 0);
	if (m == MAP_FAILED)
		return outcome(1);
	memcpy(m, PAYLOAD, PAYLOAD_LEN);
	if (msync(m, PAYLOAD_LEN, MS_SYNC) < 0 || munmap(m, PAYLOAD_LEN) < 0)
		return 2;
	return outcome(0);
}
