"""Crash test: a receipt means stored, retries are harmless, under kill -9.

Several member clients (canvass-submit with an outbox, several in flight)
submit thousands of distinct submissions, plus deliberate resends, while
the test kills the aggregator with SIGKILL several times at random moments,
once the collector, and once a running client, restarting each. Every client
journals what it sent and every receipt it got. At the end:

- every submission with an ACCEPTED or DUPLICATE receipt is in the store
  exactly once, at the sequence its receipt names;
- no (member, key) is stored twice;
- every submission is eventually stored (the outbox resends what got no
  receipt);
- the history chain verifies (canvassctl verify), mdb_copy -c of the store
  succeeds and the copy verifies too;
- the reporter's counts equal the journal's.

Bounded to about a minute by default; longer with the environment
CANVASS_CRASH_SUBMISSIONS (per client, default 1500) and CANVASS_CRASH_KILLS
(aggregator kills, default 4). scripts/crash-test.sh runs it repeatedly.
"""
import json
import os
import random
import signal
import subprocess
import threading
import time
import unittest

from pipeline import BIN, ISA, Pipeline, synth, unmarked, wait_for, write_json

SUBMISSIONS = int(os.environ.get("CANVASS_CRASH_SUBMISSIONS", "1500"))
KILLS = int(os.environ.get("CANVASS_CRASH_KILLS", "4"))
MEMBERS = ("KE", "FR", "JP", "BR")
RESEND_EVERY = 10


class Client(threading.Thread):
    """One member: sends its files in batches through canvass-submit until all are stored."""

    def __init__(self, p, member, files, deadline):
        super().__init__(daemon=True)
        self.p, self.member, self.files, self.deadline = p, member, files, deadline
        self.outbox = os.path.join(p.root, f"outbox-{member}")
        self.journal = []          # ("sent", id) and ("receipt", id, status, sequence)
        self.stored = {}           # id -> receipt of the first ACCEPTED/DUPLICATE
        self.proc = None
        self.runs = 0
        self.unanswered = 0        # outputs without a stored receipt (retried later)
        self.lock = threading.Lock()

    def id_of(self, path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)["id"]

    def run_batch(self, batch):
        cmd = [os.path.join(BIN, "canvass-submit"), "--json", "--quiet", "--connect", self.p.col_ep,
               "--key", self.p.keys.key(self.member), "--server-key", self.p.keys.pub("collector"),
               "--outbox", self.outbox, "--parallel", "4", "--attempts", "3",
               "--timeout-ms", "1500", *batch]
        for path in batch:
            self.journal.append(("sent", self.id_of(path)))
        with self.lock:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                         text=True)
        out, _ = self.proc.communicate(timeout=300)
        with self.lock:
            self.proc = None
        self.runs += 1
        for line in out.splitlines():
            r = json.loads(line)
            rec = r.get("receipt")
            key = rec["id"] if rec else None
            if key is None or r["status"] not in ("ACCEPTED", "DUPLICATE"):
                self.unanswered += 1
            if key is None:
                continue
            self.journal.append(("receipt", key, r["status"], rec["sequence"]))
            if r["status"] in ("ACCEPTED", "DUPLICATE"):
                self.stored.setdefault(key, rec)
                # The same key must always be answered with the same receipt.
                assert self.stored[key]["sequence"] == rec["sequence"], (key, rec)

    def run(self):
        queue = list(self.files)
        # Deliberate resends: every tenth file goes again later.
        queue += self.files[::RESEND_EVERY]
        while time.monotonic() < self.deadline:
            if queue:
                batch, queue = queue[:60], queue[60:]
            else:
                pending = [f for f in os.listdir(self.outbox) if f.endswith(".json")] \
                    if os.path.isdir(self.outbox) else []
                missing = [f for f in self.files if self.id_of(f) not in self.stored]
                if not pending and not missing:
                    return
                # Resend the outbox; files whose receipts were lost with a killed
                # client are in the outbox too, or get sent again.
                batch = [f for f in missing if not pending][:60]
            self.run_batch(batch)

    def kill(self):
        with self.lock:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGKILL)
                return True
        return False


def make_files(root, member, n):
    """n distinct submissions of one member (revisions), each with its own id."""
    base_path = synth(os.path.join(root, f"base-{member}"), only=(member,))[0]
    with open(base_path, encoding="utf-8") as f:
        base = json.load(f)
    files = []
    for i in range(n):
        sub = json.loads(json.dumps(base))
        sub["id"] = f"{member}-{i:05d}"
        sub["answers"]["lc_committee_meetings"] = i % 366
        sub["answers"]["hr_staff_total"] = 1000 + i
        sub["answers"].pop("hr_staff_women", None)
        files.append(write_json(os.path.join(root, f"{member}-{i:05d}.json"), sub))
    return files


class CrashTest(unittest.TestCase):
    def test_kill_minus_nine(self):
        rng = random.Random(os.environ.get("CANVASS_CRASH_SEED"))
        p = Pipeline().start()
        try:
            deadline = time.monotonic() + 240
            clients = [Client(p, m, make_files(p.root, m, SUBMISSIONS), deadline) for m in MEMBERS]
            for c in clients:
                c.start()
            kills = {"aggregator": 0, "collector": 0, "client": 0}
            plan = ["aggregator"] * KILLS + ["collector", "client"]
            rng.shuffle(plan)
            for what in plan:
                time.sleep(rng.uniform(0.1, 0.6))  # a random moment, not synchronisation
                if all(not c.is_alive() for c in clients):
                    break
                if what == "aggregator":
                    Pipeline.stop_proc(p.agg, signal.SIGKILL)
                    p.start_aggregator()
                elif what == "collector":
                    Pipeline.stop_proc(p.col, signal.SIGKILL)
                    p.start_collector()
                else:
                    if not any(c.kill() for c in rng.sample(clients, len(clients))):
                        continue
                kills[what] += 1
            for c in clients:
                c.join(timeout=max(1, deadline - time.monotonic()))
                self.assertFalse(c.is_alive(), f"{c.member} did not finish in time")

            # What the store holds, read-only.
            out = subprocess.run([os.path.join(BIN, "canvassctl"), "history", "--data", p.data],
                                 capture_output=True, text=True, check=True)
            entries = [json.loads(line) for line in out.stdout.splitlines()]
            by_key = {}
            for e in entries:
                by_key.setdefault((e["member"], e["id"]), []).append(e)
            twice = {k: v for k, v in by_key.items() if len(v) > 1}
            self.assertEqual(twice, {}, "a key is stored twice")

            total_acked = 0
            for c in clients:
                ids = {c.id_of(f) for f in c.files}
                # Every submission eventually stored, exactly once.
                self.assertEqual({k for (m, k) in by_key if m == c.member}, ids, c.member)
                # Every receipt tells the truth: its sequence holds that very key.
                for key, rec in c.stored.items():
                    self.assertEqual(by_key[(c.member, key)][0]["sequence"], rec["sequence"])
                total_acked += len(c.stored)
                self.assertEqual(set(c.stored), ids, f"{c.member}: not every submission acked")
            self.assertEqual(len(entries), total_acked)

            verify = subprocess.run([os.path.join(BIN, "canvassctl"), "verify", "--data", p.data],
                                    capture_output=True, text=True)
            self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
            self.assertIn(f"verified: all {len(entries)} entries", verify.stdout)

            copy = os.path.join(p.root, "copy")
            os.mkdir(copy)
            subprocess.run(["mdb_copy", "-c", p.data, copy], check=True, timeout=120)
            verify = subprocess.run([os.path.join(BIN, "canvassctl"), "verify", "--data", copy],
                                    capture_output=True, text=True)
            self.assertEqual(verify.returncode, 0, verify.stdout)

            report = p.report()
            self.assertEqual(report["store"]["sequence"], len(entries))
            # The reports' in-place reading equals protobuf-c's on the crashed store.
            for fmt in ("json", "csv"):
                self.assertEqual(p.report(fmt=fmt, extra=("--members",)),
                                 p.report(fmt=fmt, extra=("--members", "--full-decode")), fmt)
                # Without member rows compare keeps no row (each summarised as it is read).
                self.assertEqual(p.report(fmt=fmt), p.report(fmt=fmt, extra=("--full-decode",)),
                                 fmt)
            # ... and its figures are those the kept rows give.
            kept = p.report(extra=("--members",))
            self.assertIn("members", kept)
            del kept["members"]
            self.assertEqual(unmarked(report), unmarked(kept))
            self.assertEqual(report["submissions"]["total"], len(MEMBERS))
            latest = {m: max(e["revision"] for e in entries if e["member"] == m) for m in MEMBERS}
            self.assertEqual(latest, {m: SUBMISSIONS for m in MEMBERS})

            sent = sum(1 for c in clients for j in c.journal if j[0] == "sent")
            dups = sum(1 for c in clients for j in c.journal
                       if j[0] == "receipt" and j[2] == "DUPLICATE")
            print(f"\ncrash test: {len(entries)} stored, {sent} sends, {dups} duplicate receipts, "
                  f"{sum(c.unanswered for c in clients)} sends without a receipt (retried), "
                  f"kills {kills}, client runs {sum(c.runs for c in clients)}", flush=True)
            self.assertEqual(kills["aggregator"], KILLS)
        finally:
            p.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
