"""The good-practice digest through the real daemons (docs/reports.md,
"Good-practice digest"; docs/review.md, the editorial actions).

Twelve members answer version 2 of the gender questionnaire over CURVE,
each with its consent level: France with its name (a text holding <, &, =,
line breaks and three scripts), Germany, Italy and Spain anonymously (three
in Europe: their region is shown), Kenya anonymously (alone in its region:
withheld), Japan with its name (its contact edited by a reviewer), Brazil
with its name (excluded by a reviewer), China "no", the United Kingdom with
its name (edited, then revised: held back), the United States with its name
then withdrawn by a revision, Morocco with its name but never approved,
Nigeria anonymously about a factor nobody else shares on. The digest holds
exactly the consented entries, attributed or anonymous as chosen, the edit
instead of the original, nothing of the withdrawn, excluded, held-back or
unapproved; --as-of before the withdrawal reproduces the earlier digest;
every format renders and keeps the texts exactly; no anonymous entry can
be tied to its member from the digest and the other published outputs.
"""
import html
import html.parser
import io
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import markdown
import openpyxl

from pipeline import BIN, QDIR, Pipeline, close_cycle, keygen, write_cycles, write_json

Q = "gender-integrity"
QC = ["--questionnaire", Q, "--cycle", "2025"]
ARTIFACTS = os.path.abspath(os.environ.get("CANVASS_ARTIFACTS", tempfile.gettempdir()))
SPECIAL = ("Parité <50 % & quota = 1:1 — 女性リーダーシップ研修 — مساواة بين الجنسين\n"
           "= a line that is no heading\n# nor this\n1. nor a list")
CONTACT = "Mr Taro Tanaka, Head of the Integrity Unit"
CONTACT_EDITED = "Head of the Integrity Unit"
ANON_EU = {"DE": "Zebra crossing mentoring for women inspectors",
           "IT": "Alpha network of integrity focal points",
           "ES": "Mango scheme: anonymous reporting line"}
K = 3


# Shared answers of every other kind, under one consent for the questionnaire.
SHARE_KINDS = {
    "id": "share-kinds", "version": 1, "title": "Shared answers of every kind",
    "sections": [{"id": "practice", "title": "1. Practice", "questions": [
        {"id": "sk_consent", "type": "choice", "consent": "questionnaire", "text": "Share?",
         "options": [{"id": "no", "label": "No"}, {"id": "anonymously", "label": "Anonymously"},
                     {"id": "with_name", "label": "With our name"}]},
        {"id": "sk_kind", "type": "choice", "share": True, "text": "Practice: its kind",
         "options": [{"id": "training", "label": "Training <staff> & managers"},
                     {"id": "audit", "label": "Audit"}]},
        {"id": "sk_channels", "type": "multi_choice", "share": True,
         "text": "Practice: channels",
         "options": [{"id": "web", "label": "Web"}, {"id": "mail", "label": "Mail"}]},
        {"id": "sk_public", "type": "yes_no", "share": True, "text": "Practice: public?"},
        {"id": "sk_staff", "type": "integer", "share": True, "unit": "officers",
         "text": "Practice: staff trained"},
        {"id": "sk_level", "type": "scale", "share": True, "text": "Practice: maturity",
         "levels": [{"value": 1, "label": "Pilot"}, {"value": 2, "label": "In force"}]}]}],
}


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def base(code, consent=None, **texts):
    """A valid version 2 return: every factor "no", the initiatives given."""
    with open(os.path.join(QDIR, "gender-integrity.v2.json"), encoding="utf-8") as f:
        d = json.load(f)
    answers = {q["id"]: False for s in d["sections"] for q in s["questions"]
               if q["type"] == "yes_no" and q.get("required") and "when" not in q}
    answers["gi_cc_harassment_provision"] = False
    if consent is not None:
        answers["gi_ip_consent"] = consent
    answers.update(texts)
    return {"questionnaire": Q, "version": 2, "cycle": "2025", "member": code,
            "answers": answers}


class TextOf(html.parser.HTMLParser):
    """The text of every element with one of the given tags, as a reader sees it."""

    def __init__(self, tags):
        super().__init__()
        self.tags, self.depth, self.cur, self.found = tags, 0, [], []

    def handle_starttag(self, tag, attrs):
        if tag in self.tags:
            self.depth += 1
            self.cur = []

    def handle_endtag(self, tag):
        if tag in self.tags and self.depth:
            self.depth -= 1
            self.found.append("".join(self.cur))

    def handle_data(self, data):
        if self.depth:
            self.cur.append(data)


def texts_of(page, *tags):
    p = TextOf(set(tags))
    p.feed(page)
    return p.found


class DigestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.p = Pipeline()
        k = cls.p.keys
        cls.alice = keygen(k.dir, "alice")
        cls.reviewers = os.path.join(cls.p.root, "reviewers.csv")
        with open(cls.reviewers, "w", encoding="utf-8") as f:
            f.write(f"alice,{cls.alice}\n")
        # The shipped definitions and one more whose shared answers are not texts.
        cls.qdir = os.path.join(cls.p.root, "q")
        shutil.copytree(QDIR, cls.qdir)
        write_json(os.path.join(cls.qdir, "share-kinds.v1.json"), SHARE_KINDS)
        cls.p.qdir = cls.qdir
        for path in (cls.p.cycles, ):
            with open(path, encoding="utf-8") as f:
                sched = json.load(f)
            sched["cycles"].append({"questionnaire": "share-kinds", "cycle": "2025",
                                    "opens": "2000-01-01", "due": "2099-12-31",
                                    "closes": "2099-12-31"})
            with open(path, "w", encoding="utf-8") as f:
                json.dump(sched, f)
        # The aggregator's own copy of the schedule: the digest test closes a cycle in it.
        cls.agg_cycles = write_cycles(os.path.join(cls.p.root, "agg-cycles.json"))
        cls.p.start_aggregator("--review-listen", "tcp://127.0.0.1:*", "--reviewers",
                               cls.reviewers, "--questionnaires", cls.qdir, "--cycles",
                               cls.agg_cycles)
        cls.p.start_collector()
        cls.review_ep = cls.p.ready["aggregator"]["review"]
        cls.docs = {
            "FR": base("FR", "with_name", gi_ip_lc_initiative=SPECIAL),
            "DE": base("DE", "anonymously", gi_ip_lc_initiative=ANON_EU["DE"]),
            "IT": base("IT", "anonymously", gi_ip_lc_initiative=ANON_EU["IT"]),
            "ES": base("ES", "anonymously", gi_ip_lc_initiative=ANON_EU["ES"]),
            "KE": base("KE", "anonymously", gi_ip_lc_initiative="Women in leadership pledge",
                       gi_ip_hr_initiative="Equal pay audit of all grades"),
            "JP": base("JP", "with_name", gi_ip_hr_initiative="Flexible work for parents",
                       gi_ip_hr_results="Attrition of women fell by a third",
                       gi_ip_hr_contact=CONTACT),
            "BR": base("BR", "with_name", gi_ip_lc_initiative="Brazil's excluded text"),
            "CN": base("CN", "no", gi_ip_lc_initiative="China's text, not to be shared"),
            "GB": base("GB", "with_name", gi_ip_hr_initiative="Original text with J. Smith"),
            "US": base("US", "with_name", gi_ip_lc_initiative="US leadership charter"),
            "MA": base("MA", "with_name", gi_ip_lc_initiative="Morocco's unapproved text"),
            "NG": base("NG", "anonymously", gi_ip_ps_initiative="Joint code with brokers"),
        }
        for code, doc in cls.docs.items():
            cls.submit(code, doc, f"{code}-1.json")

    @classmethod
    def tearDownClass(cls):
        cls.p.close()

    @classmethod
    def submit(cls, code, doc, name):
        path = os.path.join(cls.p.root, name)
        write_json(path, doc)
        rc, receipts = cls.p.submit_as(code, path)
        assert rc == 0 and receipts[0]["status"] in ("ACCEPTED", "DUPLICATE"), receipts

    def review(self, verb, member, *args, expect=0):
        out = run([os.path.join(BIN, "canvassctl"), "review", verb, *QC, "--member", member,
                   *args, "--connect", self.review_ep, "--key", self.p.keys.key("alice"),
                   "--server-key", self.p.keys.pub("aggregator"), "--json"])
        self.assertEqual(out.returncode, expect, out.stdout + out.stderr)
        return json.loads(out.stdout)

    def status(self, code):
        out = run([os.path.join(BIN, "canvass-submit"), "status", *QC, "--connect",
                   self.p.col_ep, "--key", self.p.keys.key(code), "--server-key",
                   self.p.keys.pub("collector")])
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def digest(self, fmt="json", *extra, check=True):
        out = subprocess.run([os.path.join(BIN, "canvass-reporter"), "digest", "--data",
                              self.p.data, "--registry", self.p.registry, "--questionnaires",
                              QDIR, *QC, "--format", fmt, *extra],
                             capture_output=True, timeout=120)
        if check:
            self.assertEqual(out.returncode, 0, out.stderr.decode())
        return out

    def entries(self, d):
        """{section id: [(group, sharing, member or None, {question: (text, edited)})]}"""
        return {s["id"]: [(e["region"], e["sharing"], e.get("member"),
                           {f["question"]: (f["text"], f["edited"]) for f in e["fields"]})
                          for e in s["entries"]] for s in d["sections"]}

    def test_digest(self):
        # The Secretariat's decisions, then approval (Morocco's return stays unapproved).
        r = self.review("edit", "JP", "--question", "gi_ip_hr_contact", "--text", CONTACT_EDITED,
                        "--comment", "a person's name removed")
        self.assertEqual(r["status"], "ACCEPTED")
        self.review("exclude", "BR", "--comment", "off topic")
        self.review("edit", "GB", "--question", "gi_ip_hr_initiative", "--text",
                    "Original text", "--comment", "name removed")
        # Refused: a question that is not shared, an edit of a non-text, a missing comment.
        r = self.review("exclude", "JP", "--question", "gi_lc_considered", "--comment", "x",
                        expect=1)
        self.assertEqual(r["status"], "NOT_FOUND")
        self.assertIn("has no shared question gi_lc_considered", r["message"])
        r = self.review("edit", "JP", "--question", "gi_ip_lc_results", "--text", "x",
                        "--comment", "x", expect=1)
        self.assertEqual(r["status"], "NOT_FOUND")
        out = run([os.path.join(BIN, "canvassctl"), "review", "exclude", *QC, "--member", "JP",
                   "--connect", self.review_ep, "--key", self.p.keys.key("alice"),
                   "--server-key", self.p.keys.pub("aggregator")])
        self.assertEqual(out.returncode, 2)
        self.assertIn("an exclude needs --comment", out.stderr)
        for code in self.docs:
            if code != "MA":
                self.assertEqual(self.review("approve", code)["status"], "ACCEPTED")
        # The United Kingdom revises its edited answer: held back, never shown unedited.
        self.review("reopen", "GB")
        gb = base("GB", "with_name", gi_ip_hr_initiative="Revised text naming J. Smith again")
        self.submit("GB", gb, "GB-2.json")
        self.review("approve", "GB")
        # The member sees every decision in force.
        jp, br = self.status("JP"), self.status("BR")
        self.assertIn("gi_ip_hr_contact edited", jp)
        self.assertIn(f"shown as: {CONTACT_EDITED}", jp)
        self.assertIn("every shared answer of the return excluded", br)
        os.makedirs(ARTIFACTS, exist_ok=True)
        with open(os.path.join(ARTIFACTS, "digest-status.txt"), "w", encoding="utf-8") as f:
            f.write("$ canvass-submit status (JP)\n" + jp + "$ canvass-submit status (BR)\n" + br)

        first = self.digest()
        self.assertIn(b"GB's answer to gi_ip_hr_initiative changed after the edit",
                      first.stderr)
        d1 = json.loads(first.stdout)
        s1 = d1["store"]["sequence"]
        # The United States withdraws its consent by a revision.
        self.review("reopen", "US")
        self.submit("US", base("US", "no", gi_ip_lc_initiative="US leadership charter"),
                    "US-2.json")
        self.review("approve", "US")
        d2 = json.loads(self.digest().stdout)

        eu = sorted(ANON_EU.values())
        want = {
            "leadership": [
                ("Americas and Caribbean", "with_name", "US",
                 {"gi_ip_lc_initiative": ("US leadership charter", False)}),
                ("Europe", "with_name", "FR", {"gi_ip_lc_initiative": (SPECIAL, False)}),
            ] + [("Europe", "anonymously", None, {"gi_ip_lc_initiative": (t, False)})
                 for t in eu] + [
                (None, "anonymously", None,
                 {"gi_ip_lc_initiative": ("Women in leadership pledge", False)})],
            "hrm": [
                ("Asia/Pacific", "with_name", "JP",
                 {"gi_ip_hr_initiative": ("Flexible work for parents", False),
                  "gi_ip_hr_results": ("Attrition of women fell by a third", False),
                  "gi_ip_hr_contact": (CONTACT_EDITED, True)}),
                (None, "anonymously", None,
                 {"gi_ip_hr_initiative": ("Equal pay audit of all grades", False)})],
            "private_sector": [
                (None, "anonymously", None,
                 {"gi_ip_ps_initiative": ("Joint code with brokers", False)})],
        }
        self.assertEqual(self.entries(d1), want)
        del want["leadership"][0]  # withdrawn
        self.assertEqual(self.entries(d2), want)
        counts = {s["id"]: (s["members"], s["with_name"], s["anonymously"])
                  for s in d2["sections"]}
        self.assertEqual(counts, {"leadership": (5, 1, 4), "hrm": (2, 1, 1),
                                  "private_sector": (1, 0, 1)})
        self.assertEqual((d2["counts"]["members"], d2["returns"], d2["anonymity"]["threshold"]),
                         (7, "approved", K))
        self.assertNotIn("CONFIDENTIAL", d2["classification"])
        # --as-of before the withdrawal reproduces the earlier digest (marked confidential).
        past = json.loads(self.digest("json", "--as-of", str(s1)).stdout)
        self.assertIn("CONFIDENTIAL", past["classification"])
        self.assertEqual(self.entries(past), self.entries(d1))
        # Every return, approved or not: Morocco too, as a draft.
        draft = json.loads(self.digest("json", "--all-returns").stdout)
        self.assertIn("CONFIDENTIAL", draft["classification"])
        self.assertIn(("North of Africa, Near and Middle East", "with_name", "MA",
                       {"gi_ip_lc_initiative": ("Morocco's unapproved text", False)}),
                      self.entries(draft)["leadership"])

        # The chain replays every editorial decision: verify rebuilds the same states.
        verify = run([os.path.join(BIN, "canvassctl"), "verify", "--data", self.p.data])
        self.assertEqual(verify.returncode, 0, verify.stdout)
        self.assertIn("reviewed returns match the history", verify.stdout)
        # Disclosure control off: the digest too is for the Secretariat only.
        off = json.loads(self.digest("json", "--min-group", "1").stdout)
        self.assertIn("CONFIDENTIAL", off["classification"])
        self.check_formats(d2)
        self.check_anonymity(d2)
        self.check_unregistered()
        self.check_after_the_cycle_closed()

    def check_after_the_cycle_closed(self):
        """A digest is made once the cycle has closed: exclude, edit and restore still go
        through then, a query does not."""
        close_cycle(self.agg_cycles, "2025")
        self.p.reload("aggregator")
        try:
            self.assertEqual(self.review("exclude", "FR", "--question", "gi_ip_lc_initiative",
                                         "--comment", "late decision")["status"], "ACCEPTED")
            self.assertEqual(self.review("restore", "FR")["status"], "ACCEPTED")
            r = self.review("query", "FR", "--comment", "?", expect=1)
            self.assertEqual(r["status"], "WRONG_STATE")
            self.assertIn("has closed", r["message"])
        finally:
            write_cycles(self.agg_cycles)
            self.p.reload("aggregator")

    def check_unregistered(self):
        """Members missing from the reporter's registry: a named one under "Not in the
        member registry" by its code, an anonymous one under "Region not given" (and
        Europe's two anonymous members left are fewer than K: withheld too)."""
        path = os.path.join(self.p.root, "registry-without-fr-de.csv")
        with open(self.p.registry, encoding="utf-8") as f, \
                open(path, "w", encoding="utf-8") as out:
            for line in f:
                if not line.startswith(("FR,", "DE,")):
                    out.write(line)
        out = subprocess.run([os.path.join(BIN, "canvass-reporter"), "digest", "--data",
                              self.p.data, "--registry", path, "--questionnaires", QDIR, *QC,
                              "--format", "json"], capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        lead = self.entries(json.loads(out.stdout))["leadership"]
        self.assertEqual([(g, sharing, m) for g, sharing, m, _ in lead],
                         [(None, "with_name", "FR")] + [(None, "anonymously", None)] * 4)
        page = json.loads(out.stdout)["sections"][0]["entries"][0]
        self.assertEqual(page["name"], "FR")

    def test_version_2_carries_version_1(self):
        """Version 2 only adds: every question of version 1 unchanged, the initiatives."""
        out = run([os.path.join(BIN, "canvassctl"), "questionnaire", "diff", "--questionnaires",
                   QDIR, Q, "1", "2"])
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.splitlines()
        self.assertEqual(lines[0], "gender-integrity: version 1 -> 2")
        added = [line.split()[1] for line in lines[1:] if line.startswith("added")]
        self.assertEqual(len(added), 31)
        self.assertTrue(all(a.startswith("gi_ip_") for a in added), added)
        self.assertEqual([line for line in lines[1:] if not line.startswith("added")], [])

    def test_shared_kinds(self):
        """A shared answer that is not a text shows as a reader reads it (an option's label,
        labels joined, Yes/No, a number with its unit, a level's label); only a text can be
        edited."""
        doc = {"questionnaire": "share-kinds", "version": 1, "cycle": "2025", "member": "PE",
               "answers": {"sk_consent": "with_name", "sk_kind": "training",
                           "sk_channels": ["web", "mail"], "sk_public": True, "sk_staff": 120,
                           "sk_level": 2}}
        self.submit("PE", doc, "PE-kinds.json")
        sk = ["--questionnaire", "share-kinds", "--cycle", "2025", "--member", "PE"]
        cmd = [os.path.join(BIN, "canvassctl"), "review", "edit", *sk, "--question", "sk_kind",
               "--text", "x", "--comment", "x", "--connect", self.review_ep, "--key",
               self.p.keys.key("alice"), "--server-key", self.p.keys.pub("aggregator"),
               "--json"]
        out = run(cmd)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        r = json.loads(out.stdout)
        self.assertEqual(r["status"], "MALFORMED")
        self.assertIn("sk_kind is not a text question: exclude it rather than edit it",
                      r["message"])
        out = subprocess.run([os.path.join(BIN, "canvass-reporter"), "digest", "--data",
                              self.p.data, "--registry", self.p.registry, "--questionnaires",
                              self.qdir, "--questionnaire", "share-kinds", "--cycle", "2025",
                              "--all-returns", "--format", "json"],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        d = json.loads(out.stdout)
        fields = {f["question"]: (f["label"], f["text"]) for f in
                  d["sections"][0]["entries"][0]["fields"]}
        self.assertEqual(fields, {
            "sk_kind": ("Its kind", "Training <staff> & managers"),
            "sk_channels": ("Channels", "Web; Mail"),
            "sk_public": ("Public?", "Yes"),
            "sk_staff": ("Staff trained", "120 officers"),
            "sk_level": ("Maturity", "In force")})
        self.assertEqual(d["sections"][0]["entries"][0]["name"], "Peru")

    def test_usage(self):
        """What the digest cannot take is refused with its reason (exit 2)."""
        for extra, words in ((("--approved-only",), "digest shares only approved returns"),
                             (("--format", "text"), 'digest has no format "text"'),
                             (("--format", "csv"), 'digest has no format "csv"')):
            out = self.digest("json", *extra, check=False)
            self.assertEqual(out.returncode, 2, out.stderr)
            self.assertIn(words, out.stderr.decode())
        out = self.p.reporter("compare", *QC, "--all-returns", check=False)
        self.assertEqual(out.returncode, 2)
        self.assertIn("--all-returns is for digest only", out.stderr)

    def test_edit_limits(self):
        """An edit longer than the question's max_length is refused, nothing stored."""
        r = self.review("edit", "JP", "--question", "gi_ip_hr_contact", "--text", "x" * 201,
                        "--comment", "too long", expect=1)
        self.assertEqual(r["status"], "MALFORMED")
        self.assertIn("longer than gi_ip_hr_contact allows (200 bytes)", r["message"])

    def check_formats(self, d):
        texts = {f["text"] for s in d["sections"] for e in s["entries"] for f in e["fields"]}
        self.assertIn(SPECIAL, texts)
        # HTML: self-contained, no script; every text exactly as a reader sees it.
        page = self.digest("html").stdout.decode()
        self.assertNotIn("<script", page)
        self.assertNotRegex(page, r"(src|href)=\"https?:")
        self.assertEqual(set(texts_of(page, "dd")), texts)
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, "digest.html")
        with open(path, "w", encoding="utf-8") as f:
            f.write(page)
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium is not None:
            shot = os.path.join(ARTIFACTS, "digest.png")
            if os.path.exists(shot):
                os.unlink(shot)
            flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                     f"--user-data-dir={os.path.join(self.p.root, 'chromium')}"]
            out = subprocess.run([chromium, *flags, "--window-size=1000,1800",
                                  f"--screenshot={shot}", "file://" + path],
                                 capture_output=True, timeout=180)
            self.assertEqual(out.returncode, 0, out.stderr[-2000:])
            self.assertGreater(os.path.getsize(shot), 20000, "the screenshot is (nearly) empty")
            dom = subprocess.run([chromium, *flags, "--dump-dom", "file://" + path],
                                 capture_output=True, text=True, timeout=180)
            self.assertEqual(set(texts_of(dom.stdout, "dd")), texts)
            print(f"\ndigest rendered: {shot}", flush=True)
        # Markdown, through a standard parser: the same texts, line breaks and all.
        md = self.digest("markdown").stdout.decode()
        with open(os.path.join(ARTIFACTS, "digest.md"), "w", encoding="utf-8") as f:
            f.write(md)
        rendered = markdown.markdown(md)
        paragraphs = set(texts_of(rendered, "p"))
        for t in texts:
            self.assertIn(t, paragraphs, f"{t!r} does not survive Markdown:\n{rendered}")
        self.assertEqual(texts_of(rendered, "h1"), ["Good-practice digest"])
        self.assertEqual(len(texts_of(rendered, "h2")), 3)
        # xlsx: one row per field, every text a text cell, exactly.
        book = openpyxl.load_workbook(io.BytesIO(self.digest("xlsx").stdout))
        self.assertIn("digest", book.sheetnames)
        rows = list(book["digest"].iter_rows(values_only=True))
        col = rows[0].index("text")
        self.assertEqual({r[col] for r in rows[1:]}, texts)
        self.assertEqual(len(rows) - 1, sum(len(e["fields"]) for s in d["sections"]
                                             for e in s["entries"]))

    def check_anonymity(self, d):
        """Nothing of an anonymous member in any format, nor in compare or SDMX."""
        anon = {"DE": "Germany", "IT": "Italy", "ES": "Spain", "KE": "Kenya",
                "NG": "Nigeria"}
        outputs = [self.digest(fmt).stdout.decode() for fmt in ("json", "html", "markdown")]
        book = openpyxl.load_workbook(io.BytesIO(self.digest("xlsx").stdout))
        outputs.append("\n".join(str(c) for ws in book for r in ws.iter_rows(values_only=True)
                                 for c in r if c is not None))
        for text in outputs:
            for code, name in anon.items():
                self.assertNotIn(name, text)
                self.assertNotIn(f"({code})", text)
                self.assertNotIn(f'"{code}"', text)
            # Kenya and Nigeria are alone in their regions: their regions appear nowhere.
            self.assertNotIn("East and Southern Africa", text)
            self.assertNotIn("West and Central Africa", text)
        for s in d["sections"]:
            anon_entries = [e for e in s["entries"] if e["sharing"] == "anonymously"]
            for e in anon_entries:
                self.assertNotIn("member", e)
                self.assertNotIn("name", e)
            # In each region, in the order of their text, never of their codes.
            for region in {e["region"] for e in anon_entries}:
                got = [e["fields"][0]["text"] for e in anon_entries if e["region"] == region]
                self.assertEqual(got, sorted(got))
        eu = [e["fields"][0]["text"] for e in d["sections"][0]["entries"]
              if e["sharing"] == "anonymously" and e["region"] == "Europe"]
        self.assertNotEqual(eu, [ANON_EU[c] for c in sorted(ANON_EU)])  # code order differs
        # The consent answers are never tabulated: compare and SDMX have none.
        cmp = json.loads(self.p.reporter("compare", *QC, "--format", "json").stdout)
        self.assertNotIn("gi_ip_consent", json.dumps(cmp))
        sdmx = self.p.reporter("compare", *QC, "--format", "sdmx").stdout
        self.assertNotIn("GI_IP_CONSENT", sdmx.upper())


if __name__ == "__main__":
    unittest.main(verbosity=2)
