//! `ISCAT`: DeepTrack2 2.0.1's interferometric scattering microscope, a
//! [`Brightfield`](super::brightfield) with the properties that make Mie scatterers image in
//! reflection: `illumination_angle` (π radians: the illumination comes back along the axis),
//! `amp_factor` (1: the illuminating field's amplitude relative to the reference), and the fixed
//! `input_polarization` and `output_polarization` ("circular") and `phase_shift_correction` (true).
//! Volume scatterers are imaged exactly as brightfield images them (`|field|²`, or the field with
//! `return_field`), as in DeepTrack2, whose ISCAT only sets these properties.
//!
//! DeepTrack2's constructor takes `illumination_angle` and `amp_factor` by position, the rest by
//! keyword; it fixes the polarizations and the correction (giving them is a `TypeError` there), which
//! here are properties with those defaults.

use super::darkfield::illumination_angle;
use super::params::{MAX_PADDING, MAX_UPSCALE, optics_params, positive, region, upscale};
use super::{Mode, Optics};
use crate::features::registry::{Const, KindSpec, ParamDefault, ParamKind, ParamSpec};

/// A polarization: DeepTrack2's ISCAT sets both to "circular".
const fn polarization(name: &'static str, doc: &'static str) -> ParamSpec {
    ParamSpec::new(name, ParamKind::Str { choices: &[] }, ParamDefault::Value(Const::Str("circular")), doc)
}

/// `ISCAT`'s parameters: brightfield's, then DeepTrack2's ISCAT properties in its order.
const ISCAT: &[ParamSpec] = optics_params!(
    ParamSpec::new(
        "return_field",
        ParamKind::Bool,
        ParamDefault::Absent,
        "optional: true returns the complex field (real and imaginary parts along a trailing axis of 2); a keyword \
         of DeepTrack2 2.0.1, recorded only when given"
    ),
    illumination_angle(std::f64::consts::PI),
    ParamSpec::finite(
        "amp_factor",
        ParamDefault::Value(Const::Int(1)),
        "the illuminating field's amplitude relative to the reference field (read by Mie scatterers)"
    ),
    polarization("input_polarization", "the illumination's polarization (read by Mie scatterers)"),
    polarization("output_polarization", "the polarization analysed at the camera (read by Mie scatterers)"),
    ParamSpec::new(
        "phase_shift_correction",
        ParamKind::Bool,
        ParamDefault::Value(Const::Bool(true)),
        "whether Mie scatterers correct the scattered field's phase (read by Mie scatterers)"
    )
);

/// The registry entry.
pub(super) const KIND: KindSpec = KindSpec {
    name: "ISCAT",
    aliases: &[],
    module: "optics",
    base: "Brightfield",
    zero_d_array: false,
    bool_output: false,
    doc: "Interferometric scattering: brightfield with the illumination in reflection (for Mie scatterers).",
    params: ISCAT,
    positional: &["illumination_angle", "amp_factor"],
    make: |features| Box::new(Optics::new(Mode::Brightfield, "ISCAT", features)),
};

#[cfg(test)]
mod tests {
    use super::*;

    /// DeepTrack2's ISCAT properties and defaults, after the optics' own.
    #[test]
    fn parameters_follow_deeptrack2() {
        let names: Vec<&str> = KIND.params.iter().map(|p| p.name).collect();
        assert_eq!(
            names[7..],
            [
                "upscale",
                "return_field",
                "illumination_angle",
                "amp_factor",
                "input_polarization",
                "output_polarization",
                "phase_shift_correction",
                "pupil",
                "illumination"
            ]
        );
        let default = |name: &str| match KIND.params.iter().find(|p| p.name == name).unwrap().default {
            ParamDefault::Value(c) => c,
            other => panic!("{other:?}"),
        };
        assert_eq!(default("illumination_angle"), Const::Float(std::f64::consts::PI));
        assert_eq!(default("amp_factor"), Const::Int(1));
        assert_eq!(default("input_polarization"), Const::Str("circular"));
        assert_eq!(default("phase_shift_correction"), Const::Bool(true));
        assert_eq!((KIND.make)(Vec::new()).name(), "ISCAT");
    }
}
