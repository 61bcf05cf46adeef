#!/usr/bin/env bash
# Installs what is missing, builds Ferry with its tests and runs the whole suite headless:
# the offscreen Qt platform, a private D-Bus session with an unlocked gnome-keyring Secret
# Service (tests/session.sh), and nginx instances the tests start on loopback from the config
# in the build tree.
set -euo pipefail
cd "$(dirname "$0")/.."
source app/packages.sh
source tests/session.sh
ferry_install_packages "${FERRY_BUILD_PACKAGES[@]}" "${FERRY_TEST_PACKAGES[@]}"
ferry_build build-tests -DBUILD_TESTING=ON

ferry_test_session ctest --test-dir build-tests --output-on-failure --parallel 2 --timeout 600 </dev/null
