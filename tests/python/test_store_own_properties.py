"""`store_properties(toggle, recursive=False)`: storing for one feature only, as DeepTrack2 2.0.1.

A result carries dicts only when the outermost feature stores, and then the dicts of the features
that store from it inwards, up to the first that does not (DeepTrack2's features that do not store
return bare arrays, which drops the dicts their inputs carried). The expected dict lists are what
DeepTrack2 2.0.1 gives for the same pipelines."""

import pickle
import unittest

import numpy as np

import deeptrack_native as dt

X = np.zeros((2, 2))


def dicts(result):
    return [dict(d) for d in result.properties]


def chain_of_three():
    a, b, c = dt.Add(1), dt.Multiply(2), dt.Subtract(3)
    return a, b, c, a >> b >> c


class OwnStoring(unittest.TestCase):
    def test_a_single_feature(self):
        f = dt.Add(1)
        f.store_properties(recursive=False)
        out = f(X)
        self.assertIsInstance(out, dt.Image)
        self.assertEqual(dicts(out), [{"value": 1, "name": "Add"}])

    def test_the_outermost_alone_gives_its_dict(self):
        a, b, c, p = chain_of_three()
        p.store_properties(recursive=False)
        out = p(X)
        self.assertEqual(dicts(out), [{"name": "Chain"}])
        np.testing.assert_array_equal(np.asarray(out), np.full((2, 2), -1.0))

    def test_an_inner_feature_alone_gives_a_bare_array(self):
        for inner in range(3):
            features = chain_of_three()
            features[inner].store_properties(recursive=False)
            out = features[3](X)
            self.assertNotIsInstance(out, dt.Image)
            np.testing.assert_array_equal(out, np.full((2, 2), -1.0))

    def test_one_feature_off_cuts_the_dicts_below_it(self):
        a, b, c, p = chain_of_three()
        p.store_properties()
        b.store_properties(False, recursive=False)
        self.assertEqual(
            dicts(p(X)), [{"name": "Chain"}, {"value": 3, "name": "Subtract"}, {"name": "Chain"}]
        )
        a, b, c, p = chain_of_three()
        p.store_properties()
        a.store_properties(False, recursive=False)
        self.assertEqual(
            dicts(p(X)),
            [{"value": 2, "name": "Multiply"}, {"name": "Chain"}, {"value": 3, "name": "Subtract"}, {"name": "Chain"}],
        )

    def test_the_outermost_off_gives_a_bare_array(self):
        a, b, c, p = chain_of_three()
        p.store_properties()
        p.store_properties(False, recursive=False)
        self.assertNotIsInstance(p(X), dt.Image)
        p.store_properties(True, recursive=False)  # back on: every inner one still stores
        p.update()  # DeepTrack2 keeps its cached bare array until then; the library drops it at once
        self.assertEqual([d["name"] for d in p(X).properties], ["Add", "Multiply", "Chain", "Subtract", "Chain"])

    def test_a_repeat_whose_feature_does_not_store(self):
        a = dt.Add(1)
        r = a ^ 2
        r.store_properties()
        a.store_properties(False, recursive=False)
        out = r(X)
        self.assertEqual(dicts(out), [{"N": 2, "name": "Repeat"}])
        np.testing.assert_array_equal(np.asarray(out), np.full((2, 2), 2.0))

    def test_a_value(self):
        v = dt.Value(3)
        v.store_properties(recursive=False)
        self.assertEqual(dicts(v()), [{"value": 3, "name": "Value"}])

    def test_a_stack_of_features_that_do_not_store_alone(self):
        a = dt.Add(1)
        p = a & dt.Value(X)
        a.store_properties(recursive=False)
        out = p(X)
        self.assertEqual(len(out), 2)
        self.assertFalse(any(isinstance(i, dt.Image) for i in out))

    def test_a_microscope_alone(self):
        optics = dt.Fluorescence(output_region=(0, 0, 4, 4))
        p = optics(dt.PointParticle(position=(1, 1)))
        p.store_properties(recursive=False)
        out = p()
        self.assertEqual([d["name"] for d in out.properties], ["Microscope"])
        self.assertGreater(np.asarray(out).max(), 0)

    def test_a_microscope_whose_sample_does_not_store_records_it(self):
        # A deliberate difference: 2.0.1 gives [Fluorescence, Fluorescence, Microscope] here.
        optics = dt.Fluorescence(output_region=(0, 0, 4, 4))
        sample = dt.PointParticle(position=(1, 1))
        p = optics(sample)
        p.store_properties()
        sample.store_properties(False, recursive=False)
        out = p()
        self.assertEqual([d["name"] for d in out.properties], ["PointParticle", "Fluorescence", "Microscope"])
        self.assertEqual(list(out.get_property("position")), [1, 1])

    def test_a_copy_keeps_an_inner_features_own_setting(self):
        import copy

        a, b, c, p = chain_of_three()
        p.store_properties()
        b.store_properties(False, recursive=False)
        expected = [{"name": "Chain"}, {"value": 3, "name": "Subtract"}, {"name": "Chain"}]
        self.assertEqual(dicts(copy.deepcopy(p)(X)), expected)
        self.assertEqual(dicts(p(X)), expected)

    def test_the_setting_survives_pickling(self):
        # The library's (DeepTrack2 2.0.1's features do not pickle): resolve_batch(processes=N).
        a, b, c, p = chain_of_three()
        p.store_properties(recursive=False)
        q = pickle.loads(pickle.dumps(p))
        self.assertEqual(dicts(q(X)), [{"name": "Chain"}])
        f = dt.Add(1)
        f.store_properties()
        self.assertEqual([d["name"] for d in pickle.loads(pickle.dumps(f))(X).properties], ["Add"])


if __name__ == "__main__":
    unittest.main()
