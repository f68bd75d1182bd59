//! `ElasticTransformation`: DeepTrack2's random elastic distortion (Simard et al. 2003). For every
//! axis of the image (all but the last when `ignore_last_dim`), a field of `U[-1, 1)` samples
//! smoothed by a Gaussian of `sigma` ("constant" borders, zero outside) and scaled by `alpha` is the
//! displacement along that axis; the output at each pixel is the input at the displaced coordinate,
//! interpolated by scipy's `map_coordinates` at spline `order` with `mode` and `cval`
//! ([`super::spline`]). With `ignore_last_dim`, each channel (the last axis) moves alike.

use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};
use rand::{Rng, RngCore};

use super::FeatureKind;
use super::consistent::ConsistentDraws;
use super::filters::{self, Border};
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use super::spline::{self, Mode};
use crate::buffer;
use crate::error::{Error, Result};
use crate::graph::Resolver;
use crate::image::Image;
use crate::properties::PropertyDict;

/// The registry entry.
pub(crate) const ELASTIC: KindSpec = KindSpec {
    name: "ElasticTransformation",
    aliases: &[],
    module: "augmentations",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Warps the image by a random displacement field (uniform noise smoothed by a Gaussian, times `alpha`).",
    params: &[
        super::augmentations::TIME_CONSISTENT,
        ParamSpec::finite("alpha", ParamDefault::Value(Const::Int(20)), "the strength of the displacement, in pixels"),
        ParamSpec {
            min: 0.0,
            max: super::math::MAX_SIGMA,
            ..ParamSpec::new(
                "sigma",
                ParamKind::Number,
                ParamDefault::Value(Const::Int(2)),
                "the standard deviation of the Gaussian that smooths the field, in pixels",
            )
        },
        ParamSpec::new(
            "ignore_last_dim",
            ParamKind::Bool,
            ParamDefault::Value(Const::Bool(true)),
            "move the channels of the last axis alike (no displacement along it)",
        ),
        ParamSpec {
            min: 0.0,
            max: spline::MAX_ORDER as f64,
            ..ParamSpec::new(
                "order",
                ParamKind::Integer,
                ParamDefault::Value(Const::Int(3)),
                "the spline order of the interpolation, 0 to 5",
            )
        },
        ParamSpec::finite(
            "cval",
            ParamDefault::Value(Const::Int(0)),
            "the value outside the image in \"constant\" mode",
        ),
        ParamSpec::new(
            "mode",
            ParamKind::Str { choices: spline::MODES },
            ParamDefault::Value(Const::Str("constant")),
            "scipy's border mode of `map_coordinates`",
        ),
    ],
    positional: &["alpha", "sigma", "ignore_last_dim", "order", "cval", "mode"],
    make: |_| Box::new(Elastic { draws: ConsistentDraws::fresh() }),
};

/// How the warp reads the image: the properties other than the field's.
#[derive(Clone, Copy)]
pub(crate) struct Warp {
    /// The strength.
    pub alpha: f64,
    /// The smoothing.
    pub sigma: f64,
    /// Whether the last axis holds channels.
    pub ignore_last_dim: bool,
    /// The spline order.
    pub order: usize,
    /// The border mode.
    pub mode: Mode,
    /// Its constant.
    pub cval: f64,
}

impl Warp {
    /// The axes that the field displaces: all of `shape`, or all but the last.
    pub(crate) fn field_shape<'a>(&self, shape: &'a [usize]) -> Result<&'a [usize]> {
        let dims = if self.ignore_last_dim {
            shape.split_last().map(|(_, rest)| rest).ok_or_else(|| {
                Error::invalid("expected an image with at least one axis (ignore_last_dim drops the last)")
            })?
        } else {
            shape
        };
        if dims.is_empty() {
            // scipy's map_coordinates: "input and output rank must be > 0" (DeepTrack2 2.0.1 raises
            // it, or an IndexError for a 0-d image with ignore_last_dim).
            return Err(Error::invalid(format!(
                "an image of shape {shape:?} has no axis to displace{} (the field needs at least one)",
                if self.ignore_last_dim { " once ignore_last_dim drops the last" } else { "" }
            )));
        }
        if dims.len() > spline::MAX_RANK {
            return Err(Error::invalid(format!(
                "{} displaced axes exceed the maximum of {}",
                dims.len(),
                spline::MAX_RANK
            )));
        }
        Ok(dims)
    }

    /// The image `x` (shape `shape`) warped by the fields of `draws`: one per displaced axis, each
    /// the `U[0, 1)` samples (C order over the displaced axes) that DeepTrack2 draws with
    /// `np.random.rand`.
    pub(crate) fn apply(&self, x: &[f64], shape: &[usize], draws: &[Vec<f64>]) -> Result<Vec<f64>> {
        let dims = self.field_shape(shape)?;
        let size: usize = dims.iter().product();
        // The coordinates: each sample's index along the axis plus its displacement.
        let mut coords = Vec::with_capacity(dims.len());
        for (axis, u) in draws.iter().enumerate() {
            let mut noise = buffer::with_capacity(size)?;
            noise.extend(u.iter().map(|v| v * 2.0 - 1.0));
            let mut delta = if self.sigma > 1e-15 && size > 0 {
                filters::gaussian(&noise, dims, &vec![self.sigma; dims.len()], Border::Constant(0.0), 4.0)?
            } else {
                noise
            };
            let (inner, n) = (dims[axis + 1..].iter().product::<usize>(), dims[axis]);
            for (k, d) in delta.iter_mut().enumerate() {
                *d = ((k / inner) % n) as f64 + *d * self.alpha;
            }
            coords.push(delta);
        }
        let coords: Vec<&[f64]> = coords.iter().map(|c| &c[..]).collect();
        if !self.ignore_last_dim {
            return spline::map_coordinates(x, dims, &coords, self.order, self.mode, self.cval);
        }
        let channels = shape[shape.len() - 1];
        let mut out = buffer::zeroed(x.len())?;
        let mut plane = buffer::with_capacity(size)?;
        for z in 0..channels {
            plane.clear();
            plane.extend(x.iter().skip(z).step_by(channels.max(1)));
            let warped = spline::map_coordinates(&plane, dims, &coords, self.order, self.mode, self.cval)?;
            for (slot, v) in out.iter_mut().skip(z).step_by(channels.max(1)).zip(warped) {
                *slot = v;
            }
        }
        Ok(out)
    }
}

/// `ElasticTransformation(alpha=20, sigma=2, ignore_last_dim=True, order=3, cval=0,
/// mode="constant")`; with `time_consistent`, the same field for every frame of a sequence
/// ([`super::consistent`]).
struct Elastic {
    draws: Arc<ConsistentDraws>,
}

impl FeatureKind for Elastic {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(Elastic { draws: ConsistentDraws::fresh() })
    }

    fn name(&self) -> &str {
        "ElasticTransformation"
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, rs: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(img) = input else { return Ok(None) };
        let p = Params::new(ELASTIC.params, props);
        let consistent = p.bool("time_consistent")?;
        let warp = Warp {
            alpha: p.f64("alpha")?,
            sigma: p.f64("sigma")?,
            ignore_last_dim: p.bool("ignore_last_dim")?,
            order: p.usize("order")?,
            mode: Mode::parse(p.str("mode")?),
            cval: p.f64("cval")?,
        };
        let shape = img.shape().to_vec();
        let dims = warp.field_shape(&shape).map_err(|e| e.in_property("ignore_last_dim"))?;
        let size: usize = dims.iter().product();
        let mut own = self.draws.generator(consistent, props, rs);
        let rng: &mut dyn RngCore = match own.as_mut() {
            Some(generator) => generator,
            None => rs.rng(),
        };
        let mut draws = Vec::with_capacity(dims.len());
        for _ in dims {
            let mut u = buffer::with_capacity(size)?;
            u.extend((0..size).map(|_| rng.random::<f64>()));
            draws.push(u);
        }
        let out = warp.apply(img.contiguous()?, &shape, &draws)?;
        let data = ArrayD::from_shape_vec(IxDyn(&shape), out).expect("one sample per element");
        Ok(Some(img.with_standard_data(data)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value as Json;

    fn fixtures() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deeptrack-2.0.1")
    }

    /// A float64 C-order `.npy` file's data.
    fn read_npy(path: &std::path::Path) -> Vec<f64> {
        let bytes = std::fs::read(path).unwrap();
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        bytes[10 + header_len..].chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()
    }

    fn numbers(j: &Json) -> Vec<f64> {
        j.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
    }

    fn shape(j: &Json) -> Vec<usize> {
        j["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect()
    }

    #[test]
    fn warps_match_deeptrack2_on_its_draws() {
        // The cases of the manifest that record DeepTrack2's `np.random.rand` draws: the warp of
        // the same draws must give DeepTrack2's output to 1e-6 of its peak (orders 0 to 5, every
        // mode, with and without `ignore_last_dim`).
        let manifest: Json =
            serde_json::from_str(&std::fs::read_to_string(fixtures().join("manifest.json")).unwrap()).unwrap();
        let mut checked = 0;
        for case in manifest["cases"].as_array().unwrap().iter().filter(|c| c["draws"].is_array()) {
            let id = case["id"].as_str().unwrap();
            let props = &case["pipeline"][0]["properties"];
            let warp = Warp {
                alpha: props["alpha"].as_f64().unwrap(),
                sigma: props["sigma"].as_f64().unwrap(),
                ignore_last_dim: props["ignore_last_dim"].as_bool().unwrap(),
                order: props["order"].as_u64().unwrap() as usize,
                mode: Mode::parse(props["mode"].as_str().unwrap()),
                cval: props["cval"].as_f64().unwrap_or(0.0),
            };
            let draws: Vec<Vec<f64>> = case["draws"].as_array().unwrap().iter().map(|d| numbers(&d["data"])).collect();
            let input = &case["input"];
            let out = warp.apply(&numbers(&input["data"]), &shape(input), &draws).unwrap();
            let expected = read_npy(&fixtures().join(case["expected"].as_str().unwrap()));
            let peak = expected.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
            let diff = out.iter().zip(&expected).fold(0.0_f64, |m, (a, b)| m.max((a - b).abs()));
            assert!(diff <= 1e-6 * peak, "{id}: max diff {diff:e} of peak {peak:e}");
            checked += 1;
        }
        assert_eq!(checked, 9);
    }
}
