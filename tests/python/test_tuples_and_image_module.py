"""Tuples stay tuples through the library (a property set as ``(128, 128)`` reads back as ``(128, 128)``,
as in DeepTrack2), and what ``deeptrack.image`` 2.0.1 exposes besides ``Image``: ``Image._view``,
``pad_image_to_fft``, ``coerce``, ``maybe_cupy``, ``strip``."""

import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native import image

# This module's rules draw from np.random; the draws of the modules after it stay as without it.
_STATE = []


def setUpModule():
    _STATE.append(np.random.get_state())


def tearDownModule():
    np.random.set_state(_STATE.pop())



class Particle(dt.Feature):
    def get(self, img, position=None, **kwargs):
        return img


class TupleTest(unittest.TestCase):
    def test_a_tuple_property_reads_back_as_a_tuple_everywhere(self):
        particle = Particle(position=(128, 128))
        self.assertEqual(particle.position(), (128, 128))
        self.assertIsInstance(particle.position(), tuple)
        self.assertEqual(particle.properties["position"](), (128, 128))
        particle.store_properties()
        out = particle.resolve(image.Image(np.zeros((4, 4))))
        self.assertIsInstance(out.get_property("position"), tuple)
        self.assertEqual(out.properties[0]["position"], (128, 128))
        self.assertEqual(out.get_property("position", get_one=False), [(128, 128)])

    def test_lists_stay_lists_and_nesting_is_kept(self):
        self.assertEqual(Particle(position=[1, 2]).position(), [1, 2])
        self.assertIsInstance(Particle(position=[1, 2]).position(), list)
        nested = Particle(position=[(1, 2), [3, (4,)]]).position()
        self.assertEqual(nested, [(1, 2), [3, (4,)]])
        self.assertIsInstance(nested[1][1], tuple)
        self.assertEqual(Particle(position=()).position(), ())

    def test_a_callable_giving_a_tuple_and_a_dependent_rule_see_a_tuple(self):
        particle = Particle(position=lambda: (3, 4), size=lambda position: type(position).__name__)
        self.assertEqual(particle.position(), (3, 4))
        self.assertEqual(particle.size(), "tuple")

    def test_a_tuple_computes_as_a_list(self):
        ones = np.ones((2, 2))
        by_tuple = np.asarray(dt.Pad(px=(1, 0, 0, 0))(ones))
        by_list = np.asarray(dt.Pad(px=[1, 0, 0, 0])(ones))
        np.testing.assert_array_equal(by_tuple, by_list)
        self.assertEqual(by_tuple.shape, (3, 2))
        self.assertEqual(dt.Pad(px=(1, 0, 0, 0)).px(), (1, 0, 0, 0))

    def test_set_value_from_a_list_to_the_equal_tuple_is_a_change(self):
        particle = Particle(position=[1, 2])
        particle.position.set_value((1, 2))
        self.assertEqual(particle.position(), (1, 2))
        self.assertIsInstance(particle.position(), tuple)


class ImageModuleTest(unittest.TestCase):
    def test_view_unwraps_images_and_converts_numbers_and_lists(self):
        im = image.Image(np.zeros(2))
        for value in ([1, 2], 3, 0.5, True, np.ones((2, 1))):
            np.testing.assert_array_equal(im._view(value), np.array(value))
            self.assertIsInstance(im._view(value), np.ndarray)
        np.testing.assert_array_equal(im._view(image.Image([4, 5])), [4, 5])
        self.assertIsInstance(im._view(image.Image(image.Image([4]))), np.ndarray)
        self.assertEqual(im._view("text"), "text")
        self.assertEqual(im._view(1j), 1j)

    def test_pad_image_to_fft(self):
        self.assertEqual(image.pad_image_to_fft(np.zeros((7, 25))).shape, (8, 27))
        self.assertEqual(image.pad_image_to_fft(np.zeros((300, 400))).shape, (324, 432))
        self.assertEqual(image.pad_image_to_fft(np.zeros((5, 11, 7)), axes=(2,)).shape, (5, 11, 8))
        padded = image.pad_image_to_fft(image.Image(np.ones((3, 5))))
        self.assertIsInstance(padded, image.Image)
        np.testing.assert_array_equal(np.asarray(padded)[:3, :5], np.ones((3, 5)))
        self.assertEqual(float(np.asarray(padded).sum()), 15.0)
        with self.assertRaisesRegex(ValueError, "length 7000, which exceeds the largest FFT size of 6561"):
            image.pad_image_to_fft(np.zeros((7000, 2)))

    def test_fastest_sizes_coerce_maybe_cupy_strip(self):
        self.assertEqual(list(image._FASTEST_SIZES[:10]), [0, 1, 2, 3, 4, 6, 8, 9, 12, 16])
        self.assertEqual(int(image._FASTEST_SIZES[-1]), 6561)
        images = image.coerce([np.zeros(2), image.Image([1])])
        self.assertTrue(all(isinstance(i, image.Image) for i in images))
        a = np.zeros(3)
        self.assertIs(image.maybe_cupy(a), a)
        self.assertEqual(image.strip((image.Image(1), [image.Image(2)]))[1][0], 2)
        self.assertIsInstance(image.strip((image.Image(1), 2)), tuple)


if __name__ == "__main__":
    unittest.main()
