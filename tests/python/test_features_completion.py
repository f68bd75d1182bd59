"""The last pieces of DeepTrack2's ``features`` module: ``bind_arguments``, subclasses without ``get``,
the submodules as package attributes (cases of our own, apart from DeepTrack2's tests)."""

import subprocess
import sys
import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native import features, units


class Submodules(unittest.TestCase):
    def test_submodules_are_attributes_after_a_plain_import(self):
        # A fresh interpreter: this test module's own imports must not be what makes them visible.
        modules = ["math", "optics", "scatterers", "noises", "augmentations", "elementwise", "statistics", "features", "image"]
        code = (
            "import sys, deeptrack_native as dt\n"
            f"for m in {modules!r}:\n"
            "    mod = getattr(dt, m)\n"
            "    print(mod is sys.modules['deeptrack_native.' + m], len(getattr(mod, '__all__', [1])) > 0)\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        self.assertEqual(out.stdout.split(), ["True"] * (2 * len(modules)))
        self.assertIs(dt.math.Clip, dt.Clip)

    def test_star_import_names(self):
        for name in ("math", "optics", "Blur", "Pool", "Arguments"):
            self.assertIn(name, dt.__all__)


class BindArguments(unittest.TestCase):
    def test_values_hold_for_one_call_then_come_back(self):
        arguments = features.Arguments(offset=1.0)
        pipeline = features.Value(value=np.zeros(3)) >> dt.Add(value=arguments.offset * 10)
        self.assertIs(pipeline.bind_arguments(arguments), pipeline)
        np.testing.assert_array_equal(pipeline(), [10.0] * 3)
        np.testing.assert_array_equal(pipeline(offset=2.5), [25.0] * 3)
        # DeepTrack2 sets the former value back after the call (without bound arguments, the value
        # given stays until the next update).
        np.testing.assert_array_equal(pipeline(), [10.0] * 3)
        self.assertEqual(arguments.offset(), 1.0)

    def test_only_the_arguments_properties_are_set(self):
        arguments = features.Arguments(scale=2.0)
        add = dt.Add(value=7.0, scale=arguments.scale)
        pipeline = (features.Value(value=np.ones(2)) >> add).bind_arguments(arguments)
        # `value` is a property of Add and Value, not of the arguments: ignored.
        np.testing.assert_array_equal(pipeline(value=100.0), [8.0, 8.0])
        self.assertEqual(pipeline(scale=5.0).tolist(), [8.0, 8.0])
        self.assertEqual(add.scale(), 2.0)

    def test_unbound_call_values_still_reach_every_feature(self):
        pipeline = features.Value(value=np.ones(2)) >> dt.Add(value=1.0)
        np.testing.assert_array_equal(pipeline(value=3.0), [6.0, 6.0])

    def test_a_rule_reading_the_arguments(self):
        arguments = features.Arguments(is_label=False)
        pipeline = features.Value(value=np.full((8, 8), 3.0)) >> dt.Multiply(
            is_label=arguments.is_label, value=lambda is_label: 0.0 if is_label else 2.0
        )
        pipeline.bind_arguments(arguments)
        self.assertEqual(float(pipeline().mean()), 6.0)
        self.assertEqual(float(pipeline(is_label=True).mean()), 0.0)
        self.assertEqual(float(pipeline().mean()), 6.0)

    def test_a_feature_is_required(self):
        with self.assertRaisesRegex(TypeError, "bind_arguments takes a feature, got a dict"):
            dt.Add(value=1).bind_arguments({"a": 1})


class WithoutGet(features.Feature):
    def __init__(self, level, **kwargs):
        super().__init__(level=level, **kwargs)


class SubclassWithoutGet(unittest.TestCase):
    def test_holder_of_properties_resolves_to_no_image_without_input(self):
        holder = WithoutGet(level=lambda: 4)
        self.assertEqual(holder(), [])
        self.assertEqual(features.TakeProperties(holder, "level")().tolist(), [4.0])

    def test_with_an_input_get_is_missing(self):
        with self.assertRaisesRegex(NotImplementedError, "WithoutGet does not define get"):
            WithoutGet(level=1)(np.ones(2))


class AsTypeDtypes(unittest.TestCase):
    def test_results_are_numpys_astype(self):
        x = np.array([[0.9, -0.9, 128.5], [-129.5, 65535.75, 1e-3]])
        for name in ("int8", "uint8", "int16", "uint16", "int32", "uint32", "bool", "float32", "float16", "single", "half"):
            with self.subTest(dtype=name):
                out = (features.Value(value=x) >> features.AsType(dtype=name))()
                with np.errstate(over="ignore"):  # 65535.75 is beyond float16: inf, as numpy
                    want = x.astype(name)
                self.assertEqual(out.dtype, want.dtype)
                np.testing.assert_array_equal(out, want)
                self.assertFalse(out.flags.writeable)

    def test_images_with_properties_keep_the_dtype(self):
        pipeline = features.Value(value=np.full((2, 2), 3.7)) >> features.AsType("int16") >> dt.Squeeze()
        pipeline.store_properties()
        out = pipeline()
        self.assertIsInstance(out, dt.Image)
        self.assertEqual(np.asarray(out).dtype, np.int16)
        self.assertEqual(out.get_property("dtype"), "int16")

    def test_later_arithmetic_is_float64(self):
        out = (features.Value(value=np.array([250.0])) >> features.AsType("uint8") >> dt.Add(value=10))()
        self.assertEqual(out.dtype, np.float64)
        self.assertEqual(out.tolist(), [260.0])


class PixelUnits(unittest.TestCase):
    def test_a_radius_in_pixels_is_the_optics_pixel_size(self):
        sphere = dt.Sphere(radius=4 * units.pixel, position=(16, 16))
        for magnification, pixel in ((10, 1e-7), (4, 2.5e-7)):
            pipeline = dt.Fluorescence(magnification=magnification, output_region=(0, 0, 32, 32))(sphere)
            pipeline.store_properties()
            self.assertEqual(pipeline.update()().get_property("radius"), 4 * pixel)
        # Outside a microscope, DeepTrack2's default pixel of 1 um.
        self.assertEqual(sphere.update().radius(), 4e-6)

    def test_callables_and_other_properties(self):
        ellipse = dt.Ellipse(radius=lambda: np.array([3, 2]) * units.px,
                             position=lambda: np.array([10.0, 12.0]) * units.pixels)
        pipeline = dt.Fluorescence(magnification=5, output_region=(0, 0, 24, 24))(ellipse)
        pipeline.store_properties()
        out = pipeline()
        np.testing.assert_array_equal(out.get_property("radius"), [3 * 2e-7, 2 * 2e-7])
        np.testing.assert_array_equal(out.get_property("position"), [10.0, 12.0])

    def test_the_same_image_as_meters(self):
        optics = dt.Fluorescence(magnification=8, output_region=(0, 0, 32, 32))
        in_pixels = np.asarray(optics(dt.Sphere(radius=6 * units.pixel, position=(15, 17)))())
        in_meters = np.asarray(optics(dt.Sphere(radius=6 * (1e-6 / 8), position=(15, 17)))())
        np.testing.assert_array_equal(in_pixels, in_meters)
        self.assertGreater(in_pixels.max(), 0)

    def test_a_position_or_z_given_as_a_length_is_in_the_optics_pixels(self):
        # DeepTrack2's conversion table: position in pixels, z in z-pixels (the optics' pixel size).
        optics = dt.Fluorescence(NA=0.5, magnification=10, output_region=(0, 0, 32, 32))
        in_meters = dt.Sphere(radius=1e-6, intensity=100, position=np.array([1.6, 1.5]) * units.um, z=2 * units.um)
        in_pixels = dt.Sphere(radius=1e-6, intensity=100, position=(16, 15), z=20)
        pipeline = optics(in_meters)
        pipeline.store_properties()
        image = pipeline()
        np.testing.assert_allclose(image.get_property("position"), [16.0, 15.0], rtol=1e-12)
        self.assertAlmostEqual(image.get_property("z"), 20.0, places=9)
        np.testing.assert_allclose(np.asarray(image), np.asarray(optics(in_pixels)()), rtol=0, atol=1e-9)
        # A callable returning a length too; outside a microscope the pixel is 1 um.
        self.assertAlmostEqual(dt.Sphere(z=lambda: 3 * units.um).update().z(), 3.0)

    def test_set_value_refuses_pixels_for_a_length(self):
        with self.assertRaisesRegex(TypeError, "property 'radius' of feature 'Sphere': set_value takes a length in meters"):
            dt.Sphere().radius.set_value(3 * units.pixel)


class FunctionsAsValues(unittest.TestCase):
    def test_a_value_feature_gives_the_function_until_the_next_update(self):
        value = features.Value(value=lambda: 3)
        fn = np.sin
        self.assertIs(value(value=fn), fn)
        self.assertIs(value.value(), fn)
        self.assertIs(value(), fn)
        self.assertEqual(value.update()(), 3)
        self.assertEqual(value.value(), 3)
        value.value.set_value(fn)
        self.assertIs(value(), fn)
        self.assertEqual(value(value=4), 4)  # a plain value over it

    def test_custom_features_receive_it(self):
        class Apply(features.Feature):
            def get(self, image, fn, **kwargs):
                return image if fn is None else fn(image)

        apply = Apply(fn=None)
        np.testing.assert_array_equal(apply(np.full(2, 4.0), fn=np.sqrt), [2.0, 2.0])
        np.testing.assert_array_equal(apply.update()(np.full(2, 4.0)), [4.0, 4.0])

    def test_built_in_kinds_refuse_it(self):
        pipeline = features.Value(value=np.ones(2)) >> dt.Multiply(value=2)
        with self.assertRaisesRegex(
            TypeError, "property 'value' of feature '(Value|Multiply)' holds a function set as its value"
        ):
            pipeline(value=lambda: 2)
        np.testing.assert_array_equal(pipeline.update()(), [2.0, 2.0])


class PowerIsNumpys(unittest.TestCase):
    def test_bit_for_bit_with_numpy(self):
        rng = np.random.default_rng(7)
        a = rng.uniform(0, 30, (37, 29))
        b = rng.uniform(-3, 3, (37, 29))
        cases = [
            (a, b),
            (a, 1.7),
            (4.5, b),
            (a, 0.5),
            (a, 2.0),
            (a, -1.0),
            (a, b[:, :1]),
            (a[:1], b),
            # numpy's shortcuts for an exponent of one element broadcast, not for rows of one
            (a, np.array([[2.0], [0.5]] * 18 + [[3.0]])),
            (a, np.array([[0.5]])),
            (a[:1, :1], np.array([[2.0]])),
            (np.array([18.752863998140008]), np.array([2.0])),
            (np.array([18.752863998140008]), 2.0),
        ]
        for x, y in cases:
            with self.subTest(x=np.shape(x), y=np.shape(y)):
                out = (features.Value(value=x) ** features.Value(value=y))()
                want = np.power(x, y)
                self.assertEqual(np.shape(out), want.shape)
                self.assertTrue(np.array_equal(np.asarray(out).view(np.uint64), want.view(np.uint64)))


if __name__ == "__main__":
    unittest.main()
