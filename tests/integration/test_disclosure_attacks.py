"""The disclosure attack suite: an outsider and an insider member with every
published figure try to work out one member's answer exactly.

A registry with regions of 1 to 5 members beside two larger ones, one member
missing from the reporter's registry (World only), two cycles, answers with
n/a and don't know. For K = 3 and K = 5, every published output of compare
(JSON, and the HTML page checked against it), trend and member --feedback
(for every member) is attacked:

 1. a published cell whose answering members are too few (n 1, or n 2 with
    mean and sd: the pair is solved);
 2. World minus the shown regions (and any other combination: the linear
    system of every published sum is solved for each member's value);
 3. the same as an insider who removes its own answer;
 4. order statistics: five of them give a sample of up to five;
 5. feedback: the member's own region and World, with the member's own
    answer known;
 6. shares: an option taken by all, or all but one, of a group or of a
    derived aggregate (also by an insider);
 plus: all answers of a group or aggregate equal (sd 0), and special
 answers (n/a, don't know) counted in a group of one.

Across views (docs/reports.md, "What is published: one view of a cycle"):

 7. pairs of views of one cycle: all returns and --approved-only (region
    Penta has one return not approved), version 1 and version 2 (one
    member answered the staff count, an integer in version 1, with
    17633.5 on version 2): the public outputs of a cycle are one view, and
    the views together (the control) give answers away;
 8. scores against their questions: the linear system of every published
    figure of a view, questions and scores together, each member's unknowns
    tied to its score by its own weights (Europe holds a member whose
    "don't know" leaves its leadership score a denominator of its own),
    outsider and every insider, modulo the prime 2^61 - 1;
 9. special answers: the n/a and don't-know counts of a group, or of World
    minus the groups showing them, where every member without a value gave
    the same kind (Europe: two n/a on the AEO count);
10. repeated dry runs by a member at extreme values: no figure about the
    others in any reply.

Ground truth comes from the Secretariat-only outputs (export, compare
--members). The test asserts that no attack derives an answer exactly and
prints how many were tried; the controls, with each protection off, derive.
"""
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from fractions import Fraction
from html.parser import HTMLParser

from pipeline import BIN, ISA, KeyRing, Pipeline, keygen, synth, write_json

SMALL = {"Solo": ["KE"], "Duo": ["FR", "DE"], "Trio": ["JP", "CN", "IN"],
         "Quad": ["BR", "AR", "CL", "PE"], "Penta": ["US", "CA", "MX", "CO", "EC"]}
BIG = ("Europe", "Asia/Pacific")
BIG_EACH = 8
UNREGISTERED = "GB"  # submits, but the reporter's registry does not list it
TOL = 1e-6
Q = "integrity-self-assessment"
P = (1 << 61) - 1  # the prime of the linked-table attack's arithmetic
V2_VALUE = 17633.5  # hr_staff_total on version 2 (a number there, an integer in version 1)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# ------------------------------------------------------------ linear algebra

class RowSpace:
    """The span of linear equations over named unknowns (exact fractions)."""

    def __init__(self, rows):
        self.basis = []  # (pivot, row)
        for r in rows:
            r = self.reduce({k: Fraction(v) for k, v in r.items() if v})
            if r:
                self.basis.append((next(iter(r)), r))

    def reduce(self, r):
        for piv, b in self.basis:
            if piv in r:
                f = r[piv] / b[piv]
                for k, v in b.items():
                    r[k] = r.get(k, 0) - f * v
                    if r[k] == 0:
                        del r[k]
        return r

    def solves(self, var):
        """True when the equations pin var down exactly."""
        return bool(self.basis) and not self.reduce({var: Fraction(1)})


class ModSpace:
    """The span of linear equations modulo the prime P, in reduced row echelon
    form: an unknown is solved when a row holds it alone. An equation solved
    over the rationals is solved here too (its denominators are small), so
    the arithmetic misses no derivation (it could only find one too many)."""

    def __init__(self):
        self.rows = {}  # pivot -> row, the pivot's coefficient 1

    def add(self, row):
        r = {}
        for k, v in row.items():
            v = (v.numerator * pow(v.denominator, P - 2, P) if isinstance(v, Fraction)
                 else v) % P
            if v:
                r[k] = v
        for pv in [k for k in r if k in self.rows]:
            f = r.get(pv)
            if f:
                for k, v in self.rows[pv].items():
                    nv = (r.get(k, 0) - f * v) % P
                    if nv:
                        r[k] = nv
                    else:
                        r.pop(k, None)
        if not r:
            return
        pv = next(iter(r))
        inv = pow(r[pv], P - 2, P)
        r = {k: v * inv % P for k, v in r.items()}
        for b in self.rows.values():
            f = b.get(pv)
            if f:
                for k, v in r.items():
                    nv = (b.get(k, 0) - f * v) % P
                    if nv:
                        b[k] = nv
                    else:
                        b.pop(k, None)
        self.rows[pv] = r

    def solved(self):
        return {pv for pv, r in self.rows.items() if len(r) == 1}


class Attacker:
    """Counts attempts and successes; a success is a test failure."""

    def __init__(self):
        self.tried = 0
        self.derived = []

    def attempt(self, ok, what):
        self.tried += 1
        if ok:
            self.derived.append(what)


class TableView:
    """One published table (a figure for one cycle): per group, what is shown."""

    def __init__(self, groups):
        self.cells = {g["group"]: g for g in groups}

    def shown(self, group):
        c = self.cells.get(group)
        return c is not None and "suppressed" not in c


class DisclosureAttackTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="canvass-attack-")
        d = cls.tmp.name
        keys = KeyRing.shared()
        regions = {}
        for m in keys.members:
            regions[m["code"]] = m["region"]
        for name, codes in SMALL.items():
            for c in codes:
                regions[c] = name
        used = {c for codes in SMALL.values() for c in codes} | {UNREGISTERED}
        big_members = []
        for region in BIG:
            picked = [m["code"] for m in keys.members
                      if m["region"] == region and m["code"] not in used][:BIG_EACH]
            big_members += picked
        cls.submitters = sorted(used | set(big_members))
        # The collector's registry lists everybody (with keys); the reporter's
        # regroups the small regions and leaves UNREGISTERED out.
        full = os.path.join(d, "registry-keys.csv")
        with open(full, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["code", "name", "region", "public_key"])
            for m in keys.members:
                w.writerow([m["code"], m["name"], regions[m["code"]], m["public_key"]])
        cls.reporter_registry = os.path.join(d, "registry-report.csv")
        with open(cls.reporter_registry, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["code", "name", "region"])
            for m in keys.members:
                if m["code"] != UNREGISTERED:
                    w.writerow([m["code"], m["name"], regions[m["code"]]])
        cls.region = {c: (regions[c] if c != UNREGISTERED else None) for c in cls.submitters}
        europe = [m for m in big_members if regions[m] == "Europe"]
        cls.dk_member = europe[0]        # "don't know" on a leadership question
        cls.na_members = europe[1:3]     # "not applicable" on the AEO count
        cls.v2_member = [m for m in big_members if regions[m] == "Asia/Pacific"][0]
        cls.unapproved = ("EC", "PE")    # of 2025: every other return is approved
        # Version 2: the staff count becomes a number (it was an integer).
        cls.qdir = os.path.join(d, "questionnaires")
        os.makedirs(cls.qdir)
        v1 = load(ISA)
        shutil.copy(ISA, cls.qdir)
        v2 = json.loads(json.dumps(v1))
        v2["version"] = 2
        for sec in v2["sections"]:
            for q in sec["questions"]:
                if q["id"] == "hr_staff_total":
                    q["type"] = "number"
        write_json(os.path.join(cls.qdir, f"{Q}.v2.json"), v2)
        cls.p = Pipeline(root=d, registry=full)
        keygen(cls.p.keys.dir, "alice")
        reviewers = os.path.join(d, "reviewers.csv")
        with open(cls.p.keys.pub("alice"), encoding="utf-8") as f:
            alice = f.read().strip()
        with open(reviewers, "w", encoding="utf-8") as f:
            f.write(f"alice,{alice}\n")
        try:
            cls.p.start_aggregator("--review-listen", "tcp://127.0.0.1:*", "--reviewers",
                                   reviewers, "--questionnaires", cls.qdir, "--cycles",
                                   cls.p.cycles)
            cls.p.start_collector("--questionnaires", cls.qdir)
        except BaseException:
            cls.p.close()
            raise
        files = []
        for cycle, seed in (("2024", 11), ("2025", 12)):
            out = os.path.join(d, f"subs-{cycle}")
            files += synth(out, cycle=cycle, seed=seed, only=cls.submitters)
        # Attack 1's case: one answer, one n/a, one don't know in Trio.
        for path in files:
            sub = load(path)
            special = {"CN": {"special": "not_applicable"}, "IN": {"special": "dont_know"}}
            if sub["member"] in special:
                sub["answers"]["tr_advance_rulings_days"] = special[sub["member"]]
            if sub["member"] == "JP":
                sub["answers"]["tr_advance_rulings_days"] = 21.5
            # Penta: nobody selects cash_at_office, no option is held by all
            # or all but one (the shares rule's "none" case).
            payments = {"US": ["bank_transfer", "e_payment"],
                        "CA": ["bank_transfer", "deferred_account"],
                        "MX": ["e_payment", "deferred_account"], "CO": ["bank_transfer"],
                        "EC": ["e_payment", "deferred_account"]}
            if sub["member"] in payments:
                sub["answers"]["au_payments"] = payments[sub["member"]]
            if sub["member"] == "KE":  # a group of one answering n/a
                sub["answers"]["lc_committee_meetings"] = {"special": "not_applicable"}
            if sub["member"] in europe:
                # Values everywhere a don't know is allowed, but for the planted ones.
                i = europe.index(sub["member"])
                a = sub["answers"]
                a["lc_commitment"] = {"special": "dont_know"} if i == 0 else 1 + i % 3
                a["au_electronic_share"] = 40 + 7 * i
                a["ps_aeo_operators"] = ({"special": "not_applicable"} if i in (1, 2)
                                         else 900 + 37 * i)
            if sub["member"] == cls.v2_member and sub["cycle"] == "2025":
                sub["version"] = 2
                sub["answers"]["hr_staff_total"] = V2_VALUE
            write_json(path, sub)
        rc, r = cls.p.submit(*files)
        assert rc == 0, r
        for m in cls.submitters:
            if m not in cls.unapproved:
                cls.review("approve", m)
        cls.truth = {c: cls.load_truth(c) for c in ("2024", "2025")}
        # (The version-2 answer does not fit version 1: the truth of that view has none.)
        cls.definition = v1
        cls.attacks = Attacker()

    @classmethod
    def tearDownClass(cls):
        cls.p.close()
        cls.tmp.cleanup()

    # ---------------------------------------------------------------- truth

    @classmethod
    def reporter(cls, *args):
        return cls.p.reporter(*args, registry=cls.reporter_registry, qdir=cls.qdir).stdout

    @classmethod
    def review(cls, verb, member):
        out = subprocess.run(
            [os.path.join(BIN, "canvassctl"), "review", verb, "--questionnaire", Q, "--cycle",
             "2025", "--member", member, "--connect", cls.p.ready["aggregator"]["review"],
             "--key", cls.p.keys.key("alice"), "--server-key", cls.p.keys.pub("aggregator"),
             "--timeout-ms", "5000", "--comment", "checked"],
            capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr

    @classmethod
    def load_truth(cls, cycle):
        """member -> figure id -> ("value", x) | ("option", set) | ("special", kind)."""
        t = {}
        out = cls.reporter("export", "--questionnaire", "integrity-self-assessment",
                           "--cycle", cycle, "--format", "csv")
        qtypes = {q["id"]: q["type"] for s in load(ISA)["sections"] for q in s["questions"]}
        for row in csv.DictReader(io.StringIO(out)):
            m, q = row["member"], row["question"]
            if row["special"] in ("not_applicable", "dont_know"):
                v = ("special", row["special"])
            elif row["special"] == "unanswered":
                v = None
            elif qtypes[q] in ("yes_no", "choice"):
                v = ("option", {row["value"] if qtypes[q] == "choice" else
                                ("yes" if row["value"] == "true" else "no")})
            elif qtypes[q] == "multi_choice":
                v = ("option", set(row["value"].split(";")) if row["value"] else set())
            elif qtypes[q] == "text":
                v = None
            else:
                v = ("value", float(row["value"]))
            t.setdefault(m, {})[q] = v
        doc = json.loads(cls.reporter("compare", "--questionnaire", "integrity-self-assessment",
                                      "--cycle", cycle, "--format", "json", "--members",
                                      "--min-group", "1"))
        for row in doc["members"]:
            for sid, x in row["sections"].items():
                t.setdefault(row["member"], {})[sid] = None if x is None else ("value", x)
            t[row["member"]]["overall"] = (None if row["overall"] is None
                                           else ("value", row["overall"]))
        return t

    # -------------------------------------------------------------- attacks

    def members_of(self, group):
        if group == "World":
            return list(self.submitters)
        return [m for m in self.submitters if self.region[m] == group]

    def attack_table(self, cycle, fid, groups, numeric, insider=None, order_allowed=True,
                     whole_table=True, multi=False):
        """Every attack on one published table. insider: the member attacking, or None.
        whole_table: groups are every region and World (else a part of the table, as in
        feedback, whose World minus the rest is not known from this output alone).
        multi: a multiple choice, each option of which is a yes/no of its own."""
        a = self.attacks
        truth = self.truth[cycle]
        view = TableView(groups)
        names = [g["group"] for g in groups]
        answering = {g: [m for m in self.members_of(g)
                         if truth.get(m, {}).get(fid) and truth[m][fid][0] != "special"]
                     for g in names}
        special = {g: [m for m in self.members_of(g)
                       if truth.get(m, {}).get(fid) and truth[m][fid][0] == "special"]
                   for g in names}
        # The insider knows its own answer: it is not a target.
        def targets(ms):
            return [m for m in ms if m != insider]

        shown = [g for g in names if view.shown(g)]
        for g in shown:
            c = view.cells[g]
            ans = targets(answering[g])
            # 1: a published figure over one unknown answer (or two, with sd).
            if numeric:
                a.attempt(len(ans) == 1 and c.get("mean") is not None,
                          f"{cycle} {fid} {g}: one unknown answer behind a mean")
                a.attempt(len(ans) == 2 and c.get("sd") is not None,
                          f"{cycle} {fid} {g}: two unknown answers behind mean and sd")
                vals = [truth[m][fid][1] for m in ans]
                a.attempt(len(vals) >= 1 and max(vals) - min(vals) < TOL and
                          c.get("mean") is not None,
                          f"{cycle} {fid} {g}: every unknown answer equal")
                # 4: order statistics of up to five answers give the sample.
                has_order = c.get("min") is not None
                a.attempt(has_order and len(ans) <= 5,
                          f"{cycle} {fid} {g}: order statistics of {len(ans)} answers")
                a.attempt(has_order and not order_allowed,
                          f"{cycle} {fid} {g}: order statistics where none may be")
            else:
                # 6: an option held by all (or all but one) of the unknown answers.
                for o in c.get("options", []):
                    holders = [m for m in ans if o["id"] in truth[m][fid][1]]
                    a.attempt(len(ans) >= 1 and len(holders) == len(ans),
                              f"{cycle} {fid} {g}: every unknown answer chose {o['id']}")
                    # Each option of a multiple choice is a yes/no of its own.
                    a.attempt(multi and len(ans) >= 1 and not holders and
                              o.get("count") is not None,
                              f"{cycle} {fid} {g}: no unknown answer selected {o['id']}")
            # Special answers in a group whose every other member is known.
            if c.get("not_applicable") or c.get("dont_know"):
                unknown = targets(answering[g] + special[g])
                a.attempt(len(unknown) == 1 and unknown[0] in special[g],
                          f"{cycle} {fid} {g}: a special answer in a group of one")
            # 9: who gave no value is known; shown counts must not say what each gave.
            if c.get("not_applicable") is not None:
                self.attack_specials(cycle, fid, self.members_of(g), insider,
                                     f"{cycle} {fid} {g}")
        # 2 and 3: the linear system of every published sum (and count).
        rows = []
        for g in shown:
            c = view.cells[g]
            ms = targets(answering[g])
            if numeric and c.get("mean") is not None:
                rows.append({m: 1 for m in ms})                    # sum
                rows.append({("sq", m): 1 for m in ms})            # sum of squares
            elif not numeric:
                for o in c.get("options", []):
                    rows.append({(o["id"], m): 1 for m in ms})
                rows.append({("n", m): 1 for m in ms})
            # n/a and don't know counts over the group's non-value members.
            rows.append({("special", m): 1 for m in targets(answering[g] + special[g])})
        everyone = set(m for g in names for m in targets(answering[g] + special[g]))
        space = RowSpace(rows)
        for m in sorted(everyone):
            if numeric:
                for var in (m, ("sq", m)):
                    a.attempt(space.solves(var),
                              f"{cycle} {fid}: {var} solved from the published sums")
            else:
                a.attempt(space.solves(("n", m)), f"{cycle} {fid}: whether {m} answered solved")
            a.attempt(space.solves(("special", m)),
                      f"{cycle} {fid}: {m}'s special answer solved")
        # 9 on World minus the groups showing special counts.
        if whole_table and view.cells.get("World", {}).get("not_applicable") is not None:
            rest = [m for m in self.members_of("World")
                    if self.region[m] is None or
                    view.cells.get(self.region[m], {}).get("not_applicable") is None]
            self.attack_specials(cycle, fid, rest, insider,
                                 f"{cycle} {fid} World minus the groups showing n/a")
        # 2, 3 and 6 on the aggregate World minus the shown regions.
        if whole_table and "World" in shown:
            hidden = [g for g in names if g != "World" and g not in shown]
            ms = targets([m for m in answering["World"]
                          if self.region[m] is None or self.region[m] in hidden])
            if ms:
                if numeric:
                    vals = [truth[m][fid][1] for m in ms]
                    a.attempt(len(ms) <= 2, f"{cycle} {fid}: World minus shown = {ms}")
                    a.attempt(max(vals) - min(vals) < TOL,
                              f"{cycle} {fid}: World minus shown all equal")
                else:
                    for o in view.cells["World"].get("options", []):
                        holders = [m for m in ms if o["id"] in truth[m][fid][1]]
                        a.attempt(len(holders) == len(ms) or len(ms) == 1 or
                                  (multi and not holders),
                                  f"{cycle} {fid}: World minus shown all chose {o['id']}"
                                  f"{' (or none did)' if multi else ''}")

    def attack_specials(self, cycle, fid, members, insider, what):
        """Members without a value (not the insider): all of one kind gives each one's."""
        truth = self.truth[cycle]
        kinds = []
        for m in members:
            v = truth.get(m, {}).get(fid)
            if m == insider or (v is not None and v[0] != "special"):
                continue
            kinds.append(v[1] if v is not None else "unanswered")
        self.attacks.attempt(len(kinds) >= 1 and len(set(kinds)) == 1,
                             f"{what}: every member without a value answered {kinds[:1]}")

    # ---------------------------------------------- 8: scores and questions

    def score_terms(self, cycle, m, sid):
        """A member's score as (coefficient, unknown) terms: its own weights."""
        truth = self.truth[cycle].get(m, {})
        qs = [q for sec in self.definition["sections"] for q in sec["questions"]
              if "score" in q and (sid == "overall" or sec["id"] == sid)]
        answered = [q for q in qs if truth.get(q["id"]) and truth[q["id"]][0] != "special"]
        den = sum(Fraction(str(q["score"].get("weight", 1))) for q in answered)
        terms = []
        for q in answered:
            w = Fraction(str(q["score"].get("weight", 1))) / den * 100
            sc = q["score"]
            if q["type"] == "yes_no":
                terms.append((w * (Fraction(str(sc.get("yes", 1))) -
                                   Fraction(str(sc.get("no", 0)))), ("o", q["id"], "yes", m)))
            elif q["type"] == "choice":
                terms += [(w * Fraction(str(o.get("score", 0))), ("o", q["id"], o["id"], m))
                          for o in q["options"]]
            elif q["type"] == "scale":
                vals = [lv["value"] for lv in q["levels"]]
                terms.append((w / (max(vals) - min(vals)), ("v", q["id"], m)))
            else:
                terms.append((w / (Fraction(str(sc.get("full", 1))) -
                                   Fraction(str(sc.get("zero", 0)))), ("v", q["id"], m)))
        return terms

    def view_equations(self, cycle, doc):
        """Every published sum of a view as (row, members): questions and scores."""
        truth = self.truth[cycle]
        qtype = {q["id"]: q["type"] for sec in self.definition["sections"]
                 for q in sec["questions"]}
        eqs = []
        for t in doc["questions"] + doc["scores"]:
            tid = t["id"]
            shown = {g["group"] for g in t["groups"] if "suppressed" not in g}
            for c in t["groups"]:
                if "suppressed" in c:
                    continue
                if c["group"] == "World":  # World minus the shown regions: the same span
                    ms = [m for m in self.submitters
                          if self.region[m] is None or self.region[m] not in shown]
                else:
                    ms = self.members_of(c["group"])
                has = [m for m in ms if truth.get(m, {}).get(tid)]
                if not has:
                    continue
                if tid in qtype and qtype[tid] in ("integer", "number", "scale"):
                    has = [m for m in has if truth[m][tid][0] == "value"]
                    if c.get("mean") is not None:
                        eqs.append({("v", tid, m): 1 for m in has})
                    if c.get("sd") is not None:
                        eqs.append({("sq", tid, m): 1 for m in has})
                elif tid in qtype:
                    has = [m for m in has if truth[m][tid][0] == "option"]
                    for o in c.get("options", []):
                        if o.get("count") is not None:
                            eqs.append({("o", tid, o["id"], m): 1 for m in has})
                elif c.get("mean") is not None:  # a score: each member by its own weights
                    row = {}
                    for m in has:
                        for coef, var in self.score_terms(cycle, m, tid):
                            row[var] = row.get(var, 0) + coef
                    eqs.append(row)
                    if c.get("sd") is not None:
                        eqs.append({("sq", tid, m): 1 for m in has})
        # Known: each member answering a single choice chose one option.
        for q in (q for sec in self.definition["sections"] for q in sec["questions"]):
            if q["type"] in ("yes_no", "choice"):
                ids = ["yes", "no"] if q["type"] == "yes_no" else [o["id"] for o in q["options"]]
                for m in self.submitters:
                    v = truth.get(m, {}).get(q["id"])
                    if v and v[0] == "option":
                        eqs.append({("o", q["id"], o, m): 1 for o in ids})
        return eqs

    def check_links(self, cycle, doc, label):
        """Attack 8: every sum of the view at once, outsider and every insider."""
        eqs = [{k: v for k, v in e.items() if v} for e in self.view_equations(cycle, doc)]
        # Equations fall apart into sets of members no equation joins: solved apart.
        parent = {}

        def find(x):
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x
        for e in eqs:
            ms = [var[-1] for var in e]
            for m in ms[1:]:
                parent[find(ms[0])] = find(m)
        parts = {}
        for e in eqs:
            if e:
                parts.setdefault(find(next(iter(e))[-1]), []).append(e)
        for part in parts.values():
            members = sorted({var[-1] for e in part for var in e})
            unknowns = sorted({var for e in part for var in e}, key=repr)
            for insider in [None] + members:
                space = ModSpace()
                for e in part:
                    space.add({v: c for v, c in e.items() if v[-1] != insider})
                solved = space.solved()
                for var in unknowns:
                    if var[-1] != insider:
                        self.attacks.attempt(var in solved,
                                             f"{label} {cycle}: {var} solved by "
                                             f"{insider or 'an outsider'} from scores and "
                                             "questions")

    # ------------------------------------------------- 7: views of a cycle

    def check_views(self, cycle, k, combine_all=False):
        """Attack 7: the public views of a cycle are one; combined, views give answers.
        Returns the public views' names."""
        views = {}
        for name, extra in (("all returns", ()), ("approved only", ("--approved-only",)),
                            ("version 1", ("--version", "1")),
                            ("version 2", ("--version", "2"))):
            doc = json.loads(self.reporter("compare", "--questionnaire", Q, "--cycle", cycle,
                                           "--format", "json", "--min-group", str(k), *extra))
            views[name] = doc
        public = sorted(n for n, d in views.items()
                        if d["classification"].startswith("public"))
        # "all returns" and "version 1" are the same view here (the publication version).
        self.attacks.attempt(len({json.dumps(views[n]["questions"]) for n in public}) > 1,
                             f"{cycle} K={k}: {len(public)} different public views: {public}")
        names = list(views) if combine_all else public
        truth = self.truth[cycle]
        approved = [m for m in self.submitters if m not in self.unapproved or cycle != "2025"]
        for t in views["all returns"]["questions"]:
            if t.get("type") not in ("integer", "number", "scale"):
                continue
            rows = []
            for n in names:
                tv = next((x for x in views[n]["questions"] if x["id"] == t["id"]), None)
                if tv is None or tv.get("type") != t.get("type") and n != "version 2":
                    continue
                for c in tv["groups"]:
                    if "suppressed" in c or c.get("mean") is None:
                        continue
                    ms = [m for m in self.members_of(c["group"])
                          if truth.get(m, {}).get(t["id"]) and
                          truth[m][t["id"]][0] == "value" and
                          (n != "approved only" or m in approved)]
                    # Version 2 counts the answer version 1 skips (it is no integer).
                    if (n == "version 2" and t["id"] == "hr_staff_total" and cycle == "2025"
                            and self.region[self.v2_member] == c["group"]):
                        ms.append(self.v2_member)
                    elif n == "version 2" and t["id"] == "hr_staff_total" and \
                            c["group"] == "World" and cycle == "2025":
                        ms.append(self.v2_member)
                    rows.append({m: 1 for m in ms})
            space = RowSpace(rows)
            for m in self.submitters:
                self.attacks.attempt(space.solves(m),
                                     f"{cycle} K={k} views {names}: {t['id']} of {m} solved")
        return public

    # ------------------------------------------------- 10: dry runs

    def check_dry_runs(self):
        """A member of Trio asks, without storing, at extreme values, again and again."""
        path = os.path.join(self.tmp.name, "subs-2025", "JP.json")
        sub = load(path)
        own = set()
        for x in (0, 100, 0.5, 99.5, 50):
            sub["answers"]["au_electronic_share"] = x
            sub["answers"]["hr_staff_total"] = 1
            own |= {float(x), 1.0}
            probe = os.path.join(self.tmp.name, "probe-JP.json")
            write_json(probe, sub)
            rc, replies = self.p.submit_as("JP", probe, extra=("--check",))
            self.assertEqual(len(replies), 1, replies)
            reply = replies[0]
            for prob in reply.get("problems", []):
                self.attacks.attempt(prob["code"] == "OUTLIER",
                                     f"dry run JP {x}: an OUTLIER about the others")
                self.attacks.attempt("group" in prob or "group_size" in prob,
                                     f"dry run JP {x}: a group's figure")
                for key in ("value", "reference"):
                    if prob.get(key) is None:
                        continue
                    others = {v[1] for m, row in self.truth["2025"].items() if m != "JP"
                              for q, v in row.items() if v and v[0] == "value"}
                    self.attacks.attempt(float(prob[key]) in others and
                                         float(prob[key]) not in own,
                                         f"dry run JP {x}: {key} {prob[key]} is another "
                                         "member's answer")

    def check_compare(self, cycle, k, doc):
        for t in doc["questions"] + doc["scores"]:
            qtype = t.get("type", "number")
            if qtype == "text":
                continue
            numeric = qtype in ("integer", "number", "scale")
            multi = qtype == "multi_choice"
            self.attack_table(cycle, t["id"], t["groups"], numeric, multi=multi)
            # The insider: every submitting member attacks every table.
            for m in self.submitters:
                if self.truth[cycle].get(m, {}).get(t["id"]):
                    self.attack_table(cycle, t["id"], t["groups"], numeric, insider=m,
                                      multi=multi)

    def check_independent(self, cycle, doc):
        """Figures still published equal an independent computation."""
        truth = self.truth[cycle]
        for t in doc["questions"] + doc["scores"]:
            if t.get("type", "number") not in ("integer", "number", "scale"):
                continue
            for c in t["groups"]:
                if "suppressed" in c or c.get("mean") is None:
                    continue
                vals = [truth[m][t["id"]][1] for m in self.members_of(c["group"])
                        if truth.get(m, {}).get(t["id"]) and
                        truth[m][t["id"]][0] == "value"]
                self.assertEqual(c["n"], len(vals), (t["id"], c["group"]))
                self.assertAlmostEqual(c["mean"], sum(vals) / len(vals), delta=1e-6)

    def test_attacks(self):
        per_k = {}
        for k in (3, 5):
            before = self.attacks.tried
            for cycle in ("2024", "2025"):
                doc = json.loads(self.reporter(
                    "compare", "--questionnaire", "integrity-self-assessment", "--cycle", cycle,
                    "--format", "json", "--min-group", str(k)))
                self.assertEqual(doc["disclosure"]["min_group"], k)
                self.assertGreater(doc["disclosure"]["suppressed_cells"], 0)
                audit = doc["disclosure"]["audit"]
                self.assertEqual(audit["derivable"], 0)
                self.assertGreater(audit["equations"], len(doc["questions"]))
                self.check_independent(cycle, doc)
                self.check_compare(cycle, k, doc)
                self.check_html(cycle, k, doc)
                self.check_feedback(cycle, k, doc)
                self.check_links(cycle, doc, f"K={k}")
                self.assertEqual(self.check_views(cycle, k), ["all returns", "version 1"])
            self.check_trend(k)
            per_k[k] = self.attacks.tried - before
        self.check_dry_runs()
        print(f"\ndisclosure attack suite: {self.attacks.tried} attacks tried "
              f"(K=3: {per_k[3]}, K=5: {per_k[5]}, dry runs "
              f"{self.attacks.tried - per_k[3] - per_k[5]}), {len(self.attacks.derived)} derived",
              file=sys.stderr)
        self.assertEqual(self.attacks.derived, [])

    def test_settings(self):
        """Each setting, on the command line and in [reporter], changes what is hidden."""
        def disclosure(*extra):
            return json.loads(self.reporter(
                "compare", "--questionnaire", "integrity-self-assessment", "--cycle", "2025",
                "--format", "json", *extra))["disclosure"]
        base = disclosure()
        self.assertEqual((base["min_group"], base["min_group_numbers"], base["min_group_order"],
                          base["share_rule"], base["equal_rule"], base["suppressed_as"]),
                         (3, 4, 10, True, True, "x"))
        self.assertGreater(base["by_rule"]["min_n"], 0)
        self.assertGreater(base["by_rule"]["shares"], 0)
        off = disclosure("--share-rule=false", "--equal-rule=false")
        self.assertEqual((off["by_rule"]["shares"], off["by_rule"]["equal_values"]), (0, 0))
        k5 = disclosure("--min-group", "5")
        self.assertGreater(k5["by_rule"]["min_n"], base["by_rule"]["min_n"])
        order = disclosure("--min-group-order", "100000")
        self.assertGreater(order["order_withheld"], base["order_withheld"])
        ini = os.path.join(self.tmp.name, "reporter.ini")
        with open(ini, "w", encoding="utf-8") as f:
            f.write("[reporter]\nmin-group = 5\nsuppressed-as = c\nshare-rule = false\n")
        text = self.reporter("compare", "-c", ini, "--questionnaire",
                             "integrity-self-assessment", "--cycle", "2025")
        self.assertIn("figures need 5 members answering (numbers 5); shares rule off", text)
        # publish = approved: the approved returns are the public view, all returns not.
        def classification(*extra):
            return json.loads(self.reporter(
                "compare", "--questionnaire", Q, "--cycle", "2025", "--format", "json",
                *extra))["classification"]
        self.assertTrue(classification("--publish", "approved", "--approved-only")
                        .startswith("public"))
        self.assertTrue(classification("--publish", "approved").startswith("CONFIDENTIAL"))
        self.assertTrue(classification("--approved-only").startswith("CONFIDENTIAL"))
        self.assertTrue(classification("--version", "2").startswith("CONFIDENTIAL"))
        for rule in ("--share-rule=false", "--equal-rule=false", "--link-rule=false",
                     "--special-rule=false"):
            self.assertTrue(classification(rule).startswith("CONFIDENTIAL"), rule)
        csv_out = self.reporter("compare", "--questionnaire", Q, "--cycle", "2025",
                                "--format", "csv", "--approved-only")
        self.assertIn(",classification,confidential,", csv_out)
        bad = self.p.reporter("compare", "--questionnaire", Q, "--cycle", "2025", "--publish",
                              "everything", registry=self.reporter_registry, qdir=self.qdir,
                              check=False)
        self.assertEqual(bad.returncode, 2)
        self.assertIn('--publish is all or approved, not "everything"', bad.stderr)
        # Without --version a report is on the publication version (1), not the latest (2).
        doc = json.loads(self.reporter("compare", "--questionnaire", Q, "--cycle", "2025",
                                       "--format", "json"))
        self.assertEqual(doc["questionnaire"]["version"], 1)
        self.assertRegex(text, r"Solo\s+c\s+c\s+c\s+\(suppressed: min_n\)")

    def test_attacks_find_unprotected_figures(self):
        """The control: with disclosure control off the same attacks succeed."""
        attacks, self.attacks = self.attacks, Attacker()
        try:
            doc = json.loads(self.reporter(
                "compare", "--questionnaire", "integrity-self-assessment", "--cycle", "2025",
                "--format", "json", "--min-group", "1"))
            self.check_compare("2025", 1, doc)
            found = {re.sub(r":.*", "", w).split(" ", 2)[-1] for w in self.attacks.derived}
            print(f"\ncontrol: with --min-group 1, {len(self.attacks.derived)} of "
                  f"{self.attacks.tried} attacks derive an answer", file=sys.stderr)
            self.assertGreater(len(self.attacks.derived), 100)
            self.assertIn("Solo", found)  # a group of one
            self.assertTrue(any("order statistics" in w for w in self.attacks.derived))
            self.assertTrue(any("solved from the published sums" in w
                                for w in self.attacks.derived))
            self.assertTrue(any("chose" in w for w in self.attacks.derived))
            # The shares rule alone off, K = 3: an option of a multiple choice
            # that nobody in a shown region selected tells each one's answer.
            self.attacks = Attacker()
            doc = json.loads(self.reporter(
                "compare", "--questionnaire", "integrity-self-assessment", "--cycle", "2025",
                "--format", "json", "--share-rule=false"))
            self.check_compare("2025", 3, doc)
            none = [w for w in self.attacks.derived if "no unknown answer selected" in w]
            print(f"control: with --share-rule=false, {len(self.attacks.derived)} of "
                  f"{self.attacks.tried} attacks derive an answer, {len(none)} of them "
                  f"from an option of a multiple choice nobody selected", file=sys.stderr)
            self.assertGreater(len(none), 0)
            # The link rule off: the score beside its questions gives answers away.
            self.attacks = Attacker()
            doc = json.loads(self.reporter(
                "compare", "--questionnaire", Q, "--cycle", "2025", "--format", "json",
                "--link-rule=false"))
            self.check_links("2025", doc, "link rule off")
            dk = [w for w in self.attacks.derived if f"'{self.dk_member}')" in w]
            print(f"control: with --link-rule=false, {len(self.attacks.derived)} of "
                  f"{self.attacks.tried} attacks on scores and questions derive an answer, "
                  f"{len(dk)} of them {self.dk_member}'s (a don't know in leadership)",
                  file=sys.stderr)
            self.assertTrue(any("lc_strategy" in w for w in dk), self.attacks.derived[:5])
            # The special rule off: n/a counts tell what each member without a value said.
            self.attacks = Attacker()
            doc = json.loads(self.reporter(
                "compare", "--questionnaire", Q, "--cycle", "2025", "--format", "json",
                "--special-rule=false"))
            self.check_compare("2025", 3, doc)
            special = [w for w in self.attacks.derived if "without a value" in w]
            print(f"control: with --special-rule=false, {len(special)} special-answer "
                  f"attacks derive", file=sys.stderr)
            self.assertTrue(any("ps_aeo_operators Europe" in w for w in special), special)
            # Two views of one cycle together: all and approved, version 1 and 2.
            self.attacks = Attacker()
            self.check_views("2025", 3, combine_all=True)
            views = [w for w in self.attacks.derived if "solved" in w]
            print(f"control: the four views of 2025 together derive {len(views)} answers",
                  file=sys.stderr)
            self.assertTrue(any("of EC solved" in w for w in views), views)
            self.assertTrue(any(f"hr_staff_total of {self.v2_member} solved" in w
                                for w in views), views)
        finally:
            self.attacks = attacks

    def check_feedback(self, cycle, k, compare_doc):
        """Feedback: order statistics never; only cells compare shows; the insider attacks."""
        shown_in_compare = {(t["id"], c["group"]) for t in compare_doc["questions"] +
                            compare_doc["scores"] for c in t["groups"] if "suppressed" not in c}
        for m in self.submitters:
            doc = json.loads(self.reporter(
                "member", "--questionnaire", "integrity-self-assessment", "--cycle", cycle,
                "--member", m, "--feedback", "--format", "json", "--min-group", str(k)))
            text = json.dumps(doc)
            others = set(self.submitters) - {m}
            self.assertEqual({o for o in others if re.search(rf'"{o}"', text)}, set(), m)
            for line in doc["questions"] + doc["scores"]:
                groups = [g for g in (line.get("region"), line.get("world")) if g]
                for g in groups:
                    self.attacks.attempt(
                        "suppressed" not in g and (line["id"], g["group"]) not in
                        shown_in_compare,
                        f"{cycle} feedback {m} {line['id']}: shows what compare hides")
                    for key in ("min", "q1", "median", "q3", "max"):
                        self.attacks.attempt(g.get(key) is not None,
                                             f"{cycle} feedback {m}: {key} published")
                qtype = next((t.get("type", "number") for t in compare_doc["questions"] +
                              compare_doc["scores"] if t["id"] == line["id"]), "number")
                if qtype == "text":
                    continue
                self.attack_table(cycle, line["id"], groups,
                                  qtype in ("integer", "number", "scale"), insider=m,
                                  order_allowed=False, whole_table=False,
                                  multi=qtype == "multi_choice")

    def check_trend(self, k):
        doc = json.loads(self.reporter("trend", "--questionnaire", "integrity-self-assessment",
                                       "--format", "json", "--min-group", str(k)))
        cycles = [c["cycle"] for c in doc["cycles"]]
        compare = {c: json.loads(self.reporter(
            "compare", "--questionnaire", "integrity-self-assessment", "--cycle", c,
            "--format", "json", "--min-group", str(k))) for c in cycles}
        for s in doc["series"]:
            for g in s["groups"]:
                for c, v in zip(cycles, g["values"]):
                    t = next(x for x in compare[c]["questions"] + compare[c]["scores"]
                             if x["id"] == s["id"])
                    cell = next(x for x in t["groups"] if x["group"] == g["group"])
                    # Trend publishes a subset of compare: every attack on compare covers it.
                    self.attacks.attempt(v not in ("suppressed", None) and "suppressed" in cell,
                                         f"trend {s['id']} {g['group']} {c}: shown, hidden "
                                         "in compare")

    def check_html(self, cycle, k, doc):
        html = self.reporter("compare", "--questionnaire", "integrity-self-assessment",
                             "--cycle", cycle, "--format", "html", "--min-group", str(k))
        hidden = {(t["id"], c["group"]) for t in doc["questions"] + doc["scores"]
                  for c in t["groups"] if "suppressed" in c}
        rows = TableRows()
        rows.feed(html)
        for caption, cells in rows.rows:
            group = cells[0] if cells else ""
            tid_of = caption.split(" ")[0]
            key = next(((tid, g) for tid, g in hidden if g == group and tid == tid_of), None)
            if key is not None:
                # A hidden cell shows the mark and the reason, never a figure.
                self.attacks.attempt(any(re.fullmatch(r"[-0-9.]+%?", x) for x in cells[1:]),
                                     f"html {cycle} {key}: a figure in a hidden cell")
        self.assertIn("Disclosure control (docs/reports.md)", html)


class TableRows(HTMLParser):
    """(table caption, [cell texts]) for every row of every table."""

    def __init__(self):
        super().__init__()
        self.rows, self.caption, self.cell, self.cells = [], "", None, None
        self.in_caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "caption":
            self.in_caption, self.caption = True, ""
        elif tag == "tr":
            self.cells = []
        elif tag in ("td", "th") and self.cells is not None:
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "caption":
            self.in_caption = False
        elif tag in ("td", "th") and self.cell is not None:
            self.cells.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.cells is not None:
            self.rows.append((self.caption, self.cells))
            self.cells = None

    def handle_data(self, data):
        if self.in_caption:
            self.caption += data
        elif self.cell is not None:
            self.cell += data


if __name__ == "__main__":
    unittest.main(verbosity=2)
