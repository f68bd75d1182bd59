//! Every tier this machine has, against glibc's scalar functions on hard arguments and against
//! DeepTrack2's (numpy's) outputs in the fixtures.

use super::*;

/// Every function, with the name of its fixtures (`ew_<name>_2d` …).
const FUNCTIONS: [(Function, &str); 16] = [
    (Function::Acos, "arccos"),
    (Function::Acosh, "arccosh"),
    (Function::Asin, "arcsin"),
    (Function::Asinh, "arcsinh"),
    (Function::Atan, "arctan"),
    (Function::Atanh, "arctanh"),
    (Function::Cos, "cos"),
    (Function::Cosh, "cosh"),
    (Function::Exp, "exp"),
    (Function::Log, "log"),
    (Function::Log10, "log10"),
    (Function::Log2, "log2"),
    (Function::Sin, "sin"),
    (Function::Sinh, "sinh"),
    (Function::Tan, "tan"),
    (Function::Tanh, "tanh"),
];

/// The tiers this machine has.
fn tiers() -> Vec<Tier> {
    Tier::ALL.into_iter().filter(|&t| map_with(t, Function::Log, &[1.0]).is_some()).collect()
}

/// Whether `got` is `want` to `rel` relative (1e-288 absolute near 0), with the same NaN,
/// infinities and signed zeros.
fn close(got: f64, want: f64, rel: f64) -> bool {
    if want.is_nan() {
        got.is_nan()
    } else if want.is_infinite() || want == 0.0 {
        got.to_bits() == want.to_bits()
    } else {
        (got - want).abs() <= rel * want.abs().max(1e-288)
    }
}

/// Hard arguments: subnormals, tiny, near ±1 and 2 (the domain edges and the compositions'
/// branch points), 0.5, large, near the overflow of `exp` and `sinh`, ±0, ±inf, NaN, and a dense
/// sweep; more than a block, with a ragged end.
fn hard_arguments() -> Vec<f64> {
    let mut xs: Vec<f64> = (0..4001).map(|i| (i as f64 - 2000.0) * 0.00731).collect();
    for e in [-320.0, -310.0, -300.0, -200.0, -30.0, -17.0, -9.0, -5.0, -2.0, 0.0, 5.0, 8.0, 9.0, 15.0, 100.0, 300.0] {
        for m in [1.0, 1.7, 3.3, 7.9] {
            let v = m * 10f64.powf(e);
            xs.extend([v, -v]);
        }
    }
    for d in [1e-16, 2.3e-16, 1e-15, 1e-12, 1e-9, 1e-6, 1e-3] {
        for c in [1.0, 0.5, 2.0, 268_435_456.0] {
            xs.extend([c + d * c, c - d * c, -c - d * c, -c + d * c]);
        }
    }
    xs.extend([0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, f64::MIN_POSITIVE / 3.0, f64::EPSILON]);
    xs.extend([f64::MAX, f64::MIN, 1e154, 1.4e154, 3e153, 268_435_456.0, 709.0, 709.7, 709.79, 710.4, 710.5]);
    xs.extend([-709.7, -710.4, -745.1, -746.0, 19.06, 22.0, -22.0, 0.99999999, -0.99999999, 1.5, -1.5]);
    xs.extend([f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -f64::NAN, 1e22, -1e22, 1e300, -1e300]);
    xs.extend((0..300).map(|i| 1.0 + i as f64 * 0.0137));
    xs
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod against_libm {
    use super::*;

    // glibc's scalar functions (libm): correctly rounded or within an ulp, the reference.
    unsafe extern "C" {
        fn acos(x: f64) -> f64;
        fn acosh(x: f64) -> f64;
        fn asin(x: f64) -> f64;
        fn asinh(x: f64) -> f64;
        fn atan(x: f64) -> f64;
        fn atanh(x: f64) -> f64;
        fn cos(x: f64) -> f64;
        fn cosh(x: f64) -> f64;
        fn exp(x: f64) -> f64;
        fn log(x: f64) -> f64;
        fn log10(x: f64) -> f64;
        fn log2(x: f64) -> f64;
        fn sin(x: f64) -> f64;
        fn sinh(x: f64) -> f64;
        fn tan(x: f64) -> f64;
        fn tanh(x: f64) -> f64;
    }

    #[test]
    fn every_tier_is_within_a_few_ulp_of_glibcs_scalar_functions() {
        let scalar: [unsafe extern "C" fn(f64) -> f64; 16] =
            [acos, acosh, asin, asinh, atan, atanh, cos, cosh, exp, log, log10, log2, sin, sinh, tan, tanh];
        let xs = hard_arguments();
        let mut failures = Vec::new();
        for tier in tiers() {
            for ((f, _), reference) in FUNCTIONS.iter().zip(scalar) {
                let got = map_with(tier, *f, &xs).unwrap().unwrap();
                assert_eq!(got.len(), xs.len());
                for (&x, &g) in xs.iter().zip(&got) {
                    // SAFETY: glibc's scalar math functions take and return a double, any double.
                    let w = unsafe { reference(x) };
                    if !close(g, w, 1e-14) {
                        failures.push(format!("{tier:?} {f:?}({x:e}) = {g:e}, libm {w:e}"));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
    }
}

/// A little-endian float64 `.npy` file's data.
fn read_npy(path: &std::path::Path) -> Vec<f64> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[..6], b"\x93NUMPY");
    let (len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
    };
    bytes[start + len..].chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()
}

#[test]
fn every_tier_gives_deeptrack2s_outputs_in_the_fixtures() {
    use serde_json::Value as Json;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deeptrack-2.0.1/reductions");
    let manifest: Json = serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let number = |j: &Json| match j {
        Json::String(s) => s.parse::<f64>().unwrap(),
        other => other.as_f64().unwrap(),
    };
    let mut compared = std::collections::BTreeMap::new();
    let mut failures = Vec::new();
    for case in manifest["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let Some(&(f, name)) = FUNCTIONS
            .iter()
            .find(|(_, n)| id.strip_prefix("ew_").and_then(|r| r.strip_prefix(n)).is_some_and(|r| r.starts_with('_')))
        else {
            continue;
        };
        let x: Vec<f64> = case["input"]["data"].as_array().unwrap().iter().map(number).collect();
        let want = read_npy(&dir.join(case["expected"].as_str().unwrap()));
        for tier in tiers() {
            let got = map_with(tier, f, &x).unwrap().unwrap();
            *compared.entry(name).or_insert(0) += got.len();
            for ((&v, &g), &w) in x.iter().zip(&got).zip(&want) {
                if !close(g, w, 1e-12) {
                    failures.push(format!("{id} {tier:?}: {f:?}({v:e}) = {g:e}, DeepTrack2 {w:e}"));
                }
            }
        }
    }
    assert_eq!(compared.len(), 16, "every function has fixtures: {compared:?}");
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_fastest_tier_the_machine_has_is_used() {
    #[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
    if std::path::Path::new("/lib/x86_64-linux-gnu/libmvec.so.1").exists()
        && std::arch::is_x86_feature_detected!("avx2")
    {
        assert!(tiers().contains(&Tier::Avx2));
        // glibc 2.35 added the AVX-512 variants of everything but exp, log, sin and cos.
        let new_glibc = {
            // SAFETY: gnu_get_libc_version returns a static NUL-terminated string.
            let v = unsafe { std::ffi::CStr::from_ptr(libc::gnu_get_libc_version()) };
            let mut parts = v.to_str().unwrap().split('.').map(|p| p.parse::<u32>().unwrap_or(0));
            (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (2, 35)
        };
        if std::arch::is_x86_feature_detected!("avx512f") && new_glibc {
            assert_eq!(Tier::best(), Tier::Avx512);
        } else {
            assert_eq!(Tier::best(), Tier::Avx2);
        }
    }
    assert!(tiers().contains(&Tier::Scalar));
    // Empty and short inputs (shorter than a vector) on every tier.
    for tier in tiers() {
        assert!(map_with(tier, Function::Exp, &[]).unwrap().unwrap().is_empty());
        let e = map_with(tier, Function::Exp, &[0.0, 1.0, 2.0]).unwrap().unwrap();
        assert_eq!(e.len(), 3);
        assert!(close(e[0], 1.0, 0.0) && close(e[1], std::f64::consts::E, 1e-15), "{tier:?}: {e:?}");
    }
}
