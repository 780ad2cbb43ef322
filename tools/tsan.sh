#!/usr/bin/env bash
# tools/tsan.sh - the threads that share memory within one process (the
# sweep's committer, the store's writer thread, progress readers, thread-mode
# workers and the driver, a reader of the engine's counters) under
# ThreadSanitizer, in build-tsan/.  The Criterion suites run under
# AddressSanitizer instead (RSW_SANITIZE=1 tools/test.sh): Criterion itself
# cannot start under ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRSW_TESTS=OFF \
	-DRSW_SANITIZE_THREAD=ON >/dev/null
cmake --build build-tsan -j "$(nproc)" --target tsan_sweep >/dev/null
TSAN_OPTIONS="halt_on_error=1 exitcode=66" build-tsan/tsan_sweep "${TMPDIR:-/tmp}"
