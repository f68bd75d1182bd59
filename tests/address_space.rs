//! Allocations that fail are `OutOfMemory` errors, never an abort (issue 12): each case runs in a
//! child process (this test binary again) whose address space is limited with `setrlimit(RLIMIT_AS)`
//! to what it already uses plus a margin, and must report the error and keep working, or succeed
//! where the memory needed is bounded by the image and the window.
//!
//! - `MedianBlur` over one long axis keeps a scratch of the window (not an axis-long table of
//!   windows): 2^18 samples with `ksize` 1024 run in a few MiB (a table took 2 GiB and aborted), and a
//!   window of 2^20 samples whose scratch does not fit is `OutOfMemory`.
//! - `MedianPooling` collects each block in a scratch allocated fallibly once (at most the image,
//!   whatever `ksize`): a block of the whole 2^24-sample image whose scratch does not fit is
//!   `OutOfMemory` (growing a vector sample by sample aborted).
//! - `resolve_batch` with 64 threads where a few thread heaps fit: the batch starts the workers that
//!   fit, and a worker that cannot set up its heap leaves its items to the others (with mimalloc each
//!   thread has segments of its own). tests/c/shapes_memory.c limits the address space before the
//!   library's first allocation, where this aborted.
//! - Every kind of the registry that computes on an image, warmed up on 8 x 8 then given a 2000 x
//!   2000 image with 20 MiB more than is in use: the image or `OutOfMemory`, never an abort (image-
//!   sized scratch and copies, `mapv`, `as_standard_layout`, `collect`, are allocated fallibly).
//! - `propagation_matrix` of a shape that cannot be allocated is `OutOfMemory` with no limit at all.

use std::process::Command;

use deeptrack::features::registry;
use deeptrack::{ErrorKind, Image, Rule, Value, features};

/// The child's switch: the name of the case it runs.
const CHILD: &str = "DEEPTRACK_ADDRESS_SPACE_CHILD";

/// This process's address space, in bytes (VmSize).
fn address_space() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let line = status.lines().find(|l| l.starts_with("VmSize:")).expect("VmSize");
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// Limits the address space to what is used now plus `margin` bytes (the soft limit, so that it can
/// be lifted again).
fn limit_to(margin: u64) {
    let mut old = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: a writable rlimit.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut old) }, 0);
    let new = libc::rlimit { rlim_cur: address_space() + margin, rlim_max: old.rlim_max };
    // SAFETY: a valid rlimit.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &new) }, 0);
}

fn unlimit() {
    let mut old = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: a writable rlimit.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut old) }, 0);
    let new = libc::rlimit { rlim_cur: old.rlim_max, rlim_max: old.rlim_max };
    // SAFETY: a valid rlimit.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &new) }, 0);
}

/// Runs `case` in a child (this binary, that test alone) with `env`; fails unless it exits 0.
fn in_child(case: &str, env: &[(&str, &str)]) {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([case, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, case)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{case} in a limited address space ({:?}):\n{stdout}\n{stderr}", output.status);
    assert!(stdout.contains("1 passed"), "the child ran no test:\n{stdout}");
}

fn is_child(case: &str) -> bool {
    std::env::var(CHILD).is_ok_and(|c| c == case)
}

fn ramp(n: usize) -> Image {
    Image::from_slice(&[n], &(0..n).map(|i| i as f64).collect::<Vec<_>>()).unwrap()
}

fn median_blur(ksize: i64) -> deeptrack::Feature {
    let f = features::builtin("MedianBlur").unwrap();
    f.set_property("ksize", Rule::constant(ksize)).unwrap();
    f
}

#[test]
fn median_blur_memory_is_bounded_by_the_image_and_the_window() {
    const CASE: &str = "median_blur_memory_is_bounded_by_the_image_and_the_window";
    if !is_child(CASE) {
        in_child(CASE, &[]);
        in_child(CASE, &[("DEEPTRACK_SYSTEM_ALLOCATOR", "1")]);
        return;
    }
    // Warm up (the code paths' own small allocations), then a window of 2^20 samples over 2: its
    // scratch (24 MiB) does not fit in 4 MiB more than is in use, unless the allocator finds it in
    // address space it reserved before (mimalloc's arenas, glibc's 64 MiB heap of a thread's arena:
    // this test runs on a thread of the harness): OutOfMemory, or the filter's result. (An axis-long
    // table of windows, 8 GiB, aborted.) tests/c/shapes_memory.c checks the OutOfMemory of the
    // system allocator on a main thread, whose heap grows only into new address space.
    median_blur(3).resolve(Some(&ramp(8))).unwrap();
    let (input, blur) = (ramp(2), median_blur(1 << 20));
    limit_to(4 << 20);
    match blur.resolve(Some(&input)) {
        Err(err) => {
            assert_eq!(err.kind(), ErrorKind::OutOfMemory, "{err}");
            assert_eq!(
                err.to_string(),
                "property 'ksize' of feature 'MedianBlur': cannot allocate the scratch of a window of 1048576 samples"
            );
        }
        Ok(out) => {
            // Each window holds [0, 1] reflected (0 1 1 0 ...): 2^19 zeros and 2^19 ones, the upper
            // median 1.
            assert_eq!(out[0].as_slice(), [1.0, 1.0]);
        }
    }
    unlimit();
    // 2^18 samples, a window of 1024, in 512 MiB more than is in use: a few MiB (an axis-long table
    // of windows took 2 GiB).
    let (n, input, blur) = (1 << 18, ramp(1 << 18), median_blur(1024));
    limit_to(512 << 20);
    let out = blur.resolve(Some(&input)).unwrap();
    // The median of the 1024 samples from i - 512 on (rank 512 of a ramp) is sample i, inside.
    let out = out[0].as_slice();
    assert_eq!((out.len(), out[512], out[100_000], out[n - 512]), (n, 512.0, 100_000.0, (n - 512) as f64));
    // The process goes on: with the limit lifted, the library works.
    unlimit();
    let out = median_blur(3).resolve(Some(&ramp(5))).unwrap();
    assert_eq!(out[0].as_slice(), [0.0, 1.0, 2.0, 3.0, 4.0]);
}

#[test]
fn a_batch_of_many_threads_in_a_small_address_space_does_not_abort() {
    const CASE: &str = "a_batch_of_many_threads_in_a_small_address_space_does_not_abort";
    if !is_child(CASE) {
        in_child(CASE, &[]);
        in_child(CASE, &[("DEEPTRACK_SYSTEM_ALLOCATOR", "1")]);
        return;
    }
    let add = features::builtin("Add").unwrap();
    add.set_property("value", Rule::constant(1.0)).unwrap();
    let input = ramp(64);
    add.resolve_batch(Some(&input), 7, 0, 4, 2).unwrap();
    // Room for a few threads' stacks and heaps, not for 64: the batch starts the workers that fit
    // (66 MiB each, half the room kept for the images) and renders every item.
    for margin in [96 << 20, 400 << 20] {
        limit_to(margin);
        let items = add.resolve_batch(Some(&input), 7, 0, 256, 64).unwrap();
        assert_eq!(items.len(), 256);
        assert!(items.iter().all(|item| item.as_slice()[5] == 6.0));
        unlimit();
    }
    assert_eq!(add.resolve_batch(Some(&input), 7, 0, 8, 4).unwrap().len(), 8);
}

#[test]
fn median_pooling_scratch_that_does_not_fit_is_out_of_memory() {
    const CASE: &str = "median_pooling_scratch_that_does_not_fit_is_out_of_memory";
    if !is_child(CASE) {
        in_child(CASE, &[]);
        in_child(CASE, &[("DEEPTRACK_SYSTEM_ALLOCATOR", "1")]);
        return;
    }
    let pool = features::builtin("MedianPooling").unwrap();
    pool.set_property("ksize", Rule::constant(1_i64 << 24)).unwrap();
    pool.resolve(Some(&ramp(8))).unwrap();
    // One block of the whole image (2^24 samples): its scratch, 256 MiB of offsets and samples, does
    // not fit in 16 MiB more than is in use. The system allocator maps blocks this large anew, so it
    // must fail; mimalloc may find the room in address space it reserved before.
    let input = ramp(1 << 24);
    limit_to(16 << 20);
    let result = pool.resolve(Some(&input));
    unlimit();
    match result {
        Err(err) => {
            assert_eq!(err.kind(), ErrorKind::OutOfMemory, "{err}");
            assert_eq!(
                err.to_string(),
                "property 'ksize' of feature 'MedianPooling': cannot allocate the scratch of a block of 16777216 samples"
            );
        }
        Ok(out) => {
            assert!(std::env::var("DEEPTRACK_SYSTEM_ALLOCATOR").is_err(), "the system allocator found 256 MiB");
            // numpy's median of 0 .. 2^24 - 1 (an even count: the mean of the middle two).
            assert_eq!(out[0].as_slice(), [((1u64 << 24) - 1) as f64 / 2.0]);
        }
    }
    // The process goes on: 1 .. 5 and the padding's 2^24 - 5 zeros have the median 0.
    let out = pool.resolve(Some(&Image::from_slice(&[5], &[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap())).unwrap();
    assert_eq!(out[0].as_slice(), [0.0]);
}

/// The kinds of the registry that compute on an input image, with the properties a 2000 x 2000 image
/// needs (an axis to reduce along, a size within the image); the others (scatterers, optics,
/// combinators, callbacks, loading files) have no image-sized input to copy.
fn image_kinds() -> Vec<(&'static str, Vec<(&'static str, Value)>)> {
    // The per-kind expectations of this test (which kinds have no image-sized input to copy), not a
    // copy of the registry's list: registry.rs exempts such tables.
    const NOT_ON_IMAGES: &[&str] = &[
        "DummyFeature",
        "Chain",
        "Repeat",
        "Microscope",
        "Combine",
        "Probability",
        "OneOf",
        "OneOfDict",
        "Arguments",
        "Bind",
        "BindUpdate",
        "ConditionalSetProperty",
        "ConditionalSetFeature",
        "Reuse",
        "SampleToMasks",
        "NonOverlapping",
        "Store",
        "TakeProperties",
        "Upscale",
        "LoadImage",
        "Sequence",
        "Blur",
        "BlurCV2",
        "Pool",
        "Average",
        "Value",
    ];
    let axis0 = || vec![("axis", Value::Int(0))];
    registry::kinds()
        .filter(|k| !matches!(k.module, "optics" | "aberrations" | "scatterers"))
        .filter(|k| !NOT_ON_IMAGES.contains(&k.name))
        .map(|k| {
            let props = match k.name {
                "Stack" => vec![("value", Value::from(ndarray::ArrayD::<f64>::zeros(ndarray::IxDyn(&[2000, 2000]))))],
                "OneHot" => vec![("num_classes", Value::Int(3))],
                "Sum" | "Prod" | "Mean" | "Median" | "Std" | "Variance" | "Cumsum" | "Min" | "Max" | "PeakToPeak" => {
                    axis0()
                }
                "Percentile" => vec![("q", Value::Float(50.0)), ("axis", Value::Int(0))],
                "Quantile" => vec![("q", Value::Float(0.5)), ("axis", Value::Int(0))],
                "Slice" => vec![("slices", Value::List(vec![Value::from("::2")]))],
                "MoveAxis" => vec![("source", Value::Int(0)), ("destination", Value::Int(1))],
                "AsType" => vec![("dtype", Value::from("complex128"))],
                "FourierTransformTransformation" => {
                    vec![("Tz", Value::Float(2.0)), ("Tzinv", Value::Float(0.5)), ("i", Value::Float(2.0))]
                }
                "Rescale" => vec![("rescale", Value::Float(2.0))],
                "Crop" => vec![("crop", Value::Int(1000))],
                "Affine" => vec![("rotate", Value::Float(0.3))],
                "Resize" => vec![("dsize", Value::List(vec![Value::Int(2100), Value::Int(2100)]))],
                _ => Vec::new(),
            };
            (k.name, props)
        })
        .collect()
}

/// The child of [`every_image_kind_that_cannot_allocate_is_out_of_memory`]: the kind named by
/// `DEEPTRACK_SWEEP_KIND`.
#[test]
fn one_image_kind_in_a_small_address_space() {
    const CASE: &str = "one_image_kind_in_a_small_address_space";
    if !is_child(CASE) {
        return; // run by the sweep, a kind at a time
    }
    let name = std::env::var("DEEPTRACK_SWEEP_KIND").unwrap();
    let (_, props) = image_kinds().into_iter().find(|(k, _)| *k == name).unwrap();
    let f = features::builtin(&name).unwrap();
    for (key, v) in props {
        f.set_property(key, Rule::constant(v)).unwrap();
    }
    // FourierTransform takes a field of (H, W, 2) parts, InverseFourierTransform a complex spectrum.
    let fourier = matches!(name.as_str(), "FourierTransform" | "InverseFourierTransform");
    let shape = |side: usize| if fourier { vec![side, side, 2] } else { vec![side, side] };
    // Whole class numbers for OneHot, else numbers in (0.5, 1.5).
    let sample = |i: usize| if name == "OneHot" { (i % 3) as f64 } else { (i % 97) as f64 * 0.01 + 0.5 };
    let image = |side: usize| {
        let s = shape(side);
        let n: usize = s.iter().product();
        let mut img = Image::from_slice(&s, &(0..n).map(&sample).collect::<Vec<_>>()).unwrap();
        if name == "InverseFourierTransform" {
            img.set_complex(true).unwrap(); // a spectrum, as FourierTransform gives it
        }
        img
    };
    // InverseFourierTransform undoes FourierTransform's padding of 32: at least 64 x 64.
    let small = image(if fourier { 80 } else { 8 });
    f.resolve(Some(&small)).unwrap_or_else(|e| panic!("{name} on 8 x 8: {e}"));
    let large = image(if fourier { 1500 } else { 2000 });
    limit_to(20 << 20);
    let result = f.resolve(Some(&large));
    unlimit();
    match result {
        Ok(_) => {}
        Err(e) => assert_eq!(e.kind(), ErrorKind::OutOfMemory, "{name}: {e}"),
    }
    // The process goes on.
    f.resolve(Some(&small)).unwrap();
}

/// Every kind that computes on an image, in a child of its own: a 2000 x 2000 image in 20 MiB more
/// than is in use gives its image or `OutOfMemory` (issue 12: `Gaussian`, `Poisson`, `Background`,
/// `Median(axis=0)` aborted on an infallible copy).
#[test]
fn every_image_kind_that_cannot_allocate_is_out_of_memory() {
    let kinds = image_kinds();
    assert!(kinds.len() > 80, "{} kinds", kinds.len());
    for chunk in kinds.chunks(2) {
        // Two children at a time.
        let children: Vec<_> = chunk
            .iter()
            .map(|(name, _)| {
                let child = Command::new(std::env::current_exe().unwrap())
                    .args(["one_image_kind_in_a_small_address_space", "--exact", "--nocapture", "--test-threads=1"])
                    .env(CHILD, "one_image_kind_in_a_small_address_space")
                    .env("DEEPTRACK_SWEEP_KIND", name)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap();
                (name, child)
            })
            .collect();
        for (name, child) in children {
            let output = child.wait_with_output().unwrap();
            let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
            assert!(output.status.success(), "{name} ({:?}):\n{stdout}\n{stderr}", output.status);
            assert!(stdout.contains("1 passed"), "{name}: the child ran no test:\n{stdout}");
        }
    }
}

/// `get_propagation_matrix` of a shape that cannot be allocated is `OutOfMemory` before anything of
/// its size is computed (its frequencies were collected first, infallibly, and aborted).
#[test]
fn a_propagation_matrix_that_cannot_be_allocated_is_out_of_memory() {
    use deeptrack::features::holography::propagation_matrix;
    for shape in [[1 << 40, 1], [1, 1 << 40], [1 << 31, 1 << 31]] {
        let err = propagation_matrix(shape, 1e-6, 1e-7, 5e-7, 0.0, 0.0).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::OutOfMemory, "{err}");
        assert!(err.to_string().starts_with(&format!("cannot allocate a {} x {} matrix", shape[0], shape[1])), "{err}");
    }
    assert_eq!(propagation_matrix([2, 3], 1e-6, 1e-7, 5e-7, 0.0, 0.0).unwrap().shape(), [2, 3, 2]);
}
