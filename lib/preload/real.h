/* SPDX-License-Identifier: MIT */
/* The real libc functions behind every wrapper, one pointer per row of
 * wrap.def, and the way to reach them. */
#ifndef CL_REAL_H
#define CL_REAL_H

#include "preload.h"

/* real_<sym>: the next definition of <sym> after ours (usually libc's). */
#define WRAP(ret, sym, params, flags) extern ret(*real_##sym) params;
#include "wrap.def"
#undef WRAP

/* One index per row, for resolving a single symbol on first use. */
enum cl_sym {
#define WRAP(ret, sym, params, flags) CL_SYM_##sym,
#include "wrap.def"
#undef WRAP
	CL_SYM_NR
};

/* Resolve one row now, on its first use; a missing required symbol is one
 * clear line on stderr. */
void cl_real_resolve(enum cl_sym s);
/* Resolve every row whose flags include FLAG (e.g. CL_W_FAST). */
void cl_real_resolve_flagged(unsigned flag);

/* REAL(sym): the real function, resolved on first use. It may be NULL for an
 * optional row that libc lacks: such wrappers check REAL_MISSING first. Read
 * once, atomically, pairing with cl_real_resolve's release store (on x86-64
 * the same one load as a plain read). */
#define REAL(sym)                                                        \
	(__extension__({                                                 \
		__typeof__(real_##sym) p_ =                              \
			__atomic_load_n(&real_##sym, __ATOMIC_ACQUIRE);  \
		if (__builtin_expect(p_ == NULL, 0)) {                   \
			cl_real_resolve(CL_SYM_##sym);                   \
			p_ = __atomic_load_n(&real_##sym, __ATOMIC_ACQUIRE); \
		}                                                        \
		p_;                                                      \
	}))
#define REAL_MISSING(sym) (REAL(sym) == NULL)

#endif
