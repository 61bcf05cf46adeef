#!/usr/bin/env bash
# On-demand benchmark (not part of tests/run.sh): a long-running engine under job churn. 10,000
# one-file jobs of 64 KiB from nginx on loopback, 24 at a time, through one engine started under
# `prlimit --nofile=1024:1024` (a login session's or a systemd service's limit), then 40 s idle;
# prints the engine's threads, open descriptors and resident memory every 1,000 jobs
# (`ferry-admin stats`). Numbers only: it fails when something does not work, never on a goal.
#
#   tests/bench/soak.sh
#
# Environment: SOAK_JOBS (default 10000), SOAK_IN_FLIGHT (24), SOAK_IDLE_SECONDS (40),
# BENCH_BUILD_DIR (default build-bench).
set -euo pipefail
cd "$(dirname "$0")/../.."
source app/packages.sh

JOBS=${SOAK_JOBS:-10000}
IN_FLIGHT=${SOAK_IN_FLIGHT:-24}
IDLE=${SOAK_IDLE_SECONDS:-40}
BUILD=${BENCH_BUILD_DIR:-build-bench}
[[ $BUILD == /* ]] || BUILD=$PWD/$BUILD
for v in JOBS IN_FLIGHT IDLE; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "soak: $v must be a number, not '${!v}'" >&2; exit 2; }
done

ferry_install_packages "${FERRY_BUILD_PACKAGES[@]}" nginx curl python3 util-linux
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON "${launcher[@]}" >/dev/null
cmake --build "$BUILD" --parallel "$(nproc)" --target ferry ferry-admin
ADMIN=$BUILD/app/ferry-admin
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/ferry-soak.XXXXXX")
PROFILE=$SCRATCH/profile
NGINX_PID=""
cleanup() {
  local rc=$?
  set +e
  [ -S "$PROFILE/control.sock" ] && "$ADMIN" --profile "$PROFILE" shutdown >/dev/null 2>&1
  [ -n "$NGINX_PID" ] && { kill -TERM "$NGINX_PID"; wait "$NGINX_PID"; } 2>/dev/null
  if [ $rc -ne 0 ]; then echo "soak: scratch folder kept: $SCRATCH" >&2; else rm -rf "$SCRATCH"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$SCRATCH/www" "$SCRATCH/out" "$SCRATCH/nginx/tmp"
head -c 65536 /dev/urandom >"$SCRATCH/www/small.bin"
PORT=""
for ((attempt = 0; attempt < 20; attempt++)); do
  [ -z "$PORT" ] || break
  p=$(( 20000 + RANDOM % 40000 ))
  (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
  cat >"$SCRATCH/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid "$SCRATCH/nginx/nginx.pid";
error_log stderr warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path "$SCRATCH/nginx/tmp/body";
    proxy_temp_path "$SCRATCH/nginx/tmp/proxy";
    fastcgi_temp_path "$SCRATCH/nginx/tmp/fastcgi";
    uwsgi_temp_path "$SCRATCH/nginx/tmp/uwsgi";
    scgi_temp_path "$SCRATCH/nginx/tmp/scgi";
    default_type application/octet-stream;
    server { listen 127.0.0.1:$p; root "$SCRATCH/www"; }
}
CONF
  "$NGINX" -p "$SCRATCH/nginx" -c "$SCRATCH/nginx/nginx.conf" -e stderr >>"$SCRATCH/nginx/nginx.log" 2>&1 &
  NGINX_PID=$!
  for ((i = 0; i < 50; i++)); do
    curl -sf -o /dev/null "http://127.0.0.1:$p/small.bin" && { PORT=$p; break; }
    sleep 0.1
  done
  if [ -z "$PORT" ]; then kill -TERM "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null; NGINX_PID=""; fi
done
[ -n "$PORT" ] || { echo "soak: nginx did not start" >&2; cat "$SCRATCH/nginx/nginx.log" >&2; exit 1; }

# ferry-admin starts the engine; under prlimit, the engine inherits (and cannot raise) 1024.
prlimit --nofile=1024:1024 -- "$ADMIN" --profile "$PROFILE" getconfig >/dev/null
echo "soak: $JOBS jobs of 64 KiB, $IN_FLIGHT at a time, from nginx on 127.0.0.1:$PORT; engine under prlimit --nofile=1024"
python3 tests/bench/soak.py "$PROFILE/control.sock" "http://127.0.0.1:$PORT/small.bin" "$SCRATCH/out" "$JOBS" "$IN_FLIGHT" "$IDLE"
