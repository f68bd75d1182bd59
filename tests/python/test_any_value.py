"""Property values of any type, as DeepTrack2 2.0.1 keeps them (issue 16): what users put into a
property reads back as it was given (an int an int, a string a string, a dict or any object the
object itself), and ``Value`` resolved on its own, or joined with ``&``, gives its value with its type.
The expected values were observed with DeepTrack2 2.0.1 (target/dt2-venv) on the same code."""

import unittest

import numpy as np

import deeptrack_native as dt


class Label:
    """A user's object as a value (DeepTrack2 tutorials: ``dt.Value(source.label_name)``)."""

    name = "7"


class ValueResolvedAlone(unittest.TestCase):
    def test_numbers_keep_their_type(self):
        for given in (1, 1.5, True, None, 1 + 2j):
            out = dt.Value(given)()
            self.assertEqual(out, given)
            self.assertIs(type(out), type(given))

    def test_any_object_is_given_back(self):
        label = Label()
        for given in ("abc", label):
            self.assertIs(dt.Value(given)(), given)
        # A tuple of numbers is held by the library (Value::Tuple): an equal tuple.
        self.assertEqual(dt.Value((1, 2))(), (1, 2))
        self.assertIs(type(dt.Value((1, 2))()), tuple)
        for given in ({"a": 1}, [1, 2.0]):  # DeepTrack2 gives lists and dicts as copies
            self.assertEqual(dt.Value(given)(), given)
            self.assertIs(type(dt.Value(given)()), type(given))
        self.assertIs(dt.Value(value=label)(), label)

    def test_arrays_keep_their_dtype(self):
        for given in (np.array([1, 2], dtype=np.int32), np.array(3), np.zeros((2, 2), np.uint8),
                      np.array([1 + 1j, 2]), np.float32(2.5)):
            out = dt.Value(given)()
            self.assertIs(out, given)
        self.assertEqual(dt.Value(np.array([1, 2], dtype=np.int32))().dtype, np.int32)

    def test_rules_give_what_they_return(self):
        self.assertEqual(dt.Value(lambda: 7)(), 7)
        self.assertIs(type(dt.Value(lambda: 7)()), int)
        self.assertEqual(dt.Value(lambda: "s")(), "s")
        self.assertEqual(dt.Value(lambda: {"a": 2})(), {"a": 2})

    def test_a_rules_object_is_sampled_again_at_update(self):
        v = dt.Value(lambda: {"r": np.random.rand()})
        first = v()
        self.assertIs(v(), first)  # the same sample until the next update
        v.update()
        second = v()
        self.assertIsInstance(second, dict)
        self.assertNotEqual(second["r"], first["r"])

    def test_a_value_that_is_not_numbers_fails_inside_a_pipeline(self):
        with self.assertRaises(dt.TypeMismatchError) as cm:
            (dt.Value("abc") >> dt.Add(1))()
        self.assertIn("property 'value' of feature 'Value'", str(cm.exception))


class Joined(unittest.TestCase):
    def test_and_of_values_keeps_whole_numbers(self):
        out = (dt.Value(1) & dt.Value(2))()
        self.assertEqual(out, [1, 2])
        self.assertEqual([type(x) for x in out], [int, int])
        self.assertEqual((dt.Value(True) & dt.Value(False))(), [True, False])
        out = (dt.Value(1.5) & dt.Value(2))()
        self.assertEqual(out, [1.5, 2])
        self.assertIsInstance(out[0], float)
        self.assertIs(type(out[1]), int)

    def test_arithmetic_on_values_gives_numbers(self):
        self.assertEqual((dt.Value(1) + 1)(), 2)
        self.assertEqual((dt.Value(3) / 2)(), 1.5)


class PropertiesHoldAnyObject(unittest.TestCase):
    def test_read_back_as_given(self):
        label = Label()
        f = dt.DummyFeature(s="bar", d={"a": 1}, o=label, i=3, fl=2.0)
        self.assertEqual(f.s(), "bar")
        self.assertEqual(f.d(), {"a": 1})
        self.assertIs(f.o(), label)
        self.assertIs(type(f.i()), int)
        self.assertIs(type(f.fl()), float)
        self.assertEqual(f.properties["d"](), {"a": 1})
        f.update()
        self.assertIs(f.o(), label)  # kept across updates: it is the value, not a sample

    def test_arguments_and_resolve_time_values(self):
        self.assertEqual(dt.Arguments(d={"k": [1]}).d(), {"k": [1]})
        label = Label()
        self.assertIs(dt.Arguments(o=label).o(), label)

    def test_rules_returning_objects_and_depending_on_them(self):
        self.assertEqual(dt.DummyFeature(foo=lambda: {"a": 2}).foo(), {"a": 2})
        source = dt.DummyFeature(foo={"a": 5})
        f = dt.DummyFeature(bar=lambda foo: foo["a"], foo=source.foo)
        self.assertEqual(f.bar(), 5)
        g = dt.DummyFeature(foo={"a": 6}, bar=lambda foo: foo["a"] * 2)
        self.assertEqual(g.bar(), 12)

    def test_a_custom_get_receives_the_object(self):
        class Lookup(dt.Feature):
            def get(self, image, table, **kwargs):
                return image + table["add"]

        out = Lookup(table={"add": 2.0})(np.zeros(3))
        np.testing.assert_array_equal(out, [2.0, 2.0, 2.0])

    def test_a_new_value_replaces_the_object_until_the_next_update(self):
        # DeepTrack2 2.0.1's set_value lasts until update, when the rule (the object) is back.
        table = {"a": 1}
        f = dt.DummyFeature(d=table)
        f.d.set_value(4)
        self.assertEqual(f.d(), 4)
        f.update()
        self.assertIs(f.d(), table)
        value = dt.Value(value=table)
        value.value.set_value(3)
        self.assertEqual(value(), 3)
        self.assertIs(value.update()(), table)
        f.d.set_value(lambda: 2)  # a function over the object, then back too
        self.assertTrue(callable(f.d()))
        self.assertIs(f.update().d(), table)

    def test_set_value_before_the_first_resolve_holds(self):
        # The first resolve seeds the pipeline from np.random; it kept the value set (it dropped it).
        value = dt.Value(value=1)
        value.value.set_value(3)
        self.assertEqual(value(), 3)
        add = dt.Add(value=1)
        add.value.set_value(3)
        self.assertEqual((add >> dt.Multiply(value=2))(np.zeros(1)).tolist(), [6.0])

    def test_a_resolve_override_replaces_the_object_for_that_resolve(self):
        seen = []

        class Record(dt.Feature):
            def get(self, image, table, **kwargs):
                seen.append(table)
                return image

        table = {"a": 1}
        f = Record(table=table)
        f(np.ones(1), table=7)
        self.assertEqual(f.table(), 7)
        f.update()(np.ones(1))
        self.assertEqual(seen, [7, table])
        self.assertIs(f.table(), table)


if __name__ == "__main__":
    unittest.main()
