"""Excel workbooks (--format xlsx) from the real store, read with openpyxl:
every report that has the format gives a workbook whose sheets hold exactly
the CSV output's cells, numbers as numbers, the header row frozen, and a
Notes sheet with the stamp; the numbers equal the JSON output's.
"""
import csv
import io
import json
import os
import subprocess
import unittest

import openpyxl

from pipeline import BIN, QDIR, Pipeline, synth

ARGS = ("--questionnaire", "integrity-self-assessment")
TEXT_COLUMNS = {"questionnaire", "cycle", "cycles", "member", "region", "id", "kind", "group",
                "code", "question", "section", "by", "special", "message", "classification",
                "chain", "missing", "submitted", "previous_cycle", "option", "figure"}


def as_number(text):
    try:
        x = float(text)
    except ValueError:
        return None
    return x if text.strip() == text and x == x and abs(x) != float("inf") else None


class XlsxTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.p = Pipeline().start()
        for cycle in ("2024", "2025"):
            files = synth(os.path.join(cls.p.root, cycle), cycle=cycle)
            rc, _ = cls.p.submit(*files)
            assert rc == 0, rc
        cls.p.stop()  # the reports read the store alone

    @classmethod
    def tearDownClass(cls):
        cls.p.close()

    def outputs(self, report, *extra):
        """(workbook, CSV rows, JSON or None) of one report."""
        def run(fmt):
            cmd = [os.path.join(BIN, "canvass-reporter"), report, "--data", self.p.data,
                   "--registry", self.p.registry, "--questionnaires", QDIR,
                   *ARGS, *extra, "--format", fmt]
            out = subprocess.run(cmd, capture_output=True, timeout=300)
            self.assertEqual(out.returncode, 0, out.stderr)
            return out.stdout
        book = openpyxl.load_workbook(io.BytesIO(run("xlsx")))
        rows = list(csv.reader(io.StringIO(run("csv").decode())))
        js = json.loads(run("json")) if report != "export" else None
        return book, rows, js

    def assertSameAsCsv(self, book, rows, single):
        """The sheets together hold every CSV row, typed; one sheet per kind."""
        header = rows[0]
        kind = header.index("kind") if "kind" in header else None
        sheets = [ws for ws in book.worksheets if ws.title != "Notes"]
        if kind is None:
            self.assertEqual([ws.title for ws in sheets], [single])
        else:
            self.assertEqual([ws.title for ws in sheets],
                             list(dict.fromkeys(r[kind] for r in rows[1:])))
        got = []
        for ws in sheets:
            self.assertEqual(ws.freeze_panes, "A2", ws.title)
            cells = list(ws.iter_rows(values_only=True))
            self.assertEqual(list(cells[0]), header, ws.title)
            got += cells[1:]
        self.assertEqual(len(got), len(rows) - 1)
        if kind is not None:  # sheets group the rows by kind, in order of appearance
            order = list(dict.fromkeys(r[kind] for r in rows[1:]))
            rows = [rows[0]] + sorted(rows[1:], key=lambda r: order.index(r[kind]))
        numbers = 0
        for want, have in zip(rows[1:], got):
            for name, w, h in zip(header, want, have):
                if w == "":
                    self.assertIsNone(h, name)
                elif name not in TEXT_COLUMNS and as_number(w) is not None:
                    self.assertIsInstance(h, (int, float), (name, w))
                    self.assertNotIsInstance(h, bool)
                    self.assertEqual(h, as_number(w), name)
                    numbers += 1
                elif name not in TEXT_COLUMNS and w in ("true", "false"):
                    self.assertIs(h, w == "true", name)
                else:
                    self.assertEqual(h, w, name)
        self.assertGreater(numbers, 0)
        return got

    def notes(self, book):
        return {k: v for k, v in book["Notes"].iter_rows(values_only=True)}

    def test_compare(self):
        book, rows, js = self.outputs("compare", "--cycle", "2025")
        got = self.assertSameAsCsv(book, rows, "compare")
        header = rows[0]
        col = {name: i for i, name in enumerate(header)}
        tables = {("section_score", t["id"]): t for t in js["scores"]}
        tables.update({("question", t["id"]): t for t in js["questions"]})
        checked = 0
        for r in got:
            t = tables.get((r[col["kind"]], r[col["id"]]))
            if t is None or r[col["option"]] is not None:
                continue
            g = next(g for g in t["groups"] if g["group"] == r[col["group"]])
            for name in ("n", "not_applicable", "dont_know", "mean", "sd", "min", "q1",
                         "median", "q3", "max"):
                if isinstance(r[col[name]], (int, float)) and g.get(name) is not None:
                    self.assertAlmostEqual(r[col[name]], g[name], places=9)
                    checked += 1
        self.assertGreater(checked, 1000)
        notes = self.notes(book)
        self.assertEqual(notes["report"], "compare")
        self.assertEqual(notes["store.sequence"], js["store"]["sequence"])
        self.assertEqual(notes["classification"], js["classification"])
        self.assertEqual(notes["disclosure.min_group"], js["disclosure"]["min_group"])

    def test_ranking_completeness_quality(self):
        book, rows, js = self.outputs("ranking", "--cycle", "2025")
        got = self.assertSameAsCsv(book, rows, "ranking")
        col = {name: i for i, name in enumerate(rows[0])}
        self.assertEqual([(r[col["member"]], r[col["rank"]], r[col["score"]]) for r in got],
                         [(x["member"], x["rank"], x["score"]) for x in js["ranking"]])
        self.assertEqual(self.notes(book)["classification"], js["classification"])

        book, rows, js = self.outputs("completeness", "--cycle", "2025")
        got = self.assertSameAsCsv(book, rows, "completeness")
        col = {name: i for i, name in enumerate(rows[0])}
        for r, g in zip(got, js["groups"]):
            self.assertEqual(r[col["group"]], g["group"])
            for name in ("expected", "on_time", "late", "missing_count", "revisions", "revised"):
                self.assertEqual(r[col[name]], g[name])

        book, rows, js = self.outputs("quality", "--cycle", "2025")
        got = self.assertSameAsCsv(book, rows, "quality")
        col = {name: i for i, name in enumerate(rows[0])}
        self.assertEqual([(r[col["code"]], r[col["member"]], r[col["value"]],
                           r[col["reference"]], r[col["score"]]) for r in got],
                         [(f["code"], f["member"], f["value"], f["reference"], f["score"])
                          for f in js["findings"]])
        self.assertEqual(self.notes(book)["returns"], js["returns"])

    def test_trend_and_export(self):
        book, rows, js = self.outputs("trend")
        self.assertSameAsCsv(book, rows, "trend")
        self.assertEqual(self.notes(book)["report"], "trend")
        book, rows, _ = self.outputs("export")
        got = self.assertSameAsCsv(book, rows, "export")
        self.assertEqual(len(got), 2 * 187 * 35)
        notes = self.notes(book)
        self.assertEqual((notes["report"], notes["cycles[0]"], notes["cycles[1]"]),
                         ("export", "2024", "2025"))
        self.assertEqual(notes["classification"],
                         "CONFIDENTIAL: for the Secretariat only, not for publication")

    def test_formats_refused(self):
        out = subprocess.run([os.path.join(BIN, "canvass-reporter"), "member", "--data",
                              self.p.data, "--registry", self.p.registry, "--questionnaires",
                              QDIR, *ARGS, "--cycle", "2025",
                              "--member", "KE", "--format", "xlsx"],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 2)
        self.assertIn('member has no format "xlsx"', out.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
