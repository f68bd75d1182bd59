"""The built-in classes are generated at import from the library's registry of kinds: every kind is a
class with DeepTrack2's positional parameters and defaults, and parameters the library implements only
at their default refuse other values."""

import inspect
import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native import features


class RegistryClasses(unittest.TestCase):
    def test_every_kind_of_the_library_is_a_class(self):
        kinds = features.registry()
        self.assertGreaterEqual(len(kinds), 40)
        for kind in kinds:
            for name in [kind["name"], *kind["aliases"]]:
                cls = getattr(dt, name)
                self.assertTrue(issubclass(cls, dt.Feature), name)
            cls = getattr(dt, kind["name"])
            if cls in (dt.Chain, dt.Repeat, dt.Microscope):
                continue  # written by hand (Python-side behaviour)
            self.assertEqual(cls._kind, kind["name"])
            self.assertEqual(cls._module, kind["module"])
            self.assertIn(kind["doc"], cls.__doc__)
            positional = [
                p.name
                for p in inspect.signature(cls).parameters.values()
                # DeepTrack2's variadic parameters (TakeProperties' *names) are positional too.
                if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
            ]
            self.assertEqual(positional, kind["positional"], kind["name"])
        self.assertIn("AverageBlur", [k["name"] for k in kinds])
        self.assertIs(dt.Equal, dt.Equals)
        self.assertEqual(dt.Offset._module, "noises")

    def test_signatures_follow_deeptrack2(self):
        sig = inspect.signature(dt.Fluorescence)
        self.assertEqual(
            list(sig.parameters)[:10],
            ["NA", "wavelength", "magnification", "resolution", "refractive_index_medium", "padding",
             "output_region", "pupil", "illumination", "upscale"],
        )
        self.assertEqual(sig.parameters["NA"].default, 0.7)
        self.assertEqual(sig.parameters["output_region"].default, (0, 0, 128, 128))
        self.assertIs(inspect.signature(dt.FlipLR).parameters["augment"].default, None)
        self.assertEqual(inspect.signature(dt.Crop).parameters["crop_mode"].default, "retain")
        self.assertEqual(inspect.signature(dt.GaussianBlur).parameters["sigma"].default, 2.0)

    def test_positional_arguments_are_deeptrack2s(self):
        self.assertEqual(dt.GaussianBlur(1.5).sigma(), 1.5)
        optics = dt.Fluorescence(0.8, 5e-7, 12)
        self.assertEqual((optics.NA(), optics.wavelength(), optics.magnification()), (0.8, 5e-7, 12))
        self.assertEqual(dt.Clip(-1, 1).max(), 1)
        self.assertEqual(dt.Ellipse(2e-6, 0.5).rotation(), 0.5)

    def test_parameters_implemented_at_their_default_only(self):
        dt.Sphere(position_unit="pixel", upsample=1)
        dt.LoadImage(path="x.png", load_options=None)
        with self.assertRaisesRegex(NotImplementedError, "'load_options' is not implemented"):
            dt.LoadImage(path="x.png", load_options={"a": 1})

    def test_a_mie_scatterers_upsample_is_deprecated_and_changes_nothing(self):
        # As in DeepTrack2 2.0.1, where every scatterer takes it (Scatterer.__init__).
        optics = dt.Brightfield(output_region=(0, 0, 16, 16))
        plain = optics(dt.MieSphere(position=(8, 8)))()
        with self.assertWarnsRegex(Warning, "MieSphere: setting upsample != 1 is deprecated"):
            upsampled = optics(dt.MieSphere(position=(8, 8), upsample=2))()
        self.assertTrue(np.array_equal(np.asarray(plain), np.asarray(upsampled)))

    def test_a_volume_scatterers_upsample_is_deprecated_and_changes_nothing(self):
        # As in DeepTrack2 2.0.1: a warning, and the same volume.
        optics = dt.Fluorescence(output_region=(0, 0, 32, 32))
        plain = optics(dt.Sphere(position=(16.3, 15.6), radius=2e-6, intensity=50))()
        with self.assertWarnsRegex(Warning, "upsample != 1 is deprecated"):
            upsampled = optics(dt.Sphere(position=(16.3, 15.6), radius=2e-6, intensity=50, upsample=3))()
        self.assertTrue(np.array_equal(np.asarray(plain), np.asarray(upsampled)))

    def test_constants_are_checked_by_the_library(self):
        with self.assertRaisesRegex(dt.InvalidArgumentError, "exceeds the maximum of 1000000"):
            dt.GaussianBlur(sigma=2e6)
        with self.assertRaisesRegex(dt.InvalidArgumentError, "expected 'retain' or 'remove', got 'keep'"):
            dt.Crop(crop_mode="keep")


if __name__ == "__main__":
    unittest.main()
