#!/usr/bin/python3
"""Seeds for fuzz_store_request: StoreRequests as a collector sends them,
with quality checks (numbers, none, NaN, a dry run, a previous cycle), so
that the fuzzer starts inside the aggregator's checks; members' reads
(status, fetch) and reviewers' requests (list, show, query, approve,
reopen) of the returns the fuzz store is seeded with (q/2025: KE, FR).

With --entries: stored HistoryEntries for fuzz_entry, a submission made
of every answer of each example in EXAMPLES_DIR (canonical: answers
sorted by question id) and a review action.

usage: fuzz_seeds.py PROTO_DIR OUTDIR
       fuzz_seeds.py --entries PROTO_DIR EXAMPLES_DIR OUTDIR
"""
import json
import atexit
import hashlib
import importlib
import math
import os
import shutil
import subprocess
import sys
import tempfile


def load_pb(proto_dir):
    """canvass_pb2, generated into a temporary directory removed at exit."""
    gen = tempfile.mkdtemp(prefix="canvass-seeds-")
    atexit.register(shutil.rmtree, gen, True)  # the generated classes, once loaded
    subprocess.run(["protoc", f"--python_out={gen}", "-I", proto_dir,
                    os.path.join(proto_dir, "canvass.proto")], check=True)
    sys.path.insert(0, gen)
    return importlib.import_module("canvass_pb2")


def submission_of(pb, doc):
    """A JSON submission as its canonical protobuf Submission."""
    sub = pb.Submission(questionnaire=doc["questionnaire"], version=doc["version"],
                        cycle=doc["cycle"], member=doc["member"])
    for qid in sorted(doc["answers"]):
        v, a = doc["answers"][qid], None
        a = sub.answers.add(question=qid)
        if isinstance(v, bool):
            a.boolean = v
        elif isinstance(v, int) or (isinstance(v, float) and v.is_integer()):
            a.integer = int(v)
        elif isinstance(v, float):
            a.number = v
        elif isinstance(v, str):
            a.text = v
        elif isinstance(v, list):
            a.list.items.extend(sorted(v))
        else:
            a.special = pb.NOT_APPLICABLE if v["special"] == "not_applicable" else pb.DONT_KNOW
    return sub


def entries(proto_dir, examples, out):
    pb = load_pb(proto_dir)
    os.makedirs(out, exist_ok=True)
    seq = 0
    for name in sorted(os.listdir(examples)):
        with open(os.path.join(examples, name), encoding="utf-8") as f:
            doc = json.load(f)
        body = submission_of(pb, doc).SerializeToString()
        seq += 1
        e = pb.HistoryEntry(sequence=seq, revision=1, member=doc["member"],
                            questionnaire=doc["questionnaire"], cycle=doc["cycle"],
                            idempotency_key=f"k{seq}",
                            content_hash=hashlib.sha256(body).digest(),
                            prev_chain_hash=bytes(32), chain_hash=bytes(32),
                            received_at_ms=1, stored_at_ms=2, submission=body)
        with open(os.path.join(out, f"seed-entry-{seq}"), "wb") as f:
            f.write(e.SerializeToString())
    action = pb.ReviewAction(action=pb.QUERY, questionnaire="integrity-self-assessment",
                             cycle="2026", member="KE", reviewer="alice", comment="why?",
                             questions=["lc_strategy"], action_id="a1").SerializeToString()
    e = pb.HistoryEntry(sequence=seq + 1, revision=1, member="KE",
                        questionnaire="integrity-self-assessment", cycle="2026",
                        idempotency_key="a1",
                        content_hash=hashlib.sha256(b"canvass review\0" + action).digest(),
                        prev_chain_hash=bytes(32), chain_hash=bytes(32), stored_at_ms=3,
                        review=action, previous_sequence=1)
    with open(os.path.join(out, "seed-entry-review"), "wb") as f:
        f.write(e.SerializeToString())


def main():
    if sys.argv[1] == "--entries":
        entries(*sys.argv[2:5])
        return
    proto_dir, out = sys.argv[1], sys.argv[2]
    pb = load_pb(proto_dir)
    os.makedirs(out, exist_ok=True)
    cases = [
        ("KE", "2025", "2024", False, [("n1", 40.0), ("n2", None)]),
        ("FR", "2025", "2024", True, [("n1", 4000.0), ("n2", 0.85)]),
        ("BR", "2025", "", False, [("n1", math.nan), ("n2", -1e308)]),
        ("JP", "2024", "", False, [("n1", 12.0), ("n1", 13.0)]),
    ]
    for i, (member, cycle, prev, dry, values) in enumerate(cases):
        sub = pb.Submission(questionnaire="q", version=1, cycle=cycle, member=member)
        for q, v in values:
            if v is not None and not math.isnan(v):
                sub.answers.add(question=q, number=v)
        body = sub.SerializeToString()
        req = pb.StoreRequest(protocol_version=1, ticket=i + 1, member=member,
                              questionnaire="q", cycle=cycle, idempotency_key=f"k{i}",
                              content_hash=hashlib.sha256(body).digest(), submission=body,
                              dry_run=dry, previous_cycle=prev)
        for q, v in values:
            req.check_questions.append(q)
            req.check_values.append(math.nan if v is None else v)
            req.check_relative.append(0.5)
            req.check_absolute.append(10.0 if i % 2 == 0 else math.nan)
            req.check_outlier_z.append(3.5)
            req.check_min_answers.append(3)
        if i == 1:  # lineage: n1 was n0 in the previous version
            req.check_previous.extend(["n0", ""])
        with open(os.path.join(out, f"seed-{i}"), "wb") as f:
            f.write(req.SerializeToString())
    reads = [pb.StoreRequest(protocol_version=1, ticket=9, member="KE", read=pb.READ_STATUS),
             pb.StoreRequest(protocol_version=1, ticket=10, member="KE", questionnaire="q",
                             cycle="2025", read=pb.READ_FETCH)]
    reviews = [pb.ReviewRequest(protocol_version=1, request_id=1,
                                list=pb.ReviewList(questionnaire="q", cycle="2025")),
               pb.ReviewRequest(protocol_version=1, request_id=2,
                                show=pb.ReturnRef(questionnaire="q", cycle="2025", member="KE"))]
    for i, kind in enumerate((pb.QUERY, pb.APPROVE, pb.REOPEN)):
        reviews.append(pb.ReviewRequest(protocol_version=1, request_id=3 + i, act=pb.ReviewAction(
            action=kind, questionnaire="q", cycle="2025", member="FR", comment="why?",
            questions=["n1"] if kind == pb.QUERY else [], action_id=f"a{i}")))
    for i, m in enumerate(reads + reviews):
        with open(os.path.join(out, f"seed-read-{i}"), "wb") as f:
            f.write(m.SerializeToString())


if __name__ == "__main__":
    main()
