# SPDX-License-Identifier: MIT
# cmake --install into a temporary prefix: the tools, the shim, the header,
# the C API with its pkg-config file, man pages and bash completion land
# where users look; the installed tools run from there; cowlink run finds
# the installed shim without LD_LIBRARY_PATH; a program builds against the
# C API with pkg-config and works.
. "$(dirname "$0")/lib.sh"
need cmake pkg-config cc
[ -d "${COWLINK_BUILD:-}" ] || fail "COWLINK_BUILD is not set"
P=$T/prefix
cmake --install "$COWLINK_BUILD" --prefix "$P" >install.log 2>&1 || fail "cmake --install failed: $(cat install.log)"

libdir=$(dirname "$(find "$P" -name cowlink.pc -path '*/pkgconfig/*' | head -1)")
libdir=${libdir%/pkgconfig}
[ -n "$libdir" ] && [ -d "$libdir" ] || fail "no pkgconfig/cowlink.pc under $P"
for f in bin/cowlink include/cowlink.h share/man/man1/cowlink.1 share/man/man3/cowlink.3 share/man/man7/libcowlink.7 \
	share/bash-completion/completions/cowlink share/bash-completion/completions/cowln; do
	[ -e "$P/$f" ] || fail "not installed: $f"
done
[ -e "$libdir/libcowlink-api.a" ] || fail "not installed: libcowlink-api.a"
[ -x "$P/bin/cowlink" ] || fail "cowlink is not executable"
if [ -n "${COWLN:-}" ]; then
	[ -x "$P/bin/cowln" ] && [ -e "$P/share/man/man1/cowln.1" ] || fail "cowln or cowln.1 not installed"
fi

# The installed tools run from there.
"$P/bin/cowlink" --version | grep -q '^cowlink [0-9]' || fail "installed cowlink --version"
echo data >plain
"$P/bin/cowlink" status plain | grep -q "plain: plain file" || fail "installed cowlink status"

# Man pages render without warnings; completion scripts load.
for m in "$P"/share/man/man1/*.1 "$P"/share/man/man3/*.3 "$P"/share/man/man7/*.7; do
	w=$(groff -ww -z -man "$m" 2>&1) || fail "$m does not render"
	[ -z "$w" ] || fail "$m: groff warns: $w"
done
# cowlink(3) describes every function the header declares.
if command -v man >/dev/null; then
	page=$(MANWIDTH=200 man -l "$P/share/man/man3/cowlink.3" 2>/dev/null) || fail "man -l cowlink.3 failed"
	for fn in $(grep -o '^[a-z].* \**cowlink_[a-z_]*(' "$P/include/cowlink.h" | grep -o 'cowlink_[a-z_]*'); do
		grep -q "$fn()" <<<"$page" || fail "cowlink(3) does not describe $fn()"
	done
fi
if [ -r /usr/share/bash-completion/bash_completion ]; then
	bash -c ". /usr/share/bash-completion/bash_completion
		. '$P/share/bash-completion/completions/cowlink' && complete -p cowlink >/dev/null
		. '$P/share/bash-completion/completions/cowln' && complete -p cowln >/dev/null" \
		|| fail "the completion scripts do not load"
fi

# cowlink run finds the installed shim (not the build tree's) by itself.
if [ -n "${LIBCOWLINK:-}" ]; then
	[ -e "$libdir/libcowlink.so" ] || fail "libcowlink.so not installed in $libdir"
	maps=$(env -u LD_LIBRARY_PATH "$P/bin/cowlink" run -- cat /proc/self/maps)
	grep -q "$libdir/libcowlink.so" <<<"$maps" || fail "cowlink run did not load $libdir/libcowlink.so"
else
	note "SKIP part: the shim target (cowlink) is not built; cowlink run not checked"
fi

# A program built against the C API with pkg-config.
cat >api.c <<'C'
#include <cowlink.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	enum cowlink_how how = 0;
	struct cowlink_status st;
	int r = cowlink_link("a", "b", 0, &how);

	if (r < 0) {
		fprintf(stderr, "cowlink_link: %s\n", strerror(-r));
		return 1;
	}
	r = cowlink_status("b", &st);
	if (r < 0) {
		fprintf(stderr, "cowlink_status: %s\n", strerror(-r));
		return 1;
	}
	printf("%d %d %llu\n", (int)how, (int)st.kind, (unsigned long long)st.names);
	return 0;
}
C
export PKG_CONFIG_PATH=$libdir/pkgconfig
# The installed archive defines no global but the cowlink_* API: the core's
# cl_* internals must not clash with a program's own names.
others=$(nm -g --defined-only "$libdir/libcowlink-api.a" | awk 'NF == 3 && $3 !~ /^cowlink_/ {print $3}')
[ -z "$others" ] || fail "libcowlink-api.a exports more than cowlink_*: $(head -5 <<<"$others" | tr '\n' ' ')"
nm -g --defined-only "$libdir/libcowlink-api.a" | grep -q ' T cowlink_link$' ||
	fail "libcowlink-api.a does not define cowlink_link"
# Its thread use is a private dependency, for static links.
pkg-config --static --libs cowlink | grep -q -- '-pthread' || fail "pkg-config --static does not add -pthread"
flags=$(pkg-config --cflags --libs cowlink) || fail "pkg-config cowlink failed"
# Plain paths, under the prefix given at install time (no "pkgconfig/../..").
read -r cflags < <(pkg-config --cflags cowlink)
[ "$cflags" = "-I$P/include" ] || fail "pkg-config --cflags: $cflags"
[ "$(pkg-config --variable=libdir cowlink)" = "$libdir" ] || fail "pkg-config libdir: $(pkg-config --variable=libdir cowlink), want $libdir"
case $flags in *..*) fail "pkg-config gives a path with '..': $flags" ;; esac
# The sanitizer build's archive needs the sanitizer runtimes too.
extra=()
syms=$(nm "$libdir/libcowlink-api.a" 2>/dev/null || true)
case $syms in *__asan_*) extra=(-fsanitize=address,undefined) ;; esac
# shellcheck disable=SC2086
cc -o api api.c $flags "${extra[@]}" 2>cc.log || fail "building against the C API failed: $flags: $(cat cc.log)"
echo content >a
out=$(ASAN_OPTIONS=detect_leaks=0 ./api) || fail "the API program failed: $out"
read -r how kind names <<<"$out"
case $how in
1) [ "$kind" = 1 ] && [ "$names" = 2 ] || fail "a cowlink, but status says kind $kind, $names names" ;;
2) [ "$kind" = 0 ] || fail "a clone, but status says kind $kind" ;;
*) fail "cowlink_link reported how=$how" ;;
esac
[ "$(cat b)" = content ] || fail "b does not have a's content"
exit 0
