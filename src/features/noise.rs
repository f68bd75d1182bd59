//! Noise: `Gaussian`, `Poisson`, `Background` (alias `Offset`). Every draw comes from the pipeline's
//! seeded generator, so a seeded pipeline gives the same noise on any machine (DeepTrack2 draws from
//! numpy's global generator, so the noise itself matches it in distribution, not sample by sample).

use std::sync::Arc;

use rand_distr::{Distribution, Poisson as PoissonDist, StandardNormal};

use super::FeatureKind;
use crate::error::{Error, Result};
use crate::graph::Resolver;
use crate::image::Image;
use crate::properties::{PropertyDict, Rule};
use crate::value::Value;

/// Names registered by this family.
pub const NAMES: &[&str] = &["Gaussian", "Poisson", "Background", "Offset"];

/// The kind registered under `name`, if this family has it.
pub fn builtin(name: &str) -> Option<Box<dyn FeatureKind>> {
    Some(match name {
        "Gaussian" => Box::new(Gaussian),
        "Poisson" => Box::new(Poisson),
        "Background" => Box::new(Background("Background")),
        "Offset" => Box::new(Background("Offset")),
        _ => return None,
    })
}

fn finite(props: &PropertyDict, key: &str) -> Result<f64> {
    let x = props.f64(key)?;
    if x.is_finite() {
        Ok(x)
    } else {
        Err(Error::invalid(format!("expected a finite number, got {x}")).in_property(key))
    }
}

fn check_non_negative(key: &str, value: &Value) -> Result<()> {
    let x = value.as_f64()?;
    if x.is_finite() && x >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(format!("expected a finite non-negative {key}, got {x}")))
    }
}

/// `Gaussian(mu=0, sigma=1)`: `mu + x + sigma * N(0, 1)` per pixel.
#[derive(Clone)]
struct Gaussian;

impl FeatureKind for Gaussian {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "Gaussian"
    }

    fn defaults(&self) -> Vec<(&'static str, Rule)> {
        vec![("mu", Rule::constant(0.0)), ("sigma", Rule::constant(1.0))]
    }

    fn check_property(&self, key: &str, value: &Value) -> Result<()> {
        if key == "sigma" { check_non_negative(key, value) } else { Ok(()) }
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, rs: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let (mu, sigma) = (finite(props, "mu")?, finite(props, "sigma")?);
        self.check_property("sigma", &Value::Float(sigma)).map_err(|e| e.in_property("sigma"))?;
        let rng = rs.rng();
        let out = img.data().mapv(|x| {
            let n: f64 = StandardNormal.sample(&mut *rng);
            mu + x + n * sigma
        });
        Ok(Some(img.with_data(out)))
    }
}

/// `Poisson(snr=100, background=0, max_val=1e8)`: shot noise at a signal-to-noise ratio `snr` for the
/// peak above `background`. Negative pixels count as 0. The input is never modified (DeepTrack2 2.0.1
/// clips it in place), and an all-zero image stays zero (DeepTrack2 gives NaN).
#[derive(Clone)]
struct Poisson;

impl FeatureKind for Poisson {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "Poisson"
    }

    fn defaults(&self) -> Vec<(&'static str, Rule)> {
        vec![("snr", Rule::constant(100.0)), ("background", Rule::constant(0.0)), ("max_val", Rule::constant(1e8))]
    }

    fn check_property(&self, key: &str, value: &Value) -> Result<()> {
        match key {
            "snr" | "max_val" => {
                let x = value.as_f64()?;
                if x.is_finite() && x > 0.0 {
                    Ok(())
                } else {
                    Err(Error::invalid(format!("expected a positive {key}, got {x}")))
                }
            }
            _ => Ok(()),
        }
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, rs: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let (snr, background, max_val) =
            (finite(props, "snr")?, finite(props, "background")?, finite(props, "max_val")?);
        for (key, x) in [("snr", snr), ("max_val", max_val)] {
            self.check_property(key, &Value::Float(x)).map_err(|e| e.in_property(key))?;
        }
        let clipped = img.data().mapv(|x| if x > 0.0 { x } else { 0.0 });
        let peak = clipped.iter().copied().fold(0.0_f64, f64::max);
        if peak == 0.0 {
            return Ok(Some(img.with_data(clipped)));
        }
        // numpy's clip(x, 1e-10, max_val / peak), as DeepTrack2 computes it: the upper bound wins
        // when the two cross. A peak so large (or infinite) that max_val / peak is no longer a
        // positive number leaves nothing to sample.
        let upper = max_val / peak;
        if !(upper > 0.0 && upper.is_finite()) {
            return Err(Error::invalid(format!(
                "the input's peak {peak:e} is too large for max_val {max_val:e}: max_val / peak is {upper:e}, \
                 and Poisson noise needs a positive scale (lower the input or raise max_val)"
            ))
            .in_property("max_val"));
        }
        let rescale = (snr * snr / ((peak - background).abs().powi(2))).max(1e-10).min(upper);
        let rng = rs.rng();
        let mut failure = None;
        // In place: the clipped copy becomes the output.
        let mut out = clipped;
        out.mapv_inplace(|x| {
            let lambda = x * rescale;
            if lambda <= 0.0 {
                return 0.0;
            }
            match PoissonDist::new(lambda) {
                Ok(d) => d.sample(&mut *rng) / rescale,
                Err(_) => {
                    failure = Some(lambda);
                    f64::NAN
                }
            }
        });
        if let Some(lambda) = failure {
            return Err(Error::invalid(format!(
                "a pixel's expected count {lambda} exceeds the maximum of {} (lower snr or max_val)",
                PoissonDist::<f64>::MAX_LAMBDA
            ))
            .in_property("snr"));
        }
        Ok(Some(img.with_data(out)))
    }
}

/// `Background(offset=0)` / `Offset`: `x + offset`.
#[derive(Clone)]
struct Background(&'static str);

impl FeatureKind for Background {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        self.0
    }

    fn defaults(&self) -> Vec<(&'static str, Rule)> {
        vec![("offset", Rule::constant(0.0))]
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, _: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let offset = finite(props, "offset")?;
        Ok(Some(img.with_data(img.data().mapv(|x| x + offset))))
    }
}
