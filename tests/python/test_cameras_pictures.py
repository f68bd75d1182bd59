"""The camera and pictures from Python: ``deeptrack_native.cameras.Camera`` (generated from the registry)
in a fluorescence pipeline, its CCD statistics against the formulas and its errors; ``save_png`` and
``save_tiff`` (raw ADU or scaled, stacks as pages, read back with tifffile when installed);
``Image.plot`` and ``Feature.plot`` on matplotlib's Agg backend (skipped without matplotlib), and the
ImportError without it."""

import inspect
import os
import sys
import tempfile
import unittest
from unittest import mock

import numpy as np

import deeptrack_native as dt
from deeptrack_native import cameras, pictures

try:
    import matplotlib

    matplotlib.use("Agg")
except ImportError:  # pragma: no cover - the test environment has it
    matplotlib = None

try:
    from PIL import Image as PILImage
except ImportError:  # pragma: no cover
    PILImage = None

try:
    import tifffile
except ImportError:  # pragma: no cover
    tifffile = None


def read_png16(path):
    """The bit depth and 16-bit grayscale samples of a PNG (with Pillow)."""
    from PIL import Image as PILImage

    with PILImage.open(path) as im:
        depth = 16 if im.mode.startswith("I;16") or im.mode == "I" else 8
        return depth, np.array(im)


class CameraTests(unittest.TestCase):
    def test_the_class_is_generated_in_the_cameras_module(self):
        self.assertIs(cameras.Camera, dt.Camera)
        self.assertEqual(cameras.Camera._module, "cameras")
        sig = inspect.signature(cameras.Camera)
        self.assertEqual(sig.parameters["camera_type"].default, "CCD")
        self.assertEqual(sig.parameters["bit_depth"].default, 12)
        self.assertIsNone(sig.parameters["adc_gain"].default)

    def test_ccd_statistics_follow_the_formulas(self):
        qe, n, dark, read, gain, offset = 0.9, 400.0, 5.0, 3.0, 1.5, 100.0
        cam = dt.Camera(
            quantum_efficiency=qe, dark_current=dark, read_noise=read, adc_gain=gain, offset=offset, bit_depth=16
        )
        cam.seed(3)  # the moments are checked within 5 standard errors: a fixed draw, not a 1e-6 chance
        frame = np.asarray(cam.resolve(np.full((300, 300), n)))
        electrons = qe * n + dark
        k = frame.size
        mean_expected = electrons / gain + offset
        var_expected = (electrons + read**2) / gain**2 + 1 / 12
        self.assertLess(abs(frame.mean() - mean_expected), 5 * np.sqrt(var_expected / k))
        self.assertLess(abs(frame.var() - var_expected), 5 * var_expected * np.sqrt(2 / k))
        self.assertTrue(np.all(frame == np.round(frame)))

    def test_a_fluorescence_pipeline_gives_camera_frames_with_ground_truth(self):
        particle = dt.PointParticle(position=lambda: np.random.uniform(8, 56, 2), intensity=2000)
        optics = dt.Fluorescence(NA=0.8, wavelength=680e-9, resolution=1e-6, magnification=10,
                                 output_region=(0, 0, 64, 64))
        camera = dt.Camera(camera_type="EMCCD", em_gain=50, read_noise=40, adc_gain=10, bit_depth=16)
        pipeline = optics(particle ^ 3) >> camera
        pipeline.store_properties()
        image = pipeline.update().resolve()
        self.assertEqual(np.asarray(image).shape, (64, 64, 1))
        self.assertEqual(len(image.get_property("position", get_one=False)), 3)
        self.assertGreater(np.median(image), 90)  # the bias
        self.assertEqual(image.get_property("camera_type"), "EMCCD")

    def test_bad_settings_name_the_property(self):
        with self.assertRaisesRegex(dt.InvalidArgumentError, "property 'quantum_efficiency' of feature 'Camera'"):
            dt.Camera(quantum_efficiency=2).resolve(np.zeros((4, 4)))
        cam = dt.Camera(camera_type="CCD", gain_map=np.ones((4, 4)))
        with self.assertRaisesRegex(dt.InvalidArgumentError, "gain_map.*camera_type 'sCMOS'"):
            cam.resolve(np.zeros((4, 4)))


class PhotonBudget(unittest.TestCase):
    """cameras.photons_per_unit: a point particle of intensity 1 delivers N photons onto the sensor."""

    def optics(self, size=48):
        return dt.Fluorescence(NA=0.8, wavelength=680e-9, resolution=1e-6, magnification=10,
                               output_region=(0, 0, size, size))

    def test_a_centred_particle_delivers_its_photon_budget(self):
        optics = self.optics()
        per_unit = cameras.photons_per_unit(optics, 2000, exposure_time=0.1)
        self.assertAlmostEqual(cameras.photons_per_unit(optics, 4000, exposure_time=0.1) / per_unit, 2.0, places=12)
        # The expected photons: the optics' image times photons_per_unit × exposure_time.
        centred = dt.PointParticle(position=(24, 24), intensity=1)
        image = np.asarray(optics(centred).resolve())
        self.assertAlmostEqual(image.sum() * per_unit * 0.1 / 2000, 1.0, places=9)
        # Intensity 3 off-centre inside the field: 3 N up to the PSF's captured fraction.
        brighter = np.asarray(self.optics()(dt.PointParticle(position=(14, 31), intensity=3)).resolve())
        self.assertTrue(0.98 * 6000 < brighter.sum() * per_unit * 0.1 <= 6000 * (1 + 1e-9))
        # Through a camera counting every photon, the frames' totals average N (Poisson: ± 5 sqrt(N / k)).
        camera = dt.Camera(photons_per_unit=per_unit, exposure_time=0.1, dark_current=0, read_noise=0, offset=0,
                           adc_gain=1, full_well=1e9, bit_depth=32)
        pipeline = optics(centred) >> camera
        totals = [np.asarray(f).sum() for f in pipeline.resolve_batch(30, seed=2)]
        self.assertLess(abs(np.mean(totals) - 2000), 5 * np.sqrt(2000 / 30))

    def test_bad_input_says_why(self):
        with self.assertRaisesRegex(dt.InvalidArgumentError, "property 'photons'.*-5 is not a number of photons"):
            cameras.photons_per_unit(self.optics(), -5)
        with self.assertRaisesRegex(dt.InvalidArgumentError, "need fluorescence optics|no light"):
            cameras.photons_per_unit(dt.Brightfield(output_region=(0, 0, 16, 16)), 100)
        with self.assertRaisesRegex(TypeError, "optics must be a feature"):
            cameras.photons_per_unit("Fluorescence", 100)


class PictureTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def path(self, name):
        return os.path.join(self.dir.name, name)

    @unittest.skipIf(PILImage is None, "Pillow is not installed")
    def test_save_png_scales_the_range(self):
        img = dt.Image(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])[..., None])
        self.assertEqual(img.save_png(self.path("a.png")), (1.0, 6.0))
        depth, levels = read_png16(self.path("a.png"))
        self.assertEqual(depth, 16)
        np.testing.assert_array_equal(levels, [[0, 13107, 26214], [39321, 52428, 65535]])
        with self.assertRaisesRegex(dt.InvalidArgumentError, "got shape"):
            dt.save_png(np.zeros((2, 2, 3)), self.path("b.png"))
        with self.assertRaisesRegex(dt.InvalidArgumentError, "cannot write"):
            dt.save_png(np.zeros((2, 2)), self.path("missing/b.png"))

    @unittest.skipIf(tifffile is None, "tifffile is not installed")
    def test_save_tiff_writes_adu_as_they_are_and_stacks_as_pages(self):
        frames = [np.full((4, 5), 100.0 + k) for k in range(3)]
        frames[2][0, 0] = 70000  # clipped to 16 bits
        self.assertEqual(dt.save_tiff(frames, self.path("s.tif"), scale=False), (100.0, 70000.0))
        back = tifffile.imread(self.path("s.tif"))
        self.assertEqual((back.shape, back.dtype), ((3, 4, 5), np.uint16))
        self.assertEqual((back[0, 1, 1], back[1, 1, 1], back[2, 0, 0]), (100, 101, 65535))
        # The default writes whole numbers in 0 … 65535 as they are, scales anything else.
        camera_frame = dt.Camera(bit_depth=16).resolve(np.full((8, 8, 1), 50.0))
        dt.save_tiff(camera_frame, self.path("c.tif"))
        np.testing.assert_array_equal(tifffile.imread(self.path("c.tif")), np.asarray(camera_frame)[..., 0])
        dt.Image(np.array([[0.0, 0.5], [0.25, 1.0]])).save_tiff(self.path("f.tif"))
        np.testing.assert_array_equal(tifffile.imread(self.path("f.tif")), [[0, 32768], [16384, 65535]])
        with self.assertRaisesRegex(ValueError, "2-D frames"):
            dt.save_tiff([np.zeros((2, 2, 2))], self.path("x.tif"))

    @unittest.skipIf(matplotlib is None, "matplotlib is not installed")
    def test_plots_draw_images_and_ground_truth(self):
        import matplotlib.pyplot as plt

        particle = dt.PointParticle(position=(20, 30), intensity=100)
        optics = dt.Fluorescence(output_region=(0, 0, 48, 48))
        pipeline = optics(particle)
        pipeline.store_properties()
        image = pipeline.resolve()
        fig, ax = plt.subplots()
        self.assertIs(image.plot(ax=ax, positions=True), ax)
        self.assertEqual(ax.images[0].get_array().shape, (48, 48))
        np.testing.assert_array_equal(ax.collections[0].get_offsets(), [[30, 20]])  # (x, y) = (column, row)
        plt.close(fig)
        ax = pipeline.plot()
        self.assertEqual(ax.images[-1].get_array().shape, (48, 48))
        plt.close("all")
        with mock.patch.object(plt, "show") as show:
            anim = (pipeline & pipeline).plot(interval=50)
        show.assert_called_once()
        self.assertEqual(anim._interval, 50)
        plt.close("all")

    def test_plotting_without_matplotlib_says_what_to_install(self):
        with mock.patch.dict(sys.modules, {"matplotlib": None, "matplotlib.pyplot": None}):
            with self.assertRaisesRegex(ImportError, "plotting needs matplotlib.*pip install matplotlib"):
                dt.Image(np.zeros((2, 2))).plot()


class ReadmeCameraExample(unittest.TestCase):
    @unittest.skipIf(matplotlib is None or tifffile is None, "matplotlib or tifffile is not installed")
    def test_the_camera_example_runs_as_written(self):
        import re

        import matplotlib.pyplot as plt

        readme = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")
        with open(readme) as f:
            section = f.read().split("\n### A camera\n", 1)[1].split("\n### ", 1)[0]
        budget, block = re.findall(r"```python\n(.*?)```", section, re.S)
        # The photon budget's snippet: photons_per_unit for the optics, given to the camera.
        ns = {"dt": dt}
        exec(budget, ns)
        self.assertEqual(ns["camera"].photons_per_unit(), ns["per_unit"])
        self.assertGreater(ns["per_unit"], 0)
        with tempfile.TemporaryDirectory() as tmp:
            cwd = os.getcwd()
            os.chdir(tmp)
            try:
                ns = {}
                exec(block, ns)
                back = tifffile.imread("frame.tif")
            finally:
                os.chdir(cwd)
        frame = np.asarray(ns["frame"])
        np.testing.assert_array_equal(back, frame[..., 0])
        self.assertTrue(np.all(frame == np.round(frame)) and frame.min() >= 0 and frame.max() <= 65535)
        self.assertEqual(len(plt.gca().collections[0].get_offsets()), 10)
        plt.close("all")


class TrainingBatchPicture(unittest.TestCase):
    @unittest.skipIf(PILImage is None, "Pillow is not installed")
    def test_the_readme_picture_is_current(self):
        """examples-python/training_batch.py renders docs/images/training_batch.png (as the C pictures:
        at most 0.1% of the pixels more than 1% of the range apart); `make pictures` renders it again."""
        import importlib.util

        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
        spec = importlib.util.spec_from_file_location(
            "training_batch", os.path.join(root, "examples-python", "training_batch.py")
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        with tempfile.TemporaryDirectory() as tmp:
            counts = module.render(os.path.join(tmp, "batch.png"))
            _, new = read_png16(os.path.join(tmp, "batch.png"))
        self.assertEqual(len(counts), 4)
        self.assertTrue(all(5 <= c <= 20 for c in counts), counts)
        _, old = read_png16(os.path.join(root, "docs", "images", "training_batch.png"))
        self.assertEqual(new.shape, old.shape, "stale: run `make pictures`")
        far = np.count_nonzero(np.abs(new.astype(np.int64) - old.astype(np.int64)) > 65535 // 100)
        self.assertLessEqual(far * 1000, new.size, f"stale: run `make pictures` ({far} pixels differ)")


class MovieStripPicture(unittest.TestCase):
    @unittest.skipIf(PILImage is None, "Pillow is not installed")
    def test_the_readme_picture_is_current(self):
        """examples-python/movie_strip.py renders docs/images/movie_strip.png (the same tolerance as
        the other pictures); its tracks start inside the field and move every frame."""
        import importlib.util

        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
        spec = importlib.util.spec_from_file_location(
            "movie_strip", os.path.join(root, "examples-python", "movie_strip.py")
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        with tempfile.TemporaryDirectory() as tmp:
            tracks = module.render(os.path.join(tmp, "strip.png"))
            _, new = read_png16(os.path.join(tmp, "strip.png"))
        self.assertEqual(tracks.shape, (module.FRAMES, module.PARTICLES, 2))
        self.assertTrue(np.all((tracks[0] >= module.MARGIN) & (tracks[0] <= module.SIZE - module.MARGIN)), tracks[0])
        self.assertTrue(np.all(np.diff(tracks, axis=0) != 0))
        _, old = read_png16(os.path.join(root, "docs", "images", "movie_strip.png"))
        self.assertEqual(new.shape, old.shape, "stale: run `make pictures`")
        far = np.count_nonzero(np.abs(new.astype(np.int64) - old.astype(np.int64)) > 65535 // 100)
        self.assertLessEqual(far * 1000, new.size, f"stale: run `make pictures` ({far} pixels differ)")


if __name__ == "__main__":
    unittest.main()
