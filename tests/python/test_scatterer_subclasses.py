"""Python subclasses of the built-in scatterers that override ``get`` (DeepTrack2's tutorial DTEx231B:
``class Annulus(dt.Ellipse)`` whose ``get`` calls ``super().get(...)`` and ``dt.Affine(...)(image)``).

The subclasses of ``tests/fixtures/subclasses.py`` imaged by Fluorescence and Brightfield must give
DeepTrack2 2.0.1's images (``deeptrack-2.0.1/subclasses/``, made by that script with DeepTrack2); the
rest pins down what the override receives and returns, the tutorial's class as written, its pipeline,
and the errors.
"""

import importlib.util
import os
import pickle
import unittest

import numpy as np

import deeptrack_native as dt

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")
_spec = importlib.util.spec_from_file_location("subclasses", os.path.join(FIXTURES, "subclasses.py"))
subclasses = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(subclasses)


class TutorialAnnulus(dt.Ellipse):
    """DTEx231B's class as written (its Affine on the volume itself)."""

    __conversion_table__ = dt.ConversionTable(
        outer_radius=(dt.units.pixel, dt.units.pixel),
        inner_radius=(dt.units.pixel, dt.units.pixel),
    )

    def get(self, *inp, inner_radius, radius, **kwargs):
        im0 = super().get(*inp, radius=radius, **kwargs)
        reduced = dt.Affine(scale=inner_radius / radius, mode="constant")(im0)
        return im0 - reduced


class Recorder(dt.Ellipse):
    """Keeps what get receives and what super().get returns."""

    def get(self, image, **kwargs):
        volume = super().get(image, **kwargs)
        self.__dict__.setdefault("calls", []).append((image, dict(kwargs), volume))
        return volume


class DeepTrack2Images(unittest.TestCase):
    def test_the_subclasses_image_as_deeptrack2(self):
        cases = subclasses.cases(dt)
        self.assertEqual(len(cases), 5)
        for name, build in cases.items():
            with self.subTest(name):
                expected = np.load(os.path.join(FIXTURES, "deeptrack-2.0.1", "subclasses", f"{name}.npy"))
                out = subclasses.array(build()())
                self.assertEqual(out.shape, expected.shape)
                peak = np.abs(expected).max()
                self.assertGreater(peak, 0)
                np.testing.assert_allclose(out, expected, rtol=0, atol=1e-6 * peak)


class WhatGetReceives(unittest.TestCase):
    def test_the_properties_deeptrack2_passes(self):
        e = Recorder(radius=1.2e-6, position=(30.3, 33.6), intensity=2.0)
        dt.Fluorescence(output_region=(0, 0, 64, 64), upscale=2)(e)()
        (image, kwargs, volume), = e.calls
        self.assertEqual(image, [])  # DeepTrack2 computes a scatterer from an empty list
        self.assertEqual(kwargs["voxel_size"], (5e-8, 5e-8, 5e-8))
        self.assertEqual(kwargs["pixel_size"], 1e-7)
        np.testing.assert_array_equal(kwargs["radius"], [1.2e-6, 1.2e-6])  # Ellipse: two radii
        self.assertIsInstance(kwargs["position"], np.ndarray)
        np.testing.assert_array_equal(kwargs["position"], [30.3, 33.6])
        for key, value in {"z": 0.0, "value": 1.0, "intensity": 2.0, "rotation": 0, "transpose": False,
                           "upsample": 1, "position_unit": "pixel", "name": "Recorder"}.items():
            self.assertEqual(kwargs[key], value, key)
        # super().get: a writable float64 ndarray, the built-in's whole grid (2 * ceil(24) a side).
        self.assertIs(type(volume), np.ndarray)
        self.assertEqual((volume.shape, volume.dtype), ((48, 48, 1), np.float64))
        self.assertTrue(volume.flags.writeable)
        self.assertTrue(np.all(volume[0] == 0) and np.all(volume[:, 0] == 0))

    def test_outside_a_microscope_deeptrack2s_default_units(self):
        e = Recorder(radius=2e-6)
        e.store_properties(True)
        out = e.resolve()
        self.assertEqual(e.calls[0][1]["voxel_size"], (1e-6, 1e-6, 1e-6))
        self.assertEqual(e.calls[0][2].shape, (4, 4, 1))
        # The volume cropped of its empty slices, with the scatterer's dict.
        self.assertEqual(np.asarray(out).shape, (3, 3, 1))
        self.assertEqual(out.get_property("name"), "Recorder")

    def test_the_builtin_get_called_directly(self):
        volume = dt.Sphere().get([], radius=5e-7, voxel_size=(1e-7, 1e-7, 1e-7))
        self.assertEqual(volume.shape, (10, 10, 10))
        point = dt.PointParticle().get([], voxel_size=(5e-8,) * 3, pixel_size=1e-7)
        np.testing.assert_array_equal(point, np.full((1, 1, 1), 8.0))


class TheTutorialsAnnulus(unittest.TestCase):
    def test_as_written_it_images_as_with_a_copy(self):
        # DeepTrack2 2.0.1's Affine overwrites im0 (its image is then empty); here Affine leaves its
        # input alone, so the class as written gives what it gives with im0.copy(): the fixture
        # annulus_tutorial_units, DeepTrack2's image of that.
        annulus = TutorialAnnulus(radius=12 * dt.units.px, inner_radius=8 * dt.units.px, position=(31.2, 32.7))
        out = np.asarray(dt.Fluorescence(output_region=(0, 0, 64, 64))(annulus)())
        expected = np.load(os.path.join(FIXTURES, "deeptrack-2.0.1", "subclasses", "annulus_tutorial_units.npy"))
        np.testing.assert_allclose(out, expected, rtol=0, atol=1e-6 * np.abs(expected).max())

    def test_its_pipeline_runs(self):
        arguments = dt.Arguments(
            particle_shape="annulus",
            position=lambda: np.random.uniform(27, 37, 2),
            snr=lambda: np.random.uniform(2, 20),
        )
        optics = dt.Fluorescence(output_region=(0, 0, 64, 64))
        annulus = subclasses.classes(dt)["Annulus"](
            radius=12 * dt.units.px, inner_radius=8 * dt.units.px, position=arguments.position
        )
        particle = dt.OneOfDict(
            dict(annulus=annulus, point=dt.PointParticle(position=arguments.position)), key=arguments.particle_shape
        )
        pipeline = (
            optics(particle)
            >> dt.NormalizeMinMax()
            >> dt.Affine(rotate=lambda: np.random.uniform(0, 2 * np.pi))
            >> dt.Add(0.1)
            >> dt.Poisson(snr=arguments.snr)
        ).bind_arguments(arguments)
        pipeline.store_properties(True)
        np.random.seed(3)
        sample = pipeline.update()(snr=10)
        self.assertEqual(np.asarray(sample).shape, (64, 64, 1))
        self.assertTrue(np.all(np.isfinite(sample)))
        position = sample.get_property("position")
        self.assertTrue(np.all((np.asarray(position) >= 27) & (np.asarray(position) <= 37)), position)
        self.assertEqual(sample.get_property("inner_radius"), 8)

    def test_a_subclass_pickles(self):
        a = Recorder(radius=1e-6, position=(20, 20))
        b = pickle.loads(pickle.dumps(a))
        optics = dt.Fluorescence(output_region=(0, 0, 40, 40))
        np.testing.assert_array_equal(np.asarray(optics(a)()), np.asarray(optics(b)()))


class Errors(unittest.TestCase):
    def test_a_get_override_of_a_kind_without_volume_is_refused(self):
        # An image kind's subclass computes with its get (test_kind_subclasses); the optics' do not.
        class Optics(dt.Fluorescence):
            def get(self, image, **kwargs):
                return image

        with self.assertRaisesRegex(TypeError, "overrides get\\(\\) of the built-in Fluorescence"):
            Optics()

        class Mie(dt.MieSphere):
            def get(self, image, **kwargs):
                return image

        with self.assertRaisesRegex(TypeError, "overrides get\\(\\) of the built-in MieSphere"):
            Mie()

    def test_a_bad_volume_is_an_error_naming_the_kind(self):
        class Flat(dt.Sphere):
            def get(self, image, **kwargs):
                return np.ones((3, 3))

        class Nothing(dt.Sphere):
            def get(self, image, **kwargs):
                return None

        optics = dt.Fluorescence(output_region=(0, 0, 32, 32))
        with self.assertRaisesRegex(dt.errors.DeepTrackError, r"Sphere: get returned shape \[3, 3\]; a scatterer's volume is a real 3-D array"):
            optics(Flat())()
        with self.assertRaisesRegex(Exception, "Nothing.get returned None"):
            optics(Nothing())()

    def test_the_kinds_checks_apply(self):
        with self.assertRaisesRegex(Exception, "radius"):
            Recorder(radius=-1e-6)


if __name__ == "__main__":
    unittest.main()
