"""Links made by hand between properties, and ``PropertyDict.update()``, as DeepTrack2's tutorial
DTAT306 (properties) uses them: a rule that calls another property inside its function is linked to
it with ``add_dependency`` (or ``add_child``), so that updating either re-samples both; a
``PropertyDict`` built from rules that name each other is called and updated as a whole."""

import gc
import unittest
import weakref

import numpy as np

import deeptrack_native as dt
from deeptrack_native.backend.core import DeepTrackNode
from deeptrack_native.properties import Property, PropertyDict


def uniform():
    return Property(lambda: np.random.rand())


class AddDependency(unittest.TestCase):
    def test_without_a_link_a_rule_reading_another_property_keeps_its_sample(self):
        # What the link is for: the library does not see a property read inside a function.
        base = uniform()
        dependent = Property(lambda: base() + 1)
        first = base()
        self.assertEqual(dependent(), first + 1)
        dependent.update()
        self.assertEqual(dependent(), first + 1)
        self.assertEqual(base(), first)
        base.update()
        self.assertNotEqual(base(), first)
        self.assertEqual(dependent(), first + 1)  # stale: nothing told it to re-sample

    def test_updating_the_dependent_resamples_its_dependency(self):
        base = uniform()
        dependent = Property(lambda: base() + 1)
        self.assertIs(dependent.add_dependency(base), dependent)
        seen = set()
        for _ in range(20):
            dependent.update()
            self.assertEqual(dependent(), base() + 1)
            seen.add(base())
        self.assertEqual(len(seen), 20)

    def test_updating_the_dependency_resamples_the_dependent(self):
        base = uniform()
        dependent = Property(lambda: base() * 10)
        dependent.add_dependency(base)
        values = set()
        for _ in range(20):
            base.update()
            self.assertEqual(dependent(), base() * 10)
            values.add(dependent())
        self.assertEqual(len(values), 20)

    def test_add_child_is_add_dependency_the_other_way(self):
        base = uniform()
        dependent = Property(lambda: -base())
        self.assertIs(base.add_child(dependent), base)
        for _ in range(10):
            dependent.update()
            self.assertEqual(dependent(), -base())
            before = base()
            base.update()
            self.assertNotEqual(base(), before)
            self.assertEqual(dependent(), -base())

    def test_links_are_transitive_and_reach_siblings(self):
        # DeepTrack2's update: every dependency, then every child of those.
        root = uniform()
        left = Property(lambda: root() + 1)
        right = Property(lambda: root() + 2)
        left.add_dependency(root)
        right.add_dependency(root)
        for _ in range(5):
            left.update()
            self.assertEqual((left(), right()), (root() + 1, root() + 2))

    def test_a_feature_property_linked_to_another_feature(self):
        source = dt.DummyFeature(a=lambda: np.random.rand())
        reader = dt.DummyFeature(b=lambda: source.a() * 2)
        reader.b.add_dependency(source.a)
        pipeline = reader >> dt.Add(value=0)
        for _ in range(5):
            before = source.a()
            pipeline.update()  # reaches the hand link of a feature the pipeline holds
            self.assertNotEqual(source.a(), before)
            self.assertEqual(reader.b(), source.a() * 2)
        source.update()
        self.assertEqual(reader.b(), source.a() * 2)

    def test_a_deeptrack_node_as_dependency_is_updated(self):
        node = DeepTrackNode(lambda: np.random.rand())
        dependent = Property(lambda: node() + 1)
        dependent.add_dependency(node)
        first = node()
        dependent.update()
        self.assertNotEqual(node(), first)
        self.assertEqual(dependent(), node() + 1)

    def test_the_link_is_weak(self):
        base = uniform()
        dependent = Property(lambda: 1.0)
        dependent.add_dependency(base)
        gone = weakref.ref(base.feature)
        del base
        gc.collect()
        self.assertIsNone(gone())
        dependent.update()  # a dead link is skipped
        self.assertEqual(dependent(), 1.0)

    def test_bad_argument_is_a_type_error(self):
        message = r"Property.add_dependency takes a Property, a Feature or a DeepTrackNode, got a int"
        with self.assertRaisesRegex(TypeError, message):
            uniform().add_dependency(3)


class NodeUpdates(unittest.TestCase):
    """A DeepTrackNode's own ``update()`` (and ``invalidate``) walks the links made with properties
    and features, as DeepTrack2 2.0.1's one graph: every unit it depends on, then every child of
    those, each reset once (values checked against DeepTrack2 2.0.1's for the same cases)."""

    def assert_changes(self, read, update, check):
        for _ in range(5):
            before = read()
            update()
            self.assertNotEqual(read(), before)
            check()

    def test_a_property_depending_on_a_node(self):
        node = DeepTrackNode(lambda: np.random.rand())
        prop = Property(lambda: node() + 1)
        self.assertIs(prop.add_dependency(node), prop)
        check = lambda: self.assertEqual(prop(), node() + 1)
        self.assert_changes(prop, node.update, check)
        self.assert_changes(prop, prop.update, check)

    def test_a_node_depending_on_a_property(self):
        prop = uniform()
        node = DeepTrackNode(lambda: prop() * 10)
        self.assertIs(node.add_dependency(prop), node)
        check = lambda: self.assertEqual(node(), prop() * 10)
        self.assert_changes(node, node.update, check)
        self.assert_changes(node, prop.update, check)

    def test_node_add_child_takes_a_property(self):
        node = DeepTrackNode(lambda: np.random.rand())
        prop = Property(lambda: node() * 2)
        self.assertIs(node.add_child(prop), node)
        check = lambda: self.assertEqual(prop(), node() * 2)
        self.assert_changes(prop, node.update, check)
        self.assert_changes(prop, prop.update, check)

    def test_property_add_child_takes_a_node(self):
        prop = uniform()
        node = DeepTrackNode(lambda: prop() + 5)
        self.assertIs(prop.add_child(node), prop)
        check = lambda: self.assertEqual(node(), prop() + 5)
        self.assert_changes(node, prop.update, check)
        self.assert_changes(node, node.update, check)

    def test_a_chain_property_node_property(self):
        first = uniform()
        middle = DeepTrackNode(lambda: first() + 1)
        last = Property(lambda: middle() + 1)
        middle.add_dependency(first)
        last.add_dependency(middle)

        def check():
            self.assertEqual(middle(), first() + 1)
            self.assertEqual(last(), first() + 2)

        for unit in (first, middle, last):
            self.assert_changes(last, unit.update, check)

    def test_a_chain_node_property_node(self):
        first = DeepTrackNode(lambda: np.random.rand())
        middle = Property(lambda: first() * 3)
        last = DeepTrackNode(lambda: middle() - 1)
        middle.add_dependency(first)
        last.add_dependency(middle)
        check = lambda: self.assertEqual(last(), first() * 3 - 1)
        for unit in (first, middle, last):
            self.assert_changes(last, unit.update, check)

    def test_a_feature_reading_a_property_of_a_node(self):
        node = DeepTrackNode(lambda: np.random.rand())
        prop = Property(node)  # DeepTrack2: the node's child
        value = dt.Value(value=prop)
        add = dt.Add(value=prop)

        def check():
            self.assertEqual(prop(), node())
            self.assertEqual(value(), node())
            self.assertEqual(add(np.zeros(1)).tolist(), [node()])

        self.assert_changes(value, node.update, check)
        self.assert_changes(value, value.update, check)
        self.assert_changes(value, prop.update, check)

    def test_set_value_of_a_property_of_a_node_until_the_next_update(self):
        node = DeepTrackNode(lambda: np.random.rand())
        prop = Property(node)
        value = dt.Value(value=prop)
        prop.set_value(5.0)
        self.assertEqual((prop(), value()), (5.0, 5.0))
        node.update()
        self.assertEqual((prop(), value()), (node(), node()))
        self.assertNotEqual(prop(), 5.0)

    def test_a_feature_given_a_node(self):
        node = DeepTrackNode(lambda: np.random.rand())
        pipeline = dt.Value(value=node) >> dt.Multiply(value=2)
        check = lambda: self.assertEqual(pipeline(), 2 * node())
        self.assert_changes(pipeline, node.update, check)
        self.assert_changes(pipeline, pipeline.update, check)

    def test_set_value_of_a_node_reaches_its_linked_children(self):
        node = DeepTrackNode(lambda: 1.0)
        prop = Property(lambda: node() + 1)
        feature = dt.Value(value=prop)
        node.add_child(prop)
        self.assertEqual((prop(), feature()), (2.0, 2.0))
        node.set_value(7.0)
        self.assertEqual((prop(), feature()), (8.0, 8.0))
        node.update()
        self.assertEqual((prop(), feature()), (2.0, 2.0))

    def test_node_arithmetic_with_a_property(self):
        node = DeepTrackNode(lambda: np.random.rand())
        prop = uniform()
        total = node + prop
        check = lambda: self.assertEqual(total(), node() + prop())
        self.assert_changes(total, prop.update, check)
        self.assert_changes(total, node.update, check)

    def test_bad_argument_is_a_type_error(self):
        message = r"DeepTrackNode.add_child takes a DeepTrackNode, a Property or a Feature, got a int"
        with self.assertRaisesRegex(TypeError, message):
            DeepTrackNode(1).add_child(3)


class PropertyDictUpdate(unittest.TestCase):
    def test_called_and_updated_as_a_whole(self):
        props = PropertyDict(
            foo="foo",
            barorbaz=lambda: np.random.choice(["bar", "baz"]),
            foobarorbaz=lambda foo, barorbaz: foo + barorbaz,
        )
        self.assertEqual(list(props), ["foo", "barorbaz", "foobarorbaz"])
        seen = set()
        for _ in range(40):
            self.assertIs(props.update(), props)
            values = props()
            self.assertEqual(values["foo"], "foo")
            self.assertEqual(values["foobarorbaz"], "foo" + values["barorbaz"])
            seen.add(values["barorbaz"])
        self.assertEqual(seen, {"bar", "baz"})

    def test_update_resamples_every_property(self):
        props = PropertyDict(a=lambda: np.random.rand(), b=lambda: np.random.rand())
        first = props()
        self.assertEqual(props(), first)  # held until the next update
        props.update()
        second = props()
        self.assertNotEqual(second["a"], first["a"])
        self.assertNotEqual(second["b"], first["b"])

    def test_update_with_arguments_is_a_dicts(self):
        props = PropertyDict(a=1)
        props.update({"b": Property(2)})
        self.assertEqual(props(), {"a": 1, "b": 2})

    def test_a_features_properties_update_with_the_feature(self):
        f = dt.DummyFeature(a=lambda: np.random.rand())
        first = f.properties()["a"]
        f.properties.update()
        self.assertNotEqual(f.properties()["a"], first)


if __name__ == "__main__":
    unittest.main()
