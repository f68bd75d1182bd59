"""Input arrays keep their numpy type: a uint8, int16, int32, int64, bool or float32 array (or an Image
of one) crosses into the library in its own type, without a float64 copy in Python, so the kinds
that only move samples (flips, crops, Transpose, Slice, Pad, Resize, the structural kinds) and the
functions of a Merge or Lambda (given the array in its type) return that type, with DeepTrack2
2.0.1's values, while the kinds that compute give float64 (the README's difference). The expectations were computed by DeepTrack2 2.0.1 with OpenCV
(``tests/fixtures/typed_inputs.py`` wrote ``deeptrack-2.0.1/typed_inputs.json``)."""

import json
import os
import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native import _core

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.environ.get("DEEPTRACK_FIXTURES", os.path.join(HERE, "..", "fixtures", "deeptrack-2.0.1"))

#: Kinds that compute: 2.0.1 keeps numpy's result type (uint8 + 1 is uint8), the library gives
#: float64 images of the same values (the README's "Arrays the library computes are float64").
COMPUTED = {"dt.Add(value=1)", "dt.Multiply(value=2)"}

#: Pads in a mode: 2.0.1 drops ``mode`` and pads with zeros, the library pads in numpy's mode (the
#: README's difference): 2.0.1's type, numpy's values.
PAD_MODES = {f"dt.Pad(px=(1, 1, 2, 0), mode='{m}')": m for m in ("reflect", "edge", "wrap", "symmetric")}


def load():
    with open(os.path.join(FIXTURES, "typed_inputs.json")) as f:
        return json.load(f)["cases"]


def array(spec):
    return np.array(spec["data"], dtype=spec["dtype"]).reshape(spec["shape"])


def outputs(result):
    return [np.asarray(r) for r in result] if isinstance(result, list) else [np.asarray(result)]


class TypedInputs(unittest.TestCase):
    def test_every_case_of_the_grid_has_2_0_1_s_type_and_values(self):
        checked = 0
        for case in load():
            pipeline, want = case["pipeline"], case["output"]
            x = array(case["input"])
            with self.subTest(pipeline=pipeline, dtype=x.dtype.name):
                if pipeline.startswith("dt.Store"):
                    # 2.0.1's Store resolves its feature without the input (here: no image, []); the
                    # library follows 2.0.2, on the input (the README's difference): its type is kept.
                    self.assertEqual(want, [])
                    got = np.asarray(eval(pipeline, {"dt": dt})(x))
                    self.assertEqual(got.dtype, x.dtype)
                    np.testing.assert_array_equal(got, x[:, ::-1])
                    continue
                if isinstance(want, dict) and "error" in want:
                    # OpenCV refuses to resize int32, int64 and bool images; the library resizes them
                    # (as it does AsType's): a documented difference, not compared here.
                    self.assertTrue(pipeline.startswith("dt.Resize"), want)
                    continue
                got = outputs(eval(pipeline, {"dt": dt})(x))
                want = [array(w) for w in (want if isinstance(want, list) else [want])]
                self.assertEqual(len(got), len(want))
                for g, w in zip(got, want):
                    self.assertEqual(g.shape, w.shape)
                    if pipeline in COMPUTED:
                        self.assertEqual(g.dtype, np.float64)
                        np.testing.assert_array_equal(g, w.astype(np.float64))
                        continue
                    self.assertEqual(g.dtype, w.dtype)
                    if pipeline in PAD_MODES:
                        w = np.pad(x, ((1, 1), (2, 0)), mode=PAD_MODES[pipeline])
                    if pipeline.startswith("dt.Resize") and x.dtype == np.int16:
                        # int16: OpenCV's rounding on a few border pixels differs by one (being fixed).
                        self.assertLessEqual(np.abs(g.astype(np.int64) - w.astype(np.int64)).max(), 1)
                        self.assertLessEqual(np.count_nonzero(g != w), max(1, w.size // 50))
                    else:
                        np.testing.assert_array_equal(g, w)
                checked += 1
        self.assertGreater(checked, 150)

    def test_an_image_of_a_narrow_array_keeps_its_type_and_dicts(self):
        x = np.arange(12, dtype=np.uint16).reshape(3, 4)
        image = dt.Image(x)
        image.append({"name": "mine"})
        out = (dt.FlipUD(p=1) >> dt.Crop(crop=(2, 2), corner=(0, 1)))(image)
        self.assertEqual(np.asarray(out).dtype, np.uint16)
        np.testing.assert_array_equal(np.asarray(out), x[::-1][:2, 1:3])

    def test_any_byte_order_and_layout_crosses_as_the_values(self):
        x = np.arange(-6, 6, dtype=">i2").reshape(3, 4)[:, ::2]  # big-endian, not contiguous
        out = np.asarray(dt.Transpose()(x))
        self.assertEqual(out.dtype, np.int16)
        np.testing.assert_array_equal(out, x.T)
        half = np.array([[0.5, -2.0], [65504.0, np.inf]], dtype=np.float16)
        out = np.asarray(dt.FlipLR(p=1)(half))
        self.assertEqual(out.dtype, np.float16)
        np.testing.assert_array_equal(out, half[:, ::-1])
        empty = np.zeros((0, 3), dtype=np.uint8)
        self.assertEqual(np.asarray(dt.Transpose()(empty)).dtype, np.uint8)

    def test_no_float64_copy_is_made_in_python_and_computing_kinds_read_the_values(self):
        x = np.arange(64, dtype=np.uint8).reshape(8, 8)
        owner, _ = _core.to_library_image(x)
        self.assertEqual(_core.image_view(owner).dtype, np.uint8)  # held as uint8
        out = np.asarray((dt.Add(value=0.5) >> dt.Sum(axis=(0, 1)))(x))
        self.assertEqual(float(out), float(x.astype(np.float64).sum() + 0.5 * x.size))

    def test_a_changed_array_is_copied_again_after_an_update(self):
        x = np.arange(6, dtype=np.int32).reshape(2, 3)
        f = dt.FlipLR(p=1)
        first = np.asarray(f(x)).copy()
        self.assertEqual(first.dtype, np.int32)
        x[0, 0] = 40
        f.update()
        np.testing.assert_array_equal(np.asarray(f(x)), x[:, ::-1])
        # The same object again, unchanged: the same result.
        again = np.asarray(f(x))
        np.testing.assert_array_equal(again, x[:, ::-1])
        self.assertEqual(again.dtype, np.int32)

    def test_float64_inputs_are_still_read_in_place(self):
        x = np.ones((4, 4))
        owner, _, borrowed = _core.input_image(x)
        self.assertTrue(borrowed)
        owner, _, borrowed = _core.input_image(x.astype(np.float32))
        self.assertFalse(borrowed)
        self.assertEqual(_core.image_view(owner).dtype, np.float32)


if __name__ == "__main__":
    unittest.main()


class WideIntegers(unittest.TestCase):
    """int64 and uint64 inputs beyond 2^53 through Pad and copied Slices keep every bit, as numpy's
    pad and indexing do in DeepTrack2 2.0.1 (values from numpy 2.4 in target/dt2-venv)."""

    BIG = 2**62 + 1

    def test_int64(self):
        big = self.BIG
        x = np.array([[big, -big, 3], [big + 2, -(2**63), 2**63 - 1]], dtype=np.int64)
        for mode in ("constant", "edge", "maximum", "minimum", "reflect", "wrap"):
            got = np.asarray(dt.Pad(px=(1, 0, 0, 1), mode=mode).resolve(x))
            self.assertEqual(got.dtype, np.int64, mode)
            self.assertEqual(got.tolist(), np.pad(x, ((1, 0), (0, 1)), mode=mode).tolist(), mode)
        # The statistics numpy's pad rounds (half to even) for integer arrays: [2, 2, 1, 2, 2, 2] for the mean.
        y = np.array([1, 2], dtype=np.int64)
        for mode in ("mean", "median", "linear_ramp"):
            got = np.asarray(dt.Pad(px=(2, 2), mode=mode).resolve(y))
            self.assertEqual((got.dtype, got.tolist()), (np.int64, np.pad(y, 2, mode=mode).tolist()), mode)
        for index in ((slice(None), slice(None, None, 2)), ([1, 0],), (slice(None), [2, 0])):
            got = np.asarray(dt.Slice(slices=index).resolve(x))
            self.assertEqual((got.dtype, got.tolist()), (np.int64, x[index].tolist()), index)

    def test_uint64(self):
        x = np.array([2**64 - 1, self.BIG, 5], dtype=np.uint64)
        got = np.asarray(dt.Pad(px=(2, 1), mode="reflect").resolve(x))
        self.assertEqual(got.dtype, np.uint64)
        self.assertEqual(got.tolist(), [5, self.BIG, 2**64 - 1, self.BIG, 5, self.BIG])
        got = np.asarray(dt.Slice(slices=[[2, 0]]).resolve(x))
        self.assertEqual((got.dtype, got.tolist()), (np.uint64, [5, 2**64 - 1]))


class IntegerPaddingStatistics(unittest.TestCase):
    """Pad's computed modes on integer images are numpy's pad in the image's type (DeepTrack2 2.0.1
    drops `mode`, see the README; numpy is the reference): the mean and the median rounded half to
    even, a linear ramp floored (numpy's integer `linspace`), axis by axis, each axis from the samples
    the previous ones wrote. Values from numpy 2.4."""

    DTYPES = ("int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64")

    def test_ties_round_half_to_even_and_ramps_floor(self):
        x = np.array([[1, 2], [4, 7]])
        for dtype in self.DTYPES:
            for mode in ("mean", "median"):
                got = np.asarray((dt.AsType(dtype) >> dt.Pad(px=(1, 1, 1, 1), mode=mode)).resolve(x))
                self.assertEqual(got.dtype, np.dtype(dtype), (dtype, mode))
                # 1.5 -> 2, 5.5 -> 6, 2.5 -> 2, 4.5 -> 4, then the columns of those rows.
                self.assertEqual(got.tolist(), [[3, 2, 4, 3], [2, 1, 2, 2], [6, 4, 7, 6], [3, 2, 4, 3]], (dtype, mode))
            ramp = dt.Pad(px=(2, 1, 0, 3), mode="linear_ramp", cval=3)
            got = np.asarray(ramp.resolve(np.array([[1, 2, 3, 6], [2, 3, 4, 5]], dtype=dtype)))
            self.assertEqual(
                got.tolist(),
                [[3, 3, 3, 3, 3, 3, 3], [2, 2, 3, 4, 3, 3, 3], [1, 2, 3, 6, 5, 4, 3], [2, 3, 4, 5, 4, 3, 3], [3, 3, 3, 3, 3, 3, 3]],
                dtype,
            )

    def test_a_grid_of_small_images_matches_numpys_pad(self):
        images = [
            np.array([[0, 1, 2], [3, 5, 8]]),
            np.array([3, 4]),
            np.array([[0, 3], [1, 4], [2, 7]]),
            np.array([[100, 127], [126, 125]]),
            np.array([[7, 0, 1], [2, 9, 4], [5, 5, 6]]),
        ]
        for dtype in self.DTYPES:
            for img in images:
                x = img.astype(dtype)
                for px in ((1, 1, 1, 1), (2, 1, 0, 3), (4, 5, 5, 4), (3, 3)):
                    if len(px) > 2 * x.ndim:
                        continue
                    pad = [(px[2 * a], px[2 * a + 1]) if 2 * a + 1 < len(px) else (0, 0) for a in range(x.ndim)]
                    for mode in ("mean", "median", "linear_ramp", "maximum", "minimum"):
                        for cval in (0, 10):
                            kw = {"end_values": cval} if mode == "linear_ramp" else {}
                            got = np.asarray(dt.Pad(px=px, mode=mode, cval=cval).resolve(x))
                            expected = np.pad(x, pad, mode=mode, **kw)
                            self.assertEqual(got.dtype, expected.dtype)
                            self.assertEqual(got.tolist(), expected.tolist(), (dtype, img.tolist(), px, mode, cval))
