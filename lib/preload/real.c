/* Resolving real_<sym> from wrap.def: dlvsym where a row names a glibc
 * version, else dlsym(RTLD_NEXT); a result that is our own wrapper is
 * refused (it would recurse). */
#include "real.h"

#include <dlfcn.h>
#include <string.h>
#include <unistd.h>

#define WRAP(ret, sym, params, ver, opt) ret(*real_##sym) params;
#include "wrap.def"
#undef WRAP

static const struct row {
	const char *name;
	const char *version;
	void **slot;
	int optional;
} rows[CL_SYM_NR] = {
#define WRAP(ret, sym, params, ver, opt) \
	[CL_SYM_##sym] = { #sym, ver, (void **)&real_##sym, opt },
#include "wrap.def"
#undef WRAP
};

/* Is P a function of this library (our own wrapper)? */
static int is_ours(void *p)
{
	Dl_info mine, theirs;

	if (!dladdr((void *)is_ours, &mine) || !dladdr(p, &theirs))
		return 0;
	return mine.dli_fbase == theirs.dli_fbase;
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
	const struct row *r = &rows[s];
	void *p;

	if (*r->slot)
		return;
	p = r->version ? dlvsym(RTLD_NEXT, r->name, r->version)
		       : dlsym(RTLD_NEXT, r->name);
	if (p && is_ours(p))
		p = NULL;
	if (!p && !r->optional)
		say("cowlink: libc lacks a required function: ", r->name);
	__atomic_store_n(r->slot, p, __ATOMIC_RELEASE);
}

void cl_real_resolve_all(void)
{
	for (int s = 0; s < CL_SYM_NR; s++)
		cl_real_resolve((enum cl_sym)s);
}
