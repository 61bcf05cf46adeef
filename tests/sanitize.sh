#!/usr/bin/env bash
# tests/sanitize.sh [CTEST ARGS...]: the sanitizer pass. A Debug build of the whole tree in
# build-asan, the ferry and ferry-admin binaries the end-to-end tests spawn included, with
# AddressSanitizer, its leak checker and UndefinedBehaviorSanitizer (UB fatal), then the whole
# suite in tests/run.sh's session (tests/session.sh). A report from any process, a test or a
# binary it spawned, fails the pass: reports go to files (children often run with their stderr
# captured) and are printed at the end. CTEST ARGS (e.g. -R tst_admin) narrow the run.
set -euo pipefail
cd "$(dirname "$0")/.."
source app/packages.sh
source tests/session.sh
ferry_install_packages "${FERRY_BUILD_PACKAGES[@]}" "${FERRY_TEST_PACKAGES[@]}"
ferry_build build-asan -DCMAKE_BUILD_TYPE=Debug -DFERRY_SANITIZE=ON -DBUILD_TESTING=ON

reports=$(mktemp -d)
chmod 1777 "$reports"   # the clients the tests run as uid 65534 report here too
trap 'rm -rf "$reports"' EXIT
# Children inherit these. The tests' memory bounds add the quarantine (32 MB here) to what an
# engine may hold (admintest::sanitizerMemorySlackKiB). FERRY_ASAN_OPTIONS adds to them
# (fast_unwind_on_malloc=0 gives whole stacks through libraries built without frame pointers, at
# several times the run time). Leaks in third-party libraries only are suppressed in
# sanitize.supp.
export ASAN_OPTIONS="detect_leaks=1:quarantine_size_mb=32:check_initialization_order=1:detect_stack_use_after_return=1:log_path=$reports/asan:log_exe_name=1${FERRY_ASAN_OPTIONS:+:$FERRY_ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitize.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan:log_exe_name=1"

status=0
ferry_test_session ctest --test-dir build-asan --output-on-failure --parallel 2 --timeout 900 "$@" </dev/null || status=$?
for report in "$reports"/*; do
  [ -e "$report" ] || continue
  echo "==== sanitizer report ${report##*/} (executable.pid)"
  cat "$report"
  status=1
done
[ "$status" -eq 0 ] && echo "sanitize: the suite passed with no sanitizer report"
exit "$status"
