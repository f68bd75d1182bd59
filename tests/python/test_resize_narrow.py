"""Resize of float32, uint16 and int16 images: OpenCV's single-precision arithmetic, bit for bit
against DeepTrack2 2.0.1's outputs (tests/fixtures/deeptrack-2.0.1/resize_narrow), in the input's
type, whether the image is in C order or a view."""

import json
import os
import unittest

import numpy as np

import deeptrack_native as dt

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "deeptrack-2.0.1", "resize_narrow")


class ResizeNarrowTests(unittest.TestCase):
    def test_every_case_is_opencvs_bit_for_bit(self):
        with open(os.path.join(FIXTURES, "manifest.json")) as f:
            cases = json.load(f)["cases"]
        self.assertGreaterEqual(len(cases), 21)
        for case in cases:
            with self.subTest(case["id"]):
                dtype = case["pipeline"][0]["properties"]["dtype"]
                dsize = tuple(case["pipeline"][1]["properties"]["dsize"])
                x = np.array(case["input"]["data"]).reshape(case["input"]["shape"])
                out = (dt.AsType(dtype=dtype) >> dt.Resize(dsize)).resolve(x)
                self.assertEqual(out.dtype, np.dtype(dtype))
                expected = np.load(os.path.join(FIXTURES, case["expected"]))
                np.testing.assert_array_equal(out.astype(np.float64), expected)

    def test_a_view_gives_what_its_copy_gives(self):
        # FlipLR makes a view (not in C order) of the typed samples, which Resize gathers first.
        x = (np.arange(9 * 14 * 3) * 7919 % 1000).reshape(9, 14, 3).astype(np.float64)
        for dtype in ("float32", "uint16", "int16"):
            for dsize in ((23, 5), (7, 4)):
                with self.subTest(dtype=dtype, dsize=dsize):
                    a = (dt.AsType(dtype=dtype) >> dt.FlipLR(p=1.0) >> dt.Resize(dsize)).resolve(x)
                    b = (dt.AsType(dtype=dtype) >> dt.Resize(dsize)).resolve(np.ascontiguousarray(x[:, ::-1]))
                    self.assertEqual((a.dtype, a.shape), (np.dtype(dtype), b.shape))
                    np.testing.assert_array_equal(a, b)

if __name__ == "__main__":
    unittest.main()
