"""`Equals(value=None)` is numpy's `x == None`, as DeepTrack2 2.0.1 computes it: numpy compares every
sample with the object None and gives False (bools of the image's shape, a bool for a 0-d image), for
real and complex images alike, and records `value: None` in the dict. The other operators refuse
None, as numpy's do (2.0.1 raises TypeError from numpy)."""

import unittest

import numpy as np

import deeptrack_native as dt


class EqualsNone(unittest.TestCase):
    def test_false_everywhere_with_the_images_shape(self):
        # (input, shape of 2.0.1's result); every result all False, numpy's bools.
        cases = [
            (np.array([1.0, 2.0]), (2,)),
            (np.array([1 + 2j, 3j]), (2,)),
            (np.arange(6.0).reshape(2, 3), (2, 3)),
            (np.zeros((2, 0)), (2, 0)),
            (np.float64(2.0), ()),
            (np.array(5.0), ()),
        ]
        for x, shape in cases:
            got = dt.Equals(value=None)(x)
            self.assertEqual(np.shape(got), shape, repr(x))
            self.assertEqual(np.asarray(got).dtype, np.bool_, repr(x))
            self.assertFalse(np.asarray(got).any(), repr(x))

    def test_dict_records_none(self):
        f = dt.Equals(value=None)
        f.store_properties()
        self.assertEqual(f(np.ones(2)).properties, [{"value": None, "name": "Equals"}])

    def test_in_a_chain_and_by_its_alias(self):
        got = (dt.Value(value=np.ones((2, 2))) >> dt.Equal(value=None))()
        np.testing.assert_array_equal(got, np.zeros((2, 2), dtype=bool))

    def test_other_operators_refuse_none(self):
        for kind in ("GreaterThan", "LessThan", "Add", "Multiply", "Power"):
            with self.assertRaisesRegex(TypeError, f"property 'value' of feature '{kind}': expected numbers, got None"):
                getattr(dt, kind)(value=None)(np.ones(2))


if __name__ == "__main__":
    unittest.main()
