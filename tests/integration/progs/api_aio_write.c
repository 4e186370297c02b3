/* aio_write(FD, the payload at offset 0), then wait for it: POSIX AIO
 * writes from a glibc thread through internal calls. */
#include "prog.h"
#include <aio.h>

int main(int argc, char **argv)
{
	static char p[] = PAYLOAD;
	struct aiocb cb = { .aio_buf = p, .aio_nbytes = PAYLOAD_LEN };
	const struct aiocb *list[1] = { &cb };

	if (argc < 2)
		return usage("api_aio_write FD");
	cb.aio_fildes = fd_arg(argv[1]);
	if (aio_write(&cb) < 0)
		return outcome(1);
	while (aio_error(&cb) == EINPROGRESS)
		aio_suspend(list, 1, NULL);
	errno = aio_error(&cb);
	return outcome(aio_return(&cb) < 0);
}
