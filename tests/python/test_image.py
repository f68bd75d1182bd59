"""Image: DeepTrack2 2.0.1's behaviour, as observed (reference §4), through the package's Image."""

import pickle
import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native.image import Image


def img(value, *props):
    out = Image(value)
    for p in props:
        out.append(p)
    return out


class Construction(unittest.TestCase):
    def test_copy_semantics(self):
        raw = np.zeros(3)
        a = Image(raw)
        self.assertFalse(np.shares_memory(a._value, raw))
        self.assertIs(Image(raw, copy=False)._value, raw)
        self.assertEqual(repr(Image([1, 2, 3])), "Image(array([1, 2, 3]))")
        self.assertEqual(Image(5)._value.shape, ())
        self.assertEqual(Image((1, 2))._value, (1, 2))  # tuples are kept as they are
        d = {"name": "A"}
        a.append(d)
        b = Image(a)
        self.assertIsNot(b.properties, a.properties)
        self.assertIs(b.properties[0], d)
        self.assertFalse(np.shares_memory(a._value, b._value))
        self.assertTrue(np.shares_memory(Image(a, copy=False)._value, a._value))
        self.assertNotIsInstance(a, np.ndarray)


class PropertyApi(unittest.TestCase):
    def test_get_property(self):
        x = img(np.zeros(1), {"a": 1}, {"a": 2, "b": 3})
        self.assertEqual(x.get_property("a"), 1)
        self.assertEqual(x.get_property("a", get_one=False), [1, 2])
        self.assertEqual(x.get_property("b", get_one=False), [3])
        self.assertIsNone(Image(1).get_property("q", get_one=False))
        self.assertEqual(Image(1).get_property("q", get_one=False, default=[]), [])
        self.assertIsNone(img(1, {"n": None}, {"n": 2}).get_property("n"))

    def test_append_rebinds_and_does_not_deduplicate(self):
        d = {"a": 1}
        x = Image(1)
        alias = x.properties
        self.assertIs(x.append(d).append(d), x)
        self.assertEqual(len(x.properties), 2)
        self.assertEqual(alias, [])

    def test_merge_is_by_identity(self):
        a = {"name": "A", "x": 1}
        b = {"name": "A", "x": 1}
        x = img(1, a)
        x.merge_properties_from(img(1, b))
        self.assertEqual(len(x.properties), 2)  # equal, not the same: both kept
        x.merge_properties_from(img(1, a))
        self.assertEqual(len(x.properties), 2)
        y = Image(1).merge_properties_from(img(1, a, a))
        self.assertEqual(y.properties, [a])
        e = {"name": "E"}
        z = Image(1).merge_properties_from([img(1, a), [img(1, e), np.zeros(2)], "str", 5, None])
        self.assertEqual(z.properties, [a, e])
        self.assertEqual(img(1, a).merge_properties_from(np.zeros(1)).properties, [a])


class Arithmetic(unittest.TestCase):
    def setUp(self):
        self.X, self.Y = {"name": "X"}, {"name": "Y"}
        self.x = img(np.array([1.0, 2.0]), self.X)
        self.y = img(np.array([10.0, 20.0]), self.Y)

    def test_operand_order_decides_property_order(self):
        s = self.x + self.y
        self.assertEqual(s._value.tolist(), [11.0, 22.0])
        self.assertEqual(s.properties, [self.X, self.Y])
        self.assertEqual((self.y + self.x).properties, [self.Y, self.X])
        for r in (self.x * 2, 2 * self.x, 2 - self.x, self.x + np.ones(2), -self.x, abs(self.x), self.x**2, self.x > 1):
            self.assertEqual(r.properties, [self.X])
        self.assertEqual((self.x == self.y).properties, [self.X, self.Y])
        self.assertEqual((self.x + self.x).properties, [self.X])

    def test_numpy_functions(self):
        self.assertEqual(np.add(self.x, self.y).properties, [self.X, self.Y])
        self.assertEqual(np.sin(self.x).properties, [self.X])
        self.assertIsInstance(np.mean(self.x), np.float64)
        self.assertEqual(np.asarray(self.x).tolist(), [1.0, 2.0])
        self.assertEqual(np.array([self.x, self.y]).shape, (2, 2))
        stacked = np.stack([self.x, self.y])  # DeepTrack2 2.0.1 recurses forever here
        self.assertEqual(stacked.shape, (2, 2))
        self.assertEqual(stacked.properties, [self.X, self.Y])

    def test_indexing_and_attributes(self):
        self.assertIsInstance(self.x[0], np.float64)
        part = self.x[0:1]
        self.assertEqual(part.properties, [self.X])
        self.assertEqual(self.x.shape, (2,))
        self.assertEqual(self.x.sum(), 3.0)
        self.assertEqual(len(self.x), 2)
        self.assertEqual(float(Image(2.5)), 2.5)
        with self.assertRaises(TypeError):
            hash(self.x)

    def test_to_numpy_and_pickle(self):
        self.assertIs(self.x.to_numpy(), self.x)
        back = pickle.loads(pickle.dumps(self.x))
        self.assertEqual(back._value.tolist(), [1.0, 2.0])
        self.assertEqual(back.properties, [self.X])


class PipelineImages(unittest.TestCase):
    def test_results_pickle_as_plain_data(self):
        f = dt.Add(value=1.0)
        f.store_properties()
        out = f.resolve(np.zeros(2))
        back = pickle.loads(pickle.dumps(out))
        self.assertEqual(back._value.tolist(), [1.0, 1.0])
        self.assertEqual(back.properties, [{"value": 1.0, "name": "Add"}])
        self.assertIs(type(back.properties[0]), dict)

    def test_the_same_library_dict_is_the_same_python_dict(self):
        f = dt.Add(value=lambda: np.random.rand())
        f.store_properties()
        x = np.zeros(1)
        a, b = f.resolve(x), f.resolve(x)
        self.assertIs(a.properties[0], b.properties[0])
        self.assertEqual(len(a.merge_properties_from(b).properties), 1)
        f.update()
        c = f.resolve(x)
        self.assertIsNot(c.properties[0], a.properties[0])
        self.assertEqual(len(a.merge_properties_from(c).properties), 2)


if __name__ == "__main__":
    unittest.main()
