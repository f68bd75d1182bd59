"""DeepTrack2's holography module from Python: the classes in ``deeptrack_native.holography`` with
DeepTrack2's signatures, complex spectra as complex arrays (in and out), the round trip, Rescale,
get_propagation_matrix against its formula, and FourierTransformTransformation with complex matrices
as DeepTrack2's LodeSTAR tutorials chain it."""

import inspect
import unittest

import numpy as np

from deeptrack_native import holography


def propagation(shape, to_z, pixel_size, wavelength, dx=0.0, dy=0.0):
    """The angular-spectrum transfer function, written out (FFT order)."""
    k = 2 * np.pi / wavelength
    rows, cols = shape
    kx = 2 * np.pi / pixel_size * (np.arange(cols) - cols / 2 + (cols % 2) / 2) / cols
    ky = 2 * np.pi / pixel_size * (np.arange(rows) - rows / 2 + (rows % 2) / 2) / rows
    KX, KY = np.meshgrid(kx, ky)
    inside = (KX / k) ** 2 + (KY / k) ** 2 < 1
    K = np.sqrt(np.clip(1 - (KX / k) ** 2 - (KY / k) ** 2, 0, None))
    return np.fft.fftshift(inside * np.exp(1j * k * (to_z * (K - 1) - dx * KX / k - dy * KY / k)))


class HolographyTests(unittest.TestCase):
    def test_signatures(self):
        self.assertEqual(str(inspect.signature(holography.Rescale)), "(rescale=1, **kwargs)")
        # DeepTrack2 takes padding only as a keyword (its get has the default 32).
        self.assertEqual(str(inspect.signature(holography.FourierTransform)), "(*, padding=None, **kwargs)")
        self.assertEqual(
            str(inspect.signature(holography.get_propagation_matrix)),
            "(shape, to_z, pixel_size, wavelength, dx=0, dy=0)",
        )

    def test_fourier_round_trip_with_complex_arrays(self):
        field = np.random.default_rng(3).random((12, 10, 2))
        spectrum = holography.FourierTransform(padding=5)(field)
        self.assertTrue(np.iscomplexobj(spectrum))
        self.assertEqual(spectrum.shape, (22, 20))
        padded = np.pad(field[..., 0] + 1j * field[..., 1], 5, mode="symmetric")
        np.testing.assert_allclose(spectrum, np.fft.fft2(padded), atol=1e-10)
        # A complex numpy array goes in as a complex image.
        back = holography.InverseFourierTransform(padding=5)(np.array(spectrum))
        self.assertFalse(np.iscomplexobj(back))
        np.testing.assert_allclose(back, field, atol=1e-12)

    def test_rescale(self):
        field = np.random.default_rng(4).random((4, 3, 3))
        out = np.asarray(holography.Rescale(0.25)(field))
        np.testing.assert_array_equal(out[..., 0], (field[..., 0] - 1) * 0.25 + 1)
        np.testing.assert_array_equal(out[..., 1], field[..., 1] * 0.25)
        np.testing.assert_array_equal(out[..., 2], field[..., 2])

    def test_propagation_matrix(self):
        for args in [((16, 16), 2e-6, 1e-7, 5e-7), ((9, 12), -3e-6, 2e-7, 6.3e-7, 1e-7, -2e-7)]:
            m = holography.get_propagation_matrix(*args)
            self.assertTrue(np.iscomplexobj(m))
            self.assertEqual(m.shape, args[0])
            np.testing.assert_allclose(m, propagation(*args), rtol=0, atol=1e-9)
        with self.assertRaises(ValueError):
            holography.get_propagation_matrix((4, 4), 1.0, 0.0, 5e-7)

    def test_fourier_transform_transformation(self):
        self.assertEqual(
            str(inspect.signature(holography.FourierTransformTransformation)), "(Tz, Tzinv, i, **kwargs)"
        )
        field = np.random.default_rng(5).random((12, 10, 2))
        tz = holography.get_propagation_matrix((22, 20), 1e-6, 1e-7, 5.32e-7)
        tzinv = holography.get_propagation_matrix((22, 20), -1e-6, 1e-7, 5.32e-7)
        spectrum = np.asarray(holography.FourierTransform(padding=5)(field))
        for i, want in [(3, spectrum * tz**3), (-2, spectrum * tzinv**2), (0, spectrum), (1.5, spectrum * tz**1.5)]:
            ftt = holography.FourierTransformTransformation(tz, tzinv, i)
            out = np.asarray(ftt(spectrum))
            self.assertEqual(out.dtype, np.complex128)
            np.testing.assert_allclose(out, want, rtol=0, atol=1e-12 * np.abs(want).max())
        # The matrices read back as given; the input is not changed (DeepTrack2 multiplies it in place).
        ftt = holography.FourierTransformTransformation(tz, tzinv, 2)
        np.testing.assert_array_equal(ftt.Tz(), tz)
        before = spectrum.copy()
        ftt(spectrum)
        np.testing.assert_array_equal(spectrum, before)
        # Random steps as DeepTrack2's tutorials draw them, chained between the transforms; stored
        # properties record the step and the matrices.
        pipeline = (
            holography.FourierTransform(padding=5)
            >> holography.FourierTransformTransformation(tz, tzinv, lambda: np.random.randint(-3, 3))
            >> holography.InverseFourierTransform(padding=5)
        )
        pipeline.store_properties()
        image = pipeline.resolve(field)
        step = image.get_property("i")
        np.testing.assert_array_equal(image.get_property("Tzinv"), tzinv)
        matrix = tz**step if step >= 0 else tzinv ** abs(step)
        want = np.fft.ifft2(spectrum * matrix)[5:-5, 5:-5]
        np.testing.assert_allclose(np.asarray(image), np.stack([want.real, want.imag], -1), atol=1e-12)
        # A real image times a complex matrix is complex (DeepTrack2's in-place product raises).
        real = np.ones((22, 20))
        np.testing.assert_allclose(np.asarray(ftt(real)), tz**2, atol=1e-15)
        with self.assertRaisesRegex(Exception, "property 'Tz' of feature 'FourierTransformTransformation'.*broadcast"):
            ftt(np.ones((4, 4)))


if __name__ == "__main__":
    unittest.main()
