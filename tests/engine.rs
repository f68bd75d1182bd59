//! The engine through the Rust API: DeepTrack2 2.0.1 Image-tutorial semantics, caching, update,
//! repeats, links, cycles and seeding.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use deeptrack::{ErrorKind, Feature, Image, Rule, Value, features};

/// The tutorial's `Particle`: passes its input through; position drawn in a 256×256 frame.
fn particle() -> Feature {
    let p = Feature::custom("Particle", |_, _| Ok(None));
    p.set_property("position", Rule::uniform_array(&[0.0, 0.0], &[256.0, 256.0]).unwrap()).unwrap();
    p
}

fn names(img: &Image) -> Vec<String> {
    img.properties().iter().map(|d| d.to_string()).collect()
}

#[test]
fn store_properties_gives_one_dict_with_name_last() {
    let p = particle();
    p.store_properties(true);
    let out = p.resolve_one(Some(&Image::zeros(&[256, 256]))).unwrap().unwrap();
    assert_eq!(out.shape(), &[256, 256]);
    assert_eq!(out.properties().len(), 1);
    let keys: Vec<&str> = out.properties()[0].iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["position", "name"]);
    let pos = out.get_property("position").unwrap().to_f64_vec().unwrap();
    assert!(pos.iter().all(|x| (0.0..256.0).contains(x)));
}

#[test]
fn without_store_properties_results_carry_no_dicts() {
    let p = particle();
    let mut input = Image::zeros(&[4]);
    let mut d = deeptrack::PropertyDict::new();
    d.insert("name", Value::str("pre"));
    input.append(Arc::new(d));
    let out = p.resolve_one(Some(&input)).unwrap().unwrap();
    assert!(out.properties().is_empty());
}

#[test]
fn merge_without_update_keeps_one_set_with_update_two() {
    let p = particle();
    p.store_properties(true);
    let input = Image::zeros(&[256, 256]);
    let mut first = p.resolve_one(Some(&input)).unwrap().unwrap();
    let second = p.resolve_one(Some(&input)).unwrap().unwrap();
    assert!(Arc::ptr_eq(&first.properties()[0], &second.properties()[0]), "cached result, same dict");
    first.merge_properties_from(&second).unwrap();
    assert_eq!(first.properties().len(), 1);
    p.update().unwrap();
    let third = p.resolve_one(Some(&input)).unwrap().unwrap();
    first.merge_properties_from(&third).unwrap();
    assert_eq!(first.properties().len(), 2);
    let positions = first.get_properties("position").unwrap();
    assert_eq!(positions.len(), 2);
    assert_ne!(positions[0].to_f64_vec().unwrap(), positions[1].to_f64_vec().unwrap());
    assert_eq!(first.get_property("name").unwrap().as_str().unwrap(), "Particle");
}

#[test]
fn a_new_equal_input_recomputes_with_the_same_values_but_new_dicts() {
    let p = particle();
    p.store_properties(true);
    let mut a = p.resolve_one(Some(&Image::zeros(&[2]))).unwrap().unwrap();
    let b = p.resolve_one(Some(&Image::zeros(&[2]))).unwrap().unwrap();
    assert!(!Arc::ptr_eq(&a.properties()[0], &b.properties()[0]));
    assert_eq!(a.properties()[0].to_string(), b.properties()[0].to_string());
    a.merge_properties_from(&b).unwrap();
    assert_eq!(a.properties().len(), 2);
}

#[test]
fn update_makes_new_dicts_even_for_constants() {
    let p = Feature::custom("P", |_, _| Ok(None));
    p.set_property("c", Rule::constant(1_i64)).unwrap();
    p.store_properties(true);
    let input = Image::zeros(&[1]);
    let mut a = p.resolve_one(Some(&input)).unwrap().unwrap();
    p.update().unwrap();
    let b = p.resolve_one(Some(&input)).unwrap().unwrap();
    a.merge_properties_from(&b).unwrap();
    assert_eq!(names(&a), ["{'c': 1, 'name': 'P'}", "{'c': 1, 'name': 'P'}"]);
}

#[test]
fn repeat_then_chain_gives_seven_dicts_in_resolution_order() {
    let not_tracked = particle();
    not_tracked.set_property("track_me", Rule::constant(false)).unwrap();
    let tracked = particle();
    tracked.set_property("track_me", Rule::constant(true)).unwrap();
    let particles = Feature::chain(&Feature::repeat(&not_tracked, 4).unwrap(), &tracked).unwrap();
    particles.store_properties(true);
    let out = particles.resolve_one(Some(&Image::zeros(&[256, 256]))).unwrap().unwrap();
    let track: Vec<bool> = out.get_properties("track_me").unwrap().iter().map(|v| v.as_bool().unwrap()).collect();
    assert_eq!(track, [false, false, false, false, true]);
    assert_eq!(out.properties().len(), 7);
    let keys = |i: usize| -> Vec<String> { out.properties()[i].iter().map(|(k, _)| k.to_owned()).collect() };
    for i in 0..4 {
        assert_eq!(keys(i), ["position", "track_me", "name", "_ID"]);
        assert_eq!(out.properties()[i].get("_ID").unwrap().to_string(), format!("[{i}]"));
    }
    assert_eq!(out.properties()[4].to_string(), "{'N': 4, 'name': 'Repeat'}");
    assert_eq!(keys(5), ["position", "track_me", "name"]);
    assert_eq!(out.properties()[6].to_string(), "{'name': 'Chain'}");
    let positions: Vec<Vec<f64>> =
        out.get_properties("position").unwrap().iter().map(|v| v.to_f64_vec().unwrap()).collect();
    for i in 0..5 {
        for j in i + 1..5 {
            assert_ne!(positions[i], positions[j], "each repetition samples its own position");
        }
    }
}

#[test]
fn repeat_samples_each_repetition_and_feeds_outputs_forward() {
    let add_one = Feature::custom("AddOne", |img, _| Ok(img.map(|i| i.with_data(&i.data() + 1.0))));
    add_one.set_property("diffusion", Rule::callback(|ctx| Ok(Value::Float(1.0 + ctx.uniform() * 4.0)))).unwrap();
    let rep = Feature::repeat(&add_one, 3).unwrap();
    rep.store_properties(true);
    let out = rep.resolve_one(Some(&Image::zeros(&[1]))).unwrap().unwrap();
    assert_eq!(out.as_slice(), [3.0]);
    let d: Vec<f64> = out.get_properties("diffusion").unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(d.len(), 3);
    assert!(d[0] != d[1] && d[1] != d[2] && d[0] != d[2]);
    // Re-resolving without update, even on a new input, keeps the sampled values.
    let again = rep.resolve_one(Some(&Image::zeros(&[1]))).unwrap().unwrap();
    let d2: Vec<f64> = again.get_properties("diffusion").unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(d, d2);
}

#[test]
fn repeat_count_is_a_property_and_zero_passes_through() {
    let add_one = Feature::custom("AddOne", |img, _| Ok(img.map(|i| i.with_data(&i.data() + 1.0))));
    let rep = Feature::repeat(&add_one, 0).unwrap();
    assert_eq!(rep.resolve_one(Some(&Image::zeros(&[1]))).unwrap().unwrap().as_slice(), [0.0]);
    rep.set_property("N", Rule::randint(2, 3).unwrap()).unwrap();
    assert_eq!(rep.resolve_one(Some(&Image::zeros(&[1]))).unwrap().unwrap().as_slice(), [2.0]);
    let err = rep.set_property("N", Rule::constant(-1_i64)).unwrap_err();
    assert_eq!(err.to_string(), "property 'N' of feature 'Repeat': expected a non-negative integer, got -1");
}

#[test]
fn nested_repeats_concatenate_replicate_indices() {
    let g = Feature::custom("G", |_, _| Ok(None));
    let nested = Feature::repeat(&Feature::repeat(&g, 2).unwrap(), 2).unwrap();
    nested.store_properties(true);
    let out = nested.resolve_one(Some(&Image::zeros(&[1]))).unwrap().unwrap();
    let ids: Vec<String> = out.get_properties("_ID").unwrap().iter().map(|v| v.to_string()).collect();
    assert_eq!(ids, ["[0, 0]", "[0, 1]", "[0]", "[1, 0]", "[1, 1]", "[1]"]);
}

#[test]
fn callbacks_read_siblings_in_any_declaration_order() {
    let p = Feature::custom("P", |_, _| Ok(None));
    p.set_property("c", Rule::callback(|ctx| Ok(Value::Float(ctx.get("a")?.as_f64()? + ctx.get("b")?.as_f64()?))))
        .unwrap();
    p.set_property("b", Rule::callback(|ctx| Ok(Value::Float(ctx.get("a")?.as_f64()? * 10.0)))).unwrap();
    p.set_property("a", Rule::constant(1.0)).unwrap();
    assert_eq!(p.get_property("c").unwrap().as_f64().unwrap(), 11.0);
    assert_eq!(p.property_names(), ["c", "b", "a", "name"]);
}

#[test]
fn a_cycle_is_an_error_naming_the_properties() {
    let p = Feature::custom("P", |_, _| Ok(None));
    p.set_property("a", Rule::callback(|ctx| ctx.get("b").cloned())).unwrap();
    p.set_property("b", Rule::callback(|ctx| ctx.get("a").cloned())).unwrap();
    let err = p.resolve(Some(&Image::zeros(&[1]))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cycle);
    assert_eq!(err.to_string(), "feature 'P': properties 'a' -> 'b' -> 'a' depend on each other in a cycle");
    // Across features too.
    let x = Feature::custom("X", |_, _| Ok(None));
    let y = Feature::custom("Y", |_, _| Ok(None));
    x.set_property("v", Rule::constant(1.0)).unwrap();
    y.set_property("v", Rule::property_of(&x, "v").unwrap()).unwrap();
    // Closing the loop is refused when the link is made (the features would also keep each other
    // alive forever).
    let err = x.set_property("v", Rule::property_of(&y, "v").unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cycle);
    assert_eq!(
        err.to_string(),
        "property 'v' of feature 'X': feature 'Y' already depends on this feature: linking to it would make a loop"
    );
    assert_eq!(x.get_property("v").unwrap().as_f64().unwrap(), 1.0, "the refused rule changed nothing");
}

#[test]
fn links_stay_linked_across_updates_and_share_outside_a_repeat() {
    let a = Feature::custom("A", |_, _| Ok(None));
    a.set_property("pos", Rule::uniform(0.0, 1.0).unwrap()).unwrap();
    let b = Feature::custom("B", |_, _| Ok(None));
    b.set_property("pos", Rule::property_of(&a, "pos").unwrap()).unwrap();
    b.set_property("z", Rule::uniform(0.0, 1.0).unwrap()).unwrap();
    let pipe = Feature::chain(&a, &b).unwrap();
    pipe.store_properties(true);
    let input = Image::zeros(&[1]);
    for _ in 0..3 {
        let out = pipe.resolve_one(Some(&input)).unwrap().unwrap();
        let pos: Vec<f64> = out.get_properties("pos").unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(pos[0], pos[1]);
        pipe.update().unwrap();
    }
    // Updating B alone re-samples A's linked property too.
    let before = a.get_property("pos").unwrap().as_f64().unwrap();
    b.update().unwrap();
    assert_ne!(b.get_property("pos").unwrap().as_f64().unwrap(), before);
    // A property outside a repeat is shared by all repetitions.
    let s = Feature::custom("S", |_, _| Ok(None));
    s.set_property("x", Rule::uniform(0.0, 1.0).unwrap()).unwrap();
    let t = Feature::custom("T", |_, _| Ok(None));
    t.set_property("x", Rule::property_of(&s, "x").unwrap()).unwrap();
    let pipe = Feature::chain(&s, &Feature::repeat(&t, 2).unwrap()).unwrap();
    pipe.store_properties(true);
    let out = pipe.resolve_one(Some(&input)).unwrap().unwrap();
    let xs: Vec<f64> = out.get_properties("x").unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(xs.len(), 3);
    assert!(xs.iter().all(|x| *x == xs[0]));
}

#[test]
fn seeding_makes_pipelines_reproducible_callbacks_included() {
    let build = || {
        let p = particle();
        p.set_property("d", Rule::callback(|ctx| Ok(Value::Float(ctx.normal())))).unwrap();
        let rep = Feature::repeat(&p, 3).unwrap();
        rep.store_properties(true);
        rep
    };
    let run = |f: &Feature| -> Vec<String> {
        let mut all = Vec::new();
        for _ in 0..3 {
            all.extend(names(&f.resolve_one(Some(&Image::zeros(&[1]))).unwrap().unwrap()));
            f.update().unwrap();
        }
        all
    };
    let (x, y) = (build(), build());
    x.seed(42).unwrap();
    y.seed(42).unwrap();
    let rx = run(&x);
    assert_eq!(rx, run(&y));
    x.seed(42).unwrap();
    assert_eq!(rx, run(&x), "re-seeding replays the same samples");
    y.seed(43).unwrap();
    assert_ne!(rx, run(&y));
}

#[test]
fn arithmetic_features_follow_deeptrack() {
    let add = features::builtin("Add").unwrap();
    add.set_property("value", Rule::constant(10.0)).unwrap();
    let img = Image::new(ndarray::arr1(&[0.0, 1.0]).into_dyn());
    assert_eq!(add.resolve_one(Some(&img)).unwrap().unwrap().as_slice(), [10.0, 11.0]);
    let list = Value::List(vec![Value::Float(10.0), Value::Float(20.0)]);
    add.set_property("value", Rule::constant(list)).unwrap();
    let out = add.resolve(Some(&img)).unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[1].as_slice(), [20.0, 21.0]);
    let cases = [
        ("Subtract", 2.0, vec![-2.0, -1.0]),
        ("Multiply", 3.0, vec![0.0, 3.0]),
        ("Divide", 2.0, vec![0.0, 0.5]),
        ("FloorDivide", 0.5, vec![0.0, 2.0]),
        ("Power", 2.0, vec![0.0, 1.0]),
        ("GreaterThan", 0.5, vec![0.0, 1.0]),
        ("LessThan", 0.5, vec![1.0, 0.0]),
        ("GreaterThanOrEquals", 1.0, vec![0.0, 1.0]),
        ("LessThanOrEquals", 0.0, vec![1.0, 0.0]),
        ("Equals", 1.0, vec![0.0, 1.0]),
    ];
    for (kind, v, expected) in cases {
        let f = features::builtin(kind).unwrap();
        f.set_property("value", Rule::constant(v)).unwrap();
        assert_eq!(f.resolve_one(Some(&img)).unwrap().unwrap().as_slice(), expected.as_slice(), "{kind}");
    }
    let bad = features::builtin("Add").unwrap();
    let err = bad.set_property("value", Rule::constant("x")).unwrap_err();
    assert_eq!(err.to_string(), "property 'value' of feature 'Add': expected numbers, got a string");
    let late = features::builtin("Multiply").unwrap();
    late.set_property("value", Rule::choice(vec![Value::str("x")]).unwrap()).unwrap();
    let err = late.resolve(Some(&img)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TypeMismatch);
    assert_eq!(err.to_string(), "property 'value' of feature 'Multiply': expected numbers, got a string");
}

#[test]
fn value_dummy_and_chain_of_builtins() {
    let v = features::builtin("Value").unwrap();
    v.set_property("value", Rule::constant(Value::vector(&[2.0, 4.0]))).unwrap();
    let add = features::builtin("Add").unwrap();
    add.set_property("value", Rule::constant(1.0)).unwrap();
    let pipe = Feature::chain(&Feature::chain(&v, &add).unwrap(), &features::builtin("DummyFeature").unwrap()).unwrap();
    pipe.store_properties(true);
    let out = pipe.resolve_one(None).unwrap().unwrap();
    assert_eq!(out.as_slice(), [3.0, 5.0]);
    assert_eq!(
        names(&out),
        [
            "{'value': array([2.0, 4.0]), 'name': 'Value'}",
            "{'value': 1.0, 'name': 'Add'}",
            "{'name': 'Chain'}",
            "{'name': 'DummyFeature'}",
            "{'name': 'Chain'}"
        ]
    );
    assert!(features::builtin("NoSuchFeature").is_none());
}

#[test]
fn stored_input_is_reused_until_update() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let f = Feature::custom("F", move |img, _| {
        c.fetch_add(1, Ordering::Relaxed);
        Ok(img.map(|i| i.with_data(&i.data() + 1.0)))
    });
    let x = Image::zeros(&[1]);
    f.resolve_one(Some(&x)).unwrap();
    assert_eq!(f.resolve_one(None).unwrap().unwrap().as_slice(), [1.0]);
    assert_eq!(calls.load(Ordering::Relaxed), 1, "cached");
    f.update().unwrap();
    assert!(f.resolve_one(None).unwrap().is_none(), "update forgets the stored input");
}

#[test]
fn reentrant_resolve_is_busy_not_a_deadlock() {
    let holder: Arc<std::sync::Mutex<Option<Feature>>> = Arc::default();
    let h = Arc::clone(&holder);
    let f = Feature::custom("F", move |_, _| {
        let me = h.lock().unwrap().clone().unwrap();
        match me.resolve(None) {
            Err(e) if e.kind() == ErrorKind::Busy => Ok(None),
            other => panic!("expected Busy, got {other:?}"),
        }
    });
    *holder.lock().unwrap() = Some(f.clone());
    f.resolve(Some(&Image::zeros(&[1]))).unwrap();
    *holder.lock().unwrap() = None;
}

#[test]
fn toggling_store_properties_applies_to_cached_results_but_keeps_samples() {
    let p = particle();
    let input = Image::zeros(&[2]);
    let plain = p.resolve_one(Some(&input)).unwrap().unwrap();
    assert!(plain.properties().is_empty());
    let position = p.get_property("position").unwrap().to_f64_vec().unwrap();
    p.store_properties(true);
    let stored = p.resolve_one(Some(&input)).unwrap().unwrap();
    assert_eq!(stored.properties().len(), 1);
    assert_eq!(stored.get_property("position").unwrap().to_f64_vec().unwrap(), position);
}

#[test]
fn microscope_images_the_sample_with_the_optics() {
    let v = features::builtin("Value").unwrap();
    v.set_property("value", Rule::constant(Value::vector(&[2.0, 4.0]))).unwrap();
    let add = features::builtin("Add").unwrap();
    add.set_property("value", Rule::constant(1.0)).unwrap();
    let scope = Feature::microscope(&add, &v).unwrap();
    scope.store_properties(true);
    let out = scope.resolve_one(None).unwrap().unwrap();
    assert_eq!(out.as_slice(), [3.0, 5.0]);
    assert_eq!(
        names(&out),
        ["{'value': array([2.0, 4.0]), 'name': 'Value'}", "{'value': 1.0, 'name': 'Add'}", "{'name': 'Microscope'}"]
    );
}

#[test]
fn too_deep_pipelines_are_an_error_not_a_stack_overflow() {
    // On a small (1 MiB) thread stack, like a host program's worker thread.
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let mut f = features::builtin("DummyFeature").unwrap();
            let mut built = 1;
            let err = loop {
                match Feature::chain(&f, &features::builtin("DummyFeature").unwrap()) {
                    Ok(next) => {
                        f = next;
                        built += 1;
                    }
                    Err(e) => break e,
                }
            };
            assert_eq!(built, 128);
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
            assert_eq!(
                err.to_string(),
                "feature 'Chain': the pipeline nests features (or links properties) more than 128 levels deep"
            );
            assert!(f.resolve(Some(&Image::zeros(&[1]))).is_ok(), "the deepest allowed pipeline resolves");
            f.update().unwrap();
            // Links to links count too.
            let mut prev = features::builtin("DummyFeature").unwrap();
            prev.set_property("x", Rule::constant(1.0)).unwrap();
            let err = loop {
                let next = features::builtin("DummyFeature").unwrap();
                match next.set_property("x", Rule::property_of(&prev, "x").unwrap()) {
                    Ok(()) => prev = next,
                    Err(e) => break e,
                }
            };
            assert!(err.to_string().contains("more than 128 levels deep"), "{err}");
            assert_eq!(prev.get_property("x").unwrap().as_f64().unwrap(), 1.0);
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn depths_are_checked_afresh_so_links_added_later_never_overflow_the_stack() {
    // The depth kept on a feature is taken when it is built or linked; a link added afterwards to a
    // feature below it must still count. On a 1 MiB thread stack, each of these used to abort.
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let deep_error = |r: deeptrack::Result<Vec<Image>>| {
                let err = r.unwrap_err();
                assert_eq!(err.kind(), ErrorKind::InvalidArgument);
                assert!(err.to_string().contains("more than 128 levels deep"), "{err}");
            };
            // A feature nested in 126 chains, then given as its value a feature 127 levels deep.
            let leaf = features::builtin("Value").unwrap();
            let mut outer = leaf.clone();
            for _ in 0..126 {
                outer = Feature::chain(&outer, &features::builtin("DummyFeature").unwrap()).unwrap();
            }
            let mut source = value_feature(&[1.0]);
            for _ in 0..126 {
                let next = features::builtin("Value").unwrap();
                next.set_property("value", Rule::feature_output(&source)).unwrap();
                source = next;
            }
            leaf.set_property("value", Rule::feature_output(&source)).unwrap();
            deep_error(outer.resolve(None));
            // Links only: the first of 127 linked features, linked afterwards to 127 more.
            let first = features::builtin("DummyFeature").unwrap();
            first.set_property("x", Rule::constant(1.0)).unwrap();
            let mut last = first.clone();
            for _ in 0..126 {
                let next = features::builtin("DummyFeature").unwrap();
                next.set_property("x", Rule::property_of(&last, "x").unwrap()).unwrap();
                last = next;
            }
            let mut other = features::builtin("DummyFeature").unwrap();
            other.set_property("x", Rule::constant(2.0)).unwrap();
            for _ in 0..126 {
                let next = features::builtin("DummyFeature").unwrap();
                next.set_property("x", Rule::property_of(&other, "x").unwrap()).unwrap();
                other = next;
            }
            first.set_property("x", Rule::property_of(&other, "x").unwrap()).unwrap();
            let err = last.get_property("x").unwrap_err();
            assert!(err.to_string().contains("more than 128 levels deep"), "{err}");
            // Cutting a link makes the pipeline shallow enough again.
            first.set_property("x", Rule::constant(1.0)).unwrap();
            assert_eq!(last.get_property("x").unwrap().as_f64().unwrap(), 1.0);
            // The deepest allowed mix: features as values alternating with chains (each level of the
            // first kind resolves a chain, which samples the next value), within the stack.
            let mut a = value_feature(&[1.0]);
            loop {
                let Ok(chain) = Feature::chain(&a, &features::builtin("DummyFeature").unwrap()) else { break };
                let next = features::builtin("Value").unwrap();
                if next.set_property("value", Rule::feature_output(&chain)).is_err() {
                    break;
                }
                a = next;
            }
            assert_eq!(a.resolve_one(None).unwrap().unwrap().as_slice(), [1.0]);
        })
        .unwrap()
        .join()
        .unwrap();
}

fn uniform_feature(name: &str, key: &str) -> Feature {
    let f = Feature::custom(name, |_, _| Ok(None));
    f.set_property(key, Rule::uniform(0.0, 1.0).unwrap()).unwrap();
    f
}

fn floats(img: &Image, key: &str) -> Vec<f64> {
    img.get_properties(key).unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
}

#[test]
fn links_follow_their_source_after_it_alone_is_updated() {
    let s = uniform_feature("S", "x");
    let t = Feature::custom("T", |_, _| Ok(None));
    t.set_property("y", Rule::property_of(&s, "x").unwrap()).unwrap();
    let pipe = Feature::chain(&s, &t).unwrap();
    pipe.store_properties(true);
    let input = Image::zeros(&[1]);
    for _ in 0..3 {
        let out = pipe.resolve_one(Some(&input)).unwrap().unwrap();
        assert_eq!(floats(&out, "x"), floats(&out, "y"));
        s.update().unwrap();
    }
}

#[test]
fn reading_a_property_never_makes_a_link_disagree_with_its_source() {
    let s = uniform_feature("S", "x");
    let t = Feature::custom("T", |_, _| Ok(None));
    t.set_property("y", Rule::property_of(&s, "x").unwrap()).unwrap();
    let rep = Feature::repeat(&Feature::chain(&t, &s).unwrap(), 2).unwrap();
    rep.store_properties(true);
    let input = Image::zeros(&[1]);
    s.get_property("x").unwrap();
    let out = rep.resolve_one(Some(&input)).unwrap().unwrap();
    assert_eq!(floats(&out, "y"), floats(&out, "x"));
    rep.update().unwrap();
    let out = rep.resolve_one(Some(&input)).unwrap().unwrap();
    let (xs, ys) = (floats(&out, "x"), floats(&out, "y"));
    assert_eq!(xs, ys);
    assert_ne!(xs[0], xs[1], "after update each repetition samples its own value");
}

#[test]
fn seeded_pipelines_are_reproducible_even_when_a_part_is_read_first() {
    let run = || {
        let a = uniform_feature("A", "x");
        let pipe = Feature::chain(&a, &uniform_feature("B", "x")).unwrap();
        pipe.store_properties(true);
        pipe.seed(7).unwrap();
        let first = a.get_property("x").unwrap().as_f64().unwrap();
        let out = pipe.resolve_one(Some(&Image::zeros(&[1]))).unwrap().unwrap();
        (first, floats(&out, "x"))
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b);
    assert_eq!(a.0, a.1[0]);
}

#[test]
fn a_part_of_a_pipeline_keeps_its_input_and_cached_result() {
    let a = uniform_feature("A", "x");
    let pipe = Feature::chain(&a, &uniform_feature("B", "x")).unwrap();
    pipe.store_properties(true);
    let input = Image::zeros(&[1]);
    let mut whole = pipe.resolve_one(Some(&input)).unwrap().unwrap();
    let part = a.resolve_one(None).unwrap().unwrap();
    assert!(Arc::ptr_eq(&part.properties()[0], &whole.properties()[0]));
    let again = pipe.resolve_one(Some(&input)).unwrap().unwrap();
    whole.merge_properties_from(&again).unwrap();
    assert_eq!(whole.properties().len(), 3);
}

#[test]
fn a_link_to_a_sibling_property_of_the_same_feature_works() {
    let a = Feature::custom("A", |_, _| Ok(None));
    a.set_property("label", Rule::property_of(&a, "name").unwrap()).unwrap();
    assert_eq!(a.get_property("label").unwrap().as_str().unwrap(), "A");
    a.set_property("x", Rule::constant(1.0)).unwrap();
    a.set_property("x", Rule::property_of(&a, "x").unwrap()).unwrap();
    let err = a.get_property("x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cycle);
    assert_eq!(err.to_string(), "feature 'A': properties 'x' -> 'x' depend on each other in a cycle");
}

fn value_feature(v: &[f64]) -> Feature {
    let f = features::builtin("Value").unwrap();
    f.set_property("value", Rule::constant(Value::vector(v))).unwrap();
    f
}

#[test]
fn a_feature_as_a_property_value_gives_its_output() {
    // X + Y: X >> Add(value=Y), Y resolved without input.
    let x = value_feature(&[1.0, 2.0]);
    let y = value_feature(&[10.0, 20.0]);
    let add = features::builtin("Add").unwrap();
    add.set_property("value", Rule::feature_output(&y)).unwrap();
    let pipe = Feature::chain(&x, &add).unwrap();
    pipe.store_properties(true);
    let out = pipe.resolve_one(None).unwrap().unwrap();
    assert_eq!(out.as_slice(), [11.0, 22.0]);
    assert_eq!(out.get_properties("value").unwrap()[1].to_f64_vec().unwrap(), [10.0, 20.0]);
    // A source producing several images gives a list; none gives None.
    let several = features::builtin("Add").unwrap();
    several.set_property("value", Rule::constant(Value::List(vec![Value::Int(1), Value::Int(2)]))).unwrap();
    let holder = features::builtin("DummyFeature").unwrap();
    holder.set_property("seen", Rule::feature_output(&Feature::chain(&x, &several).unwrap())).unwrap();
    let seen = holder.get_property("seen").unwrap();
    assert_eq!(seen.as_list().unwrap().len(), 2);
    let nothing = features::builtin("DummyFeature").unwrap();
    holder.set_property("seen", Rule::feature_output(&nothing)).unwrap();
    assert!(matches!(holder.get_property("seen").unwrap(), Value::None));
}

#[test]
fn a_feature_valued_property_follows_repetitions_and_updates() {
    // (X >> Add(value=Y) >> Probe(y=Y.value)) ^ 2: repetition i adds Y resolved at _ID [i], which is
    // Y's own value at [i] (read back through a link in the same repetition).
    let x = features::builtin("DummyFeature").unwrap();
    let y = features::builtin("Value").unwrap();
    y.set_property("value", Rule::uniform(0.0, 1.0).unwrap()).unwrap();
    let add = features::builtin("Add").unwrap();
    add.set_property("value", Rule::feature_output(&y)).unwrap();
    let probe = Feature::custom("Probe", |_, _| Ok(None));
    probe.set_property("y", Rule::property_of(&y, "value").unwrap()).unwrap();
    let pipe = Feature::repeat(&Feature::chain(&Feature::chain(&x, &add).unwrap(), &probe).unwrap(), 2).unwrap();
    pipe.store_properties(true);
    let input = Image::zeros(&[1]);
    let resolve = || {
        let out = pipe.resolve_one(Some(&input)).unwrap().unwrap();
        // Each repetition records Y's dict, then Add's (DeepTrack2 2.0.1: the value's Image carries
        // its dicts into the sum): the same value in both.
        let values: Vec<f64> =
            out.get_properties("value").unwrap().iter().map(|v| v.to_f64_vec().unwrap()[0]).collect();
        let names: Vec<String> =
            out.get_properties("name").unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
        let once = ["DummyFeature", "Value", "Add", "Chain", "Probe", "Chain"];
        assert_eq!(names, [&once[..], &once[..], &["Repeat"][..]].concat());
        let added: Vec<f64> = values
            .chunks(2)
            .map(|pair| {
                assert_eq!(pair[0], pair[1], "Y's dict and Add's hold the same value");
                pair[1]
            })
            .collect();
        assert_eq!(added, floats(&out, "y"), "each repetition adds Y's value at its own _ID");
        assert_eq!(added.len(), 2);
        assert_ne!(added[0], added[1], "each repetition resolves Y at its own _ID");
        assert!((out.as_slice()[0] - (added[0] + added[1])).abs() < 1e-12);
        added
    };
    let first = resolve();
    assert_eq!(resolve(), first, "cached until an update");
    y.update().unwrap();
    let after_source_update = resolve();
    assert_ne!(after_source_update, first, "updating Y alone makes the values that used it stale");
    pipe.update().unwrap();
    assert_ne!(resolve(), after_source_update, "updating the pipeline re-samples Y too");
}

#[test]
fn feature_valued_properties_refuse_self_reference_and_report_cycles() {
    let a = features::builtin("Add").unwrap();
    let err = a.set_property("value", Rule::feature_output(&a)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(err.to_string(), "property 'value' of feature 'Add': a feature cannot be the value of its own property");
    let b = features::builtin("Multiply").unwrap();
    a.set_property("value", Rule::feature_output(&b)).unwrap();
    let err = b.set_property("value", Rule::feature_output(&a)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cycle, "{err}");
    // Also through a composition: a chain containing `a` cannot be `a`'s value.
    let chain = Feature::chain(&b, &a).unwrap();
    let err = a.set_property("value", Rule::feature_output(&chain)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cycle, "{err}");
}
