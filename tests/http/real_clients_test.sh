#!/usr/bin/env bash
# The HTTP example against real clients nobody here wrote: curl, or Python's
# http.client. Usage: real_clients_test.sh curl|python PATH/TO/http_server
# Exits 77 (skipped) if the client is not installed.
set -euo pipefail
client=$1
server=$2

case $client in
  curl) command -v curl >/dev/null || { echo "curl not installed: skipped"; exit 77; } ;;
  python) command -v python3 >/dev/null || { echo "python3 not installed: skipped"; exit 77; } ;;
  *) echo "usage: $0 curl|python SERVER" >&2; exit 2 ;;
esac

work=$(mktemp -d)
pid=""; slow_pid=""
trap 'for p in $pid $slow_pid; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
printf 'hello file\n' > "$work/a.txt"
mkdir "$work/sub"
head -c 2097152 /dev/urandom > "$work/two-mib.bin"
head -c 52428800 /dev/urandom > "$work/big.bin"
head -c 3000 /dev/urandom > "$work/upload.bin"

# Start on a free port; read the line that says where (no sleeping).
exec 3< <(exec "$server" --port 0 --root "$work" --quiet)
pid=$!
read -r line <&3
port=$(sed -E 's/.*listening on [^ ]*:([0-9]+) .*/\1/' <<<"$line")
base="http://127.0.0.1:$port"
echo "server: $line"

fail() { echo "FAIL: $*" >&2; exit 1; }

if [ "$client" = curl ]; then
  [ "$(curl -sS "$base/a.txt")" = "hello file" ] || fail "GET a file"
  [ "$(curl -sS -d 'hello, asynchat' "$base/echo")" = "hello, asynchat" ] || fail "POST /echo"
  curl -sSI "$base/a.txt" | tr -d '\r' | grep -qx 'Content-Length: 11' || fail "HEAD Content-Length"
  curl -sSI "$base/a.txt" | grep -q '^Last-Modified: ' || fail "HEAD Last-Modified"
  [ "$(curl -sS --http1.0 "$base/a.txt")" = "hello file" ] || fail "HTTP/1.0"
  curl -sS -H 'Transfer-Encoding: chunked' --data-binary @"$work/upload.bin" "$base/echo" -o "$work/echoed"
  cmp -s "$work/upload.bin" "$work/echoed" || fail "chunked upload echoed"
  curl -sS -H 'Expect: 100-continue' --data-binary @"$work/upload.bin" "$base/echo" -o "$work/echoed2"
  cmp -s "$work/upload.bin" "$work/echoed2" || fail "Expect: 100-continue"
  code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$work/two-mib.bin" "$base/echo")
  [ "$code" = 413 ] || fail "2 MiB body: expected 413, got $code"
  reuse=$(curl -sSv "$base/a.txt" "$base/a.txt" "$base/a.txt" 2>&1 >/dev/null | grep -ci 're-using existing connection' || true)
  [ "$reuse" -ge 1 ] || fail "keep-alive: curl did not reuse the connection"
  code=$(curl -s -o /dev/null -w '%{http_code}' "$base/missing")
  [ "$code" = 404 ] || fail "missing file: expected 404, got $code"
  code=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$base/../../etc/passwd")
  [ "$code" = 403 ] || fail "traversal: expected 403, got $code"
  curl -sS "$base/big.bin" -o "$work/big.out"
  cmp -s "$work/big.bin" "$work/big.out" || fail "50 MiB download differs"
  # Conditional GET: -z FILE sends If-Modified-Since with FILE's time.
  touch -d '2001-01-01' "$work/old-stamp"; touch -d '2099-01-01' "$work/new-stamp"
  code=$(curl -s -o /dev/null -w '%{http_code}' -z "$work/new-stamp" "$base/a.txt")
  [ "$code" = 304 ] || fail "-z (not modified since 2099): expected 304, got $code"
  code=$(curl -s -o /dev/null -w '%{http_code}' -z "$work/old-stamp" "$base/a.txt")
  [ "$code" = 200 ] || fail "-z (modified since 2001): expected 200, got $code"
  etag=$(curl -sSI "$base/a.txt" | tr -d '\r' | sed -n 's/^ETag: //p')
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$base/a.txt")
  [ "$code" = 304 ] || fail "If-None-Match: expected 304, got $code"
  # Ranges: -r, and -C - resuming a cut download.
  [ "$(curl -sS -r 0-4 "$base/a.txt")" = "hello" ] || fail "-r 0-4"
  [ "$(curl -sS -r -5 "$base/a.txt")" = "file" ] || fail "-r -5"
  head -c 1000000 "$work/two-mib.bin" > "$work/partial"
  curl -sS -C - -o "$work/partial" "$base/two-mib.bin"
  cmp -s "$work/two-mib.bin" "$work/partial" || fail "-C - did not resume to the whole file"
  code=$(curl -s -o /dev/null -w '%{http_code}' -r 99999999- "$base/a.txt")
  [ "$code" = 416 ] || fail "unsatisfiable range: expected 416, got $code"
  # Dot-segments are removed first; leaving the root is refused.
  [ "$(curl -sS --path-as-is "$base/sub/../a.txt")" = "hello file" ] || fail "--path-as-is /sub/../a.txt"
  code=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$base/sub/../../a.txt")
  [ "$code" = 403 ] || fail "--path-as-is /sub/../../a.txt: expected 403, got $code"
  # CONNECT through the server as a proxy: method not allowed.
  out=$(curl -s -o /dev/null -w '%{http_connect}' -p -x "$base" http://example.invalid/ || true)
  [ "$out" = 405 ] || fail "CONNECT (curl -p -x): expected 405, got $out"
  # A directory: the redirect keeps the query and stays on the site.
  loc=$(curl -sSI "$base//sub?q=1" | tr -d '\r' | sed -n 's/^Location: //p')
  [ "$loc" = "/sub/?q=1" ] || fail "Location for //sub?q=1: $loc"
  # --timeout is the longest a client may make no progress: a steady upload
  # lasting three times --timeout is read whole.
  exec 4< <(exec "$server" --port 0 --quiet --timeout 1 --max-body 10485760)
  slow_pid=$!
  read -r slow_line <&4
  slow_port=$(sed -E 's/.*listening on [^ ]*:([0-9]+) .*/\1/' <<<"$slow_line")
  head -c 600000 /dev/urandom > "$work/slow.bin"
  curl -sS --limit-rate 200K --data-binary @"$work/slow.bin" "http://127.0.0.1:$slow_port/echo" -o "$work/slow.out"
  cmp -s "$work/slow.bin" "$work/slow.out" || fail "a 3 s upload at 200 KB/s with --timeout 1 was cut"
  echo "curl: all checks passed"
else
  python3 - "$port" "$work" <<'PY'
import http.client, sys
port, work = int(sys.argv[1]), sys.argv[2]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)
c.request("GET", "/a.txt")
r = c.getresponse(); body = r.read()
check(r.status == 200 and body == b"hello file\n", "GET a file")
check(r.getheader("Content-Type") == "text/plain; charset=utf-8", "Content-Type")
c.request("POST", "/echo", body=b"posted", headers={"Content-Type": "text/x-test"})
r = c.getresponse(); body = r.read()
check(r.status == 200 and body == b"posted" and r.getheader("Content-Type") == "text/x-test", "POST /echo")
c.request("HEAD", "/a.txt")
r = c.getresponse(); body = r.read()
check(r.status == 200 and body == b"" and r.getheader("Content-Length") == "11", "HEAD")
data = open(work + "/upload.bin", "rb").read()
c.request("POST", "/echo", body=iter([data[:1000], data[1000:2500], data[2500:]]), encode_chunked=True)
r = c.getresponse(); body = r.read()
check(r.status == 200 and body == data, "chunked POST")
c.request("GET", "/missing")
r = c.getresponse(); r.read()
check(r.status == 404, "404")
c.request("GET", "/big.bin")
r = c.getresponse(); body = r.read()
check(body == open(work + "/big.bin", "rb").read(), "50 MiB download")
c.request("GET", "/a.txt", headers={"Range": "bytes=6-9"})
r = c.getresponse(); body = r.read()
check(r.status == 206 and body == b"file" and r.getheader("Content-Range") == "bytes 6-9/11", "Range")
etag = r.getheader("ETag")
c.request("GET", "/a.txt", headers={"If-None-Match": etag})
r = c.getresponse(); body = r.read()
check(r.status == 304 and body == b"" and r.getheader("ETag") == etag, "If-None-Match")
c.request("HEAD", "/a.txt", headers={"Range": "bytes=6-9"})
r = c.getresponse(); body = r.read()
check(r.status == 200 and body == b"" and r.getheader("Content-Length") == "11", "HEAD ignores Range (RFC 9110 section 14.2)")
c.request("GET", "/sub?x=1")
r = c.getresponse(); r.read()
check(r.status == 301 and r.getheader("Location") == "/sub/?x=1", "redirect keeps the query")
# All of the above on one keep-alive connection:
check(c.sock is not None, "keep-alive connection still open")
c.close()
print("python http.client: all checks passed")
PY
fi
