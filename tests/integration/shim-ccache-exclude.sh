#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# COWLINK_EXCLUDE=ccache with ccache (hard_link = true) itself under the
# shim and COWLINK_TREES on the cache and the build tree: ccache's own
# touch of each hit would break the fresh hard link into a full copy; with
# the exclusion every call of ccache passes straight through, so all hits of
# a second build stay hard links into the cache. Then strip, objcopy and a
# same-size dd of the outputs under the shim give each output its private
# copy and leave every cache entry as it was; a third build hits again and
# returns the original objects. Also: the executable is matched when
# argv[0] is not (ccache's masquerade symlinks), and an excluded program
# sees the raw file (no presentation, the mark visible).
. "$(dirname "$0")/lib.sh"
need_shim
need ccache gcc strip objcopy cmp sha256sum getfattr truncate
# Twelve sources: each of the three edits below on four outputs. Every
# check counts all N; 41 cost the sanitizer build 37 s of compiles.
N=12
export CCACHE_DIR="$T/cache" CCACHE_HARDLINK=true CCACHE_NOHASHDIR=true \
	CCACHE_NOCOMPRESS=true CCACHE_CONFIGPATH="$T/ccache.conf" CCACHE_TEMPDIR="$T/ccache-tmp"
: >"$CCACHE_CONFIGPATH"
mkdir -p "$T/src" "$T/build" "$CCACHE_DIR" "$T/orig"
for i in $(seq -w 1 $N); do
	printf 'int f%s(int x) { return x * %d + 1; }\n' "$i" "$((10#$i))" >"$T/src/m$i.c"
done
export COWLINK_TREES="$T/cache:$T/build"
build() { # build [ENV...]: every object, ccache and gcc under the shim
	local i
	for i in $(seq -w 1 $N); do
		(cd "$T/build" && env "$@" LD_PRELOAD="$PRELOAD" ccache gcc -c -O1 -o "m$i.o" "../src/m$i.c") ||
			fail "build of m$i.o failed"
	done
}
linked() { local n=0 o; for o in "$T"/build/*.o; do [ "$(stat -c %h "$o")" -ge 2 ] && n=$((n + 1)); done; echo $n; }
hits() { ccache --print-stats | awk '$1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" { n += $2 } END { print n + 0 }'; }

# Can this ccache hard-link at all? (Without the shim, in a cache of its own.)
mkdir -p "$T/probe"
printf 'int p(void) { return 0; }\n' >"$T/probe/p.c"
for i in 1 2; do
	rm -f "$T/probe/p.o"
	(cd "$T/probe" && CCACHE_DIR="$T/probe/cache" ccache gcc -c p.c -o p.o) || fail "probe build failed"
done
[ "$(stat -c %h "$T/probe/p.o")" -ge 2 ] || skip "this ccache does not hard-link its hits (hard_link mode unavailable)"

build COWLINK_EXCLUDE=ccache                      # misses: compiled, stored
cp "$T"/build/*.o "$T/orig/"
rm "$T"/build/*.o
ccache -z >/dev/null
build COWLINK_EXCLUDE=ccache                      # hits
h=$(hits) l=$(linked)
note "second build with COWLINK_EXCLUDE=ccache: $h/$N hits, $l/$N outputs hard links into the cache"
[ "$h" = $N ] || fail "second build: $h/$N hits"
[ "$l" = $N ] || fail "second build: $l/$N hits stayed linked"
# the cache entries behind the outputs, and their content now
: >"$T/entries"
for o in "$T"/build/*.o; do
	e=$(find "$CCACHE_DIR" -samefile "$o" | head -1)
	[ -n "$e" ] || fail "no cache entry behind $o"
	printf '%s %s\n' "$(basename "$o")" "$e" >>"$T/entries"
done
sums() { while read -r _ e; do sha256sum "$e"; done <"$T/entries"; }
sums >"$T/sums.before"

# Edits in place under the shim: each output gets its private copy.
i=0
for o in "$T"/build/*.o; do
	case $((i % 3)) in
	0) under_shim strip "$o" ;;
	1) under_shim objcopy --remove-section .comment "$o" ;;
	2) sz=$(stat -c %s "$o") # same size, in place (dd trips the ASan runtime)
	   if [ -z "${COWLINK_ASAN_RUNTIME:-}" ]; then
		head -c "$sz" /dev/zero | under_shim dd of="$o" bs=4096 conv=notrunc status=none
	   else
		under_shim bash -c "head -c $sz /dev/zero 1<>'$o'"
	   fi ;;
	esac || fail "editing $o under the shim failed"
	i=$((i + 1))
done
sums >"$T/sums.after"
cmp -s "$T/sums.before" "$T/sums.after" || fail "the cache changed: $(diff "$T/sums.before" "$T/sums.after" | head -5)"
[ "$(linked)" = 0 ] || fail "$(linked) outputs still share an inode with the cache after the edits"
while read -r o e; do
	[ "$(stat -c %i "$T/build/$o")" != "$(stat -c %i "$e")" ] || fail "$o is still its cache entry"
done <"$T/entries"
note "ok: strip/objcopy/dd of $N outputs left the cache unchanged"

# A third build: hits again, the original objects.
rm "$T"/build/*.o
ccache -z >/dev/null
build COWLINK_EXCLUDE=ccache
h=$(hits) l=$(linked)
note "third build: $h/$N hits, $l/$N linked"
[ "$h" = $N ] && [ "$l" = $N ] || fail "third build: $h hits, $l linked"
for o in "$T"/orig/*.o; do
	cmp -s "$o" "$T/build/$(basename "$o")" || fail "$(basename "$o") differs from the compiled object"
done

# Without the exclusion, ccache's touch of each hit breaks it into a copy:
# what the exclusion is for (and why the README advises it).
rm "$T"/build/*.o
build
l=$(linked)
note "without COWLINK_EXCLUDE: $l/$N linked"
[ "$l" -lt $N ] || fail "without the exclusion all hits stayed linked: the test shows nothing"
sums >"$T/sums.after"
cmp -s "$T/sums.before" "$T/sums.after" || fail "the cache changed without the exclusion"

# Matched on the executable when argv[0] is another name: ccache's
# masquerade (gcc -> ccache) is excluded as ccache.
mkdir -p "$T/bin"
ln -s "$(command -v ccache)" "$T/bin/gcc"
rm "$T"/build/*.o
(cd "$T/build" && PATH="$T/bin:$PATH" COWLINK_EXCLUDE=ccache LD_PRELOAD="$PRELOAD" \
	"$T/bin/gcc" -c -O1 -o m01.o ../src/m01.c) || fail "the masquerading ccache failed"
[ "$(stat -c %h "$T/build/m01.o")" -ge 2 ] || fail "ccache as 'gcc' was not excluded by its executable"

# An excluded program passes every call straight through: it sees the raw
# inode (the real link count, the mark) and writes into it, as it would
# without the shim; the same program not excluded is covered.
[ -x "${COWLN:-}" ] || fail "COWLN is not set"
printf 'one\n' >a
"$COWLN" --no-protect --reflink=never a b   # writable: an excluded write reaches the inode
[ "$(COWLINK_EXCLUDE=stat under_shim stat -c %h b)" = 2 ] || fail "an excluded stat was presented one link"
[ "$(under_shim stat -c %h b)" = 1 ] || fail "stat not excluded: not presented"
COWLINK_EXCLUDE=getfattr under_shim getfattr -n user.cowlink b >/dev/null 2>&1 ||
	fail "an excluded getfattr does not see the mark"
COWLINK_EXCLUDE=nothing:truncate under_shim truncate -s +0 b
same_inode a b || fail "an excluded truncate broke the link"
COWLINK_EXCLUDE=other under_shim bash -c 'echo two >> b'
same_inode a b && fail "a program not excluded did not break the link"
[ "$(cat a)" = one ] || fail "a changed"
note "ok: exclusion passes through"
exit 0
