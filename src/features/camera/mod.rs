//! `Camera`: what a real camera records of the optics' output. The input is a photon flux (photons per
//! second per pixel, times `photons_per_unit`); the output is what the camera's ADC gives, in ADU
//! (whole numbers between 0 and `2^bit_depth - 1`), for a CCD, an EMCCD or an sCMOS sensor. The
//! stages, in order (`model.rs`): photons in the exposure, quantum efficiency, shot noise and dark
//! current (one Poisson draw of their sum), full well, charge binning (CCD, EMCCD), the EM register
//! (EMCCD), its full well, read noise, ADC gain and offset, rounding and clipping to the bit depth,
//! and digital binning (sCMOS). sCMOS pixels each have their read noise, offset and gain
//! (`sensor.rs`: maps given as arrays, or generated from `sensor_seed`). Every random draw comes
//! from the evaluation's generator; the sensor's maps only from `sensor_seed` (the same sensor in
//! every frame). DeepTrack2 has no camera: the model follows microsim's (`microsim.schema.detectors`),
//! with an EM register whose excess noise follows its gain. [`photons_per_unit`] derives the
//! camera's scale from a fluorophore's photon budget and the optics (`photons.rs`).

use std::sync::Arc;

use super::FeatureKind;
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::error::{Error, Result};
use crate::graph::Resolver;
use crate::image::Image;
use crate::properties::PropertyDict;

mod model;
mod photons;
mod sensor;

pub use photons::photons_per_unit;

/// The registry entries of this family.
pub(crate) static KINDS: &[KindSpec] = &[CAMERA];

/// The camera types, as `camera_type` accepts them.
const TYPES: &[&str] = &["CCD", "EMCCD", "sCMOS"];

/// A number in `[min, max]` (inclusive; `f64::MAX` means finite).
const fn number(name: &'static str, default: f64, min: f64, max: f64, doc: &'static str) -> ParamSpec {
    ParamSpec { min, max, ..ParamSpec::new(name, ParamKind::Number, ParamDefault::Value(Const::Float(default)), doc) }
}

/// A whole number in `[min, max]`.
const fn integer(name: &'static str, default: i64, min: f64, max: f64, doc: &'static str) -> ParamSpec {
    ParamSpec { min, max, ..ParamSpec::new(name, ParamKind::Integer, ParamDefault::Value(Const::Int(default)), doc) }
}

/// An optional number in `[min, max]`, `None` by default.
const fn optional(name: &'static str, min: f64, max: f64, doc: &'static str) -> ParamSpec {
    ParamSpec {
        min,
        max,
        nullable: true,
        ..ParamSpec::new(name, ParamKind::Number, ParamDefault::Value(Const::None), doc)
    }
}

/// A per-pixel map (an array of the sensor's shape), absent unless given.
const fn map(name: &'static str, min: f64, doc: &'static str) -> ParamSpec {
    ParamSpec {
        min,
        max: f64::MAX,
        nullable: true,
        ..ParamSpec::new(name, ParamKind::Array, ParamDefault::Absent, doc)
    }
}

/// The largest bit depth of the ADC (ADU stay exact in a double).
pub(crate) const MAX_BIT_DEPTH: f64 = 32.0;

const CAMERA: KindSpec = KindSpec {
    name: "Camera",
    aliases: &[],
    module: "cameras",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "What a CCD, EMCCD or sCMOS camera records of a photon flux: shot noise, dark current, EM gain, read \
          noise, offset, ADC gain, bit depth and saturation, in ADU.",
    params: &[
        ParamSpec::new(
            "camera_type",
            ParamKind::Str { choices: TYPES },
            ParamDefault::Value(Const::Str("CCD")),
            "the sensor: 'CCD', 'EMCCD' (with an EM gain register) or 'sCMOS' (a read-out per pixel)",
        ),
        number(
            "photons_per_unit",
            1.0,
            0.0,
            f64::MAX,
            "photons per second that one unit of the input stands for (1: the input is in photons/s per pixel)",
        ),
        number("exposure_time", 1.0, 0.0, f64::MAX, "the exposure, in seconds"),
        number("quantum_efficiency", 1.0, 0.0, 1.0, "the fraction of photons that become electrons"),
        ParamSpec::new(
            "shot_noise",
            ParamKind::Bool,
            ParamDefault::Value(Const::Bool(true)),
            "whether photo-electrons and dark electrons are Poisson draws (False: their expected numbers)",
        ),
        number("dark_current", 0.001, 0.0, f64::MAX, "thermal electrons per pixel per second"),
        number("clock_induced_charge", 0.0, 0.0, f64::MAX, "spurious electrons per pixel per frame"),
        ParamSpec { min_open: true, ..number("full_well", 18000.0, 0.0, f64::MAX, "a pixel's capacity, in electrons") },
        number("em_gain", 1.0, 1.0, 1e6, "the EM register's mean gain (EMCCD only; 1: off)"),
        ParamSpec {
            min_open: true,
            ..optional(
                "serial_full_well",
                0.0,
                f64::MAX,
                "the EM register's capacity in electrons (EMCCD; None: no limit)",
            )
        },
        number("read_noise", 6.0, 0.0, f64::MAX, "the read noise, in electrons (rms)"),
        ParamSpec {
            min_open: true,
            ..optional("adc_gain", 0.0, f64::MAX, "electrons per ADU (None: full_well / (2^bit_depth - 1))")
        },
        number("offset", 100.0, -f64::MAX, f64::MAX, "the bias added by the ADC, in ADU"),
        integer("bit_depth", 12, 1.0, MAX_BIT_DEPTH, "the ADC's bits: values are clipped to 0 … 2^bit_depth - 1"),
        integer(
            "binning",
            1,
            1.0,
            model::MAX_BINNING as f64,
            "pixels binned along each axis (CCD, EMCCD: charge summed before read-out; sCMOS: ADU averaged)",
        ),
        map("read_noise_map", 0.0, "sCMOS: each pixel's read noise in electrons, an (H, W) array"),
        map("offset_map", -f64::MAX, "sCMOS: each pixel's offset in ADU, an (H, W) array"),
        ParamSpec { min_open: true, ..map("gain_map", 0.0, "sCMOS: each pixel's electrons per ADU, an (H, W) array") },
        number(
            "read_noise_spread",
            0.2,
            0.0,
            5.0,
            "sCMOS: the log-normal spread of the generated read-noise map (its median is read_noise)",
        ),
        number(
            "offset_spread",
            1.0,
            0.0,
            f64::MAX,
            "sCMOS: the standard deviation of the generated offset map, in ADU",
        ),
        number(
            "gain_spread",
            0.01,
            0.0,
            1.0,
            "sCMOS: the log-normal spread of the generated gain map (its median is adc_gain)",
        ),
        integer(
            "sensor_seed",
            0,
            0.0,
            9_007_199_254_740_992.0,
            "sCMOS: the seed of the generated maps (the same seed: the same sensor in every frame)",
        ),
    ],
    positional: &["_input"],
    make: |_| Box::new(Camera),
};

/// The camera: see the module's documentation.
#[derive(Clone)]
struct Camera;

impl FeatureKind for Camera {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "Camera"
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, rs: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let p = Params::new(CAMERA.params, props);
        let settings = model::Settings::read(&p)?;
        let shape = img.shape();
        if shape.len() < 2 {
            return Err(Error::invalid(format!(
                "a camera images a 2-D field (H, W) or (H, W, channels), got shape {shape:?} ({} axes)",
                shape.len()
            )));
        }
        if shape[0] == 0 || shape[1] == 0 {
            return Err(Error::invalid(format!(
                "a camera images a field of at least one pixel, got an empty field of shape {shape:?} (no rows or \
                 no columns)"
            )));
        }
        let sensor = sensor::Sensor::read(&p, &settings, [shape[0], shape[1]])?;
        let (out_shape, data) = model::record(img.contiguous()?, shape, &settings, &sensor, rs.rng())?;
        let data = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&out_shape), data).expect("sized to the shape");
        Ok(Some(img.with_standard_data(data)))
    }
}
