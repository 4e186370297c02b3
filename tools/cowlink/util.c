/* SPDX-License-Identifier: MIT */
/* Messages, allocation, sizes, JSON strings and an inode set for the tool. */
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void vmsg(int err, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void vmsg(int err, const char *fmt, va_list ap)
{
	fputs("cowlink: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err < 0 ? -err : err));
	fputc('\n', stderr);
}

void warnmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(0, fmt, ap);
	va_end(ap);
}

void errmsg(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(err, fmt, ap);
	va_end(ap);
}

void die(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(err, fmt, ap);
	va_end(ap);
	exit(2);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die(ENOMEM, "out of memory");
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die(ENOMEM, "out of memory");
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		die(ENOMEM, "out of memory");
	return p;
}

int usage_error(const char *sub)
{
	fprintf(stderr, "Try 'cowlink %s --help'.\n", sub);
	return 2;
}

const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* Powers of 1024 with one decimal below 10, as du -h rounds (up). */
const char *fmt_size(uint64_t size, bool bytes, char buf[32])
{
	static const char units[] = "KMGTPE";
	double v = (double)size;
	int u = -1;

	if (bytes || size < 1024) {
		snprintf(buf, 32, "%llu", (unsigned long long)size);
		return buf;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (v < 10) {
		double t = (double)(uint64_t)(v * 10);

		if (t < v * 10)
			t += 1;
		if (t >= 100)
			snprintf(buf, 32, "%.0f%c", t / 10, units[u]);
		else
			snprintf(buf, 32, "%.1f%c", t / 10, units[u]);
	} else {
		uint64_t t = (uint64_t)v;

		if ((double)t < v)
			t++;
		snprintf(buf, 32, "%llu%c", (unsigned long long)t, units[u]);
	}
	return buf;
}

/* The length of the valid UTF-8 sequence at P (1 to 4), or 0. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0; /* overlong, surrogate, beyond U+10FFFF */
	return n;
}

/* File names are bytes: valid UTF-8 is kept as is, any other byte becomes
 * the code point of the same value (\u00XX), so the output stays JSON. */
void json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	fputc('"', f);
	while (*p) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else if (*p >= 0x80 && (n = utf8_len(p)) > 1) {
			fwrite(p, 1, n, f);
			p += n;
			continue;
		} else if (*p >= 0x80)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
		p++;
	}
	fputc('"', f);
}

const char *proc_comm(int pid, char *buf, size_t n)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/comm", pid);
	buf[0] = 0;
	f = fopen(path, "re");
	if (f) {
		if (fgets(buf, (int)n, f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
	if (!buf[0])
		snprintf(buf, n, "?");
	return buf;
}

/* Open addressing on a power-of-two table; seen == 0 marks a free slot. */
static size_t ino_hash(uint64_t dev, uint64_t ino)
{
	uint64_t h = (ino ^ (dev << 32) ^ dev) * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 17);
}

uint64_t inoset_add(struct inoset *s, uint64_t dev, uint64_t ino)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		struct inoset old = *s;
		size_t j;

		s->cap = s->cap ? s->cap * 2 : 1024;
		s->v = xmalloc(s->cap * sizeof *s->v);
		memset(s->v, 0, s->cap * sizeof *s->v);
		s->n = 0;
		for (j = 0; j < old.cap; j++)
			if (old.v[j].seen) {
				i = ino_hash(old.v[j].dev, old.v[j].ino) & (s->cap - 1);
				while (s->v[i].seen)
					i = (i + 1) & (s->cap - 1);
				s->v[i] = old.v[j];
				s->n++;
			}
		free(old.v);
	}
	i = ino_hash(dev, ino) & (s->cap - 1);
	while (s->v[i].seen && (s->v[i].dev != dev || s->v[i].ino != ino))
		i = (i + 1) & (s->cap - 1);
	if (!s->v[i].seen) {
		s->v[i].dev = dev;
		s->v[i].ino = ino;
		s->n++;
	}
	return ++s->v[i].seen;
}

uint64_t inoset_count(const struct inoset *s, uint64_t dev, uint64_t ino)
{
	size_t i;

	if (!s->cap)
		return 0;
	i = ino_hash(dev, ino) & (s->cap - 1);
	while (s->v[i].seen && (s->v[i].dev != dev || s->v[i].ino != ino))
		i = (i + 1) & (s->cap - 1);
	return s->v[i].seen;
}

void inoset_free(struct inoset *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}
