"""The reductions of complex images give numpy's bits: `Mean` divides the complex sum by the count as
numpy's complex ``true_divide`` does (``(re + im·0)·(1/n)``, not ``re / n``: up to one rounding apart,
and an infinite or NaN part makes the other part NaN), `Variance` and `Std` are numpy's mean of
``|z − mean|²`` (the sum of the parts' squares summed, not the parts' variances added), `Median`'s middle
goes through the same division, and `Prod`, `Min`, `Max`, `PeakToPeak` over leading axes combine rows as
numpy's reductions do. Random data over every axis and keepdims, and special values (infinities, NaN,
signed zeros, overflow)."""

import unittest
import warnings

import numpy as np

import deeptrack_native as dt

NUMPY = {
    "Mean": np.mean,
    "Variance": np.var,
    "Std": np.std,
    "Median": np.median,
    "Prod": np.prod,
    "Min": np.min,
    "Max": np.max,
    "PeakToPeak": np.ptp,
}


def same_bits(a, b):
    """Equal to the bit (signed zeros apart), NaN where the other is NaN (any NaN)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
        return False
    parts = (lambda x: (x.real, x.imag)) if a.dtype.kind == "c" else (lambda x: (x,))
    for p, q in zip(parts(a.astype(np.result_type(a, np.float64))), parts(b.astype(np.result_type(b, np.float64)))):
        nan = np.isnan(p)
        if not np.array_equal(nan, np.isnan(q)):
            return False
        if not np.array_equal(p[~nan].view(np.uint64), q[~nan].view(np.uint64)):
            return False
    return True


class ComplexReductionBits(unittest.TestCase):
    def check(self, name, x, axis, keepdims=False):
        kwargs = {"axis": axis} if name == "Median" else {"axis": axis, "keepdims": keepdims}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            want = NUMPY[name](x, **kwargs)
        got = np.asarray(getattr(dt, name)(**kwargs).resolve(x))
        self.assertTrue(same_bits(got, want), f"{name}{kwargs} of {x.shape}: {got!r} against numpy's {want!r}")

    def test_random_data_every_axis(self):
        rng = np.random.default_rng(7)
        for shape in [(1,), (5,), (129,), (1000,), (3, 5), (33, 70), (64, 3), (4, 5, 6), (2, 3, 300)]:
            # Parts of different sizes, so that rounding shows in the division.
            x = rng.normal(size=shape) * 1e3 + 1j * rng.normal(size=shape) * 7 + (0.3 - 0.1j)
            axes = [None, *range(len(shape))]
            if len(shape) > 1:
                axes.append((len(shape) - 2, len(shape) - 1))
            if len(shape) > 2:
                axes.append((0, 1))
            for name in NUMPY:
                for axis in axes:
                    for keepdims in (False, True):
                        with self.subTest(name=name, shape=shape, axis=axis, keepdims=keepdims):
                            self.check(name, x, axis, keepdims)

    def test_mean_is_not_the_parts_over_the_count(self):
        # The case the complex division decides: numpy's (re·(1/n)) differs from re / n here.
        x = np.array([0.01 + 1j, 0, 0])
        s = np.sum(x)
        self.assertNotEqual(s.real / 3, s.real * (1 / 3))
        got = np.asarray(dt.Mean().resolve(x))
        self.assertTrue(same_bits(got, np.mean(x)), f"{got!r} against {np.mean(x)!r}")

    def test_special_values(self):
        inf, nan = np.inf, np.nan
        rows = [
            [complex(inf, 0), 1],
            [complex(1, inf), 1],
            [complex(-inf, 1), 2 + 1j],
            [complex(nan, 0), 1],
            [complex(inf, inf)],
            [complex(-0.0, 1.0)],
            [complex(-0.0, -0.0), complex(-0.0, -0.0)],
            [complex(-0.0, -1.0), complex(-0.0, -1.0)],
            [complex(1.0, -0.0), complex(-1.0, -0.0), 0j],
            [complex(1e308, 1e308), complex(1e308, 1e308)],
            [complex(1e308, -1e308), complex(1e308, 1e308), 3j],
            [complex(5e-324, -5e-324)] * 3,
        ]
        for row in rows:
            x = np.array(row, dtype=complex)
            for name in NUMPY:
                for axis in (None, 0):
                    with self.subTest(name=name, row=row, axis=axis):
                        self.check(name, x, axis)
            # The same numbers down a leading axis (the row-by-row path of Prod, Min, Max, PeakToPeak).
            column = np.stack([x, x[::-1]], axis=1)
            for name in NUMPY:
                with self.subTest(name=name, column=row):
                    self.check(name, column, 0)


if __name__ == "__main__":
    unittest.main()
