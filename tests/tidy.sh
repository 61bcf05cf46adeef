#!/usr/bin/env bash
# tests/tidy.sh [FILE REGEX]: clang-tidy with the checks of .clang-tidy over the product sources
# (app/ ui/ model/ engine/ and their headers; not tests/ nor generated files), two at a time. Any
# warning fails the run (--warnings-as-errors='*'). It configures build-tests the way tests/run.sh
# does for its compile_commands.json (nothing is built: the sources include no generated header).
# FILE REGEX (matched against absolute paths) narrows the run, e.g. tests/tidy.sh 'engine/core/Job\.cpp'.
set -euo pipefail
cd "$(dirname "$0")/.."
source app/packages.sh
ferry_install_packages "${FERRY_BUILD_PACKAGES[@]}" "${FERRY_TIDY_PACKAGES[@]}"
ferry_configure build-tests -DBUILD_TESTING=ON >/dev/null

runner=$(command -v run-clang-tidy || command -v run-clang-tidy-14)
# run-clang-tidy 14 has no --warnings-as-errors of its own: it runs this wrapper instead.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
printf '#!/bin/sh\nexec clang-tidy --warnings-as-errors="*" "$@"\n' >"$scratch/clang-tidy"
chmod +x "$scratch/clang-tidy"

sources="^$PWD/(app|ui|model|engine)/.*\\.cpp\$"
files=${1:-$sources}
start=$SECONDS
status=0
"$runner" -p build-tests -j 2 -quiet -clang-tidy-binary "$scratch/clang-tidy" \
  -header-filter="^$PWD/(app|ui|model|engine)/" "$files" >"$scratch/log" 2>&1 || status=$?
# Keep the findings and the failure summary; drop clang-tidy's per-file "N warnings generated" noise.
grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter' \
  "$scratch/log" || true
if grep -qE '(warning|error): ' "$scratch/log"; then
  status=1
fi
if [ "$status" -eq 0 ]; then
  echo "tidy: no finding in $((SECONDS - start)) s"
else
  echo "tidy: FAILED (findings above) after $((SECONDS - start)) s"
fi
exit "$status"
