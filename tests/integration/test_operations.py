"""Operators: /metrics with exact counts, /ready and /health, SIGTERM under
load, SIGHUP counted, hot backup restored, the event feed, systemd notify."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

from pipeline import BIN, QDIR, Pipeline, last_event, synth, unmarked, wait_for, write_json

CTL = os.path.join(BIN, "canvassctl")


def http_get(addr, path):
    try:
        with urllib.request.urlopen(f"http://{addr}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return 0, ""


def scrape(addr):
    status, text = http_get(addr, "/metrics")
    assert status == 200, status
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out, text


def revisions(p, member, n, root, tag):
    """n distinct submissions of one member."""
    base = synth(os.path.join(root, f"base-{member}-{tag}"), only=(member,))[0]
    with open(base, encoding="utf-8") as f:
        sub = json.load(f)
    files = []
    for i in range(n):
        sub["answers"]["hr_staff_total"] = 3000 + i
        sub["answers"].pop("hr_staff_women", None)
        files.append(write_json(os.path.join(root, f"{member}-{tag}-{i}.json"), sub))
    return files


class Ops(Pipeline):
    """A pipeline with the HTTP endpoints and the event feed."""

    def __init__(self, **kw):
        super().__init__(**kw)
        # Port 0: the kernel chooses; the "ready" line names the address.
        self.agg_http = "127.0.0.1:0"
        self.col_http = "127.0.0.1:0"
        self.events = f"ipc://{self.root}/events.sock"

    def start_aggregator(self, *extra):
        super().start_aggregator("--http", self.agg_http, "--events", self.events, *extra)
        self.agg_http = self.ready["aggregator"]["http"]

    def start_collector(self, *extra):
        super().start_collector("--http", self.col_http, *extra)
        self.col_http = self.ready["collector"]["http"]


class MetricsTest(unittest.TestCase):
    def test_exact_counts_and_event_feed(self):
        p = Ops().start()
        try:
            tail = subprocess.Popen([CTL, "tail", "--events", p.events, "--json", "--count", "9",
                                     "--idle-ms", "20000"], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            # PUB delivers only once the subscription arrived: wait for the aggregator to see it.
            wait_for(lambda: scrape(p.agg_http)[0]["canvass_aggregator_event_subscriptions"] >= 1,
                     "the feed's subscriber")
            files = revisions(p, "KE", 5, p.root, "a")
            rc, r = p.submit(*files)
            self.assertEqual(rc, 0)
            rc, r = p.submit(*files[:2])  # 2 duplicates
            self.assertEqual([x["status"] for x in r], ["DUPLICATE", "DUPLICATE"])
            with open(files[0], encoding="utf-8") as f:
                sub = json.load(f)
            key = None
            rc, r = p.submit_as("KE", files[0])
            key = r[0]["receipt"]["id"]
            sub["answers"]["hr_staff_total"] = 99
            rc, r = p.submit_as("KE", write_json(os.path.join(p.root, "c.json"), dict(sub, id=key)))
            self.assertEqual(r[0]["status"], "CONFLICT")
            bad = dict(sub, answers=dict(sub["answers"], au_electronic_share=400,
                                         rf_rkc="nope"))
            for i in range(3):
                rc, r = p.submit_as("KE", write_json(os.path.join(p.root, f"b{i}.json"), bad))
                self.assertEqual(r[0]["status"], "REJECTED")
            rc, r = p.submit_as("KE", files[0], extra=("--check",))
            self.assertEqual(r[0]["status"], "VALID")

            col, text = scrape(p.col_http)
            self.assertEqual(col['canvass_collector_replies_total{status="accepted"}'], 5)
            self.assertEqual(col['canvass_collector_replies_total{status="duplicate"}'], 3)
            self.assertEqual(col['canvass_collector_replies_total{status="conflict"}'], 1)
            self.assertEqual(col['canvass_collector_replies_total{status="rejected"}'], 3)
            self.assertEqual(col['canvass_collector_replies_total{status="valid"}'], 1)
            self.assertEqual(col['canvass_collector_rejections_total{code="OUT_OF_RANGE"}'], 3)
            self.assertEqual(col['canvass_collector_rejections_total{code="NOT_AN_OPTION"}'], 3)
            self.assertEqual(col["canvass_collector_ack_latency_seconds_count"], 9)
            self.assertEqual(col["canvass_collector_pending"], 0)
            self.assertEqual(col["canvass_collector_aggregator_connected"], 1)
            agg, atext = scrape(p.agg_http)
            self.assertEqual(agg['canvass_aggregator_submissions_total{result="accepted"}'], 5)
            self.assertEqual(agg['canvass_aggregator_submissions_total{result="duplicate"}'], 3)
            self.assertEqual(agg['canvass_aggregator_submissions_total{result="conflict"}'], 1)
            self.assertEqual(agg["canvass_aggregator_batch_size_sum"], 9)
            self.assertEqual(agg["canvass_store_history_entries"], 5)
            self.assertEqual(agg["canvass_aggregator_events_published_total"], 9)
            self.assertGreater(agg["canvass_store_map_size_bytes"], 0)
            promtool = shutil.which("promtool")
            if promtool:
                for t in (text, atext):
                    chk = subprocess.run([promtool, "check", "metrics"], input=t, text=True,
                                         capture_output=True)
                    self.assertEqual(chk.returncode, 0, chk.stdout + chk.stderr)
            out, err = tail.communicate(timeout=30)
            events = [json.loads(line) for line in out.splitlines()]
            self.assertEqual([e["status"] for e in events],
                             ["ACCEPTED"] * 5 + ["DUPLICATE"] * 3 + ["CONFLICT"])
            for e in events:
                self.assertEqual(set(e), {"member", "questionnaire", "cycle", "revision",
                                          "sequence", "status", "late", "stored_at_ms"})
            status = subprocess.run([CTL, "status", "--aggregator-http", p.agg_http,
                                     "--collector-http", p.col_http, "--interval-ms", "200"],
                                    capture_output=True, text=True, timeout=30)
            self.assertEqual(status.returncode, 0, status.stdout)
            self.assertEqual(status.stdout.count(" up "), 2)
        finally:
            p.close()


class ReadyHealthTest(unittest.TestCase):
    def test_ready_after_startup_only(self):
        p = Ops()
        try:
            env = dict(os.environ, CANVASS_TEST_DISABLE_ZAP="1")
            log_path = os.path.join(p.root, "failing.log")
            with open(log_path, "wb") as log:
                proc = subprocess.Popen([os.path.join(BIN, "canvass-aggregator"),
                                         *p.aggregator_args("--http", p.agg_http)],
                                        stderr=log, env=env)
            seen = set()
            http = None
            while proc.poll() is None:
                if http is None:
                    found = last_event(log_path, "http_listening")
                    http = found["http"] if found else None
                else:
                    seen.add(http_get(http, "/ready")[0])
            self.assertEqual(proc.returncode, 1)  # the self-test failed: never ready
            self.assertNotIn(200, seen)
            self.assertIsNone(last_event(log_path, "ready"))
            self.assertIsNotNone(last_event(log_path, "selftest_failed"))
            # A good start: ready only once the pidfile (written after set-up) exists.
            pidfile = os.path.join(p.root, "agg.pid")
            log_path = os.path.join(p.root, "good.log")
            with open(log_path, "wb") as log:
                proc = subprocess.Popen([os.path.join(BIN, "canvass-aggregator"),
                                         *p.aggregator_args("--http", p.agg_http, "--pidfile",
                                                            pidfile)],
                                        stderr=log)
            try:
                wait_for(lambda: last_event(log_path, "http_listening"), "the HTTP endpoint")
                http = last_event(log_path, "http_listening")["http"]
                wait_for(lambda: http_get(http, "/ready")[0] == 200, "ready")
                self.assertTrue(os.path.exists(pidfile))
            finally:
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(timeout=20), 0)
        finally:
            p.close()

    def test_health_fails_on_storage_errors_and_recovers(self):
        p = Ops()
        try:
            p.start_aggregator("--map-size", "64K", "--map-max", "128K", "--health-window", "2")
            p.start_collector()
            self.assertEqual(http_get(p.agg_http, "/health")[0], 200)
            files = revisions(p, "KE", 80, p.root, "h")
            for i in range(0, 80, 10):
                p.submit_as("KE", *files[i:i + 10], extra=("--attempts", "1"))
                if http_get(p.agg_http, "/health")[0] == 500:
                    break
            status, body = http_get(p.agg_http, "/health")
            self.assertEqual(status, 500, body)
            self.assertIn("unhealthy", body)
            wait_for(lambda: http_get(p.agg_http, "/health")[0] == 200, "health to recover",
                     timeout=15)
        finally:
            p.close()


class SignalsTest(unittest.TestCase):
    def test_sigterm_under_load_keeps_every_ack(self):
        p = Ops().start()
        try:
            members = ("KE", "FR", "JP", "BR")
            files = {m: revisions(p, m, 150, p.root, "t") for m in members}
            results = {}

            def client(m):
                results[m] = p.submit_as(m, *files[m], extra=("--attempts", "1",
                                                              "--timeout-ms", "3000"))

            threads = [threading.Thread(target=client, args=(m,)) for m in members]
            for t in threads:
                t.start()
            wait_for(lambda: scrape(p.agg_http)[0]["canvass_store_history_entries"] > 50,
                     "load to start")
            p.agg.send_signal(signal.SIGTERM)
            self.assertEqual(p.agg.wait(timeout=30), 0)
            for t in threads:
                t.join(timeout=120)
            out = subprocess.run([CTL, "history", "--data", p.data], capture_output=True,
                                 text=True, check=True).stdout
            stored = {(e["member"], e["id"]) for e in map(json.loads, out.splitlines())}
            acked = [(m, r["receipt"]["id"]) for m in members for r in results[m][1]
                     if r["status"] == "ACCEPTED"]
            self.assertGreater(len(acked), 0)
            self.assertTrue(set(acked) <= stored, "an acknowledged submission is missing")
            self.assertEqual(len(acked), len(set(acked)))
        finally:
            p.close()

    def test_sighup_counted(self):
        p = Ops()
        try:
            registry = os.path.join(p.root, "registry.csv")
            shutil.copy(p.registry, registry)
            p.registry = registry
            p.start()
            p.col.send_signal(signal.SIGHUP)
            wait_for(lambda: scrape(p.col_http)[0]['canvass_collector_reloads_total{result="ok"}']
                     == 1, "a good reload")
            with open(registry, "w", encoding="utf-8") as f:
                f.write("not,a,registry\n")
            p.col.send_signal(signal.SIGHUP)
            wait_for(lambda: scrape(p.col_http)[0][
                'canvass_collector_reloads_total{result="refused"}'] == 1, "a refused reload")
        finally:
            p.close()


class ReloadTest(unittest.TestCase):
    """SIGHUP re-reads the configuration file: what can change at run time is
    applied, what needs a restart is logged as ignored; both daemons."""

    def write_ini(self, p, path, registry, level, col_listen, agg_batch_wait="0", agg_extra=""):
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"[aggregator]\ndata = {p.data}\nlisten = {p.agg_listen}\n"
                    f"key = {p.keys.key('aggregator')}\n"
                    f"collector-key = {p.keys.pub('collector')}\nhttp = 127.0.0.1:0\n"
                    f"log-level = {level}\nbatch-wait-us = {agg_batch_wait}\n{agg_extra}"
                    f"[collector]\nlisten = {col_listen}\naggregator = {p.agg_ep}\n"
                    f"registry = {registry}\nquestionnaires = {QDIR}\ncycles = {p.cycles}\n"
                    f"key = {p.keys.key('collector')}\n"
                    f"aggregator-key = {p.keys.pub('aggregator')}\nhttp = 127.0.0.1:0\n"
                    f"log-level = {level}\n")

    def test_sighup_applies_the_file(self):
        p = Ops()
        try:
            without_ke = p.keys.write_registry(os.path.join(p.root, "without-ke.csv"),
                                               drop=("KE",))
            ini = os.path.join(p.root, "canvass.ini")
            p.agg_listen = "tcp://127.0.0.1:*"
            self.write_ini(p, ini, without_ke, "info", "tcp://127.0.0.1:*")
            p.agg = p._start("aggregator", ["-c", ini])
            self.write_ini(p, ini, without_ke, "info", "tcp://127.0.0.1:*")  # agg_ep is known now
            p.col = p._start("collector", ["-c", ini])
            ke = synth(os.path.join(p.root, "subs"), only=("KE",))[0]
            rc, r = p.submit_as("KE", ke, extra=("--attempts", "1"))
            self.assertEqual(rc, 4)  # not in this registry
            self.assertNotIn("event=reply", p.log("collector"))
            self.assertNotIn("event=batch", p.log("aggregator"))

            # The registry path, the log level and a restart-only setting change.
            self.write_ini(p, ini, p.registry, "debug", "tcp://127.0.0.1:1", "100",
                           "hwm = 5000\n")
            for name in ("collector", "aggregator"):
                p.reload(name)
            col_log, agg_log = p.log("collector"), p.log("aggregator")
            self.assertIn('event=reload_ignored settings="listen"', col_log)
            self.assertIn('event=reload_ignored settings="hwm"', agg_log)
            self.assertRegex(col_log, r'event=reloaded .*settings_changed="registry,log-level"')
            self.assertRegex(agg_log, r'event=reloaded .*settings_changed="batch-wait-us,'
                                      r'log-level"|settings_changed="log-level,batch-wait-us"')
            # Applied: KE is in the new registry, and debug lines appear.
            rc, r = p.submit_as("KE", ke)
            self.assertEqual((rc, r[0]["status"]), (0, "ACCEPTED"), r)
            wait_for(lambda: "event=reply status=ACCEPTED" in p.log("collector"),
                     "a debug line of the collector")
            wait_for(lambda: "event=batch" in p.log("aggregator"),
                     "a debug line of the aggregator")
            # Ignored: still listening where it was.
            self.assertEqual(last_event(os.path.join(p.root, "collector.log"), "ready")["listen"],
                             p.col_ep)
            self.assertEqual(scrape(p.ready["aggregator"]["http"])[0][
                'canvass_aggregator_reloads_total{result="ok"}'], 1)

            # A file that does not parse: nothing changes, counted as refused.
            with open(ini, "a", encoding="utf-8") as f:
                f.write("[collector]\nmax-answers = many\n")
            p.col.send_signal(signal.SIGHUP)
            wait_for(lambda: "event=reload_refused" in p.log("collector"), "a refused reload")
            self.assertIn("max-answers", p.log("collector").split("event=reload_refused")[1])
            self.assertEqual(p.col.poll(), None)
        finally:
            p.close()


@unittest.skipUnless(os.geteuid() == 0 and shutil.which("setpriv"),
                     "needs root (and setpriv) to run tools as root and the writer as another user")
class ReadOnlyToolsTest(unittest.TestCase):
    """Read-only tools run as root leave the store usable by its owner."""

    def test_tools_as_root_then_the_writer_as_its_user(self):
        p = Ops(secure=False)
        try:
            p.start()
            rc, r = p.submit(synth(os.path.join(p.root, "subs"), only=("KE",))[0])
            self.assertEqual(rc, 0, r)
            p.stop()
            # The store belongs to another user (nobody, 65534), as to canvass.
            for top, dirs, files in os.walk(p.data):
                for n in dirs + files:
                    os.chown(os.path.join(top, n), 65534, 65534)
            os.chown(p.data, 65534, 65534)
            os.unlink(os.path.join(p.data, "lock.mdb"))
            # As root: each read-only tool, with no lock file there to begin with.
            runs = [
                [CTL, "verify", "--data", p.data],
                [CTL, "history", "--data", p.data],
                [CTL, "backup", "--data", p.data, os.path.join(p.root, "backup")],
                [os.path.join(BIN, "canvass-reporter"), "completeness", "--data", p.data,
                 "--registry", p.registry, "--questionnaires", QDIR, "--questionnaire",
                 "integrity-self-assessment", "--cycle", "2025"],
            ]
            for cmd in runs:
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
                self.assertEqual(r.returncode, 0, cmd[1] + r.stderr)
                st = os.stat(os.path.join(p.data, "lock.mdb"))
                self.assertEqual((st.st_uid, st.st_gid), (65534, 65534), cmd[1])
            # The writer, as the store's owner, opens it and serves.
            os.chmod(p.root, 0o755)
            agg = subprocess.Popen(
                ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                 os.path.join(BIN, "canvass-aggregator"), "--data", p.data, "--listen",
                 f"ipc://{p.data}/aggregator.sock", "--insecure", "--pidfile",
                 os.path.join(p.data, "aggregator.pid")],
                stderr=subprocess.PIPE, text=True)
            try:
                wait_for(lambda: agg.poll() is not None or
                         os.path.exists(os.path.join(p.data, "aggregator.pid")),
                         "the aggregator as nobody")
                self.assertIsNone(agg.poll(), agg.stderr.read() if agg.poll() is not None
                                  else "")
            finally:
                agg.terminate()
                agg.wait(timeout=20)
                agg.stderr.close()
        finally:
            p.close()


class BackupTest(unittest.TestCase):
    def test_backup_during_load_restores(self):
        p = Ops().start()
        try:
            files = revisions(p, "KE", 300, p.root, "bk") + synth(os.path.join(p.root, "all"))
            done = threading.Event()
            threading.Thread(target=lambda: (p.submit(*files), done.set()), daemon=True).start()
            wait_for(lambda: scrape(p.agg_http)[0]["canvass_store_history_entries"] > 30,
                     "load to start")
            dest = os.path.join(p.root, "backup")
            out = subprocess.run([CTL, "backup", "--data", p.data, dest], capture_output=True,
                                 text=True, timeout=120)
            self.assertEqual(out.returncode, 0, out.stderr)
            seq = int(out.stdout.split("head sequence ")[1].split(",")[0])
            self.assertIn("entries verified", out.stdout)
            self.assertTrue(done.wait(timeout=300))
            self.assertGreater(p.report()["store"]["sequence"], seq)  # load went on

            # Restore: a fresh data directory with the backup's data.mdb, a new aggregator.
            fresh = os.path.join(p.root, "restored")
            os.mkdir(fresh, 0o700)
            shutil.copy(os.path.join(dest, "data.mdb"), os.path.join(fresh, "data.mdb"))
            r = Pipeline(root=tempfile.mkdtemp(dir=p.root))
            r.data = fresh
            r.start_aggregator()
            try:
                for fmt in ("json", "csv"):
                    restored = r.report(fmt=fmt)
                    original = p.report(fmt=fmt, extra=("--as-of", str(seq)))
                    self.assertEqual(unmarked(restored), unmarked(original), fmt)
            finally:
                r.stop()
        finally:
            p.close()


class NotifyTest(unittest.TestCase):
    def test_ready_and_watchdog(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "notify.sock")
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(path)
            sock.settimeout(10)
            p = Pipeline(root=d)
            env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="200000")
            proc = subprocess.Popen([os.path.join(BIN, "canvass-aggregator"), *p.aggregator_args()],
                                    env=env, stderr=subprocess.DEVNULL)
            try:
                got = set()
                deadline = time.monotonic() + 10
                while not {"READY=1", "WATCHDOG=1"} <= got and time.monotonic() < deadline:
                    got |= set(sock.recv(4096).decode().split("\n"))
                self.assertIn("READY=1", got)
                self.assertIn("WATCHDOG=1", got)
                # Pings keep coming from the loop.
                self.assertIn("WATCHDOG=1", sock.recv(4096).decode())
            finally:
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(timeout=20), 0)
                sock.close()


class PrometheusTest(unittest.TestCase):
    """The rules, the scrape config and both daemons' /metrics pass promtool; the
    rules' job names are the scrape config's; every runbook_url has its section."""
    SRC = os.environ.get("CANVASS_SOURCE", os.path.join(os.path.dirname(__file__), "../.."))

    @unittest.skipIf(shutil.which("promtool") is None, "promtool not installed "
                     "(scripts/setup.sh --test installs it)")
    def test_promtool_rules_config_and_metrics(self):
        dist = os.path.join(self.SRC, "dist/prometheus")
        for args in (["check", "rules", "alerts.yml"], ["check", "config", "prometheus.yml"]):
            r = subprocess.run(["promtool"] + args, cwd=dist, capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        p = Ops()
        try:
            p.start()
            out = subprocess.run([os.path.join(BIN, "canvassctl"), "--version"],
                                 capture_output=True, text=True).stdout
            version, commit = re.match(r"\S+ \(canvass\) (\S+), commit (\S+)", out).groups()
            for name in ("aggregator", "collector"):
                status, body = http_get(p.ready[name]["http"], "/metrics")
                self.assertEqual(status, 200)
                r = subprocess.run(["promtool", "check", "metrics"], input=body,
                                   capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertEqual(r.stdout + r.stderr, "")  # not even a lint warning
                for family in ("process_cpu_seconds_total", "process_resident_memory_bytes",
                               "process_open_fds", "process_max_fds",
                               "process_start_time_seconds", "canvass_health_ok 1",
                               "canvass_ready 1"):
                    self.assertIn("\n" + family, body)
                self.assertIn(f'\ncanvass_build_info{{component="{name}",version="{version}",'
                              f'commit="{commit}"}} 1\n', body)
                # Bucket bounds in their shortest form: 0.00025, never 0.00025000000000000001.
                for le in re.findall(r'le="([^"]+)"', body):
                    if le != "+Inf":
                        self.assertEqual(le, repr(float(le)) if "." in le or "e" in le
                                         else str(int(float(le))), le)
        finally:
            p.close()

    def test_rules_match_the_scrape_config_and_the_runbook(self):
        dist = os.path.join(self.SRC, "dist/prometheus")
        with open(os.path.join(dist, "prometheus.yml"), encoding="utf-8") as f:
            jobs = set(re.findall(r"job_name: (\S+)", f.read()))
        with open(os.path.join(dist, "alerts.yml"), encoding="utf-8") as f:
            rules = f.read()
        with open(os.path.join(self.SRC, "docs/operations.md"), encoding="utf-8") as f:
            headings = {h.strip().lower() for h in re.findall(r"^#+ (.+)$", f.read(), re.M)}
        self.assertEqual(jobs, {"canvass-aggregator", "canvass-collector"})
        self.assertIn('up{job=~"canvass-aggregator|canvass-collector"}', rules)
        alerts = re.findall(r"- alert: (\w+)", rules)
        self.assertEqual(len(alerts), rules.count("severity:"))
        anchors = re.findall(r"operations\.md#(\w+)", rules)
        self.assertEqual(anchors, [a.lower() for a in alerts])
        for a in alerts:
            self.assertIn(a.lower(), headings, f"no runbook section for {a}")


@unittest.skipIf(shutil.which("openssl") is None, "openssl not installed (setup.sh --test)")
class HttpAuthTest(unittest.TestCase):
    """/metrics on a non-loopback address: only with TLS and basic auth, and then
    only for a listed user with the right password."""

    def test_tls_and_basic_auth(self):
        import base64
        import hashlib
        import ssl
        p = Ops(secure=False)
        try:
            cert, key = os.path.join(p.root, "http.crt"), os.path.join(p.root, "http.key")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                            "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-keyout", key, "-out", cert], check=True, capture_output=True)
            password = "b7c1f0e2a9d84e6f"
            auth = os.path.join(p.root, "http.auth")
            with open(auth, "w", encoding="utf-8") as f:
                f.write("# user:sha256 of the password\nprometheus:"
                        + hashlib.sha256(password.encode()).hexdigest() + "\n")
            # Another address without TLS and auth: refused, exit 78.
            r = subprocess.run([os.path.join(BIN, "canvass-aggregator")] +
                               p.aggregator_args("--http", "0.0.0.0:0"), capture_output=True,
                               text=True, timeout=60)
            self.assertEqual(r.returncode, 78, r.stderr)
            self.assertIn("needs http-auth and http-tls-cert", r.stderr)
            p.agg_http = "0.0.0.0:0"
            p.agg = p._start("aggregator", p.aggregator_args(
                "--http", "0.0.0.0:0", "--http-auth", auth, "--http-tls-cert", cert,
                "--http-tls-key", key))
            port = p.ready["aggregator"]["http"].rsplit(":", 1)[1]
            ctx = ssl.create_default_context(cafile=cert)
            url = f"https://127.0.0.1:{port}/metrics"

            def get(user=None, pw=None):
                req = urllib.request.Request(url)
                if user is not None:
                    token = base64.b64encode(f"{user}:{pw}".encode()).decode()
                    req.add_header("Authorization", "Basic " + token)
                try:
                    with urllib.request.urlopen(req, timeout=10, context=ctx) as resp:
                        return resp.status, resp.read().decode()
                except urllib.error.HTTPError as e:
                    return e.code, e.headers.get("WWW-Authenticate", "")

            self.assertEqual(get(), (401, 'Basic realm="canvass"'))
            self.assertEqual(get("prometheus", "wrong")[0], 401)
            self.assertEqual(get("someone", password)[0], 401)
            status, body = get("prometheus", password)
            self.assertEqual(status, 200)
            self.assertIn("canvass_build_info", body)
            # Plain HTTP to the TLS port gets nothing.
            with self.assertRaises(Exception):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
        finally:
            p.close()


class VersionExitTest(unittest.TestCase):
    PROGRAMS = ("canvass-aggregator", "canvass-collector", "canvass-reporter",
                "canvass-submit", "canvassctl")

    def test_every_program_answers_version(self):
        for prog in self.PROGRAMS:
            r = subprocess.run([os.path.join(BIN, prog), "--version"], capture_output=True,
                               text=True, timeout=30)
            self.assertEqual(r.returncode, 0, prog + r.stderr)
            self.assertRegex(r.stdout, rf"^{prog} \(canvass\) \d+\.\d+\.\d+, commit \S+\n$")
        # The reporter's --version N after a report stays the definition version.
        r = subprocess.run([os.path.join(BIN, "canvass-reporter"), "compare", "--version",
                            "x"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("version", r.stderr)

    def test_config_errors_exit_78_and_units_do_not_restart_them(self):
        p = Pipeline()
        try:
            bad = os.path.join(p.root, "bad.csv")
            with open(bad, "w", encoding="utf-8") as f:
                f.write("code,name\nKE,Kenya\n")
            cases = {
                "invalid registry": [os.path.join(BIN, "canvass-collector"), "--listen", "tcp://127.0.0.1:*", "--aggregator",
                                     "tcp://127.0.0.1:9", "--registry", bad,
                                     "--questionnaires", os.path.join(p.root, "none"),
                                     "--cycles", p.cycles, "--key", p.keys.key("collector"),
                                     "--aggregator-key", p.keys.pub("aggregator")],
                "missing key": [os.path.join(BIN, "canvass-aggregator"), "--data", p.data,
                                "--listen", "tcp://127.0.0.1:*", "--key",
                                os.path.join(p.root, "none.key"), "--collector-key",
                                p.keys.pub("collector")],
                "address not here": [os.path.join(BIN, "canvass-aggregator"), "--data",
                                     p.data, "--listen", "tcp://192.0.2.1:7001", "--key",
                                     p.keys.key("aggregator"), "--collector-key",
                                     p.keys.pub("collector")],
            }
            for what, cmd in cases.items():
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 78, what + ": " + r.stderr)
            r = subprocess.run([os.path.join(BIN, "canvass-collector"), "--no-such-option"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 2)
        finally:
            p.close()
        src = os.environ.get("CANVASS_SOURCE", os.path.join(os.path.dirname(__file__), "../.."))
        for unit in ("canvass-aggregator.service", "canvass-collector.service"):
            with open(os.path.join(src, "dist/systemd", unit + ".in"), encoding="utf-8") as f:
                self.assertIn("\nRestartPreventExitStatus=2 78\n", f.read())


class StatusBoundTest(unittest.TestCase):
    """canvassctl status reads at most 8 MiB of a /metrics body: a larger one is a
    clear error (under the sanitizer build, also no memory error)."""

    def test_oversized_metrics_body(self):
        import http.server
        big = b"# filler\n" * (9 * 1024 * 1024 // 9 + 1)

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = big if self.path == "/metrics" else b"ok"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # port 0: the kernel's
        addr = f"127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            out = subprocess.run([CTL, "status", "--aggregator-http", addr,
                                  "--interval-ms", "100"],
                                 capture_output=True, text=True, timeout=60)
        finally:
            server.shutdown()
            server.server_close()
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("the response is over 8 MiB; not read", out.stderr)
        self.assertNotIn("AddressSanitizer", out.stderr)
        self.assertIn("aggregator", out.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
