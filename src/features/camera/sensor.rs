//! An sCMOS sensor's per-pixel read-out: read noise (electrons), gain (electrons per ADU) and offset
//! (ADU) of every pixel, each given as an `(H, W)` map or generated from `sensor_seed`: read noise
//! and gain log-normal around their medians `read_noise` and `adc_gain` (log spreads
//! `read_noise_spread`, `gain_spread`; sCMOS read noise has a long tail of noisy pixels), offset
//! normal around `offset` (`offset_spread` ADU). A generated map depends only on the seed and the
//! sensor's size, never on the evaluation's generator: the same sensor in every frame.

use std::sync::Arc;

use ndarray::ArrayD;
use rand_distr::{Distribution, StandardNormal};

use super::model::{Settings, Type};
use crate::error::{Error, Result};
use crate::features::registry::Params;
use crate::rng::{mix, stream_rng};
use crate::sync::{Lock, Recover, overwrite};

/// What a generated map is made from: its generator's seed (which map of which `sensor_seed`), the
/// sensor's size, and the median and spread (as bits).
#[derive(Clone, Copy, PartialEq)]
struct Key {
    seed: u64,
    size: [usize; 2],
    median: u64,
    spread: u64,
}

/// The last few maps generated: a sensor's maps are the same in every frame, so frames after the
/// first (and a batch's threads) share them instead of drawing them again.
struct Cache {
    maps: [Option<(Key, Arc<Vec<f64>>)>; 6],
    next: usize,
}

impl Recover for Cache {
    fn recover(&mut self) {
        overwrite(self, Cache { maps: Default::default(), next: 0 });
    }
}

static CACHE: Lock<Cache> = Lock::new(Cache { maps: [None, None, None, None, None, None], next: 0 });

/// One quantity of the read-out over the sensor.
enum Map {
    /// The same everywhere.
    Uniform(f64),
    /// Given: an `(H, W)` array in standard layout.
    Given(Arc<ArrayD<f64>>),
    /// Generated: `H × W` values in C order (shared with the cache of generated maps).
    Generated(Arc<Vec<f64>>),
}

impl Map {
    /// The value at pixel `index` (C order over `(H, W)`).
    fn at(&self, index: usize) -> f64 {
        match self {
            Map::Uniform(x) => *x,
            Map::Given(a) => a.as_slice().map_or(0.0, |s| s[index]),
            Map::Generated(v) => v[index],
        }
    }
}

/// The sensor's read-out maps (uniform but for sCMOS).
pub(crate) struct Sensor {
    read_noise: Map,
    gain: Map,
    offset: Map,
    width: usize,
}

/// The map properties.
const MAPS: [&str; 3] = ["read_noise_map", "gain_map", "offset_map"];

impl Sensor {
    /// The read-out of a sensor of `size` (H, W) pixels: uniform for CCD and EMCCD (which refuse
    /// maps: their pixels share one amplifier), per pixel for sCMOS.
    pub(crate) fn read(p: &Params<'_>, s: &Settings, size: [usize; 2]) -> Result<Sensor> {
        if s.kind != Type::Scmos {
            for key in MAPS {
                if p.optional(key)?.is_some() {
                    return Err(Error::invalid(
                        "per-pixel maps are for camera_type 'sCMOS' (the pixels of a CCD or EMCCD share one amplifier)",
                    )
                    .in_property(key));
                }
            }
            let (read_noise, gain, offset) =
                (Map::Uniform(s.read_noise), Map::Uniform(s.adc_gain), Map::Uniform(s.offset));
            return Ok(Sensor { read_noise, gain, offset, width: size[1] });
        }
        let seed = p.usize("sensor_seed")? as u64;
        let log_normal = |median: f64, spread: f64, z: f64| median * (spread * z).exp();
        let normal = |mean: f64, spread: f64, z: f64| mean + spread * z;
        let generated = |key: &str, tag: u64, median: f64, draw: fn(f64, f64, f64) -> f64| -> Result<Map> {
            let spread_key = match key {
                "read_noise_map" => "read_noise_spread",
                "gain_map" => "gain_spread",
                _ => "offset_spread",
            };
            map(p, key, size, Generate { seed: mix(seed, tag), median, spread: p.f64(spread_key)?, draw })
        };
        Ok(Sensor {
            read_noise: generated("read_noise_map", 1, s.read_noise, log_normal)?,
            gain: generated("gain_map", 2, s.adc_gain, log_normal)?,
            offset: generated("offset_map", 3, s.offset, normal)?,
            width: size[1],
        })
    }

    /// The read noise, gain and offset of pixel (`y`, `x`).
    pub(crate) fn at(&self, y: usize, x: usize) -> (f64, f64, f64) {
        let i = y * self.width + x;
        (self.read_noise.at(i), self.gain.at(i), self.offset.at(i))
    }
}

/// How a map not given is generated: `draw(median, spread, z)` of a standard normal `z` per pixel,
/// from the generator of `seed`.
struct Generate {
    seed: u64,
    median: f64,
    spread: f64,
    draw: fn(f64, f64, f64) -> f64,
}

/// The map of property `key` for a sensor of `size`: as given (of that size), else generated.
fn map(p: &Params<'_>, key: &str, size: [usize; 2], g: Generate) -> Result<Map> {
    if let Some(v) = p.optional(key)? {
        let a = v.to_array().map_err(|e| e.in_property(key))?;
        if a.shape() != size {
            return Err(Error::invalid(format!(
                "a map of the sensor's {}×{} pixels is needed, got shape {:?}",
                size[0],
                size[1],
                a.shape()
            ))
            .in_property(key));
        }
        let a = if a.is_standard_layout() { a } else { Arc::new(crate::fallible::standard_owned(&a.view())?) };
        return Ok(Map::Given(a));
    }
    if g.spread == 0.0 {
        return Ok(Map::Uniform(g.median));
    }
    let key = Key { seed: g.seed, size, median: g.median.to_bits(), spread: g.spread.to_bits() };
    if let Some((_, map)) = CACHE.lock().maps.iter().flatten().find(|(k, _)| *k == key) {
        return Ok(Map::Generated(map.clone()));
    }
    // Drawn outside the lock (a lock is held for a few instructions only).
    let mut rng = stream_rng(g.seed, 0);
    let count = size[0] * size[1];
    let mut out = crate::buffer::with_capacity(count)?;
    out.extend((0..count).map(|_| (g.draw)(g.median, g.spread, StandardNormal.sample(&mut rng))));
    let map = Arc::new(out);
    let mut cache = CACHE.lock();
    let slot = cache.next;
    cache.maps[slot] = Some((key, map.clone()));
    cache.next = (slot + 1) % 6;
    Ok(Map::Generated(map))
}
