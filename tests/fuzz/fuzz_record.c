/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the record parser: any bytes must parse to a record
 * or to "treat as a cowlink" ({0, 0}), never crash, and a record that parses
 * must format back to bytes that parse to the same record. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

/* Not CHECK(): release builds define NDEBUG. */
#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cl_record r, again;
	char buf[CL_RECORD_MAX];
	size_t n;
	int e = cl_record_parse(data, size, &r);

	if (e) {
		CHECK(e == -EINVAL || e == -EPROTO);
		CHECK(r.version == 0 && r.wbits == 0);
		return 0;
	}
	CHECK(r.version == CL_RECORD_VERSION);
	CHECK((r.wbits & ~0222u) == 0);
	n = cl_record_format(&r, buf);
	CHECK(n > 0 && n < CL_RECORD_MAX);
	CHECK(cl_record_parse(buf, n, &again) == 0);
	CHECK(again.version == r.version && again.wbits == r.wbits &&
	      again.dying == r.dying);
	return 0;
}
