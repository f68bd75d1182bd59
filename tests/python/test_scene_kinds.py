"""NonOverlapping, CropTight, Reuse, ComplexGaussian and the Noise base class from Python: DeepTrack2's
signatures, placements apart with the warning of an impossible one, complex results and inputs, and
noises of your own."""

import inspect
import unittest
import warnings

import numpy as np

import deeptrack_native as dt
from deeptrack_native import augmentations, features, noises, optics, scatterers


def min_distance(positions):
    return min(
        np.linalg.norm(positions[i] - positions[j]) for i in range(len(positions)) for j in range(i + 1, len(positions))
    )


class TestNonOverlapping(unittest.TestCase):
    def test_signature_is_deeptrack2s(self):
        params = inspect.signature(features.NonOverlapping).parameters
        self.assertEqual(list(params)[:4], ["feature", "min_distance", "max_attempts", "max_iters"])
        self.assertEqual([params[k].default for k in ("min_distance", "max_attempts", "max_iters")], [1, 5, 100])

    def test_ellipses_are_placed_apart_with_their_positions_in_the_image(self):
        # DeepTrack2's test_NonOverlapping_ellipses, radius 10 pixels (1 µm at 0.1 µm per pixel).
        scatterer = scatterers.Ellipse(radius=1e-6, position=lambda: dt.random.uniform(5, 115, size=2))
        image = optics.Fluorescence()(features.NonOverlapping(scatterer ^ 6, min_distance=7))
        image.store_properties()
        image.seed(2)
        for _ in range(5):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                result = image.update().resolve()
            positions = np.array(result.get_property("position", get_one=False))
            self.assertEqual(positions.shape, (6, 2))
            self.assertGreaterEqual(min_distance(positions), 2 * 10 + 7 - 2)
            again = image.resolve()
            np.testing.assert_array_equal(np.asarray(again), np.asarray(result))

    def test_placements_never_come_closer_than_deeptrack2s_check_allows(self):
        # DeepTrack2 2.0.1's check, which NonOverlapping mirrors: an ellipse of radius 10 px is 19 px
        # wide, its footprint at min_distance 7 (dilated by 3.5) 25 px; two footprints are apart when no
        # voxel of one is a face neighbour of the other inside the intersection of their boxes, so
        # boxes may abut (edge voxels 1 px apart), and each box's corner is truncated to whole voxels
        # (< 1 px per axis). Whole-voxel offsets (25, 1) pass, so centres come to just over
        # hypot(25 - 1, 0) = 24 px, never nearer: not the 2·10 + 7 - 2 = 25 px DeepTrack2's own test
        # asserts (DeepTrack2 2.0.1 itself placed them 24.5 px apart in 7 of 400 runs of that test).
        # Eight ellipses in a 110 px square: tightly packed, so close contacts are common (a placement
        # that could not be achieved warns and is left out).
        scatterer = scatterers.Ellipse(radius=1e-6, position=lambda: dt.random.uniform(5, 115, size=2))
        image = optics.Fluorescence()(features.NonOverlapping(scatterer ^ 8, min_distance=7))
        image.store_properties()
        closest = []
        for seed in range(40):
            image.seed(seed)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = image.resolve()
            if not caught:
                closest.append(min_distance(np.array(result.get_property("position", get_one=False))))
        self.assertGreater(len(closest), 30)
        self.assertGreater(min(closest), 24.0)
        # The bound is approached, not a loose one: some placements come within 2 px of it.
        self.assertLess(min(closest), 26.0)

    def test_pairs_are_judged_as_deeptrack2_judges_them(self):
        # Two ellipses of radius 10 px at fixed positions, min_distance 7, one re-draw: placed apart
        # (no warning) exactly when DeepTrack2 2.0.1 accepts them (its verdicts, recorded with
        # deeptrack 2.0.1). 2.0.1 truncates the corner of a footprint's box toward zero (the box of
        # an ellipse at row or column p starts at p - 12), so near the top and left edges a box is
        # judged up to 1 px nearer the others than rounding down would place it: all but the last
        # two pairs below are apart when rounded down, and too near for 2.0.1.
        cases = [
            ((6.29, 36.58), (-4.86, 11.49), False),
            ((28.31, 50.69), (6.86, 35.17), False),
            ((29.53, 16.52), (27.56, -8.25), False),
            ((94.42, 8.02), (70.84, 20.3), False),
            ((10.35, 27.59), (35.31, 26.48), False),
            ((5.58, 13.73), (30.79, 17.9), False),
            ((7.17, 9.78), (16.92, 34.23), False),
            ((89.39, 9.58), (97.91, 34.02), False),
            ((7.76, 105.5), (27.54, 123.78), False),
            ((26.6, 88.52), (5.5, 71.63), False),
            ((101.25, 31.24), (105.27, 6.98), False),
            ((7.33, 91.79), (22.49, 69.24), False),
            ((12.03, 71.69), (-10.05, 58.52), False),
            ((97.26, 18.42), (73.31, 6.91), False),
            ((86.16, 7.27), (77.38, -17.71), True),
            ((37.2, 5.16), (28.3, 33.53), True),
        ]
        verdicts = []
        for p1, p2, _ in cases:
            pair = [
                scatterers.Ellipse(radius=10 * dt.units.pixel, position=np.array(p) * dt.units.pixel) for p in (p1, p2)
            ]
            placed = features.NonOverlapping(pair[0] & pair[1], min_distance=7, max_attempts=1, max_iters=1)
            placed.store_properties()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                placed.resolve()
            verdicts.append(not caught)
        self.assertEqual(verdicts, [apart for _, _, apart in cases])

    def test_placements_near_the_edge_are_distributed_as_deeptrack2s(self):
        # Two ellipses (radius 10 px, min_distance 7), one 5-12 px from the top edge, the other
        # 12-40 px: where 2.0.1's truncated box corners matter most. DeepTrack2 2.0.1 placed their
        # centres less than 27 px apart in 173 of 3000 runs (5.8%); rounding the corners down
        # instead gives about 11%, and re-drawing only the first of them about 15%.
        a = scatterers.Ellipse(
            radius=10 * dt.units.pixel,
            position=lambda: np.array([dt.random.uniform(5, 12), dt.random.uniform(40, 80)]) * dt.units.pixel,
        )
        b = scatterers.Ellipse(
            radius=10 * dt.units.pixel,
            position=lambda: np.array([dt.random.uniform(12, 40), dt.random.uniform(40, 80)]) * dt.units.pixel,
        )
        placed = features.NonOverlapping(a & b, min_distance=7)
        placed.store_properties()
        placed.seed(11)
        distances = []
        for _ in range(400):
            volumes = placed.update().resolve()
            p = [np.asarray(v.get_property("position")) for v in volumes]
            distances.append(np.linalg.norm(p[0] - p[1]))
        near = int(np.sum(np.array(distances) < 27))
        # Binomial(400, 0.058): 23 ± 5; 11% would give 44 ± 6.
        self.assertTrue(10 <= near <= 34, near)
        self.assertGreater(min(distances), 24)

    def test_scatterers_joined_with_and_are_all_moved(self):
        # Two kinds of particle joined with `&` (DeepTrack2's mixed-size recipe): every placement
        # re-draws both positions, as DeepTrack2 2.0.1 does (both rules called once per re-draw,
        # the result the last draw of each), not only the first operand's.
        draws = {"small": [], "large": []}

        def drawn(key, low, high):
            def rule():
                p = dt.random.uniform(low, high, size=2)
                draws[key].append(p)
                return p

            return rule

        small = scatterers.Ellipse(radius=4 * dt.units.pixel, position=drawn("small", 5, 60))
        large = scatterers.Ellipse(radius=12 * dt.units.pixel, position=drawn("large", 5, 60))
        placed = features.NonOverlapping(small & large, min_distance=3)
        placed.store_properties()
        placed.seed(3)
        redrawn = 0
        for _ in range(20):
            draws["small"].clear()
            draws["large"].clear()
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                volumes = placed.update().resolve()
            self.assertEqual(len(draws["small"]), len(draws["large"]))
            redrawn += len(draws["large"]) > 2
            positions = [np.asarray(v.get_property("position")) for v in volumes]
            np.testing.assert_array_equal(positions[0], draws["small"][-1])
            np.testing.assert_array_equal(positions[1], draws["large"][-1])
            # Radii 4 and 12 px: centres at least 4 + 12 - 1 px apart (footprints 1.5 px wider each).
            self.assertGreater(np.linalg.norm(positions[0] - positions[1]), 15)
        self.assertGreater(redrawn, 3, "the first draws overlap often in a 55 px square")

    def test_an_impossible_placement_warns(self):
        scatterer = scatterers.Sphere(radius=2e-6, position=lambda: dt.random.uniform(0, 4, size=2))
        placed = features.NonOverlapping(scatterer ^ 3, min_distance=2, max_attempts=2, max_iters=3)
        pipeline = optics.Fluorescence(output_region=(0, 0, 32, 32))(placed)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            image = pipeline.resolve()
        self.assertEqual(np.asarray(image).shape, (32, 32, 1))
        self.assertEqual([w.category for w in caught], [UserWarning])
        self.assertIn("could not be achieved in 2 attempts of 3 re-draws", str(caught[0].message))
        # A batch rendered on this thread (a Python callable in the pipeline) raises them too.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            images = pipeline.resolve_batch(2, seed=1)
        self.assertEqual(len(images), 2)
        self.assertEqual([w.category for w in caught], [UserWarning, UserWarning])


class TestCropTightAndReuse(unittest.TestCase):
    def test_crop_tight(self):
        volume = np.zeros((6, 7, 5))
        volume[1:4, 2:6, 1:3] = 1.5
        out = augmentations.CropTight()(volume)
        self.assertEqual(out.shape, (3, 4, 2))
        self.assertTrue(np.all(out == 1.5))
        self.assertEqual(augmentations.CropTight(eps=2)(volume).shape, (0, 0, 0))

    def test_crop_tight_moves_positions_by_the_crop_offset(self):
        # Two particles imaged, then cropped to the pixels above eps: the recorded positions move by
        # the rows and columns cut before the box (2.0.1 leaves them in the uncropped frame).
        microscope = optics.Fluorescence(
            NA=0.9, wavelength=500e-9, magnification=1, resolution=1e-6, output_region=(0, 0, 40, 40)
        )
        sample = scatterers.PointParticle(position=(12, 30), intensity=100) >> scatterers.PointParticle(
            position=(25, 17), intensity=100
        )
        imaged = microscope(sample)
        imaged.store_properties()
        full = imaged.update().resolve()
        eps = 0.05 * np.asarray(full).max()
        rows, cols = np.nonzero(np.asarray(full)[..., 0] > eps)
        pipeline = imaged >> augmentations.CropTight(eps=eps)
        pipeline.store_properties()
        cropped = pipeline.resolve()
        self.assertEqual(np.asarray(cropped).shape, (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1, 1))
        self.assertGreater(rows.min(), 0)
        self.assertGreater(cols.min(), 0)
        offset = np.array([rows.min(), cols.min()])
        before = [np.asarray(p) for p in full.get_property("position", get_one=False)]
        after = [np.asarray(p) for p in cropped.get_property("position", get_one=False)]
        np.testing.assert_array_equal(after, [p - offset for p in before])
        # Each particle's brightest pixel is where its position says.
        image = np.asarray(cropped)[..., 0]
        for p in after:
            r, c = np.round(p).astype(int)
            self.assertEqual(image[r, c], image[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2].max())
            self.assertGreater(image[r, c], 0.5 * image.max())

    def test_reuse_computes_its_feature_every_uses_updates(self):
        draws = []

        def value():
            draws.append(1)
            return float(len(draws))

        reuse = augmentations.Reuse(dt.Value(value=value), uses=2)
        self.assertEqual(list(inspect.signature(augmentations.Reuse).parameters)[:3], ["feature", "uses", "storage"])
        seen = [float(np.asarray(reuse.update().resolve())) for _ in range(6)]
        self.assertEqual(seen, [1, 1, 2, 2, 3, 3])
        self.assertEqual(len(draws), 3)


class TestNoises(unittest.TestCase):
    def test_complex_gaussian_gives_complex_arrays(self):
        noise = noises.ComplexGaussian(mu=0.1, sigma=0.05)
        noise.seed(1)
        out = noise.resolve(np.zeros((256, 256)))
        self.assertTrue(np.iscomplexobj(out))
        self.assertEqual(out.shape, (256, 256))
        self.assertAlmostEqual(out.real.mean(), 0.1, delta=0.002)
        self.assertAlmostEqual(out.imag.std(), 0.05, delta=0.002)
        # A complex input keeps its values, noise added to both parts.
        z = np.full((4, 5), 1 + 2j)
        out = noises.ComplexGaussian(mu=1, sigma=0).resolve(z)
        np.testing.assert_array_equal(out, np.full((4, 5), 2 + 2j))

    def test_noise_is_the_base_of_noises_and_of_your_own(self):
        class Shift(noises.Noise):
            def get(self, image, amount, **kwargs):
                return image + amount

        self.assertTrue(issubclass(noises.Gaussian, noises.Noise))
        self.assertTrue(issubclass(noises.Noise, dt.Feature))
        self.assertIs(dt.Noise, noises.Noise)
        out = (Shift(amount=2) >> noises.Gaussian(sigma=0)).resolve(np.ones((3, 3)))
        np.testing.assert_array_equal(out, np.full((3, 3), 3.0))


if __name__ == "__main__":
    unittest.main()
