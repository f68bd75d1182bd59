"""Optics and scatterer properties that cannot give a finite image, or sizes beyond their limits: each is
an error naming the property and its feature (and the limit); extreme values that can be imaged render."""

import unittest

import numpy as np

import deeptrack_native as dt

REGION = (0, 0, 32, 32)


def fluorescence(**props):
    return dt.Fluorescence(**dict(dict(NA=0.8, wavelength=680e-9, output_region=REGION), **props))


def brightfield(**props):
    defaults = dict(NA=0.7, wavelength=532e-9, resolution=1e-7, magnification=1, output_region=REGION)
    return dt.Brightfield(**dict(defaults, **props))


def sphere(**props):
    return dt.Sphere(**dict(dict(position=(16, 16), radius=3e-7), **props))


class Unrenderable(unittest.TestCase):
    def fails(self, optics, sample, error, text):
        with self.assertRaises(error) as cm:
            optics(sample).resolve()
        self.assertIn(text, str(cm.exception))

    def test_the_scatterers_contrast_is_named(self):
        self.fails(fluorescence(), sphere(intensity=1e308), dt.InvalidArgumentError,
                   "property 'intensity' of feature 'Sphere': the image overflows")
        self.fails(fluorescence(upscale=2), sphere(intensity=1e308), dt.InvalidArgumentError,
                   "property 'intensity' of feature 'Sphere': the intensity times the upscale fudge factor")
        self.fails(fluorescence(), sphere(value=-1e308), dt.InvalidArgumentError, "property 'value' of feature 'Sphere'")
        self.fails(brightfield(), sphere(refractive_index=1.7e308), dt.InvalidArgumentError,
                   "property 'refractive_index' of feature 'Sphere': the refraction phase per voxel")

    def test_the_optics_numbers_are_named(self):
        for optics, contrast in ((fluorescence, {"intensity": 100}), (brightfield, {"refractive_index": 1.45})):
            name = optics().__class__.__name__
            for key, value, what in (
                ("refractive_index_medium", 1e300, "the wavenumber per simulation voxel"),
                ("wavelength", 1e-308, "the wavenumber per simulation voxel"),
                ("resolution", 1e300, "the wavenumber per simulation voxel"),
                ("magnification", 1e308, "the simulation voxel (resolution / magnification / upscale"),
                ("resolution", 1e-320, "the simulation voxel (resolution / magnification / upscale"),
            ):
                with self.subTest(optics=name, key=key, value=value):
                    self.fails(optics(**{key: value}), sphere(**contrast), dt.InvalidArgumentError,
                               f"property '{key}' of feature '{name}': {what}")

    def test_where_a_scatterer_lands_is_named(self):
        self.fails(brightfield(), sphere(refractive_index=1.45, z=1e308), dt.InvalidArgumentError,
                   "property 'z' of feature 'Sphere': the scatterer lands 1e+308 simulation pixels from the origin "
                   "along z, which exceeds the maximum of 1000000000 in magnitude")
        self.fails(fluorescence(), sphere(intensity=1, position=(1e12, 3)), dt.InvalidArgumentError,
                   "property 'position' of feature 'Sphere': the scatterer lands")
        self.fails(fluorescence(), sphere(intensity=1, position=(3, 3, -1e300)), dt.InvalidArgumentError,
                   "property 'position' of feature 'Sphere': the scatterer lands -1e+300 simulation pixels")
        far = dt.PointParticle(position=(3, 3), z=1e5, intensity=1, name="far")
        self.fails(fluorescence(), dt.PointParticle(position=(3, 3), intensity=1) >> far, dt.InvalidArgumentError,
                   "property 'z' of feature 'far': the sample (this scatterer's depth against the others') spans "
                   "100005 z-planes (simulation pixels), which exceeds the maximum of 65536")

    def test_sizes_state_their_limit(self):
        with self.assertRaises(dt.InvalidArgumentError) as cm:
            fluorescence(upscale=7000)
        self.assertIn("property 'upscale' of feature 'Fluorescence': 7000 exceeds the maximum of 6561",
                      str(cm.exception))
        with self.assertRaises(dt.InvalidArgumentError) as cm:
            fluorescence(padding=(0, 7000, 0, 0))
        self.assertIn("property 'padding' of feature 'Fluorescence': 7000 exceeds the maximum of 6561",
                      str(cm.exception))
        with self.assertRaises(dt.InvalidArgumentError) as cm:
            dt.Brightfield(output_region=(0, 0, 7000, 64))
        self.assertIn("property 'output_region' of feature 'Brightfield': the region spans 7000 pixels along axis 0, "
                      "which exceeds the maximum of 6561", str(cm.exception))
        self.fails(dt.Fluorescence(output_region=(0, 0, 128, 128), upscale=60), dt.PointParticle(),
                   dt.InvalidArgumentError, "property 'upscale' of feature 'Fluorescence': the output region upscaled "
                   "spans 7680 simulation pixels along axis 0, which exceeds the maximum of 6561")
        self.fails(fluorescence(), sphere(intensity=1, radius=1.0), dt.OutOfMemoryError,
                   "property 'radius' of feature 'Sphere': the scatterer's grid of 20000000 x 20000000 x 20000000 "
                   "voxels (radius / voxel size) exceeds the maximum of 134217728 voxels")

    def test_extreme_but_renderable_values_render(self):
        for optics, sample in (
            (fluorescence(NA=1e308), sphere(intensity=100)),
            (fluorescence(wavelength=1e300), sphere(intensity=100)),
            (fluorescence(), sphere(intensity=1e300)),
            (brightfield(), sphere(intensity=1e300)),
        ):
            image = np.asarray(optics(sample).resolve())
            self.assertTrue(np.isfinite(image).all())


if __name__ == "__main__":
    unittest.main()
