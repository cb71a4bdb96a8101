#!/usr/bin/env bash
# Makes the throwaway self-signed certificate the TLS tests use (committed, so
# the tests need no openssl command). For tests only: the key is public.
#   tests/tls/make_cert.sh
set -euo pipefail
cd "$(dirname "$0")"
openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout key.pem -out cert.pem 2>/dev/null
echo "wrote $(pwd)/cert.pem and key.pem"
