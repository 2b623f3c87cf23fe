#!/usr/bin/env python3
"""test_daemon.py: netiquetted end to end against the fake Mastodon server,
over real HTTP on loopback, with a real SQLite state directory.

  - the demo thread in, exactly the expected actions out, each once, each
    with its audit entries; harmless criticism is left alone
  - a restart resumes from the cursor: new items only, nothing twice
  - 429, 5xx, slow and malformed answers: the daemon keeps running and
    catches up, still exactly once
  - SIGHUP with a broken rule file keeps the old rules; a good one swaps
  - kill -9 at random moments during a 10,000-comment run, 20 times:
    0 lost items, 0 duplicated actions, the audit chain verifies and
    matches what the fake server received
"""

import collections
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from nqtest import (CTL, RULES, SRC, Daemon, Fake, Failure, check, db_query,  # noqa: E402
                    run_tests, wait_for)

DEMO = os.path.join(SRC, "tests", "fake", "demo_thread.jsonl")
SINK = os.path.join(SRC, "tests", "fake", "notify_sink.py")
KILL_RUNS = int(os.environ.get("NQ_KILL_RUNS", "20"))
KILL_ITEMS = int(os.environ.get("NQ_KILL_ITEMS", "10000"))


def mention_count(fake):
    st = fake.get("/_fake/state")
    return st.get("mentions", st.get("notifications_mention"))


def expected_mentions(fake):
    """Mentions the daemon should see: every seeded comment and DM."""
    st = fake.get("/_fake/state")
    for k in ("mentions", "mention_notifications", "notifications_mention"):
        if k in st:
            return st[k]
    raise Failure("fake /_fake/state has no mention count: %r" % st)


def exactly_once(d, fake):
    """Every done outbox row reached the fake exactly once, and nothing else did."""
    rows = db_query(d.state, "SELECT idem_key, state FROM outbox WHERE action != 'notify'")
    acts = fake.actions()["actions"]
    applied = collections.Counter(a["idempotency_key"] for a in acts
                                  if a["applied"] and not a["replay"])
    done = {k for k, s in rows if s == "done"}
    for k in done:
        check(applied.get(k, 0) == 1, "outbox %s applied %d times" % (k, applied.get(k, 0)))
    for k, n in applied.items():
        check(k in done or k in {r[0] for r in rows},
              "fake received an action the outbox does not know: %s" % k)
        check(n == 1, "action %s applied %d times" % (k, n))
    return len(done)


def audit_ok(d):
    rc, out, err = d.audit_verify()
    check(rc == 0, "audit verify failed: %s %s" % (out, err))


def caught_up(d, n):
    return d.items_new() >= n and d.outbox_pending() == 0


def applied(fake):
    """How many actions the fake applied."""
    return len([a for a in fake.actions()["actions"] if a["applied"]])


def confirmed_exactly_once(d, fake):
    """exactly_once, and one action.confirmed entry per done row."""
    done = exactly_once(d, fake)
    n = db_query(d.state, "SELECT COUNT(*) FROM audit WHERE kind = 'action.confirmed'")[0][0]
    check(n == done, "%d action.confirmed entries for %d done actions" % (n, done))
    return done


def refuse(con, what, when, why):
    """A trigger that makes the daemon's write `what` (e.g. "INSERT ON
    audit") fail when `when` holds, with the message `why`."""
    con.execute("CREATE TRIGGER test_refuse BEFORE %s WHEN %s"
                " BEGIN SELECT RAISE(ABORT, '%s'); END" % (what, when, why))
    con.commit()


def allow(con):
    con.execute("DROP TRIGGER test_refuse")
    con.commit()


def test_demo_thread_exactly_once():
    fake = Fake(seed=DEMO)
    d = Daemon(fake, mode="auto").start()
    try:
        n = expected_mentions(fake)
        check(n >= 200, "demo thread too small: %d" % n)
        wait_for("all %d items screened and sent" % n, lambda: caught_up(d, n), 120)
        items = db_query(d.state, "SELECT COUNT(*) FROM items")[0][0]
        check(items == n, "store has %d items, expected %d" % (items, n))
        # every sent action has its audit entries: sent and confirmed
        done = confirmed_exactly_once(d, fake)
        check(done > 0, "no action was sent")
        # the flagged items are exactly those netiquettectl flags for the same texts
        texts = db_query(d.state, "SELECT item_id, text, kind FROM items")
        flagged_db = {r[0] for r in db_query(
            d.state, "SELECT i.item_id FROM items i JOIN verdicts v ON v.item = i.id WHERE v.flagged")}
        import subprocess
        inp = "".join(json.dumps({"id": t[0], "text": t[1]}) + "\n" for t in texts if t[2] == "comment")
        r = subprocess.run([CTL, "classify", "--rules", RULES, "--jsonl"], input=inp,
                           capture_output=True, text=True)
        flagged_ctl = {json.loads(l)["id"] for l in r.stdout.splitlines() if json.loads(l).get("flagged")}
        comments = {t[0] for t in texts if t[2] == "comment"}
        check(flagged_ctl == flagged_db & comments,
              "daemon and netiquettectl disagree on %s" % sorted(flagged_ctl ^ (flagged_db & comments))[:5])
        # sharp criticism is never acted upon
        harmless = [t[0] for t in texts if "hat keine Ahnung" in t[1] or "versagt komplett" in t[1]]
        check(harmless, "demo thread lacks the criticism examples")
        for h in harmless:
            check(h not in flagged_db, "criticism %s was flagged" % h)
        # reports cite the instance's own rules where one fits
        reports = [a for a in fake.actions()["actions"] if a["kind"] == "report" and a["applied"]]
        cited = [a for a in reports if a["params"].get("rule_ids")]
        check(reports and cited, "no report cites an instance rule (%d reports)" % len(reports))
        # Mastodon cannot hide: the decision says what was done instead
        reasons = [r[0] for r in db_query(d.state, "SELECT reason FROM decisions")]
        check(any("instead" in (x or "") for x in reasons), "no fallback explained in decisions")
        audit_ok(d)
        check(d.stop() == 0, "daemon exit status")
        kinds = [r[0] for r in db_query(d.state, "SELECT kind FROM audit ORDER BY seq")]
        check(kinds[0] == "daemon.start" and kinds[-1] == "daemon.stop", "start/stop not audited")
    finally:
        d.stop()
        fake.stop()


def test_restart_resumes_from_cursor():
    fake = Fake(seed=DEMO)
    d = Daemon(fake, mode="review").start()
    try:
        n = expected_mentions(fake)
        wait_for("first run", lambda: d.items_new() >= n, 120)
        check(d.stop() == 0, "clean stop")
        more = [{"author": "neu%d" % i, "text": "Frage %d: Wann kommt der neue Ausweis?" % i}
                for i in range(25)]
        fake.post("/_fake/seed", more)
        d.start()
        wait_for("second run", lambda: d.items_new() >= 25, 60)
        time.sleep(1)
        check(d.items_new() == 25, "second run saw %d new items, expected 25" % d.items_new())
        total = db_query(d.state, "SELECT COUNT(*) FROM items")[0][0]
        check(total == n + 25, "store has %d items, expected %d" % (total, n + 25))
        audit_ok(d)
    finally:
        d.stop()
        fake.stop()


def test_faults_keep_running_and_catch_up():
    fake = Fake(seed=DEMO)
    fake.faults(status_5xx_rate=0.25, malformed_rate=0.1, truncated_rate=0.05,
                post_apply_5xx_rate=0.2, rate_limit=40, rate_window=3, random_seed=7,
                slow_ms=50,
                # random faults may spare the few polls: these cannot be missed
                fail_next=[{"path": "/api/v1/notifications", "status": 503, "count": 2},
                           {"path": "/api/v1/reports", "status": 503, "count": 3}])
    d = Daemon(fake, mode="auto").start()
    try:
        n = expected_mentions(fake)
        wait_for("catch-up through faults", lambda: caught_up(d, n), 240, 0.5)
        check(d.proc.poll() is None, "daemon died")
        m = d.metrics()
        check(m.get("netiquetted_poll_errors_total", 0) >= 2, "poll faults were not seen")
        check(m.get("netiquetted_action_retries_total", 0) >= 3, "action faults were not seen")
        exactly_once(d, fake)
        audit_ok(d)
    finally:
        d.stop()
        fake.stop()


def test_reload_keeps_old_rules_on_error():
    work = tempfile.mkdtemp(prefix="nq-reload-")
    rules = os.path.join(work, "rules")
    shutil.copytree(RULES, rules)
    fake = Fake(seed=DEMO)
    d = Daemon(fake, mode="review", rules=rules).start()
    try:
        old = d.ruleset()
        with open(os.path.join(rules, "zz-broken.rules"), "w") as f:
            f.write("[rule broken.x]\ncategory = nonsense\npattern = (unclosed\n")
        d.signal(signal.SIGHUP)
        wait_for("reload refused", lambda: "reload refused" in d.read_log(), 30)
        check(d.ruleset() == old, "broken rules replaced the running set")
        check("zz-broken.rules:2: unknown category" in d.read_log(), "error not named file:line")
        # at error level: each of these refuses the whole rule set
        check([ln for ln in d.read_log().splitlines()
               if "zz-broken.rules:2: unknown category" in ln and "error:" in ln],
              "rule error not logged as an error: %r" % [
                  ln for ln in d.read_log().splitlines() if "zz-broken" in ln])
        os.unlink(os.path.join(rules, "zz-broken.rules"))
        with open(os.path.join(rules, "zz-extra.rules"), "w") as f:
            f.write("[rule extra.kaesekuchen]\ncategory = offtopic\nseverity = 1\n"
                    "pattern = \\bkaesekuchenrezept\\b\nmatch = Mein Käsekuchenrezept\n"
                    "match = KAESEKUCHENREZEPT\nnomatch = Kuchen\nnomatch = Käse\n")
        d.signal(signal.SIGHUP)
        wait_for("new rule set", lambda: d.ruleset() != old, 30)
        check(d.proc.poll() is None, "daemon died on reload")
        audit_ok(d)
    finally:
        d.stop()
        fake.stop()
        shutil.rmtree(work, ignore_errors=True)


def test_kill9_loses_nothing_repeats_nothing():
    fake = Fake(generate=KILL_ITEMS)
    # the platform limit (300 per 5 min) would make this run take hours
    fake.faults(post_apply_5xx_rate=0.05, random_seed=11, rate_limit=10**7)
    d = Daemon(fake, mode="auto")
    rng = random.Random(1234)
    try:
        n = expected_mentions(fake)
        for i in range(KILL_RUNS):
            d.start(wait_ready=False)
            time.sleep(rng.uniform(0.05, 1.5))
            d.kill9()
        d.start()
        wait_for("catch-up after %d kills" % KILL_RUNS, lambda: caught_up(d, 0) and
                 db_query(d.state, "SELECT COUNT(*) FROM items")[0][0] >= n, 600, 0.5)
        items = db_query(d.state, "SELECT COUNT(*) FROM items")[0][0]
        check(items == n, "store has %d items, fake delivered %d" % (items, n))
        dup = db_query(d.state, "SELECT COUNT(*) FROM (SELECT platform, account, item_id "
                       "FROM items GROUP BY 1, 2, 3 HAVING COUNT(*) > 1)")[0][0]
        check(dup == 0, "%d duplicated items" % dup)
        done = confirmed_exactly_once(d, fake)
        check(done > 0, "no actions in the kill run")
        # reports are not deduplicated by the fake, as on Mastodon: one
        # whose outcome a kill or a 502 left unknown waits for an editor
        reports = collections.Counter(tuple(a["status_ids"]) for a in reports_at_fake(fake)
                                      if a["applied"])
        check(reports and max(reports.values()) == 1, "a report filed twice: %r"
              % reports.most_common(1))
        unknown = db_query(d.state, "SELECT o.id, q.state FROM outbox o LEFT JOIN queue q"
                           " ON q.item = o.item WHERE o.state = 'failed'"
                           " AND o.last_error LIKE 'outcome unknown%'")
        check(all(st == "open" for _, st in unknown),
              "an unknown report not before the editors: %r" % unknown)
        print("     %d actions done, %d reports left to the editors" % (done, len(unknown)))
        audit_ok(d)
    finally:
        d.stop()
        fake.stop()


def outbox_rows(d, action):
    return db_query(d.state, "SELECT id, state, attempts, last_error, item, idem_key FROM outbox"
                    " WHERE action = ? ORDER BY id", action)


def unknown_goes_to_editors(d, fake, why):
    """The report whose outcome is unknown: failed for good, not sent
    again, its item in the editors' queue, the failure in the audit."""
    rep = wait_for("the report failed as unknown", lambda: [
        r for r in outbox_rows(d, "report") if r[1] == "failed"] or None, 60)[0]
    check("outcome unknown, not sent again" in rep[3] and why in rep[3],
          "report row's error: %r" % rep[3])
    q = db_query(d.state, "SELECT state FROM queue WHERE item = ?", rep[4])
    check(q == [("open",)], "the report's item is not open for the editors: %r" % q)
    n = db_query(d.state, "SELECT COUNT(*) FROM audit WHERE kind = 'action.failed'"
                 " AND item = ? AND detail LIKE '%outcome unknown%'", rep[4])[0][0]
    check(n == 1, "%d action.failed entries for the report" % n)
    return rep


def reports_at_fake(fake):
    return [a for a in fake.actions()["actions"] if a["kind"] == "report"]


def test_report_whose_answer_was_lost_is_not_sent_again():
    """Every POST is applied, then answered 502 (a gateway lost the
    answer).  The mute is sent again with its key, which is harmless (the
    fake replays it, as Mastodon sets the same mute); the report is not,
    since Mastodon would file a second one: it fails with "outcome
    unknown" and its item goes to the editors."""
    fake = Fake()
    fake.post("/_fake/seed", [{"author": "troll7", "text": "Du bist ein Idiot, wirklich"}])
    fake.faults(post_apply_5xx_rate=1.0)
    d = Daemon(fake, mode="auto").start()
    try:
        unknown_goes_to_editors(d, fake, "502")
        mute = wait_for("the mute tried again", lambda: [
            r for r in outbox_rows(d, "mute") if r[2] >= 2] or None, 60)[0]
        fake.clear_faults()
        wait_for("the mute done", lambda: outbox_rows(d, "mute")[0][1] == "done", 60)
        mutes = [a for a in fake.actions()["actions"] if a["kind"] == "mute"]
        check(len([a for a in mutes if not a["replay"]]) == 1 and len(mutes) >= 2,
              "mute: %d requests, %d applied (want one applied, the rest replays)"
              % (len(mutes), len([a for a in mutes if not a["replay"]])))
        check(all(a["idempotency_key"] == mute[5] for a in mutes), "mute resent with another key")
        time.sleep(2)
        check(len(reports_at_fake(fake)) == 1, "the fake got %d reports, want 1"
              % len(reports_at_fake(fake)))
        audit_ok(d)
    finally:
        d.stop()
        fake.stop()


def test_report_on_the_wire_at_kill9_is_not_sent_again():
    """kill -9 while the report is on the wire (the fake answers after
    10 s, and applies it then): after the restart the report's outcome is
    unknown, so it goes to the editors and is not filed again; the mute,
    on the wire too, is resent with its key."""
    fake = Fake()
    fake.post("/_fake/seed", [{"author": "troll8", "text": "Du bist ein Idiot, wirklich"}])
    fake.faults(slow_ms=10000)
    d = Daemon(fake, mode="auto").start()
    try:
        wait_for("the report on the wire", lambda: [
            r for r in outbox_rows(d, "report") if r[1] == "sent"] or None, 30)
        d.kill9()
        wait_for("the fake applied the report", lambda: reports_at_fake(fake) or None, 30)
        fake.clear_faults()
        d.start()
        unknown_goes_to_editors(d, fake, "on the wire when the daemon last stopped")
        wait_for("the mute done", lambda: outbox_rows(d, "mute")[0][1] == "done", 60)
        time.sleep(2)
        check(len(reports_at_fake(fake)) == 1, "the fake got %d reports, want 1"
              % len(reports_at_fake(fake)))
        check("1 to the editors" in d.read_log(), "the start did not say so")
        exactly_once(d, fake)
        audit_ok(d)
    finally:
        d.stop()
        fake.stop()


def test_escalation_notifies_once():
    import subprocess
    from datetime import datetime
    from zoneinfo import ZoneInfo
    sink = subprocess.Popen([sys.executable, SINK], stdout=subprocess.PIPE, text=True)
    smtp_port, http_port = map(int, sink.stdout.readline().split()[1:3])
    hour = datetime.now(ZoneInfo("Europe/Berlin")).hour
    # office hours that exclude now: the notice goes to the on-call address
    off = "Mon-Sun %02d:00-%02d:00" % ((hour + 2) % 24, (hour + 3) % 24 or 24)
    extra = ("[notify]\nwebhook-url = http://127.0.0.1:%d/hook\nsmtp-url = smtp://127.0.0.1:%d\n"
             "mail-from = netiquetted@bmi.example\noffice-to = redaktion@bmi.example\n"
             "oncall-to = bereitschaft@bmi.example\noffice-hours = %s\n" % (http_port, smtp_port, off))
    fake = Fake()
    fake.post("/_fake/seed", [
        {"author": "drohung", "text": "Ich bring dich um, du Verräter", "visibility": "direct"},
        {"author": "nazi88", "text": "Sieg Heil! Das sag ich euch"},
        {"author": "harmlos", "text": "Wann wird der Personalausweis günstiger?"}])
    d = Daemon(fake, mode="auto", extra=extra).start()
    try:
        def got():
            m = json.loads(__import__("urllib.request").request.urlopen(
                "http://127.0.0.1:%d/_sink/messages" % http_port).read())
            return m if len(m["mails"]) >= 2 and len(m["webhooks"]) >= 2 else None
        m = wait_for("two mails and two webhooks", got, 60)
        wait_for("outbox drained", lambda: d.outbox_pending() == 0, 30)
        time.sleep(1)
        m = got()
        check(len(m["mails"]) == 2 and len(m["webhooks"]) == 2,
              "notices sent more than once: %d mails, %d webhooks" % (len(m["mails"]), len(m["webhooks"])))
        for mail in m["mails"]:
            check(mail["to"] == ["bereitschaft@bmi.example"], "outside office hours, not on-call: %r" % mail["to"])
            check("Verräter" not in mail["data"] and "Heil" not in mail["data"],
                  "the hostile text itself is in the mail")
        bodies = [json.loads(w["body"]) for w in m["webhooks"]]
        check(all(b.get("event") == "escalation" for b in bodies), "webhook body: %r" % bodies[0])
        esc = db_query(d.state, "SELECT COUNT(*) FROM queue WHERE state = 'escalated'")[0][0]
        check(esc == 2, "%d items escalated, expected 2" % esc)
        ev = db_query(d.state, "SELECT COUNT(*) FROM evidence")[0][0]
        check(ev == 2, "%d evidence records, expected 2" % ev)
        audit_ok(d)
    finally:
        d.stop()
        fake.stop()
        sink.terminate()


def test_reload_under_load_loses_nothing():
    """SIGHUP five times while 10,000 items stream in (enough that the
    daemon is still catching up after the last reload): every item is
    screened once, every action reaches the platform once."""
    work = tempfile.mkdtemp(prefix="nq-reload-load-")
    rules = os.path.join(work, "rules")
    shutil.copytree(RULES, rules)
    fake = Fake(generate=10000)
    # every answer 25 ms late: the 250 pages take 6 s or more however fast
    # the machine (unpaced, a fast one screened all before the last reload)
    fake.faults(rate_limit=10**7, post_apply_5xx_rate=0.05, random_seed=5, slow_ms=25)
    d = Daemon(fake, mode="auto", rules=rules).start()
    try:
        n = expected_mentions(fake)
        hashes = {d.ruleset()}
        for i in range(5):
            time.sleep(0.2)
            with open(os.path.join(rules, "zz-extra.rules"), "w") as f:
                f.write("[rule extra.reload%d]\ncategory = offtopic\nseverity = 1\n"
                        "pattern = \\bkuchenrezept%d\\b\nmatch = Kuchenrezept%d hier\n"
                        "match = KUCHENREZEPT%d\nnomatch = Kuchen\nnomatch = Rezept\n"
                        % (i, i, i, i))
            d.signal(signal.SIGHUP)
            wait_for("reload %d" % i, lambda: d.ruleset() not in hashes, 30)
            hashes.add(d.ruleset())
        check(d.items_new() < n, "the load was over before the reloads (%d items)" % n)
        wait_for("catch-up", lambda: caught_up(d, n), 300, 0.5)
        items = db_query(d.state, "SELECT COUNT(*) FROM items")[0][0]
        check(items == n, "store has %d items, fake delivered %d" % (items, n))
        unscreened = db_query(d.state, "SELECT COUNT(*) FROM items i WHERE NOT EXISTS "
                              "(SELECT 1 FROM verdicts v WHERE v.item = i.id)")[0][0]
        check(unscreened == 0, "%d items without a verdict" % unscreened)
        exactly_once(d, fake)
        reloads = db_query(d.state, "SELECT COUNT(*) FROM audit WHERE kind = 'daemon.reload'")[0][0]
        check(reloads == 5, "%d reloads audited" % reloads)
        audit_ok(d)
    finally:
        d.stop()
        fake.stop()
        shutil.rmtree(work, ignore_errors=True)


def test_timeouts_keep_running_and_catch_up():
    """A platform slower than request-timeout: polls and actions time out,
    the daemon backs off, and once the platform is fast again it catches
    up, every action exactly once."""
    fake = Fake(seed=DEMO)
    fake.faults(slow_ms=2500, rate_limit=10**7)
    d = Daemon(fake, mode="auto", extra="request-timeout = 1s\n").start()
    try:
        n = expected_mentions(fake)
        wait_for("timeouts", lambda: d.metrics().get("netiquetted_poll_errors_total", 0) >= 2, 60)
        check(d.items_new() == 0, "items arrived through a timed-out poll")
        check("Timeout was reached" in d.read_log() or "timed out" in d.read_log().lower(),
              "no timeout in the log")
        fake.faults(slow_ms=0)
        wait_for("catch-up after the platform recovered", lambda: caught_up(d, n), 180, 0.5)
        check(d.proc.poll() is None, "daemon died")
        exactly_once(d, fake)
        audit_ok(d)
    finally:
        d.stop()
        fake.stop()

def test_wrong_link_header_skips_nothing():
    """The next page is asked for as soon as an answer's Link header names
    it, before the body is parsed.  A header that names the wrong min_id
    (ahead: trusting it would skip items; behind: repeat them) costs a
    request, never an item: a page is screened only if it was asked for
    from the cursor the store holds."""
    for skew in (3, -2):
        fake = Fake(generate=400)
        fake.faults(rate_limit=10**7, link_skew=skew)
        d = Daemon(fake, mode="auto").start()
        try:
            n = expected_mentions(fake)
            wait_for("catch-up (link_skew %d)" % skew, lambda: caught_up(d, n), 120, 0.2)
            time.sleep(0.5)
            items = db_query(d.state, "SELECT COUNT(*) FROM items")[0][0]
            check(items == n, "link_skew %d: store has %d items, fake has %d"
                  % (skew, items, n))
            screened = db_query(d.state, "SELECT COUNT(*) FROM verdicts")[0][0]
            check(screened == n, "link_skew %d: %d verdicts for %d items"
                  % (skew, screened, n))
            asked = set()
            for r in fake.get("/_fake/requests"):
                q = urllib.parse.parse_qs(r["query"])
                if r["path"] == "/api/v1/notifications" and "min_id" in q:
                    asked.add(int(q["min_id"][0]))
            # the daemon did follow the wrong headers (and then its cursor)
            check(any(v - skew in asked for v in asked),
                  "link_skew %d: no request followed a Link header" % skew)
            exactly_once(d, fake)
            audit_ok(d)
        finally:
            d.stop()
            fake.stop()


def test_catch_up_asks_for_each_page_once():
    """A catch-up asks for every page once.  The next page is asked for
    from the Link header, or when a page leaves the parser; asking again
    for one that was already on its way fetched and parsed about every
    third page twice, and the duplicate held the parser's slot that the
    page after it needed."""
    fake = Fake(generate=1500)
    fake.faults(rate_limit=10**7)
    d = Daemon(fake, mode="auto").start()
    try:
        n = expected_mentions(fake)
        wait_for("catch-up", lambda: caught_up(d, n), 120, 0.2)
        last = db_query(d.state, "SELECT MAX(CAST(json_extract(raw_json, '$.id') "
                        "AS INTEGER)) FROM items")[0][0]
        asked = {}
        for r in fake.get("/_fake/requests"):
            q = urllib.parse.parse_qs(r["query"])
            if (r["method"] == "GET" and r["path"] == "/api/v1/notifications"
                    and "min_id" in q and r["status"] == 200):
                mi = int(q["min_id"][0])
                asked[mi] = asked.get(mi, 0) + 1
        pages = [mi for mi in asked if mi < last]
        # the last cursor is asked again at every poll: its page is empty
        check(len(pages) >= 1500 // 80, "only %d pages before the last cursor" % len(pages))
        again = sorted(mi for mi in pages if asked[mi] > 1)
        check(not again, "%d of %d pages asked for more than once (min_id %s)"
              % (len(again), len(pages), again[:5]))
        exactly_once(d, fake)
        audit_ok(d)
    finally:
        d.stop()
        fake.stop()


def test_action_without_audit_entry_never_leaves():
    """An action whose "action.sent" entry cannot be written is not sent,
    and an answer whose "action.confirmed" entry cannot be written is not
    settled: only the executor's part of a transaction is rolled back and
    tried again (less and less often), screening goes on, the counters
    count nothing twice, and once entries can be written again every
    action goes out exactly once with its entries."""
    import sqlite3
    fake = Fake()
    fake.post("/_fake/seed", [{"author": "nett", "text": "Danke für die Auskunft!"}])
    d = Daemon(fake, mode="auto").start()
    con = None

    def items():
        return db_query(d.state, "SELECT COUNT(*) FROM items")[0][0]

    def done_metric():
        m = d.metrics()
        return sum(v for k, v in m.items()
                   if k.startswith("netiquetted_actions_total") and 'result="done"' in k)

    try:
        wait_for("first item screened", lambda: d.items_new() >= 1, 30)
        con = sqlite3.connect(os.path.join(d.state, "netiquetted.db"), timeout=30)
        refuse(con, "INSERT ON audit", "NEW.kind = 'action.sent'", "test: audit refused")
        fake.post("/_fake/seed", [
            {"author": "pöbler%d" % i, "text": "Du bist ein Vollidiot und ein Arschloch"}
            for i in range(3)])
        wait_for("action.sent refused twice",
                 lambda: d.read_log().count("test: audit refused") >= 2, 60)
        wait_for("the items stored all the same", lambda: items() == 4, 30)
        check(d.proc.poll() is None, "daemon died on an audit failure")
        check(not [a for a in fake.actions()["actions"] if a["applied"]],
              "an action left without its audit entry")
        check(db_query(d.state, "SELECT COUNT(*) FROM audit WHERE kind = 'action.sent'")[0][0] == 0,
              "an action.sent entry got in despite the trigger")
        allow(con)
        wait_for("actions sent", lambda: caught_up(d, 4) and len(fake.actions()["actions"]) > 0, 60)
        first = exactly_once(d, fake)
        check(first > 0, "no action was sent after the trigger went")

        refuse(con, "INSERT ON audit", "NEW.kind = 'action.confirmed'",
               "test: audit refused")
        before = d.read_log().count("test: audit refused")
        fake.post("/_fake/seed", [
            {"author": "rüpel%d" % i, "text": "Halt die Fresse, du Wichser"} for i in range(2)]
            + [{"author": "nett2", "text": "Wann öffnet das Bürgeramt?"}])
        wait_for("the new items stored", lambda: items() == 7, 30)
        wait_for("action.confirmed refused",
                 lambda: d.read_log().count("test: audit refused") > before, 30)
        time.sleep(3)
        refused = d.read_log().count("test: audit refused") - before
        check(refused < 200, "a failing round was retried %d times in ~3 s" % refused)
        check(done_metric() <= first, "done counted %d times for %d done actions"
              % (done_metric(), first))
        allow(con)
        con.close()
        con = None
        wait_for("all 7 items screened and acted on", lambda: caught_up(d, 7), 60)
        done = exactly_once(d, fake)
        check(done > first, "no action of the second batch was confirmed")
        check(done_metric() == done, "done counted %d times for %d done actions"
              % (done_metric(), done))
        for kind in ("action.sent", "action.confirmed"):
            n = db_query(d.state, "SELECT COUNT(*) FROM audit WHERE kind = '%s'" % kind)[0][0]
            check(n == done, "%d %s entries for %d done actions" % (n, kind, done))
        audit_ok(d)
    finally:
        if con is not None:
            con.close()
        d.stop()
        fake.stop()


def test_confirmation_that_cannot_be_stored_is_settled_again():
    """A confirmation whose outbox write fails (a failed statement, not a
    row an editor moved meanwhile) is settled again by a later round, not
    logged and dropped: before, the row stayed "sent" until a restart,
    without its action.confirmed entry."""
    import sqlite3
    fake = Fake()
    fake.post("/_fake/seed", [{"author": "nett", "text": "Danke für die Auskunft!"}])
    d = Daemon(fake, mode="auto").start()
    con = None
    try:
        wait_for("first item screened", lambda: d.items_new() >= 1, 30)
        con = sqlite3.connect(os.path.join(d.state, "netiquetted.db"), timeout=30)
        refuse(con, "UPDATE OF state ON outbox", "NEW.state = 'done'",
               "test: outbox write refused")
        fake.post("/_fake/seed", [{"author": "pöbler", "text": "Du bist ein Vollidiot und ein Arschloch"}])
        wait_for("the actions applied", lambda: applied(fake) >= 2, 60)
        wait_for("a confirmation refused",
                 lambda: d.read_log().count("test: outbox write refused") >= 1, 30)
        time.sleep(2)
        rows = db_query(d.state, "SELECT state FROM outbox")
        check(rows and all(r[0] == "sent" for r in rows), "outbox rows %r" % rows)
        check(d.proc.poll() is None, "daemon died on a failed outbox write")
        allow(con)
        wait_for("every row confirmed without a restart", lambda: db_query(
            d.state, "SELECT COUNT(*) FROM outbox WHERE state != 'done'")[0][0] == 0, 30)
        confirmed_exactly_once(d, fake)

        # a write that keeps failing is given up after a while, so that
        # the actions after it still go out; its row is resent at the start
        # where a repeat is harmless, else it waits for an editor
        refuse(con, "UPDATE OF state ON outbox", "NEW.state = 'done'",
               "test: outbox write refused")
        fake.post("/_fake/seed", [{"author": "rüpel", "text": "Halt die Fresse, du Wichser"}])
        wait_for("a confirmation given up", lambda: "given up after" in d.read_log(), 60)
        before = applied(fake)
        fake.post("/_fake/seed", [{"author": "flegel", "text": "Du bist ein Vollidiot und ein Arschloch"}])
        wait_for("the next item's actions sent all the same", lambda: applied(fake) > before, 30)
        check(d.proc.poll() is None, "daemon died on a failed outbox write")
        allow(con)
        con.close()
        con = None
        d.stop()
        d.start()
        wait_for("every row settled after the restart", lambda: db_query(
            d.state, "SELECT COUNT(*) FROM outbox WHERE state NOT IN ('done', 'failed')")[0][0]
            == 0, 60)
        failed = db_query(d.state, "SELECT action, last_error FROM outbox WHERE state = 'failed'")
        check(failed and all(a == "report" and "outcome unknown" in e for a, e in failed),
              "failed rows %r (want the given-up reports, not resent)" % failed)
        confirmed_exactly_once(d, fake)
        audit_ok(d)
    finally:
        if con is not None:
            con.close()
        d.stop()
        fake.stop()


def test_action_of_a_departed_account_fails_with_its_entry():
    """An outbox row whose account has left the configuration cannot be
    sent by anyone: it fails for good with an "action.failed" entry that
    names the account and why, its item goes back to the editors' queue,
    nothing of it reaches the platform, and the chain verifies."""
    fake = Fake()
    # reports fail until the account is gone, so one is still waiting
    fake.faults(fail_next=[{"path": "/api/v1/reports", "status": 503, "count": 1000000}])
    fake.post("/_fake/seed", [{"author": "pöbler", "text": "Du bist ein Vollidiot und ein Arschloch"}])
    d = Daemon(fake, mode="auto").start()
    try:
        wait_for("a report waiting for its next try", lambda: db_query(
            d.state, "SELECT COUNT(*) FROM outbox WHERE account = 'bmi'"
            " AND state IN ('pending', 'sent') AND attempts >= 1")[0][0] >= 1, 60)
        check(d.stop() == 0, "clean stop")
        waiting = db_query(d.state, "SELECT id, idem_key, item FROM outbox"
                           " WHERE state IN ('pending', 'sent')")
        check(waiting, "no outbox row left waiting")
        with open(d.conf) as f:
            conf = f.read()
        check("[account bmi]" in conf, "test config has no account bmi")
        with open(d.conf, "w") as f:
            f.write(conf.replace("[account bmi]", "[account bmi-neu]"))
        fake.clear_faults()
        d.start()
        ids = ",".join(str(r[0]) for r in waiting)
        wait_for("the departed account's rows failed", lambda: db_query(
            d.state, "SELECT COUNT(*) FROM outbox WHERE id IN (%s) AND state = 'failed'"
            % ids)[0][0] == len(waiting), 30)
        check(d.proc.poll() is None, "daemon died")
        for row, key, item in waiting:
            entries = [json.loads(t) for (t,) in db_query(
                d.state, "SELECT detail FROM audit WHERE kind = 'action.failed'"
                " AND item = %d" % item) if json.loads(t).get("outbox") == row]
            check(len(entries) == 1, "outbox %d: %d action.failed entries, expected 1"
                  % (row, len(entries)))
            check(entries[0]["account"] == "bmi" and entries[0]["idempotency_key"] == key
                  and "account no longer configured" in entries[0]["error"],
                  "outbox %d: action.failed entry %r" % (row, entries[0]))
            q = db_query(d.state, "SELECT state FROM queue WHERE item = %d" % item)
            check(q and q[0][0] == "open", "item %d not back in the queue: %r" % (item, q))
            sent = [a for a in fake.actions()["actions"]
                    if a["idempotency_key"] == key and a["applied"]]
            check(not sent, "outbox %d reached the platform: %r" % (row, sent))
        audit_ok(d)
    finally:
        d.stop()
        fake.stop()


def set_max_tries(d, n):
    with open(d.conf) as f:
        conf = f.read()
    check("max-tries = 30" in conf, "test config has no max-tries = 30")
    with open(d.conf, "w") as f:
        f.write(conf.replace("max-tries = 30", "max-tries = %d" % n))


def test_rate_limits_use_no_tries():
    """A 429 waits for the reset and does not count as a try: with
    max-tries = 3, two 429s and a 503 still end in a confirmed report
    (before, the 429s used up the tries and the 503 failed it for good)."""
    fake = Fake()
    fake.faults(rate_window=2, fail_next=[
        {"path": "/api/v1/reports", "status": 429, "count": 2},
        {"path": "/api/v1/reports", "status": 503, "count": 1}])
    fake.post("/_fake/seed", [{"author": "pöbler", "text": "Du bist ein Vollidiot und ein Arschloch"}])
    d = Daemon(fake, mode="auto")
    set_max_tries(d, 3)
    d.start()
    try:
        def settled():
            rows = db_query(d.state, "SELECT action, state, attempts, last_error"
                            " FROM outbox WHERE action = 'report'")
            return rows if rows and all(r[1] in ("done", "failed") for r in rows) else None
        rows = wait_for("the report settled", settled, 60)
        check(len(rows) == 1, "reports: %r" % rows)
        _, state, attempts, err = rows[0]
        check(state == "done" and attempts == 2,
              "report %s after %d tries (%s); expected done after 2: the 503"
              " and the confirmed one" % (state, attempts, err))
        got = [q["status"] for q in fake.get("/_fake/requests")
               if q["path"] == "/api/v1/reports"]
        check(got == [429, 429, 503, 200], "report answers %r" % got)
        audit_ok(d)
    finally:
        d.stop()
        fake.stop()


def test_stop_cancels_without_failing():
    """A request still waiting for its answer at a stop is cancelled; that
    is no failed try, so even on its last try the row stays to be resent
    with its key at the next start, and is confirmed then, once.  Not so a
    report: it may have been filed, and Mastodon would file it again, so
    it goes to the editors with its outcome unknown."""
    fake = Fake()
    fake.post("/_fake/seed", [{"author": "pöbler", "text": "Du bist ein Vollidiot und ein Arschloch"}])
    d = Daemon(fake, mode="auto")
    set_max_tries(d, 1)
    fake.faults(slow_ms=8000)
    d.start()
    try:
        wait_for("a request on the wire", lambda: db_query(
            d.state, "SELECT COUNT(*) FROM outbox WHERE state = 'sent'")[0][0] >= 1, 60)
        check(d.stop(timeout=30) == 0, "clean stop")
        rows = db_query(d.state, "SELECT action, state, attempts, last_error FROM outbox")
        check([r for r in rows if r[0] == "mute"] and all(
            r[1] == "pending" for r in rows if r[0] != "report"),
            "a cancelled request failed its row: %r" % rows)
        check([r for r in rows if r[0] == "report"] and all(
            r[1] == "failed" and "outcome unknown" in r[3] for r in rows if r[0] == "report"),
            "a report cut off at the stop: %r" % rows)
        # the fake applies the cut-off report when its 8 s are up
        wait_for("the fake applied the report", lambda: reports_at_fake(fake) or None, 30)
        fake.clear_faults()
        d.start()
        wait_for("every other row confirmed", lambda: db_query(
            d.state, "SELECT COUNT(*) FROM outbox WHERE state != 'done'"
            " AND action != 'report'")[0][0] == 0, 60)
        time.sleep(1)
        rows = db_query(d.state, "SELECT idem_key, action FROM outbox")
        applied = [a["idempotency_key"] for a in fake.actions()["actions"] if a["applied"]]
        for k, action in rows:
            check(applied.count(k) == 1, "%s (%s) applied %d times" % (k, action, applied.count(k)))
        audit_ok(d)
    finally:
        d.stop()
        fake.stop()


def test_author_muted_again_after_the_mute_period():
    """An author's mute is one effect per period of the items' time, not
    for ever: offences an hour apart share one mute, an offence four days
    later (the mute runs seven) mutes again (before, the first mute's key
    dropped every later one)."""
    fake = Fake()
    text = "Du bist ein Vollidiot und ein Arschloch"
    fake.post("/_fake/seed", [
        {"author": "pöbler", "text": text, "created_at": "2026-11-02T10:00:00.000Z"},
        {"author": "pöbler", "text": text, "created_at": "2026-11-02T11:00:00.000Z"},
        {"author": "pöbler", "text": text, "created_at": "2026-11-06T10:00:00.000Z"}])
    d = Daemon(fake, mode="auto").start()
    try:
        wait_for("three items screened", lambda: d.items_new() >= 3, 60)
        wait_for("every action confirmed", lambda: db_query(
            d.state, "SELECT COUNT(*) FROM outbox WHERE state != 'done'")[0][0] == 0, 60)
        mutes = db_query(d.state, "SELECT idem_key FROM outbox WHERE action = 'mute'")
        check(len(mutes) == 2, "mutes %r, expected 2" % mutes)
        sent = [a for a in fake.actions()["actions"] if a["kind"] == "mute" and a["applied"]]
        check(len(sent) == 2, "mutes applied on the platform: %d, expected 2" % len(sent))
        audit_ok(d)
    finally:
        d.stop()
        fake.stop()


if __name__ == "__main__":
    only = sys.argv[1:]
    tests = [test_demo_thread_exactly_once, test_restart_resumes_from_cursor,
             test_faults_keep_running_and_catch_up, test_reload_keeps_old_rules_on_error,
             test_escalation_notifies_once, test_reload_under_load_loses_nothing,
             test_timeouts_keep_running_and_catch_up,
             test_kill9_loses_nothing_repeats_nothing,
             test_report_whose_answer_was_lost_is_not_sent_again,
             test_report_on_the_wire_at_kill9_is_not_sent_again,
             test_wrong_link_header_skips_nothing,
             test_catch_up_asks_for_each_page_once,
             test_action_without_audit_entry_never_leaves,
             test_confirmation_that_cannot_be_stored_is_settled_again,
             test_action_of_a_departed_account_fails_with_its_entry,
             test_rate_limits_use_no_tries, test_stop_cancels_without_failing,
             test_author_muted_again_after_the_mute_period]
    run_tests([t for t in tests if not only or t.__name__ in only])
