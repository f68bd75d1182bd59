//! `resolve_batch_with`: items of several images each (`pipeline & target`), the same items as
//! `resolve_batch`, and a progress callback on the calling thread that may stop the batch.

use std::cell::RefCell;

use deeptrack::{ErrorKind, Feature, Image, Rule, Value, features};

/// A random point particle through Fluorescence on 16x16; with `target`, `image & mask` where the mask
/// is the same particle (shared) drawn by a second optics.
fn pipeline(target: bool) -> Feature {
    pipeline_of_size(target, 16.0)
}

fn pipeline_of_size(target: bool, size: f64) -> Feature {
    let particle = features::builtin("PointParticle").unwrap();
    particle.set_property("position", Rule::uniform_array(&[2.0, 2.0], &[size - 2.0, size - 2.0]).unwrap()).unwrap();
    particle.set_property("intensity", Rule::uniform(50.0, 150.0).unwrap()).unwrap();
    let optics = features::builtin("Fluorescence").unwrap();
    optics.set_property("output_region", Rule::constant(Value::vector(&[0.0, 0.0, size, size]))).unwrap();
    let image = Feature::microscope(&optics, &particle).unwrap();
    let pipe = if target {
        let mask_optics = features::builtin("Fluorescence").unwrap();
        mask_optics.set_property("output_region", Rule::constant(Value::vector(&[0.0, 0.0, size, size]))).unwrap();
        mask_optics.set_property("NA", Rule::constant(1.2)).unwrap();
        let mask = Feature::microscope(&mask_optics, &particle).unwrap();
        let stack = features::builtin("Stack").unwrap();
        stack.set_property("value", Rule::feature_output(&mask)).unwrap();
        Feature::chain(&image, &stack).unwrap()
    } else {
        image
    };
    pipe.store_properties(true);
    pipe
}

fn pixels(images: &[Image]) -> Vec<Vec<f64>> {
    images.iter().map(|i| i.as_slice().to_vec()).collect()
}

fn brightest(image: &Image) -> usize {
    let px = image.as_slice();
    (0..px.len()).max_by(|&a, &b| px[a].total_cmp(&px[b])).unwrap()
}

#[test]
fn one_image_per_item_gives_resolve_batchs_items() {
    let pipe = pipeline(false);
    let plain = pixels(&pipe.resolve_batch(None, 9, 3, 6, 2).unwrap());
    for threads in [1, 2] {
        let with = pixels(&pipe.resolve_batch_with(None, 9, 3, 6, threads, 1, None).unwrap());
        assert_eq!(with, plain);
    }
}

#[test]
fn items_of_two_images_come_in_item_order_and_share_their_sample() {
    let pipe = pipeline(true);
    let one = pipe.resolve_batch_with(None, 5, 0, 5, 1, 2, None).unwrap();
    let two = pipe.resolve_batch_with(None, 5, 0, 5, 2, 2, None).unwrap();
    assert_eq!(one.len(), 10);
    assert_eq!(pixels(&one), pixels(&two));
    // A split batch gives the same items.
    let tail = pipe.resolve_batch_with(None, 5, 3, 2, 2, 2, None).unwrap();
    assert_eq!(pixels(&tail), pixels(&one[6..]));
    for k in 0..5 {
        let (image, mask) = (&one[2 * k], &one[2 * k + 1]);
        // The mask is the same particle (drawn once per item): its brightest pixel is the image's.
        assert_eq!(brightest(image), brightest(mask));
        assert_ne!(image.as_slice(), mask.as_slice());
        if k > 0 {
            assert_ne!(image.as_slice(), one[0].as_slice(), "items differ");
        }
    }
    // Another number of images per item is refused, naming the item and both counts.
    let err = pipe.resolve_batch_with(None, 5, 7, 2, 1, 1, None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("batch item 7 produced 2 images where 1 were expected"), "{err}");
    let err = pipe.resolve_batch_with(None, 5, 7, 2, 1, 0, None).unwrap_err();
    assert!(err.to_string().contains("images per batch item must be at least 1"), "{err}");
}

#[test]
fn progress_is_reported_on_the_calling_thread_up_to_the_total() {
    for threads in [1, 2] {
        let pipe = pipeline(false);
        let caller = std::thread::current().id();
        let seen = RefCell::new(Vec::new());
        let mut report = |done: usize, total: usize| {
            assert_eq!(std::thread::current().id(), caller);
            seen.borrow_mut().push((done, total));
            true
        };
        let images = pipe.resolve_batch_with(None, 1, 0, 12, threads, 1, Some(&mut report)).unwrap();
        assert_eq!(images.len(), 12);
        let seen = seen.into_inner();
        assert_eq!(seen.last(), Some(&(12, 12)), "threads {threads}: {seen:?}");
        assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "never backwards: {seen:?}");
        assert!(seen.iter().all(|&(d, t)| t == 12 && (1..=12).contains(&d)));
        if threads == 1 {
            assert_eq!(seen, (1..=12).map(|d| (d, 12)).collect::<Vec<_>>(), "after every item");
        }
    }
}

#[test]
fn a_progress_callback_returning_false_stops_the_batch() {
    for threads in [1, 2] {
        // Items that take a while (256x256), so that the workers are far from done at the first report.
        let pipe = pipeline_of_size(false, 256.0);
        let mut calls = 0;
        let mut report = |done: usize, _total: usize| {
            calls += 1;
            done < 3
        };
        let err = pipe.resolve_batch_with(None, 1, 0, 200, threads, 1, Some(&mut report)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CallbackFailed);
        assert!(err.to_string().contains("the progress callback stopped the batch after"), "{err}");
        assert!(err.to_string().contains("of 200 items"), "{err}");
        assert!(calls < 200, "threads {threads}: the batch stopped early ({calls} reports)");
    }
    // A stop asked when every item is done is ignored.
    let pipe = pipeline(false);
    let mut report = |done: usize, total: usize| done < total;
    assert_eq!(pipe.resolve_batch_with(None, 1, 0, 3, 1, 1, Some(&mut report)).unwrap().len(), 3);
}
