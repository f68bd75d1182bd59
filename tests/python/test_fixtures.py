"""The DeepTrack2 2.0.1 fixtures reproduced through the Python API.

Every case of ``tests/fixtures/deeptrack-2.0.1/manifest.json`` (the repository's copy, made by
``make fixtures``; ``DEEPTRACK_FIXTURES=DIR`` reads another folder) is built from its plain-data
description with the package's classes (``getattr(dt, name)(**properties)``, ``>>``,
``optics(sample)``, ``sample >> SampleToMasks``) and must match DeepTrack2's output to 1e-6 of the
peak (cases marked ``"tolerance": "exact"``: to 1e-12 of each sample; ``"unit"``: integers to one
unit). Cases with ``draws`` (a random kind replaying DeepTrack2's draws) are checked by the Rust test of that kind instead, and ``backend``
cases (functions of ``deeptrack.backend``) by test_backend.py. ``record`` cases compare the dict a
scatterer records once imaged (keys in order, and the values DeepTrack2's microscope sets on it:
``voxel_size``, ``pixel_size``, a Mie scatterer's ``wavelength``, upscaled ``output_region`` …), or with
``"record_of": "optics"`` the optics' own dict (test_optics_dicts.py).
"""

import importlib
import json
import os
import unittest

import numpy as np

import deeptrack_native as dt

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.environ.get("DEEPTRACK_FIXTURES", os.path.join(HERE, "..", "fixtures", "deeptrack-2.0.1"))


def feature(spec):
    # ``function``: a numpy function by name, the class's first argument (``Pool(np.mean)``).
    args = [getattr(np, spec["function"])] if "function" in spec else []
    return getattr(dt, spec["feature"])(*args, **{k: value(v) for k, v in {**spec.get("properties", {}), **spec.get("native_properties", {})}.items()})


def is_spec(v):
    return isinstance(v, dict) and "feature" in v


def value(v):
    """A property: a feature for a spec (an optics' ``pupil``, ``illumination``), a chain for a list of
    specs, a complex number for ``{"complex": [re, im]}`` (alone or in a list), a numpy array for
    ``{"array": {"shape", "data", "imag"}}``, else the value itself."""
    if isinstance(v, dict) and "complex" in v:
        return complex(*v["complex"])
    if isinstance(v, dict) and "array" in v:  # a numpy array, complex with "imag"
        a = np.array(v["array"]["data"], dtype=float).reshape(v["array"]["shape"])
        return a + 1j * np.array(v["array"]["imag"]).reshape(a.shape) if "imag" in v["array"] else a
    if isinstance(v, list) and any(isinstance(x, dict) and "complex" in x for x in v):
        return [value(x) for x in v]
    if isinstance(v, dict) and "list" in v:  # a list whose features are sampled inside it (f[mask])
        return [value(x) for x in v["list"]]
    if is_spec(v):
        return feature(v)
    if isinstance(v, list) and v and all(is_spec(x) for x in v):
        return chain(v)
    return v


def chain(specs):
    out = feature(specs[0])
    for spec in specs[1:]:
        out = out >> feature(spec)
    return out


def pipeline(case):
    if "masks" in case:
        # SampleToMasks of the sample's volumes with no transformation (the volume itself), storing the
        # sample's dicts as DeepTrack2 requires.
        pipe = chain(case["sample"]) >> feature(case["masks"])
        pipe.store_properties()
        return pipe, None
    if "sample" in case and "sequence" in case:
        # Every sample feature with a stepped property gets it sequential (previous value plus the
        # step), resolved as a Sequence; the frames are stacked.
        steps = case["sequence"]["steps"]
        sample = None
        for spec in case["sample"]:
            f = feature(spec)
            for key, step in steps.items():
                if key in spec.get("properties", {}):
                    step = np.asarray(step, dtype=np.float64) if isinstance(step, list) else float(step)
                    dt.sequences.Sequential(f, **{key: lambda previous_value, step=step: previous_value + step})
            sample = f if sample is None else sample >> f
        return dt.sequences.Sequence(feature(case["optics"])(sample), sequence_length=case["sequence"]["length"]), None
    if "sample" in case:
        optics = feature(case["optics"])
        pipe = optics(chain(case["sample"]))
        if "upscale" in case:
            pipe = dt.Upscale(pipe, factor=case["upscale"])
        for post in case.get("post", []):
            pipe = pipe >> feature(post)
        return pipe, None
    data = np.array(case["input"]["data"], dtype=np.float64).reshape(case["input"]["shape"])
    return chain(case["pipeline"]), data


class Fixtures(unittest.TestCase):
    def test_every_case_matches_deeptrack2(self):
        with open(os.path.join(FIXTURES, "manifest.json")) as f:
            manifest = json.load(f)
        # Every case has its golden output, ids are unique, and the list never shrinks below what
        # it held when this check was written (cases are added by several branches).
        ids = [case["id"] for case in manifest["cases"]]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertGreaterEqual(len(ids), 106)
        for case in manifest["cases"]:
            if "backend" in case:
                # A function of DeepTrack2's backend, not a pipeline: test_backend.py.
                continue
            if "draws" in case:
                # A random kind on DeepTrack2's recorded draws, which only the library's own test
                # can feed it (src/features/elastic.rs).
                continue
            with self.subTest(case=case["id"]):
                if "record" in case:
                    self.check_recorded(case)
                    continue
                if "call" in case:
                    # A function of a submodule (holography.get_propagation_matrix) with its kwargs.
                    module, name = case["call"]["function"].rsplit(".", 1)
                    function = getattr(importlib.import_module(f"deeptrack_native.{module}"), name)
                    out = function(**case["call"].get("kwargs", {}))
                else:
                    pipe, data = pipeline(case)
                    out = pipe.resolve(data) if data is not None else pipe.resolve()
                out = np.stack([np.asarray(f) for f in out]) if "sequence" in case else np.asarray(out)
                if np.iscomplexobj(out):  # stored as real and imaginary parts along a last axis of 2
                    out = np.stack([out.real, out.imag], axis=-1)
                expected = np.load(os.path.join(FIXTURES, case["expected"]))
                self.assertEqual(out.shape, expected.shape)
                self.assertEqual(list(out.shape), case["shape"])
                if case.get("tolerance") == "exact":
                    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=0, err_msg=case["id"])
                    continue
                if case.get("tolerance") == "unit":  # integers OpenCV rounds in float32: one unit at a tie
                    self.assertLessEqual(np.abs(out.astype(np.float64) - expected).max(), 1.0, case["id"])
                    continue
                peak = max(np.abs(expected).max(), 1e-300)
                self.assertLessEqual(np.abs(out - expected).max(), 1e-6 * peak, case["id"])

    # DeepTrack2's internal properties the package does not keep (README, deliberate differences).
    INTERNAL = ("_position_sampler", "upsample_axes", "is_field", "crop_empty", "coefficients")

    def check_recorded(self, case):
        """A ``record`` case: the first scatterer's dict, once imaged, has DeepTrack2's keys in its order
        (without DeepTrack2's internal ones) and the values DeepTrack2's microscope sets on it."""
        first = feature(case["sample"][0])
        sample = first
        for spec in case["sample"][1:]:
            sample = sample >> feature(spec)
        pipe = feature(case["optics"])(sample)
        pipe.store_properties()
        image = pipe.resolve()
        if case.get("record_of") == "optics":  # the optics' own dict, before the microscope's
            recorded = image.properties[-2]
            self.assertEqual(recorded["name"], case["optics"]["feature"])
        else:
            recorded = image.properties[0]
            self.assertEqual(recorded["name"], case["sample"][0]["feature"])
        self.assertEqual(list(recorded), [k for k in case["keys"] if k not in self.INTERNAL], case["id"])
        got = np.concatenate([np.ravel(np.asarray(recorded[k], dtype=np.float64)) for k in case["record"]])
        expected = np.load(os.path.join(FIXTURES, case["expected"]))
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0, err_msg=case["id"])

    def test_results_carry_the_ground_truth_with_store_properties(self):
        particle = dt.PointParticle(position=(30.25, 20.25), intensity=100)
        optics = dt.Fluorescence(NA=0.8, wavelength=680e-9, output_region=(0, 0, 64, 64))
        pipe = optics(particle)
        pipe.store_properties()
        image = pipe.resolve()
        self.assertIsInstance(image, dt.Image)
        self.assertEqual(image.shape, (64, 64, 1))
        self.assertEqual(list(image.get_property("position")), [30.25, 20.25])
        self.assertEqual(image.get_property("intensity"), 100)
        self.assertEqual(image.get_property("NA"), 0.8)
        self.assertEqual(np.unravel_index(np.argmax(image), image.shape)[:2], (30, 20))


if __name__ == "__main__":
    unittest.main()
