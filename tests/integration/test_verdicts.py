"""Verdicts through the real socket: the corpus of bad submissions under
tests/corpus/bad (each with the exact error codes it must produce, in
MANIFEST.json) replayed through a real collector while other members keep
submitting; dry runs; late submissions; warnings in receipts; the second
shipped questionnaire.
"""
import json
import os
import subprocess
import unittest

from pipeline import BIN, QDIR, SRC, Pipeline, synth, write_json

CORPUS = os.path.join(SRC, "tests/corpus")
POKE = os.path.join(BIN, "canvass-poke")
GENDER = os.path.join(QDIR, "gender-integrity.v1.json")


def errors(reply):
    return sorted([p["code"], p["question"]] for p in reply.get("problems", [])
                  if p["severity"] == "error")


def sequence(p):
    return p.report()["store"]["sequence"]


class CorpusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.p = Pipeline().start()
        with open(os.path.join(CORPUS, "bad/MANIFEST.json"), encoding="utf-8") as f:
            cls.manifest = json.load(f)

    @classmethod
    def tearDownClass(cls):
        cls.p.close()

    def test_corpus_through_the_collector(self):
        self.assertGreaterEqual(len(self.manifest), 25)
        honest_members = [m["code"] for m in self.p.keys.members
                          if m["code"] not in ("KE", "FR")][:len(self.manifest)]
        honest = synth(os.path.join(self.p.root, "honest"), only=honest_members)
        before = sequence(self.p)
        for (name, want), good in zip(sorted(self.manifest.items()), honest):
            path = os.path.join(CORPUS, "bad", name + ".json")
            rc, r = self.p.submit_as(want["as"], path)
            self.assertEqual((rc, r[0]["status"]), (1, want["status"]), name)
            self.assertEqual(errors(r[0]), sorted(want["errors"]), name)
            # Another member is served normally in between.
            member = os.path.basename(good)[:-len(".json")]
            rc, r = self.p.submit_as(member, good)
            self.assertEqual((rc, r[0]["status"]), (0, "ACCEPTED"), name)
        self.assertEqual(sequence(self.p), before + len(self.manifest))

    def test_dry_run_gives_the_same_verdicts_and_stores_nothing(self):
        before = sequence(self.p)
        by_member = {}
        for name, want in self.manifest.items():
            by_member.setdefault(want["as"], []).append(name)
        for member, names in by_member.items():
            files = [os.path.join(CORPUS, "bad", n + ".json") for n in names]
            rc, replies = self.p.submit_as(member, *files, extra=("--check",))
            self.assertEqual(rc, 1)
            by_file = {r["file"]: r for r in replies}
            for name, path in zip(names, files):
                r = by_file[path]
                self.assertEqual(r["status"], "REJECTED", name)
                self.assertEqual(errors(r), sorted(self.manifest[name]["errors"]), name)
        rc, r = self.p.submit_as("KE", os.path.join(CORPUS, "valid/KE-2025.json"),
                                 extra=("--check",))
        self.assertEqual((rc, r[0]["status"]), (0, "VALID"))
        self.assertNotIn("receipt", r[0])
        self.assertIn("nothing was stored", r[0]["message"])
        self.assertEqual(sequence(self.p), before)

    def test_duplicate_answer_needs_a_raw_client(self):
        # JSON objects cannot repeat a key; the wire can: the collector refuses it.
        out = subprocess.run(
            [POKE, "--connect", self.p.col_ep, "--key", self.p.keys.key("KE"),
             "--server-key", self.p.keys.pub("collector"),
             "duplicate:" + os.path.join(CORPUS, "valid/KE-2025.json")],
            capture_output=True, text=True, timeout=60, check=True)
        res = json.loads(out.stdout)
        self.assertEqual(res["replies"], {"REJECTED": 1})
        self.assertIn("DUPLICATE_ANSWER", res["codes"])


class ScheduleAndWarningsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.p = Pipeline().start()
        with open(os.path.join(CORPUS, "valid/KE-2025.json"), encoding="utf-8") as f:
            cls.base = json.load(f)

    @classmethod
    def tearDownClass(cls):
        cls.p.close()

    def test_late_submission_accepted_and_marked(self):
        path = write_json(os.path.join(self.p.root, "late.json"), dict(self.base, cycle="2024"))
        rc, r = self.p.submit_as("KE", path)
        self.assertEqual((rc, r[0]["status"]), (0, "ACCEPTED"))
        self.assertTrue(r[0]["receipt"]["late"])
        rc, again = self.p.submit_as("KE", path)
        self.assertEqual(again[0]["status"], "DUPLICATE")
        self.assertTrue(again[0]["receipt"]["late"])
        text = subprocess.run([os.path.join(BIN, "canvass-submit"), "--connect", self.p.col_ep,
                               "--key", self.p.keys.key("KE"), "--server-key",
                               self.p.keys.pub("collector"), path],
                              capture_output=True, text=True, timeout=60).stdout
        self.assertIn("LATE", text)
        # On time in an open cycle.
        rc, r = self.p.submit_as("KE", write_json(os.path.join(self.p.root, "ok.json"), self.base))
        self.assertFalse(r[0]["receipt"]["late"])

    def test_warning_travels_in_the_receipt(self):
        sub = json.loads(json.dumps(self.base))
        sub["member"] = "FR"
        sub["answers"]["ai_cases_concluded"] = 50  # more than the 42 opened
        path = write_json(os.path.join(self.p.root, "warn.json"), sub)
        rc, r = self.p.submit_as("FR", path, extra=("--check",))
        self.assertEqual((rc, r[0]["status"]), (0, "VALID"))
        rc, r = self.p.submit_as("FR", path)
        self.assertEqual((rc, r[0]["status"]), (0, "ACCEPTED"))
        self.assertEqual([(w["code"], w["severity"], w.get("rule")) for w in r[0]["problems"]],
                         [("RULE_FAILED", "warning", "concluded_within_opened")])

    def test_second_questionnaire(self):
        files = synth(os.path.join(self.p.root, "gender"), only=("JP", "BR", "DE"),
                      questionnaire=GENDER)
        rc, r = self.p.submit(*files)
        self.assertEqual(rc, 0, r)
        self.assertEqual({x["status"] for x in r}, {"ACCEPTED"})
        with open(files[0], encoding="utf-8") as f:
            sub = json.load(f)
        member = sub["member"]
        sub["answers"].update({"gi_hr_staff_total": 100, "gi_hr_staff_women": 70,
                               "gi_hr_staff_men": 40, "gi_hr_considered": True})
        rc, r = self.p.submit_as(member, write_json(os.path.join(self.p.root, "g.json"), sub))
        self.assertEqual(rc, 1)
        self.assertIn(["RULE_FAILED", "gi_hr_staff_women"], errors(r[0]))
        self.assertIn("hr_staff_sum", [p.get("rule") for p in r[0]["problems"]])


class DefinitionCheckTest(unittest.TestCase):
    """A bad definition set is refused with its file, JSON path and reason, by
    canvassctl check and by the collector at start-up; a good one passes."""

    def test_check_and_start(self):
        import shutil
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            qdir = os.path.join(d, "q")
            shutil.copytree(QDIR, qdir)
            ctl = os.path.join(BIN, "canvassctl")
            ok = subprocess.run([ctl, "check", "--questionnaires", qdir, "--registry",
                                 os.path.join(SRC, "data/members.csv"), "--cycles",
                                 os.path.join(SRC, "data/cycles.json")],
                                capture_output=True, text=True, timeout=60)
            self.assertEqual(ok.returncode, 0, ok.stderr)
            self.assertIn("questionnaire integrity-self-assessment version 1", ok.stdout)
            self.assertTrue(ok.stdout.rstrip().endswith("OK"))
            with open(os.path.join(qdir, "integrity-self-assessment.v1.json"), encoding="utf-8") as f:
                qdef = json.load(f)
            qdef["rules"][0]["expr"] = "hr_staff_women <= hr_staff_totl"
            write_json(os.path.join(qdir, "integrity-self-assessment.v1.json"), qdef)
            bad = subprocess.run([ctl, "check", "--questionnaires", qdir],
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(bad.returncode, 1)
            self.assertIn("integrity-self-assessment.v1.json: $.rules[0].expr: position 19: "
                          "unknown question \"hr_staff_totl\"", bad.stderr)
            p = Pipeline(root=d)
            p.start_aggregator()
            try:
                args = p.collector_args()
                args[args.index("--questionnaires") + 1] = qdir
                out = subprocess.run([os.path.join(BIN, "canvass-collector"), *args],
                                     capture_output=True, text=True, timeout=60)
                self.assertEqual(out.returncode, 78)
                self.assertIn("event=config_invalid", out.stderr)
                self.assertIn("$.rules[0].expr", out.stderr)
            finally:
                p.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
