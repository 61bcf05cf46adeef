#!/usr/bin/env bash
# On-demand benchmark (not part of tests/run.sh): Ferry against curl on one large file served
# by nginx on loopback, then the engine's start with 10,000 persisted jobs. Prints numbers and
# the goals next to them; it never fails on a goal, only when something does not work.
#
#   tests/bench/throughput.sh
#
# Environment: BENCH_SIZE_MIB (file size, default 1024), BENCH_RUNS (runs per tool, default 3),
# BENCH_JOBS (jobs for the start-up benchmark, default 10000), BENCH_BUILD_DIR (default
# build-bench), BENCH_CHECKPOINT_BYTES (engine setting checkpointBytes for the runs; default:
# the engine's), BENCH_SCRATCH (parent of the scratch folder; default the first of $TMPDIR,
# /tmp, /var/tmp that is a disk, not tmpfs), BENCH_KEEP=1 (keep the scratch folder).
set -euo pipefail
cd "$(dirname "$0")/../.."
source app/packages.sh

SIZE_MIB=${BENCH_SIZE_MIB:-1024}
RUNS=${BENCH_RUNS:-3}
NJOBS=${BENCH_JOBS:-10000}
BUILD=${BENCH_BUILD_DIR:-build-bench}
[[ $BUILD == /* ]] || BUILD=$PWD/$BUILD
for v in SIZE_MIB RUNS NJOBS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench: $v must be a positive integer, not '${!v}'" >&2; exit 2; }
done

# --- build ---------------------------------------------------------------------------------
ferry_install_packages "${FERRY_BUILD_PACKAGES[@]}" nginx curl time
# Same configuration as ferry_build (Ninja, Release, ccache when present), but only the three
# targets the benchmark runs: the test executables are not needed, and the helper lives in the
# tests tree, hence BUILD_TESTING=ON.
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON "${launcher[@]}" >/dev/null
cmake --build "$BUILD" --parallel "$(nproc)" --target ferry ferry-admin ferry-bench-seed
FERRY=$BUILD/app/ferry
ADMIN=$BUILD/app/ferry-admin
SEED=$BUILD/tests/bench/ferry-bench-seed
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
TIME=/usr/bin/time
HZ=$(getconf CLK_TCK)

# --- scratch folder on a disk ----------------------------------------------------------------
need_kib=$(( (SIZE_MIB * 2 + 256) * 1024 ))
scratch_parent=""
for d in ${BENCH_SCRATCH:-} "${TMPDIR:-/tmp}" /tmp /var/tmp "$BUILD"; do
  [ -n "$d" ] && [ -d "$d" ] && [ -w "$d" ] || continue
  fstype=$(stat -f -c %T "$d")
  case $fstype in tmpfs|ramfs) continue ;; esac
  avail=$(df -Pk "$d" | awk 'NR==2 {print $4}')
  (( avail >= need_kib )) || continue
  scratch_parent=$d
  break
done
[ -n "$scratch_parent" ] || { echo "bench: no disk-backed folder with $((need_kib / 1024)) MiB free" >&2; exit 1; }
SCRATCH=$(realpath -s "$(mktemp -d "$scratch_parent/ferry-bench.XXXXXX")")

NGINX_PID=""
PROFILE=$SCRATCH/profile          # throughput runs
PROFILE10K=$SCRATCH/profile-10k   # start-up with NJOBS jobs

engine_pid_of() {   # the pid of the engine serving profile $1 (its argv ends --headless --profile $1)
  local pid
  for pid in $(pgrep -f -- "--headless --profile" || true); do
    [ "$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | tail -n3)" = $'--headless\n--profile\n'"$1" ] && { echo "$pid"; return; }
  done
  return 0
}
stop_engine() {     # politely through ferry-admin, only if one runs (shutdown would start one)
  local profile=$1 pid i
  pid=$(engine_pid_of "$profile")
  [ -n "$pid" ] || return 0
  "$ADMIN" --profile "$profile" shutdown >/dev/null 2>&1 || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "bench: engine $pid did not stop after shutdown; sending SIGTERM" >&2
  kill -TERM "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  set +e
  stop_engine "$PROFILE"
  stop_engine "$PROFILE10K"
  if [ -n "$NGINX_PID" ]; then
    kill -TERM "$NGINX_PID" 2>/dev/null
    wait "$NGINX_PID" 2>/dev/null
  fi
  if [ "${BENCH_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    echo "bench: scratch folder kept: $SCRATCH (engine logs in profile*/engine.log)" >&2
    # the big files are of no use for a post-mortem
    rm -f "$SCRATCH/www/file.bin" "$SCRATCH"/out/* 2>/dev/null
  else
    rm -rf "$SCRATCH"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$SCRATCH/www" "$SCRATCH/out" "$SCRATCH/nginx/tmp"
SRC=$SCRATCH/www/file.bin
BYTES=$(( SIZE_MIB * 1024 * 1024 ))

now() { date +%s.%N; }
calc() { awk "BEGIN {printf \"%.6f\", $*}"; }   # calc EXPR: arithmetic on decimals

echo "== setup"
echo "scratch: $SCRATCH ($(stat -f -c %T "$SCRATCH"))"
t0=$(date +%s.%N)
dd if=/dev/urandom of="$SRC" bs=1M count="$SIZE_MIB" iflag=fullblock status=none
SRC_SHA=$(sha256sum "$SRC" | cut -d' ' -f1)
sync
printf 'source: %d MiB of random bytes, sha256 %s (%.1f s)\n' "$SIZE_MIB" "$SRC_SHA" \
  "$(calc "$(now) - $t0")"

# --- nginx on loopback, a free port --------------------------------------------------------------
start_nginx() {
  local port=$1 i
  cat >"$SCRATCH/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid "$SCRATCH/nginx/nginx.pid";
error_log stderr warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path "$SCRATCH/nginx/tmp/body";
    proxy_temp_path "$SCRATCH/nginx/tmp/proxy";
    fastcgi_temp_path "$SCRATCH/nginx/tmp/fastcgi";
    uwsgi_temp_path "$SCRATCH/nginx/tmp/uwsgi";
    scgi_temp_path "$SCRATCH/nginx/tmp/scgi";
    types { application/octet-stream bin; }
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    server {
        listen 127.0.0.1:$port;
        root "$SCRATCH/www";
    }
}
EOF
  "$NGINX" -p "$SCRATCH/nginx" -c "$SCRATCH/nginx/nginx.conf" -e stderr >>"$SCRATCH/nginx/nginx.log" 2>&1 &
  NGINX_PID=$!
  for ((i = 0; i < 50; i++)); do
    kill -0 "$NGINX_PID" 2>/dev/null || { wait "$NGINX_PID" 2>/dev/null; NGINX_PID=""; return 1; }
    curl -sf -o /dev/null -I "http://127.0.0.1:$port/file.bin" && return 0
    sleep 0.1
  done
  kill -TERM "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null; NGINX_PID=""
  return 1
}
PORT=""
for ((attempt = 0; attempt < 20; attempt++)); do
  p=$(( 20000 + RANDOM % 40000 ))
  (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue   # something listens there
  if start_nginx "$p"; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { echo "bench: nginx did not start; see below" >&2; cat "$SCRATCH/nginx/nginx.log" >&2; exit 1; }
URL=http://127.0.0.1:$PORT/file.bin
echo "nginx: $("$NGINX" -v 2>&1 | sed 's/.*: //') pid $NGINX_PID on $URL (sendfile on)"

# --- the engine for the throughput runs, started here so its pid is known -----------------------
mkdir -p -m700 "$PROFILE"
"$FERRY" --headless --profile "$PROFILE" </dev/null >>"$PROFILE/engine.log" 2>&1 &
ENGINE_PID=$!
for ((i = 0; i < 200; i++)); do
  [ -S "$PROFILE/control.sock" ] && "$ADMIN" --profile "$PROFILE" getconfig >/dev/null 2>&1 && break
  kill -0 "$ENGINE_PID" 2>/dev/null || { echo "bench: the engine exited:" >&2; cat "$PROFILE/engine.log" >&2; exit 1; }
  sleep 0.1
done
[ "$(engine_pid_of "$PROFILE")" = "$ENGINE_PID" ] || { echo "bench: engine $ENGINE_PID does not answer" >&2; exit 1; }
if [ -n "${BENCH_CHECKPOINT_BYTES:-}" ]; then
  "$ADMIN" --profile "$PROFILE" setconfig checkpointBytes "$BENCH_CHECKPOINT_BYTES" >/dev/null
fi
echo "engine: pid $ENGINE_PID, $("$ADMIN" --profile "$PROFILE" getconfig | tr '\n' ' ')"
echo "curl: $(curl --version | head -n1 | cut -d' ' -f1-2)"

# --- helpers -------------------------------------------------------------------------------------
engine_cpu_ticks() { sed 's/.*) //' "/proc/$ENGINE_PID/stat" | awk '{print $12, $13}'; }  # utime stime (fields 14, 15)
engine_hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$ENGINE_PID/status"; }
check_output() {   # check_output TOOL FILE FIRST
  local size
  size=$(stat -c %s "$2" 2>/dev/null || echo missing)
  [ "$size" = "$BYTES" ] || { echo "bench: $1 wrote $size bytes, expected $BYTES" >&2; exit 1; }
  if [ "$3" = 1 ]; then
    local sha
    sha=$(sha256sum "$2" | cut -d' ' -f1)
    [ "$sha" = "$SRC_SHA" ] || { echo "bench: $1's file has sha256 $sha, expected $SRC_SHA" >&2; exit 1; }
    echo "   $1: size and sha256 match the source"
  fi
}
# results: one line per run: tool wall cpu rss_kib extra
RESULTS=$SCRATCH/results.txt
: >"$RESULTS"

run_curl() {   # run_curl N
  local out=$SCRATCH/out/curl.bin t0 t1 u s m
  rm -f "$out"; sync
  t0=$(now)
  "$TIME" -f '%U %S %M' -o "$SCRATCH/time.curl" curl -sS -o "$out" "$URL"
  t1=$(now)
  read -r u s m <"$SCRATCH/time.curl"
  check_output curl "$out" "$1"
  echo "curl $1 $(calc "$t1 - $t0") $(calc "$u + $s") $m" >>"$RESULTS"
  rm -f "$out"
}
run_ferry() {   # run_ferry N
  local out=$SCRATCH/out/ferry.bin t0 t1 u s m eu0 es0 eu1 es1 eu es
  rm -f "$out"; sync
  echo 5 >"/proc/$ENGINE_PID/clear_refs"   # VmHWM := current RSS
  read -r eu0 es0 < <(engine_cpu_ticks)
  t0=$(now)
  "$TIME" -f '%U %S %M' -o "$SCRATCH/time.ferry" \
    "$ADMIN" --profile "$PROFILE" transfer "bench-$1" "$URL" "$out" >/dev/null
  t1=$(now)
  read -r eu1 es1 < <(engine_cpu_ticks)
  read -r u s m <"$SCRATCH/time.ferry"
  eu=$(calc "($eu1 - $eu0) / $HZ"); es=$(calc "($es1 - $es0) / $HZ")
  check_output ferry "$out" "$1"
  # cpu = ferry-admin user+sys + the engine's utime+stime delta; rss = engine VmHWM
  echo "ferry $1 $(calc "$t1 - $t0") $(calc "$u + $s + $eu + $es") $(engine_hwm_kib) $(calc "$u + $s") $eu $es $m" >>"$RESULTS"
  rm -f "$out"
}

# --- throughput runs, alternating --------------------------------------------------------------
echo
echo "== throughput: $RUNS run(s) each, $SIZE_MIB MiB, alternating curl / ferry"
for ((r = 1; r <= RUNS; r++)); do
  run_curl "$r"
  run_ferry "$r"
  sync
done

echo
awk -v bytes="$BYTES" '
  BEGIN {
    printf "%-4s %-6s %8s %9s %7s %9s %8s   %s\n", "run", "tool", "wall_s", "MB/s", "cpu_s", "cpu_s/GiB", "rss_MB", "notes"
  }
  {
    gib = bytes / 1073741824
    note = ""
    if ($1 == "ferry") note = sprintf("engine cpu %.2f s (user %.2f, sys %.2f), VmHWM; ferry-admin cpu %.2f s, rss %.1f MB", $7 + $8, $7, $8, $6, $9 * 1024 / 1e6)
    else note = "rss = curl max RSS"
    printf "%-4s %-6s %8.2f %9.1f %7.2f %9.2f %8.1f   %s\n", $2, $1, $3, bytes / $3 / 1e6, $4, $4 / gib, $5 * 1024 / 1e6, note
  }' "$RESULTS"

median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
stat_of() {   # stat_of TOOL EXPR -> median of EXPR over that tool's runs
  awk -v t="$1" -v bytes="$BYTES" "\$1 == t {print $2}" "$RESULTS" | median
}
C_MBS=$(stat_of curl 'bytes / $3 / 1e6');      F_MBS=$(stat_of ferry 'bytes / $3 / 1e6')
C_CPU=$(stat_of curl '$4 / (bytes / 1073741824)'); F_CPU=$(stat_of ferry '$4 / (bytes / 1073741824)')
C_RSS=$(awk '$1 == "curl" {print $5 * 1024 / 1e6}' "$RESULTS" | sort -g | tail -n1)
F_RSS=$(awk '$1 == "ferry" {print $5 * 1024 / 1e6}' "$RESULTS" | sort -g | tail -n1)

echo
echo "== summary (medians over $RUNS run(s); MB = 10^6 bytes; RSS = highest peak over the runs)"
awk -v cm="$C_MBS" -v fm="$F_MBS" -v cc="$C_CPU" -v fc="$F_CPU" -v cr="$C_RSS" -v fr="$F_RSS" '
  function verdict(ok) { return ok ? "met" : "NOT met" }
  BEGIN {
    printf "%-6s %10s %12s %12s\n", "", "MB/s", "cpu_s/GiB", "peak_RSS_MB"
    printf "%-6s %10.1f %12.2f %12.1f\n", "curl", cm, cc, cr
    printf "%-6s %10.1f %12.2f %12.1f   (engine)\n", "ferry", fm, fc, fr
    printf "throughput ratio ferry/curl: %.2f   (goal >= 1.2: %s)\n", fm / cm, verdict(fm / cm >= 1.2)
    printf "CPU/GiB ratio ferry/curl:    %.2f   (goal <= 1.0: %s)\n", fc / cc, verdict(fc / cc <= 1.0)
    printf "engine peak RSS:             %.1f MB (goal < 100 MB: %s)\n", fr, verdict(fr < 100)
  }'
stop_engine "$PROFILE"

# --- engine start + list with NJOBS persisted jobs -----------------------------------------------
echo
echo "== start-up with $NJOBS persisted jobs"
t0=$(now)
"$SEED" "$PROFILE10K" "$NJOBS" >/dev/null
printf 'seeded %d jobs (one file each) with JobStore in %.2f s; jobs.db %.1f MB\n' "$NJOBS" \
  "$(calc "$(now) - $t0")" "$(calc "$(stat -c %s "$PROFILE10K/jobs.db") / 1000000")"
[ -z "$(engine_pid_of "$PROFILE10K")" ] || { echo "bench: an engine already runs on $PROFILE10K" >&2; exit 1; }
sync
t0=$(now)
"$ADMIN" --profile "$PROFILE10K" list >/dev/null
t1=$(now)
t2=$(now)
"$ADMIN" --profile "$PROFILE10K" list >/dev/null
t3=$(now)
t4=$(now)
"$ADMIN" --profile "$PROFILE10K" getconfig >/dev/null
t5=$(now)
listed=$("$ADMIN" --profile "$PROFILE10K" list | tail -n1)
[ "$listed" = "Listed $NJOBS job(s)." ] || { echo "bench: list printed '$listed'" >&2; exit 1; }
pid10k=$(engine_pid_of "$PROFILE10K")
rss10k=$(awk '/^VmRSS:/ {print $2 * 1024 / 1e6}' "/proc/$pid10k/status")
hwm10k=$(awk '/^VmHWM:/ {print $2 * 1024 / 1e6}' "/proc/$pid10k/status")
awk -v a="$(calc "$t1 - $t0")" -v b="$(calc "$t3 - $t2")" -v c="$(calc "$t5 - $t4")" -v r="$rss10k" -v h="$hwm10k" '
  BEGIN {
    printf "first list (starts the engine): %.3f s (goal < 1 s: %s)\n", a, a < 1 ? "met" : "NOT met"
    printf "second list (running engine):   %.3f s\n", b
    printf "getconfig (round trip only):    %.3f s\n", c
    printf "engine RSS after three lists:   %.1f MB (peak %.1f MB)\n", r, h
  }'
echo "($listed)"
stop_engine "$PROFILE10K"
