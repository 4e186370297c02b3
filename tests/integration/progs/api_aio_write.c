/* SPDX-License-Identifier: MIT */
/* aio_write(FD, the payload at offset 0), then wait for it: POSIX AIO
 * writes from a glibc thread through internal calls.
 * Built twice (API64, prog.h): api_aio_write64 makes the call by its 64 name. */
#include "prog.h"
#include <aio.h>

int main(int argc, char **argv)
{
	static char p[] = PAYLOAD;
	struct API64(aiocb) cb = { .aio_buf = p, .aio_nbytes = PAYLOAD_LEN };
	const struct API64(aiocb) *list[1] = { &cb };

	if (argc < 2)
		return usage("api_aio_write" API64_SFX " FD");
	cb.aio_fildes = fd_arg(argv[1]);
	if (API64(aio_write)(&cb) < 0)
		return outcome(1);
	while (API64(aio_error)(&cb) == EINPROGRESS)
		API64(aio_suspend)(list, 1, NULL);
	errno = API64(aio_error)(&cb);
	return outcome(API64(aio_return)(&cb) < 0);
}
