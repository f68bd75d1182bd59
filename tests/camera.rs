//! The camera (`Camera`): its statistics against their formulas (mean and variance per pixel of a
//! CCD, the EM register's excess noise factor, an sCMOS's per-pixel maps), exact values without
//! noise, saturation and bit depth, binning, reproducibility, and errors that name the property.
//! Tolerances are five standard errors of the estimate, from the sample size (and, for variances,
//! the sample's fourth moment).

use deeptrack::{Feature, Image, Rule, Value, features};
use ndarray::{ArrayD, IxDyn};

/// A camera with `props` set.
fn camera(props: &[(&str, Value)]) -> Feature {
    let f = features::builtin("Camera").unwrap();
    for (key, value) in props {
        f.set_property(key, Rule::Constant(value.clone())).unwrap();
    }
    f
}

fn float(x: f64) -> Value {
    Value::Float(x)
}

fn image(shape: &[usize], data: Vec<f64>) -> Image {
    Image::new(ArrayD::from_shape_vec(IxDyn(shape), data).unwrap())
}

/// Mean, variance, and the standard errors of both (the variance's from the fourth moment).
fn moments(x: &[f64]) -> (f64, f64, f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let m2 = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let m4 = x.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / n;
    (mean, m2 * n / (n - 1.0), (m2 / n).sqrt(), ((m4 - m2 * m2) / n).sqrt())
}

/// Asserts `value` is within five standard errors `se` of `expected`.
fn close(what: &str, value: f64, expected: f64, se: f64) {
    assert!((value - expected).abs() <= 5.0 * se, "{what}: {value}, expected {expected} ± 5 × {se}");
}

/// The output of `f` on `input`.
fn record(f: &Feature, input: &Image) -> Vec<f64> {
    f.resolve_one(Some(input)).unwrap().unwrap().as_slice().to_vec()
}

#[test]
fn ccd_mean_and_variance_per_pixel_follow_the_formulas() {
    // Rows of 40,000 pixels at one flux each: mean gain·(QE·N + D) + offset and variance
    // gain²·(QE·N + D) + read², with gain = 1 / adc_gain, plus 1/12 ADU² of rounding.
    let fluxes = [0.0, 10.0, 250.0, 3000.0];
    let width = 40_000;
    let data = fluxes.iter().flat_map(|&f| std::iter::repeat_n(f, width)).collect();
    let input = image(&[fluxes.len(), width], data);
    let (qe, dark, exposure, read, adc_gain, offset) = (0.8, 20.0, 0.5, 8.0, 2.0, 100.0);
    let cam = camera(&[
        ("quantum_efficiency", float(qe)),
        ("photons_per_unit", float(2.0)),
        ("exposure_time", float(exposure)),
        ("dark_current", float(dark)),
        ("read_noise", float(read)),
        ("adc_gain", float(adc_gain)),
        ("offset", float(offset)),
        ("bit_depth", Value::Int(16)),
        ("full_well", float(1e6)),
    ]);
    cam.seed(1).unwrap();
    let out = record(&cam, &input);
    for (row, &flux) in fluxes.iter().enumerate() {
        let electrons = qe * flux * 2.0 * exposure + dark * exposure;
        let (mean, var, se_mean, se_var) = moments(&out[row * width..(row + 1) * width]);
        close(&format!("mean at flux {flux}"), mean, electrons / adc_gain + offset, se_mean);
        let expected = (electrons + read * read) / (adc_gain * adc_gain) + 1.0 / 12.0;
        close(&format!("variance at flux {flux}"), var, expected, se_var);
    }
    assert!(out.iter().all(|x| x.fract() == 0.0 && (0.0..=65535.0).contains(x)), "whole ADU within 16 bits");
    cam.seed(1).unwrap();
    assert_eq!(record(&cam, &input), out, "the same seed gives the same frame");
    cam.update().unwrap();
    assert_ne!(record(&cam, &input), out, "an update draws a new frame");
}

#[test]
fn without_noise_a_camera_gives_the_expected_adu_exactly() {
    // 0.8 · 500 + 20 = 420 electrons, / 2 e-/ADU + 100.
    let cam = camera(&[
        ("quantum_efficiency", float(0.8)),
        ("dark_current", float(20.0)),
        ("shot_noise", Value::Bool(false)),
        ("read_noise", float(0.0)),
        ("adc_gain", float(2.0)),
    ]);
    assert_eq!(record(&cam, &image(&[1, 2], vec![500.0, -3.0])), [310.0, 110.0], "negative flux counts as 0");
    // The default ADC gain: full_well / (2^bit_depth - 1).
    let cam = camera(&[
        ("dark_current", float(0.0)),
        ("shot_noise", Value::Bool(false)),
        ("read_noise", float(0.0)),
        ("offset", float(0.0)),
        ("full_well", float(4095.0 * 3.0)),
    ]);
    assert_eq!(record(&cam, &image(&[1, 1, 1], vec![300.0])), [100.0]);
    // Charge binning (CCD): 2×2 pixels read as one, the odd last row and column dropped.
    cam.set_property("binning", Rule::constant(2.0)).unwrap();
    let out = cam.resolve_one(Some(&image(&[3, 5], (0..15).map(|i| 3.0 * f64::from(i)).collect()))).unwrap().unwrap();
    assert_eq!(out.shape(), [1, 2]);
    assert_eq!(out.as_slice(), [(0.0 + 3.0 + 15.0 + 18.0) / 3.0, (6.0 + 9.0 + 21.0 + 24.0) / 3.0]);
}

#[test]
fn saturation_full_well_and_bit_depth_clip_the_output() {
    let quiet = [("dark_current", float(0.0)), ("read_noise", float(0.0)), ("offset", float(0.0))];
    // Full well: 1000 electrons at most, read at 1 e-/ADU.
    let mut props = quiet.to_vec();
    props.extend([("full_well", float(1000.0)), ("adc_gain", float(1.0)), ("bit_depth", Value::Int(16))]);
    assert_eq!(record(&camera(&props), &image(&[1, 2], vec![1e9, f64::INFINITY])), [1000.0, 1000.0]);
    // Bit depth: 8 bits clip at 255.
    let mut props = quiet.to_vec();
    props.extend([("bit_depth", Value::Int(8)), ("adc_gain", float(1.0))]);
    assert_eq!(record(&camera(&props), &image(&[1, 2], vec![5000.0, 100.0]))[0], 255.0);
    // Below zero: a zero offset with read noise clips about half the pixels at 0, none below.
    let cam = camera(&[("offset", float(0.0)), ("read_noise", float(20.0)), ("adc_gain", float(1.0))]);
    let out = record(&cam, &image(&[100, 100], vec![0.0; 10_000]));
    let zeros = out.iter().filter(|&&x| x == 0.0).count() as f64 / 1e4;
    assert!(out.iter().all(|&x| x >= 0.0) && (0.45..0.56).contains(&zeros), "{zeros} at 0");
}

#[test]
fn emccd_excess_noise_factor_follows_the_gain() {
    // F² = variance / (M² · mean electrons): 1 without gain, 2 - 1/M with it, → 2 at high gain.
    let n = 200_000;
    let electrons = 5.0;
    for (gain, f2) in [(1.0, 1.0), (2.0, 1.5), (10.0, 1.9), (1000.0, 1.999)] {
        let cam = camera(&[
            ("camera_type", Value::str("EMCCD")),
            ("em_gain", float(gain)),
            ("dark_current", float(0.0)),
            ("read_noise", float(0.0)),
            ("offset", float(0.0)),
            ("adc_gain", float(1.0)),
            ("bit_depth", Value::Int(32)),
            ("full_well", float(1e6)),
        ]);
        cam.seed(7).unwrap();
        let out = record(&cam, &image(&[1, n], vec![electrons; n]));
        let (mean, var, se_mean, se_var) = moments(&out);
        close(&format!("EMCCD mean at gain {gain}"), mean, gain * electrons, se_mean);
        let scale = gain * gain * electrons;
        // Rounding adds 1/12 ADU², negligible but for the lowest gains.
        close(&format!("F² at gain {gain}"), (var - 1.0 / 12.0) / scale, f2, se_var / scale);
    }
    // The register's capacity clips what comes out of it.
    let cam = camera(&[
        ("camera_type", Value::str("EMCCD")),
        ("em_gain", float(300.0)),
        ("serial_full_well", float(5000.0)),
        ("read_noise", float(0.0)),
        ("offset", float(0.0)),
        ("adc_gain", float(1.0)),
        ("bit_depth", Value::Int(16)),
    ]);
    assert!(record(&cam, &image(&[10, 10], vec![1000.0; 100])).iter().all(|&x| x == 5000.0));
}

#[test]
fn scmos_pixels_have_their_own_read_noise_gain_and_offset() {
    // Maps given: pixel (y, x) of a 2×3 sensor, 30,000 samples each along a trailing axis.
    let samples = 30_000;
    let read = [1.0, 2.0, 4.0, 8.0, 1.5, 3.0];
    let gain = [0.5, 1.0, 2.0, 1.0, 0.8, 1.2];
    let offset = [100.0, 200.0, 300.0, 400.0, 500.0, 600.0];
    let map = |v: &[f64]| Value::array(ArrayD::from_shape_vec(IxDyn(&[2, 3]), v.to_vec()).unwrap());
    let flux = 50.0;
    let cam = camera(&[
        ("camera_type", Value::str("sCMOS")),
        ("read_noise_map", map(&read)),
        ("gain_map", map(&gain)),
        ("offset_map", map(&offset)),
        ("dark_current", float(0.0)),
        ("bit_depth", Value::Int(16)),
    ]);
    cam.seed(3).unwrap();
    let out = record(&cam, &image(&[2, 3, samples], vec![flux; 6 * samples]));
    for p in 0..6 {
        let (mean, var, se_mean, se_var) = moments(&out[p * samples..(p + 1) * samples]);
        close(&format!("mean of pixel {p}"), mean, flux / gain[p] + offset[p], se_mean);
        let expected = (flux + read[p] * read[p]) / (gain[p] * gain[p]) + 1.0 / 12.0;
        close(&format!("variance of pixel {p}"), var, expected, se_var);
    }
    // Maps generated from sensor_seed: a fixed pattern, the same in every frame and different for
    // another seed; offsets spread by offset_spread around offset.
    let dark = [("dark_current", float(0.0)), ("read_noise", float(0.0))];
    let mut props =
        vec![("camera_type", Value::str("sCMOS")), ("offset_spread", float(3.0)), ("sensor_seed", Value::Int(5))];
    props.extend(dark);
    let cam = camera(&props);
    let black = image(&[100, 100], vec![0.0; 10_000]);
    let frame = record(&cam, &black);
    cam.update().unwrap();
    assert_eq!(record(&cam, &black), frame, "the sensor's pattern is fixed");
    let (mean, var, se_mean, se_var) = moments(&frame);
    close("mean offset", mean, 100.0, se_mean);
    close("offset spread", var, 9.0 + 1.0 / 12.0, se_var);
    cam.set_property("sensor_seed", Rule::constant(6.0)).unwrap();
    assert_ne!(record(&cam, &black), frame, "another sensor");
    // Digital binning: the mean of the pixels' ADU.
    cam.set_property("binning", Rule::constant(2.0)).unwrap();
    cam.set_property("sensor_seed", Rule::constant(5.0)).unwrap();
    let binned = record(&cam, &black);
    assert_eq!(binned.len(), 2500);
    let expected = (frame[0] + frame[1] + frame[100] + frame[101]) / 4.0;
    assert_eq!(binned[0], expected);
}

#[test]
fn bad_settings_are_errors_naming_the_property() {
    let cam = features::builtin("Camera").unwrap();
    let message = |key: &str, value: Value| cam.set_property(key, Rule::Constant(value)).unwrap_err().to_string();
    assert!(message("camera_type", Value::str("CMOS")).starts_with("property 'camera_type' of feature 'Camera'"));
    assert_eq!(
        message("quantum_efficiency", float(1.5)),
        "property 'quantum_efficiency' of feature 'Camera': 1.5 exceeds the maximum of 1"
    );
    assert!(message("bit_depth", Value::Int(33)).contains("exceeds the maximum of 32"));
    assert!(message("full_well", float(0.0)).starts_with("property 'full_well'"));
    let ccd = camera(&[("read_noise_map", Value::array(ArrayD::zeros(IxDyn(&[2, 2]))))]);
    let err = ccd.resolve_one(Some(&image(&[2, 2], vec![0.0; 4]))).unwrap_err().to_string();
    assert!(err.contains("'read_noise_map'") && err.contains("camera_type 'sCMOS'"), "{err}");
    let scmos = camera(&[
        ("camera_type", Value::str("sCMOS")),
        ("gain_map", Value::array(ArrayD::from_elem(IxDyn(&[3, 2]), 1.0))),
    ]);
    let err = scmos.resolve_one(Some(&image(&[2, 2], vec![0.0; 4]))).unwrap_err().to_string();
    assert!(err.contains("'gain_map'") && err.contains("2×2 pixels is needed, got shape [3, 2]"), "{err}");
    let binned = camera(&[("binning", Value::Int(3))]);
    let err = binned.resolve_one(Some(&image(&[2, 2], vec![0.0; 4]))).unwrap_err().to_string();
    assert!(err.contains("'binning'") && err.contains("3 exceeds the image's size 2×2"), "{err}");
    let err = camera(&[]).resolve_one(Some(&image(&[1, 2], vec![0.0, f64::NAN]))).unwrap_err().to_string();
    assert!(err.contains("sample 1 of the input is NaN"), "{err}");
    let err = camera(&[]).resolve_one(Some(&image(&[4], vec![0.0; 4]))).unwrap_err().to_string();
    assert!(err.contains("got shape [4]"), "{err}");
}

/// Fluorescence optics over a `size`×`size` field (the README camera section's, smaller).
fn fluorescence(size: f64) -> Feature {
    let f = features::builtin("Fluorescence").unwrap();
    f.set_property("NA", Rule::constant(0.8)).unwrap();
    f.set_property("wavelength", Rule::constant(680e-9)).unwrap();
    f.set_property("resolution", Rule::constant(1e-6)).unwrap();
    f.set_property("magnification", Rule::constant(10.0)).unwrap();
    let region = Value::List(vec![0.0.into(), 0.0.into(), size.into(), size.into()]);
    f.set_property("output_region", Rule::constant(region)).unwrap();
    f
}

/// A point particle of intensity 1 at `(row, col)`.
fn point(row: f64, col: f64) -> Feature {
    let p = features::builtin("PointParticle").unwrap();
    p.set_property("position", Rule::constant(Value::List(vec![row.into(), col.into()]))).unwrap();
    p.set_property("intensity", Rule::constant(1.0)).unwrap();
    p
}

/// The expected photons on the sensor: the optics' image of `particle` times `photons_per_unit ·
/// exposure_time`.
fn expected_photons(optics: &Feature, particle: &Feature, per_unit: f64, exposure: f64) -> f64 {
    let image = Feature::microscope(optics, particle).unwrap().resolve_one(None).unwrap().unwrap();
    image.as_slice().iter().sum::<f64>() * per_unit * exposure
}

#[test]
fn photons_per_unit_makes_a_point_particle_deliver_its_photon_budget() {
    use deeptrack::features::camera::photons_per_unit;
    let (budget, exposure) = (5000.0, 0.05);
    let optics = fluorescence(48.0);
    let per_unit = photons_per_unit(&optics, budget, exposure).unwrap();
    assert!(per_unit > 0.0);
    // Proportional to the budget and inverse to the exposure.
    let double = photons_per_unit(&optics, 2.0 * budget, exposure).unwrap();
    assert!((double / per_unit - 2.0).abs() < 1e-12);
    let longer = photons_per_unit(&optics, budget, 2.0 * exposure).unwrap();
    assert!((longer / per_unit - 0.5).abs() < 1e-12);
    // At the centre of the field, every photon the PSF puts in the field: N.
    let centred = expected_photons(&optics, &point(24.0, 24.0), per_unit, exposure);
    assert!((centred - budget).abs() < 1e-9 * budget, "{centred}");
    // Elsewhere inside the field, N up to the PSF's captured fraction (within 2 %); at a corner,
    // the quarter of the PSF inside the field with the half-rows along its edges: above a quarter,
    // below a half.
    let inside = expected_photons(&optics, &point(14.0, 31.0), per_unit, exposure);
    assert!(inside <= budget * (1.0 + 1e-9) && inside > 0.98 * budget, "{inside}");
    let corner = expected_photons(&optics, &point(0.0, 0.0), per_unit, exposure);
    assert!(corner > 0.25 * budget && corner < 0.5 * budget, "{corner}");
    // Through a camera counting every photon (QE 1, 1 e⁻/ADU, no offset, read noise or dark current),
    // the frames' totals are Poisson draws of mean N: their mean within five standard errors.
    let cam = camera(&[
        ("photons_per_unit", float(per_unit)),
        ("exposure_time", float(exposure)),
        ("dark_current", float(0.0)),
        ("read_noise", float(0.0)),
        ("offset", float(0.0)),
        ("adc_gain", float(1.0)),
        ("full_well", float(1e9)),
        ("bit_depth", Value::Int(32)),
    ]);
    let pipeline = Feature::chain(&Feature::microscope(&optics, &point(24.0, 24.0)).unwrap(), &cam).unwrap();
    pipeline.seed(7).unwrap();
    let frames = 40;
    let totals: Vec<f64> =
        pipeline.resolve_batch(None, 7, 0, frames, 1).unwrap().iter().map(|f| f.as_slice().iter().sum()).collect();
    let (mean, _, se, _) = moments(&totals);
    close("photons per frame", mean, budget, se.max((budget / frames as f64).sqrt()));
}

#[test]
fn photons_per_unit_refuses_bad_input_saying_why() {
    use deeptrack::features::camera::photons_per_unit;
    let optics = fluorescence(32.0);
    let err = photons_per_unit(&optics, -1.0, 1.0).unwrap_err().to_string();
    assert_eq!(
        err,
        "property 'photons' of feature 'photons_per_unit': -1 is not a number of photons (finite, at least 0)"
    );
    let err = photons_per_unit(&optics, 100.0, 0.0).unwrap_err().to_string();
    assert!(err.contains("'exposure_time'") && err.contains("above 0 seconds"), "{err}");
    let err = photons_per_unit(&optics, f64::NAN, 1.0).unwrap_err().to_string();
    assert!(err.contains("NaN is not a number of photons"), "{err}");
    // Brightfield images are not a fluorophore's light.
    let brightfield = features::builtin("Brightfield").unwrap();
    let err = photons_per_unit(&brightfield, 100.0, 1.0).unwrap_err().to_string();
    assert!(err.contains("need fluorescence optics") || err.contains("no light"), "{err}");
    // Zero photons: a zero factor (a dark frame).
    assert_eq!(photons_per_unit(&optics, 0.0, 1.0).unwrap(), 0.0);
}
