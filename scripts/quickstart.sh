#!/usr/bin/env bash
# Quick start on Debian or Ubuntu. Installs what is missing (apt-get, with sudo
# when not root), then:
#   scripts/quickstart.sh demo   build the HTTP example, start it, fetch a page
#                                and a POST echo with curl, stop it
#   scripts/quickstart.sh test   build everything and run the whole test suite
set -euo pipefail
cd "$(dirname "$0")/.."

# The demo needs the build tools and curl; the tests also need OpenSSL (TLS),
# haproxy (the load-balancer test), Python with h11 (strict HTTP client) and
# Boost (the package test builds a Boost.Asio consumer too).
packages=(cmake ninja-build g++ libasio-dev catch2 curl)
[ "${1:-}" = demo ] || packages+=(libssl-dev haproxy python3 python3-h11 libboost-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

case "${1:-}" in
  demo)
    echo "== building the HTTP example"
    cmake --preset dev >/dev/null
    cmake --build --preset dev --target http_server
    server=build/dev/examples/http_server
    # Start it on a free port and read where it listens (its first line).
    exec 3< <(exec "$server" --port 0)
    pid=$!
    trap 'kill "$pid" 2>/dev/null || true' EXIT
    read -r line <&3
    echo "== $line"
    url=$(sed -E 's/.*\((http[^)]*)\).*/\1/' <<<"$line")
    echo "== curl -i $url"
    curl -sS -i "$url"
    echo
    echo "== curl -d 'hello, asynchat' ${url}echo"
    curl -sS -d 'hello, asynchat' "${url}echo"
    echo
    echo "== the server logged:"
    kill "$pid"
    cat <&3
    echo "== done. Run it yourself: $server --port 8080 [--root DIR]"
    ;;
  test)
    cmake --workflow --preset dev
    ;;
  *)
    echo "usage: $0 demo|test" >&2
    exit 2
    ;;
esac
