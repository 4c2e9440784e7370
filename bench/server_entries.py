"""End-to-end figure for registration entries: a real `sigil-server run` on a scratch data
directory, entries created through the admin API by the real CLI (`entry create --file`, one
transaction per batch), and the server's resident memory before and after, read from
/proc/<pid>/status.

Usage: /usr/bin/python3 bench/server_entries.py PATH/TO/sigil-server
           [--entries 100000] [--batch 10000] [--singles 200]

Prints one line per figure. The server is always stopped (SIGTERM, then SIGKILL) at the end.
"""

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time

TD = "example.org"


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def cpu_seconds(pid):
    """User + system CPU time the process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(server_bin, *args, socket):
    return subprocess.run([server_bin, *args, "--socket", socket], capture_output=True,
                          text=True, timeout=600)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sigil_server")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--singles", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sigil-bench-") as tmp:
        data = os.path.join(tmp, "data")
        socket = os.path.join(data, "admin.sock")
        log = open(os.path.join(tmp, "server.log"), "wb")
        proc = subprocess.Popen([args.sigil_server, "run", "--trust-domain", TD, "--data-dir",
                                 data, "--bind-address", "127.0.0.1:0", "--log-level", "warn"],
                                stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 20
            while run(args.sigil_server, "healthcheck", socket=socket).returncode != 0:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("server did not start")
                time.sleep(0.1)
            rss_start = status_kib(proc.pid, "VmRSS")

            # Batch files are written before the clock starts.
            files = []
            for start in range(0, args.entries, args.batch):
                entries = [{"spiffe_id": f"spiffe://{TD}/bench/w{i}",
                            "parent_id": f"spiffe://{TD}/sigil/server",
                            "selectors": [f"unix:uid:{i}", "unix:gid:100"],
                            "owner": "bench"}
                           for i in range(start, min(start + args.batch, args.entries))]
                path = os.path.join(tmp, f"batch{start}.json")
                with open(path, "w") as f:
                    json.dump({"entries": entries}, f)
                files.append(path)

            began = time.monotonic()
            server_cpu_began = cpu_seconds(proc.pid)
            cli_cpu_began = children_cpu()
            for path in files:
                result = subprocess.run([args.sigil_server, "entry", "create", "--file", path,
                                         "--socket", socket, "--output", "json"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        text=True, timeout=600)
                if result.returncode != 0:
                    raise RuntimeError(f"entry create --file failed: {result.stderr}")
            batch_seconds = time.monotonic() - began
            batch_server_cpu = cpu_seconds(proc.pid) - server_cpu_began
            batch_cli_cpu = children_cpu() - cli_cpu_began

            count = json.loads(run(args.sigil_server, "entry", "count", "--output", "json",
                                   socket=socket).stdout)["count"]
            if count != args.entries:
                raise RuntimeError(f"expected {args.entries} entries, server counts {count}")
            rss_after = status_kib(proc.pid, "VmRSS")
            hwm_after = status_kib(proc.pid, "VmHWM")

            began = time.monotonic()
            shown = run(args.sigil_server, "entry", "show", "--output", "json", socket=socket)
            show_seconds = time.monotonic() - began
            listed = len(json.loads(shown.stdout)["entries"])

            began = time.monotonic()
            for i in range(args.singles):
                result = run(args.sigil_server, "entry", "create", "--spiffe-id",
                             f"spiffe://{TD}/bench/single{i}", "--node", "--selector",
                             f"unix:uid:{i}", socket=socket)
                if result.returncode != 0:
                    raise RuntimeError(f"entry create failed: {result.stderr}")
            single_seconds = time.monotonic() - began
            rss_end = status_kib(proc.pid, "VmRSS")
            db_bytes = sum(os.path.getsize(os.path.join(data, name))
                           for name in os.listdir(data) if name.startswith("datastore"))

            print(f"entries created by batch     : {args.entries} in {len(files)} batches of "
                  f"{args.batch}")
            print(f"batch create, end to end     : {batch_seconds:.2f} s "
                  f"({args.entries / batch_seconds:,.0f} entries/s)")
            print(f"  CPU: server {batch_server_cpu:.2f} s, CLI processes {batch_cli_cpu:.2f} s; "
                  f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
            print(f"entry show of all {listed} : {show_seconds:.2f} s")
            print(f"single creates (one CLI run each): {args.singles} in {single_seconds:.2f} s "
                  f"({1000 * single_seconds / max(args.singles, 1):.1f} ms each)")
            print(f"server RSS at start          : {rss_start / 1024:.1f} MiB")
            print(f"server RSS with entries      : {rss_after / 1024:.1f} MiB "
                  f"(peak {hwm_after / 1024:.1f} MiB)")
            print(f"server RSS at end            : {rss_end / 1024:.1f} MiB")
            print(f"database files               : {db_bytes / (1 << 20):.1f} MiB")
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
            log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
