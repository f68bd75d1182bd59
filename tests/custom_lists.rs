//! A custom feature's get giving several images (DeepTrack2 2.0.1's `get` returning a list): the
//! features that follow compute each on its own, each carries the input's dicts, and a pipeline
//! ending there gives them all; a function of an image may not give several.

mod common;

use std::sync::Arc;

use common::{kind, kind_of, one};
use deeptrack::features::custom::CustomOutput;
use deeptrack::features::registry;
use deeptrack::{Feature, Image, Rule, Value};
use ndarray::{ArrayD, IxDyn};

fn filled(shape: &[usize], v: f64) -> Image {
    Image::new(ArrayD::from_elem(IxDyn(shape), v))
}

/// `Split`: the input and the input plus one (as the Python `get` returning `[image, image + 1]`).
fn split() -> Feature {
    Feature::custom_output("Split", |img, _| {
        let img = img.expect("an input");
        Ok(CustomOutput::Images(vec![img.with_data(&img.data() + 0.0), img.with_data(&img.data() + 1.0)]))
    })
}

fn values(images: &[Image]) -> Vec<Vec<f64>> {
    images.iter().map(|i| i.data().iter().copied().collect()).collect()
}

fn names(image: &Image) -> Vec<String> {
    let mut out = Vec::new();
    for d in image.properties().iter() {
        if let Some(Value::Str(s)) = d.get("name") {
            out.push(s.as_str().to_owned());
        }
    }
    out
}

#[test]
fn a_list_gives_several_images_that_the_next_feature_maps_over() {
    let add = kind_of("Add", &[("value", Value::Float(10.0))]);
    let pipeline = Feature::chain(&split(), &add).unwrap();
    let out = pipeline.resolve(Some(&filled(&[2, 2], 0.0))).unwrap();
    assert_eq!(values(&out), vec![vec![10.0; 4], vec![11.0; 4]]);
    assert!(out.iter().all(|i| i.shape() == [2, 2]));
    // Sum over all axes: one number per image (2.0.1: [0.0, 4.0]).
    let sum = kind("Sum", &[("axis", Rule::constant(Value::None))]);
    let out = Feature::chain(&split(), &sum).unwrap().resolve(Some(&filled(&[2, 2], 0.0))).unwrap();
    assert_eq!(values(&out), vec![vec![0.0], vec![4.0]]);
    // The pipeline's output is the list.
    assert_eq!(split().resolve(Some(&filled(&[2, 2], 0.0))).unwrap().len(), 2);
}

#[test]
fn ragged_and_empty_lists() {
    let ragged = Feature::custom_output("Ragged", |_, _| {
        Ok(CustomOutput::Images(vec![filled(&[2, 2], 0.0), filled(&[3], 1.0)]))
    });
    let add = kind_of("Add", &[("value", Value::Float(1.0))]);
    let out = Feature::chain(&ragged, &add).unwrap().resolve(Some(&filled(&[2, 2], 0.0))).unwrap();
    assert_eq!(values(&out), vec![vec![1.0; 4], vec![2.0; 3]]);
    let empty = Feature::custom_output("Empty", |_, _| Ok(CustomOutput::Images(Vec::new())));
    let out = Feature::chain(&empty, &add).unwrap().resolve(Some(&filled(&[2, 2], 0.0))).unwrap();
    assert!(out.is_empty());
    // Resolved without input: the images themselves.
    assert_eq!(ragged.resolve(None).unwrap().len(), 2);
    assert!(empty.resolve(None).unwrap().is_empty());
}

#[test]
fn several_inputs_give_their_lists_flattened_in_order() {
    let a = kind_of("Value", &[("value", Value::Float(0.0))]);
    let b = kind_of("Value", &[("value", Value::Float(5.0))]);
    let both = registry::build("Combine", vec![a, b]).unwrap();
    let out = Feature::chain(&both, &split()).unwrap().resolve(None).unwrap();
    assert_eq!(values(&out), vec![vec![0.0], vec![1.0], vec![5.0], vec![6.0]]);
    // In a repeat: each repetition maps over the previous one's images.
    let twice = Feature::repeat(&split(), 2).unwrap();
    let out = twice.resolve(Some(&filled(&[1], 0.0))).unwrap();
    assert_eq!(values(&out), vec![vec![0.0], vec![1.0], vec![1.0], vec![2.0]]);
}

#[test]
fn each_image_carries_the_input_dicts_then_the_ones_after() {
    let value = kind_of("Value", &[("value", Value::Float(0.0))]);
    let add = kind_of("Add", &[("value", Value::Float(1.0))]);
    let pipeline = Feature::chain(&Feature::chain(&value, &split()).unwrap(), &add).unwrap();
    pipeline.store_properties(true);
    let out = pipeline.resolve(None).unwrap();
    assert_eq!(out.len(), 2);
    for image in &out {
        // As 2.0.1 records them (store2 of the brief's script).
        assert_eq!(names(image), ["Value", "Split", "Chain", "Add", "Chain"], "{image:?}");
    }
    // The same dicts (one per computation), shared by both images.
    let (d0, d1) = (out[0].properties(), out[1].properties());
    assert!(d0.iter().zip(d1.iter()).all(|(a, b)| Arc::ptr_eq(a, b)));
    // Two inputs, the second split into as many images as there are inputs: each carries its own
    // input's dict (not paired by position).
    let a = kind_of("Value", &[("value", Value::Float(0.0)), ("tag", Value::Float(1.0))]);
    let b = kind_of("Value", &[("value", Value::Float(5.0)), ("tag", Value::Float(2.0))]);
    let some = Feature::custom_output("Some", |img, _| {
        let img = img.expect("an input");
        Ok(if img.data().iter().all(|&x| x == 0.0) {
            CustomOutput::NoImage
        } else {
            CustomOutput::Images(vec![img.clone(), img.clone()])
        })
    });
    let pipeline = Feature::chain(&registry::build("Combine", vec![a, b]).unwrap(), &some).unwrap();
    pipeline.store_properties(true);
    let out = pipeline.resolve(None).unwrap();
    assert_eq!(out.len(), 2);
    for image in &out {
        let tags: Vec<f64> = image.properties().iter().filter_map(|d| d.f64("tag").ok()).collect();
        assert_eq!(tags, [2.0], "{image:?}");
    }
}

#[test]
fn a_function_of_an_image_may_not_give_several() {
    let filter = split();
    let blur = registry::build("Blur", vec![filter]).unwrap();
    let e = blur.resolve(Some(&filled(&[4, 4], 0.0))).unwrap_err();
    assert!(e.to_string().contains("the function 'Split' gave a list of 2 images"), "{e}");
    // One image from a list of one is still a list: refused as well.
    let single = Feature::custom_output("Single", |img, _| Ok(CustomOutput::Images(vec![img.unwrap().clone()])));
    let e = registry::build("Blur", vec![single]).unwrap().resolve(Some(&filled(&[4, 4], 0.0))).unwrap_err();
    assert!(e.to_string().contains("the function 'Single' gave a list of 1 images"), "{e}");
    // A list of one in a pipeline is that image.
    let single = Feature::custom_output("Single", |img, _| Ok(CustomOutput::Images(vec![img.unwrap().clone()])));
    assert_eq!(one(&single, Some(&filled(&[2], 3.0))).data().iter().copied().collect::<Vec<_>>(), [3.0, 3.0]);
}
