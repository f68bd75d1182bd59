//! Handles used from several threads at once through the C API: independent pipelines resolving in
//! parallel give exactly the images they give alone, one image read by many threads reads the same
//! everywhere, a feature shared by pipelines on different threads stays consistent, and a pipeline
//! already resolving on another thread answers BUSY instead of racing.

use std::ptr;
use std::sync::{Arc, Barrier};
use std::thread;

use deeptrack::ffi::feature::*;
use deeptrack::ffi::image::*;
use deeptrack::ffi::rule::*;
use deeptrack::ffi::value::*;
use deeptrack::ffi::{DEEPTRACK_STATUS_BUSY, DEEPTRACK_STATUS_OK, deeptrack_status};

fn ok(status: deeptrack_status) {
    assert_eq!(status, DEEPTRACK_STATUS_OK);
}

/// Raw handles moved between threads (the C API allows it; the test keeps each use valid).
struct Send<T>(*mut T);
impl<T> Clone for Send<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Send<T> {}
unsafe impl<T> std::marker::Send for Send<T> {}
unsafe impl<T> Sync for Send<T> {}

unsafe fn feature(kind: &str) -> *mut deeptrack_feature {
    let kind = std::ffi::CString::new(kind).unwrap();
    let mut f = ptr::null_mut();
    ok(unsafe { deeptrack_feature_new(kind.as_ptr(), &mut f) });
    f
}

unsafe fn set(f: *mut deeptrack_feature, key: &std::ffi::CStr, v: *mut deeptrack_value) {
    let mut r = ptr::null_mut();
    ok(unsafe { deeptrack_rule_constant(v, &mut r) });
    unsafe { deeptrack_value_free(v) };
    ok(unsafe { deeptrack_feature_set_property(f, key.as_ptr(), r) });
}

unsafe fn vector(xs: &[f64]) -> *mut deeptrack_value {
    let mut v = ptr::null_mut();
    let n = xs.len();
    ok(unsafe { deeptrack_value_new_array(xs.as_ptr(), &n, 1, &mut v) });
    v
}

/// A random point particle imaged by fluorescence on 24x24, plus Gaussian noise, seeded.
unsafe fn pipeline(seed: u64) -> *mut deeptrack_feature {
    unsafe {
        let particle = feature("PointParticle");
        let (lo, hi) = ([4.0, 4.0], [20.0, 20.0]);
        let mut r = ptr::null_mut();
        ok(deeptrack_rule_uniform_array(lo.as_ptr(), hi.as_ptr(), 2, &mut r));
        ok(deeptrack_feature_set_property(particle, c"position".as_ptr(), r));
        let optics = feature("Fluorescence");
        set(optics, c"output_region", vector(&[0.0, 0.0, 24.0, 24.0]));
        let noise = feature("Gaussian");
        let mut s = ptr::null_mut();
        ok(deeptrack_value_new_float(0.001, &mut s));
        set(noise, c"sigma", s);
        let (mut micro, mut pipe) = (ptr::null_mut(), ptr::null_mut());
        ok(deeptrack_feature_microscope(optics, particle, &mut micro));
        ok(deeptrack_feature_chain(micro, noise, &mut pipe));
        for f in [particle, optics, noise, micro] {
            deeptrack_feature_free(f);
        }
        ok(deeptrack_feature_store_properties(pipe, true));
        ok(deeptrack_feature_seed(pipe, seed));
        pipe
    }
}

/// `n` images of a pipeline (update between them), as pixel vectors.
unsafe fn images(pipe: *mut deeptrack_feature, n: usize) -> Vec<Vec<f64>> {
    (0..n)
        .map(|_| unsafe {
            ok(deeptrack_feature_update(pipe));
            let mut out = ptr::null_mut();
            ok(deeptrack_feature_resolve(pipe, ptr::null(), &mut out));
            let (mut data, mut len) = (ptr::null(), 0);
            ok(deeptrack_image_data(out, &mut data, &mut len));
            let pixels = std::slice::from_raw_parts(data, len).to_vec();
            deeptrack_image_free(out);
            pixels
        })
        .collect()
}

#[test]
fn independent_pipelines_resolve_in_parallel_exactly_as_alone() {
    const THREADS: usize = 4;
    const IMAGES: usize = 25;
    let alone: Vec<Vec<Vec<f64>>> = (0..THREADS)
        .map(|t| unsafe {
            let pipe = pipeline(100 + t as u64);
            let out = images(pipe, IMAGES);
            deeptrack_feature_free(pipe);
            out
        })
        .collect();
    let barrier = Arc::new(Barrier::new(THREADS));
    let parallel: Vec<Vec<Vec<f64>>> = (0..THREADS)
        .map(|t| {
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || unsafe {
                let pipe = pipeline(100 + t as u64);
                barrier.wait();
                let out = images(pipe, IMAGES);
                deeptrack_feature_free(pipe);
                out
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert_eq!(parallel, alone);
}

#[test]
fn one_image_read_by_many_threads_reads_the_same() {
    unsafe {
        let pipe = pipeline(5);
        let mut img = ptr::null_mut();
        ok(deeptrack_feature_resolve(pipe, ptr::null(), &mut img));
        deeptrack_feature_free(pipe);
        let shared = Send(img);
        let readers: Vec<_> = (0..6)
            .map(|_| {
                thread::spawn(move || {
                    let img = shared;
                    let mut seen = Vec::new();
                    for _ in 0..200 {
                        let (mut data, mut len) = (ptr::null(), 0);
                        ok(deeptrack_image_data(img.0, &mut data, &mut len));
                        let mut copy = vec![0.0; len];
                        ok(deeptrack_image_copy_to(img.0, copy.as_mut_ptr(), len));
                        assert_eq!(std::slice::from_raw_parts(data, len), copy.as_slice());
                        let mut v = ptr::null_mut();
                        ok(deeptrack_image_get_property(img.0, c"position".as_ptr(), true, &mut v));
                        let (mut pos, mut shape, mut ndim) = (ptr::null(), ptr::null(), 0);
                        ok(deeptrack_value_array(v, &mut pos, &mut shape, &mut ndim));
                        seen.push((copy.iter().sum::<f64>(), *pos, *pos.add(1)));
                        deeptrack_value_free(v);
                        let mut clone = ptr::null_mut();
                        ok(deeptrack_image_clone(img.0, &mut clone));
                        deeptrack_image_free(clone);
                    }
                    seen
                })
            })
            .collect();
        let results: Vec<_> = readers.into_iter().map(|h| h.join().unwrap()).collect();
        for r in &results {
            assert!(r.iter().all(|x| *x == results[0][0]));
        }
        deeptrack_image_free(img);
    }
}

#[test]
fn a_feature_shared_by_pipelines_on_different_threads_stays_consistent() {
    unsafe {
        // One Add feature inside four chains, each resolved on its own thread with its own input.
        let add = feature("Add");
        let mut one = ptr::null_mut();
        ok(deeptrack_value_new_float(1.0, &mut one));
        set(add, c"value", one);
        let chains: Vec<Send<deeptrack_feature>> = (0..4)
            .map(|_| {
                let mut chain = ptr::null_mut();
                let dummy = feature("DummyFeature");
                ok(deeptrack_feature_chain(dummy, add, &mut chain));
                deeptrack_feature_free(dummy);
                Send(chain)
            })
            .collect();
        deeptrack_feature_free(add); // the chains keep it alive
        let handles: Vec<_> = chains
            .iter()
            .enumerate()
            .map(|(t, &chain)| {
                thread::spawn(move || {
                    let chain = chain;
                    for i in 0..300 {
                        let x = (t * 1000 + i) as f64;
                        let (data, shape) = ([x, x], [2usize]);
                        let mut input = ptr::null_mut();
                        ok(deeptrack_image_new(data.as_ptr(), shape.as_ptr(), 1, &mut input));
                        let mut out = ptr::null_mut();
                        ok(deeptrack_feature_resolve(chain.0, input, &mut out));
                        let mut got = [0.0; 2];
                        ok(deeptrack_image_copy_to(out, got.as_mut_ptr(), 2));
                        assert_eq!(got, [x + 1.0, x + 1.0]);
                        deeptrack_image_free(out);
                        deeptrack_image_free(input);
                    }
                    deeptrack_feature_free(chain.0);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }
}

#[test]
fn a_pipeline_resolving_on_one_thread_is_busy_on_another() {
    unsafe {
        let pipe = pipeline(9);
        let shared = Send(pipe);
        let statuses: Vec<Vec<deeptrack_status>> = (0..3)
            .map(|_| {
                thread::spawn(move || {
                    let pipe = shared;
                    (0..100)
                        .map(|_| {
                            let mut out = ptr::null_mut();
                            let s = deeptrack_feature_resolve(pipe.0, ptr::null(), &mut out);
                            if s == DEEPTRACK_STATUS_OK {
                                deeptrack_image_free(out);
                            }
                            s
                        })
                        .collect()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect();
        for s in statuses.iter().flatten() {
            assert!(*s == DEEPTRACK_STATUS_OK || *s == DEEPTRACK_STATUS_BUSY, "status {s}");
        }
        assert!(statuses.iter().flatten().any(|s| *s == DEEPTRACK_STATUS_OK));
        deeptrack_feature_free(pipe);
    }
}
