#!/usr/bin/env bash
# bench/timeouts.sh - how late the kill comes after a task's deadline: 200
# tasks that spin for 1 s under --timeout 0.05, with one worker per CPU and
# with four per CPU (workers outnumbering the CPUs is where a supervisor
# without priority loses its CPU to them).  The lateness of each kill is
# the stored elapsed time minus the timeout; p50, p99 and max are printed.
# As root (or with CAP_SYS_NICE) the supervisor runs SCHED_FIFO while
# timeouts are set; elsewhere at the default priority.  --crash-loop 1000:
# every task timing out, with none completed between, is otherwise taken
# for a crash loop after 16.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DRSW_TESTS=OFF >/dev/null
cmake --build build-bench -j "$(nproc)" >/dev/null
cpus=$(nproc)
echo "== machine: $cpus CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), uid $(id -u)"
for per in 1 4; do
	db=build-bench/timeouts.db
	rm -f "$db"*
	build-bench/ringsweep run -q --objective spin --param t=choice:1000000 \
		--param i=int:1:200 --timeout 0.05 -j $((cpus * per)) --db "$db" \
		--crash-loop 1000 \
		>/dev/null 2>&1 || true
	printf '%d workers on %d CPUs: ' $((cpus * per)) "$cpus"
	build-bench/ringsweep export "$db" | python3 -c '
import csv, sys
late = sorted(float(r["elapsed_ms"]) - 50.0 for r in csv.DictReader(sys.stdin)
              if r["status"] == "timeout")
pick = lambda q: late[min(len(late) - 1, int(q * len(late)))]
print(f"{len(late)} kills, late by p50 {pick(0.5):.3f} ms, p99 {pick(0.99):.3f} ms, "
      f"max {late[-1]:.3f} ms; {sum(l > 10 for l in late)} later than 10 ms")'
	rm -f "$db"*
done
