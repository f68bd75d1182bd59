"""OneOfDict, ConditionalSetFeature, Store, TakeProperties and Upscale from Python: DeepTrack2's
signatures, dict keys of any hashable type, a missing branch, outputs kept across updates, property
values as arrays (a tuple for several names), a simulation at a higher resolution, and Merge's
function of the whole list of images, and LoadImage's files (DeepTrack2's test_LoadImage)."""

import inspect
import pickle
import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native import features


class OneOfDictTests(unittest.TestCase):
    def test_signature_and_module(self):
        self.assertEqual(str(inspect.signature(dt.OneOfDict)), "(collection, key=None, **kwargs)")
        self.assertIs(features.OneOfDict, dt.OneOfDict)

    def test_key_chooses_the_feature(self):
        collection = {"add": dt.Add(value=10), "multiply": dt.Multiply(value=2)}
        x = np.array([1.0, 2.0, 3.0])
        self.assertEqual(dt.OneOfDict(collection, key="add").resolve(x).tolist(), [11, 12, 13])
        self.assertEqual(dt.OneOfDict(collection, key="multiply").resolve(x).tolist(), [2, 4, 6])

    def test_any_hashable_keys(self):
        collection = {int: dt.Add(value=10), (1, "a"): dt.Multiply(value=2)}
        self.assertEqual(dt.OneOfDict(collection, key=int).resolve(np.ones(1)).tolist(), [11])
        self.assertEqual(dt.OneOfDict(collection, key=(1, "a")).resolve(np.ones(1)).tolist(), [2])
        with self.assertRaises(KeyError):
            dt.OneOfDict(collection, key=float)
        # A KeyError, as DeepTrack2 raises, whose message reads as a sentence (not KeyError's quotes).
        with self.assertRaises(KeyError) as missing:
            dt.OneOfDict({"a": dt.Value(value=1), "b": dt.Value(value=2)}, key="c").resolve()
        self.assertIsInstance(missing.exception, dt.DeepTrackError)
        self.assertTrue(str(missing.exception).startswith("property 'key' of feature 'OneOfDict': "), str(missing.exception))
        self.assertIn("'c' is not a key of the collection", str(missing.exception))

    def test_random_key_at_every_update_recorded_and_seeded(self):
        values = dt.OneOfDict({"1": dt.Value(value=1), "2": dt.Value(value=2), "3": dt.Value(value=3)})
        values.seed(11)
        draws = [float(values.update().resolve()) for _ in range(300)]
        counts = [draws.count(v) for v in (1, 2, 3)]
        self.assertTrue(all(70 < c < 130 for c in counts), counts)
        values.store_properties()
        image = values.update().resolve()
        self.assertEqual(image.get_property("key"), str(int(float(np.asarray(image)))))
        values.store_properties(False)
        values.seed(11)
        self.assertEqual([float(values.update().resolve()) for _ in range(300)], draws)


class ConditionalSetFeatureTests(unittest.TestCase):
    def test_branches(self):
        image = np.ones((64, 64))
        f = dt.ConditionalSetFeature(on_true=dt.Gaussian(sigma=0), on_false=dt.Gaussian(sigma=5))
        self.assertEqual(np.asarray(f(image)).std(), 0)
        f = dt.ConditionalSetFeature(on_true=dt.Gaussian(sigma=0), on_false=dt.Gaussian(sigma=5), condition=False)
        self.assertAlmostEqual(np.asarray(f(image)).std(), 5, delta=0.5)

    def test_condition_names_a_property_that_defaults_to_true(self):
        f = dt.ConditionalSetFeature(on_true=dt.Add(value=1), condition="is_label")
        f.store_properties()
        out = f.resolve(np.zeros(1))
        self.assertEqual(out.tolist(), [1])
        self.assertEqual(out.properties[-1], {"condition": "is_label", "is_label": True, "name": "ConditionalSetFeature"})
        f = dt.ConditionalSetFeature(on_true=dt.Add(value=1), condition="is_label", is_label=False)
        self.assertEqual(f.resolve(np.zeros(1)).tolist(), [0], "no on_false: the input")
        f = dt.ConditionalSetFeature(dt.Add(value=5), condition=0)
        self.assertEqual(f.resolve(np.zeros(1)).tolist(), [5], "the first argument is on_false")

    def test_pickles_with_a_missing_branch(self):
        f = pickle.loads(pickle.dumps(dt.ConditionalSetFeature(on_true=dt.Add(value=1))))
        self.assertEqual(f.resolve(np.zeros(1)).tolist(), [1])


class StoreTests(unittest.TestCase):
    def test_output_kept_by_key_across_updates(self):
        value = dt.Value(value=lambda: np.random.rand())
        store = dt.Store(feature=value, key="example")
        output = float(store())
        value.update()
        store.update()
        self.assertEqual(float(store()), output)
        replaced = dt.Store(feature=value, key="example", replace=True)
        self.assertEqual(str(inspect.signature(dt.Store)), "(feature, key, replace=False, **kwargs)")
        first = float(replaced())
        replaced.update()
        self.assertNotEqual(float(replaced()), first)


class TakePropertiesTests(unittest.TestCase):
    def test_values_of_one_name_and_of_several(self):
        noise = dt.Gaussian(mu=7, sigma=12)
        take = dt.TakeProperties(noise)
        self.assertEqual(str(inspect.signature(dt.TakeProperties)), "(feature, *names, **kwargs)")
        self.assertEqual(take.get(image=None, names=["mu"]).tolist(), [7])
        self.assertEqual([a.tolist() for a in take.get(image=None, names=["mu", "sigma"])], [[7], [12]])
        out = dt.TakeProperties(noise, "mu", "sigma").resolve(np.zeros(2))
        self.assertEqual(out[0].tolist(), [0, 0])
        self.assertIsInstance(out[1], tuple)

    def test_every_repetition(self):
        value = dt.Value(value=lambda: np.random.rand(), position=lambda: np.random.rand(2))
        out = dt.TakeProperties(value ^ 3, "value").resolve()
        self.assertEqual(out.shape, (3,))
        self.assertEqual(len(set(out.tolist())), 3)
        positions = dt.TakeProperties(value ^ 4, "position").resolve()
        self.assertEqual(positions.shape, (4, 2))


class UpscaleTests(unittest.TestCase):
    def test_simulates_at_a_higher_resolution(self):
        microscope = dt.Fluorescence(output_region=(0, 0, 32, 32))
        particle = dt.PointParticle(position=(16, 16))
        simple = microscope(particle)
        upscaled = dt.Upscale(simple, factor=4)
        self.assertEqual(str(inspect.signature(dt.Upscale)), "(feature, factor=1, **kwargs)")
        image = np.asarray(simple.update()())
        up = np.asarray(upscaled.update()())
        self.assertEqual(image.shape, up.shape)
        self.assertLess(np.abs(image - up).mean(), 1e-4)
        same = np.asarray(dt.Fluorescence(output_region=(0, 0, 32, 32), upscale=4)(particle)())
        np.testing.assert_allclose(up, same, rtol=0, atol=1e-12 * same.max())

    def test_positions_follow_geometric_kinds_inside(self):
        # 2.0.1's Upscale drops the dicts; here the positions follow the pixels the kinds inside move
        # (at the factor times the resolution) into the pooled image.
        microscope = dt.Fluorescence(NA=0.9, wavelength=500e-9, magnification=1, resolution=1e-6, output_region=(0, 0, 32, 32))
        cases = {
            "FlipLR": (lambda: dt.FlipLR(p=1.0), [10, 10]),
            "FlipUD": (lambda: dt.FlipUD(p=1.0), [21, 21]),
            "FlipDiagonal": (lambda: dt.FlipDiagonal(p=1.0), [21, 10]),
            "Crop": (lambda: dt.Crop(crop=(4, 6, 0), crop_mode="remove", corner=(4, 6, 0)), None),
            "Pad": (lambda: dt.Pad(px=(2, 0, 4, 0)), None),
            "Affine": (lambda: dt.Affine(rotate=0.5), None),
            "CropTight": (lambda: dt.CropTight(eps=1e-3), None),
        }
        for factor in (1, 2, 3, (2, 3, 1)):
            for name, (make, expected) in cases.items():
                with self.subTest(kind=name, factor=factor):
                    particle = dt.PointParticle(position=(10.0, 21.0), intensity=1.0)
                    pipeline = dt.Upscale(microscope(particle) >> make(), factor=factor)
                    pipeline.store_properties()
                    out = pipeline.update().resolve()
                    image = np.asarray(out)[..., 0]
                    (position,) = [np.asarray(p) for p in out.get_property("position", get_one=False)]
                    if expected is not None and isinstance(factor, int):
                        # Where the same kind puts it after the optics' own upscale (a non-square
                        # factor makes FlipDiagonal swap rows of one size with columns of another).
                        np.testing.assert_allclose(position, expected, rtol=0, atol=1e-12)
                    peak = np.unravel_index(np.argmax(image), image.shape)
                    np.testing.assert_allclose(position, peak, rtol=0, atol=0.75)

    def test_pools_an_array_pipeline(self):
        out = dt.Upscale(dt.Value(value=np.arange(16.0).reshape(4, 4)), factor=2)()
        self.assertEqual(out.tolist(), [[2.5, 4.5], [10.5, 12.5]])


class MergeTests(unittest.TestCase):
    def test_function_of_the_whole_list(self):
        def merge_function_factory():
            def merge_function(images):
                return np.mean(np.stack(images), axis=0)

            return merge_function

        merge = dt.Merge(function=merge_function_factory)
        self.assertIs(features.Merge, dt.Merge)
        out = merge.resolve([np.ones((5, 5)) * 2, np.ones((5, 5)) * 4])
        np.testing.assert_array_equal(out, np.ones((5, 5)) * 3)
        with self.assertRaisesRegex(ValueError, "same shape"):
            merge.resolve([np.ones((5, 5)), np.ones((3, 3))])
        np.testing.assert_array_equal(merge.resolve([np.ones((5, 5)) * 2]), np.ones((5, 5)) * 2)

    def test_properties_and_several_outputs(self):
        merge = dt.Merge(lambda factor: lambda images: [i * factor for i in images], factor=3)
        out = merge.resolve([np.ones(2), np.full(2, 2.0)])
        self.assertEqual([o.tolist() for o in out], [[3, 3], [6, 6]])
        merge.store_properties()
        out = merge.resolve([np.ones(2), np.full(2, 2.0)])
        self.assertEqual(out[0].get_property("factor"), 3)
        chained = dt.Value(value=np.ones(3)) >> dt.Merge(lambda: lambda images: np.sum(images, 0))
        self.assertEqual(chained().tolist(), [1, 1, 1])


class LoadImageTests(unittest.TestCase):
    def test_formats_and_options(self):
        import os
        import tempfile

        from PIL import Image as PIL_Image

        array = (np.random.rand(50, 50) * 255).astype(np.uint8)
        with tempfile.TemporaryDirectory() as d:
            npy, png, jpg = (os.path.join(d, f"test.{ext}") for ext in ("npy", "png", "jpg"))
            np.save(npy, array)
            PIL_Image.fromarray(array).save(png)
            PIL_Image.fromarray(array).convert("RGB").save(jpg)
            self.assertEqual(str(inspect.signature(dt.LoadImage)),
                             "(path, load_options=None, as_list=False, ndim=3, to_grayscale=False, "
                             "get_one_random=False, **kwargs)")
            for path in (npy, png):
                out = dt.LoadImage(path=path).resolve()
                self.assertEqual(out.shape, (50, 50, 1))
                np.testing.assert_array_equal(out[..., 0], array)
            self.assertEqual(dt.LoadImage(path=jpg).resolve().shape, (50, 50, 3))
            self.assertEqual(dt.LoadImage(path=jpg, to_grayscale=True).resolve().shape, (50, 50, 1))
            self.assertEqual(dt.LoadImage(path=png, ndim=4).resolve().shape, (50, 50, 1, 1))
            self.assertEqual(dt.LoadImage(path=[png, npy]).resolve().shape, (50, 50, 2))
            self.assertEqual(len(dt.LoadImage(path=[png, npy], as_list=True).resolve()), 2)
            with self.assertRaisesRegex(LookupError, "cannot read"):
                dt.LoadImage(path=os.path.join(d, "missing.png")).resolve()
            with self.assertRaises(NotImplementedError):
                dt.LoadImage(path=png, load_options={"mode": 1})


if __name__ == "__main__":
    unittest.main()
