"""The Python API: properties from keyword arguments, operators, seeding, numpy in and out, errors."""

import gc
import sys
import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native import Feature, Image


class AddOne(Feature):
    def get(self, image, **kwargs):
        return image + 1


class Scale(Feature):
    def __init__(self, factor=2, **kwargs):
        super().__init__(factor=factor, **kwargs)

    def get(self, image, factor, **kwargs):
        return image * factor


class Properties(unittest.TestCase):
    def test_constants_arrays_and_metadata_in_order(self):
        f = Scale(factor=3, label="x", shift=np.array([1.0, 2.0]), flag=True, nothing=None, items=[1, "a"])
        f.store_properties()
        out = f.resolve(np.zeros(2))
        self.assertEqual(list(out.properties[0]), ["factor", "label", "shift", "flag", "nothing", "items", "name"])
        d = out.properties[0]
        self.assertEqual((d["factor"], d["label"], d["flag"], d["nothing"], d["items"]), (3, "x", True, None, [1, "a"]))
        self.assertIsInstance(d["shift"], np.ndarray)
        self.assertEqual(d["shift"].tolist(), [1.0, 2.0])
        self.assertEqual(d["name"], "Scale")

    def test_callables_pick_siblings_by_parameter_name(self):
        f = Scale(radius=lambda: 1.5, factor=lambda radius: radius * 2)
        self.assertEqual(f.factor(), 3.0)
        self.assertEqual(f.resolve(np.ones(2)).tolist(), [3.0, 3.0])

    def test_callable_parameter_defaults_and_missing_names(self):
        f = Scale(factor=lambda missing=5: missing)
        self.assertEqual(f.factor(), 5)
        g = Scale(factor=lambda missing: missing)
        with self.assertRaises(dt.NotFoundError) as cm:
            g.factor()
        self.assertIn("missing", str(cm.exception))
        self.assertIn("factor", str(cm.exception))

    def test_property_of_another_feature(self):
        a = Scale(factor=lambda: np.random.rand() + 1)
        b = Scale(factor=a.factor)
        pipe = a >> b
        pipe.store_properties()
        out = pipe.resolve(np.ones(1))
        fa, fb = out.get_property("factor", get_one=False)
        self.assertEqual(fa, fb)
        pipe.update()
        out2 = pipe.resolve(np.ones(1))
        self.assertNotEqual(out2.get_property("factor"), fa)
        self.assertAlmostEqual(float(np.asarray(out2)[0]), out2.get_property("factor") ** 2)

    def test_id_is_a_tuple_in_callables_and_dicts(self):
        f = Scale(factor=1, seen=lambda _ID: _ID)
        r = f ^ 2
        r.store_properties()
        out = r.resolve(np.ones(1))
        # The callable returns the tuple it is given, which stays a tuple (as in DeepTrack2).
        self.assertEqual(out.get_property("seen", get_one=False), [(0,), (1,)])
        self.assertEqual(out.get_property("_ID", get_one=False), [(0,), (1,)])

    def test_property_access_and_unknown_attribute(self):
        f = dt.Gaussian(sigma=0.5)
        self.assertIsInstance(f.sigma, dt.Property)
        self.assertEqual(f.sigma(), 0.5)
        self.assertEqual(f.mu(), 0.0)
        with self.assertRaises(AttributeError):
            f.not_a_property  # noqa: B018 - the attribute access is the test

    def test_seeded_random_helper_is_reproducible(self):
        def build():
            p = Scale(
                factor=lambda: dt.random.uniform(1, 2),
                pos=lambda: dt.random.rand(2) * 64,
                n=lambda: dt.random.randint(10),
            )
            p.store_properties()
            return p

        values = []
        for _ in range(2):
            p = build()
            p.seed(1234)
            run = []
            for _ in range(3):
                out = p.update().resolve(np.ones(1))
                run.append((out.get_property("factor"), tuple(out.get_property("pos")), out.get_property("n")))
            values.append(run)
        self.assertEqual(values[0], values[1])
        self.assertEqual(len(set(values[0])), 3)
        self.assertTrue(all(1 <= f < 2 and 0 <= n < 10 for f, _, n in values[0]))
        self.assertIsInstance(dt.random.rand(), float)  # outside a callable: numpy's generator

    def test_seed_returns_the_seed_and_update_returns_self(self):
        f = dt.Gaussian()
        self.assertEqual(f.seed(7), 7)
        self.assertIsInstance(f.seed(), int)
        self.assertIs(f.update(), f)


class Operators(unittest.TestCase):
    def setUp(self):
        self.x = np.array([2.0, 4.0])

    def test_arithmetic_with_values_on_either_side(self):
        F = dt.DummyFeature()
        cases = {
            "F + 1": (F + 1, [3.0, 5.0]),
            "F - 1": (F - 1, [1.0, 3.0]),
            "F * 3": (F * 3, [6.0, 12.0]),
            "F / 2": (F / 2, [1.0, 2.0]),
            "F // 3": (F // 3, [0.0, 1.0]),
            "F ** 2": (F**2, [4.0, 16.0]),
            "F > 3": (F > 3, [0.0, 1.0]),
            "F < 3": (F < 3, [1.0, 0.0]),
            "F >= 4": (F >= 4, [0.0, 1.0]),
            "F <= 2": (F <= 2, [1.0, 0.0]),
        }
        for name, (pipe, expected) in cases.items():
            with self.subTest(name):
                self.assertEqual(np.asarray(pipe.resolve(self.x)).tolist(), expected)

    def test_reflected_operators_use_the_feature_as_a_property(self):
        V = dt.Value(value=np.array([2.0, 4.0]))
        cases = {
            "1 - V": (1 - V, [-1.0, -3.0]),
            "8 / V": (8 / V, [4.0, 2.0]),
            "9 // V": (9 // V, [4.0, 2.0]),
            "2 ** V": (2**V, [4.0, 16.0]),
            "1 + V": (1 + V, [3.0, 5.0]),
            "3 * V": (3 * V, [6.0, 12.0]),
        }
        for name, (pipe, expected) in cases.items():
            with self.subTest(name):
                self.assertEqual(np.asarray(pipe.resolve()).tolist(), expected)

    def test_feature_plus_feature_and_a_lambda_value(self):
        F = dt.Value(value=np.array([2.0, 4.0]))
        G = dt.Value(value=np.array([10.0, 20.0]))
        self.assertEqual(np.asarray((F + G).resolve()).tolist(), [12.0, 24.0])
        self.assertEqual(np.asarray((F + (lambda: 5)).resolve()).tolist(), [7.0, 9.0])

    def test_chain_repeat_and_callable_chain(self):
        pipe = (AddOne() ^ 3) >> Scale(factor=2)
        self.assertEqual(np.asarray(pipe.resolve(np.zeros(2))).tolist(), [6.0, 6.0])
        self.assertEqual(np.asarray((AddOne() >> np.sqrt).resolve(np.full(1, 8.0))).tolist(), [3.0])
        self.assertEqual(np.asarray((AddOne() ^ (lambda: 2)).resolve(np.zeros(1))).tolist(), [2.0])
        self.assertEqual(
            np.asarray(dt.Lambda(lambda factor: lambda im: im * factor, factor=3).resolve(np.ones(1))).tolist(), [3.0]
        )

    def test_calling_a_feature_resolves_it(self):
        self.assertEqual(AddOne()(np.zeros(1)).tolist(), [1.0])

    def test_optics_of_a_sample_is_a_microscope(self):
        optics = dt.Fluorescence(NA=0.8, wavelength=680e-9, output_region=(0, 0, 32, 32))
        micro = optics(dt.PointParticle(position=(16, 16)))
        self.assertIsInstance(micro, dt.Microscope)
        image = micro.resolve()
        self.assertEqual(image.shape, (32, 32, 1))
        self.assertEqual(np.unravel_index(np.argmax(image), image.shape), (16, 16, 0))


class NumpyInOut(unittest.TestCase):
    def test_results_are_zero_copy_views_that_keep_their_owner_alive(self):
        pipe = dt.Add(value=1.0)
        out = pipe.resolve(np.zeros((3, 4)))
        self.assertIsInstance(out, np.ndarray)
        self.assertFalse(out.flags.writeable)
        self.assertFalse(out.flags.owndata)
        del pipe
        gc.collect()
        self.assertEqual(out.sum(), 12.0)
        copy = np.array(out)
        copy[0, 0] = 5.0
        self.assertEqual(out[0, 0], 1.0)

    def test_same_input_object_returns_the_cached_result(self):
        calls = []

        class Count(Feature):
            def get(self, image, **kw):
                calls.append(1)
                return image + 1

        f = Count(c=lambda: np.random.rand())
        x = np.zeros(2)
        f.resolve(x)
        f.resolve(x)
        self.assertEqual(len(calls), 1)
        # As DeepTrack2 2.0.1, which compares inputs by identity (observed with it: [1, 1], one call):
        # the same object changed in place still gives the cached result until an update ...
        x[0] = 5
        self.assertEqual(f.resolve(x).tolist(), [1.0, 1.0])
        self.assertEqual(len(calls), 1)
        # ... after which its current contents are computed on ([6, 1], two calls).
        f.update()
        self.assertEqual(f.resolve(x).tolist(), [6.0, 1.0])
        self.assertEqual(len(calls), 2)
        # An update of any other feature also makes the next resolve read the data again.
        x[1] = 2
        Count().update()
        self.assertEqual(f.resolve(x).tolist(), [6.0, 3.0])
        self.assertEqual(len(calls), 3)
        # A new object, even an equal one, is computed on (three calls in 2.0.1), then cached.
        y = x.copy()
        self.assertEqual(f.resolve(y).tolist(), [6.0, 3.0])
        self.assertEqual(f.resolve(y).tolist(), [6.0, 3.0])
        self.assertEqual(len(calls), 4)

    def test_same_image_object_returns_the_cached_result_with_its_lineage(self):
        f = AddOne(c=1)
        f.store_properties()
        x = Image(np.zeros(2)).append({"name": "pre"})
        first = f.resolve(x)
        x.append({"name": "later"})  # the same object: cached, as DeepTrack2 (identity)
        again = f.resolve(x)
        self.assertEqual([d["name"] for d in again.properties], ["pre", "AddOne"])
        self.assertIs(again.properties[1], first.properties[1])
        f.update()
        self.assertEqual([d["name"] for d in f.resolve(x).properties], ["pre", "later", "AddOne"])

    def test_result_dicts_read_after_the_pipeline_is_gone(self):
        # A result's dicts are read from the library on first use: the result keeps them alive.
        pipe = AddOne(c=lambda: 2.5) >> Scale(factor=3)
        pipe.store_properties()
        out = pipe.resolve(np.zeros(2))
        del pipe
        gc.collect()
        self.assertEqual([d["name"] for d in out.properties], ["AddOne", "Scale", "Chain"])
        self.assertEqual(out.get_property("c"), 2.5)
        self.assertIs(out.properties[0], out.properties[0])
        again = Image(out)  # a new Image holding the same dicts
        self.assertIs(again.properties[1], out.properties[1])

    def test_get_receives_a_writable_copy_and_in_place_changes_count(self):
        class Mark(Feature):
            def get(self, image, **kw):
                image[0] = 7.0
                return image

        x = np.zeros(2)
        self.assertEqual(Mark().resolve(x).tolist(), [7.0, 0.0])
        self.assertEqual(x.tolist(), [0.0, 0.0])
        # Large arrays too (compared another way), and a change to the sign of a zero or to a NaN.
        big = np.zeros((100, 100))
        self.assertEqual(Mark().resolve(big)[0].tolist(), [7.0] * 100)

        class Set(Feature):
            def get(self, image, at, to, **kw):
                image.flat[at] = to
                return image

        for size in (4, 10_000):
            y = np.full(size, np.nan)
            y[1] = 0.0
            out = (Set(at=1, to=-0.0) >> Set(at=2, to=5.0)).resolve(y)
            self.assertEqual(np.signbit(out[1]), True)
            self.assertEqual(out[2], 5.0)
            self.assertTrue(np.isnan(out[0]))
            self.assertTrue(np.isnan(Set(at=0, to=np.nan).resolve(y)[0]))

    def test_input_image_lineage_is_carried_forward(self):
        pre = {"name": "pre", "k": 1}
        x = Image(np.zeros(2)).append(pre)
        f = AddOne(c=3)
        f.store_properties()
        out = f.resolve(x)
        self.assertIs(out.properties[0], pre)
        self.assertEqual(dict(out.properties[1]), {"c": 3, "name": "AddOne"})
        self.assertEqual(x.properties, [pre])

    def test_non_store_mode_returns_plain_arrays_and_lists_for_several_images(self):
        self.assertIsInstance(AddOne().resolve(np.zeros(1)), np.ndarray)
        several = dt.Add(value=[10, 20]).resolve(np.zeros(1))
        self.assertEqual([a.tolist() for a in several], [[10.0], [20.0]])


class Batches(unittest.TestCase):
    def test_items_depend_only_on_seed_and_index(self):
        pipe = Scale(factor=lambda: dt.random.uniform(1, 2)) >> dt.Gaussian(sigma=0.1)
        pipe.store_properties()
        x = np.ones((4, 4))
        whole = pipe.resolve_batch(6, seed=11, image=x)
        parts = pipe.resolve_batch(2, seed=11, image=x, threads=1) + pipe.resolve_batch(4, seed=11, first=2, image=x)
        self.assertEqual(len(whole), 6)
        for a, b in zip(whole, parts):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
            self.assertEqual(a.get_property("factor"), b.get_property("factor"))
        self.assertEqual(len({w.get_property("factor") for w in whole}), 6)
        self.assertEqual(pipe.resolve_batch(0, seed=1), [])

    def test_an_exception_in_a_worker_is_re_raised(self):
        error = KeyError("no sample")

        def boom():
            raise error

        with self.assertRaises(KeyError) as cm:
            Scale(factor=boom).resolve_batch(3, image=np.ones(1), threads=2)
        self.assertIs(cm.exception, error)


class Errors(unittest.TestCase):
    def test_library_errors_carry_the_message(self):
        with self.assertRaises(dt.InvalidArgumentError) as cm:
            dt.Gaussian(sigma=-1.0)
        self.assertIn("sigma", str(cm.exception))
        self.assertIn("Gaussian", str(cm.exception))
        self.assertEqual(cm.exception.status_name, "DEEPTRACK_STATUS_INVALID_ARGUMENT")
        with self.assertRaises(dt.TypeMismatchError) as cm:
            dt.Gaussian(sigma="wide").resolve(np.zeros(2))
        self.assertIn("sigma", str(cm.exception))

    def test_unconvertible_values_name_the_property(self):
        # Any object is a value, as in DeepTrack2 (kept by Python); a kind computing with it fails
        # when it resolves, naming the property and what it holds.
        add = dt.Add(value={"a": 1})
        self.assertEqual(add.value(), {"a": 1})
        with self.assertRaises(TypeError) as cm:
            add.resolve(np.zeros(2))
        self.assertIn("property 'value' of feature 'Add' holds a dict", str(cm.exception))
        # A complex array is a library value: Add computes with it as numpy does; FloorDivide, which
        # numpy does not define for complex numbers, refuses it, naming the feature.
        np.testing.assert_array_equal(dt.Add(value=np.array([1j])).resolve(np.zeros(2)), np.zeros(2) + 1j)
        with self.assertRaises(dt.TypeMismatchError) as cm:
            dt.FloorDivide(value=np.array([1j])).resolve(np.zeros(2))
        self.assertIn("feature 'FloorDivide': FloorDivide does not accept complex images or values", str(cm.exception))
        # A custom feature's get receives the object.
        with self.assertRaises(TypeError) as cm:
            Scale(factor={"a": 1}).resolve(np.zeros(2))
        self.assertIn("dict", str(cm.exception))

    def test_exception_in_a_property_callable_is_re_raised(self):
        class Boom(Exception):
            pass

        error = Boom("no value")

        def fail():
            raise error

        f = Scale(factor=fail)
        with self.assertRaises(Boom) as cm:
            f.resolve(np.ones(1))
        self.assertIs(cm.exception, error)
        f._set("factor", 2)  # the pipeline still works afterwards
        self.assertEqual(f.resolve(np.ones(1)).tolist(), [2.0])

    def test_exception_in_get_is_re_raised(self):
        class Broken(Feature):
            def get(self, image, **kw):
                raise KeyError("missing thing")

        pipe = AddOne() >> Broken()
        with self.assertRaises(KeyError) as cm:
            pipe.resolve(np.zeros(1))
        self.assertEqual(cm.exception.args, ("missing thing",))
        self.assertEqual(AddOne().resolve(np.zeros(1)).tolist(), [1.0])

    def test_get_returning_junk_passes_it_on_and_a_kind_refuses_it(self):
        junk = object()

        class Junk(Feature):
            def get(self, image, **kw):
                return junk

        # DeepTrack2 2.0.1 passes any object on; a kind computing with samples refuses it.
        self.assertIs(Junk().resolve(np.zeros(1)), junk)
        with self.assertRaisesRegex(TypeError, "Add cannot compute with an object"):
            (Junk() >> dt.Add(value=1)).resolve(np.zeros(1))

    def test_re_entering_the_pipeline_from_a_callback_is_busy(self):
        holder = []

        class Reenter(Feature):
            def get(self, image, **kw):
                return holder[0].resolve(image)

        f = Reenter()
        holder.append(f)
        with self.assertRaises(dt.BusyError):
            f.resolve(np.zeros(1))
        holder.clear()

    def test_unsupported_things_say_so(self):
        # A Feature without get() holds properties (DeepTrack2's); resolving it says what is missing.
        with self.assertRaisesRegex(NotImplementedError, "Feature does not define get"):
            Feature(a=1).resolve(np.zeros(1))


class Memory(unittest.TestCase):
    @staticmethod
    def rss_kib():
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        import resource

        return pages * resource.getpagesize() // 1024

    @unittest.skipUnless(sys.platform.startswith("linux"), "reads /proc")
    def test_100k_update_resolve_cycles_do_not_grow(self):
        particle = Scale(factor=lambda: np.random.rand(), tag=lambda factor: factor > 0.5)
        pipe = particle >> dt.Add(value=1.0)
        pipe.store_properties()
        x = np.zeros((8, 8))

        def cycle(n):
            for _ in range(n):
                out = pipe.update().resolve(x)
                out.get_property("factor")

        cycle(10_000)
        gc.collect()
        before = self.rss_kib()
        cycle(100_000)
        gc.collect()
        grown = self.rss_kib() - before
        self.assertLess(grown, 4096, f"resident memory grew by {grown} KiB over 100,000 cycles")

    def test_features_free_their_handles_when_collected(self):
        from deeptrack_native import _core

        start = len(_core._CALLBACKS)
        for _ in range(100):
            f = Scale(factor=lambda: 2.0) >> AddOne()
            f.resolve(np.zeros(1))
        del f
        gc.collect()
        self.assertEqual(len(_core._CALLBACKS), start)


if __name__ == "__main__":
    unittest.main()
