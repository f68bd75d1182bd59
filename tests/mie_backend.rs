//! Mie scattering's mathematics against DeepTrack2 2.0.1 (`deeptrack.backend.polynomials`, which
//! calls scipy.special, and `deeptrack.backend.mie`): the `backend` cases of
//! `tests/fixtures/deeptrack-2.0.1/manifest.json` (tests/fixtures/generate.py), computed by
//! `deeptrack::mie` and compared element by element.
//!
//! Tolerances: the harmonics (`"tolerance": "exact"`, the same recurrence) to 1e-12 of each value; the
//! special functions and coefficients (`"special"`) to 1e-11 of each value, or 1e-13 of the largest
//! magnitude of the output, whichever is larger. scipy computes a real argument with Cephes and a
//! complex one with Amos's Fortran; the library uses Amos's algorithm for both, and the two agree to
//! a few units of 1e-12 relative near the zeros and deep in the decaying tail of J.

use std::path::PathBuf;

use deeptrack::mie::Complex64;
use deeptrack::mie::{self, Arg, Function};
use serde_json::Value as Json;

mod npy;
use npy::read_npy;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deeptrack-2.0.1")
}

/// An argument of a backend case, as generate.py reads it.
#[derive(Debug)]
enum BArg {
    Number(f64),
    Complex(Complex64),
    Array { shape: Vec<usize>, re: Vec<f64>, im: Option<Vec<f64>> },
    List(Vec<BArg>),
}

fn floats(j: &Json) -> Vec<f64> {
    j.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn arg(j: &Json) -> BArg {
    match j {
        Json::Number(n) => BArg::Number(n.as_f64().unwrap()),
        Json::Array(items) => BArg::List(items.iter().map(arg).collect()),
        Json::Object(o) if o.contains_key("complex") => {
            let c = floats(&o["complex"]);
            BArg::Complex(Complex64::new(c[0], c[1]))
        }
        Json::Object(o) => BArg::Array {
            shape: o["shape"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect(),
            re: floats(&o["data"]),
            im: o.get("imag").map(floats),
        },
        _ => panic!("unexpected argument {j}"),
    }
}

fn complex(a: &BArg) -> Complex64 {
    match a {
        BArg::Number(x) => Complex64::new(*x, 0.0),
        BArg::Complex(z) => *z,
        _ => panic!("expected a number, got {a:?}"),
    }
}

fn number(a: &BArg) -> f64 {
    match a {
        BArg::Number(x) => *x,
        _ => panic!("expected a real number, got {a:?}"),
    }
}

/// Flattens complex values as generate.py saves them: (re, im) pairs.
fn split(values: &[Complex64]) -> Vec<f64> {
    values.iter().flat_map(|v| [v.re, v.im]).collect()
}

/// `f(l, x)` over the broadcast of a column of orders and a row of arguments.
fn polynomial(name: &str, args: &[BArg]) -> Vec<f64> {
    let f = Function::ALL.into_iter().find(|f| f.name() == name).unwrap_or_else(|| panic!("no function {name}"));
    let (BArg::Array { re: orders, .. }, BArg::Array { shape, re, im }) = (&args[0], &args[1]) else {
        panic!("{name}: expected two arrays")
    };
    assert_eq!(shape[0], 1, "the arguments are a row");
    let xs: Vec<Arg> = match im {
        None => re.iter().map(|&x| Arg::Real(x)).collect(),
        Some(im) => re.iter().zip(im).map(|(&r, &i)| Arg::Complex(Complex64::new(r, i))).collect(),
    };
    let values: Vec<Complex64> = orders.iter().flat_map(|&l| xs.iter().map(move |&x| f.eval(l, x))).collect();
    if im.is_none() && f.real_for_real_argument() { values.iter().map(|v| v.re).collect() } else { split(&values) }
}

fn compute(spec: &Json) -> Vec<f64> {
    let args: Vec<BArg> = spec["args"].as_array().unwrap().iter().map(arg).collect();
    let name = spec["function"].as_str().unwrap();
    match (spec["module"].as_str().unwrap(), name) {
        ("polynomials", _) => polynomial(name, &args),
        ("mie", "coefficients") => {
            let (a, b) = mie::coefficients(complex(&args[0]), number(&args[1]), number(&args[2]) as usize).unwrap();
            [split(&a), split(&b)].concat()
        }
        ("mie", "stratified_coefficients") => {
            let (BArg::List(m), BArg::List(a)) = (&args[0], &args[1]) else { panic!("expected lists") };
            let m: Vec<Complex64> = m.iter().map(complex).collect();
            let a: Vec<f64> = a.iter().map(number).collect();
            let (an, bn) = mie::stratified_coefficients(&m, &a, number(&args[2]) as usize).unwrap();
            [split(&an), split(&bn)].concat()
        }
        ("mie", "harmonics") => {
            let BArg::Array { re: x, .. } = &args[0] else { panic!("expected an array") };
            let (pi, tau) = mie::harmonics(x, number(&args[1]) as usize).unwrap();
            [pi, tau].concat()
        }
        (module, f) => panic!("no backend function {module}.{f}"),
    }
}

#[test]
fn backend_cases_match_deeptrack2() {
    let dir = fixtures();
    let manifest: Json = serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in manifest["cases"].as_array().unwrap().iter().filter(|c| c["backend"].is_object()) {
        let id = case["id"].as_str().unwrap();
        let (shape, expected) = read_npy(&dir.join(case["expected"].as_str().unwrap()));
        let out = compute(&case["backend"]);
        assert_eq!(out.len(), shape.iter().product::<usize>(), "{id}: {} values for the shape {shape:?}", out.len());
        let peak = expected.iter().fold(0.0_f64, |m, x| m.max(x.abs()));
        let (relative, floor) =
            if case["tolerance"].as_str() == Some("exact") { (1e-12, 0.0) } else { (1e-11, 1e-13 * peak) };
        let worst = out
            .iter()
            .zip(&expected)
            .map(|(a, b)| (a - b).abs() / (relative * b.abs()).max(floor).max(f64::MIN_POSITIVE))
            .fold(0.0, f64::max);
        println!("{id}: worst {worst:.3} of the tolerance");
        if worst > 1.0 {
            failures.push(format!("{id}: {worst:.3e} times the tolerance"));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "backend cases that differ from DeepTrack2:\n  {}", failures.join("\n  "));
    assert!(checked >= 29, "only {checked} backend cases");
}
