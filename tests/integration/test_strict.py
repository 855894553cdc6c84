"""Bytes are checked at the door, through the real collector over CURVE.

- The hostile frame corpus: requests built byte by byte (NUL, invalid,
  overlong and surrogate UTF-8 in every string field, control characters,
  wrong wire types for every answer kind, unknown and repeated fields). Each
  gets MALFORMED with its documented problem code, echoes the request id,
  stores nothing, and an honest member is served between every two.
- Conformance: every reply of that corpus and of the JSON corpus of bad
  submissions is decoded with Python's protobuf (generated from
  proto/canvass.proto at test time), a strict proto3 decoder.
- Dedup: the same content spelt differently (87, 87.0, 8.7e1, answers in
  another order, a multiple choice in another order) without an id is one
  revision; the receipt's id is the hex of its content hash.
- Outbox: ids that differ only in characters a file name cannot hold, the
  same file listed twice, and two concurrent runs on one outbox.
"""
import atexit
import concurrent.futures
import importlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

from pipeline import BIN, SRC, Pipeline, synth, write_json

CORPUS = os.path.join(SRC, "tests/corpus")
POKE = os.path.join(BIN, "canvass-poke")
SUBMIT = os.path.join(BIN, "canvass-submit")
VALID = os.path.join(CORPUS, "valid/KE-2025.json")

_PB = None


def pb():
    """canvass_pb2, generated now by protoc from the schema in the tree."""
    global _PB
    if _PB is None:
        out = tempfile.mkdtemp(prefix="canvass-pb-")
        atexit.register(shutil.rmtree, out, True)  # the generated classes, once loaded
        subprocess.run(["protoc", f"--python_out={out}", "-I", os.path.join(SRC, "proto"),
                        os.path.join(SRC, "proto/canvass.proto")], check=True)
        sys.path.insert(0, out)
        _PB = importlib.import_module("canvass_pb2")
    return _PB


def strict_decode(hexbytes):
    """Decodes a Reply with Python's protobuf; raises on anything non-conformant."""
    reply = pb().Reply()
    reply.ParseFromString(bytes.fromhex(hexbytes))
    return reply


# ---------------------------------------------------------- a hand encoder

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def tag(num, wt):
    return varint((num << 3) | wt)


def ld(num, payload):
    return tag(num, 2) + varint(len(payload)) + payload


def vi(num, n):
    return tag(num, 0) + varint(n)


def zigzag(n):
    return (n << 1) ^ (n >> 63)


def value(v):
    """The oneof value of an Answer for a JSON value, as the schema encodes it."""
    if isinstance(v, bool):
        return vi(2, int(v))
    if isinstance(v, int):
        return vi(3, zigzag(v) & (2 ** 64 - 1))
    if isinstance(v, float):
        return tag(4, 1) + struct.pack("<d", v)
    if isinstance(v, str):
        return ld(5, v.encode())
    if isinstance(v, list):
        return ld(6, b"".join(ld(1, i.encode()) for i in v))
    return vi(7, {"not_applicable": 1, "dont_know": 2}[v["special"]])


class Frame:
    """A Request for KE's valid submission, each part replaceable by raw bytes."""

    def __init__(self):
        with open(VALID, encoding="utf-8") as f:
            sub = json.load(f)
        self.sub = {"questionnaire": sub["questionnaire"].encode(), "cycle": sub["cycle"].encode(),
                    "member": sub["member"].encode(), "key": b""}
        self.version = sub["version"]
        self.answers = [(q.encode(), value(v)) for q, v in sub["answers"].items()]
        self.sub_extra = b""
        self.req_extra = b""

    def answer(self, qid, raw):
        """Replaces the answer to qid (str or raw bytes), or adds one, with raw value bytes."""
        qid = qid.encode() if isinstance(qid, str) else qid
        self.answers = [(q, v) for q, v in self.answers if q != qid]
        self.answers.append((qid, raw))
        return self

    def bytes(self, request_id=7):
        s = self.sub
        body = (ld(1, s["questionnaire"]) + vi(2, self.version) + ld(3, s["cycle"]) +
                ld(4, s["member"]) + (ld(5, s["key"]) if s["key"] else b""))
        for q, v in self.answers:
            body += ld(6, ld(1, q) + v)
        body += self.sub_extra
        return vi(1, 1) + vi(2, request_id) + ld(3, body) + self.req_extra


def with_sub(field, raw):
    f = Frame()
    f.sub[field] = raw
    return f


def with_answer(qid, raw):
    return Frame().answer(qid, raw)


def hostile_cases():
    """(name, frame bytes, problem code): each must be answered MALFORMED with code."""
    bad_utf8 = {"ff-fe": b"\xff\xfe", "overlong": b"\xc0\xaf", "surrogate": b"\xed\xa0\x80",
                "above-10ffff": b"\xf4\x90\x80\x80", "cut-short": b"ab\xe2\x82"}
    c = []
    # NUL in every id and in text.
    c.append(("nul-member", with_sub("member", b"KE\0FR"), "NUL_IN_STRING"))
    c.append(("nul-questionnaire", with_sub("questionnaire", b"integrity-self-assessment\0x"),
              "NUL_IN_STRING"))
    c.append(("nul-cycle", with_sub("cycle", b"2025\0"), "NUL_IN_STRING"))
    c.append(("nul-key", with_sub("key", b"k\0ey"), "NUL_IN_STRING"))
    c.append(("nul-question", Frame().answer("lc_strategy\0", vi(2, 1)), "NUL_IN_STRING"))
    c.append(("nul-option", with_answer("rf_rkc", ld(5, b"contracting_party\0")), "NUL_IN_STRING"))
    c.append(("nul-text", with_answer("ps_notes", ld(5, b"abc\0def")), "NUL_IN_STRING"))
    c.append(("nul-list-item", with_answer("au_payments", ld(6, ld(1, b"e_payment\0"))),
              "NUL_IN_STRING"))
    # Invalid UTF-8 of each kind, in each string field.
    for kind, raw in bad_utf8.items():
        c.append((f"utf8-{kind}-text", with_answer("ps_notes", ld(5, b"ok " + raw)),
                  "INVALID_UTF8"))
    c.append(("utf8-member", with_sub("member", b"K\xffE"), "INVALID_UTF8"))
    c.append(("utf8-questionnaire", with_sub("questionnaire", b"integrity\xc0\xaf"), "INVALID_UTF8"))
    c.append(("utf8-cycle", with_sub("cycle", b"20\xed\xa0\x8025"), "INVALID_UTF8"))
    c.append(("utf8-key", with_sub("key", b"key-\xf4\x90\x80\x80"), "INVALID_UTF8"))
    c.append(("utf8-question", Frame().answer(b"lc_\xc0\xaf", vi(2, 1)), "INVALID_UTF8"))
    c.append(("utf8-option", with_answer("rf_rkc", ld(5, b"contracting\xffparty")), "INVALID_UTF8"))
    c.append(("utf8-list-item", with_answer("au_payments", ld(6, ld(1, b"e_pay\xedment"))),
              "INVALID_UTF8"))
    # Control characters (TAB, LF and CR are allowed in text).
    c.append(("control-text", with_answer("ps_notes", ld(5, b"bell\x07")), "CONTROL_CHARACTER"))
    c.append(("control-del", with_answer("ps_notes", ld(5, b"del\x7f")), "CONTROL_CHARACTER"))
    c.append(("control-member", with_sub("member", b"K\x1bE"), "CONTROL_CHARACTER"))
    # C1 controls (U+0080-U+009F): U+009B is a terminal's CSI, U+0085 a line break.
    c.append(("control-c1-csi", with_answer("ps_notes", ld(5, b"csi\xc2\x9b2J")),
              "CONTROL_CHARACTER"))
    c.append(("control-c1-nel", with_answer("ps_notes", ld(5, b"a\xc2\x85b")), "CONTROL_CHARACTER"))
    # Wrong wire types for each answer kind, and for top-level fields.
    c.append(("wt-boolean-fixed64", with_answer("lc_strategy", tag(2, 1) + struct.pack("<Q", 1)),
              "WRONG_WIRE_TYPE"))
    c.append(("wt-integer-fixed32", with_answer("lc_commitment", tag(3, 5) + struct.pack("<I", 6)),
              "WRONG_WIRE_TYPE"))
    c.append(("wt-number-varint", with_answer("au_electronic_share", vi(4, 87)), "WRONG_WIRE_TYPE"))
    c.append(("wt-text-varint", with_answer("rf_rkc", vi(5, 1)), "WRONG_WIRE_TYPE"))
    c.append(("wt-list-fixed64", with_answer("au_payments", tag(6, 1) + b"\0" * 8),
              "WRONG_WIRE_TYPE"))
    c.append(("wt-special-bytes", with_answer("tr_advance_rulings_days", ld(7, b"\x02")),
              "WRONG_WIRE_TYPE"))
    f = Frame()
    f.req_extra = tag(2, 1) + b"\0" * 8  # request_id as fixed64, after the real one
    c.append(("wt-request-id", f, "WRONG_WIRE_TYPE"))
    # Unknown fields, at every level.
    f = Frame()
    f.sub_extra = ld(99, b"hidden bytes")
    c.append(("unknown-in-submission", f, "UNKNOWN_FIELD"))
    c.append(("unknown-in-answer", with_answer("lc_strategy", vi(2, 1) + vi(99, 1)),
              "UNKNOWN_FIELD"))
    f = Frame()
    f.req_extra = ld(99, b"x")
    c.append(("unknown-in-request", f, "UNKNOWN_FIELD"))
    c.append(("unknown-in-list", with_answer("au_payments", ld(6, ld(1, b"e_payment") + vi(2, 1))),
              "UNKNOWN_FIELD"))
    # A singular field twice, a one-of with two values.
    f = Frame()
    f.sub_extra = ld(4, b"FR")
    c.append(("repeated-member", f, "REPEATED_FIELD"))
    c.append(("oneof-two-values", with_answer("lc_strategy", vi(2, 1) + vi(3, 2)),
              "REPEATED_FIELD"))
    c.append(("truncated-string", Frame().answer("ps_notes", tag(5, 2) + varint(50) + b"short"),
              "TRUNCATED"))
    return [(name, frame.bytes(), code) for name, frame, code in c]


class StrictTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.p = Pipeline().start()
        cls.tmp = tempfile.TemporaryDirectory(prefix="canvass-strict-")
        cls.decoded = 0

    @classmethod
    def tearDownClass(cls):
        cls.p.close()
        cls.tmp.cleanup()
        print(f"\nconformance: {cls.decoded} replies decoded by Python protobuf "
              f"{pb().__name__} without error", file=sys.stderr)

    def poke(self, member, *cases):
        out = subprocess.run([POKE, "--connect", self.p.col_ep, "--key", self.p.keys.key(member),
                              "--server-key", self.p.keys.pub("collector"), *cases],
                             capture_output=True, text=True, timeout=120, check=True)
        results = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
        for r in results:
            for h in r["raw"]:
                strict_decode(h)
                type(self).decoded += 1
        return results

    def sequence(self):
        return self.p.report()["store"]["sequence"]

    def test_hostile_frames(self):
        cases = hostile_cases()
        self.assertGreaterEqual(len(cases), 25)
        honest_members = [m["code"] for m in self.p.keys.members
                          if m["code"] not in ("KE", "FR")][:len(cases)]
        honest = synth(os.path.join(self.tmp.name, "honest"), only=honest_members)
        before = self.sequence()
        codes = {}
        for (name, raw, code), good in zip(cases, honest):
            path = os.path.join(self.tmp.name, name + ".bin")
            with open(path, "wb") as f:
                f.write(raw)
            [r] = self.poke("KE", "raw:" + path)
            self.assertEqual(r["replies"], {"MALFORMED": 1}, name)
            self.assertEqual(r["codes"], [code], name)
            reply = strict_decode(r["raw"][0])
            self.assertEqual(reply.request_id, 7, name)  # echoed: it was readable
            self.assertEqual(reply.problems[0].code, code, name)
            self.assertNotIn("\ufffd", reply.message, name)
            codes[code] = codes.get(code, 0) + 1
            # Another member is served normally in between.
            rc, out = self.p.submit_as(os.path.basename(good)[:-5], good)
            self.assertEqual((rc, out[0]["status"]), (0, "ACCEPTED"), name)
        # Nothing of the hostile frames was stored: only the honest ones.
        self.assertEqual(self.sequence(), before + len(cases))
        print(f"\nhostile corpus: {len(cases)} cases, codes {json.dumps(codes, sort_keys=True)}, "
              f"0 stored", file=sys.stderr)

    def test_replies_of_the_json_corpus_decode(self):
        with open(os.path.join(CORPUS, "bad/MANIFEST.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        by_member = {}
        for name, want in sorted(manifest.items()):
            by_member.setdefault(want["as"], []).append(
                "valid:" + os.path.join(CORPUS, "bad", name + ".json"))
        n = 0
        for member, cases in by_member.items():
            for r in self.poke(member, *cases):
                self.assertEqual(len(r["raw"]), 1)
                n += 1
        self.assertEqual(n, len(manifest))

    def test_echoes_are_valid_utf8(self):
        # Valid UTF-8 that is not an identifier, echoed back in problems: the
        # reply must cut it at a character boundary, never mid-sequence.
        f = Frame().answer("é" * 60, vi(2, 1))
        f.sub["member"] = ("É" * 18).encode()
        path = os.path.join(self.tmp.name, "echo.bin")
        with open(path, "wb") as out:
            out.write(f.bytes())
        [r] = self.poke("KE", "raw:" + path)
        self.assertEqual(r["replies"], {"REJECTED": 1})
        reply = strict_decode(r["raw"][0])
        got = {p.code: p for p in reply.problems}
        self.assertIn("MEMBER_MISMATCH", got)
        self.assertIn("UNKNOWN_QUESTION", got)
        self.assertTrue(got["UNKNOWN_QUESTION"].question.startswith("é"))

    def test_spelling_does_not_make_new_content(self):
        with open(VALID, encoding="utf-8") as f:
            base = json.load(f)
        base["member"] = "FR"
        variants = []
        for i, share in enumerate(["87", "87.0", "8.7e1", "870e-1"]):
            answers = dict(base["answers"], au_electronic_share="@SHARE@",
                           ai_investigations=42.0 if i % 2 else 42)
            if i == 3:  # another order of answers and of the multiple choice
                answers = dict(reversed(list(answers.items())))
                answers["au_payments"] = list(reversed(answers["au_payments"]))
            text = json.dumps(dict(base, answers=answers)).replace('"@SHARE@"', share)
            path = os.path.join(self.tmp.name, f"spelling-{i}.json")
            with open(path, "w", encoding="utf-8") as out:
                out.write(text)
            variants.append(path)
        rc, r = self.p.submit_as("FR", *variants, extra=("--parallel", "1"))
        self.assertEqual(rc, 0, r)
        self.assertEqual([x["status"] for x in r],
                         ["ACCEPTED", "DUPLICATE", "DUPLICATE", "DUPLICATE"])
        self.assertEqual({x["receipt"]["sequence"] for x in r}, {r[0]["receipt"]["sequence"]})
        self.assertEqual({x["receipt"]["revision"] for x in r}, {1})
        for x in r:
            self.assertEqual(x["receipt"]["id"], x["receipt"]["content_hash"])

    def test_independent_client_reproduces_the_content_hash(self):
        """docs/protocol.md's canonical form, followed with Python's protobuf, gives
        the content hash the receipt names."""
        import hashlib
        with open(VALID, encoding="utf-8") as f:
            sub = json.load(f)
        sub["member"] = "MX"
        sub["answers"]["au_electronic_share"] = 87.0  # a whole number: an integer
        path = write_json(os.path.join(self.tmp.name, "independent.json"), sub)
        rc, r = self.p.submit_as("MX", path)
        self.assertEqual((rc, r[0]["status"]), (0, "ACCEPTED"), r)
        m = pb().Submission()
        m.questionnaire = sub["questionnaire"]
        m.version = sub["version"]
        m.cycle = sub["cycle"]
        m.member = sub["member"]
        for qid in sorted(sub["answers"], key=lambda q: q.encode()):
            v, a = sub["answers"][qid], m.answers.add()
            a.question = qid
            if isinstance(v, bool):
                a.boolean = v
            elif isinstance(v, float) and v.is_integer() and abs(v) <= 2 ** 53:
                a.integer = int(v)
            elif isinstance(v, int):
                a.integer = v
            elif isinstance(v, float):
                a.number = v
            elif isinstance(v, str):
                a.text = v
            elif isinstance(v, list):
                a.list.items.extend(sorted(v, key=lambda o: o.encode()))
            else:
                a.special = {"not_applicable": 1, "dont_know": 2}[v["special"]]
        digest = hashlib.sha256(m.SerializeToString()).hexdigest()
        self.assertEqual(digest, r[0]["receipt"]["content_hash"])
        self.assertEqual(digest, r[0]["receipt"]["id"])

    def test_outbox(self):
        with open(VALID, encoding="utf-8") as f:
            base = json.load(f)
        member = "JP"
        outbox = os.path.join(self.tmp.name, "outbox")
        # Ids a file name cannot tell apart, with the collector unreachable: both kept.
        files = []
        for i, key in enumerate(["batch/1", "batch_1"]):
            files.append(write_json(os.path.join(self.tmp.name, f"ob-{i}.json"),
                                    dict(base, member=member, id=key)))
        dead = f"ipc://{self.tmp.name}/nobody.sock"
        rc, r = self.p.submit_as(member, *files, endpoint=dead,
                                 extra=("--outbox", outbox, "--attempts", "1",
                                        "--timeout-ms", "300"))
        self.assertEqual(rc, 3, r)
        self.assertEqual(len([n for n in os.listdir(outbox) if n.endswith(".json")]), 2)
        for name in os.listdir(outbox):
            self.assertEqual(os.stat(os.path.join(outbox, name)).st_mode & 0o777, 0o600)
        # The next run sends both; the same content under another explicit id
        # is a new revision. The outbox ends empty.
        rc, r = self.p.submit_as(member, extra=("--outbox", outbox))
        self.assertEqual(rc, 0, r)
        self.assertEqual([x["status"] for x in r], ["ACCEPTED", "ACCEPTED"])
        self.assertEqual(sorted(x["receipt"]["id"] for x in r), ["batch/1", "batch_1"])
        revs = sorted(x["receipt"]["revision"] for x in r)
        self.assertEqual(revs[1], revs[0] + 1)
        self.assertEqual(os.listdir(outbox), [])
        # One file listed twice in one run: one stored, one DUPLICATE, exit 0.
        twice = write_json(os.path.join(self.tmp.name, "twice.json"),
                           dict(base, member=member, answers=dict(base["answers"],
                                                                  ai_investigations=43)))
        rc, r = self.p.submit_as(member, twice, twice, extra=("--outbox", outbox))
        self.assertEqual(rc, 0, r)
        self.assertEqual(sorted(x["status"] for x in r), ["ACCEPTED", "DUPLICATE"])
        self.assertEqual(os.listdir(outbox), [])
        # Two concurrent runs on one outbox with the same submission.
        again = write_json(os.path.join(self.tmp.name, "again.json"),
                           dict(base, member=member, answers=dict(base["answers"],
                                                                  ai_investigations=44)))
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            runs = list(pool.map(lambda _: self.p.submit_as(member, again,
                                                            extra=("--outbox", outbox)),
                                 range(2)))
        self.assertEqual([rc for rc, _ in runs], [0, 0], runs)
        # A run may also find the other's entry in the outbox and send it: every
        # send of this content is answered, exactly one of them stored.
        statuses = sorted(x["status"] for _, r in runs for x in r)
        self.assertEqual(statuses[0], "ACCEPTED")
        self.assertEqual(set(statuses[1:]), {"DUPLICATE"})
        self.assertEqual(len({x["receipt"]["sequence"] for _, r in runs for x in r}), 1)
        self.assertEqual([n for n in os.listdir(outbox) if not n.startswith(".")], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
