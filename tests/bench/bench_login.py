#!/usr/bin/env python3
"""bench_login.py: how long other requests wait while a burst of logins
runs (issue 4: argon2id must not stall the event loop).  A benchmark, not a
timed test.

N editors log in at the same moment, each from an address of its own
(127.0.1.x; the daemon limits concurrent password checks per address), while
a prober that logged in first asks GET /healthz and GET /api/queue in a
loop until the last login has been answered.  Every argon2id check costs
tens of milliseconds and 64 MiB; on the loop, the probes would wait for the
whole burst.  Printed: the burst's duration and statuses, and the probes'
median and maximum wait while logins were pending.

Usage: bench_login.py [--logins N]
Environment: NQ_BUILD_DIR (default <src>/build), NQ_SOURCE_DIR.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

from nqtest import CTL, DAEMON, Daemon, Fake  # noqa: E402

PASSWORD = "bench-passwort"


def add_user(state, name):
    r = subprocess.run([CTL, "user", "add", name, "--role", "editor", "--state",
                        state, "--password-stdin"], input=PASSWORD + "\n",
                       text=True, capture_output=True)
    if r.returncode != 0:
        sys.exit("bench_login: user add %s: %s" % (name, r.stderr.strip()))


def request(port, method, path, body=None, cookie=None, src="127.0.0.1"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120,
                                   source_address=(src, 0))
    h = {"Host": "127.0.0.1:%d" % port}
    if body is not None:
        h["Content-Type"] = "application/json"
    if cookie:
        h["Cookie"] = "nq_session=" + cookie
    c.request(method, path, body=json.dumps(body) if body is not None else None,
              headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--logins", type=int, default=50)
    args = ap.parse_args()
    n = args.logins
    if not os.access(DAEMON, os.X_OK):
        sys.exit("bench_login: %s not built (set NQ_BUILD_DIR)" % DAEMON)

    fake = Fake(generate=20)
    d = Daemon(fake, mode="review")
    try:
        os.makedirs(d.state, exist_ok=True)
        adders = [threading.Thread(target=add_user, args=(d.state, "bench%03d" % i))
                  for i in range(n)]
        adders.append(threading.Thread(target=add_user, args=(d.state, "probe")))
        for t in adders:
            t.start()
        for t in adders:
            t.join()
        d.start()

        r, _ = request(d.port, "POST", "/api/login",
                       {"username": "probe", "password": PASSWORD})
        cookie = [v for k, v in r.getheaders() if k.lower() == "set-cookie"
                  and v.startswith("nq_session=")][0].split(";")[0].split("=", 1)[1]

        pending = [n]
        lock = threading.Lock()
        statuses = []
        go = threading.Event()
        waits = {"/healthz": [], "/api/queue": []}

        def login(i):
            go.wait()
            r, _ = request(d.port, "POST", "/api/login",
                           {"username": "bench%03d" % i, "password": PASSWORD},
                           src="127.0.%d.%d" % (1 + i // 250, 1 + i % 250))
            with lock:
                pending[0] -= 1
                statuses.append(r.status)

        def probe():
            go.wait()
            time.sleep(0.05)
            while pending[0] > 0:
                for p in waits:
                    t0 = time.monotonic()
                    request(d.port, "GET", p,
                            cookie=cookie if p != "/healthz" else None)
                    if pending[0] > 0:
                        waits[p].append(time.monotonic() - t0)

        threads = [threading.Thread(target=login, args=(i,)) for i in range(n)]
        threads.append(threading.Thread(target=probe))
        for t in threads:
            t.start()
        t0 = time.monotonic()
        go.set()
        for t in threads:
            t.join()
        total = time.monotonic() - t0
    finally:
        d.stop()
        fake.stop()

    print("logins: %d in %.2f s, statuses %s" % (n, total, sorted(set(statuses))))
    for p, v in waits.items():
        if v:
            v.sort()
            print("%-11s while logins pending: n=%d  median %.1f ms  max %.1f ms"
                  % (p, len(v), 1000 * statistics.median(v), 1000 * v[-1]))
        else:
            print("%-11s no answer while logins were pending" % p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
