//! The pipelines of issue 6, timed through the Rust API (the C API adds a function call per step):
//! medians over repeated update+resolve cycles, one thread. `cargo bench --bench pipelines` prints a
//! table; `-- --json` prints one JSON object per case (for benches/compare_deeptrack2.py).
//!
//! Each case is the same pipeline as its DeepTrack2 counterpart in benches/compare_deeptrack2.py.
//! `-- --scaling` prints instead the marginal cost of one more repetition with stored properties
//! (`Add ^ N`, `Fluorescence(PointParticle ^ N)`) at N = 1,000, 10,000 and 100,000.

use std::time::{Duration, Instant};

use deeptrack::{Feature, Image, Rule, Value, features};

fn builtin(kind: &str, props: &[(&str, Rule)]) -> Feature {
    let f = features::builtin(kind).unwrap_or_else(|| panic!("no feature {kind}"));
    for (k, r) in props {
        f.set_property(k, r.clone()).unwrap();
    }
    f
}

fn vector(xs: &[f64]) -> Rule {
    Rule::constant(Value::vector(xs))
}

/// A point particle at a uniform random position in an `n`×`n` frame.
fn point_particle(n: f64, intensity: f64) -> Feature {
    builtin(
        "PointParticle",
        &[("position", Rule::uniform_array(&[0.0, 0.0], &[n, n]).unwrap()), ("intensity", Rule::constant(intensity))],
    )
}

fn fluorescence(n: f64) -> Feature {
    fluorescence_upscaled(n, 1)
}

fn fluorescence_upscaled(n: f64, upscale: i64) -> Feature {
    builtin(
        "Fluorescence",
        &[
            ("NA", Rule::constant(0.8)),
            ("wavelength", Rule::constant(680e-9)),
            ("magnification", Rule::constant(10_i64)),
            ("resolution", Rule::constant(1e-6)),
            ("output_region", vector(&[0.0, 0.0, n, n])),
            ("upscale", Rule::constant(upscale)),
        ],
    )
}

/// `Brightfield` with a 0.1 µm camera pixel on an `n`×`n` frame.
fn brightfield(n: f64, upscale: i64) -> Feature {
    builtin(
        "Brightfield",
        &[
            ("NA", Rule::constant(0.7)),
            ("wavelength", Rule::constant(532e-9)),
            ("magnification", Rule::constant(1_i64)),
            ("resolution", Rule::constant(0.1e-6)),
            ("output_region", vector(&[0.0, 0.0, n, n])),
            ("upscale", Rule::constant(upscale)),
        ],
    )
}

/// A sphere of uniform random radius in `[r0, r1)` at a uniform random position in an `n`×`n` frame.
fn random_sphere(n: f64, r0: f64, r1: f64, contrast: (&str, f64)) -> Feature {
    builtin(
        "Sphere",
        &[
            ("position", Rule::uniform_array(&[0.0, 0.0], &[n, n]).unwrap()),
            ("radius", Rule::uniform(r0, r1).unwrap()),
            (contrast.0, Rule::constant(contrast.1)),
        ],
    )
}

struct Case {
    name: String,
    pipeline: Feature,
    input: Option<Image>,
}

fn cases() -> Vec<Case> {
    let trivial = builtin("Add", &[("value", Rule::uniform(0.0, 1.0).unwrap())]);
    let particle =
        || builtin("DummyFeature", &[("position", Rule::uniform_array(&[0.0, 0.0], &[256.0, 256.0]).unwrap())]);
    let repeated = |n: usize| {
        let other =
            builtin("DummyFeature", &[("position", Rule::uniform_array(&[0.0, 0.0], &[256.0, 256.0]).unwrap())]);
        Feature::chain(&Feature::repeat(&particle(), n).unwrap(), &other).unwrap()
    };
    let fluo_100 = {
        let sample = Feature::repeat(&point_particle(64.0, 100.0), 100).unwrap();
        let micro = Feature::microscope(&fluorescence(64.0), &sample).unwrap();
        Feature::chain(&micro, &builtin("Poisson", &[("snr", Rule::constant(100.0))])).unwrap()
    };
    // A time-lapse (issue 15): 10 point particles diffusing by 1 pixel per axis and frame (D = 0.5
    // pixels² per frame), 50 frames.
    let movie = {
        let particle = point_particle(64.0, 100.0);
        particle.set_sequential("position", features::sequences::motion::brownian_pixels(0.5).unwrap()).unwrap();
        let sample = Feature::repeat(&particle, 10).unwrap();
        let seq =
            features::registry::build("Sequence", vec![Feature::microscope(&fluorescence(64.0), &sample).unwrap()])
                .unwrap();
        seq.set_property("sequence_length", Rule::constant(50_i64)).unwrap();
        seq
    };
    let fluo_10_256 = {
        let sample = Feature::repeat(&point_particle(256.0, 100.0), 10).unwrap();
        Feature::microscope(&fluorescence(256.0), &sample).unwrap()
    };
    let sphere = builtin(
        "Sphere",
        &[("position", vector(&[64.0, 64.0])), ("radius", Rule::constant(1e-6)), ("intensity", Rule::constant(100.0))],
    );
    let fluo_sphere = Feature::microscope(&fluorescence(128.0), &sphere).unwrap();
    let bf_sphere = {
        let sphere = builtin(
            "Sphere",
            &[
                ("position", vector(&[128.0, 128.0])),
                ("radius", Rule::constant(0.5e-6)),
                ("refractive_index", Rule::constant(1.45)),
            ],
        );
        let optics = builtin(
            "Brightfield",
            &[
                ("NA", Rule::constant(0.7)),
                ("wavelength", Rule::constant(532e-9)),
                ("magnification", Rule::constant(1_i64)),
                ("resolution", Rule::constant(0.1e-6)),
                ("output_region", vector(&[0.0, 0.0, 256.0, 256.0])),
            ],
        );
        Feature::microscope(&optics, &sphere).unwrap()
    };
    let fluo_20_spheres = {
        let sample = Feature::repeat(&random_sphere(256.0, 0.5e-6, 1.5e-6, ("intensity", 100.0)), 20).unwrap();
        Feature::microscope(&fluorescence(256.0), &sample).unwrap()
    };
    let fluo_10_256_up2 = {
        let sample = Feature::repeat(&point_particle(256.0, 100.0), 10).unwrap();
        Feature::microscope(&fluorescence_upscaled(256.0, 2), &sample).unwrap()
    };
    let fluo_sphere_up2 = Feature::microscope(&fluorescence_upscaled(128.0, 2), &sphere).unwrap();
    let ellipse = |contrast: (&str, f64)| {
        builtin(
            "Ellipse",
            &[
                ("position", vector(&[64.0, 64.0])),
                ("radius", vector(&[1.5e-6, 0.7e-6])),
                ("rotation", Rule::constant(0.4)),
                (contrast.0, Rule::constant(contrast.1)),
            ],
        )
    };
    let ellipsoid = builtin(
        "Ellipsoid",
        &[
            ("position", vector(&[64.0, 64.0])),
            ("radius", vector(&[1.2e-6, 0.6e-6, 0.8e-6])),
            ("rotation", vector(&[0.3, 0.2, 0.1])),
            ("intensity", Rule::constant(100.0)),
        ],
    );
    let fluo_ellipse = Feature::microscope(&fluorescence(128.0), &ellipse(("intensity", 100.0))).unwrap();
    let fluo_ellipsoid = Feature::microscope(&fluorescence(128.0), &ellipsoid).unwrap();
    let bf_5_spheres = {
        let sample = Feature::repeat(&random_sphere(256.0, 0.3e-6, 0.8e-6, ("refractive_index", 1.45)), 5).unwrap();
        Feature::microscope(&brightfield(256.0, 1), &sample).unwrap()
    };
    let bf_ellipse = Feature::microscope(&brightfield(128.0, 1), &ellipse(("refractive_index", 1.45))).unwrap();
    let bf_sphere_up2 = {
        let sphere = builtin(
            "Sphere",
            &[
                ("position", vector(&[64.0, 64.0])),
                ("radius", Rule::constant(0.5e-6)),
                ("refractive_index", Rule::constant(1.45)),
            ],
        );
        Feature::microscope(&brightfield(128.0, 2), &sphere).unwrap()
    };
    let bf_10_spheres = {
        let sample = Feature::repeat(&random_sphere(256.0, 0.3e-6, 0.8e-6, ("refractive_index", 1.45)), 10).unwrap();
        Feature::microscope(&brightfield(256.0, 1), &sample).unwrap()
    };
    let fluo_20_ellipsoids = {
        let e = builtin(
            "Ellipsoid",
            &[
                ("position", Rule::uniform_array(&[0.0, 0.0], &[256.0, 256.0]).unwrap()),
                ("radius", Rule::uniform_array(&[0.3e-6, 0.3e-6, 0.3e-6], &[1.2e-6, 1.2e-6, 1.2e-6]).unwrap()),
                ("rotation", Rule::uniform_array(&[0.0, 0.0, 0.0], &[3.0, 3.0, 3.0]).unwrap()),
                ("intensity", Rule::constant(100.0)),
            ],
        );
        Feature::microscope(&fluorescence(256.0), &Feature::repeat(&e, 20).unwrap()).unwrap()
    };
    let fluo_5_spheres_up2 = {
        let sample = Feature::repeat(&random_sphere(128.0, 0.5e-6, 1.5e-6, ("intensity", 100.0)), 5).unwrap();
        Feature::microscope(&fluorescence_upscaled(128.0, 2), &sample).unwrap()
    };
    let bf_5_large = {
        let sample = Feature::repeat(&random_sphere(256.0, 1e-6, 2e-6, ("refractive_index", 1.45)), 5).unwrap();
        Feature::microscope(&brightfield(256.0, 1), &sample).unwrap()
    };
    let input = Image::zeros(&[4, 4]);
    let mut cases = vec![
        Case { name: "trivial feature: update + resolve".into(), pipeline: trivial, input: Some(input.clone()) },
        Case { name: "(particle ^ 100) >> other".into(), pipeline: repeated(100), input: Some(input.clone()) },
        Case { name: "(particle ^ 1000) >> other".into(), pipeline: repeated(1000), input: Some(input.clone()) },
        Case { name: "(particle ^ 10000) >> other".into(), pipeline: repeated(10_000), input: Some(input) },
        Case { name: "100 point particles, Fluorescence 64x64, Poisson".into(), pipeline: fluo_100, input: None },
        Case { name: "10 point particles, Fluorescence 256x256".into(), pipeline: fluo_10_256, input: None },
        Case { name: "Sphere, Fluorescence 128x128".into(), pipeline: fluo_sphere, input: None },
        Case { name: "Sphere, Brightfield 256x256".into(), pipeline: bf_sphere, input: None },
        Case {
            name: "20 spheres of random radius, Fluorescence 256x256".into(),
            pipeline: fluo_20_spheres,
            input: None,
        },
        Case {
            name: "10 point particles, Fluorescence 256x256, upscale 2".into(),
            pipeline: fluo_10_256_up2,
            input: None,
        },
        Case { name: "Sphere, Fluorescence 128x128, upscale 2".into(), pipeline: fluo_sphere_up2, input: None },
        Case { name: "Ellipse, Fluorescence 128x128".into(), pipeline: fluo_ellipse, input: None },
        Case { name: "Ellipsoid, Fluorescence 128x128".into(), pipeline: fluo_ellipsoid, input: None },
        Case { name: "5 spheres of random radius, Brightfield 256x256".into(), pipeline: bf_5_spheres, input: None },
        Case { name: "Ellipse, Brightfield 128x128".into(), pipeline: bf_ellipse, input: None },
        Case { name: "Sphere, Brightfield 128x128, upscale 2".into(), pipeline: bf_sphere_up2, input: None },
        Case { name: "10 spheres of random radius, Brightfield 256x256".into(), pipeline: bf_10_spheres, input: None },
        Case {
            name: "20 ellipsoids of random radii, Fluorescence 256x256".into(),
            pipeline: fluo_20_ellipsoids,
            input: None,
        },
        Case {
            name: "5 spheres of random radius, Fluorescence 128x128, upscale 2".into(),
            pipeline: fluo_5_spheres_up2,
            input: None,
        },
        Case {
            name: "5 large spheres of random radius, Brightfield 256x256".into(),
            pipeline: bf_5_large,
            input: None,
        },
        Case {
            name: "50-frame movie of 10 diffusing particles, Fluorescence 64x64".into(),
            pipeline: movie,
            input: None,
        },
    ];
    cases.extend(large_image_cases());
    cases
}

/// Builds a pipeline.
type MakePipeline = fn() -> Feature;

/// The math features on a 2048x2048 image of uniform noise, plain and with a channel axis
/// (`(2048, 2048, 1)`, as pipelines produce them). Each name is `<feature> on <shape>`, the same as
/// its DeepTrack2 twin in benches/compare_deeptrack2.py (`LARGE_IMAGE_CASES`).
fn large_image_cases() -> Vec<Case> {
    let n = 2048;
    // A fixed pseudo-random image in [0, 1) (a multiplicative hash of the index).
    let noise: Vec<f64> = (0..n * n)
        .map(|i| ((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) as f64 / (1u64 << 53) as f64)
        .collect();
    let plain = Image::from_slice(&[n, n], &noise).unwrap();
    let channel = Image::from_slice(&[n, n, 1], &noise).unwrap();
    let pipelines: [(&str, MakePipeline); 10] = [
        ("GaussianBlur(sigma=2) >> NormalizeStandard", || {
            let blur = builtin("GaussianBlur", &[("sigma", Rule::constant(2.0))]);
            Feature::chain(&blur, &builtin("NormalizeStandard", &[])).unwrap()
        }),
        ("GaussianBlur(sigma=2)", || builtin("GaussianBlur", &[("sigma", Rule::constant(2.0))])),
        ("AverageBlur(ksize=3)", || builtin("AverageBlur", &[("ksize", Rule::constant(3_i64))])),
        ("AveragePooling(ksize=4)", || builtin("AveragePooling", &[("ksize", Rule::constant(4_i64))])),
        ("MaxPooling(ksize=4)", || builtin("MaxPooling", &[("ksize", Rule::constant(4_i64))])),
        ("MinPooling(ksize=4)", || builtin("MinPooling", &[("ksize", Rule::constant(4_i64))])),
        ("SumPooling(ksize=4)", || builtin("SumPooling", &[("ksize", Rule::constant(4_i64))])),
        ("NormalizeMinMax", || builtin("NormalizeMinMax", &[])),
        ("NormalizeStandard", || builtin("NormalizeStandard", &[])),
        ("Clip(min=0.2, max=0.8)", || builtin("Clip", &[("min", Rule::constant(0.2)), ("max", Rule::constant(0.8))])),
    ];
    let mut cases = Vec::new();
    for (name, make) in pipelines {
        for (shape, input) in [("2048x2048", &plain), ("2048x2048x1", &channel)] {
            cases.push(Case { name: format!("{name} on {shape}"), pipeline: make(), input: Some(input.clone()) });
        }
    }
    cases
}

/// `Add ^ n` with stored properties, on a 4x4 input.
fn add_repeated(n: usize) -> Case {
    let add = builtin("Add", &[("value", Rule::uniform(0.0, 1.0).unwrap())]);
    let pipeline = Feature::repeat(&add, n).unwrap();
    pipeline.store_properties(true);
    Case { name: format!("Add ^ {n}, stored properties"), pipeline, input: Some(Image::zeros(&[4, 4])) }
}

/// `Fluorescence(PointParticle ^ n)` on 256x256, with stored properties.
fn particles_repeated(n: usize) -> Case {
    let sample = Feature::repeat(&point_particle(256.0, 100.0), n).unwrap();
    let pipeline = Feature::microscope(&fluorescence(256.0), &sample).unwrap();
    pipeline.store_properties(true);
    Case { name: format!("Fluorescence(PointParticle ^ {n}) 256x256, stored properties"), pipeline, input: None }
}

/// The marginal cost of one more repetition with stored properties: for N = 1,000, 10,000 and
/// 100,000, `(T(N) - T(1)) / (N - 1)` where `T` is the median update + resolve. Flat in N when the
/// pipeline is linear in N (a list copied per repetition made it grow with N).
fn scaling(budget: Duration, json: bool) {
    type Family = (&'static str, fn(usize) -> Case);
    let families: [Family; 2] =
        [("Add ^ N", add_repeated), ("Fluorescence(PointParticle ^ N) 256x256", particles_repeated)];
    if !json {
        println!("{:<64} {:>12} {:>16}", "case (one thread, stored properties)", "median", "per repetition");
    }
    for (family, make) in families {
        let (base, _) = median(&make(1), budget);
        let mut per_repetition = Vec::new();
        for n in [1_000, 10_000, 100_000] {
            let case = make(n);
            let (m, runs) = median(&case, budget);
            let per = m.saturating_sub(base) / (n as u32 - 1);
            per_repetition.push(per);
            if json {
                println!(
                    "{{\"case\": \"{}\", \"median_s\": {:e}, \"per_repetition_s\": {:e}, \"runs\": {runs}}}",
                    case.name,
                    m.as_secs_f64(),
                    per.as_secs_f64()
                );
            } else {
                println!("{:<64} {:>12} {:>16}", case.name, format!("{m:.2?}"), format!("{per:.2?}"));
            }
        }
        let (lo, hi) = (per_repetition.iter().min().unwrap(), per_repetition.iter().max().unwrap());
        if !json {
            println!(
                "{family}: per repetition from {lo:.2?} to {hi:.2?} ({:.2}x)",
                hi.as_secs_f64() / lo.as_secs_f64()
            );
        }
    }
}

/// Median time of one update+resolve, running for about `budget` (at least 5 samples). Cycles are
/// timed in blocks of about 20 µs (one cycle per block for all but the fastest pipelines), so that
/// reading the clock does not add to sub-microsecond figures; a sample is a block's mean.
fn median(case: &Case, budget: Duration) -> (Duration, usize) {
    let cycle = || {
        case.pipeline.update().unwrap();
        std::hint::black_box(case.pipeline.resolve(case.input.as_ref()).unwrap());
    };
    case.pipeline.seed(1).unwrap();
    // Warm up (FFT plans, caches), and size the blocks.
    cycle();
    let t = Instant::now();
    cycle();
    let block = (Duration::from_micros(20).as_nanos() / t.elapsed().as_nanos().max(1)).clamp(1, 1000) as u32;
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || (start.elapsed() < budget && times.len() < 100_000) {
        let t = Instant::now();
        for _ in 0..block {
            cycle();
        }
        times.push(t.elapsed() / block);
    }
    times.sort();
    (times[times.len() / 2], times.len() * block as usize)
}

/// The 100-particle fluorescence pipeline on an `n`×`n` frame with Poisson noise.
fn particles_100(n: f64) -> Feature {
    let sample = Feature::repeat(&point_particle(n, 100.0), 100).unwrap();
    let micro = Feature::microscope(&fluorescence(n), &sample).unwrap();
    let pipe = Feature::chain(&micro, &builtin("Poisson", &[("snr", Rule::constant(100.0))])).unwrap();
    pipe.store_properties(true);
    pipe
}

/// Median time of a batch of `count` images on `threads` threads.
fn batch_median(pipe: &Feature, count: usize, threads: usize, budget: Duration) -> (Duration, usize) {
    pipe.resolve_batch(None, 0, 0, count, threads).unwrap();
    let mut times = Vec::new();
    let start = Instant::now();
    let mut first = 0;
    while times.len() < 5 || (start.elapsed() < budget && times.len() < 1000) {
        let t = Instant::now();
        let out = pipe.resolve_batch(None, 0, first, count, threads).unwrap();
        times.push(t.elapsed());
        first += count as u64;
        std::hint::black_box(out);
    }
    times.sort();
    (times[times.len() / 2], times.len())
}

/// The peak resident memory of this process, from /proc/self/status (kB).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    if let Some(i) = std::env::args().position(|a| a == "--matching") {
        // Profiling aid: the cases whose name contains the text, for about a second each.
        let text = std::env::args().nth(i + 1).unwrap_or_default();
        for case in cases().into_iter().filter(|c| c.name.contains(&text)) {
            let (m, runs) = median(&case, Duration::from_secs(1));
            println!("{:<52} {:>14} {runs:>8}", case.name, format!("{m:.2?}"));
        }
        return;
    }
    if let Some(i) = std::env::args().position(|a| a == "--only") {
        // Profiling aid: repeat one case (by its index in the table) for a few seconds.
        let index: usize = std::env::args().nth(i + 1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let case = cases().into_iter().nth(index).expect("a case index");
        let (m, runs) = median(&case, Duration::from_secs(3));
        println!("{}: {m:.2?} ({runs} runs)", case.name);
        return;
    }
    if std::env::args().any(|a| a == "--batch-memory") {
        // One batch of 64 images of 100 particles on 256x256, on all cores, kept in memory; then the
        // process's peak resident memory.
        let images = particles_100(256.0).resolve_batch(None, 1, 0, 64, 0).unwrap();
        assert_eq!(images.len(), 64);
        println!("{{\"case\": \"batch memory\", \"peak_rss_kib\": {}}}", peak_rss_kib());
        return;
    }
    let json = std::env::args().any(|a| a == "--json");
    let quick = std::env::args().any(|a| a == "--quick");
    let budget = Duration::from_millis(if quick { 200 } else { 2000 });
    if std::env::args().any(|a| a == "--scaling") {
        scaling(budget, json);
        return;
    }
    // `--filter TEXT`: only the cases whose name contains TEXT (and the batch figures only when
    // TEXT is in "batch").
    let filter = std::env::args().position(|a| a == "--filter").and_then(|i| std::env::args().nth(i + 1));
    if !json {
        println!("{:<56} {:>14} {:>8}", "case (one thread)", "median", "runs");
    }
    let report = |name: &str, m: Duration, runs: usize| {
        if json {
            println!("{{\"case\": \"{name}\", \"median_s\": {:e}, \"runs\": {runs}}}", m.as_secs_f64());
        } else {
            println!("{name:<56} {:>14} {runs:>8}", format!("{m:.2?}"));
        }
    };
    for case in cases() {
        if filter.as_ref().is_some_and(|f| !case.name.contains(f.as_str())) {
            continue;
        }
        let (m, runs) = median(&case, budget);
        report(&case.name, m, runs);
    }
    if filter.as_ref().is_some_and(|f| !"batch".contains(f.as_str())) {
        return;
    }
    // Batch throughput: the same 64 images on one thread and on every core.
    let pipe = particles_100(64.0);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (one, runs1) = batch_median(&pipe, 64, 1, budget);
    report("batch of 64 (100 particles, 64x64): 1 thread", one, runs1);
    let (all, runs_all) = batch_median(&pipe, 64, cores, budget);
    report(&format!("batch of 64 (100 particles, 64x64): {cores} threads"), all, runs_all);
    if !json {
        println!("batch speed-up on {cores} threads: {:.2}x", one.as_secs_f64() / all.as_secs_f64());
    }
}
