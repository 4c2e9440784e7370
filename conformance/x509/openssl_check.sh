#!/bin/bash
# Checks Sigil's X.509-SVID fixtures (x509_fixture_gen) with the openssl command: path
# validation (plain and -x509_strict) must accept ours and reject the foreign and tampered
# leaves, and the decoded text must show the SPIFFE profile (X509-01..08).
# Usage: openssl_check.sh <fixture dir>. Exits non-zero on the first mismatch.
set -u
dir=${1:?fixture dir}
failures=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

expect_verified() {  # <description> <openssl verify arguments...>
  local what=$1
  shift
  if ! out=$(openssl verify "$@" 2>&1); then
    fail "$what: openssl verify rejected it: $out"
  else
    echo "ok: $what"
  fi
}

expect_rejected() {
  local what=$1
  shift
  if out=$(openssl verify "$@" 2>&1); then
    fail "$what: openssl verify accepted it: $out"
  else
    echo "ok: $what rejected ($(echo "$out" | grep -o 'error [0-9]* at [0-9]* depth lookup: .*' | head -1))"
  fi
}

expect_text() {  # <file> <fixed string expected in `openssl x509 -text`>
  if ! openssl x509 -in "$1" -noout -text | grep -qF -- "$2"; then
    fail "$1: 'openssl x509 -text' lacks \"$2\""
  else
    echo "ok: $1 shows \"$2\""
  fi
}

expect_no_text() {
  if openssl x509 -in "$1" -noout -text | grep -qF -- "$2"; then
    fail "$1: 'openssl x509 -text' unexpectedly has \"$2\""
  else
    echo "ok: $1 has no \"$2\""
  fi
}

# Following line of `openssl x509 -text` after the header $2 must contain $3.
expect_after() {
  if ! openssl x509 -in "$1" -noout -text | grep -A1 -F -- "$2" | tail -1 | grep -qF -- "$3"; then
    fail "$1: \"$2\" is not followed by \"$3\""
  else
    echo "ok: $1 \"$2\" -> \"$3\""
  fi
}

cd "$dir" || exit 2

# X509-13: RFC 5280 path validation, in default and strict mode.
for strict in "" "-x509_strict"; do
  expect_verified "leaf ${strict}" $strict -CAfile bundle.pem leaf.pem
  expect_verified "leaf with DNS SANs ${strict}" $strict -CAfile bundle.pem leaf_dns.pem
  expect_verified "leaf from SPKI DER ${strict}" $strict -CAfile bundle.pem leaf_spki.pem
  expect_verified "leaf via intermediate ${strict}" $strict -CAfile bundle.pem -untrusted inter.pem leaf_inter.pem
  expect_verified "P-384 leaf ${strict}" $strict -CAfile root_p384.pem leaf_p384.pem
  expect_verified "RSA subject leaf ${strict}" $strict -CAfile bundle.pem leaf_rsa.pem
  expect_verified "intermediate ${strict}" $strict -CAfile bundle.pem inter.pem
done
expect_rejected "leaf via intermediate without the intermediate" -CAfile bundle.pem leaf_inter.pem
expect_rejected "leaf of a foreign CA" -CAfile bundle.pem foreign_leaf.pem
expect_rejected "leaf with a flipped signature byte" -CAfile bundle.pem tampered_sig.pem
expect_rejected "leaf with a changed SPIFFE ID" -CAfile bundle.pem tampered_tbs.pem
expect_rejected "P-256 leaf against the P-384 root" -CAfile root_p384.pem leaf.pem

# Leaf profile: X509-01 (one URI SAN), X509-03 (critical SAN with empty subject), X509-04,
# X509-05/06 (critical keyUsage), X509-08 (EKU), X509-12 (SKID/AKID).
expect_after leaf.pem "X509v3 Subject Alternative Name: critical" "URI:spiffe://example.org/workload"
expect_after leaf.pem "X509v3 Basic Constraints: critical" "CA:FALSE"
expect_after leaf.pem "X509v3 Key Usage: critical" "Digital Signature, Key Encipherment, Key Agreement"
expect_after leaf.pem "X509v3 Extended Key Usage" "TLS Web Server Authentication, TLS Web Client Authentication"
expect_text leaf.pem "X509v3 Subject Key Identifier"
expect_text leaf.pem "X509v3 Authority Key Identifier"
if [ "$(openssl x509 -in leaf.pem -noout -subject)" != "subject=" ]; then
  fail "leaf.pem subject is not empty"
else
  echo "ok: leaf.pem subject is empty"
fi
expect_no_text leaf.pem "Certificate Sign"
expect_after leaf_dns.pem "X509v3 Subject Alternative Name" "URI:spiffe://example.org/web, DNS:web.example.org, DNS:api.example.org"
expect_text leaf_dns.pem "Subject: CN = web.example.org"
expect_text leaf_p384.pem "Signature Algorithm: ecdsa-with-SHA384"

# Signing certificates: X509-04, X509-07, X509-09.
for ca in root.pem inter.pem; do
  expect_after $ca "X509v3 Basic Constraints: critical" "CA:TRUE"
  expect_after $ca "X509v3 Key Usage: critical" "Certificate Sign, CRL Sign"
  expect_after $ca "X509v3 Subject Alternative Name" "URI:spiffe://example.org"
  expect_no_text $ca "Digital Signature"
  expect_no_text $ca "Extended Key Usage"
done

# Exactly one URI SAN in each leaf (X509-01).
for leaf in leaf.pem leaf_dns.pem leaf_inter.pem leaf_spki.pem leaf_p384.pem leaf_rsa.pem; do
  n=$(openssl x509 -in "$leaf" -noout -ext subjectAltName | grep -o 'URI:' | wc -l)
  if [ "$n" != 1 ]; then
    fail "$leaf has $n URI SANs"
  else
    echo "ok: $leaf has one URI SAN"
  fi
done

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all openssl checks passed"
