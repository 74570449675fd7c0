#!/usr/bin/env python3
"""A bounded soak: mixed operations at many connections, counting errors and sampling memory.

Usage: scripts/soak [--duration 60] [--connections 64]. Needs wrk and a release build (scripts/soak
does both). Fails if any request failed or if resident memory kept growing. The mix changes
clients but does not create any, so a steady state exists: reads of both families, renames, secret
rotations, feature and allowlist changes, settings replacements, and refused credentials.
"""

import argparse
import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

APP = "emulatorapp000000000000001"
OWNER = ("emulatorowner0000000000000000001", "emulatorsecret000000000000000001")
BASIC = "Basic " + base64.b64encode(f"{OWNER[0]}:{OWNER[1]}".encode()).decode()

LUA = r"""
local requests = {}
local threads = {}
local counter = 0
failures = 0 -- global: done() reads it from each thread
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  local ids = {}
  for id in string.gmatch(args[1], "[^,]+") do table.insert(ids, id) end
  local basic = "BASIC"
  local form = { ["Authorization"] = basic, ["Content-Type"] = "application/x-www-form-urlencoded" }
  local json = { ["Authorization"] = basic, ["Content-Type"] = "application/json" }
  local get = { ["Authorization"] = basic }
  for i, id in ipairs(ids) do
    table.insert(requests, wrk.format("GET", "/config/APP/clients", get))
    table.insert(requests, wrk.format("POST", "/clients/list", form, "has_features=%5B%22direct_access%22%5D"))
    table.insert(requests, wrk.format("GET", "/config/APP/clients/" .. id, get))
    table.insert(requests, wrk.format("POST", "/clients/set_description", form, "for_client_id=" .. id .. "&description=soak+" .. id))
    table.insert(requests, wrk.format("POST", "/clients/reset_secret", form, "for_client_id=" .. id .. "&hours_to_live=1"))
    table.insert(requests, wrk.format("POST", "/clients/set_features", form, "for_client_id=" .. id .. "&features=%5B%22direct_access%22%5D"))
    table.insert(requests, wrk.format("POST", "/clients/set_whitelist", form, "for_client_id=" .. id .. "&whitelist=%5B%220.0.0.0%2F0%22%5D"))
    table.insert(requests, wrk.format("PUT", "/config/APP/clients/" .. id .. "/settings", json, '{"site_name":"soak ' .. i .. '"}'))
    table.insert(requests, wrk.format("PUT", "/config/APP/clients/" .. id, json, '{"name":"soak ' .. id .. '","features":["direct_access"]}'))
  end
end
function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end
function response(status, headers, body)
  if status >= 300 or string.find(body, '"stat":"error"', 1, true) then
    failures = failures + 1
  end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("failures") end
  io.write(string.format("FAILURES %d\n", total))
end
"""


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--emulator", required=True)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    process = subprocess.Popen([args.emulator, "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    url = process.stdout.readline().strip().removeprefix("listening on ")
    try:
        ids = []
        for n in range(50):
            req = urllib.request.Request(
                f"{url}/config/{APP}/clients", method="POST",
                data=json.dumps({"name": f"seed {n}", "features": ["direct_access"]}).encode(),
                headers={"Authorization": BASIC, "Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as reply:
                ids.append(json.load(reply)["_id"])
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
            lua.write(LUA.replace("BASIC", BASIC).replace("APP", APP))
        samples = []
        stop = threading.Event()

        def sample():
            started = time.monotonic()
            while not stop.wait(2):
                samples.append((time.monotonic() - started, rss_kib(process.pid)))

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            out = subprocess.run(
                ["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s", "-s", lua.name, url, "--", ",".join(ids)],
                capture_output=True, text=True, timeout=args.duration + 60, check=True).stdout
        finally:
            stop.set()
            sampler.join()
            os.unlink(lua.name)
        failures = int(out.split("FAILURES ")[1].split()[0])
        total = int(out.split(" requests in ")[0].split()[-1])
        print(f"soak: {args.duration} s at {args.connections} connections, {total} requests, {failures} failed")
        print("resident memory (MiB) every 2 s: " + " ".join(f"{kib / 1024:.1f}" for _, kib in samples))
        quarter = samples[len(samples) // 4][1]
        last = samples[-1][1]
        levelled = last <= quarter * 1.2 + 1024
        print(f"memory at a quarter of the run {quarter / 1024:.1f} MiB, at the end {last / 1024:.1f} MiB: "
              f"{'levelled off' if levelled else 'STILL GROWING'}")
        return 0 if failures == 0 and levelled else 1
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


if __name__ == "__main__":
    sys.exit(main())
