"""Structural semantics as DeepTrack2 2.0.1 shows them (each expected value is 2.0.1's, run with
target/dt2-venv): the order of properties whose functions read siblings, the dicts of a feature given
as a property, Combine on a list, Crop's corner, Pool and Blur of complex images, and an arithmetic
feature whose value gives no image."""

import unittest

import numpy as np

import deeptrack_native as dt


def stored(feature, *args):
    feature.store_properties()
    return feature(*args)


class PropertyOrder(unittest.TestCase):
    def test_a_property_reading_siblings_comes_after_them_and_name(self):
        self.assertEqual(
            stored(dt.Add(value=lambda scale: 2 * scale, scale=3), np.zeros(2)).properties,
            [{"scale": 3, "name": "Add", "value": 6}],
        )
        cases = [
            (dt.Add(value=lambda b: b, a=1, b=lambda a: a), ["a", "b", "name", "value"]),
            # A chain, one property a pass: 2.0.1's passes over the keywords in order.
            (dt.Add(value=lambda c: c, c=lambda b: b, b=lambda a: a, a=1), ["a", "name", "b", "c", "value"]),
            (dt.Gaussian(sigma=lambda mu: mu + 1, mu=lambda: 0.1), ["mu", "sigma", "name"]),
            # Functions inside a list count; a sibling that is a feature is a node, built already.
            (dt.DummyFeature(z=lambda y, w: y, y=[lambda w: w], w=3), ["w", "name", "y", "z"]),
            (dt.Add(value=lambda other: other, other=dt.Value(value=1)), ["value", "other", "name"]),
            (dt.Clip(min=lambda: 1, max=3), ["min", "max", "name"]),
        ]
        for feature, keys in cases:
            self.assertEqual(list(feature.properties.keys()), keys)

    def test_the_dicts_follow_the_order_and_values_are_unchanged(self):
        f = dt.Add(value=lambda b: b, a=1, b=lambda a: a + 1)
        out = stored(f, np.zeros(2))
        self.assertEqual(list(out.properties[0].keys()), ["a", "b", "name", "value"])
        self.assertEqual(out.properties[0]["value"], 2)
        np.testing.assert_array_equal(np.asarray(out), [2.0, 2.0])
        self.assertEqual(f.value(), 2)


class FeatureValueDicts(unittest.TestCase):
    def test_a_feature_given_as_a_parameter_joins_its_dicts(self):
        x = np.arange(6.0).reshape(2, 3)
        self.assertEqual(
            stored(dt.Add(value=dt.Value(value=2)), x).properties,
            [{"value": 2, "name": "Value"}, {"value": 2, "name": "Add"}],
        )
        names = [d["name"] for d in stored(dt.Value(value=np.ones(2)) + dt.Value(value=2)).properties]
        self.assertEqual(names, ["Value", "Value", "Add", "Chain"])
        names = [d["name"] for d in stored(dt.Add(value=dt.Value(value=2) >> dt.Add(value=1)), x).properties]
        self.assertEqual(names, ["Value", "Add", "Chain", "Add"])
        names = [d["name"] for d in stored(dt.Clip(min=dt.Value(value=1), max=3), x).properties]
        self.assertEqual(names, ["Value", "Clip"])
        # Metadata (not a parameter of the kind) does not join, as in 2.0.1.
        self.assertEqual(
            stored(dt.DummyFeature(foo=dt.Value(value=2)), x).properties, [{"foo": 2, "name": "DummyFeature"}]
        )

    def test_an_arithmetic_value_that_gives_no_image_is_an_error_that_says_why(self):
        x = np.arange(6.0).reshape(2, 3)
        for pipeline in (dt.Add(value=1) + dt.Multiply(value=2), 1 - dt.Add(value=1), 2 ** dt.Add(value=0)):
            with self.assertRaisesRegex(TypeError, "got no image from the feature given as the value") as caught:
                pipeline(x)
            self.assertIn("resolved without input", str(caught.exception))
        # With an input of its own, the value computes.
        np.testing.assert_array_equal((dt.Add(value=1) + (dt.Value(value=x) >> dt.Multiply(value=2)))(x), 3 * x + 1)


class CombineOnLists(unittest.TestCase):
    def test_a_list_input_gives_one_stacked_image_per_feature(self):
        combine = dt.Combine([dt.Add(value=1), dt.Multiply(value=3)])
        out = combine([np.zeros(2), np.ones(2)])
        self.assertEqual([np.asarray(i).tolist() for i in out], [[[1.0, 1.0], [2.0, 2.0]], [[0.0, 0.0], [3.0, 3.0]]])
        # 2.0.1 with stored properties: Images of the stacked lists, with Combine's dict alone.
        out = stored(dt.Combine([dt.Add(value=1), dt.Multiply(value=3)]), [np.zeros(2), np.ones(2)])
        self.assertEqual([i.properties for i in out], [[{"name": "Combine"}], [{"name": "Combine"}]])
        # The next feature computes on each stacked image: 2.0.1's Sum(axis=0) gives [3, 3] twice.
        summed = (dt.Combine([dt.Add(value=1), dt.Multiply(value=3)]) >> dt.Sum(axis=0))([np.zeros(2), np.ones(2)])
        self.assertEqual([np.asarray(i).tolist() for i in summed], [[3.0, 3.0], [3.0, 3.0]])
        # One input: one image per feature.
        self.assertEqual([np.asarray(i).tolist() for i in combine([np.zeros(2)])], [[1.0, 1.0], [0.0, 0.0]])

    def test_the_siblings_keep_their_list_semantics(self):
        inputs = [np.zeros(2), np.ones(2)]
        as_lists = lambda images: [np.asarray(i).tolist() for i in images]
        self.assertEqual(as_lists((dt.Add(value=1) & dt.Multiply(value=3))(inputs)), [[1.0, 1.0], [2.0, 2.0]])
        self.assertEqual(as_lists(dt.Branch(dt.Add(value=1), dt.Multiply(value=3))(inputs)), [[3.0, 3.0], [6.0, 6.0]])
        self.assertEqual(as_lists((dt.Add(value=1) ^ 2)(inputs)), [[2.0, 2.0], [3.0, 3.0]])
        self.assertEqual(as_lists(dt.Arguments(a=1)(inputs)), [[0.0, 0.0], [1.0, 1.0]])


class CropCorners(unittest.TestCase):
    def test_a_short_corner_crops_only_its_axes(self):
        x = np.zeros((5, 5, 3))
        cases = [
            (dt.CropToMultiplesOf(multiple=2, corner=(0, 0)), (4, 4, 3)),
            (dt.CropToMultiplesOf(multiple=2, corner=(1,)), (4, 5, 3)),
            (dt.CropToMultiplesOf(multiple=(2,), corner=(0, 0, 0)), (4, 5, 3)),
            (dt.Crop(crop=2, crop_mode="remove", corner=(0, 0)), (3, 3, 3)),
            (dt.Crop(crop=2, corner=(0, 0, 0, 0)), (2, 2, 2)),
            (dt.Crop(crop=(2,), corner=(0, 0)), (2, 2, 3)),
            (dt.Crop(crop=2, corner=(1,)), (2, 5, 3)),
            (dt.Crop(crop=(2, 2, 2), corner=(1, 1)), (2, 2, 3)),
            (dt.PadToMultiplesOf(multiple=(4,)), (8, 5, 3)),
            (dt.Pad(px=(1, 1)), (7, 5, 3)),
        ]
        for feature, shape in cases:
            self.assertEqual(np.asarray(feature(x)).shape, shape)

    def test_the_random_corner_is_kept_until_update(self):
        ramp = np.arange(36.0).reshape(6, 6)
        for consistent in (False, True):
            crop = dt.Crop(crop=(2, 2), time_consistent=consistent)
            corners = set()
            for _ in range(20):
                a = np.asarray(crop(ramp))
                np.testing.assert_array_equal(np.asarray(crop(ramp + 100)) - 100, a)
                first, second = crop([ramp, ramp])
                np.testing.assert_array_equal(first, second)
                corners.add(a[0, 0])
                crop.update()
            self.assertGreater(len(corners), 5)


class ComplexFunctions(unittest.TestCase):
    def test_pool_and_blur_give_functions_complex_numbers(self):
        z = np.ones((2, 2)) * (1 + 2j)
        np.testing.assert_array_equal(dt.Pool(np.median, ksize=2)(z), [[1 + 2j]])
        np.testing.assert_array_equal(dt.Pool(np.mean, ksize=2)(z), [[1 + 2j]])
        np.testing.assert_array_equal(dt.Pool(np.std, ksize=2)(np.arange(4.0).reshape(2, 2) * (1 + 2j)), [[2.5]])
        ramp = np.arange(9.0).reshape(3, 3) * (1 + 2j)
        np.testing.assert_array_equal(
            dt.Pool(np.mean, ksize=2)(ramp), [[2 + 4j, 1.75 + 3.5j], [3.25 + 6.5j, 2 + 4j]]
        )
        np.testing.assert_array_equal(dt.Pool(np.max, ksize=2)(ramp), [[4 + 8j, 5 + 10j], [7 + 14j, 8 + 16j]])
        seen = []

        def per_block(block):
            seen.append(block.dtype)
            return block[0, 0]

        np.testing.assert_array_equal(dt.Pool(per_block, ksize=2)(ramp), [[0j, 2 + 4j], [6 + 12j, 8 + 16j]])
        self.assertEqual(set(seen), {np.dtype(complex)})
        out = dt.Blur(filter_function=lambda input, **k: input * 2)(z)
        np.testing.assert_array_equal(out, z * 2)


if __name__ == "__main__":
    unittest.main()
