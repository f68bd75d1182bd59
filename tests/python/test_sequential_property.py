"""DeepTrack2's ``SequentialProperty`` driven by hand, as 2.0.1 offers it: the value of each step,
the history of the steps so far, ``previous_value`` and ``previous_values``, ``sequence_length`` and
``sequence_step``, initialization with dependencies, invalidation keeping the history and update
dropping it."""

import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native import properties, sequences
from deeptrack_native.backend.core import DeepTrackNode
from deeptrack_native.properties import Property, SequentialProperty


def walk(sp, length):
    """Steps ``sp`` through ``length`` steps as a Sequence does: sets the step (invalidating the
    property) and evaluates it; returns the value of each step."""
    sp.sequence_length.set_value(length)
    values = []
    for step in range(length):
        sp.sequence_step.set_value(step)
        values.append(sp())
    return values


class Exposed(unittest.TestCase):
    def test_where_deeptrack2_has_it(self):
        self.assertIs(properties.SequentialProperty, SequentialProperty)
        self.assertIs(sequences.SequentialProperty, SequentialProperty)
        self.assertIs(dt.SequentialProperty, SequentialProperty)
        self.assertIn("SequentialProperty", properties.__all__)
        self.assertEqual(SequentialProperty.__module__, "deeptrack_native.properties")
        self.assertIsInstance(SequentialProperty(), DeepTrackNode)

    def test_defaults(self):
        sp = SequentialProperty()
        self.assertEqual(sp.sequence_length(), 0)
        self.assertEqual(sp.sequence_step(), 0)
        self.assertIsNone(sp.initialization)
        self.assertIsNone(sp.current())
        self.assertIsNone(sp.previous_value())
        self.assertEqual(sp.previous_values(), [])
        self.assertEqual(sp.previous(), [])
        self.assertFalse(sp.is_valid())
        with self.assertRaises(KeyError):
            sp.current_value()
        self.assertIsNone(sp())  # step 0 without initialization
        self.assertEqual(sp.data[()].current_value(), [None])


class ByHand(unittest.TestCase):
    def test_stored_steps_as_deeptrack2s_docstring(self):
        sp = SequentialProperty()
        sp.sequence_length.store(5)
        sp.current = lambda _ID=(): sp.sequence_step() + 1
        for step in range(sp.sequence_length()):
            sp.sequence_step.store(step)
            sp.store(sp.current())
            self.assertEqual(sp.data[()].current_value(), list(range(1, step + 2)))
            self.assertEqual(sp.current_value(), step + 1)
            sp.previous_value.invalidate()
            sp.previous_values.invalidate()
            # previous_value is the value of the step before; previous_values stops one earlier
            # (2.0.1: "not including the current value and the previous value").
            # At step 0 there is none (2.0.1 gives the last value stored there).
            self.assertEqual(sp.previous_value(), step if step else None)
            self.assertEqual(sp.previous_values(), list(range(1, step)))
        self.assertEqual(sp.previous_value(), 4)
        self.assertEqual(sp.previous_values(), [1, 2, 3])

    def test_initialization_then_current_from_previous_value(self):
        sp = SequentialProperty(10)
        sp.current = lambda: sp.previous_value() * 2
        self.assertEqual(walk(sp, 4), [10, 20, 40, 80])
        self.assertEqual(sp.data[()].current_value(), [10, 20, 40, 80])
        self.assertEqual(sp.sequence_length(), 4)
        self.assertEqual(sp.sequence_step(), 3)
        self.assertEqual(sp.previous_value(), 40)
        self.assertEqual(sp.previous_values(), [10, 20])

    def test_value_is_kept_until_the_step_changes(self):
        draws = iter(range(100))
        sp = SequentialProperty(lambda: next(draws))
        sp.current = lambda: next(draws)
        self.assertEqual(sp(), 0)
        self.assertEqual(sp(), 0)  # cached: nothing drawn again
        self.assertTrue(sp.is_valid())
        sp.sequence_step.set_value(1)  # invalidates the property, its history stays
        self.assertFalse(sp.is_valid())
        self.assertEqual(sp.previous(), [0])
        self.assertEqual(sp(), 1)
        self.assertEqual(sp(), 1)
        sp.sequence_step.set_value(1)  # the same step: nothing invalidated
        self.assertEqual(sp(), 1)
        self.assertEqual(sp.data[()].current_value(), [0, 1])

    def test_update_drops_the_history(self):
        rng = np.random.default_rng(3)
        sp = SequentialProperty(lambda: float(rng.normal()))
        sp.current = lambda: sp.previous_value() + 1.0
        first = walk(sp, 3)
        np.testing.assert_allclose(np.diff(first), [1.0, 1.0])
        sp.update()
        self.assertEqual(sp.previous(), [])
        second = walk(sp, 3)
        self.assertNotEqual(first[0], second[0])
        np.testing.assert_allclose(np.diff(second), [1.0, 1.0])
        self.assertEqual(len(sp.data[()].current_value()), 3)

    def test_initialization_with_dependencies(self):
        offset = DeepTrackNode(5)
        scale = Property(3)
        sp = SequentialProperty(lambda offset, scale: offset * scale, offset=offset, scale=scale)
        sp.current = lambda _ID=(): sp.previous_value(_ID) + sp.sequence_step(_ID)
        self.assertEqual(walk(sp, 4), [15, 16, 18, 21])

    def test_initialization_taking_the_replicate_index(self):
        sp = SequentialProperty(lambda _ID: len(_ID))
        self.assertEqual(sp(), 0)
        self.assertEqual(sp((2, 1)), 2)
        self.assertEqual(sp.data[(2, 1)].current_value(), [2])
        self.assertEqual(sp.data[()].current_value(), [0])

    def test_initialization_from_an_iterator_and_a_property(self):
        sp = SequentialProperty(iter([7, 8]))
        self.assertEqual(sp(), 7)
        sp.update()
        self.assertEqual(sp(), 8)
        sp.update()
        self.assertEqual(sp(), 8)  # exhausted: its last item, as a property's iterator
        linked = SequentialProperty(Property(lambda: "x"))
        self.assertEqual(linked(), "x")

    def test_set_value_appends(self):
        sp = SequentialProperty(1)
        sp()
        sp.sequence_step.store(1)
        sp.set_value(2)
        self.assertEqual(sp.data[()].current_value(), [1, 2])
        self.assertEqual(sp(), 2)

    def test_a_step_past_the_history_is_computed(self):
        sp = SequentialProperty(0)
        sp.current = lambda: sp.previous_value() - 1
        sp()
        sp.sequence_step.store(1)  # stored without invalidating the property
        self.assertEqual(sp(), -1)
        self.assertEqual(sp.previous(), [0, -1])

    def test_previous_value_at_step_0_is_none(self):
        sp = SequentialProperty(1)
        sp.current = lambda: sp.previous_value() + 1
        walk(sp, 3)
        sp.sequence_step.set_value(0)  # back to step 0: its value is stored, nothing before it
        self.assertEqual(sp(), 1)
        self.assertIsNone(sp.previous_value())
        self.assertEqual(sp.previous_values(), [])


class Propagate(unittest.TestCase):
    def test_steps_the_properties_a_node_depends_on(self):
        sp = SequentialProperty(1)
        sp.current = lambda: sp.previous_value() * 3
        doubled = sp * 2
        values = []
        for step in range(3):
            sequences.propagate_sequential_data(doubled, sequence_step=step, sequence_length=3, unknown=9)
            values.append(doubled())
        self.assertEqual(values, [2, 6, 18])
        self.assertEqual(sp.sequence_length(), 3)
        self.assertFalse(hasattr(sp, "unknown"))

    def test_steps_the_properties_given_to_a_pipeline(self):
        sp = SequentialProperty(10.0)
        sp.current = lambda: sp.previous_value() + 0.5
        pipeline = dt.Value(value=sp) >> dt.Add(value=1)
        frames = []
        for step in range(3):
            # Setting the step invalidates the property and the feature reading it (DeepTrack2 2.0.1).
            sequences.propagate_sequential_data(pipeline, sequence_step=step, sequence_length=3)
            frames.append(float(pipeline()))
        self.assertEqual(frames, [11.0, 11.5, 12.0])
        self.assertEqual(sp.data[()].current_value(), [10.0, 10.5, 11.0])
        # Updating the pipeline resets the property it reads, history and step, as 2.0.1's update.
        self.assertEqual(float(pipeline.update()()), 11.0)
        self.assertEqual(sp.data[()].current_value(), [10.0])
        self.assertEqual(sp.sequence_step(), 0)

    def test_refuses_other_objects(self):
        with self.assertRaisesRegex(TypeError, "propagate_sequential_data: expected a feature or a DeepTrackNode, got int"):
            sequences.propagate_sequential_data(3, sequence_step=1)



class Nodes(unittest.TestCase):
    def test_a_node_keeps_its_values_invalid_when_invalidated(self):
        # As DeepTrack2 2.0.1: the value stays readable, invalid, and is computed again when called.
        parent = DeepTrackNode(1)
        child = parent + 1
        self.assertEqual(child(), 2)
        parent.invalidate()
        self.assertFalse(child.is_valid())
        self.assertEqual((child.previous(), child.current_value()), (2, 2))
        parent.store(5)
        self.assertEqual(child(), 6)
        self.assertTrue(child.is_valid())
        child.update()
        self.assertEqual(child.previous(), [])


if __name__ == "__main__":
    unittest.main()
