//! 100,000 update/resolve cycles through the C API keep the process's resident memory flat: no
//! handle, dict, sample or cached result outlives its cycle.

use std::ptr;

use deeptrack::ffi::feature::*;
use deeptrack::ffi::image::*;
use deeptrack::ffi::rule::*;
use deeptrack::ffi::value::*;
use deeptrack::ffi::{DEEPTRACK_STATUS_OK, deeptrack_status};

fn ok(status: deeptrack_status) {
    assert_eq!(status, DEEPTRACK_STATUS_OK);
}

fn resident_kib() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize / 1024
}

unsafe fn feature(kind: &str) -> *mut deeptrack_feature {
    let kind = std::ffi::CString::new(kind).unwrap();
    let mut f = ptr::null_mut();
    ok(unsafe { deeptrack_feature_new(kind.as_ptr(), &mut f) });
    f
}

unsafe fn set_uniform(f: *mut deeptrack_feature, key: &str, low: f64, high: f64) {
    let key = std::ffi::CString::new(key).unwrap();
    let mut r = ptr::null_mut();
    ok(unsafe { deeptrack_rule_uniform(low, high, &mut r) });
    ok(unsafe { deeptrack_feature_set_property(f, key.as_ptr(), r) });
}

#[test]
fn update_resolve_cycles_do_not_grow_memory() {
    unsafe {
        // (Add(U) ^ 3) >> Gaussian(U) >> NormalizeMinMax on a 16x16 input, with properties stored
        // and read back every cycle.
        let add = feature("Add");
        set_uniform(add, "value", 0.0, 1.0);
        let mut rep = ptr::null_mut();
        ok(deeptrack_feature_repeat(add, 3, &mut rep));
        let noise = feature("Gaussian");
        set_uniform(noise, "sigma", 0.1, 0.2);
        let norm = feature("NormalizeMinMax");
        let (mut a, mut pipe) = (ptr::null_mut(), ptr::null_mut());
        ok(deeptrack_feature_chain(rep, noise, &mut a));
        ok(deeptrack_feature_chain(a, norm, &mut pipe));
        for f in [add, rep, noise, norm, a] {
            deeptrack_feature_free(f);
        }
        ok(deeptrack_feature_store_properties(pipe, true));
        ok(deeptrack_feature_seed(pipe, 7));
        let data = vec![0.5; 256];
        let shape = [16usize, 16];
        let mut input = ptr::null_mut();
        ok(deeptrack_image_new(data.as_ptr(), shape.as_ptr(), 2, &mut input));
        let key = c"value";

        let cycle = |n: usize| {
            for _ in 0..n {
                ok(deeptrack_feature_update(pipe));
                let mut out = ptr::null_mut();
                ok(deeptrack_feature_resolve(pipe, input, &mut out));
                let mut v = ptr::null_mut();
                ok(deeptrack_image_get_property(out, key.as_ptr(), false, &mut v));
                assert_eq!(deeptrack_value_list_len(v), 3);
                deeptrack_value_free(v);
                deeptrack_image_free(out);
            }
        };
        cycle(10_000);
        let before = resident_kib();
        cycle(100_000);
        let grown = resident_kib().saturating_sub(before);
        println!("resident memory: {before} KiB before 100,000 cycles, grew by {grown} KiB");
        assert!(grown < 1024, "resident memory grew by {grown} KiB over 100,000 cycles");
        deeptrack_image_free(input);
        deeptrack_feature_free(pipe);
    }
}
