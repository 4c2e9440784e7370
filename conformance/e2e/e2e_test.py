#!/usr/bin/python3
"""End to end: a real sigil-server and a real sigil-agent, driven only through their command
lines, as an operator and workloads use them.

Usage: e2e_test.py SIGIL_SERVER SIGIL_AGENT SIGIL [unittest args]

One scenario in ordered steps sharing one server and one agent: attestation with a join token,
entries for root (uid 0) and nobody (uid 65534) parented on the agent, X.509-SVIDs fetched
under each uid (each gets exactly its own identity, checked with `sigil x509 verify`), JWT-SVID
fetch and validation, rotation seen on a live `api watch` stream, the server killed (SIGKILL)
while workloads keep fetching valid SVIDs, the server restarted and new SVIDs flowing again,
the agent killed and restarted without attesting again. Every wait is bounded; every process
is stopped at the end whatever happens.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from datetime import datetime, timezone

SERVER, AGENT, SIGIL = (os.path.abspath(p) for p in sys.argv[1:4])
TD = "example.org"
NOBODY = 65534
# Short enough to see two rotations (at about half life) within the test, long enough that a
# slow machine still serves each SVID for a while.
ROTATING_TTL = "20s"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, predicate, timeout=30.0, interval=0.2):
    """Calls predicate until it returns a true value, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Cluster:
    """The processes and files of one scenario."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="sigil-e2e-")
        # Workloads running as nobody must reach the socket and the binary, and write output.
        os.chmod(self.root, 0o755)
        self.bin = os.path.join(self.root, "bin")
        os.mkdir(self.bin)
        self.agent_bin = shutil.copy(AGENT, os.path.join(self.bin, "sigil-agent"))
        self.sigil_bin = shutil.copy(SIGIL, os.path.join(self.bin, "sigil"))
        self.server_dir = os.path.join(self.root, "server")
        self.server_admin = os.path.join(self.server_dir, "admin.sock")
        self.agent_dir = os.path.join(self.root, "agent")
        self.socket = os.path.join(self.root, "public", "api.sock")
        self.port = free_port()
        self.server = None
        self.agent = None
        self.logs = []

    # ---- processes -------------------------------------------------------------------------

    def _log(self, name):
        f = open(os.path.join(self.root, name), "ab")
        self.logs.append(f)
        return f

    def start_server(self):
        self.server = subprocess.Popen(
            [SERVER, "run", "--trust-domain", TD, "--data-dir", self.server_dir,
             "--bind-address", f"127.0.0.1:{self.port}", "--socket-path", self.server_admin],
            stdout=subprocess.DEVNULL, stderr=self._log("server.log"))
        wait_until("the server's health check", lambda: self.server_cli(
            "healthcheck", check=False).returncode == 0)

    def agent_command(self, token, data_dir=None):
        cmd = [self.agent_bin, "run", "--server-address", f"127.0.0.1:{self.port}",
               "--trust-domain", TD, "--data-dir", data_dir or self.agent_dir,
               "--trust-bundle", os.path.join(self.root, "bootstrap.pem"),
               "--socket-path", self.socket]
        if token:
            cmd += ["--join-token", token]
        return cmd

    def start_agent(self, token):
        self.agent = subprocess.Popen(self.agent_command(token), stdout=subprocess.DEVNULL,
                                      stderr=self._log("agent.log"))
        wait_until("the agent's health check", self.agent_ready)

    def agent_ready(self):
        if self.agent.poll() is not None:
            raise AssertionError(f"sigil-agent exited with {self.agent.returncode}: "
                                 + self.read_log("agent.log")[-2000:])
        return subprocess.run(
            [self.agent_bin, "healthcheck", "--socket",
             os.path.join(self.agent_dir, "admin.sock")],
            capture_output=True, timeout=15).returncode == 0

    @staticmethod
    def stop(proc, sig=signal.SIGTERM):
        if proc is None or proc.poll() is not None:
            return None
        proc.send_signal(sig)
        try:
            return proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait(timeout=15)

    def close(self):
        self.stop(self.agent)
        self.stop(self.server)
        for f in self.logs:
            f.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def read_log(self, name):
        with open(os.path.join(self.root, name), encoding="utf-8", errors="replace") as f:
            return f.read()

    # ---- commands --------------------------------------------------------------------------

    def server_cli(self, *args, check=True):
        result = subprocess.run([SERVER, *args, "--socket", self.server_admin],
                                capture_output=True, text=True, timeout=30)
        if check and result.returncode != 0:
            raise AssertionError(f"sigil-server {args[0]} failed: {result.stderr}")
        return result

    def server_json(self, *args):
        return json.loads(self.server_cli(*args, "--output", "json").stdout)

    def workload(self, uid, *args, check=True, timeout=30):
        """Runs `sigil-agent api ...` as `uid` (root, or nobody through setpriv)."""
        cmd = [self.agent_bin, "api", *args, "--socket", self.socket]
        if uid != 0:
            cmd = ["setpriv", "--reuid", str(uid), "--regid", str(uid), "--clear-groups",
                   "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"api {' '.join(args[:2])} as uid {uid} failed: "
                                 f"{result.stderr}")
        return result

    def output_dir(self, name):
        path = os.path.join(self.root, name)
        os.makedirs(path, exist_ok=True)
        os.chmod(path, 0o777)
        return path

    def fetch_and_verify(self, uid, expected_id, name):
        """Fetches uid's X.509-SVIDs into a directory, checks there is exactly one, for
        `expected_id`, and that `sigil x509 verify` accepts it. Returns (serial, not_after)."""
        out = self.output_dir(name)
        result = wait_until(
            f"an X.509-SVID for uid {uid}",
            lambda: (lambda r: r if r.returncode == 0 and "SPIFFE ID:" in r.stdout else None)(
                self.workload(uid, "fetch", "x509", "--write", out, check=False)))
        ids = [line.split()[-1] for line in result.stdout.splitlines()
               if line.startswith("SPIFFE ID:")]
        if ids != [expected_id]:
            raise AssertionError(f"uid {uid} got {ids}, expected exactly [{expected_id}]")
        if os.stat(os.path.join(out, "svid.0.key")).st_mode & 0o777 != 0o600:
            raise AssertionError("svid.0.key is not mode 0600")
        verify = subprocess.run(
            [self.sigil_bin, "x509", "verify", "--trust-domain", TD, "--bundle",
             os.path.join(out, "bundle.0.pem"), "--expect-id", expected_id,
             os.path.join(out, "svid.0.pem")], capture_output=True, text=True, timeout=30)
        if verify.returncode != 0:
            raise AssertionError(f"sigil x509 verify refused {expected_id}: {verify.stderr}")
        serial = next(line.split()[-1] for line in result.stdout.splitlines()
                      if line.startswith("Serial:"))
        return serial

    def watch_serials(self, distinct, timeout):
        """Runs `api watch` as root until `distinct` different serials were seen (bounded by
        update count and time); returns [(serial, not_after)] in arrival order."""
        proc = subprocess.Popen([self.agent_bin, "api", "watch", "--socket", self.socket,
                                 "--count", "20"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen = []
        deadline = time.monotonic() + timeout
        try:
            for line in proc.stdout:
                parts = line.split()
                if len(parts) == 6 and parts[1] == "serial":
                    not_after = datetime.strptime(parts[5], "%Y-%m-%dT%H:%M:%SZ").replace(
                        tzinfo=timezone.utc)
                    if not seen or seen[-1][0] != parts[2]:
                        seen.append((parts[2], not_after, datetime.now(timezone.utc)))
                if len({s for s, _, _ in seen}) >= distinct or time.monotonic() > deadline:
                    break
        finally:
            proc.kill()
            proc.wait(timeout=15)
            proc.stdout.close()
            proc.stderr.close()
        for serial, not_after, received in seen:
            print(f"  serial {serial} received {received:%H:%M:%S} valid until "
                  f"{not_after:%H:%M:%S}", file=sys.stderr)
        return seen


class EndToEndTest(unittest.TestCase):
    """The steps run in name order and share one cluster."""

    c = None

    @classmethod
    def setUpClass(cls):
        cls.c = Cluster()
        try:
            cls.c.start_server()
            bundle = cls.c.server_cli("bundle", "show", "--format", "pem").stdout
            with open(os.path.join(cls.c.root, "bootstrap.pem"), "w", encoding="ascii") as f:
                f.write(bundle)
            token = cls.c.server_json("token", "generate")
            cls.token = token["token"]
            cls.agent_id = token["agent_id"]
            cls.c.start_agent(cls.token)
            for name, uid, ttl in (("root", 0, ROTATING_TTL), ("nobody", NOBODY, None)):
                args = ["entry", "create", "--parent-id", cls.agent_id,
                        "--spiffe-id", f"spiffe://{TD}/{name}", "--selector", f"unix:uid:{uid}"]
                if ttl:
                    args += ["--x509-svid-ttl", ttl]
                cls.c.server_cli(*args)
        except BaseException:
            cls.dump_logs()
            cls.c.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    @classmethod
    def dump_logs(cls):
        for name in ("server.log", "agent.log"):
            try:
                sys.stderr.write(f"--- {name} (tail) ---\n{cls.c.read_log(name)[-4000:]}\n")
            except OSError:
                pass

    def run(self, result=None):
        outcome = super().run(result)
        if result is not None and (result.failures or result.errors):
            self.dump_logs()
        return outcome

    def test_01_agent_attested_once_under_the_token_id(self):
        agents = self.c.server_json("agent", "list")
        ids = [a.get("spiffe_id") for a in (agents["agents"] if isinstance(agents, dict)
                                            else agents)]
        self.assertEqual(ids, [self.agent_id])

    def test_02_each_uid_gets_exactly_its_identity(self):
        self.c.fetch_and_verify(0, f"spiffe://{TD}/root", "root-svid")
        self.c.fetch_and_verify(NOBODY, f"spiffe://{TD}/nobody", "nobody-svid")

    def test_03_jwt_fetch_and_validate(self):
        token = self.c.workload(NOBODY, "fetch", "jwt", "--audience", "db").stdout.strip()
        self.assertEqual(token.count("."), 2)
        valid = self.c.workload(0, "validate", "jwt", "--audience", "db", "--svid", token)
        self.assertIn(f"SPIFFE ID: spiffe://{TD}/nobody", valid.stdout)
        wrong = self.c.workload(0, "validate", "jwt", "--audience", "other", "--svid", token,
                                check=False)
        self.assertNotEqual(wrong.returncode, 0)

    def test_04_rotation_on_a_live_stream(self):
        seen = self.c.watch_serials(distinct=2, timeout=60)
        serials = [s for s, _, _ in seen]
        self.assertGreaterEqual(len(set(serials)), 2, f"serials seen: {serials}")
        for serial, not_after, received in seen:
            self.assertGreater(not_after, received, f"{serial} arrived already expired")

    def test_05_server_killed_agent_keeps_serving(self):
        self.c.stop(self.c.server, signal.SIGKILL)
        # Workloads keep fetching for a while: every answer is a valid SVID.
        for _ in range(3):
            self.c.fetch_and_verify(NOBODY, f"spiffe://{TD}/nobody", "nobody-down")
            self.c.fetch_and_verify(0, f"spiffe://{TD}/root", "root-down")
            time.sleep(1)

    def test_06_server_restarted_new_svids_flow(self):
        before = self.c.fetch_and_verify(0, f"spiffe://{TD}/root", "root-before-restart")
        self.c.start_server()
        seen = self.c.watch_serials(distinct=2, timeout=90)
        self.assertTrue(any(s != before for s, _, _ in seen),
                        f"no new serial after the restart (had {before})")
        self.c.fetch_and_verify(0, f"spiffe://{TD}/root", "root-after-restart")

    def test_07_agent_restart_does_not_attest_again(self):
        self.c.stop(self.c.agent, signal.SIGKILL)
        self.c.start_agent(self.token)  # the token is spent: only the stored SVID can work
        self.assertIn("agent.resumed", self.c.read_log("agent.log"))
        self.c.fetch_and_verify(NOBODY, f"spiffe://{TD}/nobody", "nobody-after-agent")
        agents = self.c.server_json("agent", "list")
        self.assertEqual(len(agents["agents"] if isinstance(agents, dict) else agents), 1)

    def test_08_spent_token_cannot_attest_a_second_agent(self):
        other = os.path.join(self.c.root, "agent2")
        cmd = self.c.agent_command(self.token, data_dir=other)
        cmd[cmd.index("--socket-path") + 1] = os.path.join(self.c.root, "public2", "api.sock")
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 1)
        self.assertIn("works once", result.stderr)

    def test_09_sigterm_stops_the_agent_cleanly(self):
        self.assertEqual(self.c.stop(self.c.agent, signal.SIGTERM), 0)
        self.assertFalse(os.path.exists(self.c.socket))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], *sys.argv[4:]], verbosity=2)
