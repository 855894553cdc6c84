"""Quality checks through the real daemons, with CURVE: a two-cycle scenario
(2024 then 2025) on the shipped integrity questionnaire, where chosen members
submit a 100x jump, a fraction typed for a percentage (below the soft range)
and a strong outlier. Each receipt, and the dry run before it, must carry
exactly the findings an independent Python computation expects of the
member's own data (SOFT_RANGE, CHANGE_FROM_PREVIOUS), never an OUTLIER (it
would tell the member about the others' answers: the aggregator counts it,
by group, and the quality report lists it), honest returns none, and nothing
about another member. Then the quality report must equal the same
computation, OUTLIER included, over the stored data (read back with export).
"""
import csv
import io
import json
import os
import re
import signal
import statistics
import subprocess
import unittest
import urllib.request

from test_strict import pb, strict_decode
from pipeline import BIN, ISA, MEMBERS, Pipeline, synth, wait_for, write_json

CHECKED = {}  # question id -> its definition
with open(ISA, encoding="utf-8") as f:
    DEF = json.load(f)
for _s in DEF["sections"]:
    for _q in _s["questions"]:
        if any(k in _q for k in ("warn_below", "warn_above", "change_from_previous", "outlier")):
            CHECKED[_q["id"]] = _q
with open(MEMBERS, encoding="utf-8", newline="") as f:
    REGION = {m["code"]: m["region"] for m in csv.DictReader(f)}

JUMP, FRACTION, OUTLYING, SAME = "KE", "FR", "BR", "JP"


# ------------------------------------------------------------ the oracle

def number(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def modified_z(x, sample):
    med = statistics.median(sample)
    mad = statistics.median([abs(v - med) for v in sample])
    if mad > 0:
        return med, 0.6745 * (x - med) / mad
    mean_ad = sum(abs(v - med) for v in sample) / len(sample)
    return med, (x - med) / (1.253314 * mean_ad) if mean_ad > 0 else 0.0


def expected_findings(member, answers, current, previous):
    """What a receipt must say of member's answers, given every member's current
    numbers (current[q][code], the member's own included) and its previous ones."""
    out = []
    for qid, q in CHECKED.items():
        x = number(answers.get(qid))
        if x is None:
            continue
        if "warn_below" in q and x < q["warn_below"]:
            out.append(("SOFT_RANGE", qid, x, q["warn_below"], None, None, None))
        elif "warn_above" in q and x > q["warn_above"]:
            out.append(("SOFT_RANGE", qid, x, q["warn_above"], None, None, None))
        ch = q.get("change_from_previous")
        p = number(previous.get(member, {}).get(qid)) if ch else None
        if p is not None:
            d = abs(x - p)
            over = ("absolute" not in ch or d > ch["absolute"]) and \
                ("relative" not in ch or (d / abs(p) > ch["relative"] if p else d > 0))
            if over:
                out.append(("CHANGE_FROM_PREVIOUS", qid, x, p, d / abs(p) if p else 0.0,
                            "2024", None))
        if "outlier" in q:
            z_max = q["outlier"].get("threshold", 3.5)
            least = q["outlier"].get("min_answers", 10)
            groups = [("world", list(current[qid].values()))]
            region = REGION[member]
            groups.append((region, [v for c, v in current[qid].items() if REGION[c] == region]))
            for name, sample in groups:
                if len(sample) < least:
                    continue
                med, z = modified_z(x, sample)
                if abs(z) > z_max:
                    out.append(("OUTLIER", qid, x, med, z, name, len(sample)))
    return sorted(out, key=lambda f: (f[0], f[1], f[5] or ""))


def received(reply):
    """The quality findings of a reply, in the oracle's shape."""
    out = []
    for p in reply.get("problems", []):
        if p["code"] not in ("SOFT_RANGE", "CHANGE_FROM_PREVIOUS", "OUTLIER"):
            continue
        assert p["severity"] == "warning", p
        out.append((p["code"], p["question"], p["value"], p["reference"], p.get("score"),
                    p.get("group"), p.get("group_size")))
    return sorted(out, key=lambda f: (f[0], f[1], f[5] or ""))


def to_member(findings):
    """What a member may be told: its own data's findings, no OUTLIER."""
    return [f for f in findings if f[0] != "OUTLIER"]


def same(got, want):
    if len(got) != len(want):
        return False
    for g, w in zip(got, want):
        if g[:2] != w[:2] or abs(g[2] - w[2]) > 1e-9 or abs(g[3] - w[3]) > 1e-9:
            return False
        if w[0] == "OUTLIER" and (abs(g[4] - w[4]) > 1e-6 or g[5:] != w[5:]):
            return False
        if w[0] == "CHANGE_FROM_PREVIOUS" and (abs(g[4] - w[4]) > 1e-9 or g[5] != w[5]):
            return False
    return True


def calm(answers, code):
    """Honest numbers for the outlier-checked questions: 60, 61 or 62, by the
    member's place in the list, so that no honest return is an outlier in any
    group at any time of arrival (the data are fixed: this holds every run)."""
    place = sorted(REGION).index(code)
    for qid, q in CHECKED.items():
        if "outlier" in q and number(answers.get(qid)) is not None:
            answers[qid] = 60 + place % 3


class QualityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.p = Pipeline()
        # 2024 opened before 2025: it is 2025's previous cycle.
        cls.p.cycles = write_json(os.path.join(cls.p.root, "cycles.json"), {"cycles": [
            {"questionnaire": "integrity-self-assessment", "cycle": c, "opens": f"{c}-01-01",
             "due": "2099-12-31", "closes": "2099-12-31"} for c in ("2024", "2025")]})
        cls.p.start_aggregator("--http", "127.0.0.1:0")
        cls.p.start_collector("--http", "127.0.0.1:0")
        cls.codes = sorted(REGION)
        cls.sent = {}  # findings the collector sent us, by code
        cls.data = {}
        for cycle in ("2024", "2025"):
            files = synth(os.path.join(cls.p.root, cycle), cycle=cycle)
            for path in files:
                with open(path, encoding="utf-8") as f:
                    sub = json.load(f)
                calm(sub["answers"], sub["member"])
                cls.data[(cycle, sub["member"])] = sub
        # The chosen members' answers in 2024 and what they send in 2025.
        cls.data[("2024", JUMP)]["answers"]["ps_aeo_operators"] = 40
        cls.data[("2025", JUMP)]["answers"]["ps_aeo_operators"] = 4000
        cls.data[("2025", FRACTION)]["answers"]["au_electronic_share"] = 0.85
        cls.data[("2025", OUTLYING)]["answers"]["tr_advance_rulings_days"] = 149
        # One return answers every scale question with level 2.
        same = cls.data[("2025", SAME)]["answers"]
        for q in (q for s in DEF["sections"] for q in s["questions"]):
            if q["type"] == "scale" and applies(q, same):
                same[q["id"]] = 2

    @classmethod
    def tearDownClass(cls):
        cls.p.close()

    def send(self, cycle, code, check=False):
        path = write_json(os.path.join(self.p.root, f"{cycle}-{code}.json"),
                          self.data[(cycle, code)])
        rc, replies = self.p.submit_as(code, path, extra=("--check",) if check else ())
        self.assertEqual(len(replies), 1, (code, rc))
        for f in received(replies[0]):
            self.sent[f[0]] = self.sent.get(f[0], 0) + 1
        return replies[0]

    def assertNothingOfOthers(self, code, reply):
        """No other member's code anywhere in what the member reads."""
        text = json.dumps(reply)
        for other in self.codes:
            if other != code:
                self.assertNotIn(f'"{other}"', text)
                self.assertNotIn(f" {other} ", text)
        for p in reply.get("problems", []):
            self.assertNotIn("member", p)

    def test_receipts_dry_runs_and_the_report(self):
        current = {qid: {} for qid in CHECKED}
        previous = {}

        def record(cycle, code):
            answers = self.data[(cycle, code)]["answers"]
            if cycle == "2024":
                previous[code] = answers
                return
            for qid in CHECKED:
                x = number(answers.get(qid))
                if x is None:
                    current[qid].pop(code, None)
                else:
                    current[qid][code] = x

        for code in self.codes:
            r = self.send("2024", code)
            self.assertEqual(r["status"], "ACCEPTED", r)
            record("2024", code)
        # Honest 2025 returns first: none carries a finding.
        chosen = (JUMP, FRACTION, OUTLYING)
        honest = 0
        for code in self.codes:
            if code in chosen:
                continue
            r = self.send("2025", code)
            self.assertEqual(r["status"], "ACCEPTED", r)
            record("2025", code)
            self.assertEqual(received(r), [], code)
            honest += 1
        self.assertEqual(honest, 184)
        honest_position = json.loads(self.p.reporter(
            "quality", "--questionnaire", "integrity-self-assessment", "--cycle", "2025",
            "--format", "json").stdout)["store"]["sequence"]

        seen = {}
        for code in chosen:
            answers = self.data[("2025", code)]["answers"]
            trial = {q: dict(v) for q, v in current.items()}
            for qid in CHECKED:
                x = number(answers.get(qid))
                if x is not None:
                    trial[qid][code] = x
            want = expected_findings(code, answers, trial, previous)
            dry = self.send("2025", code, check=True)
            self.assertEqual(dry["status"], "VALID", dry)
            self.assertNotIn("receipt", dry)
            got = self.send("2025", code)
            self.assertEqual(got["status"], "ACCEPTED", got)
            record("2025", code)
            mine = to_member(want)
            self.assertTrue(same(received(dry), mine), (code, received(dry), mine))
            self.assertTrue(same(received(got), mine), (code, received(got), mine))
            if mine:
                self.assertIn("stored, with", got["message"])
            else:  # BR: its only findings were outliers, which it is not told
                self.assertNotIn("warning", got["message"])
            self.assertNothingOfOthers(code, dry)
            self.assertNothingOfOthers(code, got)
            seen[code] = {(f[0], f[5]) for f in want}

        # The scenario gives what it was built to give.
        self.assertEqual(seen[JUMP], {("CHANGE_FROM_PREVIOUS", "2024")})
        self.assertIn(("SOFT_RANGE", None), seen[FRACTION])
        self.assertIn(("OUTLIER", "world"), seen[FRACTION])
        self.assertEqual(seen[OUTLYING], {("OUTLIER", "world"),
                                          ("OUTLIER", REGION[OUTLYING])})
        jump = [p for p in self.send("2025", JUMP, check=True)["problems"]
                if p["code"] == "CHANGE_FROM_PREVIOUS"]
        self.assertEqual(jump[0]["message"], "4000 against 40 in cycle 2024, +9900%: check it")

        # A resend is a DUPLICATE with the same findings; a revision back to an
        # honest number carries none.
        r = self.send("2025", JUMP)
        self.assertEqual(r["status"], "DUPLICATE")
        self.assertEqual([f[0] for f in received(r)], ["CHANGE_FROM_PREVIOUS"])
        # The same reply, read by another protobuf library from the .proto alone.
        out = subprocess.run([os.path.join(BIN, "canvass-poke"), "--connect", self.p.col_ep,
                              "--key", self.p.keys.key(JUMP), "--server-key",
                              self.p.keys.pub("collector"),
                              "valid:" + os.path.join(self.p.root, f"2025-{JUMP}.json")],
                             capture_output=True, text=True, timeout=120, check=True)
        raw = json.loads(out.stdout.splitlines()[0])["raw"][0]
        reply = strict_decode(raw)
        self.assertEqual(pb().Status.Name(reply.status), "DUPLICATE")
        self.sent["CHANGE_FROM_PREVIOUS"] += 1
        change = [p for p in reply.problems if p.code == "CHANGE_FROM_PREVIOUS"][0]
        self.assertEqual((change.question, change.value, change.reference, change.score,
                          change.group, change.group_size),
                         ("ps_aeo_operators", 4000.0, 40.0, 99.0, "2024", 0))
        self.assertEqual(pb().Severity.Name(change.severity), "SEVERITY_WARNING")

        # The groups live in memory only: after kill -9 they are read back from
        # the store, and the same return gets the same findings.
        before = {c: received(self.send("2025", c, check=True)) for c in chosen}
        self.p.stop_proc(self.p.agg, signal.SIGKILL)
        self.p.start_aggregator("--http", "127.0.0.1:0")
        for c in chosen:
            dry = self.send("2025", c, check=True)
            self.assertEqual(dry["status"], "VALID", dry)
            self.assertEqual(received(dry), before[c], c)
        self.check_report()
        # --as-of: the report as it stood before the chosen three were stored.
        before = json.loads(self.p.reporter(
            "quality", "--questionnaire", "integrity-self-assessment", "--cycle", "2025",
            "--format", "json", "--as-of", str(honest_position)).stdout)
        self.assertEqual(before["store"]["sequence"], honest_position)
        self.assertEqual(before["returns"], 184)
        self.assertEqual([f for f in before["findings"]
                          if f["member"] in (JUMP, FRACTION, OUTLYING)], [])
        self.check_registry_reload()
        self.check_metrics()

    def check_metrics(self):
        """Every finding the collector sent is counted by code; the aggregator's too."""
        def scrape(name):
            http = self.p.ready[name]["http"]
            with urllib.request.urlopen(f"http://{http}/metrics", timeout=10) as r:
                return r.read().decode()
        col = scrape("collector")
        for code in ("SOFT_RANGE", "CHANGE_FROM_PREVIOUS", "OUTLIER"):
            self.assertIn(f'canvass_collector_findings_total{{code="{code}"}} '
                          f'{self.sent.get(code, 0)}\n', col)
        self.assertEqual(self.sent.get("OUTLIER", 0), 0)  # never sent to a member
        agg = scrape("aggregator")  # restarted by the kill -9 above: counts since then
        outliers = re.search(r'canvass_aggregator_findings_total\{code="OUTLIER"\} (\d+)', agg)
        self.assertGreater(int(outliers.group(1)), 0)
        valid = re.search(r'canvass_aggregator_submissions_total\{result="valid"\} (\d+)', agg)
        self.assertGreater(int(valid.group(1)), 0)
        values = re.search(r"canvass_aggregator_check_values (\d+)", agg)
        self.assertGreater(int(values.group(1)), 187)

    def test_check_reports_and_refuses_definitions(self):
        """canvassctl check counts the checked questions and refuses a bad check."""
        ctl = os.path.join(BIN, "canvassctl")
        out = subprocess.run([ctl, "check", "--questionnaires", os.path.dirname(ISA)],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("questionnaire integrity-self-assessment version 1: 10 sections, "
                      "35 questions, 2 conditions, 4 rules, 10 questions with quality checks",
                      out.stdout)
        bad_dir = os.path.join(self.p.root, "bad-definitions")
        os.makedirs(bad_dir, exist_ok=True)
        bad = json.loads(json.dumps(DEF))
        bad["sections"][0]["questions"][0]["outlier"] = {"threshold": 0}  # lc_strategy, yes/no
        write_json(os.path.join(bad_dir, "isa.json"), bad)
        out = subprocess.run([ctl, "check", "--questionnaires", bad_dir],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 1)
        self.assertIn("$.sections[0].questions[0]: warn_below, warn_above, change_from_previous "
                      "and outlier apply to integer, number and scale questions only",
                      out.stdout + out.stderr)

    def check_registry_reload(self):
        """The aggregator's registry gives the regions; SIGHUP re-reads it."""
        log = os.path.join(self.p.root, "aggregator.log")

        def reloads(event):
            return sum(1 for line in open(log, encoding="utf-8") if f" event={event} " in line
                       or line.rstrip().endswith(f" event={event}"))

        def groups(code):
            """The groups the aggregator found code an outlier in (its metric)."""
            def counts():
                http = self.p.ready["aggregator"]["http"]
                with urllib.request.urlopen(f"http://{http}/metrics", timeout=10) as r:
                    text = r.read().decode()
                return {g: int(n) for g, n in re.findall(
                    r'canvass_aggregator_outliers_total\{group="([^"]+)"\} (\d+)', text)}
            before = counts()
            dry = self.send("2025", code, check=True)
            self.assertEqual(dry["status"], "VALID", dry)
            self.assertEqual([f for f in received(dry) if f[0] == "OUTLIER"], [])
            after = counts()
            return {g for g, n in after.items() if n > before.get(g, 0)}

        self.assertEqual(groups(OUTLYING), {"world", REGION[OUTLYING]})
        with open(self.p.registry, encoding="utf-8") as f:
            original = f.read()
        try:
            # BR moves to Europe: its outlier is now tested against Europe.
            with open(self.p.registry, "w", encoding="utf-8") as f:
                f.write(moved(original, OUTLYING, "Europe"))
            ok = reloads("reloaded")
            self.p.agg.send_signal(signal.SIGHUP)
            wait_for(lambda: reloads("reloaded") > ok, "the aggregator's reload")
            self.assertEqual(groups(OUTLYING), {"world", "Europe"})
            # A registry that does not load is refused; the one in force stays.
            with open(self.p.registry, "w", encoding="utf-8") as f:
                f.write("code,name\n")
            bad = reloads("reload_refused")
            self.p.agg.send_signal(signal.SIGHUP)
            wait_for(lambda: reloads("reload_refused") > bad, "the refused reload")
            self.assertEqual(groups(OUTLYING), {"world", "Europe"})
        finally:
            with open(self.p.registry, "w", encoding="utf-8") as f:
                f.write(original)
        ok = reloads("reloaded")
        self.p.agg.send_signal(signal.SIGHUP)
        wait_for(lambda: reloads("reloaded") > ok, "the aggregator's reload")
        self.assertEqual(groups(OUTLYING), {"world", REGION[OUTLYING]})

    def check_report(self):
        out = self.p.reporter("export", "--questionnaire", "integrity-self-assessment",
                              "--format", "jsonl")
        stored = {}
        for line in out.stdout.splitlines():
            row = json.loads(line)
            if row["special"] == "unanswered":
                continue  # unanswered
            value = row["value"] if row["special"] == "" else {"special": row["special"]}
            stored.setdefault(row["cycle"], {}).setdefault(row["member"], {})[row["question"]] = value
        final = stored["2025"]
        current = {qid: {c: number(a.get(qid)) for c, a in final.items()
                         if number(a.get(qid)) is not None} for qid in CHECKED}
        want = []
        for code, answers in sorted(final.items()):
            for f in expected_findings(code, answers, current, stored["2024"]):
                want.append((code,) + f)
        report = json.loads(self.p.reporter(
            "quality", "--questionnaire", "integrity-self-assessment", "--cycle", "2025",
            "--format", "json").stdout)
        self.assertEqual(report["report"], "quality")
        self.assertEqual(report["previous_cycle"], "2024")
        self.assertEqual(report["returns"], 187)
        self.assertEqual(report["classification"],
                         "CONFIDENTIAL: for the Secretariat only, not for publication")
        got = sorted((f["member"], f["code"], f["question"], f["value"], f["reference"],
                      f["score"], f["group"] if f["code"] != "SOFT_RANGE" else None,
                      f["n"] if f["code"] == "OUTLIER" else None)
                     for f in report["findings"]
                     if f["code"] in ("SOFT_RANGE", "CHANGE_FROM_PREVIOUS", "OUTLIER"))
        want = sorted((w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]) for w in want)
        self.assertEqual(len(got), len(want), (got, want))
        for g, w in zip(got, want):
            self.assertEqual(g[:3] + (g[6], g[7]), w[:3] + (w[6], w[7]))
            self.assertAlmostEqual(g[3], w[3], places=9)
            self.assertAlmostEqual(g[4], w[4], places=9)
            if w[5] is not None:
                self.assertAlmostEqual(g[5], w[5], places=6)
        self.assertGreaterEqual(len(got), 4)

        # Questions with many "don't know" / "not applicable", and one-level returns.
        specials, levels = oracle_cycle_wide(final, report["special_rate_threshold"])
        self.assertEqual(sorted((f["question"], f["n"], round(f["value"], 9))
                                for f in report["findings"]
                                if f["code"] == "HIGH_SPECIAL_RATE"), specials)
        self.assertEqual(sorted((f["member"], f["value"], f["n"]) for f in report["findings"]
                                if f["code"] == "SAME_LEVEL"), levels)
        self.assertIn(SAME, [m for m, _, _ in levels])
        self.assertEqual(sum(report["counts"].values()), len(report["findings"]))

        # The other formats list the same findings.
        text = self.p.reporter("quality", "--questionnaire", "integrity-self-assessment",
                               "--cycle", "2025").stdout
        self.assertIn(f"findings: {len(report['findings'])}", text)
        rows = list(csv.DictReader(io.StringIO(self.p.reporter(
            "quality", "--questionnaire", "integrity-self-assessment", "--cycle", "2025",
            "--format", "csv").stdout)))
        self.assertEqual([(r["code"], r["member"], r["question"]) for r in rows],
                         [(f["code"], f["member"] or "", f["question"] or "")
                          for f in report["findings"]])
        # A lower threshold finds more questions; "none" drops the change check.
        low = json.loads(self.p.reporter(
            "quality", "--questionnaire", "integrity-self-assessment", "--cycle", "2025",
            "--format", "json", "--special-rate", "0.01").stdout)
        self.assertEqual(sorted((f["question"], f["n"], round(f["value"], 9))
                                for f in low["findings"] if f["code"] == "HIGH_SPECIAL_RATE"),
                         oracle_cycle_wide(final, 0.01)[0])
        none = json.loads(self.p.reporter(
            "quality", "--questionnaire", "integrity-self-assessment", "--cycle", "2025",
            "--format", "json", "--previous-cycle", "none").stdout)
        self.assertIsNone(none["previous_cycle"])
        self.assertEqual(none["counts"]["CHANGE_FROM_PREVIOUS"], 0)
        self.assertEqual(report["counts"]["CHANGE_FROM_PREVIOUS"], 1)
        bad = self.p.reporter("quality", "--questionnaire", "integrity-self-assessment",
                              "--cycle", "2025", "--special-rate", "1.5", check=False)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--special-rate must be a share above 0 and at most 1", bad.stderr)
        # A cycle without a finding (no returns at all): an empty report, exit 0; the
        # sanitizer build aborted here once (qsort of no findings from NULL).
        for fmt in ("json", "text", "csv"):
            empty = self.p.reporter("quality", "--questionnaire", "integrity-self-assessment",
                                    "--cycle", "2030", "--format", fmt, "--previous-cycle",
                                    "none", check=False)
            self.assertEqual(empty.returncode, 0, empty.stderr)
            if fmt == "json":
                got = json.loads(empty.stdout)
                self.assertEqual(got["findings"], [])
                self.assertEqual(got["returns"], 0)


def moved(registry_text, code, region):
    """The registry CSV with code's region changed."""
    rows = list(csv.reader(io.StringIO(registry_text)))
    for row in rows[1:]:
        if row and row[0] == code:
            row[2] = region
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def applies(q, answers):
    return "when" not in q or answers.get(q["when"]) is True


def oracle_cycle_wide(final, threshold):
    questions = [q for s in DEF["sections"] for q in s["questions"]]
    specials = []
    for q in questions:
        if not (q.get("allow_dont_know") or q.get("allow_not_applicable")):
            continue
        given = [a[q["id"]] for a in final.values() if q["id"] in a and applies(q, a)]
        n_special = sum(1 for v in given if isinstance(v, dict))
        if given and n_special / len(given) >= threshold:
            specials.append((q["id"], len(given), round(n_special / len(given), 9)))
    levels = []
    scales = [q for q in questions if q["type"] == "scale"]
    for code, a in final.items():
        vals = [a.get(q["id"]) for q in scales if applies(q, a)]
        if len(vals) >= 3 and all(number(v) is not None for v in vals) and len(set(vals)) == 1:
            levels.append((code, float(vals[0]), len(vals)))
    return sorted(specials), sorted(levels)


if __name__ == "__main__":
    unittest.main(verbosity=2)
