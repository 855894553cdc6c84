"""The Secretariat's reports through the real pipeline, checked figure by
figure against an independent computation in Python (statistics module,
quantiles "inclusive" = R type 7) over the very files that were submitted.
"""
import csv
import io
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import unittest

from pipeline import (BIN, CONFIDENTIAL, ISA, MEMBERS, QDIR, SRC, KeyRing, Pipeline, synth,
                      unmarked, write_json)

TOL = 1e-9
ARTIFACTS = os.path.abspath(os.environ.get("CANVASS_ARTIFACTS",
                                           os.path.join(SRC, "build", "reports")))


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def members_regions(registry=MEMBERS):
    with open(registry, encoding="utf-8", newline="") as f:
        return {r["code"]: r["region"] for r in csv.DictReader(f)}


def score(q, value):
    """A question's score in 0..1, as docs/questionnaires.md defines it."""
    sc = q.get("score")
    if sc is None or value is None or isinstance(value, dict):
        return None
    t = q["type"]
    if t == "yes_no":
        return sc.get("yes", 1) if value else sc.get("no", 0)
    if t == "scale":
        levels = [lv["value"] for lv in q["levels"]]
        return (value - min(levels)) / (max(levels) - min(levels))
    if t == "choice":
        return next(o["score"] for o in q["options"] if o["id"] == value)
    if t in ("integer", "number"):
        x = (value - sc["zero"]) / (sc["full"] - sc["zero"])
        return min(1.0, max(0.0, x))
    return None


def member_scores(qdef, answers):
    """{section id: score or None} and the overall score, 0-100."""
    per, alln, alld = {}, 0.0, 0.0
    for s in qdef["sections"]:
        num = den = 0.0
        for q in s["questions"]:
            x = score(q, answers.get(q["id"]))
            if x is None:
                continue
            w = q["score"].get("weight", 1)
            num += w * x
            den += w
            alln += w * x
            alld += w
        per[s["id"]] = 100 * num / den if den else None
    return per, (100 * alln / alld if alld else None)


def score_groups(qdef, regions, answers_by_code):
    """Each member's section and overall scores, gathered per (section, group) and group."""
    groups, overall = {}, {}
    for code, answers in answers_by_code.items():
        per, ov = member_scores(qdef, answers)
        for g in (regions[code], "World"):
            for sid, v in per.items():
                if v is not None:
                    groups.setdefault((sid, g), []).append(v)
            if ov is not None:
                overall.setdefault(g, []).append(ov)
    return groups, overall


def score_cells(report, groups, overall):
    """(table id, cell, the summary an independent computation expects) per score cell."""
    for table in report["scores"]:
        for cell in table["groups"]:
            vals = (overall if table["id"] == "overall" else
                    {g: v for (sid, g), v in groups.items() if sid == table["id"]}).get(
                        cell["group"], [])
            yield table["id"], cell, summary(vals)


def summary(values):
    x = [float(v) for v in values]
    out = {"n": len(x)}
    if x:
        out.update(mean=statistics.fmean(x), median=statistics.median(x), min=min(x), max=max(x))
        out["sd"] = statistics.stdev(x) if len(x) > 1 else None
        if len(x) > 1:
            out["q1"], _, out["q3"] = statistics.quantiles(x, n=4, method="inclusive")
    return out


def percentile(values, x):
    below = sum(1 for v in values if v < x)
    equal = sum(1 for v in values if v == x)
    return 100 * (below + equal / 2) / len(values)


class ReportsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.p = Pipeline().start()
        cls.qdef = load_json(ISA)
        cls.regions = members_regions()
        cls.files = synth(os.path.join(cls.p.root, "2025"))
        rc, _ = cls.p.submit(*cls.files)
        assert rc == 0
        cls.subs = {os.path.basename(f)[:-5]: load_json(f) for f in cls.files}
        # 2024: fewer members, all late (the test schedule's 2024 is past due).
        cls.files_2024 = synth(os.path.join(cls.p.root, "2024"), cycle="2024", seed=7,
                               only=sorted(cls.regions)[::2])
        rc, _ = cls.p.submit(*cls.files_2024)
        assert rc == 0
        cls.subs_2024 = {os.path.basename(f)[:-5]: load_json(f) for f in cls.files_2024}

    @classmethod
    def tearDownClass(cls):
        cls.p.close()

    def run_report(self, report, *args):
        return self.p.reporter(report, "--questionnaire", "integrity-self-assessment", *args)

    def close(self, got, want, what):
        if want is None:
            self.assertIsNone(got, what)
        else:
            self.assertAlmostEqual(got, want, delta=TOL * max(1, abs(want)), msg=what)

    def test_compare_scores(self):
        got = self.p.report()
        self.assertEqual(got["disclosure"]["min_group"], 1)
        self.assertFalse(got["disclosure"]["on"])
        groups, overall = score_groups(self.qdef, self.regions,
                                       {c: sub["answers"] for c, sub in self.subs.items()})
        checked = 0
        for tid, cell, want in score_cells(got, groups, overall):
            self.assertEqual(cell["n"], want["n"], tid + cell["group"])
            for k in ("mean", "median", "sd", "q1", "q3", "min", "max"):
                if k in want:
                    self.close(cell[k], want[k], f"{tid} {cell['group']} {k}")
                    checked += 1
        self.assertGreater(checked, 300)

    def test_member_profile(self):
        got = json.loads(self.run_report("member", "--cycle", "2025", "--member", "KE",
                                         "--min-group", "1", "--format", "json").stdout)
        self.assertEqual(got["member"]["code"], "KE")
        region = self.regions["KE"]
        q = "au_electronic_share"
        mine = self.subs["KE"]["answers"][q]
        world = [s["answers"][q] for s in self.subs.values()
                 if isinstance(s["answers"].get(q), (int, float))]
        reg = [s["answers"][q] for c, s in self.subs.items()
               if self.regions[c] == region and isinstance(s["answers"].get(q), (int, float))]
        line = next(x for x in got["questions"] if x["id"] == q)
        if isinstance(mine, (int, float)):
            self.close(line["value"], float(mine), "value")
            self.close(line["rank_world"], percentile(world, mine), "rank world")
            self.close(line["rank_region"], percentile(reg, mine), "rank region")
        self.close(line["world"]["mean"], statistics.fmean(world), "world mean")
        self.close(line["region"]["mean"], statistics.fmean(reg), "region mean")
        # Section scores and their ranks.
        per, ov = member_scores(self.qdef, self.subs["KE"]["answers"])
        all_ov = [member_scores(self.qdef, s["answers"])[1] for s in self.subs.values()]
        all_ov = [x for x in all_ov if x is not None]
        ovl = next(x for x in got["scores"] if x["id"] == "overall")
        self.close(ovl["value"], ov, "overall")
        self.close(ovl["rank_world"], percentile(all_ov, ov), "overall rank")
        self.assertIn("peers", got)

    def test_feedback_reveals_no_other_member(self):
        others = set(self.regions) - {"KE"}
        for fmt in ("text", "json"):
            out = self.run_report("member", "--cycle", "2025", "--member", "KE", "--feedback",
                                  "--min-group", "3", "--format", fmt).stdout
            found = {c for c in others if re.search(rf"\b{c}\b", out)}
            self.assertEqual(found, set(), f"{fmt} feedback names other members")
            if fmt == "json":
                doc = json.loads(out)
                self.assertNotIn("peers", doc)
                self.assertEqual(doc["report"], "member-feedback")
                # Figures only: no other member's value appears as a value field.
                for line in doc["questions"]:
                    self.assertEqual(set(line) - {"id", "answer", "value", "rank_region",
                                                  "rank_world", "region", "world"}, set())

    def test_completeness(self):
        got = json.loads(self.run_report("completeness", "--cycle", "2024",
                                         "--format", "json").stdout)
        by = {g["group"]: g for g in got["groups"]}
        for region in set(self.regions.values()) | {"World"}:
            expected = [c for c, r in self.regions.items() if region in (r, "World")]
            submitted = [c for c in expected if c in self.subs_2024]
            g = by[region]
            self.assertEqual(g["expected"], len(expected), region)
            self.assertEqual(g["late"], len(submitted), region)  # 2024 is past due
            self.assertEqual(g["on_time"], 0, region)
            self.assertEqual(sorted(g["missing"]), sorted(set(expected) - set(submitted)))
            self.assertEqual(g["revisions"], len(submitted))
        text = self.run_report("completeness", "--cycle", "2024").stdout
        self.assertIn("missing in Europe", text)

    def test_export_equals_input(self):
        out = self.run_report("export", "--cycle", "2025", "--format", "csv").stdout
        rows = list(csv.DictReader(io.StringIO(out)))
        questions = [q for s in self.qdef["sections"] for q in s["questions"]]
        self.assertEqual(len(rows), len(self.subs) * len(questions))
        for row in rows:
            want = self.subs[row["member"]]["answers"].get(row["question"])
            self.assertEqual(row["region"], self.regions[row["member"]])
            if want is None:
                self.assertEqual((row["special"], row["value"]), ("unanswered", ""))
            elif isinstance(want, dict):
                self.assertEqual((row["special"], row["value"]), (want["special"], ""))
            elif isinstance(want, bool):
                self.assertEqual(row["value"], "true" if want else "false")
            elif isinstance(want, list):
                # A multiple choice is a set: canonical form sorts its items.
                self.assertEqual(row["value"].split(";"), sorted(want))
            elif isinstance(want, float):
                self.assertAlmostEqual(float(row["value"]), want)
            else:
                self.assertEqual(row["value"], str(want))
            self.assertEqual(row["late"], "false")
        jl = self.run_report("export", "--format", "jsonl").stdout.splitlines()
        self.assertEqual(len(jl), (len(self.subs) + len(self.subs_2024)) * len(questions))
        self.assertTrue(all(json.loads(line)["late"] for line in jl
                            if json.loads(line)["cycle"] == "2024"))

    def test_in_place_equals_full_decode(self):
        """Every report, read in place or by protobuf-c: the same bytes."""
        q = ("--questionnaire", "integrity-self-assessment")
        runs = [("compare", "--cycle", "2025", "--members", "--format", f)
                for f in ("text", "json", "csv")]
        runs += [("compare", "--cycle", "2025", "--format", "html", "--member", "KE"),
                 ("member", "--cycle", "2025", "--member", "KE", "--format", "json"),
                 ("member", "--cycle", "2025", "--member", "KE", "--feedback"),
                 ("ranking", "--cycle", "2025", "--format", "csv"),
                 ("completeness", "--cycle", "2025", "--format", "json"),
                 ("export", "--cycle", "2025", "--format", "csv"),
                 ("export", "--format", "jsonl"),
                 ("trend", "--format", "json"),
                 ("quality", "--cycle", "2025", "--format", "csv")]
        for args in runs:
            fast = self.p.reporter(args[0], *q, *args[1:]).stdout
            full = self.p.reporter(args[0], *q, *args[1:], "--full-decode").stdout
            self.assertEqual(fast, full, " ".join(args))
            self.assertGreater(len(fast), 200, " ".join(args))

    def test_streamed_compare_equals_kept_rows(self):
        """compare without member rows keeps none, whatever the threads: the kept rows' figures."""
        q = ("--questionnaire", "integrity-self-assessment", "--cycle", "2025")
        kept = json.loads(self.p.reporter("compare", *q, "--members", "--format",
                                          "json").stdout)
        self.assertIn("members", kept)
        del kept["members"]
        for fmt in ("text", "json", "csv", "sdmx"):
            outs = {n: self.p.reporter("compare", *q, "--format", fmt, "--threads", n).stdout
                    for n in ("0", "1", "2", "3", "8")}
            outs["full"] = self.p.reporter("compare", *q, "--format", fmt,
                                           "--full-decode").stdout
            self.assertEqual(len(set(outs.values())), 1, fmt)
            if fmt == "json":
                self.assertEqual(unmarked(json.loads(outs["1"])), unmarked(kept))
        bad = self.p.reporter("compare", *q, "--threads", "9", check=False)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("threads", bad.stderr)

    def test_ranking(self):
        got = json.loads(self.run_report("ranking", "--cycle", "2025", "--format",
                                         "json").stdout)
        scores = {c: member_scores(self.qdef, s["answers"])[1] for c, s in self.subs.items()}
        ranked = sorted((v for v in scores.values() if v is not None), reverse=True)
        for line in got["ranking"]:
            s = scores[line["member"]]
            self.close(line["score"], s, line["member"])
            # Competition ranking: 1 + the number of strictly higher scores.
            self.assertEqual(line["rank"], 1 + sum(1 for v in ranked if v > s))

    def test_trend(self):
        # An unknown member is an error, not a row of dashes.
        for fmt in ("text", "json"):
            bad = self.p.reporter("trend", "--questionnaire", "integrity-self-assessment",
                                  "--member", "ZZ", "--format", fmt, check=False)
            self.assertEqual(bad.returncode, 1, bad.stdout)
            self.assertIn("no member ZZ in the registry", bad.stderr)
            self.assertEqual(bad.stdout, "")
        got = json.loads(self.run_report("trend", "--member", "KE", "--format", "json").stdout)
        self.assertEqual([c["cycle"] for c in got["cycles"]], ["2024", "2025"])
        series = next(s for s in got["series"] if s["id"] == "au_electronic_share")
        world = next(g for g in series["groups"] if g["group"] == "World")
        for i, subs in enumerate((self.subs_2024, self.subs)):
            vals = [s["answers"]["au_electronic_share"] for s in subs.values()
                    if isinstance(s["answers"].get("au_electronic_share"), (int, float))]
            self.close(world["values"][i], statistics.fmean(vals), f"cycle {i}")
        self.assertFalse(series["changed"])


class DisclosureTest(unittest.TestCase):
    """K = 3 with a region of two members: no figures, and a complementary cell hidden."""

    def test_small_region(self):
        with tempfile.TemporaryDirectory() as d:
            keys = KeyRing.shared()
            registry = os.path.join(d, "registry.csv")
            keys.write_registry(registry)
            rows = list(csv.reader(open(registry, encoding="utf-8")))
            for r in rows[1:]:
                if r[0] in ("FJ", "WS"):
                    r[2] = "Small Islands"
            with open(registry, "w", encoding="utf-8", newline="") as f:
                csv.writer(f).writerows(rows)
            p = Pipeline(root=d, registry=registry).start()
            try:
                # Small Islands 2, East and Southern Africa 4, Europe 3, Asia/Pacific 3.
                files = synth(os.path.join(d, "subs"), only=("FJ", "WS", "KE", "UG", "TZ", "MW",
                                                             "FR", "DE", "IT", "JP", "CN", "IN"))
                rc, _ = p.submit(*files)
                self.assertEqual(rc, 0)
                got = p.report(min_group=3)
                self.assertGreater(got["disclosure"]["suppressed_cells"], 0)
                q = next(x for x in got["questions"] if x["id"] == "au_electronic_share")
                cells = {c["group"]: c for c in q["groups"]}
                small = cells["Small Islands"]
                self.assertEqual(small["suppressed"], "min_n")
                # A hidden cell hides its counts as well as its figures.
                for key in ("mean", "n", "not_applicable", "dont_know"):
                    self.assertNotIn(key, small)
                self.assertIn("mean", cells["World"])
                # World's 12 answers do not reach K_order (10 is the default)... they do:
                self.assertIsNotNone(cells["World"]["median"])
                by = got["disclosure"]["by_rule"]
                self.assertEqual(sum(by.values()), got["disclosure"]["suppressed_cells"])
                text = p.report(fmt="text", min_group=3)
                self.assertIn("(suppressed: min_n)", text)
                self.assertIn("Disclosure control (docs/reports.md): figures need 3 members "
                              "answering (numbers 4)", text)
            finally:
                p.close()


class AsOfTest(unittest.TestCase):
    def test_as_of_equals_the_earlier_report(self):
        p = Pipeline().start()
        try:
            files = synth(os.path.join(p.root, "subs"), only=("KE", "FR", "JP", "BR", "DE"))
            rc, _ = p.submit(*files)
            self.assertEqual(rc, 0)
            before = {f: p.report(fmt=f) for f in ("json", "text", "csv")}
            seq = before["json"]["store"]["sequence"]
            sub = load_json(files[0])
            sub["answers"]["au_electronic_share"] = 12.5
            rc, _ = p.submit(write_json(os.path.join(p.root, "rev.json"), sub))
            self.assertEqual(rc, 0)
            after = p.report()
            self.assertNotEqual(after["store"]["sequence"], seq)
            for f in ("json", "text", "csv"):
                again = p.report(fmt=f, extra=("--as-of", str(seq)))
                # The same figures, marked confidential: positions can be differenced.
                self.assertEqual(unmarked(again), unmarked(before[f]), f)
                if f != "csv":
                    self.assertIn(CONFIDENTIAL, json.dumps(again) if f == "json" else again)
            beyond = p.reporter("compare", "--questionnaire", "integrity-self-assessment",
                                "--cycle", "2025", "--as-of", "999", check=False)
            self.assertEqual(beyond.returncode, 1)
            self.assertIn("beyond", beyond.stderr)
        finally:
            p.close()


class TrendChangeTest(unittest.TestCase):
    """A question whose definition changed between versions is flagged."""

    def test_changed_definition_flagged(self):
        with tempfile.TemporaryDirectory() as d:
            qdir = os.path.join(d, "q")
            shutil.copytree(QDIR, qdir)
            v2 = load_json(ISA)
            v2["version"] = 2
            for s in v2["sections"]:
                for q in s["questions"]:
                    if q["id"] == "lc_commitment":
                        q["levels"] = q["levels"][:4]  # a shorter scale
            write_json(os.path.join(qdir, "integrity-self-assessment.v2.json"), v2)
            p = Pipeline(root=d)
            p.start_aggregator()
            args = p.collector_args()
            args[args.index("--questionnaires") + 1] = qdir
            p.col = p._start("collector", args)
            try:
                a = synth(os.path.join(d, "a"), cycle="2024", only=("KE", "FR", "JP"))
                b = synth(os.path.join(d, "b"), cycle="2025", only=("KE", "FR", "JP"),
                          questionnaire=os.path.join(qdir, "integrity-self-assessment.v2.json"))
                rc, r = p.submit(*a, *b)
                self.assertEqual(rc, 0, r)
                got = json.loads(p.reporter("trend", "--questionnaire", "integrity-self-assessment",
                                            "--format", "json", qdir=qdir).stdout)
                self.assertEqual([c["version"] for c in got["cycles"]], [1, 2])
                by = {s["id"]: s for s in got["series"]}
                self.assertTrue(by["lc_commitment"]["changed"])
                self.assertIn("not comparable", by["lc_commitment"]["change_note"])
                self.assertFalse(by["au_electronic_share"]["changed"])
                self.assertTrue(by["leadership"]["changed"])  # its score uses lc_commitment
                text = p.reporter("trend", "--questionnaire", "integrity-self-assessment",
                                  qdir=qdir).stdout
                self.assertIn("! lc_commitment", text)
            finally:
                p.close()


    def test_lineage_followed(self):
        """Version 2 of the gender questionnaire renames a question (replaces), rewrites
        two scales (one declared "comparable": false, one relabelled), adds a question:
        trend follows the renamed question across both cycles, marks the rewritten
        ones not comparable, and diff lists every change."""
        gi = os.path.join(QDIR, "gender-integrity.v1.json")
        with tempfile.TemporaryDirectory() as d:
            qdir = os.path.join(d, "q")
            shutil.copytree(QDIR, qdir)
            v2 = load_json(gi)
            v2["version"] = 2
            for s in v2["sections"]:
                for q in s["questions"]:
                    if q["id"] == "gi_hr_staff_total":
                        q["id"] = "gi_hr_staff_count"
                        q["replaces"] = "gi_hr_staff_total"
                        q["change_from_previous"] = {"relative": 1}
                        q["text"] = {"en": "How many staff in all?",
                                     "fr": "Combien d'agents en tout ?"}
                    if q["id"] == "gi_rf_implementation":
                        q["comparable"] = False
                    if q["id"] == "gi_mo_implementation":
                        q["levels"][0]["label"] = {"en": "Not begun", "fr": "Pas commencé"}
                if s["id"] == "private_sector":
                    s["questions"].append({"id": "gi_ps_contacts", "type": "integer",
                                           "min": 0, "max": 1000,
                                           "text": {"en": "Contacts?", "fr": "Contacts ?"}})
            for r in v2["rules"]:
                r["expr"] = r["expr"].replace("gi_hr_staff_total", "gi_hr_staff_count")
            v2path = os.path.join(qdir, "gender-integrity.v2.json")
            write_json(v2path, v2)
            out = subprocess.run([os.path.join(BIN, "canvassctl"), "questionnaire", "diff",
                                  "--questionnaires", qdir, "gender-integrity", "1", "2"],
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(out.stdout.splitlines(), [
                "gender-integrity: version 1 -> 2",
                "not comparable gi_rf_implementation: its meaning changed (\"comparable\": "
                "false)",
                "renamed    gi_hr_staff_total -> gi_hr_staff_count: text reworded",
                "changed    gi_mo_implementation: scale levels changed",
                "added      gi_ps_contacts"])
            # Lineage is checked when the set loads: a replaces naming nothing is refused.
            bad_dir = os.path.join(d, "bad")
            shutil.copytree(qdir, bad_dir)
            bad = load_json(v2path)
            bad["sections"][0]["questions"][0]["replaces"] = "gi_nothing"
            write_json(os.path.join(bad_dir, "gender-integrity.v2.json"), bad)
            out = subprocess.run([os.path.join(BIN, "canvassctl"), "questionnaire", "diff",
                                  "--questionnaires", bad_dir, "gender-integrity", "1", "2"],
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(out.returncode, 1)
            self.assertIn("gender-integrity version 2: question gi_lc_considered replaces "
                          "gi_nothing, which version 1 does not have", out.stderr)
            p = Pipeline(root=d)
            p.start_aggregator()
            args = p.collector_args()
            args[args.index("--questionnaires") + 1] = qdir
            # 2024 opened before 2025: it is 2025's previous cycle.
            cycles = os.path.join(d, "lineage-cycles.json")
            write_json(cycles, {"cycles": [
                {"questionnaire": "gender-integrity", "cycle": c, "opens": o,
                 "due": "2099-12-31", "closes": "2099-12-31"}
                for c, o in (("2024", "2000-01-01"), ("2025", "2001-01-01"))]})
            args[args.index("--cycles") + 1] = cycles
            p.col = p._start("collector", args)
            try:
                a = synth(os.path.join(d, "a"), cycle="2024", questionnaire=gi,
                          only=("KE", "FR", "JP", "BR", "DE", "CN", "US", "IN"))
                for path in a:  # KE: 100 staff in 2024
                    sub = load_json(path)
                    if sub["member"] == "KE":
                        sub["answers"].update({"gi_hr_staff_total": 100,
                                               "gi_hr_staff_women": 40,
                                               "gi_hr_staff_men": 60})
                        write_json(path, sub)
                rc, r = p.submit(*a)
                self.assertEqual(rc, 0, r)
                b = synth(os.path.join(d, "b"), cycle="2025", questionnaire=gi,
                          only=("KE", "FR", "JP", "BR", "DE", "CN", "US", "IN"))
                for i, path in enumerate(b):  # the same answers, on version 2
                    sub = load_json(path)
                    sub["version"] = 2
                    ans = sub["answers"]
                    if "gi_hr_staff_total" in ans:
                        ans["gi_hr_staff_count"] = ans.pop("gi_hr_staff_total")
                    if sub["member"] == "KE":  # 5,000 in 2025: fifty times 2024's
                        ans.update({"gi_hr_staff_count": 5000, "gi_hr_staff_women": 2000,
                                    "gi_hr_staff_men": 3000})
                    ans["gi_ps_contacts"] = 10 + i
                    write_json(path, sub)
                rc, r = p.submit(*b)
                self.assertEqual(rc, 0, r)
                # The change check reads 2024 under the question's old id (lineage).
                ke = next(x for x in r if x["file"].endswith("KE.json"))
                changes = [x for x in ke["problems"] if x["code"] == "CHANGE_FROM_PREVIOUS"]
                self.assertEqual([(x["question"], x["value"], x["reference"]) for x in changes],
                                 [("gi_hr_staff_count", 5000, 100)], ke)
                # The quality report compares with 2024 the same way.
                quality = json.loads(p.reporter("quality", "--questionnaire", "gender-integrity",
                                                "--cycle", "2025", "--format", "json",
                                                qdir=qdir).stdout)
                found = [(x["member"], x["question"], x["value"], x["reference"])
                         for x in quality["findings"] if x["code"] == "CHANGE_FROM_PREVIOUS"]
                self.assertIn(("KE", "gi_hr_staff_count", 5000, 100), found)
                # export of every cycle: each on its own version (its own ids).
                rows = list(csv.DictReader(io.StringIO(p.reporter(
                    "export", "--questionnaire", "gender-integrity", "--format", "csv",
                    qdir=qdir).stdout)))
                ke = {(r["cycle"], r["question"]): r["value"] for r in rows
                      if r["member"] == "KE" and r["question"].startswith("gi_hr_staff_")}
                self.assertEqual(ke[("2024", "gi_hr_staff_total")], "100")
                self.assertEqual(ke[("2025", "gi_hr_staff_count")], "5000")
                self.assertNotIn(("2024", "gi_hr_staff_count"), ke)
                got = json.loads(p.reporter("trend", "--questionnaire", "gender-integrity",
                                            "--format", "json", "--min-group", "1",
                                            qdir=qdir).stdout)
                self.assertEqual([c["version"] for c in got["cycles"]], [1, 2])
                by = {s["id"]: s for s in got["series"]}
                self.assertNotIn("gi_hr_staff_total", by)
                count = by["gi_hr_staff_count"]
                self.assertFalse(count["changed"], count.get("change_note"))
                old = json.loads(p.reporter("compare", "--questionnaire", "gender-integrity",
                                            "--cycle", "2024", "--format", "json",
                                            "--min-group", "1", qdir=qdir).stdout)
                want = next(g["mean"] for t in old["questions"] if t["id"] == "gi_hr_staff_total"
                            for g in t["groups"] if g["group"] == "World")
                world = next(g for g in count["groups"] if g["group"] == "World")
                self.assertAlmostEqual(world["values"][0], want, places=6)
                self.assertIsNotNone(world["values"][1])
                self.assertTrue(by["gi_rf_implementation"]["changed"])
                self.assertIn("meaning changed", by["gi_rf_implementation"]["change_note"])
                self.assertTrue(by["gi_mo_implementation"]["changed"])
                self.assertIn("not comparable", by["gi_mo_implementation"]["change_note"])
                self.assertFalse(by["gi_lc_implementation"]["changed"])
                self.assertIn("not asked in cycle 2024", by["gi_ps_contacts"]["change_note"])
            finally:
                p.close()


class HtmlTest(unittest.TestCase):
    """The HTML report renders in headless Chromium: screenshot kept under build/."""

    def test_render(self):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium is None:
            self.skipTest("chromium is not installed (sh scripts/setup.sh --test installs it)")
        p = Pipeline().start()
        try:
            files = synth(os.path.join(p.root, "subs"))
            rc, _ = p.submit(*files)
            self.assertEqual(rc, 0)
            html = p.report(fmt="html", min_group=3, extra=("--member", "KE", "--members"))
            os.makedirs(ARTIFACTS, exist_ok=True)
            page = os.path.join(ARTIFACTS, "compare.html")
            with open(page, "w", encoding="utf-8") as f:
                f.write(html)
            self.assertNotIn("<script", html)
            self.assertNotRegex(html, r"(src|href)=\"https?:")
            shot = os.path.join(ARTIFACTS, "compare.png")
            if os.path.exists(shot):
                os.unlink(shot)
            profile = os.path.join(p.root, "chromium")
            flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     f"--user-data-dir={profile}", "--hide-scrollbars"]
            out = subprocess.run([chromium, *flags, f"--screenshot={shot}",
                                  "--window-size=1100,2400", "file://" + page],
                                 capture_output=True, text=True, timeout=180)
            self.assertEqual(out.returncode, 0, out.stderr[-2000:])
            self.assertTrue(os.path.getsize(shot) > 20000, "the screenshot is (nearly) empty")
            dom = subprocess.run([chromium, *flags, "--dump-dom", "file://" + page],
                                 capture_output=True, text=True, timeout=180)
            self.assertEqual(dom.returncode, 0)
            self.assertGreaterEqual(dom.stdout.count("<svg"), 4 + 1)
            self.assertIn("Completeness by region", dom.stdout)
            self.assertIn("Members × sections", dom.stdout)
            print(f"\nHTML report rendered: {shot}", flush=True)
        finally:
            p.close()


class FormulaInjectionTest(unittest.TestCase):
    """Free text that a spreadsheet would run as a formula is neutralised in CSV
    (OWASP: quoted, a single quote before it); JSON Lines keeps it exactly."""

    def test_export_neutralises_formulas(self):
        p = Pipeline().start()
        try:
            texts = {"KE": "=HYPERLINK(\"http://x\",\"y\")", "FR": "+1+2", "JP": "-3+4",
                     "BR": "@SUM(A1)", "DE": "\tindented", "CN": "\rreturn", "IN": "plain, text"}
            files = synth(os.path.join(p.root, "subs"), only=tuple(texts))
            for path in files:
                sub = load_json(path)
                sub["answers"]["ps_notes"] = texts[sub["member"]]
                write_json(path, sub)
            rc, r = p.submit(*files)
            self.assertEqual(rc, 0, r)
            # Bytes, not text mode: universal newlines would turn the CR into LF.
            raw = subprocess.run(
                [os.path.join(BIN, "canvass-reporter"), "export", "--data", p.data,
                 "--registry", p.registry, "--questionnaires", QDIR, "--questionnaire",
                 "integrity-self-assessment", "--cycle", "2025", "--format", "csv"],
                capture_output=True, timeout=120, check=True).stdout
            out = raw.decode("utf-8")
            rows = {r["member"]: r["value"]
                    for r in csv.DictReader(io.StringIO(out, newline=""))
                    if r["question"] == "ps_notes"}
            for member, text in texts.items():
                want = text if member == "IN" else "'" + text
                self.assertEqual(rows[member], want, member)
            # The raw file: a neutralised cell is quoted and starts with '.
            self.assertIn('"\'=HYPERLINK(""http://x"",""y"")"', out)
            lines = p.reporter("export", "--questionnaire", "integrity-self-assessment",
                               "--cycle", "2025", "--format", "jsonl").stdout.splitlines()
            got = {d["member"]: d["value"] for d in map(json.loads, lines)
                   if d["question"] == "ps_notes"}
            self.assertEqual(got, texts)
        finally:
            p.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
