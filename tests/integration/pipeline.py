"""Starts the real canvass daemons in a temporary directory for tests.

By default the pipeline is secure, as in production: CURVE on every link
over tcp://127.0.0.1, a ZAP handler admitting registry keys only. Every
member of the registry has a key pair, made once per test run with
canvassctl keygen. Pipeline(secure=False) runs the development mode
(--insecure, ipc:// only).

Readiness is the pidfile each daemon writes once its sockets are bound
and its self-test passed; the helpers poll for it with a deadline and
never sleep a fixed time.
"""
import concurrent.futures
import csv
import json
import os
import re
import signal
import subprocess
import tempfile
import time

BIN = os.environ.get("CANVASS_BIN", os.path.join(os.path.dirname(__file__), "../../build/bin"))
SRC = os.environ.get("CANVASS_SOURCE", os.path.join(os.path.dirname(__file__), "../.."))
MEMBERS = os.path.join(SRC, "data/members.csv")
QDIR = os.path.join(SRC, "data/questionnaires")
ISA = os.path.join(QDIR, "integrity-self-assessment.v1.json")

# Exit statuses of canvass-submit, most important first.
EXIT_PRIORITY = [2, 4, 3, 1, 0]


def wait_for(predicate, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


LOGFMT = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


def log_fields(line):
    """The key=value pairs of one logfmt line, quotes removed."""
    out = {}
    for k, v in LOGFMT.findall(line):
        if v.startswith('"'):
            v = v[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        out[k] = v
    return out


def last_event(log_path, event):
    """The fields of the last line of log_path with event=EVENT, or None."""
    found = None
    try:
        with open(log_path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if f" event={event} " in line or line.rstrip().endswith(f" event={event}"):
                    found = log_fields(line)
    except OSError:
        return None
    return found


def keygen(directory, name):
    out = subprocess.run([os.path.join(BIN, "canvassctl"), "keygen", "--dir", directory, name],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


class KeyRing:
    """Key pairs for the daemons and every member, and a registry with their keys."""

    _shared = None

    def __init__(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="canvass-keys-")
        self.dir = self._tmp.name
        for name in ("aggregator", "collector"):
            keygen(self.dir, name)
        with open(MEMBERS, encoding="utf-8", newline="") as f:
            self.members = list(csv.DictReader(f))
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            keys = list(pool.map(lambda m: keygen(self.dir, m["code"]), self.members))
        for m, k in zip(self.members, keys):
            m["public_key"] = k
        self.registry = self.write_registry(os.path.join(self.dir, "registry.csv"))

    @classmethod
    def shared(cls):
        if cls._shared is None:
            cls._shared = KeyRing()
        return cls._shared

    def key(self, name):
        return os.path.join(self.dir, f"{name}.key")

    def pub(self, name):
        return os.path.join(self.dir, f"{name}.pub")

    def write_registry(self, path, drop=(), replace=None):
        """A registry CSV; members in drop lose their key, replace maps code -> key."""
        replace = replace or {}
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["code", "name", "region", "public_key"])
            for m in self.members:
                key = "" if m["code"] in drop else replace.get(m["code"], m["public_key"])
                w.writerow([m["code"], m["name"], m["region"], key])
        return path


def write_cycles(path):
    """A schedule where, for every shipped questionnaire, cycle 2025 is open and on
    time, 2024 is late (due passed, not closed), 2023 is closed and 2030 not open."""
    far_past, far_future = "2000-01-01", "2099-12-31"
    kinds = {"2025": (far_past, far_future, far_future),
             "2024": (far_past, "2000-01-02", far_future),
             "2023": (far_past, "2000-01-02", "2000-01-03"),
             "2030": ("2099-01-01", far_future, far_future)}
    cycles = []
    for qid in ("integrity-self-assessment", "gender-integrity"):
        for cycle, (opens, due, closes) in kinds.items():
            cycles.append({"questionnaire": qid, "cycle": cycle, "opens": opens, "due": due,
                           "closes": closes})
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"cycles": cycles}, f, indent=1)
    return path


def close_cycle(path, cycle):
    """Rewrites the schedule at path with cycle closed (due and closed long ago)."""
    with open(path, encoding="utf-8") as f:
        sched = json.load(f)
    for c in sched["cycles"]:
        if c["cycle"] == cycle:
            c["due"], c["closes"] = "2000-01-02", "2000-01-03"
    with open(path, "w", encoding="utf-8") as f:
        json.dump(sched, f)


class Pipeline:
    """An aggregator and a collector in one temp dir."""

    def __init__(self, root=None, secure=True, registry=None):
        self._tmp = None
        if root is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="canvass-it-")
            root = self._tmp.name
        self.root = root
        self.secure = secure
        self.keys = KeyRing.shared() if secure else None
        self.registry = registry or (self.keys.registry if secure else MEMBERS)
        self.data = os.path.join(root, "data")
        self.cycles = write_cycles(os.path.join(root, "cycles.json"))
        if secure:
            # The kernel picks the ports; the daemons' "ready" lines name them.
            self.agg_ep = "tcp://127.0.0.1:*"
            self.col_ep = "tcp://127.0.0.1:*"
        else:
            self.agg_ep = f"ipc://{root}/aggregator.sock"
            self.col_ep = f"ipc://{root}/collector.sock"
        self.qdir = QDIR  # the collector's definitions
        self.agg = None
        self.col = None
        self.ready = {}

    def _start(self, name, args, env=None):
        pidfile = os.path.join(self.root, f"{name}.pid")
        if os.path.exists(pidfile):
            os.unlink(pidfile)
        log = open(os.path.join(self.root, f"{name}.log"), "ab")
        proc = subprocess.Popen([os.path.join(BIN, f"canvass-{name}")] + args +
                                ["--pidfile", pidfile], stderr=log, stdout=log,
                                env=dict(os.environ, **(env or {})))
        log.close()

        def ready():
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited with {proc.returncode}: " + self.log(name))
            return os.path.exists(pidfile)

        try:
            wait_for(ready, f"{name} to be ready")
            self.ready[name] = last_event(os.path.join(self.root, f"{name}.log"), "ready")
            # With port *, the kernel chose: later starts (restarts) bind the same one.
            if name == "aggregator":
                self.agg_ep = self.ready[name]["listen"]
            elif name == "collector":
                self.col_ep = self.ready[name]["listen"]
        except BaseException:
            if proc.poll() is None:  # never leave a daemon behind a failed start
                proc.kill()
                proc.wait(timeout=20)
            raise
        return proc

    def aggregator_args(self, *extra):
        args = ["--data", self.data, "--listen", self.agg_ep, "--registry", self.registry]
        if self.secure:
            args += ["--key", self.keys.key("aggregator"),
                     "--collector-key", self.keys.pub("collector")]
        else:
            args += ["--insecure"]
        return args + list(extra)

    def collector_args(self, *extra):
        args = ["--listen", self.col_ep, "--aggregator", self.agg_ep,
                "--registry", self.registry, "--questionnaires", self.qdir,
                "--cycles", self.cycles]
        if self.secure:
            args += ["--key", self.keys.key("collector"),
                     "--aggregator-key", self.keys.pub("aggregator")]
        else:
            args += ["--insecure"]
        return args + list(extra)

    def start_aggregator(self, *extra):
        self.agg = self._start("aggregator", self.aggregator_args(*extra))

    def start_collector(self, *extra):
        self.col = self._start("collector", self.collector_args(*extra))

    def start(self):
        try:
            self.start_aggregator()
            self.start_collector()
        except BaseException:
            self.stop()  # a daemon that did start is not left behind
            raise
        return self

    def log(self, name):
        try:
            with open(os.path.join(self.root, f"{name}.log"), encoding="utf-8") as f:
                return f.read()
        except OSError:
            return ""

    def reload(self, name):
        """SIGHUP to a daemon, then waits (with a deadline) for its next reload line."""
        n = self.log(name).count("event=reloaded")
        (self.agg if name == "aggregator" else self.col).send_signal(signal.SIGHUP)
        wait_for(lambda: self.log(name).count("event=reloaded") > n, f"the {name} to reload")

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

    def submit_as(self, member, *files, endpoint=None, extra=(), key=None, server_key=None):
        """One canvass-submit --json run with member's key; (exit status, receipts)."""
        cmd = [os.path.join(BIN, "canvass-submit"), "--json", "--connect",
               endpoint or self.col_ep, *extra]
        if self.secure and member is not None:
            cmd += ["--key", key or self.keys.key(member),
                    "--server-key", server_key or self.keys.pub("collector")]
        cmd += list(files)
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        receipts = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
        return out.returncode, receipts

    def submit(self, *files, endpoint=None, extra=()):
        """Submits each file with the key of the member it names (several at once)."""
        groups = {}
        for path in files:
            member = None
            try:
                with open(path, encoding="utf-8") as f:
                    member = json.load(f).get("member")
            except (OSError, ValueError):
                pass
            groups.setdefault(member if member in self.member_codes() else None, []).append(path)
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            runs = list(pool.map(lambda kv: (kv[1], self.submit_as(
                kv[0] if kv[0] else "aggregator", *kv[1], endpoint=endpoint, extra=extra)),
                groups.items()))
        by_file = {}
        codes = []
        for paths, (rc, receipts) in runs:
            codes.append(rc)
            for r in receipts:
                by_file[r["file"]] = r
        rc = next(c for c in EXIT_PRIORITY if c in codes) if codes else 0
        return rc, [by_file[f] for f in files if f in by_file]

    def member_codes(self):
        if self.keys is None:
            return set()
        if not hasattr(self, "_codes"):
            self._codes = {m["code"] for m in self.keys.members}
        return self._codes

    def reporter(self, report, *args, registry=None, qdir=None, check=True):
        """Runs canvass-reporter REPORT on this pipeline's store; returns the process."""
        cmd = [os.path.join(BIN, "canvass-reporter"), report, "--data", self.data,
               "--registry", registry or self.registry, "--questionnaires", qdir or QDIR,
               *args]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if check and out.returncode != 0:
            raise AssertionError(f"reporter {report} failed ({out.returncode}): {out.stderr}")
        return out

    def report(self, cycle="2025", fmt="json", questionnaire="integrity-self-assessment",
               min_group=1, extra=()):
        """The compare report; no disclosure control unless min_group says so."""
        out = self.reporter("compare", "--questionnaire", questionnaire, "--cycle", cycle,
                            "--format", fmt, "--min-group", str(min_group), *extra)
        return json.loads(out.stdout) if fmt == "json" else out.stdout

CONFIDENTIAL = "CONFIDENTIAL: for the Secretariat only, not for publication"


def unmarked(report):
    """A report without its classification (--as-of marks itself confidential)."""
    if isinstance(report, dict):
        return {k: v for k, v in report.items() if k != "classification"}
    return "".join(line for line in report.replace(CONFIDENTIAL + "\n", "").splitlines(True)
                   if ",classification," not in line)


def synth(outdir, cycle="2025", seed=2025, only=(), questionnaire=ISA):
    cmd = ["python3", os.path.join(SRC, "scripts/synth.py"), questionnaire, MEMBERS, cycle, outdir,
           "--seed", str(seed)]
    if only:
        cmd += ["--only", ",".join(only)]
    subprocess.run(cmd, check=True)
    return sorted(os.path.join(outdir, f) for f in os.listdir(outdir) if f.endswith(".json"))


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f)
    return path
