#!/usr/bin/env bash
# tests/fuzz/smoke.sh [SECONDS] [TARGET...]: builds the libFuzzer targets of tests/fuzz with clang
# in build-fuzz and runs each (or the ones named) for SECONDS (default 25) from its seed corpus in
# tests/fuzz/corpus/<target>/. A crash, a sanitizer report, a leak, a broken invariant or a hang
# fails the run; the input that did it is kept in build-fuzz/crashes/ and the end of the
# fuzzer's log is printed. Inputs the run finds go to a scratch folder, not into the corpus.
set -euo pipefail
cd "$(dirname "$0")/../.."
source app/packages.sh
ferry_install_packages "${FERRY_BUILD_PACKAGES[@]}" "${FERRY_FUZZ_PACKAGES[@]}"
seconds=${1:-25}
[ $# -gt 0 ] && shift

ferry_configure build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DBUILD_TESTING=OFF -DFERRY_FUZZ=ON
cmake --build build-fuzz --target fuzzers --parallel "$(nproc)"

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < build-fuzz/tests/fuzz/fuzzers.txt
symbolizer=/usr/lib/llvm-14/bin/llvm-symbolizer
[ -x "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer"
export UBSAN_OPTIONS=print_stacktrace=1
crashes=$PWD/build-fuzz/crashes
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$crashes"

status=0
for target in "${targets[@]}"; do
  corpus=tests/fuzz/corpus/$target
  [ -d "$corpus" ] || { echo "fuzz $target: no seed corpus in $corpus"; status=1; continue; }
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1
        -artifact_prefix="$crashes/$target-")
  [ -f "tests/fuzz/$target.dict" ] && args+=(-dict="tests/fuzz/$target.dict")
  mkdir "$scratch/$target"
  log=$scratch/$target.log
  if build-fuzz/tests/fuzz/"$target" "${args[@]}" "$scratch/$target" "$corpus" >"$log" 2>&1; then
    echo "fuzz $target: ok, $(grep -m1 -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$') inputs in ${seconds} s"
  else
    echo "fuzz $target: FAILED"
    tail -n 60 "$log"
    status=1
  fi
done
exit "$status"
