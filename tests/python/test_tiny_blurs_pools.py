"""`AverageBlur` and the poolings on one-sample and tiny images (1-d to 4-d) give DeepTrack2 2.0.1's
shapes and values (fixtures ``blur_average_*`` and ``pool_*`` of tests/fixtures/deeptrack-2.0.1/reductions,
made by 2.0.1 itself). 2.0.1's `AverageBlur` boxes every axis but the last when the last is shorter
than ``ksize`` (a 1-d image comes back as it is, a 2-d one is boxed along its first axis); where it
raises (the last axis at least ``ksize``) the library boxes the first two axes, or a 1-d image's one."""

import json
import os
import unittest

import numpy as np

import deeptrack_native as dt

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures", "deeptrack-2.0.1", "reductions")


def cases(prefixes):
    with open(os.path.join(FIXTURES, "manifest.json")) as f:
        return [c for c in json.load(f)["cases"] if c["id"].startswith(prefixes)]


class TinyImages(unittest.TestCase):
    def test_blurs_and_poolings_match_deeptrack2(self):
        found = cases(("blur_average_", "pool_"))
        self.assertGreaterEqual(len(found), 30)
        for case in found:
            with self.subTest(case["id"]):
                x = np.array(case["input"]["data"], dtype=float).reshape(case["input"]["shape"])
                (spec,) = case["pipeline"]
                got = np.asarray(getattr(dt, spec["feature"])(**spec["properties"]).resolve(x))
                want = np.load(os.path.join(FIXTURES, case["expected"]))
                self.assertEqual(got.shape, want.shape)
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)

    def test_average_blur_where_deeptrack2_raises(self):
        # 2.0.1 builds a kernel of shape ((ksize,) * ndim,) and raises a TypeError: a 1-d image is
        # boxed along its axis, a 2-d one along both, a 3-d one along its first two (reflected).
        line = np.array([1.0, 2.0, 4.0, 8.0])
        out = dt.AverageBlur(ksize=3).resolve(line)
        np.testing.assert_allclose(out, [(1 + 1 + 2) / 3, 7 / 3, 14 / 3, (4 + 8 + 8) / 3], rtol=1e-15)
        with self.assertRaises(dt.InvalidArgumentError) as caught:
            dt.AverageBlur().resolve(np.array(2.0))
        self.assertIn("at least 1 axis", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
