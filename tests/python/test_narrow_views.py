"""Views of narrow images through Python: FlipLR, FlipUD, Crop and CropToMultiplesOf of AsType's
casts or the comparisons' bools are read-only numpy views of the narrow samples, in their dtype, with
numpy's (signed) strides, sharing the memory of the image they view, with the values of numpy's
``np.fliplr(x.astype(np.uint8))`` etc.; kinds chained after them compute on those values, and a
custom feature's ``get`` receives them (as float64, as every custom input)."""

import unittest

import numpy as np

import deeptrack_native as dt


class NarrowViews(unittest.TestCase):
    def setUp(self):
        rng = np.random.default_rng(5)
        self.x = rng.uniform(-300, 300, (7, 6))

    def check(self, out, expected, what):
        out = np.asarray(out)
        self.assertEqual(out.dtype, expected.dtype, what)
        np.testing.assert_array_equal(out, expected, err_msg=str(what))
        self.assertEqual(out.strides, expected.strides, what)
        self.assertFalse(out.flags.writeable, what)

    def test_flips_and_crops_of_a_cast_share_its_samples_with_numpys_strides(self):
        x = self.x
        u = x.astype(np.uint8)
        cast = dt.AsType("uint8")
        views = [
            (cast >> dt.FlipLR(p=1), np.fliplr(u)),
            (cast >> dt.FlipUD(p=1), np.flipud(u)),
            (cast >> dt.FlipLR(p=1) >> dt.FlipUD(p=1), u[::-1, ::-1]),
            (cast >> dt.Crop(crop=(4, 3), corner=(2, 1)), u[2:6, 1:4]),
            (cast >> dt.FlipLR(p=1) >> dt.Crop(crop=(4, 3), corner=(2, 1)), np.fliplr(u)[2:6, 1:4]),
            (cast >> dt.CropToMultiplesOf(multiple=(3, 4), corner=(1, 2)), u[1:7, 2:6]),
        ]
        # One resolve of all of them: the cast is computed once, and every view shares its memory.
        out = dt.Combine([cast] + [f for f, _ in views]).resolve(x)
        whole = np.asarray(out[0])
        self.check(whole, u, "AsType")
        for (f, expected), got in zip(views, out[1:]):
            self.check(got, expected, f)
            self.assertTrue(np.shares_memory(np.asarray(got), whole), f)

    def test_flips_of_bools_and_other_types(self):
        x = self.x
        mask = dt.GreaterThan(value=20.0)
        out = dt.Combine([mask, mask >> dt.FlipUD(p=1), mask >> dt.FlipLR(p=1) >> dt.Crop(crop=(3, 3), corner=(0, 2))])
        whole, up, block = [np.asarray(o) for o in out.resolve(x)]
        self.check(up, np.flipud(x > 20.0), "FlipUD of GreaterThan")
        self.check(block, np.fliplr(x > 20.0)[0:3, 2:5], "Crop of FlipLR of GreaterThan")
        self.assertTrue(np.shares_memory(up, whole) and np.shares_memory(block, whole))
        for name in ("int16", "float32", "float16", "int64"):
            with self.subTest(dtype=name):
                got = (dt.AsType(name) >> dt.FlipLR(p=1)).resolve(x)
                self.check(got, np.fliplr(x.astype(name)), name)

    def test_kinds_after_a_narrow_view_compute_on_its_values(self):
        x = self.x
        u = x.astype(np.uint8)
        view = dt.AsType("uint8") >> dt.FlipLR(p=1) >> dt.Crop(crop=(5, 4), corner=(1, 1))
        taken = np.ascontiguousarray(np.fliplr(u)[1:6, 1:5]).astype(np.float64)
        added = np.asarray((view >> dt.Add(value=0.5)).resolve(x))
        self.assertEqual(added.dtype, np.float64)
        np.testing.assert_array_equal(added, taken + 0.5)
        blurred = np.asarray((view >> dt.GaussianBlur(sigma=1.0)).resolve(x))
        np.testing.assert_allclose(blurred, np.asarray(dt.GaussianBlur(sigma=1.0).resolve(taken)), rtol=1e-12)
        total = (dt.GreaterThan(value=0.0) >> dt.FlipUD(p=1) >> dt.Sum(axis=0)).resolve(x)
        np.testing.assert_array_equal(total, np.flipud(x > 0).sum(axis=0).astype(np.float64))

    def test_a_custom_get_receives_the_views_values(self):
        seen = []

        class Record(dt.Feature):
            def get(self, image, **kwargs):
                seen.append(np.array(image))
                return image

        x = self.x
        (dt.AsType("uint8") >> dt.FlipLR(p=1) >> dt.Crop(crop=(3, 4), corner=(2, 1)) >> Record()).resolve(x)
        (dt.LessThan(value=0.0) >> dt.FlipUD(p=1) >> Record()).resolve(x)
        np.testing.assert_array_equal(seen[0], np.fliplr(x.astype(np.uint8))[2:5, 1:5].astype(np.float64))
        np.testing.assert_array_equal(seen[1], np.flipud(x < 0).astype(np.float64))


if __name__ == "__main__":
    unittest.main()
