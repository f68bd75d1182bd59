//! Interprets bytes as a program of C API calls: build features, set rules, chain, repeat, image,
//! resolve, batch, update, read properties and images, free; and callbacks that call the library back
//! (resolve, batch, update, seed, get a property of any feature slot) from the resolving thread, from
//! batch workers or nested in each other. Shared by the cargo-fuzz target
//! (`fuzz/fuzz_targets/api_calls.rs`) and the corpus replay test (`tests/fuzz_corpus.rs`).
//!
//! The one property checked: no call returns `DEEPTRACK_STATUS_PANIC` (a bug), and every failing call
//! leaves an error message, callbacks' calls included. Crashes, aborts, leaks (under a sanitizer) and
//! hangs (deadlocks included) are what the fuzzer itself detects. Sizes are kept small so that every
//! program runs in milliseconds.

#![allow(dead_code, clippy::missing_safety_doc)]

use std::ffi::{CString, c_void};
use std::ptr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use deeptrack::ffi::feature::*;
use deeptrack::ffi::image::*;
use deeptrack::ffi::rule::*;
use deeptrack::ffi::value::*;
use deeptrack::ffi::{DEEPTRACK_STATUS_OK, DEEPTRACK_STATUS_PANIC, deeptrack_last_error_message, deeptrack_status};

const SLOTS: usize = 6;

/// The kinds programs create: every built-in kind of the registry, and one that does not exist.
fn kinds() -> &'static [&'static str] {
    static KINDS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    KINDS.get_or_init(|| {
        let mut kinds = deeptrack::features::builtin_names();
        kinds.push("NoSuchKind");
        kinds
    })
}

const KEYS: &[&[u8]] = &[
    b"value",
    b"N",
    b"name",
    b"position",
    b"z",
    b"radius",
    b"intensity",
    b"refractive_index",
    b"NA",
    b"wavelength",
    b"magnification",
    b"resolution",
    b"output_region",
    b"padding",
    b"upscale",
    b"sigma",
    b"mu",
    b"ksize",
    b"min",
    b"max",
    b"p",
    b"augment",
    b"px",
    b"crop",
    b"corner",
    b"snr",
    b"offset",
    b"return_field",
    b"rotation",
    b"track_me",
    b"",
    b"_ID",
    b"bad\xffkey",
];

const NUMBERS: &[f64] = &[
    0.0,
    1.0,
    -1.0,
    0.5,
    2.0,
    3.0,
    8.0,
    16.0,
    24.0,
    1e-6,
    5e-7,
    6.8e-7,
    0.8,
    1.33,
    1.45,
    1e9,
    -1e9,
    1e-300,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    1e300,
    100.0,
    0.01,
];

/// How many library calls the callbacks of one program may make (each may run callbacks that call
/// again, on several batch workers: bounded so that every program stays small).
const REENTRY_BUDGET: usize = 8;

/// What callbacks that call the library back share with the program: its feature slots (read while
/// the program waits in a library call, never written then), the calls left, and the first broken
/// rule they saw (a panic inside a callback would abort; the program reports it after the call).
struct Reentry {
    features: *const [*mut deeptrack_feature; SLOTS],
    budget: AtomicUsize,
    failure: Mutex<Option<String>>,
}

// SAFETY: `features` points into the machine's boxed slots, which outlive every callback (callbacks
// run only inside the machine's library calls) and are not written while a call runs.
unsafe impl Sync for Reentry {}
// SAFETY: as above.
unsafe impl Send for Reentry {}

/// A re-entrant callback's userdata: what it calls (an action and a feature slot).
struct Reenter {
    mode: usize,
    reentry: *const Reentry,
}

unsafe extern "C" fn free_reenter(userdata: *mut c_void) {
    // SAFETY: userdata is the box made by `reenter_data`, freed once by the library.
    drop(unsafe { Box::from_raw(userdata.cast::<Reenter>()) });
}

/// Calls the library back from a callback, as `data` says, if the budget allows.
///
/// # Safety
/// `data` must be a live `Reenter` whose machine is running a library call.
unsafe fn reenter(data: *const Reenter) {
    // SAFETY: forwarded contract.
    let (data, r) = unsafe { (&*data, &*(*data).reentry) };
    if r.budget.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| b.checked_sub(1)).is_err() {
        return;
    }
    // SAFETY: the slots are live (or null) while the machine waits in a library call.
    let f = unsafe { (*r.features)[data.mode % SLOTS] };
    // SAFETY: `f` is live or null; every out-pointer is local.
    let (status, what) = unsafe {
        match (data.mode / SLOTS) % 6 {
            0 => {
                let mut out = ptr::null_mut();
                let s = deeptrack_feature_resolve(f, ptr::null(), &mut out);
                deeptrack_image_free(out);
                (s, "re-entrant resolve")
            }
            1 | 2 => {
                let mut out = [ptr::null_mut(); 2];
                let threads = (data.mode / SLOTS) % 6;
                let s = deeptrack_feature_resolve_batch(f, ptr::null(), 7, 0, 2, threads, out.as_mut_ptr());
                out.iter().for_each(|img| deeptrack_image_free(*img));
                (s, "re-entrant batch")
            }
            3 => (deeptrack_feature_update(f), "re-entrant update"),
            4 => (deeptrack_feature_seed(f, 3), "re-entrant seed"),
            _ => {
                let mut v = ptr::null_mut();
                let s = deeptrack_feature_get_property(f, c"name".as_ptr(), &mut v);
                deeptrack_value_free(v);
                (s, "re-entrant get_property")
            }
        }
    };
    let broken = if status == DEEPTRACK_STATUS_PANIC {
        Some(format!("{what} panicked: {}", last_error()))
    } else if status != DEEPTRACK_STATUS_OK && last_error().is_empty() {
        Some(format!("{what} failed without a message"))
    } else {
        None
    };
    if let Some(message) = broken {
        r.failure.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(message);
    }
}

unsafe extern "C" fn reenter_sample_cb(
    userdata: *mut c_void,
    _ctx: *mut deeptrack_sample_context,
    out: *mut *mut deeptrack_value,
) -> deeptrack_status {
    // SAFETY: userdata is a live `Reenter`; the library passes a writable out-pointer.
    unsafe {
        reenter(userdata.cast());
        deeptrack_value_new_float(1.0, out)
    }
}

unsafe extern "C" fn reenter_get_cb(
    userdata: *mut c_void,
    _input: *const deeptrack_image,
    _props: *const deeptrack_property_dict,
    _output: *mut *mut deeptrack_image,
) -> deeptrack_status {
    // SAFETY: userdata is a live `Reenter`.
    unsafe { reenter(userdata.cast()) };
    DEEPTRACK_STATUS_OK
}

/// The program's state: handles by slot.
pub struct Machine {
    /// Boxed: re-entrant callbacks read them through `reentry`.
    features: Box<[*mut deeptrack_feature; SLOTS]>,
    reentry: Box<Reentry>,
    images: [*mut deeptrack_image; SLOTS],
    values: [*mut deeptrack_value; SLOTS],
    depth: [u32; SLOTS],
    pub calls: usize,
}

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn next(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn pick(&mut self, n: usize) -> usize {
        self.next().map_or(0, |b| b as usize % n)
    }
    fn number(&mut self) -> f64 {
        NUMBERS[self.pick(NUMBERS.len())]
    }
}

fn check(status: deeptrack_status, what: &str) -> bool {
    assert_ne!(status, DEEPTRACK_STATUS_PANIC, "{what} panicked: {}", last_error());
    if status != DEEPTRACK_STATUS_OK {
        assert!(!last_error().is_empty(), "{what} failed without a message");
    }
    status == DEEPTRACK_STATUS_OK
}

fn last_error() -> String {
    let mut buf = vec![0u8; 4096];
    let mut needed = 0;
    // SAFETY: buf holds 4096 writable bytes.
    unsafe { deeptrack_last_error_message(buf.as_mut_ptr().cast(), buf.len(), &mut needed) };
    String::from_utf8_lossy(&buf[..needed.saturating_sub(1).min(buf.len())]).into_owned()
}

unsafe extern "C" fn get_cb(
    userdata: *mut c_void,
    input: *const deeptrack_image,
    _props: *const deeptrack_property_dict,
    output: *mut *mut deeptrack_image,
) -> deeptrack_status {
    match userdata as usize % 3 {
        0 => DEEPTRACK_STATUS_OK,
        1 => 9,
        _ if input.is_null() => DEEPTRACK_STATUS_OK,
        // SAFETY: the library passes a live input and a writable output.
        _ => unsafe { deeptrack_image_clone(input, output) },
    }
}

unsafe extern "C" fn sample_cb(
    userdata: *mut c_void,
    ctx: *mut deeptrack_sample_context,
    out: *mut *mut deeptrack_value,
) -> deeptrack_status {
    // SAFETY: the library passes a live context and a writable out-pointer.
    unsafe {
        match userdata as usize % 4 {
            0 => {
                let mut u = 0.0;
                let s = deeptrack_context_uniform(ctx, &mut u);
                if s != DEEPTRACK_STATUS_OK {
                    return s;
                }
                deeptrack_value_new_float(u * 16.0, out)
            }
            1 => 2,
            2 => DEEPTRACK_STATUS_OK, // no value
            _ => {
                let mut v = ptr::null();
                let s = deeptrack_context_get(ctx, c"value".as_ptr(), &mut v);
                if s != DEEPTRACK_STATUS_OK {
                    return s;
                }
                deeptrack_value_clone(v, out)
            }
        }
    }
}

impl Default for Machine {
    fn default() -> Self {
        let features = Box::new([ptr::null_mut(); SLOTS]);
        let reentry = Box::new(Reentry {
            features: &*features,
            budget: AtomicUsize::new(REENTRY_BUDGET),
            failure: Mutex::new(None),
        });
        Machine {
            features,
            reentry,
            images: [ptr::null_mut(); SLOTS],
            values: [ptr::null_mut(); SLOTS],
            depth: [0; SLOTS],
            calls: 0,
        }
    }
}

impl Machine {
    /// Runs the program in `data` (at most 96 operations); returns how many calls it made.
    pub fn run(data: &[u8]) -> usize {
        Machine::run_counting(data).0
    }

    /// [`Machine::run`], also returning how many calls its callbacks made back into the library.
    pub fn run_counting(data: &[u8]) -> (usize, usize) {
        let mut m = Machine::default();
        let mut bytes = Bytes(data);
        let mut ops = 0;
        while let Some(op) = bytes.next() {
            ops += 1;
            if ops > 96 {
                break;
            }
            // SAFETY: every handle in the slots is live (freed slots are nulled).
            unsafe { m.step(op, &mut bytes) };
        }
        let calls = m.calls;
        let reentered = REENTRY_BUDGET - m.reentry.budget.load(Ordering::SeqCst);
        drop(m);
        (calls, reentered)
    }

    fn put_feature(&mut self, slot: usize, f: *mut deeptrack_feature, depth: u32) {
        // SAFETY: the slot's handle is live or null.
        unsafe { deeptrack_feature_free(self.features[slot]) };
        self.features[slot] = f;
        self.depth[slot] = depth;
    }

    fn put_image(&mut self, slot: usize, img: *mut deeptrack_image) {
        // SAFETY: the slot's handle is live or null.
        unsafe { deeptrack_image_free(self.images[slot]) };
        self.images[slot] = img;
    }

    fn put_value(&mut self, slot: usize, v: *mut deeptrack_value) {
        // SAFETY: the slot's handle is live or null.
        unsafe { deeptrack_value_free(self.values[slot]) };
        self.values[slot] = v;
    }

    fn call(&mut self, status: deeptrack_status, what: &str) -> bool {
        self.calls += 1;
        if let Some(broken) = self.reentry.failure.lock().unwrap_or_else(|e| e.into_inner()).take() {
            panic!("in a callback of {what}: {broken}");
        }
        check(status, what)
    }

    /// Userdata for a re-entrant callback, from the program's bytes.
    fn reenter_data(&self, b: &mut Bytes) -> *mut c_void {
        let mode = b.pick(6 * SLOTS);
        Box::into_raw(Box::new(Reenter { mode, reentry: &*self.reentry })).cast()
    }

    /// The extended operations (op bytes 240 to 255): batches, and callbacks calling the library back.
    unsafe fn extended(&mut self, op: u8, slot: usize, other: usize, b: &mut Bytes) {
        unsafe {
            match op - 240 {
                0..=5 => {
                    let input = if b.pick(2) == 0 { ptr::null() } else { self.images[other].cast_const() };
                    let (first, count, threads) = (b.pick(4) as u64, b.pick(4), 1 + b.pick(2));
                    let mut out = [ptr::null_mut(); 3];
                    let s = deeptrack_feature_resolve_batch(
                        self.features[slot],
                        input,
                        b.pick(256) as u64,
                        first,
                        count,
                        threads,
                        out.as_mut_ptr(),
                    );
                    if self.call(s, "resolve_batch") {
                        out.iter().take(count).for_each(|img| deeptrack_image_free(*img));
                    }
                }
                6..=10 => {
                    let key = CString::new(KEYS[b.pick(KEYS.len())].to_vec()).unwrap();
                    let data = self.reenter_data(b);
                    let mut r = ptr::null_mut();
                    let new = if b.pick(2) == 0 { deeptrack_rule_callback } else { deeptrack_rule_callback_threadsafe };
                    if self.call(new(Some(reenter_sample_cb), data, Some(free_reenter), &mut r), "callback") {
                        let s = deeptrack_feature_set_property(self.features[slot], key.as_ptr(), r);
                        self.call(s, "set_property");
                    }
                }
                _ => {
                    let data = self.reenter_data(b);
                    let mut f = ptr::null_mut();
                    let new = if b.pick(2) == 0 {
                        deeptrack_feature_new_custom
                    } else {
                        deeptrack_feature_new_custom_threadsafe
                    };
                    if self.call(
                        new(c"Reenter".as_ptr(), Some(reenter_get_cb), data, Some(free_reenter), &mut f),
                        "custom",
                    ) {
                        self.put_feature(slot, f, 1);
                    }
                }
            }
        }
    }

    unsafe fn new_value(&mut self, b: &mut Bytes) -> *mut deeptrack_value {
        let mut v = ptr::null_mut();
        let status = unsafe {
            match b.pick(7) {
                0 => deeptrack_value_new_float(b.number(), &mut v),
                1 => deeptrack_value_new_int(b.pick(9) as i64 - 2, &mut v),
                2 => deeptrack_value_new_bool(b.pick(2) == 1, &mut v),
                3 => deeptrack_value_new_string(c"random".as_ptr(), &mut v),
                4 => {
                    let xs: Vec<f64> = (0..b.pick(5)).map(|_| b.number()).collect();
                    let n = xs.len();
                    deeptrack_value_new_array(xs.as_ptr(), &n, 1, &mut v)
                }
                5 => deeptrack_value_new_none(&mut v),
                _ => {
                    let s = deeptrack_value_new_list(&mut v);
                    for _ in 0..b.pick(4) {
                        let mut item = ptr::null_mut();
                        deeptrack_value_new_float(b.number(), &mut item);
                        deeptrack_value_list_push(v, item);
                        deeptrack_value_free(item);
                    }
                    s
                }
            }
        };
        self.call(status, "value_new");
        v
    }

    unsafe fn new_rule(&mut self, b: &mut Bytes) -> *mut deeptrack_rule {
        let mut r = ptr::null_mut();
        let status = unsafe {
            match b.pick(9) {
                0 | 1 => {
                    let v = self.new_value(b);
                    let s = deeptrack_rule_constant(v, &mut r);
                    deeptrack_value_free(v);
                    s
                }
                2 => deeptrack_rule_uniform(b.number(), b.number(), &mut r),
                3 => {
                    let (lo, hi) = ([b.number(), b.number()], [b.number(), b.number()]);
                    deeptrack_rule_uniform_array(lo.as_ptr(), hi.as_ptr(), 2, &mut r)
                }
                4 => deeptrack_rule_normal(b.number(), b.number(), &mut r),
                5 => deeptrack_rule_randint(b.pick(5) as i64 - 1, b.pick(5) as i64, &mut r),
                6 => deeptrack_rule_callback(Some(sample_cb), b.pick(4) as *mut c_void, None, &mut r),
                7 => {
                    let key = CString::new(KEYS[b.pick(KEYS.len())].to_vec()).unwrap();
                    deeptrack_rule_property_of(self.features[b.pick(SLOTS)], key.as_ptr(), &mut r)
                }
                _ => deeptrack_rule_feature(self.features[b.pick(SLOTS)], &mut r),
            }
        };
        self.call(status, "rule");
        r
    }

    unsafe fn step(&mut self, op: u8, b: &mut Bytes) {
        let slot = b.pick(SLOTS);
        let other = b.pick(SLOTS);
        if op >= 240 {
            // SAFETY: forwarded contract.
            return unsafe { self.extended(op, slot, other, b) };
        }
        unsafe {
            match op % 20 {
                0 => {
                    let kind = CString::new(kinds()[b.pick(kinds().len())]).unwrap();
                    let mut f = ptr::null_mut();
                    if self.call(deeptrack_feature_new(kind.as_ptr(), &mut f), "feature_new") {
                        self.put_feature(slot, f, 1);
                    }
                }
                1 => {
                    let mut f = ptr::null_mut();
                    let mode = b.pick(3) as *mut c_void;
                    if self.call(
                        deeptrack_feature_new_custom(c"Custom".as_ptr(), Some(get_cb), mode, None, &mut f),
                        "custom",
                    ) {
                        self.put_feature(slot, f, 1);
                    }
                }
                2 | 3 => {
                    let key = CString::new(KEYS[b.pick(KEYS.len())].to_vec()).unwrap();
                    let rule = self.new_rule(b);
                    let s = deeptrack_feature_set_property(self.features[slot], key.as_ptr(), rule);
                    self.call(s, "set_property");
                }
                4 => {
                    let (a, c) = (self.features[slot], self.features[other]);
                    let depth = self.depth[slot].max(self.depth[other]) + 1;
                    let mut f = ptr::null_mut();
                    if depth < 12 && self.call(deeptrack_feature_chain(a, c, &mut f), "chain") {
                        self.put_feature(b.pick(SLOTS), f, depth);
                    }
                }
                5 => {
                    let mut f = ptr::null_mut();
                    let depth = self.depth[slot] + 2;
                    if depth < 6
                        && self.call(deeptrack_feature_repeat(self.features[slot], b.pick(4), &mut f), "repeat")
                    {
                        self.put_feature(b.pick(SLOTS), f, depth);
                    }
                }
                6 => {
                    let mut f = ptr::null_mut();
                    let depth = self.depth[slot].max(self.depth[other]) + 1;
                    let s = deeptrack_feature_microscope(self.features[slot], self.features[other], &mut f);
                    if depth < 12 && self.call(s, "microscope") {
                        self.put_feature(b.pick(SLOTS), f, depth);
                    } else if s == DEEPTRACK_STATUS_OK {
                        deeptrack_feature_free(f);
                    }
                }
                7 => {
                    self.call(deeptrack_feature_store_properties(self.features[slot], b.pick(2) == 1), "store");
                }
                8 => {
                    self.call(deeptrack_feature_seed(self.features[slot], b.pick(256) as u64), "seed");
                }
                9 => {
                    self.call(deeptrack_feature_update(self.features[slot]), "update");
                }
                10 | 11 => {
                    let input = if b.pick(3) == 0 { ptr::null() } else { self.images[other].cast_const() };
                    let mut out = ptr::null_mut();
                    if self.call(deeptrack_feature_resolve(self.features[slot], input, &mut out), "resolve") {
                        self.put_image(b.pick(SLOTS), out);
                    }
                }
                12 => {
                    let mut outs = [ptr::null_mut(); 4];
                    let mut count = 0;
                    let input = self.images[other].cast_const();
                    let s =
                        deeptrack_feature_resolve_many(self.features[slot], input, outs.as_mut_ptr(), 4, &mut count);
                    if self.call(s, "resolve_many") {
                        for img in outs.iter().take(count) {
                            deeptrack_image_free(*img);
                        }
                    }
                }
                13 => {
                    let key = CString::new(KEYS[b.pick(KEYS.len())].to_vec()).unwrap();
                    let mut v = ptr::null_mut();
                    if self.call(deeptrack_feature_get_property(self.features[slot], key.as_ptr(), &mut v), "get") {
                        self.put_value(other, v);
                    }
                }
                14 => {
                    let shape: Vec<usize> = (0..b.pick(4)).map(|_| b.pick(12)).collect();
                    let n: usize = shape.iter().product();
                    let data: Vec<f64> = (0..n).map(|i| (i % 5) as f64 * b.number().min(1e6)).collect();
                    let mut img = ptr::null_mut();
                    let s = deeptrack_image_new(data.as_ptr(), shape.as_ptr(), shape.len(), &mut img);
                    if self.call(s, "image_new") {
                        self.put_image(slot, img);
                    }
                }
                15 => self.read_image(self.images[slot], b),
                16 => {
                    let (dst, src) = (self.images[slot], self.images[other]);
                    match b.pick(3) {
                        0 => {
                            self.call(deeptrack_image_merge_properties_from(dst, src), "merge");
                        }
                        1 => {
                            let mut d = ptr::null();
                            if !src.is_null() && deeptrack_image_property_count(src) > 0 {
                                deeptrack_image_property_dict(src, 0, &mut d);
                                self.call(deeptrack_image_append_properties(dst, d), "append");
                            }
                        }
                        _ => {
                            let keys = [c"k".as_ptr(), c"name".as_ptr()];
                            let values = [self.values[0].cast_const(), self.values[1].cast_const()];
                            let n = b.pick(3);
                            let s = deeptrack_image_push_properties(
                                dst,
                                keys.as_ptr(),
                                values.as_ptr(),
                                n,
                                ptr::null_mut(),
                            );
                            self.call(s, "push");
                        }
                    }
                }
                17 => {
                    let v = self.new_value(b);
                    self.put_value(slot, v);
                }
                18 => {
                    let v = self.values[slot];
                    let mut buf = [0i8; 64];
                    let mut needed = 0;
                    self.calls += 1;
                    check_buffer(deeptrack_value_repr(v, buf.as_mut_ptr(), buf.len(), &mut needed), "value_repr");
                    let mut copy = ptr::null_mut();
                    if self.call(deeptrack_value_clone(v, &mut copy), "clone") {
                        self.call(deeptrack_value_list_push(copy, self.values[other]), "push");
                        deeptrack_value_free(copy);
                    }
                }
                _ => match b.pick(3) {
                    0 => self.put_feature(slot, ptr::null_mut(), 0),
                    1 => self.put_image(slot, ptr::null_mut()),
                    _ => self.put_value(slot, ptr::null_mut()),
                },
            }
        }
    }

    unsafe fn read_image(&mut self, img: *const deeptrack_image, b: &mut Bytes) {
        unsafe {
            let ndim = deeptrack_image_ndim(img);
            let mut shape = [0usize; 4];
            check_buffer(deeptrack_image_shape(img, shape.as_mut_ptr(), shape.len().min(b.pick(5))), "shape");
            let (mut data, mut len) = (ptr::null(), 0);
            if self.call(deeptrack_image_data(img, &mut data, &mut len), "data") && len > 0 {
                let sum: f64 = std::slice::from_raw_parts(data, len).iter().sum();
                std::hint::black_box(sum);
            }
            let mut buf = vec![0.0; b.pick(64)];
            check_buffer(deeptrack_image_copy_to(img, buf.as_mut_ptr(), buf.len()), "copy_to");
            for i in 0..deeptrack_image_property_count(img).min(8) {
                let mut d = ptr::null();
                if !self.call(deeptrack_image_property_dict(img, i, &mut d), "dict") {
                    continue;
                }
                let mut text = [0i8; 128];
                let mut needed = 0;
                check_buffer(deeptrack_property_dict_repr(d, text.as_mut_ptr(), text.len(), &mut needed), "repr");
                for k in 0..deeptrack_property_dict_len(d) {
                    let mut key = ptr::null();
                    if self.call(deeptrack_property_dict_key(d, k, &mut key), "key") {
                        let mut v = ptr::null();
                        self.call(deeptrack_property_dict_get(d, key, &mut v), "dict_get");
                        let _ = deeptrack_value_kind(v);
                    }
                }
            }
            let key = CString::new(KEYS[b.pick(KEYS.len())].to_vec()).unwrap();
            let mut v = ptr::null_mut();
            if self.call(deeptrack_image_get_property(img, key.as_ptr(), b.pick(2) == 0, &mut v), "get_property") {
                deeptrack_value_free(v);
            }
            std::hint::black_box(ndim);
        }
    }
}

fn check_buffer(status: deeptrack_status, what: &str) {
    assert_ne!(status, DEEPTRACK_STATUS_PANIC, "{what} panicked: {}", last_error());
}

impl Drop for Machine {
    fn drop(&mut self) {
        for slot in 0..SLOTS {
            self.put_feature(slot, ptr::null_mut(), 0);
            self.put_image(slot, ptr::null_mut());
            self.put_value(slot, ptr::null_mut());
        }
    }
}
