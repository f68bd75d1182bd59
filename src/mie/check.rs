//! Which of a Mie field's numbers makes it non-finite: the scalars [`scattered_field`] derives from
//! its [`FieldSpec`] (the particle's position in meters, the far-field plane, the distances to the
//! objective, the coherence window, the propagation back to the focal plane) checked once per field,
//! before the per-pixel work, each failure blamed on the property it comes from.
//!
//! [`scattered_field`]: super::field::scattered_field

use std::f64::consts::PI;

use super::field::FieldSpec;

/// A number of the field that is not finite: the `FieldSpec` member (a Mie property's name: `position`,
/// `z`, `offset_z`, `working_distance`, `position_objective`, `coherence_length`, `amp_factor`)
/// responsible, and what went non-finite.
#[derive(Clone, Debug, PartialEq)]
pub struct Blame {
    /// The property.
    pub property: &'static str,
    /// What is not finite, with its numbers.
    pub detail: String,
}

fn blame(property: &'static str, detail: String) -> Result<(), Blame> {
    Err(Blame { property, detail })
}

/// Of two terms summed or subtracted, the property of the larger.
fn larger(a: (&'static str, f64), b: (&'static str, f64)) -> &'static str {
    if a.1.abs() >= b.1.abs() { a.0 } else { b.0 }
}

/// Checks that every scalar the field of `spec` is computed from is finite (and that the far field is
/// not evaluated at the particle's distance 0 from the objective), naming the property responsible.
/// A field with all of them finite is finite for Mie coefficients of at most 1 in magnitude (the
/// physical ones) unless `amp_factor` overflows it, which [`check_field`] names.
pub fn check_spec(spec: &FieldSpec) -> Result<(), Blame> {
    let vox = spec.voxel;
    let pos = [spec.position[0] * vox[0], spec.position[1] * vox[1]];
    if !(pos[0].is_finite() && pos[1].is_finite()) {
        return blame(
            "position",
            format!("the particle's position in meters ([{}, {}]) overflows", num(pos[0]), num(pos[1])),
        );
    }
    let zm = spec.z * vox[2];
    if !zm.is_finite() {
        return blame("z", format!("the particle's z in meters ({}) overflows", num(zm)));
    }
    let distance = spec.working_distance - zm;
    // Which of working_distance and z sets their difference.
    let wd_or_z = larger(("working_distance", spec.working_distance), ("z", zm));
    if !distance.is_finite() {
        return blame(
            wd_or_z,
            format!("working_distance − z ({} − {} m) overflows", num(spec.working_distance), num(zm)),
        );
    }
    if distance == 0.0 {
        return blame(
            "working_distance",
            format!(
                "working_distance ({} m) must differ from the particle's z ({} m)",
                num(spec.working_distance),
                num(zm)
            ),
        );
    }
    let ratio = spec.offset_z / distance;
    if !ratio.is_finite() {
        return blame(
            if spec.offset_z.abs() > 1.0 { "offset_z" } else { wd_or_z },
            format!("offset_z / (working_distance − z) ({} / {} m) overflows", num(spec.offset_z), num(distance)),
        );
    }
    let objective = spec.position_objective;
    let rel = [objective[0] - pos[0], objective[1] - pos[1], distance];
    // The property responsible for a lateral number that overflows (axis 0 or 1) or for one along z.
    let lateral = |axis: usize| larger(("position_objective", objective[axis]), ("position", pos[axis]));
    let along = |axis: usize| if axis == 2 { wd_or_z } else { lateral(axis) };
    // A far-field plane (`rel · ratio`) that overflows: offset_z when it is beyond any microscope's
    // (1 m), else the distance to the objective when it makes the ratio large, else the position.
    let far = |axis: usize| {
        if spec.offset_z.abs() > 1.0 {
            "offset_z"
        } else if ratio.abs() > 1.0 {
            wd_or_z
        } else {
            along(axis)
        }
    };
    for axis in 0..2 {
        if !rel[axis].is_finite() {
            return blame(
                lateral(axis),
                format!("position_objective − position ({} − {} m) overflows", num(objective[axis]), num(pos[axis])),
            );
        }
    }
    // The far-field plane, and the farthest point of the grid on it (a corner): R and k·R.
    let k = 2.0 * PI / spec.wavelength * spec.n_medium;
    let [n0, n1] = spec.grid;
    let half = [n0 as f64 / 2.0 * vox[0], n1 as f64 / 2.0 * vox[1]];
    for axis in 0..3 {
        let plane = rel[axis] * ratio;
        let corner = if axis < 2 { plane.abs() + half[axis] } else { plane.abs() };
        if !(plane.is_finite() && (corner * corner * 3.0).is_finite() && (corner * k).is_finite()) {
            return blame(
                far(axis),
                format!(
                    "the far field's plane (offset_z / (working_distance − z) · {} m = {} m) is too far to \
                     evaluate the field on",
                    num(rel[axis]),
                    num(plane)
                ),
            );
        }
    }
    if !(1.0 / spec.amp_factor).is_finite() {
        return blame("amp_factor", format!("1 / amp_factor ({}) overflows", num(spec.amp_factor)));
    }
    if let Some(length) = spec.coherence_length.filter(|&c| c != 0.0) {
        let sigma = zm * ((length / zm + 1.0).powi(2) - 1.0).sqrt() * (spec.offset_z / zm);
        if zm == 0.0 {
            return blame("coherence_length", "a coherence_length needs a particle z other than 0".to_owned());
        }
        if !(sigma.is_finite() && sigma != 0.0) {
            return blame(
                if spec.offset_z == 0.0 { "offset_z" } else { "coherence_length" },
                format!(
                    "the coherence window's width (z · sqrt((coherence_length / z + 1)² − 1) · offset_z / z, with \
                     coherence_length {} pixels, z {} m, offset_z {} m) is {}",
                    num(length),
                    num(zm),
                    num(spec.offset_z),
                    num(sigma)
                ),
            );
        }
    }
    // The propagation back to the focal plane: its defocus and its shifts, in radians.
    let k_medium = 2.0 * PI / (spec.wavelength / spec.n_medium);
    let to_z = -spec.offset_z - zm;
    if !(k_medium * to_z).is_finite() {
        return blame(
            larger(("offset_z", spec.offset_z), ("z", zm)),
            format!("the propagation back to the focal plane (−offset_z − z = {} m) overflows", num(to_z)),
        );
    }
    if !(k * spec.offset_z).is_finite() {
        return blame("offset_z", format!("the phase k · offset_z ({} · {} m) overflows", num(k), num(spec.offset_z)));
    }
    let padding = spec.padding;
    for axis in 0..2 {
        let n = spec.grid[axis] as f64;
        let shift = rel[axis] * ratio + pos[axis] + (padding[axis] - n / 2.0) * vox[axis];
        if !(k_medium * shift).is_finite() {
            return blame(
                if (rel[axis] * ratio).abs() > pos[axis].abs() { far(axis) } else { lateral(axis) },
                format!("the field's shift to the particle ({} m) overflows", num(shift)),
            );
        }
    }
    Ok(())
}

/// For a field computed from a `spec` that passed [`check_spec`] (with finite Mie coefficients, of at
/// most 1 in magnitude) and came out non-finite or too large to square: the far field's factor
/// `1 / (k · R · amp_factor)` overflowed, `R` at least `offset_z` (the plane's distance from the
/// particle). Blames the larger of `1 / amp_factor` and `1 / (k · offset_z)`.
pub fn check_field(spec: &FieldSpec) -> Blame {
    let k = 2.0 * PI / spec.wavelength * spec.n_medium;
    let by_amp = 1.0 / spec.amp_factor.abs();
    let by_distance = 1.0 / (k * spec.offset_z).abs();
    if by_amp >= by_distance {
        Blame {
            property: "amp_factor",
            detail: format!("the field divided by amp_factor ({}) overflows", num(spec.amp_factor)),
        }
    } else {
        Blame {
            property: "offset_z",
            detail: format!(
                "the far field evaluated offset_z ({} m) from the particle, 1 / (k · offset_z) = {}, overflows",
                num(spec.offset_z),
                num(by_distance)
            ),
        }
    }
}

/// `x` for a message: in scientific notation when far from 1.
fn num(x: f64) -> String {
    if x != 0.0 && !(1e-4..1e6).contains(&x.abs()) { format!("{x:e}") } else { format!("{x}") }
}
