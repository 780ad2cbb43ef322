#!/usr/bin/env bash
# tests/soak/chaos.sh [TASKS] [WORKER_KILLS] [DRIVER_KILLS] - the recovery
# promises under sustained attack: a sweep of TASKS spin tasks (100 us each,
# --retries 1000) on 2 workers, its workers SIGKILLed one at a time every
# ~10 ms until WORKER_KILLS landed, its driver SIGKILLed DRIVER_KILLS times
# along the way and the sweep continued each time with --resume; the
# results file at the end must be byte-identical to an undisturbed run's.
# Defaults: the promised scale (10^6 tasks, 1,000 worker kills, 5 driver
# kills; minutes).  .ci/run runs a short version.  Uses the ringsweep in
# RSW_CLI (default build-test/ringsweep; run tools/test.sh first).
set -euo pipefail
cd "$(dirname "$0")/../.."
tasks=${1:-1000000}
worker_kills=${2:-1000}
driver_kills=${3:-5}
cli=${RSW_CLI:-build-test/ringsweep}
dir=$(mktemp -d /tmp/rsw-chaos-XXXXXX)
trap 'rm -rf "$dir"' EXIT
args=(run --objective spin --param t=choice:100 --param "i=int:1:$tasks"
      --retries 1000 -j 2 -q)

"$cli" "${args[@]}" --db none --results "$dir/ref.csv" >/dev/null
killed=0 drivers=0
every=$(( worker_kills / (driver_kills + 1) + 1 ))
start() { # a driver in the background: a new sweep, or the resume of one
	if [ -e "$dir/c.db" ]; then
		"$cli" run --resume "$dir/c.db" -j 2 -q --results "$dir/c.csv" >/dev/null 2>&1 &
	else
		"$cli" "${args[@]}" --db "$dir/c.db" --results "$dir/c.csv" >/dev/null 2>&1 &
	fi
	driver=$!
}
start
while kill -0 "$driver" 2>/dev/null; do
	sleep 0.01 # the fault injection's pace, not a synchronisation
	# Children from the kernel's lists (no procps needed).
	sup=$(cat "/proc/$driver/task/$driver/children" 2>/dev/null |
	      awk '{print $1}') || true
	[ -n "$sup" ] || continue
	worker=$(cat "/proc/$sup/task/$sup/children" 2>/dev/null | tr ' ' '\n' |
		 grep . | shuf -n 1) || true
	[ -n "$worker" ] || continue
	kill -9 "$worker" 2>/dev/null && killed=$((killed + 1)) || continue
	if [ "$drivers" -lt "$driver_kills" ] && [ $((killed % every)) -eq 0 ]; then
		kill -9 "$driver" 2>/dev/null || true
		wait "$driver" 2>/dev/null || true
		drivers=$((drivers + 1))
		start
	fi
done
wait "$driver" || { echo "chaos: the last driver failed"; exit 1; }
if cmp -s "$dir/ref.csv" "$dir/c.csv"; then
	echo "chaos: $tasks tasks, $killed worker SIGKILLs, $drivers driver SIGKILLs" \
	     "and resumes: results byte-identical to the undisturbed run"
else
	echo "chaos: results DIFFER from the undisturbed run ($killed worker kills," \
	     "$drivers driver kills)"
	exit 1
fi
[ "$killed" -ge "$worker_kills" ] || {
	echo "chaos: only $killed worker kills landed (wanted $worker_kills): the sweep" \
	     "ended first; give it more tasks"
	exit 1
}
