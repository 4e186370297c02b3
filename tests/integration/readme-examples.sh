# SPDX-License-Identifier: MIT
# The README's examples run as written (each block after an
# "<!-- example: NAME -->" line, under bash -e, in a fresh directory with the
# built tools on PATH and the shim findable as plain "libcowlink.so"), and
# then do what the README says they do.
. "$(dirname "$0")/lib.sh"
[ -n "${LIBCOWLINK:-}" ] && [ -x "${COWLN:-}" ] && [ -x "${COWLINK_TOOL:-}" ] || fail "needs cowln, cowlink and libcowlink.so"
[ -z "${COWLINK_ASAN_RUNTIME:-}" ] || skip "the examples preload the shim by name, without the ASan runtime"
mkdir bin && ln -s "$COWLN" bin/cowln && ln -s "$COWLINK_TOOL" bin/cowlink
export PATH="$T/bin:$PATH" LD_LIBRARY_PATH="$(dirname "$LIBCOWLINK")"

readme_examples "$COWLINK_SRC/README.md"
# The C example builds against the API and restores a file as a cowlink.
[ -f example-restore.c ] || fail "README has no C example 'restore'"
cc -o restore example-restore.c -I"$COWLINK_SRC/include" "$COWLINK_BUILD/lib/libcowlink-api.a" \
	|| fail "the README's C example does not build"
mkdir -p store build && echo object >store/o
./restore store/o build/o || fail "the README's C example failed"
[ "$(stat -c %i store/o)" = "$(stat -c %i build/o)" ] || fail "restore: build/o is not a cowlink of store/o"
getfattr -n user.cowlink --only-values store/o 2>/dev/null | grep -q '^cowlink v1' || fail "restore: no mark on store/o"
./restore store/missing build/x 2>err && fail "restore of a missing file succeeded"
grep -q "No such file" err || fail "restore: no clear message for a missing file: $(cat err)"

# step: cowlink_spawn covers a writer without any preload.
[ -f example-step.c ] || fail "README has no C example 'step'"
cc -o step example-step.c -I"$COWLINK_SRC/include" "$COWLINK_BUILD/lib/libcowlink-api.a" -lpthread \
	|| fail "the README's cowlink_spawn example does not build"
./step sh -c 'echo more >> build/o' || fail "step: the command failed"
[ "$(cat store/o)" = object ] || fail "step: a write through build/o reached store/o"
[ "$(cat build/o)" = "object
more" ] || fail "step: build/o is $(cat build/o)"
rc=0; ./step no-such-command-xyz 2>err || rc=$?
[ "$rc" = 127 ] && grep -q "No such file" err || fail "step: missing command: exit $rc: $(cat err)"

need ccache gcc strip
for ex in survive shell cowln groups cowlink scope trees ccache; do
	[ -f "example-$ex.sh" ] || fail "README has no example '$ex'"
	mkdir "run-$ex"
	(cd "run-$ex" && bash -e "../example-$ex.sh" >../"out-$ex" 2>&1) || fail "example $ex failed: $(cat "out-$ex")"
done

cd run-survive
[ "$(stat -c %s big.bin)" = 10485760 ] || fail "survive: big.bin changed size"
[ "$(stat -c %s copy.bin)" = 10485762 ] || fail "survive: copy.bin did not get the write"
[ "$(stat -c %i big.bin)" != "$(stat -c %i copy.bin)" ] || fail "survive: still one inode"
cd ../run-cowln
for f in a.copy dest/a dest/b tree.copy/a tree.copy/sub/b c.open a.cow; do [ -f "$f" ] || fail "cowln example: $f missing"; done
[ "$(readlink tree.copy/link)" = a ] || fail "cowln example: symlink not copied"
[ "$(stat -c %i src/a)" = "$(stat -c %i a.copy)" ] || fail "cowln example: a.copy is not a cowlink"
[ "$(stat -c %A c | cut -c3)" = w ] && [ "$(stat -c %h c)" = 2 ] || fail "cowln example: --no-protect still cleared write bits"
[ "$(stat -c %A src/a | cut -c3)" = - ] || fail "cowln example: the protected source kept its write bit"
cd ../run-cowlink
[ "$(stat -c %i f)" != "$(stat -c %i g)" ] || fail "cowlink example: break did not give g its copy"
grep -qi cowlink ../out-cowlink || fail "cowlink example: status said nothing about the cowlink"
[ "$(stat -c %i d/1)" = "$(stat -c %i d/2)" ] || fail "cowlink example: dedupe did not link d/2 to d/1"
grep -q "^1 file in 1 group deduplicated" ../out-cowlink || fail "cowlink example: no dedupe summary"
cd ../run-scope
[ "$(grep -c patched cache/obj)" = 0 ] && [ "$(grep -c patched build/obj)" = 1 ] || fail "scope example: the cache entry changed"
cd ../run-shell
[ "$(cat f)" = data ] && [ "$(cat g)" = "data
more" ] || fail "shell example: f [$(cat f)] g [$(cat g)]"
grep -q "^covered: " ../out-shell || fail "shell example: status did not say covered: $(cat ../out-shell)"
cd ../run-groups
[ "$(stat -c %i proj.copy/a/data)" = "$(stat -c %i proj.copy/b/data)" ] || fail "groups example: the group was split"
[ "$(stat -c %i proj/a/data)" != "$(stat -c %i proj.copy/a/data)" ] || fail "groups example: the copy is the source inode"
grep -q "1 file (1.0 MiB) copied in full, not linked: plain hard links" ../out-groups || fail "groups example: $(cat ../out-groups)"
cd ../run-trees
grep -q "run: --trees: 'biuld' refused: No such file or directory" ../out-trees || fail "trees example: $(cat ../out-trees)"
grep -qx "$PWD/cache:$PWD/build" ../out-trees || fail "trees example: not made absolute: $(cat ../out-trees)"
cd ../run-ccache
[ "$(grep -c . ../out-ccache)" = 2 ] && [ "$(head -1 ../out-ccache)" = 2 ] && [ "$(tail -1 ../out-ccache)" = 1 ] ||
	fail "ccache example: the hit was not linked, then copied: $(cat ../out-ccache)"
CCACHE_DIR=$PWD/ccache CCACHE_HARDLINK=true CCACHE_NOCOMPRESS=true ccache gcc -c f.c -o again.o
gcc -c f.c -o fresh.o
cmp -s again.o fresh.o || fail "ccache example: the cache entry changed (a hit is not the compiled object)"
cmp -s obj/f.o fresh.o && fail "ccache example: strip changed nothing"
exit 0
