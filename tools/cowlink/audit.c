/* SPDX-License-Identifier: MIT */
/* cowlink audit's judge: a program is covered by the shim when the dynamic
 * loader will preload libcowlink.so into it (a dynamic 64-bit executable of
 * our machine with a PT_INTERP, not set-ID, without file capabilities) and it
 * imports libc calls that the shim wraps. The wrapped names come from the
 * shim's own table, lib/wrap.def. */
#include "audit.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Every symbol the shim wraps, and whether it is passive (wrap.def's
 * CL_W_PASSIVE: it only keeps the shim's tables true, presents metadata or
 * renames, so importing only such calls does not make a program covered). */
int audit_machine_wide;

static const struct wrapped_sym {
	const char *name;
	bool passive;
} wrapped[] = {
#define WRAP(ret, sym, params, flags) { #sym, ((flags) & CL_W_PASSIVE) != 0 },
#include "wrap.def"
#undef WRAP
};

#if defined(__x86_64__)
#define NATIVE_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define NATIVE_MACHINE EM_AARCH64
#elif defined(__riscv)
#define NATIVE_MACHINE EM_RISCV
#elif defined(__powerpc64__)
#define NATIVE_MACHINE EM_PPC64
#elif defined(__s390x__)
#define NATIVE_MACHINE EM_S390
#else
#error "cowlink audit: add this machine's EM_ value"
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif

static enum audit_verdict verdict(struct audit_result *r, enum audit_verdict v,
				  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum audit_verdict verdict(struct audit_result *r, enum audit_verdict v,
				  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof r->reason, fmt, ap);
	va_end(ap);
	r->verdict = v;
	return v;
}

/* Does [off, off + size) lie inside a file of LEN bytes? */
static bool in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

/* The dynamic section SCN (header SH) of ELF: its DT_NEEDED libraries into
 * R (liburing among them sets R->uring) and *NEEDED, DT_RUNPATH or DT_RPATH
 * into R->runpath. 0, or -1 when it cannot be read. */
static int read_dynamic(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, struct audit_result *r,
			size_t *needed)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	GElf_Dyn dyn;
	size_t k;

	if (!d || !sh->sh_entsize)
		return -1;
	for (k = 0; k < sh->sh_size / sh->sh_entsize && gelf_getdyn(d, (int)k, &dyn); k++) {
		const char *s = NULL;

		if (dyn.d_tag == DT_NEEDED || dyn.d_tag == DT_RUNPATH ||
		    dyn.d_tag == DT_RPATH)
			s = elf_strptr(elf, sh->sh_link, dyn.d_un.d_val);
		if (dyn.d_tag == DT_NEEDED) {
			(*needed)++;
			if (s && !strncmp(s, "liburing.so", 11))
				r->uring = 1;
			if (s && r->nneeded < AUDIT_MAX_NEEDED)
				snprintf(r->needed[r->nneeded++], sizeof r->needed[0], "%s", s);
		} else if (s && (dyn.d_tag == DT_RUNPATH || !r->runpath[0])) {
			snprintf(r->runpath, sizeof r->runpath, "%s", s);
		}
	}
	return 0;
}

/* The dynamic symbol table SCN (header SH) of ELF: each undefined symbol
 * that is a wrapped, non-passive call is marked in SEEN (counted in
 * *FOUND); "syscall" sets R->raw_syscall. 0, or -1 when it cannot be read. */
static int read_dynsym(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, struct audit_result *r,
		       bool *seen, int *found)
{
	const size_t nwrapped = sizeof wrapped / sizeof wrapped[0];
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t i, k;

	if (!d || !sh->sh_entsize)
		return -1;
	for (k = 0; k < sh->sh_size / sh->sh_entsize; k++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(d, (int)k, &sym))
			return -1;
		if (sym.st_shndx != SHN_UNDEF || !sym.st_name)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name)
			return -1;
		if (!strcmp(name, "syscall"))
			r->raw_syscall = 1;
		for (i = 0; i < nwrapped; i++)
			if (!seen[i] && !wrapped[i].passive &&
			    !strcmp(name, wrapped[i].name)) {
				seen[i] = true;
				(*found)++;
			}
	}
	return 0;
}

/* PREFIX and the FOUND calls marked in SEEN into R->reason, in table order
 * (open, openat, ..., write, ...), the first eight by name. */
static void list_imports(struct audit_result *r, const char *prefix, const bool *seen,
			 int found)
{
	const size_t nwrapped = sizeof wrapped / sizeof wrapped[0];
	size_t used, i;
	int shown = 0;

	used = (size_t)snprintf(r->reason, sizeof r->reason, "%s", prefix);
	for (i = 0; i < nwrapped && found; i++) {
		if (!seen[i])
			continue;
		if (shown == 8) {
			snprintf(r->reason + used, sizeof r->reason - used, ", ... (%d in all)", found);
			break;
		}
		used += (size_t)snprintf(r->reason + used, sizeof r->reason - used, "%s%s",
					 shown ? ", " : "", wrapped[i].name);
		if (used >= sizeof r->reason)
			break;
		shown++;
	}
}

/* The imported wrapped symbols of ELF, listed into R->reason after PREFIX;
 * returns how many (-1: the dynamic symbols cannot be read, -2: a section
 * is corrupt). */
static int imports(Elf *elf, size_t len, struct audit_result *r, const char *prefix,
		   size_t *needed)
{
	const size_t nwrapped = sizeof wrapped / sizeof wrapped[0];
	bool *seen = calloc(nwrapped, sizeof *seen);
	Elf_Scn *scn = NULL;
	size_t shnum;
	int found = 0, have_dynsym = 0;

	*needed = 0;
	if (!seen)
		return -1;
	if (elf_getshdrnum(elf, &shnum) != 0) {
		free(seen);
		return -1;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			goto out_corrupt;
		if (sh.sh_type != SHT_NOBITS && !in_file(sh.sh_offset, sh.sh_size, len))
			goto out_corrupt;
		if (sh.sh_type == SHT_DYNAMIC && read_dynamic(elf, scn, &sh, r, needed) < 0)
			goto out_corrupt;
		if (sh.sh_type != SHT_DYNSYM)
			continue;
		have_dynsym = 1;
		if (read_dynsym(elf, scn, &sh, r, seen, &found) < 0)
			goto out_corrupt;
	}
	if (!have_dynsym) {
		free(seen);
		return -1;
	}
	list_imports(r, prefix, seen, found);
	free(seen);
	return found;
out_corrupt:
	free(seen);
	return -2;
}

static enum audit_verdict elf_judge(void *buf, size_t len, struct audit_result *r);

enum audit_verdict audit_elf_mem(void *buf, size_t len, struct audit_result *r)
{
	r->imports_none = 0;
	r->raw_syscall = 0;
	r->uring = 0;
	r->nneeded = 0;
	r->runpath[0] = 0;
	return elf_judge(buf, len, r);
}

/* How many wrapped calls the 64-bit ELF library at PATH imports, their
 * names after PREFIX in R->reason; -1 when it cannot be read. */
static int library_imports(const char *path, struct audit_result *r, const char *prefix)
{
	struct stat st;
	size_t needed;
	void *map;
	Elf *elf;
	int fd, n = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < EI_NIDENT)
		goto out_close;
	map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		goto out_close;
	if (((unsigned char *)map)[EI_CLASS] == ELFCLASS64 && elf_version(EV_CURRENT) != EV_NONE &&
	    (elf = elf_memory(map, (size_t)st.st_size))) {
		n = imports(elf, (size_t)st.st_size, r, prefix, &needed);
		if (n < 0)
			n = -1;
		elf_end(elf);
	}
	munmap(map, (size_t)st.st_size);
out_close:
	close(fd);
	return n;
}

/* Libraries the loader maps from libc itself: their imports say nothing
 * about the program's own I/O. */
static bool libc_part(const char *name)
{
	static const char *const parts[] = { "libc.so", "ld-linux", "libpthread.so", "libdl.so",
					     "libm.so", "librt.so", "libresolv.so", "libutil.so" };
	size_t i;

	for (i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (!strncmp(name, parts[i], strlen(parts[i])))
			return true;
	return false;
}

/* A program that imports none of the wrapped calls itself may do its I/O in
 * a library of its own (DT_NEEDED): look there, through its DT_RUNPATH
 * ($ORIGIN: the program's directory) and the usual library directories. */
static void search_libraries(const char *prog, struct audit_result *r)
{
	static const char *const sysdirs =
#if defined(__x86_64__)
		"/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:"
#elif defined(__aarch64__)
		"/lib/aarch64-linux-gnu:/usr/lib/aarch64-linux-gnu:"
#endif
		"/lib64:/usr/lib64:/lib:/usr/lib:/usr/local/lib";
	char origin[PATH_MAX], dirs[2048], path[PATH_MAX], prefix[160];
	struct audit_result sub;
	char *save = NULL, *d, *slash;
	unsigned i;

	snprintf(origin, sizeof origin, "%s", prog);
	slash = strrchr(origin, '/');
	if (slash)
		*slash = 0;
	else
		snprintf(origin, sizeof origin, ".");
	for (i = 0; i < r->nneeded; i++) {
		const char *lib = r->needed[i];

		if (libc_part(lib) || strchr(lib, '/'))
			continue;
		snprintf(dirs, sizeof dirs, "%s%s%s", r->runpath, r->runpath[0] ? ":" : "", sysdirs);
		for (d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
			int n;

			if (!strncmp(d, "$ORIGIN", 7))
				n = snprintf(path, sizeof path, "%s%s/%s", origin, d + 7, lib);
			else if (!strncmp(d, "${ORIGIN}", 9))
				n = snprintf(path, sizeof path, "%s%s/%s", origin, d + 9, lib);
			else
				n = snprintf(path, sizeof path, "%s/%s", d, lib);
			if (n < 0 || (size_t)n >= sizeof path || access(path, R_OK) != 0)
				continue;
			memset(&sub, 0, sizeof sub);
			snprintf(prefix, sizeof prefix, "dynamic, its library %s imports ", lib);
			n = library_imports(path, &sub, prefix);
			if (n > 0) {
				snprintf(r->reason, sizeof r->reason, "%s", sub.reason);
				r->verdict = AUDIT_COVERED;
				return;
			}
			break; /* the first one found is the one the loader takes */
		}
		save = NULL;
	}
}

/* The checks of ELF identification bytes ID (LEN the file's size) that need
 * no libelf: true when libelf may look, else false with R's verdict set. */
static bool ident_ok(const unsigned char *id, size_t len, struct audit_result *r)
{
	if (len < 4 || memcmp(id, ELFMAG, SELFMAG)) {
		verdict(r, AUDIT_NOT_COVERED, "not an ELF program");
		return false;
	}
	if (len < EI_NIDENT) {
		verdict(r, AUDIT_NOT_COVERED, "truncated ELF file");
		return false;
	}
	if (id[EI_CLASS] == ELFCLASS32) {
		verdict(r, AUDIT_NOT_COVERED,
			"32-bit ELF program: libcowlink.so is built 64-bit only, the loader would not load it");
		return false;
	}
	if (id[EI_CLASS] != ELFCLASS64) {
		verdict(r, AUDIT_NOT_COVERED, "corrupt ELF file (unknown class %u)", id[EI_CLASS]);
		return false;
	}
	if (id[EI_DATA] != NATIVE_DATA) {
		verdict(r, AUDIT_NOT_COVERED, "ELF program of another byte order");
		return false;
	}
	return true;
}

/* ELF's header into *EH and its program headers, checked against the file
 * (LEN bytes): a program for this machine, counts and offsets inside the
 * file. True when they hold (*INTERP: it has a PT_INTERP), else false with
 * R's verdict set. */
static bool headers_ok(Elf *elf, size_t len, GElf_Ehdr *eh, bool *interp,
		       struct audit_result *r)
{
	size_t phnum, i;

	if (!gelf_getehdr(elf, eh)) {
		verdict(r, AUDIT_NOT_COVERED, "corrupt or truncated ELF header");
		return false;
	}
	if (eh->e_machine != NATIVE_MACHINE) {
		verdict(r, AUDIT_NOT_COVERED, "ELF program for another machine (e_machine %u)",
			(unsigned)eh->e_machine);
		return false;
	}
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) {
		verdict(r, AUDIT_NOT_COVERED, "not a program (ELF type %u)",
			(unsigned)eh->e_type);
		return false;
	}
	/* The header's own counts, checked against the file: libelf may
	 * quietly report fewer headers for a truncated file. */
	if (elf_getphdrnum(elf, &phnum) != 0 || phnum < eh->e_phnum ||
	    !in_file(eh->e_phoff, (uint64_t)phnum * eh->e_phentsize, len)) {
		verdict(r, AUDIT_NOT_COVERED, "corrupt or truncated ELF file (program headers)");
		return false;
	}
	if (eh->e_shoff && !in_file(eh->e_shoff, (uint64_t)eh->e_shnum * eh->e_shentsize, len)) {
		verdict(r, AUDIT_NOT_COVERED, "corrupt or truncated ELF file (section headers)");
		return false;
	}
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph)) {
			verdict(r, AUDIT_NOT_COVERED,
				"corrupt or truncated ELF file (program headers)");
			return false;
		}
		if (ph.p_type == PT_INTERP) {
			if (!in_file(ph.p_offset, ph.p_filesz, len)) {
				verdict(r, AUDIT_NOT_COVERED,
					"corrupt or truncated ELF file (PT_INTERP)");
				return false;
			}
			*interp = true;
		}
	}
	return true;
}

/* The verdict on a program of ELF type TYPE from what imports() found: N
 * (its answer), NEEDED libraries, INTERP whether it names a loader. */
static enum audit_verdict import_verdict(struct audit_result *r, int n, unsigned type,
					 size_t needed, bool interp)
{
	enum audit_verdict v;

	if (n == -2)
		return verdict(r, AUDIT_NOT_COVERED, "corrupt or truncated ELF file (sections)");
	if (!interp) {
		if (type == ET_DYN && needed)
			return verdict(r, AUDIT_NOT_COVERED, "a shared library, not a program");
		return verdict(r, AUDIT_NOT_COVERED,
			       "static executable (no PT_INTERP: no dynamic loader, no preload);"
			       " cowlink run covers it");
	}
	if (n == -1)
		v = verdict(r, AUDIT_NOT_COVERED,
			    "its dynamic symbols cannot be read (no section headers)");
	else if (n == 0) {
		v = verdict(r, AUDIT_NOT_COVERED,
			    "dynamic, but imports none of the libc calls the shim wraps (raw system calls,"
			    " as Go programs make); cowlink run covers it");
		r->imports_none = 1;
	}
	else if (r->uring) {
		char imp[sizeof r->reason];

		/* Its I/O goes through a ring no preload sees. */
		snprintf(imp, sizeof imp, "%s", r->reason);
		v = verdict(r, AUDIT_NOT_COVERED, "%s, but it links liburing (io_uring I/O, which"
			    " the shim cannot see); cowlink run covers it", imp);
	} else
		/* imports() wrote the reason. Importing syscall() (r->raw_syscall:
		 * gcc, python3 and most of libc's users do) is not writing through
		 * it: the program is covered, and the verdict line says that raw
		 * calls, if it makes any, are not. */
		v = AUDIT_COVERED;
	r->verdict = v;
	return v;
}

static enum audit_verdict elf_judge(void *buf, size_t len, struct audit_result *r)
{
	GElf_Ehdr eh;
	size_t needed;
	bool interp = false;
	enum audit_verdict v;
	Elf *elf;
	int n;

	if (!ident_ok(buf, len, r))
		return r->verdict;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return verdict(r, AUDIT_ERROR, "libelf: %s", elf_errmsg(-1));
	elf = elf_memory(buf, len);
	if (!elf)
		return verdict(r, AUDIT_NOT_COVERED, "corrupt or truncated ELF file (%s)", elf_errmsg(-1));
	if (headers_ok(elf, len, &eh, &interp, r)) {
		n = imports(elf, len, r, "dynamic, imports ", &needed);
		v = import_verdict(r, n, eh.e_type, needed, interp);
	} else {
		v = r->verdict;
	}
	elf_end(elf);
	return v;
}

enum audit_verdict audit_elf_fd(int fd, struct audit_result *r)
{
	struct stat st;
	enum audit_verdict v;
	void *map;

	if (fstat(fd, &st) < 0)
		return verdict(r, AUDIT_ERROR, "%s", strerror(errno));
	if (st.st_size == 0)
		return verdict(r, AUDIT_NOT_COVERED, "not an ELF program (empty file)");
	map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return verdict(r, AUDIT_ERROR, "cannot map it: %s", strerror(errno));
	v = audit_elf_mem(map, (size_t)st.st_size, r);
	munmap(map, (size_t)st.st_size);
	return v;
}

/* Find PROG as execvp does: as given with a slash, else the first
 * executable regular file of that name in PATH. */
static bool resolve(const char *prog, char *out, size_t n)
{
	const char *path = getenv("PATH"), *p, *e;
	struct stat st;

	if (strchr(prog, '/')) {
		snprintf(out, n, "%s", prog);
		return true;
	}
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = e + 1) {
		size_t len;

		e = strchr(p, ':');
		len = e ? (size_t)(e - p) : strlen(p);
		if ((size_t)snprintf(out, n, "%.*s%s%s", (int)len, p, len ? "/" : "", prog) < n &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return true;
		if (!e)
			break;
	}
	return false;
}

/* The interpreter of a "#!" script, through /usr/bin/env; "" when none. */
static void script_interp(const char *line, char *out, size_t n)
{
	char buf[256], *tok, *save = NULL;
	bool env = false;

	out[0] = 0;
	snprintf(buf, sizeof buf, "%s", line + 2);
	buf[strcspn(buf, "\r\n")] = 0;
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		const char *base = strrchr(tok, '/');

		if (!env && base && !strcmp(base + 1, "env")) {
			env = true;
			continue;
		}
		if (env && (tok[0] == '-' || strchr(tok, '='))) /* env -S, env VAR=x */
			continue;
		snprintf(out, n, "%s", tok);
		return;
	}
}

static enum audit_verdict judge(const char *prog, struct audit_result *r, int depth)
{
	char head[256], interp[PATH_MAX], path[PATH_MAX];
	enum audit_verdict v;
	struct stat st;
	ssize_t got;
	int fd;

	if (!resolve(prog, path, sizeof path))
		return verdict(r, AUDIT_ERROR, "not found in PATH");
	if (depth == 0)
		snprintf(r->path, sizeof r->path, "%s", path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return verdict(r, AUDIT_ERROR, "%s%s", depth ? "interpreter: " : "", strerror(errno));
	if (fstat(fd, &st) < 0) {
		v = verdict(r, AUDIT_ERROR, "%s", strerror(errno));
		goto out_close;
	}
	if (S_ISDIR(st.st_mode)) {
		v = verdict(r, AUDIT_ERROR, "%s", strerror(EISDIR));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		v = verdict(r, AUDIT_NOT_COVERED, "not a regular file");
		goto out_close;
	}
	if (st.st_mode & (S_ISUID | S_ISGID)) {
		r->setid = 1;
		if (!audit_machine_wide) {
			v = verdict(r, AUDIT_NOT_COVERED,
				    "set-%s-ID program: the loader runs it in secure mode and ignores LD_PRELOAD;"
				    " cowlink run covers it only as root (otherwise no_new_privs drops its privileges)",
				    st.st_mode & S_ISUID ? "user" : "group");
			goto out_close;
		}
	}
	if (!r->setid && fgetxattr(fd, "security.capability", NULL, 0) > 0) {
		r->setid = 1;
		if (!audit_machine_wide) {
			v = verdict(r, AUDIT_NOT_COVERED,
				    "has file capabilities: the loader runs it in secure mode and ignores LD_PRELOAD;"
				    " cowlink run covers it only as root (otherwise no_new_privs drops them)");
			goto out_close;
		}
	}
	got = pread(fd, head, sizeof head - 1, 0);
	if (got < 0) {
		v = verdict(r, AUDIT_ERROR, "%s", strerror(errno));
		goto out_close;
	}
	head[got] = 0;
	if (got >= 2 && head[0] == '#' && head[1] == '!') {
		char inner[sizeof r->reason];

		script_interp(head, interp, sizeof interp);
		if (!interp[0]) {
			v = verdict(r, AUDIT_NOT_COVERED, "script without an interpreter");
			goto out_close;
		}
		if (depth >= 4) {
			v = verdict(r, AUDIT_NOT_COVERED, "scripts nested too deep");
			goto out_close;
		}
		v = judge(interp, r, depth + 1);
		snprintf(inner, sizeof inner, "%s", r->reason);
		if (v == AUDIT_ERROR)
			v = AUDIT_NOT_COVERED; /* it would not run either */
		verdict(r, v, "script for %s: %s", interp, inner);
		goto out_close;
	}
	v = audit_elf_fd(fd, r);
	if (v == AUDIT_NOT_COVERED && r->imports_none) {
		search_libraries(path, r);
		v = r->verdict;
	}
	if (r->setid && depth == 0 && v == AUDIT_COVERED) {
		char inner[sizeof r->reason];

		snprintf(inner, sizeof inner, "%s", r->reason);
		verdict(r, v, "set-ID or file capabilities, loaded through /etc/ld.so.preload in the "
			"machine-wide mode, with /etc/cowlink.conf's settings, not COWLINK_*; %s", inner);
	}
out_close:
	close(fd);
	return v;
}

enum audit_verdict audit_program(const char *prog, struct audit_result *r)
{
	memset(r, 0, sizeof *r);
	snprintf(r->path, sizeof r->path, "%s", prog);
	return judge(prog, r, 0);
}
