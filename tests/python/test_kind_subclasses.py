"""Python subclasses of built-in image kinds that override `get`, as DeepTrack2 2.0.1 users write them.

The subclass computes with its own `get`, receiving the kind's parameters (its defaults where not
given) and its own; `super().get(image, **properties)` computes the kind. The expected values are
what DeepTrack2 2.0.1 gives for the same classes (this file runs on 2.0.1 unchanged, but for the
test marked as the library's)."""

import unittest

import numpy as np

import deeptrack_native as dt

X = np.arange(16.0).reshape(4, 4)


class ShiftedBlur(dt.GaussianBlur):
    def get(self, image, sigma, **kwargs):
        return super().get(image, sigma=sigma, **kwargs) + 1


class Biased(dt.Gaussian):
    def get(self, image, mu, sigma, bias, **kwargs):
        return image + mu + bias


class ScaledClip(dt.Clip):
    def get(self, image, min, max, scale=1, **kwargs):
        return super().get(image, min=min, max=max) * scale


class Reversed(dt.FlipLR):
    def get(self, image, **kwargs):
        return image[::-1]


class Halved(dt.NormalizeMinMax):
    def get(self, image, **kwargs):
        return super().get(image, **kwargs) / 2


class KindSubclasses(unittest.TestCase):
    def test_super_get_computes_the_kind(self):
        out = np.asarray(ShiftedBlur(sigma=1).resolve(X))
        np.testing.assert_allclose(out, np.asarray(dt.GaussianBlur(sigma=1).resolve(X)) + 1, rtol=0, atol=1e-12)

    def test_positional_parameters_are_the_kinds(self):
        out = np.asarray(ShiftedBlur(1).resolve(X))
        np.testing.assert_allclose(out, np.asarray(dt.GaussianBlur(sigma=1).resolve(X)) + 1, rtol=0, atol=1e-12)

    def test_get_receives_the_kinds_defaults_and_its_own(self):
        out = Biased(bias=3).resolve(X)  # Gaussian's mu 0
        np.testing.assert_array_equal(np.asarray(out), X + 3)
        out = Biased(mu=1, sigma=2, bias=lambda: 5).resolve(X)
        np.testing.assert_array_equal(np.asarray(out), X + 6)

    def test_a_parameter_of_its_own_with_a_default_in_get(self):
        np.testing.assert_array_equal(np.asarray(ScaledClip(min=2, max=5).resolve(X)), np.clip(X, 2, 5))
        np.testing.assert_array_equal(np.asarray(ScaledClip(min=2, max=5, scale=3).resolve(X)), np.clip(X, 2, 5) * 3)

    def test_an_augmentation_and_a_normalisation(self):
        np.testing.assert_array_equal(np.asarray(Reversed().resolve(X)), X[::-1])
        np.testing.assert_allclose(np.asarray(Halved().resolve(X)), X / 15 / 2, rtol=0, atol=1e-15)

    def test_in_a_pipeline_with_its_dict(self):
        pipeline = dt.Value(X) >> Biased(bias=2) >> dt.Add(1)
        pipeline.store_properties()
        out = pipeline()
        np.testing.assert_array_equal(np.asarray(out), X + 3)
        names = [d["name"] for d in out.properties]
        self.assertIn("Biased", names)
        mine = out.properties[names.index("Biased")]
        self.assertEqual((mine["mu"], mine["bias"]), (0, 2))

    def test_random_values_are_drawn_at_each_update(self):
        f = Biased(bias=lambda: np.random.rand())
        seen = {float(np.asarray(f.update().resolve(X))[0, 0]) for _ in range(5)}
        self.assertEqual(len(seen), 5)


class ListAdd(dt.Add):
    def get(self, images, value, **kwargs):
        return [image + value for image in images]


class TakesTheList(unittest.TestCase):
    def test_an_arithmetic_kinds_get_receives_the_list(self):
        # DeepTrack2's arithmetic features are not distributed: get sees the whole list.
        out = ListAdd(value=2).resolve(X)
        np.testing.assert_array_equal(np.asarray(out), X + 2)
        seen = []

        class Counting(dt.Add):
            def get(self, images, value, **kwargs):
                seen.append(len(images))
                return super().get(images, value=value)

        out = Counting(value=1).resolve([X, X])
        self.assertEqual(seen, [2])
        np.testing.assert_array_equal(np.asarray(out[1]), X + 1)

    def test_a_reduction_with_distributed_false(self):
        class Summed(dt.Sum):
            def get(self, images, **kwargs):
                return np.sum(np.stack(images))

        self.assertEqual(float(np.asarray(Summed(distributed=False).resolve([X, X]))), 2 * X.sum())


class RandomDefaults(unittest.TestCase):
    def test_a_kinds_random_default_is_drawn_at_each_update(self):
        class Seen(dt.FlipLR):
            def get(self, image, augment, **kwargs):
                return np.array([float(augment)])

        f = Seen()
        values = {float(np.asarray(f.update().resolve(X))[0]) for _ in range(40)}
        self.assertEqual(values, {0.0, 1.0})

        class Flipped(dt.FlipLR):
            def get(self, image, **kwargs):
                return super().get(image, **kwargs)

        f = Flipped()
        firsts = {float(np.asarray(f.update().resolve(X))[0, 0]) for _ in range(40)}
        self.assertEqual(firsts, {0.0, 3.0})


class Refused(unittest.TestCase):
    # The library's: DeepTrack2 2.0.1 runs these subclasses' get; here they are refused, never ignored.
    def test_a_kind_built_from_features_refuses_a_get_of_its_own(self):
        class Sometimes(dt.Probability):
            def get(self, image, **kwargs):
                return image

        with self.assertRaisesRegex(TypeError, "overrides get\\(\\) of the built-in Probability"):
            Sometimes(dt.Add(1), probability=0.5)

        class Pooled(dt.Pool):
            def get(self, image, **kwargs):
                return image

        with self.assertRaisesRegex(TypeError, "overrides get\\(\\) of the built-in Pool"):
            Pooled(np.mean, ksize=2)


if __name__ == "__main__":
    unittest.main()
