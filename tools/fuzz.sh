#!/usr/bin/env bash
# tools/fuzz.sh [SECONDS] - the parsers and validators under libFuzzer
# (clang, with ASan and UBSan): a --param spec, a --space JSON file, a
# --data CSV, a --cmd command's score line, a results store (export,
# report and replay), an arena in /dev/shm.  Each target runs SECONDS
# (default 20) from its seed corpus in tests/fuzz/corpus/TARGET (copied:
# what the run finds stays in build-fuzz/corpus/); prints the executions
# of each; exits non-zero on the first finding (its input is left in
# build-fuzz/).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
tools/install-deps.sh
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRSW_TESTS=OFF \
	-DRSW_FUZZ=ON >/dev/null
targets=(param space_json data_csv cmd_output store arena)
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]/#/fuzz_}" >/dev/null
for t in "${targets[@]}"; do
	mkdir -p "build-fuzz/corpus/$t"
	cp -n tests/fuzz/corpus/"$t"/* "build-fuzz/corpus/$t/" 2>/dev/null || true
	printf '%-12s ' "$t"
	(cd build-fuzz && ASAN_OPTIONS=detect_leaks=0 "./fuzz_$t" -max_total_time="$seconds" \
		-print_final_stats=1 "corpus/$t" >"fuzz-$t.log" 2>&1) || {
		echo "FAILED: see build-fuzz/fuzz-$t.log"
		tail -30 "build-fuzz/fuzz-$t.log"
		exit 1
	}
	grep -o 'number_of_executed_units: [0-9]*' "build-fuzz/fuzz-$t.log" |
		awk '{ printf "%\047d executions\n", $2 }'
done
