"""No parameter value makes a built-in feature panic, and work the image does not bound has a stated
limit. Every kind of the library's registry, every numeric parameter in turn set to an extreme value,
resolves a small image (inside a microscope for the optics, aberrations and scatterers) to an image or
to an error of the library's — never a PanicError (debug builds check integer overflow)."""

import math
import unittest
import warnings

import numpy as np

import deeptrack_native as dt
from deeptrack_native import features

# Parameter types (include/deeptrack.h: DEEPTRACK_PARAM_*): the numeric ones.
_ANY, _NUMBER, _INTEGER, _VECTOR, _ARRAY, _ARRAYS, _AXIS = 0, 1, 2, 5, 6, 7, 8
_FEATURE_TYPES = (9, 10, 11)
_REQUIRED = 16

NUMBERS = [1e300, -1e300, 1e19, -1e19, 1e-300, -1e-300, 0.0, -1.0, 0.5, 1e9, -1e9, math.nan, math.inf, -math.inf,
           2**63 - 1, -(2**63), 2**53, 2**31, 0, -1, 1, 2]


def values(param):
    if param.type in (_ANY, _NUMBER, _INTEGER, _ARRAY, _ARRAYS):
        return NUMBERS
    if param.type == _AXIS:
        return [2**63 - 1, -(2**63), 2**40, 5, -5]
    if param.type == _VECTOR:
        return NUMBERS + [(v, 1) for v in NUMBERS] + [(1, v) for v in NUMBERS] + [(v, v, v) for v in NUMBERS]
    return []


def small_optics(cls, **kwargs):
    """An optics of 8 x 8 pixels with a padding of 2, unless `kwargs` say otherwise."""
    return cls(**{"output_region": (0, 0, 8, 8), "padding": (2, 2, 2, 2), **kwargs})


def pipeline(kind, name, value):
    """The pipeline resolved and whether it takes an input image; the kind's parameter `name` is
    `value`. None when the kind needs features this test does not build."""
    cls = getattr(dt, kind["name"])
    kwargs = {name: value}
    required = [p for p in kind["params"] if p.type in _FEATURE_TYPES and p.flags & _REQUIRED]
    point = dt.PointParticle(position=(4, 4))
    if kind["module"] == "optics" and any(p.name == "pupil" for p in kind["params"]):
        return small_optics(cls, **kwargs)(point), False
    if kind["name"] == "IlluminationGradient":
        return small_optics(dt.Brightfield, illumination=cls(**kwargs))(point), False
    if kind["module"] == "aberrations":
        return small_optics(dt.Fluorescence, pupil=cls(**kwargs))(point), False
    if kind["module"] == "scatterers":
        if required:
            return None
        kwargs.setdefault("position", (4, 4))
        return small_optics(dt.Brightfield)(cls(**kwargs)), False
    if required or kind["name"] == "LoadImage":
        return None
    return cls(**kwargs), True


class NoPanic(unittest.TestCase):
    def test_no_parameter_value_makes_any_kind_panic(self):
        inputs = [np.arange(42.0).reshape(6, 7) % 7, np.arange(126.0).reshape(6, 7, 3) % 5]
        panics, cases = [], 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecations and clipped values of the extreme settings
            for kind in features.registry():
                cases += self.resolve_every_value(kind, inputs, panics)
        self.assertGreater(cases, 5000)
        self.assertEqual(panics, [])

    def resolve_every_value(self, kind, inputs, panics):
        """Resolves `kind` with each extreme value of each of its parameters; returns the cases run."""
        cases = 0
        for param in kind["params"]:
            for value in values(param):
                case = f"{kind['name']}({param.name}={value!r})"
                try:
                    built = pipeline(kind, param.name, value)
                except dt.PanicError as e:
                    panics.append(f"{case}: {e}")
                    continue
                except (dt.DeepTrackError, TypeError, ValueError) as e:
                    # Refused when set: the message names the property.
                    self.assertIn(f"'{param.name}'", str(e), case)
                    continue
                if built is None:
                    return cases
                f, on_input = built
                for x in inputs if on_input else [None]:
                    cases += 1
                    try:
                        f.resolve(x) if on_input else f.resolve()
                    except dt.PanicError as e:
                        panics.append(f"{case}: {e}")
                    except (dt.DeepTrackError, ValueError, TypeError, OverflowError):
                        pass
        return cases

    def test_inside_a_microscope_the_error_names_the_property(self):
        # Finite values that cannot give a finite image: the feature and property given the value
        # (the illumination's was blamed on the point's `value`, the Mie sphere's on no property).
        point = dt.PointParticle(position=(4, 4))
        cases = [
            (small_optics(dt.Brightfield, illumination=dt.IlluminationGradient(constant=1e300))(point),
             "property 'constant' of feature 'IlluminationGradient': the image overflows"),
            (small_optics(dt.Brightfield, illumination=dt.IlluminationGradient(vmin=1e300))(point),
             "property 'vmin' of feature 'IlluminationGradient'"),
            (small_optics(dt.Brightfield)(dt.MieSphere(position=(4, 4), position_objective=(1e300, 0))),
             "property 'position_objective' of feature 'MieSphere': MieSphere's field is not finite"),
            (small_optics(dt.Brightfield)(dt.MieSphere(position=(4, 4), amp_factor=1e-300)),
             "property 'amp_factor' of feature 'MieSphere'"),
            (small_optics(dt.Brightfield)(dt.MieSphere(position=(4, 4), coherence_length=1e-6)),
             "property 'coherence_length' of feature 'MieSphere'"),
        ]
        for pipeline, message in cases:
            with self.assertRaises(dt.DeepTrackError) as raised:
                pipeline.resolve()
            self.assertIn(message, str(raised.exception))
        # An apodization centred far beyond the grid: a finite image.
        image = small_optics(dt.Fluorescence, pupil=dt.GaussianApodization(offset=(1e300, -1e300)))(point).resolve()
        self.assertTrue(np.all(np.isfinite(image)) and np.max(image) > 0)

    def test_an_affine_beyond_every_index_is_blank(self):
        # DeepTrack2 2.0.1 (scipy): cval; it was a PanicError ("attempt to add with overflow").
        x = np.arange(42.0).reshape(6, 7)
        for kwargs in [dict(translate_px=1e19), dict(translate=(-1e300, 0)), dict(scale=1e-300)]:
            out = dt.Affine(cval=0.5, **kwargs).resolve(x)
            np.testing.assert_array_equal(out, np.full((6, 7), 0.5), err_msg=str(kwargs))
        out = dt.Affine(translate_px=(1e300, 0), mode="nearest").resolve(x)
        np.testing.assert_array_equal(out, np.repeat(x[:, :1], 7, axis=1))


class WorkBounds(unittest.TestCase):
    """The largest accepted values run here at sizes that would take minutes without the bound."""

    def assertLimit(self, make, message):
        with self.assertRaises(dt.InvalidArgumentError) as cm:
            make()
        self.assertIn(message, str(cm.exception))

    def test_median_blur_reads_at_most_2_to_the_30_samples(self):
        big = np.random.default_rng(1).random((1024, 1024))
        self.assertLimit(
            lambda: dt.MedianBlur(ksize=1024).resolve(big),
            "property 'ksize' of feature 'MedianBlur': a window of 1024^2 samples over an image of 1048576 "
            "samples is 1099511627776 reads, which exceeds the maximum of 1073741824 (2^30)",
        )
        self.assertEqual(dt.MedianBlur(ksize=16).resolve(big).shape, (1024, 1024))
        # A window far larger than a small image reads its folded copies.
        small = np.arange(16.0).reshape(4, 4)
        self.assertTrue(np.isin(dt.MedianBlur(ksize=1024).resolve(small), small).all())

    def test_bilateral_blur_weighs_at_most_2_to_the_30_neighbours(self):
        x = np.random.default_rng(2).random((256, 256))
        self.assertLimit(
            lambda: dt.BilateralBlur(d=513).resolve(x),
            "property 'd' of feature 'BilateralBlur': a neighbourhood of 205861 pixels (radius 256, d / 2) over an "
            "image of 65536 pixels is 13491306496 weights, which exceeds the maximum of 1073741824 (2^30)",
        )
        self.assertLimit(lambda: dt.BilateralBlur(d=0, sigma_space=100).resolve(x),
                         "property 'sigma_space' of feature 'BilateralBlur'")
        self.assertEqual(dt.BilateralBlur(d=41).resolve(x).shape, (256, 256))

    def test_pool_with_a_function_pads_to_at_most_2_to_the_28_samples(self):
        # A function of the library's own (np.sum) pools natively, bounded by the image; a Python one
        # gets the zero-padded image's blocks.
        x = np.ones((4, 4))
        total = lambda blocks, axis=None: np.sum(blocks, axis=axis)  # noqa: E731
        self.assertLimit(
            lambda: dt.Pool(pooling_function=total, ksize=100000).resolve(x),
            "property 'ksize' of feature 'Pool': blocks of [100000, 100000] pad the image of shape [4, 4] to "
            "10000000000 samples, which exceeds the maximum of 268435456 for blocks longer than the image",
        )
        self.assertEqual(dt.Pool(pooling_function=total, ksize=(4, 1024)).resolve(x).tolist(), [[16.0]])


if __name__ == "__main__":
    unittest.main()
