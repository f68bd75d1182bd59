"""A built-in feature given a keyword that is neither one of its parameters nor used by its rules keeps
it as a property (as DeepTrack2) and warns once per kind and keyword (deeptrack_native._unknown)."""

import unittest
import warnings

import numpy as np

import deeptrack_native as dt
from deeptrack_native import _unknown
from deeptrack_native._unknown import UnknownPropertyWarning

# This module's rules draw from np.random; the draws of the modules after it stay as without it.
_STATE = []


def setUpModule():
    _STATE.append(np.random.get_state())


def tearDownModule():
    np.random.set_state(_STATE.pop())



def caught(build):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        out = build()
    return out, [w for w in seen if issubclass(w.category, UnknownPropertyWarning)]


class UnknownKeywords(unittest.TestCase):
    def setUp(self):
        _unknown._WARNED.clear()

    def test_a_misspelt_keyword_warns_once_and_is_kept(self):
        optics, seen = caught(lambda: dt.Fluorescence(intesity=3))
        self.assertEqual(len(seen), 1)
        message = str(seen[0].message)
        self.assertIn("Fluorescence: 'intesity' is not one of its parameters", message)
        self.assertIn("NA, illumination, magnification", message)
        self.assertEqual(seen[0].filename, __file__, "the warning points at the caller")
        self.assertEqual(optics.intesity(), 3, "kept as a property, as DeepTrack2 does")
        _, again = caught(lambda: dt.Fluorescence(intesity=4))
        self.assertEqual(again, [], "once per kind and keyword")
        self.assertIs(dt.UnknownPropertyWarning, UnknownPropertyWarning)
        self.assertTrue(issubclass(UnknownPropertyWarning, UserWarning))
        _, other = caught(lambda: dt.Brightfield(intesity=4))
        self.assertEqual(len(other), 1, "another kind warns for itself")

    def test_keywords_used_by_rules_parameters_and_holders_do_not_warn(self):
        sphere, seen = caught(lambda: dt.Sphere(radius=1e-6, extra=2, intensity=lambda extra: extra * 2))
        self.assertEqual(seen, [])
        self.assertEqual(sphere.intensity(), 4)
        _, seen = caught(lambda: dt.Add(value=1, name="my add"))
        self.assertEqual(seen, [])
        _, seen = caught(lambda: dt.DummyFeature(anything=1, at_all=2))
        self.assertEqual(seen, [])
        _, seen = caught(lambda: dt.ConditionalSetProperty(dt.Add(value=1), condition="is_on", value=2))
        self.assertEqual(seen, [], "the properties it sets")
        _, seen = caught(lambda: dt.ConditionalSetFeature(on_true=dt.Add(value=1), condition="is_on", is_on=True))
        self.assertEqual(seen, [], "the property a condition names")
        _, seen = caught(lambda: dt.Bind(dt.Add(value=1), value=3))
        self.assertEqual(seen, [])

    def test_the_feature_still_computes(self):
        add, seen = caught(lambda: dt.Add(value=2, vlaue=5))
        self.assertEqual(len(seen), 1)
        np.testing.assert_array_equal(np.asarray(add(np.ones(2))), [3.0, 3.0])


if __name__ == "__main__":
    unittest.main()
