#!/usr/bin/env bash
# The HTTP example against nginx-light on a small file, as issue 12 measures
# it: both serve the same 6-byte index.html from disk, one worker / one
# thread each, request log off on both, nginx with its defaults (sendfile
# off, no open_file_cache). Server pinned to core 0, wrk -t1 -c50 to core 1;
# PAIRS alternating SECONDS-long pairs (nginx, then http_server) for plain
# keep-alive and 16 pipelined requests; the median of the pairs' ratios and
# the median server CPU per request (from /proc/PID/schedstat) are printed
# as a markdown table.
# Usage: bench/http_vs_nginx.sh PATH/TO/http_server [PAIRS [SECONDS]]
set -euo pipefail
server=$1
pairs=${2:-5}
secs=${3:-3}
for p in wrk nginx taskset; do command -v $p >/dev/null || { echo "missing: $p" >&2; exit 2; }; done

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
chmod 755 "$work" "$work/www" && chmod 644 "$work/www/index.html"  # nginx workers run as nobody
cat > "$work/pipeline.lua" <<'LUA'
init = function(args)
  local r = {}
  for i = 1, 16 do r[i] = wrk.format(nil, "/index.html") end
  req = table.concat(r)
end
request = function() return req end
LUA
nport=$((20000 + RANDOM % 20000))
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server { listen 127.0.0.1:$nport; root $work/www; }
}
CONF

cpu_ns() { awk '{print $1}' /proc/"$1"/schedstat; }
poll() {  # a bounded wait for readiness
  local deadline=$((SECONDS + 30))
  until "$@"; do [ $SECONDS -lt $deadline ] || return 1; sleep 0.05; done
}

# One wrk run against pid $1 on port $2, mode $3: prints "RPS NS_PER_REQUEST".
measure() {
  local script=()
  [ "$3" = pipelined ] && script=(-s "$work/pipeline.lua")
  local c0 c1 out reqs rps
  c0=$(cpu_ns "$1")
  out=$(taskset -c 1 wrk -t1 -c50 -d"${secs}"s "${script[@]}" "http://127.0.0.1:$2/index.html" 2>&1)
  c1=$(cpu_ns "$1")
  grep -q "Non-2xx\|Socket errors" <<<"$out" && { echo "errors: $out" >&2; exit 1; }
  rps=$(awk '/Requests\/sec/{print int($2)}' <<<"$out")
  reqs=$(awk '/requests in/{print $1}' <<<"$out")
  echo "$rps $(( (c1 - c0) / (reqs > 0 ? reqs : 1) ))"
}

taskset -c 0 nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" 2>/dev/null &
pids+=($!)
master=$!
poll bash -c "pgrep -P $master >/dev/null && (exec 9<>/dev/tcp/127.0.0.1/$nport) 2>/dev/null"
nginx_pid=$(pgrep -P "$master" | head -1)
"$server" --port 0 --root "$work/www" --quiet > "$work/server.out" 2>&1 &
pids+=($!)
server_pid=$!
taskset -pc 0 "$server_pid" >/dev/null
poll grep -q 'listening on' "$work/server.out"
sport=$(sed -nE 's/.*listening on [^ ]*:([0-9]+) .*/\1/p' "$work/server.out")

median() { sort -g | awk '{a[NR]=$1} END{ if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }
echo "| $(date -u +%Y-%m-%d), $(nproc) cores, wrk -t1 -c50, 6-byte file, $pairs alternating ${secs}-second pairs, pinned | nginx-light (1 worker) | http_server (1 thread) | ratio (median of pairs) |"
echo "|---|---|---|---|"
for mode in plain pipelined; do
  : > "$work/ratios"; : > "$work/n"; : > "$work/a"; : > "$work/ncpu"; : > "$work/acpu"
  for i in $(seq 1 "$pairs"); do
    read -r nr nc < <(measure "$nginx_pid" "$nport" $mode)
    read -r ar ac < <(measure "$server_pid" "$sport" $mode)
    echo "$nr" >> "$work/n"; echo "$ar" >> "$work/a"; echo "$nc" >> "$work/ncpu"; echo "$ac" >> "$work/acpu"
    awk -v a="$ar" -v n="$nr" 'BEGIN{printf "%.3f\n", a / n}' >> "$work/ratios"
  done
  echo "| requests/s, $mode | $(median < "$work/n") | $(median < "$work/a") | $(median < "$work/ratios")× (pairs: $(tr '\n' ' ' < "$work/ratios")) |"
  echo "| server CPU per request, $mode | $(median < "$work/ncpu") ns | $(median < "$work/acpu") ns | $(paste "$work/acpu" "$work/ncpu" | awk '{print $1/$2}' | median | xargs printf '%.2f')× |"
done
