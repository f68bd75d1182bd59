//! What a volume scatterer hands the optics: a typed record ([`ScattererData`]) attached to the volume
//! it appends ([`Image::set_note`]), so that volume assembly and every optical system read typed
//! numbers rather than look the scatterer's property dicts up by key. The dicts stay the ground truth
//! the image carries, unchanged.
//!
//! The record holds what DeepTrack2 2.0.1's `_create_volume` reads from the dicts: `position`, `z`
//! and the multiplier (the first of `intensity`, `refractive_index` and `value` that is set). It is
//! exactly what those dicts give as long as they are the scatterer's: [`ScattererData::of`] checks
//! that the image's first dict is the one the scatterer recorded and that no dict appended after it
//! sets a multiplier the scatterer left unset (DeepTrack2 would read that one). Otherwise (an image
//! whose dicts were replaced, as `FlipLR` replaces them to move the positions; a volume made by a
//! custom feature or in Python), the record is read from the dicts as DeepTrack2 reads them.
//!
//! Field scatterers (`MieSphere`) hand the optics their spectrum itself (a complex image of the FFT
//! grid, see `optics/fields.rs`), which needs no record.

use std::borrow::Cow;
use std::sync::{Arc, Weak};

use super::{finite, position};
use crate::error::{Error, Result};
use crate::features::registry::Params;
use crate::image::Image;
use crate::properties::PropertyDict;
use crate::value::Value;

/// What a scatterer's volume is multiplied by before imaging: the first of its `intensity`,
/// `refractive_index` and `value` that is set (not None).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Multiplier {
    /// `intensity` (fluorescence; the optics multiply it by the upscale fudge factor).
    Intensity(f64),
    /// `refractive_index`: real and imaginary parts (complex for an absorbing scatterer).
    RefractiveIndex(f64, f64),
    /// `value`.
    Value(f64),
}

impl Multiplier {
    /// The property it comes from.
    pub fn property(&self) -> &'static str {
        match self {
            Multiplier::Intensity(_) => "intensity",
            Multiplier::RefractiveIndex(..) => "refractive_index",
            Multiplier::Value(_) => "value",
        }
    }
}

/// What the optics need of one volume scatterer (its volume is the image's samples).
#[derive(Clone, Debug)]
pub struct ScattererData {
    /// The feature's name (its dict's `name`), for errors; `None` when its dicts have none.
    pub feature: Option<String>,
    /// `position` in camera pixels: (row, column), or (row, column, z) (then `z` is not used).
    pub position: Vec<f64>,
    /// `z` in camera z-pixels.
    pub z: f64,
    /// What the volume is multiplied by.
    pub multiplier: Multiplier,
    /// Whether the scatterer has a `radius` (an error about its depth blames it).
    pub sized: bool,
    /// The dict the record was made from (the scatterer's recorded dict; weak, so that it does not
    /// count as a holder of the dict), and whether that dict leaves `intensity` and
    /// `refractive_index` unset (a dict appended later may set them).
    source: Option<(Weak<PropertyDict>, [bool; 2])>,
}

/// The multipliers a record may leave unset, in the order of [`ScattererData::source`]'s flags.
const UNSET: [&str; 2] = ["intensity", "refractive_index"];

impl ScattererData {
    /// The record of a scatterer whose checked properties are `p`, its recorded dict `dict` (the
    /// properties it was computed from).
    pub(crate) fn of_scatterer(p: &Params<'_>, dict: &Arc<PropertyDict>, sized: bool) -> Result<ScattererData> {
        let intensity = p.opt_f64("intensity")?;
        let index = p.optional("refractive_index")?;
        let multiplier = match (intensity, index) {
            (Some(i), _) => Multiplier::Intensity(i),
            (None, Some(n)) => {
                let (re, im) = n.as_complex().map_err(|e| e.in_property("refractive_index"))?;
                Multiplier::RefractiveIndex(re, im)
            }
            (None, None) => Multiplier::Value(p.f64("value")?),
        };
        let unset = UNSET.map(|key| matches!(dict.get(key), None | Some(Value::None)));
        Ok(ScattererData {
            feature: name_in(dict),
            position: p.vec("position")?,
            z: p.f64("z")?,
            multiplier,
            sized,
            source: Some((Arc::downgrade(dict), unset)),
        })
    }

    /// The record of sample image `index` (of the volumes an optics images): the one its scatterer
    /// attached while it describes the image's dicts, else read from the dicts as DeepTrack2 reads
    /// them (errors name the image's feature and the property at fault).
    pub fn of(img: &Image, index: usize) -> Result<Cow<'_, ScattererData>> {
        match img.note::<ScattererData>() {
            Some(record) if record.describes(img) => Ok(Cow::Borrowed(record)),
            _ => Self::from_dicts(img, index).map(Cow::Owned),
        }
    }

    /// Whether the record gives what the image's dicts give: its first dict is the one the record
    /// was made from, and no later dict sets a multiplier that one leaves unset.
    fn describes(&self, img: &Image) -> bool {
        let Some((source, unset)) = &self.source else { return false };
        let mut dicts = img.properties().iter();
        if !dicts.next().is_some_and(|first| std::ptr::eq(Arc::as_ptr(first), source.as_ptr())) {
            return false;
        }
        if !unset.contains(&true) {
            return true;
        }
        dicts.all(|d| {
            UNSET.iter().zip(unset).all(|(key, &unset)| !unset || matches!(d.get(key), None | Some(Value::None)))
        })
    }

    /// The record read from the image's dicts (the first dict that has each key), as DeepTrack2's
    /// `_create_volume` reads them.
    fn from_dicts(img: &Image, index: usize) -> Result<ScattererData> {
        let pos = img.get_property("position").ok_or_else(|| {
            Error::invalid(format!(
                "sample image {index} has no 'position' property: the sample must be made of scatterers"
            ))
        })?;
        let position = position(pos)
            .map_err(|e| Error::invalid(format!("sample image {index}: 'position' must be 2 or 3 numbers ({e})")))?;
        let z = match img.get_property("z") {
            None | Some(Value::None) => 0.0,
            Some(v) => {
                finite(v).map_err(|e| Error::invalid(format!("sample image {index}: 'z' must be a number ({e})")))?
            }
        };
        let feature = img.properties().iter().find_map(|d| d.get("name").map(|_| name_in(d)));
        let sized = img.get_property("radius").is_some();
        let mut record = ScattererData {
            feature: feature.flatten(),
            position,
            z,
            multiplier: Multiplier::Value(0.0),
            sized,
            source: None,
        };
        record.multiplier = record.multiplier_in(img, index)?;
        Ok(record)
    }

    /// The multiplier read from the image's dicts.
    fn multiplier_in(&self, img: &Image, index: usize) -> Result<Multiplier> {
        let number = |key: &str| -> Result<Option<f64>> {
            match img.get_property(key) {
                None | Some(Value::None) => Ok(None),
                Some(v) => finite(v).map(Some).map_err(|e| self.error(index, key, format!("{e}"))),
            }
        };
        if let Some(intensity) = number("intensity")? {
            return Ok(Multiplier::Intensity(intensity));
        }
        let key = "refractive_index";
        match img.get_property(key) {
            None | Some(Value::None) => {}
            Some(v) => {
                let (re, im) = v.as_complex().map_err(|_| {
                    let detail = format!("expected a real or complex number, got {}", v.kind_name());
                    Error::type_mismatch(detail).in_property(key).in_feature(&self.label(index))
                })?;
                if !(re.is_finite() && im.is_finite()) {
                    let detail = format!("expected a finite real or complex number, got {v}");
                    return Err(self.error(index, key, detail));
                }
                return Ok(Multiplier::RefractiveIndex(re, im));
            }
        }
        match number("value")? {
            Some(value) => Ok(Multiplier::Value(value)),
            None => Err(Error::invalid(format!(
                "sample image {index} has no 'intensity', 'refractive_index' or 'value' property: the sample must \
                 be made of scatterers"
            ))),
        }
    }

    /// The scatterer's feature name, or "sample image `index`" (its place among the volumes).
    pub fn label(&self, index: usize) -> String {
        match &self.feature {
            Some(name) => name.clone(),
            None => format!("sample image {index}"),
        }
    }

    /// An error about property `key` of this scatterer (sample image `index`).
    pub fn error(&self, index: usize, key: &str, detail: String) -> Error {
        Error::invalid(detail).in_property(key).in_feature(&self.label(index))
    }
}

/// A dict's `name`, when it is a string.
fn name_in(dict: &PropertyDict) -> Option<String> {
    match dict.get("name") {
        Some(Value::Str(name)) => Some(name.as_str().to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::builtin;
    use crate::properties::Rule;

    /// A scatterer's output, with its recorded dict.
    fn volume(kind: &str, props: &[(&str, Value)]) -> Image {
        let f = builtin(kind).unwrap();
        for (k, v) in props {
            f.set_property(k, Rule::constant(v.clone())).unwrap();
        }
        f.store_properties(true);
        f.resolve_one(None).unwrap().unwrap()
    }

    fn same(a: &ScattererData, b: &ScattererData) -> bool {
        (&a.feature, &a.position, a.z, a.multiplier, a.sized) == (&b.feature, &b.position, b.z, b.multiplier, b.sized)
    }

    /// The record a scatterer attaches is what its dicts say, for every multiplier.
    #[test]
    fn the_record_is_what_the_dicts_say() {
        let cases = [
            ("Sphere", vec![("position", Value::vector(&[3.5, 4.0])), ("z", Value::Int(2))]),
            ("PointParticle", vec![("intensity", Value::Float(7.0)), ("refractive_index", Value::Float(1.5))]),
            (
                "Ellipse",
                vec![("refractive_index", Value::Complex(1.5, 0.1)), ("position", Value::vector(&[1.0, 2.0, 3.0]))],
            ),
            ("Ellipsoid", vec![("intensity", Value::None), ("value", Value::Float(-2.0))]),
        ];
        for (kind, props) in cases {
            let img = volume(kind, &props);
            let record = ScattererData::of(&img, 0).unwrap();
            assert!(matches!(record, Cow::Borrowed(_)), "{kind}: the scatterer's record");
            let read = ScattererData::from_dicts(&img, 0).unwrap();
            assert!(same(&record, &read), "{kind}: {record:?} against {read:?}");
        }
        let img = volume("Ellipse", &[("refractive_index", Value::Complex(1.5, 0.1))]);
        let record = ScattererData::of(&img, 0).unwrap();
        let expected = (Multiplier::RefractiveIndex(1.5, 0.1), true, Some("Ellipse"));
        assert_eq!((record.multiplier, record.sized, record.feature.as_deref()), expected);
        let point = volume("PointParticle", &[]);
        assert!(!ScattererData::of(&point, 0).unwrap().sized);
    }

    /// Dicts that are not (only) the scatterer's are read as DeepTrack2 reads them: replaced dicts (a
    /// moved position), and a later dict setting a multiplier the scatterer leaves unset.
    #[test]
    fn other_dicts_are_read_as_deeptrack2_reads_them() {
        let img = volume("Sphere", &[("position", Value::vector(&[3.0, 4.0]))]);
        let moved = crate::features::augmentations::move_positions(img.clone(), &|q| {
            q[0] += 2.0;
            q[1] += 2.0;
        })
        .unwrap();
        let record = ScattererData::of(&moved, 0).unwrap();
        assert!(matches!(record, Cow::Owned(_)));
        assert_eq!(record.position, [5.0, 6.0]);

        // A later dict with `value` does not count (the scatterer's comes first); one with an
        // `intensity` does (the scatterer has none).
        let mut later = img.clone();
        let mut d = PropertyDict::new();
        d.insert("value", Value::Float(9.0));
        later.append(Arc::new(d));
        assert!(
            matches!(ScattererData::of(&later, 0).unwrap(), Cow::Borrowed(r) if r.multiplier == Multiplier::Value(1.0))
        );
        let mut d = PropertyDict::new();
        d.insert("intensity", Value::Float(9.0));
        later.append(Arc::new(d));
        let record = ScattererData::of(&later, 0).unwrap();
        assert!(matches!(record, Cow::Owned(ref r) if r.multiplier == Multiplier::Intensity(9.0)), "{record:?}");

        // New samples with the same dicts keep the record.
        let doubled = img.with_data(img.to_array().unwrap().mapv(|v| 2.0 * v));
        assert!(matches!(ScattererData::of(&doubled, 0).unwrap(), Cow::Borrowed(_)));
    }

    /// A position in meters is recorded in pixels (1 µm outside a microscope), with its unit.
    #[test]
    fn a_position_in_meters_is_recorded_in_pixels() {
        let img = volume(
            "Sphere",
            &[
                ("position", Value::vector(&[3e-6, 4.5e-6])),
                ("position_unit", Value::str("meter")),
                ("z", Value::Int(2)),
            ],
        );
        let record = ScattererData::of(&img, 0).unwrap();
        assert!((record.position[0] - 3.0).abs() < 1e-12 && (record.position[1] - 4.5).abs() < 1e-12);
        assert_eq!(record.z, 2.0);
        assert_eq!(img.get_property("position_unit").unwrap().as_str().unwrap(), "pixel");
        let f = builtin("Sphere").unwrap();
        f.set_property("position_unit", Rule::constant(Value::str("meter"))).unwrap();
        f.set_property("position", Rule::constant(Value::vector(&[1.0, f64::MAX]))).unwrap();
        let err = f.resolve_one(None).unwrap_err().to_string();
        assert!(err.contains("'position'") && err.contains("gives inf pixels"), "{err}");
    }
}
