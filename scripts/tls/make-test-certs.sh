#!/usr/bin/env bash
# Makes a throwaway private CA and certificates signed by it, for the tests
# (and for trying TLS by hand):
#   ca.pem/ca.key          the CA
#   server.pem/server.key  for localhost, 127.0.0.1 and ::1
#   server2.pem/server2.key  the same names, a second certificate (reload tests)
#   wrong.pem/wrong.key    for wrong.example only
#   client.pem/client.key  a client certificate (CN relay-client)
#   self.pem/self.key      self-signed for localhost (no CA trusts it)
# Usage: make-test-certs.sh DIR
set -euo pipefail
dir=${1:?usage: make-test-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
days=30
quiet() { "$@" >/dev/null 2>&1 || { echo "make-test-certs: $* failed" >&2; "$@"; exit 1; }; }

quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
  -days "$days" -subj "/CN=relay test CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign"

issue() {  # name, subject CN, extensions
  local name=$1 cn=$2 ext=$3
  quiet openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=$cn"
  printf '%s\n' "$ext" > "$name.ext"
  quiet openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$name.pem" -days "$days" -extfile "$name.ext"
  rm -f "$name.csr" "$name.ext"
}
issue server localhost "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
extendedKeyUsage=serverAuth"
issue server2 localhost "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
extendedKeyUsage=serverAuth"
issue wrong wrong.example "subjectAltName=DNS:wrong.example
extendedKeyUsage=serverAuth"
issue client relay-client "extendedKeyUsage=clientAuth"
quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self.key -out self.pem \
  -days "$days" -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1"
chmod 600 ./*.key
