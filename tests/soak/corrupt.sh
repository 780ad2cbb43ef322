#!/usr/bin/env bash
# tests/soak/corrupt.sh [RUNS] [TASKS] [WRITES] - the corruption soak: RUNS
# real sweeps (TASKS spin tasks of 100 us on 2 workers, under a 1 s
# deadline so that the supervisor reads the arena too), each attacked
# by tests/soak/vandal, which writes random bytes at WRITES random offsets
# of the live arena at random moments.  Every run must either end (exit 0)
# with results byte-identical to an undisturbed run, or fail with exit 1
# and a clear message, leaving a consistent store: its --resume then ends
# byte-identical too.  Never a signal, a hang (120 s), a wrong row, or an
# arena left in /dev/shm.  Defaults: 200 runs of 20,000 tasks (~1 s each),
# 200 writes each, 0-10 ms apart (minutes); .ci/run runs a short version.  Uses RSW_CLI (default
# build-test/ringsweep) and RSW_VANDAL (default build-test/tests/vandal).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-200}
tasks=${2:-20000}
writes=${3:-200}
cli=${RSW_CLI:-build-test/ringsweep}
vandal=${RSW_VANDAL:-build-test/tests/vandal}
dir=$(mktemp -d /tmp/rsw-corrupt-XXXXXX)
trap 'rm -rf "$dir"' EXIT
args=(run --objective spin --param t=choice:100 --param "i=int:1:$tasks" -j 2 -q --timeout 1)
# The arenas a driver left (their names start with its pid).
arenas_of() { ls /dev/shm 2>/dev/null | grep -c "^ringsweep-$1-" || true; }

"$cli" "${args[@]}" --db none --results "$dir/ref.csv" >/dev/null
identical=0 failed_clean=0 bad=0
declare -A messages=()
for k in $(seq "$runs"); do
	rm -f "$dir"/run.*
	"$cli" "${args[@]}" --db "$dir/run.db" --results "$dir/run.csv" \
		>/dev/null 2>"$dir/run.err" &
	driver=$!
	"$vandal" "$driver" "$writes" "$k" 10000 >>"$dir/vandal.log" &
	attacker=$!
	# A time limit, not a synchronisation: a run still going after it hung.
	sleep 120 >/dev/null 2>&1 &
	limit=$!
	rc=0 ended=
	wait -n -p ended "$driver" "$limit" || rc=$?
	kill "$limit" 2>/dev/null || true
	wait "$limit" 2>/dev/null || true
	if [ "$ended" != "$driver" ]; then
		kill -9 "$driver" 2>/dev/null || true
		wait "$driver" 2>/dev/null || true
		wait "$attacker" || true
		echo "corrupt: run $k HUNG (killed after 120 s)"; bad=$((bad + 1)); continue
	fi
	wait "$attacker" || true
	case $rc in
	0)
		if cmp -s "$dir/ref.csv" "$dir/run.csv"; then
			identical=$((identical + 1))
		else
			echo "corrupt: run $k exit 0 with results that DIFFER"; bad=$((bad + 1))
		fi ;;
	1)
		msg=$(grep -m1 'arena damaged\|crash loop\|supervisor' "$dir/run.err" || true)
		if [ -z "$msg" ] || [ -e "$dir/run.csv" ]; then
			echo "corrupt: run $k exit 1 without a clear message or with a complete-looking results file:"
			cat "$dir/run.err"; bad=$((bad + 1)); continue
		fi
		messages[$msg]=$(( ${messages[$msg]:-0} + 1 ))
		if "$cli" run --resume "$dir/run.db" -j 2 -q --results "$dir/run.csv" \
			>/dev/null 2>"$dir/run.resume.err" &&
		   cmp -s "$dir/ref.csv" "$dir/run.csv"; then
			failed_clean=$((failed_clean + 1))
		else
			echo "corrupt: run $k failed, and its store's --resume did not end identical:"
			cat "$dir/run.err" "$dir/run.resume.err"; bad=$((bad + 1))
		fi ;;
	*)
		echo "corrupt: run $k ended with status $rc:"; cat "$dir/run.err"
		bad=$((bad + 1)) ;;
	esac
	if [ "$(arenas_of "$driver")" -ne 0 ]; then
		echo "corrupt: run $k left an arena in /dev/shm"; bad=$((bad + 1))
	fi
done
landed=$(awk '{n += $2} END {print n + 0}' "$dir/vandal.log")
parts=$(awk '{for (i = 4; i <= NF; i++) {split($i, kv, "="); s[kv[1]] += kv[2]}}
	END {for (p in s) printf "%s %d, ", p, s[p]}' "$dir/vandal.log")
echo "corrupt: $runs runs of $tasks tasks, $landed random writes into live arenas (${parts%, })"
echo "corrupt: $identical ended byte-identical to the undisturbed run;" \
     "$failed_clean failed cleanly (exit 1, a clear message) and their --resume ended identical;" \
     "$bad otherwise"
for m in "${!messages[@]}"; do echo "corrupt:   ${messages[$m]} x \"$m\""; done
[ "$bad" -eq 0 ]
