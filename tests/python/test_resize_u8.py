"""Resize of uint8 images from Python, bit for bit as DeepTrack2 2.0.1 gives it through OpenCV
(``cv2.resize``): every case of tests/fixtures/deeptrack-2.0.1/resize_u8 (exact halvings with 1 to 5
channels, 3x and 4x shrinks, enlarging, non-integer ratios, one row or column), as uint8 arrays."""

import json
import os
import unittest

import numpy as np

import deeptrack_native as dt

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "deeptrack-2.0.1", "resize_u8")


class ResizeUint8Tests(unittest.TestCase):
    def test_every_case_is_opencvs(self):
        with open(os.path.join(FIXTURES, "manifest.json")) as f:
            cases = json.load(f)["cases"]
        self.assertGreaterEqual(len(cases), 26)
        for case in cases:
            with self.subTest(case["id"]):
                x = np.array(case["input"]["data"]).reshape(case["input"]["shape"])
                dsize = tuple(case["pipeline"][1]["properties"]["dsize"])
                out = (dt.AsType(dtype="uint8") >> dt.Resize(dsize)).resolve(x)
                self.assertEqual(out.dtype, np.uint8)
                expected = np.load(os.path.join(FIXTURES, case["expected"]))
                self.assertEqual(out.shape, expected.shape)
                np.testing.assert_array_equal(out, expected.astype(np.uint8))

    def test_halving_two_channels_rounds_halves_to_even(self):
        # OpenCV's INTER_AREA fast path for channels other than 1, 3 and 4: cvRound(s / 4).
        x = np.zeros((2, 2, 2))
        x[..., 0] = [[1, 1], [0, 0]]  # s = 2: 0.5 rounds to 0
        x[..., 1] = [[3, 3], [0, 0]]  # s = 6: 1.5 rounds to 2
        out = (dt.AsType(dtype="uint8") >> dt.Resize((1, 1))).resolve(x)
        np.testing.assert_array_equal(out, np.array([[[0, 2]]], np.uint8))
        # One channel: (s + 2) >> 2, halves up.
        out = (dt.AsType(dtype="uint8") >> dt.Resize((1, 1))).resolve(x[..., 0])
        np.testing.assert_array_equal(out, np.array([[1]], np.uint8))


if __name__ == "__main__":
    unittest.main()
