"""Test material for the sigil CLI tests, made fresh in a temporary directory.

Certificates come from the `openssl` command, JWT-SVIDs and JWK Sets from Python's
`cryptography` package: both independent of the code under test.
"""

import base64
import json
import os
import subprocess
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _write(path, text):
    with open(path, "w", encoding="ascii") as f:
        f.write(text)


def make_ca(directory, name, uri, parent=None):
    """A P-256 CA certificate `name`.pem with key `name`.key, self-signed unless `parent`
    (another CA's name) signs it."""
    key = f"{name}.key"
    ext = f"{name}.ext"
    _write(os.path.join(directory, ext),
           f"subjectAltName=URI:{uri}\n"
           "basicConstraints=critical,CA:TRUE\n"
           "keyUsage=critical,keyCertSign,cRLSign\n"
           "subjectKeyIdentifier=hash\n")
    if parent is None:
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-keyout", key, "-out", f"{name}.pem", "-days", "2",
                 "-subj", f"/O=Sigil Test/CN={name}",
                 "-addext", f"subjectAltName=URI:{uri}",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
        return
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", key, "-out", f"{name}.csr", "-subj", f"/O=Sigil Test/CN={name}",
             cwd=directory)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{parent}.pem", "-CAkey",
             f"{parent}.key", "-set_serial", str(int(time.time() * 1000)), "-days", "2",
             "-extfile", ext, "-out", f"{name}.pem", cwd=directory)


def make_leaf(directory, name, ca, sans, ca_flag=False,
              key_usage="digitalSignature,keyEncipherment,keyAgreement"):
    """A P-256 leaf `name`.pem signed by CA `ca` with subjectAltName `sans` (openssl syntax,
    e.g. "URI:spiffe://example.org/web")."""
    ext_lines = [
        f"basicConstraints=critical,CA:{'TRUE' if ca_flag else 'FALSE'}",
        f"keyUsage=critical,{key_usage}",
        "extendedKeyUsage=serverAuth,clientAuth",
    ]
    if sans:
        ext_lines.insert(0, f"subjectAltName=critical,{sans}")
    _write(os.path.join(directory, f"{name}.ext"), "\n".join(ext_lines) + "\n")
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}",
             cwd=directory)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
             "-set_serial", str(int(time.time() * 1000000)), "-days", "1",
             "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=directory)


def to_der(directory, pem_name, der_name):
    _openssl("x509", "-in", pem_name, "-outform", "DER", "-out", der_name, cwd=directory)


def concat(directory, out_name, *names):
    with open(os.path.join(directory, out_name), "wb") as out:
        for name in names:
            with open(os.path.join(directory, name), "rb") as f:
                out.write(f.read())


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class JwtIssuer:
    """An ES256 signing key with a kid, able to mint JWT-SVIDs and publish its JWK."""

    def __init__(self, kid):
        self.kid = kid
        self.key = ec.generate_private_key(ec.SECP256R1())

    def jwk(self, use="jwt-svid"):
        numbers = self.key.public_key().public_numbers()
        jwk = {"kty": "EC", "kid": self.kid, "crv": "P-256",
               "x": b64url(numbers.x.to_bytes(32, "big")),
               "y": b64url(numbers.y.to_bytes(32, "big"))}
        if use is not None:
            jwk["use"] = use
        return jwk

    def token(self, sub, aud, exp_in=300, header=None, claims=None):
        now = int(time.time())
        head = {"alg": "ES256", "kid": self.kid, "typ": "JWT"}
        head.update(header or {})
        body = {"sub": sub, "aud": aud, "exp": now + exp_in, "iat": now}
        body.update(claims or {})
        signing_input = (b64url(json.dumps(head).encode()) + "." +
                         b64url(json.dumps(body).encode())).encode("ascii")
        der = self.key.sign(signing_input, ec.ECDSA(hashes.SHA256()))
        r, s = utils.decode_dss_signature(der)
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return signing_input.decode("ascii") + "." + b64url(signature)


def write_json(directory, name, doc):
    _write(os.path.join(directory, name), json.dumps(doc))
