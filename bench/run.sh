#!/usr/bin/env bash
# The benchmark suite, in one command: builds (preset "release"), starts each
# server pinned to core 0 with the load on core 1, runs the same scenarios
# against all of them in interleaved rounds (best of ROUNDS), and writes a
# markdown table with ratios to the hand-written raw-Asio server to
# bench/results.md (and stdout).
#
#   bench/run.sh            full sizes, 3 rounds (about 5 minutes)
#   bench/run.sh --quick    small sizes, 1 round (under a minute)
#
# Installs what it needs from Debian (wrk, nginx-light, valgrind) when missing.
# Rates on a shared 2-core machine move by tens of percent between runs: read
# the ratios of one run, and the server CPU per line and the instruction
# counts, which are steadier.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1
rounds=$((quick ? 1 : 3))

need=()
for p in cmake ninja-build g++ libasio-dev catch2 python3 wrk nginx-light valgrind util-linux; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "== installing: ${need[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

echo "== building (preset release)"
cmake --preset release >/dev/null
cmake --build --preset release --target bench_asynchat_server bench_raw_asio_server bench_blocking_server \
  bench_load bench_framer_bench bench_idle_clients http_server >/dev/null
B=build/release/bench
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"

# ------------------------------------------------------------------ helpers

# start NAME CMD...: starts a server on core 0, sets PID and PORT.
start() {
  local name=$1
  shift
  exec {out}< <(exec taskset -c 0 "$@" 2>/dev/null)
  PID=$!
  pids+=("$PID")
  local line
  read -r line <&"$out"
  PORT=$(sed -E 's/.*listening on [^ ]*:([0-9]+).*/\1/' <<<"$line")
}
stop() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }

# Nanoseconds of CPU used by process $1: schedstat (nanoseconds) for a
# single-threaded server; utime + stime (clock ticks, exited threads
# included) when it has threads that come and go.
cpu_ns() {
  if [ "$(ls /proc/"$1"/task | wc -l)" = 1 ]; then
    awk '{print $1}' /proc/"$1"/schedstat
  else
    awk -v hz="$(getconf CLK_TCK)" '{printf "%d\n", ($14 + $15) * 1e9 / hz}' /proc/"$1"/stat
  fi
}

field() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<" $2"; }

# best[key]: the best rate seen; cpu[key]: server ns per unit in that run.
declare -A best cpu

# run_load KEY UNITS LOADARGS...: one measured load against $PORT.
run_load() {
  local key=$1 units=$2
  shift 2
  local c0 c1 out rate
  c0=$(cpu_ns "$PID")
  out=$(taskset -c 1 "$B/load" "$@")
  c1=$(cpu_ns "$PID")
  [ "$(field ok "$out")" = 1 ] || { echo "!! $key: $out" >&2; return; }
  if [ "$1" = lines ]; then rate=$(field lines_per_sec "$out"); else rate=$(field gb_per_sec "$out"); fi
  if [ -z "${best[$key]:-}" ] || awk -v a="$rate" -v b="${best[$key]}" 'BEGIN{exit !(a>b)}'; then
    best[$key]=$rate
    cpu[$key]=$(( (c1 - c0) / units ))
    [ "$key" != "${key%:lat}" ] && best["$key:p50"]=$(field p50_us "$out") && best["$key:p99"]=$(field p99_us "$out")
  fi
  return 0
}

# ---------------------------------------------------------------- scenarios

if [ $quick = 1 ]; then
  L1=4000000; L100=20000; L100W1=300; LAT=5000; BULK=500; PYDIV=20
else
  L1=20000000; L100=100000; L100W1=1000; LAT=20000; BULK=2000; PYDIV=40
fi

servers=(raw asynchat blocking)
python3 -c 'import asyncio' 2>/dev/null && servers+=(asyncio)
python3 -W ignore -c 'import asynchat' 2>/dev/null && servers+=(cpython)

start_server() {
  case $1 in
    raw) start raw "$B/raw_asio_server" 0 ;;
    asynchat) start asynchat "$B/asynchat_server" 0 ;;
    blocking) start blocking "$B/blocking_server" 0 ;;
    asyncio) start asyncio python3 bench/python/asyncio_server.py 0 ;;
    cpython) start cpython python3 -W ignore bench/python/asynchat_server.py 0 ;;
  esac
}

for round in $(seq 1 $rounds); do
  for s in "${servers[@]}"; do
    echo "== round $round: $s"
    div=1
    case $s in asyncio | cpython) div=$PYDIV ;; esac
    start_server "$s"
    run_load "$s:l1" $((L1 / div)) lines "$PORT" --conns 1 --lines $((L1 / div)) --size 64 --window 1024
    run_load "$s:l100" $((100 * L100 / div)) lines "$PORT" --conns 100 --lines $((L100 / div)) --size 64 --window 16
    run_load "$s:l100w1" $((100 * L100W1 / div)) lines "$PORT" --conns 100 --lines $((L100W1 / div)) --size 64 --window 1
    run_load "$s:lat" $((LAT / div)) lines "$PORT" --conns 1 --lines $((LAT / div)) --size 64 --window 1
    run_load "$s:bulk" $((BULK / div)) bulk "$PORT" --conns 1 --size 1048576 --count $((BULK / div))
    stop
  done
done

# ------------------------------------------------------------ instructions

# Instructions per pipelined line, server side: (I(5N) - I(N)) / 4N under
# callgrind, so that start-up cancels out. Repeatable to about 1%.
instructions() {
  local bin=$1 n=$2 total=()
  for lines in $n $((5 * n)); do
    exec {o}< <(exec valgrind --tool=callgrind --callgrind-out-file="$work/cg.$lines" "$bin" 0 2>/dev/null)
    local p=$! line
    read -r line <&"$o"
    "$B/load" lines "$(sed -E 's/.*:([0-9]+).*/\1/' <<<"$line")" --conns 1 --lines "$lines" --size 64 --window 1024 >/dev/null
    kill -INT $p
    wait $p 2>/dev/null || true
    total+=("$(callgrind_annotate "$work/cg.$lines" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",","",$1); print $1}')")
  done
  echo $(( (total[1] - total[0]) / (4 * n) ))
}
echo "== instruction counts (callgrind)"
n=$((quick ? 100000 : 200000))
ins_raw=$(instructions "$B/raw_asio_server" $n)
ins_asynchat=$(instructions "$B/asynchat_server" $n)
framer_ns=$("$B/framer_bench" 5000000 | sed -E 's/.*ns_per_line=([0-9.]+).*/\1/')

# ------------------------------------------------------------------ memory

rss_kib() { awk '/VmRSS/{print $2}' /proc/"$1"/status; }
idle_rss() {
  local n=$1
  shift
  start idle "$@"
  local before after fds
  before=$(rss_kib "$PID")
  exec {c}> >(exec "$B/idle_clients" "$PORT" "$n" >/dev/null)
  local cpid=$!
  for _ in $(seq 1 600); do  # until the server holds them all (polling a benchmark is fine)
    fds=$(ls /proc/"$PID"/fd | wc -l)
    [ "$fds" -ge "$n" ] && break
    sleep 0.05
  done
  sleep 0.5
  after=$(rss_kib "$PID")
  exec {c}>&-
  wait $cpid 2>/dev/null || true
  stop
  echo $(( (after - before) * 1024 / n ))
}
echo "== memory per idle connection"
conns=$((quick ? 2000 : 10000))
mem_default=$(idle_rss $conns "$B/asynchat_server" 0 default)
mem_http=$(idle_rss $conns build/release/examples/http_server --port 0 --quiet)
mem_asynchat=$(idle_rss $conns "$B/asynchat_server" 0)
mem_raw=$(idle_rss $conns "$B/raw_asio_server" 0)

# -------------------------------------------------------------------- HTTP

echo "== HTTP: http_server against nginx-light, wrk, one worker each"
mkdir -p "$work/www" "$work/nginx"
printf 'Hello, asynchat!\n' > "$work/www/hello.txt"
chmod 755 "$work" "$work/www" && chmod 644 "$work/www/hello.txt"  # nginx workers run as nobody
cat > "$work/pipeline.lua" <<'EOF'
init = function(args)
  local r = {}
  for i = 1, 16 do r[i] = wrk.format(nil, "/hello.txt") end
  req = table.concat(r)
end
request = function() return req end
EOF
nport=$((20000 + RANDOM % 20000))
cat > "$work/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server { listen 127.0.0.1:$nport; root $work/www; }
}
EOF
dur=$((quick ? 3 : 10))
declare -A http
for round in $(seq 1 $rounds); do
  for s in nginx asynchat; do
    if [ $s = nginx ]; then
      taskset -c 0 nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" 2>/dev/null &
      PID=$!
      pids+=("$PID")
      PORT=$nport
      sleep 0.5
      wpid=$(pgrep -P "$PID" | head -1)
    else
      start http build/release/examples/http_server --port 0 --root "$work/www" --quiet
      wpid=$PID
    fi
    for mode in plain pipelined; do
      script=()
      [ $mode = pipelined ] && script=(-s "$work/pipeline.lua")
      c0=$(cpu_ns "$wpid")
      out=$(taskset -c 1 wrk -t1 -c50 -d${dur}s "${script[@]}" "http://127.0.0.1:$PORT/hello.txt" 2>&1)
      c1=$(cpu_ns "$wpid")
      rps=$(awk '/Requests\/sec/{print int($2)}' <<<"$out")
      reqs=$(awk '/requests in/{print $1}' <<<"$out")
      errs=$(grep -c "Non-2xx\|Socket errors" <<<"$out" || true)
      key="$s:$mode"
      if [ -z "${http[$key]:-}" ] || [ "$rps" -gt "${http[$key]}" ]; then
        http[$key]=$rps
        http["$key:cpu"]=$(( (c1 - c0) / (reqs > 0 ? reqs : 1) ))
        http["$key:err"]=$errs
      fi
    done
    stop
  done
done

# ------------------------------------------------------------------ report

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f×", a / b; else print "-" }'; }
fmt_rate() { awk -v a="$1" 'BEGIN{ if (a >= 1e6) printf "%.2f M", a / 1e6; else if (a >= 1e3) printf "%.0f k", a / 1e3; else printf "%.0f", a }'; }
{
  echo "# Benchmark results"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r); g++ $(g++ -dumpfullversion), Release (-O3);"
  echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); $([ $quick = 1 ] && echo 'quick mode' || echo "best of $rounds interleaved rounds")."
  echo "Servers on core 0, load (one thread, every byte checked) on core 1, loopback."
  echo
  echo "| scenario | raw Asio (ceiling) | asynchat | blocking read/write | asyncio | CPython asynchat |"
  echo "|---|---|---|---|---|---|"
  for sc in "l1:1 conn, 64 B lines, 1024 in flight (lines/s)" "l100:100 conns, 16 in flight (lines/s)" \
            "l100w1:100 conns, 1 in flight (lines/s)" "lat:1 conn, 1 in flight (lines/s)" "bulk:bulk, 1 MiB bodies (GB/s)"; do
    k=${sc%%:*}
    label=${sc#*:}
    row="| $label | $(fmt_rate "${best[raw:$k]:-0}")"
    for s in asynchat blocking asyncio cpython; do
      if [ -n "${best[$s:$k]:-}" ]; then
        row+=" | $(ratio "${best[$s:$k]}" "${best[raw:$k]}")"
      else
        row+=" | -"
      fi
    done
    echo "$row |"
  done
  echo "| server CPU per pipelined line (1 conn) | ${cpu[raw:l1]:-?} ns | ${cpu[asynchat:l1]:-?} ns | ${cpu[blocking:l1]:-?} ns | ${cpu[asyncio:l1]:-?} ns | ${cpu[cpython:l1]:-?} ns |"
  echo "| server CPU per line (100 conns, 16 in flight) | ${cpu[raw:l100]:-?} ns | ${cpu[asynchat:l100]:-?} ns | ${cpu[blocking:l100]:-?} ns | ${cpu[asyncio:l100]:-?} ns | ${cpu[cpython:l100]:-?} ns |"
  echo "| round trip at 1 in flight, p50 / p99 | ${best[raw:lat:p50]:-?} / ${best[raw:lat:p99]:-?} µs | ${best[asynchat:lat:p50]:-?} / ${best[asynchat:lat:p99]:-?} µs | ${best[blocking:lat:p50]:-?} / ${best[blocking:lat:p99]:-?} µs | ${best[asyncio:lat:p50]:-?} / ${best[asyncio:lat:p99]:-?} µs | ${best[cpython:lat:p50]:-?} / ${best[cpython:lat:p99]:-?} µs |"
  echo "| instructions per pipelined line (callgrind) | $ins_raw | $ins_asynchat | | | |"
  echo
  echo "Ratios are to the raw-Asio server's rate in the first column. Framing core alone"
  echo "(bench/framer_bench: framer + output queue, no sockets): $framer_ns ns per 64-byte line."
  echo
  echo "| HTTP, wrk -t1 -c50, keep-alive, 17-byte file | nginx-light (1 worker) | http_server (1 thread) |"
  echo "|---|---|---|"
  echo "| requests/s | $(fmt_rate "${http[nginx:plain]:-0}") | $(fmt_rate "${http[asynchat:plain]:-0}") ($(ratio "${http[asynchat:plain]:-0}" "${http[nginx:plain]:-0}")) |"
  echo "| requests/s, 16 pipelined | $(fmt_rate "${http[nginx:pipelined]:-0}") | $(fmt_rate "${http[asynchat:pipelined]:-0}") ($(ratio "${http[asynchat:pipelined]:-0}" "${http[nginx:pipelined]:-0}")) |"
  echo "| server CPU per request | ${http[nginx:plain:cpu]:-?} ns | ${http[asynchat:plain:cpu]:-?} ns |"
  echo "| server CPU per request, pipelined | ${http[nginx:pipelined:cpu]:-?} ns | ${http[asynchat:pipelined:cpu]:-?} ns |"
  echo
  echo "| RSS per idle connection ($conns connections) | bytes |"
  echo "|---|---|"
  echo "| asynchat, library defaults (4 KiB buffers) | $mem_default |"
  echo "| http_server example (16 KiB input buffer, idle timer) | $mem_http |"
  echo "| asynchat bench server (64 KiB input buffer) | $mem_asynchat |"
  echo "| raw Asio server (64 KiB buffer) | $mem_raw |"
} | tee bench/results.md
