//! C ABI for sampling rules, callbacks and the sampling context.

use std::ffi::c_void;

use libc::{c_char, size_t};

use super::feature::deeptrack_feature;
use super::value::{as_c, deeptrack_value, from_c, value_ref};
use super::{
    DEEPTRACK_STATUS_OK, Handle, Tagged, borrow, check_out, deeptrack_status, error_generation, guard, guard_or,
    kind_of, last_error_string, new_handle, null, set_last_error, slice_arg, str_arg, take,
};
use crate::error::{Error, ErrorKind};
use crate::properties::{Rule, SampleContext};
use crate::sync::host::{self, HostCall};
use crate::sync::{Gate, GateGuard};
use crate::value::Value;

/// A sampling rule: how a property gets its value (constant, random draw, callback, link). Owned by
/// the caller until given to `deeptrack_feature_set_property`, which takes ownership; otherwise free it
/// with `deeptrack_rule_free`.
pub struct deeptrack_rule {
    _private: [u8; 0],
}

impl Handle for deeptrack_rule {
    type Inner = Rule;
    const TAG: u64 = 0x4454_5255_4C45_3031; // "DTRULE01"
    const NAME: &'static str = "deeptrack_rule";
}

/// What a sampling callback sees while it runs: sibling properties, the evaluation's random generator
/// and the replicate index. Valid only during the callback that received it; never stored or freed.
pub struct deeptrack_sample_context {
    _private: [u8; 0],
}

impl Handle for deeptrack_sample_context {
    type Inner = *mut c_void;
    const TAG: u64 = 0x4454_4354_5854_3031; // "DTCTXT01"
    const NAME: &'static str = "deeptrack_sample_context";
}

/// Frees callback userdata; called once, when the last reference to the rule or feature goes. That can
/// happen on any thread that drops the last reference, and never while the library holds a lock, so it
/// may call the library. (Links never form loops: `deeptrack_feature_set_property` refuses a link to a
/// feature that already depends on the linking one, with `DEEPTRACK_STATUS_CYCLE`.)
pub type deeptrack_free_fn = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// A sampling callback. It runs on the thread that resolves, during `deeptrack_feature_resolve` (or
/// `deeptrack_feature_get_property`, or on a worker of `deeptrack_feature_resolve_batch`). Registered
/// with `deeptrack_rule_callback`, it never runs on two threads at once; registered with
/// `deeptrack_rule_callback_threadsafe`, it may, and must then be thread-safe. It returns `DEEPTRACK_STATUS_OK` with a new value in `*out` (the library takes
/// ownership), or any other status to fail the resolve with `DEEPTRACK_STATUS_CALLBACK_FAILED` (call
/// `deeptrack_set_error_message` first to explain why); on failure `*out` is ignored, so free anything
/// you created. `ctx` is valid only during this call (not in nested callbacks). It may call any
/// function of the library: resolving, updating, seeding or batching the pipeline that is calling
/// returns `DEEPTRACK_STATUS_BUSY`, as does a call that would wait for a callback that waits for this
/// one; everything else works (a batch of another pipeline sharing this callback runs it on its
/// workers, one at a time, while this call waits).
pub type deeptrack_sample_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        ctx: *mut deeptrack_sample_context,
        out: *mut *mut deeptrack_value,
    ) -> deeptrack_status,
>;

thread_local! {
    /// The context handle of the innermost sampling callback running on this thread.
    static ACTIVE_CONTEXT: std::cell::Cell<*const c_void> = const { std::cell::Cell::new(std::ptr::null()) };
}

/// Callback userdata with its destructor, and the gate that keeps a callback not declared thread-safe
/// from running on two threads at once.
pub(crate) struct UserData {
    ptr: *mut c_void,
    free: deeptrack_free_fn,
    gate: Option<Gate>,
}

// SAFETY: the C contract says userdata may be used from the threads that resolve and freed from
// whichever thread drops the last reference; the caller accepts that when registering it. Calls of a
// callback not declared thread-safe are serialised by its gate.
unsafe impl Send for UserData {}
// SAFETY: as above.
unsafe impl Sync for UserData {}

impl UserData {
    /// Userdata of a callback that must never run concurrently with itself.
    pub(crate) fn new(ptr: *mut c_void, free: deeptrack_free_fn) -> Self {
        UserData { ptr, free, gate: Some(Gate::default()) }
    }

    /// Userdata of a callback declared thread-safe: it may run on several threads at once.
    pub(crate) fn thread_safe(ptr: *mut c_void, free: deeptrack_free_fn) -> Self {
        UserData { ptr, free, gate: None }
    }

    /// The pointer to pass to the callback.
    pub(crate) fn ptr(&self) -> *mut c_void {
        self.ptr
    }

    /// The destructor the host gave with the pointer.
    pub(crate) fn free_fn(&self) -> deeptrack_free_fn {
        self.free
    }

    /// Waits until no other thread runs this callback (`what`, for the message); held while it runs.
    /// Re-entrant on one thread, and open to the workers of a batch that the running thread waits
    /// for; `ErrorKind::Busy` instead of waiting when the thread running it waits for this one.
    /// Also counts the call as running (`host::close` waits for it); `CallbackFailed` once callbacks are
    /// closed. A thread waits behind one call on another thread at most `host::wait_limit`, then
    /// gets `ErrorKind::Busy`.
    pub(crate) fn enter(&self, what: &str) -> Result<CallGuard<'_>, Error> {
        host::check_open(what)?;
        let gate = self.gate.as_ref().map(|g| g.enter(what)).transpose()?;
        let host = host::enter(what)?;
        Ok(CallGuard { _host: host, _gate: gate })
    }
}

/// Held while a callback runs (see [`UserData::enter`]).
pub(crate) struct CallGuard<'a> {
    // Dropped first: the call is over before the gate opens.
    _host: HostCall,
    _gate: Option<GateGuard<'a>>,
}

impl Drop for UserData {
    fn drop(&mut self) {
        if let Some(free) = self.free {
            // Once callbacks are closed the host is shutting down: its userdata is left to the
            // process's end, as its callbacks are.
            let Ok(_call) = host::enter("free_userdata") else { return };
            // SAFETY: the caller's destructor for its own userdata, called once.
            unsafe { free(self.ptr) };
        }
    }
}

/// The error for a callback that returned `status`, with the message it left (if it, or a library
/// call it made, recorded one since `generation`).
pub(crate) fn callback_error(what: &str, status: deeptrack_status, generation: u64) -> Error {
    let name = super::deeptrack_status_str(status);
    // SAFETY: deeptrack_status_str returns a static NUL-terminated string.
    let name = unsafe { std::ffi::CStr::from_ptr(name) }.to_string_lossy();
    let message = if error_generation() != generation { last_error_string() } else { String::new() };
    let detail = if message.is_empty() {
        format!("{what} returned {name}")
    } else {
        format!("{what} returned {name}: {message}")
    };
    // A callback forwarding a library status keeps its kind only for the one that matters to callers.
    let kind = if kind_of(status) == ErrorKind::Busy { ErrorKind::Busy } else { ErrorKind::CallbackFailed };
    Error::new(kind, detail)
}

fn callback_rule(
    f: unsafe extern "C" fn(*mut c_void, *mut deeptrack_sample_context, *mut *mut deeptrack_value) -> deeptrack_status,
    userdata: UserData,
) -> Rule {
    Rule::callback(move |ctx: &mut dyn SampleContext| {
        let gate = userdata.enter("the sampling callback")?;
        let mut ctx_ref: &mut dyn SampleContext = ctx;
        let mut handle =
            Tagged::new::<deeptrack_sample_context>((&mut ctx_ref as *mut &mut dyn SampleContext).cast::<c_void>());
        let handle_ptr: *mut Tagged<*mut c_void> = &mut handle;
        let mut out: *mut deeptrack_value = std::ptr::null_mut();
        let generation = error_generation();
        // Only the innermost running callback's context may be used (a nested callback's outer
        // context would alias the inner one).
        let outer = ACTIVE_CONTEXT.replace(handle_ptr.cast_const().cast());
        // SAFETY: calling the user's callback with its userdata, a context valid for this call and an
        // out-pointer.
        let status = unsafe { f(userdata.ptr(), handle_ptr.cast(), &mut out) };
        drop(gate);
        ACTIVE_CONTEXT.set(outer);
        handle.retire();
        if status != DEEPTRACK_STATUS_OK {
            // `*out` is ignored on failure: the callback frees what it created (values carry no tag,
            // so taking it could free a value twice).
            return Err(callback_error("the sampling callback", status, generation));
        }
        if out.is_null() {
            return Err(Error::new(
                ErrorKind::CallbackFailed,
                "the sampling callback returned DEEPTRACK_STATUS_OK but no value",
            ));
        }
        // SAFETY: the callback handed over ownership of a value it created.
        unsafe { from_c(out, "out") }
    })
}

/// Borrows the sampling context behind a handle.
///
/// # Safety
/// `ctx` must be NULL or the context passed to the running callback.
unsafe fn context<'a>(ctx: *mut deeptrack_sample_context) -> Result<&'a mut dyn SampleContext, Error> {
    if !ctx.is_null() && ACTIVE_CONTEXT.get() != ctx.cast::<c_void>().cast_const() {
        return Err(Error::new(
            ErrorKind::InvalidHandle,
            "argument 'ctx' is not the context of the running callback (contexts are valid only during their own call)",
        ));
    }
    // SAFETY: forwarded contract.
    let inner = unsafe { borrow(ctx.cast_const(), "ctx")? };
    // SAFETY: the tag proves this is a live context; it points to a `&mut dyn SampleContext` on the
    // stack of the callback trampoline, alive for the duration of the callback.
    Ok(unsafe { &mut **inner.cast::<&mut dyn SampleContext>() })
}

fn write_rule(out: *mut *mut deeptrack_rule, rule: Result<Rule, Error>) -> Result<(), Error> {
    let rule = rule?;
    // SAFETY: callers check `out` first.
    unsafe { *out = new_handle::<deeptrack_rule>(rule) };
    Ok(())
}

/// A rule that always gives a copy of `v` (`v` stays the caller's). On success `*out` receives a new
/// rule owned by the caller.
///
/// # Safety
/// `v` must be NULL or a live value; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_rule_constant(
    v: *const deeptrack_value,
    out: *mut *mut deeptrack_rule,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let v = unsafe { value_ref(v, "v")? }.clone();
        write_rule(out, Ok(Rule::Constant(v)))
    })
}

/// A rule giving a length of `v` pixels in meters: `v` (a number, an array, or a list of them; it
/// stays the caller's) times the camera pixel in sample space of the optics imaging the feature
/// (`resolution / magnification`; 1 µm outside a microscope), as DeepTrack2 converts `10 *
/// units.pixel` given to a property in meters (a scatterer's `radius`). Sampled when the feature is,
/// so inside the microscope that images it. `DEEPTRACK_STATUS_INVALID_ARGUMENT` for other values. On
/// success `*out` receives a new rule owned by the caller.
///
/// # Safety
/// `v` must be NULL or a live value; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_rule_pixels(
    v: *const deeptrack_value,
    out: *mut *mut deeptrack_rule,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let v = unsafe { value_ref(v, "v")? }.clone();
        write_rule(out, Rule::pixels(v).map_err(|e| Error::new(e.kind(), format!("argument 'v': {e}"))))
    })
}

/// A rule giving a length of `v` meters in camera pixels: `v` (a number, an array, or a list of them;
/// it stays the caller's) divided by the camera pixel in sample space of the optics imaging the
/// feature (`resolution / magnification`; 1 µm outside a microscope), as DeepTrack2 converts `2 *
/// units.um` given to a property in pixels (a scatterer's `position` or `z`, flagged
/// `DEEPTRACK_PARAM_FLAG_PIXELS`). Sampled when the feature is, so inside the microscope that images
/// it. `DEEPTRACK_STATUS_INVALID_ARGUMENT` for other values. On success `*out` receives a new rule
/// owned by the caller.
///
/// # Safety
/// `v` must be NULL or a live value; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_rule_meters(
    v: *const deeptrack_value,
    out: *mut *mut deeptrack_rule,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let v = unsafe { value_ref(v, "v")? }.clone();
        write_rule(out, Rule::meters(v).map_err(|e| Error::new(e.kind(), format!("argument 'v': {e}"))))
    })
}

/// A rule drawing a float from U[low, high). `DEEPTRACK_STATUS_INVALID_ARGUMENT` unless both are finite
/// and `low <= high`. On success `*out` receives a new rule owned by the caller.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_rule_uniform(
    low: f64,
    high: f64,
    out: *mut *mut deeptrack_rule,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        write_rule(out, Rule::uniform(low, high))
    })
}

/// A rule drawing a 1-d array of `n` floats, element i from U[low[i], high[i]) (e.g. a position
/// `U(0,1)^2 * (256, 256)` is `low = {0, 0}, high = {256, 256}`). `DEEPTRACK_STATUS_INVALID_ARGUMENT`
/// unless every bound is finite and `low[i] <= high[i]`. On success `*out` is owned by the caller.
///
/// # Safety
/// `low` and `high` must point to `n` doubles each; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_rule_uniform_array(
    low: *const f64,
    high: *const f64,
    n: size_t,
    out: *mut *mut deeptrack_rule,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let low = unsafe { slice_arg(low, n, "low")? };
        // SAFETY: forwarded contract.
        let high = unsafe { slice_arg(high, n, "high")? };
        write_rule(out, Rule::uniform_array(low, high))
    })
}

/// A rule drawing a float from N(mean, std²). `DEEPTRACK_STATUS_INVALID_ARGUMENT` unless both are
/// finite and `std >= 0`. On success `*out` is owned by the caller.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_rule_normal(mean: f64, std: f64, out: *mut *mut deeptrack_rule) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        write_rule(out, Rule::normal(mean, std))
    })
}

/// A rule drawing an integer from [low, high). `DEEPTRACK_STATUS_INVALID_ARGUMENT` when the range is
/// empty. On success `*out` is owned by the caller.
///
/// # Safety
/// `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_rule_randint(
    low: i64,
    high: i64,
    out: *mut *mut deeptrack_rule,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        write_rule(out, Rule::randint(low, high))
    })
}

/// A rule choosing one item of `list` uniformly (the items are copied; `list` stays the caller's).
/// `DEEPTRACK_STATUS_TYPE_MISMATCH` if `list` is not a LIST, `DEEPTRACK_STATUS_INVALID_ARGUMENT` if it
/// is empty. On success `*out` is owned by the caller.
///
/// # Safety
/// `list` must be NULL or a live value; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_rule_choice(
    list: *const deeptrack_value,
    out: *mut *mut deeptrack_rule,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let items = unsafe { value_ref(list, "list")? }.as_list().map_err(|e| e.in_property("list"))?.to_vec();
        write_rule(out, Rule::choice(items))
    })
}

/// A rule computed by `fn(userdata, ctx, out)` (see `deeptrack_sample_fn`). Reading sibling properties
/// through `deeptrack_context_get` makes them dependencies, sampled first; draw random numbers through
/// `deeptrack_context_uniform` / `_normal` so that seeding makes them reproducible. On success `*out`
/// is owned by the caller and the rule owns `userdata`: `free_userdata(userdata)` (if not NULL) runs
/// when the last feature or rule using it is freed. On failure nothing is taken. The library never
/// runs this callback on two threads at once (a batch serialises its calls); use
/// `deeptrack_rule_callback_threadsafe` for a callback that may.
///
/// # Safety
/// `fn` must be NULL or a valid callback; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_rule_callback(
    r#fn: deeptrack_sample_fn,
    userdata: *mut c_void,
    free_userdata: deeptrack_free_fn,
    out: *mut *mut deeptrack_rule,
) -> deeptrack_status {
    new_callback_rule(r#fn, userdata, free_userdata, false, out)
}

/// The body of `deeptrack_rule_callback` and of its thread-safe variant; the userdata is taken over
/// only once the arguments are checked.
fn new_callback_rule(
    f: deeptrack_sample_fn,
    userdata: *mut c_void,
    free_userdata: deeptrack_free_fn,
    thread_safe: bool,
    out: *mut *mut deeptrack_rule,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        let f = f.ok_or_else(|| null("fn"))?;
        let userdata = if thread_safe {
            UserData::thread_safe(userdata, free_userdata)
        } else {
            UserData::new(userdata, free_userdata)
        };
        write_rule(out, Ok(callback_rule(f, userdata)))
    })
}

/// Like `deeptrack_rule_callback`, for a callback that is thread-safe: the library may run it on
/// several threads at once (the workers of `deeptrack_feature_resolve_batch`, or pipelines sharing it
/// on different threads), which lets a batch use every core.
///
/// # Safety
/// `fn` must be NULL or a valid, thread-safe callback; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_rule_callback_threadsafe(
    r#fn: deeptrack_sample_fn,
    userdata: *mut c_void,
    free_userdata: deeptrack_free_fn,
    out: *mut *mut deeptrack_rule,
) -> deeptrack_status {
    new_callback_rule(r#fn, userdata, free_userdata, true, out)
}

/// A rule linking to property `key` of feature `source` (`B(pos=A.pos)`): within one resolve it gives
/// the same value as `source`'s property (inside a repeat, the value of the same repetition, or the
/// shared one when `source` is outside the repeat), and updating the feature that uses the rule
/// re-samples the source property too. The rule keeps `source` alive. `DEEPTRACK_STATUS_NOT_FOUND`
/// when `source` has no property `key`; `deeptrack_feature_set_property` refuses the rule with
/// `DEEPTRACK_STATUS_CYCLE` when `source` already depends on the feature being set (a loop). On success
/// `*out` is owned by the caller.
///
/// # Safety
/// `source` must be NULL or a live feature; `key` NULL or NUL-terminated; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_rule_property_of(
    source: *mut deeptrack_feature,
    key: *const c_char,
    out: *mut *mut deeptrack_rule,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let source = unsafe { borrow(source.cast_const(), "source")? };
        // SAFETY: forwarded contract.
        let key = unsafe { str_arg(key, "key")? };
        write_rule(out, Rule::property_of(source, key))
    })
}

/// A rule whose value is the output of resolving `source` without input, at the replicate index of
/// the property being sampled (DeepTrack2's feature-valued property: `X + Y` is `X >> Add(value=Y)`):
/// none when `source` produces no image, its data as an ARRAY for one image, a LIST of arrays for
/// several. Within one resolve it is computed once per replicate index, and updating the feature that
/// uses the rule re-samples `source` too. The rule keeps `source` alive. A feature given as the value of
/// its own property is `DEEPTRACK_STATUS_INVALID_ARGUMENT`, and one that already depends on the feature
/// being set `DEEPTRACK_STATUS_CYCLE` (both from `deeptrack_feature_set_property`).
/// On success `*out` is owned by the caller.
///
/// # Safety
/// `source` must be NULL or a live feature; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_rule_feature(
    source: *mut deeptrack_feature,
    out: *mut *mut deeptrack_rule,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let source = unsafe { borrow(source.cast_const(), "source")? };
        write_rule(out, Ok(Rule::feature_output(source)))
    })
}

/// A rule whose value is a LIST (a TUPLE when `tuple`) of the values of the `n` rules at `items`, each
/// sampled in turn, as DeepTrack2 samples the callables, features and properties inside a list
/// property: `feature[mask]` is `Slice(slices = [the output of mask])`. An item that is a feature's
/// output (`deeptrack_rule_feature`) of one boolean image gives a nested LIST of BOOLs (a mask, as
/// numpy reads it in an index). The items are copied (they stay the caller's; a feature they hold is
/// shared). `DEEPTRACK_STATUS_INVALID_ARGUMENT` for a sequential item. On success `*out` is owned by
/// the caller.
///
/// # Safety
/// `items` must be NULL (only with `n` 0) or point to `n` pointers, each NULL or a live rule; `out`
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_rule_list(
    items: *const *const deeptrack_rule,
    n: size_t,
    tuple: bool,
    out: *mut *mut deeptrack_rule,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let handles = unsafe { slice_arg(items, n, "items")? };
        let mut rules = Vec::new();
        rules
            .try_reserve_exact(n)
            .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {n} rules")))?;
        for (i, h) in handles.iter().enumerate() {
            // SAFETY: forwarded contract.
            rules.push(unsafe { borrow(*h, &format!("items[{i}]"))? }.clone());
        }
        write_rule(out, Rule::items(rules, tuple))
    })
}

/// Frees a rule the caller still owns (not one given to `deeptrack_feature_set_property`). NULL is a
/// no-op.
///
/// # Safety
/// `rule` must be NULL or a rule from this library, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_rule_free(rule: *mut deeptrack_rule) {
    guard_or((), || {
        if !rule.is_null() {
            // SAFETY: forwarded contract.
            if let Err(e) = unsafe { take(rule, "rule") } {
                super::record(&e);
            }
        }
    })
}

/// Inside a sampling callback: borrows the value of sibling property `name` of the same feature,
/// sampling it first if needed (which makes it a dependency). Valid until the callback returns; do not
/// free. `DEEPTRACK_STATUS_NOT_FOUND` for an unknown name, `DEEPTRACK_STATUS_CYCLE` for a dependency
/// cycle.
///
/// # Safety
/// `ctx` must be the context passed to the running callback; `name` NUL-terminated; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_context_get(
    ctx: *mut deeptrack_sample_context,
    name: *const c_char,
    out: *mut *const deeptrack_value,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let ctx = unsafe { context(ctx)? };
        // SAFETY: forwarded contract.
        let name = unsafe { str_arg(name, "name")? };
        let v: &Value = ctx.get(name)?;
        // SAFETY: checked non-NULL.
        unsafe { *out = as_c(v) };
        Ok(())
    })
}

/// Inside a sampling callback: draws `*out` from U[0, 1) with the evaluation's (seedable) generator.
///
/// # Safety
/// `ctx` must be the context passed to the running callback; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_context_uniform(
    ctx: *mut deeptrack_sample_context,
    out: *mut f64,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let x = unsafe { context(ctx)? }.uniform();
        // SAFETY: checked non-NULL.
        unsafe { *out = x };
        Ok(())
    })
}

/// Inside a sampling callback: `*out` receives DeepTrack2's `pixel` unit in meters: the camera pixel
/// in sample space of the optics imaging the feature (`resolution / magnification`), or 1 µm outside
/// a microscope (DeepTrack2's `get_active_voxel_size()`), to give lengths in pixels.
///
/// # Safety
/// `ctx` must be the context passed to the running callback; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_context_pixel_size(
    ctx: *mut deeptrack_sample_context,
    out: *mut f64,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let x = unsafe { context(ctx)? }.pixel_size();
        // SAFETY: checked non-NULL.
        unsafe { *out = x };
        Ok(())
    })
}

/// Inside a sampling callback: draws `*out` from the standard normal distribution with the
/// evaluation's (seedable) generator.
///
/// # Safety
/// `ctx` must be the context passed to the running callback; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_context_normal(
    ctx: *mut deeptrack_sample_context,
    out: *mut f64,
) -> deeptrack_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let x = unsafe { context(ctx)? }.normal();
        // SAFETY: checked non-NULL.
        unsafe { *out = x };
        Ok(())
    })
}

/// Inside a sampling callback: the replicate index (`_ID`). `*depth` receives its length (0 at top
/// level, 1 inside a repeat, …) and `index[0..depth]` its entries. `DEEPTRACK_STATUS_BUFFER_TOO_SMALL`
/// when `cap < depth` (`*depth` is still written). `index` may be NULL when `cap` is 0.
///
/// # Safety
/// `ctx` must be the context passed to the running callback; `index` NULL or `cap` writable sizes;
/// `depth` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_context_replicate_index(
    ctx: *mut deeptrack_sample_context,
    index: *mut size_t,
    cap: size_t,
    depth: *mut size_t,
) -> deeptrack_status {
    guard(|| {
        check_out(depth, "depth")?;
        // SAFETY: forwarded contract.
        let id = unsafe { context(ctx)? }.replicate_index();
        // SAFETY: checked non-NULL.
        unsafe { *depth = id.len() };
        if cap < id.len() {
            return Err(Error::new(
                ErrorKind::BufferTooSmall,
                format!("argument 'cap' is {cap} but the replicate index has {} entries", id.len()),
            ));
        }
        if !id.is_empty() {
            check_out(index, "index")?;
            // SAFETY: `index` holds at least `cap >= id.len()` sizes.
            unsafe { std::ptr::copy_nonoverlapping(id.as_ptr(), index, id.len()) };
        }
        Ok(())
    })
}

/// Sets the calling thread's last error message, so that a callback can explain a failure: the
/// library includes it in the error of the resolve that the callback fails. `message` must be UTF-8:
/// otherwise `DEEPTRACK_STATUS_INVALID_UTF8`, and the last error says so instead.
///
/// # Safety
/// `message` must be NULL (clears the message) or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn deeptrack_set_error_message(message: *const c_char) -> deeptrack_status {
    guard(|| {
        let text = if message.is_null() {
            ""
        } else {
            // SAFETY: forwarded contract (NUL-terminated).
            unsafe { str_arg(message, "message")? }
        };
        set_last_error(text);
        Ok(())
    })
}
