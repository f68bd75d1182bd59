"""The mistakes a new user makes first are answered by messages that name the feature and the property
at fault and state the limit broken, with the exception class a Python user expects (README, "The C
API" and "Python")."""

import os
import subprocess
import sys
import unittest
import warnings

import numpy as np

import deeptrack_native as dt


def particle_in(optics, **particle):
    return optics(dt.PointParticle(**{"position": (16, 16), **particle}))


class FirstMistakes(unittest.TestCase):
    def assertFails(self, call, error, *texts):
        with self.assertRaises(error) as caught:
            call()
        for text in texts:
            self.assertIn(text, str(caught.exception))
        return caught.exception

    def test_a_misspelt_keyword_warns_naming_the_feature_and_its_parameters(self):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            dt.Fluorescence(NAA=0.8, output_region=(0, 0, 32, 32))
        (w,) = [w for w in caught if issubclass(w.category, dt.UnknownPropertyWarning)]
        self.assertIn("Fluorescence: 'NAA' is not one of its parameters (NA, illumination,", str(w.message))
        self.assertIn("a misspelt parameter?", str(w.message))

    @unittest.skipIf(sys.version_info < (3, 10), "Python suggests names from 3.10 on")
    def test_a_misspelt_kind_suggests_the_kind(self):
        # What the user sees: Python's own suggestion, shown with the traceback (the module has no
        # __getattr__ that would hide it).
        for typo, kind in [("PointParticel", "PointParticle"), ("gaussian", "Gaussian")]:
            shown = subprocess.run(
                [sys.executable, "-c", f"import deeptrack_native as dt; dt.{typo}"],
                capture_output=True,
                text=True,
                env=os.environ,
            ).stderr
            self.assertIn(f"AttributeError: module 'deeptrack_native' has no attribute '{typo}'", shown)
            self.assertIn(f"Did you mean: '{kind}'?", shown)

    def test_a_string_where_a_number_goes(self):
        error = self.assertFails(
            lambda: dt.Fluorescence(NA="high"),
            dt.DeepTrackError,
            "property 'NA' of feature 'Fluorescence': expected a number, got a string",
        )
        self.assertIsInstance(error, TypeError)

    def test_a_list_where_a_number_goes(self):
        self.assertFails(
            lambda: dt.FlipLR(p=[1, 2, 3]),
            TypeError,
            "property 'p' of feature 'FlipLR': expected a number, got a list",
        )

    def test_a_negative_size(self):
        self.assertFails(
            lambda: dt.Fluorescence(output_region=(0, 0, -32, 32)),
            ValueError,
            "property 'output_region' of feature 'Fluorescence': expected (x0, y0, x1, y1) with x1 > x0 and y1 > y0, got (0, 0, -32, 32)",
        )
        self.assertFails(
            lambda: dt.Sphere(radius=-1e-6),
            ValueError,
            "property 'radius' of feature 'Sphere': expected a positive number, got -0.000001",
        )
        self.assertFails(
            lambda: dt.math.Resize(dsize=(-3, 4)),
            ValueError,
            "property 'dsize' of feature 'Resize': expected a positive integer, got -3",
        )

    def test_sizes_beyond_a_limit_state_it(self):
        self.assertFails(
            lambda: particle_in(dt.Fluorescence(output_region=(0, 0, 10**9, 10**9)))(),
            ValueError,
            "property 'output_region' of feature 'Fluorescence': the region spans 1000000000 pixels along axis 0, which exceeds the maximum of 6561",
        )
        self.assertFails(
            lambda: (dt.PointParticle(position=(1, 1)) ^ 2_000_000)(),
            ValueError,
            "property 'N' of feature 'Repeat': 2000000 exceeds the maximum of 1000000",
        )

    def test_a_string_position(self):
        self.assertFails(
            lambda: dt.PointParticle(position="center"),
            TypeError,
            "property 'position' of feature 'PointParticle': expected a number, an array or a list of numbers, got a string",
        )

    def test_a_position_of_the_wrong_length(self):
        self.assertFails(
            lambda: particle_in(dt.Fluorescence(output_region=(0, 0, 32, 32)), position=(1, 2, 3, 4))(),
            ValueError,
            "property 'position' of feature 'PointParticle': expected 2 or 3 numbers, got 4",
        )

    def test_a_numerical_aperture_that_is_not_positive(self):
        self.assertFails(
            lambda: dt.Brightfield(NA=0), ValueError, "property 'NA' of feature 'Brightfield': expected a positive number, got 0"
        )

    def test_a_numerical_aperture_above_the_mediums_index_is_imaged_as_deeptrack2_does(self):
        # Not a mistake in DeepTrack2's model: the pupil's components beyond the medium's index are
        # evanescent and dropped (Optics._pupil zeroes their defocus), as the library does; no error.
        image = particle_in(dt.Fluorescence(NA=1.4, refractive_index_medium=1.33, output_region=(0, 0, 32, 32)))()
        self.assertTrue(np.isfinite(np.asarray(image)).all())
        self.assertGreater(float(np.asarray(image).max()), 0)

    def test_an_input_that_is_not_numbers(self):
        self.assertFails(
            lambda: dt.Add(value=1)("image"),
            TypeError,
            "the input image: arrays of <U5 are not supported (libdeeptrack holds real numbers)",
        )

    def test_too_many_positional_arguments(self):
        self.assertFails(lambda: dt.Add(1, 2, 3), TypeError, "Add() takes at most 1 positional arguments (value), got 3")


if __name__ == "__main__":
    unittest.main()
