# Sourced by tests/run.sh, tests/sanitize.sh and tests/stress.sh: the headless session the suite
# runs in. The offscreen Qt platform, fresh XDG folders, and a private D-Bus session with an
# unlocked gnome-keyring Secret Service; no proxy from the caller's environment.
# shellcheck shell=bash

# ferry_test_session COMMAND [ARGS...]: runs COMMAND in that session and returns its status.
ferry_test_session() {
  (
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
      exec "$@"' ferry-session "$@"
  )
}
