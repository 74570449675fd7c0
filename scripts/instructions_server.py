#!/usr/bin/env python3
"""Instructions per request of a whole server process (every thread, user space), counted by
valgrind's callgrind: the emulator's and the same-bytes baseline's for the same requests, so that
their difference is the emulator's own work, hyper and tokio included, in a figure that the
machine's other load does not move. Run by `scripts/instructions --server`.

Each server is started under callgrind, sent N requests from 4 keep-alive connections one at a
time each, and stopped; the count of a short run is taken from that of a long one, so that
start-up, the fixture's import and shutdown drop out. Standard library only.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the fixtures and credentials of the benchmark)

CONNECTIONS = 4


def counted(argv, make, count):
    """Instructions of the whole run of `argv` serving `count` requests made by `make(n)`."""
    with tempfile.NamedTemporaryFile(suffix=".callgrind") as out:
        process = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}"] + argv,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = process.stdout.readline().strip()
            if not line.startswith("listening on http://"):
                raise RuntimeError(f"{argv[0]} did not start: {line!r}")
            url = line.split(" ", 2)[2]
            answered = bench.send_over(url, count, make, CONNECTIONS, timeout=120)
            if answered != count:
                raise RuntimeError(f"{answered} of {count} requests answered as expected")
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=120)
    return int(re.search(r"Collected : (\d+)", err).group(1))


def per_request(argv, make, short, long):
    return (counted(argv, make, long) - counted(argv, make, short)) / (long - short)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--emulator", required=True)
    parser.add_argument("--baseline", required=True)
    parser.add_argument("--requests", type=int, default=3000, help="requests of the long run")
    args = parser.parse_args()
    short, long = args.requests // 3, args.requests
    app, clients = bench.APP, f"/config/{bench.APP}/clients"
    basic = {"Authorization": bench.BASIC}
    json_headers = {**basic, "Content-Type": "application/json"}
    form = {**basic, "Content-Type": "application/x-www-form-urlencoded"}
    query = "?has_feature=direct_read_access&has_feature=access_issuer"
    with tempfile.TemporaryDirectory(prefix="janrain-instructions-") as work:
        thousand = os.path.join(work, "thousand.json")
        bench.filtered_fixture(thousand, 1_000, 10)
        emulator = [args.emulator, "--listen", "127.0.0.1:0", "--import", thousand]
        calls = [
            ("GET /__emulator/health", ("GET", "/__emulator/health", None, {}, 200)),
            ("whole listing of 1,000", ("GET", clients, None, basic, 200)),
            ("filtered listing, 10 of 1,000", ("GET", clients + query, None, basic, 200)),
            ("Configuration API create", None),
            ("legacy /clients/add", ("POST", "/clients/add",
                                     "description=bench+client&features=%5B%22direct_access%22%5D", form, 200)),
        ]
        print(f"{'call':32} {'emulator':>10} {'same bytes':>10} {'own work':>10}")
        for name, fixed in calls:
            if fixed is None:
                def make(n):
                    return ("POST", clients, json.dumps({"name": f"counted {n}"}), json_headers, 201)
            else:
                def make(n, fixed=fixed):
                    return fixed
            # The answer's bytes, for the baseline to send.
            server = bench.Server(emulator)
            try:
                method, path, body, headers, _ = make(long + 1)
                sample = bench.request(method, server.url + path, body, headers)[1]
            finally:
                server.stop()
            answer = os.path.join(work, "answer.json")
            with open(answer, "wb") as out:
                out.write(sample)

            def same(n, make=make):
                method, path, body, headers, _ = make(n)
                return method, path, body, headers, 200

            ours = per_request(emulator, make, short, long)
            theirs = per_request([args.baseline, "127.0.0.1:0", answer], same, short, long)
            print(f"{name:32} {ours:>10,.0f} {theirs:>10,.0f} {ours - theirs:>10,.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
