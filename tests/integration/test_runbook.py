"""The runbook is executed: the shell blocks of docs/operations.md marked
<!-- runbook --> run in order, as written, as root, in a private mount and
network namespace where /usr/local, /etc, /run, /var/log and
/var/lib/canvass are temporary copies (so nothing of this machine changes,
and the loopback ports of the installed configuration are this test's own).

Skipped (and says so) when not root or when unshare cannot make the
namespaces. A block that fails fails the test, with its output.
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import unittest

SRC = os.path.abspath(os.environ.get("CANVASS_SOURCE",
                                     os.path.join(os.path.dirname(__file__), "../..")))
RUNBOOK = os.path.join(SRC, "docs/operations.md")


def runbook_blocks(path):
    """The ```sh blocks that follow a <!-- runbook --> line, in order."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return re.findall(r"<!-- runbook -->\n```sh\n(.*?)```", text, flags=re.S)


def can_unshare():
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    r = subprocess.run(["unshare", "-m", "-n", "true"], capture_output=True)
    return r.returncode == 0


@unittest.skipUnless(can_unshare(), "needs root and unshare (mount and network namespaces)")
class RunbookTest(unittest.TestCase):
    def test_runbook_runs_as_written(self):
        blocks = runbook_blocks(RUNBOOK)
        self.assertGreaterEqual(len(blocks), 5, "the runbook lost its runnable blocks")
        made_mountpoint = not os.path.exists("/var/lib/canvass")
        with tempfile.TemporaryDirectory(prefix="canvass-runbook-") as root:
            for d in ("usr_local", "run", "var_log", "var_lib_canvass", "work"):
                os.makedirs(os.path.join(root, d))
                os.chmod(os.path.join(root, d), 0o755)
            os.chmod(root, 0o755)
            # A copy of /etc: useradd and the configuration write there, not here.
            subprocess.run(["cp", "-a", "/etc", os.path.join(root, "etc")], check=True)
            script = os.path.join(root, "runbook.sh")
            with open(script, "w", encoding="utf-8") as f:
                f.write("set -eux\n")
                for i, b in enumerate(blocks, 1):
                    f.write(f"echo '--- runbook block {i}' >&2\n")
                    # The first block (the build) runs in the source tree; the
                    # others in a scratch directory (the member's files go there).
                    f.write(f"cd {SRC}\n" if i == 1 else f"cd {root}/work\n")
                    f.write(b)
            wrapper = f"""set -eu
mkdir -p /var/lib/canvass
mount --bind {root}/usr_local /usr/local
mount --bind {root}/etc /etc
mount --bind {root}/var_lib_canvass /var/lib/canvass
mount --bind {root}/run /run
mount --bind {root}/var_log /var/log
ip link set lo up
exec bash {script}
"""
            try:
                # Output to a file: the daemons the runbook starts keep what they
                # inherit open, and a pipe would wait for them.
                log_path = os.path.join(root, "runbook.log")
                with open(log_path, "w", encoding="utf-8") as log:
                    rc = subprocess.run(["unshare", "-m", "-n", "--propagation", "private",
                                         "sh", "-c", wrapper], stdout=log, stderr=log,
                                        stdin=subprocess.DEVNULL, timeout=1500,
                                        cwd=SRC).returncode
                with open(log_path, encoding="utf-8", errors="replace") as log:
                    out = log.read()
            finally:
                # Whatever the runbook started and did not stop: by the PIDs it wrote.
                for name in ("collector", "aggregator"):
                    pidfile = os.path.join(root, "run", "canvass", f"{name}.pid")
                    if os.path.exists(pidfile):
                        with open(pidfile, encoding="ascii") as f:
                            pid = int(f.read().strip() or 0)
                        if pid > 1:
                            try:
                                os.kill(pid, signal.SIGKILL)
                            except ProcessLookupError:
                                pass
            if made_mountpoint:  # the empty directory the bind mount needed
                try:
                    os.rmdir("/var/lib/canvass")
                except OSError:
                    pass
            self.assertEqual(rc, 0, out[-6000:])
            # What the runbook promises: a receipt, a report over it, a verified store.
            self.assertIn("ACCEPTED", out)
            self.assertIn("KE: key ", out)
            self.assertIn("collector (pid", out)
            self.assertRegex(out, r"verified|chain")
            print(f"\nrunbook: {len(blocks)} blocks of docs/operations.md ran as written")


if __name__ == "__main__":
    unittest.main(verbosity=2)
