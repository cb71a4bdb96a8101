#!/usr/bin/env bash
# Scaling out: a real HAProxy (Debian's haproxy, mode tcp, round robin) in
# front of two `http_server --proxy-protocol` processes on loopback, one fed
# PROXY v1 (send-proxy), the other v2 (send-proxy-v2). Checks that requests
# are balanced across both, that each server logs the client's address (the
# client connects from 127.0.0.2, HAProxy from 127.0.0.1), and that a
# connection that bypasses HAProxy (no PROXY header) is refused.
# Usage: haproxy_test.sh PATH/TO/http_server. Exits 77 (skipped) without
# haproxy or curl. Ports are chosen at run time; readiness is polled with a
# bounded watchdog; everything started here is killed on exit.
set -euo pipefail
server=$1
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)
[ -x "$haproxy" ] || { echo "haproxy not installed: skipped"; exit 77; }
command -v curl >/dev/null || { echo "curl not installed: skipped"; exit 77; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.log; do echo "--- $f"; cat "$f"; done >&2
  exit 1
}
printf 'hello file\n' > "$work/a.txt"

# Polls `cmd` until it succeeds; a watchdog of `seconds`, not a delay.
poll() {
  local seconds=$1; shift
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.05
  done
}

# Two servers on ports the kernel picks; each prints where it listens.
ports=()
for i in 1 2; do
  "$server" --port 0 --root "$work" --proxy-protocol > "$work/server$i.log" 2>&1 &
  pid=$!
  pids+=($pid)
  poll 60 bash -c "grep -q 'listening on' '$work/server$i.log' || { kill -0 $pid 2>/dev/null || exit 0; exit 1; }" &&
    grep -q 'listening on' "$work/server$i.log" || fail "server $i did not start"
  ports+=("$(sed -nE 's/.*listening on [^ ]*:([0-9]+) .*/\1/p' "$work/server$i.log")")
done

# HAProxy cannot report a port it picked: take a free one from the kernel,
# and try again with another if someone took it in between.
free_port() {
  local p
  for p in $(shuf -i 20000-60999 -n 50); do
    (exec 9<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}
front=""
for attempt in 1 2 3; do
  port=$(free_port) || fail "no free port"
  cat > "$work/haproxy.cfg" <<CFG
global
    maxconn 256
defaults
    mode tcp
    timeout connect 10s
    timeout client 60s
    timeout server 60s
frontend front
    bind 127.0.0.1:$port
    default_backend servers
backend servers
    balance roundrobin
    server v1 127.0.0.1:${ports[0]} send-proxy
    server v2 127.0.0.1:${ports[1]} send-proxy-v2
CFG
  "$haproxy" -db -f "$work/haproxy.cfg" > "$work/haproxy.log" 2>&1 &
  hp=$!
  pids+=($hp)
  if poll 60 bash -c "kill -0 $hp 2>/dev/null && (exec 9<>/dev/tcp/127.0.0.1/$port) 2>/dev/null"; then
    front=$port
    break
  fi
  kill $hp 2>/dev/null || true
done
[ -n "$front" ] || fail "haproxy did not start"
echo "servers on ${ports[*]}, haproxy on $front"

# Eight requests, each on a new connection from 127.0.0.2.
for i in 1 2 3 4 5 6 7 8; do
  body=$(curl -sS --max-time 60 --interface 127.0.0.2 "http://127.0.0.1:$front/a.txt") || fail "request $i failed"
  [ "$body" = "hello file" ] || fail "request $i: got '$body'"
done

# Each server logged its share, every line with the client's address.
# (The readiness probe opened a connection that sent nothing: a v1 or v2
# header alone, then end of stream; no log line.)
for i in 1 2; do
  log="$work/server$i.log"
  poll 60 bash -c "[ \$(grep -c '^127.0.0.2 GET /a.txt 200 11 ' '$log') -ge 3 ]" ||
    fail "server $i did not get at least 3 of the 8 requests from 127.0.0.2"
  ! grep -q '^127.0.0.1 GET' "$log" || fail "server $i logged HAProxy's address, not the client's"
done
total=$(cat "$work/server1.log" "$work/server2.log" | grep -c '^127.0.0.2 GET /a.txt 200 11 ')
[ "$total" -eq 8 ] || fail "8 requests sent, $total logged"

# A client that bypasses the balancer sends no PROXY header: closed unanswered.
if out=$(curl -sS --max-time 60 --interface 127.0.0.2 "http://127.0.0.1:${ports[0]}/a.txt" 2>&1); then
  fail "a request without a PROXY header was answered: $out"
fi
poll 60 grep -q '^127.0.0.2 PROXY - 400 0 ' "$work/server1.log" || fail "the refusal was not logged"

echo "balanced: server 1 $(grep -c '^127.0.0.2 GET' "$work/server1.log"), server 2 $(grep -c '^127.0.0.2 GET' "$work/server2.log")"
echo "PASS"
