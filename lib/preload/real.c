/* SPDX-License-Identifier: MIT */
/* Resolving real_<sym> from wrap.def with dlsym(RTLD_NEXT); a result that
 * is our own wrapper is refused (it would recurse). */
#include "real.h"

#include <dlfcn.h>
#include <sys/ioctl.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define WRAP(ret, sym, params, flags) ret(*real_##sym) params;
#include "wrap.def"
#undef WRAP

/* Each row's prototype is libc's (or glibc.h's): a row that drifts from the
 * function it wraps fails the build here, not a caller at run time. */
#define WRAP(ret, sym, params, flags)                                       \
	_Static_assert(__builtin_types_compatible_p(__typeof__(sym), ret params), \
		       "wrap.def: " #sym " differs from its libc prototype");
#include "wrap.def"
#undef WRAP

/* The rows' names, flags and slots, laid out so that the library needs no
 * relocation for them: a table of 118 pointers to names and 118 to slots
 * cost the dynamic loader 236 relative relocations in every process. */
static const struct names {
#define WRAP(ret, sym, params, flags) char n_##sym[sizeof #sym];
#include "wrap.def"
#undef WRAP
} names = {
#define WRAP(ret, sym, params, flags) #sym,
#include "wrap.def"
#undef WRAP
};

_Static_assert(sizeof(struct names) <= 65535, "wrap.def: names past an unsigned short");

static const unsigned short name_at[CL_SYM_NR] = {
#define WRAP(ret, sym, params, flags) [CL_SYM_##sym] = offsetof(struct names, n_##sym),
#include "wrap.def"
#undef WRAP
};

static const unsigned char row_flags[CL_SYM_NR] = {
#define WRAP(ret, sym, params, flags) [CL_SYM_##sym] = flags,
#include "wrap.def"
#undef WRAP
};

/* The slot of row S: code, not a table (an address taken in code needs no
 * relocation). */
static void **slot_of(enum cl_sym s)
{
	switch (s) {
#define WRAP(ret, sym, params, flags) \
	case CL_SYM_##sym:            \
		return (void **)&real_##sym;
#include "wrap.def"
#undef WRAP
	default:
		return NULL;
	}
}

/* Our own mapping [own_lo, own_hi), found once from the program headers of
 * the object that holds this function. dladdr() per symbol cost ~48k
 * instructions (a linear search of libc's symbol table) and was called
 * twice per resolved symbol. */
static uintptr_t own_lo, own_hi;

static int find_own(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t me = (uintptr_t)arg, lo = UINTPTR_MAX, hi = 0;

	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t a = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD)
			continue;
		if (a < lo)
			lo = a;
		if (a + ph->p_memsz > hi)
			hi = a + ph->p_memsz;
	}
	if (me < lo || me >= hi)
		return 0;
	__atomic_store_n(&own_lo, lo, __ATOMIC_RELAXED);
	__atomic_store_n(&own_hi, hi, __ATOMIC_RELEASE);
	return 1;
}

/* Is P a function of this library (our own wrapper)? */
static int is_ours(void *p)
{
	if (!__atomic_load_n(&own_hi, __ATOMIC_ACQUIRE))
		(void)dl_iterate_phdr(find_own, (void *)(uintptr_t)is_ours);
	return (uintptr_t)p >= own_lo && (uintptr_t)p < own_hi;
}

static void say(const char *a, const char *b)
{
	/* Raw write: this may run before anything is resolved. */
	(void)cl_write(2, a, strlen(a));
	(void)cl_write(2, b, strlen(b));
	(void)cl_write(2, "\n", 1);
}

void cl_real_resolve(enum cl_sym s)
{
	const char *name = (const char *)&names + name_at[s];
	void **slot = slot_of(s);
	void *p;

	if (*slot)
		return;
	p = dlsym(RTLD_NEXT, name);
	if (p && is_ours(p))
		p = NULL;
	if (!p && !(row_flags[s] & CL_W_OPTIONAL))
		say("cowlink: libc lacks a required function: ", name);
	__atomic_store_n(slot, p, __ATOMIC_RELEASE);
}

void cl_real_resolve_flagged(unsigned flag)
{
	for (int s = 0; s < CL_SYM_NR; s++)
		if (row_flags[s] & flag)
			cl_real_resolve((enum cl_sym)s);
}
