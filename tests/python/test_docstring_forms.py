"""The forms DeepTrack2 2.0.1's docstrings teach, which users copy: a feature called on a feature,
``dt.PropertyDict`` of rules, ``Image.to_cupy``. Expected values are 2.0.1's (run in its own
environment when these tests were written)."""

import importlib.util
import unittest

import numpy as np

import deeptrack_native as dt


class FeatureCalledOnAFeature(unittest.TestCase):
    def test_gives_the_chain_of_the_two(self):
        # 2.0.1's `Add(value=5)(Value([1, 2, 3]))` is a Chain; resolved, [6, 7, 8].
        for make, expected in [
            (lambda: dt.Add(value=5), [6.0, 7.0, 8.0]),
            (lambda: dt.Subtract(value=1), [0.0, 1.0, 2.0]),
            (lambda: dt.Multiply(value=2), [2.0, 4.0, 6.0]),
            (lambda: dt.Power(value=2), [1.0, 4.0, 9.0]),
            (lambda: dt.GreaterThan(value=2), [False, False, True]),
            (lambda: dt.Sqrt(), [1.0, np.sqrt(2.0), np.sqrt(3.0)]),
        ]:
            with self.subTest(kind=type(make()).__name__):
                pipeline = make()(dt.Value(value=np.array([1.0, 2.0, 3.0])))
                self.assertIsInstance(pipeline, dt.Chain)
                np.testing.assert_array_equal(np.asarray(pipeline.resolve()), expected)
                np.testing.assert_array_equal(np.asarray(pipeline.update().resolve()), expected)

    def test_resolve_is_the_same_call(self):
        # 2.0.1's `resolve` is `__call__`.
        pipeline = dt.Add(value=1).resolve(dt.Value(value=np.zeros(2)))
        self.assertIsInstance(pipeline, dt.Chain)
        np.testing.assert_array_equal(np.asarray(pipeline()), [1.0, 1.0])

    def test_values_with_a_feature_are_refused_naming_them(self):
        with self.assertRaisesRegex(TypeError, r"give property values when you resolve it.*\['value'\]"):
            dt.Add(value=1)(dt.Value(value=np.zeros(2)), value=3)


class PropertyDictOfRules(unittest.TestCase):
    def test_top_level_property_dict_is_the_properties_one(self):
        # 2.0.1: dt.PropertyDict is deeptrack.properties.PropertyDict.
        self.assertIs(dt.PropertyDict, dt.properties.PropertyDict)

    def test_dependent_rules_and_the_order_given(self):
        pd = dt.PropertyDict(constant=42, dependent=lambda constant: constant + 10, random=lambda: np.random.rand())
        self.assertEqual(pd["constant"](), 42)
        self.assertEqual(pd["dependent"](), 52)
        # 2.0.1's order: passes over the rules as given, each made once what it names is made.
        self.assertEqual(list(pd), ["constant", "dependent", "random"])
        self.assertEqual(list(pd()), ["constant", "dependent", "random"])
        late = dt.PropertyDict(total=lambda a, b: a + b, a=1, b=2)
        self.assertEqual(list(late), ["a", "b", "total"])
        self.assertEqual(late()["total"], 3)


class ToCupy(unittest.TestCase):
    @unittest.skipIf(importlib.util.find_spec("cupy") is not None, "CuPy installed: to_cupy refuses")
    def test_without_cupy_the_image_itself(self):
        image = dt.Image(np.array([1, 2, 3]))
        self.assertIs(image.to_cupy(), image)
        np.testing.assert_array_equal(np.asarray(image.to_cupy()), [1, 2, 3])


if __name__ == "__main__":
    unittest.main()
