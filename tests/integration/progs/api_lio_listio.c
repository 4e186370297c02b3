/* SPDX-License-Identifier: MIT */
/* lio_listio(LIO_WAIT, one LIO_WRITE of the payload to FD at offset 0). */
#include "prog.h"
#include <aio.h>

int main(int argc, char **argv)
{
	static char p[] = PAYLOAD;
	struct aiocb cb = { .aio_buf = p, .aio_nbytes = PAYLOAD_LEN,
			    .aio_lio_opcode = LIO_WRITE };
	struct aiocb *list[1] = { &cb };

	if (argc < 2)
		return usage("api_lio_listio FD");
	cb.aio_fildes = fd_arg(argv[1]);
	if (lio_listio(LIO_WAIT, list, 1, NULL) < 0)
		return outcome(1);
	errno = aio_error(&cb);
	return outcome(aio_return(&cb) < 0);
}
