"""Augmentations against DeepTrack2 2.0.1, for the classes of difference that differential testing of
the augmentations and structural features found (session 32): positions held as a list of points,
Affine's dict form of its pairs, and the numpy type of TakeProperties' arrays. Every expected value below is what deeptrack 2.0.1 gives for the same pipeline."""

import unittest
import warnings

import numpy as np

import deeptrack_native as dt

# The same two points in the forms a user writes them (2.0.1 moves each as np.array(position)).
POINTS = {
    "list of arrays": lambda: [np.array([2.0, 3.0]), np.array([4.5, 1.0])],
    "nested lists": lambda: [[2.0, 3.0], [4.5, 1.0]],
    "nested tuples": lambda: ((2.0, 3.0), (4.5, 1.0)),
}

# (augmentation, positions moved by 2.0.1 from the points above in a (9, 10) image).
MOVED = [
    (lambda: dt.FlipLR(p=1), [[2.0, 6.0], [4.5, 8.0]]),
    (lambda: dt.FlipUD(p=1), [[6.0, 3.0], [3.5, 1.0]]),
    (lambda: dt.FlipDiagonal(p=1), [[3.0, 2.0], [1.0, 4.5]]),
    (
        lambda: dt.Affine(rotate=0.2, scale=1.1),
        [[2.24188943868572, 2.2975128690628503], [5.3741450554982695, 0.6877070574985371]],
    ),
    (lambda: dt.Crop(crop=(4, 4), corner=(1, 1)), [[1.0, 2.0], [3.5, 0.0]]),
    (lambda: dt.CropToMultiplesOf(multiple=4, corner=(1, 1)), [[1.0, 2.0], [3.5, 0.0]]),
]


def first_position(augmentation, position):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dt.UnknownPropertyWarning)  # position: a Value's metadata
        value = dt.Value(value=np.zeros((9, 10)), position=position)
    pipeline = value >> augmentation
    pipeline.store_properties()
    return pipeline.resolve().properties[0]["position"]


class TestListsOfPoints(unittest.TestCase):
    def test_every_point_of_a_list_moves(self):
        for make, expected in MOVED:
            for form, points in POINTS.items():
                with self.subTest(augmentation=type(make()).__name__, form=form):
                    moved = first_position(make(), points())
                    self.assertIsInstance(moved, np.ndarray)  # 2.0.1: the array numpy makes of it
                    np.testing.assert_allclose(moved, expected, rtol=1e-12, atol=1e-12)

    def test_a_third_coordinate_stays(self):
        # 2.0.1: FlipLR of [[2, 3, 1], [4.5, 1, 2]] is [[2, 6, 1], [4.5, 8, 2]].
        moved = first_position(dt.FlipLR(p=1), [[2.0, 3.0, 1.0], [4.5, 1.0, 2.0]])
        np.testing.assert_array_equal(moved, [[2.0, 6.0, 1.0], [4.5, 8.0, 2.0]])

    def test_the_input_keeps_its_points(self):
        points = [[2.0, 3.0], [4.5, 1.0]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dt.UnknownPropertyWarning)
            value = dt.Value(value=np.zeros((9, 10)), position=points)
        pipeline = value >> dt.FlipLR(p=1)
        pipeline.store_properties()
        pipeline.resolve()
        self.assertEqual(points, [[2.0, 3.0], [4.5, 1.0]])


def bright_pixels(feature, image):
    feature.store_properties()
    out = feature.resolve(image)
    return np.argwhere(np.asarray(out) > 0.5).tolist(), out.properties[0]


class TestAffineDicts(unittest.TestCase):
    def image(self):
        x = np.zeros((9, 10))
        x[3, 4] = 1
        return x

    def test_scale_as_a_dict(self):
        # 2.0.1: the pixel stays at [3, 4], the dict records scale (1.2, 0.9).
        pixels, props = bright_pixels(dt.Affine(scale={"x": 1.2, "y": 0.9}, order=0), self.image())
        self.assertEqual(pixels, [[3, 4]])
        self.assertEqual(props["scale"], (1.2, 0.9))

    def test_translate_and_translate_px_as_dicts(self):
        # 2.0.1: x moves columns, y rows: [3, 4] to [6, 5]; translate recorded as (1, 3).
        for key in ("translate", "translate_px"):
            with self.subTest(key=key):
                affine = dt.Affine(**{key: {"x": 1, "y": 3}}, order=0)
                pixels, props = bright_pixels(affine, self.image())
                self.assertEqual(pixels, [[6, 5]])
                self.assertEqual(props["translate"], (1, 3))

    def test_dicts_of_callables_and_callables_returning_dicts(self):
        # 2.0.1: scale (1.5, 1) moves the pixel to [2, 4], sampled at every update.
        for scale in ({"x": lambda: 1.5, "y": 1}, lambda: {"x": 1.5, "y": 1}):
            with self.subTest(scale=scale):
                pixels, props = bright_pixels(dt.Affine(scale=scale, order=0), self.image())
                self.assertEqual(pixels, [[2, 4]])
                self.assertEqual(props["scale"], (1.5, 1))

    def test_a_callable_keeps_the_properties_it_names(self):
        affine = dt.Affine(scale=lambda rotate: {"x": 1.5 + rotate, "y": 1}, rotate=0.0, order=0)
        pixels, props = bright_pixels(affine, self.image())
        self.assertEqual(pixels, [[2, 4]])
        self.assertEqual(props["scale"], (1.5, 1))

    def test_a_dict_without_both_keys_is_refused(self):
        with self.assertRaises(TypeError):  # 2.0.1: KeyError 'y'
            dt.Affine(scale={"x": 1.2}).resolve(self.image())


class TestTakePropertiesTypes(unittest.TestCase):
    def taken(self, feature, name):
        out = dt.TakeProperties(feature, name).resolve(np.zeros((3, 3)))
        return np.asarray(out[-1])

    def test_the_type_numpy_makes_of_the_values(self):
        # 2.0.1: np.array of the values: int64 for integers, bool for bools, float64 as soon as one
        # value is a float (the values' order is the library's, README).
        cases = [
            (lambda: dt.Add(value=1), "value", np.int64, [1]),
            (lambda: dt.Add(value=1.5), "value", np.float64, [1.5]),
            (lambda: dt.Add(value=True), "value", np.bool_, [True]),
            (lambda: dt.Add(value=1) >> dt.Add(value=True), "value", np.int64, [1, 1]),
            (lambda: dt.DummyFeature(p=[1, 2]), "p", np.int64, [[1, 2]]),
            (lambda: dt.DummyFeature(p=np.array([1, 2])), "p", np.int64, [[1, 2]]),
            (lambda: dt.DummyFeature(p=np.array([True, False])), "p", np.bool_, [[True, False]]),
            (lambda: dt.DummyFeature(p=np.array([1.0, 2])), "p", np.float64, [[1.0, 2.0]]),
        ]
        for make, name, dtype, expected in cases:
            with self.subTest(expected=expected, dtype=dtype):
                taken = self.taken(make(), name)
                self.assertEqual(taken.dtype, dtype)
                self.assertEqual(taken.tolist(), expected)

    def test_integers_mixed_with_floats_are_floats(self):
        taken = self.taken(dt.Add(value=1) >> dt.Add(value=2.5), "value")
        self.assertEqual(taken.dtype, np.float64)
        self.assertEqual(sorted(taken.tolist()), [1.0, 2.5])


if __name__ == "__main__":
    unittest.main()
