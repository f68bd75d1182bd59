//! The mathematics of Mie scattering, as DeepTrack2 2.0.1's `deeptrack.backend.polynomials` and
//! `deeptrack.backend.mie` define it: Bessel, Hankel and Riccati–Bessel functions of real order and
//! real or complex argument ([`bessel`], [`riccati`]), the Mie coefficients of homogeneous and
//! stratified spheres ([`coefficients`]) and the angular functions π and τ ([`harmonics`]).
//!
//! Complex arguments (absorbing particles, `m = n + iκ`) are computed with Amos's algorithm
//! (TOMS 644, the `complex-bessel` crate), the algorithm scipy.special uses for them; real
//! arguments follow scipy's conventions for float input (NaN where the real function is undefined).

pub mod bessel;
pub mod check;
mod cis;
pub mod coefficients;
mod determinant;
pub mod field;
pub mod harmonics;
pub mod riccati;

pub use bessel::Arg;
pub use coefficients::{coefficients, stratified_coefficients};
pub use harmonics::harmonics;
pub use riccati::Function;
/// The complex numbers of this module's API (num-complex's, re-exported).
pub use rustfft::num_complex::Complex64;
