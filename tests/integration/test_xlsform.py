"""canvassctl questionnaire export: each shipped definition, and one written
here with every key of the format (plain texts, every question type, every
check and score), as an XLSForm workbook read back with openpyxl: the
survey, choices, settings and rules sheets and their columns
(docs/questionnaires.md, "Designing in a spreadsheet"), every question,
option, level and rule with its values, conditions and rules in XLSForm's
syntax. And what it refuses: an existing file (left as it was), an unknown
questionnaire, a string no XLSForm quote can hold (nothing written).
"""
import io
import json
import os
import shutil
import subprocess
import tempfile
import unittest
import zipfile

import openpyxl

from pipeline import BIN, QDIR, Pipeline, write_json

CTL = os.path.join(BIN, "canvassctl")

# The survey columns, in order, after type, name and the labels.
SURVEY_TAIL = ["required", "relevant", "canvass_type", "min", "max", "unit", "max_length",
               "allow_not_applicable", "allow_dont_know", "warn_below", "warn_above",
               "change_relative", "change_absolute", "outlier", "outlier_threshold",
               "outlier_min_answers", "score", "score_weight", "score_yes", "score_no",
               "score_zero", "score_full", "replaces", "comparable", "consent", "share",
               "about"]
LANG = {"en": "English (en)", "fr": "French (fr)"}
XLS_TYPE = {"integer": "integer", "number": "decimal", "text": "text"}

# Every key of the format, with plain texts (no languages).
PLAIN = {
    "id": "all-keys", "version": 3, "title": "Every key",
    "sections": [
        {"id": "one", "title": "One", "questions": [
            {"id": "agree", "type": "yes_no", "text": "Agree?", "required": False,
             "score": {"weight": 2, "yes": 1, "no": 0.25}},
            {"id": "count", "type": "integer", "text": "How many?", "hint": "Count everyone",
             "min": 0, "max": 500,
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
             "share": True, "about": "one",
             "when": "not agree or answered(count) and selected(ways, \"y\")"},
            {"id": "consent", "type": "choice", "text": "Share your notes?",
             "consent": "section",
             "options": [{"id": "no", "label": "No"}, {"id": "anonymously", "label": "Anon"},
                         {"id": "with_name", "label": "Named"}]}]}],
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
        hints = [f"hint::{LANG[l]}" for l in langs] if langs else ["hint"]
        header, survey = rows(wb["survey"])
        self.assertEqual(header, ["type", "name"] + labels + hints + SURVEY_TAIL)
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
                for l, col in zip(langs or ["en"], hints):
                    self.assertEqual(row.get(col), text(q["hint"], l) if "hint" in q else None)
                for key in ("min", "max", "unit", "max_length", "warn_below", "warn_above",
                            "consent", "about"):
                    self.assertEqual(row.get(key), q.get(key), (q["id"], key))
                for key in ("required", "allow_not_applicable", "allow_dont_know", "share"):
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
                self.check_workbook(self.export(QDIR, name, "--version", "1"), doc, relevant,
                                    rules)

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


def canonical(doc):
    return json.dumps(doc, sort_keys=True, ensure_ascii=False)


def designer_workbook():
    """A bilingual workbook as a designer writes it: groups, every type, relevant,
    constraint with ".", select_multiple with selected() and count-selected()."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", "label::English (en)", "label::French (fr)", "required",
               "relevant", "constraint", "constraint_message", "canvass_type", "min", "max",
               "hint::English (en)", "hint::French (fr)"])
    rows = [
        ["begin_group", "staff", "Staff", "Personnel"],
        ["select_one yes_no", "has_policy", "A policy?", "Une politique ?", "yes", None, None,
         None, "yes_no"],
        ["integer", "total", "Total staff", "Effectif total", "yes", None, ". >= 1",
         "At least one", None, 0, 100000, "On 31 December", "Au 31 décembre"],
        ["integer", "women", "Women", "Femmes", None, "${has_policy} = 'yes'",
         ". <= ${total}", "No more women than staff"],
        ["decimal", "share", "Share trained", "Part formée", None, None,
         ". >= 0 and . <= 100", None],
        ["end_group"],
        ["begin group", "ways", "Ways", "Moyens"],
        ["select_multiple channels", "channels", "Channels", "Canaux", "yes"],
        ["select_one level", "level", "Level", "Niveau", "yes", None, None, None, "scale"],
        ["select_one kind", "kind", "Kind", "Genre", None,
         "selected(${channels}, 'web') and count-selected(${channels}) >= 2"],
        ["text", "notes", "Notes", "Notes", None, "not(${level} < 2)"],
        ["end group"],
    ]
    for r in rows:
        ws.append(r)
    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", "label::English (en)", "label::French (fr)"])
    for r in [["yes_no", "yes", "Yes", "Oui"], ["yes_no", "no", "No", "Non"],
              ["channels", "web", "Web", "Web"], ["channels", "desk", "Desk", "Guichet"],
              ["channels", "post", "Post", "Poste"],
              ["level", "0", "None", "Aucun"], ["level", "1", "Some", "Un peu"],
              ["level", "2", "Most", "La plupart"], ["level", "3", "All", "Tout"],
              ["kind", "public", "Public", "Public"], ["kind", "private", "Private", "Privé"]]:
        ch.append(r)
    st = wb.create_sheet("settings")
    st.append(["form_id", "version", "form_title::English (en)", "form_title::French (fr)",
               "default_language"])
    st.append(["staff-survey", 1, "Staff survey", "Enquête sur le personnel", "English (en)"])
    return wb


class ImportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="canvass-xlsform-import-")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def save(self, wb, name):
        p = self.path(name)
        wb.save(p)
        return p

    def import_ok(self, xlsx, out):
        r = run("questionnaire", "import", "--out", out, xlsx)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, encoding="utf-8") as f:
            return json.load(f)

    def test_round_trip(self):
        """Every definition, exported and imported again, is the same definition."""
        qdir = self.path("q")
        os.makedirs(qdir)
        write_json(os.path.join(qdir, "all-keys.v3.json"), PLAIN)
        cases = [(QDIR, "integrity-self-assessment", 1), (QDIR, "gender-integrity", 1),
                 (QDIR, "gender-integrity", 2), (qdir, "all-keys", 3)]
        for d, qid, v in cases:
            with self.subTest(qid, version=v):
                xlsx = self.path(f"{qid}.xlsx" if d != QDIR else f"{qid}-{v}.xlsx")
                r = run("questionnaire", "export", "--questionnaires", d, "--version", str(v),
                        "--out", xlsx, qid)
                self.assertEqual(r.returncode, 0, r.stderr)
                got = self.import_ok(xlsx, self.path(f"{qid}-{v}.json"))
                src = os.path.join(d, f"{qid}.v{v}.json" if d == QDIR else "all-keys.v3.json")
                with open(src, encoding="utf-8") as f:
                    want = json.load(f)
                self.assertEqual(canonical(got), canonical(want))
        # Without --out the definition goes to standard output; an existing --out stays.
        r = run("questionnaire", "import", self.path("all-keys.xlsx"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(canonical(json.loads(r.stdout)), canonical(PLAIN))
        r = run("questionnaire", "import", "--out", self.path("all-keys-3.json"),
                self.path("all-keys.xlsx"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("exists; not overwritten", r.stderr)

    def test_shipped_workbooks(self):
        """data/xlsform holds each shipped questionnaire as a workbook: as the export writes
        it today (every cell), and importing it gives the shipped definition."""
        for qid, v in (("integrity-self-assessment", 1), ("gender-integrity", 1),
                       ("gender-integrity", 2)):
            with self.subTest(qid, version=v):
                shipped = os.path.join(os.path.dirname(QDIR), "xlsform", f"{qid}.v{v}.xlsx")
                got = self.import_ok(shipped, self.path(f"shipped-{qid}-{v}.json"))
                with open(os.path.join(QDIR, f"{qid}.v{v}.json"), encoding="utf-8") as f:
                    self.assertEqual(canonical(got), canonical(json.load(f)))
                fresh = self.path(f"fresh-{qid}-{v}.xlsx")
                r = run("questionnaire", "export", "--questionnaires", QDIR, "--version", str(v),
                        "--out", fresh, qid)
                self.assertEqual(r.returncode, 0, r.stderr)
                a, b = openpyxl.load_workbook(shipped), openpyxl.load_workbook(fresh)
                self.assertEqual(a.sheetnames, b.sheetnames)
                for name in a.sheetnames:
                    self.assertEqual(list(a[name].iter_rows(values_only=True)),
                                     list(b[name].iter_rows(values_only=True)),
                                     f"{qid} {name}: regenerate data/xlsform with the export")

    def test_designer_workbook_through_the_collector(self):
        doc = self.import_ok(self.save(designer_workbook(), "designer.xlsx"),
                             self.path("designer.json"))
        self.assertEqual(doc["languages"], ["en", "fr"])
        qs = {q["id"]: q for s in doc["sections"] for q in s["questions"]}
        self.assertEqual([s["id"] for s in doc["sections"]], ["staff", "ways"])
        self.assertEqual({k: q["type"] for k, q in qs.items()},
                         {"has_policy": "yes_no", "total": "integer", "women": "integer",
                          "share": "number", "channels": "multi_choice", "level": "scale",
                          "kind": "choice", "notes": "text"})
        self.assertEqual(qs["women"]["when"], "has_policy")
        self.assertEqual(qs["total"]["hint"], {"en": "On 31 December", "fr": "Au 31 décembre"})
        self.assertEqual(qs["kind"]["when"],
                         "selected(channels, \"web\") and count_selected(channels) >= 2")
        self.assertEqual(qs["notes"]["when"], "not level < 2")
        self.assertEqual(qs["level"]["levels"][2], {"value": 2,
                                                    "label": {"en": "Most", "fr": "La plupart"}})
        rules = {r["id"]: r for r in doc["rules"]}
        self.assertEqual(rules["women_constraint"]["expr"], "women <= total")
        self.assertEqual(rules["women_constraint"]["message"], "No more women than staff")
        self.assertEqual(rules["share_constraint"]["expr"], "share >= 0 and share <= 100")
        # The real collector loads it and answers by it.
        qdir = self.path("designer-q")
        os.makedirs(qdir)
        write_json(os.path.join(qdir, "staff-survey.v1.json"), doc)
        cycles = self.path("designer-cycles.json")
        write_json(cycles, {"cycles": [{"questionnaire": "staff-survey", "cycle": "2026",
                                        "opens": "2000-01-01", "due": "2099-12-31",
                                        "closes": "2099-12-31"}]})
        p = Pipeline()
        try:
            p.start_aggregator()
            p.start_collector("--questionnaires", qdir, "--cycles", cycles)

            def send(name, answers):
                path = self.path(f"{name}.json")
                write_json(path, {"questionnaire": "staff-survey", "version": 1,
                                  "cycle": "2026", "member": "KE", "answers": answers})
                rc, r = p.submit_as("KE", path, extra=("--check",))
                self.assertEqual(len(r), 1, r)
                return r[0]["status"], sorted({(x["code"], x.get("question", ""))
                                               for x in r[0].get("problems", [])})
            base = {"has_policy": True, "total": 10, "women": 4, "share": 50.5,
                    "channels": ["web", "desk"], "level": 3, "kind": "public", "notes": "ok"}
            self.assertEqual(send("valid", base), ("VALID", []))
            # The constraint of women (a rule): more women than staff is refused.
            self.assertEqual(send("women", dict(base, women=11)),
                             ("REJECTED", [("RULE_FAILED", "women")]))
            # relevant false: women and kind must not be answered (no policy, one channel).
            status, problems = send("relevant", dict(base, has_policy=False, channels=["desk"]))
            self.assertEqual((status, problems), ("REJECTED", [("NOT_APPLICABLE_HERE", "kind"),
                                                               ("NOT_APPLICABLE_HERE", "women")]))
            # notes applies only when level is not below 2.
            self.assertEqual(send("notes", dict(base, level=1)),
                             ("REJECTED", [("NOT_APPLICABLE_HERE", "notes")]))
            # The constraint . >= 1 on total, and share within 0-100.
            self.assertEqual(send("total", dict(base, total=0, women=0))[1],
                             [("RULE_FAILED", "total")])
        finally:
            p.close()

    def test_lineage_against_the_set(self):
        """--questionnaires: an imported version 2 is checked against version 1 there."""
        with open(os.path.join(QDIR, "gender-integrity.v1.json"), encoding="utf-8") as f:
            v2 = json.load(f)
        v2["version"] = 2
        q = v2["sections"][0]["questions"][0]
        q["replaces"], q["id"] = q["id"], "gi_lc_gender_considered"
        for s in v2["sections"]:
            for other in s["questions"]:
                if other.get("when") == q["replaces"]:
                    other["when"] = q["id"]
        qdir = self.path("lineage-q")
        os.makedirs(qdir)
        shutil.copy(os.path.join(QDIR, "gender-integrity.v1.json"), qdir)
        write_json(os.path.join(qdir, "gender-integrity.v2.json"), v2)
        xlsx = self.path("gi-v2.xlsx")
        r = run("questionnaire", "export", "--questionnaires", qdir, "--out", xlsx,
                "gender-integrity")
        self.assertEqual(r.returncode, 0, r.stderr)
        only_v1 = self.path("lineage-v1")  # the shipped version 1 without the shipped 2
        os.makedirs(only_v1)
        shutil.copy(os.path.join(QDIR, "gender-integrity.v1.json"), only_v1)
        r = run("questionnaire", "import", "--questionnaires", only_v1, xlsx)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(canonical(json.loads(r.stdout)), canonical(v2))
        # The version already there, and a replaces that names nothing: refused.
        r = run("questionnaire", "import", "--questionnaires", qdir, xlsx)
        self.assertEqual(r.returncode, 1)
        self.assertIn("gender-integrity version 2 is already in", r.stderr)
        wb = openpyxl.load_workbook(xlsx)
        ws = wb["survey"]
        col = [c.value for c in ws[1]].index("replaces") + 1
        for row in ws.iter_rows(min_row=2):
            if row[col - 1].value == "gi_lc_considered":
                row[col - 1].value = "gi_nothing"
        bad = self.save(wb, "gi-v2-bad.xlsx")
        r = run("questionnaire", "import", "--questionnaires", only_v1, bad)
        self.assertEqual(r.returncode, 1)
        self.assertIn("question gi_lc_gender_considered replaces gi_nothing, which version 1 "
                      "does not have", r.stderr)
        self.assertEqual(r.stdout, "")

    def test_plain_label_is_the_default_language(self):
        """XLSForm's plain label beside label::French (fr) is the default language's."""
        wb = designer_workbook()
        for ws in (wb["survey"], wb["choices"]):
            for c in ws[1]:
                if c.value == "label::English (en)":
                    c.value = "label"
        wb["settings"]["C1"] = "form_title"
        doc = self.import_ok(self.save(wb, "plain-label.xlsx"), self.path("plain-label.json"))
        self.assertEqual(doc["languages"], ["en", "fr"])
        qs = {q["id"]: q for s in doc["sections"] for q in s["questions"]}
        self.assertEqual(qs["total"]["text"], {"en": "Total staff", "fr": "Effectif total"})
        self.assertEqual(doc["title"], {"en": "Staff survey", "fr": "Enquête sur le personnel"})
        # French as the default: the plain label is French, and English is then missing.
        wb["settings"]["E2"] = "French (fr)"
        self.broken("plain-label-fr", None, 'survey!C1: both "label" and a label::... column '
                    "give the fr text", build=lambda path: wb.save(path))

    def broken(self, name, mutate, *expected, build=None):
        """A workbook that must be refused with every expected line, nothing written."""
        if build is not None:
            path = self.path(f"{name}.xlsx")
            build(path)
        else:
            wb = designer_workbook()
            mutate(wb)
            path = self.save(wb, f"{name}.xlsx")
        out = self.path(f"{name}.json")
        r = run("questionnaire", "import", "--out", out, path)
        self.assertEqual(r.returncode, 1, (name, r.stdout, r.stderr))
        for e in expected:
            self.assertIn(e, r.stderr, name)
        self.assertFalse(os.path.exists(out), name)
        self.assertNotIn("Traceback", r.stderr)
        return r.stderr

    def test_broken_workbooks(self):
        def cell(sheet, ref, value):
            return lambda wb: wb[sheet].__setitem__(ref, value)

        def zipped(parts):
            def build(path):
                with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
                    for n, data in parts.items():
                        z.writestr(n, data)
            return build
        wb_xml = ('<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                  'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                  'relationships"><sheets><sheet name="survey" sheetId="1" r:id="rId1"/>'
                  '</sheets></workbook>')
        rels = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                'relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml" '
                'Type="x"/></Relationships>')

        def sheet(body):
            return ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                    f'main"><sheetData>{body}</sheetData></worksheet>')

        def merged(wb):
            wb["survey"]["M2"] = "x"
            wb["survey"].merge_cells("M2:N2")

        def two_groups_cycle(wb):
            wb["survey"]["F3"] = "${women} > 2"  # has_policy reads women, a later question

        def rules_sheet(wb):
            r = wb.create_sheet("rules")
            r.append(["name", "expression", "severity", "message"])
            r.append(["r1", "string-length(${notes}) > 3", "error", "m"])

        cases = [
            ("bad-type", cell("survey", "A4", "geopoint"),
             'survey!A4: the type "geopoint" is not one canvass has'),
            ("unknown-list", cell("survey", "A9", "select_multiple nolist"),
             'survey!A9: no list "nolist" in the choices sheet'),
            ("duplicate-name", cell("survey", "B5", "total"),
             'survey!B5: "total" is the name of another question too (row 4)'),
            ("outside-subset", cell("survey", "F11", "string-length(${notes}) > 3"),
             'survey!F11: "string-length" is outside the expressions canvass reads'),
            ("circular-relevant", two_groups_cycle,
             'survey!F3: the condition reads "women", a later question'),
            ("missing-label", cell("survey", "C4", None), "survey!C4: no label in en"),
            ("missing-translation", cell("survey", "D6", None),
             "survey!D6: no label in fr (a missing translation)"),
            ("merged-cell", merged, "survey!M2: merged cells (M2:N2)"),
            ("note", cell("survey", "A5", "note"), "survey!A5: a note has no answer"),
            ("never-holds", cell("survey", "G6", ". > 5 and . < 3"),
             "survey!G6: the constraint can never hold"),
            ("later-question", cell("survey", "F4", "${share} > 1"),
             'survey!F4: the condition reads "share", a later question'),
            ("own-question", cell("survey", "F4", "${total} > 1"),
             'survey!F4: the condition reads "total", its own question'),
            ("dot-in-relevant", cell("survey", "F4", ". > 1"),
             'survey!F4: "." (this question\'s answer) is only for a constraint'),
            ("unknown-question", cell("survey", "F5", "${nope} = 'yes'"),
             'survey!F5: "nope" is no question\'s name'),
            ("type-error", cell("survey", "F5", "${has_policy} + 1 > 2"),
             "survey!F5: position 12: + needs a number on both sides (read as: has_policy + 1 > 2)"),
            ("mod", cell("survey", "F5", "${total} mod 2 = 0"),
             'survey!F5: "mod" is outside the expressions canvass reads'),
            ("required-maybe", cell("survey", "E4", "maybe"),
             'survey!E4: required is yes or no, not "maybe"'),
            ("min-not-number", cell("survey", "J4", "many"),
             'survey!J4: min is a number, not "many"'),
            ("hint-translation", cell("survey", "M4", None),
             "survey!M4: no hint in fr (a missing translation)"),
            ("unknown-column", lambda wb: (wb["survey"].__setitem__("N1", "appearance"),
                                           wb["survey"].__setitem__("N9", "minimal")),
             'survey!N9: the column "appearance" has no meaning in canvass'),
            ("yes-no-list", cell("choices", "B3", "maybe"),
             "survey!A3: a yes_no question's list holds the choices yes and no"),
            ("scale-name", cell("choices", "B7", "one"),
             "choices!B7: a scale level's name is its value, a whole number"),
            ("bad-canvass-type", cell("survey", "I10", "slider"),
             'survey!I10: canvass_type is yes_no or scale (for a select_one), not "slider"'),
            ("outside-group", lambda wb: wb["survey"].delete_rows(2),
             "survey!A2: a question outside a group"),
            ("nested-group", lambda wb: wb["survey"].delete_rows(7),
             "survey!A7: a group inside a group"),
            ("end-without-begin", lambda wb: wb["survey"].delete_rows(8),
             "survey!A12: end_group without a begin_group"),
            ("no-end", lambda wb: wb["survey"].delete_rows(13),
             "survey!A8: this group has no end_group"),
            ("no-settings", lambda wb: wb.remove(wb["settings"]), "settings!A1: no settings sheet"),
            ("bad-version", cell("settings", "B2", "one"),
             'settings!B2: version is a whole number from 1, not "one"'),
            ("spanish", cell("survey", "D1", "label::Spanish (es)"),
             'survey!D1: "label::Spanish (es)": canvass texts are in English (en) and French'),
            ("rule-outside-subset", rules_sheet,
             'rules!B2: "string-length" is outside the expressions canvass reads'),
            ("empty-survey", lambda wb: wb["survey"].delete_rows(2, 20),
             "survey!A1: the survey is empty"),
        ]
        for name, mutate, expected in cases:
            with self.subTest(name):
                self.broken(name, mutate, expected)
        # Not workbooks at all, and workbooks over the limits.
        with open(self.path("renamed.xlsx"), "w", encoding="utf-8") as f:
            f.write("type,name,label\ninteger,a,A\n")
        r = run("questionnaire", "import", self.path("renamed.xlsx"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("not an xlsx workbook (not a zip file", r.stderr)
        self.broken("zip-bomb", None, "over the limit of 16777216", build=zipped({
            "xl/workbook.xml": wb_xml, "xl/_rels/workbook.xml.rels": rels,
            "xl/worksheets/sheet1.xml": sheet("") + " " * (17 << 20)}))
        self.broken("million-rows", None, "sheet survey: row 1000000: more than 10000 rows",
                    build=zipped({"xl/workbook.xml": wb_xml, "xl/_rels/workbook.xml.rels": rels,
                                  "xl/worksheets/sheet1.xml": sheet(
                                      '<row r="1"><c r="A1" t="inlineStr"><is><t>type</t></is>'
                                      '</c></row><row r="1000000"><c r="A1000000" '
                                      't="inlineStr"><is><t>integer</t></is></c></row>')}))
        self.broken("no-workbook-part", None, "not an xlsx workbook (no xl/workbook.xml)",
                    build=zipped({"hello.txt": "hi"}))
        self.broken("bad-xml", None, "xl/worksheets/sheet1.xml: not well-formed XML",
                    build=zipped({"xl/workbook.xml": wb_xml, "xl/_rels/workbook.xml.rels": rels,
                                  "xl/worksheets/sheet1.xml": "<worksheet><sheetData>"}))
        # Every problem at once, each with its cell.
        def three(wb):
            wb["survey"]["A4"] = "geopoint"
            wb["survey"]["B5"] = "total"
            wb["survey"]["E6"] = "maybe"
            wb["survey"]["F9"] = "${kind} = 'public'"  # a later question
        err = self.broken("three", three, "survey!A4", "survey!B5", "survey!E6", "survey!F9",
                          "4 problems; nothing written")
        self.assertEqual(err.count("three.xlsx: survey!"), 4, err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
