//! Pupils the registry's aberrations do not compute: a custom feature's `get` (DeepTrack2's
//! `class MyAberration(Aberration): def get(self, pupil, rho, theta, **kwargs)`; from C, a custom
//! feature, `deeptrack_feature_new_custom`) and an array multiplying the pupil (DeepTrack2's
//! `pupil=ndarray`; here a `Value` feature holding the array).
//!
//! A callback receives the pupil as DeepTrack2's `Aberration` hands it over: a complex image of the
//! whole FFT grid (`n0 × n1`, unshifted, the centre at `(n0/2, n1/2)`), and among its properties
//! `rho` (the distance from the centre in grid pixels, divided by its largest value where the pupil
//! is non-zero) and `theta` (`atan2(row offset, column offset)`), both `n0 × n1` arrays. It returns
//! the new pupil: an `n0 × n1` image, real or complex (returning its input, or nothing, leaves the
//! pupil unchanged). Only the pupil inside the aperture counts: outside it, the optics' pupil stays
//! zero (a deliberate difference, see the README).
//!
//! A callback may give another pupil for the same properties (it can draw random numbers), so the
//! optics never reuse per-pupil work across images when one is in the pupil (see
//! [`Callback::key`]); within one image it is called once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rustfft::num_complex::Complex64;

use super::aberrations::PupilField;
use crate::error::{Error, ErrorKind, Result};
use crate::features::custom::GetFn;
use crate::image::Image;
use crate::properties::PropertyDict;
use crate::value::Value;

/// A custom feature in the pupil: its `get` and its sampled properties for this image.
#[derive(Clone)]
pub(crate) struct Callback {
    /// The feature's label, for errors.
    pub label: Arc<str>,
    /// Its computation.
    pub get: Arc<GetFn>,
    /// Its sampled properties.
    pub props: Arc<PropertyDict>,
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Callback({})", self.label)
    }
}

impl PartialEq for Callback {
    fn eq(&self, other: &Callback) -> bool {
        Arc::ptr_eq(&self.get, &other.get) && Arc::ptr_eq(&self.props, &other.props)
    }
}

/// Numbers no two samples of callbacks share (see [`Callback::key`]).
static SAMPLES: AtomicU64 = AtomicU64::new(0);

impl Callback {
    /// The cache key of this sample: a number drawn afresh at every sample, so that the optics'
    /// per-pupil caches never hold a callback's pupil across images (it may change with nothing
    /// else changing).
    pub fn key(&self, out: &mut Vec<u64>) {
        out.extend([3, SAMPLES.fetch_add(1, Ordering::Relaxed)]);
    }

    /// Calls the feature's `get` with the pupil of the whole grid, `rho` and `theta`, and keeps what
    /// it returns on `pupil`'s box.
    pub fn apply(&self, pupil: &mut PupilField) -> Result<()> {
        let [n0, n1] = pupil.n;
        let n = n0 * n1;
        let mut data = alloc(2 * n)?;
        let w = pupil.cols.len();
        for (at, v) in pupil.values.iter().enumerate() {
            let (i, j) = (pupil.rows.start + at / w.max(1), pupil.cols.start + at % w.max(1));
            data[2 * (i * n1 + j)] = v.re;
            data[2 * (i * n1 + j) + 1] = v.im;
        }
        let largest = pupil.largest_radius((0.0, 0.0), 1.0);
        let (mut rho, mut theta) = (alloc(n)?, alloc(n)?);
        for i in 0..n0 {
            let y = i as f64 - n0 as f64 / 2.0;
            for j in 0..n1 {
                let x = j as f64 - n1 as f64 / 2.0;
                rho[i * n1 + j] = (x * x + y * y).sqrt() / largest;
                theta[i * n1 + j] = y.atan2(x);
            }
        }
        let grid =
            |v: Vec<f64>| Value::array(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[n0, n1]), v).expect("n0 × n1"));
        let mut props = PropertyDict::clone(&self.props);
        props.insert("rho", grid(rho));
        props.insert("theta", grid(theta));
        let mut image =
            Image::new(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[n0, n1, 2]), data).expect("n0 × n1 × 2"));
        image.set_complex(true)?;
        let Some(out) = (self.get)(Some(&image), &Arc::new(props)).map_err(|e| e.in_feature(&self.label))? else {
            return Ok(());
        };
        let complex = out.is_complex();
        let expected: &[usize] = if complex { &[n0, n1, 2] } else { &[n0, n1] };
        if out.shape() != expected {
            let shape = if complex { &out.shape()[..out.shape().len() - 1] } else { out.shape() };
            return Err(Error::invalid(format!(
                "the aberration returned a pupil of shape {shape:?}, expected the pupil's shape [{n0}, {n1}]"
            ))
            .in_feature(&self.label));
        }
        let samples = out.contiguous()?;
        for (at, v) in pupil.values.iter_mut().enumerate() {
            let k = (pupil.rows.start + at / w.max(1)) * n1 + pupil.cols.start + at % w.max(1);
            *v = if complex {
                Complex64::new(samples[2 * k], samples[2 * k + 1])
            } else {
                Complex64::new(samples[k], 0.0)
            };
        }
        Ok(())
    }
}

/// An array multiplying the pupil (DeepTrack2's `pupil_function *= pupil`): real or complex numbers
/// (a `Value` of a real or complex array, a number or a list of them) broadcast over
/// the `n0 × n1` grid as numpy broadcasts them to it (a number, a row of `n1`, a column `n0 × 1`, or
/// the grid's shape), the pupil's centre at `(n0/2, n1/2)`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PupilArray {
    /// The feature's label, for errors.
    pub label: Arc<str>,
    /// The array (real arrays as complex numbers).
    pub array: Arc<ndarray::ArrayD<Complex64>>,
}

impl PupilArray {
    /// The array's shape and numbers, as bits (a cache key).
    pub fn key(&self, out: &mut Vec<u64>) {
        out.push(4 + ((self.array.ndim() as u64) << 8));
        out.extend(self.array.shape().iter().map(|&d| d as u64));
        out.extend(self.array.iter().flat_map(|v| [v.re.to_bits(), v.im.to_bits()]));
    }

    /// Multiplies `pupil` by the array, or errors when its shape does not broadcast to the grid.
    pub fn apply(&self, pupil: &mut PupilField) -> Result<()> {
        let [n0, n1] = pupil.n;
        let shape = self.array.shape();
        let (s0, s1) = match *shape {
            [] => (1, 1),
            [b] => (1, b),
            [a, b] => (a, b),
            _ => (0, 0),
        };
        if !(s0 == 1 || s0 == n0) || !(s1 == 1 || s1 == n1) {
            return Err(Error::invalid(format!(
                "the pupil array's shape {shape:?} does not broadcast to the pupil's grid [{n0}, {n1}] (the padded \
                 output region on its FFT grid)"
            ))
            .in_property("value")
            .in_feature(&self.label));
        }
        let a = self.array.as_slice().expect("values are kept in standard layout");
        let w = pupil.cols.len();
        for (at, v) in pupil.values.iter_mut().enumerate() {
            let (i, j) = (pupil.rows.start + at / w.max(1), pupil.cols.start + at % w.max(1));
            let (i, j) = (if s0 == 1 { 0 } else { i }, if s1 == 1 { 0 } else { j });
            *v *= a[i * s1 + j];
        }
        Ok(())
    }
}

/// `n` zeros, or OutOfMemory.
fn alloc(n: usize) -> Result<Vec<f64>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {n} numbers")))?;
    v.resize(n, 0.0);
    Ok(v)
}
