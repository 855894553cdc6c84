"""The review loop through the real daemons with CURVE (docs/review.md).

One aggregator with a reviewers' endpoint and a reviewers file, one
collector; the 2025 returns of every member. Then: the whole loop for one
member (query two questions, the member sees them, fetches, revises, the
queries are answered, approval, LOCKED for a revision and its dry run,
reopen, a revision accepted again), with the history, verify, the event
feed and the metrics; identity (member keys cannot review or read another
member's return, reviewer keys cannot submit, unknown keys get nothing, a
removed reviewer is refused after SIGHUP, on a connection opened before);
durability (actions under a submission load across kill -9 of the
aggregator, each acknowledged one stored exactly once, the chain and the
review table verified); --as-of states; --approved-only figures against an
independent computation over the approved returns.
"""
import csv
import io
import json
import os
import signal
import subprocess
import threading
import unittest
import urllib.request

import zmq

from pipeline import (BIN, ISA, MEMBERS, QDIR, Pipeline, close_cycle, keygen, synth, wait_for,
                      write_cycles, write_json)
from test_reports import TOL, load_json, member_scores, members_regions, score_cells, score_groups
from test_strict import pb


def key_pair(path):
    """(public, secret) Z85 strings of a canvassctl keygen key file."""
    with open(path, encoding="utf-8") as f:
        kv = dict(line.split(" = ", 1) for line in f.read().splitlines() if " = " in line)
    return kv["public"].strip(), kv["secret"].strip()


def public(path):
    with open(path, encoding="utf-8") as f:
        return f.read().strip()

Q = "integrity-self-assessment"
QC = ["--questionnaire", Q, "--cycle", "2025"]
LOOP = "KE"  # the member of the loop test
TRANSCRIPT = []


def run(cmd, **kw):
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)
    return out


class ReviewTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.p = Pipeline()
        k = cls.p.keys
        cls.alice = keygen(k.dir, "alice")
        cls.bob = keygen(k.dir, "bob")
        cls.reviewers = os.path.join(cls.p.root, "reviewers.csv")
        cls.write_reviewers(("alice", cls.alice), ("bob", cls.bob))
        cls.events = f"ipc://{cls.p.root}/events.sock"
        # The aggregator's own copy of the schedule: test 7 closes a cycle in it.
        cls.agg_cycles = write_cycles(os.path.join(cls.p.root, "agg-cycles.json"))
        cls.agg_extra = ("--review-listen", "tcp://127.0.0.1:*", "--reviewers", cls.reviewers,
                         "--events", cls.events, "--http", "127.0.0.1:0",
                         "--questionnaires", QDIR, "--cycles", cls.agg_cycles)
        cls.p.start_aggregator(*cls.agg_extra)
        cls.p.start_collector()
        cls.review_ep = cls.p.ready["aggregator"]["review"]
        cls.files = synth(os.path.join(cls.p.root, "2025"))
        rc, receipts = cls.p.submit(*cls.files)
        assert rc == 0 and len(receipts) == len(cls.files), receipts
        cls.subs = {os.path.basename(f)[:-5]: load_json(f) for f in cls.files}
        cls.regions = members_regions()
        cls.qdef = load_json(ISA)

    @classmethod
    def tearDownClass(cls):
        cls.p.close()

    @classmethod
    def write_reviewers(cls, *pairs):
        with open(cls.reviewers, "w", encoding="utf-8") as f:
            f.write("# name,public_key\n")
            for name, key in pairs:
                f.write(f"{name},{key}\n")

    # ------------------------------------------------------------ helpers

    def review(self, verb, *args, key="alice", expect=0, log=False):
        """canvassctl review VERB ... --json; the parsed answer."""
        cmd = [os.path.join(BIN, "canvassctl"), "review", verb, *QC, *args, "--connect",
               self.review_ep, "--key", self.p.keys.key(key), "--server-key",
               self.p.keys.pub("aggregator"), "--timeout-ms", "3000"]
        out = run(cmd + ["--json"])
        self.assertEqual(out.returncode, expect, out.stdout + out.stderr)
        got = json.loads(out.stdout) if out.stdout.strip() else None
        if log:
            # Reads again as text; an action as its one-line answer (not sent twice).
            text = (run(cmd).stdout if verb in ("list", "show") else
                    f"{got['status']}: {got['message']} (history sequence "
                    f"{got['entry']['sequence']})\n")
            TRANSCRIPT.append((f"canvassctl review {verb} {' '.join(args)}", text))
        return got

    def member(self, sub, *args, code=LOOP, expect=0, log=False, json_out=True):
        """canvass-submit status|fetch as member code."""
        cmd = [os.path.join(BIN, "canvass-submit"), sub, *args, "--connect", self.p.col_ep,
               "--key", self.p.keys.key(code), "--server-key", self.p.keys.pub("collector")]
        out = run(cmd + (["--json"] if json_out and sub == "status" else []))
        self.assertEqual(out.returncode, expect, out.stdout + out.stderr)
        if log:
            TRANSCRIPT.append((f"canvass-submit {sub} {' '.join(args)}",
                               run(cmd).stdout if sub == "status" else out.stdout))
        return out

    def submit(self, doc, name, *extra, expect=0, code=LOOP, log=False):
        path = os.path.join(self.p.root, name)
        write_json(path, doc)
        rc, receipts = self.p.submit_as(code, path, extra=extra)
        self.assertEqual(rc, expect, receipts)
        if log:
            r = receipts[0]
            TRANSCRIPT.append((f"canvass-submit {' '.join(extra)} {name}",
                               f"{r['status']} {r.get('message', '')} "
                               f"{('revision ' + str(r['receipt']['revision'])) if 'receipt' in r else ''}"))
        return receipts[0]

    def metrics(self, name):
        http = self.p.ready[name]["http"]
        with urllib.request.urlopen(f"http://{http}/metrics", timeout=10) as r:
            return r.read().decode()

    # ------------------------------------------------------------ the loop

    def test_1_loop(self):
        # The event feed, subscribed before anything happens (waited for, not slept).
        tail = subprocess.Popen([os.path.join(BIN, "canvassctl"), "tail", "--events", self.events,
                                 "--member", LOOP, "--json", "--count", "7"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: "canvass_aggregator_event_subscriptions 1" in self.metrics("aggregator"),
                 "the event feed subscription")
        questions = ["ps_aeo_operators", "au_electronic_share"]
        comment = "Your AEO count went from 40 to 4,000: typo? And the e-payment share?"
        got = self.review("query", "--member", LOOP, "--comment", comment,
                          "--question", questions[0], "--question", questions[1], log=True)
        self.assertEqual(got["status"], "ACCEPTED")
        query_seq = got["entry"]["sequence"]
        self.assertEqual(got["returns"][0]["state"], "queried")
        listed = self.review("list", "--state", "queried", log=True)
        self.assertEqual([(r["member"], r["state"], r["region"]) for r in listed["returns"]],
                         [(LOOP, "queried", self.regions[LOOP])])
        region = self.review("list", "--region", self.regions[LOOP])["returns"]
        self.assertEqual(sorted(r["member"] for r in region),
                         sorted(c for c in self.subs if self.regions[c] == self.regions[LOOP]))

        # The member sees the query, its questions and comment, on its own connection.
        st = json.loads(self.member("status", log=True).stdout)
        self.assertEqual(st["status"], "VALID")
        self.assertEqual([r["member"] for r in st["returns"]], [LOOP])
        ret = st["returns"][0]
        self.assertEqual((ret["state"], ret["open_queries"]), ("queried", 1))
        self.assertEqual(ret["queries"][0]["questions"], questions)
        self.assertEqual(ret["queries"][0]["comment"], comment)
        self.assertEqual(ret["queries"][0]["reviewer"], "alice")
        self.assertEqual(ret["queries"][0]["sequence"], query_seq)

        # It fetches what it sent, revises, and the queries are answered.
        fetched = json.loads(self.member("fetch", *QC, log=True).stdout)
        self.assertEqual(fetched["answers"], self.subs[LOOP]["answers"])
        self.assertNotIn("id", fetched)
        fetched["answers"]["ps_aeo_operators"] = 40
        rev2 = self.submit(fetched, "KE-rev2.json", log=True)
        self.assertEqual((rev2["status"], rev2["receipt"]["revision"]), ("ACCEPTED", 2))
        ret = json.loads(self.member("status", *QC).stdout)["returns"][0]
        self.assertEqual((ret["state"], ret["open_queries"]), ("submitted", 0))
        self.assertEqual(ret["queries"][0]["answered_by_revision"], 2)
        self.assertEqual(ret["queries"][0]["closed_sequence"], rev2["receipt"]["sequence"])

        # Approved: the next revision and its dry run are LOCKED, nothing stored.
        got = self.review("approve", "--member", LOOP, "--comment", "thank you", log=True)
        self.assertEqual(got["returns"][0]["state"], "approved")
        fetched["answers"]["ps_aeo_operators"] = 41
        self.assertEqual(self.submit(fetched, "KE-rev3.json", "--check", expect=1,
                                     log=True)["status"], "LOCKED")
        locked = self.submit(fetched, "KE-rev3.json", expect=1, log=True)
        self.assertEqual(locked["status"], "LOCKED")
        self.assertNotIn("receipt", locked)
        # A resend of the stored revision is still harmless: DUPLICATE.
        self.assertEqual(self.submit(dict(fetched, answers=dict(fetched["answers"],
                                                                ps_aeo_operators=40)),
                                     "KE-rev2-again.json")["status"], "DUPLICATE")

        # Reopened: a revision is accepted again.
        got = self.review("reopen", "--member", LOOP, "--comment", "one more fix", log=True)
        self.assertEqual(got["returns"][0]["state"], "submitted")
        rev3 = self.submit(fetched, "KE-rev3.json", log=True)
        self.assertEqual((rev3["status"], rev3["receipt"]["revision"]), ("ACCEPTED", 3))
        shown = self.review("show", "--member", LOOP, log=True)
        self.assertEqual([r["revision"] for r in shown["revisions"]], [3, 2, 1])
        self.assertEqual(shown["submission"]["answers"]["ps_aeo_operators"], 41)

        # The history holds the three actions, chained; verify replays them.
        hist = [json.loads(line) for line in run(
            [os.path.join(BIN, "canvassctl"), "history", "--data", self.p.data, "--member",
             LOOP]).stdout.splitlines()]
        actions = [(h["review"]["action"], h["review"]["reviewer"], h["review"]["comment"])
                   for h in hist if h["kind"] == "review"]
        self.assertEqual(actions, [("query", "alice", comment), ("approve", "alice", "thank you"),
                                   ("reopen", "alice", "one more fix")])
        self.assertEqual([h["review"]["questions"] for h in hist if h["kind"] == "review"][0],
                         questions)
        verify = run([os.path.join(BIN, "canvassctl"), "verify", "--data", self.p.data])
        self.assertEqual(verify.returncode, 0, verify.stdout)
        self.assertIn("review: the states of 1 reviewed returns match the history",
                      verify.stdout)
        TRANSCRIPT.append(("canvassctl verify", verify.stdout))

        # The feed: every outcome of KE's, the actions with who and what, no comment.
        out, err = tail.communicate(timeout=30)
        events = [json.loads(line) for line in out.splitlines()]
        self.assertEqual([(e.get("review"), e["status"]) for e in events],
                         [("query", "ACCEPTED"), (None, "ACCEPTED"), ("approve", "ACCEPTED"),
                          (None, "LOCKED"), (None, "DUPLICATE"), ("reopen", "ACCEPTED"),
                          (None, "ACCEPTED")])
        self.assertEqual(events[0]["questions"], questions)
        self.assertEqual(events[0]["reviewer"], "alice")
        self.assertNotIn("comment", json.dumps(events))
        self.assertNotIn("typo", out)
        # The log has each action, never its comment.
        log = self.p.log("aggregator")
        self.assertEqual(log.count(f"event=review reviewer=alice"), 3)
        self.assertNotIn("typo", log)
        # Metrics count each request by kind and answer.
        m = self.metrics("aggregator")
        for line in ('canvass_aggregator_review_requests_total{request="query_accepted"} 1',
                     'canvass_aggregator_review_requests_total{request="approve_accepted"} 1',
                     'canvass_aggregator_review_requests_total{request="reopen_accepted"} 1',
                     'canvass_aggregator_member_reads_total{kind="fetch"} 1',
                     'canvass_aggregator_submissions_total{result="locked"} 2'):
            self.assertIn(line, m)

    def curve_dealer(self, key, server_pub, endpoint):
        ctx = zmq.Context()
        sock = ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        pub, sec = key_pair(self.p.keys.key(key))
        sock.curve_secretkey = sec.encode()
        sock.curve_publickey = pub.encode()
        sock.curve_serverkey = public(self.p.keys.pub(server_pub)).encode()
        sock.connect(endpoint)
        return ctx, sock

    def test_2_replies_are_strict_protobuf(self):
        """status and fetch on the wire, decoded strictly by Python's protobuf from the .proto."""
        ctx, sock = self.curve_dealer("FR", "collector", self.p.col_ep)
        try:
            req = pb().Request(protocol_version=1, request_id=77)
            req.status.questionnaire = Q
            sock.send(req.SerializeToString())
            self.assertTrue(sock.poll(10000), "no answer")
            rep = pb().Reply.FromString(sock.recv())
            self.assertEqual((rep.request_id, rep.status), (77, pb().VALID))
            self.assertEqual([r.member for r in rep.returns], ["FR"])
            self.assertEqual(rep.returns[0].receipt.member, "FR")
            req = pb().Request(protocol_version=1, request_id=78)
            req.fetch.questionnaire = Q
            req.fetch.cycle = "2025"
            sock.send(req.SerializeToString())
            self.assertTrue(sock.poll(10000), "no answer")
            rep = pb().Reply.FromString(sock.recv())
            self.assertEqual(rep.status, pb().VALID)
            self.assertEqual(rep.submission.member, "FR")
            self.assertEqual(len(rep.submission.answers), len(self.subs["FR"]["answers"]))
            # A fetch without its cycle is refused, with the request id echoed.
            req = pb().Request(protocol_version=1, request_id=79)
            req.fetch.questionnaire = Q
            sock.send(req.SerializeToString())
            self.assertTrue(sock.poll(10000), "no answer")
            rep = pb().Reply.FromString(sock.recv())
            self.assertEqual((rep.request_id, rep.status), (79, pb().MALFORMED))
        finally:
            sock.close()
            ctx.term()

    # ------------------------------------------------------------ identity

    def test_3_identity(self):
        # A member's key opens no reviewer connection: refused at the handshake.
        self.review("approve", "--member", "FR", key="FR", expect=4)
        self.review("list", key="FR", expect=4)
        # A reviewer's key cannot submit, nor read as a member.
        rc, _ = self.p.submit_as("alice", self.files[0])
        self.assertEqual(rc, 4)
        self.member("status", code="alice", expect=4)
        # An unknown key gets nothing on either side.
        keygen(self.p.keys.dir, "stranger")
        self.review("list", key="stranger", expect=4)
        self.member("status", code="stranger", expect=4)
        # A member reads only its own returns: FR's status names FR only, and
        # fetch has no way to name another member.
        st = json.loads(self.member("status", code="FR").stdout)
        self.assertEqual({r["member"] for r in st["returns"]}, {"FR"})
        fr = json.loads(self.member("fetch", *QC, code="FR").stdout)
        self.assertEqual(fr["member"], "FR")
        self.assertEqual(fr["answers"], self.subs["FR"]["answers"])
        # A review endpoint needs its reviewers file (unless --insecure).
        out = run([os.path.join(BIN, "canvass-aggregator"), "--data",
                   os.path.join(self.p.root, "other"), "--listen", "tcp://127.0.0.1:*", "--key",
                   self.p.keys.key("aggregator"), "--collector-key", self.p.keys.pub("collector"),
                   "--review-listen", "tcp://127.0.0.1:*"])
        self.assertEqual(out.returncode, 78, out.stderr)
        self.assertIn("event=no_reviewers", out.stderr)
        # ... and the questionnaires and the schedule its actions are checked against.
        out = run([os.path.join(BIN, "canvass-aggregator"), "--data",
                   os.path.join(self.p.root, "other"), "--listen", "tcp://127.0.0.1:*", "--key",
                   self.p.keys.key("aggregator"), "--collector-key", self.p.keys.pub("collector"),
                   "--review-listen", "tcp://127.0.0.1:*", "--reviewers", self.reviewers])
        self.assertEqual(out.returncode, 78, out.stderr)
        self.assertIn("event=no_schedule", out.stderr)
        # A return that does not exist: NOT_FOUND, exit 1.
        self.member("fetch", "--questionnaire", Q, "--cycle", "2030", code="FR", expect=1)
        self.review("query", "--member", "ZZ", "--comment", "?", expect=1)

    def test_4_removed_reviewer(self):
        """bob's connection, opened before the reload, is refused per message after it."""
        ctx, sock = self.curve_dealer("bob", "aggregator", self.review_ep)

        def ask(request_id):
            req = pb().ReviewRequest(protocol_version=1, request_id=request_id)
            req.list.questionnaire = Q
            req.list.cycle = "2025"
            sock.send(req.SerializeToString())
            self.assertTrue(sock.poll(10000), "no answer")
            rep = pb().ReviewReply.FromString(sock.recv())
            self.assertEqual(rep.request_id, request_id)
            return rep

        self.assertEqual(ask(1).status, pb().VALID)
        # Strict decoding: an unknown field is MALFORMED, with the fault named.
        sock.send(pb().ReviewRequest(protocol_version=1, request_id=5).SerializeToString() +
                  bytes([0xf8, 0x07, 0x01]))  # field 127, varint 1
        self.assertTrue(sock.poll(10000), "no answer")
        rep = pb().ReviewReply.FromString(sock.recv())
        self.assertEqual((rep.request_id, rep.status), (5, pb().MALFORMED))
        self.assertIn("UNKNOWN_FIELD", rep.message)
        # The reviewer is the key's, whatever the message says.
        req = pb().ReviewRequest(protocol_version=1, request_id=6)
        req.act.action = pb().QUERY
        req.act.questionnaire, req.act.cycle, req.act.member = Q, "2025", "JP"
        req.act.comment, req.act.action_id, req.act.reviewer = "claimed", "claim-1", "mallory"
        sock.send(req.SerializeToString())
        self.assertTrue(sock.poll(10000), "no answer")
        rep = pb().ReviewReply.FromString(sock.recv())
        self.assertEqual(rep.status, pb().ACCEPTED)
        self.assertEqual(rep.returns[0].queries[-1].reviewer, "bob")
        self.write_reviewers(("alice", self.alice))
        self.p.agg.send_signal(signal.SIGHUP)
        wait_for(lambda: "reviewers=1" in (self.p.log("aggregator").rsplit("event=reloaded", 1) +
                                           [""])[1].split("\n")[0],
                 "the aggregator to reload")
        rep = ask(2)
        self.assertEqual(rep.status, pb().UNAUTHORIZED)
        self.assertEqual(len(rep.returns), 0)
        sock.close()
        ctx.term()
        self.review("list", key="bob", expect=4)  # and no new connection either
        self.review("list")  # alice stays
        # A reviewers file that does not load is refused; the reviewers in force stay.
        with open(self.reviewers, "w", encoding="utf-8") as f:
            f.write("alice,not-a-key\n")
        refused = self.p.log("aggregator").count("event=reload_refused")
        self.p.agg.send_signal(signal.SIGHUP)
        wait_for(lambda: self.p.log("aggregator").count("event=reload_refused") > refused,
                 "the reload to be refused")
        self.assertIn("reviewers.csv:1: expected", self.p.log("aggregator"))
        self.review("list")
        self.write_reviewers(("alice", self.alice), ("bob", self.bob))
        self.p.agg.send_signal(signal.SIGHUP)
        wait_for(lambda: self.review_rc("bob") == 0, "bob to be admitted again")

    def review_rc(self, key):
        out = run([os.path.join(BIN, "canvassctl"), "review", "list", *QC, "--connect",
                   self.review_ep, "--key", self.p.keys.key(key), "--server-key",
                   self.p.keys.pub("aggregator"), "--timeout-ms", "2000", "--attempts", "1"])
        return out.returncode

    # ------------------------------------------------------------ durability

    def test_5_kill_9_under_load(self):
        """Actions across kill -9 under a submission load: each acknowledged one stored once."""
        members = sorted(c for c in self.subs if c not in (LOOP, "FR"))[:60]
        load_files = synth(os.path.join(self.p.root, "load"), cycle="2024", seed=11)
        stop = threading.Event()

        def load():
            # Members submitting all along (the aggregator's restart included).
            for i in range(0, len(load_files), 10):
                if stop.is_set():
                    break
                self.p.submit(*load_files[i:i + 10])

        loader = threading.Thread(target=load)
        loader.start()
        acked = {}
        for i, code in enumerate(members):
            if i == len(members) // 2:
                self.p.agg.send_signal(signal.SIGKILL)
                self.p.agg.wait(timeout=20)
                # The same review endpoint again (the port the kernel chose).
                self.p.start_aggregator("--review-listen", self.review_ep, *self.agg_extra[2:])
            action_id = f"kill9-{code}"
            out = run([os.path.join(BIN, "canvassctl"), "review", "query", *QC, "--member", code,
                       "--comment", f"check {code}", "--question", "rm_stage", "--action-id",
                       action_id, "--connect", self.review_ep, "--key", self.p.keys.key("alice"),
                       "--server-key", self.p.keys.pub("aggregator"), "--timeout-ms", "1000",
                       "--attempts", "1", "--json"])
            if out.returncode == 0:
                acked[code] = json.loads(out.stdout)["entry"]["sequence"]
        stop.set()
        loader.join(timeout=300)
        # Every acknowledged action, resent with its id after the restart: DUPLICATE at its entry.
        for code, seq in acked.items():
            got = self.review("query", "--member", code, "--comment", f"check {code}",
                              "--question", "rm_stage", "--action-id", f"kill9-{code}")
            self.assertEqual((got["status"], got["entry"]["sequence"]), ("DUPLICATE", seq))
        self.assertGreater(len(acked), len(members) // 3)
        hist = [json.loads(line) for line in run(
            [os.path.join(BIN, "canvassctl"), "history", "--data", self.p.data]).stdout.splitlines()]
        ids = [h["id"] for h in hist if h["kind"] == "review" and h["id"].startswith("kill9-")]
        for code, seq in acked.items():
            self.assertEqual(ids.count(f"kill9-{code}"), 1, code)
            self.assertTrue(any(h["sequence"] == seq and h["id"] == f"kill9-{code}" for h in hist))
        verify = run([os.path.join(BIN, "canvassctl"), "verify", "--data", self.p.data])
        self.assertEqual(verify.returncode, 0, verify.stdout)
        self.assertIn("reviewed returns match the history", verify.stdout)

    # ------------------------------------------------------------ as-of, approved-only

    def completeness(self, *extra):
        out = self.p.reporter("completeness", *QC, "--format", "json", *extra)
        return json.loads(out.stdout)

    def test_6_as_of_and_approved_only(self):
        code = "BR"
        before = self.completeness()
        pos_before = before["store"]["sequence"]
        world = {g["group"]: g for g in before["groups"]}["World"]
        got = self.review("approve", "--member", code)
        self.assertEqual(got["status"], "ACCEPTED")
        after = self.completeness()
        w_after = {g["group"]: g for g in after["groups"]}["World"]
        self.assertEqual(w_after["approved"], world["approved"] + 1)
        self.assertIn(code, w_after["members_by_state"]["approved"])
        region = {g["group"]: g for g in after["groups"]}[self.regions[code]]
        self.assertIn(code, region["members_by_state"]["approved"])
        # As of the earlier position: the states as they were then.
        then = self.completeness("--as-of", str(pos_before))
        self.assertEqual({g["group"]: g["members_by_state"] for g in then["groups"]},
                         {g["group"]: g["members_by_state"] for g in before["groups"]})
        self.assertEqual(then["review"], before["review"])

        # Approve a spread of members; --approved-only equals a computation over them.
        approved = sorted(self.subs)[::5]
        for c in approved:
            out = run([os.path.join(BIN, "canvassctl"), "review", "approve", *QC, "--member", c,
                       "--connect", self.review_ep, "--key", self.p.keys.key("alice"),
                       "--server-key", self.p.keys.pub("aggregator"), "--json"])
            self.assertIn(json.loads(out.stdout)["status"], ("ACCEPTED", "WRONG_STATE"), out.stdout)
        state = {r["member"]: r["state"] for r in self.review("list")["returns"]}
        approved = sorted(c for c, s in state.items() if s == "approved")
        self.assertGreater(len(approved), 30)
        latest = {}
        for c in approved:
            latest[c] = json.loads(self.member("fetch", *QC, code=c).stdout)["answers"]
        cmp = json.loads(self.p.reporter("compare", *QC, "--format", "json", "--min-group", "1",
                                         "--approved-only").stdout)
        self.assertEqual(cmp["review"]["approved"], len(approved))
        self.assertEqual(cmp["review"]["returns"], len(self.subs))
        self.assertTrue(cmp["review"]["approved_only"])
        groups, overall = score_groups(self.qdef, self.regions, latest)
        checked = 0
        for tid, cell, want in score_cells(cmp, groups, overall):
            self.assertEqual(cell["n"], want["n"], tid + cell["group"])
            if want["n"] and cell.get("mean") is not None:
                self.assertAlmostEqual(cell["mean"], want["mean"],
                                       delta=TOL * max(1, abs(want["mean"])))
                checked += 1
        self.assertGreater(checked, 20)
        # ranking: exactly the approved members; trend: the approved ones per cycle.
        rk = json.loads(self.p.reporter("ranking", *QC, "--format", "json",
                                        "--approved-only").stdout)
        self.assertEqual(sorted(line["member"] for line in rk["ranking"]),
                         sorted(c for c in approved if member_scores(self.qdef, latest[c])[1]
                                is not None))
        text = self.p.reporter("compare", *QC, "--approved-only").stdout
        self.assertIn(f"review: {len(approved)} of {len(self.subs)} returns approved; approved "
                      "returns only (--approved-only)", text)
        # Without the flag every report says how many were approved.
        self.assertIn(f"review: {len(approved)} of {len(self.subs)} returns approved\n",
                      self.p.reporter("compare", *QC).stdout)
        refused = self.p.reporter("completeness", *QC, "--approved-only", check=False)
        self.assertEqual(refused.returncode, 2)
        # trend: per cycle, the approved returns only (none of 2024's are).
        tr = json.loads(self.p.reporter("trend", "--questionnaire", Q, "--format", "json",
                                        "--approved-only").stdout)
        cycles = {c["cycle"]: c for c in tr["cycles"]}
        self.assertEqual((cycles["2025"]["members"], cycles["2025"]["approved"]),
                         (len(approved), len(approved)))
        self.assertEqual(cycles["2024"]["members"], 0)
        self.assertGreater(cycles["2024"]["returns"], 0)
        # export: the approved members' answers and nobody else's.
        rows = list(csv.DictReader(io.StringIO(self.p.reporter(
            "export", *QC, "--approved-only").stdout)))
        self.assertEqual(sorted({r["member"] for r in rows}), approved)
        # HTML and completeness CSV state the same counts.
        html = self.p.reporter("compare", *QC, "--format", "html").stdout
        self.assertIn(f"review: {len(approved)} of {len(self.subs)} returns approved", html)
        comp = list(csv.DictReader(io.StringIO(self.p.reporter(
            "completeness", *QC, "--format", "csv").stdout)))
        world = next(r for r in comp if r["group"] == "World")
        self.assertEqual(int(world["approved"]), len(approved))
        self.assertEqual(sorted(world["approved_members"].split()), approved)


def tearDownModule():
    if os.environ.get("CANVASS_REVIEW_TRANSCRIPT"):
        with open(os.environ["CANVASS_REVIEW_TRANSCRIPT"], "w", encoding="utf-8") as f:
            for cmd, out in TRANSCRIPT:
                f.write(f"$ {cmd}\n{out.rstrip()}\n\n")

    def test_7_actions_that_cannot_be_answered(self):
        """Hostile and impossible actions are refused; the writer keeps serving."""
        def act(*args, expect=1):
            cmd = [os.path.join(BIN, "canvassctl"), "review", *args, "--connect",
                   self.review_ep, "--key", self.p.keys.key("alice"), "--server-key",
                   self.p.keys.pub("aggregator"), "--timeout-ms", "3000", "--json"]
            out = run(cmd)
            self.assertEqual(out.returncode, expect, out.stdout + out.stderr)
            return json.loads(out.stdout)

        member = "BR"
        long_id = "q" * 500
        # Fields over the store's key size: MALFORMED, and the aggregator is still up.
        for field in ("--questionnaire", "--cycle"):
            args = {"--questionnaire": Q, "--cycle": "2025", field: long_id}
            got = act("approve", "--questionnaire", args["--questionnaire"], "--cycle",
                      args["--cycle"], "--member", member)
            self.assertEqual(got["status"], "MALFORMED", got)
            self.assertIsNone(self.p.agg.poll(), "the aggregator stopped")
        got = act("approve", *QC, "--member", "M" * 500)
        self.assertEqual(got["status"], "MALFORMED", got)
        # A question id that breaks the id rule, and one the questionnaire has not.
        got = act("query", *QC, "--member", member, "--comment", "?", "--question", "not an id!")
        self.assertEqual(got["status"], "MALFORMED", got)
        self.assertIn("question ids", got["message"])
        got = act("query", *QC, "--member", member, "--comment", "?", "--question", "no_such_q")
        self.assertEqual(got["status"], "NOT_FOUND", got)
        self.assertIn("has no question no_such_q", got["message"])
        st = json.loads(self.member("status", code=member).stdout)
        mine = [r for r in st["returns"] if r["cycle"] == "2025"][0]
        self.assertEqual(mine["queries"], [], "a refused query was stored")
        # The cycle closes (the aggregator's schedule, reloaded): no query, no reopen,
        # the approval still goes through.
        close_cycle(self.agg_cycles, "2025")
        self.p.reload("aggregator")
        try:
            got = act("query", *QC, "--member", member, "--comment", "late?",
                      "--question", "rm_stage")
            self.assertEqual(got["status"], "WRONG_STATE", got)
            self.assertIn("has closed", got["message"])
            got = act("approve", *QC, "--member", member, expect=0)
            self.assertEqual(got["status"], "ACCEPTED", got)
            got = act("reopen", *QC, "--member", member, "--comment", "undo")
            self.assertEqual(got["status"], "WRONG_STATE", got)
        finally:
            write_cycles(self.agg_cycles)
            self.p.reload("aggregator")
        # A review action whose commit fails is never published nor counted (the
        # store's unit test test_failed_review_commit_has_no_outcome injects it).
        self.assertIsNone(self.p.agg.poll(), "the aggregator stopped")

if __name__ == "__main__":
    unittest.main(verbosity=2)
