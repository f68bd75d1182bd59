"""The structural kinds built from features, from Python: classes generated from the registry
(Combine, Probability, OneOf, Stack and ``&``, Arguments), DeepTrack2's signatures and semantics."""

import inspect
import unittest

import numpy as np

import deeptrack_native as dt


class StructuralKinds(unittest.TestCase):
    def test_signatures_follow_deeptrack2(self):
        self.assertEqual(str(inspect.signature(dt.OneOf)), "(collection, key=None, **kwargs)")
        self.assertEqual(list(inspect.signature(dt.Probability).parameters)[:2], ["feature", "probability"])
        self.assertEqual(list(inspect.signature(dt.Combine).parameters)[0], "features")
        self.assertEqual(list(inspect.signature(dt.Stack).parameters)[0], "value")

    def test_combine_gives_every_output(self):
        out = dt.Combine([dt.Add(value=10), dt.Multiply(value=3)]).resolve(np.ones((2, 2)))
        self.assertIsInstance(out, list)
        self.assertEqual([o.tolist() for o in out], [[[11, 11], [11, 11]], [[3, 3], [3, 3]]])
        with self.assertRaisesRegex(TypeError, "list of features"):
            dt.Combine(dt.Add(value=1))
        with self.assertRaisesRegex(Exception, "Combine takes at least 1 feature"):
            dt.Combine([])

    def test_stack_operator(self):
        value = dt.Value(value=2)
        self.assertEqual((value & 3)(), [2, 3])
        self.assertEqual((3 & value)(), [3, 2])
        self.assertEqual((value & (lambda: 3))(), [2, 3])
        self.assertEqual((value & [4, 5])(), [2, 4, 5])

    def test_probability_in_distribution_and_seeded(self):
        p = dt.Probability(dt.Add(value=2), probability=0.7)
        self.assertEqual(p.probability(), 0.7)
        p.seed(3)
        applied = []
        for _ in range(2000):
            out = p.update().resolve(np.ones(3))
            self.assertIn(out.tolist(), ([1, 1, 1], [3, 3, 3]))
            applied.append(out[0] == 3)
        self.assertTrue(0.66 <= np.mean(applied) <= 0.74, np.mean(applied))
        p.seed(3)
        again = [p.update().resolve(np.ones(3))[0] == 3 for _ in range(100)]
        self.assertEqual(again, applied[:100])

    def test_one_of_records_its_key(self):
        one = dt.OneOf([dt.Add(value=1), dt.Add(value=2), dt.Add(value=3)])
        one.store_properties()
        seen = set()
        for _ in range(200):
            out = one.update().resolve(np.zeros(1))
            key = out.get_property("key")
            self.assertEqual(out[0], key + 1)
            self.assertEqual(out.properties[-1], {"key": key, "name": "OneOf"})
            seen.add(key)
        self.assertEqual(seen, {0, 1, 2})
        fixed = dt.OneOf((dt.Add(value=1), dt.Add(value=2)), key=1)
        self.assertEqual(fixed.resolve(np.zeros(1)).tolist(), [2])
        with self.assertRaisesRegex(Exception, "property 'key' of feature 'OneOf': 2 exceeds the maximum of 1"):
            dt.OneOf([dt.Add(value=1), dt.Add(value=2)], key=2).resolve(np.zeros(1))

    def test_arguments_hold_linked_values(self):
        args = dt.Arguments(a="foo", c=lambda a: a + "bar")
        f = dt.DummyFeature(p=args.c)
        self.assertEqual(f.p(), "foobar")
        self.assertEqual((args >> dt.Add(value=1)).resolve(np.zeros(1)).tolist(), [1])

    def test_bind(self):
        value = dt.Value(value=lambda input_value: input_value, input_value=10)
        pipeline = (value + 10) / value
        bound = dt.Bind(pipeline, input_value=1)
        self.assertEqual(pipeline.update().resolve(), 2)
        self.assertEqual(bound.update().resolve(), 11)
        noise = dt.Bind(dt.Gaussian(), mu=-5, sigma=2)
        noise.seed(3)  # the moments are checked within 5 standard errors: a fixed draw, not a 1e-6 chance
        out = noise.resolve(np.zeros((100, 100)))
        self.assertAlmostEqual(out.mean(), -5, delta=0.1)
        self.assertAlmostEqual(out.std(), 2, delta=0.1)

    def test_conditional_set_property(self):
        cond = dt.ConditionalSetProperty(dt.Add(value=1), condition="is_label", value=7)
        self.assertEqual(cond.resolve(np.zeros(1)).tolist(), [7])
        off = dt.ConditionalSetProperty(dt.Add(value=1), condition="is_label", value=7, is_label=False)
        self.assertEqual(off.resolve(np.zeros(1)).tolist(), [1])

    def test_chain_exposes_its_features(self):
        a, b = dt.Add(value=1), dt.Multiply(value=2)
        chain = a >> b
        self.assertIs(chain.feature_1, a)
        self.assertIs(chain.feature_2, b)

    def test_slicing(self):
        image = np.arange(27).reshape((3, 3, 3))
        a = dt.DummyFeature()
        self.assertTrue(np.array_equal(a[:, 1:2, ::-2].resolve(image), image[:, 1:2, ::-2]))
        self.assertTrue(np.array_equal(a[..., 0].resolve(image), image[..., 0]))
        self.assertEqual(a[1, lambda: -1, 0].resolve(image), image[1, -1, 0])
        self.assertEqual(a[lambda: 0 : lambda: 2, 0, 0].resolve(image).tolist(), [0, 9])
        self.assertTrue(np.array_equal(a[0].resolve(image), image[0]))
        self.assertTrue(np.array_equal(a[::-1].resolve(image), image[::-1]))
        dynamic = a >> dt.Slice(slices=lambda: (2, 2, 2))
        self.assertEqual(dynamic.resolve(image), 26)
        with self.assertRaisesRegex(Exception, "index 3 is out of bounds for axis 0 with size 3"):
            a[3].resolve(image)


if __name__ == "__main__":
    unittest.main()
