//! A Rust program that depends on the `deeptrack` crate and sets its own global allocator
//! (tests/rust_dependent.rs builds and runs it; it sits in src/ so that cargo does not take it for an
//! integration test of the crate). It links only if the crate leaves the allocator to
//! the program, and it checks that the library's allocations go through this one. The allocator can
//! also be told to refuse large blocks, which shows that the Rust API reports an allocation that
//! fails as `OutOfMemory` rather than panicking or aborting.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use deeptrack::{ErrorKind, Feature, Image, Rule, Value, features};

/// The system allocator, counting its allocations, and refusing blocks of [`REFUSE_FROM`] bytes or
/// more.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

/// Blocks of this many bytes or more are refused (null), as when memory runs out.
static REFUSE_FROM: AtomicUsize = AtomicUsize::new(usize::MAX);

// SAFETY: forwards every call to the system allocator with the caller's arguments, or returns null
// (an allocation that failed), which every caller of a global allocator must handle.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        if layout.size() >= REFUSE_FROM.load(Ordering::Relaxed) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's guarantees hold for System too.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from System.alloc with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() {
    let add = features::builtin("Add").expect("Add is a built-in kind");
    add.set_property("value", Rule::constant(Value::Float(2.0))).expect("a valid value");
    let input = Image::from_slice(&[2, 2], &[0.0, 1.0, 2.0, 3.0]).expect("an image");
    let pipeline = Feature::repeat(&add, 3).expect("a repeat");
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let out = pipeline.resolve_one(Some(&input)).expect("resolves").expect("an image");
    let during = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert_eq!(out.as_slice(), &[6.0, 7.0, 8.0, 9.0]);
    assert!(during > 0, "the library's allocations did not go through the program's allocator");
    println!("own allocator: {during} allocations while resolving, result {:?}", out.as_slice());

    println!("{}", properties_out_of_memory());
    println!("{}", permuted_out_of_memory());
    println!("{}", views_out_of_memory());
}

/// The values of a property over the 4,096 dicts of `Add ^ 4096` with stored properties, read while
/// blocks of 4 KiB or more are refused: `OutOfMemory` (the list of 4,096 references needs 32 KiB),
/// and the same call succeeds once memory is back.
fn properties_out_of_memory() -> String {
    let add = features::builtin("Add").expect("Add is a built-in kind");
    add.set_property("value", Rule::constant(Value::Float(1.0))).expect("a valid value");
    let pipeline = Feature::repeat(&add, 4096).expect("a repeat");
    pipeline.store_properties(true);
    let input = Image::from_slice(&[1], &[0.0]).expect("an image");
    let out = pipeline.resolve_one(Some(&input)).expect("resolves").expect("an image");
    assert_eq!(out.as_slice(), &[4096.0]);
    REFUSE_FROM.store(4096, Ordering::Relaxed);
    let refused = out.get_properties("value");
    REFUSE_FROM.store(usize::MAX, Ordering::Relaxed);
    let err = refused.expect_err("a list of 4,096 values cannot be allocated");
    assert_eq!(err.kind(), ErrorKind::OutOfMemory, "{err}");
    assert_eq!(out.get_properties("value").expect("memory is back").len(), 4096);
    format!("get_properties without memory: {err}")
}

/// `Power` (2) of a transposed 64 × 128 image (a view of its input's samples in another order,
/// whose C-order copy takes 64 KiB) while blocks of 64 KiB or more are refused: `OutOfMemory` (not
/// a panic), and the same call gives the squares in the transposed order once memory is back.
fn permuted_out_of_memory() -> String {
    let (rows, cols) = (64, 128);
    let samples: Vec<f64> = (0..rows * cols).map(|i| i as f64).collect();
    let input = Image::from_slice(&[rows, cols], &samples).expect("an image");
    let transposed = input.permuted_axes(&[1, 0]).expect("a permutation");
    assert!(transposed.is_permuted() && transposed.shares_samples(&input));
    let power = features::builtin("Power").expect("Power is a built-in kind");
    power.set_property("value", Rule::constant(Value::Float(2.0))).expect("a valid value");
    REFUSE_FROM.store(rows * cols * 8, Ordering::Relaxed);
    let refused = power.resolve_one(Some(&transposed));
    REFUSE_FROM.store(usize::MAX, Ordering::Relaxed);
    let err = refused.expect_err("the C-order copy cannot be allocated");
    assert_eq!(err.kind(), ErrorKind::OutOfMemory, "{err}");
    let out = power.resolve_one(Some(&transposed)).expect("memory is back").expect("an image");
    assert_eq!(out.shape(), [cols, rows]);
    let squares = out.to_array().expect("an array");
    for c in 0..cols {
        for r in 0..rows {
            assert_eq!(squares[[c, r]], ((r * cols + c) as f64).powi(2), "at ({c}, {r})");
        }
    }
    format!("a permuted image without memory: {err}")
}

/// `FlipLR` then `Crop` of a 64 × 128 image while blocks of 32 KiB or more are refused: both are views
/// (O(1), nothing large allocated), and `Power` (2) of the crop, whose C-order copy takes 32 KiB, is
/// `OutOfMemory` (not a panic); once memory is back it gives the squares of the flipped crop.
fn views_out_of_memory() -> String {
    let (rows, cols) = (64, 128);
    let samples: Vec<f64> = (0..rows * cols).map(|i| i as f64).collect();
    let input = Image::from_slice(&[rows, cols], &samples).expect("an image");
    let kind = |name: &str, props: &[(&str, Value)]| {
        let f = features::builtin(name).expect("a built-in kind");
        for (k, v) in props {
            f.set_property(k, Rule::constant(v.clone())).expect("a valid value");
        }
        f
    };
    let flip = kind("FlipLR", &[("p", Value::Float(1.0))]);
    let crop = kind(
        "Crop",
        &[
            ("crop", Value::List(vec![Value::Int(64), Value::Int(64)])),
            ("corner", Value::List(vec![Value::Int(0), Value::Int(10)])),
        ],
    );
    let power = kind("Power", &[("value", Value::Float(2.0))]);
    REFUSE_FROM.store(64 * 64 * 8, Ordering::Relaxed);
    let flipped = flip.resolve_one(Some(&input));
    let cropped = flipped.as_ref().ok().and_then(|f| f.as_ref()).map(|f| crop.resolve_one(Some(f)));
    let refused = match &cropped {
        Some(Ok(Some(c))) => Some(power.resolve_one(Some(c))),
        _ => None,
    };
    REFUSE_FROM.store(usize::MAX, Ordering::Relaxed);
    let cropped = cropped.expect("the flip is a view").expect("the crop is a view").expect("an image");
    assert!(cropped.is_permuted() && cropped.shares_samples(&input));
    let err = refused.expect("a crop").expect_err("the C-order copy cannot be allocated");
    assert_eq!(err.kind(), ErrorKind::OutOfMemory, "{err}");
    let squares = power.resolve_one(Some(&cropped)).expect("memory is back").expect("an image");
    let squares = squares.to_array().expect("an array");
    for r in 0..rows {
        for c in 0..64 {
            assert_eq!(squares[[r, c]], ((r * cols + cols - 1 - (c + 10)) as f64).powi(2), "at ({r}, {c})");
        }
    }
    format!("a cropped view without memory: {err}")
}
