#!/usr/bin/python3
"""The layering check (scripts/layers.py) passes on the tree and fails on a
planted upward include, a planted circle and a cross-program include."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.environ.get("CANVASS_SOURCE", os.path.join(os.path.dirname(__file__), "..", ".."))
CHECK = os.path.join(SOURCE, "scripts", "layers.py")
TOPS = ["lib", "aggregator", "collector", "client", "ctl", "reporter"]


def run(root):
    p = subprocess.run([sys.executable, CHECK, root], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout


class Layers(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="canvass-layers-")
        for top in TOPS:
            shutil.copytree(os.path.join(SOURCE, top), os.path.join(self.tmp, top))

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def plant(self, path, line):
        with open(os.path.join(self.tmp, path), "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def test_tree_passes(self):
        rc, out = run(SOURCE)
        print(out, end="")
        self.assertEqual(rc, 0, out)
        self.assertIn("0 problem(s)", out)

    def test_upward_include_fails(self):
        self.plant("lib/wire/text.c", '#include "store.h"')
        rc, out = run(self.tmp)
        self.assertEqual(rc, 1, out)
        self.assertIn("lib/wire/text.c:", out)
        self.assertIn("includes lib/store/store.h, a higher layer (lib/store)", out)

    def test_reporter_upward_include_fails(self):
        self.plant("reporter/data/dataset.c", '#include "compare.h"')
        rc, out = run(self.tmp)
        self.assertEqual(rc, 1, out)
        self.assertIn("reporter/data/dataset.c:", out)

    def test_circle_fails(self):
        self.plant("lib/questionnaire/question.h", '#include "expr.h"')
        rc, out = run(self.tmp)
        self.assertEqual(rc, 1, out)
        self.assertIn("modules include each other", out)
        self.assertIn("lib/questionnaire/question", out)

    def test_other_program_fails(self):
        self.plant("collector/relay.c", '#include "returns.h"')
        rc, out = run(self.tmp)
        self.assertEqual(rc, 1, out)
        self.assertIn("of another program", out)

    def test_lib_includes_no_program(self):
        self.plant("lib/base/util.c", '#include "relay.h"')
        rc, out = run(self.tmp)
        self.assertEqual(rc, 1, out)
        self.assertIn("lib/base/util.c:", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
