"""Checks Sigil's X.509-SVID fixtures (x509_fixture_gen) with Python's cryptography package,
whose strict DER parser and profile accessors are independent of OpenSSL's X.509 code.

Usage: /usr/bin/python3 cryptography_check.py <fixture dir>
Exits 1 when any check fails, listing each failure.
"""
import datetime
import sys

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

failures = []


def check(condition, what):
    print(("ok: " if condition else "FAIL: ") + what)
    if not condition:
        failures.append(what)


def load(directory, name):
    with open(f"{directory}/{name}", "rb") as f:
        return x509.load_pem_x509_certificate(f.read())


def signed_by(cert, issuer):
    """True when issuer's key verifies cert's signature over its TBSCertificate."""
    key = issuer.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes,
                       ec.ECDSA(cert.signature_hash_algorithm))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                       cert.signature_hash_algorithm)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def chain_ok(chain, root, now):
    """Signatures, issuer names and validity windows from the leaf up to the root."""
    path = chain + [root]
    for child, parent in zip(path, path[1:]):
        if child.issuer != parent.subject or not signed_by(child, parent):
            return False
    return all(c.not_valid_before <= now <= c.not_valid_after for c in path)


def ext(cert, oid):
    return cert.extensions.get_extension_for_oid(oid)


def check_leaf(name, cert, expected_id, issuer):
    san = ext(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    uris = san.value.get_values_for_type(x509.UniformResourceIdentifier)
    check(uris == [expected_id], f"{name}: exactly one URI SAN {expected_id} (X509-01)")
    if len(cert.subject) == 0:
        check(san.critical, f"{name}: SAN critical with an empty subject (X509-03)")
    bc = ext(cert, ExtensionOID.BASIC_CONSTRAINTS)
    check(bc.critical and not bc.value.ca, f"{name}: basicConstraints critical, cA=false (X509-04)")
    ku = ext(cert, ExtensionOID.KEY_USAGE)
    check(ku.critical, f"{name}: keyUsage critical (X509-05)")
    check(ku.value.digital_signature and ku.value.key_encipherment and ku.value.key_agreement,
          f"{name}: keyUsage digitalSignature, keyEncipherment, keyAgreement (X509-06, X509-12)")
    check(not ku.value.key_cert_sign and not ku.value.crl_sign,
          f"{name}: no keyCertSign or cRLSign (X509-06)")
    eku = ext(cert, ExtensionOID.EXTENDED_KEY_USAGE).value
    check(ExtendedKeyUsageOID.SERVER_AUTH in eku and ExtendedKeyUsageOID.CLIENT_AUTH in eku,
          f"{name}: EKU serverAuth and clientAuth (X509-08)")
    check(cert.serial_number > 0 and 120 <= cert.serial_number.bit_length() <= 128,
          f"{name}: serial positive and about 128 bits ({cert.serial_number.bit_length()} bits)")
    skid = ext(cert, ExtensionOID.SUBJECT_KEY_IDENTIFIER).value
    check(skid == x509.SubjectKeyIdentifier.from_public_key(cert.public_key()),
          f"{name}: SKID is the SHA-1 of the public key (X509-12)")
    akid = ext(cert, ExtensionOID.AUTHORITY_KEY_IDENTIFIER).value
    issuer_skid = ext(issuer, ExtensionOID.SUBJECT_KEY_IDENTIFIER).value
    check(akid.key_identifier == issuer_skid.digest, f"{name}: AKID is the issuer's SKID (X509-12)")
    check(cert.not_valid_after <= issuer.not_valid_after, f"{name}: notAfter within the issuer's")
    check(cert.version == x509.Version.v3, f"{name}: version 3")


def check_ca(name, cert, td):
    bc = ext(cert, ExtensionOID.BASIC_CONSTRAINTS)
    check(bc.critical and bc.value.ca, f"{name}: basicConstraints critical, cA=true (X509-04)")
    ku = ext(cert, ExtensionOID.KEY_USAGE)
    check(ku.critical and ku.value.key_cert_sign and ku.value.crl_sign
          and not ku.value.digital_signature,
          f"{name}: keyUsage critical keyCertSign|cRLSign only (X509-05, X509-07)")
    uris = ext(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value.get_values_for_type(
        x509.UniformResourceIdentifier)
    check(uris == [f"spiffe://{td}"], f"{name}: URI SAN spiffe://{td} (X509-09)")
    try:
        ext(cert, ExtensionOID.EXTENDED_KEY_USAGE)
        check(False, f"{name}: no EKU on a CA (X509-08)")
    except x509.ExtensionNotFound:
        check(True, f"{name}: no EKU on a CA (X509-08)")


def main(directory):
    now = datetime.datetime.utcnow()
    root = load(directory, "root.pem")
    inter = load(directory, "inter.pem")
    root384 = load(directory, "root_p384.pem")
    workload = "spiffe://example.org/workload"

    check_ca("root.pem", root, "example.org")
    check_ca("inter.pem", inter, "example.org")
    check_ca("root_p384.pem", root384, "example.org")
    check(signed_by(root, root), "root.pem is self-signed")

    leaves = [
        ("leaf.pem", workload, root, []),
        ("leaf_dns.pem", "spiffe://example.org/web", root, []),
        ("leaf_spki.pem", workload, root, []),
        ("leaf_rsa.pem", workload, root, []),
        ("leaf_inter.pem", workload, inter, [inter]),
        ("leaf_p384.pem", workload, root384, []),
    ]
    for name, expected_id, issuer, intermediates in leaves:
        leaf = load(directory, name)
        check_leaf(name, leaf, expected_id, issuer)
        anchor = root384 if issuer is root384 else root
        check(chain_ok([leaf] + intermediates, anchor, now), f"{name}: chain verifies to the root")

    dns = load(directory, "leaf_dns.pem")
    check(dns.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
          .get_values_for_type(x509.DNSName) == ["web.example.org", "api.example.org"],
          "leaf_dns.pem: DNS SANs in order")
    check(dns.subject.rfc4514_string() == "CN=web.example.org",
          "leaf_dns.pem: first DNS name copied into CN (X509-12)")

    # Rejections: each must fail, which shows the checks above can fail.
    check(not chain_ok([load(directory, "foreign_leaf.pem")], root, now),
          "foreign_leaf.pem does not verify to our root")
    check(not chain_ok([load(directory, "tampered_sig.pem")], root, now),
          "tampered_sig.pem does not verify")
    check(not chain_ok([load(directory, "tampered_tbs.pem")], root, now),
          "tampered_tbs.pem does not verify")
    check(not chain_ok([load(directory, "leaf_inter.pem")], root, now),
          "leaf_inter.pem does not verify without its intermediate")

    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all cryptography checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
