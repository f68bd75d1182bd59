"""The README's Python example runs as written and gives what its comments say."""

import importlib.util
import os
import re
import shutil
import tempfile
import unittest
import warnings

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


    def test_the_example_warns_about_its_unknown_keyword_as_its_comment_says(self):
        with open(README) as f:
            text = f.read()
        section = text.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
        (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
        self.assertIn("UnknownPropertyWarning says so once", block)
        import deeptrack_native as dt
        from deeptrack_native import _unknown

        # Once per process: forget that an earlier test ran the example.
        _unknown._WARNED.discard(("PointParticle", "track_me"))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            exec(block, {})
        unknown = [w for w in caught if issubclass(w.category, dt.UnknownPropertyWarning)]
        self.assertEqual(len(unknown), 1)
        self.assertIn("PointParticle: 'track_me' is not one of its parameters", str(unknown[0].message))


class ReadmeBlocksOnTheirOwn(unittest.TestCase):
    """Every Python block of the README outside the Training section (whose blocks continue one another,
    ReadmeTraining) runs on its own, as a reader copies it, in a scratch directory: it imports what it
    uses. A block that fails fails the test, naming its line."""

    def test_every_block_runs_on_its_own(self):
        with open(README) as f:
            text = f.read()
        training = text.split("\n## Training\n", 1)[1].split("\n## ", 1)[0]
        blocks = [
            (text[: m.start()].count("\n") + 1, m.group(1))
            for m in re.finditer(r"```python\n(.*?)```", text, re.S)
            if m.group(1) not in training
        ]
        self.assertGreaterEqual(len(blocks), 5)
        has_matplotlib = importlib.util.find_spec("matplotlib") is not None
        if has_matplotlib:
            import matplotlib

            matplotlib.use("Agg")
        scratch = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, scratch, True)
        cwd = os.getcwd()
        os.chdir(scratch)
        self.addCleanup(os.chdir, cwd)
        ran = 0
        for line, block in blocks:
            if ".plot(" in block and not has_matplotlib:
                continue
            with self.subTest(readme_line=line), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compile(block, f"README.md, block at line {line}", "exec"), {})
                ran += 1
        self.assertGreaterEqual(ran, 4)


class ReadmeTraining(unittest.TestCase):
    """The "Training" section runs as written, in order, in a scratch directory (its torch block is
    skipped when torch is not installed)."""

    def test_training_section_runs(self):
        with open(README) as f:
            text = f.read()
        section = text.split("\n## Training\n", 1)[1].split("\n## ", 1)[0]
        blocks = re.findall(r"```python\n(.*?)```", section, re.S)
        self.assertEqual(len(blocks), 3)
        self.assertIn("docs/images/training_batch.png", section)
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
        exec(blocks[2], ns)
        stored = ns["stored"]
        self.assertEqual(stored.images.shape, (200, 64, 64, 1))
        self.assertEqual((stored.dtype, stored.images.dtype), ("float32", "float32"))
        self.assertEqual(stored.metadata["seed"], 2)
        rows = stored.rows(0)
        self.assertTrue(5 <= len(rows["item"]) <= 20)
        self.assertIn("intensity", rows)


class ReadmePictures(unittest.TestCase):
    """Every picture in docs/images is shown by the README and every picture it shows exists; one
    training-batch picture (camera frames with ground truth, examples-python/training_batch.py),
    shown in the camera and training sections."""

    def test_pictures_are_shown_and_exist(self):
        with open(README) as f:
            text = f.read()
        images = os.path.join(os.path.dirname(README), "docs", "images")
        shown = set(re.findall(r"\]\((docs/images/[^)]+)\)", text))
        on_disk = {f"docs/images/{name}" for name in os.listdir(images) if name.endswith(".png")}
        self.assertEqual(shown, on_disk)
        batches = sorted(p for p in on_disk if "training" in p)
        self.assertEqual(batches, ["docs/images/training_batch.png"])
        for section in ("\n### A camera\n", "\n## Training\n"):
            part = text.split(section, 1)[1].split("\n## ", 1)[0]
            self.assertIn("](docs/images/training_batch.png)", part)


if __name__ == "__main__":
    unittest.main()
