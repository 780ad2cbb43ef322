#!/usr/bin/env bash
# tests/install.sh BUILD_DIR SOURCE_DIR - libringsweep installed and used as
# a user would: `cmake --install` into a fresh prefix, then the installed
# examples built out of tree twice -- with pkg-config and with the CMake
# package -- and run (a Bayesian study with a plugin and a store, then
# resumed from that store).  Also checks what the installed library
# exports and what pkg-config hands to compilers; and the Python package,
# imported from the prefix, running its installed examples.
set -euo pipefail
build=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
pcdir=$(dirname "$(find "$prefix" -name ringsweep.pc)")
libdir=$(dirname "$pcdir")
examples=$prefix/share/ringsweep/examples
data=$src/examples/data/eustockmarkets.csv:DAX
export PKG_CONFIG_PATH=$pcdir LD_LIBRARY_PATH=$libdir

fail() { echo "install test: $*" >&2; exit 1; }
cc=$(command -v cc || command -v gcc) || fail "no C compiler"

# What users get from pkg-config: the headers and the shared library,
# none of our own compile definitions.
cflags=$(pkg-config --cflags ringsweep)
case "$cflags" in *-D*) fail "pkg-config --cflags leaks a definition: $cflags";; esac

# The shared library exports the public API and nothing else.
soname=$(readelf -d "$libdir/libringsweep.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
# Within 0.x the SONAME carries major.minor (include/ringsweep/version.h).
major=$(sed -n 's/#define RSW_VERSION_MAJOR \([0-9]*\)/\1/p' "$src/include/ringsweep/version.h")
minor=$(sed -n 's/#define RSW_VERSION_MINOR \([0-9]*\)/\1/p' "$src/include/ringsweep/version.h")
[ -n "$major" ] && [ -n "$minor" ] || fail "no version in version.h"
[ "$soname" = "libringsweep.so.$major.$minor" ] || fail "SONAME is '$soname'"
exported=$(nm -D --defined-only "$libdir/libringsweep.so" | awk '{print $3}')
bad=$(grep -v '^rsw_[a-z]' <<<"$exported" || true)
[ -z "$bad" ] || fail "exported beyond the public API: $(echo $bad)"
grep -qx rsw_sweep_open <<<"$exported" || fail "rsw_sweep_open is not exported"

# 1. pkg-config.
mkdir "$work/pc"
"$cc" -O2 -o "$work/pc/embed_sweep" "$examples/embed_sweep.c" \
	$(pkg-config --cflags --libs ringsweep)
"$cc" -O2 -shared -fPIC -o "$work/pc/libbreakout.so" "$examples/plugin/breakout.c" \
	$(pkg-config --cflags ringsweep) -lm
"$cc" -O2 -o "$work/pc/embed_stream" "$examples/embed_stream.c" \
	$(pkg-config --cflags --libs ringsweep) -lm
(cd "$work/pc" && ./embed_sweep ./libbreakout.so "$data" study.db 2 >first.txt)
(cd "$work/pc" && ./embed_sweep ./libbreakout.so "$data" study.db 1 >again.txt)
grep -q "(0 replayed)" "$work/pc/first.txt" || fail "first run: $(cat "$work/pc/first.txt")"
grep -q "(60 replayed)" "$work/pc/again.txt" || fail "resume: $(cat "$work/pc/again.txt")"
[ "$(sed 's/ (.*//' "$work/pc/first.txt")" = "$(sed 's/ (.*//' "$work/pc/again.txt")" ] ||
	fail "the resumed study's best differs"
"$work/pc/embed_stream" >/dev/null || fail "embed_stream failed"
# The static library, as `pkg-config --static` says to link it.
"$cc" -O2 -o "$work/pc/embed_search_static" "$examples/embed_search.c" \
	$(pkg-config --cflags ringsweep) "$libdir/libringsweep.a" \
	$(pkg-config --static --libs ringsweep | sed 's/-lringsweep//') -lm
"$work/pc/embed_search_static" 2 >/dev/null || fail "the static embed_search failed"

# 2. The CMake package (find_package(ringsweep CONFIG), ringsweep::ringsweep).
cmake -S "$examples" -B "$work/cm" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cm" >/dev/null
(cd "$work/cm" && ./embed_sweep plugin/libbreakout.so "$data" study.db 2 >first.txt)
cmp -s "$work/cm/first.txt" "$work/pc/first.txt" ||
	fail "CMake build: $(cat "$work/cm/first.txt") vs $(cat "$work/pc/first.txt")"
"$work/cm/embed_search" 2 >/dev/null || fail "embed_search failed"
# The C++ backtester, its own CMake project: a sweep from inside its loop,
# in process and thread mode, which must choose alike.
cmake -S "$examples/backtester" -B "$work/bt" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/bt" >/dev/null
"$work/bt/backtester" "$data" 2 >"$work/bt/out.txt" ||
	fail "backtester: $(cat "$work/bt/out.txt")"
grep -q "both modes chose the same parameters" "$work/bt/out.txt" ||
	fail "backtester printed: $(cat "$work/bt/out.txt")"

# 3. Python: the package under the prefix's dist-packages, nothing of the
# build tree on the path (the extension links the library statically).
if [ -d "$build/python/ringsweep" ]; then
	site=$(find "$prefix" -type d -name dist-packages | head -1)
	[ -n "$site" ] || fail "the Python package was built but not installed"
	(cd "$work" && env -u LD_LIBRARY_PATH PYTHONPATH="$site" /usr/bin/python3 		"$examples/python/ma_cross.py" --jobs 2 >py.txt) || fail "the Python example failed"
	grep -q "best Sharpe 1.284 at {'fast': 2, 'slow': 60" "$work/py.txt" ||
		fail "the installed Python example printed: $(cat "$work/py.txt")"
	(cd "$work" && env -u LD_LIBRARY_PATH PYTHONPATH="$site" /usr/bin/python3 -c \
		'import ringsweep, os; assert ringsweep.__file__.startswith(os.environ["PYTHONPATH"])') ||
		fail "ringsweep was not imported from the prefix"
fi
echo "install test: pkg-config and CMake builds of the installed examples ran"
