/* SPDX-License-Identifier: MIT */
/* The shim's few libc functions that would each add a symbol version to the
 * versions it needs. The dynamic loader checks every version a library
 * needs against libc's list of versions in every process (bench case 5a:
 * about 100 to 400 instructions each, more the later the version); the shim
 * needs GLIBC_2.2.5, the first, anyway. The link (CMakeLists.txt) sends the
 * calls of every object of the shim, the core's included, to __wrap_<sym>:
 *
 *   dlsym, pthread_once (GLIBC_2.34), clock_gettime (GLIBC_2.17): libc keeps
 *     the same function under GLIBC_2.2.5 too (where they were before they
 *     moved into libc);
 *   pthread_atfork (libc_nonshared.a's, calling __register_atfork of
 *     GLIBC_2.3.2): libc's own GLIBC_2.2.5 pthread_atfork, which registers
 *     the handlers under libc's handle instead of ours -- a difference only
 *     for a library that can be unloaded, and this one cannot (-z nodelete);
 *   memcpy (GLIBC_2.14): memmove, a memcpy that also allows overlap.
 *
 * getauxval keeps its GLIBC_2.16: it has no older version, and looking it
 * up by name (dlsym) where a COWLINK_* variable is set cost such a process
 * some 2,000 instructions more than its lazy binding.
 *
 * Elsewhere than x86-64 glibc (whose first version is GLIBC_2.2.5) each
 * wrapper calls the symbol's default version, as without the wrapper. */
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#pragma GCC visibility push(hidden)

/* OLD(sym): the function a wrapper calls. */
#if defined(__x86_64__) && defined(__GLIBC__)
#define OLD(sym) sym
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
__asm__(".symver pthread_once,pthread_once@GLIBC_2.2.5");
__asm__(".symver pthread_atfork,pthread_atfork@GLIBC_2.2.5");
__asm__(".symver clock_gettime,clock_gettime@GLIBC_2.2.5");
#else
/* --wrap's name for the symbol itself (a call of plain `sym` here would
 * come back to __wrap_sym). */
#define OLD(sym) __real_##sym
void *__real_dlsym(void *handle, const char *name);
int __real_pthread_once(pthread_once_t *once, void (*fn)(void));
int __real_pthread_atfork(void (*prepare)(void), void (*parent)(void),
			  void (*child)(void));
int __real_clock_gettime(clockid_t clock, struct timespec *ts);
#endif

void *__wrap_dlsym(void *handle, const char *name);
int __wrap_pthread_once(pthread_once_t *once, void (*fn)(void));
int __wrap_pthread_atfork(void (*prepare)(void), void (*parent)(void),
			  void (*child)(void));
int __wrap_clock_gettime(clockid_t clock, struct timespec *ts);
void *__wrap_memcpy(void *dst, const void *src, size_t n);

void *__wrap_dlsym(void *handle, const char *name)
{
	return OLD(dlsym)(handle, name);
}

int __wrap_pthread_once(pthread_once_t *once, void (*fn)(void))
{
	return OLD(pthread_once)(once, fn);
}

int __wrap_pthread_atfork(void (*prepare)(void), void (*parent)(void),
			  void (*child)(void))
{
	return OLD(pthread_atfork)(prepare, parent, child);
}

int __wrap_clock_gettime(clockid_t clock, struct timespec *ts)
{
	return OLD(clock_gettime)(clock, ts);
}

/* Not restrict: with it the compiler may turn the memmove back into a
 * memcpy, which --wrap would send here again. */
void *__wrap_memcpy(void *dst, const void *src, size_t n)
{
	return memmove(dst, src, n);
}

#pragma GCC visibility pop
