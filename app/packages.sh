# Sourced by app/run.sh and tests/run.sh: installs the Debian bookworm packages Ferry needs,
# only those that are missing, so a machine that has them needs no network.
# shellcheck shell=bash

FERRY_BUILD_PACKAGES=(cmake g++ ninja-build pkg-config qt6-base-dev libqt6sql6-sqlite qtkeychain-qt6-dev
                      libsecret-1-0 libssl-dev qt6-l10n-tools libqt6svg6)
FERRY_TEST_PACKAGES=(dbus gnome-keyring libsecret-tools nginx curl openssl xvfb xauth trayer xdotool fonts-dejavu-core tinyproxy iproute2)
# tests/fuzz/smoke.sh: clang with libFuzzer and the sanitizer runtimes, llvm-symbolizer for reports.
FERRY_FUZZ_PACKAGES=(clang libclang-rt-14-dev llvm-14)
# tests/stress.sh: the CPU hog.
FERRY_STRESS_PACKAGES=(stress-ng)
# tests/tidy.sh: clang-tidy and its parallel runner run-clang-tidy.
FERRY_TIDY_PACKAGES=(clang-tidy)

ferry_install_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

ferry_configure() {   # ferry_configure BUILD_DIR [cmake args...]
  local dir=$1; shift
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" "$@"
}

ferry_build() {   # ferry_build BUILD_DIR [cmake args...]
  ferry_configure "$@"
  cmake --build "$1" --parallel "$(nproc)"
}
