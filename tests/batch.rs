//! `resolve_batch`: item i is a pure function of (pipeline, seed, i) whatever the thread count or
//! the split into batches; the pipeline itself is untouched; errors name the failing item; callbacks
//! not declared thread-safe never run on two threads at once (through the C API).

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};

use deeptrack::ffi::feature::*;
use deeptrack::ffi::image::*;
use deeptrack::ffi::rule::*;
use deeptrack::ffi::value::deeptrack_value;
use deeptrack::ffi::value::deeptrack_value_new_float;
use deeptrack::ffi::{DEEPTRACK_STATUS_OK, deeptrack_status};
use deeptrack::{Feature, Image, Rule, Value, features};

/// A random point particle through Fluorescence on 32x32, with Gaussian noise.
fn pipeline() -> Feature {
    let particle = features::builtin("PointParticle").unwrap();
    particle.set_property("position", Rule::uniform_array(&[4.0, 4.0], &[28.0, 28.0]).unwrap()).unwrap();
    particle.set_property("intensity", Rule::uniform(50.0, 150.0).unwrap()).unwrap();
    let optics = features::builtin("Fluorescence").unwrap();
    optics.set_property("output_region", Rule::constant(Value::vector(&[0.0, 0.0, 32.0, 32.0]))).unwrap();
    let noise = features::builtin("Gaussian").unwrap();
    noise.set_property("sigma", Rule::constant(0.01)).unwrap();
    let pipe = Feature::chain(&Feature::microscope(&optics, &Feature::repeat(&particle, 3).unwrap()).unwrap(), &noise)
        .unwrap();
    pipe.store_properties(true);
    pipe
}

fn pixels(images: &[Image]) -> Vec<Vec<f64>> {
    images.iter().map(|i| i.as_slice().to_vec()).collect()
}

#[test]
fn items_depend_only_on_pipeline_seed_and_index() {
    let pipe = pipeline();
    let one_thread = pixels(&pipe.resolve_batch(None, 42, 0, 10, 1).unwrap());
    let two_threads = pixels(&pipe.resolve_batch(None, 42, 0, 10, 2).unwrap());
    assert_eq!(one_thread, two_threads);
    let mut split = pixels(&pipe.resolve_batch(None, 42, 0, 4, 2).unwrap());
    split.extend(pixels(&pipe.resolve_batch(None, 42, 4, 6, 3).unwrap()));
    assert_eq!(one_thread, split);
    // A copy of the pipeline (as another process would build it) gives the same items.
    assert_eq!(pixels(&pipeline().resolve_batch(None, 42, 7, 1, 1).unwrap())[0], one_thread[7]);
    // Items differ from each other and from another seed's.
    for i in 1..10 {
        assert_ne!(one_thread[i], one_thread[0]);
    }
    assert_ne!(pixels(&pipe.resolve_batch(None, 43, 0, 1, 1).unwrap())[0], one_thread[0]);
    // Each item carries its own ground truth.
    let items = pipe.resolve_batch(None, 42, 0, 2, 2).unwrap();
    assert_eq!(items[0].get_properties("position").unwrap().len(), 3);
    assert_ne!(
        items[0].get_property("position").unwrap().to_f64_vec().unwrap(),
        items[1].get_property("position").unwrap().to_f64_vec().unwrap()
    );
}

#[test]
fn the_pipeline_itself_is_untouched() {
    let pipe = pipeline();
    pipe.seed(5).unwrap();
    let before = pipe.resolve_one(None).unwrap().unwrap();
    pipe.resolve_batch(None, 1, 0, 4, 2).unwrap();
    let after = pipe.resolve_one(None).unwrap().unwrap();
    assert!(after.shares_samples(&before), "the cached result is still the same image");
}

#[test]
fn a_batch_runs_on_an_input_and_reports_the_failing_item() {
    let add = features::builtin("Add").unwrap();
    add.set_property("value", Rule::uniform(0.0, 1.0).unwrap()).unwrap();
    let input = Image::zeros(&[2, 2]);
    let items = add.resolve_batch(Some(&input), 3, 0, 3, 2).unwrap();
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|i| i.shape() == [2, 2]));
    let none = features::builtin("DummyFeature").unwrap().resolve_batch(None, 3, 5, 2, 2).unwrap_err();
    assert_eq!(none.to_string(), "feature 'DummyFeature': batch item 5 produced no image");
    assert!(add.resolve_batch(None, 3, 0, 0, 2).unwrap().is_empty());
}

static ACTIVE: AtomicUsize = AtomicUsize::new(0);
static MOST: AtomicUsize = AtomicUsize::new(0);
static SAFE_ACTIVE: AtomicUsize = AtomicUsize::new(0);
static SAFE_MOST: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn slow_sample(
    userdata: *mut c_void,
    _: *mut deeptrack_sample_context,
    out: *mut *mut deeptrack_value,
) -> deeptrack_status {
    let (active, most) = if userdata.is_null() { (&ACTIVE, &MOST) } else { (&SAFE_ACTIVE, &SAFE_MOST) };
    let now = active.fetch_add(1, Ordering::SeqCst) + 1;
    most.fetch_max(now, Ordering::SeqCst);
    if userdata.is_null() {
        std::thread::sleep(std::time::Duration::from_millis(2));
    } else {
        // Thread-safe: stay until another call runs at the same time, however late the scheduler
        // starts the other workers on a loaded machine (a fixed sleep could end first). Bounded, so
        // that a library running them one at a time fails instead of hanging.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while most.load(Ordering::SeqCst) < 2 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
    active.fetch_sub(1, Ordering::SeqCst);
    // SAFETY: the library passes a writable out-pointer.
    unsafe { deeptrack_value_new_float(1.0, out) }
}

fn batch_with_callback(thread_safe: bool) {
    unsafe {
        let mut add = ptr::null_mut();
        assert_eq!(deeptrack_feature_new(c"Add".as_ptr(), &mut add), DEEPTRACK_STATUS_OK);
        let mut rule = ptr::null_mut();
        let userdata: *mut c_void = if thread_safe { std::ptr::dangling_mut::<u8>().cast() } else { ptr::null_mut() };
        let status = if thread_safe {
            deeptrack_rule_callback_threadsafe(Some(slow_sample), userdata, None, &mut rule)
        } else {
            deeptrack_rule_callback(Some(slow_sample), userdata, None, &mut rule)
        };
        assert_eq!(status, DEEPTRACK_STATUS_OK);
        assert_eq!(deeptrack_feature_set_property(add, c"value".as_ptr(), rule), DEEPTRACK_STATUS_OK);
        let (data, shape) = ([0.0f64], [1usize]);
        let mut input = ptr::null_mut();
        assert_eq!(deeptrack_image_new(data.as_ptr(), shape.as_ptr(), 1, &mut input), DEEPTRACK_STATUS_OK);
        let mut out = vec![ptr::null_mut(); 16];
        assert_eq!(deeptrack_feature_resolve_batch(add, input, 9, 0, 16, 4, out.as_mut_ptr()), DEEPTRACK_STATUS_OK);
        for img in out {
            let mut v = [0.0];
            assert_eq!(deeptrack_image_copy_to(img, v.as_mut_ptr(), 1), DEEPTRACK_STATUS_OK);
            assert_eq!(v, [1.0]);
            deeptrack_image_free(img);
        }
        deeptrack_image_free(input);
        deeptrack_feature_free(add);
    }
}

#[test]
fn callbacks_not_declared_thread_safe_never_run_concurrently() {
    batch_with_callback(false);
    assert_eq!(MOST.load(Ordering::SeqCst), 1);
    batch_with_callback(true);
    assert!(SAFE_MOST.load(Ordering::SeqCst) >= 2, "thread-safe callbacks run in parallel");
}

/// What the thread-local destructors of batch workers saw: how many workers touched the thread-local,
/// whether the batch had returned, and how many destructors ran before and after it returned.
#[derive(Default)]
struct WorkerExits {
    touched: usize,
    returned: bool,
    before_return: usize,
    after_return: usize,
}

static WORKER_EXITS: std::sync::Mutex<WorkerExits> =
    std::sync::Mutex::new(WorkerExits { touched: 0, returned: false, before_return: 0, after_return: 0 });
static WORKER_EXITED: std::sync::Condvar = std::sync::Condvar::new();

/// A thread-local with a destructor, as a callback's C++ `thread_local` or the library's own caches.
struct ExitWatch;

impl Drop for ExitWatch {
    fn drop(&mut self) {
        let exits = WORKER_EXITS.lock().unwrap();
        // A destructor still running after the batch returned is of a thread the batch did not
        // join: wait a moment for the batch to return, so that such a thread is caught.
        let (mut exits, _) =
            WORKER_EXITED.wait_timeout_while(exits, std::time::Duration::from_millis(300), |e| !e.returned).unwrap();
        if exits.returned {
            exits.after_return += 1;
        } else {
            exits.before_return += 1;
        }
        WORKER_EXITED.notify_all();
    }
}

thread_local! {
    static EXIT_WATCH: ExitWatch = {
        WORKER_EXITS.lock().unwrap().touched += 1;
        ExitWatch
    };
}

#[test]
fn a_batch_returns_after_its_workers_have_exited() {
    let add = features::builtin("Add").unwrap();
    add.set_property(
        "value",
        Rule::callback(|_| {
            EXIT_WATCH.with(|_| ());
            Ok(Value::from(1.0))
        }),
    )
    .unwrap();
    let items = add.resolve_batch(Some(&Image::zeros(&[1])), 1, 0, 8, 2).unwrap();
    assert_eq!(items.len(), 8);
    let mut exits = WORKER_EXITS.lock().unwrap();
    exits.returned = true;
    WORKER_EXITED.notify_all();
    // Wait for any destructor still running (a worker that was not joined) to report.
    let (exits, _) = WORKER_EXITED
        .wait_timeout_while(exits, std::time::Duration::from_secs(10), |e| e.before_return + e.after_return < e.touched)
        .unwrap();
    assert!(exits.touched >= 1, "the callbacks ran on the batch's workers");
    assert_eq!(exits.after_return, 0, "a worker's thread-local destructors ran after the batch returned");
    assert_eq!(exits.before_return, exits.touched);
}
