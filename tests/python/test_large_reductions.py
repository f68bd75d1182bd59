"""The statistics kinds on images larger than the fixtures' (numpy's pairwise blocks of 128 nest, the
leading-axis reductions accumulate whole rows, the quantiles select rather than sort): every kind
over every axis of a 3-d image agrees with numpy itself, which is what DeepTrack2 2.0.1 computes, to
1e-12 relative, and the minima and maxima bit for bit, as the sums and means over consecutive axes
(numpy 2.4's pairwise sums along a contiguous run, sequential sums of whole rows over leading axes;
over (0, 2), which numpy sums in yet another order, to 1e-12)."""

import unittest

import numpy as np

import deeptrack_native as dt

AXES = [None, 0, 1, 2, -1, (0, 1), (1, 2), (0, 2), (0, 1, 2)]
NUMPY = {
    "Sum": np.sum,
    "Prod": np.prod,
    "Mean": np.mean,
    "Median": np.median,
    "Std": np.std,
    "Variance": np.var,
    "Min": np.min,
    "Max": np.max,
    "PeakToPeak": np.ptp,
}
EXACT = {"Sum", "Mean", "Min", "Max", "PeakToPeak"}


class LargeReductions(unittest.TestCase):
    def setUp(self):
        rng = np.random.default_rng(7)
        # Offset values (a large mean) make the sums and variances sensitive to the summation order.
        self.x = 1e3 + rng.normal(0.0, 1.0, (37, 129, 67))
        self.near_one = 1.0 + rng.uniform(-1e-3, 1e-3, (37, 129, 67))

    def check(self, got, want, what, exact):
        got = np.asarray(got)
        self.assertEqual(got.shape, np.shape(want), what)
        if exact:
            np.testing.assert_array_equal(got, want, err_msg=what)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=0, err_msg=what)

    def test_every_kind_over_every_axis_is_numpys(self):
        for name, fn in NUMPY.items():
            x = self.near_one if name == "Prod" else self.x
            for axis in AXES:
                for keepdims in (False, True):
                    f = getattr(dt, name)(axis=axis, keepdims=keepdims)
                    want = fn(x, axis=axis, keepdims=keepdims)
                    exact = name in EXACT and (axis != (0, 2) or name not in ("Sum", "Mean"))
                    self.check(f.resolve(x), want, f"{name}(axis={axis}, keepdims={keepdims})", exact)

    def test_quantiles_and_percentiles_select_numpys_values(self):
        for axis in AXES:
            for q in (0.95, 0.0, 1.0, np.array([0.5, 0.1, 0.999])):
                want = np.quantile(self.x, q, axis=axis)
                self.check(dt.Quantile(q=q, axis=axis).resolve(self.x), want, f"Quantile({q}, {axis})", True)
            want = np.percentile(self.x, 37.5, axis=axis)
            self.check(dt.Percentile(q=37.5, axis=axis).resolve(self.x), want, f"Percentile({axis})", False)

    def test_cumsum_along_every_axis_is_numpys(self):
        for axis in (None, 0, 1, 2, -2):
            self.check(dt.Cumsum(axis=axis).resolve(self.x), np.cumsum(self.x, axis=axis), f"Cumsum({axis})", True)

    def test_nan_propagates_through_every_lane_and_row(self):
        x = self.x.copy()
        x[3, 100, 5] = np.nan
        for name in ("Min", "Max", "PeakToPeak", "Sum", "Median", "Std"):
            for axis in (None, 0, 1, 2):
                want = NUMPY[name](x, axis=axis)
                got = np.asarray(getattr(dt, name)(axis=axis).resolve(x))
                np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{name}({axis})")


if __name__ == "__main__":
    unittest.main()


class SignedZeros(unittest.TestCase):
    """numpy's sums add into its identity, +0: a sum (or mean) of negative zeros is +0 over every axis,
    whichever route the library takes (a contiguous run, whole rows, all axes)."""

    def test_sums_of_negative_zeros_are_positive_zeros(self):
        x = np.full((6, 5, 40), -0.0)
        x[1, 2, 3] = -1e-300  # a negative sum where it is not zero
        for name in ("Sum", "Mean"):
            for axis in [None, 0, 1, 2, -1, (0, 1), (1, 2)]:
                got = np.asarray(getattr(dt, name)(axis=axis).resolve(x))
                want = NUMPY[name](x, axis=axis)
                what = f"{name}(axis={axis})"
                np.testing.assert_array_equal(got, want, err_msg=what)
                np.testing.assert_array_equal(np.signbit(got), np.signbit(want), err_msg=what)

    def test_minima_and_maxima_over_leading_axes_are_numpys_bit_for_bit(self):
        # Over a leading or middle axis numpy computes `minimum(acc, row)` row by row: a tie (0.0 and
        # -0.0) gives the later row's zero, and the first NaN stays. Rows of every width up to 11
        # (whole vectors and their tails), with zeros of both signs, NaN and infinities.
        rng = np.random.default_rng(11)
        values = [0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, 2.5]
        for trial in range(120):
            x = rng.choice(values, size=(int(rng.integers(1, 3)), int(rng.integers(2, 7)), int(rng.integers(2, 12))))
            for name in ("Min", "Max", "PeakToPeak"):
                for axis in (0, 1, (0, 1)):
                    with np.errstate(invalid="ignore"):
                        want = NUMPY[name](x, axis=axis)
                    got = np.asarray(getattr(dt, name)(axis=axis).resolve(x))
                    what = f"{name}(axis={axis}) of {x.tolist()}"
                    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=what)
                    np.testing.assert_array_equal(got, want, err_msg=what)
                    np.testing.assert_array_equal(np.signbit(got), np.signbit(want), err_msg=what)
