"""canvassctl questionnaire export: each shipped definition, and one written
here with every key of the format (plain texts, every question type, every
check and score), as an XLSForm workbook read back with openpyxl: the
survey, choices, settings and rules sheets and their columns
(docs/questionnaires.md, "Designing in a spreadsheet"), every question,
option, level and rule with its values, conditions and rules in XLSForm's
syntax. And what it refuses: an existing file (left as it was), an unknown
questionnaire, a string no XLSForm quote can hold (nothing written).
"""
import json
import os
import subprocess
import tempfile
import unittest

import openpyxl

from pipeline import BIN, QDIR, write_json

CTL = os.path.join(BIN, "canvassctl")

# The survey columns, in order, after type, name and the labels.
SURVEY_TAIL = ["required", "relevant", "canvass_type", "min", "max", "unit", "max_length",
               "allow_not_applicable", "allow_dont_know", "warn_below", "warn_above",
               "change_relative", "change_absolute", "outlier", "outlier_threshold",
               "outlier_min_answers", "score", "score_weight", "score_yes", "score_no",
               "score_zero", "score_full"]
LANG = {"en": "English (en)", "fr": "French (fr)"}
XLS_TYPE = {"integer": "integer", "number": "decimal", "text": "text"}

# Every key of the format, with plain texts (no languages).
PLAIN = {
    "id": "all-keys", "version": 3, "title": "Every key",
    "sections": [
        {"id": "one", "title": "One", "questions": [
            {"id": "agree", "type": "yes_no", "text": "Agree?", "required": False,
             "score": {"weight": 2, "yes": 1, "no": 0.25}},
            {"id": "count", "type": "integer", "text": "How many?", "min": 0, "max": 500,
             "unit": "staff", "allow_not_applicable": True, "allow_dont_know": True,
             "warn_below": 1, "warn_above": 400,
             "change_from_previous": {"relative": 0.5, "absolute": 10},
             "outlier": {"threshold": 3, "min_answers": 8}, "when": "agree"},
            {"id": "share", "type": "number", "text": "Share?", "min": 0, "max": 100,
             "score": {"zero": 10, "full": 90}, "outlier": {}},
            {"id": "level", "type": "scale", "text": "Level?", "score": {},
             "change_from_previous": {"absolute": 1},
             "levels": [{"value": 1, "label": "Low"}, {"value": 3, "label": "High"}]},
            {"id": "kind", "type": "choice", "text": "Kind?", "score": {"weight": 1},
             "options": [{"id": "a", "label": "A", "score": 0}, {"id": "b", "label": "B",
                                                                  "score": 1}]},
            {"id": "ways", "type": "multi_choice", "text": "Ways?",
             "options": [{"id": "x", "label": "X"}, {"id": "y", "label": "Y"}]},
            {"id": "notes", "type": "text", "text": "Notes?", "max_length": 2000,
             "when": "not agree or answered(count) and selected(ways, \"y\")"}]}],
    "rules": [{"id": "r1", "expr": "count / 2 <= share and kind == \"a\"", "severity": "warning",
               "message": "Check the count"}],
}


def run(*args):
    return subprocess.run([CTL, *args], capture_output=True, text=True, timeout=60)


def rows(ws):
    """The sheet's rows as dicts of its header's columns (empty cells left out)."""
    values = list(ws.iter_rows(values_only=True))
    header = list(values[0])
    return header, [{h: v for h, v in zip(header, r) if v is not None} for r in values[1:]]


class ExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="canvass-xlsform-")
        cls.qdir = os.path.join(cls.tmp.name, "q")
        os.makedirs(cls.qdir)
        write_json(os.path.join(cls.qdir, "all-keys.v3.json"), PLAIN)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def export(self, qdir, qid, *extra):
        out = os.path.join(self.tmp.name, f"{qid}{'-'.join(extra)}.xlsx")
        r = run("questionnaire", "export", "--questionnaires", qdir, "--out", out, *extra, qid)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"-> {out}", r.stdout)
        return openpyxl.load_workbook(out)

    def check_workbook(self, wb, doc, relevant, rules):
        """wb against the definition doc; relevant and rules: id -> expected XLSForm."""
        self.assertEqual(wb.sheetnames, ["survey", "choices", "settings", "rules"])
        langs = doc.get("languages")
        labels = [f"label::{LANG[l]}" for l in langs] if langs else ["label"]
        header, survey = rows(wb["survey"])
        self.assertEqual(header, ["type", "name"] + labels + SURVEY_TAIL)
        _, choices = rows(wb["choices"])
        _, settings = rows(wb["settings"])
        _, rule_rows = rows(wb["rules"])

        def text(v, lang):
            return v if isinstance(v, str) else v[lang]

        def label_cells(row, value):
            for l, col in zip(langs or ["en"], labels):
                self.assertEqual(row[col], text(value, l), (row.get("name"), col))
        by_name = {r["name"]: r for r in survey if "name" in r}
        for sec in doc["sections"]:
            self.assertEqual(by_name[sec["id"]]["type"], "begin_group")
            label_cells(by_name[sec["id"]], sec["title"])
            for q in sec["questions"]:
                row = by_name[q["id"]]
                t = q["type"]
                if t == "yes_no":
                    self.assertRegex(row["type"], r"^select_one yes_no_*$")
                    self.assertEqual(row["canvass_type"], "yes_no")
                elif t in ("choice", "scale"):
                    self.assertEqual(row["type"], f"select_one {q['id']}")
                    self.assertEqual(row.get("canvass_type"), "scale" if t == "scale" else None)
                elif t == "multi_choice":
                    self.assertEqual(row["type"], f"select_multiple {q['id']}")
                else:
                    self.assertEqual(row["type"], XLS_TYPE[t])
                label_cells(row, q["text"])
                for key in ("min", "max", "unit", "max_length", "warn_below", "warn_above"):
                    self.assertEqual(row.get(key), q.get(key), (q["id"], key))
                for key in ("required", "allow_not_applicable", "allow_dont_know"):
                    want = {True: "yes", False: "no", None: None}[q.get(key)]
                    self.assertEqual(row.get(key), want, (q["id"], key))
                self.assertEqual(row.get("relevant"), relevant.get(q["id"]), q["id"])
                ch = q.get("change_from_previous", {})
                self.assertEqual((row.get("change_relative"), row.get("change_absolute")),
                                 (ch.get("relative"), ch.get("absolute")), q["id"])
                ol = q.get("outlier")
                self.assertEqual(row.get("outlier"), "yes" if ol is not None else None)
                if ol is not None:
                    self.assertEqual((row.get("outlier_threshold"), row.get("outlier_min_answers")),
                                     (ol.get("threshold"), ol.get("min_answers")))
                sc = q.get("score")
                self.assertEqual(row.get("score"), "yes" if sc is not None else None)
                for part in ("weight", "yes", "no", "zero", "full"):
                    self.assertEqual(row.get(f"score_{part}"), (sc or {}).get(part),
                                     (q["id"], part))
                items = q.get("options") or q.get("levels")
                if items:
                    mine = [c for c in choices if c["list_name"] == q["id"]]
                    self.assertEqual([c["name"] for c in mine],
                                     [str(it.get("id", it.get("value"))) for it in items])
                    for c, it in zip(mine, items):
                        label_cells(c, it["label"])
                        self.assertEqual(c.get("score"), it.get("score"))
        yes_no = [c for c in choices if c["list_name"].startswith("yes_no")]
        if any(q["type"] == "yes_no" for s in doc["sections"] for q in s["questions"]):
            self.assertEqual([c["name"] for c in yes_no], ["yes", "no"])
        self.assertEqual(len(settings), 1)
        self.assertEqual(settings[0]["form_id"], doc["id"])
        self.assertEqual(settings[0]["version"], doc["version"])
        titles = [f"form_title::{LANG[l]}" for l in langs] if langs else ["form_title"]
        for l, col in zip(langs or ["en"], titles):
            self.assertEqual(settings[0][col], text(doc["title"], l))
        if langs:
            self.assertEqual(settings[0]["default_language"], LANG[langs[0]])
        self.assertEqual([r["name"] for r in rule_rows], [r["id"] for r in doc.get("rules", [])])
        for r, jr in zip(rule_rows, doc.get("rules", [])):
            self.assertEqual((r["severity"], r["message"]), (jr["severity"], jr["message"]))
            self.assertEqual(r["expression"], rules[jr["id"]])

    def test_shipped(self):
        for name, relevant, rules in (
                ("integrity-self-assessment",
                 {"rm_stage": "${rm_programme} = 'yes'",
                  "cc_signed_share": "${cc_exists} = 'yes'"},
                 {"women_within_staff": "${hr_staff_women} <= ${hr_staff_total}",
                  "concluded_within_opened": "${ai_cases_concluded} <= ${ai_investigations}",
                  "code_signatures_given":
                      "not(${cc_exists} = 'yes') or ${cc_signed_share} != ''",
                  "whistleblower_rating_evidence":
                      "${mo_whistleblower} < 4 or ${mo_staff_survey} = 'yes'"}),
                ("gender-integrity", None, None)):
            with open(os.path.join(QDIR, f"{name}.v1.json"), encoding="utf-8") as f:
                doc = json.load(f)
            if relevant is None:  # each condition is "<a yes/no question>"
                relevant = {q["id"]: f"${{{q['when']}}} = 'yes'" for s in doc["sections"]
                            for q in s["questions"] if "when" in q}
                rules = {r["id"]: r["expr"].replace("gi_", "${gi_").replace(" +", "} +")
                         .replace(" <=", "} <=").replace(" >=", "} >=") + "}"
                         for r in doc["rules"]}
            with self.subTest(name):
                self.check_workbook(self.export(QDIR, name), doc, relevant, rules)

    def test_every_key(self):
        wb = self.export(self.qdir, "all-keys", "--version", "3")
        self.check_workbook(wb, PLAIN, {
            "count": "${agree} = 'yes'",
            "notes": "not(${agree} = 'yes') or ${count} != '' and selected(${ways}, 'y')"},
            {"r1": "${count} div 2 <= ${share} and ${kind} = 'a'"})

    def test_refusals(self):
        out = os.path.join(self.tmp.name, "exists.xlsx")
        with open(out, "w", encoding="utf-8") as f:
            f.write("keep me")
        r = run("questionnaire", "export", "--questionnaires", QDIR, "--out", out,
                "integrity-self-assessment")
        self.assertEqual(r.returncode, 1)
        self.assertIn("exists; not overwritten", r.stderr)
        with open(out, encoding="utf-8") as f:
            self.assertEqual(f.read(), "keep me")
        missing = os.path.join(self.tmp.name, "missing.xlsx")
        r = run("questionnaire", "export", "--questionnaires", QDIR, "--out", missing, "nope")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no questionnaire nope", r.stderr)
        self.assertFalse(os.path.exists(missing))
        # A string holding both quote marks has no XLSForm spelling: nothing written.
        quoted = json.loads(json.dumps(PLAIN))
        quoted["id"] = "quoted"
        quoted["rules"] = [{"id": "q", "expr": "notes == \"it's \\\"so\\\"\"",
                            "severity": "error", "message": "m"}]
        qdir = os.path.join(self.tmp.name, "quoted")
        os.makedirs(qdir)
        write_json(os.path.join(qdir, "quoted.json"), quoted)
        out = os.path.join(self.tmp.name, "quoted.xlsx")
        r = run("questionnaire", "export", "--questionnaires", qdir, "--out", out, "quoted")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("q: a string holding both ' and \" has no XLSForm spelling; nothing written",
                      r.stderr)
        self.assertFalse(os.path.exists(out))
        r = run("questionnaire", "export", "--out", out, "quoted")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--questionnaires and --out are required", r.stderr)
        self.assertEqual(run("questionnaire", "export", "--help").returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
