"""The storage fault table of docs/storage.md, row by row, with the real
aggregator and an LD_PRELOAD shim (tests/tools/faultshim.c) that makes writes
and syncs of data.mdb fail: what the member is answered, whether the
aggregator stops, and that nothing acknowledged is lost (after a restart
where it stopped).
"""
import json
import os
import subprocess
import unittest

from pipeline import BIN, Pipeline, synth, wait_for

SHIM = os.path.join(BIN, "faultshim.so")
CTL = os.path.join(BIN, "canvassctl")

# fault, the member's answer, whether the aggregator stops
ROWS = [
    ("sync EIO", "INTERNAL", True),
    ("data EIO", "INTERNAL", True),
    ("meta ENOSPC", "INTERNAL", True),
    ("data ENOSPC", "STORAGE_FULL", False),
    ("data short", "STORAGE_FULL", False),
]


class StorageFaultTest(unittest.TestCase):
    def run_row(self, fault, answer, stops):
        p = Pipeline()
        control = os.path.join(p.root, "fault")
        env = {"LD_PRELOAD": SHIM, "CANVASS_FAULT_FILE": control,
               # the shim comes before the sanitizer's runtime in the sanitizer build
               "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}
        try:
            p.agg = p._start("aggregator", p.aggregator_args(), env=env)
            p.start_collector()
            files = synth(os.path.join(p.root, "subs"), only=("KE", "FR", "JP", "BR"))
            rc, r = p.submit(*files[:3])
            self.assertEqual(rc, 0, r)
            acked = {x["receipt"]["sequence"] for x in r}
            with open(control, "w", encoding="utf-8") as f:
                f.write(fault + "\n")
            member = os.path.basename(files[3])[:-5]
            rc, r = p.submit_as(member, files[3], extra=("--attempts", "1"))
            self.assertEqual(r[0]["status"], answer, (fault, r))
            os.unlink(control)
            if stops:
                wait_for(lambda: p.agg.poll() is not None, "the aggregator to stop")
                self.assertEqual(p.agg.returncode, 1, fault)
                self.assertIn("event=storage_failed", p.log("aggregator"))
                p.agg = p._start("aggregator", p.aggregator_args(), env=env)
            else:
                self.assertIsNone(p.agg.poll(), f"{fault}: the aggregator must keep serving")
            # The resend is stored (or was: DUPLICATE); nothing acknowledged is lost.
            rc, r = p.submit_as(member, files[3])
            self.assertEqual(rc, 0, (fault, r))
            self.assertIn(r[0]["status"], ("ACCEPTED", "DUPLICATE"))
            out = subprocess.run([CTL, "verify", "--data", p.data], capture_output=True,
                                 text=True, timeout=60)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            history = subprocess.run([CTL, "history", "--data", p.data], capture_output=True,
                                     text=True, timeout=60, check=True).stdout
            stored = [json.loads(line) for line in history.splitlines() if line.strip()]
            self.assertTrue(acked <= {e["sequence"] for e in stored}, fault)
            self.assertEqual(len(stored), 4, fault)  # each once
        finally:
            p.close()

    def test_classified_at_the_first_failure(self):
        """Faults one after another, each healed before the next: every one is answered as
        the table says at once, and once healed the writer never stops on a later commit
        (a full disk first answered STORAGE_FULL never turns fatal afterwards)."""
        sequence = ["data ENOSPC", "data short", "sync EIO", "data ENOSPC", "meta ENOSPC",
                    "data short", "data EIO", "data ENOSPC", "data short", "sync EIO"]
        answers = {fault: answer for fault, answer, _ in ROWS}
        p = Pipeline()
        control = os.path.join(p.root, "fault")
        env = {"LD_PRELOAD": SHIM, "CANVASS_FAULT_FILE": control,
               "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}
        try:
            p.agg = p._start("aggregator", p.aggregator_args(), env=env)
            p.start_collector()
            files = synth(os.path.join(p.root, "subs"), only=(
                "KE", "FR", "JP", "BR", "DE", "CN", "US", "IN", "ZA", "EG", "MX"))
            for i, fault in enumerate(sequence):
                member = os.path.basename(files[i])[:-5]
                with open(control, "w", encoding="utf-8") as f:
                    f.write(fault + "\n")
                rc, r = p.submit_as(member, files[i], extra=("--attempts", "1"))
                os.unlink(control)
                self.assertEqual(r[0]["status"], answers[fault], (i, fault, r))
                if answers[fault] == "INTERNAL":
                    wait_for(lambda: p.agg.poll() is not None, "the aggregator to stop")
                    p.agg = p._start("aggregator", p.aggregator_args(), env=env)
                # Healed: the resend is stored, and so is the next member's return.
                rc, r = p.submit_as(member, files[i])
                self.assertIn(r[0]["status"], ("ACCEPTED", "DUPLICATE"), (i, fault, r))
                self.assertIsNone(p.agg.poll(), f"{fault}: stopped after the disk healed")
            rc, r = p.submit_as(os.path.basename(files[-1])[:-5], files[-1])
            self.assertEqual(r[0]["status"], "ACCEPTED", r)
            out = subprocess.run([CTL, "verify", "--data", p.data], capture_output=True,
                                 text=True, timeout=60)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        finally:
            p.close()

    def test_fault_table(self):
        for fault, answer, stops in ROWS:
            with self.subTest(fault=fault):
                self.run_row(fault, answer, stops)


if __name__ == "__main__":
    unittest.main(verbosity=2)
