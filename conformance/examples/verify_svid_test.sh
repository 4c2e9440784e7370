#!/usr/bin/env bash
# Runs the verify_svid example (docs/libidentity.md) on certificates made by the openssl
# command: it must accept a leaf of the trust domain and refuse one from another CA.
set -euo pipefail
verify_svid=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

make_ca() {  # name trust-domain
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
    -out "$1.pem" -days 1 -subj "/O=$1" -addext "subjectAltName=URI:spiffe://$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>/dev/null
}
make_leaf() {  # ca spiffe-id out
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$3.key" \
    -out "$3.csr" -subj "/O=workload" 2>/dev/null
  printf 'subjectAltName=URI:%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n' \
    "$2" > "$3.ext"
  openssl x509 -req -in "$3.csr" -CA "$1.pem" -CAkey "$1.key" -CAcreateserial -days 1 \
    -extfile "$3.ext" -out "$3.pem" 2>/dev/null
}

make_ca ca example.org
make_ca other example.org
make_leaf ca spiffe://example.org/web good
make_leaf other spiffe://example.org/web foreign

out=$("$verify_svid" ca.pem good.pem example.org)
[ "$out" = "spiffe://example.org/web" ] || { echo "FAIL: accepted ID was '$out'"; exit 1; }

if "$verify_svid" ca.pem foreign.pem example.org 2>err.txt; then
  echo "FAIL: a leaf from another CA was accepted"; exit 1
fi
grep -q "rejected:" err.txt || { echo "FAIL: no reason given"; cat err.txt; exit 1; }

if "$verify_svid" ca.pem good.pem other.org 2>err.txt; then
  echo "FAIL: a workload of example.org was authorized for other.org"; exit 1
fi
echo "verify_svid example: ok"
