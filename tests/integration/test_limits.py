"""What one peer may cost the collector (docs/security.md, "Limits").

Over tcp://127.0.0.1 with CURVE, the real daemons:

- a member flooding from two connections with requests whose ~20 KB
  REJECTED replies it never reads: the collector's unread replies stay
  within 2 x member-reply-bytes, its resident memory within the documented
  bound, and an honest member gets every answer meanwhile (its latency is
  printed; canvass-bench measures it against a run without the flood). The
  flooding processes run at the lowest CPU priority (SCHED_IDLE): on a
  2-core test machine they would otherwise take the CPU the collector and
  the honest member need, which a member flooding from its own machine
  cannot;
- 100 TCP connections that never say a word do not keep registered members
  out, and with max-handshaking below that, the oldest of them are closed
  at once.

The figures are printed; the test asserts the bounds, not timings of its own.
"""
import json
import os
import socket
import subprocess
import unittest

from pipeline import BIN, Pipeline, synth, wait_for, write_json

POKE = os.path.join(BIN, "canvass-poke")
MIB = 1024 * 1024


def metric(p, name):
    """A metric without labels from the collector's /metrics, as a float."""
    import urllib.request
    http = p.ready["collector"]["http"]
    with urllib.request.urlopen(f"http://{http}/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def labelled(p, name, label):
    import urllib.request
    http = p.ready["collector"]["http"]
    with urllib.request.urlopen(f"http://{http}/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(f'{name}{{') and f'"{label}"' in line:
                return float(line.split()[-1])
    raise AssertionError(f"{name}{{{label}}} not in /metrics")


def peer_closed(sock, timeout):
    """True when the other end closes sock within timeout s (what it sent is dropped)."""
    import select
    import time
    deadline = time.monotonic() + timeout
    while True:
        ready, _, _ = select.select([sock], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return False
        try:
            if not sock.recv(256):
                return True
        except ConnectionResetError:
            return True


def sanitized(program):
    """True for a program built with AddressSanitizer."""
    with open(program, "rb") as f:
        return b"__asan_init" in f.read()


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(field)


class ReplyFloodTest(unittest.TestCase):
    def test_member_that_never_reads(self):
        budget = MIB  # the default member-reply-bytes
        p = Pipeline()
        try:
            p.start_aggregator()
            p.start_collector("--http", "127.0.0.1:0")
            subs = os.path.join(p.root, "subs")
            files = {os.path.basename(f)[:2]: f for f in synth(subs, only=("KE", "FR"))}
            # 201 question ids the questionnaire does not know: a ~20 KB REJECTED reply.
            with open(files["KE"], encoding="utf-8") as f:
                sub = json.load(f)
            for i in range(201):
                sub["answers"][f"not_a_question_{i:03d}_of_this_questionnaire"] = i
            hostile = os.path.join(p.root, "hostile.json")
            write_json(hostile, sub)
            # The honest member's first answer (ACCEPTED), then a warm-up.
            honest = [POKE, "--connect", p.col_ep, "--key", p.keys.key("FR"),
                      "--server-key", p.keys.pub("collector"), "--timeout-ms", "10000"]
            out = subprocess.run(honest + ["latency:200:" + files["FR"]], check=True,
                                 capture_output=True, text=True, timeout=120).stdout
            base_ms = json.loads(out)["ms"]
            base_rss = rss_kib(p.col.pid)

            flooders = []
            for _ in range(2):  # two connections of the same member
                f = subprocess.Popen(
                    [POKE, "--connect", p.col_ep, "--key", p.keys.key("KE"), "--server-key",
                     p.keys.pub("collector"), "--timeout-ms", "3000",
                     "flood:11000:" + hostile],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                    preexec_fn=lambda: os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0)))
                flooders.append(f)
            try:
                # While the flood goes on: the honest member's replies.
                out = subprocess.run(honest + ["latency:500:" + files["FR"]], check=True,
                                     capture_output=True, text=True, timeout=300).stdout
                during = json.loads(out)
                for f in flooders:
                    self.assertEqual(json.loads(f.stdout.readline())["sent"], 11000)
                unread = metric(p, "canvass_collector_unread_reply_bytes")
                peak_rss = rss_kib(p.col.pid, "VmHWM")
                busy = labelled(p, "canvass_collector_replies_total", "busy")
                dropped = labelled(p, "canvass_collector_replies_dropped_total",
                                   "member_budget")
            finally:
                for f in flooders:
                    f.stdin.write("go\n")
                    f.stdin.close()
                drained = [json.loads(f.stdout.read().splitlines()[-1]) for f in flooders]
                for f in flooders:
                    f.wait(timeout=60)
            # Once the member has read, the collector holds nothing for it.
            wait_for(lambda: metric(p, "canvass_collector_unread_reply_bytes") == 0,
                     "the unread replies to be given back")
            growth = (peak_rss - base_rss) * 1024
            print(f"\nflood: 2 connections x 11000 requests never read; unread replies "
                  f"{unread / MIB:.2f} MiB at the end of the flood (bound "
                  f"{2 * budget / MIB:.0f} MiB); collector RSS {base_rss / 1024:.1f} MiB "
                  f"before, peak {peak_rss / 1024:.1f} MiB (+{growth / MIB:.1f} MiB); "
                  f"BUSY {busy:.0f}, dropped {dropped:.0f}; the flooder read "
                  f"{[d['replies'] for d in drained]}; honest member ms p50/p99/max "
                  f"{base_ms['p50']:.2f}/{base_ms['p99']:.2f}/{base_ms['max']:.2f} before, "
                  f"{during['ms']['p50']:.2f}/{during['ms']['p99']:.2f}/"
                  f"{during['ms']['max']:.2f} during ({during['replies']})")
            # The gauge adds every member's replies in passing (the honest one's, < 64 KiB).
            self.assertLessEqual(unread, 2 * budget + 64 * 1024)
            # docs/security.md: a member's unread replies cost at most 2 x member-reply-bytes;
            # the rest of the growth is ZeroMQ's buffers for the flood's requests.
            if not sanitized(os.path.join(BIN, "canvass-collector")):
                # (AddressSanitizer keeps freed memory in quarantine: RSS means little there.)
                self.assertLess(growth, 2 * budget + 64 * MIB)
            self.assertGreater(busy, 0)
            self.assertEqual(during["no_reply"], 0)
            self.assertEqual(set(during["replies"]), {"DUPLICATE"})
            # The p99 is printed, not asserted: timings are the benchmark's
            # (canvass-bench: "ack latency p99, member flooding").
        finally:
            p.close()


class SilentConnectionTest(unittest.TestCase):
    def _silent(self, p, n):
        host, port = p.col_ep[len("tcp://"):].rsplit(":", 1)
        conns = []
        for _ in range(n):
            s = socket.create_connection((host, int(port)), timeout=10)
            conns.append(s)
        return conns

    def test_silent_connections_do_not_keep_members_out(self):
        p = Pipeline()
        try:
            p.start_aggregator()
            # Room for 5 members; connections in the handshake do not count.
            p.start_collector("--http", "127.0.0.1:0", "--max-connections", "5",
                              "--handshake-ms", "60000")
            files = synth(os.path.join(p.root, "subs"), only=("KE", "FR", "JP", "BR"))
            conns = self._silent(p, 100)
            try:
                wait_for(lambda: metric(p, "canvass_collector_handshaking_connections") == 100,
                         "the 100 silent connections to be counted")
                admitted = 0
                for f in files:
                    member = os.path.basename(f)[:2]
                    rc, r = p.submit_as(member, f, extra=("--attempts", "1",
                                                          "--timeout-ms", "10000"))
                    self.assertEqual((rc, r[0]["status"]), (0, "ACCEPTED"), r)
                    admitted += 1
                print(f"\n100 silent TCP connections (max-connections 5, handshake 60 s): "
                      f"{admitted} of {len(files)} members admitted at once")
                self.assertEqual(metric(p, "canvass_collector_handshaking_connections"), 100)
            finally:
                for s in conns:
                    s.close()
        finally:
            p.close()

    def test_handshake_bound_closes_the_oldest_silent(self):
        p = Pipeline()
        try:
            p.start_aggregator()
            p.start_collector("--http", "127.0.0.1:0", "--max-handshaking", "20",
                              "--handshake-ms", "60000")
            conns = self._silent(p, 100)
            try:
                wait_for(lambda: metric(p, "canvass_collector_connections_shed_total") == 80,
                         "80 connections to be shed")
                self.assertEqual(metric(p, "canvass_collector_handshaking_connections"), 20)
                # The oldest 80 were closed (end of stream at once), the newest 20 are open.
                closed = [peer_closed(s, 10.0) for s in conns[:80]]
                closed += [peer_closed(s, 0.0) for s in conns[80:]]
                self.assertEqual(closed, [True] * 80 + [False] * 20)
                # A member still gets in: its handshake is newer than every silent one.
                f = synth(os.path.join(p.root, "subs"), only=("KE",))[0]
                rc, r = p.submit_as("KE", f, extra=("--attempts", "1", "--timeout-ms", "10000"))
                self.assertEqual((rc, r[0]["status"]), (0, "ACCEPTED"), r)
                print("\nmax-handshaking 20, 100 silent connections: 80 shed at once, the "
                      "newest 20 kept; a member admitted")
            finally:
                for s in conns:
                    s.close()
        finally:
            p.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
