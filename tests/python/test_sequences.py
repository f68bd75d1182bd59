"""Sequences from Python: DeepTrack2's ``Sequence`` and ``Sequential`` as users write them (lambdas
taking ``previous_value``, ``sequence_length``, ``sequence_step``, ``previous_values`` and sibling
properties by name), what the DTAT341 sequences tutorial relies on (a rotating ellipse imaged for 50
frames, each frame with its own rotation), repeats with their own trajectories, caching, update and
seeding."""

import inspect
import unittest

import numpy as np

import deeptrack_native as dt
from deeptrack_native import noises, optics, scatterers, sequences


def orientation(frame):
    """The angle of the principal axis of an image's second moments, in [0, pi)."""
    img = np.asarray(frame)[:, :, 0]
    rows, cols = np.indices(img.shape)
    total = img.sum()
    r0, c0 = (rows * img).sum() / total, (cols * img).sum() / total
    mrr = ((rows - r0) ** 2 * img).sum() / total
    mcc = ((cols - c0) ** 2 * img).sum() / total
    mrc = ((rows - r0) * (cols - c0) * img).sum() / total
    return (0.5 * np.arctan2(2 * mrc, mrr - mcc)) % np.pi


def assert_same_dicts(test, frames, others):
    """Every frame's property dicts equal the other's, key by key (values may be arrays)."""
    for a, b in zip(frames, others):
        test.assertEqual([sorted(d) for d in a.properties], [sorted(d) for d in b.properties])
        for da, db in zip(a.properties, b.properties):
            for key in da:
                np.testing.assert_array_equal(da[key], db[key], err_msg=key)


def rotating_ellipse(length):
    """The DTAT341 tutorial's pipeline (its optics and ellipse, `upsample=2` included)."""
    microscope = optics.Fluorescence(
        NA=0.6, magnification=10, resolution=1e-6, wavelength=633e-9, output_region=(0, 0, 32, 32)
    )
    ellipse = scatterers.Ellipse(
        position_unit="pixel", position=(16, 16), intensity=1, radius=(1.5e-6, 1e-6), rotation=0, upsample=2
    )

    def get_rotation(sequence_length, previous_value):
        return previous_value + 2 * np.pi / sequence_length

    rotating = sequences.Sequential(ellipse, rotation=get_rotation)
    return sequences.Sequence(microscope(rotating), sequence_length=length)


class TestTutorial(unittest.TestCase):
    def test_the_rotating_ellipse_of_dtat341(self):
        movie = rotating_ellipse(50)
        self.assertIs(movie.update(), movie)
        frames = movie()
        self.assertIsInstance(frames, list)
        self.assertEqual(len(frames), 50)
        self.assertEqual({np.asarray(f).shape for f in frames}, {(32, 32, 1)})
        movie.store_properties()
        frames = movie()
        for i, frame in enumerate(frames):
            self.assertAlmostEqual(frame.get_property("rotation"), 2 * np.pi * i / 50)
        # The ellipse turns: half a turn of its axes every 25 frames, same brightness in every frame.
        sums = [np.asarray(f).sum() for f in frames]
        self.assertLess(np.ptp(sums) / np.mean(sums), 0.05)
        angles = [orientation(frames[i]) for i in (0, 6, 12)]
        # Rotation turns the axes from the rows towards the columns: in (row, column) coordinates the
        # angle of the principal axis decreases.
        turned = [(angles[0] - a) % np.pi for a in angles[1:]]
        np.testing.assert_allclose(turned, [2 * np.pi * 6 / 50, 2 * np.pi * 12 / 50], atol=0.05)


class TestSequential(unittest.TestCase):
    def test_signatures_are_deeptrack2s(self):
        self.assertEqual(list(inspect.signature(sequences.Sequence).parameters)[:2], ["feature", "sequence_length"])
        self.assertEqual(inspect.signature(sequences.Sequence).parameters["sequence_length"].default, 1)
        self.assertIs(dt.Sequence, sequences.Sequence)
        self.assertIs(dt.Sequential, sequences.Sequential)

    def test_a_sequence_of_one_frame_is_a_list(self):
        frames = sequences.Sequence(dt.Value(value=2), sequence_length=1)()
        self.assertIsInstance(frames, list)
        self.assertEqual(len(frames), 1)

    def test_rules_read_the_step_the_length_the_earlier_values_and_siblings(self):
        value = dt.Value(value=1.0)
        seen = []

        def step(previous_value, previous_values, sequence_step, sequence_index, sequence_length):
            seen.append((sequence_step, sequence_index, sequence_length, list(previous_values)))
            return previous_value * 2

        sequences.Sequential(value, value=step, double=lambda value: 2 * value)
        movie = sequences.Sequence(value, sequence_length=4)
        movie.store_properties()
        frames = movie()
        self.assertEqual([f.get_property("value") for f in frames], [1, 2, 4, 8])
        self.assertEqual([float(np.asarray(f)) for f in frames], [1, 2, 4, 8])
        self.assertEqual([f.get_property("double") for f in frames], [2, 4, 8, 16])
        # previous_values holds every earlier step, in order (DeepTrack2 2.0.1 drops the last one).
        self.assertEqual(seen, [(1, 1, 4, [1]), (2, 2, 4, [1, 2]), (3, 3, 4, [1, 2, 4])])

    def test_repeated_particles_have_their_own_trajectories(self):
        particle = scatterers.PointParticle(position=lambda: np.random.uniform(8, 24, size=2))
        sequences.Sequential(particle, position=lambda previous_value: previous_value + np.random.randn(2))
        movie = sequences.Sequence(optics.Fluorescence(output_region=(0, 0, 32, 32))(particle ^ 3), sequence_length=6)
        movie.store_properties()
        frames = movie.update()()
        tracks = np.array([f.get_property("position", get_one=False) for f in frames])
        self.assertEqual(tracks.shape, (6, 3, 2))
        steps = np.diff(tracks, axis=0)
        self.assertTrue(np.all(steps != 0))
        self.assertFalse(np.allclose(steps[:, 0], steps[:, 1]))
        # Resolving again gives the same movie; update draws another.
        again = movie()
        for a, b in zip(frames, again):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        other = np.array([f.get_property("position", get_one=False) for f in movie.update()()])
        self.assertFalse(np.allclose(tracks, other))

    def test_a_seeded_sequence_gives_the_same_movie(self):
        def movie():
            np.random.seed(3)  # the rules' draws (np.random, as DeepTrack2 users write them)
            particle = scatterers.PointParticle(position=lambda: np.random.uniform(8, 24, size=2))
            sequences.Sequential(particle, position=lambda previous_value: previous_value + np.random.randn(2))
            m = sequences.Sequence(optics.Fluorescence(output_region=(0, 0, 32, 32))(particle ^ 2), sequence_length=5)
            m.seed(17)
            return np.stack([np.asarray(f) for f in m()])

        np.testing.assert_array_equal(movie(), movie())

    def test_batches_of_movies_depend_only_on_the_seed_and_the_item(self):
        def movie(with_lambdas):
            if with_lambdas:
                particle = scatterers.PointParticle(position=lambda: np.random.uniform(8, 24, size=2))
                sequences.Sequential(particle, position=lambda previous_value: previous_value + np.random.randn(2))
            else:
                # No Python callable: the library's own draws (Poisson noise on every frame).
                particle = scatterers.PointParticle(position=(16, 16), intensity=100)
                sequences.Sequential(particle, position=(18, 17))
            imaged = optics.Fluorescence(output_region=(0, 0, 32, 32))(particle ^ 2)
            if not with_lambdas:
                imaged = imaged >> noises.Poisson(snr=20)
            m = sequences.Sequence(imaged, sequence_length=4)
            m.store_properties()
            return m

        def tracks(movies):
            return [[f.get_property("position", get_one=False) for f in frames] for frames in movies]

        m = movie(True)
        batch = m.resolve_batch(5, seed=8)
        self.assertEqual([len(frames) for frames in batch], [4] * 5)
        np.testing.assert_array_equal(tracks(batch)[2:], tracks(m.resolve_batch(3, seed=8, first=2)))
        np.testing.assert_array_equal(tracks(batch), tracks(movie(True).resolve_batch(5, seed=8)))
        self.assertFalse(np.allclose(tracks(batch)[0], tracks(batch)[1]))
        # Without Python's random draws, on several threads: the same frames as on one.
        m = movie(False)
        one, two = m.resolve_batch(4, seed=3, threads=1), m.resolve_batch(4, seed=3, threads=2)
        for a, b in zip(one, two):
            np.testing.assert_array_equal(np.stack(a), np.stack(b))
        self.assertEqual([list(p) for p in one[0][1].get_property("position", get_one=False)], [[18, 17]] * 2)
        self.assertFalse(np.array_equal(np.asarray(one[0][1]), np.asarray(one[0][2])), "noise drawn per frame")
        self.assertFalse(np.array_equal(np.asarray(one[0][1]), np.asarray(one[1][1])), "and per item")
        # On several processes (with and without Python callables): the movies of one process,
        # frame by frame, property dicts included.
        for with_lambdas in (True, False):
            m = movie(with_lambdas)
            here, there = m.resolve_batch(5, seed=4), m.resolve_batch(5, seed=4, processes=2)
            self.assertEqual([len(frames) for frames in there], [4] * 5)
            for a, b in zip(here, there):
                np.testing.assert_array_equal(np.stack(a), np.stack(b))
                assert_same_dicts(self, a, b)
            np.testing.assert_array_equal(tracks(here), tracks(there))
        np.testing.assert_array_equal(
            tracks(m.resolve_batch(3, seed=4, first=2, processes=3)), tracks(m.resolve_batch(5, seed=4))[2:]
        )
        with self.assertRaisesRegex(ValueError, "processes must not be negative"):
            m.resolve_batch(2, seed=1, processes=-1)

    def test_a_link_cannot_become_sequential(self):
        a, b = dt.Value(value=1), dt.Value(value=2)
        b.value = a.value
        b2 = dt.Value(value=a.value)
        with self.assertRaisesRegex(dt.InvalidArgumentError, "cannot link to another feature"):
            sequences.Sequential(b2, value=lambda previous_value: previous_value + 1)


class TestTimeConsistentAugmentations(unittest.TestCase):
    """DeepTrack2's ``time_consistent=True``: an augmentation treats every frame of a sequence alike.
    Frame t is (t + 1) times frame 0 (a constant increment, no Python), and the augmentations are
    linear in the image, so alike means: augmented frame t is (t + 1) times augmented frame 0."""

    BASE = np.arange(256.0).reshape(16, 16, 1) + 1

    def frames(self, augmentation, inside=False, length=4):
        value = dt.Value(value=self.BASE)
        sequences.Sequential(value, value=sequences.increment(self.BASE))
        movie = (
            sequences.Sequence(value >> augmentation, sequence_length=length)
            if inside
            else sequences.Sequence(value, sequence_length=length) >> augmentation
        )
        return lambda: [np.asarray(f) for f in movie.update()()]

    def alike(self, frames):
        return all(np.allclose(f, (t + 1) * frames[0], rtol=1e-9, atol=1e-9) for t, f in enumerate(frames))

    def test_an_elastic_field_is_the_same_for_every_frame_and_new_at_every_update(self):
        for inside in (False, True):
            movie = self.frames(dt.ElasticTransformation(alpha=40, sigma=2, order=1, time_consistent=True), inside)
            firsts = []
            for _ in range(3):
                frames = movie()
                self.assertTrue(self.alike(frames), f"inside={inside}")
                self.assertFalse(np.allclose(frames[0], self.BASE), "warped")
                firsts.append(frames[0])
            self.assertFalse(np.allclose(firsts[0], firsts[1]), "a new field at every update")
            # Without time_consistent, every frame its own field.
            movie = self.frames(dt.ElasticTransformation(alpha=40, sigma=2, order=1), inside)
            self.assertFalse(self.alike(movie()), f"inside={inside}")

    def test_the_same_elastic_movie_under_a_seed_and_in_batches(self):
        value = dt.Value(value=self.BASE)
        sequences.Sequential(value, value=sequences.increment(self.BASE))
        movie = sequences.Sequence(value, sequence_length=3) >> dt.ElasticTransformation(order=1, time_consistent=True)
        batch = movie.resolve_batch(3, seed=2)
        for frames in batch:
            self.assertTrue(self.alike([np.asarray(f) for f in frames]))
        self.assertFalse(np.allclose(np.asarray(batch[0][0]), np.asarray(batch[1][0])))
        again = movie.resolve_batch(3, seed=2, threads=2)
        for a, b in zip(batch, again):
            np.testing.assert_array_equal(np.stack(a), np.stack(b))

    def test_flips_and_affine_transforms_are_alike_across_frames_either_way(self):
        # Their random choices are properties, sampled once per update (as in DeepTrack2 2.0.1,
        # whatever time_consistent says).
        for consistent in (False, True):
            for inside in (False, True):
                movie = self.frames(dt.FlipLR(time_consistent=consistent), inside)
                flipped = set()
                for _ in range(12):
                    frames = movie()
                    self.assertTrue(self.alike(frames))
                    flipped.add(bool(np.array_equal(frames[0], self.BASE[:, ::-1])))
                self.assertEqual(flipped, {False, True}, "flipped at some updates, not at others")
                movie = self.frames(dt.Affine(rotate=lambda: dt.random.uniform(0, 6), time_consistent=consistent), inside)
                self.assertTrue(self.alike(movie()))


if __name__ == "__main__":
    unittest.main()
