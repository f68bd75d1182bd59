//! Sequences through the Rust API: sequential properties (step 0 from the initial rule, later steps
//! from the step rule reading `sequence_step`, `sequence_length`, `previous_value`,
//! `previous_values` and siblings), `Sequence` frames with their own dicts, repeats with their own
//! trajectories, caching and update, seeding, and the built-in motion rules (Brownian MSD, drift).

use std::sync::Arc;

use deeptrack::features::registry;
use deeptrack::features::sequences::motion;
use deeptrack::{ErrorKind, Feature, Image, Rule, Value, ValueKind};

/// A feature whose output is one sample holding its `rotation` (appending, like a scatterer).
fn spinner() -> Feature {
    let f =
        Feature::custom_appending("Spinner", |_, props| Ok(Some(Image::from_slice(&[1], &[props.f64("rotation")?])?)));
    f.set_property("rotation", Rule::constant(0.0)).unwrap();
    f
}

fn sequence(feature: &Feature, length: i64) -> Feature {
    let s = registry::build("Sequence", vec![feature.clone()]).unwrap();
    s.set_property("sequence_length", Rule::constant(length)).unwrap();
    s.store_properties(true);
    s
}

fn rotate_step() -> Rule {
    Rule::callback(|ctx| {
        let n = ctx.get("sequence_length")?.as_f64()?;
        let previous = ctx.get("previous_value")?.as_f64()?;
        Ok(Value::Float(previous + 2.0 * std::f64::consts::PI / n))
    })
}

#[test]
fn a_sequential_property_steps_from_its_initial_value() {
    let f = spinner();
    f.set_sequential("rotation", rotate_step()).unwrap();
    let frames = sequence(&f, 5).resolve(None).unwrap();
    assert_eq!(frames.len(), 5);
    for (i, frame) in frames.iter().enumerate() {
        let expected = 2.0 * std::f64::consts::PI * i as f64 / 5.0;
        assert!((frame.get_property("rotation").unwrap().as_f64().unwrap() - expected).abs() < 1e-12);
        assert!((frame.as_slice()[0] - expected).abs() < 1e-12, "the frame is computed from its step's value");
        // The feature's dict, then the sequence's own.
        assert_eq!(frame.properties().len(), 2);
        assert_eq!(frame.get_property("sequence_length").unwrap().as_i64().unwrap(), 5);
    }
    // Outside a sequence the feature has its initial value.
    assert_eq!(f.get_property("rotation").unwrap().as_f64().unwrap(), 0.0);
}

#[test]
fn a_new_sequential_property_reads_siblings_of_the_same_step() {
    let f = spinner();
    f.set_sequential("rotation", rotate_step()).unwrap();
    f.set_sequential("intensity", Rule::callback(|ctx| Ok(Value::Float(2.0 * ctx.get("rotation")?.as_f64()?))))
        .unwrap();
    let frames = sequence(&f, 4).resolve(None).unwrap();
    for (i, frame) in frames.iter().enumerate() {
        let rotation = frame.get_property("rotation").unwrap().as_f64().unwrap();
        assert!((rotation - std::f64::consts::PI * i as f64 / 2.0).abs() < 1e-12);
        assert_eq!(frame.get_property("intensity").unwrap().as_f64().unwrap(), 2.0 * rotation);
    }
}

#[test]
fn previous_values_are_the_steps_before_in_order_and_the_step_index_is_given() {
    let f = spinner();
    f.set_property("history", Rule::constant(Value::List(Vec::new()))).unwrap();
    f.set_sequential("rotation", Rule::callback(|ctx| Ok(Value::Float(ctx.get("previous_value")?.as_f64()? + 1.0))))
        .unwrap();
    f.set_sequential(
        "history",
        Rule::callback(|ctx| {
            let step = ctx.get("sequence_step")?.as_i64()?;
            assert_eq!(ctx.get("sequence_index")?.as_i64()?, step);
            let rotations = ctx.get("previous_rotation")?.clone();
            let own = ctx.get("previous_values")?.as_list()?.len() as i64;
            assert_eq!(own, step, "previous_values holds steps 0 .. t-1");
            Ok(rotations)
        }),
    )
    .unwrap();
    let frames = sequence(&f, 4).resolve(None).unwrap();
    for (t, frame) in frames.iter().enumerate() {
        let history: Vec<f64> =
            frame.get_property("history").unwrap().as_list().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let expected: Vec<f64> = (0..t).map(|s| s as f64).collect();
        if t > 0 {
            assert_eq!(history, expected, "step {t}");
        }
    }
}

#[test]
fn previous_value_is_not_found_at_step_zero_without_an_initial_rule() {
    let f = spinner();
    f.set_sequential("speed", Rule::callback(|ctx| Ok(Value::Float(ctx.get("previous_value")?.as_f64()? + 1.0))))
        .unwrap();
    let err = sequence(&f, 2).resolve(None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.to_string().contains("no 'previous_value' at step 0 of a sequence"), "{err}");
    assert!(err.to_string().contains("property 'speed'"), "{err}");
}

/// A feature whose output is its `position` (carrying on the dicts of its input, as in a repeat).
fn walker_kind() -> Feature {
    Feature::custom("Walker", |_, props| Ok(Some(Image::from_slice(&[2], &props.f64_vec("position")?)?)))
}

/// A walker with a random initial position and a Brownian step.
fn walker(d: f64) -> Feature {
    let p = walker_kind();
    p.set_property("position", Rule::uniform_array(&[0.0, 0.0], &[64.0, 64.0]).unwrap()).unwrap();
    p.set_property("size", Rule::uniform(1.0, 2.0).unwrap()).unwrap();
    p.set_sequential("position", motion::brownian_pixels(d).unwrap()).unwrap();
    p
}

/// The positions of every particle at every frame: `[frame][particle]`.
fn tracks(frames: &[Image]) -> Vec<Vec<Vec<f64>>> {
    frames
        .iter()
        .map(|f| f.get_properties("position").unwrap().iter().map(|v| v.to_f64_vec().unwrap()).collect())
        .collect()
}

#[test]
fn repeats_inside_a_sequence_each_have_their_own_trajectory_and_keep_other_values() {
    let p = walker(1.0);
    let s = sequence(&Feature::repeat(&p, 3).unwrap(), 6);
    s.seed(7).unwrap();
    let frames = s.resolve(None).unwrap();
    assert_eq!(frames.len(), 6);
    let t = tracks(&frames);
    for frame in &t {
        assert_eq!(frame.len(), 3);
        assert_ne!(frame[0], frame[1]);
    }
    for (k, (before, after)) in t[0].iter().zip(&t[1]).enumerate() {
        assert_ne!(before, after, "particle {k} moves");
    }
    let sizes: Vec<Vec<f64>> = frames
        .iter()
        .map(|f| f.get_properties("size").unwrap().iter().map(|v| v.as_f64().unwrap()).collect())
        .collect();
    assert!(sizes.iter().all(|s| s == &sizes[0]), "non-sequential properties keep their values");
}

#[test]
fn resolving_again_gives_the_same_frames_and_update_resamples_the_trajectory() {
    let p = walker(1.0);
    let s = sequence(&p, 5);
    let first = s.resolve(None).unwrap();
    let again = s.resolve(None).unwrap();
    for (a, b) in first.iter().zip(&again) {
        assert!(Arc::ptr_eq(&a.properties()[0], &b.properties()[0]), "cached: the same dicts");
    }
    s.update().unwrap();
    let new = s.resolve(None).unwrap();
    assert_ne!(tracks(&first), tracks(&new));
}

#[test]
fn a_seeded_sequence_gives_the_same_movie() {
    let make = || {
        let s = sequence(&Feature::repeat(&walker(0.5), 4).unwrap(), 8);
        s.seed(1234).unwrap();
        tracks(&s.resolve(None).unwrap())
    };
    assert_eq!(make(), make());
}

#[test]
fn brownian_motion_has_the_mean_squared_displacement_of_its_diffusion_constant() {
    // D = 0.25 µm²/s at 0.1 s per frame and 0.1 µm pixels: 2.5 pixels² per frame, MSD(t) = 4 D t.
    let d_pixels = 0.25e-12 * 0.1 / (0.1e-6f64).powi(2);
    let p = walker_kind();
    p.set_property("position", Rule::constant(Value::vector(&[0.0, 0.0]))).unwrap();
    p.set_sequential("position", motion::brownian(0.25e-12, 0.1, 0.1e-6).unwrap()).unwrap();
    let (n, steps) = (2000, 10);
    let s = sequence(&Feature::repeat(&p, n).unwrap(), steps as i64);
    s.seed(99).unwrap();
    let t = tracks(&s.resolve(None).unwrap());
    for (lag, frame) in t.iter().enumerate().skip(1) {
        let msd: f64 = frame.iter().map(|x| x[0] * x[0] + x[1] * x[1]).sum::<f64>() / n as f64;
        let expected = 4.0 * d_pixels * lag as f64;
        // The sample mean of n squared norms: relative standard error 1/sqrt(n) ≈ 2.2%; 4σ.
        assert!((msd / expected - 1.0).abs() < 0.09, "lag {lag}: MSD {msd}, expected {expected}");
    }
    // The increments of disjoint steps are uncorrelated.
    let dot: f64 = t[1].iter().zip(&t[2]).map(|(a, b)| a[0] * (b[0] - a[0])).sum::<f64>() / n as f64;
    assert!(dot.abs() < 4.0 * 2.0 * d_pixels / (n as f64).sqrt(), "correlation {dot}");
}

#[test]
fn drift_and_increments_move_by_their_steps() {
    let p = walker_kind();
    p.set_property("position", Rule::constant(Value::vector(&[1.0, 2.0]))).unwrap();
    p.set_sequential("position", motion::drift(&[0.5, -1.0]).unwrap()).unwrap();
    p.set_property("z", Rule::constant(3.0)).unwrap();
    p.set_sequential("z", motion::increment(Rule::uniform(1.0, 2.0).unwrap()).unwrap()).unwrap();
    let frames = sequence(&p, 4).resolve(None).unwrap();
    let mut z = 3.0;
    for (t, frame) in frames.iter().enumerate() {
        let pos = frame.get_property("position").unwrap().to_f64_vec().unwrap();
        assert_eq!(pos, vec![1.0 + 0.5 * t as f64, 2.0 - t as f64]);
        let now = frame.get_property("z").unwrap().as_f64().unwrap();
        if t > 0 {
            assert!((1.0..2.0).contains(&(now - z)), "step {t}: {z} -> {now}");
        }
        z = now;
    }
}

#[test]
fn a_tuple_moves_as_a_list_of_numbers() {
    // Python's `position=(16, 16)` arrives as a tuple.
    let p = walker_kind();
    p.set_property("position", Rule::constant(Value::Tuple(vec![Value::Int(16), Value::Float(8.5)]))).unwrap();
    p.set_sequential("position", motion::drift(&[1.0, -0.5]).unwrap()).unwrap();
    let frames = sequence(&p, 3).resolve(None).unwrap();
    let track: Vec<Vec<f64>> =
        frames.iter().map(|f| f.get_property("position").unwrap().to_f64_vec().unwrap()).collect();
    assert_eq!(track, vec![vec![16.0, 8.5], vec![17.0, 8.0], vec![18.0, 7.5]]);
}

#[test]
fn an_integer_array_moves_as_floats() {
    // `position=np.array([16, 8])` (an int64 array): numpy's int + float step is a float array.
    let p = walker_kind();
    let start = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[2]), vec![16i64, 8]).unwrap();
    p.set_property("position", Rule::constant(Value::int_array(start))).unwrap();
    p.set_sequential("position", motion::drift(&[1.0, -0.5]).unwrap()).unwrap();
    let frames = sequence(&p, 3).resolve(None).unwrap();
    let track: Vec<Value> = frames.iter().map(|f| f.get_property("position").unwrap().clone()).collect();
    assert_eq!(track[0].kind(), ValueKind::IntArray, "the first frame keeps the value as given");
    assert!(track[1..].iter().all(|v| v.kind() == ValueKind::Array), "{track:?}");
    let floats: Vec<Vec<f64>> = track.iter().map(|v| v.to_f64_vec().unwrap()).collect();
    assert_eq!(floats, vec![vec![16.0, 8.0], vec![17.0, 7.5], vec![18.0, 7.0]]);
}

/// The frames of a 16×16 ramp scaled by `t + 1` at step `t`, warped after the sequence by an
/// `ElasticTransformation` (linear, so alike frames stay `t + 1` times the first).
fn warped_frames(time_consistent: bool) -> Vec<Vec<f64>> {
    let source = Feature::custom("Ramp", |_, props| {
        let scale = props.f64("scale")?;
        Image::from_slice(&[16, 16], &(0..256).map(|i| scale * (i + 1) as f64).collect::<Vec<_>>()).map(Some)
    });
    source.set_property("scale", Rule::constant(1.0)).unwrap();
    source.set_sequential("scale", motion::drift(&[1.0]).unwrap()).unwrap();
    let elastic = deeptrack::features::builtin("ElasticTransformation").unwrap();
    for (k, v) in [
        ("alpha", Value::Float(40.0)),
        ("ignore_last_dim", Value::Bool(false)),
        ("order", Value::Int(1)),
        ("time_consistent", Value::Bool(time_consistent)),
    ] {
        elastic.set_property(k, Rule::constant(v)).unwrap();
    }
    let movie = Feature::chain(&sequence(&source, 4), &elastic).unwrap();
    movie.seed(3).unwrap();
    movie.update().unwrap();
    movie.resolve(None).unwrap().iter().map(|f| f.as_slice().to_vec()).collect()
}

#[test]
fn a_time_consistent_elastic_warp_is_the_same_for_every_frame() {
    let alike = |frames: &[Vec<f64>]| {
        frames.iter().enumerate().all(|(t, f)| {
            f.iter().zip(&frames[0]).all(|(a, b)| (a - (t + 1) as f64 * b).abs() <= 1e-9 * (1.0 + a.abs()))
        })
    };
    let frames = warped_frames(true);
    assert_eq!(frames.len(), 4);
    assert!(alike(&frames), "one field for every frame");
    assert!(frames[0].iter().enumerate().any(|(i, v)| (v - (i + 1) as f64).abs() > 1e-3), "warped");
    assert!(!alike(&warped_frames(false)), "without time_consistent, a field per frame");
}

#[test]
fn bad_input_is_refused_with_the_limit() {
    let s = sequence(&spinner(), 1);
    let err = s.set_property("sequence_length", Rule::constant(2_000_000)).unwrap_err();
    assert!(err.to_string().contains("exceeds the maximum of 1048576"), "{err}");
    assert!(motion::brownian(-1.0, 0.1, 1e-7).unwrap_err().to_string().contains("at least 0"));
    assert!(motion::brownian(1.0, 0.1, 0.0).unwrap_err().to_string().contains("above 0"));
    assert!(motion::drift(&[f64::NAN]).is_err());
    let other = spinner();
    let f = spinner();
    f.set_property("rotation", Rule::property_of(&other, "rotation").unwrap()).unwrap();
    let err = f.set_sequential("rotation", rotate_step()).unwrap_err();
    assert!(err.to_string().contains("cannot link to another feature"), "{err}");
    assert!(err.to_string().contains("property 'rotation'"), "{err}");
}

#[test]
fn batches_of_sequences_are_the_same_on_any_thread_count() {
    let s = sequence(&Feature::repeat(&walker(0.5), 3).unwrap(), 6);
    let one = s.resolve_batch_many(None, 42, 0, 8, 1).unwrap();
    let four = s.resolve_batch_many(None, 42, 0, 8, 4).unwrap();
    assert_eq!(one.len(), 8);
    let movies: Vec<_> = one.iter().map(|m| tracks(m)).collect();
    assert_eq!(movies, four.iter().map(|m| tracks(m)).collect::<Vec<_>>());
    assert!(movies.iter().all(|m| m.len() == 6));
    assert_ne!(movies[0], movies[1], "items differ");
    // Item i depends only on (pipeline, seed, i): items 4.. of a batch starting at 4.
    let later = s.resolve_batch_many(None, 42, 4, 4, 2).unwrap();
    assert_eq!(movies[4..], later.iter().map(|m| tracks(m)).collect::<Vec<_>>()[..]);
    // A copy seeded for item i resolved on its own gives item i.
    let copy = s.duplicate();
    copy.seed(deeptrack::graph::batch_item_seed(42, 3)).unwrap();
    assert_eq!(tracks(&copy.resolve(None).unwrap()), movies[3]);
    // resolve_batch wants one image per item.
    let err = s.resolve_batch(None, 42, 0, 2, 1).unwrap_err();
    assert!(err.to_string().contains("produced 6 images where 1 were expected"), "{err}");
}
