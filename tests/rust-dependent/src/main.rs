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
    println!("{}", narrow_out_of_memory());
    println!("{}", views_out_of_memory());
    println!("{}", narrow_view_out_of_memory());
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

/// `Add` (1) of `AsType('int32')`'s 64 × 128 image (int32 samples, 32 KiB, whose float64 values take
/// 64 KiB) while blocks of 64 KiB or more are refused: `OutOfMemory` naming the float64 values (not
/// a panic), and once memory is back the same call gives the values plus one, the conversion kept.
fn narrow_out_of_memory() -> String {
    let (rows, cols) = (64, 128);
    let samples: Vec<f64> = (0..rows * cols).map(|i| i as f64 + 0.5).collect();
    let input = Image::from_slice(&[rows, cols], &samples).expect("an image");
    let cast = features::builtin("AsType").expect("AsType is a built-in kind");
    cast.set_property("dtype", Rule::constant(Value::str("int32"))).expect("a valid dtype");
    let narrow = cast.resolve_one(Some(&input)).expect("resolves").expect("an image");
    let (held, _) = narrow.narrow_samples().expect("int32 samples");
    assert!(held.float64_if_converted().is_none());
    let add = features::builtin("Add").expect("Add is a built-in kind");
    add.set_property("value", Rule::constant(Value::Float(1.0))).expect("a valid value");
    REFUSE_FROM.store(rows * cols * 8, Ordering::Relaxed);
    let refused = add.resolve_one(Some(&narrow));
    REFUSE_FROM.store(usize::MAX, Ordering::Relaxed);
    let err = refused.expect_err("the float64 values cannot be allocated");
    assert_eq!(err.kind(), ErrorKind::OutOfMemory, "{err}");
    assert!(err.to_string().contains("float64 values"), "{err}");
    let out = add.resolve_one(Some(&narrow)).expect("memory is back").expect("an image");
    assert!(held.float64_if_converted().is_some(), "converted once, and kept");
    let expected: Vec<f64> = (0..rows * cols).map(|i| i as f64 + 1.0).collect();
    assert_eq!(out.contiguous().expect("float64"), &expected[..]);
    format!("a narrow image without memory: {err}")
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

/// `FlipLR` of `AsType('uint8')`'s 64 × 128 image (8 KiB of uint8 samples) while blocks of 64 KiB (its
/// float64 values) or more are refused: the flip is a view of the narrow samples (nothing converted),
/// and `Add` (1) of it is `OutOfMemory` naming the float64 values (not a panic); once memory is back
/// it gives the flipped values plus one.
fn narrow_view_out_of_memory() -> String {
    let (rows, cols) = (64, 128);
    let samples: Vec<f64> = (0..rows * cols).map(|i| (i % 251) as f64 + 0.5).collect();
    let input = Image::from_slice(&[rows, cols], &samples).expect("an image");
    let cast = features::builtin("AsType").expect("AsType is a built-in kind");
    cast.set_property("dtype", Rule::constant(Value::str("uint8"))).expect("a valid dtype");
    let flip = features::builtin("FlipLR").expect("FlipLR is a built-in kind");
    flip.set_property("p", Rule::constant(Value::Float(1.0))).expect("a valid p");
    let add = features::builtin("Add").expect("Add is a built-in kind");
    add.set_property("value", Rule::constant(Value::Float(1.0))).expect("a valid value");
    let narrow = cast.resolve_one(Some(&input)).expect("resolves").expect("an image");
    REFUSE_FROM.store(rows * cols * 8, Ordering::Relaxed);
    let flipped = flip.resolve_one(Some(&narrow));
    let refused = flipped.as_ref().ok().and_then(|f| f.as_ref()).map(|f| add.resolve_one(Some(f)));
    REFUSE_FROM.store(usize::MAX, Ordering::Relaxed);
    let flipped = flipped.expect("the flip is a view").expect("an image");
    let (held, _) = flipped.narrow_samples().expect("the flip shares the uint8 samples");
    assert!(flipped.shares_samples(&narrow));
    let err = refused.expect("a flip").expect_err("the float64 values cannot be allocated");
    assert_eq!(err.kind(), ErrorKind::OutOfMemory, "{err}");
    assert!(err.to_string().contains("float64 values"), "{err}");
    assert!(held.float64_if_converted().is_none(), "nothing converted while refused");
    let out = add.resolve_one(Some(&flipped)).expect("memory is back").expect("an image");
    let out = out.to_array().expect("an array");
    for r in 0..rows {
        for c in 0..cols {
            let v = ((r * cols + cols - 1 - c) % 251) as f64;
            assert_eq!(out[[r, c]], v + 1.0, "at ({r}, {c})");
        }
    }
    format!("a flipped narrow image without memory: {err}")
}
