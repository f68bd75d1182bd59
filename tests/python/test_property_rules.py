"""DeepTrack2's ``Property(sampling_rule)`` with the rules the library cannot hold itself (dicts,
slices with changing parts, DeepTrackNodes), ``prop(_ID)``, ``PropertyDict(**rules)``, and
``deeptrack_native.backend.core.DeepTrackNode``."""

import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native import properties
from deeptrack_native.backend.core import DeepTrackNode
from deeptrack_native.properties import Property

# This module's rules draw from np.random; the draws of the modules after it stay as without it.
_STATE = []


def setUpModule():
    _STATE.append(np.random.get_state())


def tearDownModule():
    np.random.set_state(_STATE.pop())



class StructuredRules(unittest.TestCase):
    def test_a_dict_with_changing_parts_is_sampled_once_per_update(self):
        P = Property({"a": 1, "b": lambda: np.random.rand(), "c": Property(lambda: np.random.rand() + 5)})
        first = P()
        self.assertEqual(set(first), {"a", "b", "c"})
        self.assertEqual(first["a"], 1)
        self.assertTrue(0 <= first["b"] < 1 and 5 <= first["c"] < 6)
        self.assertEqual(P(), first, "no update: the same sample")
        P.update()
        second = P()
        self.assertNotEqual(second["b"], first["b"])
        self.assertNotEqual(second["c"], first["c"])
        self.assertEqual(second, P())

    def test_a_slice_with_changing_parts(self):
        P = Property(slice(1, lambda: 10, Property(2)))
        self.assertEqual(P(), slice(1, 10, 2))
        P.update()
        self.assertEqual(P(), slice(1, 10, 2))

    def test_dependencies_reach_the_callables_of_a_structure(self):
        P = Property(
            {"function": lambda x, y: x * y, "list": [1, lambda: 2, Property(3)], "nested": {"a": Property(1)}},
            x=Property(5),
            y=Property(3),
        )
        self.assertEqual(P(), {"function": 15, "list": [1, 2, 3], "nested": {"a": 1}})

    def test_a_structure_is_usable_as_a_feature_property_dependency(self):
        P = Property({"scale": lambda: 2.0})
        f = dt.DummyFeature(factor=lambda: P()["scale"] * 3)
        self.assertEqual(f.factor(), 6.0)

    def test_the_value_at_a_replicate_index(self):
        self.assertEqual(Property(lambda _ID: _ID)(), ())
        self.assertEqual(Property(lambda _ID: _ID)((1,)), (1,))
        self.assertEqual(Property(lambda _ID: _ID)((1, 2, 3)), (1, 2, 3))
        P = Property({"id": lambda _ID: _ID, "c": 4})
        self.assertEqual(P((2,)), {"id": (2,), "c": 4})
        double = Property(lambda x, _ID: (x, _ID), x=Property(lambda _ID: len(_ID)))
        self.assertEqual(double((7, 8)), (2, (7, 8)))
        with self.assertRaisesRegex(NotImplementedError, "feature's property at a replicate index"):
            dt.DummyFeature(a=1).a((1,))

    def test_a_tuple_constant_stays_a_tuple(self):
        P = Property((1, 2, 3))
        self.assertEqual(P(), (1, 2, 3))
        P.update()
        self.assertEqual(P(), (1, 2, 3))


class Nodes(unittest.TestCase):
    def test_a_node_as_a_rule(self):
        self.assertEqual(Property(DeepTrackNode(100))(), 100)
        node = DeepTrackNode(lambda _ID=(): np.random.rand())
        P = Property(node)
        first = P()
        self.assertEqual(P(), first)
        P.update()
        self.assertNotEqual(P(), first, "update draws the node again")
        self.assertEqual(P(), P())

    def test_node_caching_invalidation_and_arithmetic(self):
        calls = []
        a = DeepTrackNode(lambda: calls.append(1) or 2.0)
        b = a * 3 + 1
        self.assertEqual(b(), 7.0)
        self.assertEqual(b(), 7.0)
        self.assertEqual(len(calls), 1, "computed once, then cached")
        a.set_value(4.0)
        self.assertEqual(b(), 13.0, "set_value invalidates the nodes computed from it")
        self.assertTrue(a.is_valid())
        b.update()
        self.assertFalse(a.is_valid())
        self.assertEqual(b(), 7.0)
        self.assertEqual(len(calls), 2)
        self.assertEqual(a.previous((5,)), [])
        node = DeepTrackNode(lambda _ID: sum(_ID))
        self.assertEqual(node((2, 3)), 5)
        self.assertEqual(node.current_value((2, 3)), 5)
        self.assertEqual((10 - DeepTrackNode(4))(), 6)
        self.assertTrue((DeepTrackNode(1) < 2)())


class PropertyDicts(unittest.TestCase):
    def test_rules_depend_on_each_other_by_name(self):
        PD = properties.PropertyDict(
            dependent=lambda constant: constant + 1, constant=42, random=lambda: np.random.rand()
        )
        self.assertEqual(set(PD), {"dependent", "constant", "random"})
        self.assertIsInstance(PD["constant"], Property)
        self.assertEqual(PD["dependent"](), 43)
        self.assertEqual(PD()["dependent"], 43)
        self.assertTrue(0 <= PD()["random"] <= 1)

    def test_a_cycle_is_an_error_naming_the_rules(self):
        with self.assertRaisesRegex(ValueError, r"\['a', 'b'\] depend on each other in a cycle"):
            properties.PropertyDict(a=lambda b: b, b=lambda a: a, c=1)

    def test_feature_properties_and_arithmetic(self):
        sphere = dt.Sphere(radius=1e-6)
        self.assertEqual(sphere.properties["radius"](), 1e-6)
        self.assertEqual((sphere.radius * 2.0)(), 2e-6)
        self.assertEqual((Property(3.0) * 2.0)(), 6.0)
        self.assertEqual((1 - Property(3.0))(), -2.0)
        inp = dt.DummyFeature()
        self.assertEqual(float(np.asarray((inp - inp * 2)(10))), -10.0)


if __name__ == "__main__":
    unittest.main()
