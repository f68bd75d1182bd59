"""The optics' own dicts on a rendered image are DeepTrack2 2.0.1's: keys in its order (``NA`` …
``resolution``, ``padding``, ``output_region``, ``voxel_size``, ``pixel_size``, ``upscale``, ``limits``,
``fields``, the kind's own, ``name``), values to 1e-12, arrays as arrays (``voxel_size`` of 3,
``limits`` 3 × 2, ``fields`` complex arrays of the FFT grid), ``return_field`` only when given. The
``record_of: "optics"`` cases of the fixtures' manifest hold 2.0.1's dicts; under an optics
``upscale`` the library keeps the dict (2.0.1's pooling drops them all; README, deliberate
differences) with what 2.0.1's optics held."""

import json
import os
import unittest

import numpy as np

import deeptrack_native as dt
from test_fixtures import FIXTURES, chain, feature


def cases():
    with open(os.path.join(FIXTURES, "manifest.json")) as f:
        return [c for c in json.load(f)["cases"] if c.get("record_of") == "optics"]


def optics_dict(case):
    pipe = feature(case["optics"])(chain(case["sample"]))
    pipe.store_properties()
    dicts = pipe.resolve().properties
    assert dicts[-1] == {"name": "Microscope"}, dicts[-1]
    return dicts[-2]


class OpticsDicts(unittest.TestCase):
    def test_keys_and_values_are_deeptrack2s(self):
        all_cases = cases()
        self.assertGreaterEqual(len(all_cases), 10)
        for case in all_cases:
            with self.subTest(case=case["id"]):
                d = optics_dict(case)
                self.assertEqual(list(d), case["keys"])
                got = np.concatenate([np.ravel(np.asarray(d[k], dtype=np.float64)) for k in case["record"]])
                want = np.load(os.path.join(FIXTURES, case["expected"]))
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
                self.assertIsInstance(d["voxel_size"], np.ndarray)
                self.assertEqual(d["voxel_size"].shape, (3,))
                self.assertIsInstance(d["limits"], np.ndarray)
                self.assertEqual(d["limits"].shape, (3, 2))
                self.assertEqual(d["fields"], [])
                self.assertEqual("return_field" in d, "return_field" in case["optics"]["properties"])
                # Lists of ints, as the microscope sets them (int(x * upscale)).
                self.assertTrue(all(type(x) is int for x in d["padding"] + d["output_region"]), d)

    def test_default_fluorescence_and_brightfield(self):
        # The values a user reads, spelled out (DeepTrack2 2.0.1's, from its session).
        point = dt.PointParticle(position=(20, 30), intensity=5)
        pipe = dt.Fluorescence()(point)
        pipe.store_properties()
        d = pipe.resolve().properties[-2]
        self.assertEqual(d["output_region"], [0, 0, 128, 128])
        self.assertEqual(d["padding"], [10, 10, 10, 10])
        np.testing.assert_array_equal(d["limits"], [[18, 23], [28, 33], [-2, 3]])
        self.assertEqual(d["pixel_size"], 1e-07)
        sphere = dt.Sphere(position=(20, 30), radius=5e-7, refractive_index=1.45)
        pipe = dt.Brightfield()(sphere)
        pipe.store_properties()
        d = pipe.resolve().properties[-2]
        self.assertNotIn("return_field", d)
        np.testing.assert_array_equal(d["limits"], [[13, 27], [23, 37], [-7, 7]])

    def test_a_pupil_or_an_illumination_keeps_the_dict(self):
        # DeepTrack2 2.0.1: the same keys with a pupil (the aberration's dict before the optics') or an
        # illumination (not recorded), return_field after fields.
        keys = ["NA", "wavelength", "refractive_index_medium", "magnification", "resolution", "padding",
                "output_region", "voxel_size", "pixel_size", "upscale", "limits", "fields"]
        pipe = dt.Fluorescence(pupil=dt.Defocus(coefficient=1))(dt.PointParticle(position=(20, 30), intensity=5))
        pipe.store_properties()
        dicts = pipe.resolve().properties
        self.assertEqual([d["name"] for d in dicts], ["PointParticle", "Defocus", "Fluorescence", "Microscope"])
        self.assertEqual(list(dicts[2]), keys + ["name"])
        optics = dt.Brightfield(return_field=True, illumination=dt.IlluminationGradient(gradient=(1e-3, 0)))
        pipe = optics(dt.Sphere(position=(20, 30), radius=5e-7, refractive_index=1.45))
        pipe.store_properties()
        d = pipe.resolve().properties[-2]
        self.assertEqual(list(d), keys + ["return_field", "name"])
        np.testing.assert_array_equal(d["limits"], [[13, 27], [23, 37], [-7, 7]])

    def test_field_scatterers_are_the_fields(self):
        mie = dt.MieSphere(position=(20, 30), radius=5e-7, refractive_index=1.45)
        pipe = dt.Brightfield()(mie)
        pipe.store_properties()
        d = pipe.resolve().properties[-2]
        self.assertIsNone(d["limits"])  # no volume scatterer
        self.assertEqual(len(d["fields"]), 1)
        field = d["fields"][0]
        # DeepTrack2 2.0.1's: a complex array of the FFT grid (the padded region, 148 -> 162) with one plane.
        self.assertEqual((field.shape, field.dtype), ((162, 162, 1), np.complex128))
        self.assertTrue(np.isfinite(field).all())


if __name__ == "__main__":
    unittest.main()
