#!/usr/bin/env bash
# Installs what is missing, builds Ferry in Release and starts it. Extra arguments go to ferry
# (for example --headless, or --profile DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
source app/packages.sh
ferry_install_packages "${FERRY_BUILD_PACKAGES[@]}"
ferry_build build -DBUILD_TESTING=OFF
exec ./build/app/ferry "$@"
