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


if __name__ == "__main__":
    unittest.main()
