"""DeepTrack2 2.0.1's module layout in deeptrack_native: ``utils``, ``types``, ``extras.radialcenter``
(native), ``sources`` (Source, Join, Product, Subset, random_split, ImageFolder, NumpyRNG), the base
classes and helpers DeepTrack2's modules hold, and ``feature.batch``, slicing and ``&``.

Expected values marked "DeepTrack2 2.0.1" were computed with DeepTrack2 2.0.1 on the same input."""

import os
import tempfile
import unittest
import warnings

import numpy as np

import deeptrack_native as dt
from deeptrack_native import utils
from deeptrack_native.extras import radialcenter
from deeptrack_native.sources import ImageFolder, Join, NumpyRNG, Product, Source, SourceItem, Subset, random_split


class LayoutTests(unittest.TestCase):
    def test_modules_are_importable_as_in_deeptrack2(self):
        import importlib

        for name in [
            "features", "properties", "image", "math", "noises", "augmentations", "scatterers", "optics",
            "aberrations", "elementwise", "statistics", "holography", "units", "utils", "types", "backend",
            "backend.mie", "backend.polynomials", "extras", "extras.radialcenter", "sources",
            "sources.base", "sources.folder", "sources.rng",
        ]:  # fmt: skip
            with self.subTest(name=name):
                importlib.import_module(f"deeptrack_native.{name}")
        for name in ["utils", "types", "sources", "backend", "extras"]:
            self.assertTrue(hasattr(dt, name), name)

    def test_deeplay_is_the_deeplay_package(self):
        try:
            import deeplay  # noqa: F401
        except ImportError:
            with self.assertRaisesRegex(ImportError, "pip install deeplay"):
                import deeptrack_native.deeplay  # noqa: F401
        else:  # pragma: no cover - where deeplay is installed
            import deeptrack_native.deeplay as dl

            self.assertIs(dl.Regressor, deeplay.Regressor)

    def test_base_classes_of_the_kinds(self):
        self.assertIsInstance(dt.Sphere(), dt.scatterers.Scatterer)
        self.assertIsInstance(dt.PointParticle(), dt.Scatterer)
        self.assertIsInstance(dt.Defocus(), dt.aberrations.Aberration)
        self.assertIsInstance(dt.Mean(axis=0), dt.statistics.Reducer)
        self.assertTrue(issubclass(dt.scatterers.MieScatterer, dt.Scatterer))
        for cls in (dt.Augmentation, dt.StructuralFeature):
            self.assertTrue(issubclass(cls, dt.Feature))
        # DeepTrack2 2.0.1's augmentations derive from Augmentation, its noises from Noise.
        for name in ("FlipLR", "FlipUD", "FlipDiagonal", "Affine", "ElasticTransformation", "Crop", "Pad"):
            self.assertTrue(issubclass(getattr(dt.augmentations, name), dt.augmentations.Augmentation), name)
        self.assertIsInstance(dt.Gaussian(sigma=1), dt.noises.Noise)
        self.assertEqual(len(dt.scatterers.__all__), len(set(dt.scatterers.__all__)))
        # DeepTrack2's Mie kinds derive from MieScatterer.
        for mie in (dt.MieSphere(), dt.MieStratifiedSphere()):
            self.assertIsInstance(mie, dt.scatterers.MieScatterer)
        self.assertTrue(issubclass(dt.scatterers.MieSphere, dt.scatterers.MieScatterer))
        self.assertNotIsInstance(dt.Sphere(), dt.scatterers.MieScatterer)

    def test_a_subclass_of_a_base_class_is_a_custom_feature(self):
        class Brighten(dt.Augmentation):
            def get(self, image, amount, **kwargs):
                return image + amount

        np.testing.assert_array_equal(Brighten(amount=2)(np.zeros(3)), [2.0, 2.0, 2.0])

    def test_propagate_data_to_dependencies(self):
        pipeline = dt.Value(value=1) >> dt.Add(value=2)
        dt.propagate_data_to_dependencies(pipeline, value=10)
        self.assertEqual(float(pipeline()), 20.0)  # both features have 'value'


#: What DeepTrack2 2.0.1 holds that deeptrack_native does not (yet), with the reason. A name that lands
#: may stay listed (the test does not fail on it): the list only bounds what is missing.
KNOWN_MISSING = {
    "deeptrack.backend.core.DeepTrackDataDict": "DeepTrack2's per-_ID storage of a node's values: the library keeps its caches natively",
    "deeptrack.backend.core.DeepTrackDataObject": "the same",
    "deeptrack.backend.units": "DeepTrack2's home of ConversionTable and create_context: ConversionTable is in units and at top level",
    "deeptrack.backend.pint_definition": "pint's definitions of pixel units: built inside deeptrack_native.units",
}

#: Listed in the reference environment: every public module of DeepTrack2 2.0.1 but its tests and the
#: torch-based ones, with the public names each defines (classes and functions whose __module__ is it).
_LIST_DT2 = r"""
import importlib, json, os, types, warnings
warnings.simplefilter("ignore")
import deeptrack
root = os.path.dirname(deeptrack.__file__)
modules = []
for folder, dirs, files in os.walk(root):
    package = os.path.relpath(folder, os.path.dirname(root)).replace(os.sep, ".")
    modules += [package if f == "__init__.py" else f"{package}.{f[:-3]}" for f in files if f.endswith(".py")]
out = {}
for name in sorted(modules):
    parts = name.split(".")
    if any(p.startswith("_") for p in parts) or (len(parts) > 1 and parts[1] in ("tests", "deeplay", "pytorch")):
        continue
    module = importlib.import_module(name)
    out[name] = sorted(n for n, v in vars(module).items()  # type(): lazily imported modules load on any attribute
                       if not n.startswith("_") and not issubclass(type(v), types.ModuleType)
                       and getattr(v, "__module__", None) == name)
print(json.dumps(out))
"""


class AgainstDeepTrack2(unittest.TestCase):
    """Every module of DeepTrack2 2.0.1 a user can import exists here and holds what it defines there,
    but for :data:`KNOWN_MISSING`; read from the reference environment (target/dt2-venv)."""

    def test_every_module_and_name_of_deeptrack2(self):
        import importlib
        import json
        import subprocess
        import sys

        sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "dt2"))
        import run_dt2_tests as runner

        try:
            python = runner.reference_python(install=False)
        except runner.SetupError as e:
            raise AssertionError(f"{e} (`make python-test` creates it: tests/dt2/run_dt2_tests.py --setup)")
        listed = json.loads(subprocess.run([python, "-c", _LIST_DT2], capture_output=True, text=True, check=True).stdout)
        self.assertIn("deeptrack.sources.folder", listed)
        missing = []
        for module, names in listed.items():
            try:
                ours = importlib.import_module(module.replace("deeptrack", "deeptrack_native", 1))
            except ImportError:
                missing.append(module)
                continue
            missing += [f"{module}.{n}" for n in names if not hasattr(ours, n)]
        self.assertEqual([m for m in missing if m not in KNOWN_MISSING], [])


class UtilsTests(unittest.TestCase):
    def test_helpers(self):
        self.assertTrue(utils.hasmethod(utils, "as_list"))
        self.assertFalse(utils.hasmethod(utils, "__doc__"))
        self.assertEqual(utils.as_list((1, 2)), [1, 2])
        self.assertEqual(utils.as_list(3), [3])

        def f(a, b=1, *args, c, d=2):
            return a, b, c, d

        def g(a, b, c=3, **kw):
            return a, b, c

        self.assertEqual(utils.get_kwarg_names(f), ["c", "d"])
        self.assertEqual(utils.get_kwarg_names(g), ["a", "b", "c"])
        self.assertEqual(utils.get_kwarg_names(len), ["obj"])
        self.assertEqual(utils.get_kwarg_names(np.random.rand), [])  # no signature to read
        self.assertTrue(utils.kwarg_has_default(g, "c"))
        self.assertFalse(utils.kwarg_has_default(g, "b"))
        self.assertFalse(utils.kwarg_has_default(g, "z"))
        self.assertEqual(utils.safe_call(g, positional_args=[0], b=1, z=9), (0, 1, 3))
        with self.assertRaises(TypeError):
            utils.safe_call(f, a=1, c=2)  # a is not a keyword of f (it takes *args)

    def test_types(self):
        from deeptrack_native import types

        self.assertIn(np.ndarray, types.ArrayLike.__args__)
        self.assertIn(float, types.NumberLike.__args__)


class RadialCenterTests(unittest.TestCase):
    def spot(self):
        i, j = np.mgrid[0:7, 0:9]
        return np.exp(-((j - 4.3) ** 2 + (i - 2.8) ** 2) / 4)

    def test_values_of_deeptrack2(self):
        x, y = radialcenter(self.spot())
        self.assertIsInstance(x, float)
        # DeepTrack2 2.0.1: (4.300253776694353, 2.7972351665256325)
        self.assertAlmostEqual(x, 4.300253776694353, delta=1e-12)
        self.assertAlmostEqual(y, 2.7972351665256325, delta=1e-12)
        self.assertEqual(radialcenter(self.spot(), invert_xy=True), (y, x))
        noise = np.random.default_rng(5).normal(size=(30, 40))
        # DeepTrack2 2.0.1: (18.767507491926924, 14.544072660846021)
        np.testing.assert_allclose(radialcenter(noise), (18.767507491926924, 14.544072660846021), rtol=1e-12)

    def test_inputs(self):
        x, y = radialcenter(self.spot()[:, :, None])  # squeezed, as DeepTrack2
        self.assertAlmostEqual(x, 4.300253776694353, delta=1e-12)
        self.assertAlmostEqual(radialcenter(self.spot().astype(np.float32))[0], x, delta=1e-5)
        self.assertAlmostEqual(radialcenter(dt.Image(self.spot()))[0], x, delta=1e-12)
        self.assertTrue(all(np.isnan(radialcenter(np.ones((4, 4))))))
        with self.assertRaisesRegex(ValueError, "2-D image"):
            radialcenter(np.ones((3, 4, 2)))
        with self.assertRaisesRegex(ValueError, "2-D image"):
            radialcenter(np.ones((1, 5)))
        with self.assertRaisesRegex(dt.InvalidArgumentError, "at least 2 rows and 2 columns"):
            radialcenter(np.ones((0, 5)))
        with self.assertRaisesRegex(TypeError, "real"):
            radialcenter(np.ones((4, 4), complex))


class SourceTests(unittest.TestCase):
    def test_source_values_drive_properties(self):
        source = Source(a=[1, 2], b=[3, 4])
        total = dt.Value(source.a) + dt.Value(source.b)
        self.assertEqual(float(total(source[0])), 4)
        self.assertEqual(float(total(source[1])), 6)
        self.assertEqual(float(total(source[0])), 4)
        self.assertEqual(len(source), 2)
        self.assertIsInstance(source[1], SourceItem)
        self.assertEqual(dict(source[1]), {"a": 2, "b": 4})
        self.assertEqual([dict(i) for i in source[::-1]], [{"a": 2, "b": 4}, {"a": 1, "b": 3}])

    def test_only_the_properties_that_read_the_source_change(self):
        source = Source(offset=[0.0, 100.0])
        pipeline = dt.Value(value=lambda: np.random.rand()) >> dt.Add(value=source.offset)
        pipeline.update()
        first = float(pipeline(source[0]))
        self.assertEqual(float(pipeline(source[1])), first + 100.0)  # the random value kept
        pipeline.update()
        self.assertNotEqual(float(pipeline(source[1])), first + 100.0)

    def test_nodes_read_into_items_and_combine(self):
        source = Source(d=[{"x": 1.0}, {"x": 5.0}], v=[np.array([1.0, 2.0]), np.array([3.0, 4.0])])
        f = dt.Value(source.d.x * 2 + 1) & dt.Value(source.v[1])
        out = f(source[1])
        self.assertEqual([float(v) for v in out], [11.0, 4.0])
        g = dt.Value(value=[source.d.x, 7.0])
        np.testing.assert_array_equal(g(source[0]), [1.0, 7.0])

    def test_join_product_subset_filter(self):
        s1, s2 = Source(a=[1, 2], b=[3, 4]), Source(a=[5, 6], b=[7, 8])
        joined = Join(s1, s2)
        total = dt.Value(joined.a) + dt.Value(joined.b)
        self.assertEqual(float(total(s1[0])), 4)
        self.assertEqual(float(total(s2[0])), 12)
        product = Source(a=[1, 2], b=[3, 4]).product(c=[5, 6])
        self.assertIsInstance(product, Product)
        self.assertEqual(product._dict, {"c": [5, 6, 5, 6], "a": [1, 1, 2, 2], "b": [3, 3, 4, 4]})
        self.assertEqual(Source(a=[1, 2]).constants(c=5)._dict, {"c": [5, 5], "a": [1, 2]})
        with self.assertRaisesRegex(ValueError, "Overlapping keys"):
            Source(a=[1]).product(a=[2])
        with self.assertRaisesRegex(ValueError, "same length"):
            Source(a=[1, 2], b=[1])
        filtered = s1.filter(lambda a, b: a > 1)
        self.assertIsInstance(filtered, Subset)
        self.assertEqual([dict(i) for i in filtered], [{"a": 2, "b": 4}])
        self.assertEqual(float(dt.Value(filtered.a)(filtered[0])), 2)

    def test_random_split(self):
        source = Source(a=list(range(10)))
        parts = random_split(source, [0.7, 0.3], generator=np.random.default_rng(1))
        self.assertEqual([len(p) for p in parts], [7, 3])
        self.assertEqual(sorted(i["a"] for p in parts for i in p), list(range(10)))
        self.assertEqual([len(p) for p in random_split(source, [0.55, 0.45])], [6, 4])  # remainder first
        self.assertEqual([len(p) for p in random_split(source, [4, 6])], [4, 6])
        with self.assertRaisesRegex(ValueError, "Sum of input lengths"):
            random_split(source, [4, 5])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            random_split(Source(a=[1]), [1.0, 0.0])
        self.assertTrue(any("Length of split at index 1 is 0" in str(w.message) for w in caught))

    def test_image_folder(self):
        with tempfile.TemporaryDirectory() as root:
            for split, cls, name in [("train", "dog", "a"), ("train", "cat", "b"), ("test", "dog", "c")]:
                os.makedirs(os.path.join(root, split, cls), exist_ok=True)
                open(os.path.join(root, split, cls, f"{name}.png"), "wb").close()
            open(os.path.join(root, "train", "notes.txt"), "w").close()
            folder = ImageFolder(root)
            self.assertEqual(len(folder), 3)
            self.assertEqual(folder.classes, ["test", "train"])
            self.assertEqual(folder.name_to_label("train"), 1)
            self.assertEqual(folder.label_to_name(0), "test")
            train, test = folder.split("train", "test")
            self.assertEqual(train.classes, ["cat", "dog"])
            self.assertEqual([os.path.basename(p) for p in train._dict["path"]], ["b.png", "a.png"])
            label = dt.Value(folder.label)
            self.assertEqual(float(label(folder[0])), 0.0)  # test/dog/c.png
            self.assertEqual(float(label(train[1])), 1.0)  # a split's item sets the root's nodes too
            with self.assertRaisesRegex(ValueError, "Unknown split"):
                folder.split("valid")

    def test_numpy_rng_repeats_per_item(self):
        rng = NumpyRNG(n_states=3, seed=4)
        f = dt.Value(rng.uniform(0, 1))
        first = [float(f(rng[i])) for i in range(3)]
        self.assertEqual(len(set(first)), 3)
        self.assertEqual([float(f(rng[i])) for i in range(3)], first)


class OperatorTests(unittest.TestCase):
    def test_slicing_as_deeptrack2(self):
        np.testing.assert_array_equal(dt.Value(np.arange(10))[2:5](), [2, 3, 4])
        grid = dt.Value(np.arange(12).reshape(3, 4))
        np.testing.assert_array_equal(grid[1, ::2](), [4, 6])
        np.testing.assert_array_equal(grid[:, lambda: 1](), [1, 5, 9])

    def test_and_stacks_outputs(self):
        out = (dt.Value(np.ones(2)) & np.zeros(2))()
        self.assertEqual(len(out), 2)
        np.testing.assert_array_equal(out[1], [0.0, 0.0])
        self.assertEqual([float(v) for v in (3 & dt.Value(2))()], [3.0, 2.0])

    def test_batch(self):
        np.random.seed(1)
        pipeline = dt.Value(lambda: np.random.rand(2)) & dt.Value(lambda: np.random.rand())
        images, labels = pipeline.batch(5)
        self.assertEqual(images.shape, (5, 2))
        # Numbers are not arrays: a tuple of them, as DeepTrack2's batch leaves them.
        self.assertIsInstance(labels, tuple)
        self.assertEqual(len(labels), 5)
        self.assertEqual(len(set(labels)), 5)  # an update before every item
        np.random.seed(1)
        again = pipeline.batch(5)
        np.testing.assert_array_equal(again[0], images)  # follows np.random
        # A single array is zipped along its first axis, as in DeepTrack2.
        rows = dt.Value(lambda: np.random.rand(4, 2)).batch(3)
        self.assertEqual((len(rows), rows[0].shape), (4, (3, 2)))
        self.assertEqual(dt.Value(lambda: np.random.rand(1, 2)).batch()[0].shape, (32, 2))


if __name__ == "__main__":
    unittest.main()
