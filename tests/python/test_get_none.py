"""A custom feature whose ``get`` returns None gives no image, as DeepTrack2 2.0.1's (the library's
``DEEPTRACK_STATUS_NO_IMAGE``): resolved on one image the result is None (DeepTrack2's), resolved
on a list the images it returned None for are left out (DeepTrack2 keeps them as Nones, which no
later feature can compute with: a deliberate difference), and what follows it in a pipeline computes
the others only."""

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

    def test_a_list_keeps_the_other_images_in_order(self):
        out = DropBig()([np.ones(2), np.full(3, 9.0), np.full(4, 1.0)])
        self.assertEqual([o.tolist() for o in out], [[2.0, 2.0], [2.0] * 4])
        self.assertEqual(DropBig()([np.full(2, 9.0), np.full(2, 8.0)]), [])
        one = DropBig()([np.full(2, 9.0), np.ones(1)])
        self.assertEqual(one.tolist(), [2.0])  # one image left: unwrapped, as any list of one

    def test_the_property_decides_per_sample(self):
        f = DropBig(limit=lambda: np.random.choice([0, 100]))
        seen = set()
        for _ in range(30):
            out = f.update()(np.ones(2))
            seen.add(None if out is None else tuple(out.tolist()))
        self.assertEqual(seen, {None, (2.0, 2.0)})

    def test_later_features_compute_the_others_only(self):
        pipeline = DropBig() >> dt.Add(value=10)
        out = pipeline([np.ones(2), np.full(2, 9.0), np.full(2, 2.0)])
        self.assertEqual([o.tolist() for o in out], [[12.0, 12.0], [14.0, 14.0]])
        self.assertEqual(pipeline([np.full(2, 9.0), np.full(2, 7.0)]), [])

    def test_stored_properties_of_the_images_kept(self):
        f = DropBig(limit=4)
        f.store_properties()
        images = [dt.Image(np.ones(2)), dt.Image(np.full(2, 9.0)), dt.Image(np.full(2, 2.0))]
        out = f(images)
        self.assertEqual(len(out), 2)
        for image in out:
            self.assertEqual(image.get_property("limit"), 4)
            self.assertEqual(len(image.properties), 1)

    def test_the_status_is_the_librarys(self):
        self.assertEqual(_lib.NO_IMAGE, 14)
        self.assertEqual(_lib.status_name(_lib.NO_IMAGE), "DEEPTRACK_STATUS_NO_IMAGE")


if __name__ == "__main__":
    unittest.main()
