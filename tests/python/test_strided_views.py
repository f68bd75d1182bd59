"""Flips, crops and the parts of complex arrays are numpy views through the Python API, as in
DeepTrack2: FlipLR, FlipUD, Crop, CropToMultiplesOf, Real and Imag give read-only arrays with numpy's
(signed) strides that share the input's memory, and kinds chained after them compute as on copies."""

import unittest

import numpy as np

import deeptrack_native as dt


class StridedViews(unittest.TestCase):
    def setUp(self):
        rng = np.random.default_rng(3)
        self.x = rng.uniform(0.1, 0.9, (12, 10, 3))
        self.z = rng.normal(size=(9, 8)) + 1j * rng.normal(size=(9, 8))

    def check_view(self, out, expected, what):
        out = np.asarray(out)
        np.testing.assert_array_equal(out, expected, err_msg=str(what))
        self.assertEqual(out.strides, expected.strides, what)
        self.assertTrue(np.shares_memory(out, expected), what)
        self.assertFalse(out.flags.writeable, what)

    def test_flips_and_crops_share_the_input_with_numpys_strides(self):
        x = self.x
        cases = [
            (dt.FlipLR(p=1), x[:, ::-1]),
            (dt.FlipUD(p=1), x[::-1]),
            (dt.FlipDiagonal(p=1), np.swapaxes(x, 0, 1)),
            (dt.FlipLR(p=1) >> dt.FlipUD(p=1), x[::-1, ::-1]),
            (dt.Crop(crop=(5, 4, 2), corner=(3, 1, 1)), x[3:8, 1:5, 1:3]),
            (dt.FlipLR(p=1) >> dt.Crop(crop=(5, 4, 3), corner=(3, 1, 0)), x[:, ::-1][3:8, 1:5]),
            (dt.CropToMultiplesOf(multiple=(5, 4, -1), corner=(1, 2)), x[1:11, 2:10]),
        ]
        for f, expected in cases:
            self.check_view(f.resolve(x), expected, f)
        # A flip that does not happen is the input itself.
        self.assertTrue(np.shares_memory(np.asarray(dt.FlipLR(p=0).resolve(x)), x))

    def test_real_and_imag_are_views_of_the_complex_input(self):
        z = self.z
        self.check_view(dt.Real().resolve(z), z.real, "Real")
        self.check_view(dt.Imag().resolve(z), z.imag, "Imag")
        self.check_view((dt.Imag() >> dt.FlipLR(p=1)).resolve(z), z.imag[:, ::-1], "FlipLR of Imag")
        self.check_view((dt.Real() >> dt.Crop(crop=(4, 4), corner=(2, 3))).resolve(z), z.real[2:6, 3:7], "Crop of Real")

    def test_kinds_after_a_view_compute_as_on_a_copy(self):
        x = self.x
        views = [
            (dt.FlipLR(p=1), x[:, ::-1]),
            (dt.FlipUD(p=1), x[::-1]),
            (dt.Crop(crop=(7, 6, 3), corner=(2, 3, 0)), x[2:9, 3:9]),
        ]
        after = [
            lambda: dt.GaussianBlur(sigma=1.5),
            lambda: dt.AveragePooling(ksize=(2, 2, 1)),
            lambda: dt.Add(value=0.5),
            lambda: dt.Multiply(value=-2.0),
            lambda: dt.Sum(axis=0),
            lambda: dt.Mean(axis=None),
            lambda: dt.Resize(dsize=(5, 4)),
            lambda: dt.Exp(),
            lambda: dt.NormalizeMinMax(),
        ]
        for view, taken in views:
            copy = np.ascontiguousarray(taken)
            for make in after:
                f = make()
                expected = np.asarray(f.resolve(copy))
                got = np.asarray((view >> f).resolve(x))
                np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12, err_msg=f"{view} >> {f}")
        # Elementwise results are new arrays, never the input's memory.
        out = np.asarray((dt.FlipLR(p=1) >> dt.Exp()).resolve(x))
        np.testing.assert_allclose(out, np.exp(x[:, ::-1]), rtol=1e-15)
        self.assertFalse(np.shares_memory(out, x))

    def test_positions_move_as_before(self):
        x = self.x
        image = dt.Image(x)
        image.append({"position": np.array([2.0, 3.0])})
        pipeline = dt.FlipLR(p=1) >> dt.Crop(crop=(8, 6, 3), corner=(1, 2, 0))
        pipeline.store_properties()
        out = pipeline.resolve(image)
        self.assertEqual(np.asarray(out.get_property("position")).tolist(), [2.0 - 1, 10 - 3.0 - 1 - 2])
        np.testing.assert_array_equal(np.asarray(out), x[:, ::-1][1:9, 2:8])


if __name__ == "__main__":
    unittest.main()
