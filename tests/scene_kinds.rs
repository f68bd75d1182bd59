//! NonOverlapping, CropTight and Reuse: what users rely on (placements apart, positions from their
//! rule, seeded, warnings; crops; how often a feature is computed).

use deeptrack::features::registry;
use deeptrack::{ErrorKind, Feature, Image, Rule, Value, features, warnings};
use ndarray::{ArrayD, IxDyn};

fn image(shape: &[usize], data: Vec<f64>) -> Image {
    Image::new(ArrayD::from_shape_vec(IxDyn(shape), data).unwrap())
}

fn sphere(radius_px: f64, low: f64, high: f64) -> Feature {
    let s = features::builtin("Sphere").unwrap();
    // Outside a microscope a voxel is 1 µm.
    s.set_property("radius", Rule::constant(radius_px * 1e-6)).unwrap();
    s.set_property("position", Rule::uniform_array(&[low, low], &[high, high]).unwrap()).unwrap();
    s
}

fn non_overlapping(feature: &Feature, min_distance: f64) -> Feature {
    let f = registry::build("NonOverlapping", vec![feature.clone()]).unwrap();
    f.set_property("min_distance", Rule::constant(min_distance)).unwrap();
    f
}

/// The voxels of a volume where the optics put it (its centre of mass on its position, voxel size 1),
/// computed here from the volume and its `position` alone, as NonOverlapping judges them: the corner
/// of the footprint's box (the volume's, `reach` voxels further out: the whole voxels its dilation
/// adds) truncated toward zero, as DeepTrack2 2.0.1 does.
fn placed_voxels(volume: &Image, reach: i64) -> Vec<[i64; 3]> {
    let s = volume.shape().to_vec();
    let (mut total, mut com) = (0.0, [0.0; 3]);
    let mut voxels = Vec::new();
    for (n, &v) in volume.as_slice().iter().enumerate() {
        let idx = [n / (s[1] * s[2]), (n / s[2]) % s[1], n % s[2]];
        if v != 0.0 {
            total += v.abs();
            for i in 0..3 {
                com[i] += v.abs() * idx[i] as f64;
            }
            voxels.push(idx);
        }
    }
    let p = volume.get_property("position").unwrap().to_f64_vec().unwrap();
    let z = volume.get_property("z").and_then(|v| v.as_f64().ok()).unwrap_or(0.0);
    let origin = [p[0], p[1], z];
    let corner: Vec<i64> = (0..3).map(|i| (origin[i] - com[i] / total - reach as f64).trunc() as i64 + reach).collect();
    voxels.iter().map(|idx| std::array::from_fn(|i| corner[i] + idx[i] as i64)).collect()
}

/// The voxels within `radius` of a voxel set (brute force).
fn dilated(voxels: &[[i64; 3]], radius: f64) -> std::collections::HashSet<[i64; 3]> {
    let r = radius.ceil() as i64;
    let mut out = std::collections::HashSet::new();
    for v in voxels {
        for dx in -r..=r {
            for dy in -r..=r {
                for dz in -r..=r {
                    if ((dx * dx + dy * dy + dz * dz) as f64) <= radius * radius {
                        out.insert([v[0] + dx, v[1] + dy, v[2] + dz]);
                    }
                }
            }
        }
    }
    out
}

#[test]
fn non_overlapping_volumes_are_apart_and_carry_their_final_positions() {
    let particles = Feature::repeat(&sphere(3.0, 0.0, 40.0), 5).unwrap();
    let min_distance = 4.0;
    let placed = non_overlapping(&particles, min_distance);
    placed.store_properties(true);
    placed.seed(7).unwrap();
    let _ = warnings::take();
    for _ in 0..20 {
        placed.update().unwrap();
        let volumes = placed.resolve(None).unwrap();
        assert_eq!(volumes.len(), 5);
        assert!(warnings::take().is_empty(), "placed without a warning");
        let footprints: Vec<_> = volumes
            .iter()
            .map(|v| dilated(&placed_voxels(v, (min_distance / 2.0) as i64), min_distance / 2.0))
            .collect();
        for i in 0..5 {
            for j in i + 1..5 {
                assert!(
                    footprints[i].is_disjoint(&footprints[j]),
                    "volumes {i} and {j} are within min_distance of each other"
                );
            }
        }
        // The scatterers' samples are the final positions: the particle reads them back.
        let first = volumes[0].get_property("position").unwrap().to_f64_vec().unwrap();
        let again = placed.resolve(None).unwrap();
        let second = again[0].get_property("position").unwrap().to_f64_vec().unwrap();
        assert_eq!(second, first, "resolving again returns the same placement");
        assert!(again[0].shares_samples(&volumes[0]), "the cached result");
    }
}

#[test]
fn non_overlapping_moves_scatterers_given_as_a_property_value() {
    // `a & b` is `Chain(a, Stack(value=b))`: `b`'s volume joins the list as `Stack`'s value, not as a
    // contained feature, and is re-drawn like `a`'s (DeepTrack2 re-draws every volume that carries a
    // position sampler). `a` stays put (a constant position); `b` is drawn around it, so most first
    // draws overlap it and only re-drawing `b` gets them apart.
    let a = features::builtin("Sphere").unwrap();
    a.set_property("radius", Rule::constant(3e-6)).unwrap();
    a.set_property("position", Rule::constant(Value::vector(&[20.0, 20.0]))).unwrap();
    let b = sphere(3.0, 12.0, 28.0);
    let stack = features::builtin("Stack").unwrap();
    stack.set_property("value", Rule::feature_output(&b)).unwrap();
    let placed = non_overlapping(&Feature::chain(&a, &stack).unwrap(), 1.0);
    placed.store_properties(true);
    placed.seed(5).unwrap();
    let _ = warnings::take();
    let mut seen = Vec::new();
    for _ in 0..30 {
        placed.update().unwrap();
        let volumes = placed.resolve(None).unwrap();
        assert_eq!(volumes.len(), 2);
        assert!(warnings::take().is_empty(), "placed without a warning");
        let (fa, fb) = (dilated(&placed_voxels(&volumes[0], 0), 0.5), dilated(&placed_voxels(&volumes[1], 0), 0.5));
        assert!(fa.is_disjoint(&fb), "the two volumes are apart");
        assert_eq!(volumes[0].get_property("position").unwrap().to_f64_vec().unwrap(), vec![20.0, 20.0]);
        let pb = volumes[1].get_property("position").unwrap().to_f64_vec().unwrap();
        // The position `b` carries is its sample: the feature itself reads it back.
        assert_eq!(b.get_property("position").unwrap().to_f64_vec().unwrap(), pb);
        seen.push(pb);
    }
    // `b` never sits on `a` (a loose bound; the footprints' test above is the exact one).
    assert!(seen.iter().all(|p| (p[0] - 20.0).abs().max((p[1] - 20.0).abs()) >= 3.0), "{seen:?}");
}

#[test]
fn non_overlapping_positions_follow_their_rule_and_the_seed() {
    let particles = Feature::repeat(&sphere(2.0, 10.0, 90.0), 3).unwrap();
    let placed = non_overlapping(&particles, 2.0);
    placed.store_properties(true);
    let run = |seed| {
        placed.seed(seed).unwrap();
        let mut all = Vec::new();
        for _ in 0..300 {
            placed.update().unwrap();
            for v in placed.resolve(None).unwrap() {
                all.push(v.get_property("position").unwrap().to_f64_vec().unwrap());
            }
        }
        all
    };
    let a = run(11);
    assert_eq!(a, run(11), "reproducible under seed");
    assert_ne!(a, run(12));
    let n = a.len() as f64;
    for axis in 0..2 {
        let xs: Vec<f64> = a.iter().map(|p| p[axis]).collect();
        assert!(xs.iter().all(|&x| (10.0..90.0).contains(&x)), "within the rule's range");
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        // U(10, 90): mean 50, variance 80² / 12 ≈ 533 (sparse particles barely bias it).
        assert!((mean - 50.0).abs() < 3.0 && (var - 533.3).abs() < 60.0, "axis {axis}: mean {mean}, var {var}");
    }
}

#[test]
fn an_impossible_placement_warns_and_returns_the_last_one() {
    // Three balls of radius 8 whose centres must lie in a 4 × 4 square.
    let particles = Feature::repeat(&sphere(8.0, 0.0, 4.0), 3).unwrap();
    let placed = non_overlapping(&particles, 1.0);
    placed.set_property("max_attempts", Rule::constant(2)).unwrap();
    placed.set_property("max_iters", Rule::constant(3)).unwrap();
    placed.store_properties(true);
    placed.seed(1).unwrap();
    let _ = warnings::take();
    let volumes = placed.resolve(None).unwrap();
    assert_eq!(volumes.len(), 3, "the last placement is returned");
    assert_eq!(
        warnings::take(),
        ["NonOverlapping: non-overlapping placement could not be achieved in 2 attempts of 3 re-draws; the last \
          placement is returned (consider smaller objects, a larger field of view or a smaller min_distance)"]
    );
    // Cached: no new search, so no new warning.
    placed.resolve(None).unwrap();
    assert!(warnings::take().is_empty());
}

#[test]
fn a_placement_search_beyond_its_work_limit_is_an_error_stating_the_limit() {
    // 200 balls that cannot be apart: each re-draw counts 200 positions and 19,900 pairs, so the
    // 498th would make 10,009,800 > 10^7 (nonoverlapping::MAX_PLACEMENT_WORK), long before
    // 2 attempts of 1000 re-draws are done.
    let particles = Feature::repeat(&sphere(1.0, 0.0, 4.0), 200).unwrap();
    let placed = non_overlapping(&particles, 1.0);
    placed.set_property("max_attempts", Rule::constant(2)).unwrap();
    placed.set_property("max_iters", Rule::constant(1000)).unwrap();
    placed.store_properties(true);
    placed.seed(1).unwrap();
    let _ = warnings::take();
    let err = placed.resolve(None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        err.to_string(),
        "property 'max_iters' of feature 'NonOverlapping': placing 200 scatterers apart took 497 re-draws without \
         success (attempt 1 of 2, 1000 re-draws each); the next one makes 10009800 re-drawn positions and checked \
         pairs, which exceeds the maximum of 10000000 (each re-draw counts N + N (N - 1) / 2; use fewer max_attempts \
         or max_iters, smaller objects or a larger field of view)"
    );
    assert_eq!(deeptrack::features::nonoverlapping::MAX_PLACEMENT_WORK, 10_000_000);
    // DeepTrack2's defaults (5 attempts of 100 re-draws) stay within the limit for 100 scatterers:
    // 500 re-draws of 100 + 4950 = 2,525,000; the impossible placement warns as before.
    let particles = Feature::repeat(&sphere(1.0, 0.0, 4.0), 100).unwrap();
    let placed = non_overlapping(&particles, 1.0);
    placed.store_properties(true);
    placed.seed(1).unwrap();
    assert_eq!(placed.resolve(None).unwrap().len(), 100);
    let taken = warnings::take();
    assert_eq!(taken.len(), 1);
    assert!(taken[0].contains("could not be achieved in 5 attempts of 100 re-draws"), "{taken:?}");
}

#[test]
fn non_overlapping_places_scatterers_inside_a_microscope() {
    let s = features::builtin("Sphere").unwrap();
    s.set_property("radius", Rule::constant(5e-7)).unwrap();
    s.set_property("position", Rule::uniform_array(&[10.0, 10.0], &[54.0, 54.0]).unwrap()).unwrap();
    let optics = features::builtin("Fluorescence").unwrap();
    optics.set_property("output_region", Rule::constant(Value::vector(&[0.0, 0.0, 64.0, 64.0]))).unwrap();
    let pipe = Feature::microscope(&optics, &non_overlapping(&Feature::repeat(&s, 4).unwrap(), 3.0)).unwrap();
    pipe.store_properties(true);
    pipe.seed(3).unwrap();
    for _ in 0..5 {
        pipe.update().unwrap();
        let img = pipe.resolve_one(None).unwrap().unwrap();
        let pos: Vec<Vec<f64>> =
            img.get_properties("position").unwrap().iter().map(|v| v.to_f64_vec().unwrap()).collect();
        assert_eq!(pos.len(), 4);
        // Radius 5 pixels (0.5 µm at 0.1 µm per pixel), 3 pixels apart: centres at least 2·5 + 3 − 2.
        for i in 0..4 {
            for j in i + 1..4 {
                let d = ((pos[i][0] - pos[j][0]).powi(2) + (pos[i][1] - pos[j][1]).powi(2)).sqrt();
                assert!(d >= 11.0, "particles {i} and {j} are {d} pixels apart");
            }
        }
    }
}

#[test]
fn non_overlapping_reports_bad_input() {
    let value = features::builtin("Value").unwrap();
    value.set_property("value", Rule::constant(Value::array(ArrayD::zeros(IxDyn(&[2, 2, 2]))))).unwrap();
    let placed = non_overlapping(&value, 1.0);
    let err = placed.resolve(None).unwrap_err();
    assert!(err.to_string().contains("carries no 'position'"), "{err}");
    let err = placed.set_property("min_distance", Rule::constant(1e5)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "property 'min_distance' of feature 'NonOverlapping': 100000 exceeds the maximum of 10000"
    );
    let err = placed.set_property("max_iters", Rule::constant(1e6)).unwrap_err();
    assert!(err.to_string().contains("exceeds the maximum of 100000"), "{err}");
    assert_eq!(features::builtin("NonOverlapping").map(|_| ()), None, "it needs its feature");
}

#[test]
fn crop_tight_crops_every_axis_at_its_ends_only() {
    let crop = features::builtin("CropTight").unwrap();
    // Non-empty rows 1, 2 and 4 (row 3 is empty inside the box and kept).
    let mut data = vec![0.0; 6 * 5];
    for (r, c) in [(1, 1), (2, 3), (4, 2)] {
        data[r * 5 + c] = 1.0;
    }
    let out = crop.resolve_one(Some(&image(&[6, 5], data))).unwrap().unwrap();
    assert_eq!(out.shape(), [4, 3]);
    assert_eq!(out.as_slice(), [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    // Samples at or below eps (negative ones too) count as empty; nothing left gives an empty image.
    crop.set_property("eps", Rule::constant(0.5)).unwrap();
    let out =
        crop.resolve_one(Some(&image(&[2, 2, 2], vec![-1.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.7]))).unwrap().unwrap();
    assert_eq!((out.shape(), out.as_slice()), ([1, 1, 1].as_slice(), [0.7].as_slice()));
    let empty = crop.resolve_one(Some(&image(&[2, 3, 2], vec![0.1; 12]))).unwrap().unwrap();
    assert_eq!(empty.shape(), [0, 0, 0]);
    let err = crop.set_property("eps", Rule::constant(f64::NAN)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn crop_tight_moves_positions_by_the_rows_and_columns_it_cuts() {
    // Two marked samples at (2, 3, 1) and (4, 5, 2) of a (6, 7, 3) volume: the box is rows 2..5,
    // columns 3..6, planes 1..3, so positions shift by (-2, -3), as Crop's do (z is not moved).
    let mut data = vec![0.0; 6 * 7 * 3];
    for (r, c, z) in [(2, 3, 1), (4, 5, 2)] {
        data[(r * 7 + c) * 3 + z] = 1.0;
    }
    let marks = |positions: &[&[f64]]| {
        let mut chain: Option<Feature> = None;
        for (i, &p) in positions.iter().enumerate() {
            let f = Feature::custom(&format!("P{i}"), |_, _| Ok(None));
            f.set_property("position", Rule::constant(Value::vector(p))).unwrap();
            chain = Some(match chain {
                None => f,
                Some(before) => Feature::chain(&before, &f).unwrap(),
            });
        }
        chain.unwrap()
    };
    let upstream = marks(&[&[2.0, 3.0], &[4.0, 5.0, 2.0]]);
    let pipe = Feature::chain(&upstream, &features::builtin("CropTight").unwrap()).unwrap();
    pipe.store_properties(true);
    let out = pipe.resolve_one(Some(&image(&[6, 7, 3], data.clone()))).unwrap().unwrap();
    assert_eq!(out.shape(), [3, 3, 2]);
    let positions: Vec<Vec<f64>> =
        out.get_properties("position").unwrap().iter().map(|p| p.to_f64_vec().unwrap()).collect();
    assert_eq!(positions, [vec![0.0, 0.0], vec![2.0, 2.0, 2.0]]);
    // The marked samples are where the positions say.
    assert_eq!((out.data()[[0, 0, 0]], out.data()[[2, 2, 1]]), (1.0, 1.0));
    // Upstream results keep the uncropped frame (the crop moves copies of the dicts).
    let before = upstream.resolve_one(Some(&image(&[6, 7, 3], data.clone()))).unwrap().unwrap();
    assert_eq!(before.get_properties("position").unwrap()[0].to_f64_vec().unwrap(), [2.0, 3.0]);
    // Nothing cut before the box (or an empty result): positions stay.
    let mut corner = vec![0.0; 4 * 4];
    corner[5] = 1.0;
    let pipe = Feature::chain(&marks(&[&[1.0, 1.0]]), &features::builtin("CropTight").unwrap()).unwrap();
    pipe.store_properties(true);
    let out = pipe.resolve_one(Some(&image(&[2, 2], vec![1.0, 0.0, 0.0, 0.0]))).unwrap().unwrap();
    assert_eq!(
        (out.shape(), out.get_property("position").unwrap().to_f64_vec().unwrap()),
        (&[1, 1][..], vec![1.0, 1.0])
    );
    let out = pipe.resolve_one(Some(&image(&[4, 4], corner))).unwrap().unwrap();
    assert_eq!(
        (out.shape(), out.get_property("position").unwrap().to_f64_vec().unwrap()),
        (&[1, 1][..], vec![0.0, 0.0])
    );
    let out = pipe.resolve_one(Some(&image(&[2, 2], vec![0.0; 4]))).unwrap().unwrap();
    assert_eq!(
        (out.shape(), out.get_property("position").unwrap().to_f64_vec().unwrap()),
        (&[0, 0][..], vec![1.0, 1.0])
    );
}

/// A `Value` whose value is drawn anew at every update, and a counter of its draws.
fn counted_value() -> (Feature, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let draws = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = draws.clone();
    let value = features::builtin("Value").unwrap();
    value
        .set_property(
            "value",
            Rule::callback(move |ctx| {
                let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = ctx.uniform();
                Ok(Value::Float(n as f64))
            }),
        )
        .unwrap();
    (value, draws)
}

fn reuse(feature: &Feature, uses: i64, storage: i64) -> Feature {
    let r = registry::build("Reuse", vec![feature.clone()]).unwrap();
    r.set_property("uses", Rule::constant(uses)).unwrap();
    r.set_property("storage", Rule::constant(storage)).unwrap();
    r
}

#[test]
fn reuse_hands_out_each_output_uses_times() {
    let (value, draws) = counted_value();
    let r = reuse(&value, 3, 1);
    let mut seen = Vec::new();
    for _ in 0..9 {
        r.update().unwrap();
        seen.push(r.resolve_one(None).unwrap().unwrap().as_slice()[0]);
        // Resolving again without an update is the same computation: counted once.
        r.resolve_one(None).unwrap();
    }
    assert_eq!(seen, [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
    assert_eq!(draws.load(std::sync::atomic::Ordering::SeqCst), 3, "the feature is computed every 3 updates");
}

#[test]
fn reuse_with_storage_draws_among_the_kept_outputs() {
    let (value, _) = counted_value();
    let r = reuse(&value, 2, 3);
    r.store_properties(true);
    r.seed(4).unwrap();
    let mut seen = Vec::new();
    for _ in 0..600 {
        r.update().unwrap();
        let out = r.resolve_one(None).unwrap().unwrap();
        seen.push(out.as_slice()[0] as usize);
        // The output keeps its computation's dict, then Reuse's.
        let names: Vec<&str> = out.get_properties("name").unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(names, ["Value", "Reuse"]);
    }
    // Computations 0, 1, 2 fill the store, then every 6th resolves anew: 0-2, 6, 12, ...
    for (i, &v) in seen.iter().enumerate() {
        let fresh = i < 3 || i % 6 == 0;
        let computed = if i < 3 { i } else { 2 + i / 6 };
        if fresh {
            assert_eq!(v, computed, "computation {i} resolves the feature");
        } else {
            // One of the three kept outputs, drawn uniformly.
            assert!((computed.saturating_sub(2)..=computed).contains(&v), "computation {i} gave {v}");
        }
    }
    let reused: Vec<usize> =
        seen.iter().enumerate().filter(|(i, _)| *i >= 3 && i % 6 != 0).map(|(i, &v)| 2 + i / 6 - v).collect();
    for k in 0..3 {
        let share = reused.iter().filter(|&&d| d == k).count() as f64 / reused.len() as f64;
        assert!((share - 1.0 / 3.0).abs() < 0.07, "kept output {k} handed out {share} of the time");
    }
    let err = r.set_property("uses", Rule::constant(0)).unwrap_err();
    assert_eq!(err.to_string(), "property 'uses' of feature 'Reuse': expected a positive integer, got 0");
}

/// `SampleToMasks` with the identity transformation over a 32×32 region, merged by "or".
fn masks() -> Feature {
    let f = registry::build("SampleToMasks", Vec::new()).unwrap();
    let region = Value::List(vec![0.0.into(), 0.0.into(), 32.0.into(), 32.0.into()]);
    f.set_property("output_region", Rule::constant(region)).unwrap();
    f.set_property("merge_method", Rule::constant(Value::str("or"))).unwrap();
    f
}

fn point_at(row: f64, col: f64) -> Feature {
    let p = features::builtin("PointParticle").unwrap();
    p.set_property("position", Rule::constant(Value::List(vec![row.into(), col.into()]))).unwrap();
    p
}

/// The (row, column) of the non-zero pixels of a mask (H, W, 1).
fn marked(mask: &Image) -> Vec<(usize, usize)> {
    let w = mask.shape()[1];
    mask.as_slice().iter().enumerate().filter(|(_, v)| **v != 0.0).map(|(i, _)| (i / w, i % w)).collect()
}

#[test]
fn sample_to_masks_marks_point_particles_without_store_properties() {
    // DeepTrack2 2.0.1: `PointParticle(position=(10, 20)) >> SampleToMasks(lambda: lambda image: image > 0,
    // output_region=(0, 0, 32, 32), merge_method="or")` marks pixel (10, 20), without store_properties.
    let one = Feature::chain(&point_at(10.0, 20.0), &masks()).unwrap();
    let mask = one.resolve_one(None).unwrap().unwrap();
    assert_eq!(mask.shape(), [32, 32, 1]);
    assert_eq!(marked(&mask), [(10, 20)]);
    // Two particles (a list of two volumes): both marked (DeepTrack2 fails with a TypeError unless the
    // pipeline stores properties; with it, it marks both).
    let two = Feature::chain(&Feature::chain(&point_at(3.0, 4.0), &point_at(10.0, 20.0)).unwrap(), &masks()).unwrap();
    assert_eq!(marked(&two.resolve_one(None).unwrap().unwrap()), [(3, 4), (10, 20)]);
    // Turning storing off again: an error that says what is missing, never an empty mask.
    one.store_properties(false);
    let err = one.resolve_one(None).unwrap_err().to_string();
    assert!(err.contains("feature 'SampleToMasks'") && err.contains("carries no properties"), "{err}");
    let err = masks().resolve_one(Some(&image(&[2, 2, 1], vec![1.0; 4]))).unwrap_err().to_string();
    assert!(err.contains("carries no properties"), "{err}");
}

/// The `name`s of `image`'s dicts, in order.
fn dict_names(image: &Image) -> Vec<String> {
    image.properties().iter().map(|d| d.get("name").and_then(|v| v.as_str().ok()).unwrap_or("?").to_string()).collect()
}

#[test]
fn sample_to_masks_records_its_scatterers_dicts_only() {
    // DeepTrack2 2.0.1 gives `PointParticle(position=(5, 9)) >> SampleToMasks(lambda: lambda v: v > 0, ...)`
    // the list ['PointParticle', 'Chain']: its `_process_and_get` returns the mask as one Image, which
    // `action` iterates as a list, so SampleToMasks' dict goes to the mask's rows, never to the mask,
    // and the transformation (a function) records nothing. With `^ 2`: ['PointParticle', 'Repeat',
    // 'PointParticle', 'Chain'].
    let transform = features::builtin("Multiply").unwrap();
    transform.set_property("value", Rule::constant(3.0)).unwrap();
    transform.store_properties(true);
    let f = registry::build("SampleToMasks", vec![transform]).unwrap();
    let region = Value::List(vec![0.0.into(), 0.0.into(), 16.0.into(), 16.0.into()]);
    f.set_property("output_region", Rule::constant(region)).unwrap();
    let one = Feature::chain(&point_at(5.0, 9.0), &f).unwrap();
    one.store_properties(true);
    let mask = one.resolve_one(None).unwrap().unwrap();
    assert_eq!(dict_names(&mask), ["PointParticle", "Chain"]);
    assert_eq!(mask.as_slice()[5 * 16 + 9], 3.0);
    let two = Feature::chain(&Feature::repeat(&point_at(5.0, 9.0), 2).unwrap(), &f).unwrap();
    two.store_properties(true);
    let mask = two.resolve_one(None).unwrap().unwrap();
    assert_eq!(dict_names(&mask), ["PointParticle", "Repeat", "PointParticle", "Chain"]);
    assert_eq!(mask.as_slice()[5 * 16 + 9], 6.0);
}
