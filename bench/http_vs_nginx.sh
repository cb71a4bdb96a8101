#!/usr/bin/env bash
# The HTTP example against nginx-light on a small file, as issue 12 measures
# it: both serve the same 6-byte index.html from disk, one worker / one
# thread each, request log off on both, nginx with its defaults (sendfile
# off, no open_file_cache). Server pinned to core 0, wrk -t1 -c50 to core 1;
# PAIRS alternating SECONDS-long pairs (nginx, then http_server) for plain
# keep-alive and 16 pipelined requests; the median of the pairs' ratios and
# the median server CPU per request (from /proc/PID/schedstat) are printed
# as a markdown table.
#
# --download: a 256 MiB file downloaded by a minimal client (Python,
# recv_into a 4 MiB buffer, pinned to core 1; curl's 16 KiB reads made
# the client the bottleneck) from nginx-light with `sendfile on`, from http_server (push_file:
# sendfile(2)), and from the loopback ceiling: a minimal Python server that
# writes a fixed head and hands the file to os.sendfile (no request parsing),
# through the same client. PAIRS alternating triples, one download each; the
# medians in GB/s (10^9 bytes/s), the median of the pairs' ratios, and the
# load average.
#
# --instructions: user-space instructions per request under callgrind, which
# machine load does not move: each server run twice under valgrind, serving
# 800 and 4000 GETs of the 6-byte file on one connection, 16 pipelined at a
# time; (I(4000) - I(800)) / 3200 cancels start-up and shutdown. nginx with
# master_process off and keepalive_requests raised so one connection serves
# all.
#
# --threads N (small-file mode): nginx with N workers against http_server
# --threads N. With N = 2 on a 2-core machine there is no core left for the
# load generator, so nothing is pinned apart: each server may use cores
# 0..N-1 and so may wrk (-tN -c50), the same for both servers. wrk then
# takes CPU from the server, so the rate is the loader's as much as the
# server's: the fair figure is server CPU per request (all its threads or
# workers, from /proc/PID/task/*/schedstat); requests/s is printed too.
# Usage: bench/http_vs_nginx.sh [--download | --instructions | --threads N] PATH/TO/http_server [PAIRS [SECONDS]]
set -euo pipefail
mode_all=small
threads=1
if [ "${1:-}" = --download ]; then mode_all=download; shift; fi
if [ "${1:-}" = --instructions ]; then mode_all=instructions; shift; fi
if [ "${1:-}" = --threads ]; then threads=$2; shift 2; fi
server_cores=0; wrk_cores=1; wrk_threads=1
if [ "$threads" -gt 1 ]; then
  server_cores=0-$((threads - 1)); wrk_cores=$server_cores; wrk_threads=$threads
fi
server=$1
pairs=${2:-5}
secs=${3:-3}
tools="nginx taskset"
case $mode_all in
  download) tools="$tools /usr/bin/python3" ;;
  instructions) tools="nginx valgrind /usr/bin/python3" ;;
  *) tools="$tools wrk" ;;
esac
for p in $tools; do command -v $p >/dev/null || { echo "missing: $p" >&2; exit 2; }; done

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/www" "$work/nginx"
printf 'hello\n' > "$work/www/index.html"
big_mib=256
[ $mode_all = download ] && head -c $((big_mib << 20)) /dev/urandom > "$work/www/big.bin" && chmod 644 "$work/www/big.bin"
chmod 755 "$work" "$work/www" && chmod 644 "$work/www/index.html"  # nginx workers run as nobody
cat > "$work/pipeline.lua" <<'LUA'
init = function(args)
  local r = {}
  for i = 1, 16 do r[i] = wrk.format(nil, "/index.html") end
  req = table.concat(r)
end
request = function() return req end
LUA
if [ $mode_all = instructions ]; then
  cat > "$work/load.py" <<'PY'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
req = b"GET /index.html HTTP/1.1\r\nHost: b\r\n\r\n" * 16
buf = b""
for i in range(n // 16):
    s.sendall(req)
    need = 16
    while need:
        d = s.recv(1 << 16)
        if not d: sys.exit("connection closed early")
        buf += d
        while True:
            k = buf.find(b"hello\n")
            if k < 0: break
            buf = buf[k + 6:]; need -= 1
PY
  # Instructions of one run of "$@" (a server printing nothing useful) serving $1 requests on port $2.
  refs() {
    local n=$1 port=$2; shift 2
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.$n" "$@" > "$work/out.$n" 2> "$work/log.$n" &
    local pid=$! deadline=$((SECONDS + 60))
    until (exec 9<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; do [ $SECONDS -lt $deadline ] || exit 1; sleep 0.1; done
    /usr/bin/python3 "$work/load.py" "$port" "$n"
    kill -INT $pid 2>/dev/null; wait $pid || true
    sed -nE 's/.*Collected : +([0-9]+).*/\1/p' "$work/log.$n" | head -1
  }
  per_request() {  # port, command...
    local a b
    a=$(refs 800 "$@"); b=$(refs 4000 "$@")
    echo $(( (b - a) / 3200 ))
  }
  iport=$((20000 + RANDOM % 20000))
  cat > "$work/nginx/cg.conf" <<CONF
master_process off;
daemon off;
worker_processes 1;
pid $work/nginx/cg.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000; server { listen 127.0.0.1:$iport; root $work/www; } }
CONF
  n=$(per_request "$iport" nginx -c "$work/nginx/cg.conf" -p "$work/nginx")
  a=$(per_request "$((iport + 1))" "$server" --port $((iport + 1)) --root "$work/www" --quiet)
  echo "| $(date -u +%Y-%m-%d), callgrind, 6-byte file, 16 pipelined, one connection | nginx-light | http_server | ratio |"
  echo "|---|---|---|---|"
  echo "| user-space instructions per request | $n | $a | $(awk -v a="$a" -v n="$n" 'BEGIN{printf "%.2f", a / n}')× |"
  exit 0
fi

nport=$((20000 + RANDOM % 20000))
fport=$((nport + 1))
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes $threads;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server { listen 127.0.0.1:$nport; root $work/www; }
  server { listen 127.0.0.1:$fport; root $work/www; sendfile on; }
}
CONF

cpu_ns() {  # CPU time of every thread of every pid given, in ns
  local p; for p in "$@"; do cat /proc/"$p"/task/*/schedstat; done | awk '{s += $1} END {printf "%.0f\n", s}'
}
poll() {  # a bounded wait for readiness
  local deadline=$((SECONDS + 30))
  until "$@"; do [ $SECONDS -lt $deadline ] || return 1; sleep 0.05; done
}

# One wrk run against pid $1 on port $2, mode $3: prints "RPS NS_PER_REQUEST".
measure() {
  local script=()
  [ "$3" = pipelined ] && script=(-s "$work/pipeline.lua")
  local c0 c1 out reqs rps
  c0=$(cpu_ns $1)
  out=$(taskset -c "$wrk_cores" wrk -t"$wrk_threads" -c50 -d"${secs}"s "${script[@]}" "http://127.0.0.1:$2/index.html" 2>&1)
  c1=$(cpu_ns $1)
  grep -q "Non-2xx\|Socket errors" <<<"$out" && { echo "errors: $out" >&2; exit 1; }
  rps=$(awk '/Requests\/sec/{print int($2)}' <<<"$out")
  reqs=$(awk '/requests in/{print $1}' <<<"$out")
  echo "$rps $(( (c1 - c0) / (reqs > 0 ? reqs : 1) ))"
}

taskset -c "$server_cores" nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" 2>/dev/null &
pids+=($!)
master=$!
poll bash -c "[ \$(pgrep -P $master | wc -l) -ge $threads ] && (exec 9<>/dev/tcp/127.0.0.1/$nport) 2>/dev/null"
nginx_pid=$(pgrep -P "$master" | head -1)
nginx_pids=$(pgrep -P "$master" | tr '\n' ' ')
taskset -c "$server_cores" "$server" --port 0 --root "$work/www" --quiet --threads "$threads" > "$work/server.out" 2>&1 &
pids+=($!)
server_pid=$!
poll grep -q 'listening on' "$work/server.out"
sport=$(sed -nE 's/.*listening on [^ ]*:([0-9]+) .*/\1/p' "$work/server.out")

if [ $mode_all = download ]; then
  # The ceiling: the kernel's loopback with sendfile and nothing else.
  cat > "$work/ceiling.py" <<'PY'
import os, socket, sys
path = sys.argv[1]
size = os.path.getsize(path)
head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Type: application/octet-stream\r\n\r\n" % size
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0)); srv.listen(16)
print("listening on 127.0.0.1:%d" % srv.getsockname()[1], flush=True)
while True:
    c, _ = srv.accept()
    data = b""
    while b"\r\n\r\n" not in data:
        got = c.recv(65536)
        if not got: break
        data += got
    if data:
        c.sendall(head)
        with open(path, "rb") as f:
            off = 0
            while off < size:
                off += os.sendfile(c.fileno(), f.fileno(), off, size - off)
    c.close()
PY
  cat > "$work/fetch.py" <<'PY'
import socket, sys, time
port, path = int(sys.argv[1]), sys.argv[2]
t0 = time.monotonic()
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"GET %s HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n" % path.encode())
buf = bytearray(4 << 20); view = memoryview(buf)
head = b""; body = 0; length = None
while True:
    n = s.recv_into(view)
    if n == 0: break
    if length is None:
        head += bytes(view[:n])
        end = head.find(b"\r\n\r\n")
        if end < 0: continue
        for line in head[:end].split(b"\r\n"):
            if line.lower().startswith(b"content-length:"): length = int(line.split(b":")[1])
        body = len(head) - end - 4
    else:
        body += n
    if length is not None and body >= length: break
print(body, time.monotonic() - t0)
PY
  taskset -c 0 /usr/bin/python3 "$work/ceiling.py" "$work/www/big.bin" > "$work/ceiling.out" 2>&1 &
  pids+=($!)
  poll grep -q 'listening on' "$work/ceiling.out"
  cport=$(sed -nE 's/.*listening on [^ ]*:([0-9]+).*/\1/p' "$work/ceiling.out")
fi

median() { sort -g | awk '{a[NR]=$1} END{ if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }
download() {  # "GB/s CPU_MS" of one download of big.bin from port $1, served by pid $2
  local out c0 c1
  c0=$(cpu_ns "$2")
  out=$(taskset -c 1 /usr/bin/python3 "$work/fetch.py" "$1" /big.bin)
  c1=$(cpu_ns "$2")
  awk -v want=$((big_mib << 20)) -v cpu=$(( (c1 - c0) / 1000000 )) \
    '{ if ($1 != want) { print "short download: " $1 > "/dev/stderr"; exit 1 }
       printf "%.3f %d\n", $1 / $2 / 1e9, cpu }' <<<"$out"
}
if [ $mode_all = download ]; then
  ceiling_pid=${pids[-1]}
  for p in nginx server ceiling ratio_n ratio_c c_nginx c_server c_ceiling; do : > "$work/d_$p"; done
  for i in $(seq 1 "$pairs"); do download "$fport" "$nginx_pid" >/dev/null; done  # warm the page cache
  for i in $(seq 1 "$pairs"); do
    read -r n nc < <(download "$fport" "$nginx_pid")
    read -r a ac < <(download "$sport" "$server_pid")
    read -r k kc < <(download "$cport" "$ceiling_pid")
    echo "$n" >> "$work/d_nginx"; echo "$a" >> "$work/d_server"; echo "$k" >> "$work/d_ceiling"
    echo "$nc" >> "$work/d_c_nginx"; echo "$ac" >> "$work/d_c_server"; echo "$kc" >> "$work/d_c_ceiling"
    awk -v a="$a" -v n="$n" 'BEGIN{printf "%.3f\n", a / n}' >> "$work/d_ratio_n"
    awk -v a="$a" -v k="$k" 'BEGIN{printf "%.3f\n", a / k}' >> "$work/d_ratio_c"
  done
  echo "| $(date -u +%Y-%m-%d), $(nproc) cores, ${big_mib} MiB download, Python client (4 MiB reads) pinned to core 1, servers to core 0, $pairs alternating triples, load $(cut -d' ' -f1-3 /proc/loadavg) | GB/s (median) | server CPU per download (median) | http_server ÷ it, GB/s (median of pairs) |"
  echo "|---|---|---|---|"
  echo "| nginx-light, sendfile on | $(median < "$work/d_nginx") | $(median < "$work/d_c_nginx") ms | $(median < "$work/d_ratio_n")× (pairs: $(tr '\n' ' ' < "$work/d_ratio_n")) |"
  echo "| loopback ceiling (python3 os.sendfile, no parsing) | $(median < "$work/d_ceiling") | $(median < "$work/d_c_ceiling") ms | $(median < "$work/d_ratio_c")× (pairs: $(tr '\n' ' ' < "$work/d_ratio_c")) |"
  echo "| http_server (push_file) | $(median < "$work/d_server") | $(median < "$work/d_c_server") ms | |"
  exit 0
fi

if [ "$threads" -gt 1 ]; then
  how="servers and wrk -t$threads -c50 all on cores $server_cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
else
  how="wrk -t1 -c50 on core 1, servers pinned to core 0, load $(cut -d' ' -f1-3 /proc/loadavg)"
fi
echo "| $(date -u +%Y-%m-%d), $(nproc) cores, $how, 6-byte file, $pairs alternating ${secs}-second pairs | nginx-light ($threads worker(s)) | http_server (--threads $threads) | ratio (median of pairs) |"
echo "|---|---|---|---|"
for mode in plain pipelined; do
  : > "$work/ratios"; : > "$work/n"; : > "$work/a"; : > "$work/ncpu"; : > "$work/acpu"
  for i in $(seq 1 "$pairs"); do
    read -r nr nc < <(measure "$nginx_pids" "$nport" $mode)
    read -r ar ac < <(measure "$server_pid" "$sport" $mode)
    echo "$nr" >> "$work/n"; echo "$ar" >> "$work/a"; echo "$nc" >> "$work/ncpu"; echo "$ac" >> "$work/acpu"
    awk -v a="$ar" -v n="$nr" 'BEGIN{printf "%.3f\n", a / n}' >> "$work/ratios"
  done
  echo "| requests/s, $mode | $(median < "$work/n") | $(median < "$work/a") | $(median < "$work/ratios")× (pairs: $(tr '\n' ' ' < "$work/ratios")) |"
  echo "| server CPU per request, $mode | $(median < "$work/ncpu") ns | $(median < "$work/acpu") ns | $(paste "$work/acpu" "$work/ncpu" | awk '{print $1/$2}' | median | xargs printf '%.2f')× |"
done
