"""Security tests over tcp://127.0.0.1 with CURVE (docs/security.md cites them).

Only registered keys get in, each member only as itself; revocation takes
effect at the next handshake and per message on open connections; hostile
input never hurts an honest member; every daemon proves at start-up that an
unknown key is refused, or does not start.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import unittest

from pipeline import BIN, KeyRing, Pipeline, keygen, synth, wait_for, write_json

POKE = os.path.join(BIN, "canvass-poke")


def stored_sequence(p):
    """The store's last sequence (0 when nothing is stored)."""
    return p.report()["store"]["sequence"]


class AuthenticationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.p = Pipeline().start()
        cls.dir = os.path.join(cls.p.root, "subs")
        cls.files = {os.path.basename(f)[:2]: f
                     for f in synth(cls.dir, only=("KE", "FR", "JP", "BR"))}

    @classmethod
    def tearDownClass(cls):
        cls.p.close()

    def test_registered_member_accepted(self):
        rc, r = self.p.submit_as("JP", self.files["JP"])
        self.assertEqual((rc, r[0]["status"]), (0, "ACCEPTED"))
        self.assertEqual(r[0]["receipt"]["member"], "JP")

    def test_unknown_key_refused_at_handshake(self):
        before = stored_sequence(self.p)
        with tempfile.TemporaryDirectory() as d:
            keygen(d, "stranger")
            rc, r = self.p.submit_as("KE", self.files["KE"], key=os.path.join(d, "stranger.key"))
        self.assertEqual(rc, 4)
        self.assertEqual(r[0]["status"], "NOT_AUTHENTICATED")
        self.assertIn("refused the handshake", r[0]["message"])
        self.assertEqual(stored_sequence(self.p), before)

    def test_member_cannot_submit_as_another(self):
        before = stored_sequence(self.p)
        rc, r = self.p.submit_as("KE", self.files["FR"])
        self.assertEqual((rc, r[0]["status"]), (1, "REJECTED"))
        self.assertEqual([x["code"] for x in r[0]["problems"] if x["severity"] == "error"],
                         ["MEMBER_MISMATCH"])
        self.assertEqual(stored_sequence(self.p), before)

    def test_plaintext_client_gets_nothing_stored(self):
        before = stored_sequence(self.p)
        rc, r = self.p.submit_as(None, self.files["BR"], extra=("--attempts", "2", "--timeout-ms", "1000"))
        self.assertEqual(rc, 4)
        self.assertEqual(r[0]["status"], "NOT_AUTHENTICATED")
        self.assertIn("require CURVE", r[0]["message"])
        self.assertEqual(stored_sequence(self.p), before)

    def test_wrong_server_key_fails_clearly(self):
        before = stored_sequence(self.p)
        rc, r = self.p.submit_as("BR", self.files["BR"], server_key=self.p.keys.pub("aggregator"),
                                 extra=("--attempts", "2", "--timeout-ms", "1000"))
        self.assertEqual(rc, 4)
        self.assertIn("handshake failed", r[0]["message"])
        self.assertEqual(stored_sequence(self.p), before)


class RevocationTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.TemporaryDirectory(prefix="canvass-rev-")
        self.keys = KeyRing.shared()
        self.registry = self.keys.write_registry(os.path.join(self.root.name, "registry.csv"))
        self.p = Pipeline(root=self.root.name, registry=self.registry).start()
        self.files = {os.path.basename(f)[:2]: f
                      for f in synth(os.path.join(self.root.name, "subs"), only=("KE", "FR"))}

    def tearDown(self):
        self.p.close()
        self.root.cleanup()

    def reload(self, **registry_change):
        self.keys.write_registry(self.registry + ".new", **registry_change)
        os.replace(self.registry + ".new", self.registry)
        self.p.reload("collector")

    def test_revoked_key_refused_after_sighup(self):
        rc, r = self.p.submit_as("KE", self.files["KE"])
        self.assertEqual(rc, 0)
        self.reload(drop=("KE",))
        rc, r = self.p.submit_as("KE", self.files["KE"], extra=("--attempts", "2"))
        self.assertEqual((rc, r[0]["status"]), (4, "NOT_AUTHENTICATED"))
        # Others keep working after the reload.
        rc, r = self.p.submit_as("FR", self.files["FR"])
        self.assertEqual((rc, r[0]["status"]), (0, "ACCEPTED"))

    def test_open_connection_refused_per_message(self):
        poke = subprocess.Popen(
            [POKE, "--connect", self.p.col_ep, "--key", self.keys.key("KE"),
             "--server-key", self.keys.pub("collector"), "hold:" + self.files["KE"]],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        first = json.loads(poke.stdout.readline())
        self.assertEqual(first["first"], {"ACCEPTED": 1})
        # A rotated key: KE's old key is no longer the registered one.
        other = json.loads(json.dumps(self.keys.members))
        rotated = next(m["public_key"] for m in other if m["code"] == "FR")
        self.reload(replace={"KE": rotated}, drop=("FR",))
        poke.stdin.write("go\n")
        poke.stdin.flush()
        second = json.loads(poke.stdout.readline())
        poke.stdin.close()
        poke.stdout.close()
        poke.wait(timeout=20)
        self.assertEqual(second["replies"], {"UNAUTHORIZED": 1})

    def test_invalid_registry_keeps_the_old_one(self):
        with open(self.registry, "w", encoding="utf-8") as f:
            f.write("code,name,region\nbroken")
        n = self.p.log("collector").count("event=reload_refused")
        self.p.col.send_signal(signal.SIGHUP)
        wait_for(lambda: self.p.log("collector").count("event=reload_refused") > n, "refusal")
        rc, r = self.p.submit_as("KE", self.files["KE"])
        self.assertEqual((rc, r[0]["status"]), (0, "ACCEPTED"))


class HostileInputTest(unittest.TestCase):
    """Hostile frames from a registered member while an honest one keeps submitting."""

    def test_honest_member_unharmed(self):
        p = Pipeline().start()
        try:
            keys = p.keys
            subs = os.path.join(p.root, "subs")
            synth(subs, only=("KE", "FR"))
            fr = os.path.join(subs, "FR.json")
            honest_members = [m["code"] for m in keys.members if m["code"] != "FR"][:40]
            honest_files = synth(os.path.join(p.root, "honest"), only=honest_members)
            results = []

            def honest():
                for f in honest_files:
                    member = os.path.basename(f)[:-len(".json")]
                    results.append(p.submit_as(member, f))

            t = threading.Thread(target=honest)
            t.start()
            cases = ["random:300:7", "truncate:" + fr, "big:300000", "frames:5:" + fr,
                     "version:2:" + fr, "version:0:" + fr, "answers:2000:" + fr,
                     "string:5000:" + fr]
            out = subprocess.run(
                [POKE, "--connect", p.col_ep, "--key", keys.key("FR"),
                 "--server-key", keys.pub("collector"), "--timeout-ms", "3000", *cases],
                capture_output=True, text=True, timeout=600)
            t.join(timeout=600)
            self.assertEqual(out.returncode, 0, out.stderr)
            got = {json.loads(line)["case"] + str(i): json.loads(line)
                   for i, line in enumerate(out.stdout.splitlines())}
            by = {k.rstrip("0123456789"): [v for kk, v in got.items()
                                           if kk.rstrip("0123456789") == k.rstrip("0123456789")]
                  for k in got}

            def replies(case, i=0):
                return by[case][i]["replies"]

            # Random bytes: every frame answered MALFORMED or UNSUPPORTED_VERSION, none stored.
            self.assertEqual(sum(replies("random").values()), 300)
            self.assertTrue(set(replies("random")) <= {"MALFORMED", "UNSUPPORTED_VERSION"})
            # Truncated at every offset: never accepted.
            self.assertNotIn("ACCEPTED", replies("truncate"))
            self.assertEqual(by["truncate"][0]["no_reply"], 0)
            # Oversized frame: refused by ZMQ_MAXMSGSIZE (disconnect), never stored.
            self.assertEqual(by["big"][0]["no_reply"] + replies("big").get("TOO_LARGE", 0), 1)
            self.assertEqual(replies("frames"), {"MALFORMED": 1})
            self.assertEqual(replies("version", 0), {"UNSUPPORTED_VERSION": 1})
            self.assertEqual(replies("version", 1), {"MALFORMED": 1})
            self.assertEqual(replies("answers"), {"TOO_LARGE": 1})
            self.assertEqual(replies("string"), {"TOO_LARGE": 1})
            # The honest member got every receipt.
            self.assertEqual(len(results), len(honest_files))
            self.assertTrue(all(rc == 0 for rc, _ in results), results)
            self.assertEqual({r[0]["status"] for _, r in results}, {"ACCEPTED"})
            # Nothing from the hostile side is stored: the store holds exactly the honest ones.
            self.assertEqual(stored_sequence(p), len(honest_files))
            self.assertEqual(p.report()["submissions"]["total"], len(honest_files))
        finally:
            p.close()


class MemberKeyTest(unittest.TestCase):
    """canvassctl member-key: set, rotate, revoke; atomic; refused edits change nothing."""

    def setUp(self):
        self.root = tempfile.TemporaryDirectory(prefix="canvass-mk-")
        self.keys = KeyRing.shared()
        self.registry = self.keys.write_registry(os.path.join(self.root.name, "registry.csv"),
                                                 drop=("KE",))
        self.p = Pipeline(root=self.root.name, registry=self.registry).start()
        self.file = synth(os.path.join(self.root.name, "subs"), only=("KE",))[0]
        self.pidfile = os.path.join(self.root.name, "collector.pid")

    def tearDown(self):
        self.p.close()
        self.root.cleanup()

    def ctl(self, *args):
        return subprocess.run([os.path.join(BIN, "canvassctl"), "member-key", "--registry",
                               self.registry] + list(args), capture_output=True, text=True,
                              timeout=60)

    def reloaded(self, n):
        wait_for(lambda: self.p.log("collector").count("event=reloaded") > n, "the reload")

    def test_set_rotate_revoke(self):
        self.assertIn("members_without_keys", self.p.log("collector"))
        rc, r = self.p.submit_as("KE", self.file, extra=("--attempts", "1"))
        self.assertEqual((rc, r[0]["status"]), (4, "NOT_AUTHENTICATED"))
        # The member's own new pair; the Secretariat adds the public half.
        keygen(self.root.name, "KE-new")
        n = self.p.log("collector").count("event=reloaded")
        r = self.ctl("--reload", self.pidfile, "KE", os.path.join(self.root.name, "KE-new.pub"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^KE: key \S{40} \(was none\) in ")
        self.assertIn("asked to reload", r.stdout)
        self.reloaded(n)
        rc, r = self.p.submit_as("KE", self.file, key=os.path.join(self.root.name, "KE-new.key"))
        self.assertEqual((rc, r[0]["status"]), (0, "ACCEPTED"), r)
        # Only KE's row changed; every other row is as it was.
        with open(self.registry, encoding="utf-8") as f:
            rows = {line.split(",")[0]: line for line in f.read().splitlines()[1:]}
        self.assertEqual(len(rows), len(self.keys.members))
        fr = next(m for m in self.keys.members if m["code"] == "FR")
        self.assertTrue(rows["FR"].endswith("," + fr["public_key"]))
        # Revoked: refused at the next handshake.
        n = self.p.log("collector").count("event=reloaded")
        r = self.ctl("--reload", self.pidfile, "--revoke", "KE")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("KE: key revoked", r.stdout)
        self.reloaded(n)
        rc, r = self.p.submit_as("KE", self.file, key=os.path.join(self.root.name, "KE-new.key"),
                                 extra=("--attempts", "1"))
        self.assertEqual((rc, r[0]["status"]), (4, "NOT_AUTHENTICATED"))

    def test_refused_edits_change_nothing(self):
        with open(self.registry, "rb") as f:
            before = f.read()
        keygen(self.root.name, "KE-new")
        cases = [
            (["ZZ", os.path.join(self.root.name, "KE-new.pub")], "no member ZZ"),
            (["KE", self.keys.pub("FR")], "member FR's already"),
            (["KE", os.path.join(self.root.name, "missing.pub")], "missing.pub"),
        ]
        for args, message in cases:
            r = self.ctl(*args)
            self.assertEqual(r.returncode, 1, r.stdout)
            self.assertIn(message, r.stderr)
        self.assertEqual(self.ctl("KE").returncode, 2)  # no key file and no --revoke
        with open(self.registry, "rb") as f:
            self.assertEqual(f.read(), before)
        self.assertEqual([n for n in os.listdir(self.root.name) if n.endswith(".tmp")], [])


class FailClosedTest(unittest.TestCase):
    def start_failing(self, p, name, args, env=None):
        proc = subprocess.run([os.path.join(BIN, f"canvass-{name}")] + args,
                              capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, **(env or {})))
        return proc.returncode, proc.stderr

    def test_collector_without_zap_refuses_to_start(self):
        p = Pipeline()
        try:
            p.start_aggregator()
            rc, err = self.start_failing(p, "collector", p.collector_args(),
                                         env={"CANVASS_TEST_DISABLE_ZAP": "1"})
            self.assertEqual(rc, 1)
            self.assertIn("event=selftest_failed", err)
            self.assertIn("unregistered CURVE key was admitted", err)
        finally:
            p.close()

    def test_aggregator_without_zap_refuses_to_start(self):
        p = Pipeline()
        try:
            rc, err = self.start_failing(p, "aggregator", p.aggregator_args(),
                                         env={"CANVASS_TEST_DISABLE_ZAP": "1"})
            self.assertEqual(rc, 1)
            self.assertIn("unregistered CURVE key was admitted", err)
        finally:
            p.close()

    def test_plaintext_refused_on_tcp(self):
        p = Pipeline()
        try:
            args = ["--data", p.data, "--listen", p.agg_ep, "--insecure"]
            rc, err = self.start_failing(p, "aggregator", args)
            self.assertEqual(rc, 78)  # an unusable configuration (docs/operations.md)
            self.assertIn("allowed on ipc:// endpoints only", err)
            args = ["--data", p.data, "--listen", p.agg_ep]
            rc, err = self.start_failing(p, "aggregator", args)
            self.assertEqual(rc, 78)
            self.assertIn("event=no_keys", err)
        finally:
            p.close()

    def test_secret_key_readable_by_others_refused(self):
        p = Pipeline()
        try:
            loose = os.path.join(p.root, "loose.key")
            shutil.copy(p.keys.key("aggregator"), loose)
            os.chmod(loose, 0o644)
            args = p.aggregator_args()
            args[args.index("--key") + 1] = loose
            rc, err = self.start_failing(p, "aggregator", args)
            self.assertEqual(rc, 78)
            self.assertIn("readable by others", err)
            with open(loose, encoding="utf-8") as f:
                secret = f.read().split("secret = ")[1].strip()
            self.assertNotIn(secret, err)
        finally:
            p.close()

    def test_connection_limit(self):
        p = Pipeline()
        try:
            p.start_aggregator()
            p.start_collector("--max-connections", "2")
            files = {m: synth(os.path.join(p.root, m), only=(m,))[0] for m in ("KE", "FR", "JP")}
            holders = []
            for m in ("KE", "FR"):
                poke = subprocess.Popen(
                    [POKE, "--connect", p.col_ep, "--key", p.keys.key(m), "--server-key",
                     p.keys.pub("collector"), "hold:" + files[m]],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                self.assertEqual(json.loads(poke.stdout.readline())["first"], {"ACCEPTED": 1})
                holders.append(poke)
            # Refused for the limit, not for the key: not delivered (3), retry later.
            rc, r = p.submit_as("JP", files["JP"], extra=("--attempts", "2"))
            self.assertEqual((rc, r[0]["status"]), (3, "NOT_DELIVERED"))
            self.assertIn("connection limit", r[0]["message"])
            self.assertNotIn("not registered", r[0]["message"])
            for poke in holders:
                poke.stdin.write("go\n")
                poke.stdin.close()
                poke.stdout.read()
                poke.stdout.close()
                poke.wait(timeout=20)
            # Once they are gone, JP gets in.
            rc, r = p.submit_as("JP", files["JP"], extra=("--attempts", "10"))
            self.assertEqual((rc, r[0]["status"]), (0, "ACCEPTED"))
        finally:
            p.close()

    def test_check_whole_config(self):
        p = Pipeline()
        try:
            ini = os.path.join(p.root, "canvass.ini")

            def write(collector_key):
                with open(ini, "w", encoding="utf-8") as f:
                    f.write(f"[aggregator]\ndata = {p.data}\nlisten = {p.agg_ep}\n"
                            f"key = {p.keys.key('aggregator')}\ncollector-key = {collector_key}\n"
                            f"[collector]\nlisten = {p.col_ep}\nregistry = {p.registry}\n"
                            f"key = {p.keys.key('collector')}\n"
                            f"aggregator-key = {p.keys.pub('aggregator')}\n")

            write(p.keys.pub("collector"))
            ok = subprocess.run([os.path.join(BIN, "canvassctl"), "check", "-c", ini],
                                capture_output=True, text=True, timeout=60)
            self.assertEqual(ok.returncode, 0, ok.stderr)
            self.assertIn("aggregator: listen", ok.stdout)
            write(os.path.join(p.root, "missing.pub"))
            bad = subprocess.run([os.path.join(BIN, "canvassctl"), "check", "-c", ini],
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(bad.returncode, 1)
            self.assertIn("missing.pub", bad.stderr)
        finally:
            p.close()

    def test_unknown_collector_refused_by_aggregator(self):
        with tempfile.TemporaryDirectory() as d:
            keygen(d, "rogue")
            p = Pipeline()
            try:
                p.start_aggregator()
                args = p.collector_args()
                args[args.index("--key") + 1] = os.path.join(d, "rogue.key")
                p.col = p._start("collector", args, env=None)
                files = synth(os.path.join(p.root, "subs"), only=("KE",))
                rc, r = p.submit_as("KE", *files, server_key=os.path.join(d, "rogue.pub"),
                                    extra=("--attempts", "2", "--timeout-ms", "1500"))
                self.assertEqual((rc, r[0]["status"]), (3, "UNAVAILABLE"))
                self.assertEqual(stored_sequence(p), 0)
            finally:
                p.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
