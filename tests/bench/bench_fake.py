#!/usr/bin/env python3
"""bench_fake.py: the fake Mastodon server's own CPU cost per request, for
both of its front ends (ThreadingHTTPServer, the default, and
--fast-server), with the daemon's traffic shape: action POSTs
(/api/v1/accounts/ID/mute with a bearer token, an Idempotency-Key and a
form body, as libcurl sends them) over many kept-alive connections, then
min_id pages of 80 notifications over one connection.

The figure is the fake process's CPU time (utime + stime from
/proc/PID/stat, kernel work on its sockets included) divided by the
number of requests; the client runs in this process, on the other core.
A page costs mostly the request logic (every notification scanned,
80 notifications serialized); an action on the stock server mostly the
front end.  --rate paces the actions: each then wakes the fake on its
own, which costs it more per request than a back-to-back stream.
--python picks the interpreter (pypy3 when installed, as in
bench_daemon.py; on this short run its JIT is still warming up, so pages
cost it more than on CPython).

Usage: bench_fake.py [--posts 20000] [--conns 32] [--rate 0] [--pages 500]
                     [--generate 5000] [--server stock|fast|both]
                     [--python INTERPRETER]
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "..", "fake", "fake_mastodon.py")
TOKEN = "test-token"
CLK_TCK = os.sysconf("SC_CLK_TCK")
FIRST_ACCOUNT = 110000000000000001      # the fake numbers accounts from here


def proc_cpu(pid):
    """(user, system) CPU seconds of process pid."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


def control(port, method, path, obj=None):
    data = json.dumps(obj).encode() if obj is not None else None
    req = urllib.request.Request("http://127.0.0.1:%d/_fake/%s" % (port, path),
                                 data=data, method=method)
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read())


async def exchange(reader, writer, request):
    """Sends one request, reads its answer; returns the status."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    m = re.search(rb"\r\nContent-Length: (\d+)", head)
    await reader.readexactly(int(m.group(1)))
    return int(head[9:12])


async def post_actions(port, n, conns, accounts, rate=0):
    host = "127.0.0.1:%d" % port
    t0 = time.monotonic()
    body = b"duration=86400"
    todo = iter(range(n))
    statuses = {}

    async def worker(c):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in todo:
            if rate:
                delay = t0 + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            req = ("POST /api/v1/accounts/%d/mute HTTP/1.1\r\nHost: %s\r\n"
                   "User-Agent: netiquetted/bench\r\nAccept: */*\r\n"
                   "Accept-Encoding: deflate, gzip\r\n"
                   "Authorization: Bearer %s\r\nIdempotency-Key: bench-%d-mute\r\n"
                   "Content-Type: application/x-www-form-urlencoded\r\n"
                   "Content-Length: %d\r\n\r\n" % (
                       FIRST_ACCOUNT + i % accounts, host, TOKEN, i, len(body))
                   ).encode() + body
            st = await exchange(reader, writer, req)
            statuses[st] = statuses.get(st, 0) + 1
        writer.close()
    await asyncio.gather(*(worker(c) for c in range(conns)))
    return statuses


async def get_pages(port, n, first_id, count):
    host = "127.0.0.1:%d" % port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    statuses = {}
    for i in range(n):
        min_id = first_id + (i * 80) % max(1, count - 80)
        req = ("GET /api/v1/notifications?types%%5B%%5D=mention&include_filtered=true"
               "&limit=80&min_id=%d HTTP/1.1\r\nHost: %s\r\n"
               "User-Agent: netiquetted/bench\r\nAccept: */*\r\n"
               "Authorization: Bearer %s\r\n\r\n" % (min_id, host, TOKEN)).encode()
        st = await exchange(reader, writer, req)
        statuses[st] = statuses.get(st, 0) + 1
    writer.close()
    return statuses


def run(server, args):
    cmd = [args.python, FAKE, "--port", "0", "--generate", str(args.generate)]
    if server == "fast":
        cmd.append("--fast-server")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline().split()[1])
        control(port, "POST", "faults", {"rate_limit": 10 ** 9, "rate_window": 3600})
        state = control(port, "GET", "state")
        accounts = state["accounts"] - 1
        last = int(state["last_notification_id"])
        first = last - state["notifications"]
        out = {}
        for name, n, coro in (
                ("POST mute", args.posts,
                 lambda: post_actions(port, args.posts, args.conns, accounts, args.rate)),
                ("GET page", args.pages,
                 lambda: get_pages(port, args.pages, first, state["notifications"]))):
            c0, t0 = proc_cpu(proc.pid), time.time()
            statuses = asyncio.run(coro())
            wall = time.time() - t0
            c1 = proc_cpu(proc.pid)
            out[name] = (n, c1[0] - c0[0], c1[1] - c0[1], wall, statuses)
        return out
    finally:
        proc.terminate()
        proc.wait(10)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--posts", type=int, default=20000)
    ap.add_argument("--conns", type=int, default=32)
    ap.add_argument("--pages", type=int, default=500)
    ap.add_argument("--generate", type=int, default=5000,
                    help="items the fake holds (a page scans all of them)")
    ap.add_argument("--rate", type=float, default=0,
                    help="action POSTs per second (default: as fast as the "
                    "fake answers; the daemon's benchmark sends ~2,500/s)")
    ap.add_argument("--server", choices=("stock", "fast", "both"), default="both")
    ap.add_argument("--python", default=shutil.which("pypy3") or sys.executable,
                    help="interpreter for the fake (default: pypy3 if "
                    "installed, as bench_daemon.py runs it, else this one)")
    args = ap.parse_args()
    servers = ("stock", "fast") if args.server == "both" else (args.server,)
    print("fake_mastodon.py on %s --generate %d; %d action POSTs over %d connections "
          "(%s), %d pages of 80 over one" % (
              args.python, args.generate, args.posts, args.conns,
              "%g/s" % args.rate if args.rate else "back to back", args.pages))
    for server in servers:
        for name, (n, user, system, wall, statuses) in run(server, args).items():
            print("%-5s %-9s %6d requests  %7.1f us CPU/request (%.0f user + %.0f "
                  "system)  %5.0f requests/s  statuses %s" % (
                      server, name, n, (user + system) * 1e6 / n, user * 1e6 / n,
                      system * 1e6 / n, n / wall, json.dumps(statuses, sort_keys=True)),
                  flush=True)


if __name__ == "__main__":
    main()
