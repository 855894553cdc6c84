"""Disk full: on a small tmpfs the aggregator answers STORAGE_FULL (retryable),
keeps running, loses nothing it acknowledged, and recovers when space returns.
Skipped, with a message, where the machine does not allow mounting.
"""
import json
import os
import subprocess
import tempfile
import unittest

from pipeline import BIN, Pipeline, synth, write_json


def try_mount(path, size):
    if os.geteuid() != 0:
        return "not root"
    out = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", path],
                         capture_output=True, text=True)
    return None if out.returncode == 0 else out.stderr.strip() or "mount failed"


class DiskFullTest(unittest.TestCase):
    def test_storage_full_then_recovery(self):
        with tempfile.TemporaryDirectory(prefix="canvass-full-") as root:
            fs = os.path.join(root, "fs")
            os.mkdir(fs)
            why = try_mount(fs, "2m")
            if why is not None:
                self.skipTest(f"cannot mount a small tmpfs here ({why})")
            p = None
            try:
                # A filler leaves the store little room on the small filesystem.
                filler = os.path.join(fs, "filler")
                with open(filler, "wb") as f:
                    f.write(b"\0" * (1200 * 1024))
                p = Pipeline(root=root)
                p.data = os.path.join(fs, "data")
                p.start_aggregator("--map-size", "256K", "--map-max", "64M")
                p.start_collector()
                base = synth(os.path.join(root, "base"), only=("KE",))[0]
                with open(base, encoding="utf-8") as f:
                    sub = json.load(f)
                acked, refused_full, i = {}, [], 0
                while not refused_full and i < 5000:
                    batch = []
                    for _ in range(50):
                        s = json.loads(json.dumps(sub))
                        s["id"] = f"KE-{i:05d}"
                        s["answers"]["ps_notes"] = "x" * 1500  # fill faster
                        s["answers"]["hr_staff_total"] = 1000 + i
                        s["answers"].pop("hr_staff_women", None)
                        batch.append(write_json(os.path.join(root, f"s{i}.json"), s))
                        i += 1
                    rc, receipts = p.submit_as("KE", *batch, extra=("--attempts", "1"))
                    for r in receipts:
                        if r["status"] == "ACCEPTED":
                            acked[r["receipt"]["id"]] = r["receipt"]["sequence"]
                        elif r["status"] == "STORAGE_FULL":
                            refused_full.append(r["file"])
                        else:
                            rc_agg = p.agg.wait(timeout=10)
                            self.fail(f"unexpected answer {r}: aggregator exit {rc_agg}: " +
                                      p.log("aggregator")[-900:])
                self.assertTrue(refused_full, "the filesystem never filled up")
                self.assertIsNone(p.agg.poll(), "the aggregator must keep running")
                self.assertIn("no space left", p.log("aggregator"))

                os.unlink(filler)  # space returns
                rc, receipts = p.submit_as("KE", *refused_full, extra=("--attempts", "3"))
                self.assertEqual(rc, 0, receipts[:3])
                for r in receipts:
                    acked[r["receipt"]["id"]] = r["receipt"]["sequence"]

                out = subprocess.run([os.path.join(BIN, "canvassctl"), "history", "--data",
                                      p.data], capture_output=True, text=True, check=True)
                stored = {json.loads(line)["id"]: json.loads(line)["sequence"]
                          for line in out.stdout.splitlines()}
                self.assertEqual(stored, acked)  # nothing acknowledged was lost
                verify = subprocess.run([os.path.join(BIN, "canvassctl"), "verify", "--data",
                                         p.data], capture_output=True, text=True)
                self.assertEqual(verify.returncode, 0, verify.stdout)
                print(f"\ndisk full after {len(acked) - len(refused_full)} stored; "
                      f"{len(refused_full)} got STORAGE_FULL, then stored after space returned",
                      flush=True)
            finally:
                if p is not None:
                    p.stop()
                subprocess.run(["umount", fs], check=False)


if __name__ == "__main__":
    unittest.main(verbosity=2)
