//! The optics' own dict as DeepTrack2 2.0.1 records it: its `Microscope.get` sets `output_region`
//! and `padding` upscaled (simulation pixels) on the optics, and hands it the sample volume's
//! `limits` and the field scatterers' `fields` before imaging; `voxel_size` and `pixel_size` are
//! properties of every optics (`resolution / magnification`, per axis for the voxel). The keys come
//! in 2.0.1's order: `NA`, `wavelength`, `refractive_index_medium`, `magnification`, `resolution`,
//! `padding`, `output_region`, `voxel_size`, `pixel_size`, `upscale`, `limits`, `fields`, then the
//! other properties in their order (`return_field` when given, `Darkfield`'s and `ISCAT`'s own, other
//! keywords), `name` (and `_ID`). The `pupil` and `illumination` features are not properties there.

use super::Params;
use crate::error::Result;
use crate::image::Image;
use crate::properties::PropertyDict;
use crate::value::Value;

/// The keys set here, in 2.0.1's order, each once; the optics' features are not recorded.
const OWN: [&str; 12] = [
    "NA",
    "wavelength",
    "refractive_index_medium",
    "magnification",
    "resolution",
    "padding",
    "output_region",
    "voxel_size",
    "pixel_size",
    "upscale",
    "limits",
    "fields",
];

/// Keys that close the dict, or are not recorded.
const LAST: [&str; 4] = ["name", "_ID", "pupil", "illumination"];

/// The volume's extent in simulation pixels, `[[row0, row1], [column0, column1], [z0, z1]]` (2.0.1's
/// `_create_volume` limits: the first scatterer's voxel, grown by every scatterer imaged, padded by
/// two voxels); `None` without volume scatterers.
pub(super) type Limits = Option<[[i64; 2]; 3]>;

/// The dict of optics with sampled (recorded) properties `props`, numbers `p`, volume `limits` and
/// field scatterers `fields` (complex images), as 2.0.1 records it.
pub(super) fn dict(props: &PropertyDict, p: &Params, limits: Limits, fields: &[Image]) -> Result<PropertyDict> {
    let ints = |v: [i64; 4]| Value::List(v.iter().map(|&x| Value::Int(x)).collect());
    let mut out = PropertyDict::with_capacity(props.len() + 6);
    for key in OWN {
        let value = match key {
            "padding" => ints(p.padding),
            "output_region" => ints(p.region),
            "voxel_size" => Value::vector(&[p.pixel; 3]),
            "pixel_size" => Value::Float(p.pixel),
            "limits" => match limits {
                Some(l) => {
                    let flat: Vec<f64> = l.iter().flatten().map(|&x| x as f64).collect();
                    Value::array(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[3, 2]), flat).expect("3 × 2"))
                }
                None => Value::None,
            },
            "fields" => Value::List(fields.iter().map(field).collect::<Result<_>>()?),
            _ => props.get(key).cloned().unwrap_or(Value::None),
        };
        out.insert(key, value);
    }
    for (key, value) in props.iter().filter(|(k, _)| !OWN.contains(k) && !LAST.contains(k)) {
        out.insert(key, value.clone());
    }
    for key in ["name", "_ID"] {
        if let Some(value) = props.get(key) {
            out.insert(key, value.clone());
        }
    }
    Ok(out)
}

/// A field scatterer's complex image as a complex array (its numbers, without the axis of parts).
fn field(image: &Image) -> Result<Value> {
    let parts = image.contiguous()?;
    let n = parts.len() / 2;
    let mut numbers = crate::buffer::try_vec(n).ok_or_else(|| {
        crate::error::Error::new(crate::error::ErrorKind::OutOfMemory, format!("cannot allocate {n} complex numbers"))
    })?;
    numbers.extend(parts.chunks_exact(2).map(|z| rustfft::num_complex::Complex64::new(z[0], z[1])));
    let shape = &image.shape()[..image.shape().len() - 1];
    let array = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), numbers).expect("one per number");
    Ok(Value::ComplexArray(std::sync::Arc::new(array)))
}
