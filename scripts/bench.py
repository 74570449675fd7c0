#!/usr/bin/env python3
"""The emulator's benchmark, side by side with a minimal hyper server (see scripts/bench).

Every server runs on loopback on a port of its own; wrk drives it with fixed connections for a
bounded time. Prints one table and the other figures; --json writes them to a file as well.
Standard library only.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

APP = "emulatorapp000000000000001"
OWNER = ("emulatorowner0000000000000000001", "emulatorsecret000000000000000001")
BASIC = "Basic " + base64.b64encode(f"{OWNER[0]}:{OWNER[1]}".encode()).decode()


class Server:
    """A server process started on 127.0.0.1:0; stopped with SIGTERM."""

    def __init__(self, argv, stderr=subprocess.DEVNULL):
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr, text=True)
        self.url = self._address(argv)
        # With --https-listen, a second line gives the TLS listener's address.
        self.https_url = self._address(argv) if "--https-listen" in argv else None

    def _address(self, argv):
        line = self.process.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"{argv[0]} did not start: {line!r}")
        return line[len("listening on "):]

    def rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def request(method, url, body=None, headers=None):
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as response:
        return response.status, response.read()


LUA_COMMON = """
local counter = 0
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
"""

LUA_UNIQUE_CREATE = LUA_COMMON + """
wrk.method = "POST"
wrk.headers["Authorization"] = "{basic}"
wrk.headers["Content-Type"] = "application/json"
function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, string.format('{{"name":"bench-%s-%d-%d"}}', "{tag}", tid, counter))
end
"""

LUA_FIXED = """
wrk.method = "{method}"
{headers}
wrk.body = {body}
"""


def lua_fixed(method, headers, body=None):
    lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    return LUA_FIXED.format(method=method, headers=lines, body=json.dumps(body) if body else "nil")


def cpu_seconds(pid):
    """User and system CPU seconds the process `pid` has used so far, all its threads."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / ticks, int(fields[12]) / ticks


def run_wrk(url, script, args, server=None):
    """Runs wrk; returns requests per second, p50 and p99 in milliseconds, and failures; with
    `server` (a `Server`), also the CPU time it spent per request, in microseconds, user and
    system apart: a figure that the machine's other load moves far less than throughput."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    before = cpu_seconds(server.process.pid) if server else None
    try:
        out = subprocess.run(
            ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.duration}s",
             "--latency", "-s", lua.name, url],
            capture_output=True, text=True, timeout=args.duration + 60, check=True,
        ).stdout
    finally:
        os.unlink(lua.name)
    after = cpu_seconds(server.process.pid) if server else None

    def latency(percent):
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    row = {
        "rps": rps,
        "requests": requests,
        "p50_ms": latency(50),
        "p99_ms": latency(99),
        "non_2xx": int(failed.group(1)) if failed else 0,
        "socket_errors": errors.group(0) if errors else None,
    }
    if server:
        row["cpu_user_us"] = (after[0] - before[0]) * 1e6 / requests
        row["cpu_system_us"] = (after[1] - before[1]) * 1e6 / requests
    return row


def signed_list_headers():
    date = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    text = f"/clients/list\n{date}\n"
    digest = hmac.new(OWNER[1].encode(), text.encode(), hashlib.sha1).digest()
    return {"Authorization": f"Signature {OWNER[0]}:{base64.b64encode(digest).decode()}", "Date": date}


def timed_sequence(url, count, request):
    """Median and 99th percentile, in ms, of `count` requests sent one at a time on one
    connection; `request(n)` gives the n-th as (method, path, body, headers, expected status)."""
    import http.client
    from urllib.parse import urlsplit

    connection = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port, timeout=30)
    times = []
    for n in range(count):
        method, path, body, headers, expected = request(n)
        started = time.perf_counter()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status == expected, response.status
    connection.close()
    times.sort()
    return {"p50_ms": statistics.median(times), "p99_ms": times[int(len(times) * 0.99)]}


def timed_creates(url, count, tag):
    """Sequential Configuration API creates (see `timed_sequence`)."""
    headers = {"Authorization": BASIC, "Content-Type": "application/json"}
    return timed_sequence(url, count, lambda n: (
        "POST", f"/config/{APP}/clients", json.dumps({"name": f"{tag}-{n}"}), headers, 201))


def send_over(url, count, make, workers=4, timeout=30):
    """Sends requests 0 to `count` - 1 over `workers` keep-alive connections, one at a time on
    each (worker w sends w, w + workers, ...); `make(n)` gives the n-th as (method, path, body,
    headers, expected status). Returns how many were answered as expected: a worker stops at the
    first that is not."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    host, port = urlsplit(url).hostname, urlsplit(url).port
    answered = [0] * workers

    def work(worker):
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        for n in range(worker, count, workers):
            method, path, body, headers, expected = make(n)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            assert response.status == expected, (method, path, response.status)
            answered[worker] += 1
        connection.close()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(answered)


def grow(url, count, tag, workers=4):
    """Creates `count` clients over keep-alive connections; returns how many were created."""
    headers = {"Authorization": BASIC, "Content-Type": "application/json"}
    return send_over(url, count, lambda n: (
        "POST", f"/config/{APP}/clients", json.dumps({"name": f"{tag}-{n}"}), headers, 201), workers)


def timed_apps(url, count):
    """Sequential `POST /__emulator/apps` (see `timed_sequence`)."""
    return timed_sequence(url, count, lambda n: ("POST", "/__emulator/apps", None, {}, 201))


WRONG_BASIC = "Basic " + base64.b64encode(f"{OWNER[0]}:not-the-secret".encode()).decode()


def failing_call(n):
    """The n-th of a mix of failing calls, each of which writes a log line at the default level:
    a legacy call without credentials, a Configuration API call with a wrong secret."""
    if n % 2:
        return ("GET", f"/config/{APP}/clients", None, {"Authorization": WRONG_BASIC}, 401)
    return ("POST", "/clients/list", None, {}, 200)


def log_stalls(args, emulator, results):
    """Failing calls (each logs a line) with standard error sent nowhere, a pipe nobody reads
    and a closed pipe: 2,000 one at a time, then wrk's load, with the lines dropped."""
    rows = []
    for name, how in (("stderr to /dev/null", "null"), ("stderr a pipe nobody reads", "unread"),
                      ("stderr a closed pipe", "closed")):
        server = Server(emulator, stderr=subprocess.DEVNULL if how == "null" else subprocess.PIPE)
        try:
            if how == "closed":
                server.process.stderr.close()
            row = timed_sequence(server.url, 2000, failing_call)
            row["load"] = run_wrk(server.url + "/clients/list", lua_fixed("POST", {}), args)
            info = json.loads(request("GET", server.url + "/__emulator/info")[1])
            row["dropped_lines"] = info["log"]["dropped_lines"]
            rows.append((name, row))
        finally:
            server.stop()
    results["log_stalls"] = dict(rows)
    return rows


def tls_call(context, address, name, path, headers=""):
    """One new TLS connection to `address` asking for `name` (SNI), one GET of `path` on it, read
    to its end; the time it took, in ms."""
    import socket

    started = time.perf_counter()
    with socket.create_connection(address) as raw:
        with context.wrap_socket(raw, server_hostname=name) as tls:
            tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {name}\r\n{headers}Connection: close\r\n\r\n".encode())
            answer = b""
            while chunk := tls.recv(65536):
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    return (time.perf_counter() - started) * 1000


def percentiles(times):
    times = sorted(times)
    return {"p50_ms": statistics.median(times), "p99_ms": times[int(len(times) * 0.99) - 1], "count": len(times)}


def tls_figures(args, emulator, work, results):
    """The TLS listener: a new connection plus one call, the cost of a first leaf for a new
    name, and keep-alive throughput against plain HTTP on the same emulator."""
    import ssl

    server = Server(emulator + ["--https-listen", "127.0.0.1:0"])
    try:
        for n in range(9):
            request("POST", server.url + f"/config/{APP}/clients", json.dumps({"name": f"listed {n}"}),
                    {"Authorization": BASIC, "Content-Type": "application/json"})
        root = os.path.join(work, "root.pem")
        with open(root, "wb") as out:
            out.write(request("GET", server.url + "/__emulator/ca.pem")[1])
        context = ssl.create_default_context(cafile=root)
        host, port = server.https_url.removeprefix("https://").rsplit(":", 1)
        address = (host, int(port))
        auth = f"Authorization: {BASIC}\r\n"
        config_host = "v1.api.us.janrain.com"
        path = f"/config/{APP}/clients"
        tls_call(context, address, config_host, path, auth)  # its leaf, made once
        connect = percentiles([tls_call(context, address, config_host, path, auth) for _ in range(300)])
        fresh = percentiles([tls_call(context, address, f"leaf{n}.bench.janraincapture.com", "/__emulator/health")
                             for n in range(200)])
        cached = percentiles([tls_call(context, address, "leaf0.bench.janraincapture.com", "/__emulator/health")
                              for _ in range(200)])
        script = lua_fixed("GET", {"Authorization": BASIC})
        plain = run_wrk(server.url + path, script, args)
        tls = run_wrk(server.https_url + path, script, args)
    finally:
        server.stop()
    results["tls"] = {
        "new_connection_and_call": connect,
        "handshake_new_name": fresh,
        "handshake_cached_name": cached,
        "first_leaf_ms": fresh["p50_ms"] - cached["p50_ms"],
        "keep_alive_plain": plain,
        "keep_alive_tls": tls,
        "keep_alive_ratio": tls["rps"] / plain["rps"],
    }
    return results["tls"]


def filtered_fixture(path, count, matching):
    """A fixture of the default application with its owner and `count` - 1 more clients, the
    first `matching` of them with both direct_read_access and access_issuer."""
    clients = [{"_id": OWNER[0], "_secret": OWNER[1], "name": "Emulator owner client", "features": ["owner"]}]
    for n in range(count - 1):
        features = ["direct_read_access", "access_issuer"] if n < matching else ["direct_access"]
        clients.append({"_id": f"benchclient{n:021d}", "_secret": f"benchsecret{n:021d}",
                        "name": f"bench client {n}", "features": features})
    with open(path, "w") as out:
        json.dump({"apps": [{"app_id": APP, "capture_domains": [], "clients": clients}]}, out)


def fixture_file(path, count, settings):
    """A fixture of the default application with its owner and `count` more clients."""
    clients = [{"_id": OWNER[0], "_secret": OWNER[1], "name": "Emulator owner client", "features": ["owner"]}]
    for n in range(count):
        client = {"_id": f"bench{n:027d}", "_secret": f"secret{n:026d}", "name": f"imported {n}",
                  "features": ["direct_access"] if n % 100 else ["direct_access", "access_issuer"],
                  "ipWhitelist": ["0.0.0.0/0"]}
        if settings:
            client["settings"] = {"site_name": f"site {n}"}
        clients.append(client)
    with open(path, "w") as out:
        json.dump({"apps": [{"app_id": APP, "capture_domains": [], "clients": clients}]}, out)


def vm_kib(server, field):
    with open(f"/proc/{server.process.pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field}")


def timed(method, url, count=5):
    """Median wall time of `count` requests, in ms, and the size of the last answer."""
    times, size = [], 0
    for _ in range(count):
        started = time.perf_counter()
        req = urllib.request.Request(url, method=method)
        with urllib.request.urlopen(req, timeout=120) as response:
            size = len(response.read())
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), size


def big_tenants(args, emulator, work, results):
    """A tenant of 100,000 imported clients: its import, memory, snapshot and reset."""
    big = os.path.join(work, "hundred-thousand.json")
    fixture_file(big, 100_000, settings=True)
    started = time.perf_counter()
    server = Server(emulator + ["--import", big])
    try:
        status, _ = request("GET", server.url + "/__emulator/health")
        assert status == 200
        results["import_100000_ready_ms"] = (time.perf_counter() - started) * 1000
        results["import_100000_rss_kib"] = server.rss_kib()
        results["snapshot_100000_ms"], results["snapshot_100000_bytes"] = timed(
            "GET", server.url + "/__emulator/snapshot", 3)
        results["snapshot_100000_peak_kib"] = vm_kib(server, "VmHWM")
        results["reset_100000_ms"], _ = timed("POST", server.url + "/__emulator/reset", 5)
        results["after_snapshots_rss_kib"] = server.rss_kib()
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--emulator", required=True)
    parser.add_argument("--baseline", required=True)
    parser.add_argument("--duration", type=int, default=4, help="seconds of each load run")
    parser.add_argument("--trials", type=int, default=5,
                        help="runs of each load scenario, each followed by its baseline's; the "
                             "median ratio is reported (an odd number has one)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--starts", type=int, default=15, help="starts for the start-up median")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--only", help="only these load scenarios, by letter (for example b,h,i), "
                        "and none of the other figures")
    args = parser.parse_args()
    results = {"settings": vars(args).copy()}
    emulator = [args.emulator, "--listen", "127.0.0.1:0"]
    clients_path = f"/config/{APP}/clients"
    with tempfile.TemporaryDirectory(prefix="janrain-bench-") as work:
        return run(args, emulator, clients_path, results, work)


def run(args, emulator, clients_path, results, work):
    """Every measurement; `work` is a scratch directory removed afterwards."""

    # Throughput and latency.
    only = set(args.only.split(",")) if args.only else None
    rows = []
    baseline = Server([args.baseline, "127.0.0.1:0"])
    try:
        base = run_wrk(baseline.url + "/", lua_fixed("GET", {}), args, baseline)
    finally:
        baseline.stop()
    rows.append(("baseline: static JSON (hyper)", base))

    def same_bytes(body, path, script):
        """wrk against the baseline answering with exactly `body`, sent the scenario's own
        requests (`script` and `path`: the same method, headers, bodies and per-request Lua), so
        that the load generator's work and the reading of the request are the same on both
        sides and only the server's own work differs."""
        body_path = os.path.join(work, "same-bytes.json")
        with open(body_path, "wb") as out:
            out.write(body)
        same = Server([args.baseline, "127.0.0.1:0", body_path])
        try:
            return run_wrk(same.url + path, script, args, same)
        finally:
            same.stop()

    def scenario(name, path, script, sample, extra=(), seed=True):
        """Runs one load scenario `args.trials` times, each on a fresh emulator holding the owner
        and 9 other clients (or, with `seed` false, what `extra` imports; `extra` may be a
        function of the trial's number), followed by the baseline sent the same requests and
        answering with the bytes of one of the scenario's answers (`sample` makes that answer).
        The row is the trial whose ratio is the median; the spread of the ratios and the worst
        p99 go with it."""
        if only and name[1] not in only:
            return
        trials = []
        for trial in range(args.trials):
            server = Server(emulator + list(extra(trial) if callable(extra) else extra))
            try:
                for n in range(9 if seed else 0):
                    request("POST", server.url + clients_path, json.dumps({"name": f"listed {n}"}),
                            {"Authorization": BASIC, "Content-Type": "application/json"})
                body = sample(server.url)
                measured = run_wrk(server.url + path, script, args, server)
            finally:
                server.stop()
            measured["body_bytes"] = len(body)
            measured["same_bytes_baseline"] = same_bytes(body, path, script)
            measured["ratio_to_same_bytes"] = measured["rps"] / measured["same_bytes_baseline"]["rps"]
            trials.append(measured)
        ranked = sorted(trials, key=lambda t: t["ratio_to_same_bytes"])
        row = dict(ranked[len(ranked) // 2])
        row["trials"] = trials
        row["ratio_range"] = [ranked[0]["ratio_to_same_bytes"], ranked[-1]["ratio_to_same_bytes"]]
        row["p99_worst_ms"] = max(t["p99_ms"] for t in trials)
        rows.append((name, row))

    def fixed(method, path, headers, body=None):
        return lambda url: request(method, url + path, body, headers)[1]

    def create(tag):
        return fixed("POST", clients_path, {"Authorization": BASIC, "Content-Type": "application/json"},
                     json.dumps({"name": f"bench-{tag}-sample"}))

    legacy_add = ("POST", {"Authorization": BASIC, "Content-Type": "application/x-www-form-urlencoded"},
                  "description=bench+client&features=%5B%22direct_access%22%5D")
    scenario("(a) GET config clients (10)", clients_path, lua_fixed("GET", {"Authorization": BASIC}),
             fixed("GET", clients_path, {"Authorization": BASIC}))
    scenario("(b) POST config clients", clients_path, LUA_UNIQUE_CREATE.format(basic=BASIC, tag="b"),
             create("b"))
    scenario("(c) legacy /clients/add, Basic", "/clients/add", lua_fixed(*legacy_add),
             fixed("POST", "/clients/add", legacy_add[1], legacy_add[2]))
    scenario("(d) legacy /clients/list (10), signed", "/clients/list",
             lua_fixed("POST", signed_list_headers()),
             fixed("POST", "/clients/list", signed_list_headers()))
    scenario("(e) POST config clients, --state-file", clients_path,
             LUA_UNIQUE_CREATE.format(basic=BASIC, tag="e"), create("e"),
             lambda trial: ["--state-file", os.path.join(work, f"state-{trial}.db")])
    # 1,000 clients, 10 of them with both features the filter asks for.
    thousand = os.path.join(work, "thousand.json")
    filtered_fixture(thousand, 1_000, 10)
    query = "?has_feature=direct_read_access&has_feature=access_issuer"
    scenario("(h) GET config clients, 2 filters (10 of 1,000)", clients_path + query,
             lua_fixed("GET", {"Authorization": BASIC}),
             fixed("GET", clients_path + query, {"Authorization": BASIC}),
             ["--import", thousand], seed=False)
    scenario("(i) POST config clients into 1,000 and more", clients_path,
             LUA_UNIQUE_CREATE.format(basic=BASIC, tag="i"), create("i"),
             ["--import", thousand], seed=False)
    # Whole listings of 1,000 clients, each from the listing cache.
    whole = os.path.join(work, "whole.json")
    fixture_file(whole, 999, settings=False)
    scenario("(f) GET config clients (1,000)", clients_path, lua_fixed("GET", {"Authorization": BASIC}),
             fixed("GET", clients_path, {"Authorization": BASIC}), ["--import", whole], seed=False)
    scenario("(g) legacy /clients/list (1,000)", "/clients/list", lua_fixed("POST", {"Authorization": BASIC}),
             fixed("POST", "/clients/list", {"Authorization": BASIC}), ["--import", whole], seed=False)

    print(f"\nload: wrk -t{args.threads} -c{args.connections} -d{args.duration}s, loopback, {args.trials} "
          f"trials a scenario, each followed by the baseline sent the same requests and answering "
          f"with one of the scenario's answers; the trial of the median ratio is shown, with the "
          f"range of the ratios and the worst p99; cpu: the server's user+system CPU per request, "
          f"in microseconds\n")
    print(f"{'scenario':48} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'worst':>7} {'body B':>7} "
          f"{'same-bytes':>10} {'ratio':>6} {'range':>9} {'vs 26 B':>7} {'cpu us':>7} {'same cpu':>8} "
          f"{'non-2xx':>7}")

    def cpu(row):
        return row["cpu_user_us"] + row["cpu_system_us"]

    for name, row in rows:
        ratio = row["rps"] / base["rps"]
        row["ratio_to_baseline"] = ratio
        if "same_bytes_baseline" not in row:  # the 26-byte baseline itself
            print(f"{name:48} {row['rps']:>9.0f} {row['p50_ms']:>7.2f} {row['p99_ms']:>7.2f} {'':>7} {26:>7} "
                  f"{'':>10} {'':>6} {'':>9} {ratio:>7.0%} {cpu(row):>7.1f} {'':>8} {row['non_2xx']:>7}")
            continue
        same = row["same_bytes_baseline"]
        low, high = row["ratio_range"]
        spread = f"{low * 100:.0f}-{high * 100:.0f}%"
        non_2xx = sum(t["non_2xx"] for t in row["trials"])
        print(f"{name:48} {row['rps']:>9.0f} {row['p50_ms']:>7.2f} {row['p99_ms']:>7.2f} "
              f"{row['p99_worst_ms']:>7.2f} {row['body_bytes']:>7} {same['rps']:>10.0f} "
              f"{row['ratio_to_same_bytes']:>6.0%} {spread:>9} {ratio:>7.0%} {cpu(row):>7.1f} "
              f"{cpu(same):>8.1f} {non_2xx:>7}")
    results["load"] = dict(rows)
    if only:
        if args.json:
            with open(args.json, "w") as out:
                json.dump(results, out, indent=2)
        return 0

    # Start-up to the first successful response, median of repeated starts.
    times = []
    for _ in range(args.starts):
        started = time.perf_counter()
        server = Server(emulator)
        try:
            status, _ = request("GET", server.url + "/__emulator/health")
            assert status == 200
            times.append((time.perf_counter() - started) * 1000)
        finally:
            server.stop()
    results["startup_ms_median"] = statistics.median(times)

    # Grow one emulator to 1,000 and then 100,000 clients through the API, measuring as it goes.
    short = argparse.Namespace(**{**vars(args), "duration": max(3, args.duration // 2)})
    server = Server(emulator)
    try:
        request("GET", server.url + "/__emulator/health")
        results["rss_kib_idle"] = server.rss_kib()
        created = 1
        for size in (1_000, 100_000):
            created += grow(server.url, size - created, f"grow{size}")
            results[f"clients_at_{size}"] = created
            results[f"rss_kib_{size}_clients"] = server.rss_kib()
            # One create at a time, so that measuring adds few clients.
            results[f"create_at_{size}"] = timed_creates(server.url, 2000, f"timed{size}")
            created += 2000
        filtered = argparse.Namespace(**{**vars(short), "connections": 4})
        results["filter_clients"] = created
        results["filter_over_100000"] = run_wrk(
            server.url + clients_path + "?has_feature=owner",
            lua_fixed("GET", {"Authorization": BASIC}), filtered)
    finally:
        server.stop()

    # Applications made at run time: the cost of one with 1,000 already there, and the memory an
    # empty one (its owner client included) takes, over 10,000 of them.
    server = Server(emulator + ["--max-apps", "20000"])
    try:
        request("GET", server.url + "/__emulator/health")
        before = server.rss_kib()
        timed_apps(server.url, 1_000)
        results["apps_create_at_1000"] = timed_apps(server.url, 1_000)
        made = 2_000
        timed_apps(server.url, 10_000 - made)
        results["apps_kib_each"] = (server.rss_kib() - before) / 10_000
    finally:
        server.stop()

    big_tenants(args, emulator, work, results)
    stall_rows = log_stalls(args, emulator, results)
    tls = tls_figures(args, emulator, work, results)

    small, large = results["create_at_1000"], results["create_at_100000"]
    print(f"\nstart-up to first response (median of {args.starts}): {results['startup_ms_median']:.1f} ms")
    print(f"resident memory: idle {results['rss_kib_idle'] / 1024:.1f} MiB, "
          f"{results['clients_at_1000']:,} clients {results['rss_kib_1000_clients'] / 1024:.1f} MiB, "
          f"{results['clients_at_100000']:,} clients {results['rss_kib_100000_clients'] / 1024:.1f} MiB")
    print(f"one create (sequential, one connection, client included): p50 {small['p50_ms']:.3f} ms "
          f"at {results['clients_at_1000']:,} clients, {large['p50_ms']:.3f} ms at "
          f"{results['clients_at_100000']:,}: {large['p50_ms'] / small['p50_ms']:.2f}x")
    flt = results["filter_over_100000"]
    print(f"GET ?has_feature=owner over {results['filter_clients']:,} clients (4 connections): "
          f"{flt['rps']:.0f}/s, p50 {flt['p50_ms']:.2f} ms, p99 {flt['p99_ms']:.2f} ms")
    print(f"--import of 100,000 clients (one setting each): ready in {results['import_100000_ready_ms']:.0f} ms, "
          f"{results['import_100000_rss_kib'] / 1024:.0f} MiB resident; snapshot "
          f"{results['snapshot_100000_ms']:.0f} ms ({results['snapshot_100000_bytes'] / 1e6:.1f} MB), peak "
          f"{results['snapshot_100000_peak_kib'] / 1024:.0f} MiB; reset {results['reset_100000_ms']:.1f} ms; "
          f"{results['after_snapshots_rss_kib'] / 1024:.0f} MiB resident after")
    apps = results["apps_create_at_1000"]
    print(f"POST /__emulator/apps with 1,000 applications there (sequential): p50 {apps['p50_ms']:.3f} ms, "
          f"p99 {apps['p99_ms']:.3f} ms; resident memory per empty application (owner included): "
          f"{results['apps_kib_each']:.1f} KiB over 10,000")
    print(f"\nfailing calls (each logs a line): 2,000 one at a time, then wrk -t{args.threads} "
          f"-c{args.connections} -d{args.duration}s")
    print(f"{'standard error':28} {'p50 ms':>8} {'p99 ms':>8} {'load req/s':>11} {'load p99':>9} {'dropped':>9}")
    for name, row in stall_rows:
        load = row["load"]
        print(f"{name:28} {row['p50_ms']:>8.3f} {row['p99_ms']:>8.3f} {load['rps']:>11.0f} "
              f"{load['p99_ms']:>9.2f} {row['dropped_lines']:>9,}")
    new, leaf = tls["new_connection_and_call"], tls["first_leaf_ms"]
    plain, secure = tls["keep_alive_plain"], tls["keep_alive_tls"]
    print(f"\nTLS listener: a new connection (TLS 1.3 handshake) plus one GET config clients (10), "
          f"one at a time: p50 {new['p50_ms']:.2f} ms, p99 {new['p99_ms']:.2f} ms")
    print(f"a first leaf for a new name: {leaf:.2f} ms more than a cached one "
          f"(handshakes p50 {tls['handshake_new_name']['p50_ms']:.2f} ms vs "
          f"{tls['handshake_cached_name']['p50_ms']:.2f} ms)")
    print(f"keep-alive, wrk -t{args.threads} -c{args.connections} -d{args.duration}s, GET config clients (10): "
          f"TLS {secure['rps']:.0f}/s (p99 {secure['p99_ms']:.2f} ms), plain {plain['rps']:.0f}/s "
          f"(p99 {plain['p99_ms']:.2f} ms): {tls['keep_alive_ratio']:.0%}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
