#!/usr/bin/env bash
# Installs what is missing, builds Ferry with its tests and runs the whole suite headless:
# the offscreen Qt platform, a private D-Bus session with an unlocked gnome-keyring Secret
# Service, and nginx instances the tests start on loopback from the config in the build tree.
set -euo pipefail
cd "$(dirname "$0")/.."
source app/packages.sh
ferry_install_packages "${FERRY_BUILD_PACKAGES[@]}" "${FERRY_TEST_PACKAGES[@]}"
ferry_build build-tests -DBUILD_TESTING=ON

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -m700 "$scratch/run" "$scratch/data" "$scratch/config"
export XDG_RUNTIME_DIR="$scratch/run" XDG_DATA_HOME="$scratch/data" XDG_CONFIG_HOME="$scratch/config"
export QT_QPA_PLATFORM=offscreen
export FERRY_REQUIRE_KEYCHAIN=1   # the keychain tests fail, not skip, without the Secret Service below
unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS
# Jobs use the system proxy by default (PRECONFIG): the tests set one where they mean to.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

dbus-run-session -- bash -c '
  printf %s ferry-ci | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  ctest --test-dir build-tests --output-on-failure --parallel 2 --timeout 600 </dev/null'
