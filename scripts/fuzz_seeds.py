#!/usr/bin/python3
"""Seeds for fuzz_store_request: StoreRequests as a collector sends them,
with quality checks (numbers, none, NaN, a dry run, a previous cycle), so
that the fuzzer starts inside the aggregator's checks; members' reads
(status, fetch) and reviewers' requests (list, show, query, approve,
reopen) of the returns the fuzz store is seeded with (q/2025: KE, FR).

usage: fuzz_seeds.py PROTO_DIR OUTDIR
"""
import atexit
import hashlib
import importlib
import math
import os
import shutil
import subprocess
import sys
import tempfile


def main():
    proto_dir, out = sys.argv[1], sys.argv[2]
    gen = tempfile.mkdtemp(prefix="canvass-seeds-")
    atexit.register(shutil.rmtree, gen, True)  # the generated classes, once loaded
    subprocess.run(["protoc", f"--python_out={gen}", "-I", proto_dir,
                    os.path.join(proto_dir, "canvass.proto")], check=True)
    sys.path.insert(0, gen)
    pb = importlib.import_module("canvass_pb2")
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
            c = req.checks.add(question=q, answered=v is not None,
                               value=0.0 if v is None else v, change=True,
                               has_relative=True, relative=0.5, outlier_z=3.5,
                               outlier_min_answers=3)
            c.has_absolute = i % 2 == 0
            c.absolute = 10.0
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
