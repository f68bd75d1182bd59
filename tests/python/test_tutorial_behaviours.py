"""What DeepTrack2's simulation tutorials rely on (tests/tutorials/run_tutorials.py runs them; this
suite pins the behaviours down without them): ``feature.plot()`` for an image and for a list of
images, the operators of the getting-started tutorial (``1 - f``, ``f >> np.sqrt``, ``f[::2, ::2]``,
``f ^ n``, ``f & TakeProperties(...)``), and a custom subclass of a DeepTrack2 base class."""

import sys
import unittest

import numpy as np

import deeptrack_native as dt

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import animation
except ImportError:  # the package's own tests must run without its optional dependency
    plt = None

SIZE = 32


def optics():
    return dt.Fluorescence(NA=0.8, wavelength=680e-9, magnification=10, resolution=1e-6,
                           output_region=(0, 0, SIZE, SIZE))  # fmt: skip


@unittest.skipIf(plt is None, "matplotlib is not installed")
class PlotTests(unittest.TestCase):
    def tearDown(self):
        plt.close("all")

    def test_plot_shows_the_resolved_image(self):
        particle = dt.PointParticle(position=(10, 12), intensity=100)
        imaged = optics()(particle)
        axes = imaged.plot(cmap="gray")
        self.assertIs(axes, plt.gca())
        shown = axes.get_images()[-1]
        np.testing.assert_array_equal(np.squeeze(shown.get_array()), np.squeeze(imaged()))
        self.assertEqual(shown.get_cmap().name, "gray")

    def test_plot_takes_an_input_and_resolve_kwargs(self):
        axes = dt.Add(value=1).plot(np.zeros((4, 5)), resolve_kwargs={"value": 3})
        np.testing.assert_array_equal(axes.get_images()[-1].get_array(), np.full((4, 5), 3.0))

    def test_a_list_of_images_is_an_animation(self):
        frames = dt.Value(value=np.zeros((4, 4))) & dt.Value(value=np.ones((4, 4)))
        anim = frames.plot()
        self.assertIsInstance(anim, animation.ArtistAnimation)
        self.assertAlmostEqual(anim._interval, 1000 / 30)
        self.assertEqual(len(anim._framedata), 2)
        self.assertEqual(frames.plot(interval=100)._interval, 100)

    def test_without_matplotlib_plot_says_what_to_install(self):
        saved = {k: sys.modules[k] for k in list(sys.modules) if k.split(".")[0] == "matplotlib"}
        try:
            for k in saved:
                sys.modules[k] = None
            with self.assertRaisesRegex(ImportError, "pip install matplotlib"):
                dt.Value(value=np.zeros((2, 2))).plot()
        finally:
            sys.modules.update(saved)


class GettingStartedTests(unittest.TestCase):
    def setUp(self):
        self.particle = dt.PointParticle(position=(10, 12), intensity=100)
        self.imaged = optics()(self.particle)
        self.image = np.asarray(self.imaged())

    def test_operators_on_an_imaged_particle(self):
        np.testing.assert_allclose((1 - self.imaged)(), 1 - self.image)
        np.testing.assert_allclose((self.imaged >> np.sqrt)(), np.sqrt(self.image))
        self.assertEqual(self.imaged[::2, ::2]().shape, (SIZE // 2, SIZE // 2, 1))

    def test_image_and_positions(self):
        np.random.seed(3)
        particle = dt.PointParticle(position=lambda: np.random.rand(2) * SIZE, intensity=1)
        pipeline = optics()(particle ^ 5) + 0.1 >> dt.Poisson(snr=7, background=0.1)
        image, positions = (pipeline & dt.TakeProperties(pipeline, "position")).update()()
        self.assertEqual(np.shape(image), (SIZE, SIZE, 1))
        self.assertEqual(np.shape(positions), (5, 2))
        self.assertTrue(np.all((positions >= 0) & (positions < SIZE)))

    def test_a_training_set_of_images_and_positions(self):
        np.random.seed(4)
        particle = dt.PointParticle(position=lambda: SIZE / 2 + np.random.randn(2) * 2)
        training = (optics()(particle) >> dt.NormalizeMinMax()) & (particle.position - SIZE / 2)
        images, labels = training.batch(4)
        self.assertEqual(images.shape, (4, SIZE, SIZE, 1))
        self.assertEqual(labels.shape, (4, 2))
        self.assertEqual(len({tuple(label) for label in labels}), 4)
        np.testing.assert_allclose(images.max(axis=(1, 2, 3)), 1.0, rtol=1e-12)


class CustomBaseClassTests(unittest.TestCase):
    def test_a_custom_augmentation_in_a_pipeline(self):
        class Invert(dt.Augmentation):
            def get(self, image, **kwargs):
                return 1 - image

        out = (dt.Value(value=np.full((2, 2), 0.25)) >> Invert())()
        np.testing.assert_array_equal(out, np.full((2, 2), 0.75))


class JoinedSamplesTests(unittest.TestCase):
    """DTGS141: two kinds of particles joined with ``&`` make one sample that a microscope images."""

    def test_two_repeats_joined_are_one_sample_with_their_ground_truth(self):
        small = dt.Sphere(position=lambda: np.random.rand(2) * 32, radius=2e-7, refractive_index=1.45 + 0.02j,
                          particle_type=0)
        large = dt.Sphere(position=lambda: np.random.rand(2) * 32, radius=4e-7, refractive_index=1.45 + 0.02j,
                          particle_type=1)
        sample = (small ^ 2) & (large ^ 3)
        sample.store_properties()
        volumes = sample.update().resolve()
        self.assertEqual(len(volumes), 5)
        self.assertEqual([v.get_property("particle_type") for v in volumes], [0, 0, 1, 1, 1])
        optics = dt.Brightfield(NA=1, wavelength=500e-9, resolution=1e-6, magnification=10,
                                output_region=(0, 0, 32, 32))
        image = optics(sample)
        image.store_properties()
        out = image.update().resolve()
        self.assertEqual(out.shape, (32, 32, 1))
        self.assertEqual(sorted(out.get_property("particle_type", get_one=False)), [0, 0, 1, 1, 1])
        # A value that is not a feature is stacked as before.
        self.assertEqual((dt.Value(1) & 2)(), [1, 2])


if __name__ == "__main__":
    unittest.main()
