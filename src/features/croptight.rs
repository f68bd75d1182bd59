//! `CropTight(eps=1e-10)` (DeepTrack2's `augmentations.CropTight`): crops an image to the smallest
//! box that holds every sample above `eps`. Also the bounding box that `NonOverlapping` crops its
//! dilated volumes to.
//!
//! DeepTrack2 2.0.1 keeps, along each of the three axes of a 3-D image, the slices that hold a sample
//! above `eps` (a boolean mask), which also drops empty slices *inside* the image, although its
//! documentation says it removes them "from the start and end"; other dimensions give shapes that
//! make no sense (a 2-D image becomes 3-D). Here every axis of an image of any dimension is cropped
//! from the start and the end only, as documented (README, "Differences"). An image with no sample
//! above `eps` becomes empty (every axis of length 0), as in DeepTrack2. Positions move with the crop,
//! as `Crop` moves them (rows and columns by the first kept ones); DeepTrack2 2.0.1 leaves them in
//! the uncropped frame (README, "Differences").

use std::ops::Range;
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use super::FeatureKind;
use super::augmentations::{WholeMove, move_positions_whole};
use super::registry::{Const, KindSpec, ParamDefault, ParamSpec, Params};
use crate::error::Result;
use crate::graph::{ReplicaId, Resolver};
use crate::image::Image;
use crate::properties::PropertyDict;

/// The registry entry (listed with the augmentations).
pub(crate) const CROP_TIGHT: KindSpec = KindSpec {
    name: "CropTight",
    aliases: &[],
    module: "augmentations",
    base: "Feature",
    zero_d_array: false,
    bool_output: false,
    doc: "Crops every axis to the smallest box that holds the samples above `eps` (all axes empty when none is); \
          positions follow.",
    params: &[ParamSpec::finite(
        "eps",
        ParamDefault::Value(Const::Float(1e-10)),
        "the threshold: a sample counts when it is above eps",
    )],
    positional: &["eps"],
    make: |_| Box::new(CropTight),
};

/// Per axis, the range of indices between the first and the last that hold an element for which
/// `keep` is true; `None` when no element is kept. One pass over the array in C order: each row (along
/// the last axis) ORs its flags into the last axis's and gives one flag to the array of the axes
/// before, which is treated the same way (`OutOfMemory` when that array cannot be allocated).
pub(crate) fn bounds<T>(shape: &[usize], data: &[T], keep: impl Fn(&T) -> bool) -> Result<Option<Vec<Range<usize>>>> {
    let Some((&lane, outer)) = shape.split_last() else {
        return Ok(data.first().filter(|x| keep(x)).map(|_| Vec::new()));
    };
    if lane == 0 || data.is_empty() {
        return Ok(None);
    }
    let mut columns = vec![false; lane];
    let mut rows: Vec<bool> = Vec::new();
    let count = data.len() / lane;
    rows.try_reserve_exact(count).map_err(|_| {
        crate::error::Error::new(crate::error::ErrorKind::OutOfMemory, format!("cannot allocate {count} flags"))
    })?;
    for row in data.chunks_exact(lane) {
        let mut any = false;
        for (column, x) in columns.iter_mut().zip(row) {
            let k = keep(x);
            *column |= k;
            any |= k;
        }
        rows.push(any);
    }
    let Some(first) = columns.iter().position(|&c| c) else { return Ok(None) };
    let last = columns.iter().rposition(|&c| c).expect("a column is kept");
    let mut out = if outer.is_empty() {
        Vec::new()
    } else {
        match flag_bounds(outer, &rows)? {
            Some(out) => out,
            None => return Ok(None),
        }
    };
    out.push(first..last + 1);
    Ok(Some(out))
}

/// [`bounds`] of an array of flags.
fn flag_bounds(shape: &[usize], flags: &[bool]) -> Result<Option<Vec<Range<usize>>>> {
    bounds(shape, flags, |&b| b)
}

/// The elements of an array (C order, `shape`) inside `ranges` (one per axis), in C order: copied
/// as contiguous runs, the axes after the last cropped one merged into each run (`OutOfMemory` when
/// the result cannot be allocated).
pub(crate) fn cut<T: Copy>(shape: &[usize], data: &[T], ranges: &[Range<usize>]) -> Result<Vec<T>> {
    let count: usize = ranges.iter().map(|r| r.len()).product();
    let mut out = Vec::new();
    out.try_reserve_exact(count).map_err(|_| {
        crate::error::Error::new(crate::error::ErrorKind::OutOfMemory, format!("cannot allocate {count} elements"))
    })?;
    if count == 0 {
        return Ok(out);
    }
    let ndim = shape.len();
    // The last axis that is cropped: the runs span it and every axis after it.
    let k = (0..ndim).rev().find(|&a| ranges[a] != (0..shape[a])).unwrap_or(0);
    let strides: Vec<usize> = (0..ndim).map(|a| shape[a + 1..].iter().product()).collect();
    let run = if ndim == 0 { 1 } else { ranges[k].len() * strides[k] };
    let mut index: Vec<usize> = ranges[..k].iter().map(|r| r.start).collect();
    loop {
        let base: usize = index.iter().zip(&strides).map(|(i, s)| i * s).sum::<usize>()
            + ranges.get(k).map_or(0, |r| r.start * strides[k]);
        out.extend_from_slice(&data[base..base + run]);
        // The next run: an odometer over the axes before k, within their ranges.
        let mut axis = k;
        loop {
            if axis == 0 {
                return Ok(out);
            }
            axis -= 1;
            index[axis] += 1;
            if index[axis] < ranges[axis].end {
                break;
            }
            index[axis] = ranges[axis].start;
        }
    }
}

/// `CropTight(eps)`: every axis cropped to the samples above `eps`.
#[derive(Clone)]
struct CropTight;

impl FeatureKind for CropTight {
    fn with_children(&self, _: Vec<crate::Feature>) -> Box<dyn FeatureKind> {
        Box::new(self.clone())
    }

    fn name(&self) -> &str {
        "CropTight"
    }

    /// Not distributed: the output keeps the input's dicts, with moved copies of those that have a
    /// position (a distributed merge would bring the unmoved originals back).
    fn is_distributed(&self) -> bool {
        false
    }

    fn process(
        &self,
        inputs: &[Image],
        props: &Arc<PropertyDict>,
        _: &ReplicaId,
        _: &mut Resolver<'_>,
    ) -> Result<Vec<Image>> {
        let eps = Params::new(CROP_TIGHT.params, props).f64("eps")?;
        inputs.iter().map(|img| crop_tight(img, eps)).collect()
    }
}

/// `img` cropped to the box of its samples above `eps`, its positions shifted by the rows and
/// columns cut before the box (as `Crop` shifts them).
fn crop_tight(img: &Image, eps: f64) -> Result<Image> {
    let ranges = match bounds(img.shape(), img.contiguous()?, |&x| x > eps)? {
        Some(ranges) => ranges,
        None => vec![0..0; img.shape().len()],
    };
    if ranges.iter().zip(img.shape()).all(|(r, &n)| r.start == 0 && r.end == n) {
        return Ok(img.clone());
    }
    let shape: Vec<usize> = ranges.iter().map(|r| r.len()).collect();
    let data = cut(img.shape(), img.contiguous()?, &ranges)?;
    let out = img.with_data(ArrayD::from_shape_vec(IxDyn(&shape), data).expect("sized to the ranges"));
    let (r, c) = (ranges.first().map_or(0, |r| r.start) as i64, ranges.get(1).map_or(0, |r| r.start) as i64);
    if r == 0 && c == 0 {
        return Ok(out);
    }
    move_positions_whole(out, WholeMove::Shift([-r, -c]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_the_first_and_last_kept_index_per_axis() {
        let mut a = vec![0.0; 5 * 6 * 4];
        let at = |i: usize, j: usize, k: usize| (i * 6 + j) * 4 + k;
        a[at(1, 2, 1)] = 1.0;
        a[at(2, 2, 1)] = 1.0;
        a[at(4, 5, 3)] = 0.5;
        let b = |shape: &[usize], a: &[f64], eps: f64| bounds(shape, a, |&x| x > eps).unwrap();
        assert_eq!(b(&[5, 6, 4], &a, 1e-10), Some(vec![1..5, 2..6, 1..4]));
        assert_eq!(b(&[5, 6, 4], &a, 0.7), Some(vec![1..3, 2..3, 1..2]));
        assert_eq!(b(&[5, 6, 4], &a, 2.0), None);
        assert_eq!(b(&[3], &[0.0, 2.0, 0.0], 1.0), Some(std::iter::once(1..2).collect()));
        assert_eq!(b(&[0, 3], &[], 1.0), None);
        assert_eq!(b(&[], &[3.0], 1.0), Some(vec![]));
        assert_eq!(b(&[], &[0.0], 1.0), None);
    }

    #[test]
    fn cuts_copy_the_elements_inside_the_ranges() {
        let a: Vec<usize> = (0..60).collect();
        assert_eq!(cut(&[3, 4, 5], &a, &[1..3, 0..4, 0..5]).unwrap(), (20..60).collect::<Vec<_>>());
        assert_eq!(
            cut(&[3, 4, 5], &a, &[0..3, 1..2, 0..5]).unwrap(),
            [5, 6, 7, 8, 9, 25, 26, 27, 28, 29, 45, 46, 47, 48, 49]
        );
        assert_eq!(cut(&[3, 4, 5], &a, &[2..3, 1..3, 3..5]).unwrap(), [48, 49, 53, 54]);
        assert_eq!(cut(&[3, 4, 5], &a, &[0..3, 0..4, 0..5]).unwrap(), a);
        assert!(cut(&[3, 4, 5], &a, &[0..0, 0..0, 0..0]).unwrap().is_empty());
        assert_eq!(cut(&[], &[7], &[]).unwrap(), [7]);
    }
}
