"""nqtest.py: what the end-to-end tests share: starting the fake Mastodon
server and netiquetted on loopback with a temporary state directory,
reading /metrics and the fake's recorded actions, and waiting for
conditions with a deadline (tests wait for states, never for fixed times).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SRC = os.environ.get("NQ_SOURCE_DIR",
                     os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD = os.environ.get("NQ_BUILD_DIR", os.path.join(SRC, "build"))
FAKE = os.path.join(SRC, "tests", "fake", "fake_mastodon.py")
RULES = os.path.join(SRC, "rules")
DAEMON = os.path.join(BUILD, "netiquetted")
CTL = os.path.join(BUILD, "netiquettectl")


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(method, url, body=None, timeout=10):
    data = None
    headers = {}
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_for(what, cond, timeout=60, interval=0.1):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = cond()
            if last:
                return last
        except (OSError, ValueError) as e:
            last = e
        time.sleep(interval)
    raise Failure("timed out after %ss waiting for %s (last: %r)" % (timeout, what, last))


class Fake:
    """The fake Mastodon server, seeded from files or generated."""

    def __init__(self, seed=None, generate=0, token="test-token"):
        args = [sys.executable, FAKE, "--port", "0", "--token", token]
        if seed:
            args += ["--seed", seed]
        if generate:
            args += ["--generate", str(generate)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        check(line.startswith("LISTENING "), "fake server did not start: %r" % line)
        self.port = int(line.split()[1])
        self.url = "http://127.0.0.1:%d" % self.port
        self.token = token

    def get(self, path):
        status, body = http("GET", self.url + path)
        check(status == 200, "GET %s: %d" % (path, status))
        return json.loads(body)

    def post(self, path, obj):
        status, body = http("POST", self.url + path, obj)
        check(status in (200, 201, 204), "POST %s: %d %r" % (path, status, body[:200]))
        return json.loads(body) if body else None

    def faults(self, **kw):
        return self.post("/_fake/faults", kw)

    def clear_faults(self):
        http("DELETE", self.url + "/_fake/faults")

    def actions(self):
        return self.get("/_fake/actions")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Daemon:
    """netiquetted with its own config, state directory and token file."""

    def __init__(self, fake, mode="auto", rules=RULES, workdir=None, extra=""):
        self.dir = workdir or tempfile.mkdtemp(prefix="nq-e2e-")
        self.state = os.path.join(self.dir, "state")
        self.port = free_port()
        self.conf = os.path.join(self.dir, "netiquetted.conf")
        self.log = os.path.join(self.dir, "daemon.log")
        with open(os.path.join(self.dir, "mastodon.token"), "w") as f:
            f.write(fake.token + "\n")
        os.chmod(os.path.join(self.dir, "mastodon.token"), 0o600)
        with open(self.conf, "w") as f:
            f.write("state-dir = %s\nrules-dir = %s\nlisten = 127.0.0.1:%d\n"
                    "poll-interval = 5s\nbackoff-base = 1s\nbackoff-max = 4s\n"
                    "max-tries = 30\n%s\n"
                    "[account bmi]\nplatform = mastodon\nbase-url = %s\n"
                    "token-file = %s\nmode = %s\nbackfill = yes\n"
                    % (self.state, rules, self.port, extra, fake.url,
                       os.path.join(self.dir, "mastodon.token"), mode))
        self.proc = None

    def start(self, wait_ready=True):
        env = dict(os.environ)
        env.pop("CREDENTIALS_DIRECTORY", None)
        self.logf = open(self.log, "a")
        self.proc = subprocess.Popen([DAEMON, "-f", self.conf], stdout=self.logf,
                                     stderr=self.logf, env=env)
        if wait_ready:
            wait_for("daemon /healthz", lambda: self.healthz() is not None, 30)
        return self

    def healthz(self):
        try:
            status, body = http("GET", "http://127.0.0.1:%d/healthz" % self.port, timeout=2)
        except OSError:
            return None
        return json.loads(body) if status == 200 else None

    def ruleset(self):
        """The running rule set's hash; waits out a reload in progress
        (the loop builds the new set before it answers again)."""
        return wait_for("healthz", lambda: (self.healthz() or {}).get("ruleset"), 60)

    def metrics(self):
        status, body = http("GET", "http://127.0.0.1:%d/metrics" % self.port)
        check(status == 200, "metrics: %d" % status)
        out = {}
        for line in body.decode().splitlines():
            if line.startswith("#") or not line.strip():
                continue
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
        return out

    def items_new(self):
        return int(self.metrics().get('netiquetted_items_total{outcome="new"}', 0))

    def outbox_pending(self):
        return int(self.metrics().get("netiquetted_outbox_pending", -1))

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=20):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise Failure("daemon did not stop within %ss" % timeout)
        self.logf.close()
        return rc

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.logf.close()

    def ctl(self, *args):
        r = subprocess.run([CTL] + list(args), capture_output=True, text=True)
        return r.returncode, r.stdout, r.stderr

    def audit_verify(self):
        return self.ctl("audit", "verify", "--state", self.state)

    def read_log(self):
        with open(self.log, errors="replace") as f:
            return f.read()


def db_query(state, sql, *args):
    import sqlite3
    con = sqlite3.connect(os.path.join(state, "netiquetted.db"), timeout=30)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def run_tests(tests):
    """Runs test functions; prints one line each and 'N passed, M failed'."""
    passed = failed = 0
    for t in tests:
        start = time.time()
        try:
            t()
            passed += 1
            print("ok   %s (%.1fs)" % (t.__name__, time.time() - start), flush=True)
        except Exception as e:  # noqa: BLE001 - report every failure
            failed += 1
            print("FAIL %s: %s: %s" % (t.__name__, type(e).__name__, e), flush=True)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
