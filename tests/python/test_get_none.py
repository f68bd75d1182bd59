"""A custom feature whose ``get`` returns None gives no image, as DeepTrack2 2.0.1's (the library's
``DEEPTRACK_STATUS_NO_IMAGE``). The results are 2.0.1's (each checked against it): resolved on one
image, None when the pipeline ends with that feature, ``[]`` when other features follow it (2.0.1
gives them an empty list: they compute nothing, and a custom ``get`` is not called); resolved on a list
with that feature last, the list holds None in those places. When features follow it on a list, the
images it gave none for are left out and the others computed (2.0.1 hands the Nones on and fails: a
deliberate difference)."""

import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native import _lib


class NoReturn(dt.Feature):
    def get(self, image, **kwargs):
        pass


class DropBig(dt.Feature):
    """None for an image whose sum exceeds ``limit``, else the image doubled."""

    def __init__(self, limit=5, **kwargs):
        super().__init__(limit=limit, **kwargs)

    def get(self, image, limit, **kwargs):
        return None if image.sum() > limit else image * 2


class GetReturningNone(unittest.TestCase):
    def test_one_image_gives_none(self):
        self.assertIsNone(NoReturn().resolve(np.zeros(3)))
        self.assertIsNone(NoReturn()(np.ones((2, 2))))
        self.assertIsNone(NoReturn()([np.ones(2)]))  # a list of one is one image, as in DeepTrack2

    def test_without_input_nothing(self):
        self.assertEqual(NoReturn()(), [])

    def test_a_list_holds_none_in_place_of_the_images_given_none(self):
        out = DropBig()([np.ones(2), np.full(3, 9.0), np.full(4, 1.0)])
        self.assertEqual(len(out), 3)
        self.assertEqual(out[0].tolist(), [2.0, 2.0])
        self.assertIsNone(out[1])
        self.assertEqual(out[2].tolist(), [2.0] * 4)
        self.assertEqual(DropBig()([np.full(2, 9.0), np.full(2, 8.0)]), [None, None])
        one = DropBig()([np.full(2, 9.0), np.ones(1)])
        self.assertIsNone(one[0])
        self.assertEqual(one[1].tolist(), [2.0])
        chained = (dt.Add(value=0) >> DropBig())([np.ones(2), np.full(2, 9.0)])  # last of a chain
        self.assertEqual([None if o is None else o.tolist() for o in chained], [[2.0, 2.0], None])

    def test_followed_by_other_features_on_one_image_gives_an_empty_list(self):
        x = np.ones((2, 2))
        self.assertEqual((NoReturn() >> dt.Add(value=1))(x), [])
        self.assertEqual((NoReturn() >> dt.Add(value=1) >> dt.Multiply(value=2))(x), [])
        self.assertEqual((dt.Add(value=1) >> NoReturn() >> dt.Add(value=1))(x), [])
        self.assertIsNone((dt.Add(value=1) >> NoReturn())(x))
        self.assertEqual((NoReturn() + 1)(x), [])
        self.assertEqual((NoReturn() + dt.Value(value=2))(x), [])
        self.assertEqual((NoReturn() ^ 2)(x), [])
        self.assertEqual((NoReturn() >> NoReturn())(x), [])

    def test_a_custom_get_after_no_image_is_not_called(self):
        calls = []

        class Record(dt.Feature):
            def get(self, image, **kwargs):
                calls.append(None if image is None else np.asarray(image).shape)
                return np.zeros(3)

        self.assertEqual((NoReturn() >> Record())(np.ones(2)), [])
        self.assertEqual(calls, [])
        # Without a get giving no image, a custom feature resolved without input still computes
        # (a deliberate difference: README).
        self.assertEqual(Record()().shape, (3,))
        self.assertEqual(calls, [None])

    def test_stacked(self):
        x = np.ones((2, 2))
        self.assertEqual((NoReturn() & dt.Value(value=3))(x), 3)
        self.assertEqual((dt.Value(value=3) & NoReturn())(x), 3)
        self.assertEqual((NoReturn() & NoReturn())(x), [])
        self.assertEqual((NoReturn() & dt.Add(value=1))(x), [])

    def test_a_cached_result_is_the_same(self):
        for pipeline in (NoReturn(), dt.Add(value=1) >> NoReturn()):
            x = np.ones(2)
            self.assertIsNone(pipeline(x))
            self.assertIsNone(pipeline(x))  # found cached: no get called
            self.assertIsNone(pipeline.update()(x))
        pipeline = NoReturn() >> dt.Add(value=1)
        x = np.ones(2)
        self.assertEqual(pipeline(x), [])
        self.assertEqual(pipeline(x), [])
        images = [np.ones(2), np.full(2, 9.0)]
        f = DropBig()
        first = f(images)
        again = f(images)
        self.assertIsNone(again[1])
        self.assertEqual(again[0].tolist(), first[0].tolist())

    def test_resolve_batch_items_as_resolve_gives_them(self):
        x = np.ones((2, 2))
        self.assertEqual((dt.Value(value=x) >> NoReturn()).resolve_batch(3, seed=1), [None] * 3)
        self.assertEqual((dt.Value(value=x) >> NoReturn() >> dt.Add(value=1)).resolve_batch(2, seed=1), [[], []])
        f = dt.Value(value=lambda: np.full(2, float(np.random.choice([1, 9])))) >> DropBig()
        items = f.resolve_batch(40, seed=5)
        self.assertEqual({None if i is None else tuple(i.tolist()) for i in items}, {None, (2.0, 2.0)})
        self.assertEqual([i is None for i in items], [i is None for i in f.resolve_batch(40, seed=5)])
        forked = f.resolve_batch(40, seed=5, processes=2)
        self.assertEqual([i is None for i in forked], [i is None for i in items])

    def test_a_resolve_inside_a_get_has_its_own_results(self):
        inner = NoReturn()

        class Outer(dt.Feature):
            def get(self, image, **kwargs):
                self.seen = inner(image)
                return image + 1

        class Generate(dt.Feature):
            def get(self, image, **kwargs):
                return np.zeros(1) if image is None else image

        outer = Outer()
        # The no image of the resolve inside Outer's get is not the outer resolve's: Generate, resolved
        # without input after it, still computes.
        out = (outer & Generate())(np.ones(2))
        self.assertIsNone(outer.seen)
        self.assertEqual([o.tolist() for o in out], [[2.0, 2.0], [0.0]])

    def test_later_features_compute_the_others_only_on_a_list(self):
        # 2.0.1 hands them the Nones and fails (a TypeError): a deliberate difference.
        pipeline = DropBig() >> dt.Add(value=10)
        out = pipeline([np.ones(2), np.full(2, 9.0), np.full(2, 2.0)])
        self.assertEqual([o.tolist() for o in out], [[12.0, 12.0], [14.0, 14.0]])
        self.assertEqual(pipeline([np.full(2, 9.0), np.full(2, 7.0)]), [])

    def test_stored_properties_of_the_images_kept(self):
        f = DropBig(limit=4)
        f.store_properties()
        images = [dt.Image(np.ones(2)), dt.Image(np.full(2, 9.0)), dt.Image(np.full(2, 2.0))]
        out = f(images)
        self.assertEqual(len(out), 3)
        self.assertIsNone(out[1])
        for image in (out[0], out[2]):
            self.assertEqual(image.get_property("limit"), 4)
            self.assertEqual(len(image.properties), 1)

    def test_the_status_is_the_librarys(self):
        self.assertEqual(_lib.NO_IMAGE, 14)
        self.assertEqual(_lib.status_name(_lib.NO_IMAGE), "DEEPTRACK_STATUS_NO_IMAGE")


if __name__ == "__main__":
    unittest.main()
