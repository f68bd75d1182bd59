//! `LoadImage` (DeepTrack2's `features` module): images read from files. PNG, TIFF, JPEG and numpy's
//! `.npy` (what DeepTrack2's readers, imageio then numpy, load), decoded in `decode.rs`. Several paths
//! are stacked along a new last axis, or kept as a list (`as_list`), or one of them drawn
//! (`get_one_random`); `to_grayscale` converts RGB to gray as skimage's `rgb2gray`; trailing axes of
//! one are added up to `ndim`.

use std::sync::Arc;

use rand::Rng;

use super::FeatureKind;
use super::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec, Params, Support};
use crate::dtype::Dtype;
use crate::error::{Error, ErrorKind, Result};
use crate::graph::{Feature, ReplicaId, Resolver};
use crate::image::Image;
use crate::properties::PropertyDict;
use crate::typed_samples::TypedSamples;
use crate::value::Value;

mod decode;
mod tiff;

pub use decode::{MAX_FILE_BYTES, MAX_SAMPLES};

/// The registry entries of this family.
pub(crate) static KINDS: &[KindSpec] = &[LOAD_IMAGE];

/// `LoadImage`, whose properties its computation reads.
const LOAD_IMAGE: KindSpec = KindSpec {
    name: "LoadImage",
    aliases: &[],
    module: "features",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "Reads an image (PNG, TIFF, JPEG or .npy) from `path`, or several stacked along a new last axis; adds \
          trailing axes up to `ndim`.",
    params: &[
        ParamSpec {
            check: Some(|v| paths(v).map(|_| ())),
            ..ParamSpec::new("path", ParamKind::Any, ParamDefault::Required, "the file, or a list of files")
        },
        ParamSpec {
            nullable: true,
            support: Support::OnlyDefault,
            ..ParamSpec::new(
                "load_options",
                ParamKind::Any,
                ParamDefault::Value(Const::None),
                "options of DeepTrack2's file readers (not supported: None)",
            )
        },
        ParamSpec::new(
            "as_list",
            ParamKind::Bool,
            ParamDefault::Value(Const::Bool(false)),
            "whether several files give a list of images rather than one stacked image",
        ),
        ParamSpec {
            min: 0.0,
            max: 32.0,
            ..ParamSpec::new(
                "ndim",
                ParamKind::Integer,
                ParamDefault::Value(Const::Int(3)),
                "the fewest dimensions of an image: axes of one are added at the end",
            )
        },
        ParamSpec::new(
            "to_grayscale",
            ParamKind::Bool,
            ParamDefault::Value(Const::Bool(false)),
            "whether an RGB image (3 channels last) becomes gray (skimage's rgb2gray: floats in [0, 1])",
        ),
        ParamSpec::new(
            "get_one_random",
            ParamKind::Bool,
            ParamDefault::Value(Const::Bool(false)),
            "with as_list, one of the files drawn at random",
        ),
    ],
    positional: &["path", "load_options", "as_list", "ndim", "to_grayscale", "get_one_random"],
    make: |_| Box::new(LoadImage),
};

/// The paths of a `path` value: one string or a non-empty list of them.
fn paths(value: &Value) -> Result<Vec<&str>> {
    match value {
        Value::Str(s) => Ok(vec![s.as_str()]),
        Value::List(items) | Value::Tuple(items) if !items.is_empty() => items
            .iter()
            .map(|v| {
                v.as_str().map_err(|_| {
                    Error::type_mismatch(format!(
                        "expected a path or a list of paths, got a list holding {}",
                        v.kind_name()
                    ))
                })
            })
            .collect(),
        Value::List(_) | Value::Tuple(_) => {
            Err(Error::invalid("expected a path or a list of paths, got an empty list"))
        }
        other => Err(Error::type_mismatch(format!("expected a path or a list of paths, got {}", other.kind_name()))),
    }
}

/// The file at `path`, decoded; errors name the path and the reason.
fn load(path: &str) -> Result<decode::Decoded> {
    let at = |e: Error| Error::new(e.kind(), format!("'{path}': {e}"));
    let meta = std::fs::metadata(path).map_err(|e| {
        let kind =
            if e.kind() == std::io::ErrorKind::NotFound { ErrorKind::NotFound } else { ErrorKind::InvalidArgument };
        Error::new(kind, format!("cannot read '{path}': {e}"))
    })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(Error::invalid(format!(
            "'{path}' has {} bytes, which exceeds the maximum of {MAX_FILE_BYTES}",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::invalid(format!("cannot read '{path}': {e}")))?;
    decode::decode(&bytes).map_err(at)
}

/// skimage's `rgb2gray` of an image whose last axis holds 3 channels (integers scaled to [0, 1] by
/// their full scale first); other images unchanged (DeepTrack2 warns and ignores them).
fn to_gray(d: decode::Decoded) -> decode::Decoded {
    if d.shape.len() < 3 || d.shape.last() != Some(&3) {
        return d;
    }
    let scale = 1.0 / d.full_scale;
    let data = d
        .data
        .chunks_exact(3)
        .map(|c| (0.2125 * (c[0] * scale) + 0.7154 * (c[1] * scale)) + 0.0721 * (c[2] * scale))
        .collect();
    let mut shape = d.shape;
    shape.pop();
    decode::Decoded { shape, data, full_scale: 1.0, dtype: Dtype::Float64 }
}

/// An image of `shape` (axes of one added at the end up to `ndim`) holding `data`, values of the
/// file's type `dtype`, which the image keeps (as DeepTrack2 keeps the array imageio or numpy read).
fn image(mut shape: Vec<usize>, data: Vec<f64>, ndim: usize, dtype: Dtype) -> Result<Image> {
    while shape.len() < ndim {
        shape.push(1);
    }
    let img =
        Image::new(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape), data).expect("the shape matches the data"));
    match TypedSamples::cast(img.contiguous()?, dtype)? {
        Some(samples) => Ok(img.with_typed(&shape, samples)),
        None => Ok(img),
    }
}

/// `LoadImage(path, load_options, as_list, ndim, to_grayscale, get_one_random)`.
#[derive(Clone)]
struct LoadImage;

impl FeatureKind for LoadImage {
    fn with_children(&self, _: Vec<Feature>) -> Box<dyn FeatureKind> {
        Box::new(LoadImage)
    }

    fn name(&self) -> &str {
        "LoadImage"
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn process(
        &self,
        _inputs: &[Image],
        props: &Arc<PropertyDict>,
        _: &ReplicaId,
        rs: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        let p = Params::new(LOAD_IMAGE.params, props);
        let files = paths(p.value("path")?).map_err(|e| e.in_property("path"))?;
        let as_list = p.bool("as_list")?;
        let ndim = p.usize("ndim")?;
        let gray = p.bool("to_grayscale")?;
        let one = as_list && p.bool("get_one_random")?;
        let path_is_list = matches!(p.value("path")?, Value::List(_) | Value::Tuple(_));
        // As DeepTrack2: with get_one_random, one of the files (only that one is read).
        let chosen: Vec<&str> = if one { vec![files[rs.rng().random_range(0..files.len())]] } else { files };
        let mut loaded = Vec::new();
        for path in &chosen {
            let d = load(path).map_err(|e| e.in_property("path"))?;
            loaded.push(if gray { to_gray(d) } else { d });
        }
        if as_list || !path_is_list {
            return loaded.into_iter().map(|d| image(d.shape, d.data, ndim, d.dtype)).collect();
        }
        // Several files, stacked along a new last axis (numpy's stack(axis=-1)).
        let shape = loaded[0].shape.clone();
        if let Some((i, d)) = loaded.iter().enumerate().find(|(_, d)| d.shape != shape) {
            return Err(Error::invalid(format!(
                "'{}' has shape {:?}, '{}' {:?}: they cannot be stacked",
                chosen[0], shape, chosen[i], d.shape
            ))
            .in_property("path"));
        }
        let k = loaded.len();
        let n = loaded[0].data.len();
        let total = n.checked_mul(k).filter(|&t| t <= MAX_SAMPLES).ok_or_else(|| {
            Error::invalid(format!("the stacked images exceed the maximum of {MAX_SAMPLES} samples"))
                .in_property("path")
        })?;
        let mut data = Vec::new();
        data.try_reserve_exact(total)
            .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {total} samples")))?;
        for i in 0..n {
            data.extend(loaded.iter().map(|d| d.data[i]));
        }
        let mut stacked = shape;
        stacked.push(k);
        // numpy's stack gives the files' types promoted (uint8 and uint16 files: uint16).
        let dtype = loaded.iter().map(|d| d.dtype).reduce(Dtype::promoted);
        Ok(vec![image(stacked, data, ndim, dtype.unwrap_or_default())?])
    }
}
