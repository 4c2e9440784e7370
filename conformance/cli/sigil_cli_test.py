"""Runs the built `sigil` binary as a user would and checks exit statuses, key output fields,
JSON output and error reasons (docs/cli-sigil.md).

Usage: sigil_cli_test.py PATH_TO_SIGIL [unittest arguments, e.g. a test class name]
"""

import base64
import json
import os
import subprocess
import sys
import tempfile
import unittest

from cryptography import x509
from cryptography.hazmat.primitives import serialization

sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
import fixtures  # noqa: E402

SIGIL = None
EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def run(*args, stdin=None):
    return subprocess.run([SIGIL, *args], input=stdin, capture_output=True, text=True,
                          timeout=60)


class SigilTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="sigil-cli-")
        cls.dir = cls._tmp.name
        cls.make_fixtures()

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    @classmethod
    def make_fixtures(cls):
        pass

    @classmethod
    def path(cls, name):
        return os.path.join(cls.dir, name)

    def assertExit(self, result, status):
        # The message shows stderr only: no test here passes a secret that sigil could echo
        # there without another assertion failing first.
        self.assertEqual(result.returncode, status, f"stderr: {result.stderr!r}")

    def json_of(self, result):
        """stdout as exactly one JSON object."""
        doc = json.loads(result.stdout)
        self.assertIsInstance(doc, dict)
        return doc


def cert_der(path):
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read()).public_bytes(serialization.Encoding.DER)


def spiffe_bundle_doc(*ca_paths, jwt_keys=()):
    """A SPIFFE bundle built here, independently of sigil's encoder."""
    keys = []
    for path in ca_paths:
        der = cert_der(path)
        numbers = x509.load_der_x509_certificate(der).public_key().public_numbers()
        keys.append({"use": "x509-svid", "kty": "EC", "crv": "P-256",
                     "x": fixtures.b64url(numbers.x.to_bytes(32, "big")),
                     "y": fixtures.b64url(numbers.y.to_bytes(32, "big")),
                     "x5c": [base64.b64encode(der).decode("ascii")]})
    keys.extend(jwt_keys)
    return {"keys": keys, "spiffe_sequence": 7}


# -------------------------------------------------------------------------------------------
class UsageTest(SigilTestCase):
    def test_no_command_is_usage_error(self):
        result = run()
        self.assertExit(result, EXIT_USAGE)
        self.assertIn("subcommand", result.stderr)

    def test_group_without_command_is_usage_error(self):
        self.assertExit(run("id"), EXIT_USAGE)

    def test_unknown_command_is_usage_error(self):
        self.assertExit(run("frobnicate"), EXIT_USAGE)

    def test_help_lists_command_groups(self):
        result = run("--help")
        self.assertExit(result, EXIT_OK)
        for group in ("id", "x509", "jwt", "bundle"):
            self.assertIn(group, result.stdout)

    def test_version(self):
        result = run("--version")
        self.assertExit(result, EXIT_OK)
        self.assertIn("sigil", result.stdout)

    def test_unknown_output_format_is_usage_error(self):
        self.assertExit(run("--output", "yaml", "id", "check", "spiffe://example.org/x"),
                        EXIT_USAGE)


# -------------------------------------------------------------------------------------------
class IdCheckTest(SigilTestCase):
    def test_valid_ids_print_trust_domain_and_path(self):
        result = run("id", "check", "spiffe://example.org/ns/web", "spiffe://example.org")
        self.assertExit(result, EXIT_OK)
        self.assertIn("trust domain: example.org", result.stdout)
        self.assertIn("path: /ns/web", result.stdout)
        self.assertEqual(result.stderr, "")

    def test_trust_domain_id_is_flagged_as_not_a_workload(self):
        result = run("id", "check", "spiffe://example.org")
        self.assertExit(result, EXIT_OK)
        self.assertIn("never a workload identity", result.stdout)

    def test_one_invalid_id_fails_all_and_names_rule_and_byte(self):
        result = run("id", "check", "spiffe://example.org/ok", "spiffe://Example.org/x")
        self.assertExit(result, EXIT_INVALID)
        self.assertIn("trust domain has an uppercase letter at byte 9", result.stderr)
        self.assertIn("spiffe://example.org/ok", result.stdout)

    def test_reasons_for_common_mistakes(self):
        cases = {
            "spiffe://example.org/a/": "trailing '/'",
            "spiffe://example.org:443/x": "port or colon",
            "spiffe://example.org/%41": "percent-encoded",
            "SPIFFE://example.org/x": "scheme",
            "spiffe://example.org/a//b": "empty segment",
        }
        for spiffe_id, reason in cases.items():
            with self.subTest(spiffe_id=spiffe_id):
                result = run("id", "check", spiffe_id)
                self.assertExit(result, EXIT_INVALID)
                self.assertIn(reason, result.stderr)

    def test_json_output_is_one_object(self):
        result = run("id", "check", "--output", "json", "spiffe://example.org/web",
                     "spiffe://bad_/x/..")
        self.assertExit(result, EXIT_INVALID)
        doc = self.json_of(result)
        self.assertFalse(doc["valid"])
        self.assertEqual(doc["ids"][0]["trust_domain"], "example.org")
        self.assertEqual(doc["ids"][0]["path"], "/web")
        self.assertFalse(doc["ids"][1]["valid"])
        self.assertIn("'..' segment", doc["ids"][1]["error"])

    def test_trust_domain_flag_checks_a_name(self):
        result = run("id", "check", "--trust-domain", "example.org")
        self.assertExit(result, EXIT_OK)
        self.assertIn("spiffe://example.org", result.stdout)

    def test_trust_domain_flag_rejects_port(self):
        result = run("id", "check", "--trust-domain", "example.org:8443")
        self.assertExit(result, EXIT_INVALID)
        self.assertIn("port or colon (':') at byte 11", result.stderr)

    def test_trust_domain_flag_takes_one_value_per_flag(self):
        result = run("--output", "json", "id", "check", "-t", "example.org",
                     "spiffe://other.org/x")
        self.assertExit(result, EXIT_OK)
        doc = self.json_of(result)
        self.assertEqual(len(doc["trust_domains"]), 1)
        self.assertEqual(doc["ids"][0]["trust_domain"], "other.org")

    def test_control_bytes_are_escaped_in_errors(self):
        result = run("id", "check", "spiffe://example.org/\x1b[31mred")
        self.assertExit(result, EXIT_INVALID)
        self.assertNotIn("\x1b", result.stderr)
        self.assertIn("\\x1b", result.stderr)

    def test_nothing_to_check_is_usage_error(self):
        self.assertExit(run("id", "check"), EXIT_USAGE)


# -------------------------------------------------------------------------------------------
class X509Fixtures(SigilTestCase):
    @classmethod
    def make_fixtures(cls):
        d = cls.dir
        fixtures.make_ca(d, "root", "spiffe://example.org")
        fixtures.make_ca(d, "inter", "spiffe://example.org", parent="root")
        fixtures.make_leaf(d, "web", "root", "URI:spiffe://example.org/web")
        fixtures.make_leaf(d, "api", "inter", "URI:spiffe://example.org/api")
        fixtures.concat(d, "api_chain.pem", "api.pem", "inter.pem")
        fixtures.make_ca(d, "other_root", "spiffe://other.org")
        fixtures.make_leaf(d, "other", "other_root", "URI:spiffe://other.org/db")
        fixtures.make_leaf(d, "ca_leaf", "root", "URI:spiffe://example.org/bad", ca_flag=True,
                           key_usage="digitalSignature")
        fixtures.make_leaf(d, "two_uris", "root",
                           "URI:spiffe://example.org/a,URI:spiffe://example.org/b")
        fixtures.make_leaf(d, "dns_only", "root", "DNS:web.example.org")
        fixtures.to_der(d, "web.pem", "web.der")
        fixtures.to_der(d, "root.pem", "root.der")
        fixtures.write_json(d, "bundle.json", spiffe_bundle_doc(cls.path("root.pem")))
        fixtures.write_json(d, "map.json", {"trust_domains": {
            "example.org": spiffe_bundle_doc(cls.path("root.pem")),
            "other.org": spiffe_bundle_doc(cls.path("other_root.pem"))}})

    @classmethod
    def serial_of(cls, name):
        with open(cls.path(name), "rb") as f:
            return x509.load_pem_x509_certificate(f.read()).serial_number


class X509InspectTest(X509Fixtures):
    def test_shows_id_serial_validity_and_key_type(self):
        result = run("x509", "inspect", self.path("web.pem"))
        self.assertExit(result, EXIT_OK)
        self.assertIn("SPIFFE ID: spiffe://example.org/web", result.stdout)
        serial = result.stdout.split("serial: ", 1)[1].split("\n", 1)[0]
        self.assertEqual(int(serial, 16), self.serial_of("web.pem"))
        self.assertIn("not after:", result.stdout)
        self.assertIn("key type: ec-p256", result.stdout)
        self.assertIn("SPIFFE profile problems: none", result.stdout)

    def test_lists_each_chain_certificate_with_subject_issuer_and_ca_flag(self):
        result = run("--output", "json", "x509", "inspect", self.path("api_chain.pem"))
        self.assertExit(result, EXIT_OK)
        doc = self.json_of(result)
        self.assertTrue(doc["valid"])
        self.assertEqual(doc["spiffe_id"], "spiffe://example.org/api")
        self.assertEqual([c["is_ca"] for c in doc["chain"]], [False, True])
        self.assertEqual(doc["chain"][0]["subject"], "CN=api")
        self.assertEqual(doc["chain"][0]["issuer"], doc["chain"][1]["subject"])
        self.assertEqual(doc["chain"][1]["uri_sans"], ["spiffe://example.org"])
        self.assertEqual(doc["problems"], [])

    def test_reads_der(self):
        result = run("x509", "inspect", self.path("web.der"))
        self.assertExit(result, EXIT_OK)
        self.assertIn("spiffe://example.org/web", result.stdout)

    def test_reads_stdin(self):
        with open(self.path("web.pem"), encoding="ascii") as f:
            result = run("x509", "inspect", "-", stdin=f.read())
        self.assertExit(result, EXIT_OK)
        self.assertIn("spiffe://example.org/web", result.stdout)

    def test_leaf_marked_ca_is_a_profile_problem(self):  # X509-14
        result = run("--output", "json", "x509", "inspect", self.path("ca_leaf.pem"))
        self.assertExit(result, EXIT_INVALID)
        doc = self.json_of(result)
        self.assertFalse(doc["valid"])
        self.assertTrue(any("X509-14" in p for p in doc["problems"]), doc["problems"])
        self.assertIn("profile problem", result.stderr)

    def test_two_uri_sans_is_a_profile_problem(self):  # X509-16
        result = run("x509", "inspect", self.path("two_uris.pem"))
        self.assertExit(result, EXIT_INVALID)
        self.assertIn("URI SAN", result.stdout)
        self.assertIn("SPIFFE ID: (none", result.stdout)

    def test_leaf_without_uri_san_has_no_spiffe_id(self):
        result = run("--output", "json", "x509", "inspect", self.path("dns_only.pem"))
        self.assertExit(result, EXIT_INVALID)
        doc = self.json_of(result)
        self.assertIsNone(doc["spiffe_id"])
        self.assertEqual(doc["chain"][0]["dns_sans"], ["web.example.org"])

    def test_missing_file_is_usage_error(self):
        result = run("x509", "inspect", self.path("absent.pem"))
        self.assertExit(result, EXIT_USAGE)
        self.assertIn("No such file", result.stderr)

    def test_garbage_is_invalid(self):
        fixtures.write_json(self.dir, "garbage.pem", {"not": "a certificate"})
        result = run("x509", "inspect", self.path("garbage.pem"))
        self.assertExit(result, EXIT_INVALID)
        self.assertIn("cannot read certificates", result.stderr)


class X509VerifyTest(X509Fixtures):
    def test_chain_through_intermediate_verifies(self):  # X509-13
        result = run("x509", "verify", "--bundle", self.path("root.pem"),
                     self.path("api_chain.pem"))
        self.assertExit(result, EXIT_OK)
        self.assertIn("valid X509-SVID", result.stdout)
        self.assertIn("SPIFFE ID: spiffe://example.org/api", result.stdout)

    def test_json_names_id_and_path(self):
        result = run("x509", "verify", "--output", "json", "--bundle", self.path("root.pem"),
                     self.path("api_chain.pem"))
        self.assertExit(result, EXIT_OK)
        doc = self.json_of(result)
        self.assertTrue(doc["valid"])
        self.assertEqual(doc["spiffe_id"], "spiffe://example.org/api")
        self.assertEqual(doc["trust_domain"], "example.org")
        self.assertEqual(len(doc["path"]), 3)
        self.assertTrue(doc["bundle_trust_domain_assumed"])

    def test_missing_intermediate_fails(self):
        result = run("x509", "verify", "--bundle", self.path("root.pem"), self.path("api.pem"))
        self.assertExit(result, EXIT_INVALID)
        self.assertIn("not valid", result.stderr)

    def test_spiffe_json_bundle_is_detected(self):
        result = run("x509", "verify", "--bundle", self.path("bundle.json"), self.path("web.pem"))
        self.assertExit(result, EXIT_OK)

    def test_der_chain_and_der_bundle(self):
        result = run("x509", "verify", "--bundle", self.path("root.der"), self.path("web.der"))
        self.assertExit(result, EXIT_OK)

    def test_bundle_map_supplies_each_trust_domain(self):
        for leaf in ("web.pem", "other.pem"):
            with self.subTest(leaf=leaf):
                result = run("--output", "json", "x509", "verify", "--bundle",
                             self.path("map.json"), self.path(leaf))
                self.assertExit(result, EXIT_OK)
                self.assertFalse(self.json_of(result)["bundle_trust_domain_assumed"])

    def test_only_the_leaf_trust_domain_bundle_is_used(self):  # X509-19
        result = run("x509", "verify", "--trust-domain", "example.org", "--bundle",
                     self.path("root.pem"), "--trust-domain", "other.org", "--bundle",
                     self.path("root.pem"), self.path("other.pem"))
        self.assertExit(result, EXIT_INVALID)
        self.assertIn("other.org", result.stderr)

    def test_pinned_trust_domains_pair_with_the_following_bundle(self):
        args = ["x509", "verify", "-t", "other.org", "--bundle", self.path("other_root.pem"),
                "-t", "example.org", "--bundle", self.path("root.pem")]
        self.assertExit(run(*args, self.path("web.pem")), EXIT_OK)
        self.assertExit(run(*args, self.path("other.pem")), EXIT_OK)

    def test_no_bundle_for_leaf_trust_domain_fails(self):
        result = run("x509", "verify", "-t", "example.org", "--bundle", self.path("root.pem"),
                     self.path("other.pem"))
        self.assertExit(result, EXIT_INVALID)
        self.assertIn("no bundle for trust domain other.org", result.stderr)

    def test_expect_id_mismatch_fails_naming_expected_id(self):  # X509-23
        result = run("x509", "verify", "--bundle", self.path("root.pem"), "--expect-id",
                     "spiffe://example.org/db", self.path("web.pem"))
        self.assertExit(result, EXIT_INVALID)
        self.assertIn("spiffe://example.org/db", result.stderr)

    def test_expect_id_match_passes(self):
        result = run("x509", "verify", "--bundle", self.path("root.pem"), "--expect-id",
                     "spiffe://example.org/web", self.path("web.pem"))
        self.assertExit(result, EXIT_OK)

    def test_at_a_later_time_reports_expiry(self):
        result = run("x509", "verify", "--bundle", self.path("root.pem"), "--at",
                     "2099-01-01T00:00:00Z", self.path("web.pem"))
        self.assertExit(result, EXIT_INVALID)
        self.assertIn("expired", result.stderr)

    def test_leaf_marked_ca_fails(self):  # X509-14
        result = run("x509", "verify", "--bundle", self.path("root.pem"),
                     self.path("ca_leaf.pem"))
        self.assertExit(result, EXIT_INVALID)
        self.assertIn("CA", result.stderr)

    def test_bad_time_is_usage_error(self):
        result = run("x509", "verify", "--bundle", self.path("root.pem"), "--at", "tomorrow",
                     self.path("web.pem"))
        self.assertExit(result, EXIT_USAGE)
        self.assertIn("RFC 3339", result.stderr)

    def test_trust_domain_without_following_bundle_is_usage_error(self):
        result = run("x509", "verify", "--bundle", self.path("root.pem"), "-t", "example.org",
                     self.path("web.pem"))
        self.assertExit(result, EXIT_USAGE)
        self.assertIn("must be followed by", result.stderr)

    def test_missing_bundle_flag_is_usage_error(self):
        self.assertExit(run("x509", "verify", self.path("web.pem")), EXIT_USAGE)

    def test_unreadable_bundle_is_usage_error(self):
        result = run("x509", "verify", "--bundle", self.path("absent.json"), self.path("web.pem"))
        self.assertExit(result, EXIT_USAGE)
        self.assertIn("absent.json", result.stderr)


# -------------------------------------------------------------------------------------------
class JwtTest(SigilTestCase):
    @classmethod
    def make_fixtures(cls):
        cls.issuer = fixtures.JwtIssuer("key-1")
        cls.stranger = fixtures.JwtIssuer("key-1")  # same kid, key not in the bundle
        fixtures.write_json(cls.dir, "bundle.json", {"keys": [cls.issuer.jwk()]})
        fixtures.write_json(cls.dir, "jwks.json", {"keys": [cls.issuer.jwk(use=None)]})
        cls.good = cls.issuer.token("spiffe://example.org/web", "billing")
        cls.multi_aud = cls.issuer.token("spiffe://example.org/web", ["a", "billing"])
        cls.expired = cls.issuer.token("spiffe://example.org/web", "billing", exp_in=-3600)
        cls.forged = cls.stranger.token("spiffe://example.org/web", "billing")
        cls.alg_none = cls.issuer.token("spiffe://example.org/web", "billing",
                                        header={"alg": "none"})
        cls.other_td = cls.issuer.token("spiffe://other.org/web", "billing")
        head, body, sig = cls.good.split(".")
        cls.tampered = ".".join([head, body, sig[:-4] + ("AAAA" if sig[-4:] != "AAAA" else "BBBB")])
        with open(cls.path("token.txt"), "w", encoding="ascii") as f:
            f.write(cls.good + "\n")

    def assertNoToken(self, result, token):
        """Neither the token nor its payload or signature segment appears anywhere."""
        _, body, signature = token.split(".")
        for stream in (result.stdout, result.stderr):
            self.assertFalse(token in stream, "token echoed")
            self.assertFalse(body in stream, "token payload echoed")
            self.assertFalse(signature in stream, "token signature echoed")

    def verify(self, token, *extra):
        result = run("jwt", "verify", "--bundle", self.path("bundle.json"), "--audience",
                     "billing", *extra, token)
        self.assertNoToken(result, token)
        return result

    # jwt inspect ---------------------------------------------------------------------------
    def test_inspect_shows_header_and_claims_and_says_unverified(self):
        result = run("jwt", "inspect", self.good)
        self.assertExit(result, EXIT_OK)
        self.assertIn("NOT VERIFIED", result.stdout)
        self.assertIn('"kid": "key-1"', result.stdout)
        self.assertIn('"sub": "spiffe://example.org/web"', result.stdout)
        self.assertIn("signature: 64 bytes", result.stdout)
        self.assertNoToken(result, self.good)

    def test_inspect_json_marks_unverified(self):
        result = run("--output", "json", "jwt", "inspect", self.forged)
        self.assertExit(result, EXIT_OK)
        doc = self.json_of(result)
        self.assertFalse(doc["verified"])
        self.assertEqual(doc["header"]["alg"], "ES256")
        self.assertEqual(doc["claims"]["aud"], "billing")
        self.assertTrue(doc["subject_valid"])
        self.assertNoToken(result, self.forged)

    def test_inspect_reads_stdin_and_file(self):
        self.assertExit(run("jwt", "inspect", "-", stdin=self.good + "\n"), EXIT_OK)
        self.assertExit(run("jwt", "inspect", "@" + self.path("token.txt")), EXIT_OK)

    def test_inspect_reports_expiry(self):
        result = run("--output", "json", "jwt", "inspect", self.expired)
        self.assertExit(result, EXIT_OK)
        self.assertTrue(self.json_of(result)["expired"])

    def test_inspect_malformed_token_is_invalid(self):
        result = run("jwt", "inspect", "not-a-token")
        self.assertExit(result, EXIT_INVALID)
        self.assertIn("malformed", result.stderr)

    # jwt verify ----------------------------------------------------------------------------
    def test_verify_accepts_valid_token(self):
        result = self.verify(self.good)
        self.assertExit(result, EXIT_OK)
        self.assertIn("SPIFFE ID: spiffe://example.org/web", result.stdout)
        self.assertIn("key id: key-1", result.stdout)

    def test_verify_json_fields(self):
        result = self.verify(self.multi_aud, "--output", "json")
        self.assertExit(result, EXIT_OK)
        doc = self.json_of(result)
        self.assertTrue(doc["valid"])
        self.assertEqual(doc["spiffe_id"], "spiffe://example.org/web")
        self.assertEqual(doc["audiences"], ["a", "billing"])
        self.assertEqual(doc["algorithm"], "ES256")
        self.assertEqual(doc["key_id"], "key-1")

    def test_verify_reads_token_from_stdin(self):
        result = run("jwt", "verify", "--bundle", self.path("bundle.json"), "--audience",
                     "billing", "-", stdin=self.good)
        self.assertExit(result, EXIT_OK)
        self.assertNoToken(result, self.good)

    def test_verify_reads_token_from_file(self):
        result = run("jwt", "verify", "--bundle", self.path("bundle.json"), "--audience",
                     "billing", "@" + self.path("token.txt"))
        self.assertExit(result, EXIT_OK)
        self.assertNoToken(result, self.good)

    def test_verify_accepts_plain_jwks(self):  # WAPI-33: no "use" members
        result = run("jwt", "verify", "--bundle", self.path("jwks.json"), "--audience",
                     "billing", self.good)
        self.assertExit(result, EXIT_OK)
        self.assertNoToken(result, self.good)

    def test_verify_rejects_wrong_audience(self):  # JWT-08
        result = run("jwt", "verify", "--bundle", self.path("bundle.json"), "--audience",
                     "payroll", self.good)
        self.assertExit(result, EXIT_INVALID)
        self.assertIn("audience", result.stderr)
        self.assertNoToken(result, self.good)

    def test_verify_rejects_expired_token(self):  # JWT-10
        result = self.verify(self.expired)
        self.assertExit(result, EXIT_INVALID)
        self.assertIn("expired", result.stderr)

    def test_verify_rejects_key_not_in_bundle(self):  # JWT-12
        result = self.verify(self.forged)
        self.assertExit(result, EXIT_INVALID)
        self.assertIn("signature", result.stderr)

    def test_verify_rejects_tampered_signature(self):  # JWT-17
        result = self.verify(self.tampered)
        self.assertExit(result, EXIT_INVALID)
        self.assertIn("not valid", result.stderr)

    def test_verify_rejects_alg_none(self):  # JWT-02
        result = self.verify(self.alg_none)
        self.assertExit(result, EXIT_INVALID)
        self.assertIn("alg", result.stderr)

    def test_verify_pinned_trust_domain_refuses_other_trust_domain(self):  # JWT-12
        result = self.verify(self.other_td, "--trust-domain", "example.org")
        self.assertExit(result, EXIT_INVALID)
        self.assertIn("no bundle for trust domain other.org", result.stderr)

    def test_verify_json_failure_is_one_object(self):
        result = self.verify(self.expired, "--output", "json")
        self.assertExit(result, EXIT_INVALID)
        doc = self.json_of(result)
        self.assertFalse(doc["valid"])
        self.assertIn("expired", doc["error"])

    def test_verify_without_audience_is_usage_error(self):  # JWT-09
        result = run("jwt", "verify", "--bundle", self.path("bundle.json"), self.good)
        self.assertExit(result, EXIT_USAGE)
        self.assertIn("--audience", result.stderr)
        self.assertNoToken(result, self.good)

    def test_token_in_unexpected_place_is_not_echoed(self):
        result = run("jwt", "verify", "--bundle", self.path("bundle.json"), "--audience",
                     "billing", self.good, self.expired)
        self.assertExit(result, EXIT_USAGE)
        self.assertNoToken(result, self.good)
        self.assertNoToken(result, self.expired)

    def test_unreadable_bundle_is_usage_error(self):
        result = run("jwt", "verify", "--bundle", self.path("absent.json"), "--audience",
                     "billing", self.good)
        self.assertExit(result, EXIT_USAGE)
        self.assertNoToken(result, self.good)


# -------------------------------------------------------------------------------------------
class BundleConvertTest(SigilTestCase):
    @classmethod
    def make_fixtures(cls):
        d = cls.dir
        fixtures.make_ca(d, "root", "spiffe://example.org")
        fixtures.make_ca(d, "root2", "spiffe://example.org")
        fixtures.concat(d, "roots.pem", "root.pem", "root2.pem")
        fixtures.make_leaf(d, "web", "root", "URI:spiffe://example.org/web")
        cls.issuer = fixtures.JwtIssuer("key-1")
        fixtures.write_json(d, "mixed.json",
                            spiffe_bundle_doc(cls.path("root.pem"),
                                              jwt_keys=[cls.issuer.jwk()]))
        fixtures.write_json(d, "map.json", {"trust_domains": {
            "example.org": spiffe_bundle_doc(cls.path("root.pem")),
            "other.org": spiffe_bundle_doc(cls.path("root2.pem"))}})

    def convert(self, *args, stdin=None):
        return run("bundle", "convert", *args, stdin=stdin)

    def test_pem_to_spiffe_writes_x5c_of_each_ca(self):  # BUNDLE-08
        result = self.convert("--from", "pem", "--to", "spiffe", "--in", self.path("roots.pem"))
        self.assertExit(result, EXIT_OK)
        doc = json.loads(result.stdout)
        self.assertEqual([k["use"] for k in doc["keys"]], ["x509-svid", "x509-svid"])
        ders = [base64.b64decode(k["x5c"][0]) for k in doc["keys"]]
        self.assertEqual(ders, [cert_der(self.path("root.pem")), cert_der(self.path("root2.pem"))])
        self.assertTrue(all("kid" not in k for k in doc["keys"]))

    def test_spiffe_to_pem_round_trips_the_certificate(self):
        with open(self.path("mixed.json"), encoding="ascii") as f:
            result = self.convert("--from", "spiffe", "--to", "pem", stdin=f.read())
        self.assertExit(result, EXIT_OK)
        cert = x509.load_pem_x509_certificate(result.stdout.encode("ascii"))
        self.assertEqual(cert.public_bytes(serialization.Encoding.DER),
                         cert_der(self.path("root.pem")))
        self.assertIn("JWT authorities left out", result.stderr)

    def test_to_der_matches_openssl(self):
        out = self.path("out.der")
        result = self.convert("--from", "pem", "--to", "der", "--in", self.path("root.pem"),
                              "--out", out)
        self.assertExit(result, EXIT_OK)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), cert_der(self.path("root.pem")))

    def test_to_jwks_keeps_jwt_keys_without_use(self):  # WAPI-33
        result = self.convert("--from", "spiffe", "--to", "jwks", "--in", self.path("mixed.json"))
        self.assertExit(result, EXIT_OK)
        doc = json.loads(result.stdout)
        self.assertEqual([k["kid"] for k in doc["keys"]], ["key-1"])
        self.assertTrue(all("use" not in k for k in doc["keys"]))

    def test_to_map_needs_trust_domain(self):  # BUNDLE-12
        result = self.convert("--from", "pem", "--to", "map", "--in", self.path("root.pem"))
        self.assertExit(result, EXIT_USAGE)
        self.assertIn("--trust-domain", result.stderr)

    def test_to_map_is_keyed_by_trust_domain(self):  # BUNDLE-13
        result = self.convert("--from", "pem", "--to", "map", "--trust-domain", "example.org",
                              "--in", self.path("root.pem"))
        self.assertExit(result, EXIT_OK)
        doc = json.loads(result.stdout)
        self.assertEqual(list(doc["trust_domains"]), ["example.org"])

    def test_from_map_with_several_trust_domains_needs_trust_domain(self):
        result = self.convert("--from", "map", "--to", "pem", "--in", self.path("map.json"))
        self.assertExit(result, EXIT_USAGE)
        result = self.convert("--from", "map", "--to", "pem", "--in", self.path("map.json"),
                              "-t", "other.org")
        self.assertExit(result, EXIT_OK)
        cert = x509.load_pem_x509_certificate(result.stdout.encode("ascii"))
        self.assertEqual(cert.public_bytes(serialization.Encoding.DER),
                         cert_der(self.path("root2.pem")))

    def test_leaf_certificate_is_not_a_pem_bundle(self):
        result = self.convert("--from", "pem", "--to", "spiffe", "--in", self.path("web.pem"))
        self.assertExit(result, EXIT_INVALID)
        self.assertIn("not a CA", result.stderr)

    def test_malformed_spiffe_bundle_is_invalid(self):
        result = self.convert("--from", "spiffe", "--to", "pem",
                              stdin='{"keys": [], "keys": []}')
        self.assertExit(result, EXIT_INVALID)
        self.assertIn("duplicate", result.stderr)

    def test_pem_output_of_jwt_only_bundle_is_refused(self):
        fixtures.write_json(self.dir, "jwt_only.json", {"keys": [self.issuer.jwk()]})
        result = self.convert("--from", "spiffe", "--to", "pem", "--in",
                              self.path("jwt_only.json"))
        self.assertExit(result, EXIT_INVALID)
        self.assertIn("no X.509 authorities", result.stderr)

    def test_unknown_format_is_usage_error(self):
        result = self.convert("--from", "p12", "--to", "pem", "--in", self.path("root.pem"))
        self.assertExit(result, EXIT_USAGE)
        self.assertIn("p12", result.stderr)

    def test_json_summary_needs_out_file(self):
        result = self.convert("--output", "json", "--from", "pem", "--to", "spiffe", "--in",
                              self.path("root.pem"))
        self.assertExit(result, EXIT_USAGE)
        out = self.path("bundle_out.json")
        result = self.convert("--output", "json", "--from", "pem", "--to", "spiffe", "--in",
                              self.path("roots.pem"), "--out", out)
        self.assertExit(result, EXIT_OK)
        self.assertEqual(self.json_of(result)["x509_authorities"], 2)
        with open(out, encoding="ascii") as f:
            self.assertEqual(len(json.load(f)["keys"]), 2)


if __name__ == "__main__":
    SIGIL = os.path.abspath(sys.argv[1])
    unittest.main(argv=[sys.argv[0], "-v", *sys.argv[2:]])
