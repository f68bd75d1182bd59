//! `Slice` (DeepTrack2's `features.Slice`, Python's `feature[...]`): numpy indexing of every image.
//! An index is a list of elements, one per axis (or a single element): an integer (negative from the
//! end; the axis is dropped), a slice written `"start:stop:step"` (each part optional, as in Python),
//! `"..."` (every axis not named), None (a new axis of length 1), a (nested) list or array of
//! integers, or a boolean array or (nested) list of booleans, a mask over as many axes: numpy's
//! advanced indexing of those (`fancy.rs`). An element may be a feature's output (`slices` a list
//! rule, `Rule::items`, as `feature[mask_feature]` builds it): a boolean image is a boolean array as a
//! value ([`Image::to_value`]), so a mask.

use crate::features::ComplexInputs;
use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD, SliceInfo, SliceInfoElem};

use super::FeatureKind;

mod fancy;
use super::registry::{KindSpec, ParamDefault, ParamKind, ParamSpec, Params};
use crate::error::{Error, ErrorKind, Result};
use crate::graph::{Feature, Resolver};
use crate::image::{Image, WideInts};
use crate::properties::PropertyDict;
use crate::typed_samples::TypedSamples;
use crate::value::Value;

/// The registry entries of this family.
pub(crate) static KINDS: &[KindSpec] = &[SLICE];

/// `Slice`, whose `slices` its computation reads.
const SLICE: KindSpec = KindSpec {
    name: "Slice",
    aliases: &[],
    module: "features",
    base: "",
    zero_d_array: false,
    bool_output: false,
    doc: "`feature[index]`: numpy's indexing of every image (basic, and lists of integers or boolean masks).",
    params: &[ParamSpec::new(
        "slices",
        ParamKind::Any,
        ParamDefault::Required,
        "the index: a list with, per axis, an integer, a slice \"start:stop:step\", \"...\", None (a new axis), a \
         (nested) list of integers, or a (nested) list of booleans masking as many axes",
    )],
    positional: &["slices"],
    make: |_| Box::new(Slice),
};

/// One element of an index.
#[derive(Clone, Debug, PartialEq)]
enum Element {
    Index(i64),
    Range(Option<i64>, Option<i64>, Option<i64>),
    Ellipsis,
    NewAxis,
    /// An integer array of this shape (C order) on one axis (numpy's advanced indexing: the
    /// indexed axis becomes the array's axes).
    Take(Vec<usize>, Vec<i64>),
    /// A boolean mask of this shape over as many axes (C order).
    Mask(Vec<usize>, Vec<bool>),
}

/// A nested list of booleans as a mask (its shape and values), `None` if it holds anything else.
fn mask(value: &Value) -> Option<(Vec<usize>, Vec<bool>)> {
    match value {
        Value::Bool(b) => Some((Vec::new(), vec![*b])),
        Value::List(items) | Value::Tuple(items) if !items.is_empty() => {
            let parts: Vec<(Vec<usize>, Vec<bool>)> = items.iter().map(mask).collect::<Option<_>>()?;
            if parts.iter().any(|p| p.0 != parts[0].0) {
                return None;
            }
            let mut shape = vec![parts.len()];
            shape.extend_from_slice(&parts[0].0);
            Some((shape, parts.into_iter().flat_map(|p| p.1).collect()))
        }
        _ => None,
    }
}

/// A (nested) list of integers as an integer index array (its shape and values, C order), `None`
/// if it holds anything else or is ragged.
fn integers(value: &Value) -> Option<(Vec<usize>, Vec<i64>)> {
    match value {
        Value::Int(i) => Some((Vec::new(), vec![*i])),
        Value::Float(x) => whole(*x).map(|i| (Vec::new(), vec![i])),
        Value::IntArray(a) => Some((a.shape().to_vec(), a.iter().copied().collect())),
        Value::List(items) | Value::Tuple(items) => {
            // A flat list (the common case) without a vector per item.
            let flat: Option<Vec<i64>> = items
                .iter()
                .map(|v| match v {
                    Value::Int(i) => Some(*i),
                    Value::Float(x) => whole(*x),
                    _ => None,
                })
                .collect();
            if let Some(flat) = flat {
                return Some((vec![flat.len()], flat));
            }
            let parts: Vec<(Vec<usize>, Vec<i64>)> = items.iter().map(integers).collect::<Option<_>>()?;
            if parts.iter().any(|p| p.0 != parts.first().map_or(&[][..], |q| &q.0[..])) {
                return None;
            }
            let mut shape = vec![parts.len()];
            shape.extend_from_slice(parts.first().map_or(&[][..], |p| &p.0[..]));
            Some((shape, parts.into_iter().flat_map(|p| p.1).collect()))
        }
        _ => None,
    }
}

/// A whole number as an index.
fn whole(x: f64) -> Option<i64> {
    (x.fract() == 0.0 && x.abs() < 9.0e18).then_some(x as i64)
}

/// The elements of an index value. A numeric array as the whole index is a sequence of elements
/// along its first axis, as a list is (DeepTrack2's `tuple(slices)`): `np.array([0, 2])` is `x[0,
/// 2]`, a 2-d array's rows index one axis each (numpy's advanced indexing of those). A boolean array
/// stays one mask (`tuple` of a mask would index with its rows, which no mask means).
fn parse_index(value: &Value) -> Result<Vec<Element>> {
    match value {
        Value::List(items) | Value::Tuple(items) => items.iter().map(parse_element).collect(),
        Value::Array(a) if a.ndim() >= 1 => a
            .outer_iter()
            .map(|item| match item.ndim() {
                0 => parse_element(&Value::Float(item.iter().copied().next().unwrap_or(f64::NAN))),
                _ => parse_element(&Value::Array(Arc::new(item.to_owned()))),
            })
            .collect(),
        Value::IntArray(a) if a.ndim() >= 1 => a
            .outer_iter()
            .map(|item| match item.ndim() {
                0 => parse_element(&Value::Int(item.iter().copied().next().unwrap_or_default())),
                _ => parse_element(&Value::IntArray(Arc::new(item.to_owned()))),
            })
            .collect(),
        other => Ok(vec![parse_element(other)?]),
    }
}

/// [`parse_index`] of the index a computation reads, after checking that no feature given as the
/// index (or as one of its items) gave no image: its `None` would otherwise be a new axis.
fn index_of(value: &Value, rs: &mut Resolver<'_>) -> Result<Vec<Element>> {
    match value {
        Value::List(items) | Value::Tuple(items) => {
            for (i, item) in items.iter().enumerate() {
                if matches!(item, Value::None)
                    && rs.feature_value_item_images("slices", i)?.is_some_and(|i| i.is_empty())
                {
                    return Err(no_index_image(Some(i)));
                }
            }
        }
        Value::None if rs.computed_feature_value_images("slices")?.is_some_and(|i| i.is_empty()) => {
            return Err(no_index_image(None));
        }
        _ => {}
    }
    parse_index(value)
}

/// The error of an index feature (item `item` of the index, or the whole index) that gave no image:
/// its `None` is not a new axis. DeepTrack2 2.0.1 indexes with its empty list (a meaningless empty
/// result, `x[[]]`).
fn no_index_image(item: Option<usize>) -> Error {
    let which = item.map_or_else(
        || "the feature given as the index".to_owned(),
        |i| format!("the feature given as item {i} of the index"),
    );
    Error::type_mismatch(format!(
        "{which} gave no image: it is resolved without input (in `A[B]`, `B` computes on nothing, not on the input \
         of `A`), and a feature that transforms its input then gives none (DeepTrack2 2.0.1 indexes with an empty \
         list); give it an input of its own (`A[Value(x) >> B]`) or use one that makes its image"
    ))
}

fn parse_element(value: &Value) -> Result<Element> {
    let bad = || {
        Error::invalid(format!(
            "expected an integer, a slice \"start:stop:step\", \"...\", None, a list of integers or a mask of \
             booleans, got {}",
            value.kind_name()
        ))
    };
    match value {
        Value::None => Ok(Element::NewAxis),
        Value::Int(i) => Ok(Element::Index(*i)),
        Value::Float(x) if whole(*x).is_some() => Ok(Element::Index(*x as i64)),
        Value::BoolArray(a) => Ok(Element::Mask(a.shape().to_vec(), a.iter().copied().collect())),
        Value::List(_) | Value::Tuple(_) if mask(value).is_some() => {
            let (shape, values) = mask(value).expect("a mask");
            Ok(Element::Mask(shape, values))
        }
        Value::List(_) | Value::Tuple(_) => {
            let (shape, indices) = integers(value).ok_or_else(bad)?;
            Ok(Element::Take(shape, indices))
        }
        Value::Array(a) if a.ndim() >= 1 => a
            .iter()
            .map(|&x| whole(x).ok_or_else(bad))
            .collect::<Result<_>>()
            .map(|indices| Element::Take(a.shape().to_vec(), indices)),
        // numpy's integer arrays: a 0-d one is an integer, others take along an axis.
        Value::IntArray(a) if a.ndim() == 0 => Ok(Element::Index(a.iter().copied().next().unwrap_or_default())),
        Value::IntArray(a) => Ok(Element::Take(a.shape().to_vec(), a.iter().copied().collect())),
        Value::Str(s) if s.as_str() == "..." => Ok(Element::Ellipsis),
        Value::Str(s) => {
            let parts: Vec<&str> = s.as_str().split(':').collect();
            if !(2..=3).contains(&parts.len()) {
                return Err(Error::invalid(format!("'{}' is not a slice \"start:stop:step\"", s.as_str())));
            }
            let part = |p: &str| -> Result<Option<i64>> {
                let p = p.trim();
                if p.is_empty() || p == "None" {
                    return Ok(None);
                }
                p.parse::<i64>()
                    .map(Some)
                    .map_err(|_| Error::invalid(format!("'{}' is not a slice \"start:stop:step\"", s.as_str())))
            };
            let step = parts.get(2).map_or(Ok(None), |p| part(p))?;
            if step == Some(0) {
                return Err(Error::invalid(format!("the slice '{}' has a step of 0", s.as_str())));
            }
            Ok(Element::Range(part(parts[0])?, part(parts[1])?, step))
        }
        _ => Err(bad()),
    }
}

/// Python's `slice.indices(len)` as ndarray's slice (which walks a range forwards, or backwards
/// from its end for a negative step).
fn range_elem(len: usize, start: Option<i64>, stop: Option<i64>, step: Option<i64>) -> SliceInfoElem {
    let n = len as i64;
    let step = step.unwrap_or(1);
    let clamp = |x: i64, lo: i64, hi: i64| x.clamp(lo, hi);
    let norm = |x: i64| if x < 0 { x + n } else { x };
    if step > 0 {
        let a = start.map_or(0, |s| clamp(norm(s), 0, n));
        let b = stop.map_or(n, |s| clamp(norm(s), 0, n)).max(a);
        SliceInfoElem::Slice { start: a as isize, end: Some(b as isize), step: step as isize }
    } else {
        let a = start.map_or(n - 1, |s| clamp(norm(s), -1, n - 1));
        let b = stop.map_or(-1, |s| clamp(norm(s), -1, n - 1));
        if a <= b {
            return SliceInfoElem::Slice { start: 0, end: Some(0), step: 1 };
        }
        // Indices a, a + step, ... > b: the smallest is a - k·|step| with k = (a - b - 1) / |step|.
        let last = a - (a - b - 1) / (-step) * (-step);
        SliceInfoElem::Slice { start: last as isize, end: Some(a as isize + 1), step: step as isize }
    }
}

/// `data[index]` with numpy's semantics of basic indexing (a view, as numpy's).
fn slice<'a, T>(data: &ArrayViewD<'a, T>, index: &[Element]) -> Result<ArrayViewD<'a, T>> {
    let ellipses = index.iter().filter(|e| **e == Element::Ellipsis).count();
    if ellipses > 1 {
        return Err(Error::invalid("an index can only have a single ellipsis ('...')"));
    }
    let named = index.iter().filter(|e| matches!(e, Element::Index(_) | Element::Range(..))).count();
    let shape = data.shape();
    if named > shape.len() {
        return Err(Error::invalid(format!(
            "too many indices for an image of {} dimensions: {named} were indexed",
            shape.len()
        )));
    }
    let mut elems = Vec::with_capacity(shape.len() + index.len());
    let mut axis = 0;
    for e in index {
        match *e {
            Element::Take(..) | Element::Mask(..) => unreachable!("advanced indices are taken by fancy()"),
            Element::NewAxis => elems.push(SliceInfoElem::NewAxis),
            Element::Ellipsis => {
                for _ in 0..shape.len() - named {
                    elems.push(SliceInfoElem::Slice { start: 0, end: None, step: 1 });
                    axis += 1;
                }
            }
            Element::Index(i) => {
                let n = shape[axis] as i64;
                let k = if i < 0 { i + n } else { i };
                if !(0..n).contains(&k) {
                    return Err(Error::invalid(format!("index {i} is out of bounds for axis {axis} with size {n}")));
                }
                elems.push(SliceInfoElem::Index(k as isize));
                axis += 1;
            }
            Element::Range(a, b, s) => {
                elems.push(range_elem(shape[axis], a, b, s));
                axis += 1;
            }
        }
    }
    // Axes not indexed are kept whole, as numpy does.
    for _ in axis..shape.len() {
        elems.push(SliceInfoElem::Slice { start: 0, end: None, step: 1 });
    }
    let info = SliceInfo::<Vec<SliceInfoElem>, ndarray::IxDyn, ndarray::IxDyn>::try_from(elems)
        .map_err(|e| Error::invalid(format!("bad index: {e}")))?;
    Ok(data.clone().slice_move(info))
}

/// `Slice(slices)`: every image indexed by `slices`.
#[derive(Clone)]
struct Slice;

impl FeatureKind for Slice {
    /// Complex images: the views of the real and imaginary parts, joined as a view of the numbers.
    fn complex_inputs(&self) -> ComplexInputs {
        ComplexInputs::PartViews
    }

    fn with_children(&self, _: Vec<Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "Slice"
    }

    /// int64 and uint64 samples are sliced in their type (no float64 copy of them is made); the
    /// other narrow types are read as float64 (converted in `get`).
    fn reads_narrow_samples(&self) -> bool {
        true
    }

    fn get(&self, input: Option<&Image>, props: &Arc<PropertyDict>, rs: &mut Resolver<'_>) -> Result<Option<Image>> {
        let Some(image) = input else { return Ok(None) };
        let p = Params::new(SLICE.params, props);
        let index = index_of(p.value("slices")?, rs).map_err(|e| e.in_property("slices"))?;
        let advanced = index.iter().any(|e| matches!(e, Element::Take(..) | Element::Mask(..)));
        if let Some(wide) = image.wide_ints() {
            // int64 and uint64: read in their type (no float64 copy), shared or copied as numpy does.
            if !advanced {
                let block = match &wide {
                    WideInts::I64(x) => block_of(x, &index, image)?,
                    WideInts::U64(x) => block_of(x, &index, image)?,
                };
                if let Some((start, shape)) = block {
                    return image.block(start, &shape).map(Some);
                }
            }
            return copied_wide(image, wide, &index).map(Some);
        }
        image.float64_ready()?;
        let data = image.data();
        if advanced {
            let out = fancy::fancy(&data, &index).map_err(|e| e.in_property("slices"))?;
            return image.with_data_in_type(out).map(Some);
        }
        if let Some((start, shape)) = block_of(&data, &index, image)? {
            return image.block(start, &shape).map(Some);
        }
        // Output-sized: the copy is the work.
        let view = slice(&data, &index).map_err(|e| e.in_property("slices"))?;
        image.with_data_in_type(crate::fallible::standard_owned(&view.view())?).map(Some)
    }
}

/// The start (in samples from the image's first) and the shape of `data[index]` when it is a
/// contiguous block of the samples of `image` (whose samples `data` views): shared, as numpy's view
/// is. `None` when it is not, or when `image` is permuted (its offsets in memory are not C-order
/// indices): its slices are copied.
fn block_of<T>(data: &ArrayViewD<'_, T>, index: &[Element], image: &Image) -> Result<Option<(usize, Vec<usize>)>> {
    let view = slice(data, index).map_err(|e| e.in_property("slices"))?;
    if view.is_empty() || !view.is_standard_layout() || image.is_permuted() {
        return Ok(None);
    }
    // SAFETY: both pointers are into the one slice of samples `data` views (a slice of a view stays
    // inside it), so their distance is a whole number of elements.
    let start = unsafe { view.as_ptr().offset_from(data.as_ptr()) };
    let start = usize::try_from(start).expect("a slice starts inside the image");
    Ok(Some((start, view.shape().to_vec())))
}

/// `image[index]` of an int64 or uint64 image, copied in its type (exact, where the samples' float64
/// values are exact only up to 2^53).
fn copied_wide(image: &Image, wide: WideInts<'_>, index: &[Element]) -> Result<Image> {
    let (shape, samples) = match wide {
        WideInts::I64(x) => copied(&x, index).map(|(shape, v)| (shape, TypedSamples::from_i64(v)))?,
        WideInts::U64(x) => copied(&x, index).map(|(shape, v)| (shape, TypedSamples::from_u64(v)))?,
    };
    Ok(image.with_typed(&shape, samples))
}

/// The shape and the C-order samples of `x[index]`. An advanced index is applied to the C-order
/// positions of the samples (as float64, exact below 2^53 samples), which then pick the samples.
fn copied<T: Copy>(x: &ArrayViewD<'_, T>, index: &[Element]) -> Result<(Vec<usize>, Vec<T>)> {
    let oom = |n: usize| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate the slice of {n} samples"));
    let mut out = Vec::new();
    if index.iter().any(|e| matches!(e, Element::Take(..) | Element::Mask(..))) {
        let mut positions = crate::buffer::with_capacity(x.len())?;
        positions.extend((0..x.len()).map(|i| i as f64));
        let positions = ArrayD::from_shape_vec(x.raw_dim(), positions).expect("one per sample");
        let picked = fancy::fancy(&positions.view(), index).map_err(|e| e.in_property("slices"))?;
        let mut samples = Vec::new();
        samples.try_reserve_exact(x.len()).map_err(|_| oom(x.len()))?;
        samples.extend(x.iter().copied());
        out.try_reserve_exact(picked.len()).map_err(|_| oom(picked.len()))?;
        out.extend(picked.iter().map(|&i| samples[i as usize]));
        return Ok((picked.shape().to_vec(), out));
    }
    let view = slice(x, index).map_err(|e| e.in_property("slices"))?;
    out.try_reserve_exact(view.len()).map_err(|_| oom(view.len()))?;
    out.extend(view.iter().copied());
    Ok((view.shape().to_vec(), out))
}

#[cfg(test)]
mod tests {
    use ndarray::ArrayD;

    use super::*;

    fn idx(items: &[&str]) -> Vec<Element> {
        items
            .iter()
            .map(|s| match s.parse::<i64>() {
                Ok(i) => Element::Index(i),
                Err(_) => parse_element(&Value::str(s)).unwrap(),
            })
            .collect()
    }

    fn arange(shape: &[usize]) -> ArrayD<f64> {
        let n = shape.iter().product::<usize>();
        ArrayD::from_shape_vec(shape, (0..n).map(|x| x as f64).collect()).unwrap()
    }

    fn flat(a: &ArrayViewD<'_, f64>) -> (Vec<usize>, Vec<f64>) {
        (a.shape().to_vec(), a.iter().copied().collect())
    }

    #[test]
    fn slices_follow_numpy() {
        let a = arange(&[4, 4]);
        assert_eq!(flat(&slice(&a.view(), &idx(&["1", "-1"])).unwrap()), (vec![], vec![7.0]));
        assert_eq!(flat(&slice(&a.view(), &idx(&["1", "0:4:2"])).unwrap()), (vec![2], vec![4.0, 6.0]));
        assert_eq!(flat(&slice(&a.view(), &idx(&["...", ":1"])).unwrap()), (vec![4, 1], vec![0.0, 4.0, 8.0, 12.0]));
        assert_eq!(flat(&slice(&a.view(), &idx(&["::-1", "2"])).unwrap()), (vec![4], vec![14.0, 10.0, 6.0, 2.0]));
        assert_eq!(flat(&slice(&a.view(), &idx(&["3:0:-2", "0"])).unwrap()), (vec![2], vec![12.0, 4.0]));
        assert_eq!(flat(&slice(&a.view(), &idx(&["2:1", "0"])).unwrap()), (vec![0], vec![]));
        assert_eq!(flat(&slice(&a.view(), &idx(&["-100:100", "::-3"])).unwrap()).0, vec![4, 2]);
        let b = arange(&[3, 3, 3]);
        // image[:, 1:2, ::-2] of DeepTrack2's test.
        assert_eq!(
            flat(&slice(&b.view(), &idx(&[":", "1:2", "::-2"])).unwrap()),
            (vec![3, 1, 2], vec![5.0, 3.0, 14.0, 12.0, 23.0, 21.0])
        );
        assert_eq!(slice(&b.view(), &[Element::NewAxis, Element::Index(0)]).unwrap().shape(), [1, 3, 3]);
        assert_eq!(slice(&b.view(), &idx(&["1:"])).unwrap().shape(), [2, 3, 3], "axes not indexed kept whole");
        assert_eq!(slice(&b.view(), &[]).unwrap().shape(), [3, 3, 3]);
        let err = slice(&a.view(), &idx(&["4"])).unwrap_err();
        assert_eq!(err.to_string(), "index 4 is out of bounds for axis 0 with size 4");
        assert!(slice(&a.view(), &idx(&["0", "0", "0"])).is_err());
        assert!(slice(&a.view(), &idx(&["...", "..."])).is_err());
        assert!(parse_element(&Value::str("1:2:0")).is_err());
    }

    #[test]
    fn a_numeric_array_as_the_whole_index_is_a_sequence_of_elements() {
        let a = arange(&[3, 4]);
        let array = |shape: &[usize], v: &[f64]| {
            Value::Array(Arc::new(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), v.to_vec()).unwrap()))
        };
        let index = |value: &Value| -> Result<(Vec<usize>, Vec<f64>)> {
            let elements = parse_index(value)?;
            if elements.iter().any(|e| matches!(e, Element::Take(..) | Element::Mask(..))) {
                let out = fancy::fancy(&a.view(), &elements)?;
                return Ok((out.shape().to_vec(), out.iter().copied().collect()));
            }
            Ok(flat(&slice(&a.view(), &elements)?))
        };
        // x[tuple(np.array([2, 1]))] = x[2, 1]
        assert_eq!(index(&array(&[2], &[2.0, 1.0])).unwrap(), (vec![], vec![9.0]));
        // x[tuple(np.array([[0, 2], [1, 3]]))] = x[[0, 2], [1, 3]]
        assert_eq!(index(&array(&[2, 2], &[0.0, 2.0, 1.0, 3.0])).unwrap(), (vec![2], vec![1.0, 11.0]));
        // One array inside a list (`x[np.array([0, 2])]`, `feature[array]`) takes rows.
        assert_eq!(index(&Value::List(vec![array(&[2], &[0.0, 2.0])])).unwrap().0, vec![2, 4]);
        // A mask as the whole index stays a mask.
        let mask = Value::BoolArray(Arc::new(
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[3]), vec![true, false, true]).unwrap(),
        ));
        assert_eq!(index(&mask).unwrap().0, vec![2, 4]);
        assert!(parse_index(&array(&[2], &[0.5, 1.0])).is_err());
    }

    fn ints(v: &[i64]) -> Value {
        Value::List(v.iter().map(|&i| Value::Int(i)).collect())
    }

    fn bools(v: &[bool]) -> Value {
        Value::List(v.iter().map(|&b| Value::Bool(b)).collect())
    }

    fn fancy_of(a: &ArrayD<f64>, index: Vec<Value>) -> Result<(Vec<usize>, Vec<f64>)> {
        let index = parse_index(&Value::List(index))?;
        let out = fancy::fancy(&a.view(), &index)?;
        Ok((out.shape().to_vec(), out.iter().copied().collect()))
    }

    #[test]
    fn lists_and_masks_follow_numpys_advanced_indexing() {
        let a = arange(&[3, 4]);
        // a[[2, 0]], a[:, [3, 1]], a[[0, 2], [1, 3]], a[1, [0, 3]], a[[True, False, True]].
        assert_eq!(fancy_of(&a, vec![ints(&[2, 0])]).unwrap(), (vec![2, 4], vec![8., 9., 10., 11., 0., 1., 2., 3.]));
        assert_eq!(
            fancy_of(&a, vec![Value::str(":"), ints(&[3, 1])]).unwrap(),
            (vec![3, 2], vec![3., 1., 7., 5., 11., 9.])
        );
        assert_eq!(fancy_of(&a, vec![ints(&[0, 2]), ints(&[1, 3])]).unwrap(), (vec![2], vec![1., 11.]));
        assert_eq!(fancy_of(&a, vec![Value::Int(1), ints(&[0, -1])]).unwrap(), (vec![2], vec![4., 7.]));
        assert_eq!(fancy_of(&a, vec![bools(&[true, false, true])]).unwrap().0, vec![2, 4]);
        // A 2-d mask: the true samples in C order.
        let mask = Value::List(vec![
            bools(&[true, false, false, true]),
            bools(&[false; 4]),
            bools(&[false, true, false, false]),
        ]);
        assert_eq!(fancy_of(&a, vec![mask]).unwrap(), (vec![3], vec![0., 3., 9.]));
        // Not adjacent: the indexed axis first (b[[0, 2], :, [1, 3]] is (2, 4)).
        let b = arange(&[3, 4, 5]);
        let (shape, data) = fancy_of(&b, vec![ints(&[0, 2]), Value::str(":"), ints(&[1, 3])]).unwrap();
        assert_eq!((shape, &data[..4]), (vec![2, 4], &[1., 6., 11., 16.][..]));
        assert_eq!(fancy_of(&b, vec![Value::str(":"), Value::Int(1), ints(&[0, 4])]).unwrap().0, vec![3, 2]);
        assert_eq!(fancy_of(&b, vec![Value::Int(1), Value::str(":"), ints(&[0, 4])]).unwrap().0, vec![2, 4]);
        assert_eq!(fancy_of(&b, vec![ints(&[])]).unwrap().0, vec![0, 4, 5]);
        // Errors say what is wrong.
        let err = fancy_of(&a, vec![ints(&[0, 3])]).unwrap_err();
        assert_eq!(err.to_string(), "index 3 is out of bounds for axis 0 with size 3");
        let err = fancy_of(&a, vec![ints(&[0, 1]), ints(&[0, 1, 2])]).unwrap_err();
        assert_eq!(err.to_string(), "the index arrays cannot be broadcast together: shapes (2,) (3,)");
        let err = fancy_of(&a, vec![bools(&[true, false])]).unwrap_err();
        assert!(err.to_string().starts_with("the boolean index did not match the image along axis 0"), "{err}");
        assert!(parse_element(&Value::List(vec![Value::Float(0.5)])).is_err());
        assert!(parse_element(&Value::str("a:b")).is_err());
    }
}
