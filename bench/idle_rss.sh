#!/usr/bin/env bash
# Server memory per idle connection, for chat_server, http_server and
# nginx-light in one run: N TCP connections (bench/idle_clients, a separate
# process) are opened and held idle; the server's resident set growth divided
# by N is the figure (bytes). nginx is measured on its worker process, with
# worker_connections sized for N (the connection table it allocates at start
# is not in the growth; its size is printed too).
#   bench/idle_rss.sh [N] [ROUNDS]    (defaults: 10000 connections, 1 round)
# Rounds alternate the three servers; the median of each is printed.
# Needs: a release build (built here), nginx-light; raises `ulimit -n`.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
rounds=${2:-1}

ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((n + 64)) ]; then
  echo "idle_rss.sh: ulimit -n is $(ulimit -n), below $((n + 64)): run as root or raise the hard limit" >&2
  exit 1
fi
command -v nginx >/dev/null || { echo "idle_rss.sh: nginx-light is not installed" >&2; exit 1; }

cmake --preset release >/dev/null
cmake --build --preset release --target bench_idle_clients chat_server http_server >/dev/null
B=build/release
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/www" "$work/nginx"
printf 'Hello, asynchat!\n' >"$work/www/hello.txt"
chmod 755 "$work" "$work/www" && chmod 644 "$work/www/hello.txt"
nport=$((20000 + RANDOM % 20000))
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile $((n + 1024));
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections $((n + 512)); }
http {
  access_log off;
  server { listen 127.0.0.1:$nport; root $work/www; }
}
EOF

rss_kib() { awk '/VmRSS/{print $2}' /proc/"$1"/status; }

# start CMD...: a server printing "... listening on ADDR:PORT"; sets PID, PORT.
start() {
  exec {out}< <(exec "$@" 2>/dev/null)
  PID=$!
  pids+=("$PID")
  local line
  read -r line <&"$out"
  PORT=$(sed -E 's/.*listening on [^ ]*:([0-9]+).*/\1/' <<<"$line")
}

# measure PID PORT: RSS growth per connection (bytes) while N idle clients hold on.
measure() {
  local pid=$1 port=$2 before after fds
  before=$(rss_kib "$pid")
  exec {c}> >(exec "$B/bench/idle_clients" "$port" "$n" >/dev/null)
  local cpid=$!
  for _ in $(seq 1 1200); do  # until the server holds them all (polling a benchmark is fine)
    fds=$(ls /proc/"$pid"/fd | wc -l)
    [ "$fds" -ge "$n" ] && break
    sleep 0.05
  done
  sleep 0.5
  after=$(rss_kib "$pid")
  exec {c}>&-
  wait "$cpid" 2>/dev/null || true
  echo $(((after - before) * 1024 / n))
}

stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

declare -A got
nginx_table=
for round in $(seq 1 "$rounds"); do
  start "$B/examples/chat_server" --port 0
  got[chat]+="$(measure "$PID" "$PORT") "
  stop "$PID"

  start "$B/examples/http_server" --port 0 --root "$work/www" --quiet
  got[http]+="$(measure "$PID" "$PORT") "
  stop "$PID"

  nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" 2>/dev/null &
  master=$!
  pids+=("$master")
  worker=
  for _ in $(seq 1 100); do
    worker=$(pgrep -P "$master" | head -1 || true)
    [ -n "$worker" ] && [ -e "$work/nginx/nginx.pid" ] && break
    sleep 0.05
  done
  sleep 0.3
  nginx_table=$(rss_kib "$worker")
  got[nginx]+="$(measure "$worker" "$nport") "
  stop "$master"
done

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "idle connections: $n, rounds: $rounds, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| server | RSS per idle connection (bytes) |"
echo "|---|---|"
echo "| chat_server | $(median "${got[chat]}") |"
echo "| http_server | $(median "${got[http]}") |"
echo "| nginx-light (1 worker; worker RSS at start ${nginx_table} KiB) | $(median "${got[nginx]}") |"
