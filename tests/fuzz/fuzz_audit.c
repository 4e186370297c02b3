/* SPDX-License-Identifier: MIT */
/* libFuzzer target for cowlink audit's ELF reader: any bytes must give a
 * verdict and a reason without crashing, reading out of bounds or leaking. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_result r;
	/* libelf may rewrite the image in place: give it a private copy. */
	void *copy = malloc(size ? size : 1);
	enum audit_verdict v;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	memset(&r, 0, sizeof r);
	v = audit_elf_mem(copy, size, &r);
	if (v != AUDIT_COVERED && v != AUDIT_NOT_COVERED && v != AUDIT_ERROR)
		__builtin_trap();
	if (memchr(r.reason, 0, sizeof r.reason) == NULL)
		__builtin_trap();
	free(copy);
	return 0;
}
