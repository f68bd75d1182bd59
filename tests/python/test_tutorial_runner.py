"""tests/tutorials/run_tutorials.py's rules on made-up notebooks: which notebooks it skips and why,
which cells it keeps (magics and training imports dropped, everything from the first training cell on
dropped), the import rewriting, and a run that reports the failing cell."""

import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "tutorials"))

import run_tutorials  # noqa: E402


def notebook(*cells):
    return json.dumps({"cells": [{"cell_type": "code", "source": c} for c in cells] + [{"cell_type": "markdown", "source": "x"}]})


class Rules(unittest.TestCase):
    def test_cells_kept(self):
        cells = run_tutorials.code_cells(
            notebook(
                "# !pip install deeplay deeptrack\n%matplotlib inline",
                "import deeptrack as dt\nimport deeptrack.deeplay as dl\nimport torch\nimport numpy as np",
                "p = dt.PointParticle()  # deeplay comes later",
                "model = dl.Regressor(net)",
                "p.update()",
            )
        )
        kept, reason = run_tutorials.classify(cells)
        self.assertIsNone(reason)
        self.assertEqual(
            kept,
            ["# !pip install deeplay deeptrack", "import deeptrack as dt\nimport numpy as np",
             "p = dt.PointParticle()  # deeplay comes later"],
        )  # fmt: skip

    def test_deeptrack_1_tensorflow_cells_are_training_cells(self):
        # DeepTrack 1.x's TensorFlow API (gone from DeepTrack2 2.0.1): the simulation before it runs.
        cells = [
            "%matplotlib inline",
            "import deeptrack as dt\nimport tensorflow as tf\nfrom deeptrack.models import LodeSTAR\nimport numpy as np",
            "p = dt.PointParticle()  # a tf.keras model comes later",
            "sample = p.update()()",
            "model = dt.models.LodeSTAR(input_shape=(None, None, 1))",
            "p.update()",
        ]
        kept, reason = run_tutorials.classify(cells)
        self.assertIsNone(reason)
        self.assertEqual(
            kept,
            ["import deeptrack as dt\nimport numpy as np", "p = dt.PointParticle()  # a tf.keras model comes later",
             "sample = p.update()()"],
        )  # fmt: skip
        for training in ["opt = tf.keras.optimizers.Adam()", "gen = dt.generators.ContinuousGenerator(x)",
                         "loss = dt.losses.flatten"]:  # fmt: skip
            kept, _ = run_tutorials.classify(["import deeptrack as dt", "x = dt.Value(1)", training, "y = 2"])
            self.assertEqual(kept, ["import deeptrack as dt", "x = dt.Value(1)"], training)

    def test_notebooks_skipped(self):
        def reason(*cells):
            return run_tutorials.classify(list(cells))[1]

        self.assertEqual(reason("import deeptrack as dt", "import tensorflow as tf"), "no simulation before its training")
        self.assertIn("recorded data", reason("import deeptrack as dt", "data = np.load('data/frames.npy')"))
        self.assertIn("recorded data", reason("import deeptrack as dt", "deeptrack.extras.datasets.load('x')"))
        self.assertIn("recorded data", reason("import deeptrack as dt", "dt.LoadImage(path)"))
        self.assertEqual(reason("def f():\n    pass", "import deeplay"), "no simulation before its training")
        self.assertIsNone(reason("import deeptrack as dt", "dt.Value(1)()"))

    def test_imports_rewritten(self):
        cell = "import deeptrack as dt\nfrom deeptrack.optics import Fluorescence\nx = 'deeptrack'"
        self.assertEqual(
            run_tutorials.convert_cell(cell, reference=False),
            "import deeptrack_native as dt\nfrom deeptrack_native.optics import Fluorescence\nx = 'deeptrack'",
        )
        self.assertEqual(run_tutorials.convert_cell(cell, reference=True), cell)

    def test_a_run_reports_the_failing_cell(self):
        env = dict(os.environ, MPLBACKEND="Agg")
        ok = run_tutorials.run_one(sys.executable, ["x = 1", "import matplotlib.pyplot as plt\nplt.show()"], env, 120)
        self.assertEqual(ok, {"cell": None})
        bad = run_tutorials.run_one(sys.executable, ["x = 1", "y = x + 1", "raise ValueError('no')"], env, 120)
        self.assertEqual((bad["cell"], bad["error"]), (2, "ValueError: no"))

    def test_reads_a_work_tree(self):
        with tempfile.TemporaryDirectory() as repo:
            os.makedirs(os.path.join(repo, "tutorials", "a"))
            with open(os.path.join(repo, "tutorials", "a", "T1.ipynb"), "w") as f:
                f.write(notebook("import deeptrack as dt"))
            found = run_tutorials.notebooks(repo)
            self.assertEqual(list(found), [os.path.join("tutorials", "a", "T1.ipynb")])


if __name__ == "__main__":
    unittest.main()
