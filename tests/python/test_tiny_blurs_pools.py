"""`AverageBlur` and the poolings (real and complex) on one-sample and tiny images (1-d to 4-d) give DeepTrack2 2.0.1's
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


def block_reduce(z, k, reduce):
    """skimage's block_reduce of a complex array with zero padding, done explicitly."""
    pad = [(0, -n % k) for n in z.shape]
    p = np.pad(z, pad)
    shape = []
    for n in p.shape:
        shape += [n // k, k]
    blocks = p.reshape(shape).transpose([*range(0, 2 * z.ndim, 2), *range(1, 2 * z.ndim, 2)])
    return reduce(blocks.reshape(blocks.shape[: z.ndim] + (-1,)), axis=-1)


class ComplexPoolings(unittest.TestCase):
    def test_blocks_with_padding_are_numpys(self):
        # DeepTrack2 2.0.1 gave the same 60 results bit for bit (its block_reduce on complex arrays).
        rng = np.random.default_rng(3)
        reductions = {"MaxPooling": np.max, "MinPooling": np.min, "MedianPooling": np.median}
        for shape in [(2, 3), (5, 4), (3, 3, 2), (7,)]:
            z = np.round(rng.normal(size=shape) + 1j * rng.normal(size=shape), 1)
            z.flat[0], z.flat[-1] = 0.5j, complex(-0.0, -1)
            for k in (1, 2, 3, 4, 7):
                for name, reduce in reductions.items():
                    with self.subTest(shape=shape, ksize=k, kind=name):
                        got = np.asarray(getattr(dt, name)(ksize=k).resolve(z.copy()))
                        want = block_reduce(z, k, reduce)
                        self.assertEqual(got.shape, want.shape)
                        self.assertTrue(np.array_equal(got, want), f"{got} != {want}")

    def test_huge_blocks_pool_the_image_with_its_padding(self):
        # The blocks are read clipped to the image: no block-sized scratch (ksize 10**6 was an
        # OutOfMemoryError) and no overflow of the block's size (2**40 per axis was a panic).
        z = np.array([[1 + 1j, 2], [3j, 4]])
        for ksize in (10**6, (2**40, 2**40), 2**53 - 1):
            with self.subTest(ksize=ksize):
                self.assertEqual(dt.MaxPooling(ksize=ksize).resolve(z).tolist(), [[4 + 0j]])
                self.assertEqual(dt.MinPooling(ksize=ksize).resolve(z).tolist(), [[0j]])
                self.assertEqual(dt.MedianPooling(ksize=ksize).resolve(z).tolist(), [[0j]])
        # Blocks [-2, -1, 3, 4] and [5] with three zeros: the means of the middle two, 1 and 0.
        line = np.array([-2 + 0j, -1, 3, 4, 5])
        self.assertEqual(dt.MedianPooling(ksize=4).resolve(line).tolist(), [1 + 0j, 0j])
        line = np.array([-2 + 0j, -1, 3, 4, 5, -7])
        self.assertEqual(dt.MedianPooling(ksize=5).resolve(line).tolist(), [3 + 0j, 0j])


if __name__ == "__main__":
    unittest.main()
