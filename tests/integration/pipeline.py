"""Starts the real canvass daemons in a temporary directory for tests.

Readiness is the pidfile each daemon writes once its sockets are bound;
the helpers poll for it with a deadline and never sleep a fixed time.
"""
import json
import os
import signal
import subprocess
import tempfile
import time

BIN = os.environ.get("CANVASS_BIN", os.path.join(os.path.dirname(__file__), "../../build/bin"))
SRC = os.environ.get("CANVASS_SOURCE", os.path.join(os.path.dirname(__file__), "../.."))
REGISTRY = os.path.join(SRC, "data/members.csv")
QDIR = os.path.join(SRC, "data/questionnaires")
ISA = os.path.join(QDIR, "integrity-self-assessment.v1.json")


def wait_for(predicate, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Pipeline:
    """An aggregator and a collector on ipc:// endpoints in one temp dir."""

    def __init__(self, root=None):
        self._tmp = None
        if root is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="canvass-it-")
            root = self._tmp.name
        self.root = root
        self.data = os.path.join(root, "data")
        self.agg_ep = f"ipc://{root}/aggregator.sock"
        self.col_ep = f"ipc://{root}/collector.sock"
        self.agg = None
        self.col = None

    def _start(self, name, args):
        pidfile = os.path.join(self.root, f"{name}.pid")
        if os.path.exists(pidfile):
            os.unlink(pidfile)
        log = open(os.path.join(self.root, f"{name}.log"), "ab")
        proc = subprocess.Popen([os.path.join(BIN, f"canvass-{name}")] + args +
                                ["--pidfile", pidfile], stderr=log, stdout=log)
        log.close()

        def ready():
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited with {proc.returncode}: " + self.log(name))
            return os.path.exists(pidfile)

        wait_for(ready, f"{name} to be ready")
        return proc

    def start_aggregator(self, *extra):
        self.agg = self._start("aggregator", ["--data", self.data, "--listen", self.agg_ep,
                                              *extra])

    def start_collector(self, *extra):
        self.col = self._start("collector", [
            "--insecure", "--listen", self.col_ep, "--aggregator", self.agg_ep,
            "--registry", REGISTRY, "--questionnaires", QDIR, *extra])

    def start(self):
        self.start_aggregator()
        self.start_collector()
        return self

    def log(self, name):
        try:
            with open(os.path.join(self.root, f"{name}.log"), encoding="utf-8") as f:
                return f.read()
        except OSError:
            return ""

    @staticmethod
    def stop_proc(proc, sig=signal.SIGTERM):
        if proc is None or proc.poll() is not None:
            return proc.returncode if proc else None
        proc.send_signal(sig)
        return proc.wait(timeout=20)

    def stop(self):
        codes = (self.stop_proc(self.col), self.stop_proc(self.agg))
        self.col = self.agg = None
        return codes

    def close(self):
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def submit(self, *files, endpoint=None, extra=()):
        """Runs canvass-submit --json; returns (exit status, list of receipts)."""
        cmd = [os.path.join(BIN, "canvass-submit"), "--json", "--connect",
               endpoint or self.col_ep, *extra, *files]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        receipts = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
        return out.returncode, receipts

    def report(self, cycle="2025", fmt="json", questionnaire="integrity-self-assessment"):
        cmd = [os.path.join(BIN, "canvass-reporter"), "compare", "--data", self.data,
               "--registry", REGISTRY, "--questionnaires", QDIR,
               "--questionnaire", questionnaire, "--cycle", cycle, "--format", fmt]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise AssertionError(f"reporter failed ({out.returncode}): {out.stderr}")
        return json.loads(out.stdout) if fmt == "json" else out.stdout


def synth(outdir, cycle="2025", seed=2025, only=()):
    cmd = ["python3", os.path.join(SRC, "scripts/synth.py"), ISA, REGISTRY, cycle, outdir,
           "--seed", str(seed)]
    if only:
        cmd += ["--only", ",".join(only)]
    subprocess.run(cmd, check=True)
    return sorted(os.path.join(outdir, f) for f in os.listdir(outdir) if f.endswith(".json"))


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f)
    return path
