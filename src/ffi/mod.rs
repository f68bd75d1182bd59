//! The C ABI. It only converts arguments, calls the Rust API and converts results and errors back.
//!
//! Conventions (see `include/deeptrack.h`):
//! * every fallible function returns a `deeptrack_status` (0 = `DEEPTRACK_STATUS_OK`) and writes its
//!   results to trailing out-parameters, only on success;
//! * the last error of the calling thread is read with `deeptrack_last_error_message`;
//! * every pointer is checked; handles carry a type tag, so a handle of the wrong type (and, in most
//!   cases, an already freed one) is reported as `DEEPTRACK_STATUS_INVALID_HANDLE`;
//! * panics never cross the boundary: they become `DEEPTRACK_STATUS_PANIC`.
#![allow(non_camel_case_types)]

use std::alloc::Layout;
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::ffi::{CStr, CString};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU8, Ordering};

use libc::{c_char, size_t};

use crate::error::{Error, ErrorKind};
use crate::sync::{Lock, Recover, overwrite};

pub mod batch;
pub mod camera;
pub mod dtype;
pub mod feature;
pub mod feature_values;
pub mod holography;
pub mod image;
pub mod image_list;
pub mod kind;
pub mod merge;
pub mod mie;
pub mod object;
pub mod radialcenter;
pub mod rule;
pub mod scatterer;
pub mod sequence;
pub mod table;
pub mod value;

/// Status code returned by every fallible function: `DEEPTRACK_STATUS_OK` (0) or an error.
pub type deeptrack_status = u32;

/// Success.
pub const DEEPTRACK_STATUS_OK: deeptrack_status = 0;
/// A required pointer argument was NULL.
pub const DEEPTRACK_STATUS_NULL_ARGUMENT: deeptrack_status = 1;
/// An argument or property value is outside its domain (NaN, negative size, bad shape, …).
pub const DEEPTRACK_STATUS_INVALID_ARGUMENT: deeptrack_status = 2;
/// A string argument is not valid UTF-8.
pub const DEEPTRACK_STATUS_INVALID_UTF8: deeptrack_status = 3;
/// A value has the wrong kind (e.g. a string where a number is expected).
pub const DEEPTRACK_STATUS_TYPE_MISMATCH: deeptrack_status = 4;
/// A property, key or feature kind does not exist.
pub const DEEPTRACK_STATUS_NOT_FOUND: deeptrack_status = 5;
/// An index is past the end.
pub const DEEPTRACK_STATUS_OUT_OF_RANGE: deeptrack_status = 6;
/// A caller buffer is too short; the needed size was written where the function says.
pub const DEEPTRACK_STATUS_BUFFER_TOO_SMALL: deeptrack_status = 7;
/// Sampling rules depend on each other in a cycle.
pub const DEEPTRACK_STATUS_CYCLE: deeptrack_status = 8;
/// A callback returned a non-OK status or no result.
pub const DEEPTRACK_STATUS_CALLBACK_FAILED: deeptrack_status = 9;
/// A handle is of the wrong type or was already freed.
pub const DEEPTRACK_STATUS_INVALID_HANDLE: deeptrack_status = 10;
/// Memory could not be allocated, or a requested size does not fit in memory.
pub const DEEPTRACK_STATUS_OUT_OF_MEMORY: deeptrack_status = 11;
/// The feature is being resolved (on another thread, or by the caller's callbacks), or the call
/// would wait for a callback running on another thread that waits for the calling thread, or has
/// waited behind one call of such a callback for the callback wait limit (see the thread-safety
/// notes at the top of this header, and `deeptrack_set_callback_wait`).
pub const DEEPTRACK_STATUS_BUSY: deeptrack_status = 12;
/// A panic inside the library was caught; the message says where.
pub const DEEPTRACK_STATUS_PANIC: deeptrack_status = 13;
/// Not an error, and never returned by the library: what a feature's `deeptrack_get_fn` returns to give
/// no image (DeepTrack2's `get` returning `None`; see `deeptrack_get_fn`). Any other callback
/// returning it fails the resolve as another status would.
pub const DEEPTRACK_STATUS_NO_IMAGE: deeptrack_status = 14;

pub(crate) fn status_of(kind: ErrorKind) -> deeptrack_status {
    match kind {
        ErrorKind::NullArgument => DEEPTRACK_STATUS_NULL_ARGUMENT,
        ErrorKind::InvalidArgument => DEEPTRACK_STATUS_INVALID_ARGUMENT,
        ErrorKind::InvalidUtf8 => DEEPTRACK_STATUS_INVALID_UTF8,
        ErrorKind::TypeMismatch => DEEPTRACK_STATUS_TYPE_MISMATCH,
        ErrorKind::NotFound => DEEPTRACK_STATUS_NOT_FOUND,
        ErrorKind::OutOfRange => DEEPTRACK_STATUS_OUT_OF_RANGE,
        ErrorKind::BufferTooSmall => DEEPTRACK_STATUS_BUFFER_TOO_SMALL,
        ErrorKind::Cycle => DEEPTRACK_STATUS_CYCLE,
        ErrorKind::CallbackFailed => DEEPTRACK_STATUS_CALLBACK_FAILED,
        ErrorKind::InvalidHandle => DEEPTRACK_STATUS_INVALID_HANDLE,
        ErrorKind::OutOfMemory => DEEPTRACK_STATUS_OUT_OF_MEMORY,
        ErrorKind::Busy => DEEPTRACK_STATUS_BUSY,
        ErrorKind::Panic => DEEPTRACK_STATUS_PANIC,
    }
}

pub(crate) fn kind_of(status: deeptrack_status) -> ErrorKind {
    match status {
        DEEPTRACK_STATUS_NULL_ARGUMENT => ErrorKind::NullArgument,
        DEEPTRACK_STATUS_INVALID_ARGUMENT => ErrorKind::InvalidArgument,
        DEEPTRACK_STATUS_INVALID_UTF8 => ErrorKind::InvalidUtf8,
        DEEPTRACK_STATUS_TYPE_MISMATCH => ErrorKind::TypeMismatch,
        DEEPTRACK_STATUS_NOT_FOUND => ErrorKind::NotFound,
        DEEPTRACK_STATUS_OUT_OF_RANGE => ErrorKind::OutOfRange,
        DEEPTRACK_STATUS_BUFFER_TOO_SMALL => ErrorKind::BufferTooSmall,
        DEEPTRACK_STATUS_CYCLE => ErrorKind::Cycle,
        DEEPTRACK_STATUS_INVALID_HANDLE => ErrorKind::InvalidHandle,
        DEEPTRACK_STATUS_OUT_OF_MEMORY => ErrorKind::OutOfMemory,
        DEEPTRACK_STATUS_BUSY => ErrorKind::Busy,
        DEEPTRACK_STATUS_PANIC => ErrorKind::Panic,
        _ => ErrorKind::CallbackFailed,
    }
}

thread_local! {
    /// The last error message of this thread, and how many errors were recorded so far.
    static LAST_ERROR: RefCell<(u64, CString)> = RefCell::new((0, CString::default()));
}

/// Records `e` as the calling thread's last error (for entry points that cannot return a status).
pub(crate) fn record(e: &Error) {
    set_last_error(&e.to_string());
}

pub(crate) fn set_last_error(message: &str) {
    let c = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    // `try_with`: during thread teardown (e.g. from a C++ thread_local destructor) there is no
    // storage left, and the message is dropped rather than aborting.
    let _ = LAST_ERROR.try_with(|e| {
        if let Ok(mut e) = e.try_borrow_mut() {
            e.0 += 1;
            e.1 = c;
        }
    });
}

/// The message of the last error on the calling thread ("" when none), for callbacks that forward it.
pub(crate) fn last_error_string() -> String {
    LAST_ERROR
        .try_with(|e| e.try_borrow().map(|e| e.1.to_string_lossy().into_owned()).unwrap_or_default())
        .unwrap_or_default()
}

/// How many errors this thread has recorded: a callback trampoline compares it before and after the
/// call to tell whether the callback (or a library call it made) left a message.
pub(crate) fn error_generation() -> u64 {
    LAST_ERROR.try_with(|e| e.try_borrow().map(|e| e.0).unwrap_or(0)).unwrap_or(0)
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    format!("internal panic (please report): {what}")
}

thread_local! {
    /// How many entry points are running on this thread (callbacks nest them).
    static ENTRY_DEPTH: Cell<usize> = const { Cell::new(0) };
    /// Where the last panic inside an entry point happened (recorded by the panic hook).
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// 0: the panic hook is not installed, 1: a thread is installing it, 2: installed. Never waited on
/// (a `Once` being run by a thread that a fork leaves behind would block the child forever).
static PANIC_HOOK: AtomicU8 = AtomicU8::new(0);

/// Installs, once, a panic hook that keeps panics inside the library's entry points quiet (they become
/// `DEEPTRACK_STATUS_PANIC` with the message; printing them on the host's stderr would only add noise)
/// and records where they happened. Panics elsewhere in the process go to the hook that was installed
/// before, unchanged.
fn install_panic_hook() {
    if PANIC_HOOK.load(Ordering::Acquire) != 0
        || PANIC_HOOK.compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire).is_err()
    {
        // Installed, or being installed by another thread (a panic meanwhile may print).
        return;
    }
    {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if ENTRY_DEPTH.with(Cell::get) > 0 {
                let at = info.location().map(|l| format!("{}:{}", l.file(), l.line()));
                PANIC_LOCATION.with(|p| *p.borrow_mut() = at);
            } else {
                previous(info);
            }
        }));
    }
    PANIC_HOOK.store(2, Ordering::Release);
}

/// Marks the calling thread as inside an entry point while it lives (also when unwinding). When the
/// outermost one ends, the host's objects let go during the call are released
/// (`crate::sync::deferred`): no lock of the library is held then.
struct EntryScope(#[allow(dead_code)] crate::sync::deferred::Inside);

impl EntryScope {
    fn enter() -> Self {
        install_panic_hook();
        crate::sync::watch_forks();
        ENTRY_DEPTH.with(|d| d.set(d.get() + 1));
        EntryScope(crate::sync::deferred::Inside::enter())
    }
}

impl Drop for EntryScope {
    fn drop(&mut self) {
        ENTRY_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

fn caught_panic(payload: &(dyn Any + Send)) -> String {
    let message = panic_message(payload);
    match PANIC_LOCATION.with(|p| p.borrow_mut().take()) {
        Some(at) => format!("{message} (at {at})"),
        None => message,
    }
}

/// Runs the body of an entry point: maps errors and panics to statuses and records the message.
pub(crate) fn guard(f: impl FnOnce() -> Result<(), Error>) -> deeptrack_status {
    let scope = EntryScope::enter();
    let outcome = catch_unwind(AssertUnwindSafe(f));
    // The scope ends first: releases it deferred may call the library, and this call's message
    // must be the one left.
    drop(scope);
    match outcome {
        Ok(Ok(())) => DEEPTRACK_STATUS_OK,
        Ok(Err(e)) => {
            set_last_error(&e.to_string());
            status_of(e.kind())
        }
        Err(payload) => {
            set_last_error(&caught_panic(payload.as_ref()));
            DEEPTRACK_STATUS_PANIC
        }
    }
}

/// Runs the body of an infallible entry point (a getter): a panic gives `default`.
pub(crate) fn guard_or<T>(default: T, f: impl FnOnce() -> T) -> T {
    let scope = EntryScope::enter();
    let outcome = catch_unwind(AssertUnwindSafe(f));
    drop(scope); // as in `guard`
    match outcome {
        Ok(v) => v,
        Err(payload) => {
            set_last_error(&caught_panic(payload.as_ref()));
            default
        }
    }
}

/// An error for a NULL argument named `arg`.
pub(crate) fn null(arg: &str) -> Error {
    Error::new(ErrorKind::NullArgument, format!("argument '{arg}' is NULL"))
}

/// Checks that an out-parameter is not NULL.
pub(crate) fn check_out<T>(p: *mut T, arg: &str) -> Result<(), Error> {
    if p.is_null() { Err(null(arg)) } else { Ok(()) }
}

/// Reads a NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, arg: &str) -> Result<&'a str, Error> {
    if p.is_null() {
        return Err(null(arg));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str().map_err(|e| {
        Error::new(ErrorKind::InvalidUtf8, format!("argument '{arg}' is not valid UTF-8 (byte {})", e.valid_up_to()))
    })
}

/// Reads a C array argument of `len` elements (`p` may be NULL when `len` is 0).
///
/// # Safety
/// `p` must be NULL or point to `len` readable elements.
pub(crate) unsafe fn slice_arg<'a, T>(p: *const T, len: usize, arg: &str) -> Result<&'a [T], Error> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(null(arg));
    }
    if !p.cast::<T>().is_aligned() {
        return Err(Error::invalid(format!("argument '{arg}' is misaligned")));
    }
    if len > isize::MAX as usize / std::mem::size_of::<T>().max(1) {
        return Err(Error::invalid(format!("argument '{arg}': {len} elements cannot be a buffer")));
    }
    // SAFETY: non-NULL, aligned, `len` elements per the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// A handle type: a marker struct seen by C, backed by a tagged Rust object.
pub(crate) trait Handle {
    /// The Rust object behind the handle.
    type Inner;
    /// Distinct per handle type.
    const TAG: u64;
    /// The C type name, for messages.
    const NAME: &'static str;
}

const FREED_TAG: u64 = 0xDEAD_F4EE_DEAD_F4EE;

#[repr(C)]
pub(crate) struct Tagged<T> {
    tag: u64,
    inner: T,
}

impl<T> Tagged<T> {
    /// A tagged object for a handle of type `H` that lives outside a box (e.g. on the stack for the
    /// duration of a callback).
    pub(crate) fn new<H: Handle<Inner = T>>(inner: T) -> Self {
        Tagged { tag: H::TAG, inner }
    }

    /// Marks the object as no longer valid.
    pub(crate) fn retire(&mut self) {
        // SAFETY: writing our own field.
        unsafe { std::ptr::write_volatile(std::ptr::addr_of_mut!(self.tag), FREED_TAG) };
    }
}

/// Boxes `inner` as a new handle owned by the caller.
pub(crate) fn new_handle<H: Handle>(inner: H::Inner) -> *mut H {
    Box::into_raw(Box::new(Tagged { tag: H::TAG, inner })).cast()
}

fn check_tag<H: Handle>(p: *const H, arg: &str) -> Result<(), Error> {
    if p.is_null() {
        return Err(null(arg));
    }
    if !p.cast::<Tagged<H::Inner>>().is_aligned() {
        return Err(Error::new(ErrorKind::InvalidHandle, format!("argument '{arg}' is not a {} handle", H::NAME)));
    }
    // SAFETY: the caller promises `p` came from this library; an aligned read of the tag word is the
    // check that tells handle types (and most freed handles) apart.
    let tag = unsafe { std::ptr::read_volatile(p.cast::<u64>()) };
    if tag == H::TAG {
        Ok(())
    } else if tag == FREED_TAG {
        Err(Error::new(ErrorKind::InvalidHandle, format!("argument '{arg}' is a {} that was already freed", H::NAME)))
    } else {
        Err(Error::new(ErrorKind::InvalidHandle, format!("argument '{arg}' is not a {} handle", H::NAME)))
    }
}

/// Borrows the object behind a handle.
///
/// # Safety
/// `p` must be NULL or a pointer returned by this library.
pub(crate) unsafe fn borrow<'a, H: Handle>(p: *const H, arg: &str) -> Result<&'a H::Inner, Error> {
    check_tag(p, arg)?;
    // SAFETY: tag checked: `p` points to a live `Tagged<H::Inner>`.
    Ok(unsafe { &(*p.cast::<Tagged<H::Inner>>()).inner })
}

/// Mutably borrows the object behind a handle.
///
/// # Safety
/// As [`borrow`], and no other reference to the object may be live.
pub(crate) unsafe fn borrow_mut<'a, H: Handle>(p: *mut H, arg: &str) -> Result<&'a mut H::Inner, Error> {
    check_tag(p, arg)?;
    // SAFETY: tag checked; exclusivity is the caller's contract.
    Ok(unsafe { &mut (*p.cast::<Tagged<H::Inner>>()).inner })
}

/// How many freed handles keep their (retired) memory, so that using or freeing them again is
/// reported as `DEEPTRACK_STATUS_INVALID_HANDLE` reliably rather than reading reused memory. Each holds
/// only the handle's small header (the object itself is dropped when freed).
const QUARANTINE: usize = 4096;

struct Retired {
    ptr: *mut u8,
    layout: Layout,
}

// SAFETY: a retired block is plain memory owned by the quarantine; nothing else refers to it.
unsafe impl Send for Retired {}

/// The quarantine (a fork-safe lock: see `crate::sync`).
struct Quarantine(VecDeque<Retired>);

impl Recover for Quarantine {
    fn recover(&mut self) {
        // A thread gone with a fork was changing it: start a new one (the old blocks are leaked).
        overwrite(&mut self.0, VecDeque::new());
    }
}

static RETIRED: Lock<Quarantine> = Lock::new(Quarantine(VecDeque::new()));

/// Keeps a freed handle's block for the next [`QUARANTINE`] frees, then releases the oldest.
fn quarantine(ptr: *mut u8, layout: Layout) {
    let evicted = {
        let mut guard = RETIRED.lock();
        let q = &mut guard.0;
        q.push_back(Retired { ptr, layout });
        if q.len() > QUARANTINE { q.pop_front() } else { None }
    };
    if let Some(old) = evicted {
        // SAFETY: the block was allocated by `Box` with this layout, and its contents were moved out.
        unsafe { std::alloc::dealloc(old.ptr, old.layout) };
    }
}

/// Takes back ownership of a handle (for `_free` and for handles passed by ownership). The handle's
/// block is retired (tag overwritten) and quarantined, so a later use or second free of the same
/// pointer is recognised.
///
/// # Safety
/// `p` must be NULL or a pointer returned by this library and not used afterwards.
pub(crate) unsafe fn take<H: Handle>(p: *mut H, arg: &str) -> Result<H::Inner, Error> {
    check_tag(p, arg)?;
    let raw = p.cast::<Tagged<H::Inner>>();
    // SAFETY: tag checked: `raw` is a live boxed `Tagged`. The tag is overwritten first, then the
    // object is moved out exactly once; the block itself stays allocated in the quarantine.
    let inner = unsafe {
        std::ptr::write_volatile(std::ptr::addr_of_mut!((*raw).tag), FREED_TAG);
        std::ptr::read(std::ptr::addr_of!((*raw).inner))
    };
    quarantine(raw.cast(), Layout::new::<Tagged<H::Inner>>());
    Ok(inner)
}

/// Copies `s` with a NUL into a caller buffer (see `deeptrack_last_error_message` for the contract).
///
/// # Safety
/// `buf` must be NULL or point to `len` writable bytes; `needed` must be NULL or writable.
pub(crate) unsafe fn write_string(s: &str, buf: *mut c_char, len: size_t, needed: *mut size_t) -> Result<(), Error> {
    let n = s.len() + 1;
    if !needed.is_null() {
        // SAFETY: non-NULL and writable per the contract.
        unsafe { *needed = n };
    }
    if buf.is_null() || len < n {
        return Err(Error::new(ErrorKind::BufferTooSmall, format!("the buffer holds {len} bytes but {n} are needed")));
    }
    // SAFETY: `buf` holds at least `n` bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr(), buf.cast::<u8>(), s.len());
        *buf.add(s.len()) = 0;
    }
    Ok(())
}

/// Returns the name of a status code as a static NUL-terminated string, e.g.
/// `"DEEPTRACK_STATUS_NOT_FOUND"`; unknown codes give `"DEEPTRACK_STATUS_UNKNOWN"`. Never NULL; the
/// string is static and must not be freed.
#[unsafe(no_mangle)]
pub extern "C" fn deeptrack_status_str(status: deeptrack_status) -> *const c_char {
    guard_or(c"DEEPTRACK_STATUS_UNKNOWN".as_ptr(), || status_name(status).as_ptr())
}

fn status_name(status: deeptrack_status) -> &'static CStr {
    match status {
        DEEPTRACK_STATUS_OK => c"DEEPTRACK_STATUS_OK",
        DEEPTRACK_STATUS_NULL_ARGUMENT => c"DEEPTRACK_STATUS_NULL_ARGUMENT",
        DEEPTRACK_STATUS_INVALID_ARGUMENT => c"DEEPTRACK_STATUS_INVALID_ARGUMENT",
        DEEPTRACK_STATUS_INVALID_UTF8 => c"DEEPTRACK_STATUS_INVALID_UTF8",
        DEEPTRACK_STATUS_TYPE_MISMATCH => c"DEEPTRACK_STATUS_TYPE_MISMATCH",
        DEEPTRACK_STATUS_NOT_FOUND => c"DEEPTRACK_STATUS_NOT_FOUND",
        DEEPTRACK_STATUS_OUT_OF_RANGE => c"DEEPTRACK_STATUS_OUT_OF_RANGE",
        DEEPTRACK_STATUS_BUFFER_TOO_SMALL => c"DEEPTRACK_STATUS_BUFFER_TOO_SMALL",
        DEEPTRACK_STATUS_CYCLE => c"DEEPTRACK_STATUS_CYCLE",
        DEEPTRACK_STATUS_CALLBACK_FAILED => c"DEEPTRACK_STATUS_CALLBACK_FAILED",
        DEEPTRACK_STATUS_INVALID_HANDLE => c"DEEPTRACK_STATUS_INVALID_HANDLE",
        DEEPTRACK_STATUS_OUT_OF_MEMORY => c"DEEPTRACK_STATUS_OUT_OF_MEMORY",
        DEEPTRACK_STATUS_BUSY => c"DEEPTRACK_STATUS_BUSY",
        DEEPTRACK_STATUS_PANIC => c"DEEPTRACK_STATUS_PANIC",
        DEEPTRACK_STATUS_NO_IMAGE => c"DEEPTRACK_STATUS_NO_IMAGE",
        _ => c"DEEPTRACK_STATUS_UNKNOWN",
    }
}

/// Copies the message of the last error on the calling thread into `buf`, NUL-terminated UTF-8, and
/// writes its size including the NUL to `*needed` (when `needed` is not NULL). The message names the
/// feature and property at fault, e.g. `property 'radius' of feature 'Sphere': expected a number, got
/// a string`; it is "" when no error has occurred on this thread. Read it right after the failing
/// call: later calls, successful ones included, may replace it (callbacks failing inside a successful
/// resolve, `deeptrack_set_error_message`, `deeptrack_clear_error`).
///
/// Returns `DEEPTRACK_STATUS_BUFFER_TOO_SMALL` when `buf` is NULL or `len` is less than `*needed`
/// (nothing is written to `buf` then): call with `buf = NULL, len = 0` to query the size.
///
/// # Safety
/// `buf` must be NULL or point to `len` writable bytes; `needed` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_last_error_message(
    buf: *mut c_char,
    len: size_t,
    needed: *mut size_t,
) -> deeptrack_status {
    // Reading the message must not overwrite it, so errors here are not recorded.
    let message = last_error_string();
    // SAFETY: forwarded contract.
    match catch_unwind(AssertUnwindSafe(|| unsafe { write_string(&message, buf, len, needed) })) {
        Ok(Ok(())) => DEEPTRACK_STATUS_OK,
        Ok(Err(e)) => status_of(e.kind()),
        Err(_) => DEEPTRACK_STATUS_PANIC,
    }
}

/// Clears the last error message of the calling thread.
#[unsafe(no_mangle)]
pub extern "C" fn deeptrack_clear_error() {
    guard_or((), || {
        let _ = LAST_ERROR.try_with(|e| {
            if let Ok(mut e) = e.try_borrow_mut() {
                e.1 = CString::default();
            }
        });
    });
}

/// Writes the calling thread's pending warnings into `buf` (NUL-terminated, one per line, oldest
/// first; an empty string when there are none) and clears them. Warnings are what a resolve reports
/// without failing (DeepTrack2's `warnings.warn`): e.g. `NonOverlapping` when it could not place its
/// volumes apart and returned its last placement. They are recorded on the thread that resolved, at
/// most 64 (older ones are dropped first), until taken. `*needed` (if non-NULL) receives the size
/// including the NUL; when `len` is smaller, `DEEPTRACK_STATUS_BUFFER_TOO_SMALL` and the warnings are
/// kept. Like `deeptrack_last_error_message`, it never changes the last error message, so it may be
/// called after a failed resolve before reading that message.
///
/// # Safety
/// `buf` must be NULL or point to `len` writable bytes; `needed` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_take_warnings(
    buf: *mut c_char,
    len: size_t,
    needed: *mut size_t,
) -> deeptrack_status {
    // SAFETY: forwarded contract.
    let taken = catch_unwind(AssertUnwindSafe(|| unsafe {
        let text = crate::warnings::pending().join("\n");
        write_string(&text, buf, len, needed)?;
        crate::warnings::take();
        Ok::<(), Error>(())
    }));
    match taken {
        Ok(Ok(())) => DEEPTRACK_STATUS_OK,
        Ok(Err(e)) => status_of(e.kind()),
        Err(_) => DEEPTRACK_STATUS_PANIC,
    }
}

/// Sets how long a thread waits behind one call of a callback that is not thread-safe and runs on
/// another thread, before the call that waits returns `DEEPTRACK_STATUS_BUSY` (a message saying that
/// the pipeline is held by a running callback): `ms` milliseconds, for every thread (10000 until set).
/// The library cannot see what a running callback waits for: a callback that starts a thread calling
/// the library on a pipeline using the callback (or reading its property) and joins it would
/// otherwise wait forever. Waits behind callbacks shorter than the limit are unaffected. `*previous`
/// (if non-NULL) receives the limit it replaces. Never fails.
///
/// # Safety
/// `previous` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_set_callback_wait(ms: u32, previous: *mut u32) -> deeptrack_status {
    guard(|| {
        let old = crate::sync::host::set_wait_limit(u64::from(ms));
        if !previous.is_null() {
            // SAFETY: checked non-NULL; writable by contract.
            unsafe { *previous = u32::try_from(old).unwrap_or(u32::MAX) };
        }
        Ok(())
    })
}

/// Closes callbacks for good, for a host that is shutting down (Python's `atexit`): from now on the
/// library calls no callback. A call that would run one (a sampling rule, a feature's `get`, a
/// merge) fails with `DEEPTRACK_STATUS_CALLBACK_FAILED` and a message saying callbacks are closed; a
/// progress callback is skipped (the batch goes on); `free_userdata` is not called (the userdata is
/// left to the process's end). Then waits at most `wait_ms` milliseconds, sleeping, for the callbacks
/// running on other threads to return (not for the calling thread's own). `*still_running` (if
/// non-NULL) receives how many still run. An interpreter that ends its threads where they stand (a
/// thread inside a callback unwound by `pthread_exit`) would otherwise abort the process: a forced
/// unwind through the library's frames is undefined. Call it with the interpreter's lock released.
///
/// # Safety
/// `still_running` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_close_callbacks(wait_ms: u32, still_running: *mut size_t) -> deeptrack_status {
    guard(|| {
        let left = crate::sync::host::close(std::time::Duration::from_millis(u64::from(wait_ms)));
        if !still_running.is_null() {
            // SAFETY: checked non-NULL; writable by contract.
            unsafe { *still_running = left };
        }
        Ok(())
    })
}

/// Returns the version of the loaded library, e.g. `"0.1.0"` (compare with `DEEPTRACK_VERSION_STRING`
/// of the header you compiled against). Static; never NULL; must not be freed.
#[unsafe(no_mangle)]
pub extern "C" fn deeptrack_version() -> *const c_char {
    guard_or(std::ptr::null(), || concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_status_panic_with_its_message() {
        let status = guard(|| panic!("the optics exploded"));
        assert_eq!(status, DEEPTRACK_STATUS_PANIC);
        let message = last_error_string();
        assert!(
            message.starts_with("internal panic (please report): the optics exploded (at src/ffi/mod.rs:"),
            "{message}"
        );
        assert_eq!(guard_or(7, || panic!("again")), 7);
        assert!(last_error_string().contains(": again (at "));
    }

    #[test]
    fn errors_map_to_statuses_and_messages() {
        let status = guard(|| Err(Error::not_found("no such thing").in_feature("F")));
        assert_eq!(status, DEEPTRACK_STATUS_NOT_FOUND);
        assert_eq!(last_error_string(), "feature 'F': no such thing");
        for s in 0..=DEEPTRACK_STATUS_PANIC {
            let name = unsafe { CStr::from_ptr(deeptrack_status_str(s)) }.to_str().unwrap();
            assert!(name.starts_with("DEEPTRACK_STATUS_") && name != "DEEPTRACK_STATUS_UNKNOWN", "{s}");
            if s != DEEPTRACK_STATUS_OK {
                assert_eq!(status_of(kind_of(s)), s, "{name} round-trips");
            }
        }
        let name = unsafe { CStr::from_ptr(deeptrack_status_str(DEEPTRACK_STATUS_NO_IMAGE)) };
        assert_eq!(name.to_str().unwrap(), "DEEPTRACK_STATUS_NO_IMAGE");
        // Only a get callback gives it meaning: from any other callback it is a failure.
        assert_eq!(kind_of(DEEPTRACK_STATUS_NO_IMAGE), ErrorKind::CallbackFailed);
    }
}
