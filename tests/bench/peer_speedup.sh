#!/usr/bin/env bash
# On-demand benchmark (not part of tests/run.sh): one file fetched by engine B from its peer A
# against the same file fetched by A from an origin throttled to a WAN rate. Prints both speeds,
# the speed-up and the origin bytes B saved. Runs two `ferry --headless` profiles on 127.0.0.1
# with static peers, under a private D-Bus session with gnome-keyring (the group key lives in the
# keychain). It fails only when something does not work, never on a number.
#
#   tests/bench/peer_speedup.sh
#
# Environment: BENCH_SIZE_MIB (default 1024), BENCH_WAN_RATE (nginx limit_rate, default 12500k
# = 100 Mbit/s), BENCH_BUILD_DIR (default build-bench), BENCH_KEEP=1 (keep the scratch folder).
set -euo pipefail
cd "$(dirname "$0")/../.."
source app/packages.sh

SIZE_MIB=${BENCH_SIZE_MIB:-1024}
RATE=${BENCH_WAN_RATE:-12500k}
BUILD=${BENCH_BUILD_DIR:-build-bench}
[[ $BUILD == /* ]] || BUILD=$PWD/$BUILD
[[ $SIZE_MIB =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_SIZE_MIB must be a positive integer" >&2; exit 2; }

if [ -z "${FERRY_BENCH_IN_SESSION:-}" ]; then
  ferry_install_packages "${FERRY_BUILD_PACKAGES[@]}" "${FERRY_TEST_PACKAGES[@]}"
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >/dev/null
  cmake --build "$BUILD" --parallel "$(nproc)" --target ferry ferry-admin
  SESSION=$(mktemp -d)
  mkdir -m700 "$SESSION/run" "$SESSION/data"
  trap 'rm -rf "$SESSION"' EXIT
  export XDG_RUNTIME_DIR=$SESSION/run XDG_DATA_HOME=$SESSION/data FERRY_BENCH_IN_SESSION=1 BENCH_BUILD_DIR=$BUILD
  unset DBUS_SESSION_BUS_ADDRESS http_proxy https_proxy HTTP_PROXY HTTPS_PROXY
  exec dbus-run-session -- bash -c 'printf %s bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec "$0"' "$0"
fi

ADMIN=$BUILD/app/ferry-admin
SCRATCH=$(mktemp -d "${TMPDIR:-/var/tmp}/ferry-peerbench.XXXXXX")
A=$SCRATCH/profile-a
B=$SCRATCH/profile-b
NGINX_PID=""
cleanup() {
  local rc=$?
  set +e
  for p in "$A" "$B"; do [ -S "$p/ferry.sock" ] || [ -d "$p" ] && "$ADMIN" --profile "$p" shutdown >/dev/null 2>&1; done
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
  if [ "${BENCH_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    rm -f "$SCRATCH"/www/file.bin "$SCRATCH"/*.out
    echo "bench: scratch folder kept: $SCRATCH" >&2
  else
    rm -rf "$SCRATCH"
  fi
  exit $rc
}
trap cleanup EXIT

free_port() {   # a random high port nothing accepts TCP connections on
  local p
  while :; do
    p=$(( 20000 + RANDOM % 40000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
now() { date +%s.%N; }
calc() { awk "BEGIN {printf \"%.2f\", $*}"; }
admin() { "$ADMIN" --profile "$@"; }

mkdir -p "$SCRATCH/www" "$SCRATCH/nginx/tmp"
dd if=/dev/urandom of="$SCRATCH/www/file.bin" bs=1M count="$SIZE_MIB" iflag=fullblock status=none
SRC_SHA=$(sha256sum "$SCRATCH/www/file.bin" | cut -d' ' -f1)
BYTES=$(( SIZE_MIB * 1024 * 1024 ))

PORT=$(free_port)
cat >"$SCRATCH/nginx/nginx.conf" <<EOF
daemon off; master_process off; worker_processes 1; pid "$SCRATCH/nginx/nginx.pid"; error_log stderr warn;
events { worker_connections 64; }
http {
    log_format bench '\$request \$status \$body_bytes_sent';
    access_log "$SCRATCH/nginx/access.log" bench;
    client_body_temp_path "$SCRATCH/nginx/tmp/body"; proxy_temp_path "$SCRATCH/nginx/tmp/proxy";
    fastcgi_temp_path "$SCRATCH/nginx/tmp/fastcgi"; uwsgi_temp_path "$SCRATCH/nginx/tmp/uwsgi";
    scgi_temp_path "$SCRATCH/nginx/tmp/scgi";
    types { application/octet-stream bin; } default_type application/octet-stream;
    server { listen 127.0.0.1:$PORT; root "$SCRATCH/www"; limit_rate $RATE; }
}
EOF
"$(command -v nginx || echo /usr/sbin/nginx)" -p "$SCRATCH/nginx" -c "$SCRATCH/nginx/nginx.conf" & NGINX_PID=$!
for _ in $(seq 50); do curl -sf -o /dev/null -r 0-0 "http://127.0.0.1:$PORT/file.bin" && break; sleep 0.1; done
URL=http://127.0.0.1:$PORT/file.bin

UA=$(free_port); UB=$(free_port); TA=$(free_port); TB=$(free_port)
for p in "$A:$UA:$TA:$UB" "$B:$UB:$TB:$UA"; do
  IFS=: read -r prof udp tls other <<<"$p"
  admin "$prof" cache set multicast false >/dev/null
  admin "$prof" cache set discoveryPort "$udp" >/dev/null
  admin "$prof" cache set tlsPort "$tls" >/dev/null
  admin "$prof" cache set staticPeers "127.0.0.1:$other" >/dev/null
  admin "$prof" cache set enabled true >/dev/null
done
KEY=$(admin "$A" cache groupkey create | tail -n1)
admin "$B" cache groupkey import "$KEY" >/dev/null

fetch() {   # fetch PROFILE NAME FLAGS -> prints seconds
  local prof=$1 name=$2 flags=$3 id t0
  id=$(admin "$prof" create "$name")
  admin "$prof" addfile "$id" "$URL" "$SCRATCH/$name.out" >/dev/null
  admin "$prof" setpeercachingflags "$id" "$flags" >/dev/null
  admin "$prof" setpriority "$id" FOREGROUND >/dev/null
  t0=$(now)
  admin "$prof" resume "$id" >/dev/null
  admin "$prof" wait "$id" >/dev/null
  calc "$(now) - $t0"
  admin "$prof" complete "$id" >/dev/null
}

echo "== origin throttled to $RATE/s, $SIZE_MIB MiB"
T_ORIGIN=$(fetch "$A" a 3)
for _ in $(seq 600); do [ "$(admin "$A" cache records | tail -n1)" = "Listed 1 record(s)." ] && break; sleep 0.1; done
LOG_BEFORE=$(wc -l <"$SCRATCH/nginx/access.log")
T_PEER=$(fetch "$B" b 1)
sleep 0.5
ORIGIN_BYTES_B=$(tail -n +"$((LOG_BEFORE + 1))" "$SCRATCH/nginx/access.log" | awk '{s += $NF} END {print s + 0}')

for f in a b; do
  [ "$(sha256sum "$SCRATCH/$f.out" | cut -d' ' -f1)" = "$SRC_SHA" ] || { echo "bench: $f.out does not match the source" >&2; exit 1; }
done
echo "A from the origin: $T_ORIGIN s ($(calc "$BYTES / 1048576 / $T_ORIGIN") MiB/s)"
echo "B from peer A:     $T_PEER s ($(calc "$BYTES / 1048576 / $T_PEER") MiB/s)"
echo "speed-up:          $(calc "$T_ORIGIN / $T_PEER")x"
echo "origin bytes for B: $ORIGIN_BYTES_B of $BYTES ($(calc "100 - 100 * $ORIGIN_BYTES_B / $BYTES")% saved)"
