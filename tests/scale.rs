//! Pipelines that grow with N stay linear in N with stored properties: a repetition's result shares
//! its input's property list and image list instead of copying them, so `Add ^ 16000` and
//! `Fluorescence(PointParticle ^ 16000)` need megabytes where copies needed gigabytes (2.1 GiB and
//! 9.9 GiB before), with the exact property lists of DeepTrack2 2.0.1.

use std::sync::{Arc, Mutex, MutexGuard};

use deeptrack::{ErrorKind, Feature, Image, PropertyDict, Rule, Value, features};

/// Resident memory is per process: the tests of this file run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn resident_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    let pages: f64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as f64 / (1024.0 * 1024.0)
}

fn builtin(kind: &str, props: &[(&str, Rule)]) -> Feature {
    let f = features::builtin(kind).unwrap();
    for (k, r) in props {
        f.set_property(k, r.clone()).unwrap();
    }
    f
}

fn id_of(d: &PropertyDict) -> String {
    d.get("_ID").map_or_else(|| "-".into(), |v| v.to_string())
}

#[test]
fn add_repeated_16000_times_with_stored_properties_takes_megabytes() {
    let _serial = serial();
    let n = 16_000;
    let add = builtin("Add", &[("value", Rule::constant(0.5))]);
    let pipeline = Feature::repeat(&add, n).unwrap();
    pipeline.store_properties(true);
    let input = Image::zeros(&[4, 4]);
    let before = resident_mib();
    let out = pipeline.resolve_one(Some(&input)).unwrap().unwrap();
    let grown = resident_mib() - before;
    // Copies of the growing list per repetition took 2.1 GiB.
    assert!(grown < 64.0, "resolving Add ^ {n} grew resident memory by {grown:.0} MiB");
    assert!(out.as_slice().iter().all(|&x| x == 0.5 * n as f64));
    let dicts = out.properties();
    assert_eq!(dicts.len(), n + 1);
    for (k, d) in dicts.iter().take(n).enumerate() {
        assert_eq!(d.to_string(), format!("{{'value': 0.5, 'name': 'Add', '_ID': [{k}]}}"));
    }
    assert_eq!(dicts[n].to_string(), format!("{{'N': {n}, 'name': 'Repeat'}}"));
    // Resolved again without update: the cached result, the same dicts.
    let again = pipeline.resolve_one(Some(&input)).unwrap().unwrap();
    assert!(again.properties().same(dicts));
}

#[test]
fn fluorescence_of_16000_point_particles_takes_megabytes() {
    let _serial = serial();
    let n = 16_000;
    let particle = builtin(
        "PointParticle",
        &[
            ("position", Rule::uniform_array(&[0.0, 0.0], &[128.0, 128.0]).unwrap()),
            ("intensity", Rule::constant(100.0)),
        ],
    );
    let optics = features::builtin("Fluorescence").unwrap();
    let microscope = Feature::microscope(&optics, &Feature::repeat(&particle, n).unwrap()).unwrap();
    microscope.store_properties(true);
    microscope.seed(3).unwrap();
    let before = resident_mib();
    let image = microscope.resolve_one(None).unwrap().unwrap();
    let grown = resident_mib() - before;
    // Copies of the growing list of volumes per repetition took 9.9 GiB.
    assert!(grown < 256.0, "imaging {n} particles grew resident memory by {grown:.0} MiB");
    let dicts = image.properties();
    assert_eq!(dicts.len(), n + 3);
    // The first volume's dicts (its particle's, then the repeat's), each other particle's in order,
    // the optics', the microscope's.
    let names: Vec<String> = dicts.iter().map(|d| d.get("name").unwrap().to_string()).collect();
    let ids: Vec<String> = dicts.iter().map(|d| id_of(d)).collect();
    assert_eq!((names[0].as_str(), ids[0].as_str()), ("'PointParticle'", "[0]"));
    assert_eq!(dicts[1].to_string(), format!("{{'N': {n}, 'name': 'Repeat'}}"));
    for k in 1..n {
        assert_eq!((names[k + 1].as_str(), ids[k + 1].clone()), ("'PointParticle'", format!("[{k}]")));
    }
    assert_eq!(names[n + 1..], ["'Fluorescence'", "'Microscope'"]);
    assert_eq!(image.get_properties("position").unwrap().len(), n);
}

#[test]
fn each_repetition_keeps_its_dicts_and_the_final_image_holds_the_same_ones() {
    let _serial = serial();
    let n = 1000;
    // A pass-through feature that keeps what each repetition receives: repetition k's input, the
    // output of repetition k - 1.
    let seen: Arc<Mutex<Vec<Image>>> = Arc::default();
    let spy = {
        let seen = Arc::clone(&seen);
        Feature::custom("Spy", move |img, _| {
            seen.lock().unwrap().push(img.cloned().expect("an input"));
            Ok(None)
        })
    };
    spy.set_property("x", Rule::uniform(0.0, 1.0).unwrap()).unwrap();
    let pipeline = Feature::repeat(&spy, n).unwrap();
    pipeline.store_properties(true);
    let out = pipeline.resolve_one(Some(&Image::zeros(&[1]))).unwrap().unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), n);
    let last = out.properties();
    assert_eq!(last.len(), n + 1);
    for (k, input) in seen.iter().enumerate() {
        let theirs = input.properties();
        assert_eq!(theirs.len(), k);
        // The same allocations, not equal copies ...
        assert!(theirs.iter().zip(last.iter()).all(|(a, b)| Arc::ptr_eq(a, b)), "repetition {k}");
        // ... held by reference: the final list is built on repetition k's list.
        assert!(last.starts_with(theirs), "repetition {k}");
    }
    // Every repetition sampled its own `x`.
    let xs: Vec<f64> = out.get_properties("x").unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(xs.len(), n);
    assert!(xs.windows(2).any(|w| w[0] != w[1]));
}

fn numbered(n: i64) -> Arc<PropertyDict> {
    let mut d = PropertyDict::new();
    d.insert("n", Value::Int(n));
    Arc::new(d)
}

fn numbers(img: &Image) -> Vec<i64> {
    img.properties().iter().map(|d| d.get("n").unwrap().as_i64().unwrap()).collect()
}

#[test]
fn merging_two_lists_of_100000_dicts_that_share_a_prefix() {
    let _serial = serial();
    let mut base = Image::zeros(&[1]);
    for i in 0..50_000 {
        base.append(numbered(i));
    }
    let (mut a, mut b) = (base.clone(), base.clone());
    for i in 50_000..100_000 {
        a.append(numbered(i));
        b.append(numbered(-i));
    }
    // Equal to one of `a`'s dicts but another allocation: kept.
    b.append(numbered(1));
    let mut merged = a.clone();
    merged.merge_properties_from(&b).unwrap();
    let expected: Vec<i64> = (0..100_000).chain((50_000..100_000).map(|i| -i)).chain([1]).collect();
    assert_eq!(numbers(&merged), expected);
    for (i, d) in merged.properties().iter().enumerate() {
        let from = if i < 100_000 { &a.properties()[i] } else { &b.properties()[i - 50_000] };
        assert!(Arc::ptr_eq(d, from), "dict {i} is the merged list's own");
    }
    // Merging again, or merging a list it contains, adds nothing.
    let before = merged.clone();
    merged.merge_properties_from(&b).unwrap();
    merged.merge_properties_from(&a).unwrap();
    merged.merge_properties_from(&base).unwrap();
    assert!(merged.properties().same(before.properties()));
    // A list that extends this one is taken whole.
    let mut longer = a.clone();
    longer.append(numbered(7));
    let mut x = a.clone();
    x.merge_properties_from(&longer).unwrap();
    assert_eq!(x.properties().len(), 100_001);
    assert!(x.properties().starts_with(longer.properties()) && longer.properties().starts_with(x.properties()));
}

#[test]
fn a_batch_too_large_to_allocate_is_out_of_memory() {
    let _serial = serial();
    let add = builtin("Add", &[("value", Rule::constant(1.0))]);
    let err = add.resolve_batch(Some(&Image::zeros(&[1])), 0, 0, usize::MAX / 8, 1).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutOfMemory);
    assert!(err.to_string().contains("cannot allocate the results of a batch of"), "{err}");
}
