//! A Rust program that depends on the `deeptrack` crate and sets its own global allocator
//! (tests/rust_dependent.rs builds and runs it; it sits in src/ so that cargo does not take it for an
//! integration test of the crate). It links only if the crate leaves the allocator to
//! the program, and it checks that the library's allocations go through this one.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use deeptrack::{Feature, Image, Rule, Value, features};

/// The system allocator, counting its allocations.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator with the caller's arguments.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
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
}
