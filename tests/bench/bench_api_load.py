#!/usr/bin/env python3
"""bench_api_load.py: the editors' API under load while the daemon screens
(issue 4, section 8).  A benchmark, not a timed test.

  * 200 editors' browsers: each logs in once (POST /api/login), then polls
    GET /api/queue about every second and, about every 10 s, decides an item
    of what it sees (POST /api/items/ID/decide with the session cookie, the
    CSRF token, Origin and Sec-Fetch-Site like a browser).  One kept-alive
    connection per editor, from an address of its own (127.0.1.x: editors
    sit at their own workstations, and the daemon limits concurrent
    password checks per address).  Every request's latency is recorded.
  * 1,000 idle TCP connections held open to the daemon's port: half send
    nothing, half a partial request (request line and one header, no blank
    line).  A connection the daemon closes (its 30 s request timeout) is
    opened again at once, so 1,000 stay open throughout.
  * Screening throughput: items/s for N generated items, from /metrics
    netiquetted_items_total{outcome="new"} sampled every 50 ms, first
    increment to the last; phase A without load, phase B with the load.

Targets (2-core machine): p99 of queue and decide requests < 200 ms while
the daemon screens, and throughput with load at most 20 % below without.

How a phase runs: the fake Mastodon server starts with one sentinel mention
and netiquetted (mode = review, so flagged items land in the queue) screens
it, which gives the account a cursor.  In phase B the load is then started
and given time to log in and settle.  Only then are the N records that
`fake_mastodon.py --generate N` makes seeded through POST /_fake/seed (the
fake holds its lock while seeding, so the daemon sees all of them at its
next poll), which makes both phases screen the same items from the same
state, with the load in steady state during the whole of phase B's
screening.  The load keeps running --after seconds past the last item, so
that there are enough decide requests against a full queue.

Latencies are reported for three windows of phase B: before screening (the
load alone), during screening (first to last new item: the target), and
the whole steady state (all editors logged in, until the load stops).
Logins (argon2id, on the daemon's password workers) are reported separately.
CPU seconds of the daemon, the fake and this load generator are reported
per phase: on 2 cores a Python load generator competes with the daemon and
the fake for CPU, which is part of any throughput drop.

The fake is bench_daemon.py's PatchedFake (TCP_NODELAY, indexed page
lookup) when that imports, so that the fake is not the bottleneck; else
the stock fake.

Usage: bench_api_load.py [--items N] [--editors N] [--idle N] [--after S]
                         [--daemon-nofile N] [--fake stock|fast] [--keep]
Environment: NQ_BUILD_DIR (default <src>/build), NQ_SOURCE_DIR.
Exits 0 unless the setup itself fails; prints the figures and MET / MISSED.
"""

import argparse
import asyncio
import http.client as httpclient
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "fake"))

import nqtest  # noqa: E402
from nqtest import Daemon, Fake, http, wait_for  # noqa: E402
import fake_mastodon  # noqa: E402

try:
    sys.path.insert(0, HERE)
    from bench_daemon import PatchedFake  # noqa: E402
except Exception:  # noqa: BLE001 - any import problem: use the stock fake
    PatchedFake = None

TARGET_P99_MS = 200.0
TARGET_DROP = 20.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
REQ_TIMEOUT = 30.0
PASSWORD = "bench-load-password-%d"


def log(msg=""):
    print(msg, flush=True)


def pct(values, p):
    """Nearest-rank percentile of a sorted list."""
    if not values:
        return float("nan")
    k = max(0, min(len(values) - 1, int(round(p / 100.0 * len(values) + 0.5)) - 1))
    return values[k]


def proc_cpu(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except OSError:
        return float("nan")


def self_cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def nofile_of(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                return line.split()[3]
    return "?"


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return -1


class Sampler(threading.Thread):
    """/metrics items_new and the daemon's open fds every 50 ms."""

    def __init__(self, port, pid):
        super().__init__(daemon=True)
        self.port, self.pid = port, pid
        self.samples = []           # (t, items_new, queue_open)
        self.fds_max = 0
        self.errors = 0
        self.slow = []              # metrics request latencies (ms)
        self.halt = False

    def run(self):
        conn = None
        while not self.halt:
            t0 = time.time()
            try:
                if conn is None:
                    conn = httpclient.HTTPConnection("127.0.0.1", self.port, timeout=30)
                conn.request("GET", "/metrics")
                r = conn.getresponse()
                body = r.read().decode()
                t1 = time.time()
                self.slow.append((t1 - t0) * 1000)
                new = qopen = 0
                for line in body.splitlines():
                    if line.startswith('netiquetted_items_total{outcome="new"}'):
                        new = int(float(line.rsplit(" ", 1)[1]))
                    elif line.startswith('netiquetted_queue_items{state="open"}'):
                        qopen = int(float(line.rsplit(" ", 1)[1]))
                self.samples.append((t1, new, qopen))
            except (OSError, ValueError, httpclient.HTTPException):
                self.errors += 1
                if conn is not None:
                    conn.close()
                conn = None
            self.fds_max = max(self.fds_max, fd_count(self.pid))
            time.sleep(0.05)
        if conn is not None:
            conn.close()

    def first_time(self, pred):
        for s in self.samples:
            if pred(s):
                return s[0]
        return None


# ---------------------------------------------------------------- the load

class HttpConn:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams (http.client
    would need a thread per browser)."""

    def __init__(self, port, source=None):
        self.port = port
        self.source = source
        self.r = self.w = None

    async def open(self):
        self.r, self.w = await asyncio.open_connection(
            "127.0.0.1", self.port,
            local_addr=(self.source, 0) if self.source else None)

    def close(self):
        if self.w is not None:
            self.w.close()
        self.r = self.w = None

    async def request(self, method, path, headers, body=None):
        if self.w is None:
            await self.open()
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1:%d" % self.port]
        for k, v in headers.items():
            lines.append("%s: %s" % (k, v))
        if body is not None:
            lines.append("Content-Length: %d" % len(body))
        self.w.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b""))
        head = await self.r.readuntil(b"\r\n\r\n")
        hl = head.decode("latin-1").split("\r\n")
        status = int(hl[0].split()[1])
        hdrs = {}
        for line in hl[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                hdrs.setdefault(k.strip().lower(), []).append(v.strip())
        if "content-length" in hdrs:
            data = await self.r.readexactly(int(hdrs["content-length"][0]))
        elif "chunked" in ",".join(hdrs.get("transfer-encoding", [])).lower():
            data = b""
            while True:
                size = int((await self.r.readuntil(b"\r\n")).split(b";")[0], 16)
                data += await self.r.readexactly(size + 2)
                if size == 0:
                    break
                data = data[:-2]
        else:
            data = await self.r.read()
            self.close()
        if "close" in ",".join(hdrs.get("connection", [])).lower():
            self.close()
        return status, hdrs, data


class Load:
    """Editors and idle connections on one asyncio loop in its own thread."""

    def __init__(self, port, editors, idle, poll, decide_every, ramp):
        self.port, self.n_editors, self.n_idle = port, editors, idle
        self.poll, self.decide_every, self.ramp = poll, decide_every, ramp
        self.records = []       # (kind, t_start, ms, status)  status 0 = error
        self.logins = []        # (t_start, ms, status)
        self.logged_in = 0
        self.login_failed = 0
        self.errors = {}
        self.idle_open = 0      # currently open idle connections
        self.idle_opened = 0
        self.idle_closed_by_server = 0
        self.idle_lifetimes = []
        self.idle_connect_fail = 0
        self.decisions = {}     # status -> count
        self.cookie0 = None     # a session cookie, for serial_queue()
        self.stop_flag = False
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def err(self, what):
        self.errors[what] = self.errors.get(what, 0) + 1

    def start(self):
        self.thread.start()

    def stop(self, timeout=40):
        self.stop_flag = True
        self.thread.join(timeout)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())

    async def _main(self):
        tasks = [asyncio.ensure_future(self.idle(i)) for i in range(self.n_idle)]
        tasks += [asyncio.ensure_future(self.editor(i)) for i in range(self.n_editors)]
        while not self.stop_flag:
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def idle(self, i):
        # spread the connects over 2 s: a burst of 1,000 SYNs would only
        # measure the listen backlog
        await asyncio.sleep(2.0 * i / max(1, self.n_idle))
        partial = (b"GET /api/queue HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % self.port
                   if i % 2 else b"")
        while not self.stop_flag:
            try:
                r, w = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", self.port), 10)
            except (OSError, asyncio.TimeoutError):
                self.idle_connect_fail += 1
                await asyncio.sleep(0.5)
                continue
            t0 = time.time()
            self.idle_opened += 1
            self.idle_open += 1
            try:
                if partial:
                    w.write(partial)
                while not self.stop_flag:
                    try:
                        data = await asyncio.wait_for(r.read(4096), 0.5)
                    except asyncio.TimeoutError:
                        continue
                    if not data:
                        break
                if not self.stop_flag:
                    self.idle_closed_by_server += 1
                    self.idle_lifetimes.append(time.time() - t0)
            except OSError:
                if not self.stop_flag:
                    self.idle_closed_by_server += 1
                    self.idle_lifetimes.append(time.time() - t0)
            finally:
                self.idle_open -= 1
                w.close()

    async def timed(self, c, kind, method, path, headers, body=None):
        t0 = time.time()
        try:
            status, hdrs, data = await asyncio.wait_for(
                c.request(method, path, headers, body), REQ_TIMEOUT)
        except asyncio.TimeoutError:
            c.close()
            self.err("%s timeout" % kind)
            self.records.append((kind, t0, REQ_TIMEOUT * 1000, 0))
            return None, None, None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ValueError, IndexError) as e:
            c.close()
            self.err("%s %s" % (kind, type(e).__name__))
            self.records.append((kind, t0, (time.time() - t0) * 1000, 0))
            return None, None, None
        ms = (time.time() - t0) * 1000
        if kind != "login":
            self.records.append((kind, t0, ms, status))
        else:
            self.logins.append((t0, ms, status))
        return status, hdrs, data

    async def editor(self, i):
        rng = random.Random(i)
        await asyncio.sleep(rng.uniform(0, self.ramp))
        # each editor at a workstation of its own: the daemon limits
        # concurrent password checks per client address
        c = HttpConn(self.port, "127.0.%d.%d" % (1 + i // 250, 1 + i % 250))
        origin = "http://127.0.0.1:%d" % self.port
        cookie = csrf = None
        for _ in range(20):
            if self.stop_flag:
                return
            body = json.dumps({"username": "ed%03d" % i,
                               "password": PASSWORD % i}).encode()
            status, hdrs, data = await self.timed(
                c, "login", "POST", "/api/login",
                {"Content-Type": "application/json", "Origin": origin,
                 "Sec-Fetch-Site": "same-origin"}, body)
            if status == 200:
                for sc in hdrs.get("set-cookie", []):
                    if sc.startswith("nq_session="):
                        cookie = sc.split(";", 1)[0]
                csrf = json.loads(data)["csrf_token"]
                break
            self.err("login status %s" % status)
            await asyncio.sleep(1 + rng.random())
        if cookie is None:
            self.login_failed += 1
            return
        self.logged_in += 1
        if self.cookie0 is None:
            self.cookie0 = cookie
        get_h = {"Cookie": cookie, "Accept": "application/json",
                 "Sec-Fetch-Site": "same-origin"}
        post_h = dict(get_h, **{"Content-Type": "application/json",
                                "X-CSRF-Token": csrf, "Origin": origin})
        next_decide = time.time() + rng.uniform(0, self.decide_every)
        nxt = time.time() + rng.uniform(0, self.poll)
        while not self.stop_flag:
            await asyncio.sleep(max(0.0, nxt - time.time()))
            if self.stop_flag:
                break
            t0 = time.time()
            nxt = t0 + self.poll * rng.uniform(0.9, 1.1)
            status, _, data = await self.timed(c, "queue", "GET", "/api/queue", get_h)
            if status != 200:
                if status is not None:
                    self.err("queue status %d" % status)
                continue
            if time.time() < next_decide:
                continue
            try:
                items = [it for it in json.loads(data)["items"]
                         if "approve" in it.get("allowed", [])]
            except (ValueError, KeyError):
                self.err("queue bad json")
                continue
            if not items:
                continue
            it = rng.choice(items)
            verdict = rng.choice(("approve", "dismiss"))
            body = json.dumps({"decision": verdict,
                               "reason": "bench_api_load editor %d" % i}).encode()
            status, _, _ = await self.timed(c, "decide", "POST",
                                            "/api/items/%d/decide" % it["id"], post_h, body)
            self.decisions[status] = self.decisions.get(status, 0) + 1
            next_decide += self.decide_every * rng.uniform(0.9, 1.1)


# ---------------------------------------------------------------- a phase

def create_users(state, n):
    """ed000..ed<n-1>, role editor: the first alone (it creates the store;
    two netiquettectl opening a fresh store at once fail with "cannot
    enable WAL mode: database is locked"), then two at a time (argon2id);
    a failed one is retried once alone."""
    def add(i):
        p = subprocess.Popen([nqtest.CTL, "user", "add", "ed%03d" % i, "--role", "editor",
                              "--state", state, "--password-stdin"],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        p.stdin.write(PASSWORD % i + "\n")
        p.stdin.close()
        return p
    procs = [(0, add(0))]
    procs[0][1].wait()
    for i in range(1, n):
        procs.append((i, add(i)))
        while sum(1 for _, q in procs if q.poll() is None) >= 2:
            time.sleep(0.01)
    retried = 0
    for i, p in procs:
        p.wait()
        if p.returncode != 0:
            err = p.stderr.read().strip()
            retried += 1
            q = add(i)
            q.wait()
            if q.returncode != 0:
                raise nqtest.Failure("user add ed%03d: %s / %s"
                                     % (i, err, q.stderr.read().strip()))
    return retried


def run_phase(name, args, records, work, with_load, deadline):
    """One phase; `deadline` (epoch s) bounds it: screening is cut short
    so that the --after load and the teardown still fit before it."""
    res = {"name": name}
    d = os.path.join(work, name)
    os.makedirs(d)
    sentinel = os.path.join(d, "sentinel.jsonl")
    with open(sentinel, "w") as f:
        f.write(json.dumps({"author": "sentinel@example.org", "text": "Guten Morgen",
                            "in_reply_to": None}) + "\n")
    FakeCls = PatchedFake if (args.fake == "fast" and PatchedFake) else Fake
    fake = FakeCls(seed=sentinel)
    daemon = load = sampler = None
    try:
        fake.faults(rate_limit=10 ** 9, rate_window=3600)
        daemon = Daemon(fake, mode="review", workdir=d)
        if with_load:
            t0 = time.time()
            os.makedirs(daemon.state, exist_ok=True)
            retried = create_users(daemon.state, args.editors)
            log("[%s] %d editor users created in %.1f s%s"
                % (name, args.editors, time.time() - t0,
                   " (%d retried after a concurrent-open failure)" % retried
                   if retried else ""))
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if args.daemon_nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, (args.daemon_nofile, hard))
        try:
            daemon.start()
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        pid = daemon.proc.pid
        res["nofile"] = nofile_of(pid)
        log("[%s] daemon pid %d, max open files %s, fds at start %d"
            % (name, pid, res["nofile"], fd_count(pid)))
        wait_for("sentinel screened", lambda: daemon.items_new() >= 1, 60)
        base = daemon.items_new()
        sampler = Sampler(daemon.port, pid)
        sampler.start()

        if with_load:
            load = Load(daemon.port, args.editors, args.idle, args.poll,
                        args.decide_every, args.ramp)
            t_load = time.time()
            load.start()
            up_by = t_load + args.ramp + 60
            while time.time() < up_by:
                if (load.logged_in + load.login_failed >= args.editors and
                        load.idle_open >= args.idle * 0.99):
                    break
                time.sleep(0.2)
            t_steady = time.time()
            res["t_login"] = t_steady - t_load
            log("[%s] load up in %.1f s: %d/%d editors logged in, %d/%d idle "
                "connections open, daemon fds %d"
                % (name, t_steady - t_load, load.logged_in, args.editors,
                   load.idle_open, args.idle, fd_count(pid)))
            time.sleep(args.settle)
            res["t_steady"] = t_steady
            load.steady_fds = fd_count(pid)

        cpu0 = (proc_cpu(pid), proc_cpu(fake.proc.pid), self_cpu(), time.time())
        t0 = time.time()
        status, _ = http("POST", fake.url + "/_fake/seed", records, timeout=600)
        nqtest.check(status == 200, "seed: HTTP %d" % status)
        log("[%s] seeded %d items in %.1f s" % (name, args.items, time.time() - t0))
        total = base + args.items
        after = args.after if with_load else 0
        limit = max(5.0, min(args.timeout, deadline - time.time() - after - 15))
        try:
            wait_for("%d items screened" % total,
                     lambda: sampler.samples and sampler.samples[-1][1] >= total,
                     limit, 0.05)
        except nqtest.Failure as e:
            log("[%s] %s (cut short to stay within the time budget)" % (name, e))
        t_end = time.time()
        cpu1 = (proc_cpu(pid), proc_cpu(fake.proc.pid), self_cpu(), time.time())
        if with_load:
            time.sleep(max(0.0, min(after, deadline - time.time() - 15)))
            # the service time of one queue request with nothing else
            # going on (same session, same queue): 1 / it is the most
            # queue requests per second the daemon can serve
            load.stop()
            res["serial"] = serial_queue(daemon.port, load.cookie0, 20)
        sampler.halt = True
        sampler.join()
        if load is not None:
            load.stop()
        m_first = sampler.first_time(lambda s: s[1] > base)
        m_last = sampler.first_time(lambda s: s[1] >= total)
        res["screened"] = (sampler.samples[-1][1] - base) if sampler.samples else 0
        res["t_first"], res["t_last"] = m_first, m_last
        res["t_end"] = t_end
        if m_first is not None and m_last is not None and m_last > m_first:
            res["rate"] = args.items / (m_last - m_first)
        elif m_first is not None and res["screened"] > 0:
            # not finished: the rate so far, up to the end of the wait
            done = max((s[1] for s in sampler.samples if s[0] <= t_end), default=base)
            res["rate"] = (done - base) / max(1e-3, t_end - m_first)
            res["partial"] = done - base
        res["queue_open"] = sampler.samples[-1][2] if sampler.samples else 0
        res["cpu"] = [b - a for a, b in zip(cpu0, cpu1)]
        res["fds_max"] = sampler.fds_max
        res["metrics_errors"] = sampler.errors
        ms = sorted(sampler.slow)
        res["metrics_p99"] = pct(ms, 99)
        res["load"] = load
        res["alive"] = daemon.proc.poll() is None
        res["returncode"] = daemon.proc.returncode
        if not res["alive"]:
            log("[%s] DAEMON EXITED rc=%s; log tail:\n%s"
                % (name, daemon.proc.returncode, daemon.read_log()[-2000:]))
        return res
    finally:
        if sampler is not None:
            sampler.halt = True
        if load is not None and not load.stop_flag:
            load.stop()
        if daemon is not None:
            try:
                rc = daemon.stop()
                res["stop_rc"] = rc
            except nqtest.Failure as e:
                log("[%s] daemon stop: %s" % (name, e))
                res["stop_rc"] = "hung"
        fake.stop()


def serial_queue(port, cookie, n):
    """Latencies (ms, sorted) of n GET /api/queue one after the other."""
    if cookie is None:
        return []
    v = []
    conn = httpclient.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for _ in range(n):
            t0 = time.time()
            conn.request("GET", "/api/queue", headers={"Cookie": cookie})
            r = conn.getresponse()
            r.read()
            v.append((time.time() - t0) * 1000)
    except (OSError, httpclient.HTTPException):
        pass
    finally:
        conn.close()
    return sorted(v)


def lat_line(label, recs):
    v = sorted(r[2] for r in recs)
    errs = sum(1 for r in recs if r[3] == 0)
    if not v:
        return "    %-8s n=0" % label, None
    return ("    %-8s n=%-6d p50 %7.1f  p90 %7.1f  p99 %7.1f  max %7.1f ms%s"
            % (label, len(v), pct(v, 50), pct(v, 90), pct(v, 99), v[-1],
               "  (%d errors/timeouts)" % errs if errs else "")), pct(v, 99)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=20000)
    ap.add_argument("--editors", type=int, default=200)
    ap.add_argument("--idle", type=int, default=1000)
    ap.add_argument("--poll", type=float, default=1.0, help="queue poll interval (s)")
    ap.add_argument("--decide-every", type=float, default=10.0)
    ap.add_argument("--ramp", type=float, default=5.0,
                    help="editors log in spread over this many seconds")
    ap.add_argument("--settle", type=float, default=3.0,
                    help="load alone before the items are seeded (s)")
    ap.add_argument("--after", type=float, default=20.0,
                    help="load goes on this long after the last item (s)")
    ap.add_argument("--timeout", type=float, default=150.0,
                    help="per phase, for the screening")
    ap.add_argument("--budget", type=float, default=285.0,
                    help="the whole run (s); phase B's screening is cut "
                    "short to fit")
    ap.add_argument("--daemon-nofile", type=int, default=0,
                    help="start the daemon with this soft RLIMIT_NOFILE "
                    "(default: this script's, raised to fit the load)")
    ap.add_argument("--fake", choices=("stock", "fast"), default="fast")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()

    if not os.access(nqtest.DAEMON, os.X_OK):
        sys.exit("bench_api_load: %s not built (set NQ_BUILD_DIR)" % nqtest.DAEMON)
    # this process holds every connection; the daemon inherits the limit
    need = args.idle + args.editors + 512
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        new = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    log("netiquetted:  %s" % nqtest.DAEMON)
    log("RLIMIT_NOFILE: soft %s hard %s (need ~%d here)" % (soft, hard, need))
    log("fake:         %s" % ("bench_daemon.PatchedFake (nodelay, indexed)"
                              if args.fake == "fast" and PatchedFake else "stock"))
    log("load:         %d editors (poll %.1f s, decide every %.0f s), %d idle "
        "connections; N = %d items" % (args.editors, args.poll, args.decide_every,
                                       args.idle, args.items))
    work = tempfile.mkdtemp(prefix="nq-apiload-")
    records = json.dumps(fake_mastodon.generated_records(args.items)).encode()
    t_all = time.time()
    try:
        deadline = t_all + args.budget
        a = run_phase("A", args, records, work, with_load=False,
                      deadline=t_all + args.budget * 0.3)
        log("[A] %s items/s (%d screened)" % ("%.0f" % a["rate"] if "rate" in a else "?",
                                                a["screened"]))
        b = run_phase("B", args, records, work, with_load=True, deadline=deadline)
        log("[B] %s items/s (%d screened)" % ("%.0f" % b["rate"] if "rate" in b else "?",
                                                b["screened"]))
        load = b["load"]

        log("")
        log("== results (%.0f s in all) ==" % (time.time() - t_all))
        for ph in (a, b):
            wall = ph["cpu"][3]
            log("phase %s: %s items/s%s (%d of %d new, screening %.2f s); queue open %d; "
                "CPU over %.1f s: daemon %.2f s, fake %.2f s, load generator %.2f s; "
                "daemon fds max %d; daemon %s"
                % (ph["name"], "%.0f" % ph["rate"] if "rate" in ph else "?",
                   " (NOT FINISHED: rate so far)" if "partial" in ph else "",
                   ph["screened"], args.items,
                   ((ph["t_last"] or ph["t_end"]) - ph["t_first"]) if ph.get("t_first") else -1,
                   ph["queue_open"], wall, ph["cpu"][0], ph["cpu"][1], ph["cpu"][2],
                   ph["fds_max"], "alive" if ph["alive"] else "EXITED rc=%s" % ph["returncode"]))
        drop = None
        if "rate" in a and "rate" in b:
            drop = 100.0 * (a["rate"] - b["rate"]) / a["rate"]
            log("throughput drop with load: %.1f %%" % drop)

        logins = sorted(x[1] for x in load.logins if x[2] == 200)
        log("logins: %d ok, %d editors failed; login latency p50 %.0f  p99 %.0f  max %.0f ms "
            "(all in %.1f s)" % (load.logged_in, load.login_failed, pct(logins, 50),
                                pct(logins, 99), logins[-1] if logins else float("nan"),
                                b.get("t_login", -1)))
        lt = sorted(load.idle_lifetimes)
        log("idle connections: %d opened, %d closed by the daemon (lifetime p50 %.1f s), "
            "%d connect failures; daemon fds in steady state %d"
            % (load.idle_opened, load.idle_closed_by_server, pct(lt, 50),
               load.idle_connect_fail, getattr(load, "steady_fds", -1)))
        log("decide statuses: %s; other errors: %s"
            % (dict(sorted(load.decisions.items(), key=lambda kv: str(kv[0]))),
               load.errors or "none"))
        sq = b.get("serial") or []
        if sq:
            log("one GET /api/queue at a time after the load (queue open %d): p50 %.1f  "
                "max %.1f ms -> at most ~%.0f queue requests/s; the editors ask for "
                "%.0f/s" % (b["queue_open"], pct(sq, 50), sq[-1], 1000.0 / pct(sq, 50),
                            args.editors / args.poll))
        ts, tf = b.get("t_steady"), b.get("t_first")
        tl = b.get("t_last") or b.get("t_end")
        windows = []
        if ts and tf:
            windows.append(("load alone, before screening", ts, tf))
        if tf and tl:
            windows.append(("DURING SCREENING (target)", tf, tl))
        if ts:
            windows.append(("whole steady state", ts, float("inf")))
        p99s = {}
        for label, w0, w1 in windows:
            log("latency, %s (%.1f s):" % (label, min(w1, time.time()) - w0
                                           if w1 != float("inf") else
                                           max(r[1] for r in load.records) - w0))
            for kind in ("queue", "decide"):
                line, p99 = lat_line(kind, [r for r in load.records
                                           if r[0] == kind and w0 <= r[1] < w1])
                log(line)
                if label.startswith("DURING"):
                    p99s[kind] = p99
        log("metrics sampler during B: p99 %.1f ms, %d errors"
            % (b["metrics_p99"], b["metrics_errors"]))

        log("")
        log("targets:")
        for kind in ("queue", "decide"):
            p = p99s.get(kind)
            if p is None:
                log("  %s p99 < %.0f ms while screening: MISSED (no %s requests in the "
                    "screening window)" % (kind, TARGET_P99_MS, kind))
            else:
                log("  %s p99 < %.0f ms while screening: %s (%.1f ms)"
                    % (kind, TARGET_P99_MS, "MET" if p < TARGET_P99_MS else "MISSED", p))
        if drop is None:
            log("  throughput drop < %.0f %%: MISSED (not measured)" % TARGET_DROP)
        else:
            log("  throughput drop < %.0f %%: %s (%.0f -> %.0f items/s, %.1f %%)"
                % (TARGET_DROP, "MET" if drop < TARGET_DROP else "MISSED",
                   a["rate"], b["rate"], drop))
    finally:
        if args.keep:
            log("work directory kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
