"""Size parameters of the math and augmentation features: sizes beyond the image give DeepTrack2's
results with work bounded by the image, and sizes beyond a documented maximum are errors that state it."""

import unittest

import numpy as np

import deeptrack_native as dt


class HugeSizesOnTinyImages(unittest.TestCase):
    """No timing assertion: were the work not bounded by the image, these would not finish."""

    x = np.array([[1.0, 2.0], [3.0, 4.0]])

    def test_blocks_larger_than_the_image_pool_it_with_its_zero_padding(self):
        self.assertEqual(dt.MaxPooling(ksize=10**6).resolve(self.x).tolist(), [[4.0]])
        self.assertEqual(dt.MinPooling(ksize=10**15).resolve(self.x).tolist(), [[0.0]])
        self.assertEqual(dt.SumPooling(ksize=(10**15, 1)).resolve(self.x).tolist(), [[4.0, 6.0]])
        np.testing.assert_allclose(dt.AveragePooling(ksize=10**6).resolve(self.x), [[10.0 / 1e12]])

    def test_kernels_larger_than_the_image_fold_onto_it(self):
        blurred = dt.GaussianBlur(sigma=10**6).resolve(self.x)
        np.testing.assert_allclose(blurred, np.full((2, 2), 2.5), rtol=1e-6)
        boxed = dt.AverageBlur(ksize=2**53 - 1).resolve(self.x[..., None])
        np.testing.assert_allclose(boxed[..., 0], np.full((2, 2), 2.5), rtol=1e-6)

    def test_crops_larger_than_the_image_keep_it_whole(self):
        out = dt.Crop(crop=(10**18, 10**18), corner=(0, 0)).resolve(self.x)
        self.assertEqual(out.tolist(), self.x.tolist())
        # A huge corner wraps around the image as Python's modulo does (exactly).
        out = dt.Crop(crop=(10**18, 1), crop_mode="remove", corner=(10**18 + 1, 7)).resolve(self.x)
        self.assertEqual(out.tolist(), [[4.0]])


class Limits(unittest.TestCase):
    def assertLimit(self, error, make, message):
        with self.assertRaises(error) as cm:
            make()
        self.assertIn(message, str(cm.exception))

    def test_limits_state_the_maximum(self):
        self.assertLimit(
            dt.InvalidArgumentError,
            lambda: dt.GaussianBlur(sigma=1e7),
            "property 'sigma' of feature 'GaussianBlur': 10000000 exceeds the maximum of 1000000",
        )
        self.assertLimit(
            dt.InvalidArgumentError,
            lambda: dt.MaxPooling(ksize=10**16),
            "property 'ksize' of feature 'MaxPooling': 1e16 exceeds the maximum of 9007199254740992",
        )
        self.assertLimit(
            dt.InvalidArgumentError,
            lambda: dt.AverageBlur(ksize=10**17),
            "1e17 exceeds the maximum of 9007199254740992",
        )
        self.assertLimit(
            dt.InvalidArgumentError,
            lambda: dt.Pad(px=(0, 2 * 10**9)),
            "property 'px' of feature 'Pad': 2000000000 exceeds the maximum of 1000000000",
        )
        self.assertLimit(
            dt.InvalidArgumentError,
            lambda: dt.DummyFeature() ^ 1000001,
            "1000001 exceeds the maximum of 1000000",
        )

    def test_a_broadcast_larger_than_both_operands_states_its_limit(self):
        tall, wide = np.zeros((100000, 1)), np.zeros((1, 100000))
        message = (
            "broadcasting an image of shape [100000, 1] with a value of shape [1, 100000] gives 10000000000 "
            "samples, which exceeds the maximum of 268435456 for a result larger than both"
        )
        self.assertLimit(dt.InvalidArgumentError, lambda: dt.Add(value=wide).resolve(tall),
                         "property 'value' of feature 'Add': " + message)
        self.assertLimit(dt.InvalidArgumentError, lambda: (dt.Value(value=tall) * wide)(), message)
        # Up to the limit, numpy's broadcast.
        np.testing.assert_array_equal(dt.Add(value=np.arange(3.0)).resolve(np.array([[10.0], [20.0]])),
                                      np.array([[10.0], [20.0]]) + np.arange(3.0))

    def test_an_image_too_large_to_allocate_is_a_memory_error(self):
        pad = dt.Pad(px=(0, 10**6, 0, 10**6))
        self.assertLimit(
            dt.OutOfMemoryError,
            lambda: pad.resolve(np.zeros((2, 2))),
            "cannot allocate the padded image of shape [1000002, 1000002]",
        )
        # The library still works afterwards.
        self.assertEqual(dt.MaxPooling(ksize=2).resolve(np.ones((2, 2))).tolist(), [[1.0]])


if __name__ == "__main__":
    unittest.main()
