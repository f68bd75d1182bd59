"""The README's Python example runs as written and gives what its comments say."""

import os
import re
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


if __name__ == "__main__":
    unittest.main()
