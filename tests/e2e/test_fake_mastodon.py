#!/usr/bin/env python3
"""test_fake_mastodon.py: the fake Mastodon server over real HTTP on
loopback.  The connector's tests and the daemon's end-to-end tests trust the
fake to behave like Mastodon (PLATFORMS.md section 1); this checks that it
does: paging with min_id / max_id / since_id and Link headers, the types[]
and include_filtered filters, bearer tokens, rate-limit headers and 429
without Retry-After, fault injection, and exactly-once action recording
with Idempotency-Key.

NQ_FAKE_SERVER=fast runs all of it against the fake's --fast-server front
end (ctest: e2e_test_fake_mastodon.py_fast), and adds TestSameAnswers:
both front ends in this process, on twin states with a frozen clock, must
send the same bytes for the same requests.
"""

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("NQ_SOURCE_DIR", os.path.dirname(os.path.dirname(HERE)))
FAKE = os.path.join(SRC, "tests", "fake", "fake_mastodon.py")
DEMO = os.path.join(SRC, "tests", "fake", "demo_thread.jsonl")
TOKEN = "test-token"
ADMIN = "admin-token"
MENTION = "types%5B%5D=mention"
FAST = os.environ.get("NQ_FAKE_SERVER", "stock") == "fast"


class Fake:
    def __init__(self, *args):
        if FAST:
            args = ("--fast-server",) + args
        self.proc = subprocess.Popen([sys.executable, FAKE, "--port", "0"] + list(args),
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"LISTENING (\d+)$", line.strip())
        if not m:
            self.proc.kill()
            raise RuntimeError("fake did not start: %r" % line)
        self.port = int(m.group(1))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.proc.stdout.close()

    def request(self, method, path, body=None, token=TOKEN, headers=None, ctype=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        data = None
        if body is not None:
            if isinstance(body, (dict, list)) and ctype != "form":
                data = json.dumps(body).encode()
                h["Content-Type"] = "application/json"
            elif isinstance(body, str):
                data = body.encode()
                h["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                data = urllib.parse.urlencode(body, doseq=True).encode()
                h["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, data, h)
            r = conn.getresponse()
            raw = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, raw
        finally:
            conn.close()

    def json(self, method, path, body=None, **kw):
        st, hd, raw = self.request(method, path, body, **kw)
        return st, hd, json.loads(raw) if raw else None

    def control(self, method, path, body=None):
        return self.json(method, "/_fake/" + path, body, token=None)[2]


def ids(page):
    return [int(n["id"]) for n in page]


def parse_link(value):
    out = {}
    for part in value.split(","):
        m = re.match(r'\s*<([^>]+)>;\s*rel="(\w+)"', part)
        out[m.group(2)] = urllib.parse.parse_qs(urllib.parse.urlsplit(m.group(1)).query)
    return out


class TestFakeMastodon(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = Fake("--seed", DEMO)

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def setUp(self):
        self.fake.control("DELETE", "faults")
        self.fake.control("DELETE", "actions")

    def all_mentions(self, extra=""):
        """Walks max_id pages from the newest; returns ids newest first."""
        out, path = [], "/api/v1/notifications?%s&limit=80%s" % (MENTION, extra)
        while True:
            st, hd, page = self.fake.json("GET", path)
            self.assertEqual(st, 200)
            if not page:
                self.assertNotIn("link", hd)
                return out
            out += ids(page)
            link = parse_link(hd["link"])
            self.assertEqual(link["next"]["max_id"], [page[-1]["id"]])
            self.assertEqual(link["prev"]["min_id"], [page[0]["id"]])
            path = "/api/v1/notifications?%s&limit=80%s&max_id=%s" % (
                MENTION, extra, link["next"]["max_id"][0])

    def test_auth(self):
        st, hd, body = self.fake.json("GET", "/api/v1/notifications", token=None)
        self.assertEqual((st, body), (401, {"error": "The access token is invalid"}))
        self.assertIn("x-ratelimit-remaining", hd)
        st, _, body = self.fake.json("GET", "/api/v1/notifications", token="wrong")
        self.assertEqual(st, 401)
        st, _, rules = self.fake.json("GET", "/api/v1/instance/rules", token=None)
        self.assertEqual(st, 200)
        self.assertTrue(all(isinstance(r["id"], str) and r["text"] for r in rules))

    def test_first_page_and_shapes(self):
        st, hd, page = self.fake.json(
            "GET", "/api/v1/notifications?%s&include_filtered=true" % MENTION)
        self.assertEqual(st, 200)
        self.assertEqual(len(page), 40)                 # default limit
        self.assertEqual(ids(page), sorted(ids(page), reverse=True))
        for n in page:
            self.assertIsInstance(n["id"], str)
            self.assertEqual(n["type"], "mention")
            self.assertRegex(n["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            s = n["status"]
            self.assertIsInstance(s["id"], str)
            self.assertIn(s["visibility"], ("public", "direct"))
            self.assertTrue(s["content"].startswith("<p>"))
            self.assertIn('class="u-url mention"', s["content"])
            self.assertEqual(s["account"]["id"], n["account"]["id"])
            if s["visibility"] == "public":
                self.assertIsNotNone(s["in_reply_to_id"])
                parent = self.fake.json("GET", "/api/v1/statuses/" + s["in_reply_to_id"])[2]
                self.assertIn(parent["account"]["acct"], ("bmi", s["account"]["acct"],
                                                          parent["account"]["acct"]))
        st, _, page = self.fake.json("GET", "/api/v1/notifications?%s&limit=500" % MENTION)
        self.assertEqual(len(page), 80)                 # max limit

    def test_filters(self):
        everything = self.all_mentions("&include_filtered=true")
        visible = self.all_mentions()
        state = self.fake.control("GET", "state")
        self.assertEqual(len(everything), state["mentions"])
        self.assertGreaterEqual(len(everything), 200)
        self.assertEqual(len(set(everything)), len(everything))
        # Private mentions from strangers are filtered unless asked for.
        self.assertLess(len(visible), len(everything))
        st, _, page = self.fake.json("GET", "/api/v1/notifications?limit=80")
        kinds = {n["type"] for n in page}
        self.assertTrue({"favourite", "follow"} & kinds, kinds)
        st, _, page = self.fake.json(
            "GET", "/api/v1/notifications?limit=80&exclude_types%5B%5D=mention")
        self.assertNotIn("mention", {n["type"] for n in page})
        # A plain types= then types[]= is Rack's ParameterTypeError: 400,
        # and the connection still answers.
        st, _, body = self.fake.json(
            "GET", "/api/v1/notifications?types=mention&types%5B%5D=follow")
        self.assertEqual(st, 400)
        self.assertIn("expected Array (got String) for param `types'", body["error"])
        # the other way round a plain types= replaces the list, as in Rack
        st, _, page = self.fake.json(
            "GET", "/api/v1/notifications?types%5B%5D=follow&types=mention&limit=80")
        self.assertEqual(st, 200)
        self.assertEqual({n["type"] for n in page}, {"mention"})
        # the same for a form body, and nothing is reported
        reports = len(self.fake.control("GET", "state")["reports"])
        st, _, body = self.fake.json(
            "POST", "/api/v1/reports", "account_id=1&status_ids=1&status_ids%5B%5D=2")
        self.assertEqual(st, 400)
        self.assertIn("param `status_ids'", body["error"])
        self.assertEqual(len(self.fake.control("GET", "state")["reports"]), reports)

    def test_min_id_catch_up(self):
        everything = self.all_mentions("&include_filtered=true")
        oldest = min(everything)
        cursor, seen, pages = str(oldest - 1), [], 0
        while True:
            st, hd, page = self.fake.json(
                "GET", "/api/v1/notifications?%s&include_filtered=true&limit=40&min_id=%s"
                % (MENTION, cursor))
            self.assertEqual(st, 200)
            if not page:
                self.assertNotIn("link", hd)
                break
            pages += 1
            self.assertEqual(ids(page), sorted(ids(page), reverse=True))
            # The page immediately after the cursor: contiguous, no gap.
            if seen:
                self.assertGreater(min(ids(page)), max(seen))
            self.assertGreater(min(ids(page)), int(cursor))
            seen += ids(page)
            cursor = page[0]["id"]                      # highest first
        self.assertEqual(sorted(seen), sorted(everything))
        self.assertEqual(pages, (len(everything) + 39) // 40)
        # New comments after catching up: exactly those come next.
        res = self.fake.control("POST", "seed", [
            {"author": "neu@mastodon.social", "text": "Neue Frage zum Warntag", "in_reply_to": "p-kats"},
            {"author": "neu2", "text": "Noch eine DM", "visibility": "direct"}])
        st, _, page = self.fake.json(
            "GET", "/api/v1/notifications?%s&include_filtered=true&min_id=%s" % (MENTION, cursor))
        self.assertEqual([n["id"] for n in page],
                         [res[1]["notification_id"], res[0]["notification_id"]])
        self.assertEqual(page[0]["status"]["visibility"], "direct")
        self.assertEqual(page[1]["status"]["in_reply_to_id"], self.fake.control("GET", "state")["keys"]["p-kats"])

    def test_since_id_gap(self):
        everything = sorted(self.all_mentions("&include_filtered=true"))
        since = everything[0]
        st, _, page = self.fake.json(
            "GET", "/api/v1/notifications?%s&include_filtered=true&limit=5&since_id=%d"
            % (MENTION, since))
        # since_id starts from the newest: the older ones are skipped.
        self.assertEqual(ids(page), sorted(everything[-5:], reverse=True))

    def test_rate_limit(self):
        self.fake.control("POST", "faults", {"rate_limit": 4, "rate_window": 2})
        # Start at the beginning of a window so that all five land in it.
        time.sleep(2 - time.time() % 2 + 0.05)
        rem = []
        for _ in range(4):
            st, hd, _ = self.fake.request("GET", "/api/v1/notifications?limit=1")
            self.assertEqual(st, 200)
            self.assertEqual(hd["x-ratelimit-limit"], "4")
            rem.append(int(hd["x-ratelimit-remaining"]))
        self.assertEqual(rem, [3, 2, 1, 0])
        st, hd, body = self.fake.request("GET", "/api/v1/notifications?limit=1")
        self.assertEqual(st, 429)
        self.assertEqual(json.loads(body), {"error": "Too many requests"})
        self.assertNotIn("retry-after", hd)
        self.assertEqual(hd["x-ratelimit-remaining"], "0")
        self.assertRegex(hd["x-ratelimit-reset"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
        reset = datetime.strptime(hd["x-ratelimit-reset"], "%Y-%m-%dT%H:%M:%S.%fZ")
        wait = (reset - datetime.utcnow()).total_seconds()
        self.assertTrue(0 < wait <= 2.1, wait)
        time.sleep(wait + 0.1)
        st, _, _ = self.fake.request("GET", "/api/v1/notifications?limit=1")
        self.assertEqual(st, 200)

    def test_faults(self):
        f = self.fake
        f.control("POST", "faults", {"status_5xx_rate": 1.0})
        st, _, body = f.request("GET", "/api/v1/notifications")
        self.assertIn(st, (500, 502, 503))
        f.control("DELETE", "faults")
        f.control("POST", "faults", {"malformed_rate": 1.0})
        st, _, body = f.request("GET", "/api/v1/notifications")
        self.assertEqual(st, 200)
        self.assertRaises(ValueError, json.loads, body)
        f.control("DELETE", "faults")
        f.control("POST", "faults", {"truncated_rate": 1.0})
        with self.assertRaises(http.client.IncompleteRead):
            f.request("GET", "/api/v1/notifications")
        f.control("DELETE", "faults")
        f.control("POST", "faults", {"slow_ms": 300})
        t0 = time.time()
        self.assertEqual(f.request("GET", "/api/v1/notifications?limit=1")[0], 200)
        self.assertGreaterEqual(time.time() - t0, 0.3)
        f.control("DELETE", "faults")
        f.control("POST", "faults", {"invalid_token": True})
        self.assertEqual(f.request("GET", "/api/v1/notifications")[0], 401)
        f.control("DELETE", "faults")
        f.control("POST", "faults", {"fail_next": [
            {"path": "/api/v1/notifications", "status": 503, "count": 2}]})
        codes = [f.request("GET", "/api/v1/notifications?limit=1")[0] for _ in range(3)]
        self.assertEqual(codes, [503, 503, 200])
        st, _, body = f.json("POST", "/_fake/faults", {"no_such_fault": 1}, token=None)
        self.assertEqual(st, 400)
        # Control endpoints are never faulty.
        f.control("POST", "faults", {"status_5xx_rate": 1.0, "invalid_token": True})
        self.assertEqual(f.control("GET", "health"), {"ok": True})

    def author(self, n=0):
        st, _, page = self.fake.json("GET", "/api/v1/notifications?%s&limit=80" % MENTION)
        s = page[n]["status"]
        return s["account"]["id"], s["id"]

    def test_actions_exactly_once(self):
        f = self.fake
        aid, sid = self.author(0)
        hk = {"Idempotency-Key": "nq-1-block"}
        st, _, rel = f.json("POST", "/api/v1/accounts/%s/block" % aid, headers=hk)
        self.assertEqual(st, 200)
        self.assertTrue(rel["blocking"])
        st, _, rel2 = f.json("POST", "/api/v1/accounts/%s/block" % aid, headers=hk)
        self.assertEqual((st, rel2), (200, rel))
        acts = f.control("GET", "actions")
        self.assertEqual(acts["counts"], {"block:%s" % aid: 1})
        self.assertEqual(acts["replays"], 1)
        self.assertEqual([a["idempotency_key"] for a in acts["actions"]], ["nq-1-block"] * 2)
        self.assertEqual([a["replay"] for a in acts["actions"]], [False, True])
        # Block is idempotent on Mastodon, but a new key is a new action.
        f.json("POST", "/api/v1/accounts/%s/block" % aid, headers={"Idempotency-Key": "k2"})
        self.assertEqual(f.control("GET", "actions")["counts"]["block:%s" % aid], 2)
        self.assertIn(aid, f.control("GET", "state")["blocked"])

        # Lost response: applied, then 502.  Mastodon ignores the key on a
        # report, so the resend is a second report (a block resent replays).
        f.control("POST", "faults", {"post_apply_5xx_rate": 1.0})
        form = {"account_id": aid, "status_ids[]": [sid], "rule_ids[]": ["1", "3"],
                "category": "other", "forward": "true",
                "comment": "Verstoß gegen die Netiquette: Beleidigungen (Regel insult.x)"}
        hk = {"Idempotency-Key": "nq-2-report"}
        st, _, _ = f.request("POST", "/api/v1/reports", form, headers=hk, ctype="form")
        self.assertEqual(st, 502)
        f.control("DELETE", "faults")
        st, _, rep = f.json("POST", "/api/v1/reports", form, headers=hk, ctype="form")
        self.assertEqual(st, 200)
        self.assertEqual(rep["category"], "violation")       # forced by rule_ids
        self.assertEqual(rep["rule_ids"], ["1", "3"])
        self.assertEqual(rep["status_ids"], [sid])
        self.assertIsInstance(rep["id"], str)
        acts = f.control("GET", "actions")
        self.assertEqual(acts["counts"]["report:%s" % aid], 2)
        self.assertEqual([a["replay"] for a in acts["actions"] if a["kind"] == "report"],
                         [False, False])
        mine = [r for r in f.control("GET", "state")["reports"]
                if r["target_account"]["id"] == aid and r["comment"] == form["comment"]]
        self.assertEqual(len(mine), 2)

    def test_action_validation(self):
        f = self.fake
        aid, sid = self.author(1)
        st, _, rel = f.json("POST", "/api/v1/accounts/%s/mute" % aid,
                            "notifications=true&duration=3600")
        self.assertEqual(st, 200)
        self.assertTrue(rel["muting"] and rel["muting_notifications"])
        self.assertIsNotNone(rel["muting_expires_at"])
        st, _, rel = f.json("POST", "/api/v1/accounts/%s/unmute" % aid)
        self.assertFalse(rel["muting"])
        # JSON bodies work as well as form data.
        st, _, rep = f.json("POST", "/api/v1/reports",
                            {"account_id": aid, "status_ids": [sid], "category": "spam"})
        self.assertEqual((st, rep["category"]), (200, "spam"))
        st, _, err = f.json("POST", "/api/v1/reports",
                            {"account_id": aid, "rule_ids": ["999"]})
        self.assertEqual((st, err["error"]),
                         (422, "Validation failed: Rule ids does not reference valid rules"))
        st, _, err = f.json("POST", "/api/v1/reports", {"account_id": "1"})
        self.assertEqual((st, err), (404, {"error": "Record not found"}))
        st, _, err = f.json("POST", "/api/v1/reports", {"account_id": aid, "comment": "x" * 1001})
        self.assertEqual(st, 422)
        st, _, err = f.json("POST", "/api/v1/accounts/999/block")
        self.assertEqual(st, 404)
        # Admin API: needs the admin token.
        st, _, err = f.json("POST", "/api/v1/admin/accounts/%s/action" % aid, {"type": "silence"})
        self.assertEqual((st, err), (403, {"error": "This action is not allowed"}))
        st, _, body = f.json("POST", "/api/v1/admin/accounts/%s/action" % aid,
                             {"type": "silence"}, token=ADMIN)
        self.assertEqual((st, body), (200, {}))
        st, _, _ = f.json("POST", "/api/v1/admin/accounts/%s/action" % aid,
                          {"type": "explode"}, token=ADMIN)
        self.assertEqual(st, 422)
        # No deleting other people's statuses.
        st, _, err = f.json("DELETE", "/api/v1/statuses/%s" % sid)
        self.assertEqual((st, err), (404, {"error": "Record not found"}))
        counts = f.control("GET", "actions")["counts"]
        self.assertEqual(counts.get("admin_action:%s" % aid), 1)
        self.assertEqual(counts.get("mute:%s" % aid), 1)

    def test_context_and_requests_log(self):
        f = self.fake
        keys = f.control("GET", "state")["keys"]
        st, _, ctx = f.json("GET", "/api/v1/statuses/%s/context" % keys["p-digital"])
        self.assertEqual(st, 200)
        self.assertEqual(ctx["ancestors"], [])
        self.assertGreater(len(ctx["descendants"]), 30)
        self.assertNotIn("direct", {s["visibility"] for s in ctx["descendants"]})
        # a request is logged right after its answer is sent, so the
        # context request may still land after the DELETE: ignore it
        f.control("DELETE", "requests")
        f.request("GET", "/api/v1/notifications?limit=1")
        # ... and so may this one land after our next request: wait for it
        for _ in range(200):
            log = [r for r in f.control("GET", "requests")
                   if not r["path"].endswith("/context")]
            if log:
                break
            time.sleep(0.01)
        self.assertEqual([(r["method"], r["path"], r["status"]) for r in log],
                         [("GET", "/api/v1/notifications", 200)])


def raw_request(method, path, body=None, token=TOKEN, headers=(), version="HTTP/1.1"):
    """One request's bytes, as a client would send them."""
    lines = ["%s %s %s" % (method, path, version), "Host: fake.test"]
    if token:
        lines.append("Authorization: Bearer " + token)
    lines += list(headers)
    data = b""
    if body is not None:
        if isinstance(body, dict):
            data = json.dumps(body).encode()
            lines.append("Content-Type: application/json")
        else:
            data = body.encode() if isinstance(body, str) else body
            lines.append("Content-Type: application/x-www-form-urlencoded")
        lines.append("Content-Length: %d" % len(data))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data


def converse(port, requests):
    """Sends the requests on one connection at once (pipelined), closes
    its sending side and returns every byte the server sent until it
    closed, Date headers left out."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(b"".join(requests))
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            d = s.recv(1 << 16)
            if not d:
                break
            chunks.append(d)
    return re.sub(rb"\r\nDate: [^\r]*", b"", b"".join(chunks))


def responses(raw):
    """The answers in a conversation: [(status, head, body)]; the body of
    a truncated last answer is short."""
    out = []
    while raw:
        head, _, raw = raw.partition(b"\r\n\r\n")
        status = int(head[9:12])
        m = re.search(rb"\r\nContent-Length: (\d+)", head)
        n = int(m.group(1)) if m and status >= 200 else 0
        out.append((status, head, raw[:n]))
        raw = raw[n:]
    return out


def statuses(raw):
    return [r[0] for r in responses(raw)]


class FrozenClock:
    """The fake's `time` module with time() standing still, so that two
    States seeded alike are alike (ids and timestamps come from the clock)."""

    sleep = staticmethod(time.sleep)

    def __init__(self, t):
        self.t = t

    def time(self):
        return self.t


@unittest.skipUnless(FAST, "NQ_FAKE_SERVER=fast")
class TestSameAnswers(unittest.TestCase):
    """ThreadingHTTPServer and --fast-server, each in front of its own
    State seeded alike under a frozen clock, in this process: the same
    conversations get the same bytes back (but for the Date header),
    pipelined on one connection, faults and all."""

    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.dirname(FAKE))
        import fake_mastodon as fm
        cls.fm = fm
        cls.real_time = fm.time
        fm.time = FrozenClock(1795000000.4567)
        cls.servers = []
        for kind in ("stock", "fast"):
            st = fm.State(TOKEN, ADMIN)
            with open(DEMO, encoding="utf-8") as f:
                for line in f:
                    if line.strip() and not line.lstrip().startswith("//"):
                        st.seed_one(json.loads(line))
            handler = type("Handler_" + kind, (fm.Handler,), {"state": st})
            if kind == "stock":
                srv = fm.ThreadingHTTPServer(("127.0.0.1", 0), handler)
                srv.daemon_threads = True
            else:
                srv = fm.FastServer(("127.0.0.1", 0), handler)
            srv.verbose = False
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            cls.servers.append(srv)
        cls.stock, cls.fast = cls.servers

    @classmethod
    def tearDownClass(cls):
        for srv in cls.servers:
            srv.shutdown()
        cls.stock.server_close()
        cls.fm.time = cls.real_time

    def same(self, *requests):
        """Both servers' answers to one conversation; returns one."""
        a = converse(self.stock.server_port, requests)
        b = converse(self.fast.server_port, requests)
        self.assertEqual(a, b)
        return a

    def control(self, method, path, body=None):
        raw = self.same(raw_request(method, "/_fake/" + path, body, token=None))
        self.assertEqual(statuses(raw), [200], raw[:300])
        return json.loads(raw.split(b"\r\n\r\n", 1)[1])

    def setUp(self):
        self.control("DELETE", "faults")
        self.control("POST", "faults", {"rate_limit": 10 ** 6})

    def test_pages_and_links(self):
        q = "/api/v1/notifications?%s&include_filtered=true&limit=30" % MENTION
        raw = self.same(raw_request("GET", q))
        self.assertIn(b"\r\nLink: <http://fake.test/api/v1/notifications?", raw)
        self.assertIn(b"\r\nX-RateLimit-Remaining: ", raw)
        pages, path = 0, q
        while True:                         # max_id, newest to oldest
            raw = self.same(raw_request("GET", path))
            page = json.loads(raw.split(b"\r\n\r\n", 1)[1])
            if not page:
                self.assertNotIn(b"\r\nLink:", raw)
                break
            pages += 1
            path = q + "&max_id=" + page[-1]["id"]
        self.assertGreater(pages, 5)
        oldest = int(page and page[-1]["id"] or path.rsplit("=", 1)[1])
        cursor = str(oldest - 1)
        for _ in range(pages + 1):          # min_id, oldest to newest
            raw = self.same(raw_request("GET", q + "&min_id=" + cursor))
            page = json.loads(raw.split(b"\r\n\r\n", 1)[1])
            if not page:
                break
            cursor = page[0]["id"]
        else:
            self.fail("min_id never reached the newest page")
        sid = self.control("GET", "state")["keys"]["p-kats"]
        raw = self.same(
            raw_request("GET", q + "&since_id=" + str(oldest)),
            raw_request("GET", "/api/v1/notifications?limit=80&exclude_types%5B%5D=mention"),
            raw_request("GET", "/api/v1/statuses/" + sid),
            raw_request("GET", "/api/v1/statuses/%s/context" % sid),
            raw_request("GET", "/api/v1/accounts/verify_credentials"),
            raw_request("GET", "/api/v1/instance/rules", token=None),
            raw_request("GET", "/api/v1/notifications", token=None),
            raw_request("GET", "/api/v1/notifications", token="wrong"),
            raw_request("GET", "/api/v1/notifications/1"),
            raw_request("GET", "//api/v1/instance/rules"),
            raw_request("GET", "/elsewhere"))
        self.assertEqual(statuses(raw), [200] * 6 + [401, 401, 404, 200, 404])

    def test_rate_limit(self):
        self.control("POST", "faults", {"rate_limit": 3, "rate_window": 60})
        raw = self.same(*[raw_request("GET", "/api/v1/notifications?limit=1")] * 5)
        self.assertEqual(statuses(raw), [200, 200, 200, 429, 429])
        self.assertEqual(re.findall(rb"X-RateLimit-Remaining: (\d+)", raw),
                         [b"2", b"1", b"0", b"0", b"0"])
        self.assertNotIn(b"Retry-After", raw)

    def test_faults(self):
        acc = self.control("GET", "state")["accounts"]
        self.assertGreater(acc, 20)
        self.control("POST", "faults", {"random_seed": 7, "status_5xx_rate": 0.3,
                                        "malformed_rate": 0.3, "post_apply_5xx_rate": 0.3})
        reqs = []
        for i in range(20):
            reqs.append(raw_request("GET", "/api/v1/notifications?limit=2"))
            reqs.append(raw_request("POST", "/api/v1/accounts/%d/block" % (110000000000000001 + i),
                                    "", headers=["Idempotency-Key: f-%d" % i]))
        raw = self.same(*reqs)
        codes = statuses(raw)
        self.assertEqual(len(codes), 40)
        self.assertTrue({500, 502, 503} & set(codes), codes)
        self.assertIn(200, codes)
        self.assertIn(b"\x00<html>garbage", raw)
        self.control("DELETE", "faults")
        self.control("POST", "faults", {"fail_next": [
            {"path": "/api/v1/notifications", "status": 503, "count": 2}]})
        raw = self.same(*[raw_request("GET", "/api/v1/notifications?limit=1")] * 3)
        self.assertEqual(statuses(raw), [503, 503, 200])
        self.control("POST", "faults", {"invalid_token": True})
        raw = self.same(raw_request("GET", "/api/v1/notifications?limit=1"))
        self.assertEqual(statuses(raw), [401])
        self.control("DELETE", "faults")
        self.control("POST", "faults", {"truncated_rate": 1.0})
        raw = self.same(raw_request("GET", "/api/v1/notifications?limit=3"),
                        raw_request("GET", "/api/v1/notifications?limit=3"))
        self.assertEqual(statuses(raw), [200])     # then closed
        _, head, body = responses(raw)[0]
        self.assertIn(b"\r\nConnection: close", head)
        n = int(re.search(rb"Content-Length: (\d+)", head).group(1))
        self.assertEqual(len(body), n // 2)

    def test_slow(self):
        self.control("POST", "faults", {"slow_ms": 300})
        t0 = time.time()
        done = []
        slow = threading.Thread(target=lambda: done.append(converse(
            self.fast.server_port, [raw_request("GET", "/api/v1/notifications?limit=1")] * 2)))
        slow.start()
        time.sleep(0.05)
        # the fast server's other connections go on meanwhile
        health = converse(self.fast.server_port, [raw_request("GET", "/_fake/health", token=None)])
        self.assertEqual(statuses(health), [200])
        self.assertLess(time.time() - t0, 0.25)
        slow.join()
        self.assertGreaterEqual(time.time() - t0, 0.6)
        self.assertEqual(statuses(done[0]), [200, 200])
        self.assertEqual(converse(self.stock.server_port,
                                  [raw_request("GET", "/api/v1/notifications?limit=1")] * 2),
                         done[0])
        raw = self.same(raw_request("GET", "/api/v1/notifications?limit=1"))
        self.assertEqual(statuses(raw), [200])

    def test_actions_exactly_once(self):
        st = self.control("GET", "state")
        sid = st["keys"]["p-cyber"]
        aid = "110000000000000002"
        form = "account_id=%s&rule_ids%%5B%%5D=1&rule_ids[]=3&comment=Versto%%C3%%9F+x&forward=true" % aid
        raw = self.same(
            raw_request("POST", "/api/v1/accounts/%s/mute" % aid, "duration=86400",
                        headers=["Idempotency-Key: m1"]),
            raw_request("POST", "/api/v1/accounts/%s/mute" % aid, "duration=86400",
                        headers=["Idempotency-Key: m1"]),
            raw_request("POST", "/api/v1/accounts/%s/block" % aid, {"x": 1},
                        headers=["Idempotency-Key: b1"]),
            raw_request("POST", "/api/v1/reports", form, headers=["Idempotency-Key: r1"]),
            raw_request("POST", "/api/v1/reports", {"account_id": aid, "rule_ids": ["99"]}),
            raw_request("POST", "/api/v1/admin/accounts/%s/action" % aid, {"type": "silence"}),
            raw_request("POST", "/api/v1/admin/accounts/%s/action" % aid, {"type": "silence"},
                        token=ADMIN),
            raw_request("DELETE", "/api/v1/statuses/" + sid),
            raw_request("DELETE", "/api/v1/statuses/" + sid))
        self.assertEqual(statuses(raw), [200, 200, 200, 200, 422, 403, 200, 200, 404])
        self.control("POST", "faults", {"post_apply_5xx_rate": 1.0})
        raw = self.same(raw_request("POST", "/api/v1/accounts/%s/unmute" % aid, "",
                                    headers=["Idempotency-Key: u1"]))
        self.assertEqual(statuses(raw), [502])
        self.control("DELETE", "faults")
        raw = self.same(raw_request("POST", "/api/v1/accounts/%s/unmute" % aid, "",
                                    headers=["Idempotency-Key: u1"]))
        self.assertEqual(statuses(raw), [200])
        acts = self.control("GET", "actions")
        self.assertEqual(acts["counts"]["mute:%s" % aid], 1)
        self.assertEqual(acts["counts"]["unmute:%s" % aid], 1)
        self.assertGreaterEqual(acts["replays"], 2)
        self.control("GET", "requests")

    def test_protocol(self):
        ok = raw_request("GET", "/_fake/health", token=None)
        raw = self.same(
            raw_request("POST", "/_fake/health", "x", headers=["Expect: 100-continue"]),
            ok,
            raw_request("GET", "/_fake/health", token=None, headers=["Connection: close"]),
            ok)
        self.assertTrue(raw.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 "))
        self.assertEqual(statuses(raw), [100, 200, 200, 200])
        raw = self.same(raw_request("GET", "/_fake/health", token=None, version="HTTP/1.0"), ok)
        self.assertEqual(statuses(raw), [200])      # HTTP/1.0: closed
        raw = self.same(raw_request("GET", "/_fake/health", token=None, version="HTTP/1.0",
                                    headers=["Connection: keep-alive"]), ok)
        self.assertEqual(statuses(raw), [200, 200])
        raw = self.same(raw_request("PATCH", "/api/v1/notifications"), ok)
        self.assertEqual(statuses(raw), [501])
        raw = self.same(b"GET / x HTTP/1.1\r\n\r\n", ok)
        self.assertEqual(statuses(raw), [400])
        self.assertEqual(self.same(b"\r\n" + ok), b"")
        # not the stock server's answer: it would read the chunks as requests
        raw = converse(self.fast.server_port, [
            b"POST /_fake/seed HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", ok])
        self.assertEqual(statuses(raw), [411])


class TestContentHtml(unittest.TestCase):
    """A status's content as Mastodon renders the text: links shortened,
    hashtags linked, the rest escaped."""

    def test_apostrophe_in_a_link_is_no_hashtag(self):
        fake = Fake()
        try:
            text = "O'Reilly https://evil.example/?q='x' #Netiquette"
            self.assertEqual(len(fake.control("POST", "seed", {"author": "a", "text": text})), 1)
            st, _, page = fake.json("GET", "/api/v1/notifications?%s&limit=1" % MENTION)
            html = page[0]["status"]["content"]
            # before, the hashtag step ran on the escaped HTML and made
            # a tag of "#x27" in "&#x27;"
            self.assertNotIn("tags/x27", html)
            self.assertIn('href="https://evil.example/?q=&#x27;x&#x27;"', html)
            self.assertIn("O'Reilly", html)
            self.assertIn('tags/Netiquette" class="mention hashtag"', html)
        finally:
            fake.stop()


class TestGenerate(unittest.TestCase):
    def test_generate(self):
        fake = Fake("--generate", "500")
        try:
            state = fake.control("GET", "state")
            self.assertEqual(state["mentions"], 500)
            st, _, page = fake.json("GET", "/api/v1/notifications?%s&include_filtered=true&limit=80"
                                    % MENTION)
            self.assertEqual(len(page), 80)
        finally:
            fake.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
