#!/usr/bin/env bash
# tools/install-deps.sh - installs the Debian packages ringsweep needs, and
# nothing when they are all present (idempotent; safe to run every time).
set -euo pipefail

packages=(gcc g++ make cmake pkg-config libck-dev liburcu-dev libjemalloc-dev
          libcriterion-dev libsqlite3-dev libjansson-dev liblapacke-dev
          libopenblas-dev libnlopt-dev libxxhash-dev binutils
          python3 python3-dev python3-pytest python3-numpy python3-pandas
          openmpi-bin libopenmpi-dev clang)

# Installed by default where Debian has them, never fatal: chromium
# renders `ringsweep report`'s page in its test (skipped, saying so,
# without it); the build needs none of them.
wanted=(chromium)

# --optional PKG...: also these (the benchmarks' comparisons), when they
# can be had; a machine without them still builds and tests.
optional=()
if [ "${1:-}" = "--optional" ]; then
	shift
	optional=("$@")
fi

# install_missing STRICT PKG...: apt-get the ones not installed; STRICT=0
# says so and goes on when that fails.
install_missing() {
	local strict=$1 sudo="" p
	local missing=()
	shift
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "ringsweep: installing ${missing[*]}" >&2
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	if ! { DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq &&
	       DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		       --no-install-recommends "${missing[@]}" >/dev/null; }; then
		[ "$strict" = 1 ] && exit 1
		echo "(could not install ${missing[*]}: skipped)" >&2
	fi
}

install_missing 1 "${packages[@]}"
install_missing 0 "${wanted[@]}"
[ ${#optional[@]} -eq 0 ] || install_missing 0 "${optional[@]}"
