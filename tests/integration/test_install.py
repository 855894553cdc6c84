"""The Debian package, installed on this machine and run as an operator would.

Builds the package (scripts/package.sh), installs it with dpkg, checks the
installed units (systemd-analyze verify, and security: exposure <= 3.0) and
man pages, then runs both daemons as the canvass user with the installed
configuration and the units' own command lines (setpriv: systemd does not run
here), in a private network namespace so that the configuration's loopback
ports are this test's own. A member key is added with canvassctl member-key,
a submission stored, a report made, canvassctl verify run as root, the
aggregator reloaded and restarted as canvass; then the package is purged.

Needs root, dpkg, unshare and setpriv; skipped (saying so) otherwise, and
when canvass is installed on this machine already (it is not touched).
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

SRC = os.path.abspath(os.environ.get("CANVASS_SOURCE",
                                     os.path.join(os.path.dirname(__file__), "../..")))
UNITS = "/usr/lib/systemd/system"
PAGES = ["canvass-aggregator", "canvass-collector", "canvass-reporter", "canvass-submit",
         "canvassctl"] + ["canvassctl-" + s for s in (
             "keygen", "member-key", "check", "verify", "history", "backup", "tail", "review",
             "status")]


def installed():
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "canvass"], capture_output=True,
                       text=True)
    return "install ok installed" in r.stdout


def usable():
    return (os.geteuid() == 0 and all(shutil.which(t) for t in ("dpkg", "unshare", "setpriv"))
            and not installed() and not os.path.exists("/etc/canvass")
            and not (os.path.isdir("/var/lib/canvass") and os.listdir("/var/lib/canvass")))


def exec_start(unit):
    with open(os.path.join(UNITS, unit), encoding="utf-8") as f:
        return re.search(r"^ExecStart=(.+)$", f.read(), re.M).group(1).split()


def wait(pred, what, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)  # polling a condition, with a deadline
    raise AssertionError("timed out waiting for " + what)


@unittest.skipUnless(usable(), "needs root, dpkg, unshare and setpriv, and no canvass installed")
class InstallTest(unittest.TestCase):
    def test_package_install_run_remove(self):
        out = subprocess.run(["sh", os.path.join(SRC, "scripts/package.sh")], check=True,
                             capture_output=True, text=True, timeout=1200).stdout
        deb = os.path.join(SRC, out.strip().splitlines()[-1])
        # Debian policy, as lintian checks it: no error (setup.sh --test installs it).
        lint = subprocess.run(["lintian", "--tag-display-limit", "0", deb], capture_output=True,
                              text=True, timeout=600)
        errors = [line for line in lint.stdout.splitlines() if line.startswith("E:")]
        self.assertEqual(errors, [], lint.stdout)
        print(f"lintian: {len(errors)} errors, "
              f"{sum(1 for x in lint.stdout.splitlines() if x.startswith('W:'))} warnings")
        listing = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True,
                                 check=True).stdout
        for path in ("usr/share/doc/canvass/copyright", "usr/share/doc/canvass/changelog.gz",
                     "usr/share/man/man1/canvassctl-review.1.gz"):
            self.assertIn(path, listing)
        user_existed = subprocess.run(["id", "canvass"], capture_output=True).returncode == 0
        ns = None
        procs = {}
        run_dir_existed = os.path.exists("/run/canvass")
        tmp = tempfile.mkdtemp(prefix="canvass-install-")
        try:
            r = subprocess.run(["dpkg", "-i", deb], capture_output=True, text=True, timeout=300)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            # The units: valid, and hardened.
            units = ["canvass-aggregator.service", "canvass-collector.service"]
            r = subprocess.run(["systemd-analyze", "verify"] +
                               [os.path.join(UNITS, u) for u in units],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            exposure = {}
            for u in units:
                r = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                                    os.path.join(UNITS, u)], capture_output=True, text=True,
                                   timeout=60)
                m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout)
                self.assertIsNotNone(m, r.stdout + r.stderr)
                exposure[u] = float(m.group(1))
                self.assertLessEqual(exposure[u], 3.0, r.stdout)
            for prog in PAGES[:5]:  # bash completion under every program's name
                self.assertTrue(os.path.exists(
                    f"/usr/share/bash-completion/completions/{prog}"), prog)
            r = subprocess.run(["bash", "-c", "source /usr/share/bash-completion/completions/"
                                "canvassctl; COMP_WORDS=(canvassctl member-key --re); "
                                "COMP_CWORD=2; _canvass; echo ${COMPREPLY[@]}"],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.stdout.split(), ["--registry", "--revoke", "--reload"], r.stderr)
            for page in PAGES:
                r = subprocess.run(["man", "-w", page], capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, page + r.stderr)
            # What postinst made: the user, the directories, the daemons' keys.
            st = os.stat("/var/lib/canvass")
            self.assertEqual(oct(st.st_mode & 0o777), "0o700")
            key = os.stat("/etc/canvass/keys/collector.key")
            self.assertEqual((oct(key.st_mode & 0o777), key.st_uid), ("0o600", st.st_uid))

            # A private network namespace: the installed loopback ports are ours.
            ns = subprocess.Popen(["unshare", "-n", "sh", "-c",
                                   "ip link set lo up && exec sleep 3600"])
            wait(lambda: subprocess.run(["nsenter", "-t", str(ns.pid), "-n", "ip", "-o",
                                         "link", "show", "lo"], capture_output=True,
                                        text=True).stdout.find("UP") >= 0, "loopback up")

            def in_ns(cmd, **kw):
                return ["nsenter", "-t", str(ns.pid), "-n"] + cmd

            def start(name):
                log = open(os.path.join(tmp, f"{name}.log"), "ab")
                procs[name] = subprocess.Popen(
                    in_ns(["setpriv", "--reuid=canvass", "--regid=canvass", "--init-groups"] +
                          exec_start(f"canvass-{name}.service")),
                    stdout=log, stderr=log)
                log.close()
                wait(lambda: os.path.exists(f"/run/canvass/{name}.pid") or
                     procs[name].poll() is not None, f"{name} to be ready")
                self.assertIsNone(procs[name].poll(), self.log(tmp, name))

            def run(cmd, ns_net=True, **kw):
                return subprocess.run(in_ns(cmd) if ns_net else cmd, capture_output=True,
                                      text=True, timeout=120, **kw)

            start("aggregator")
            start("collector")
            self.assertIn("event=members_without_keys", self.log(tmp, "collector"))
            # A member makes its key pair; the Secretariat adds the public key.
            member = os.path.join(tmp, "member")
            r = run(["canvassctl", "keygen", "--dir", member, "KE"], ns_net=False)
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run(["canvassctl", "member-key", "--registry", "/etc/canvass/members.csv",
                     "--reload", "/run/canvass/collector.pid", "KE",
                     os.path.join(member, "KE.pub")], ns_net=False)
            self.assertEqual(r.returncode, 0, r.stderr)
            submit = ["canvass-submit", "--connect", "tcp://127.0.0.1:7000", "--key",
                      os.path.join(member, "KE.key"), "--server-key",
                      "/etc/canvass/keys/collector.pub", "--json",
                      "/usr/share/canvass/examples/KE-2026.json"]
            r = run(submit)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn('"ACCEPTED"', r.stdout)
            r = run(["canvass-reporter", "completeness", "-c", "/etc/canvass/canvass.ini",
                     "--questionnaire", "integrity-self-assessment", "--cycle", "2026"],
                    ns_net=False)
            self.assertEqual(r.returncode, 0, r.stderr)
            # KE (East and Southern Africa) answered on time: 1 of 24.
            self.assertRegex(r.stdout, r"East and Southern Africa +24 +1 +0 +23")
            # verify as root, then the aggregator reloaded and restarted as canvass.
            r = run(["canvassctl", "verify", "--data", "/var/lib/canvass"], ns_net=False)
            self.assertEqual(r.returncode, 0, r.stderr)
            n = self.log(tmp, "aggregator").count("event=reloaded")
            procs["aggregator"].send_signal(signal.SIGHUP)
            wait(lambda: self.log(tmp, "aggregator").count("event=reloaded") > n,
                 "the aggregator's reload")
            procs["aggregator"].send_signal(signal.SIGTERM)
            self.assertEqual(procs["aggregator"].wait(timeout=30), 0)
            start("aggregator")
            r = run(submit)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn('"DUPLICATE"', r.stdout)
            print(f"\ninstalled {os.path.basename(deb)}; systemd-analyze security: "
                  + ", ".join(f"{u} {e}" for u, e in exposure.items())
                  + f"; {len(PAGES)} man pages; submitted, reported, verified, reloaded, "
                  "restarted")
        finally:
            for p in procs.values():
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
                    p.wait(timeout=30)
            if ns is not None:
                ns.kill()
                ns.wait()
            r = subprocess.run(["dpkg", "--purge", "canvass"], capture_output=True, text=True,
                               timeout=300)
            shutil.rmtree("/var/lib/canvass", ignore_errors=True)
            if not run_dir_existed:
                shutil.rmtree("/run/canvass", ignore_errors=True)
            if not user_existed:
                subprocess.run(["userdel", "canvass"], capture_output=True)
            shutil.rmtree(tmp, ignore_errors=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertFalse(os.path.exists("/usr/bin/canvass-collector"))
        self.assertFalse(os.path.exists("/etc/canvass"))

    @staticmethod
    def log(tmp, name):
        try:
            with open(os.path.join(tmp, f"{name}.log"), encoding="utf-8") as f:
                return f.read()
        except OSError:
            return ""


if __name__ == "__main__":
    unittest.main(verbosity=2)
