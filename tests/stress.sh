#!/usr/bin/env bash
# tests/stress.sh [N]: runs the whole suite N times (default 10) while stress-ng keeps every core
# busy, in tests/run.sh's session (tests/session.sh), building once. Prints one line per run and a
# summary, keeps each run's ctest output in build-tests/stress/run-<i>.log, and exits non-zero if
# any run failed. The hog is stopped however the script ends.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
source app/packages.sh
source tests/session.sh
ferry_install_packages "${FERRY_BUILD_PACKAGES[@]}" "${FERRY_TEST_PACKAGES[@]}" "${FERRY_STRESS_PACKAGES[@]}"
ferry_build build-tests -DBUILD_TESTING=ON

logs=build-tests/stress
rm -rf "$logs"
mkdir -p "$logs"
# A busy loop on every core at the tests' own priority; --timeout stops it should this script be
# killed before its trap runs.
stress-ng --cpu "$(nproc)" --cpu-load 100 --timeout "$((runs * 30))m" --quiet &
hog=$!
trap 'kill "$hog" 2>/dev/null; wait "$hog" 2>/dev/null || true' EXIT

failed=0
for ((i = 1; i <= runs; i++)); do
  start=$SECONDS
  log=$logs/run-$i.log
  if ferry_test_session ctest --test-dir build-tests --output-on-failure --parallel 2 --timeout 600 </dev/null >"$log" 2>&1; then
    echo "run $i/$runs: pass in $((SECONDS - start)) s"
  else
    failed=$((failed + 1))
    echo "run $i/$runs: FAILED in $((SECONDS - start)) s: $(sed -n '/The following tests FAILED/,$p' "$log" | grep -o 'tst_[A-Za-z0-9_]*' | sort -u | tr '\n' ' ')(see $log)"
  fi
done
echo "stress: $((runs - failed)) of $runs runs passed under stress-ng --cpu $(nproc)"
[ "$failed" -eq 0 ]
