#!/usr/bin/env bash
# tools/install-deps.sh - installs the Debian packages ringsweep needs, and
# nothing when they are all present (idempotent; safe to run every time).
set -euo pipefail

packages=(gcc make cmake pkg-config libck-dev liburcu-dev libjemalloc-dev
          libcriterion-dev libsqlite3-dev libjansson-dev liblapacke-dev
          libopenblas-dev libnlopt-dev libxxhash-dev binutils
          python3 python3-dev python3-pytest python3-numpy python3-pandas
          openmpi-bin libopenmpi-dev)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "ringsweep: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
