"""The formats for other tools, from the real store.

Excel (--format xlsx), read with openpyxl: every report that has the format
gives a workbook whose sheets hold exactly the CSV output's cells, numbers as
numbers, the header row frozen, and a Notes sheet with the stamp; the numbers
equal the JSON output's.

SDMX (--format sdmx, sdmx-structure): the SDMX-CSV 2.0 columns and rows,
every suppressed cell with its confidentiality status and no value, the
values equal to the JSON output's, and every dimension and code used listed
in the structure message.
"""
import csv
import io
import json
import os
import html
import shutil
import subprocess
import time
import re
import sys
import unittest
import xml.etree.ElementTree as ET

import openpyxl

from pipeline import BIN, MEMBERS, QDIR, SRC, Pipeline, synth

ARGS = ("--questionnaire", "integrity-self-assessment")
FR_ONLY = {"ps_notes": "Evidence held by FR alone: note 7731-QX", "tr_advance_rulings_days": 123.457}
ARTIFACTS = os.environ.get("CANVASS_ARTIFACTS", os.path.join(os.path.dirname(__file__),
                                                             "../../build/reports"))
TEXT_COLUMNS = {"questionnaire", "cycle", "cycles", "member", "region", "id", "kind", "group",
                "code", "question", "section", "by", "special", "message", "classification",
                "chain", "missing", "submitted", "previous_cycle", "option", "figure"}


def as_number(text):
    try:
        x = float(text)
    except ValueError:
        return None
    return x if text.strip() == text and x == x and abs(x) != float("inf") else None


class FormatsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.p = Pipeline().start()
        for cycle in ("2024", "2025"):
            files = synth(os.path.join(cls.p.root, cycle), cycle=cycle)
            if cycle == "2025":  # FR holds answers no other member holds
                path = os.path.join(cls.p.root, cycle, "FR.json")
                with open(path, encoding="utf-8") as f:
                    fr = json.load(f)
                fr["answers"].update(FR_ONLY)
                with open(path, "w", encoding="utf-8") as f:
                    json.dump(fr, f)
            rc, _ = cls.p.submit(*files)
            assert rc == 0, rc
        cls.p.stop()  # the reports read the store alone

    @classmethod
    def tearDownClass(cls):
        cls.p.close()

    def run_reporter(self, report, *extra):
        cmd = [os.path.join(BIN, "canvass-reporter"), report, "--registry", self.p.registry,
               "--questionnaires", QDIR, *ARGS, *extra]
        if report != "sdmx-structure":
            cmd += ["--data", self.p.data]
        out = subprocess.run(cmd, capture_output=True, timeout=300)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.decode()

    def structure(self):
        """Codes per codelist and the DSD's components, from the structure message."""
        ns = {"str": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/structure",
              "mes": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message"}
        root = ET.fromstring(self.run_reporter("sdmx-structure"))
        lists = {cl.get("id"): {c.get("id") for c in cl.findall("str:Code", ns)}
                 for cl in root.iter(f"{{{ns['str']}}}Codelist")}
        dsd = next(root.iter(f"{{{ns['str']}}}DataStructure"))
        dims = [(d.get("id"), d.find("str:LocalRepresentation/str:Enumeration", ns))
                for d in dsd.iter(f"{{{ns['str']}}}Dimension")]
        dims = {i: re.search(r"Codelist=CANVASS:(\w+)\(", e.text).group(1) for i, e in dims}
        time_dim = [t.get("id") for t in dsd.iter(f"{{{ns['str']}}}TimeDimension")]
        attrs = [a.get("id") for a in dsd.iter(f"{{{ns['str']}}}Attribute")]
        measures = [m.get("id") for m in dsd.iter(f"{{{ns['str']}}}Measure")]
        flow = next(root.iter(f"{{{ns['str']}}}Dataflow"))
        return lists, dims, time_dim, attrs, measures, flow

    def sdmx_rows(self, report, *extra):
        rows = list(csv.reader(io.StringIO(self.run_reporter(report, *extra,
                                                             "--format", "sdmx"))))
        lists, dims, time_dim, attrs, measures, flow = self.structure()
        header = rows[0]
        # SDMX-CSV 2.0: STRUCTURE, STRUCTURE_ID, ACTION, then the components.
        self.assertEqual(header[:3], ["STRUCTURE", "STRUCTURE_ID", "ACTION"])
        self.assertEqual(header[3:], list(dims) + time_dim + measures + attrs)
        flow_id = f"CANVASS:{flow.get('id')}({flow.get('version')})"
        out = []
        for r in rows[1:]:
            rec = dict(zip(header, r))
            self.assertEqual(len(r), len(header))
            self.assertEqual((rec["STRUCTURE"], rec["STRUCTURE_ID"], rec["ACTION"]),
                             ("dataflow", flow_id, "I"))
            for dim, cl in dims.items():  # every code used is in the structure
                self.assertIn(rec[dim], lists[cl], (dim, rec[dim]))
            self.assertIn(rec["CONF_STATUS"], lists["CL_CONF_STATUS"])
            # The whole message's classification, the same on every row.
            self.assertIn(rec["CLASSIFICATION"], lists["CL_CLASSIFICATION"])
            self.assertEqual(rec["CLASSIFICATION"], out[0]["CLASSIFICATION"] if out
                             else rec["CLASSIFICATION"])
            if rec["CONF_STATUS"] == "F":
                float(rec["OBS_VALUE"])
            else:  # suppressed: the status, no value
                self.assertEqual(rec["OBS_VALUE"], "", rec)
            out.append(rec)
        return out

    def test_sdmx_compare(self):
        rows = self.sdmx_rows("compare", "--cycle", "2025", "--min-group", "30")
        js = json.loads(self.run_reporter("compare", "--cycle", "2025", "--min-group", "30",
                                          "--format", "json"))
        lists, dims, *_ = self.structure()
        area = {}
        for r in rows:
            area.setdefault(r["REF_AREA"], set())
        self.assertIn("WORLD", area)
        status = {"min_n": "A", "shares": "C", "equal_values": "C", "complementary": "D",
                  "linked": "D"}
        by_key = {(r["INDICATOR"], r["OPTION"], r["REF_AREA"], r["STATISTIC"]): r for r in rows}
        slug = {g: re.sub(r"[^A-Z0-9]+", "_", g.upper()).strip("_") for g in
                [x["group"] for x in js["questions"][0]["groups"]]}
        slug["World"] = "WORLD"
        tables = [(t["id"], t) for t in js["questions"]] + \
            [("SCORE_" + t["id"], t) for t in js["scores"] if t["id"] != "overall"]
        seen = {"A": 0, "F": 0}
        for ind, t in tables:
            for g in t["groups"]:
                key = (ind, "_Z", slug[g["group"]], "N")
                if "suppressed" in g:
                    self.assertEqual(by_key[key]["CONF_STATUS"], status[g["suppressed"]])
                    seen["A"] += g["suppressed"] == "min_n"
                    continue
                self.assertEqual(float(by_key[key]["OBS_VALUE"]), g["n"])
                seen["F"] += 1
                for stat, name in (("MEAN", "mean"), ("SD", "sd"), ("MEDIAN", "median")):
                    r = by_key.get((ind, "_Z", slug[g["group"]], stat))
                    if g.get(name) is not None and r["CONF_STATUS"] == "F":
                        self.assertAlmostEqual(float(r["OBS_VALUE"]), g[name], places=9)
                for o in g.get("options", []):
                    r = by_key[(ind, o["id"], slug[g["group"]], "SHARE")]
                    self.assertAlmostEqual(float(r["OBS_VALUE"]), o["share"] * 100, places=9)
        self.assertGreater(seen["A"], 10)
        self.assertGreater(seen["F"], 100)
        # Order statistics withheld (a shown cell under min-group-order): status C, no value.
        js = json.loads(self.run_reporter("compare", "--cycle", "2025", "--format", "json"))
        rows = self.sdmx_rows("compare", "--cycle", "2025")
        by_key = {(r["INDICATOR"], r["OPTION"], r["REF_AREA"], r["STATISTIC"]): r for r in rows}
        withheld = 0
        for t in js["questions"]:
            for g in t["groups"]:
                if g.get("order_statistics") != "withheld":
                    continue
                for stat in ("MIN", "Q1", "MEDIAN", "Q3", "MAX"):
                    r = by_key[(t["id"], "_Z", slug[g["group"]], stat)]
                    self.assertEqual((r["OBS_VALUE"], r["CONF_STATUS"]), ("", "C"))
                self.assertAlmostEqual(
                    float(by_key[(t["id"], "_Z", slug[g["group"]], "MEAN")]["OBS_VALUE"]),
                    g["mean"], places=9)
                withheld += 1
        self.assertGreater(withheld, 0)

    def test_shipped_structures(self):
        """data/sdmx holds the structure of each shipped questionnaire, as generated."""
        for qid, v in (("integrity-self-assessment", 1), ("gender-integrity", 1),
                       ("gender-integrity", 2)):
            out = subprocess.run([os.path.join(BIN, "canvass-reporter"), "sdmx-structure",
                                  "--registry", MEMBERS, "--questionnaires", QDIR,
                                  "--questionnaire", qid, "--version", str(v)],
                                 capture_output=True, text=True)
            self.assertEqual(out.returncode, 0, out.stderr)
            with open(os.path.join(SRC, "data/sdmx", f"{qid}.v{v}.structure.xml"),
                      encoding="utf-8") as f:
                shipped = f.read()
            strip = lambda text: re.sub(r"<mes:Prepared>[^<]*</mes:Prepared>", "", text)
            self.assertEqual(strip(out.stdout), strip(shipped), qid)

    def test_sdmx_trend_and_structure(self):
        rows = self.sdmx_rows("trend")
        self.assertEqual({r["TIME_PERIOD"] for r in rows}, {"2024", "2025"})
        lists, dims, time_dim, attrs, measures, flow = self.structure()
        self.assertEqual(list(dims), ["INDICATOR", "OPTION", "REF_AREA", "STATISTIC"])
        self.assertEqual((time_dim, measures, attrs), (["TIME_PERIOD"], ["OBS_VALUE"],
                                                       ["CONF_STATUS", "CLASSIFICATION"]))
        self.assertEqual(flow.get("id"), "DF_INTEGRITY_SELF_ASSESSMENT")
        self.assertEqual(len(lists["CL_AREA"]), 7)  # six regions and the world
        out = subprocess.run([os.path.join(BIN, "canvass-reporter"), "trend", "--data",
                              self.p.data, "--registry", self.p.registry, "--questionnaires",
                              QDIR, *ARGS, "--member", "KE", "--format", "sdmx"],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 2)
        self.assertIn("sdmx is for aggregates", out.stderr)

    def test_feedback_pack(self):
        """One page per member in one run; no other member's code or value on a page."""
        out_dir = os.path.join(self.p.root, "pack")
        started = time.monotonic()
        out = subprocess.run([os.path.join(BIN, "canvass-reporter"), "feedback-pack", "--data",
                              self.p.data, "--registry", self.p.registry, "--questionnaires",
                              QDIR, *ARGS, "--cycle", "2025", "--out", out_dir],
                             capture_output=True, text=True, timeout=300)
        seconds = time.monotonic() - started
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stderr, r"feedback pack: 187 pages and index.html in .* \(\d+\.\d+ s\)")
        print(f"\nfeedback pack: 187 pages in {seconds:.2f} s", file=sys.stderr)
        pages = sorted(f for f in os.listdir(out_dir) if f.endswith(".html"))
        self.assertEqual(len(pages), 188)
        self.assertEqual(oct(os.stat(out_dir).st_mode & 0o777), "0o700")
        codes = sorted(m["code"] for m in self.p.keys.members)
        for name in pages:
            with open(os.path.join(out_dir, name), encoding="utf-8") as f:
                page = f.read()
            self.assertNotIn("<script", page)
            self.assertNotRegex(page, r"(src|href)=\"?(https?:|//)")
            self.assertEqual(oct(os.stat(os.path.join(out_dir, name)).st_mode & 0o777),
                             "0o600")
            if name == "index.html":
                self.assertEqual(page.count(".html\">"), 187)
                continue
            me = name[:-len(".html")]
            text = html.unescape(re.sub(r"<[^>]+>", " ", page))
            others = [c for c in codes if c != me and
                      re.search(r"(?<![A-Za-z0-9])" + re.escape(c) + r"(?![A-Za-z0-9])", text)]
            self.assertEqual(others, [], name)
            if me != "FR":  # what only FR holds is on no other page
                self.assertNotIn("7731-QX", page, name)
                self.assertNotIn("123.457", page, name)
                self.assertNotIn("123.46", page, name)
        with open(os.path.join(out_dir, "FR.html"), encoding="utf-8") as f:
            self.assertIn("7731-QX", f.read())  # its own answer is on its own page
        with open(os.path.join(out_dir, "KE.html"), encoding="utf-8") as f:
            ke = f.read()
        self.assertIn("Kenya (KE)", ke)
        self.assertIn("@page{size:A4", ke)
        self.assertIn("Section scores", ke)
        # Choice answers by their labels, never their ids; the headline says what it shows.
        with open(os.path.join(self.p.root, "2025", "KE.json"), encoding="utf-8") as f:
            ke_answers = json.load(f)["answers"]
        with open(os.path.join(QDIR, "integrity-self-assessment.v1.json"), encoding="utf-8") as f:
            qdef = json.load(f)
        checked = 0
        for q in (q for sec in qdef["sections"] for q in sec["questions"]):
            a = ke_answers.get(q["id"])
            if q["type"] != "choice" or not isinstance(a, str):
                continue
            label = next(o["label"]["en"] for o in q["options"] if o["id"] == a)
            row = re.search(r"<tr><td>" + re.escape(html.escape(q["text"]["en"], quote=False)) +
                            r"</td><td>([^<]*)</td>", ke)
            self.assertIsNotNone(row, q["id"])
            self.assertEqual(html.unescape(row.group(1)), label, q["id"])
            checked += 1
        self.assertGreater(checked, 0)
        self.assertIn("the weighted mean of all your scored answers", ke)
        self.assertNotIn("mean of (suppressed)", ke)
        self.assertIn("svg text{font-size:15px}", ke)  # 12px on an A4 page

        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium is None:
            self.skipTest("chromium is not installed (sh scripts/setup.sh --test installs it)")
        os.makedirs(ARTIFACTS, exist_ok=True)
        shot = os.path.join(ARTIFACTS, "feedback-KE.png")
        if os.path.exists(shot):
            os.unlink(shot)
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                 f"--user-data-dir={os.path.join(self.p.root, 'chromium')}"]
        subprocess.run([chromium, *flags, "--window-size=1000,1600", f"--screenshot={shot}",
                        "file://" + os.path.join(out_dir, "KE.html")],
                       capture_output=True, timeout=120)
        self.assertGreater(os.path.getsize(shot), 20000, "the screenshot is (nearly) empty")
        # --pdf: headless Chromium prints the page; --member: that member only.
        one = os.path.join(self.p.root, "pack-ke")
        out = subprocess.run([os.path.join(BIN, "canvass-reporter"), "feedback-pack", "--data",
                              self.p.data, "--registry", self.p.registry, "--questionnaires",
                              QDIR, *ARGS, "--cycle", "2025", "--out", one, "--member", "KE",
                              "--pdf"], capture_output=True, text=True, timeout=300)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(sorted(os.listdir(one)), ["KE.html", "KE.pdf", "index.html"])
        with open(os.path.join(one, "KE.pdf"), "rb") as f:
            pdf = f.read()
        self.assertTrue(pdf.startswith(b"%PDF-"))
        self.assertGreaterEqual(pdf.count(b"/Type /Page\n") + pdf.count(b"/Type/Page"), 1)
        shutil.copy(os.path.join(one, "KE.pdf"), os.path.join(ARTIFACTS, "feedback-KE.pdf"))
        # Without Chromium, --pdf is refused and nothing is written.
        none = os.path.join(self.p.root, "pack-none")
        out = subprocess.run([os.path.join(BIN, "canvass-reporter"), "feedback-pack", "--data",
                              self.p.data, "--registry", self.p.registry, "--questionnaires",
                              QDIR, *ARGS, "--cycle", "2025", "--out", none, "--pdf"],
                             capture_output=True, text=True, timeout=300,
                             env=dict(os.environ, PATH="/nonexistent"))
        self.assertEqual(out.returncode, 1)
        self.assertIn("--pdf needs headless Chromium", out.stderr)
        self.assertFalse(os.path.exists(none))

        def pack(out_dir, *extra):
            return subprocess.run([os.path.join(BIN, "canvass-reporter"), "feedback-pack",
                                   "--data", self.p.data, "--registry", self.p.registry,
                                   "--questionnaires", QDIR, *ARGS, "--cycle", "2025",
                                   "--member", "KE", "--out", out_dir, *extra],
                                  capture_output=True, text=True, timeout=300)
        # A directory with files in it is refused, nothing in it touched.
        full = os.path.join(self.p.root, "pack-full")
        os.mkdir(full, 0o755)
        with open(os.path.join(full, "KE.html"), "w", encoding="utf-8") as f:
            f.write("mine")
        out = pack(full)
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertIn(f"{full}: exists and is not empty", out.stderr)
        with open(os.path.join(full, "KE.html"), encoding="utf-8") as f:
            self.assertEqual(f.read(), "mine")
        # An empty one is used and made private.
        empty = os.path.join(self.p.root, "pack-empty")
        os.mkdir(empty, 0o755)
        out = pack(empty)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(os.stat(empty).st_mode & 0o777, 0o700)
        self.assertEqual(sorted(os.listdir(empty)), ["KE.html", "index.html"])
        # A file where the directory should be: said with its path.
        afile = os.path.join(self.p.root, "pack-file")
        with open(afile, "w", encoding="utf-8") as f:
            f.write("x")
        out = pack(afile)
        self.assertEqual(out.returncode, 1)
        self.assertIn(f"{afile}: exists and is not a directory", out.stderr)

    def test_marks_where_not_for_publication(self):
        """Every output not for publication says so in every format, SDMX included:
        disclosure control off (--min-group 1), a past position (--as-of), member rows."""
        conf = "CONFIDENTIAL: for the Secretariat only, not for publication"
        seq = json.loads(self.run_reporter("compare", "--cycle", "2025", "--format",
                                           "json"))["store"]["sequence"]
        public_sdmx = self.run_reporter("compare", "--cycle", "2025", "--format", "sdmx")
        self.assertIn(",F,PUBLIC\n", public_sdmx)
        for extra in (("--min-group", "1"), ("--as-of", str(seq))):
            js = json.loads(self.run_reporter("compare", "--cycle", "2025", "--format",
                                              "json", *extra))
            self.assertEqual(js["classification"], conf, extra)
            rows = list(csv.reader(io.StringIO(self.run_reporter(
                "compare", "--cycle", "2025", "--format", "csv", *extra))))
            cls = [r for r in rows if "classification" in r]
            self.assertIn("confidential", cls[-1], extra)
            page = self.run_reporter("compare", "--cycle", "2025", "--format", "html", *extra)
            self.assertIn(conf, page, extra)
            sdmx = list(csv.DictReader(io.StringIO(self.run_reporter(
                "compare", "--cycle", "2025", "--format", "sdmx", *extra))))
            self.assertNotIn("F", {r["CONF_STATUS"] for r in sdmx}, extra)
            self.assertEqual({r["CLASSIFICATION"] for r in sdmx}, {"CONFIDENTIAL"}, extra)
            self.assertTrue(any(r["OBS_VALUE"] != "" for r in sdmx), extra)  # values kept
        rows = list(csv.reader(io.StringIO(self.run_reporter(
            "compare", "--cycle", "2025", "--format", "csv", "--members"))))
        self.assertIn("confidential", [r for r in rows if "classification" in r][-1])
        for extra, want in (((), "public"), (("--as-of", str(seq)), "confidential")):
            comp = list(csv.DictReader(io.StringIO(self.run_reporter(
                "completeness", "--cycle", "2025", "--format", "csv", *extra))))
            self.assertEqual({r["classification"] for r in comp}, {want}, extra)
        out_dir = os.path.join(self.p.root, "pack-as-of")
        out = subprocess.run([os.path.join(BIN, "canvass-reporter"), "feedback-pack", "--data",
                              self.p.data, "--registry", self.p.registry, "--questionnaires",
                              QDIR, *ARGS, "--cycle", "2025", "--member", "KE", "--out",
                              out_dir, "--as-of", str(seq)], capture_output=True, text=True,
                             timeout=300)
        self.assertEqual(out.returncode, 0, out.stderr)
        with open(os.path.join(out_dir, "KE.html"), encoding="utf-8") as f:
            self.assertIn(conf, f.read())

    def test_scale_distributions(self):
        """A scale's distribution: World's only when the regions not shown beside it
        have none or enough answers (World minus the rest is their frequency table)."""
        regions = {}
        with open(self.p.registry, encoding="utf-8") as f:
            for row in csv.DictReader(f):
                regions[row["region"]] = regions.get(row["region"], 0) + 1
        # A threshold between the smallest region and the others: that region's
        # distribution is withheld, and World with it.
        small = min(regions.values())
        order = small + 1
        self.assertTrue(all(n >= order for n in regions.values() if n != small))

        def world_row(page):
            charts = page[page.index("Scale questions: distribution of answers"):]
            svg = charts[:charts.index("</svg>")]
            return svg[svg.index('class="lbl">World</text>'):]

        page = self.run_reporter("compare", "--cycle", "2025", "--format", "html",
                                 "--min-group-order", str(order))
        self.assertIn("the regions not shown have too few answers", world_row(page))
        self.assertNotIn("<rect", world_row(page))
        # With every region's distribution shown (the default 10), World's is too.
        page = self.run_reporter("compare", "--cycle", "2025", "--format", "html")
        self.assertIn("<rect", world_row(page))

    def test_compare_page(self):
        """The compare page: headline figures, a dot plot with n, the heatmap by region."""
        page = self.run_reporter("compare", "--cycle", "2025", "--format", "html",
                                 "--member", "KE", "--members")
        self.assertNotIn("<script", page)
        self.assertNotRegex(page, r"(src|href)=\"?(https?:|//)")
        sizes = [int(x) for x in re.findall(r"font-size:(\d+)px", page)]
        self.assertGreaterEqual(min(sizes), 12)
        self.assertNotIn("<small", page)
        self.assertIn('<section class="headline">', page)
        self.assertRegex(page, r"<span>Returns</span><b>187 of 187</b>")
        self.assertIn("@page{size:A4", page)
        # The mark of a hidden figure is text like any other: escaped in HTML.
        marked = self.run_reporter("compare", "--cycle", "2025", "--format", "html",
                                   "--min-group", "60", "--suppressed-as", "<b>x&</b>")
        self.assertNotIn("<b>x&</b>", marked)
        self.assertIn("&lt;b&gt;x&amp;&lt;/b&gt;", marked)
        # Every region under 60 members hidden, said beside each row; the legend lists
        # only groups the chart shows (the world).
        self.assertIn('class="note">6 hidden</text>', marked)
        legend = next(x for x in re.findall(r'<p class="legend">(.*?)</p>', marked, re.S)
                      if "World" in x)
        self.assertNotIn("Europe", legend)
        # Every region and the world in the dot plot with their n; the member marked.
        js = json.loads(self.run_reporter("compare", "--cycle", "2025", "--format", "json",
                                          "--member", "KE"))
        # (The overall score may be hidden everywhere under the link rule: a
        # member's don't know leaves it a denominator of its own.)
        scored = [g for t in js["scores"] for g in t["groups"]]
        self.assertGreater(len([g for g in scored if "suppressed" not in g]), 0)
        for g in scored:
            if "suppressed" in g:  # a hidden group has no dot; its row counts it
                self.assertRegex(page, r'class="note">\d+ hidden</text>')
                continue
            self.assertIn(f'{html.escape(g["group"], quote=True)}: mean {g["mean"]:.1f} '
                          f'(n {g["n"]})</title>', page)
        self.assertIn("#D55E00", page)  # the member's triangle
        # The heatmap: regions in order, each member labelled with code and name.
        heat = page[page.index("Members &times; sections"):]
        regions = [html.unescape(x) for x in
                   re.findall(r'class="lbl" font-weight="bold">([^<]+)</text>', heat)]
        self.assertEqual(regions, sorted(regions))
        self.assertEqual(len(regions), 6)
        self.assertIn(">KE Kenya</text>", heat)
        # The colour key above the map (it runs to thousands of pixels) and below it.
        self.assertEqual(heat.count('class="tick">score</text>'), 2)
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium is None:
            self.skipTest("chromium is not installed (sh scripts/setup.sh --test installs it)")
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(self.p.root, "compare-members.html")
        with open(path, "w", encoding="utf-8") as f:
            f.write(page)
        public = self.run_reporter("compare", "--cycle", "2025", "--format", "html")
        self.assertNotIn("CONFIDENTIAL", public)
        self.assertNotIn(">KE Kenya</text>", public)  # no member-level heatmap
        public_path = os.path.join(self.p.root, "compare-public.html")
        with open(public_path, "w", encoding="utf-8") as f:
            f.write(public)
        for name, page_path in (("compare-members.png", path),
                                ("compare-public.png", public_path)):
            shot = os.path.join(ARTIFACTS, name)
            if os.path.exists(shot):
                os.unlink(shot)
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                            "--hide-scrollbars", "--window-size=1100,2200",
                            f"--user-data-dir={os.path.join(self.p.root, 'chromium2')}",
                            f"--screenshot={shot}", "file://" + page_path],
                           capture_output=True, timeout=120)
            self.assertGreater(os.path.getsize(shot), 20000, name)

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
        # "submitted" is a return's time in export, a count elsewhere.
        text = TEXT_COLUMNS if single == "export" else TEXT_COLUMNS - {"submitted"}
        for want, have in zip(rows[1:], got):
            for name, w, h in zip(header, want, have):
                if w == "":
                    self.assertIsNone(h, name)
                elif name not in text and as_number(w) is not None:
                    self.assertIsInstance(h, (int, float), (name, w))
                    self.assertNotIsInstance(h, bool)
                    self.assertEqual(h, as_number(w), name)
                    numbers += 1
                elif name not in text and w in ("true", "false"):
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
            # The review counts are numbers too (they were text cells once).
            for name in ("submitted", "queried", "approved"):
                self.assertIsInstance(r[col[name]], int, name)
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
        got = self.assertSameAsCsv(book, rows, "trend")
        self.assertEqual(self.notes(book)["report"], "trend")
        col = {name: i for i, name in enumerate(rows[0])}
        want = {}
        for series in js["series"]:
            for g in series["groups"]:
                for cycle, v in zip(js["cycles"], g["values"]):
                    cycle = cycle["cycle"] if isinstance(cycle, dict) else cycle
                    want[(series["id"], g["group"], cycle)] = v
        checked = 0
        for r in got:
            v = want.get((r[col["id"]], r[col["group"]], r[col["cycle"]]))
            if isinstance(r[col["value"]], (int, float)) and v is not None:
                self.assertAlmostEqual(r[col["value"]], v, places=9)
                checked += 1
        self.assertGreater(checked, 500)
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
