"""DeepTrack2's property API over libdeeptrack: ``feature.properties``, ``Property`` (standalone, of a
feature, ``set_value``, ``update``, arithmetic), iterators as values, resolve-time overrides,
``is_valid``, a feature as an arithmetic operand, ``MERGE_STRATEGY_APPEND``, and ``units``."""

import operator
import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native import features, properties, units


class FeatureProperties(unittest.TestCase):
    def test_exact_property_lists_in_order(self):
        self.assertEqual(list(dt.Add(value=3).properties), ["value", "name"])
        self.assertEqual(list(dt.Gaussian(mu=1, sigma=2).properties), ["mu", "sigma", "name"])
        f = features.DummyFeature(b=2, a=1)
        self.assertIsInstance(f.properties, properties.PropertyDict)
        self.assertEqual(list(f.properties), ["b", "a", "name"])
        self.assertEqual(f.properties(), {"b": 2, "a": 1, "name": "DummyFeature"})
        self.assertIsInstance(f.properties["a"], properties.Property)
        self.assertIs(f.properties["a"]().__class__, int)

    def test_values_compare_by_content(self):
        arr = np.array([[1.0, np.nan]])
        f = features.Value(value=arr)
        self.assertTrue(f.properties() == {"value": arr.copy(), "name": "Value"})
        self.assertFalse(f.properties() != {"value": arr.copy(), "name": "Value"})
        self.assertFalse(f.properties() == {"value": np.array([[1.0, 2.0]]), "name": "Value"})
        f.store_properties()
        self.assertTrue(any(d == f.properties() for d in f().properties))

    def test_values_across_update(self):
        f = features.DummyFeature(r=lambda: np.random.rand(), c="c", it=iter(range(3)))
        first = f.properties()
        self.assertEqual(first, f.properties(), "no update: the same samples")
        self.assertEqual(first["it"], 0)
        f.update()
        second = f.properties()
        self.assertNotEqual(first["r"], second["r"])
        self.assertEqual((second["c"], second["it"]), ("c", 1))
        f.update()
        f.update()
        self.assertEqual(f.it(), 2, "an exhausted iterator keeps its last item")

    def test_generator_as_repeat_count(self):
        pipeline = features.Value(value=0) >> (features.Add(value=1) ^ (n for n in (2, 5)))
        self.assertEqual(pipeline(), 2)
        self.assertEqual(pipeline.update()(), 5)

    def test_property_read_inside_get_is_this_computation(self):
        class Scale(features.Feature):
            def get(self, image, **kwargs):
                return image * self.properties.get("factor", 1)()

        s = Scale(factor=lambda: np.random.randint(2, 100))
        out = s(np.ones(2))
        self.assertEqual(out.tolist(), [s.factor()] * 2)


class SetValue(unittest.TestCase):
    def test_set_value_holds_until_update(self):
        f = features.DummyFeature(a=1, b=lambda a: a * 10)
        self.assertEqual(f.b(), 10)
        f.a.set_value(4)
        self.assertEqual((f.a(), f.b()), (4, 40), "the dependent property follows")
        f.update()
        self.assertEqual((f.a(), f.b()), (1, 10), "update puts the rule back")

    def test_set_value_reaches_linked_features(self):
        a = features.DummyFeature(key="x")
        b = features.DummyFeature(k=a.key, v=lambda k: k * 2)
        self.assertEqual(b.v(), "xx")
        a.key.set_value("y")
        self.assertEqual(b.v(), "yy")

    def test_is_valid_and_unchanged_values(self):
        calls = []

        class Count(features.Feature):
            def get(self, image, **kwargs):
                calls.append(1)
                return image

        f = Count(p=1)
        x = np.zeros(1)
        self.assertFalse(f.is_valid())
        f(x)
        self.assertTrue(f.is_valid())
        f.p.set_value(1)
        self.assertTrue(f.is_valid(), "the same value invalidates nothing")
        f(x)
        self.assertEqual(len(calls), 1)
        f.p.set_value(2)
        self.assertFalse(f.is_valid())
        f(x)
        self.assertEqual(len(calls), 2)

    def test_errors_name_the_property(self):
        f = dt.Add(value=1)
        with self.assertRaisesRegex(dt.NotFoundError, "feature 'Add'.*no property 'nope'"):
            features.Property._of(f, "nope").set_value(3)
        # A function is a value only Python holds (DeepTrack2 stores it): the built-in kind refuses
        # to compute with it, naming the property.
        f.value.set_value(lambda: 2)
        with self.assertRaisesRegex(TypeError, "property 'value' of feature 'Add' holds a function"):
            f(np.ones(1))
        with self.assertRaisesRegex(dt.NotFoundError, "feature 'Add'.*no property 'nope'"):
            features.Property._of(f, "nope").set_value(np.sin)
        r = dt.Add(value=1) ^ 2
        with self.assertRaisesRegex(dt.InvalidArgumentError, "property 'N' of feature 'Repeat'"):
            r.N.set_value(-1)


class Overrides(unittest.TestCase):
    def test_resolve_override_applies_to_every_feature_with_the_key(self):
        pipeline = dt.Add(value=1) >> dt.Multiply(value=2) >> dt.Gaussian(sigma=0)
        self.assertEqual(float(pipeline(np.ones(1))[0]), 4.0)
        self.assertEqual(float(pipeline(np.ones(1), value=3)[0]), 12.0)
        self.assertEqual(float(pipeline(np.ones(1), not_a_property=3)[0]), 12.0, "kept until update")
        pipeline.update()
        self.assertEqual(float(pipeline(np.ones(1))[0]), 4.0)

    def test_override_error_names_the_key(self):
        with self.assertRaisesRegex(dt.InvalidArgumentError, "property 'N'"):
            (dt.Add(value=1) ^ 2)(np.zeros(1), N=-1)

    def test_one_of_key_beyond_the_collection_is_an_index_error(self):
        one = dt.OneOf([dt.Value(1), dt.Value(2)])
        self.assertEqual(one.update().resolve(key=1), 2)
        with self.assertRaisesRegex(IndexError, "3 exceeds the maximum of 1"):
            one.update().resolve(key=3)


class Arithmetic(unittest.TestCase):
    def test_dependent_properties(self):
        a = features.Value(value=lambda: np.random.rand())
        b = features.Value(value=a.value * 2 + 1)
        c = features.Value(value=1 - a.value)
        for _ in range(3):
            a.update()
            self.assertAlmostEqual(b(), a() * 2 + 1)
            self.assertAlmostEqual(c(), 1 - a())
        standalone = properties.Property(lambda x: x + 1, x=properties.Property(41))
        self.assertEqual(standalone(), 42)
        self.assertEqual((-properties.Property(3))(), -3)

    def test_feature_operands_follow_their_features(self):
        inp = features.DummyFeature()
        pipeline = inp - inp * 2
        self.assertEqual(pipeline(10), -10)
        self.assertEqual([float(x) for x in pipeline([10, 20])], [-10, -20])
        self.assertEqual(pipeline(3), -3)
        a = features.Value(value=lambda: np.random.rand())
        e = features.Value(value=a + a.value)
        for _ in range(3):
            a.update()
            self.assertAlmostEqual(e(), 2 * a())

    def test_arithmetic_operation_feature(self):
        for op, x, y in [(operator.add, 1, 10), (operator.pow, 2, 3), (operator.floordiv, 7, 2)]:
            f = features.ArithmeticOperationFeature(op, value=y)
            self.assertEqual(f(x), op(x, y))
        self.assertEqual(features.ArithmeticOperationFeature(operator.add, value=10)([1, 2]), [11, 12])
        modulo = features.ArithmeticOperationFeature(operator.mod, value=3)
        self.assertEqual(float(modulo(np.array(7.0))), 1.0, "any other operator runs in Python")

    def test_value_list_is_a_list_of_images(self):
        self.assertEqual([float(x) for x in features.Value([1, 0])()], [1.0, 0.0])
        inp = features.Value([1, 3])
        self.assertEqual([float(x) for x in (inp - dt.Mean(inp))()], [0.0, 0.0])

    def test_merge_strategy_append(self):
        class Shape(features.Feature):
            __list_merge_strategy__ = features.MERGE_STRATEGY_APPEND

            def get(self, image, shape, **kwargs):
                return np.zeros(shape)

        out = (Shape(shape=(1, 1)) >> Shape(shape=(2, 2))).resolve()
        self.assertEqual([o.shape for o in out], [(1, 1), (2, 2)])
        self.assertEqual(features.MERGE_STRATEGY_OVERRIDE, 0)


class Units(unittest.TestCase):
    def test_lengths_become_meters(self):
        self.assertAlmostEqual((0.5 * units.um).to(units.nm).magnitude, 500.0)
        self.assertEqual(dt.Add(value=2 * units.mm).value(), 2e-3)
        q = np.array([1.0, 2.0]) * units.nm
        self.assertIsInstance(q, units.Quantity)
        np.testing.assert_allclose(q.to_base_units().magnitude, [1e-9, 2e-9])

    def test_pixels_outside_lengths_are_numbers_and_unknown_units_are_refused(self):
        # DeepTrack2 converts only the properties of its conversion tables (lengths such as a
        # scatterer's radius); any other quantity becomes its magnitude.
        self.assertEqual(dt.Add(value=3 * units.pixels).value(), 3)
        with self.assertRaises(AttributeError):
            units.not_a_unit  # noqa: B018
        with self.assertRaises(units.DimensionalityError):
            (1 * units.um).to(units.second)


class SharedOperators(unittest.TestCase):
    """DeepTrackNode and Property take their operators from one mixin (deeptrack_native._operators);
    each builds its dependent node its own way, with the same values."""

    BINARY = ["add", "sub", "mul", "truediv", "floordiv", "lt", "gt", "le", "ge"]

    def test_one_implementation(self):
        from deeptrack_native._operators import NodeOperators, PowerOperators
        from deeptrack_native.backend.core import DeepTrackNode

        self.assertTrue(issubclass(DeepTrackNode, NodeOperators))
        self.assertTrue(issubclass(properties.Property, PowerOperators))
        for name in self.BINARY:
            for dunder in (f"__{name}__", f"__r{name}__"):
                self.assertIs(getattr(DeepTrackNode, dunder), getattr(properties.Property, dunder), dunder)
        self.assertFalse(hasattr(DeepTrackNode, "__pow__"))  # DeepTrack2's node has no ** (properties do)

    def test_same_values_both_ways(self):
        from deeptrack_native.backend.core import DeepTrackNode

        for name in self.BINARY:
            op = getattr(operator, name)
            for a, b in [(7, 2), (2, 7), (3, 3)]:
                expected = op(a, b)
                self.assertEqual(op(DeepTrackNode(a), b)(), expected, name)
                self.assertEqual(op(a, DeepTrackNode(b))(), expected, name)
                self.assertEqual(op(properties.Property(a), b)(), expected, name)
                self.assertEqual(op(a, properties.Property(b))(), expected, name)
                self.assertEqual(getattr(properties.Property(b), f"__r{name}__")(a)(), expected, name)
        p = properties.Property(3)
        self.assertEqual(((p**2)(), (2**p)(), (p % 2)(), (7 % p)(), (-p)()), (9, 8, 1, 1, -3))


if __name__ == "__main__":
    unittest.main()
