//! The camera's stages, from a photon flux to ADU (see the family's documentation for the order).
//! Expected values, per pixel, for `N` incident photons (`x · photons_per_unit · exposure_time`), `D`
//! dark electrons (`dark_current · exposure_time + clock_induced_charge`), EM gain `M`, ADC gain `g`
//! (electrons per ADU), read noise `r` (electrons) and offset `o`, before clipping:
//!
//! - mean `(M · (QE·N + D)) / g + o`;
//! - variance `(F² · M² · (QE·N + D) + r²) / g² + 1/12` (the last term is the rounding to whole ADU),
//!   with the EM register's excess noise factor `F² = 2 - 1/M` (1 without EM gain, → 2 at high gain).
//!
//! The EM register multiplies each electron in many stages with a small probability; the number of
//! electrons out of `n` in is close to a gamma distribution with mean `n·M` and variance
//! `n·M·(M - 1)` (shape `n·M / (M - 1)`, scale `M - 1`): the gamma model of Basden et al. (2003),
//! with moments that also hold at low gain (the usual shape `n`, scale `M` has `F² = 2` even at
//! `M = 1`).

use rand::RngCore;
use rand_distr::{Distribution, Gamma, Poisson, StandardNormal};

use super::sensor::Sensor;
use crate::error::{Error, ErrorKind, Result};
use crate::features::registry::Params;
use crate::features::show;

/// The most pixels binned along an axis.
pub(crate) const MAX_BINNING: usize = 1 << 16;

/// Above this many expected electrons a pixel's shot noise (a relative 1e-6) is left out: Poisson
/// draws are exact only up to `Poisson::MAX_LAMBDA`, and every pixel this bright saturates.
const NOISELESS: f64 = 1e12;

/// The sensor type.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Type {
    /// A CCD: one read-out amplifier, charge binning.
    Ccd,
    /// An EMCCD: a CCD with an electron-multiplying register before the amplifier.
    Emccd,
    /// An sCMOS: a read-out (noise, offset, gain) per pixel, digital binning.
    Scmos,
}

/// The camera's properties, checked and combined.
pub(crate) struct Settings {
    /// The sensor type.
    pub kind: Type,
    /// Photons in the exposure per unit of the input (`photons_per_unit · exposure_time`).
    pub photons: f64,
    /// Quantum efficiency.
    pub qe: f64,
    /// Whether electrons are Poisson draws.
    pub shot: bool,
    /// Expected dark electrons per pixel in the exposure.
    pub dark: f64,
    /// A pixel's capacity, in electrons.
    pub full_well: f64,
    /// The EM register's mean gain (1 unless EMCCD).
    pub em_gain: f64,
    /// The EM register's capacity (EMCCD).
    pub serial_full_well: Option<f64>,
    /// Read noise, electrons rms.
    pub read_noise: f64,
    /// Electrons per ADU.
    pub adc_gain: f64,
    /// Bias, ADU.
    pub offset: f64,
    /// The largest ADU, `2^bit_depth - 1`.
    pub max_adu: f64,
    /// Pixels binned along each axis.
    pub binning: usize,
}

impl Settings {
    /// Reads the camera's properties.
    pub(crate) fn read(p: &Params<'_>) -> Result<Settings> {
        let kind = match p.str("camera_type")? {
            "EMCCD" => Type::Emccd,
            "sCMOS" => Type::Scmos,
            _ => Type::Ccd,
        };
        let exposure = p.f64("exposure_time")?;
        let photons = p.f64("photons_per_unit")? * exposure;
        if !photons.is_finite() {
            return Err(Error::invalid(format!(
                "photons_per_unit × exposure_time = {} is not a finite number of photons",
                show(photons)
            ))
            .in_property("exposure_time"));
        }
        let dark = p.f64("dark_current")? * exposure + p.f64("clock_induced_charge")?;
        if !dark.is_finite() {
            return Err(Error::invalid("dark_current × exposure_time + clock_induced_charge is not finite")
                .in_property("dark_current"));
        }
        let bits = p.usize("bit_depth")?;
        let max_adu = ((1_u64 << bits) - 1) as f64;
        let full_well = p.f64("full_well")?;
        let adc_gain = p.opt_f64("adc_gain")?.unwrap_or(full_well / max_adu);
        let emccd = kind == Type::Emccd;
        Ok(Settings {
            kind,
            photons,
            qe: p.f64("quantum_efficiency")?,
            shot: p.bool("shot_noise")?,
            dark,
            full_well,
            em_gain: if emccd { p.f64("em_gain")? } else { 1.0 },
            serial_full_well: if emccd { p.opt_f64("serial_full_well")? } else { None },
            read_noise: p.f64("read_noise")?,
            adc_gain,
            offset: p.f64("offset")?,
            max_adu,
            binning: p.usize("binning")?,
        })
    }
}

/// An output buffer of `count` samples (`OutOfMemory` when it cannot be made).
fn buffer(count: usize) -> Result<Vec<f64>> {
    crate::buffer::with_capacity(count)
}

/// What the camera records of `samples` (C order, of `shape`: H, W and any trailing axes, read
/// independently): the output's shape and samples, in ADU.
pub(crate) fn record(
    samples: &[f64],
    shape: &[usize],
    s: &Settings,
    sensor: &Sensor,
    rng: &mut dyn RngCore,
) -> Result<(Vec<usize>, Vec<f64>)> {
    let (h, w) = (shape[0], shape[1]);
    let channels: usize = shape[2..].iter().product();
    let b = s.binning;
    if b > h || b > w {
        return Err(Error::invalid(format!("{b} exceeds the image's size {h}×{w}")).in_property("binning"));
    }
    let (bh, bw) = (h / b, w / b);
    if let Some(i) = samples.iter().position(|x| x.is_nan()) {
        return Err(Error::invalid(format!(
            "sample {i} of the input is NaN; a camera needs a photon flux (photons per second per pixel)"
        )));
    }
    let mut out_shape = vec![bh, bw];
    out_shape.extend_from_slice(&shape[2..]);
    let sample = |y: usize, x: usize, c: usize| samples[(y * w + x) * channels + c];
    let mut electrons = Electrons { s, rng, failure: None };
    let out = match s.kind {
        Type::Ccd | Type::Emccd => {
            // Charge binning: each output pixel reads the charge of its b×b pixels at once.
            let mut out = buffer(bh * bw * channels)?;
            for by in 0..bh {
                for bx in 0..bw {
                    for c in 0..channels {
                        let mut charge = 0.0;
                        for y in by * b..(by + 1) * b {
                            for x in bx * b..(bx + 1) * b {
                                charge += electrons.collect(sample(y, x, c));
                            }
                        }
                        let multiplied = electrons.multiply(charge);
                        let read = multiplied + s.read_noise * electrons.normal();
                        out.push(quantize(read, s.adc_gain, s.offset, s.max_adu));
                    }
                }
            }
            out
        }
        Type::Scmos => {
            // Each pixel has its own read-out; binning averages the ADU.
            let mut pixels = buffer(bh * b * bw * b * channels)?;
            for y in 0..bh * b {
                for x in 0..bw * b {
                    let (noise, gain, offset) = sensor.at(y, x);
                    for c in 0..channels {
                        let read = electrons.collect(sample(y, x, c)) + noise * electrons.normal();
                        pixels.push(quantize(read, gain, offset, s.max_adu));
                    }
                }
            }
            if b == 1 {
                return finish(electrons.failure, out_shape, pixels);
            }
            let mut out = buffer(bh * bw * channels)?;
            let area = (b * b) as f64;
            let row = bw * b * channels;
            for by in 0..bh {
                for bx in 0..bw {
                    for c in 0..channels {
                        let mut sum = 0.0;
                        for y in by * b..(by + 1) * b {
                            for x in bx * b..(bx + 1) * b {
                                sum += pixels[y * row + x * channels + c];
                            }
                        }
                        out.push(sum / area);
                    }
                }
            }
            out
        }
    };
    finish(electrons.failure, out_shape, out)
}

/// The output, or the first failure of a draw.
fn finish(failure: Option<String>, shape: Vec<usize>, out: Vec<f64>) -> Result<(Vec<usize>, Vec<f64>)> {
    match failure {
        Some(detail) => Err(Error::new(ErrorKind::InvalidArgument, detail)),
        None => Ok((shape, out)),
    }
}

/// ADU of `electrons` read through an ADC of `gain` electrons per ADU and offset `offset`: rounded,
/// clipped to `0 ..= max`.
fn quantize(electrons: f64, gain: f64, offset: f64, max: f64) -> f64 {
    (electrons / gain + offset).round().clamp(0.0, max)
}

/// The random stages of the charge, with the generator; the first failure of a draw is kept.
struct Electrons<'a> {
    s: &'a Settings,
    rng: &'a mut dyn RngCore,
    failure: Option<String>,
}

impl Electrons<'_> {
    /// A standard normal draw.
    fn normal(&mut self) -> f64 {
        StandardNormal.sample(&mut *self.rng)
    }

    /// The electrons a pixel of input `x` collects in the exposure: photo-electrons and dark
    /// electrons (one Poisson draw of their sum, or its mean without shot noise), up to the full well.
    fn collect(&mut self, x: f64) -> f64 {
        let s = self.s;
        let mean = x.max(0.0) * s.photons * s.qe + s.dark;
        let drawn = if !s.shot || mean <= 0.0 || mean >= NOISELESS {
            mean
        } else {
            match Poisson::new(mean) {
                Ok(d) => d.sample(&mut *self.rng),
                Err(e) => {
                    self.failure.get_or_insert_with(|| format!("cannot draw the shot noise of {mean} electrons: {e}"));
                    mean
                }
            }
        };
        drawn.min(s.full_well)
    }

    /// The EM register's output for `n` electrons in (EMCCD; `n` unchanged at gain 1), up to the
    /// register's full well.
    fn multiply(&mut self, n: f64) -> f64 {
        let s = self.s;
        let m = s.em_gain;
        if m <= 1.0 || n <= 0.0 {
            return n;
        }
        let out = match Gamma::new(n * m / (m - 1.0), m - 1.0) {
            Ok(d) => d.sample(&mut *self.rng),
            Err(e) => {
                self.failure.get_or_insert_with(|| format!("cannot draw the EM gain of {n} electrons: {e}"));
                n * m
            }
        };
        s.serial_full_well.map_or(out, |cap| out.min(cap))
    }
}
