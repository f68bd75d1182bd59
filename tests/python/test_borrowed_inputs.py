"""Inputs read in place: a float64 C-contiguous array given to ``resolve`` (or ``resolve_batch``) is
not copied into the library, yet every result is what a copy gives; the caller's array is never
written, it is kept alive while the library reads it and let go once nothing needs it; an array
changed in place is computed on after an update (as DeepTrack2 does), and results that keep the
samples (Squeeze, ExpandDims, a contiguous Slice) are views of it, as numpy's are."""

import gc
import os
import sys
import unittest
import weakref

import numpy as np

import deeptrack_native as dt
from deeptrack_native import _core


def pipeline():
    return dt.Unsqueeze(axis=0) >> dt.Squeeze() >> dt.Abs() >> dt.Multiply(value=2) >> dt.NormalizeMinMax()


def held():
    """The number of arrays the library currently reads in place (with the other callback data)."""
    return len(_core._CALLBACKS)


class BorrowedInputs(unittest.TestCase):
    def setUp(self):
        self.rng = np.random.default_rng(7)

    def test_results_equal_those_of_a_copy_and_the_input_is_untouched(self):
        x = self.rng.normal(size=(64, 48))
        before = x.copy()
        f = pipeline()
        f.update()
        borrowed = np.asarray(f.resolve(x))
        f.update()
        copied = np.asarray(f.resolve(np.asfortranarray(x)))  # not C-contiguous: copied
        np.testing.assert_array_equal(borrowed, copied)
        np.testing.assert_array_equal(x, before)
        # An Image of an array is read in place too, and keeps its properties.
        g = dt.Squeeze() >> dt.Sum(axis=0)
        g.store_properties()
        out = g.resolve(dt.Image(x))
        np.testing.assert_array_equal(np.asarray(out), before.sum(axis=0))
        self.assertIn("Sum", [p.get("name") for p in out.properties])

    def test_shape_kinds_are_views_of_the_input(self):
        x = self.rng.normal(size=(8, 6))
        for feature, expected in [
            (dt.Squeeze(), x),
            (dt.Unsqueeze(axis=0), x[None]),
            (dt.ExpandDims(axis=-1), x[..., None]),
            (dt.AsType("float64"), x),
            (dt.Real(), x),
            (dt.Slice(slices=(slice(2, 5),)), x[2:5]),
        ]:
            out = feature.resolve(x)
            np.testing.assert_array_equal(out, expected)
            self.assertTrue(np.shares_memory(out, x), type(feature).__name__)
            self.assertFalse(out.flags.writeable)
        # A slice that is not one block is copied.
        out = dt.Slice(slices=(slice(None), slice(1, 3))).resolve(x)
        np.testing.assert_array_equal(out, x[:, 1:3])
        self.assertFalse(np.shares_memory(out, x))

    def test_changed_in_place_then_updated_is_computed_on(self):
        x = np.arange(12.0).reshape(3, 4)
        f = dt.Sum(axis=0)
        f.update()
        np.testing.assert_array_equal(f.resolve(x), [12, 15, 18, 21])
        x[0] = 100
        # The same object without an update: the cached result, as DeepTrack2 gives.
        np.testing.assert_array_equal(f.resolve(x), [12, 15, 18, 21])
        f.update()
        np.testing.assert_array_equal(f.resolve(x), [112, 114, 116, 118])
        # After an update of another feature, too.
        x[0] = 0
        dt.Abs().update()
        np.testing.assert_array_equal(f.resolve(x), [12, 14, 16, 18])

    def test_the_array_is_let_go_when_nothing_needs_it(self):
        before = held()
        x = self.rng.normal(size=(32, 32))
        alive = weakref.ref(x)
        f = dt.Squeeze() >> dt.Abs()
        out = f.resolve(x)
        view = dt.Squeeze().resolve(x)
        del x
        gc.collect()
        self.assertIsNotNone(alive(), "the library still reads it")
        del f, out
        gc.collect()
        self.assertIsNotNone(alive(), "a result shares its samples")
        self.assertEqual(view.shape, (32, 32))
        del view
        gc.collect()
        self.assertIsNone(alive())
        self.assertEqual(held(), before)

    def test_batches_on_threads_read_the_input_in_place(self):
        x = self.rng.normal(size=(40, 30))
        f = dt.Abs() >> dt.Add(value=1)
        items = f.resolve_batch(count=6, seed=1, threads=3, image=x)
        for item in items:
            np.testing.assert_array_equal(item, np.abs(x) + 1)
        views = dt.Squeeze().resolve_batch(count=4, seed=1, threads=2, image=x)
        self.assertTrue(all(np.shares_memory(v, x) for v in views))
        before = held()
        del items, views
        gc.collect()
        self.assertLess(held(), before)

    def test_lists_of_inputs_are_read_in_place(self):
        a, b = self.rng.normal(size=(5, 5)), self.rng.normal(size=(5, 5))
        out = dt.Abs().resolve([a, b])
        self.assertEqual(len(out), 2)
        np.testing.assert_array_equal(out[0], np.abs(a))
        np.testing.assert_array_equal(out[1], np.abs(b))

    @unittest.skipUnless(hasattr(os, "fork"), "needs fork")
    def test_forked_child_computes_on_and_releases_its_copy(self):
        x = self.rng.normal(size=(16, 16))
        f = dt.Squeeze() >> dt.Abs()
        expected = np.abs(x)
        np.testing.assert_array_equal(f.resolve(x), expected)
        view = dt.Squeeze().resolve(x)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: resolve, free everything borrowed, exit with a verdict
            ok = False
            try:
                f.update()
                ok = np.array_equal(f.resolve(x), expected) and np.array_equal(view, x)
                g = dt.Squeeze()
                g.resolve(x)
                del g
                gc.collect()
                ok = ok and np.array_equal(dt.Abs().resolve(x), expected)
            finally:
                os.write(write, b"1" if ok else b"0")
                os._exit(0)
        os.close(write)
        verdict = os.read(read, 1)
        os.close(read)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(status, 0)
        self.assertEqual(verdict, b"1")


if __name__ == "__main__":
    unittest.main()
