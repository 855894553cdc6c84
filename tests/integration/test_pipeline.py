"""Integration tests: the real aggregator, collector, member client and
reporter, talking over ipc:// in a temporary directory.

The comparison figures are checked against an independent computation
in Python (statistics module; quantiles with method="inclusive", which is
R's type 7) over the very files that were submitted.
"""
import csv
import json
import os
import signal
import statistics
import tempfile
import unittest

from pipeline import ISA, MEMBERS, Pipeline, synth, write_json

TOL = 1e-9


def load_members():
    with open(MEMBERS, encoding="utf-8", newline="") as f:
        return {row["code"]: row["region"] for row in csv.DictReader(f)}


def expected_figures(files, qdef, members):
    """Per question id and group: the figures the reporter must print."""
    regions = sorted(set(members.values()))
    groups = regions + ["World"]
    subs = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            subs.append(json.load(f))
    out = {}
    for section in qdef["sections"]:
        for q in section["questions"]:
            per = {}
            for g in groups:
                vals, na, dk = [], 0, 0
                for s in subs:
                    if g != "World" and members.get(s["member"]) != g:
                        continue
                    v = s["answers"].get(q["id"])
                    if v is None:
                        continue
                    if isinstance(v, dict):
                        na += v["special"] == "not_applicable"
                        dk += v["special"] == "dont_know"
                        continue
                    vals.append(v)
                cell = {"n": len(vals), "not_applicable": na, "dont_know": dk}
                t = q["type"]
                if t in ("integer", "number", "scale") and vals:
                    x = [float(v) for v in vals]
                    cell["mean"] = statistics.fmean(x)
                    cell["median"] = statistics.median(x)
                    cell["min"], cell["max"] = min(x), max(x)
                    cell["sd"] = statistics.stdev(x) if len(x) > 1 else None
                    if len(x) > 1:
                        cell["q1"], _, cell["q3"] = statistics.quantiles(x, n=4, method="inclusive")
                elif t == "yes_no":
                    cell["counts"] = {"yes": sum(v is True for v in vals),
                                      "no": sum(v is False for v in vals)}
                elif t == "choice":
                    cell["counts"] = {o["id"]: sum(v == o["id"] for v in vals) for o in q["options"]}
                elif t == "multi_choice":
                    cell["counts"] = {o["id"]: sum(o["id"] in v for v in vals) for o in q["options"]}
                per[g] = cell
            out[q["id"]] = per
    return out


class ComparisonTest(unittest.TestCase):
    """187 members submit once; the report must match an independent computation."""

    @classmethod
    def setUpClass(cls):
        cls.p = Pipeline().start()
        cls.files = synth(os.path.join(cls.p.root, "subs"))
        cls.rc, cls.receipts = cls.p.submit(*cls.files)

    @classmethod
    def tearDownClass(cls):
        cls.p.close()

    def test_every_member_stored(self):
        self.assertEqual(self.rc, 0)
        self.assertEqual(len(self.receipts), 187)
        self.assertEqual({r["status"] for r in self.receipts}, {"ACCEPTED"})
        seqs = sorted(r["receipt"]["sequence"] for r in self.receipts)
        self.assertEqual(seqs, list(range(1, 188)))
        self.assertTrue(all(r["receipt"]["revision"] == 1 for r in self.receipts))

    def test_compare_matches_independent_computation(self):
        with open(ISA, encoding="utf-8") as f:
            qdef = json.load(f)
        members = load_members()
        want = expected_figures(self.files, qdef, members)
        got = self.p.report()
        self.assertEqual(got["store"]["sequence"], 187)
        self.assertEqual(got["submissions"]["total"], 187)
        self.assertEqual(len(got["groups"]), 7)
        self.assertEqual(len(got["questions"]), sum(len(s["questions"]) for s in qdef["sections"]))
        checked = 0
        for q in got["questions"]:
            for cell in q["groups"]:
                exp = want[q["id"]][cell["group"]]
                ctx = f"{q['id']} / {cell['group']}"
                for k in ("n", "not_applicable", "dont_know"):
                    self.assertEqual(cell[k], exp[k], ctx + " " + k)
                for k in ("mean", "median", "min", "max", "sd", "q1", "q3"):
                    if k in exp:
                        if exp[k] is None:
                            self.assertIsNone(cell[k], ctx + " " + k)
                        else:
                            self.assertAlmostEqual(cell[k], exp[k], delta=TOL * max(1, abs(exp[k])),
                                                   msg=ctx + " " + k)
                        checked += 1
                if "counts" in exp:
                    counts = {o["id"]: o["count"] for o in cell["options"]}
                    self.assertEqual(counts, exp["counts"], ctx)
                    for o in cell["options"]:
                        if cell["n"]:
                            self.assertAlmostEqual(o["share"], o["count"] / cell["n"], delta=TOL)
                    checked += 1
        self.assertGreater(checked, 500)

    def test_text_report(self):
        text = self.p.report(fmt="text")
        self.assertIn("submissions: 187 of 187 registered members", text)
        for region, n in (("Europe", 52), ("Asia/Pacific", 35), ("Americas and Caribbean", 34),
                          ("East and Southern Africa", 24), ("West and Central Africa", 24),
                          ("North of Africa, Near and Middle East", 18)):
            self.assertRegex(text, rf"\n  {region}\s+{n} of\s+{n}\n")
        self.assertIn("1. Leadership and Commitment", text)
        self.assertIn("10. Relationship with the Private Sector", text)


class RetryAndRevisionTest(unittest.TestCase):
    def setUp(self):
        self.p = Pipeline().start()
        self.dir = os.path.join(self.p.root, "subs")
        self.files = synth(self.dir, only=("KE", "FR"))

    def tearDown(self):
        self.p.close()

    def test_resend_duplicate_conflict_revision(self):
        ke = os.path.join(self.dir, "KE.json")
        rc, first = self.p.submit(ke)
        self.assertEqual((rc, first[0]["status"]), (0, "ACCEPTED"))
        # A resend is answered with the original receipt.
        rc, again = self.p.submit(ke)
        self.assertEqual((rc, again[0]["status"]), (0, "DUPLICATE"))
        self.assertEqual(again[0]["receipt"], first[0]["receipt"])

        with open(ke, encoding="utf-8") as f:
            sub = json.load(f)
        key = first[0]["receipt"]["id"]
        sub["answers"]["hr_staff_total"] = 4321
        # The same id for other content is a conflict and stores nothing.
        rc, conflict = self.p.submit(write_json(os.path.join(self.p.root, "c.json"),
                                                dict(sub, id=key)))
        self.assertEqual((rc, conflict[0]["status"]), (1, "CONFLICT"))
        # New content without an id: revision 2, and the report uses it.
        rc, rev = self.p.submit(write_json(os.path.join(self.p.root, "r2.json"), sub))
        self.assertEqual((rc, rev[0]["status"]), (0, "ACCEPTED"))
        self.assertEqual(rev[0]["receipt"]["revision"], 2)
        self.assertEqual(rev[0]["receipt"]["sequence"], 2)
        report = self.p.report()
        self.assertEqual(report["store"]["sequence"], 2)
        staff = next(q for q in report["questions"] if q["id"] == "hr_staff_total")
        world = next(g for g in staff["groups"] if g["group"] == "World")
        self.assertEqual((world["n"], world["mean"]), (1, 4321.0))

    def test_stored_survives_kill_and_restart(self):
        rc, first = self.p.submit(*self.files)
        self.assertEqual(rc, 0)
        self.assertEqual(Pipeline.stop_proc(self.p.agg, signal.SIGKILL), -signal.SIGKILL)
        self.p.start_aggregator()
        rc, again = self.p.submit(*self.files)
        self.assertEqual(rc, 0)
        self.assertEqual([r["status"] for r in again], ["DUPLICATE", "DUPLICATE"])
        self.assertEqual([r["receipt"] for r in again], [r["receipt"] for r in first])

    def test_clean_stop(self):
        rc, _ = self.p.submit(*self.files)
        self.assertEqual(rc, 0)
        self.assertEqual(self.p.stop(), (0, 0))


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.p = Pipeline().start()
        cls.dir = os.path.join(cls.p.root, "subs")
        synth(cls.dir, only=("KE", "JP"))
        with open(os.path.join(cls.dir, "KE.json"), encoding="utf-8") as f:
            cls.good = json.load(f)

    @classmethod
    def tearDownClass(cls):
        cls.p.close()

    def submit_obj(self, name, obj):
        return self.p.submit(write_json(os.path.join(self.p.root, name), obj))

    def codes(self, receipt):
        """The errors of a reply (warnings aside)."""
        return sorted((p["code"], p["question"]) for p in receipt["problems"]
                      if p["severity"] == "error")

    def test_every_problem_named(self):
        bad = json.loads(json.dumps(self.good))
        bad["answers"]["au_electronic_share"] = 140
        bad["answers"]["rf_rkc"] = "maybe"
        bad["answers"]["lc_strategy"] = "yes"
        bad["answers"]["no_such_question"] = 1
        del bad["answers"]["rf_simplified"]
        rc, r = self.submit_obj("bad.json", bad)
        self.assertEqual(rc, 1)
        self.assertEqual(r[0]["status"], "REJECTED")
        self.assertEqual(self.codes(r[0]), sorted([
            ("OUT_OF_RANGE", "au_electronic_share"), ("NOT_AN_OPTION", "rf_rkc"),
            ("WRONG_TYPE", "lc_strategy"), ("UNKNOWN_QUESTION", "no_such_question"),
            ("MISSING_REQUIRED", "rf_simplified")]))

    def test_unknown_member_questionnaire_version(self):
        rc, r = self.p.submit_as("KE", write_json(os.path.join(self.p.root, "m.json"),
                                                  dict(self.good, member="ZZ")))
        self.assertEqual((rc, self.codes(r[0])), (1, [("MEMBER_MISMATCH", "")]))
        rc, r = self.submit_obj("q.json", dict(self.good, questionnaire="nope"))
        self.assertEqual((rc, self.codes(r[0])), (1, [("UNKNOWN_QUESTIONNAIRE", "")]))
        rc, r = self.submit_obj("v.json", dict(self.good, version=9))
        self.assertEqual((rc, self.codes(r[0])), (1, [("UNKNOWN_VERSION", "")]))

    def test_not_json_is_refused_locally(self):
        path = os.path.join(self.p.root, "broken.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write("{not json")
        rc, r = self.p.submit(path)
        self.assertEqual((rc, r[0]["status"]), (1, "INVALID_FILE"))

    def test_others_keep_being_served(self):
        bad = dict(self.good, answers={"lc_strategy": 5})
        for i in range(20):
            rc, _ = self.submit_obj(f"b{i}.json", bad)
            self.assertEqual(rc, 1)
        rc, r = self.p.submit(os.path.join(self.dir, "JP.json"))
        self.assertEqual((rc, r[0]["status"]), (0, "ACCEPTED"))


class BackpressureTest(unittest.TestCase):
    def test_busy_is_an_answer_and_retries_store_everything(self):
        p = Pipeline()
        try:
            p.start_aggregator("--batch-wait-us", "20000")
            p.start_collector("--max-pending", "1")
            files = synth(os.path.join(p.root, "subs"),
                          only=[m["code"] for m in p.keys.members][:8])
            # Several in flight against one slot: some must be told BUSY, none dropped.
            seen = set()
            for member_file in files:
                member = os.path.basename(member_file)[:-len(".json")]
                revs = []
                with open(member_file, encoding="utf-8") as f:
                    sub = json.load(f)
                for i in range(12):
                    sub["answers"]["hr_staff_total"] = 2000 + i
                    sub["answers"].pop("hr_staff_women", None)
                    revs.append(write_json(os.path.join(p.root, f"{member}-{i}.json"), sub))
                rc, r = p.submit_as(member, *revs, extra=("--attempts", "1", "--parallel", "8"))
                seen |= {x["status"] for x in r}
                self.assertEqual(len(r), 12)
                rc, r = p.submit_as(member, *revs, extra=("--attempts", "20", "--parallel", "2"))
                self.assertEqual(rc, 0)
                self.assertTrue({x["status"] for x in r} <= {"ACCEPTED", "DUPLICATE"})
            self.assertIn("BUSY", seen)
            self.assertEqual(p.report()["store"]["sequence"], 8 * 12)
        finally:
            p.close()


class InsecureModeTest(unittest.TestCase):
    """--insecure (ipc:// only): identity is the payload's claim, checked against the registry."""

    def test_payload_identity(self):
        p = Pipeline(secure=False).start()
        try:
            files = synth(os.path.join(p.root, "subs"), only=("KE",))
            rc, r = p.submit_as(None, *files)
            self.assertEqual((rc, r[0]["status"]), (0, "ACCEPTED"))
            with open(files[0], encoding="utf-8") as f:
                sub = json.load(f)
            rc, r = p.submit_as(None, write_json(os.path.join(p.root, "zz.json"),
                                                 dict(sub, member="ZZ")))
            self.assertEqual(rc, 1)
            self.assertEqual([x["code"] for x in r[0]["problems"] if x["severity"] == "error"],
                             ["UNKNOWN_MEMBER"])
            self.assertIn("insecure", p.log("collector"))
        finally:
            p.close()


class DeliveryTest(unittest.TestCase):
    def test_no_collector_is_not_delivered(self):
        with tempfile.TemporaryDirectory() as d:
            p = Pipeline(d)
            files = synth(os.path.join(d, "subs"), only=("KE",))
            rc, r = p.submit(*files, extra=("--timeout-ms", "200", "--attempts", "2"))
            self.assertEqual(rc, 3)
            self.assertEqual(r[0]["status"], "NOT_DELIVERED")

    def test_failover_to_second_collector(self):
        p = Pipeline().start()
        try:
            files = synth(os.path.join(p.root, "subs"), only=("KE",))
            dead = f"ipc://{p.root}/nobody.sock"
            rc, r = p.submit(*files, endpoint=dead,
                             extra=("--connect", p.col_ep, "--timeout-ms", "300"))
            self.assertEqual((rc, r[0]["status"]), (0, "ACCEPTED"))
        finally:
            p.close()

    def test_aggregator_down_is_retryable_then_stored(self):
        p = Pipeline()
        try:
            p.start_aggregator()
            p.start_collector("--store-timeout-ms", "300")
            files = synth(os.path.join(p.root, "subs"), only=("KE",))
            Pipeline.stop_proc(p.agg)
            rc, r = p.submit(*files, extra=("--timeout-ms", "1000", "--attempts", "2"))
            self.assertEqual(rc, 3)
            self.assertIn(r[0]["status"], ("UNAVAILABLE", "NOT_DELIVERED"))
            p.start_aggregator()
            rc, r = p.submit(*files, extra=("--attempts", "10"))
            self.assertEqual((rc, r[0]["status"]), (0, "ACCEPTED"))
        finally:
            p.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
