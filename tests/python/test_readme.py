"""The README's Python example runs as written and gives what its comments say."""

import importlib.util
import os
import re
import shutil
import tempfile
import unittest

import numpy as np

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")


class ReadmeExample(unittest.TestCase):
    def test_python_example_runs(self):
        with open(README) as f:
            text = f.read()
        section = text.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
        blocks = re.findall(r"```python\n(.*?)```", section, re.S)
        self.assertEqual(len(blocks), 1)
        ns = {}
        exec(blocks[0], ns)
        image = ns["image"]
        self.assertEqual(np.asarray(image).shape, (64, 64, 1))
        positions = image.get_property("position", get_one=False)
        self.assertEqual(len(positions), 3)
        self.assertEqual(image.get_property("track_me", get_one=False), [True, True, True])
        intensities = image.get_property("intensity", get_one=False)
        self.assertEqual(len(intensities), 3)
        self.assertAlmostEqual(float(np.asarray(image).max()), 1.0)



class ReadmeTraining(unittest.TestCase):
    """The "Training" section runs as written, in order, in a scratch directory (its torch block is
    skipped when torch is not installed, its picture block when matplotlib is not)."""

    def test_training_section_runs(self):
        with open(README) as f:
            text = f.read()
        section = text.split("\n## Training\n", 1)[1].split("\n## ", 1)[0]
        blocks = re.findall(r"```python\n(.*?)```", section, re.S)
        self.assertEqual(len(blocks), 3)
        self.assertIn("docs/images/training-batch.png", section)
        scratch = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, scratch, True)
        cwd = os.getcwd()
        os.chdir(scratch)
        self.addCleanup(os.chdir, cwd)
        ns = {}
        exec(blocks[0], ns)
        x, mask, positions = ns["x"], ns["mask"], ns["positions"]
        self.assertEqual((x.shape, mask.shape), ((64, 64, 1), (64, 64, 1)))
        self.assertTrue(5 <= len(positions) <= 20 and positions.shape[1] == 2)
        # The mask marks the particles: bright where it is on.
        self.assertGreater(x[mask > 0].mean(), 2 * x[mask == 0].mean())
        self.assertEqual(ns["x_batch"].shape, (32, 64, 64, 1))
        self.assertEqual(len(ns["positions_batch"]), 32)
        if importlib.util.find_spec("torch") is not None:
            exec(blocks[1], ns)
            self.assertEqual(tuple(ns["x"].shape), (16, 1, 64, 64))
            self.assertGreater(ns["loss"].item(), 0)
        has_matplotlib = importlib.util.find_spec("matplotlib") is not None
        block = blocks[2]
        if not has_matplotlib:
            block = block.split("import matplotlib", 1)[0]
        exec(block, ns)
        stored = ns["stored"]
        self.assertEqual(stored.images.shape, (200, 64, 64, 1))
        self.assertEqual(stored.metadata["seed"], 2)
        rows = stored.rows(0)
        self.assertTrue(5 <= len(rows["item"]) <= 20)
        self.assertIn("intensity", rows)
        if has_matplotlib:
            self.assertTrue(os.path.getsize(os.path.join(scratch, "training-batch.png")) > 10_000)


if __name__ == "__main__":
    unittest.main()
