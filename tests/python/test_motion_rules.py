"""The built-in motion rules from Python (``sequences.brownian``, ``drift``, ``increment``): the
library's rules behind ``Sequential(feature, position=brownian(...))``, without Python callables.
Brownian trajectories have a mean squared displacement linear in time with the slope the diffusion
constant, the frame interval and the pixel size give (over many seeded trajectories, so the figures
are fixed); a drift moves by its exact step; increments have the distribution asked for; bad
arguments raise at once with the limit they break."""

import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native import optics, scatterers, sequences, units

TRACKS, STEPS = 1000, 20


def trajectories(rule, start=(0.0, 0.0), seed=5, count=TRACKS, length=STEPS, threads=0):
    """``count`` seeded movies of a value moved by ``rule``: an array (count, length, elements)."""
    value = dt.Value(value=np.array(start, dtype=float))
    sequences.Sequential(value, value=rule)
    movie = sequences.Sequence(value, sequence_length=length)
    movies = movie.resolve_batch(count, seed=seed, threads=threads)
    return np.array([[np.asarray(f, dtype=float).reshape(-1) for f in frames] for frames in movies])


def msd_slope(tracks):
    """The mean squared displacement per coordinate at lags 1 .. length - 1 from the first frame, and
    its least-squares slope through the origin."""
    lags = np.arange(1, tracks.shape[1])
    msd = np.array([np.mean((tracks[:, t] - tracks[:, 0]) ** 2) for t in lags])
    return msd, float(lags @ msd / (lags @ lags))


class TestBrownian(unittest.TestCase):
    def test_the_msd_grows_linearly_with_the_slope_of_2_d_dt(self):
        # D = 0.1 µm²/s, 50 ms per frame, 100 nm pixels: 2 D dt = 0.01 µm² = 1 pixel² per frame.
        tracks = trajectories(sequences.brownian(diffusion=0.1e-12, dt=0.05, pixel_size=100e-9))
        self.assertEqual(tracks.shape, (TRACKS, STEPS, 2))
        np.testing.assert_array_equal(tracks[:, 0], 0.0)  # step 0 keeps the initial value
        msd, slope = msd_slope(tracks)
        self.assertAlmostEqual(slope, 1.0, delta=0.06)
        # Linear: every lag within 10% of slope * lag (a few hundred independent samples each).
        np.testing.assert_allclose(msd, slope * np.arange(1, STEPS), rtol=0.1)
        steps = np.diff(tracks, axis=1)
        self.assertAlmostEqual(float(steps.mean()), 0.0, delta=0.02)
        # The two axes move independently, each with variance 1.
        self.assertLess(abs(np.corrcoef(steps[..., 0].ravel(), steps[..., 1].ravel())[0, 1]), 0.03)
        np.testing.assert_allclose(steps.var(axis=(0, 1)), [1.0, 1.0], rtol=0.05)

    def test_pixels_per_frame_quantities_and_numbers_give_the_same_steps(self):
        si = trajectories(sequences.brownian(diffusion=0.1e-12, dt=0.05, pixel_size=100e-9), count=50)
        quantities = sequences.brownian(
            diffusion=0.1 * units.um**2 / units.s, dt=50 * units.ms, pixel_size=100 * units.nm
        )
        np.testing.assert_allclose(trajectories(quantities, count=50), si, rtol=1e-12, atol=1e-12)
        # D in pixels² per frame: 0.5 gives the same standard deviation, sqrt(2 D) = 1.
        np.testing.assert_allclose(trajectories(sequences.brownian(diffusion=0.5), count=50), si, rtol=1e-9, atol=1e-9)
        _, slope = msd_slope(trajectories(sequences.brownian(diffusion=2.0)))
        self.assertAlmostEqual(slope / 4.0, 1.0, delta=0.06)

    def test_a_movie_without_python_is_reproducible_on_any_thread_count(self):
        rule = sequences.brownian(diffusion=1.0)
        one = trajectories(rule, count=40, threads=1)
        np.testing.assert_array_equal(one, trajectories(rule, count=40, threads=2))
        self.assertFalse(np.array_equal(one, trajectories(rule, count=40, seed=6)))
        particle = scatterers.PointParticle(position=(16, 16), intensity=100)
        sequences.Sequential(particle, position=rule)
        movie = sequences.Sequence(optics.Fluorescence(output_region=(0, 0, 32, 32))(particle ^ 3), sequence_length=5)
        self.assertFalse(movie._holds_python())
        movie.store_properties()
        frames = movie.update()()
        tracks = np.array([f.get_property("position", get_one=False) for f in frames])
        self.assertEqual(tracks.shape, (5, 3, 2))
        np.testing.assert_array_equal(tracks[0], [[16, 16]] * 3)
        steps = np.diff(tracks, axis=0)
        self.assertTrue(np.all(steps != 0))
        self.assertFalse(np.allclose(steps[:, 0], steps[:, 1]), "every particle has its own trajectory")

    def test_bad_arguments_raise_at_once(self):
        with self.assertRaisesRegex(dt.InvalidArgumentError, r"the diffusion constant \(m²/s\) must be a finite number at least 0, got -0.000000000001"):
            sequences.brownian(diffusion=-1e-12, dt=0.05, pixel_size=1e-7)
        with self.assertRaisesRegex(dt.InvalidArgumentError, r"the pixel size \(m\) must be a finite number above 0, got 0"):
            sequences.brownian(diffusion=1e-12, dt=0.05, pixel_size=0)
        with self.assertRaisesRegex(dt.InvalidArgumentError, "pixels² per frame"):
            sequences.brownian(diffusion=float("nan"))
        with self.assertRaisesRegex(TypeError, "both dt"):
            sequences.brownian(diffusion=1e-12, dt=0.05)
        with self.assertRaisesRegex(ValueError, "dt .s. must be a quantity of second"):
            sequences.brownian(diffusion=1e-12, dt=5 * units.m, pixel_size=1e-7)


class TestDriftAndIncrement(unittest.TestCase):
    def test_a_drift_moves_by_its_exact_step(self):
        tracks = trajectories(sequences.drift((0.5, -1)), start=(1.0, 2.0), count=2, length=4)
        np.testing.assert_array_equal(tracks[0], [[1, 2], [1.5, 1], [2, 0], [2.5, -1]])
        np.testing.assert_array_equal(tracks[0], tracks[1])
        np.testing.assert_array_equal(trajectories(sequences.drift(2), count=1, length=3)[0], [[0, 0], [2, 2], [4, 4]])
        with self.assertRaisesRegex(ValueError, "at least one number"):
            sequences.drift([])
        with self.assertRaisesRegex(dt.InvalidArgumentError, "velocity.0. must be finite"):
            sequences.drift(float("inf"))
        with self.assertRaisesRegex(dt.InvalidArgumentError, "fewer than the value it moves has elements"):
            trajectories(sequences.drift((1, 2)), start=(0, 0, 0), count=1, length=2)

    def test_increments_have_the_distribution_asked_for(self):
        steps = np.diff(trajectories(sequences.increment(normal=(0.5, 2.0))), axis=1)
        self.assertAlmostEqual(float(steps.mean()), 0.5, delta=0.03)
        self.assertAlmostEqual(float(steps.std()), 2.0, delta=0.03)
        steps = np.diff(trajectories(sequences.increment(uniform=(-1, 3))), axis=1)
        self.assertTrue(np.all((steps >= -1) & (steps < 3)))
        self.assertAlmostEqual(float(steps.mean()), 1.0, delta=0.03)
        self.assertAlmostEqual(float(steps.var()), 16 / 12, delta=0.04)
        # Per element: uniform in [0, 1) along the first axis, in [10, 11) along the second.
        steps = np.diff(trajectories(sequences.increment(uniform=((0, 10), (1, 11))), count=100), axis=1)
        self.assertTrue(np.all((steps[..., 0] >= 0) & (steps[..., 0] < 1)))
        self.assertTrue(np.all((steps[..., 1] >= 10) & (steps[..., 1] < 11)))
        # A constant, and a callable drawing one (called at every step).
        np.testing.assert_array_equal(trajectories(sequences.increment((1, 3)), count=1, length=3)[0], [[0, 0], [1, 3], [2, 6]])
        tracks = trajectories(sequences.increment(lambda: dt.random.uniform(0, 1)), count=30, length=4)
        steps = np.diff(tracks, axis=1)
        self.assertTrue(np.all((steps >= 0) & (steps < 1)))
        self.assertGreater(len(np.unique(steps)), 100, "a draw for every element of every step")

    def test_increment_takes_exactly_one_distribution(self):
        with self.assertRaisesRegex(TypeError, "exactly one"):
            sequences.increment()
        with self.assertRaisesRegex(TypeError, "exactly one"):
            sequences.increment(1, normal=(0, 1))
        with self.assertRaisesRegex(ValueError, "std at least 0"):
            sequences.increment(normal=(0, -1))
        with self.assertRaisesRegex(ValueError, "same length"):
            sequences.increment(uniform=((0, 1), (1, 2, 3)))
        self.assertEqual(repr(sequences.increment(normal=(0, 1))), "increment(normal=(0.0, 1.0))")
        self.assertIn("brownian", sequences.__all__)


class TestReadme(unittest.TestCase):
    def test_the_readme_movie_with_brownian_motion_runs(self):
        """The README's block of the built-in rules (in "Sequences (time-lapse)") runs as written."""
        import os
        import re

        readme = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")
        with open(readme) as f:
            section = f.read().split("\n### Sequences (time-lapse)\n", 1)[1].split("\n## ", 1)[0]
        blocks = [b for b in re.findall(r"```python\n(.*?)```", section, re.S) if "brownian" in b]
        self.assertEqual(len(blocks), 1)
        ns = {"dt": dt, "np": np}
        exec(blocks[0], ns)
        movie = ns["movie"]
        movie.store_properties()
        frames = movie.update()()
        self.assertEqual(len(frames), 21)
        self.assertEqual({np.asarray(f).shape for f in frames}, {(48, 48, 1)})
        tracks = np.array([f.get_property("position", get_one=False) for f in frames])
        self.assertEqual(tracks.shape, (21, 4, 2))


if __name__ == "__main__":
    unittest.main()
