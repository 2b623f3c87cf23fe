#!/usr/bin/env python3
"""fake_mastodon.py: a Mastodon API server for tests, faithful to
/work/shared/PLATFORMS.md section 1, standard library only.

It serves the endpoints the netiquetted Mastodon connector uses, with the
platform's semantics: notification paging with max_id / since_id / min_id
(min_id selects the page immediately newer than the id, oldest-first, and
returns it newest-first), limit (default 40, max 80), types[] and
exclude_types[] filters, include_filtered (private mentions from strangers
are filtered by default, as since Mastodon 4.3), Link headers with next/prev,
bearer-token checks (401 "The access token is invalid"), rate-limit headers
on every API response and 429 without Retry-After when exhausted, block /
mute / report / admin account action, instance rules.

For tests it adds, under /_fake/ (no auth, no rate limit):

  GET    /_fake/health            {"ok": true}
  GET    /_fake/state             counts of statuses, notifications, ...
  GET    /_fake/faults            the current fault settings
  POST   /_fake/faults            merge settings (JSON object):
           status_5xx_rate   0..1  answer 502/503/500 before doing anything
           post_apply_5xx_rate 0..1 POST actions: apply, then answer 502
                                  (the response is "lost": exactly-once test)
           rate_limit        N     requests per window per token (default 300)
           rate_window       s     window length in seconds (default 300)
           slow_ms           ms    delay every API response
           malformed_rate    0..1  200 with a corrupt JSON body
           truncated_rate    0..1  send half the body, then close
           invalid_token     bool  every token is rejected with 401
           link_skew         N     the rel="prev" link of a notifications
                                  page names min_id = newest id + N (a
                                  wrong Link header: a client that trusts
                                  it skips or repeats items)
           fail_next         [{"path": "/api/v1/...", "status": 503,
                               "count": 1}]   deterministic failures, by
                                              path prefix
           random_seed       int   reseed the fault RNG
  DELETE /_fake/faults            back to no faults, default rate limit
  GET    /_fake/actions           {"actions": [...], "counts": {"block:ID": n},
                                   "replays": n}
  DELETE /_fake/actions           forget recorded actions
  GET    /_fake/requests          every API request: method, path, status
  DELETE /_fake/requests
  POST   /_fake/seed              one record, a list, or JSONL text
  POST   /_fake/reset             empty everything but the own account

Seed records (JSONL, --seed FILE or POST /_fake/seed):

  {"type": "post", "key": "p1", "text": "..."}      a post of our account
  {"key"?, "id"?, "author": "handle[@domain]", "display_name"?, "text",
   "visibility"?: "public|unlisted|private|direct", "in_reply_to"?: key or
   status id (default: the newest own post; none for direct),
   "spoiler_text"?, "filtered"?: bool, "created_at"?}

Each comment or DM gets a status and a `mention` notification; some
favourite/follow notifications are mixed in so that types[] matters.
Idempotency-Key: real Mastodon honours it only when posting statuses.  A
repeated block, mute, unblock or unmute sets the same state again there;
this fake answers such a repeat (same token and key) with the first
response and records it as a replay, so that tests can tell a harmless
resend from a new action.  A report, an admin account action or a delete
is applied again whatever its key, as Mastodon does: a report sent twice
is two reports here too.

Usage: fake_mastodon.py [--port 0] [--seed FILE] [--generate N]
                        [--token T] [--admin-token T] [--fast-server]
--fast-server: the same answers from one asyncio thread instead of a
thread per connection, for benchmarks (see FastServer below).
Prints "LISTENING <port>" on stdout when ready.
"""

import argparse
import asyncio
import bisect
import email.utils
import functools
import gc
import html
import json
import random
import re
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OWN_ID = "109000000000000001"
DEFAULT_LIMIT = 300
DEFAULT_WINDOW = 300
DOMAIN = "social.bund.de"


_ISO_SECONDS = {}


def iso_seconds(t):
    """datetime.fromtimestamp(t, utc).strftime("%Y-%m-%dT%H:%M:%S."),
    formatted once per second (strftime was a tenth of an action's cost)."""
    sec = int(t)
    if t < 0 or t - sec >= 0.999999:
        # fromtimestamp() may round up to the next second: let it
        return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.")
    s = _ISO_SECONDS.get(sec)
    if s is None:
        if len(_ISO_SECONDS) >= 256:
            _ISO_SECONDS.clear()
        s = _ISO_SECONDS[sec] = datetime.fromtimestamp(sec, timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%S.")
    return s


def iso_ms(t):
    """iso_seconds(t) + "%03dZ" % int((t % 1) * 1000); in one call when
    the second is formatted already (three a request: worth it)."""
    sec = int(t)
    s = _ISO_SECONDS.get(sec)
    if s is None or t < 0 or t - sec >= 0.999999:
        return iso_seconds(t) + "%03dZ" % int((t % 1) * 1000)
    return "%s%03dZ" % (s, (t - sec) * 1000)     # t - sec == t % 1 here


def iso_us(t):
    return iso_seconds(t) + "%06dZ" % int(round((t % 1) * 1e6) % 1000000)


@functools.lru_cache(maxsize=64)
def rate_reset(t):
    """iso_us(t) of the end of a rate-limit window: one per window."""
    return iso_us(t)


# json.dumps(obj, ensure_ascii=False) builds a JSONEncoder and a C encoder
# per call, a third of the cost of serializing a relationship: one C
# encoder made once, as JSONEncoder(ensure_ascii=False).iterencode(obj,
# _one_shot=True) makes it (but for check_circular: nothing the fake
# answers has cycles).  PyPy (tests/bench runs the fake on it) has no C
# encoder and no gc.freeze; it needs neither.
gc_freeze = getattr(gc, "freeze", lambda: None)
_C_MAKE_ENCODER = getattr(json.encoder, "c_make_encoder", None)
_DICT_ENCODER = (_C_MAKE_ENCODER(
    None, json.JSONEncoder().default, json.encoder.encode_basestring, None,
    ": ", ", ", False, False, True) if _C_MAKE_ENCODER else None)


def to_json(obj):
    """json.dumps(obj, ensure_ascii=False).  Only dicts take the short
    way; the rest goes through json.dumps, which a benchmark may wrap
    (tests/bench/bench_daemon.py's FAST_FAKE does, for its pages)."""
    if type(obj) is dict and _DICT_ENCODER is not None:
        return "".join(_DICT_ENCODER(obj, 0))
    return json.dumps(obj, ensure_ascii=False)


URL_RE = re.compile(r"https?://[^\s<>\"]+")
TAG_RE = re.compile(r"(?<![\w/])#(\w+)")


def link_html(url):
    """Mastodon's shortened link: invisible scheme, 30-char ellipsis."""
    m = re.match(r"(https?://(?:www\.)?)(.*)", url)
    prefix, rest = m.group(1), m.group(2)
    shown, hidden = rest[:30], rest[30:]
    return ('<a href="%s" rel="nofollow noopener noreferrer" translate="no" '
            'target="_blank"><span class="invisible">%s</span><span class="%s">'
            '%s</span><span class="invisible">%s</span></a>' % (
                html.escape(url, quote=True), html.escape(prefix),
                "ellipsis" if hidden else "", html.escape(shown),
                html.escape(hidden)))


def tags_html(text):
    """Text between links: escaped, its hashtags linked.  On the text, not
    on its HTML: an escaped apostrophe (&#x27;) is no hashtag."""
    pieces = []
    pos = 0
    for m in TAG_RE.finditer(text):
        pieces.append(html.escape(text[pos:m.start()], quote=False))
        pieces.append('<a href="https://%s/tags/%s" class="mention hashtag" '
                      'rel="tag">#<span>%s</span></a>' % (DOMAIN, m.group(1), m.group(1)))
        pos = m.end()
    pieces.append(html.escape(text[pos:], quote=False))
    return "".join(pieces)


def text_to_html(text, mention_own=True, own_acct="bmi"):
    """Plain text to the sanitized HTML Mastodon stores as `content`."""
    paras = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()] or [""]
    out = []
    for i, para in enumerate(paras):
        pieces = []
        pos = 0
        for m in URL_RE.finditer(para):
            pieces.append(tags_html(para[pos:m.start()]))
            pieces.append(link_html(m.group(0)))
            pos = m.end()
        pieces.append(tags_html(para[pos:]))
        body = "".join(pieces)
        body = body.replace("\n", "<br />")
        if i == 0 and mention_own:
            body = ('<span class="h-card" translate="no"><a href="https://%s/@%s"'
                    ' class="u-url mention">@<span>%s</span></a></span> '
                    % (DOMAIN, own_acct, own_acct)) + body
        out.append("<p>%s</p>" % body)
    return "".join(out)


class State:
    """Everything the fake knows, guarded by one lock."""

    def __init__(self, token, admin_token):
        self.lock = threading.RLock()
        self.token = token
        self.admin_token = admin_token
        self.rng = random.Random(1)
        self.reset()

    def reset(self):
        self.accounts = {}
        self.handles = {}
        self.statuses = {}
        self.order = []             # status ids, oldest first
        self.notifications = []     # oldest first
        self.notification_ids = []  # int(n["id"]) of each, ascending
        self.keys = {}              # seed key -> status id
        self.relationships = {}
        self.reports = []
        self.actions = []
        self.requests = []
        self.idem = {}
        self.rate = {}              # (token, window) -> count
        self.next_notif = 34975000
        self.next_account = 110000000000000000
        self.seq = 0
        self.clock = time.time() - 86400
        self.comment_count = 0
        self.rules = [
            {"id": "1", "text": "Keine Inhalte, die in Deutschland rechtswidrig sind", "hint": ""},
            {"id": "2", "text": "Kein Spam, keine Werbung", "hint": ""},
            {"id": "3", "text": "Keine Beleidigungen, keine Hetze, keine Diskriminierung", "hint": ""},
            {"id": "4", "text": "Keine Veröffentlichung personenbezogener Daten Dritter", "hint": ""},
        ]
        self.faults_reset()
        own = self.account("bmi", "Bundesministerium des Innern (Fake)",
                           account_id=OWN_ID)
        own["note"] = "<p>Offizieller Account (Testinstanz). Netiquette: https://%s/netiquette</p>" % DOMAIN
        self.changed()

    def changed(self):
        """To be called whenever an account or status changes (or goes):
        forgets the notifications' JSON texts, which embed both."""
        self.notification_texts = {}

    def faults_reset(self):
        self.faults = {"status_5xx_rate": 0.0, "post_apply_5xx_rate": 0.0,
                       "rate_limit": DEFAULT_LIMIT, "rate_window": DEFAULT_WINDOW,
                       "slow_ms": 0, "malformed_rate": 0.0,
                       "truncated_rate": 0.0, "invalid_token": False,
                       "link_skew": 0, "fail_next": []}

    # ---- model ----

    def tick(self, created_at=None):
        self.clock = max(self.clock + 1.0 + self.rng.random(), time.time() - 86400)
        if self.clock > time.time():
            self.clock = time.time()
        return self.clock

    def status_id(self, t):
        self.seq += 1
        return str((int(t * 1000) << 16) | (self.seq & 0xffff))

    def account(self, handle, display_name=None, account_id=None):
        handle = handle.lstrip("@")
        if handle in self.handles:
            return self.accounts[self.handles[handle]]
        if account_id is None:
            self.next_account += 1
            account_id = str(self.next_account)
        user, _, domain = handle.partition("@")
        url = "https://%s/@%s" % (domain or DOMAIN, user)
        a = {"id": account_id, "username": user, "acct": handle,
             "display_name": display_name if display_name is not None else user,
             "locked": False, "bot": False, "discoverable": True, "group": False,
             "created_at": "2023-01-15T00:00:00.000Z", "note": "",
             "url": url, "uri": url.replace("/@", "/users/"),
             "avatar": "https://%s/avatars/original/missing.png" % DOMAIN,
             "avatar_static": "https://%s/avatars/original/missing.png" % DOMAIN,
             "header": "https://%s/headers/original/missing.png" % DOMAIN,
             "header_static": "https://%s/headers/original/missing.png" % DOMAIN,
             "followers_count": 0, "following_count": 0, "statuses_count": 0,
             "last_status_at": None, "emojis": [], "fields": []}
        self.accounts[account_id] = a
        self.handles[handle] = account_id
        return a

    def add_status(self, acc, text, visibility="public", in_reply_to=None,
                   spoiler="", sid=None, mention_own=True, created_at=None):
        t = self.tick()
        sid = str(sid) if sid is not None else self.status_id(t)
        parent = self.statuses.get(in_reply_to) if in_reply_to else None
        user, _, domain = acc["acct"].partition("@")
        base = "https://%s" % (domain or DOMAIN)
        own = self.accounts[OWN_ID]
        st = {"id": sid, "created_at": created_at or iso_ms(t),
              "in_reply_to_id": parent["id"] if parent else None,
              "in_reply_to_account_id": parent["account"]["id"] if parent else None,
              "sensitive": bool(spoiler), "spoiler_text": spoiler or "",
              "visibility": visibility, "language": "de",
              "uri": "%s/users/%s/statuses/%s" % (base, user, sid),
              "url": "%s/@%s/%s" % (base, user, sid),
              "replies_count": 0, "reblogs_count": 0, "favourites_count": 0,
              "edited_at": None,
              "content": text_to_html(text, mention_own, own["acct"]),
              "reblog": None, "application": None, "account": acc,
              "media_attachments": [],
              "mentions": ([{"id": own["id"], "username": own["username"],
                             "url": own["url"], "acct": own["acct"]}]
                           if mention_own else []),
              "tags": [{"name": m.lower(), "url": "https://%s/tags/%s" % (DOMAIN, m.lower())}
                       for m in TAG_RE.findall(text)],
              "emojis": [], "card": None, "poll": None, "filtered": []}
        self.changed()
        if parent:
            parent["replies_count"] += 1
        acc["statuses_count"] += 1
        acc["last_status_at"] = st["created_at"][:10]
        self.statuses[sid] = st
        self.order.append(sid)
        return st

    def add_notification(self, ntype, acc, status=None, filtered=False):
        self.next_notif += 1
        n = {"id": str(self.next_notif), "type": ntype,
             "created_at": status["created_at"] if status else iso_ms(self.tick()),
             "group_key": "ungrouped-%d" % self.next_notif,
             "account_id": acc["id"],
             "status_id": status["id"] if status else None,
             "filtered": filtered}
        self.notifications.append(n)
        self.notification_ids.append(self.next_notif)
        return n

    def seed_one(self, rec):
        if not isinstance(rec, dict):
            raise ValueError("seed record must be an object")
        if rec.get("type") == "post":
            own = self.accounts[OWN_ID]
            st = self.add_status(own, rec.get("text", ""), "public", None,
                                 rec.get("spoiler_text", ""), rec.get("id"),
                                 mention_own=False)
            if rec.get("key"):
                self.keys[rec["key"]] = st["id"]
            return {"status_id": st["id"]}
        if "author" not in rec or "text" not in rec:
            raise ValueError("seed record needs author and text")
        acc = self.account(rec["author"], rec.get("display_name"))
        vis = rec.get("visibility", "public")
        if vis not in ("public", "unlisted", "private", "direct"):
            raise ValueError("bad visibility %r" % vis)
        reply = rec.get("in_reply_to")
        if reply is not None:
            reply = self.keys.get(reply, reply)
        elif vis != "direct":
            own_posts = [s for s in self.order
                         if self.statuses[s]["account"]["id"] == OWN_ID]
            reply = own_posts[-1] if own_posts else None
        st = self.add_status(acc, rec["text"], vis, reply,
                             rec.get("spoiler_text", ""), rec.get("id"),
                             created_at=rec.get("created_at"))
        if rec.get("key"):
            self.keys[rec["key"]] = st["id"]
        # Mastodon >= 4.3: private mentions from strangers are filtered.
        filtered = rec.get("filtered", vis == "direct")
        n = self.add_notification("mention", acc, st, bool(filtered))
        self.comment_count += 1
        if self.comment_count % 7 == 0 and st["in_reply_to_id"]:
            self.add_notification("favourite", acc,
                                  self.statuses[st["in_reply_to_id"]])
        if self.comment_count % 11 == 0:
            self.add_notification("follow", acc)
        return {"status_id": st["id"], "notification_id": n["id"]}

    def notification_text(self, n):
        """json.dumps(notification_json(n)) in UTF-8, made once until
        changed(): serializing a page was most of its CPU."""
        text = self.notification_texts.get(n["id"])
        if text is None:
            text = self.notification_texts[n["id"]] = to_json(
                self.notification_json(n)).encode("utf-8")
        return text

    def notification_json(self, n):
        out = {"id": n["id"], "type": n["type"], "created_at": n["created_at"],
               "group_key": n["group_key"],
               "account": self.accounts[n["account_id"]]}
        if n["status_id"]:
            out["status"] = self.statuses.get(n["status_id"])
        return out

    def relationship(self, aid):
        r = self.relationships.get(aid)
        if r is not None:
            return r
        r = self.relationships[aid] = {
            "id": aid, "following": False, "showing_reblogs": False,
            "notifying": False, "languages": None, "followed_by": False,
            "blocking": False, "blocked_by": False, "muting": False,
            "muting_notifications": False, "muting_expires_at": None,
            "requested": False, "requested_by": False,
            "domain_blocking": False, "endorsed": False, "note": ""}
        return r


GENERATE_TEXTS = [
    "Wann gibt es endlich den digitalen Personalausweis auf dem Handy?",
    "Danke für die Info, sehr hilfreich!",
    "Die Regierung versagt komplett bei der Digitalisierung.",
    "Der Minister hat keine Ahnung, was in den Kommunen los ist.",
    "Gibt es die Warn-App auch ohne Google-Dienste?",
    "Du bist so ein Vollidiot, echt.",
    "Verdiene 5000 Euro pro Woche mit Krypto! Schreib mir auf WhatsApp +49 151 23456789",
    "Wie lange dauert aktuell ein Termin im Bürgeramt in Berlin?",
    "Halt die Fresse, du Pfosten.",
    "Sehr guter Beitrag zum Katastrophenschutz, weiter so.",
]


def generate(state, n):
    rng = random.Random(42)
    with state.lock:
        for i in range(3):
            state.seed_one({"type": "post", "key": "gen-post-%d" % i,
                            "text": "Beitrag Nummer %d des Ministeriums #Digitalisierung" % (i + 1)})
        for i in range(n):
            text = rng.choice(GENERATE_TEXTS)
            vis = "direct" if rng.random() < 0.1 else "public"
            rec = {"author": "user%d@%s" % (rng.randrange(max(1, n // 3 + 1)),
                                            rng.choice(["mastodon.social", "chaos.social", DOMAIN])),
                   "text": "%s (#%d)" % (text, i), "visibility": vis}
            if vis != "direct":
                rec["in_reply_to"] = "gen-post-%d" % rng.randrange(3)
            state.seed_one(rec)


def generated_records(n):
    """The records generate(state, n) seeds, in order, without a server
    (the benchmarks seed the same records later, through POST /_fake/seed)."""
    class Collect:
        lock = threading.RLock()

        def __init__(self):
            self.recs = []

        def seed_one(self, rec):
            self.recs.append(rec)
    c = Collect()
    generate(c, n)
    return c.recs


@functools.lru_cache(maxsize=4096)
def unquote_plus(s):
    """What parse_qsl makes of one name or value: most repeat (the
    daemon's field names, its report comments), unquoting is not cheap."""
    return urllib.parse.unquote(s.replace("+", " "), encoding="utf-8", errors="replace")


def form_pairs(qs):
    """urllib.parse.parse_qsl(qs, keep_blank_values=True), for a fraction
    of its cost: fields with nothing to unquote are taken as they are."""
    out = []
    for f in qs.split("&"):
        if f:
            k, _, v = f.partition("=")
            if "%" in k or "+" in k:
                k = unquote_plus(k)
            if "%" in v or "+" in v:
                v = unquote_plus(v)
            out.append((k, v))
    return out


def split_target(target):
    """urllib.parse.urlsplit(target)'s path and query, without its cost
    for the usual target: one leading slash, no fragment, printable."""
    if target[:1] != "/" or target[1:2] == "/" or "#" in target or not target.isprintable():
        url = urllib.parse.urlsplit(target)
        return url.path, url.query
    path, _, query = target.partition("?")
    return path, query


def parse_form(body, ctype):
    """Form data or JSON into a dict; `key[]` collects lists."""
    if not body:
        return {}
    if ctype and "json" in ctype:
        v = json.loads(body.decode("utf-8"))
        if not isinstance(v, dict):
            raise ValueError("JSON body must be an object")
        return v
    return collect_params(form_pairs(body.decode("utf-8")))


class BadParams(ValueError):
    """Parameters Rack cannot make a hash of: Mastodon answers 400."""


def collect_params(pairs):
    """(name, value) pairs into a dict as Rack does: `key[]` collects a
    list, a plain `key` replaces what was there, and `key[]` after a plain
    `key` is Rack's ParameterTypeError (a 400 in Mastodon)."""
    out = {}
    for k, v in pairs:
        if k.endswith("[]"):
            have = out.setdefault(k[:-2], [])
            if not isinstance(have, list):
                raise BadParams("expected Array (got String) for param `%s'"
                                % k[:-2])
            have.append(v)
        else:
            out[k] = v
    return out


def query_params(qs):
    return collect_params(form_pairs(qs))


class JSONText:
    """An answer serialized already (by the handler, from cached parts):
    api() sends `raw`, its UTF-8 bytes, instead of json.dumps(answer)."""

    __slots__ = ("raw",)

    def __init__(self, raw):
        self.raw = raw


@functools.lru_cache(maxsize=256)
def link_query(keep):
    """urlencode(keep) + "&" (or "" for no fields): what the URLs of a
    notifications page's Link header repeat of the request's query (the
    same for every page of a walk)."""
    return urllib.parse.urlencode(keep) + "&" if keep else ""


def truthy(v):
    return v is True or (isinstance(v, str) and v.lower() in ("true", "1", "on"))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeMastodon/4.3"
    state = None  # set by main

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fake_mastodon: " + fmt % args + "\n")

    # ---- plumbing ----

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send_json(self, status, obj, headers=None, raw=None):
        body = raw if raw is not None else to_json(obj).encode("utf-8")
        self.send_json_head(status, len(body), headers)
        self.wfile.write(body)
        return status

    # status -> b"HTTP/1.1 200 OK\r\nServer: ...\r\n", as send_response
    # makes them (Handler's protocol_version and server_version are fixed)
    _status_heads = {}
    _date = (None, b"")

    def send_json_head(self, status, length, headers, close=False):
        """send_response(status); send_header() of Content-Type, of
        Content-Length: length, of each of `headers` (a dict) and, if
        `close`, of Connection: close; end_headers().  The same bytes in
        one join: the stock methods' format, encode and append for each
        header were a fifth of an action's CPU."""
        if self.server.verbose:
            self.log_request(status)
        if self.request_version == "HTTP/0.9":
            return      # the stock server's HTTP/0.9 answer: no head at all
        head = self._status_heads.get(status)
        if head is None:
            message = self.responses[status][0] if status in self.responses else ""
            head = Handler._status_heads[status] = (
                "%s %d %s\r\nServer: %s\r\n" % (self.protocol_version, status, message,
                                                self.version_string())).encode("latin-1", "strict")
        now = int(time.time())
        date = Handler._date
        if date[0] != now:     # date_time_string(), formatted once a second
            date = Handler._date = (now, b"Date: %s\r\n" % email.utils.formatdate(
                now, usegmt=True).encode("latin-1"))
        lines = [head, date[1], b"Content-Type: application/json; charset=utf-8\r\n"
                 b"Content-Length: %d\r\n" % length]
        if headers:
            for k, v in headers.items():
                lines.append(("%s: %s\r\n" % (k, v)).encode("latin-1", "strict"))
        lines.append(b"Connection: close\r\n\r\n" if close else b"\r\n")
        self.wfile.write(b"".join(lines))

    def later(self, seconds, answer):
        """Answers after `seconds`; this thread has nothing else to do."""
        time.sleep(seconds)
        return answer()

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_PUT(self):
        self.dispatch("PUT")

    def dispatch(self, method):
        path, query = split_target(self.path)
        try:
            body = self.read_body()
        except Exception:
            self.close_connection = True
            return
        if path.startswith("/_fake/"):
            try:
                self.control(method, path, body)
            except (ValueError, KeyError, TypeError) as e:
                self.send_json(400, {"error": str(e)})
            return
        if not path.startswith("/api/"):
            self.send_json(404, {"error": "Not Found"})
            return
        self.api(method, path, query, body)

    # ---- control API ----

    def control(self, method, path, body):
        st = self.state
        with st.lock:
            if path == "/_fake/health":
                return self.send_json(200, {"ok": True})
            if path == "/_fake/state" and method == "GET":
                return self.send_json(200, {
                    "statuses": len(st.statuses),
                    "notifications": len(st.notifications),
                    "mentions": sum(1 for n in st.notifications if n["type"] == "mention"),
                    "accounts": len(st.accounts),
                    "blocked": sorted(k for k, r in st.relationships.items() if r["blocking"]),
                    "muted": sorted(k for k, r in st.relationships.items() if r["muting"]),
                    "reports": st.reports,
                    "last_notification_id": st.notifications[-1]["id"] if st.notifications else None,
                    "keys": st.keys})
            if path == "/_fake/faults":
                if method == "GET":
                    return self.send_json(200, st.faults)
                if method == "DELETE":
                    st.faults_reset()
                    st.rate.clear()
                    return self.send_json(200, st.faults)
                if method == "POST":
                    f = json.loads(body or b"{}")
                    if not isinstance(f, dict):
                        raise ValueError("faults must be an object")
                    for k, v in f.items():
                        if k == "random_seed":
                            st.rng.seed(v)
                        elif k not in st.faults:
                            raise ValueError("unknown fault %r" % k)
                        else:
                            st.faults[k] = v
                    if "rate_limit" in f or "rate_window" in f:
                        st.rate.clear()
                    return self.send_json(200, st.faults)
            if path == "/_fake/actions":
                if method == "DELETE":
                    st.actions = []
                    st.idem.clear()
                    return self.send_json(200, {"ok": True})
                counts = {}
                for a in st.actions:
                    if not a["replay"] and a["applied"]:
                        k = "%s:%s" % (a["kind"], a["target"])
                        counts[k] = counts.get(k, 0) + 1
                return self.send_json(200, {
                    "actions": st.actions, "counts": counts,
                    "replays": sum(1 for a in st.actions if a["replay"])})
            if path == "/_fake/requests":
                if method == "DELETE":
                    st.requests = []
                    return self.send_json(200, {"ok": True})
                return self.send_json(200, st.requests)
            if path == "/_fake/seed" and method == "POST":
                text = body.decode("utf-8").strip()
                try:
                    recs = json.loads(text) if text else []
                except json.JSONDecodeError:
                    recs = [json.loads(l) for l in text.splitlines() if l.strip()]
                if isinstance(recs, dict):
                    recs = [recs]
                out = [st.seed_one(r) for r in recs]
                gc_freeze()     # as after the start's seeding, see main()
                return self.send_json(200, out)
            if path == "/_fake/reset" and method == "POST":
                st.reset()
                return self.send_json(200, {"ok": True})
        self.send_json(404, {"error": "no such control endpoint"})

    # ---- the Mastodon API ----

    def api(self, method, path, query, body):
        st = self.state
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else None
        now = time.time()
        with st.lock:
            f = st.faults
            limit = int(f["rate_limit"])
            window = max(1, int(f["rate_window"]))
            win = int(now // window)
            key = (token or self.client_address[0], win)
            used = st.rate[key] = st.rate.get(key, 0) + 1
            rl = {"X-RateLimit-Limit": str(limit),
                  "X-RateLimit-Remaining": str(max(0, limit - used)),
                  "X-RateLimit-Reset": rate_reset((win + 1) * window)}
            fail = None
            if f["fail_next"] != []:    # the usual [] has nothing to count down
                for fn in f["fail_next"]:
                    if path.startswith(fn.get("path", "/")) and fn.get("count", 1) > 0:
                        fn["count"] = fn.get("count", 1) - 1
                        fail = int(fn.get("status", 503))
                        break
                f["fail_next"] = [fn for fn in f["fail_next"] if fn.get("count", 1) > 0]
            rng = st.rng.random
            r5 = rng() < float(f["status_5xx_rate"])
            rpost = rng() < float(f["post_apply_5xx_rate"])
            rmal = rng() < float(f["malformed_rate"])
            rtrunc = rng() < float(f["truncated_rate"])
            slow = int(f["slow_ms"])
            invalid = bool(f["invalid_token"])

        def answer():
            def record(status):
                with st.lock:
                    st.requests.append({"method": method, "path": path,
                                        "query": query, "status": status,
                                        "at": iso_ms(time.time())})
                return status

            if used > limit:
                return record(self.send_json(429, {"error": "Too many requests"}, rl))
            public = method == "GET" and path == "/api/v1/instance/rules"
            if not public and (invalid or token is None or
                               token not in (st.token, st.admin_token)):
                return record(self.send_json(401, {"error": "The access token is invalid"}, rl))
            if fail is not None:
                return record(self.send_json(fail, {"error": "Injected failure"}, rl))
            if r5:
                code = st.rng.choice([500, 502, 503])
                return record(self.send_json(code, None, rl, raw=(
                    b"<html><body><h1>%d</h1>We're sorry, but something went wrong.</body></html>" % code)))
            try:
                status, obj, extra = self.route(method, path, query, body, token)
            except BadParams as e:
                status, obj, extra = 400, {"error": "Invalid parameters: %s" % e}, {}
            except (ValueError, json.JSONDecodeError, UnicodeDecodeError) as e:
                status, obj, extra = 422, {"error": "Validation failed: %s" % e}, {}
            headers = rl
            if extra:
                headers = dict(rl)
                headers.update(extra)
            if method == "POST" and status < 300 and rpost:
                return record(self.send_json(502, None, headers, raw=b"<html>502 Bad Gateway</html>"))
            raw = obj.raw if type(obj) is JSONText else to_json(obj).encode("utf-8")
            if rmal and status < 300:
                raw = raw[: max(1, len(raw) // 3)] + b"\x00<html>garbage"
            if rtrunc:
                self.send_json_head(status, len(raw), headers, close=True)
                self.wfile.write(raw[: len(raw) // 2])
                self.wfile.flush()
                self.close_connection = True
                return record(-status)
            return record(self.send_json(status, None, headers, raw=raw))

        # slow_ms delays the whole answer, its effect and its log entry
        return self.later(slow / 1000.0, answer) if slow > 0 else answer()

    def route(self, method, path, query, body, token):
        st = self.state
        q = query_params(query)
        parts = path.strip("/").split("/")
        if method == "GET":
            if path == "/api/v1/notifications":
                return self.notifications(q)
            if path == "/api/v1/instance/rules":
                return 200, st.rules, {}
            if path == "/api/v1/accounts/verify_credentials":
                return 200, st.accounts[OWN_ID], {}
            if len(parts) == 4 and parts[2] == "notifications":
                with st.lock:
                    for n in st.notifications:
                        if n["id"] == parts[3]:
                            return 200, st.notification_json(n), {}
                return 404, {"error": "Record not found"}, {}
            if len(parts) == 4 and parts[2] == "statuses":
                s = st.statuses.get(parts[3])
                return (200, s, {}) if s else (404, {"error": "Record not found"}, {})
            if len(parts) == 5 and parts[2] == "statuses" and parts[4] == "context":
                with st.lock:
                    s = st.statuses.get(parts[3])
                    if not s:
                        return 404, {"error": "Record not found"}, {}
                    anc, cur = [], s
                    while cur["in_reply_to_id"] and cur["in_reply_to_id"] in st.statuses:
                        cur = st.statuses[cur["in_reply_to_id"]]
                        anc.insert(0, cur)
                    desc, frontier = [], {s["id"]}
                    for sid in st.order:
                        c = st.statuses[sid]
                        if c["in_reply_to_id"] in frontier and c["visibility"] != "direct":
                            desc.append(c)
                            frontier.add(sid)
                    return 200, {"ancestors": anc, "descendants": desc}, {}
            if len(parts) == 5 and parts[2] == "accounts" and parts[4] == "statuses":
                with st.lock:
                    out = [st.statuses[s] for s in reversed(st.order)
                           if st.statuses[s]["account"]["id"] == parts[3]]
                return 200, out[: int(q.get("limit", 20))], {}
            return 404, {"error": "Record not found"}, {}
        if method == "DELETE" and len(parts) == 4 and parts[2] == "statuses":
            with st.lock:
                s = st.statuses.get(parts[3])
                if not s or s["account"]["id"] != OWN_ID:
                    return 404, {"error": "Record not found"}, {}
                return self.act("delete", parts[3], {}, lambda: self.delete_status(s))
        if method != "POST":
            return 404, {"error": "Record not found"}, {}
        params = parse_form(body, self.headers.get("Content-Type"))
        params.update(q)
        if len(parts) == 5 and parts[2] == "accounts" and parts[4] in (
                "block", "unblock", "mute", "unmute"):
            aid, verb = parts[3], parts[4]
            with st.lock:
                if aid not in st.accounts:
                    return 404, {"error": "Record not found"}, {}
            return self.act(verb, aid, params, lambda: self.relation(aid, verb, params))
        if path == "/api/v1/reports":
            aid = str(params.get("account_id", ""))
            return self.act("report", aid, params, lambda: self.report(params))
        if len(parts) == 6 and parts[2] == "admin" and parts[3] == "accounts" and parts[5] == "action":
            if token != st.admin_token:
                return 403, {"error": "This action is not allowed"}, {}
            aid = parts[4]
            with st.lock:
                if aid not in st.accounts:
                    return 404, {"error": "Record not found"}, {}
            return self.act("admin_action", aid, params, lambda: self.admin_action(aid, params))
        return 404, {"error": "Record not found"}, {}

    def notifications(self, q):
        st = self.state
        try:
            limit = int(q.get("limit", 40))
        except ValueError:
            limit = 40
        limit = max(1, min(80, limit))
        types = q.get("types")
        excl = q.get("exclude_types") or []
        if isinstance(types, str):
            types = [types]
        if isinstance(excl, str):
            excl = [excl]
        inc_filtered = truthy(q.get("include_filtered", "false"))

        def num(k):
            v = q.get(k)
            if v is None or v == "":
                return None
            if not str(v).isdigit():
                raise ValueError("%s must be an id" % k)
            return int(v)
        max_id, since_id, min_id = num("max_id"), num("since_id"), num("min_id")
        account_id = q.get("account_id")

        def wanted(n):
            return ((not types or n["type"] in types) and n["type"] not in excl
                    and (inc_filtered or not n["filtered"])
                    and (not account_id or n["account_id"] == account_id)
                    and (n["status_id"] is None or n["status_id"] in statuses))
        with st.lock:
            # Notifications are appended with ascending ids: the ones
            # between the cursors are a slice, found by bisection instead
            # of testing every notification (most of a page's CPU).
            notes, ids = st.notifications, st.notification_ids
            statuses = st.statuses
            lo = 0 if since_id is None else bisect.bisect_right(ids, since_id)
            if min_id is not None:
                lo = max(lo, bisect.bisect_right(ids, min_id))
            hi = len(ids) if max_id is None else bisect.bisect_left(ids, max_id)
            page = []
            if min_id is not None:
                # The page immediately after min_id, oldest first, reversed.
                for i in range(lo, hi):
                    if wanted(notes[i]):
                        page.append(notes[i])
                        if len(page) == limit:
                            break
                page.reverse()
            else:
                for i in range(hi - 1, lo - 1, -1):
                    if wanted(notes[i]):
                        page.append(notes[i])
                        if len(page) == limit:
                            break
            try:
                # json.dumps(out)'s bytes, as api() would make them, in
                # one join (a page is some 200 KB: each copy costs)
                texts = [st.notification_text(n) for n in page]
                if texts:
                    texts[0] = b"[" + texts[0]
                    texts[-1] += b"]"
                out = JSONText(b", ".join(texts) if texts else b"[]")
            except UnicodeEncodeError:
                # a lone surrogate (a JSON seed's "\ud800") has no UTF-8:
                # api() fails on it, as it did before texts were cached
                out = [st.notification_json(n) for n in page]
        headers = {}
        if page:
            host = self.headers.get("Host") or "127.0.0.1:%d" % self.server.server_port
            # urlencode(keep + [(cursor, id)]) is urlencode(keep), "&"
            # and cursor=id (ids are digits and "-", never quoted)
            keep = link_query(tuple((k, v) for k, v in form_pairs(split_target(self.path)[1])
                                    if k not in ("max_id", "min_id", "since_id")))
            base = "http://%s/api/v1/notifications?%s" % (host, keep)
            nxt = "max_id=" + page[-1]["id"]
            prv = "min_id=" + str(int(page[0]["id"]) + int(st.faults["link_skew"]))
            headers["Link"] = '<%s%s>; rel="next", <%s%s>; rel="prev"' % (base, nxt, base, prv)
        return 200, out, headers

    # ---- actions ----

    # what Mastodon applies again as the same state (see the module comment)
    SET_STATE_KINDS = frozenset(("block", "unblock", "mute", "unmute"))

    def act(self, kind, target, params, apply):
        """Applies an action and records it; a block or mute once per
        Idempotency-Key."""
        st = self.state
        key = self.headers.get("Idempotency-Key")
        token = (self.headers.get("Authorization") or "")[7:]
        with st.lock:
            rec = {"seq": len(st.actions) + 1, "kind": kind, "target": target,
                   "status_ids": list(params.get("status_ids") or []) if isinstance(
                       params.get("status_ids"), list) else [],
                   "params": params, "idempotency_key": key, "replay": False,
                   "applied": False, "status": None, "at": iso_ms(time.time())}
            if key and kind in self.SET_STATE_KINDS and (token, key) in st.idem:
                status, obj = st.idem[(token, key)]
                rec.update(replay=True, status=status)
                st.actions.append(rec)
                return status, obj, {}
            status, obj = apply()
            rec.update(applied=status < 300, status=status)
            st.actions.append(rec)
            if key:
                st.idem[(token, key)] = (status, obj)
            return status, obj, {}

    def relation(self, aid, verb, params):
        r = self.state.relationship(aid)
        if verb == "block":
            r["blocking"] = True
            r["following"] = False
        elif verb == "unblock":
            r["blocking"] = False
        elif verb == "mute":
            r["muting"] = True
            r["muting_notifications"] = truthy(params.get("notifications", "true"))
            try:
                d = int(params.get("duration", 0) or 0)
            except ValueError:
                return 422, {"error": "Validation failed: duration is not a number"}
            r["muting_expires_at"] = iso_ms(time.time() + d) if d > 0 else None
        elif verb == "unmute":
            r.update(muting=False, muting_notifications=False, muting_expires_at=None)
        return 200, dict(r)

    def report(self, p):
        st = self.state
        aid = str(p.get("account_id", ""))
        if not aid:
            return 422, {"error": "Validation failed: Target account must exist"}
        if aid not in st.accounts:
            return 404, {"error": "Record not found"}
        sids = p.get("status_ids") or []
        if isinstance(sids, str):
            sids = [sids]
        for s in sids:
            if s not in st.statuses or st.statuses[s]["account"]["id"] != aid:
                return 404, {"error": "Record not found"}
        rule_ids = p.get("rule_ids") or []
        if isinstance(rule_ids, str):
            rule_ids = [rule_ids]
        valid = {r["id"] for r in st.rules}
        if any(str(r) not in valid for r in rule_ids):
            return 422, {"error": "Validation failed: Rule ids does not reference valid rules"}
        comment = p.get("comment", "") or ""
        if len(comment) > 1000:
            return 422, {"error": "Validation failed: Comment is too long (maximum is 1000 characters)"}
        category = p.get("category", "other")
        if category not in ("spam", "legal", "violation", "other"):
            return 422, {"error": "Validation failed: Category is not included in the list"}
        if rule_ids:
            category = "violation"
        acc = st.accounts[aid]
        rep = {"id": str(48914 + len(st.reports)), "action_taken": False,
               "action_taken_at": None, "category": category, "comment": comment,
               "forwarded": truthy(p.get("forward", "false")) and "@" in acc["acct"],
               "created_at": iso_ms(time.time()), "status_ids": [str(s) for s in sids] or None,
               "rule_ids": [str(r) for r in rule_ids] or None,
               "target_account": acc}
        st.reports.append(rep)
        return 200, rep

    def admin_action(self, aid, p):
        t = p.get("type")
        if t not in ("none", "sensitive", "disable", "silence", "suspend"):
            return 422, {"error": "Validation failed: Type is not included in the list"}
        self.state.accounts[aid].setdefault("admin_actions", []).append(t)
        self.state.changed()
        return 200, {}

    def delete_status(self, s):
        st = self.state
        del st.statuses[s["id"]]
        st.changed()
        st.order.remove(s["id"])
        out = dict(s)
        out["text"] = re.sub(r"<[^>]+>", "", s["content"])
        return 200, out


# ---- --fast-server: the same Handler behind a one-thread front end ----
#
# ThreadingHTTPServer costs ~350 us of CPU per action POST: a thread per
# connection (GIL hand-offs between 32+ kept-alive connections), the email
# parser for the headers, a socket file object.  With --fast-server, one
# asyncio thread reads the requests (into one buffer), splits the headers
# itself and runs the same Handler methods on an object whose wfile keeps
# what they write (the head of a JSON answer by Handler.send_json_head,
# of the rest by BaseHTTPRequestHandler's send_response / send_header /
# end_headers); the answers to a batch of requests leave in one send, but
# a big body (a page of notifications) in one of its own, not copied
# again (tests/bench/bench_fake.py measures both front ends).  Same bytes
# either way (test_fake_mastodon.py's TestSameAnswers); not served:
# chunked request bodies (411), HTTP/0.9 (400), lines ending in a bare LF
# (never complete).

class FastHeaders(dict):
    """Request headers by lower-case name; get() as email.message's:
    any case, the first of repeated headers."""

    __slots__ = ()

    def get(self, name, default=None):
        return dict.get(self, name.lower(), default)

    def __getitem__(self, name):
        return dict.get(self, name.lower())

    def __contains__(self, name):
        return dict.__contains__(self, name.lower())


class Chunks(list):
    """A FastRequest's wfile: what the handler writes, as it wrote it
    (joined once with the rest of a batch of answers, not copied into a
    BytesIO first)."""

    __slots__ = ()
    write = list.append

    def flush(self):
        pass

    def getvalue(self):
        return b"".join(self)


class FastRequest:
    """Mixed in before Handler: one object per request, filled in by
    FastConnection instead of BaseHTTPRequestHandler's constructor (which
    would read the socket itself)."""

    _date = (None, "")

    def __init__(self, server, client_address, requestline, command, path,
                 version, headers, body):
        self.server = server
        self.client_address = client_address
        self.requestline = requestline
        self.command = command
        self.path = path
        self.request_version = version
        self.headers = headers
        self.close_connection = version != "HTTP/1.1" and tuple(
            map(int, version[5:].split("."))) < (1, 1)
        conntype = dict.get(headers, "connection")
        if conntype is not None:
            conntype = conntype.lower()
            if conntype == "close":
                self.close_connection = True
            elif conntype == "keep-alive":
                self.close_connection = False
        self.body = body
        self.wfile = Chunks()
        self._headers_buffer = []
        self.deferred = None

    def read_body(self):
        """The body FastConnection read, Content-Length bytes of it."""
        return self.body

    def date_time_string(self, timestamp=None):
        """The stock Date header, formatted once a second."""
        if timestamp is not None:
            return BaseHTTPRequestHandler.date_time_string(self, timestamp)
        now = int(time.time())
        cached = FastRequest._date
        if cached[0] != now:
            cached = FastRequest._date = (now, email.utils.formatdate(now, usegmt=True))
        return cached[1]

    def later(self, seconds, answer):
        """Answers after `seconds` without blocking the other connections:
        the connection calls `answer` then (and reads nothing meanwhile)."""
        self.deferred = (seconds, answer)


def request_line_error(words, requestline):
    """(code, message) as BaseHTTPRequestHandler.parse_request answers a
    bad request line (split into words), or None.  Unlike the stock
    server, the answer always has a status line (it leaves that out while
    it does not know the version) and HTTP/0.9 (two words) is refused."""
    if len(words) >= 3:
        version = words[-1]
        nums = version[5:].split(".") if version.startswith("HTTP/") else []
        if (len(nums) != 2 or not all(c.isdigit() and len(c) <= 10 for c in nums)):
            return 400, "Bad request version (%r)" % version
        if int(nums[0]) >= 2:
            return 505, "Invalid HTTP version (%s)" % version[5:]
    if len(words) != 3:
        return 400, "Bad request syntax (%r)" % requestline
    return None


class FastConnection(asyncio.BufferedProtocol):
    """One client connection: requests in order, answers in one write per
    batch of pipelined requests.  A BufferedProtocol: the transport reads
    into the server's one buffer, not into a new 256 KiB bytes object per
    read (which glibc maps and unmaps: three system calls a request)."""

    MAX_HEAD = 65536
    # header line -> (lower-case name, value): most lines of a client's
    # requests are the same every time, and splitting them was half the
    # CPU of reading a request
    HEADER_LINES = {}

    def __init__(self, server):
        self.server = server
        self.buf = bytearray()
        self.waiting = False        # a slow answer is due
        self.eof = False
        self.continued = False      # "100 Continue" sent for the request ahead

    def connection_made(self, transport):
        self.transport = transport
        sock = transport.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.peer = transport.get_extra_info("peername")[:2]

    def get_buffer(self, sizehint):
        return self.server.read_buffer

    def buffer_updated(self, nbytes):
        self.data_received(self.server.read_buffer[:nbytes])

    def data_received(self, data):
        self.buf += data
        if not self.waiting:
            self.serve()

    def eof_received(self):
        self.eof = True
        if not self.waiting:
            self.serve()
        return True     # half-closed: answer what came, then close

    def serve(self):
        out = []
        while self.buf and not self.transport.is_closing():
            h = self.next_request(out)
            if h is None:
                break
            if h.deferred is not None:
                self.flush(out)
                self.waiting = True
                asyncio.get_running_loop().call_later(h.deferred[0], self.resume, h)
                return
            out += h.wfile
            if h.close_connection:
                self.flush(out)
                self.transport.close()
                return
        self.flush(out)
        if self.eof and not self.transport.is_closing():
            self.transport.close()

    def resume(self, h):
        self.waiting = False
        try:
            h.deferred[1]()
        except Exception:
            self.crash(h)
            return
        if self.transport.is_closing():
            return
        self.transport.write(h.wfile.getvalue())
        if h.close_connection:
            self.transport.close()
            return
        self.serve()

    def flush(self, out):
        if out and not self.transport.is_closing():
            if len(out[-1]) < 65536:
                self.transport.write(b"".join(out))
            else:   # a page of notifications: not copied once more
                self.transport.write(b"".join(out[:-1]))
                self.transport.write(out[-1])
        out.clear()

    def reject(self, out, code, message=None):
        """BaseHTTPRequestHandler's error page, then close."""
        h = self.server.handler(self.server, self.peer, "", None, "",
                                "HTTP/1.1", FastHeaders(), b"")
        h.send_error(HTTPStatus(code), message)   # as http.server does
        out.append(h.wfile.getvalue())
        self.flush(out)
        self.transport.close()

    def crash(self, h):
        """As socketserver does when a handler raises: a traceback, no
        answer, the connection closed."""
        self.server.handle_error(self.peer)
        self.transport.close()

    def next_request(self, out):
        """Parses and runs the next complete request in the buffer, or
        returns None (incomplete, or refused and closed)."""
        buf = self.buf
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > self.MAX_HEAD:
                self.reject(out, 431, "Line too long")
            return None
        requestline, _, lines = buf[:end].decode("latin-1").partition("\r\n")
        words = requestline.split()
        if not words:               # as the stock server: close, no answer
            self.transport.close()
            return None
        # (the daemon's request lines pass request_line_error() anyway)
        error = (request_line_error(words, requestline)
                 if len(words) != 3 or words[2] != "HTTP/1.1" else None)
        if error:
            self.reject(out, *error)
            return None
        command, path, version = words
        if path.startswith("//"):   # as the stock server (gh-87389)
            path = "/" + path.lstrip("/")
        headers = FastHeaders()
        if lines:
            first = headers.setdefault      # dict's: the first one counts
            known = self.HEADER_LINES
            for line in lines.split("\r\n"):
                kv = known.get(line)
                if kv is None:
                    k, sep, v = line.partition(":")
                    if not sep:
                        self.reject(out, 400, "Bad header line")
                        return None
                    if len(known) >= 4096:
                        known.clear()
                    kv = known[line] = (k.lower(), v.strip(" \t"))
                first(*kv)
        if dict.__contains__(headers, "transfer-encoding"):
            self.reject(out, 411)
            return None
        try:
            n = int(dict.get(headers, "content-length") or 0)
            if n < 0:
                raise ValueError
        except ValueError:
            self.reject(out, 400, "Bad Content-Length")
            return None
        if (not self.continued and version >= "HTTP/1.1" and
                dict.get(headers, "expect", "").lower() == "100-continue"):
            # as the stock server: before the body, whether it came or not
            self.continued = True
            out.append(b"HTTP/1.1 100 Continue\r\n\r\n")
        if len(buf) < end + 4 + n:
            return None
        self.continued = False
        body = bytes(buf[end + 4:end + 4 + n])
        del buf[:end + 4 + n]
        h = self.server.handler(self.server, self.peer, requestline, command,
                                path, version, headers, body)
        try:
            method = getattr(h, "do_" + command, None)
            if method is None:
                # the enum, as http.server passes it: before 3.11 the
                # page names the member, not the number
                h.send_error(HTTPStatus.NOT_IMPLEMENTED,
                             "Unsupported method (%r)" % command)
            else:
                method()
        except Exception:
            self.flush(out)
            self.crash(h)
            return None
        return h

    def connection_lost(self, exc):
        self.buf.clear()


class FastServer:
    """The --fast-server front end for `handler` (a Handler class):
    ThreadingHTTPServer's attributes that Handler uses, serve_forever()
    on an asyncio loop of its own, shutdown() from another thread."""

    def __init__(self, address, handler):
        self.handler = type("Fast" + handler.__name__, (FastRequest, handler), {})
        self.verbose = False
        self.socket = socket.create_server(address, backlog=1024)
        self.server_address = self.socket.getsockname()[:2]
        self.server_name = address[0]
        self.server_port = self.server_address[1]
        self.loop = asyncio.new_event_loop()
        # every connection reads into it, and copies out at once
        self.read_buffer = memoryview(bytearray(65536))

    def handle_error(self, client_address):
        sys.stderr.write("fake_mastodon: exception while serving %r\n" % (client_address,))
        traceback.print_exc()

    def serve_forever(self):
        asyncio.set_event_loop(self.loop)
        srv = self.loop.run_until_complete(self.loop.create_server(
            lambda: FastConnection(self), sock=self.socket, backlog=1024))
        try:
            self.loop.run_forever()
        finally:
            srv.close()
            self.loop.run_until_complete(srv.wait_closed())
            self.loop.close()

    def shutdown(self):
        self.loop.call_soon_threadsafe(self.loop.stop)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--seed", action="append", default=[], help="JSONL file")
    ap.add_argument("--generate", type=int, default=0)
    ap.add_argument("--token", default="test-token")
    ap.add_argument("--admin-token", default="admin-token")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--fast-server", action="store_true",
                    help="serve on one asyncio thread (same answers, far "
                    "less CPU per request) instead of ThreadingHTTPServer")
    args = ap.parse_args()

    state = State(args.token, args.admin_token)
    for path in args.seed:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip() or line.lstrip().startswith("//"):
                    continue
                try:
                    state.seed_one(json.loads(line))
                except (ValueError, KeyError) as e:
                    sys.exit("%s:%d: %s" % (path, lineno, e))
    if args.generate:
        generate(state, args.generate)
    # The seeded thread lives as long as the server: keep Python's cyclic
    # collector from walking it on every full collection, which stalls
    # every request for 100 ms per 20,000 items (latency a client would
    # wrongly put on its own account).
    gc_freeze()

    Handler.state = state
    if args.fast_server:
        srv = FastServer((args.host, args.port), Handler)
    else:
        srv = ThreadingHTTPServer((args.host, args.port), Handler)
        srv.daemon_threads = True
    srv.verbose = args.verbose
    print("LISTENING %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
