/* SPDX-License-Identifier: MIT */
/* Who may break a cowlink (docs/DESIGN.md §5): the caller must be allowed to
 * make the change the break comes before (for a write, write permission by the
 * presented mode | recorded bits and the POSIX ACL; for chmod and friends,
 * ownership) and must be able to give the private copy the same owner. */
#include "internal.h"

#include <endian.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "banned.h"

#define ACL_XATTR "system.posix_acl_access"

/* The on-disk form of a POSIX ACL xattr (little endian). */
#define ACL_EA_VERSION 0x0002
#define ACL_USER_OBJ   0x01
#define ACL_USER       0x02
#define ACL_GROUP_OBJ  0x04
#define ACL_GROUP      0x08
#define ACL_MASK       0x10
#define ACL_OTHER      0x20
#define ACL_W          0x02

struct acl_ent {
	uint16_t tag;
	uint16_t perm;
	uint32_t id;
};

/* Who is asking: the fs ids the kernel will check, and the groups. */
struct who {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t *groups;
	bool caps_read;                        /* caps below filled in */
	uint32_t caps[_LINUX_CAPABILITY_U32S_3]; /* the effective set */
};

/* Is capability CAP in the calling thread's effective set? (capget, raw:
 * fs caps are already dropped there when the fsuid is not 0.) Read once
 * per decision: a break asks for up to three. */
static bool has_cap(struct who *w, unsigned cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	unsigned i;

	if (!w->caps_read) {
		w->caps_read = true;
		memset(w->caps, 0, sizeof w->caps);
		if (!syscall(SYS_capget, &h, d))
			for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
				w->caps[i] = d[i].effective;
	}
	return w->caps[cap / 32] & (1u << (cap % 32));
}

static bool in_group(const struct who *w, gid_t g)
{
	int i;

	if (g == w->gid)
		return true;
	for (i = 0; i < w->ngroups; i++)
		if (w->groups[i] == g)
			return true;
	return false;
}

/* May W write by MODE alone (no ACL)? */
static bool mode_allows(const struct who *w, const struct stat *st, mode_t mode)
{
	if (w->uid == st->st_uid)
		return mode & S_IWUSR;
	if (in_group(w, st->st_gid))
		return mode & S_IWGRP;
	return mode & S_IWOTH;
}

/* The kernel's posix_acl_permission() for MAY_WRITE, with the owner and
 * other entries and the mask taken from the presented MODE (protection
 * cleared them on disk). A malformed ACL falls back to the mode. */
static bool acl_allows(const struct who *w, const struct stat *st, mode_t mode,
		       const unsigned char *buf, size_t len)
{
	const unsigned char *p;
	struct acl_ent e;
	uint32_t ver;
	bool found = false, has_mask = false;
	unsigned perm = 0;

	if (len < 4 || (len - 4) % sizeof e)
		return mode_allows(w, st, mode);
	memcpy(&ver, buf, 4);
	if (le32toh(ver) != ACL_EA_VERSION)
		return mode_allows(w, st, mode);
	for (p = buf + 4; p < buf + len; p += sizeof e) {
		memcpy(&e, p, sizeof e);
		if (le16toh(e.tag) == ACL_MASK)
			has_mask = true;
	}
	for (p = buf + 4; p < buf + len; p += sizeof e) {
		memcpy(&e, p, sizeof e);
		e.tag = le16toh(e.tag);
		e.perm = le16toh(e.perm);
		e.id = le32toh(e.id);
		switch (e.tag) {
		case ACL_USER_OBJ:
			if (w->uid == st->st_uid)
				return mode & S_IWUSR;
			break;
		case ACL_USER:
			if (e.id == w->uid) {
				perm = e.perm;
				goto check_mask;
			}
			break;
		case ACL_GROUP_OBJ:
			if (in_group(w, st->st_gid)) {
				found = true;
				/* Without a mask entry the group entry is the mode's. */
				perm = has_mask ? e.perm : (mode >> 3) & 7;
				if (perm & ACL_W)
					goto check_mask;
			}
			break;
		case ACL_GROUP:
			if (in_group(w, e.id)) {
				found = true;
				perm = e.perm;
				if (perm & ACL_W)
					goto check_mask;
			}
			break;
		case ACL_MASK:
			break;
		case ACL_OTHER:
			if (found)
				return false;
			return mode & S_IWOTH;
		default:
			return mode_allows(w, st, mode);
		}
	}
	return false;
check_mask:
	if (!(perm & ACL_W))
		return false;
	return !has_mask || (mode & S_IWGRP);
}

/* Read the access ACL of FD into BUF (or a heap buffer in *HEAP when it is
 * larger). Returns its length, 0 when there is none, or -errno. */
static ssize_t read_acl(int fd, unsigned char *buf, size_t cap, unsigned char **heap)
{
	ssize_t n = cl_fgetxattr(fd, ACL_XATTR, buf, cap);
	int tries;

	*heap = NULL;
	for (tries = 0; n == -ERANGE && tries < 4; tries++) {
		n = cl_fgetxattr(fd, ACL_XATTR, NULL, 0);
		if (n < 0)
			break;
		free(*heap);
		*heap = malloc((size_t)n + 1);
		if (!*heap)
			return -ENOMEM;
		n = cl_fgetxattr(fd, ACL_XATTR, *heap, (size_t)n + 1);
	}
	if (n == -ENODATA || n == -EOPNOTSUPP)
		return 0;
	return n;
}

/* May W write the file, by the presented mode and the ACL? */
static int write_allowed(int fd, struct who *w, const struct stat *st, mode_t mode)
{
	unsigned char acl[512], *heap = NULL;
	ssize_t n;
	bool ok;

	if (has_cap(w, CAP_DAC_OVERRIDE))
		return 1;
	n = read_acl(fd, acl, sizeof acl, &heap);
	if (n < 0)
		return (int)n;
	if (n > 0)
		ok = acl_allows(w, st, mode, heap ? heap : acl, (size_t)n);
	else
		ok = mode_allows(w, st, mode);
	free(heap);
	return ok;
}

static int may(int fd, const struct stat *st, mode_t mode, enum cl_need need,
	       bool copy)
{
	gid_t small[64];
	struct who w;
	bool owner;
	int e = 0;

	/* With these three (root, whose fsuid is 0) every check below passes,
	 * whoever we are: no need to ask the kernel who that is. */
	w.caps_read = false;
	if (has_cap(&w, CAP_DAC_OVERRIDE) && has_cap(&w, CAP_FOWNER) && has_cap(&w, CAP_CHOWN))
		return 0;
	w.uid = (uid_t)setfsuid((uid_t)-1);
	w.gid = (gid_t)setfsgid((gid_t)-1);
	w.groups = small;
	w.ngroups = getgroups(64, small);
	if (w.ngroups < 0) {
		int total = getgroups(0, NULL);

		w.ngroups = 0;
		if (total > 0) {
			w.groups = malloc((size_t)total * sizeof *w.groups);
			if (!w.groups)
				return -ENOMEM;
			w.ngroups = getgroups(total, w.groups);
			if (w.ngroups < 0)
				w.ngroups = 0;
		}
	}

	owner = w.uid == st->st_uid || has_cap(&w, CAP_FOWNER);
	if (need == CL_NEED_OWNER && !owner) {
		cl_debug("may not break: uid %u does not own it", (unsigned)w.uid);
		e = -EPERM;
		goto out;
	}
	if (need == CL_NEED_WRITE || (need == CL_NEED_WRITE_OR_OWNER && !owner)) {
		e = write_allowed(fd, &w, st, mode);
		if (e <= 0) {
			if (!e)
				cl_debug("may not break: no write permission for uid %u",
					 (unsigned)w.uid);
			e = e ? e : -EACCES;
			goto out;
		}
		e = 0;
	}
	/* The copy must keep the owner and group: chown rules. */
	if (copy && !has_cap(&w, CAP_CHOWN) &&
	    (w.uid != st->st_uid || !in_group(&w, st->st_gid))) {
		cl_debug("may not break: uid %u cannot keep owner %u:%u",
			 (unsigned)w.uid, (unsigned)st->st_uid, (unsigned)st->st_gid);
		e = -EACCES;
	}
out:
	if (w.groups != small)
		free(w.groups);
	return e;
}

int cl_may_break(int fd, const struct stat *st, mode_t mode, enum cl_need need)
{
	return may(fd, st, mode, need, true);
}

int cl_may_change(int fd, const struct stat *st, mode_t mode, enum cl_need need)
{
	return may(fd, st, mode, need, false);
}

bool cl_capable(unsigned cap)
{
	struct who w;

	w.caps_read = false;
	return has_cap(&w, cap);
}
