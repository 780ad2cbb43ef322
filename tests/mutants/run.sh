#!/usr/bin/env bash
# tests/mutants/run.sh [NAME...] - a mutation check of the test suite: each
# mutant of tests/mutants/mutants.txt (one small change to an invariant of
# the engine, the store or the algorithms) is applied alone to a copy of
# the tree, rebuilt, and the suites named for it are run; a mutant the
# suites do not fail on "survived".  Prints one line per mutant and the
# score.  Not part of .ci/run: it rebuilds once per mutant (~11 minutes on
# 2 cores).  Exit status: 0 when every mutant was killed.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=${RSW_MUTANTS_DIR:-/tmp/ringsweep-mutants}
tools/install-deps.sh
rm -rf "$work"
mkdir -p "$work"
git ls-files -z | xargs -0 cp --parents -t "$work"
cmake -S "$work" -B "$work/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRSW_TESTS=ON >/dev/null
cmake --build "$work/build" -j "$(nproc)" >/dev/null
killed=0
survived=0
while IFS= read -r line; do
	[ -z "$line" ] || [ "${line:0:1}" = "#" ] && continue
	# Fields are split on '@@' by hand: the texts hold tabs and '|'.
	fields=${line//[!@]/}
	if [ "${#fields}" -lt 8 ]; then
		echo "STALE    malformed line (five fields joined by @@): $line"
		survived=$((survived + 1))
		continue
	fi
	name=${line%%@@*}; line=${line#*@@}
	file=${line%%@@*}; line=${line#*@@}
	suites=${line%%@@*}; line=${line#*@@}
	original=${line%%@@*}
	mutated=${line#*@@}
	if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then
		continue
	fi
	cp "$root/$file" "$work/$file"
	if ! ORIG="$original" grep -qF -- "$original" "$work/$file"; then
		echo "STALE    $name: '$original' is not in $file"
		survived=$((survived + 1))
		continue
	fi
	ORIG="$original" REPL="$mutated" perl -0pi -e 's/\Q$ENV{ORIG}\E/$ENV{REPL}/' "$work/$file"
	if ! cmake --build "$work/build" -j "$(nproc)" >/dev/null 2>&1; then
		echo "KILLED   $name (does not build)"
		killed=$((killed + 1))
	elif (cd "$work/build" && ctest -R "^($suites)\$" --timeout 240 >/dev/null 2>&1); then
		echo "SURVIVED $name ($suites passed with it)"
		survived=$((survived + 1))
	else
		echo "KILLED   $name ($suites)"
		killed=$((killed + 1))
	fi
	cp "$root/$file" "$work/$file"
done < tests/mutants/mutants.txt
cmake --build "$work/build" -j "$(nproc)" >/dev/null 2>&1 || true
echo "mutants: $killed killed, $survived survived of $((killed + survived))"
[ "$survived" -eq 0 ]
