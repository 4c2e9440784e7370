"""Drives the real `sigil-server` as an operator would: starts `sigil-server run` on a scratch
data directory, then runs the CLI against its admin socket and checks exit statuses, output
and refusal messages (docs/cli-server.md). Certificates are checked with the `openssl` command,
JWT-SVIDs and bundles with the `sigil` tool.

Usage: server_cli_test.py SIGIL_SERVER SIGIL [unittest arguments, e.g. a test class name]

Every wait is bounded; every server started is stopped in teardown (SIGTERM, then SIGKILL).
"""

import json
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

SIGIL_SERVER = None
SIGIL = None
EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
TD = "example.org"
ALIAS = f"spiffe://{TD}/sigil/server"


class ServerProcess:
    """A `sigil-server run` child on its own data directory."""

    def __init__(self, data_dir, socket_path=None):
        self.data_dir = data_dir
        self.socket = socket_path or os.path.join(data_dir, "admin.sock")
        self.log_path = data_dir + ".log"
        self.proc = None

    def start(self):
        args = [SIGIL_SERVER, "run", "--trust-domain", TD, "--data-dir", self.data_dir,
                "--bind-address", "127.0.0.1:0"]
        if self.socket != os.path.join(self.data_dir, "admin.sock"):
            args += ["--socket-path", self.socket]
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sigil-server exited with {self.proc.returncode}: "
                                   f"{self.log_text()}")
            if os.path.exists(self.socket):
                probe = subprocess.run([SIGIL_SERVER, "healthcheck", "--socket", self.socket],
                                       capture_output=True, text=True, timeout=15)
                if probe.returncode == 0:
                    return
            time.sleep(0.05)
        self.kill()
        raise RuntimeError("sigil-server did not become healthy within 20 s: " + self.log_text())

    def log_text(self):
        self.log.flush()
        with open(self.log_path, "r", errors="replace") as f:
            return f.read()[-4000:]

    def terminate(self, timeout=15):
        """SIGTERM and the exit status; SIGKILL if it does not stop in time."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def close(self):
        self.terminate()
        self.kill()
        self.log.close()


class ServerTestCase(unittest.TestCase):
    """One server per test class, shared by its tests."""

    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="sigil-server-cli-")
        cls.dir = cls._tmp.name
        cls.server = ServerProcess(os.path.join(cls.dir, "data"))
        try:
            cls.server.start()
        except Exception:
            cls.server.close()
            cls._tmp.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        cls._tmp.cleanup()

    def cli(self, *args, stdin=None, socket=None, user=None):
        command = [SIGIL_SERVER, *args]
        if args and args[0] != "run":
            command += ["--socket", socket or self.server.socket]
        if user is not None:
            command = ["setpriv", "--reuid", str(user), "--regid", str(user), "--clear-groups",
                       *command]
        return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=120)

    def sigil(self, *args, stdin=None):
        return subprocess.run([SIGIL, *args], input=stdin, capture_output=True, text=True,
                              timeout=60)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)

    def assertExit(self, result, status):
        # Only stderr is shown: stdout may hold a token or a private key, stderr never does.
        self.assertEqual(result.returncode, status, f"stderr: {result.stderr!r}")

    def assertRefused(self, result, status, *fragments):
        self.assertExit(result, status)
        self.assertTrue(result.stderr.startswith("error: "), result.stderr)
        for fragment in fragments:
            self.assertIn(fragment, result.stderr)
        self.assertTrue(result.stdout == "", "a refusal prints nothing on stdout")

    def json_of(self, result):
        self.assertExit(result, EXIT_OK)
        return json.loads(result.stdout)

    def create(self, spiffe_id, *extra, parent=None, selector="unix:uid:1000"):
        args = ["entry", "create", "--spiffe-id", spiffe_id, "--selector", selector,
                "--output", "json", *extra]
        args += ["--parent-id", parent] if parent else ["--node"]
        return self.json_of(self.cli(*args))["entries"][0]

    def count(self, *filters):
        return self.json_of(self.cli("entry", "count", "--output", "json", *filters))["count"]


def openssl(*args, stdin=None):
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, text=True,
                          timeout=60)


# -------------------------------------------------------------------------------------------
class EntryTest(ServerTestCase):
    def test_create_prints_entry_like_spire(self):
        result = self.cli("entry", "create", "--spiffe-id", f"spiffe://{TD}/text",
                          "--node", "--selector", "unix:uid:1000", "--dns-name", "web.example.org",
                          "--x509-svid-ttl", "1h", "--jwt-svid-ttl", "300", "--owner", "team-a")
        self.assertExit(result, EXIT_OK)
        self.assertRegex(result.stdout, r"Entry ID\s+: [0-9a-f-]{36}\n")
        self.assertIn(f"SPIFFE ID        : spiffe://{TD}/text\n", result.stdout)
        self.assertIn(f"Parent ID        : {ALIAS}\n", result.stdout)
        self.assertIn("Revision         : 1\n", result.stdout)
        self.assertIn("X509-SVID TTL    : 1h\n", result.stdout)
        self.assertIn("JWT-SVID TTL     : 5m\n", result.stdout)
        self.assertIn("Selector         : unix:uid:1000\n", result.stdout)
        self.assertIn("DNS name         : web.example.org\n", result.stdout)
        self.assertIn("Owner            : team-a\n", result.stdout)

    def test_create_json_has_every_field(self):
        entry = self.create(f"spiffe://{TD}/full", "--federates-with", "partner.org",
                            "--admin", "--downstream", "--hint", "h", "--description", "d",
                            "--expires-at", "2099-01-01T00:00:00Z", "--entry-id", "full-entry")
        self.assertEqual(entry["id"], "full-entry")
        self.assertEqual(entry["federates_with"], ["partner.org"])
        self.assertTrue(entry["admin"])
        self.assertTrue(entry["downstream"])
        self.assertEqual(entry["hint"], "h")
        self.assertEqual(entry["description"], "d")
        self.assertEqual(entry["expires_at"], 4070908800)
        self.assertEqual(entry["selectors"], [{"type": "unix", "value": "uid:1000"}])

    def test_show_filters_by_each_field(self):
        parent = self.create(f"spiffe://{TD}/show-parent", "--owner", "show-owner")
        child = self.create(f"spiffe://{TD}/show-child", parent=parent["spiffe_id"],
                            selector="unix:gid:77")
        by_id = self.json_of(self.cli("entry", "show", "--entry-id", child["id"],
                                      "--output", "json"))["entries"]
        self.assertEqual([e["id"] for e in by_id], [child["id"]])
        for flags, expected in [
                (["--spiffe-id", f"spiffe://{TD}/show-child"], child["id"]),
                (["--parent-id", parent["spiffe_id"]], child["id"]),
                (["--selector", "unix:gid:77"], child["id"]),
                (["--owner", "show-owner"], parent["id"])]:
            shown = self.json_of(self.cli("entry", "show", "--output", "json", *flags))
            self.assertEqual([e["id"] for e in shown["entries"]], [expected], flags)
        text = self.cli("entry", "show", "--selector", "unix:gid:77")
        self.assertExit(text, EXIT_OK)
        self.assertTrue(text.stdout.startswith("Found 1 entry\n"), text.stdout)

    def test_show_of_unknown_id_fails(self):
        self.assertRefused(self.cli("entry", "show", "--entry-id", "no-such-entry"),
                           EXIT_FAILURE, "no entry with id no-such-entry")

    def test_update_changes_named_fields_only(self):
        entry = self.create(f"spiffe://{TD}/upd", "--owner", "before", "--dns-name", "a.example.org")
        result = self.cli("entry", "update", "--entry-id", entry["id"], "--owner", "after",
                          "--selector", "unix:uid:2000", "--output", "json")
        updated = self.json_of(result)["entries"][0]
        self.assertEqual(updated["id"], entry["id"])
        self.assertEqual(updated["revision"], 2)
        self.assertEqual(updated["owner"], "after")
        self.assertEqual(updated["selectors"], [{"type": "unix", "value": "uid:2000"}])
        self.assertEqual(updated["dns_names"], ["a.example.org"])
        self.assertEqual(updated["spiffe_id"], entry["spiffe_id"])

    def test_update_clears_list_with_empty_value(self):
        entry = self.create(f"spiffe://{TD}/upd-clear", "--dns-name", "b.example.org")
        updated = self.json_of(self.cli("entry", "update", "--entry-id", entry["id"],
                                        "--dns-name", "", "--output", "json"))["entries"][0]
        self.assertEqual(updated["dns_names"], [])

    def test_update_is_validated_and_writes_nothing_when_refused(self):
        entry = self.create(f"spiffe://{TD}/upd-bad")
        result = self.cli("entry", "update", "--entry-id", entry["id"], "--parent-id",
                          f"spiffe://{TD}/missing-parent")
        self.assertRefused(result, EXIT_FAILURE, "parent_id", "is unknown")
        shown = self.json_of(self.cli("entry", "show", "--entry-id", entry["id"],
                                      "--output", "json"))["entries"][0]
        self.assertEqual(shown["revision"], 1)

    def test_update_without_fields_is_usage_error(self):
        entry = self.create(f"spiffe://{TD}/upd-none")
        self.assertRefused(self.cli("entry", "update", "--entry-id", entry["id"]), EXIT_USAGE,
                           "nothing to update")

    def test_delete_removes_entry(self):
        entry = self.create(f"spiffe://{TD}/del")
        result = self.cli("entry", "delete", "--entry-id", entry["id"])
        self.assertExit(result, EXIT_OK)
        self.assertEqual(result.stdout, f"Deleted entry {entry['id']}\n")
        self.assertEqual(self.count("--spiffe-id", f"spiffe://{TD}/del"), 0)
        self.assertRefused(self.cli("entry", "delete", "--entry-id", entry["id"]), EXIT_FAILURE,
                           "no entry with id")

    def test_count_text_and_json(self):
        self.create(f"spiffe://{TD}/cnt", "--owner", "count-owner")
        result = self.cli("entry", "count", "--owner", "count-owner")
        self.assertExit(result, EXIT_OK)
        self.assertEqual(result.stdout, "1 registration entry\n")
        self.assertEqual(self.count("--owner", "count-owner"), 1)


# -------------------------------------------------------------------------------------------
class RefusalTest(ServerTestCase):
    """Every bad argument: refused, non-zero exit, the field and the rule named, nothing written."""

    def refuse(self, status, fragments, *flags, spiffe_id=None, parent=("--node",)):
        before = self.count()
        args = ["entry", "create", "--spiffe-id", spiffe_id or f"spiffe://{TD}/refused",
                *parent, *flags]
        if "--selector" not in flags:
            args += ["--selector", "unix:uid:1"]
        self.assertRefused(self.cli(*args), status, *fragments)
        self.assertEqual(self.count(), before, "a refused entry must not be written")

    # ID-05: uppercase in the trust domain is refused, not folded.
    def test_malformed_spiffe_id(self):
        self.refuse(EXIT_FAILURE, ["spiffe_id: trust domain has an uppercase letter"],
                    spiffe_id="spiffe://Example.org/web")

    # ID-11: no empty path segments.
    def test_spiffe_id_with_empty_segment(self):
        self.refuse(EXIT_FAILURE, ["spiffe_id: "], spiffe_id=f"spiffe://{TD}/a//b")

    # ID-23: the trust domain's own ID is never a workload identity.
    def test_trust_domain_id_as_spiffe_id(self):
        self.refuse(EXIT_FAILURE, ["spiffe_id", "needs a path"], spiffe_id=f"spiffe://{TD}")

    def test_spiffe_id_outside_trust_domain(self):
        self.refuse(EXIT_FAILURE,
                    ["spiffe_id spiffe://other.org/web is outside the server's trust domain "
                     "example.org"], spiffe_id="spiffe://other.org/web",
                    parent=("--parent-id", ALIAS))

    def test_selector_without_type(self):
        self.refuse(EXIT_USAGE, ['--selector: selector "uid1000" has no type: expected '
                                 'TYPE:VALUE'], "--selector", "uid1000")

    def test_negative_ttl(self):
        self.refuse(EXIT_USAGE, ["--x509-svid-ttl: negative duration"],
                    "--x509-svid-ttl", "-1h")
        self.refuse(EXIT_USAGE, ["--jwt-svid-ttl: negative duration"], "--jwt-svid-ttl=-5")

    def test_ttl_longer_than_ca_ttl(self):
        self.refuse(EXIT_FAILURE, ["x509_svid_ttl 90000s is longer than the CA TTL (86400s)"],
                    "--x509-svid-ttl", "25h")

    def test_malformed_ttl(self):
        self.refuse(EXIT_USAGE, ['--x509-svid-ttl: "soon" is not a duration'],
                    "--x509-svid-ttl", "soon")

    def test_unknown_parent(self):
        self.refuse(EXIT_FAILURE, [f"parent_id spiffe://{TD}/nobody is unknown: a parent must be "
                                   "an attested agent, another entry's spiffe_id, or "
                                   f"{ALIAS} for a node alias"],
                    parent=("--parent-id", f"spiffe://{TD}/nobody"))

    def test_malformed_parent(self):
        self.refuse(EXIT_FAILURE, ["parent_id: "], parent=("--parent-id", "spiffe://td/x?y"))

    def test_duplicate_entry_names_existing_one(self):
        first = self.create(f"spiffe://{TD}/dup", selector="unix:uid:5")
        self.refuse(EXIT_FAILURE, [f"entry {first['id']} already has the same spiffe_id, "
                                   "parent_id and selectors"],
                    "--selector", "unix:uid:5", spiffe_id=f"spiffe://{TD}/dup")

    def test_bad_dns_name(self):
        self.refuse(EXIT_FAILURE, ["dns_names[0] has a character outside [A-Za-z0-9-]"],
                    "--dns-name", "bad_name.example.org")

    def test_bad_federates_with(self):
        self.refuse(EXIT_FAILURE, ["federates_with[0]: "], "--federates-with", "Partner.org")

    def test_federating_with_own_trust_domain(self):
        self.refuse(EXIT_FAILURE, ["federates_with[0] example.org is the server's own trust "
                                   "domain"], "--federates-with", TD)

    def test_expires_at_in_the_past(self):
        self.refuse(EXIT_FAILURE, ["expires_at 2001-09-09T01:46:40Z is in the past"],
                    "--expires-at", "1000000000")

    def test_malformed_expires_at(self):
        self.refuse(EXIT_USAGE, ["--expires-at: ", "RFC 3339"], "--expires-at", "tomorrow")

    def test_missing_required_flags(self):
        self.assertRefused(self.cli("entry", "create", "--node", "--selector", "a:b"),
                           EXIT_USAGE, "--spiffe-id is required")
        self.assertRefused(self.cli("entry", "create", "--spiffe-id", f"spiffe://{TD}/x",
                                    "--selector", "a:b"), EXIT_USAGE,
                           "--parent-id or --node is required")
        self.assertRefused(self.cli("entry", "create", "--spiffe-id", f"spiffe://{TD}/x",
                                    "--node"), EXIT_USAGE, "--selector is required")

    def test_node_and_parent_together(self):
        result = self.cli("entry", "create", "--spiffe-id", f"spiffe://{TD}/x", "--node",
                          "--parent-id", ALIAS, "--selector", "a:b")
        self.assertExit(result, EXIT_USAGE)
        self.assertIn("excludes", result.stderr)

    def test_unknown_output_format(self):
        self.assertExit(self.cli("entry", "count", "--output", "yaml"), EXIT_USAGE)


# -------------------------------------------------------------------------------------------
class BatchTest(ServerTestCase):
    def entries_file(self, name, entries):
        return self.write(name, json.dumps({"entries": entries}))

    def test_file_creates_every_entry_in_order(self):
        path = self.entries_file("good.json", [
            {"spiffe_id": f"spiffe://{TD}/batch/child", "parent_id": f"spiffe://{TD}/batch/group",
             "selectors": ["unix:uid:1"], "x509_svid_ttl": "30m", "owner": "batch"},
            {"spiffe_id": f"spiffe://{TD}/batch/group", "parent_id": ALIAS,
             "selectors": [{"type": "unix", "value": "uid:2"}], "owner": "batch"},
            {"spiffe_id": f"spiffe://{TD}/batch/third", "parent_id": ALIAS,
             "selectors": ["unix:uid:3"], "owner": "batch", "expires_at": "2099-01-01T00:00:00Z"},
        ])
        created = self.json_of(self.cli("entry", "create", "--file", path, "--output", "json"))
        self.assertEqual([e["spiffe_id"] for e in created["entries"]],
                         [f"spiffe://{TD}/batch/child", f"spiffe://{TD}/batch/group",
                          f"spiffe://{TD}/batch/third"])
        self.assertEqual(created["entries"][0]["x509_svid_ttl"], 1800)
        self.assertEqual(self.count("--owner", "batch"), 3)

    def test_one_bad_entry_writes_nothing(self):
        before = self.count()
        path = self.entries_file("bad.json", [
            {"spiffe_id": f"spiffe://{TD}/atomic/{i}", "parent_id": ALIAS,
             "selectors": [f"unix:uid:{i}"]} for i in range(2)] + [
            {"spiffe_id": f"spiffe://{TD}/atomic/2", "parent_id": f"spiffe://{TD}/ghost",
             "selectors": ["unix:uid:2"]}])
        self.assertRefused(self.cli("entry", "create", "--file", path), EXIT_FAILURE,
                           "entries[2]: parent_id", "is unknown")
        self.assertEqual(self.count(), before)

    def test_duplicate_inside_file_writes_nothing(self):
        before = self.count()
        same = {"spiffe_id": f"spiffe://{TD}/twice", "parent_id": ALIAS, "selectors": ["a:b"]}
        path = self.entries_file("twice.json", [same, same])
        self.assertRefused(self.cli("entry", "create", "--file", path), EXIT_FAILURE, "entries[1]")
        self.assertEqual(self.count(), before)

    def test_malformed_file_is_usage_error(self):
        path = self.write("broken.json", '{"entries": [{"spiffe_id": "spiffe://example.org/x",')
        self.assertRefused(self.cli("entry", "create", "--file", path), EXIT_USAGE,
                           "--file", "entry file")
        path = self.entries_file("typo.json", [{"spife_id": "x"}])
        self.assertRefused(self.cli("entry", "create", "--file", path), EXIT_USAGE,
                           'entries[0]: unknown key "spife_id"')

    def test_file_with_entry_flags_is_usage_error(self):
        path = self.entries_file("f.json", [{"spiffe_id": "spiffe://example.org/y"}])
        self.assertRefused(self.cli("entry", "create", "--file", path, "--spiffe-id",
                                    f"spiffe://{TD}/z"), EXIT_USAGE, "--file")

    def test_missing_file(self):
        self.assertRefused(self.cli("entry", "create", "--file", self.path("absent.json")),
                           EXIT_USAGE, "cannot open")

    def test_show_output_feeds_back_as_file(self):
        self.create(f"spiffe://{TD}/roundtrip", "--owner", "rt", "--entry-id", "rt-1")
        shown = self.cli("entry", "show", "--owner", "rt", "--output", "json")
        self.assertExit(shown, EXIT_OK)
        doc = json.loads(shown.stdout)
        doc["entries"][0]["id"] = "rt-2"
        doc["entries"][0]["spiffe_id"] = f"spiffe://{TD}/roundtrip2"
        path = self.write("rt.json", json.dumps(doc))
        self.assertExit(self.cli("entry", "create", "--file", path), EXIT_OK)
        self.assertEqual(self.count("--owner", "rt"), 2)

    def test_file_from_stdin(self):
        doc = json.dumps({"entries": [{"spiffe_id": f"spiffe://{TD}/stdin", "parent_id": ALIAS,
                                       "selectors": ["unix:uid:9"]}]})
        self.assertExit(self.cli("entry", "create", "--file", "-", stdin=doc), EXIT_OK)
        self.assertEqual(self.count("--spiffe-id", f"spiffe://{TD}/stdin"), 1)


# -------------------------------------------------------------------------------------------
class TokenAndAgentTest(ServerTestCase):
    def test_token_text_output(self):
        result = self.cli("token", "generate")
        self.assertExit(result, EXIT_OK)
        match = re.match(r"Token: ([0-9a-f]{40})\nAgent ID: (spiffe://example.org/sigil/agent/"
                         r"join_token/[0-9a-f]{32})\nExpires at: \S+Z\n$", result.stdout)
        self.assertIsNotNone(match, "unexpected token output shape")
        token, agent_id = match.group(1), match.group(2)
        # Compared, never printed: a failure message must not show a token.
        self.assertFalse(token in agent_id, "the agent ID must not reveal the token")

    def test_token_json_output(self):
        before = int(time.time())
        doc = self.json_of(self.cli("token", "generate", "--ttl", "1h", "--output", "json"))
        self.assertTrue(re.fullmatch(r"[0-9a-f]{40}", doc["token"]),
                        "token is not 40 lowercase hex characters")
        self.assertTrue(before + 3600 <= doc["expires_at"] <= before + 3605)

    def test_tokens_are_not_in_the_server_log(self):
        doc = self.json_of(self.cli("token", "generate", "--output", "json"))
        self.assertFalse(doc["token"] in self.server.log_text(), "the token is in the log")

    def test_token_with_spiffe_id_makes_node_alias(self):
        doc = self.json_of(self.cli("token", "generate", "--spiffe-id", f"spiffe://{TD}/east",
                                    "--output", "json"))
        alias = self.json_of(self.cli("entry", "show", "--entry-id", doc["alias_entry_id"],
                                      "--output", "json"))["entries"][0]
        self.assertEqual(alias["spiffe_id"], f"spiffe://{TD}/east")
        self.assertEqual(alias["parent_id"], ALIAS)
        token_id = doc["agent_id"].rsplit("/", 1)[1]
        self.assertEqual(alias["selectors"], [{"type": "join_token", "value": token_id}])
        # Entries can now be parented on the alias before any agent joins.
        self.create(f"spiffe://{TD}/east/web", parent=f"spiffe://{TD}/east")

    def test_token_refusals(self):
        self.assertRefused(self.cli("token", "generate", "--ttl", "-1m"), EXIT_USAGE,
                           "--ttl: negative duration")
        self.assertRefused(self.cli("token", "generate", "--spiffe-id", "spiffe://other.org/x"),
                           EXIT_FAILURE, "outside the server's trust domain")

    def test_agent_commands_on_empty_server(self):
        result = self.cli("agent", "list")
        self.assertExit(result, EXIT_OK)
        self.assertEqual(result.stdout, "Found 0 attested agents\n")
        self.assertEqual(self.json_of(self.cli("agent", "count", "--output", "json")),
                         {"count": 0})
        missing = f"spiffe://{TD}/sigil/agent/join_token/00"
        for verb in ("show", "evict", "ban"):
            self.assertRefused(self.cli("agent", verb, "--spiffe-id", missing), EXIT_FAILURE,
                               f"no attested node {missing}")
        self.assertRefused(self.cli("agent", "show", "--spiffe-id", "not-an-id"), EXIT_FAILURE,
                           "spiffe_id: ")
        self.assertExit(self.cli("agent", "show"), EXIT_USAGE)


# -------------------------------------------------------------------------------------------
class BundleTest(ServerTestCase):
    def partner_ca(self):
        key, cert = self.path("partner.key"), self.path("partner.pem")
        made = openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                       "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                       "-subj", "/O=Partner/CN=partner root",
                       "-addext", "subjectAltName=URI:spiffe://partner.org",
                       "-addext", "basicConstraints=critical,CA:TRUE",
                       "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        self.assertEqual(made.returncode, 0, made.stderr)
        return cert

    def test_show_pem_is_the_ca_certificate(self):
        result = self.cli("bundle", "show")
        self.assertExit(result, EXIT_OK)
        text = openssl("x509", "-noout", "-text", stdin=result.stdout)
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertIn("URI:spiffe://example.org", text.stdout)
        self.assertIn("CA:TRUE", text.stdout)
        self.assertIn("Certificate Sign", text.stdout)

    def test_show_spiffe_matches_pem_through_sigil_convert(self):
        spiffe = self.cli("bundle", "show", "--format", "spiffe")
        self.assertExit(spiffe, EXIT_OK)
        doc = json.loads(spiffe.stdout)
        uses = sorted(key["use"] for key in doc["keys"])
        self.assertEqual(uses, ["jwt-svid", "x509-svid"])
        self.assertGreaterEqual(doc["spiffe_sequence"], 1)
        converted = self.sigil("bundle", "convert", "--from", "spiffe", "--to", "pem",
                               stdin=spiffe.stdout)
        self.assertEqual(converted.returncode, 0, converted.stderr)
        self.assertEqual(converted.stdout, self.cli("bundle", "show").stdout)

    def test_set_list_show_delete_federated_bundle(self):
        cert = self.partner_ca()
        result = self.cli("bundle", "set", "--id", "partner.org", "--path", cert)
        self.assertExit(result, EXIT_OK)
        self.assertEqual(result.stdout, "Bundle set for partner.org (sequence number 1)\n")
        listed = self.json_of(self.cli("bundle", "list", "--output", "json"))
        self.assertEqual([b["trust_domain"] for b in listed["bundles"]], ["partner.org"])
        with open(cert) as f:
            self.assertEqual(self.cli("bundle", "show", "--id", "partner.org").stdout, f.read())
        as_spiffe = self.cli("bundle", "list", "--id", "spiffe://partner.org", "--format", "spiffe")
        self.assertEqual(json.loads(as_spiffe.stdout)["keys"][0]["use"], "x509-svid")
        self.assertExit(self.cli("bundle", "delete", "--id", "partner.org"), EXIT_OK)
        self.assertRefused(self.cli("bundle", "show", "--id", "partner.org"), EXIT_FAILURE,
                           "no bundle for trust domain partner.org")

    def test_set_from_stdin_in_spiffe_format(self):
        cert = self.partner_ca()
        converted = self.sigil("bundle", "convert", "--from", "pem", "--to", "spiffe", "--in", cert)
        self.assertEqual(converted.returncode, 0, converted.stderr)
        result = self.cli("bundle", "set", "--id", "stdin.org", "--format", "spiffe",
                          stdin=converted.stdout)
        self.assertExit(result, EXIT_OK)
        self.assertExit(self.cli("bundle", "delete", "--id", "stdin.org"), EXIT_OK)

    def test_set_refusals(self):
        cert = self.partner_ca()
        self.assertRefused(self.cli("bundle", "set", "--id", TD, "--path", cert), EXIT_FAILURE,
                           "trust_domain example.org is the server's own")
        bad = self.write("bad-bundle.json", '{"keys": "nope"}')
        self.assertRefused(self.cli("bundle", "set", "--id", "bad.org", "--format", "spiffe",
                                    "--path", bad), EXIT_FAILURE, "document: ")
        self.assertRefused(self.cli("bundle", "set", "--id", "Bad.org", "--path", cert),
                           EXIT_FAILURE, "trust_domain: ")
        self.assertRefused(self.cli("bundle", "delete", "--id", TD), EXIT_FAILURE,
                           "is the server's own")
        self.assertExit(self.cli("bundle", "show", "--format", "der"), EXIT_USAGE)


# -------------------------------------------------------------------------------------------
class SvidTest(ServerTestCase):
    # X509-01, X509-13: one URI SAN; the chain validates with openssl against the bundle.
    def test_x509_mint_write_verifies_with_openssl(self):
        out = self.path("svid")
        result = self.cli("x509", "mint", "--spiffe-id", f"spiffe://{TD}/minted", "--ttl", "10m",
                          "--dns-name", "minted.example.org", "--write", out)
        self.assertExit(result, EXIT_OK)
        svid, key, bundle = (os.path.join(out, n) for n in ("svid.pem", "key.pem", "bundle.pem"))
        verify = openssl("verify", "-CAfile", bundle, svid)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        text = openssl("x509", "-in", svid, "-noout", "-text").stdout
        self.assertIn(f"URI:spiffe://{TD}/minted", text)
        self.assertIn("DNS:minted.example.org", text)
        cert_key = openssl("x509", "-in", svid, "-noout", "-pubkey").stdout
        own_key = openssl("pkey", "-in", key, "-pubout").stdout
        self.assertEqual(cert_key, own_key, "the SVID must certify the key written beside it")
        end = openssl("x509", "-in", svid, "-noout", "-checkend", "660")
        self.assertNotEqual(end.returncode, 0, "a 10m SVID must expire within 11 minutes")
        self.assertEqual(sorted(os.listdir(out)), ["bundle.pem", "key.pem", "svid.pem"])

    def test_x509_mint_prints_pems_without_write(self):
        result = self.cli("x509", "mint", "--spiffe-id", f"spiffe://{TD}/printed")
        self.assertExit(result, EXIT_OK)
        # Checked without printing stdout, which holds a private key.
        self.assertTrue(result.stdout.startswith("X509-SVID:\n-----BEGIN CERTIFICATE-----"),
                        "no X509-SVID section first")
        self.assertTrue("\nPrivate key:\n-----BEGIN PRIVATE KEY-----" in result.stdout,
                        "no private key section")
        self.assertTrue("\nRoot CAs:\n-----BEGIN CERTIFICATE-----" in result.stdout,
                        "no root CA section")

    def test_x509_mint_refusals_write_nothing(self):
        out = self.path("never")
        self.assertRefused(self.cli("x509", "mint", "--spiffe-id", "spiffe://other.org/x",
                                    "--write", out), EXIT_FAILURE, "outside the server's trust")
        self.assertRefused(self.cli("x509", "mint", "--spiffe-id", f"spiffe://{TD}/x",
                                    "--ttl", "48h", "--write", out), EXIT_FAILURE,
                           "longer than the CA TTL")
        self.assertRefused(self.cli("x509", "mint", "--spiffe-id", f"spiffe://{TD}/x",
                                    "--ttl", "-1s", "--write", out), EXIT_USAGE, "--ttl: negative")
        self.assertFalse(os.path.exists(out))

    # JWT-08, JWT-12: the audience is checked; the key comes from the own trust domain's bundle.
    def test_jwt_mint_prints_only_a_token_that_sigil_verifies(self):
        result = self.cli("jwt", "mint", "--spiffe-id", f"spiffe://{TD}/jwt", "--audience", "pay")
        self.assertExit(result, EXIT_OK)
        token = result.stdout
        self.assertTrue(re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n", token),
                        "stdout is not exactly one compact JWT and a newline")
        bundle = self.write("jwt-bundle.json",
                            self.cli("bundle", "show", "--format", "spiffe").stdout)
        verify = self.sigil("jwt", "verify", "--bundle", bundle, "--audience", "pay",
                            "--trust-domain", TD, "--output", "json", "-", stdin=token)
        self.assertEqual(verify.returncode, 0, verify.stderr)
        doc = json.loads(verify.stdout)
        self.assertEqual(doc["spiffe_id"], f"spiffe://{TD}/jwt")
        wrong = self.sigil("jwt", "verify", "--bundle", bundle, "--audience", "other", "-",
                           stdin=token)
        self.assertEqual(wrong.returncode, 1)
        self.assertFalse(token.strip() in self.server.log_text(), "the token is in the log")

    def test_jwt_mint_refusals(self):
        self.assertExit(self.cli("jwt", "mint", "--spiffe-id", f"spiffe://{TD}/x"), EXIT_USAGE)
        self.assertRefused(self.cli("jwt", "mint", "--spiffe-id", f"spiffe://{TD}/x/",
                                    "--audience", "a"), EXIT_FAILURE, "spiffe_id: ")
        self.assertRefused(self.cli("jwt", "mint", "--spiffe-id", f"spiffe://{TD}/x",
                                    "--audience", ""), EXIT_FAILURE, "audience[0] is empty")


# -------------------------------------------------------------------------------------------
class AuthorityTest(ServerTestCase):
    def authorities(self, kind):
        doc = self.json_of(self.cli("authority", "show", "--type", kind, "--output", "json"))
        return doc["authorities"]

    def test_show_lists_one_active_authority_of_each_type(self):
        result = self.cli("authority", "show")
        self.assertExit(result, EXIT_OK)
        self.assertIn("X.509 authorities:", result.stdout)
        self.assertIn("JWT authorities:", result.stdout)
        for kind in ("x509", "jwt"):
            states = [a["state"] for a in self.authorities(kind)]
            self.assertIn("active", states)

    def test_prepare_activate_taint_revoke_x509(self):
        old = [a for a in self.authorities("x509") if a["state"] == "active"][0]
        prepared = self.json_of(self.cli("authority", "prepare", "--type", "x509",
                                         "--output", "json"))
        self.assertEqual(prepared["state"], "prepared")
        # A prepared authority is in the bundle before it signs anything.
        pem = self.cli("bundle", "show").stdout
        self.assertEqual(pem.count("BEGIN CERTIFICATE"), 2)
        activated = self.cli("authority", "activate", "--type", "x509", "--id", prepared["id"])
        self.assertExit(activated, EXIT_OK)
        self.assertTrue(activated.stdout.startswith(f"Activated x509 authority {prepared['id']}"))
        states = {a["id"]: a["state"] for a in self.authorities("x509")}
        self.assertEqual(states[old["id"]], "old")
        self.assertEqual(states[prepared["id"]], "active")
        # New SVIDs chain to the new CA.
        out = self.path("after-rotation")
        self.assertExit(self.cli("x509", "mint", "--spiffe-id", f"spiffe://{TD}/r",
                                 "--write", out), EXIT_OK)
        issuer = openssl("x509", "-in", os.path.join(out, "svid.pem"), "-noout", "-ext",
                         "authorityKeyIdentifier").stdout.replace(":", "").lower()
        self.assertIn(prepared["id"], issuer)
        self.assertRefused(self.cli("authority", "revoke", "--type", "x509", "--id", old["id"]),
                           EXIT_FAILURE, "taint")
        tainted = self.json_of(self.cli("authority", "taint", "--type", "x509", "--id", old["id"],
                                        "--output", "json"))
        self.assertTrue(tainted["tainted"])
        self.assertExit(self.cli("authority", "revoke", "--type", "x509", "--id", old["id"]),
                        EXIT_OK)
        self.assertNotIn(old["id"], [a["id"] for a in self.authorities("x509")])
        self.assertEqual(self.cli("bundle", "show").stdout.count("BEGIN CERTIFICATE"), 1)

    def test_jwt_rotation_and_refusals(self):
        active = [a for a in self.authorities("jwt") if a["state"] == "active"][0]
        self.assertRefused(self.cli("authority", "activate", "--type", "jwt"), EXIT_FAILURE,
                           "prepare")
        self.assertRefused(self.cli("authority", "revoke", "--type", "jwt", "--id", active["id"]),
                           EXIT_FAILURE, "active")
        self.assertExit(self.cli("authority", "prepare", "--type", "jwt"), EXIT_OK)
        self.assertRefused(self.cli("authority", "prepare", "--type", "jwt"), EXIT_FAILURE,
                           "prepared")
        self.assertExit(self.cli("authority", "activate", "--type", "jwt"), EXIT_OK)
        self.assertExit(self.cli("authority", "prepare", "--type", "rsa"), EXIT_USAGE)
        self.assertExit(self.cli("authority", "prepare"), EXIT_USAGE)


# -------------------------------------------------------------------------------------------
class LifecycleTest(unittest.TestCase):
    """Its own servers: stopping, restarting and who may use the socket."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="sigil-server-life-")
        self.dir = self._tmp.name
        os.chmod(self.dir, 0o755)
        self.servers = []

    def tearDown(self):
        for server in self.servers:
            server.close()
        self._tmp.cleanup()

    def start(self, **kwargs):
        server = ServerProcess(os.path.join(self.dir, "data"), **kwargs)
        self.servers.append(server)
        server.start()
        return server

    def cli(self, server, *args, user=None):
        command = [SIGIL_SERVER, *args, "--socket", server.socket]
        if user is not None:
            command = ["setpriv", "--reuid", str(user), "--regid", str(user), "--clear-groups",
                       *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=60)

    def test_sigterm_stops_cleanly_and_restart_keeps_entries(self):
        server = self.start()
        created = self.cli(server, "entry", "create", "--spiffe-id", f"spiffe://{TD}/kept",
                           "--node", "--selector", "unix:uid:1", "--output", "json")
        self.assertEqual(created.returncode, 0, created.stderr)
        entry_id = json.loads(created.stdout)["entries"][0]["id"]
        bundle_before = self.cli(server, "bundle", "show").stdout
        self.assertEqual(server.terminate(), 0, server.log_text())
        self.assertFalse(os.path.exists(server.socket), "the socket must be removed on exit")
        self.assertIn("server.stopped", server.log_text())

        again = self.start()
        shown = self.cli(again, "entry", "show", "--entry-id", entry_id, "--output", "json")
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertEqual(json.loads(shown.stdout)["entries"][0]["spiffe_id"],
                         f"spiffe://{TD}/kept")
        # The disk key manager keeps the CA across restarts.
        self.assertEqual(self.cli(again, "bundle", "show").stdout, bundle_before)

    def test_admin_socket_is_owner_only(self):
        # The socket sits in a directory anyone may enter, so only its own mode protects it.
        socket_dir = os.path.join(self.dir, "sock")
        os.mkdir(socket_dir, 0o755)
        os.chmod(socket_dir, 0o755)
        server = self.start(socket_path=os.path.join(socket_dir, "admin.sock"))
        self.assertEqual(stat.S_IMODE(os.stat(server.socket).st_mode), 0o600)
        denied = self.cli(server, "entry", "count", user=65534)
        self.assertEqual(denied.returncode, EXIT_FAILURE, denied.stderr)
        self.assertIn("Permission denied", denied.stderr)
        token = self.cli(server, "token", "generate", user=65534)
        self.assertEqual(token.returncode, EXIT_FAILURE)
        self.assertTrue(token.stdout == "", "a refused token generate printed something")
        self.assertEqual(self.cli(server, "entry", "count").returncode, 0)

    def test_unreachable_server_names_the_socket(self):
        missing = os.path.join(self.dir, "nowhere.sock")
        result = subprocess.run([SIGIL_SERVER, "entry", "count", "--socket", missing],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, EXIT_FAILURE)
        self.assertIn(f"cannot reach sigil-server at {missing}", result.stderr)

    def test_usage_errors(self):
        for args in ([], ["entry"], ["entry", "frobnicate"], ["entry", "count", "--bogus"]):
            result = subprocess.run([SIGIL_SERVER, *args], capture_output=True, text=True,
                                    timeout=60)
            self.assertEqual(result.returncode, EXIT_USAGE, args)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: server_cli_test.py SIGIL_SERVER SIGIL [unittest args]")
    SIGIL_SERVER, SIGIL = sys.argv[1], sys.argv[2]
    unittest.main(argv=[sys.argv[0], *sys.argv[3:]], verbosity=2)
