"""DeepTrack2 2.0.1's Python API surface (issue 13, i27): non-distributed features of your own, the
node methods of features and properties, the class hierarchy (isinstance/issubclass as in 2.0.1), the
names each module exports, and the parameters given at construction that 2.0.1 keeps as properties.

DeepTrack2 2.0.1's names and class ancestry are read from tests/fixtures/deeptrack-2.0.1/api_surface.json,
which tests/fixtures/api_surface.py records from 2.0.1 itself (``make fixtures``)."""

import importlib
import inspect
import json
import operator
import os
import unittest

import numpy as np

import deeptrack_native as dt

#: DeepTrack2 2.0.1's API surface, recorded from it by tests/fixtures/api_surface.py: ``modules``
#: (the public names of every module users import, ``""`` the package), ``bases`` (the ancestry of
#: every public class, ``module.Name``, ``.Name`` at top level; DeepTrackNode left out, see
#: DIFFERENT_BASES) and ``aliases`` (the names that are another class: that class's name).
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "deeptrack-2.0.1",
                       "api_surface.json")) as _f:
    DT2 = json.load(_f)

#: Names of DeepTrack2 2.0.1's modules that deeptrack_native does not offer, with why.
EXCLUDED_NAMES = {
    **dict.fromkeys(
        ["Any", "Callable", "Dict", "Iterable", "Iterator", "List", "Optional", "Set", "Tuple", "Union",
         "WeakSet", "annotations"],
        "typing and __future__ names 2.0.1's modules import for their annotations",
    ),
    **dict.fromkeys(
        ["importlib", "itertools", "operator", "warnings", "math", "random", "np", "ndimage", "skimage",
         "plt", "animation", "cdist", "convolve", "gaussian_filter", "map_coordinates", "cupy",
         "UnitRegistry", "Quantity", "n", "ops"],
        "modules and functions of the standard library, numpy, scipy, skimage, matplotlib, pint and "
        "cupy that 2.0.1's modules import for their own code ('random' is Python's random there)",
    ),
    **dict.fromkeys(
        ["IMPORTED_CV2", "tensorflow_installed", "lazy_import", "should_import", "pint_definitions"],
        "2.0.1's import machinery and flags",
    ),
    **dict.fromkeys(
        ["datasets", "deeplay", "generators", "layers", "losses", "models", "pytorch", "visualization"],
        "2.0.1's deep-learning subpackages, imported lazily at its top level: import "
        "deeptrack_native.pytorch or deeptrack_native.deeplay explicitly (they need torch, deeplay)",
    ),
    **dict.fromkeys(
        ["DeepTrackDataDict", "DeepTrackDataObject"],
        "2.0.1's storage of a node's values per replicate index: the library keeps computed values",
    ),
    "citation_midtvet2021quantitative": "the citation is what get_citations() returns",
}
#: Names of one module of DeepTrack2 2.0.1 that deeptrack_native's module does not offer, with why.
EXCLUDED_IN = {
    ("backend.core", "utils"): "backend.core's import of deeptrack.utils (deeptrack_native.utils has its functions)",
}

#: Where a class's bases differ from 2.0.1's on purpose: ``(name, base)`` → why.
DIFFERENT_BASES = {
    ("SequentialProperty", "Property"): "a SequentialProperty is a DeepTrackNode of its own here, not a "
    "feature's property (deeptrack_native.properties.SequentialProperty)",
}


def _module(path):
    return dt if path == "" else importlib.import_module(f"deeptrack_native.{path}")


def _ours(qualified):
    module, _, name = qualified.rpartition(".")
    return getattr(_module(module), name)


def _class_named(name):
    if name == "dict":
        return dict
    for where in ("", "features", "properties", "backend.core", "aberrations", "augmentations", "math"):
        found = getattr(_module(where), name, None)
        if inspect.isclass(found):
            return found
    raise AssertionError(f"no class {name}")


class NonDistributed(unittest.TestCase):
    """``__distributed__ = False``: get receives the whole list once (DeepTrack2 2.0.1's values)."""

    def setUp(self):
        seen = self.seen = []

        class ND(dt.Feature):
            __distributed__ = False

            def get(self, images, k=1, **kwargs):
                seen.append((type(images).__name__, len(images)))
                return [np.full((1,), float(len(images)) * k)]

        self.ND = ND
        self.x = np.ones((2, 2))

    def test_get_receives_the_list_once(self):
        out = self.ND()([self.x, self.x, self.x])
        self.assertEqual(np.asarray(out).tolist(), [3.0])
        self.assertEqual(self.seen, [("list", 3)])

    def test_one_image_is_a_list_of_one_and_none_an_empty_list(self):
        self.assertEqual(np.asarray(self.ND()(self.x)).tolist(), [1.0])
        self.assertEqual(np.asarray(self.ND()()).tolist(), [0.0])
        self.assertEqual(self.seen, [("list", 1), ("list", 0)])

    def test_in_a_chain_and_with_properties(self):
        out = (dt.Add(value=1) >> self.ND(k=lambda: 5))([self.x, self.x])
        self.assertEqual(np.asarray(out).tolist(), [10.0])
        self.assertEqual(self.seen, [("list", 2)])
        out = (self.ND() >> dt.Add(value=1))([self.x, self.x])
        self.assertEqual(np.asarray(out).tolist(), [3.0])

    def test_what_get_returns_is_the_output_list(self):
        class Two(dt.Feature):
            __distributed__ = False

            def get(self, images, **kwargs):
                return [np.zeros(1), np.ones(1)]

        class Empty(dt.Feature):
            __distributed__ = False

            def get(self, images, **kwargs):
                return []

        class Total(dt.Feature):
            __distributed__ = False

            def get(self, images, **kwargs):
                return np.sum(images, axis=0)  # not a list: one image

        self.assertEqual([o.tolist() for o in Two()(self.x)], [[0.0], [1.0]])
        self.assertEqual(Empty()([self.x, self.x]), [])
        self.assertEqual(np.asarray(Total()([self.x, 2 * self.x])).tolist(), [[3.0, 3.0], [3.0, 3.0]])
        self.assertEqual(dt.Merge(lambda: lambda images: [])([self.x, self.x]), [])

    def test_stored_properties(self):
        f = self.ND(k=2)
        f.store_properties()
        out = f([self.x, self.x])
        self.assertEqual(np.asarray(out).tolist(), [4.0])
        self.assertEqual([dict(d) for d in out.properties], [{"k": 2, "name": "ND"}])

    def test_built_in_non_distributed_kinds(self):
        x = self.x
        self.assertEqual(np.asarray(dt.Sum(axis=0, distributed=False)([x, 3 * x])).tolist(), [[4.0, 4.0], [4.0, 4.0]])
        self.assertEqual(dt.Combine([dt.Value(value=1), dt.Value(value=2)])(), [1, 2])
        self.assertEqual([o.tolist() for o in dt.Add(value=1)([x, 3 * x])], [[[2.0, 2.0], [2.0, 2.0]], [[4.0, 4.0], [4.0, 4.0]]])
        self.assertEqual(np.asarray(dt.Bind(self.ND(), k=3)([x, x])).tolist(), [2.0])  # Bind sets only at resolve
        self.assertEqual(np.asarray((self.ND() ^ 2)([x, x])).tolist(), [1.0])
        y = np.ones(2)
        self.assertEqual([o.tolist() for o in dt.Add(value=[1, 2])([y, y])], [[2.0, 2.0], [3.0, 3.0]])
        self.assertEqual([np.asarray(o).tolist() for o in dt.Stack(value=5)([y, y])], [[1.0, 1.0], [1.0, 1.0], 5])
        self.assertEqual(dt.Value(value=3)([y, y]), 3)
        out = dt.ConditionalSetProperty(dt.Add(value=1), condition=True, value=3)([y, y])
        self.assertEqual([o.tolist() for o in out], [[4.0, 4.0], [4.0, 4.0]])
        out = dt.Probability(dt.Add(value=1), probability=1)([y, y])
        self.assertEqual([o.tolist() for o in out], [[2.0, 2.0], [2.0, 2.0]])

    def test_repeat_needs_n(self):
        with self.assertRaises(TypeError):
            dt.Repeat(dt.Value(value=1))


class NodeMethods(unittest.TestCase):
    """DeepTrack2 2.0.1's DeepTrackNode methods on features, properties and property dicts."""

    def test_add_feature_idiom(self):
        class Outer(dt.Feature):
            def __init__(self, inner, **kwargs):
                super().__init__(**kwargs)
                self.inner = self.add_feature(inner)

            def get(self, image, **kwargs):
                return image + self.inner()

        self.assertEqual(np.asarray(Outer(dt.Value(value=3))(np.ones(2))).tolist(), [4.0, 4.0])
        inner = dt.Value(value=lambda: np.random.rand())
        outer = Outer(inner)
        first = np.asarray(outer(np.ones(2))).copy()
        self.assertTrue((np.asarray(outer(np.ones(2))) == first).all())
        outer.update()  # re-samples the added feature, as 2.0.1's update of its dependencies
        self.assertFalse((np.asarray(outer(np.ones(2))) == first).any())
        self.assertIn(inner, outer.dependencies)
        self.assertIn(inner, outer.recurse_dependencies())
        self.assertIn(outer, inner.recurse_children())
        with self.assertRaisesRegex(TypeError, "add_feature takes a Feature"):
            outer.add_feature(3)

    def test_add_dependency_and_add_child(self):
        source = dt.Value(value=lambda: np.random.rand())
        reader = dt.Value(value=lambda: source.value() * 2)
        self.assertIs(reader.add_dependency(source), reader)
        self.assertIn(source, reader.dependencies)
        self.assertIn(reader, source.children)
        reader()
        source.update()  # the child reading it inside its rule is re-sampled
        self.assertAlmostEqual(reader(), source.value() * 2)
        other = dt.Value(value=lambda: source.value() + 1)
        self.assertIs(source.add_child(other), source)
        other()
        source.update()
        self.assertAlmostEqual(other(), source.value() + 1)
        node = dt.DeepTrackNode(lambda: 1)
        reader.add_dependency(node)
        self.assertIn(node, reader.dependencies)
        with self.assertRaisesRegex(TypeError, "Feature.add_child takes a Feature, a Property or a DeepTrackNode"):
            reader.add_child(3)

    def test_attributes(self):
        self.assertIsNone(dt.Gaussian().arguments)
        arguments = dt.Arguments(is_label=False)
        self.assertIs(dt.Gaussian().bind_arguments(arguments).arguments, arguments)
        self.assertIs(dt.Add(value=1).op, operator.add)
        self.assertIs(dt.GreaterThan(value=1).op, operator.gt)
        self.assertIs(dt.Equal(value=1).op, operator.eq)
        self.assertIs(dt.features.ArithmeticOperationFeature(np.maximum, value=1).op, np.maximum)
        self.assertEqual(dt.Value(value=2).action(), 2)
        chain = dt.Value(value=1) >> dt.Add(value=1)
        self.assertEqual(chain.dependencies, {chain.feature_1, chain.feature_2})

    def test_citations(self):
        citations = (dt.Value(value=1) >> dt.Gaussian()).get_citations()
        self.assertIsInstance(citations, set)
        self.assertEqual(len(citations), 1)
        self.assertIn("Quantitative digital microscopy with deep learning", next(iter(citations)))

        class Cited(dt.Feature):
            citations = ["my paper"]

            def get(self, image, **kwargs):
                return image

        self.assertEqual(len((dt.Value(value=1) >> Cited()).get_citations()), 2)

    def test_torch(self):
        try:
            import torch  # noqa: F401
        except ImportError:
            with self.assertRaises(ImportError):
                dt.Value(value=np.ones(2)).torch()
        else:
            out = dt.Value(value=np.ones(2)).torch()()
            self.assertEqual(type(out).__name__, "Tensor")

    def test_cache_methods_raise_saying_why(self):
        f = dt.Gaussian()
        for call in (f.invalidate, f.validate, f.current_value, f.previous, lambda: f.store(1),
                     lambda: f.set_value(1), lambda: f.valid_index(())):
            with self.assertRaisesRegex(NotImplementedError, r"Gaussian\.\w+: libdeeptrack keeps the computed values"):
                call()
        for call in (f.sigma.invalidate, f.sigma.validate, lambda: f.sigma.store(1),
                     f.properties.invalidate, f.properties.validate, lambda: f.properties.set_value({})):
            with self.assertRaisesRegex(NotImplementedError, "libdeeptrack keeps the computed values"):
                call()

    def test_property_and_property_dict(self):
        f = dt.Gaussian(sigma=lambda: np.random.rand())
        values = f.properties.current_value()
        self.assertEqual(sorted(values), ["mu", "name", "sigma"])
        self.assertEqual(f.sigma.previous(), values["sigma"])
        self.assertEqual(f.properties.previous()["sigma"], values["sigma"])
        self.assertIn(f, f.sigma.children)
        self.assertEqual(f.properties.children, {f})
        self.assertEqual(f.properties.dependencies, set(f.properties.values()))
        f(np.zeros(2))
        self.assertTrue(f.properties.is_valid())
        f.update()
        self.assertFalse(f.properties.is_valid())
        a = dt.Property(2)
        b = dt.Property(lambda a: a + 1, a=a)
        self.assertEqual(b.previous(), 3)
        self.assertIn(a, b.dependencies)
        self.assertEqual(a.children, set())


class Hierarchy(unittest.TestCase):
    def test_every_class_has_its_dt2_bases(self):
        checked = 0
        for qualified, bases in DT2["bases"].items():
            if qualified.rpartition(".")[2] in EXCLUDED_NAMES:
                continue
            cls = _ours(qualified)
            self.assertTrue(inspect.isclass(cls), qualified)
            for base in bases:
                if (cls.__name__, base) in DIFFERENT_BASES:
                    continue
                with self.subTest(qualified, base=base):
                    self.assertTrue(issubclass(cls, _class_named(base)), f"{qualified} is not a {base}")
                    checked += 1
        self.assertGreater(checked, 300)

    def test_aliases(self):
        self.assertGreater(len(DT2["aliases"]), 10)
        for qualified, name in DT2["aliases"].items():
            with self.subTest(qualified):
                self.assertTrue(issubclass(_ours(qualified), _class_named(name)))

    def test_instances(self):
        self.assertIsInstance(dt.Add(value=1), dt.ArithmeticOperationFeature)
        self.assertIsInstance(dt.Value(value=1) >> dt.Add(value=1), dt.StructuralFeature)
        self.assertIsInstance(dt.Probability(dt.Add(value=1), probability=0.5), dt.StructuralFeature)
        self.assertIsInstance(dt.GaussianBlur(sigma=1), dt.math.Blur)
        self.assertIsInstance(dt.MaxPooling(ksize=2), dt.math.Pool)
        self.assertIsInstance(dt.Defocus(), dt.Zernike)
        self.assertIsInstance(dt.Darkfield(), dt.Brightfield)
        self.assertNotIsInstance(dt.CropTight(), dt.Augmentation)
        self.assertNotIsInstance(dt.IlluminationGradient(), dt.Optics)
        # The parents add nothing to the kinds: they compute as before.
        self.assertEqual(dt.Add(value=1)(np.ones(2)).tolist(), [2.0, 2.0])
        blurred = dt.AverageBlur(ksize=3)(np.ones((4, 4)))
        self.assertEqual(np.asarray(blurred).shape, (4, 4))


class ModuleNames(unittest.TestCase):
    def test_every_name_users_import(self):
        for module, names in DT2["modules"].items():
            ours = _module(module)
            for name in names:
                if name in EXCLUDED_NAMES or (module, name) in EXCLUDED_IN:
                    continue
                with self.subTest(module=module, name=name):
                    self.assertTrue(hasattr(ours, name), f"deeptrack_native.{module}.{name}")

    def test_imports_work(self):
        from deeptrack_native.augmentations import Feature as A
        from deeptrack_native.math import Feature, Image
        from deeptrack_native.properties import get_kwarg_names

        self.assertIs(Feature, dt.Feature)
        self.assertIs(A, dt.Feature)
        self.assertIs(Image, dt.Image)
        self.assertEqual(get_kwarg_names(lambda a, b=1: None), ["a", "b"])
        self.assertIs(dt.features.SourceItem, dt.SourceItem)
        self.assertIs(dt.features.ConversionTable, dt.ConversionTable)
        self.assertIs(dt.DeepTrackNode, dt.backend.core.DeepTrackNode)
        self.assertEqual(dt.pad_image_to_fft(np.ones((5, 7))).shape, (6, 8))

    def test_config(self):
        self.assertEqual(dt.config.get_device(), "cpu")
        self.assertEqual(dt.config.get_backend(), "numpy")
        self.assertFalse(dt.config.gpu_enabled)
        with self.assertRaisesRegex(NotImplementedError, "CPU only"):
            dt.config.set_device("gpu")
        with self.assertRaisesRegex(NotImplementedError, "numpy"):
            dt.config.set_backend_torch()
        self.assertEqual(dt.config.get_backend(), "numpy")
        with dt.config.wrapper_enabled_context():
            self.assertTrue(dt.config.image_wrapper)
        self.assertFalse(dt.config.image_wrapper)

    def test_unit_contexts(self):
        self.assertEqual(dt.get_active_scale(), (1, 1, 1))
        self.assertEqual(dt.get_active_voxel_size(), (1e-6, 1e-6, 1e-6))
        ctx = dt.create_context(100e-9, 100e-9, 100e-9, 2, 2, 2)
        with dt.units.registry().context(ctx):
            self.assertEqual(dt.get_active_scale(), (2, 2, 2))
            self.assertAlmostEqual(dt.get_active_voxel_size()[0], 50e-9)
        self.assertEqual(dt.get_active_scale(), (1, 1, 1))


class ConstructionProperties(unittest.TestCase):
    def test_function_is_a_property(self):
        f = dt.Lambda(function=lambda: lambda image: image * 2)
        self.assertEqual(list(f.properties), ["function", "name"])
        self.assertTrue(callable(f.function()))
        self.assertEqual(f.function()(np.ones(1)).tolist(), [2.0])
        f.store_properties()
        out = f(np.ones(2))
        self.assertEqual(out.tolist(), [2.0, 2.0])
        self.assertEqual(list(out.properties[0]), ["function", "name"])
        g = dt.Lambda(lambda factor: lambda image: image * factor, factor=3)
        self.assertEqual(g(np.ones(1)).tolist(), [3.0])
        self.assertEqual(g.function()(np.ones(1)).tolist(), [3.0])
        m = dt.Merge(function=lambda: lambda images: np.mean(np.stack(images), axis=0))
        self.assertEqual(list(m.properties), ["function", "name"])
        self.assertEqual(m([np.ones(2), 3 * np.ones(2)]).tolist(), [2.0, 2.0])

    def test_load_image_lists_load_options(self):
        f = dt.LoadImage(path="x.png")
        self.assertEqual(list(f.properties), ["path", "load_options", "as_list", "ndim", "to_grayscale", "get_one_random", "name"])
        self.assertIsNone(f.load_options())
        with self.assertRaisesRegex(NotImplementedError, "load_options"):
            dt.LoadImage(path="x.png", load_options={"a": 1})


if __name__ == "__main__":
    unittest.main()
