"""``f[index_feature]`` (a Slice whose index holds features: masks and integer indices, sampled once
per update); ``a & b`` as DeepTrack2 2.0.1 builds it, ``Chain(a, Stack(value=b))``, and the property lists on
its images; ``Stack(value=feature)`` built directly; the augmentations' dicts (keys in order, with
``time_consistent`` first where 2.0.1's ``Augmentation`` adds it) and ``Crop``'s positional argument.
The expected keys, names and images are the ``dicts`` cases of the fixtures
(tests/fixtures/deeptrack-2.0.1/manifest.json, written by DeepTrack2 2.0.1)."""

import json
import os
import unittest

import numpy as np

import deeptrack_native as dt

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "deeptrack-2.0.1")
with open(os.path.join(FIXTURES, "manifest.json")) as f:
    CASES = {c["id"]: c for c in json.load(f)["cases"] if c.get("dicts")}


def array(spec):
    return np.array(spec["data"], dtype=np.float64).reshape(spec["shape"])


def constant(value):
    if isinstance(value, dict) and "array" in value:
        return array(value["array"])
    if isinstance(value, list):
        return tuple(constant(v) for v in value)
    return value


def prop(v):
    """A spec's property: a feature for a spec, a chain for a list of specs, a Python list for
    ``{"list": [...]}`` (its features sampled inside it), else a constant."""
    if isinstance(v, dict) and "feature" in v:
        return feature(v)
    if isinstance(v, list) and v and all(isinstance(s, dict) and "feature" in s for s in v):
        out = feature(v[0])
        for s in v[1:]:
            out = out >> feature(s)
        return out
    if isinstance(v, dict) and "list" in v:
        return [prop(x) for x in v["list"]]
    return constant(v)


def feature(spec):
    return getattr(dt, spec["feature"])(**{k: prop(v) for k, v in spec.get("properties", {}).items()})


def lists(out):
    images = out if isinstance(out, list) else [out]
    return ([[list(d.keys()) for d in im.properties] for im in images],
            [[d["name"] for d in im.properties] for im in images], images)


class StackAndDicts(unittest.TestCase):
    def check(self, case, out):
        keys, names, images = lists(out)
        self.assertEqual(keys, case["keys"], case["id"])
        self.assertEqual(names, case["names"], case["id"])
        got = np.stack([np.asarray(im) for im in images]) if len(images) > 1 else np.asarray(images[0])
        expected = np.load(os.path.join(FIXTURES, case["expected"]))
        if case.get("tolerance") == "exact":
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0, err_msg=case["id"])
        else:
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6 * np.abs(expected).max(), err_msg=case["id"])

    def test_every_dicts_case_matches_deeptrack2(self):
        self.assertGreaterEqual(len(CASES), 15)
        for case in CASES.values():
            pipe = feature(case["pipeline"][0])
            for spec in case["pipeline"][1:]:
                pipe = pipe >> feature(spec)
            pipe.store_properties()
            self.check(case, pipe.resolve(array(case["input"])))

    def test_an_index_may_hold_features(self):
        data = array(CASES["slice_feature_mask"]["input"])
        a = dt.Value(value=data)
        # The fixtures' cases through the operator: a mask, an index feature with an integer.
        np.testing.assert_array_equal(a[a > 4.5](), np.load(os.path.join(FIXTURES, "slice_feature_mask.npy")))
        np.testing.assert_array_equal(a[dt.Value(value=3), 1](), data[3, 1])
        np.testing.assert_array_equal(a[-1, dt.Value(value=4)](), data[-1, 4])
        np.testing.assert_array_equal(a[:, dt.Value(value=2)](), data[:, 2])
        np.testing.assert_array_equal(a[dt.Value(value=[2, 0])](), data[[2, 0]])
        # A property and a lambda beside a feature.
        b = dt.Value(value=1)
        np.testing.assert_array_equal(a[b.value, lambda: 2](), data[1, 2])
        # Sampled once per update: the row taken is the index feature's value, the Slice records it.
        index = dt.Value(value=lambda: np.random.randint(0, 4))
        pipe = a[index]
        pipe.store_properties()
        rows = set()
        for _ in range(30):
            pipe.update()
            out = pipe()
            self.assertEqual(out.properties[-2]["slices"], [index.value()])
            np.testing.assert_array_equal(out, data[index.value()])
            np.testing.assert_array_equal(pipe(), out)
            rows.add(index.value())
        self.assertEqual(rows, {0, 1, 2, 3})

    def test_and_is_a_chain_with_a_stack_of_the_value(self):
        case = CASES["dicts_stack_and"]
        a_spec, stack_spec = case["pipeline"]
        b_spec = stack_spec["properties"]["value"]
        pipe = feature(a_spec) & feature(b_spec)
        self.assertIsInstance(pipe, dt.Chain)
        pipe.store_properties()
        self.check(case, pipe.resolve())
        # The reflected form: a value on the left is a Value, the feature the Stack's value.
        b = feature(b_spec)
        left = 3 & b
        left.store_properties()
        keys, names, images = lists(left.resolve())
        self.assertEqual(names, [["Value", "Stack", "Chain"], ["B", "Stack", "Chain"]])
        np.testing.assert_array_equal(np.asarray(images[1]), array(b_spec["properties"]["value"]["array"]))

    def test_stack_lists_as_deeptrack2(self):
        one, two = np.ones(2), np.full(2, 2.0)
        lst = dt.Value(value=[one, two], name="L")
        single = dt.Value(value=np.zeros(2), name="S")
        for pipe, count in ((single & lst, 3), (lst & single, 3), (lst & lst, 4), (single & 3, 2), (3 & single, 2)):
            out = pipe.resolve()
            self.assertEqual(len(out), count)
        out = (single & lst).resolve()
        np.testing.assert_array_equal(np.asarray(out[1]), one)
        np.testing.assert_array_equal(np.asarray(out[2]), two)

    def test_the_value_feature_is_sampled_once_per_update(self):
        b = dt.Value(value=lambda: np.random.rand())
        pipe = dt.Value(value=-1.0) & b
        pipe.store_properties()
        seen = set()
        for _ in range(5):
            pipe.update()
            out = pipe.resolve()
            again = pipe.resolve()
            self.assertEqual(float(out[1]), float(again[1]))
            self.assertEqual(float(out[1]), b.value())
            self.assertEqual(out[1].properties[0]["value"], float(out[1]))
            seen.add(float(out[1]))
        self.assertEqual(len(seen), 5)

    def test_stack_of_a_feature_built_directly(self):
        b = dt.Value(value=np.arange(3.0), name="B")
        stack = dt.Stack(value=b)
        stack.store_properties()
        out = stack.resolve(np.zeros(3))
        self.assertEqual([[d["name"] for d in im.properties] for im in out], [["Stack"], ["B", "Stack"]])
        np.testing.assert_array_equal(np.asarray(out[1]), np.arange(3.0))

    def test_crop_takes_time_consistent_positionally(self):
        crop = dt.Crop(True, crop=(2, 2))
        self.assertEqual(list(crop.properties.keys()), ["time_consistent", "crop", "crop_mode", "corner", "name"])
        self.assertIs(crop.time_consistent(), True)
        self.assertEqual(dt.Crop().crop(), (64, 64))
        self.assertEqual(dt.Pad().px(), (0, 0, 0, 0))
        with self.assertRaises(TypeError):
            dt.Crop(True, time_consistent=False)
        # With it, every image of a list gets the same random corner (2.0.1 reseeds per image anyway).
        images = [np.arange(64.0).reshape(8, 8)] * 6
        pipe = dt.Value(value=images) >> dt.Crop(True, crop=(2, 2))
        for _ in range(5):
            pipe.update()
            self.assertEqual(len({float(im[0, 0]) for im in pipe.resolve()}), 1)

    def test_computed_px_and_crop_of_the_multiples_kinds(self):
        self.assertEqual(list(dt.CropToMultiplesOf().properties.keys()),
                         ["time_consistent", "crop", "crop_mode", "corner", "multiple", "name"])
        self.assertEqual(list(dt.PadToMultiplesOf().properties.keys()),
                         ["time_consistent", "px", "mode", "cval", "multiple", "name"])
        with self.assertRaisesRegex(ValueError, "CropToMultiplesOf.*crop.*computed from `multiple`"):
            dt.CropToMultiplesOf(multiple=2, crop=(3, 3)).resolve(np.zeros((5, 5)))

    def test_an_augmentation_of_your_own_has_time_consistent_first(self):
        class Shift(dt.augmentations.Augmentation):
            def get(self, image, k=1, **kwargs):
                return image + k

        self.assertEqual(list(Shift(k=3).properties.keys()), ["time_consistent", "k", "name"])
        self.assertIs(Shift(True).time_consistent(), True)
        np.testing.assert_array_equal(Shift(k=3)(np.zeros(2)), [3.0, 3.0])


if __name__ == "__main__":
    unittest.main()
