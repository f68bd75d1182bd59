//! `Darkfield`: DeepTrack2 2.0.1's darkfield microscope, a [`Brightfield`](super::brightfield) that
//! images only the light the sample scatters. It propagates the field as brightfield does and returns
//! `|field − 1|²` at the camera (the unit illumination taken away), pooled back to camera pixels after
//! the square as DeepTrack2's microscope pools it. Its image is always an intensity: DeepTrack2's
//! `Darkfield.get` asks brightfield for the field itself, so it has no `return_field` (a
//! `return_field` property is metadata).
//!
//! Its own property is `illumination_angle` (π/2 radians, its only positional parameter), which only
//! Mie scatterers read (the angle of the illumination to the optical axis); volume scatterers are
//! imaged the same at every angle, as in DeepTrack2.

use rustfft::num_complex::Complex64;

use super::params::{MAX_PADDING, MAX_UPSCALE, optics_params, positive, region, upscale};
use super::{Mode, Optics};
use crate::features::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec};

/// `illumination_angle`: a finite angle in radians.
pub(super) const fn illumination_angle(default: f64) -> ParamSpec {
    ParamSpec::finite(
        "illumination_angle",
        ParamDefault::Value(Const::Float(default)),
        "the angle of the illumination to the optical axis, in radians (read by Mie scatterers)",
    )
}

/// `Darkfield`'s parameters: the optics' own, then `illumination_angle`.
const DARKFIELD: &[ParamSpec] = optics_params!(illumination_angle(std::f64::consts::FRAC_PI_2));

/// The registry entry.
pub(super) const KIND: KindSpec = KindSpec {
    name: "Darkfield",
    aliases: &[],
    module: "optics",
    base: "Brightfield",
    zero_d_array: false,
    bool_output: false,
    doc: "Coherent imaging of the scattered light only: brightfield's field at the camera, |field - 1|^2.",
    params: DARKFIELD,
    positional: &["illumination_angle"],
    make: |features| Box::new(Optics { darkfield: true, ..Optics::new(Mode::Brightfield, "Darkfield", features) }),
};

/// Row `out` of the image from the same row of the field at the camera: `|field − 1|²`.
pub(super) fn scattered(out: &mut [f64], field: &[Complex64]) {
    for (o, v) in out.iter_mut().zip(field) {
        *o = (v - 1.0).norm_sqr();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ndarray::{ArrayD, IxDyn};

    use super::super::params::Params;
    use super::*;
    use crate::image::Image;
    use crate::properties::PropertyDict;
    use crate::value::Value;

    /// A ball of refractive index 1.45 at (row, column) `at`, plane `z`, `n` voxels wide.
    fn ball(n: usize, at: [f64; 2], z: f64) -> Image {
        let q = |c: usize| ((c as f64 + 0.5) / n as f64 - 0.5).powi(2);
        let data = (0..n * n * n).map(|v| f64::from(q(v / (n * n)) + q((v / n) % n) + q(v % n) <= 0.25)).collect();
        let mut img = Image::new(ArrayD::from_shape_vec(IxDyn(&[n, n, n]), data).unwrap());
        let mut d = PropertyDict::new();
        d.insert("position", Value::vector(&at));
        d.insert("z", Value::Float(z));
        d.insert("refractive_index", Value::Float(1.45));
        img.append(Arc::new(d));
        img
    }

    fn props(up: i64, return_field: bool) -> PropertyDict {
        let ints = |v: &[i64]| Value::List(v.iter().map(|&x| Value::Int(x)).collect());
        let mut props = PropertyDict::new();
        for (k, v) in [
            ("NA", Value::Float(0.8)),
            ("refractive_index_medium", Value::Float(1.33)),
            ("wavelength", Value::Float(532e-9)),
            ("magnification", Value::Int(1)),
            ("resolution", Value::Float(1e-7)),
            ("padding", ints(&[8, 8, 8, 8])),
            ("output_region", ints(&[0, 0, 40, 36])),
            ("upscale", Value::Int(up)),
            ("return_field", Value::Bool(return_field)),
        ] {
            props.insert(k, v);
        }
        props
    }

    /// Darkfield is brightfield's field less the illumination, squared; `return_field` does not make
    /// it return the field.
    #[test]
    fn darkfield_is_the_scattered_intensity_of_brightfield() {
        let inputs = [ball(8, [20.0, 15.5], -2.0), ball(6, [9.0, 25.0], 3.0)];
        let bf = Optics::new(Mode::Brightfield, "Brightfield", Vec::new());
        let df = (KIND.make)(Vec::new());
        assert_eq!(df.name(), "Darkfield");
        let field = bf.render(&inputs, &Params::new(&props(1, true), Mode::Brightfield).unwrap()).unwrap();
        let df = Optics { darkfield: true, ..Optics::new(Mode::Brightfield, "Darkfield", Vec::new()) };
        let image = df.render(&inputs, &Params::new(&props(1, true), Mode::Brightfield).unwrap()).unwrap();
        assert_eq!(image.shape(), &[40, 36, 1]);
        let mut peak = 0.0f64;
        for (i, v) in image.iter().enumerate() {
            let expected = (Complex64::new(field.as_slice().unwrap()[2 * i], field.as_slice().unwrap()[2 * i + 1])
                - 1.0)
                .norm_sqr();
            assert!((v - expected).abs() <= 1e-12, "pixel {i}: {v} against {expected}");
            peak = peak.max(*v);
        }
        assert!(peak > 1e-3, "the balls scatter light: peak {peak}");
        // Upscaled: the intensity is pooled (not the field), so it stays non-negative and differs
        // from the pooled field's intensity.
        let up = df.render(&inputs, &Params::new(&props(2, false), Mode::Brightfield).unwrap()).unwrap();
        assert_eq!(up.shape(), &[40, 36, 1]);
        assert!(up.iter().all(|&v| v >= 0.0));
    }

    /// Its parameters: the optics' own and `illumination_angle` at π/2, without `return_field`.
    #[test]
    fn parameters_follow_deeptrack2() {
        let names: Vec<&str> = KIND.params.iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                "NA",
                "wavelength",
                "refractive_index_medium",
                "magnification",
                "resolution",
                "padding",
                "output_region",
                "upscale",
                "illumination_angle",
                "pupil",
                "illumination"
            ]
        );
        let angle = KIND.params.iter().find(|p| p.name == "illumination_angle").unwrap();
        assert!(matches!(angle.default, ParamDefault::Value(Const::Float(a)) if a == std::f64::consts::FRAC_PI_2));
    }
}
