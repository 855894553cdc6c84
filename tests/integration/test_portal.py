"""The member's portal (canvass-submit serve) through the real daemons over CURVE.

A real browser (Selenium driving headless Chromium) goes through the whole
journey a customs officer makes: the returns, the integrity self-assessment
filled in by keyboard and mouse (every question type, a conditional question
appearing, "don't know"), a check with an error fixed at its question and a
warning accepted, the review and the send, the receipt; a reviewer's query
(canvassctl review query) shown beside its question; a revision sent; the
approval, after which the form is locked. The same pages in French. axe-core,
run in every page, must find no WCAG 2.1 A/AA violation. The security gates are
tried with raw HTTP; a draft survives kill -9 of the portal; what the browser
sent equals, byte for byte in canonical form, what canvass-submit sends of the
same answers. Screenshots of every page are kept in CANVASS_ARTIFACTS.
"""
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import unittest
import urllib.parse

from pipeline import BIN, ISA, QDIR, SRC, Pipeline, keygen, write_json

ARTIFACTS = os.environ.get("CANVASS_ARTIFACTS", tempfile.gettempdir())
AXE = os.path.join(SRC, ".deps", "node_modules", "axe-core", "axe.min.js")
Q, CYCLE = "integrity-self-assessment", "2025"

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # setup.sh --test installs python3-selenium
    webdriver = None

with open(os.path.join(SRC, "data/examples/KE-2026.json"), encoding="utf-8") as f:
    ANSWERS = json.load(f)["answers"]
with open(ISA, encoding="utf-8") as f:
    DEF = json.load(f)
QUESTIONS = {q["id"]: q for s in DEF["sections"] for q in s["questions"]}


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


class Portal:
    """One canvass-submit serve, its address and its cookie."""

    def __init__(self, p, member, drafts, qdir=QDIR, extra=()):
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "canvass-submit"), "serve", "--connect", p.col_ep, "--key",
             p.keys.key(member), "--server-key", p.keys.pub("collector"), "--member", member,
             "--questionnaires", qdir, "--cycles", p.cycles, "--drafts", drafts,
             "--allow-root", "--timeout-ms", "3000", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()  # printed once serving: the readiness
        assert line.startswith(f"canvass portal for {member}: http://"), \
            line + self.proc.stderr.read()
        self.url = line.split(": ", 1)[1]
        u = urllib.parse.urlsplit(self.url)
        self.host, self.port, self.query = u.hostname, u.port, u.query
        self.origin = f"http://{self.host}:{self.port}"
        self.cookie = None

    def request(self, method, path, body=None, headers=None, cookie=True):
        c = http.client.HTTPConnection(self.host, self.port, timeout=30)
        h = dict(headers or {})
        if cookie and self.cookie:
            h.setdefault("Cookie", self.cookie)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read().decode("utf-8", "replace")
        c.close()
        return r, data

    def login(self):
        r, _ = self.request("GET", "/?" + self.query, cookie=False)
        assert r.status == 303, r.status
        self.cookie = r.getheader("Set-Cookie").split(";")[0]
        return r

    def post_form(self, fields, origin=True, path=f"/form?q={Q}&c={CYCLE}", headers=None):
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        if origin:
            h["Origin"] = self.origin
        h.update(headers or {})
        return self.request("POST", path, urllib.parse.urlencode(fields), h)

    def kill(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)
        self.proc.stdout.close()
        self.proc.stderr.close()


class PortalTest(unittest.TestCase):
    axe_checked = []
    driver = None
    portal = None

    @classmethod
    def setUpClass(cls):
        try:
            cls.start()
        except BaseException:
            cls.tearDownClass()  # nothing started is left behind
            raise

    @classmethod
    def start(cls):
        cls.p = Pipeline()
        k = cls.p.keys
        cls.alice = keygen(k.dir, "portal-alice")
        cls.reviewers = write_reviewers(os.path.join(cls.p.root, "reviewers.csv"), cls.alice)
        cls.p.start_aggregator("--review-listen", "tcp://127.0.0.1:*", "--reviewers",
                               cls.reviewers, "--questionnaires", QDIR, "--cycles", cls.p.cycles)
        cls.p.start_collector()
        cls.review_ep = cls.p.ready["aggregator"]["review"]
        cls.drafts = os.path.join(cls.p.root, "drafts-KE")
        cls.portal = Portal(cls.p, "KE", cls.drafts)
        cls.driver = None
        if webdriver is not None and shutil.which("chromedriver"):
            opts = webdriver.ChromeOptions()
            for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                      "--no-first-run", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync",
                      "--window-size=1100,1600",
                      f"--user-data-dir={os.path.join(cls.p.root, 'chromium')}"):
                opts.add_argument(a)
            opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
            cls.driver = webdriver.Chrome(
                service=Service(executable_path=shutil.which("chromedriver")),
                options=opts)

    @classmethod
    def tearDownClass(cls):
        if cls.driver is not None:
            cls.driver.quit()
        if cls.portal is not None:
            cls.portal.kill()
        if getattr(cls, "p", None) is not None:
            cls.p.close()

    # ------------------------------------------------------------ helpers

    def need_browser(self):
        if self.driver is None:
            self.skipTest("python3-selenium and chromium-driver are needed (setup.sh --test)")
        if not os.path.exists(AXE):
            self.skipTest(f"axe-core is needed at {AXE} (setup.sh --test installs it)")

    def shot(self, name):
        os.makedirs(ARTIFACTS, exist_ok=True)
        self.driver.save_screenshot(os.path.join(ARTIFACTS, f"portal-{name}.png"))

    def axe(self, name):
        """axe-core in the page: no WCAG 2.1 A/AA violation."""
        with open(AXE, encoding="utf-8") as f:
            self.driver.execute_script(f.read())
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}).then(r => done("
            "r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' '))"
            ".join(', '))));")
        self.assertEqual(result, [], name)
        self.axe_checked.append(name)

    def page(self, name):
        self.shot(name)
        self.axe(name)

    def click(self, element_id):
        el = self.driver.find_element(By.ID, element_id)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", el)
        el.click()

    def type_in(self, element_id, text):
        """Selects what the field holds and types over it, as a person does."""
        el = self.driver.find_element(By.ID, element_id)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", el)
        el.click()
        el.send_keys(Keys.CONTROL, "a")
        el.send_keys(Keys.DELETE)
        el.send_keys(text)
        self.assertEqual(el.get_attribute("value"), text, element_id)

    def follow(self, el):
        """Clicks el and waits (with a deadline) until the next page replaced this one.
        The old page's window carries a mark that a new document does not have; the
        element's staleness is not asked, since Chromium may answer that question
        mid-navigation with an error of its own ("Node ... does not belong to the
        document") instead of "stale"."""
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});"
                                   "window.canvassOldPage = true;", el)
        el.click()

        def replaced(driver):
            try:
                return driver.execute_script(
                    "return document.readyState === 'complete' && !window.canvassOldPage;")
            except WebDriverException:
                return False  # between the two documents: ask again
        WebDriverWait(self.driver, 30).until(replaced)

    def button(self, action):
        self.follow(self.driver.find_element(By.CSS_SELECTOR, f"button[value='{action}']"))

    def answer(self, qid, value):
        """One answer, the way a person gives it: a click or keys."""
        q = QUESTIONS[qid]
        t = q["type"]
        if t == "yes_no":
            self.click(f"a.{qid}.{1 if value else 2}")
        elif t == "scale":
            levels = [o["value"] for o in q["levels"]]
            self.click(f"a.{qid}.{levels.index(value) + 1}")
        elif t == "choice":
            ids = [o["id"] for o in q["options"]]
            self.click(f"a.{qid}.{ids.index(value) + 1}")
        elif t == "multi_choice":
            ids = [o["id"] for o in q["options"]]
            for v in value:
                self.click(f"a.{qid}.{ids.index(v) + 1}")
        else:
            self.type_in(f"a.{qid}", str(value))

    def review(self, verb, *args):
        out = run([os.path.join(BIN, "canvassctl"), "review", verb, "--questionnaire", Q,
                   "--cycle", CYCLE, "--member", "KE", *args, "--connect", self.review_ep,
                   "--key", self.p.keys.key("portal-alice"), "--server-key",
                   self.p.keys.pub("aggregator"), "--json"])
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return json.loads(out.stdout)

    def status(self, member="KE"):
        out = run([os.path.join(BIN, "canvass-submit"), "status", "--connect", self.p.col_ep,
                   "--key", self.p.keys.key(member), "--server-key",
                   self.p.keys.pub("collector"), "--json"])
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return json.loads(out.stdout)

    # ------------------------------------------------------------ the gates

    def test_1_security(self):
        """Every gate of docs/portal.md refuses, and nothing is saved or sent."""
        p = Portal(self.p, "FR", os.path.join(self.p.root, "drafts-FR-sec"))
        try:
            r, body = p.request("GET", "/", cookie=False)
            self.assertEqual(r.status, 403)
            self.assertIn("Forbidden", body)
            r, _ = p.request("GET", "/?token=" + "0" * 64, cookie=False)
            self.assertEqual(r.status, 403)
            r = p.login()
            cookie = r.getheader("Set-Cookie")
            self.assertIn("HttpOnly", cookie)
            self.assertIn("SameSite=Strict", cookie)
            r, body = p.request("GET", "/")
            self.assertEqual(r.status, 200)
            csp = r.getheader("Content-Security-Policy")
            self.assertIn("default-src 'none'", csp)
            self.assertIn("frame-ancestors 'none'", csp)
            self.assertIsNone(r.getheader("Access-Control-Allow-Origin"))
            # A foreign Host (DNS rebinding): refused, cookie or not.
            r, _ = p.request("GET", "/", headers={"Host": f"evil.example:{p.port}"})
            self.assertEqual(r.status, 403)
            # A cross-site POST: no Origin and no Referer, or another origin.
            fields = {"a.lc_strategy": "yes", "action": "save"}
            r, _ = p.post_form(fields, origin=False)
            self.assertEqual(r.status, 403)
            r, _ = p.post_form(fields, origin=False,
                               headers={"Origin": "http://evil.example"})
            self.assertEqual(r.status, 403)
            r, _ = p.post_form(fields, origin=False,
                               headers={"Referer": f"http://evil.example/{p.port}/"})
            self.assertEqual(r.status, 403)
            self.assertEqual(os.listdir(os.path.join(self.p.root, "drafts-FR-sec")), [])
            # An oversized POST.
            r, _ = p.post_form({"a.ps_notes": "x" * 300000, "action": "save"})
            self.assertEqual(r.status, 413)
            self.assertEqual(os.listdir(os.path.join(self.p.root, "drafts-FR-sec")), [])
            # A NUL byte in a field, or more fields than a form has: the form is
            # refused whole (no answer silently cut or dropped), nothing saved.
            r, body = p.post_form({"a.ps_notes": "before\x00after", "action": "save"})
            self.assertEqual((r.status, "NUL byte" in body), (400, True), body)
            r, body = p.post_form([("a.x", "1")] * 4097 + [("action", "save")])
            self.assertEqual((r.status, "more than 4096 fields" in body), (400, True))
            self.assertEqual(os.listdir(os.path.join(self.p.root, "drafts-FR-sec")), [])
            # HTML in an answer comes back escaped (and is saved, as text).
            r, body = p.post_form({"a.ps_notes": "<script>alert(1)</script>&", "action": "save"})
            self.assertEqual(r.status, 200)
            self.assertNotIn("<script>alert(1)</script>", body)
            self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;&amp;", body)
            # The Referer of the portal itself is accepted without Origin.
            r, _ = p.post_form(fields, origin=False, headers={"Referer": p.origin + "/form"})
            self.assertEqual(r.status, 200)
            # Nothing was sent by any of it.
            self.assertEqual(self.status("FR").get("returns", []), [])
        finally:
            p.kill()
        # HTML in a question's text is escaped too.
        qdir = os.path.join(self.p.root, "q-html")
        os.makedirs(qdir, exist_ok=True)
        d = json.loads(json.dumps(DEF))
        d["sections"][0]["questions"][0]["text"] = {"en": "Bold <b>claim</b> <script>x()</script>?",
                                                    "fr": "Gras <b>affirmé</b> <script>x()</script> ?"}
        write_json(os.path.join(qdir, "isa.json"), d)
        p = Portal(self.p, "FR", os.path.join(self.p.root, "drafts-FR-html"), qdir=qdir)
        try:
            p.login()
            r, body = p.request("GET", f"/form?q={Q}&c={CYCLE}")
            self.assertEqual(r.status, 200)
            self.assertIn("Bold &lt;b&gt;claim&lt;/b&gt; &lt;script&gt;x()&lt;/script&gt;?", body)
            self.assertNotIn("<script>", body)
        finally:
            p.kill()
        # Not loopback, or as root without --allow-root: refused at the start.
        base = [os.path.join(BIN, "canvass-submit"), "serve", "--connect", self.p.col_ep,
                "--key", self.p.keys.key("FR"), "--server-key", self.p.keys.pub("collector"),
                "--member", "FR", "--questionnaires", QDIR, "--cycles", self.p.cycles,
                "--drafts", os.path.join(self.p.root, "drafts-x")]
        out = run(base + ["--listen", "0.0.0.0:0", "--allow-root"])
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn("loopback address only", out.stderr)
        if os.geteuid() == 0:
            out = run(base)
            self.assertEqual(out.returncode, 2, out.stderr)
            self.assertIn("refusing to serve as root", out.stderr)

    # ------------------------------------------------------------ the journey

    def test_2_journey(self):
        """The officer fills in, checks, sends, answers a query, and the return is approved."""
        self.need_browser()
        d = self.driver
        d.get(self.portal.url)
        self.assertIn("Your returns (KE)", d.page_source)
        self.assertIn("not started", d.page_source)
        self.page("returns")
        self.follow(d.find_element(By.CSS_SELECTOR, f"a[href='/form?q={Q}&c={CYCLE}']"))
        self.assertIn(DEF["title"]["en"], d.title)
        # The conditional question does not apply before rm_programme is answered.
        self.assertIn("Does not apply", d.find_element(By.ID, "q-rm_stage").text)
        self.page("form-empty")
        # At 200 % zoom (half the width), the form reflows: no sideways scrolling.
        d.set_window_size(550, 1600)
        self.assertLessEqual(d.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth;"), 0)
        self.shot("form-zoom")
        d.set_window_size(1100, 1600)
        # Every answer, as a person gives it; lc_strategy by keyboard alone.
        first = d.find_element(By.ID, "a.lc_strategy.1")
        self.driver.execute_script("arguments[0].focus();", first)
        first.send_keys(Keys.SPACE)
        self.assertTrue(first.is_selected())
        for qid, value in ANSWERS.items():
            if qid in ("lc_strategy", "rm_stage", "tr_advance_rulings_days", "cc_signed_share"):
                continue
            value = 9000 if qid == "hr_staff_women" else value  # an error to fix
            self.answer(qid, value)
        # "Don't know", where the definition allows it.
        Select(d.find_element(By.ID, "s.tr_advance_rulings_days")).select_by_value("dont_know")
        # The conditional question appears once the form is updated.
        self.button("update")
        self.assertNotIn("Does not apply", d.find_element(By.ID, "q-rm_stage").text)
        self.answer("rm_stage", ANSWERS["rm_stage"])
        self.button("check")
        # The error, at its question and in the list at the top.
        problem = d.find_element(By.ID, "e-hr_staff_women").text
        self.assertIn("Women on staff cannot outnumber the total staff", problem)
        self.assertIn("Problems to fix before sending", d.page_source)
        self.page("check-error")
        self.answer("hr_staff_women", ANSWERS["hr_staff_women"])
        self.button("check")
        self.assertNotIn("Problems to fix before sending", d.page_source)
        # The warning (cc_signed_share left out) may be accepted as it is.
        self.assertIn("Warnings: please check these answers", d.page_source)
        self.assertIn("code of conduct exists but the share of staff", d.page_source)
        self.page("check-warning")
        self.button("review")
        self.assertIn("Review before sending", d.page_source)
        self.assertIn("<td>Contracting Party</td>", d.page_source)  # labels, not option ids
        self.page("summary")
        self.button("send")
        self.assertIn("Received and stored.", d.page_source)
        seq1 = int(d.find_element(By.XPATH, "//th[.='Sequence']/following-sibling::td").text)
        self.page("receipt")
        # The reviewer queries; the form shows the query at its question.
        self.review("query", "--question", "ps_aeo_operators", "--comment",
                    "Please confirm the number of AEO operators.")
        d.get(self.portal.origin + "/")
        self.assertIn("queried by the Secretariat", d.page_source)
        d.get(self.portal.origin + f"/form?q={Q}&c={CYCLE}")
        query = d.find_element(By.CSS_SELECTOR, "#q-ps_aeo_operators .query").text
        self.assertIn("Please confirm the number of AEO operators.", query)
        # The stored answers are the form's (no draft left after a send).
        self.assertEqual(d.find_element(By.ID, "a.ps_aeo_operators").get_attribute("value"),
                         "120")
        self.page("form-queried")
        self.answer("ps_aeo_operators", 125)
        self.button("review")
        self.button("send")
        self.assertIn("Received and stored.", d.page_source)
        self.assertEqual(d.find_element(By.XPATH, "//th[.='Revision']/following-sibling::td").text,
                         "2")
        st = [r for r in self.status().get("returns", []) if r["cycle"] == CYCLE][0]
        self.assertEqual(st["state"], "submitted")  # the revision answered the query
        self.assertGreater(st["receipt"]["sequence"], seq1)
        # Approved: the form is shown locked.
        self.review("approve")
        d.get(self.portal.origin + f"/form?q={Q}&c={CYCLE}")
        self.assertIn("approved and locked", d.page_source)
        self.assertFalse(d.find_element(By.ID, "a.ps_aeo_operators").is_enabled())
        self.assertEqual(d.find_elements(By.CSS_SELECTOR, "button[value='send']"), [])
        self.page("form-locked")
        self.check_same_as_canvass_submit()

    def check_same_as_canvass_submit(self):
        """The browser's submission, sent again by canvass-submit: DUPLICATE of it."""
        self.portal.login()
        r, body = self.portal.request("GET", f"/json?q={Q}&c={CYCLE}")
        self.assertEqual(r.status, 200)
        path = os.path.join(self.p.root, "from-portal.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(body)
        rc, receipts = self.p.submit_as("KE", path)
        self.assertEqual(receipts[0]["status"], "DUPLICATE", receipts)
        st = [x for x in self.status().get("returns", []) if x["cycle"] == CYCLE][0]
        self.assertEqual(receipts[0]["receipt"]["content_hash"], st["receipt"]["content_hash"])

    def test_3_french(self):
        """The portal in French: the returns and a form with its check."""
        self.need_browser()
        d = self.driver
        d.get(self.portal.url)
        self.follow(d.find_element(By.CSS_SELECTOR, "a[lang='fr']"))
        self.assertEqual(d.find_element(By.TAG_NAME, "html").get_attribute("lang"), "fr")
        self.assertIn("Vos réponses (KE)", d.page_source)
        self.page("returns-fr")
        d.get(self.portal.origin + "/form?q=gender-integrity&c=2025")
        self.assertIn("Vérifier", d.page_source)
        # The questionnaire in French too: its title, sections, questions and labels.
        with open(os.path.join(QDIR, "gender-integrity.v1.json"), encoding="utf-8") as f:
            g = json.load(f)
        self.assertIn(g["title"]["fr"], d.title)
        first = g["sections"][0]
        self.assertIn(first["title"]["fr"], d.page_source)
        self.assertIn(first["questions"][0]["text"]["fr"].replace("'", "&#39;"),
                      d.page_source.replace("'", "&#39;"))
        self.button("check")
        self.assertIn("Problèmes à corriger avant l'envoi", d.page_source)
        self.page("check-fr")
        # The journey in French: every factor answered, checked, reviewed, sent.
        yes_no = [q["id"] for sec in g["sections"] for q in sec["questions"]
                  if q["type"] == "yes_no" and "when" not in q]
        self.assertEqual(len(yes_no), 11)
        for qid in yes_no:
            self.click(f"a.{qid}.2")  # Non: the follow-up questions then do not apply
        self.button("check")
        self.assertIn("La vérification n'a trouvé aucun problème", d.page_source)
        self.button("review")
        self.assertIn("Relecture avant l'envoi", d.page_source)
        self.page("summary-fr")
        self.button("send")
        self.assertIn("Reçue et enregistrée.", d.page_source)
        self.page("receipt-fr")
        st = [r for r in self.status().get("returns", [])
              if r["questionnaire"] == "gender-integrity" and r["cycle"] == "2025"]
        self.assertEqual(len(st), 1)
        self.follow(d.find_element(By.CSS_SELECTOR, "a[lang='en']"))
        self.assertEqual(d.find_element(By.TAG_NAME, "html").get_attribute("lang"), "en")

    def test_4_draft_survives_kill(self):
        """kill -9 of the portal mid-edit: the draft is there after a restart; nothing sent."""
        drafts = os.path.join(self.p.root, "drafts-JP")
        p = Portal(self.p, "JP", drafts)
        try:
            p.login()
            r, _ = p.post_form({"a.lc_strategy": "no", "a.hr_staff_total": "777",
                                "a.au_electronic_share": "12,5", "action": "save"})
            self.assertEqual(r.status, 200)
            p.kill(signal.SIGKILL)
            for name in os.listdir(drafts):
                self.assertFalse(name.endswith(".tmp"), name)
                self.assertEqual(os.stat(os.path.join(drafts, name)).st_mode & 0o777, 0o600)
            self.assertEqual(os.stat(drafts).st_mode & 0o777, 0o700)
            p = Portal(self.p, "JP", drafts)
            p.login()
            r, body = p.request("GET", f"/form?q={Q}&c={CYCLE}")
            self.assertIn('id="a.hr_staff_total" value="777"', body)
            self.assertIn('id="a.au_electronic_share" value="12.5"', body)
            self.assertIn('id="a.lc_strategy.2" value="no" checked', body)
            self.assertEqual(self.status("JP").get("returns", []), [])
        finally:
            p.kill()

    def test_5_sharing(self):
        """Under each shared answer, whether and how the good-practice digest shows it:
        as the consent answer stands, then edited by the Secretariat, then held back
        when the member changes the edited answer, then left out."""
        self.need_browser()
        d = self.driver
        form = self.portal.origin + "/form?q=gender-integrity&c=2025"
        note = "s-gi_ip_lc_initiative"
        d.get(self.portal.url)
        d.get(form)
        self.assertIn("not shared: your answers do not consent to it",
                      d.find_element(By.ID, note).text)
        self.type_in("a.gi_ip_lc_initiative", "Mentoring for women officers, by Ms A. Wanjiru")
        self.click("a.gi_ip_consent.2")  # anonymously
        self.button("check")
        self.assertIn("shared anonymously, as your answers stand",
                      d.find_element(By.ID, note).text)
        self.button("review")
        self.button("send")
        self.assertIn("Received and stored.", d.page_source)

        def gender(verb, *args):
            out = run([os.path.join(BIN, "canvassctl"), "review", verb, "--questionnaire",
                       "gender-integrity", "--cycle", "2025", "--member", "KE", *args,
                       "--connect", self.review_ep, "--key", self.p.keys.key("portal-alice"),
                       "--server-key", self.p.keys.pub("aggregator"), "--json"])
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

        gender("edit", "--question", "gi_ip_lc_initiative", "--text",
               "Mentoring for women officers", "--comment", "a name removed")
        d.get(form)
        self.assertEqual(d.find_element(By.ID, note).text,
                         "Good-practice digest: shared anonymously, as your answers stand; "
                         "shown as edited by the Secretariat (a name removed): "
                         "Mentoring for women officers")
        d.execute_script("arguments[0].scrollIntoView({block: 'center'});",
                         d.find_element(By.ID, note))
        self.page("sharing")
        self.type_in("a.gi_ip_lc_initiative", "Mentoring for women officers, and more")
        self.button("check")
        self.assertIn("held back from the digest until the Secretariat reviews it again",
                      d.find_element(By.ID, note).text)
        gender("exclude", "--comment", "not about gender")
        d.get(form)
        self.assertIn("left out by the Secretariat (not about gender)",
                      d.find_element(By.ID, note).text)

    @classmethod
    def report_axe(cls):
        print(f"axe-core: 0 WCAG 2.1 A/AA violations on {len(cls.axe_checked)} pages: "
              + ", ".join(cls.axe_checked))


def write_reviewers(path, key):
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"portal-alice,{key}\n")
    return path


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    PortalTest.report_axe()
    raise SystemExit(0 if result.wasSuccessful() else 1)
