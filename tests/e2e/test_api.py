#!/usr/bin/env python3
"""test_api.py: the editors' queue API (daemon/API.md) end to end: the
daemon in review mode against the fake Mastodon server, with the fixture
rules in tests/fixtures/api/rules, users made with netiquettectl.

  - security headers on every response; static files without traversal
  - login, session cookie attributes, logout; throttling after failures
  - CSRF token, Origin and Sec-Fetch-Site checks on state changes
  - queue list with filters and paging; item detail with segments
  - approve -> exactly the proposed actions reach the fake, once;
    dismiss -> editor precision drops; undo -> the inverse action
  - escalate -> legal only; evidence export
  - hostile text comes back verbatim, JSON-encoded
  - netiquettectl user token + queue over loopback; /metrics; SSE
  - an authenticating proxy's user header, trusted from 127.0.0.2 only
  - administrators manage users; editors cannot
  - argon2id runs off the event loop: /healthz answers while logins wait,
    and SIGTERM with password checks in flight stops cleanly
"""

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from nqtest import (CTL, DAEMON, SRC, Daemon, Fake, check, free_port,  # noqa: E402
                    db_query, run_tests, wait_for)

RULES = os.path.join(SRC, "tests", "fixtures", "api", "rules")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; "
       "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
       "form-action 'self'")
XSS_NAME = '<img src=x onerror=alert(1)>"\'&'
XSS_TEXT = 'Du Idiot <script>alert("x")</script> &amp; \u202e'

SEED = [
    {"type": "post", "key": "p1", "text": "Unser neuer Beitrag"},
    {"author": "troll@example.org", "display_name": "Troll", "text": "Du bist ein Idiot"},
    {"author": "xss@example.org", "display_name": XSS_NAME, "text": XSS_TEXT},
    {"author": "spam@example.org", "text": "Bestes Casino hier, jetzt klicken"},
    {"author": "nice@example.org", "text": "Danke fuer die Infos!"},
    {"author": "troll2@example.org", "text": "Noch ein Idiot mehr"},
    {"author": "troll3@example.org", "text": "Idiotin, echt jetzt"},
]

S = {}


class Client:
    """A browser-like client: keeps the session cookie and CSRF token."""

    def __init__(self, port, source="127.0.0.1"):
        self.port = port
        self.source = source
        self.cookie = None
        self.csrf = None

    def req(self, method, path, body=None, headers=None, raw=False):
        con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60,
                                         source_address=(self.source, 0))
        h = {"Host": "127.0.0.1:%d" % self.port}
        if self.cookie:
            h["Cookie"] = "nq_session=" + self.cookie
        if self.csrf and method == "POST":
            h["X-CSRF-Token"] = self.csrf
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        h = {k: v for k, v in h.items() if v is not None}
        con.request(method, path, body=data, headers=h)
        r = con.getresponse()
        payload = r.read()
        con.close()
        # a new session (a proxy's user) comes as a cookie on any reply;
        # a logout's empty one is not taken, so the old one is tried again
        for k, v in r.getheaders():
            if k.lower() == "set-cookie" and v.startswith("nq_session=") \
                    and not v.startswith("nq_session=;"):
                self.cookie = v.split(";")[0].split("=", 1)[1]
                S["last_cookie"] = v
        if raw:
            return r, payload
        try:
            obj = json.loads(payload) if payload else None
        except ValueError:
            obj = payload
        return r.status, obj, r

    def login(self, user, pw):
        st, obj, r = self.req("POST", "/api/login", {"username": user, "password": pw})
        if st == 200:
            for k, v in r.getheaders():
                if k.lower() == "set-cookie" and v.startswith("nq_session="):
                    self.cookie = v.split(";")[0].split("=", 1)[1]
                    S["last_cookie"] = v
            self.csrf = obj["csrf_token"]
        return st, obj


def ctl(*args, stdin=None):
    r = subprocess.run([CTL] + list(args), capture_output=True, text=True, input=stdin)
    return r.returncode, r.stdout, r.stderr


def setup():
    seed = tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False)
    for rec in SEED:
        seed.write(json.dumps(rec) + "\n")
    seed.close()
    fake = Fake(seed=seed.name)
    # the proxy is 127.0.0.2; the daemon and every other client 127.0.0.1
    d = Daemon(fake, mode="review", rules=RULES,
               extra="proxy-auth-header = X-Remote-User\n"
                     "proxy-auth-from = 127.0.0.2\n"
                     "proxy-auth-password-login = yes\n")
    os.makedirs(d.state, exist_ok=True)
    for name, role, pw in (("anna", "editor", "anna-passwort"),
                           ("lena", "legal", "lena-passwort"),
                           ("adam", "admin", "adam-passwort"),
                           ("tina", "editor", "tina-passwort")):
        rc, out, err = ctl("user", "add", name, "--role", role, "--state", d.state,
                           "--password-stdin", stdin=pw + "\n")
        check(rc == 0, "user add %s: %s" % (name, err))
    rc, out, err = ctl("user", "add", "anna", "--role", "admin", "--state", d.state,
                       "--password-stdin", stdin="whatever-x\n")
    check(rc != 0 and "exists" in err, "duplicate user accepted: %r" % err)
    rc, out, err = ctl("user", "add", "bob", "--role", "root", "--state", d.state,
                       "--password-stdin", stdin="whatever-x\n")
    check(rc != 0, "bad role accepted")
    d.start()
    S.update(fake=fake, d=d, port=d.port)
    anna = Client(d.port)
    check(anna.login("anna", "anna-passwort")[0] == 200, "anna cannot log in")
    S["anna"] = anna
    wait_for("5 flagged items in the queue",
             lambda: anna.req("GET", "/api/queue")[1]["total"] >= 5, 60)


def queue_items(state):
    st, obj, _ = S["anna"].req("GET", "/api/queue?state=%s&limit=200" % state)
    check(st == 200, "queue list %d %r" % (st, obj))
    return obj["items"]


def find(text_part, state="all"):
    for it in queue_items(state):
        if text_part in it["text"]:
            return it
    raise AssertionError("no queue item with %r" % text_part)


def new_open_item(author, text):
    """Seeds one comment and waits for it in the queue, open.  Not an
    older item with the same text that is open again (a failed action
    puts its item back before the editors)."""
    old = {it["id"] for it in queue_items("all")}
    S["fake"].post("/_fake/seed", [{"author": author, "text": text}])
    return wait_for("%r in the queue" % text, lambda: next((
        it for it in queue_items("open") if text in it["text"] and it["id"] not in old),
        None), 60)


def approve(it):
    """Approves a queue item; the decision's answer."""
    st, obj, _ = S["anna"].req("POST", "/api/items/%d/decide" % it["id"],
                               {"decision": "approve", "reason": "Beleidigung"})
    check(st == 200, "approve %d %r" % (st, obj))
    return obj


def test_headers_and_static():
    c = Client(S["port"])
    for path in ("/", "/ui/index.html", "/healthz", "/api/queue", "/nope",
                 "/ui/../netiquetted.conf"):
        r, body = c.req("GET", path, raw=True)
        check(r.getheader("Content-Security-Policy") == CSP, "CSP on %s: %r" % (
            path, r.getheader("Content-Security-Policy")))
        check(r.getheader("X-Content-Type-Options") == "nosniff", path)
        check(r.getheader("Referrer-Policy") == "no-referrer", path)
        check(r.getheader("X-Frame-Options") == "DENY", path)
    # a method no route has, and a path segment no answer could carry:
    # the router's JSON error with the same headers, not libevent's page
    for method, path, status in (("PUT", "/api/users", 405), ("DELETE", "/api/queue", 405),
                                 ("OPTIONS", "/api/session", 405),
                                 ("GET", "/api/rules/%FF/items", 400)):
        r, body = c.req(method, path, raw=True)
        check(r.status == status and r.getheader("Content-Security-Policy") == CSP
              and "error" in json.loads(body), "%s %s: %d %r" % (method, path, r.status, body))
    r, body = c.req("GET", "/", raw=True)
    check(r.status == 200 and r.getheader("Content-Type").startswith("text/html"),
          "index: %d %s" % (r.status, r.getheader("Content-Type")))
    ui = os.path.join(SRC, "daemon", "ui")
    for f in sorted(os.listdir(ui)):
        if f.endswith(".js"):
            r, body = c.req("GET", "/ui/" + f, raw=True)
            check(r.status == 200 and "javascript" in r.getheader("Content-Type"),
                  "%s: %d" % (f, r.status))
            break
    for bad in ("/ui/../CMakeLists.txt", "/ui/%2e%2e/%2e%2e/CMakeLists.txt",
                "/ui/.hidden", "/ui/a//b", "/ui/..%2fapi.c", "/ui/"):
        r, body = c.req("GET", bad, raw=True)
        check(r.status in (404, 200) and b"cmake_minimum_required" not in body
              and b"#include" not in body, "traversal %s: %d" % (bad, r.status))
    st, obj, _ = c.req("GET", "/api/queue")
    check(st == 401 and "error" in obj, "anonymous queue: %d %r" % (st, obj))
    st, obj, _ = c.req("GET", "/api/nothing")
    check(st == 404 and obj == {"error": "not found"}, "404 body %r" % obj)
    st, obj, _ = c.req("DELETE", "/api/queue")
    check(st in (405, 501) , "DELETE: %d" % st)


def test_login_cookie_logout():
    c = Client(S["port"])
    st, obj = c.login("anna", "falsch-falsch")
    check(st == 401 and obj["error"] == "wrong user name or password", "%d %r" % (st, obj))
    st, obj = c.login("niemand", "falsch-falsch")
    check(st == 401 and obj["error"] == "wrong user name or password", "%d %r" % (st, obj))
    st, obj = c.login("tina", "tina-passwort")
    check(st == 200 and obj["user"] == {"name": "tina", "role": "editor"}, "%r" % obj)
    cookie = S["last_cookie"]
    for attr in ("HttpOnly", "SameSite=Strict", "Path=/"):
        check(attr in cookie, "cookie lacks %s: %s" % (attr, cookie))
    check("Secure" not in cookie, "Secure on plain HTTP")
    st, obj, _ = c.req("GET", "/api/session")
    check(st == 200 and obj["csrf_token"] == c.csrf, "session %r" % obj)
    st, obj, _ = c.req("POST", "/api/logout", {})
    check(st == 200, "logout %d" % st)
    st, obj, _ = c.req("GET", "/api/session")
    check(st == 401, "session after logout: %d" % st)


def test_throttling():
    c = Client(S["port"])
    codes = [c.login("tina", "falsch-%d" % i)[0] for i in range(4)]
    check(codes[:3] == [401, 401, 401], "first failures %r" % codes)
    st, obj, r = c.req("POST", "/api/login", {"username": "tina", "password": "tina-passwort"})
    check(st == 429 and int(r.getheader("Retry-After")) >= 1,
          "right password while throttled: %d %r" % (st, obj))
    wait_for("throttle over", lambda: c.login("tina", "tina-passwort")[0] == 200, 40, 0.5)


def test_csrf_and_origin():
    a = S["anna"]
    it = find("Noch ein Idiot")
    path = "/api/items/%d/notes" % it["id"]
    body = {"text": "csrf test"}
    st, obj, _ = a.req("POST", path, body, headers={"X-CSRF-Token": None})
    check(st == 403 and "CSRF" in obj["error"], "no token: %d %r" % (st, obj))
    st, obj, _ = a.req("POST", path, body, headers={"X-CSRF-Token": "x" * 43})
    check(st == 403, "wrong token: %d" % st)
    st, obj, _ = a.req("POST", path, body, headers={"Origin": "http://evil.example"})
    check(st == 403 and "Origin" in obj["error"], "evil origin: %d %r" % (st, obj))
    st, obj, _ = a.req("POST", path, body, headers={"Sec-Fetch-Site": "cross-site"})
    check(st == 403, "cross-site: %d" % st)
    st, obj, _ = a.req("POST", path, body, headers={
        "Origin": "http://127.0.0.1:%d" % S["port"], "Sec-Fetch-Site": "same-origin"})
    check(st == 200 and obj["note"]["text"] == "csrf test", "good request: %d %r" % (st, obj))
    st, obj, _ = a.req("POST", path, None, headers={"Content-Type": "text/plain"})
    st, obj, _ = a.req("POST", path, b"x" if False else {"text": ""})
    check(st == 400, "empty note: %d" % st)


def test_queue_list_filters():
    a = S["anna"]
    st, obj, _ = a.req("GET", "/api/queue")
    check(st == 200 and obj["total"] >= 5, "list %r" % obj)
    texts = [i["text"] for i in obj["items"]]
    check(not any("Danke" in t for t in texts), "harmless comment queued")
    st, obj, _ = a.req("GET", "/api/queue?category=commercial")
    check(obj["total"] == 1 and "Casino" in obj["items"][0]["text"], "category %r" % obj)
    st, obj, _ = a.req("GET", "/api/queue?limit=2&offset=1")
    check(len(obj["items"]) == 2 and obj["offset"] == 1, "paging %r" % obj)
    st, obj, _ = a.req("GET", "/api/queue?platform=mastodon&account=bmi&assignee=-")
    check(obj["total"] >= 5, "platform/account/assignee filter %r" % obj["total"])
    st, obj, _ = a.req("GET", "/api/queue?account=other")
    check(obj["total"] == 0, "account filter")
    st, obj, _ = a.req("GET", "/api/queue?since=%d" % (time.time() + 3600))
    check(obj["total"] == 0, "since filter")
    st, obj, _ = a.req("GET", "/api/queue?state=bogus")
    check(st == 400 and "state" in obj["error"], "bad state %r" % obj)
    st, obj, _ = a.req("GET", "/api/queue?limit=100000")
    check(st == 400, "limit bound")
    it = obj = a.req("GET", "/api/queue")[1]["items"][0]
    for k in ("id", "platform", "account", "item_id", "author", "text", "state",
              "proposed", "categories", "rules", "allowed", "assignee"):
        check(k in it, "summary lacks %s" % k)
    check(it["allowed"][:3] == ["approve", "dismiss", "escalate"], "allowed %r" % it["allowed"])


def test_item_detail_hostile_text():
    a = S["anna"]
    it = find("<script>")
    st, obj, r = a.req("GET", "/api/items/%d" % it["id"])
    check(st == 200, "detail %d" % st)
    check(r.getheader("Content-Type").startswith("application/json"), "type")
    check(obj["text"].endswith(XSS_TEXT), "text not verbatim: %r" % obj["text"])
    check(obj["author"]["name"] == XSS_NAME, "name not verbatim: %r" % obj["author"])
    check("".join(s["text"] for s in obj["segments"]) == obj["text"], "segments")
    marked = [s for s in obj["segments"] if s["rules"]]
    check(marked and marked[0]["text"] == "Idiot" and marked[0]["rules"] == ["insult.idiot"],
          "marked %r" % obj["segments"])
    check("idiot" in obj["normalized"], "normalized %r" % obj["normalized"])
    check(obj["matched_rules"][0]["clause"] == "Beleidigungen", "clause %r" % obj["matched_rules"])
    check(obj["decision"]["reason"], "no reason")
    for k in ("author_history", "thread", "evidence", "notes", "outbox", "history", "spans"):
        check(k in obj, "detail lacks %s" % k)
    st, obj, _ = a.req("GET", "/api/items/999999")
    check(st == 404, "missing item %d" % st)
    st, obj, _ = a.req("GET", "/api/items/abc")
    check(st == 404, "bad id %d" % st)


def test_approve_reaches_platform_once():
    a = S["anna"]
    it = find("Du bist ein Idiot", "open")
    proposed = it["proposed"]
    check(proposed, "nothing proposed")
    before = len(S["fake"].actions()["actions"])
    st, obj, _ = a.req("POST", "/api/items/%d/decide" % it["id"], {"decision": "approve"})
    check(st == 400 and "reason" in obj["error"], "reason required: %r" % obj)
    st, obj, _ = a.req("POST", "/api/items/%d/decide" % it["id"],
                       {"decision": "approve", "reason": "klare Beleidigung"})
    check(st == 200 and obj["item"]["state"] == "approved", "approve %d %r" % (st, obj))
    check(sorted(q["action"] for q in obj["queued"]) == sorted(proposed),
          "queued %r vs proposed %r" % (obj["queued"], proposed))
    st, obj2, _ = a.req("POST", "/api/items/%d/decide" % it["id"],
                        {"decision": "approve", "reason": "nochmal"})
    check(st == 409, "second approve: %d %r" % (st, obj2))

    def sent():
        acts = S["fake"].actions()["actions"][before:]
        return acts if len([x for x in acts if not x["replay"]]) >= len(proposed) else None
    acts = wait_for("the approved actions at the fake", sent, 30)
    time.sleep(1.5)
    acts = [x for x in S["fake"].actions()["actions"][before:] if not x["replay"]]
    check(len(acts) == len(proposed), "exactly the proposed actions: %r" % acts)
    st, obj, _ = a.req("GET", "/api/items/%d" % it["id"])
    kinds = [h["kind"] for h in obj["history"]]
    check("queue.approve" in kinds, "audit %r" % kinds)
    entry = [h for h in obj["history"] if h["kind"] == "queue.approve"][0]
    check(entry["actor"] == "editor:anna" and entry["detail"]["reason"] == "klare Beleidigung",
          "audit entry %r" % entry)
    S["approved"] = it["id"]


def test_undo_sends_inverse():
    a = S["anna"]
    iid = S["approved"]
    wait_for("approved actions done", lambda: all(
        o["state"] == "done" for o in a.req("GET", "/api/items/%d" % iid)[1]["outbox"]), 30)
    st, obj, _ = a.req("POST", "/api/items/%d/undo" % iid, {"reason": "verklickt"})
    check(st == 200 and obj["item"]["state"] == "open", "undo %d %r" % (st, obj))
    inv = [q["action"] for q in obj["queued"]]
    check("unmute" in inv or "unblock" in inv or "unhide" in inv, "inverse %r" % obj)
    check("report" in obj["irreversible"] or not obj["irreversible"], "irrev %r" % obj)
    wait_for("the inverse action at the fake", lambda: any(
        x["kind"] in ("unmute", "unblock") for x in S["fake"].actions()["actions"]), 30)
    st, obj, _ = a.req("POST", "/api/items/%d/undo" % iid, {"reason": "again"})
    check(st == 409, "undo with nothing to undo: %d %r" % (st, obj))


def test_dismiss_lowers_precision():
    adam = Client(S["port"])
    check(adam.login("adam", "adam-passwort")[0] == 200, "admin login")
    a = S["anna"]
    st, obj, _ = a.req("GET", "/api/rules")
    check(st == 403, "editor sees rule quality: %d" % st)
    for text in ("Noch ein Idiot", "Idiotin"):
        it = find(text, "open")
        st, obj, _ = a.req("POST", "/api/items/%d/decide" % it["id"],
                           {"decision": "approve" if text == "Idiotin" else "dismiss",
                            "reason": "Test"})
        check(st == 200, "decide %s: %d %r" % (text, st, obj))
    st, obj, _ = adam.req("GET", "/api/rules")
    check(st == 200, "rules %d" % st)
    r = [x for x in obj["rules"] if x["id"] == "insult.idiot"][0]
    check(r["dismissed"] == 1 and r["approved"] == 1 and abs(r["precision"] - 0.5) < 1e-9,
          "quality %r" % r)
    check(r["clause"] == "Beleidigungen" and r["loaded"], "rule info %r" % r)
    st, obj, _ = adam.req("GET", "/api/rules/insult.idiot/items?outcome=dismissed")
    check(st == 200 and obj["total"] == 1 and "Noch ein Idiot" in obj["items"][0]["text"],
          "dismissed items %r" % obj)
    st, obj, _ = adam.req("GET", "/api/audit?kind=queue.*&limit=50")
    check(st == 200 and obj["chain"]["ok"] and len(obj["entries"]) >= 3, "audit %r" % obj)
    st, obj, _ = adam.req("GET", "/api/users")
    check(sorted(u["name"] for u in obj["users"]) == ["adam", "anna", "lena", "tina"],
          "users %r" % obj)


def test_escalate_legal_evidence():
    a = S["anna"]
    lena = Client(S["port"])
    check(lena.login("lena", "lena-passwort")[0] == 200, "legal login")
    it = find("<script>", "open")
    st, obj, _ = a.req("POST", "/api/items/%d/decide" % it["id"],
                       {"decision": "escalate", "reason": "Strafbarkeit pruefen"})
    check(st == 200 and obj["item"]["state"] == "escalated", "escalate %r" % obj)
    st, obj, _ = a.req("POST", "/api/items/%d/decide" % it["id"],
                       {"decision": "approve", "reason": "x"})
    check(st == 403, "editor decides an escalated item: %d %r" % (st, obj))
    st, obj, _ = a.req("POST", "/api/items/%d/evidence" % it["id"], {})
    check(st == 403, "editor exports evidence: %d" % st)
    st, obj, _ = lena.req("GET", "/api/queue?state=escalated")
    check(any(x["id"] == it["id"] and "close" in x["allowed"] for x in obj["items"]),
          "legal queue %r" % obj)
    st, obj, r = lena.req("POST", "/api/items/%d/evidence" % it["id"], {})
    check(st == 200 and obj["format"] == "netiquetted-evidence-export-1" and obj["sha256_ok"],
          "export %d %r" % (st, obj if st != 200 else obj.get("format")))
    check("attachment" in r.getheader("Content-Disposition"), "disposition")
    def strings(o):
        if isinstance(o, dict):
            return [s for v in o.values() for s in strings(v)]
        if isinstance(o, list):
            return [s for v in o for s in strings(v)]
        return [o] if isinstance(o, str) else []
    check(any(s.endswith(XSS_TEXT) for s in strings(obj["record"])), "record text")
    st, obj, _ = lena.req("POST", "/api/items/%d/decide" % it["id"],
                          {"decision": "close", "reason": "Anzeige erstattet"})
    check(st == 200 and obj["item"]["state"] == "closed", "close %r" % obj)
    # a closed item is legal's: an editor may not restore it (API.md)
    st, obj, _ = a.req("GET", "/api/items/%d" % it["id"])
    check(st == 200 and "restore" not in obj["allowed"], "editor offered %r" % obj["allowed"])
    st, obj, _ = a.req("POST", "/api/items/%d/decide" % it["id"],
                       {"decision": "restore", "reason": "x"})
    check(st == 403, "editor restores a closed item: %d %r" % (st, obj))
    st, obj, _ = lena.req("GET", "/api/items/%d" % it["id"])
    check(st == 200 and "restore" in obj["allowed"], "legal offered %r" % obj["allowed"])
    # legal may not decide an open item: the role, not the state, says no
    other = find("Casino", "open")
    st, obj, _ = lena.req("POST", "/api/items/%d/decide" % other["id"],
                          {"decision": "approve", "reason": "x"})
    check(st == 403 and "role legal" in obj.get("error", ""),
          "legal approves an open item: %d %r" % (st, obj))


def test_assign_bulk():
    a = S["anna"]
    it = find("Casino", "open")
    st, obj, _ = a.req("POST", "/api/items/%d/assign" % it["id"], {"assignee": "ghost"})
    check(st == 400, "assign to unknown user: %d" % st)
    st, obj, _ = a.req("POST", "/api/items/%d/assign" % it["id"], {"assignee": "tina"})
    check(st == 200 and obj["item"]["assignee"] == "tina", "assign %r" % obj)
    st, obj, _ = a.req("GET", "/api/queue?assignee=tina")
    check(obj["total"] == 1, "assignee filter %r" % obj["total"])
    # a name cut inside a character in the message: still a message
    st, obj, _ = a.req("POST", "/api/items/%d/assign" % it["id"], {"assignee": "x" * 63 + "é"})
    check(st == 400 and obj.get("error", "").startswith("no user " + "x" * 63),
          "assign to a long unknown name: %d %r" % (st, obj))
    # a request wrong for every item: one 400, not one per id
    st, obj, _ = a.req("POST", "/api/queue/bulk",
                       {"ids": [it["id"], 999999], "decision": "aprove", "reason": "bulk"})
    check(st == 400 and "unknown decision aprove" in obj.get("error", ""),
          "bulk with an unknown decision: %d %r" % (st, obj))
    st, obj, _ = a.req("POST", "/api/queue/bulk", {"ids": [it["id"]], "decision": "dismiss"})
    check(st == 400 and "reason" in obj.get("error", ""), "bulk without a reason: %d %r" % (st, obj))
    st, obj, _ = a.req("POST", "/api/queue/bulk",
                       {"ids": [it["id"], 999999], "decision": "dismiss", "reason": "bulk"})
    check(st == 200 and obj["results"][0]["ok"] and not obj["results"][1]["ok"]
          and obj["results"][1]["status"] == 404, "bulk %r" % obj)


def test_ctl_queue_token():
    d = S["d"]
    rc, out, err = ctl("user", "token", "anna", "--state", d.state)
    check(rc == 0 and out.startswith("nqt_"), "token: %r %r" % (out, err))
    env = dict(os.environ, NETIQUETTED_TOKEN=out.strip(),
               NETIQUETTED_URL="http://127.0.0.1:%d" % d.port)
    r = subprocess.run([CTL, "queue", "list", "--state", "all"], capture_output=True,
                       text=True, env=env)
    check(r.returncode == 0 and "item(s)" in r.stdout, "ctl list %r %r" % (r.stdout, r.stderr))
    c = Client(d.port)
    st, obj, _ = c.req("GET", "/api/session", headers={"Authorization": "Bearer " + out.strip()})
    check(st == 200 and obj["user"]["name"] == "anna", "bearer session %r" % obj)
    st, obj, _ = c.req("GET", "/api/session", headers={"Authorization": "Bearer nqt_wrong"})
    check(st == 401, "wrong bearer: %d" % st)
    # undo left the first item open: approve it from the terminal
    it = find("Du bist ein Idiot", "open")
    r = subprocess.run([CTL, "queue", "approve", str(it["id"]), "--reason", "per CLI"],
                       capture_output=True, text=True, env=env)
    check(r.returncode == 0 and "approved" in r.stdout, "ctl approve %r %r" % (r.stdout, r.stderr))
    r = subprocess.run([CTL, "queue", "show", str(it["id"])], capture_output=True,
                       text=True, env=env)
    check(r.returncode == 0 and "insult.idiot" in r.stdout, "ctl show %r" % r.stdout)
    r = subprocess.run([CTL, "queue", "approve", str(it["id"]), "--reason", "x"],
                       capture_output=True, text=True, env=env)
    check(r.returncode != 0 and "approved" in r.stderr, "ctl second approve %r" % r.stderr)


def test_metrics_queue():
    m = S["d"].metrics()
    check('netiquetted_queue_items{state="open"}' in m, "queue gauge missing")
    check('netiquetted_queue_oldest_age_seconds{state="open"}' in m, "age gauge missing")
    check(m['netiquetted_logins_total{result="failed"}'] >= 3, "login counter")


def test_events_stream():
    a = S["anna"]
    con = http.client.HTTPConnection("127.0.0.1", S["port"], timeout=20)
    con.request("GET", "/api/events", headers={"Cookie": "nq_session=" + a.cookie})
    r = con.getresponse()
    check(r.status == 200 and r.getheader("Content-Type") == "text/event-stream",
          "events %d" % r.status)
    check(r.getheader("Content-Security-Policy") == CSP, "CSP on SSE")
    it = find("Danke", "all") if False else None
    st, obj, _ = a.req("GET", "/api/queue?state=dismissed")
    iid = obj["items"][0]["id"]
    a.req("POST", "/api/items/%d/notes" % iid, {"text": "sse"})
    buf = b""
    deadline = time.time() + 15
    while b"event: queue" not in buf and time.time() < deadline:
        buf += r.fp.read1(4096) if hasattr(r.fp, "read1") else r.read(1)
    check(b"event: queue" in buf and (b'"item":%d' % iid) in buf, "event %r" % buf)
    con.close()
    check(S["d"].healthz() is not None, "daemon alive after stream closed")


def audit_entries(kind):
    adam = S.get("adam_client")
    if adam is None:
        adam = Client(S["port"])
        check(adam.login("adam", "adam-passwort")[0] == 200, "admin login")
        S["adam_client"] = adam
    st, obj, _ = adam.req("GET", "/api/audit?kind=%s&limit=200" % kind)
    check(st == 200, "audit %s: %d %r" % (kind, st, obj))
    return obj["entries"]


def test_proxy_header_trusted_from_proxy():
    before = max([0] + [e["seq"] for e in audit_entries("auth.login")])
    p = Client(S["port"], source="127.0.0.2")
    hdr = {"X-Remote-User": "lena"}
    st, obj, r = p.req("GET", "/api/session", headers=hdr)
    check(st == 200 and obj["user"] == {"name": "lena", "role": "legal"},
          "proxy login: %d %r" % (st, obj))
    check(p.cookie and "HttpOnly" in S["last_cookie"] and "SameSite=Strict" in S["last_cookie"],
          "no session cookie for the proxy user: %r" % S.get("last_cookie"))
    p.csrf = obj["csrf_token"]
    cookie = p.cookie
    # the session carries on without a new login (and without a new audit entry)
    st, obj, _ = p.req("GET", "/api/queue?state=escalated", headers=hdr)
    check(st == 200 and p.cookie == cookie, "queue through the proxy: %d" % st)
    logins = [e for e in audit_entries("auth.login") if e["seq"] > before]
    proxy_logins = [e for e in logins if e["detail"].get("via") == "proxy"]
    check(len(proxy_logins) == 1 and proxy_logins[0]["actor"] == "editor:lena"
          and proxy_logins[0]["detail"]["peer"] == "127.0.0.2",
          "audit of the proxy login: %r" % logins)
    # CSRF and Origin stay as strict for proxy users
    it = find("Casino")
    path = "/api/items/%d/notes" % it["id"]
    st, obj, _ = p.req("POST", path, {"text": "ohne Token"},
                       headers=dict(hdr, **{"X-CSRF-Token": None}))
    check(st == 403 and "CSRF" in obj["error"], "proxy POST without CSRF: %d %r" % (st, obj))
    st, obj, _ = p.req("POST", path, {"text": "fremd"},
                       headers=dict(hdr, Origin="http://evil.example"))
    check(st == 403 and "Origin" in obj["error"], "proxy POST cross-origin: %d %r" % (st, obj))
    st, obj, _ = p.req("POST", path, {"text": "vom Proxy"}, headers=hdr)
    check(st == 200 and obj["note"]["author"] == "lena", "proxy POST with CSRF: %d %r" % (st, obj))
    # a proxy passing on an Authorization header of its own: the user header decides
    st, obj, _ = p.req("GET", "/api/session",
                       headers=dict(hdr, Authorization="Bearer oauth-token-of-the-proxy"))
    check(st == 200 and obj["user"]["name"] == "lena",
          "proxy header with the proxy's own bearer token: %d %r" % (st, obj))
    # another user signed in at the proxy: the old session ends, a new one starts
    st, obj, _ = p.req("GET", "/api/session", headers={"X-Remote-User": "tina"})
    check(st == 200 and obj["user"] == {"name": "tina", "role": "editor"} and p.cookie != cookie,
          "user switch at the proxy: %d %r" % (st, obj))
    st, obj, _ = Client(S["port"]).req("GET", "/api/session",
                                       headers={"Cookie": "nq_session=" + cookie})
    check(st == 401, "the first proxy user's session survived the switch: %d" % st)


def test_proxy_header_refused_elsewhere():
    for src in ("127.0.0.1", "127.0.0.3"):
        c = Client(S["port"], source=src)
        st, obj, _ = c.req("GET", "/api/session", headers={"X-Remote-User": "adam"})
        check(st == 403 and "proxy" in obj["error"] and c.cookie is None,
              "header trusted from %s: %d %r" % (src, st, obj))
        st, obj, _ = c.req("GET", "/api/users", headers={"X-Remote-User": "adam"})
        check(st == 403 and "users" not in obj, "users via header from %s: %r" % (src, obj))
    # not even with a valid session of someone else: the header is refused
    a = S["anna"]
    st, obj, _ = a.req("GET", "/api/session", headers={"X-Remote-User": "adam"})
    check(st == 403, "header next to a session from a non-proxy: %d %r" % (st, obj))
    st, obj, _ = a.req("GET", "/api/session")
    check(st == 200 and obj["user"]["name"] == "anna", "anna's session %r" % obj)
    check("X-Remote-User header from 127.0.0.3" in S["d"].read_log(), "refusal not logged")


def test_proxy_unknown_user():
    p = Client(S["port"], source="127.0.0.2")
    for name in ("mallory", "<script>", ""):
        st, obj, r = p.req("GET", "/api/session", headers={"X-Remote-User": name})
        check(st in (401, 403) and isinstance(obj, dict) and "error" in obj
              and r.getheader("Content-Type").startswith("application/json")
              and p.cookie is None, "unknown proxy user %r: %d %r" % (name, st, obj))
        if name == "mallory":
            check(st == 403 and "not a user" in obj["error"], "unknown user %r" % obj)


def test_proxy_config_errors():
    d = tempfile.mkdtemp(prefix="nq-conf-")
    conf = os.path.join(d, "netiquetted.conf")
    with open(conf, "w") as f:
        f.write("state-dir = %s\nrules-dir = %s\n"
                "proxy-auth-header = X-Remote-User\n"
                "proxy-auth-from = 10.0.0.300/8\n"
                "proxy-auth-from = 10.1.2.3/16\n"
                "proxy-auth-from = 0.0.0.0/0\n" % (d, RULES))
    r = subprocess.run([DAEMON, "-n", "-f", conf], capture_output=True, text=True)
    check(r.returncode == 1, "bad CIDR accepted: %r" % r.stdout)
    for line, what in ((4, "is not an IPv4 or IPv6"), (5, "host bits"), (6, "every address")):
        check("%s:%d: proxy-auth-from: " % (conf, line) in r.stderr and what in r.stderr,
              "line %d (%s) not named: %r" % (line, what, r.stderr))
    with open(conf, "w") as f:
        f.write("state-dir = %s\nrules-dir = %s\n\nproxy-auth-header = Cookie\n"
                "proxy-auth-header = X-User\n" % (d, RULES))
    r = subprocess.run([DAEMON, "-n", "-f", conf], capture_output=True, text=True)
    check(r.returncode == 1 and "%s:4: proxy-auth-header: Cookie cannot" % conf in r.stderr
          and "%s:5: 'proxy-auth-header' given twice" % conf in r.stderr,
          "header errors: %r" % r.stderr)
    with open(conf, "w") as f:
        f.write("state-dir = %s\nrules-dir = %s\nproxy-auth-header = X-User\n" % (d, RULES))
    r = subprocess.run([DAEMON, "-n", "-f", conf], capture_output=True, text=True)
    check(r.returncode == 1 and "%s:3: proxy-auth-header needs proxy-auth-from" % conf
          in r.stderr, "header without from: %r" % r.stderr)
    with open(conf, "w") as f:
        f.write("state-dir = %s\nrules-dir = %s\nproxy-auth-header = X-User\n"
                "proxy-auth-from = 192.0.2.0/24\nproxy-auth-from = fd00::/64\n" % (d, RULES))
    r = subprocess.run([DAEMON, "-n", "-f", conf], capture_output=True, text=True)
    check(r.returncode == 0 and "proxy-auth-from = fd00::/64" in r.stdout
          and "proxy-auth-password-login = no" in r.stdout, "good proxy config: %r %r" % (
              r.stdout[-300:], r.stderr))


def test_users_admin():
    adam = Client(S["port"])
    check(adam.login("adam", "adam-passwort")[0] == 200, "admin login")
    st, obj, _ = adam.req("GET", "/api/users")
    check(st == 200, "users %d" % st)
    u = {x["name"]: x for x in obj["users"]}
    check(set(u["anna"]) == {"name", "role", "created_at", "last_login", "disabled",
                             "locked_until"} and u["anna"]["last_login"] > 0
          and u["lena"]["role"] == "legal" and not u["anna"]["disabled"],
          "user fields %r" % u["anna"])
    check(b"argon2" not in json.dumps(obj).encode(), "a hash in the user list")
    for who in ("anna", "lena"):
        c = S["anna"] if who == "anna" else Client(S["port"])
        if who == "lena":
            c.login("lena", "lena-passwort")
        st, obj, _ = c.req("GET", "/api/users")
        check(st == 403, "%s lists users: %d" % (who, st))
        st, obj, _ = c.req("POST", "/api/users", {"name": "evil", "role": "admin",
                                                  "password": "evil-passwort", "reason": "x"})
        check(st == 403, "%s adds a user: %d %r" % (who, st, obj))
    add = {"name": "paul", "role": "editor", "password": "paul-passwort-1", "reason": "neu im Team"}
    st, obj, _ = adam.req("POST", "/api/users", dict(add, reason=""))
    check(st == 400 and "reason" in obj["error"], "no reason: %d %r" % (st, obj))
    st, obj, _ = adam.req("POST", "/api/users", dict(add, password="kurz"))
    check(st == 400 and "password" in obj["error"], "short password: %d %r" % (st, obj))
    st, obj, _ = adam.req("POST", "/api/users", dict(add, role="root"))
    check(st == 400, "bad role: %d" % st)
    st, obj, _ = adam.req("POST", "/api/users", dict(add, name="<b>x"))
    check(st == 400, "bad name: %d" % st)
    st, obj, _ = adam.req("POST", "/api/users", add, headers={"X-CSRF-Token": None})
    check(st == 403, "add without CSRF: %d" % st)
    st, obj, _ = adam.req("POST", "/api/users", add)
    check(st == 200 and obj["user"]["name"] == "paul" and obj["user"]["role"] == "editor",
          "add: %d %r" % (st, obj))
    st, obj, _ = adam.req("POST", "/api/users", add)
    check(st == 409, "second add: %d" % st)
    paul = Client(S["port"])
    st, obj = paul.login("paul", "paul-passwort-1")
    check(st == 200 and obj["user"]["role"] == "editor", "new user logs in: %d %r" % (st, obj))

    def change(name, **body):
        return adam.req("POST", "/api/users/" + name, dict({"reason": "Test"}, **body))
    st, obj, _ = change("paul", action="role", role="legal", reason="")
    check(st == 400, "change without reason: %d" % st)
    st, obj, _ = change("ghost", action="disable")
    check(st == 404, "unknown user: %d" % st)
    st, obj, _ = change("paul", action="fly")
    check(st == 400, "unknown action: %d" % st)
    st, obj, _ = change("paul", action="role", role="legal")
    check(st == 200 and obj["user"]["role"] == "legal", "role: %d %r" % (st, obj))
    st, obj, _ = paul.req("GET", "/api/session")
    check(st == 200 and obj["user"]["role"] == "legal", "role in the session: %r" % obj)
    st, obj, _ = change("paul", action="disable")
    check(st == 200 and obj["user"]["disabled"], "disable: %d %r" % (st, obj))
    st, obj, _ = paul.req("GET", "/api/session")
    check(st == 401, "a disabled user's session lives on: %d" % st)
    check(Client(S["port"]).login("paul", "paul-passwort-1")[0] == 401, "disabled user logs in")
    st, obj, _ = change("paul", action="enable")
    check(st == 200 and not obj["user"]["disabled"], "enable: %d %r" % (st, obj))
    check(paul.login("paul", "paul-passwort-1")[0] == 200, "enabled user cannot log in")
    st, obj, _ = change("paul", action="password", password="neues-passwort-2")
    check(st == 200, "password: %d %r" % (st, obj))
    st, obj, _ = paul.req("GET", "/api/session")
    check(st == 401, "session after a password reset: %d" % st)
    c = Client(S["port"])
    check(c.login("paul", "paul-passwort-1")[0] == 401, "old password still works")
    check(c.login("paul", "neues-passwort-2")[0] == 200, "new password does not work")
    # throttled, then unlocked by the administrator
    t = Client(S["port"], source="127.0.0.5")
    for i in range(3):
        t.login("paul", "falsch-%d" % i)
    st, obj, _ = adam.req("GET", "/api/users")
    locked = [x for x in obj["users"] if x["name"] == "paul"][0]["locked_until"]
    check(locked > time.time() - 1, "throttle not shown: %r" % locked)
    check(t.login("paul", "neues-passwort-2")[0] == 429, "not throttled")
    st, obj, _ = change("paul", action="unlock")
    check(st == 200 and obj["user"]["locked_until"] == 0, "unlock: %d %r" % (st, obj))
    check(Client(S["port"]).login("paul", "neues-passwort-2")[0] == 200, "still locked")
    # nobody locks the administrators out
    st, obj, _ = change("adam", action="disable")
    check(st == 409 and "own" in obj["error"], "self-disable: %d %r" % (st, obj))
    st, obj, _ = change("adam", action="role", role="editor")
    check(st == 409 and "last" in obj["error"], "last admin demoted: %d %r" % (st, obj))
    kinds = {}
    for e in sorted(audit_entries("user.*"), key=lambda e: -e["seq"]):
        if e["actor"] != "ctl:root" or e["detail"]["user"] == "paul":
            kinds.setdefault(e["kind"], []).append(e)
    for k in ("user.add", "user.role", "user.disable", "user.enable", "user.password",
              "user.unlock"):
        check(k in kinds and kinds[k][0]["actor"] == "editor:adam"
              and kinds[k][0]["detail"]["user"] == "paul" and kinds[k][0]["detail"]["reason"],
              "audit %s: %r" % (k, kinds.get(k)))
    check(kinds["user.role"][0]["detail"]["old_role"] == "editor", "old role %r" % kinds["user.role"])
    check("password" not in json.dumps(kinds["user.password"][0]["detail"]).replace(
        '"action": "password"', "").replace('"action":"password"', ""),
        "a password in the audit: %r" % kinds["user.password"])


def _login_burst(n, prefix, sources):
    """n logins of unknown users, each on its own thread; returns the list
    of (finish time, status) it fills and the threads."""
    done = []
    lock = threading.Lock()

    def one(i):
        c = Client(S["port"], source=sources[i % len(sources)])
        try:
            st, _ = c.login("%s%02d" % (prefix, i), "falsches-passwort")
        except OSError as e:
            st = repr(e)
        with lock:
            done.append((time.monotonic(), st))
    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    return done, ts


def password_jobs():
    return int(S["d"].metrics().get("netiquetted_password_jobs", -1))


def test_healthz_while_logins_pending():
    n = 24
    done, ts = _login_burst(n, "ghost", ["127.0.3.%d" % i for i in range(1, 4)])
    # the loop reads /metrics while the workers hash: that already is the point
    wait_for("logins queued on the workers", lambda: password_jobs() >= 12, 60, 0.02)
    st, body = None, None
    c = Client(S["port"])
    r, body = c.req("GET", "/healthz", raw=True)
    health_at = time.monotonic()
    check(r.status == 200, "healthz %d" % r.status)
    for t in ts:
        t.join(120)
    before = [x for x in done if x[0] < health_at]
    check(len(done) == n and all(x[1] == 401 for x in done), "login results %r" % done)
    check(len(before) <= n - 10, "/healthz answered only after %d of %d logins" % (
        len(before), n))
    check(password_jobs() == 0, "jobs left over")


def test_login_void_after_password_change():
    """A check that started on the old password must not log in once the
    password was changed meanwhile (a leaked password kept in flight)."""
    db_path = os.path.join(S["d"].state, "netiquetted.db")
    for attempt in range(3):
        name = "vera%d" % attempt
        rc, _, err = ctl("user", "add", name, "--role", "editor", "--state",
                         S["d"].state, "--password-stdin", stdin="vera-alt-passwort\n")
        check(rc == 0, "user add %s: %s" % (name, err))
        # a queue of checks ahead of it: 40 x tens of ms on 2 workers
        done, ts = _login_burst(40, "block%d" % attempt,
                                ["127.0.5.%d" % i for i in range(1, 5)])
        wait_for("logins queued on the workers", lambda: password_jobs() >= 20, 60, 0.02)
        result = {}

        def login():
            result["st"] = Client(S["port"], source="127.0.5.9").login(
                name, "vera-alt-passwort")[0]
            result["at"] = time.monotonic()
        t = threading.Thread(target=login)
        t.start()
        time.sleep(0.1)     # the request is read and queued behind the burst
        db = sqlite3.connect(db_path, timeout=10)
        with db:
            db.execute("UPDATE users SET pwhash = (SELECT pwhash FROM users WHERE "
                       "name = 'tina') WHERE name = ?", (name,))
        db.close()
        changed_at = time.monotonic()
        t.join(120)
        for x in ts:
            x.join(120)
        if result.get("at", 0) < changed_at:
            continue    # answered before the change: says nothing, again
        check(result.get("st") == 401, "login on the replaced password: %r" % result)
        check(Client(S["port"], source="127.0.5.10").login(name, "tina-passwort")[0] == 200,
              "the new password does not work")
        return
    check(False, "the login was answered before the password change, 3 times")


def test_sigterm_with_logins_in_flight():
    n = 30
    done, ts = _login_burst(n, "late", ["127.0.4.%d" % i for i in range(1, 3)])
    wait_for("logins queued on the workers", lambda: password_jobs() >= 10, 60, 0.02)
    S["d"].signal(signal.SIGTERM)
    rc = S["d"].proc.wait(30)
    for t in ts:
        t.join(60)
    check(rc == 0, "exit status %r after SIGTERM with logins in flight" % rc)
    statuses = [x[1] for x in done]
    # checks in hand finish (401), the queued ones are refused (503): every
    # login the workers had (at least 10) gets an answer.  A connection the
    # loop never read before it stopped may be reset, as for any request.
    answered = [s for s in statuses if isinstance(s, int)]
    check(len(statuses) == n and len(answered) >= 10
          and all(s in (401, 503) for s in answered) and 503 in answered,
          "answers during shutdown %r" % statuses)
    log = S["d"].read_log()
    check("stopped" in log and "ERROR: AddressSanitizer" not in log, "shutdown log")


def undo_withdraws(it, row):
    """Undoes the decision on it and checks outbox row was withdrawn;
    the answer."""
    st, obj, _ = S["anna"].req("POST", "/api/items/%d/undo" % it["id"], {"reason": "verklickt"})
    check(st == 200, "undo %d %r" % (st, obj))
    check(row in [w["outbox"] for w in obj["withdrawn"]],
          "outbox row %d not withdrawn: %r" % (row, obj))
    return obj


def queues_unmute(obj, why):
    check([q for q in obj["queued"] if q["action"] == "unmute"], "no unmute %s: %r" % (why, obj))


def test_undo_of_a_try_whose_answer_was_lost():
    """A mute the platform applied, though its answer was lost (a 502 after
    applying), is pending again for another try.  Undoing the approval
    must count it as maybe applied: withdraw it and send the unmute.
    Before, it was only withdrawn, and the author stayed muted."""
    fake = S["fake"]
    it = new_open_item("troll9@example.org", "Du bist ein Idiot, wirklich")
    check("mute" in it["proposed"], "proposed %r" % it["proposed"])

    def mute_row():
        return db_query(S["d"].state, "SELECT id, state, attempts FROM outbox WHERE item = ?"
                        " AND action = 'mute' ORDER BY id", it["id"])
    try:
        fake.faults(post_apply_5xx_rate=1.0)
        target = approve(it)["item"]["author"]["id"]
        wait_for("the mute applied at the fake", lambda: [
            x for x in fake.actions()["actions"] if x["kind"] == "mute" and x["applied"]
            and x["target"] == target], 30)
        # its next tries are refused before anything is applied
        fake.faults(post_apply_5xx_rate=0, fail_next=[
            {"path": "/api/v1/accounts/", "status": 503, "count": 100000},
            {"path": "/api/v1/reports", "status": 503, "count": 100000}])
        rows = wait_for("the mute pending after a lost answer", lambda: [
            r for r in mute_row() if r[1] == "pending" and r[2] >= 1] or None, 30)
        check(target in fake.get("/_fake/state")["muted"], "the author is not muted")
        # the report is not sent again (Mastodon would file it twice): it
        # failed, and since it may have been filed, it cannot be taken back
        wait_for("the report failed as unknown", lambda: db_query(
            S["d"].state, "SELECT id FROM outbox WHERE item = ? AND action = 'report'"
            " AND state = 'failed' AND last_error LIKE 'outcome unknown%'", it["id"]), 30)
        st, detail, _ = S["anna"].req("GET", "/api/items/%d" % it["id"])
        check(st == 200 and {o["action"]: o["outcome_unknown"] for o in detail["outbox"]}
              == {"mute": False, "report": True}, "item outbox %r" % detail.get("outbox"))
        obj = undo_withdraws(it, rows[0][0])
        queues_unmute(obj, "for a mute that may have been applied")
        check(obj["irreversible"] == ["report"], "irreversible: %r" % obj["irreversible"])
        fake.clear_faults()
        wait_for("the author unmuted", lambda: target not in fake.get("/_fake/state")["muted"], 60)
        time.sleep(1.5)
        check(target not in fake.get("/_fake/state")["muted"], "muted again after the unmute")
        check([r[1] for r in mute_row()] == ["abandoned"], "mute rows %r" % mute_row())
    finally:
        fake.clear_faults()


def undo_mute_on_the_wire(it):
    """Waits for the item's mute to be sent (the fake is slow), undoes the
    decision and checks the mute was withdrawn: (its row, the answer)."""
    row = wait_for("the mute on the wire", lambda: db_query(
        S["d"].state, "SELECT id FROM outbox WHERE item = ? AND action = 'mute'"
        " AND state = 'sent'", it["id"]), 30)[0][0]
    return row, undo_withdraws(it, row)


def test_undo_while_the_request_is_on_the_wire():
    """An undo that withdraws a mute whose request is out: the unmute
    waits until that request has ended, so it cannot be overtaken, and
    when the platform confirms the withdrawn mute the audit says so (an
    action.confirmed entry marked withdrawn): before, the confirmation
    of a withdrawn row was only logged."""
    fake = S["fake"]
    it = new_open_item("troll10@example.org", "Du bist ein Idiot, ehrlich")

    def query(sql, *args):
        return db_query(S["d"].state, sql, *args)
    try:
        fake.faults(slow_ms=3000)
        target = approve(it)["item"]["author"]["id"]
        row, obj = undo_mute_on_the_wire(it)
        queues_unmute(obj, "for a mute on the wire")
        wait_for("the withdrawn mute's confirmation in the audit", lambda: query(
            "SELECT seq FROM audit WHERE kind = 'action.confirmed'"
            " AND json_extract(detail, '$.outbox') = ?"
            " AND json_extract(detail, '$.withdrawn') = 1", row), 30)
        fake.clear_faults()
        wait_for("the author unmuted", lambda: target not in fake.get("/_fake/state")["muted"], 60)
        acts = [x["kind"] for x in fake.actions()["actions"]
                if x["target"] == target and x["applied"] and x["kind"] in ("mute", "unmute")]
        check(acts == ["mute", "unmute"], "mute and unmute in this order: %r" % acts)
        check(query("SELECT state FROM outbox WHERE id = ?", row) == [("abandoned",)],
              "the withdrawn row: %r" % query("SELECT state FROM outbox WHERE id = ?", row))
    finally:
        fake.clear_faults()


def test_refusal_of_a_withdrawn_request():
    """A mute withdrawn by an undo while its request is out, which the
    platform then refuses (422): the editor's withdrawal stands, so it is
    no failure for the editors' queue and no failed action in /metrics,
    but the audit shows the refusal (action.failed, marked withdrawn).
    Before, it was counted and logged as failed for good."""
    fake, d = S["fake"], S["d"]
    it = new_open_item("troll11@example.org", "Du bist ein Idiot, wirklich")

    def query(sql, *args):
        return db_query(d.state, sql, *args)

    def failed_mutes():
        return d.metrics()['netiquetted_actions_total{action="mute",result="failed"}']
    before, log_from = failed_mutes(), len(d.read_log())
    try:
        fake.faults(slow_ms=3000, fail_next=[{"path": "/api/v1/accounts/", "status": 422,
                                             "count": 1}])
        approve(it)
        row, _ = undo_mute_on_the_wire(it)
        wait_for("the refusal of the withdrawn mute in the audit", lambda: query(
            "SELECT seq FROM audit WHERE kind = 'action.failed'"
            " AND json_extract(detail, '$.outbox') = ?"
            " AND json_extract(detail, '$.withdrawn') = 1", row), 30)
        fake.clear_faults()
        check(query("SELECT state FROM outbox WHERE id = ?", row) == [("abandoned",)],
              "the withdrawn row: %r" % query("SELECT state FROM outbox WHERE id = ?", row))
        check(failed_mutes() == before, "a withdrawn mute counted as failed: %r -> %r" % (
            before, failed_mutes()))
        log = d.read_log()[log_from:]
        check("failed for good" not in log, "logged as failed for good: %s" % log[-2000:])
        check("refused after it was withdrawn" in log, "no log line for the refusal")
        # the unmute the undo queued waits out the mute's request timeout;
        # it must not be on the wire when a later test stops the daemon
        wait_for("the unmute sent", lambda: query(
            "SELECT id FROM outbox WHERE item = ? AND action = 'unmute' AND state = 'done'",
            it["id"]), 60)
    finally:
        fake.clear_faults()


def test_undo_after_a_request_cut_off_at_a_stop():
    """A mute whose request a stop cut off (the grace period ran out
    while the platform was slow) is pending again with its try given
    back: no attempt counted, only the error left.  The platform applied
    it anyway.  An undo before it is sent again must count it as maybe
    applied: withdraw it and send the unmute.  The account is paused by
    a rate limit after the restart, so the row keeps its given-back try
    until the undo."""
    fake, d = S["fake"], S["d"]
    it = new_open_item("troll12@example.org", "Du bist ein Idiot, wirklich wahr")

    def mute_rows():
        return db_query(d.state, "SELECT id, state, attempts, last_error FROM outbox"
                        " WHERE item = ? AND action = 'mute' ORDER BY id", it["id"])
    try:
        fake.faults(slow_ms=8000)       # beyond the stop's grace of 5 s
        target = approve(it)["item"]["author"]["id"]
        wait_for("the mute on the wire",
                 lambda: [r for r in mute_rows() if r[1] == "sent"] or None, 30)
        rc = d.stop()
        check(rc == 0, "exit status %r" % rc)
        rows = mute_rows()
        check(len(rows) == 1 and rows[0][1] == "pending" and rows[0][2] == 0
              and rows[0][3], "the cut-off mute: %r" % rows)
        wait_for("the mute applied at the fake", lambda: [
            x for x in fake.actions()["actions"] if x["kind"] == "mute" and x["applied"]
            and x["target"] == target], 30)
        # any 429 pauses the account until the window's reset, 20 s at
        # most, so the row stays as the stop left it until the undo
        since = len(fake.get("/_fake/requests"))
        fake.faults(slow_ms=0, rate_limit=0, rate_window=20)
        d.start()

        def held():
            if not [r for r in fake.get("/_fake/requests")[since:] if r["status"] == 429]:
                return None
            return [r for r in mute_rows() if r[1] == "pending" and r[2] == 0] or None
        rows = wait_for("the account paused by a 429, the mute pending", held, 30)
        queues_unmute(undo_withdraws(it, rows[0][0]), "for a mute cut off at a stop")
        fake.clear_faults()
        wait_for("the author unmuted",
                 lambda: target not in fake.get("/_fake/state")["muted"], 60)
        check([r[1] for r in mute_rows()] == ["abandoned"], "mute rows %r" % mute_rows())
    finally:
        fake.clear_faults()


class Proxy:
    """A TCP forwarder to the fake that can go down: it cuts the
    connections it carries and refuses new ones (no listener), then comes
    back on the same port."""

    def __init__(self, target_port):
        self.target = target_port
        self.port = free_port()
        self.conns = []
        self.listener = None
        self.up()

    def up(self):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(64)
        self.listener = s
        threading.Thread(target=self.accept, args=(s,), daemon=True).start()

    def accept(self, s):
        while True:
            try:
                c, _ = s.accept()
                u = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                return
            self.conns += [c, u]
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self.pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def pipe(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def down(self):
        if self.listener is None:
            return
        self.listener.shutdown(socket.SHUT_RDWR)    # wakes the accept
        self.listener.close()
        self.listener = None
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
                c.close()
            except OSError:
                pass
        self.conns = []


def test_refused_connection_resends_a_report():
    """A report whose connection is refused never left: it is retried,
    not failed as "outcome unknown" (as one cut off after it left is),
    and reaches the platform once.  A daemon of its own, whose platform
    is behind a proxy that goes down between the queueing and the
    approval."""
    fake = Fake()
    proxy = Proxy(fake.port)
    text = "Du bist ein Idiot, verbindungslos"
    fake.post("/_fake/seed", [{"author": "troll12@example.org", "text": text}])
    d = Daemon(type("Platform", (), {"url": "http://127.0.0.1:%d" % proxy.port,
                                     "token": fake.token}), mode="review")
    os.makedirs(d.state, exist_ok=True)
    rc, out, err = ctl("user", "add", "ida", "--role", "editor", "--state", d.state,
                       "--password-stdin", stdin="ida-passwort\n")
    check(rc == 0, "user add ida: %s" % err)
    try:
        d.start()
        ida = Client(d.port)
        check(ida.login("ida", "ida-passwort")[0] == 200, "ida cannot log in")

        def open_item():
            st, obj, _ = ida.req("GET", "/api/queue?state=open")
            return [it for it in obj["items"] if text in it["text"]] or None
        it = wait_for("the item in the queue", open_item, 60)[0]
        check("report" in it["proposed"], "proposed %r" % it["proposed"])
        proxy.down()
        st, obj, _ = ida.req("POST", "/api/items/%d/decide" % it["id"],
                             {"decision": "approve", "reason": "Beleidigung"})
        check(st == 200, "approve %d %r" % (st, obj))

        def report():
            return db_query(d.state, "SELECT state, attempts, last_error FROM outbox"
                            " WHERE item = ? AND action = 'report'", it["id"])
        wait_for("a refused try of the report", lambda: [
            r for r in report() if r[0] == "pending" and r[2]] or None, 30)
        proxy.up()
        wait_for("the report done", lambda: report()[0][0] == "done", 60)
        time.sleep(1)
        reports = [a for a in fake.actions()["actions"] if a["kind"] == "report"]
        check(len(reports) == 1 and reports[0]["applied"], "reports at the fake: %r" % reports)
        n = db_query(d.state, "SELECT COUNT(*) FROM audit WHERE kind = 'action.failed'")[0][0]
        check(n == 0, "%d action.failed entries" % n)
    finally:
        d.stop()
        proxy.down()
        fake.stop()


def test_audit_verifies():
    rc, out, err = S["d"].audit_verify()
    check(rc == 0, "audit verify: %s %s" % (out, err))


if __name__ == "__main__":
    try:
        setup()
    except Exception as e:  # noqa: BLE001
        print("FAIL setup: %s" % e)
        if "d" in S:
            print(S["d"].read_log()[-3000:])
        sys.exit(1)
    status = 1
    try:
        run_tests([test_headers_and_static, test_login_cookie_logout, test_throttling,
                   test_csrf_and_origin, test_queue_list_filters,
                   test_item_detail_hostile_text, test_approve_reaches_platform_once,
                   test_undo_sends_inverse, test_dismiss_lowers_precision,
                   test_escalate_legal_evidence, test_assign_bulk, test_ctl_queue_token,
                   test_metrics_queue, test_events_stream, test_proxy_header_trusted_from_proxy,
                   test_proxy_header_refused_elsewhere, test_proxy_unknown_user,
                   test_proxy_config_errors, test_users_admin,
                   test_healthz_while_logins_pending,
                   test_login_void_after_password_change,
                   test_undo_of_a_try_whose_answer_was_lost,
                   test_undo_while_the_request_is_on_the_wire,
                   test_refusal_of_a_withdrawn_request,
                   test_undo_after_a_request_cut_off_at_a_stop,
                   test_refused_connection_resends_a_report, test_audit_verifies,
                   test_sigterm_with_logins_in_flight])
    except SystemExit as e:
        status = e.code
    finally:
        rc = S["d"].stop()
        S["fake"].stop()
    # a clean shutdown exits 0; under ASan, LeakSanitizer's findings do not
    if rc != 0:
        print("FAIL daemon exit status %r" % rc)
        print(S["d"].read_log()[-6000:])
        status = 1
    sys.exit(status)
