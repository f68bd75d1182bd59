"""DeepTrack2's ``deeptrack.backend`` numerics, computed by libdeeptrack.

- :mod:`.polynomials`: Bessel and Riccati-Bessel functions of real order and real or complex argument
  (``besselj``, ``dbesselj``, ``bessely``, ``dbessely``, ``ricbesj``, ``dricbesj``, ``ricbesy``,
  ``dricbesy``, ``ricbesh``, ``dricbesh``), with DeepTrack2's names and signatures;
- :mod:`.mie`: the Mie coefficients of homogeneous and stratified spheres and the angular harmonics
  (``coefficients``, ``stratified_coefficients``, ``harmonics``);
- :mod:`.core`: ``DeepTrackNode``, DeepTrack2's cached computation node, for graphs built by hand.
"""

from . import core, mie, polynomials

__all__ = ["core", "mie", "polynomials"]
