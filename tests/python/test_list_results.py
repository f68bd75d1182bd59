"""A custom feature whose ``get`` returns a list gives several images, as DeepTrack2 2.0.1's: the list
is the image list the next feature receives (a distributed feature maps over its items), and the
pipeline's output is that list. The values are 2.0.1's (each checked against it). Deliberate
difference: a list for each of several images (``(A & B) >> Split()``, ``Split() ^ 2``) gives their
items flattened, in order, where 2.0.1 nests the lists (and the next feature fails on them); an
``Image`` item keeps its own dicts."""

import unittest

import numpy as np

import deeptrack_native as dt


class Split(dt.Feature):
    def get(self, image, **kwargs):
        return [image, image + 1]


class Gives(dt.Feature):
    """Returns ``items`` (a list fixed at construction) whatever the input."""

    def __init__(self, items, **kwargs):
        self.__dict__["_items"] = items
        super().__init__(**kwargs)

    def get(self, image, **kwargs):
        return list(self._items)


class Calls(dt.Feature):
    calls = 0

    def get(self, image, **kwargs):
        Calls.calls += 1
        return image


def values(out):
    return [np.asarray(o).tolist() for o in out]


class GetReturningAList(unittest.TestCase):
    def setUp(self):
        self.x = np.zeros((2, 2))

    def test_the_next_feature_maps_over_the_items(self):
        out = (dt.Value(self.x) >> Split() >> dt.Add(10))()
        self.assertIsInstance(out, list)
        self.assertEqual(values(out), [[[10.0, 10.0]] * 2, [[11.0, 11.0]] * 2])
        sums = (dt.Value(self.x) >> Split() >> dt.Sum(axis=None))()
        self.assertEqual([float(s) for s in sums], [0.0, 4.0])
        self.assertIsInstance((dt.Value(self.x) >> Split())(), list)

    def test_numbers(self):
        out = (dt.Value(self.x) >> Gives([1, 2, 3]) >> dt.Add(1))()
        self.assertIsInstance(out, list)
        self.assertEqual([float(o) for o in out], [2.0, 3.0, 4.0])

    def test_empty_list_gives_no_image(self):
        self.assertEqual((dt.Value(self.x) >> Gives([]))(), [])
        self.assertEqual((dt.Value(self.x) >> Gives([]) >> dt.Add(1))(), [])
        Calls.calls = 0
        self.assertEqual((dt.Value(self.x) >> Gives([]) >> Calls())(), [])
        self.assertEqual(Calls.calls, 0)  # 2.0.1 calls no get on an empty list

    def test_a_list_of_one_is_that_image(self):
        out = (dt.Value(self.x) >> Gives([np.full(2, 3.0)]) >> dt.Add(1))()
        self.assertIsInstance(out, np.ndarray)
        self.assertEqual(out.tolist(), [4.0, 4.0])

    def test_ragged_items_are_images_of_their_own(self):
        out = (dt.Value(self.x) >> Gives([np.zeros((2, 2)), np.ones(3)]) >> dt.Add(1))()
        self.assertEqual(values(out), [[[1.0, 1.0]] * 2, [2.0, 2.0, 2.0]])

    def test_an_object_item_passes_on(self):
        out = (dt.Value(self.x) >> Gives([np.ones(2), {"a": 1}]))()
        self.assertEqual(out[0].tolist(), [1.0, 1.0])
        self.assertEqual(out[1], {"a": 1})

    def test_a_tuple_is_not_split(self):
        class Tup(dt.Feature):
            def get(self, image, **kwargs):
                return (image, image + 1)

        self.assertNotIsInstance((dt.Value(self.x) >> Tup())(), list)

    def test_chains_repeats_and_lambda(self):
        out = (dt.Value(self.x) >> Split() >> dt.Add(1) >> dt.Multiply(2))()
        self.assertEqual([o[0, 0] for o in out], [2.0, 4.0])
        # Each image's list, flattened in order (2.0.1 nests them: a deliberate difference).
        twice = (dt.Value(self.x) >> Split() >> Split())()
        self.assertEqual([o[0, 0] for o in twice], [0.0, 1.0, 1.0, 2.0])
        repeated = (dt.Value(self.x) >> (Split() ^ 2))()
        self.assertEqual([o[0, 0] for o in repeated], [0.0, 1.0, 1.0, 2.0])
        lam = (dt.Value(self.x) >> dt.Lambda(lambda: lambda im: [im, im + 1]) >> dt.Add(1))()
        self.assertEqual([o[0, 0] for o in lam], [1.0, 2.0])

    def test_two_inputs_give_their_items_in_order(self):
        # 2.0.1: [[x, x + 1], [x + 5, x + 6]], on which Add fails ("can only concatenate list").
        both = dt.Value(self.x) & dt.Value(self.x + 5)
        self.assertEqual([o[0, 0] for o in (both >> Split())()], [0.0, 1.0, 5.0, 6.0])
        self.assertEqual([o[0, 0] for o in (both >> Split() >> dt.Add(1))()], [1.0, 2.0, 6.0, 7.0])
        resolved = Split()([np.zeros(1), np.full(1, 5.0)])
        self.assertEqual([o[0] for o in resolved], [0.0, 1.0, 5.0, 6.0])

    def test_stored_properties(self):
        f = dt.Value(self.x) >> Split() >> dt.Add(1)
        f.store_properties()
        out = f()
        self.assertEqual(len(out), 2)
        for image in out:
            self.assertIsInstance(image, dt.Image)
            self.assertEqual([d["name"] for d in image.properties], ["Value", "Split", "Chain", "Add", "Chain"])
        f = dt.Value(self.x) >> dt.Add(1) >> Split() >> dt.Multiply(2)
        f.store_properties()
        names = ["Value", "Add", "Chain", "Split", "Chain", "Multiply", "Chain"]
        self.assertEqual([[d["name"] for d in i.properties] for i in f()], [names, names])

    def test_items_keep_their_dicts(self):
        # 2.0.1 wraps the stored list in one Image, whose items lose the tag (a deliberate difference).
        class Tagged(dt.Feature):
            def get(self, image, **kwargs):
                item = dt.Image(image + 1)
                item.append({"tag": 7})
                return [item, image]

        f = dt.Value(self.x) >> Tagged()
        f.store_properties()
        first, second = f()
        self.assertEqual(first.get_property("tag"), 7)
        self.assertEqual([d["name"] for d in first.properties if "name" in d], ["Value", "Tagged", "Chain"])
        self.assertIsNone(second.get_property("tag", default=None))

    def test_batches(self):
        f = dt.Value(lambda: np.random.rand(2)) >> Split() >> dt.Add(1)
        items = f.resolve_batch(3, seed=4)
        self.assertEqual([len(i) for i in items], [2, 2, 2])
        for a, b in items:
            np.testing.assert_allclose(b - a, 1.0)
        forked = f.resolve_batch(3, seed=4, processes=2)
        for mine, theirs in zip(items, forked):
            self.assertEqual(values(mine), values(theirs))


if __name__ == "__main__":
    unittest.main()
