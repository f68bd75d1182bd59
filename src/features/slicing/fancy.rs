//! numpy's advanced indexing for `Slice`, with integer arrays of any shape (`x[[0, 2, 3]]`,
//! `x[:, [3, 1]]`, `x[[0, 2], [1, 3]]`, `x[[[0, 1], [2, 3]]]`) and boolean masks over one or more
//! consecutive axes (`x[mask]`, which is `x[mask.nonzero()]`), mixed with basic elements. As numpy:
//! the integer arrays broadcast together (numpy's rules, shapes aligned at their last axes),
//! integers beside them count as arrays of shape `()`, and the result's indexed axes (the broadcast
//! shape) take the place of the first advanced element when they are all adjacent, else they come
//! first. The result is a copy, of output size.

use ndarray::{ArrayD, ArrayViewD, IxDyn, SliceInfo, SliceInfoElem};

use super::{Element, range_elem};
use crate::buffer;
use crate::error::{Error, ErrorKind, Result};

/// An element once the axes are known.
enum Item {
    Basic(SliceInfoElem),
    /// Indices (non-negative, C order) of this shape on one axis; an integer's shape is `()`.
    Advanced {
        indices: Vec<usize>,
        shape: Vec<usize>,
    },
}

/// `data[mask]` for one mask over the leading axes (numpy's most common advanced index): the blocks
/// of the remaining axes where the mask is true, in C order, copied in one pass; `None` for any other
/// index (or a mask whose shape is not those axes': [`fancy`] reports it).
fn leading_mask(data: &ArrayViewD<'_, f64>, index: &[Element]) -> Option<Result<ArrayD<f64>>> {
    let [Element::Mask(dims, mask)] = index else { return None };
    let shape = data.shape();
    if dims.len() > shape.len() || dims[..] != shape[..dims.len()] {
        return None;
    }
    let block: usize = shape[dims.len()..].iter().product();
    let kept = mask.iter().filter(|&&m| m).count();
    Some((|| {
        let contiguous = crate::fallible::standard(&data.view())?;
        let samples = contiguous.as_slice().expect("standard layout");
        let mut out = buffer::with_capacity(kept * block)?;
        if block == 1 {
            out.extend(samples.iter().zip(mask).filter(|(_, m)| **m).map(|(x, _)| *x));
        } else {
            for (i, _) in mask.iter().enumerate().filter(|(_, m)| **m) {
                out.extend_from_slice(&samples[i * block..(i + 1) * block]);
            }
        }
        let mut out_shape = vec![kept];
        out_shape.extend_from_slice(&shape[dims.len()..]);
        Ok(ArrayD::from_shape_vec(IxDyn(&out_shape), out).expect("sized"))
    })())
}

/// `data[index]` for an index holding lists or masks.
pub(super) fn fancy(data: &ArrayViewD<'_, f64>, index: &[Element]) -> Result<ArrayD<f64>> {
    if let Some(out) = leading_mask(data, index) {
        return out;
    }
    let shape = data.shape();
    let named: usize = index
        .iter()
        .map(|e| match e {
            Element::Index(_) | Element::Range(..) | Element::Take(..) => 1,
            Element::Mask(dims, _) => dims.len(),
            Element::Ellipsis | Element::NewAxis => 0,
        })
        .sum();
    if named > shape.len() {
        return Err(Error::invalid(format!(
            "too many indices for an image of {} dimensions: {named} were indexed",
            shape.len()
        )));
    }
    if index.iter().filter(|e| matches!(e, Element::Ellipsis)).count() > 1 {
        return Err(Error::invalid("an index can only have a single ellipsis ('...')"));
    }
    // Per element, in order: the items (a mask gives one per axis it covers).
    let mut items: Vec<Item> = Vec::new();
    let mut axis = 0;
    let full = || SliceInfoElem::Slice { start: 0, end: None, step: 1 };
    for e in index {
        match e {
            Element::NewAxis => items.push(Item::Basic(SliceInfoElem::NewAxis)),
            Element::Ellipsis => {
                for _ in 0..shape.len() - named {
                    items.push(Item::Basic(full()));
                    axis += 1;
                }
            }
            Element::Range(a, b, s) => {
                items.push(Item::Basic(range_elem(shape[axis], *a, *b, *s)));
                axis += 1;
            }
            Element::Index(i) => {
                items.push(Item::Advanced { indices: vec![checked(*i, axis, shape[axis])?], shape: Vec::new() });
                axis += 1;
            }
            Element::Take(dims, list) => {
                let mut indices = buffer::try_vec(list.len()).ok_or_else(|| too_large(list.len()))?;
                for &i in list {
                    indices.push(checked(i, axis, shape[axis])?);
                }
                items.push(Item::Advanced { indices, shape: dims.clone() });
                axis += 1;
            }
            Element::Mask(dims, values) => {
                for (k, &d) in dims.iter().enumerate() {
                    if d != shape[axis + k] {
                        return Err(Error::invalid(format!(
                            "the boolean index did not match the image along axis {}: its size is {} but the \
                             mask's is {d}",
                            axis + k,
                            shape[axis + k]
                        )));
                    }
                }
                // The coordinates of the true values, in C order (numpy's nonzero), one list per axis.
                let count = values.iter().filter(|&&b| b).count();
                let mut coords: Vec<Vec<usize>> = Vec::new();
                for _ in dims {
                    coords.push(buffer::try_vec(count).ok_or_else(|| too_large(count))?);
                }
                for (flat, _) in values.iter().enumerate().filter(|(_, b)| **b) {
                    let mut rest = flat;
                    for (k, &d) in dims.iter().enumerate().rev() {
                        coords[k].push(rest % d);
                        rest /= d;
                    }
                }
                for indices in coords {
                    items.push(Item::Advanced { indices, shape: vec![count] });
                }
                axis += dims.len();
            }
        }
    }
    while axis < shape.len() {
        items.push(Item::Basic(full()));
        axis += 1;
    }
    // The broadcast shape of the index arrays, and each array's index at each of its positions.
    let shapes: Vec<&[usize]> = items
        .iter()
        .filter_map(|i| match i {
            Item::Advanced { shape, .. } => Some(&shape[..]),
            Item::Basic(_) => None,
        })
        .collect();
    let broadcast = broadcast_shape(&shapes).ok_or_else(|| {
        Error::invalid(format!(
            "the index arrays cannot be broadcast together: shapes {}",
            shapes.iter().filter(|s| !s.is_empty()).map(|s| python_shape(s)).collect::<Vec<_>>().join(" ")
        ))
    })?;
    let n: usize = broadcast.iter().product();
    let at = |indices: &[usize], shape: &[usize], k: usize| -> usize {
        // The position of broadcast position `k` in an array of `shape` (aligned at the last axes;
        // axes of length 1 repeat).
        let (mut rest, mut flat, mut stride) = (k, 0, 1);
        for (d, &b) in broadcast.iter().enumerate().rev() {
            let coord = rest % b;
            rest /= b;
            let offset = broadcast.len() - shape.len();
            if d >= offset {
                let len = shape[d - offset];
                flat += if len == 1 { 0 } else { coord } * stride;
                stride *= len;
            }
        }
        indices[flat]
    };
    // Where the indexed axis goes: in place of the first advanced item if they are adjacent, else first.
    let advanced: Vec<usize> =
        items.iter().enumerate().filter(|(_, i)| matches!(i, Item::Advanced { .. })).map(|(k, _)| k).collect();
    let adjacent = advanced.windows(2).all(|w| w[1] == w[0] + 1);
    let position = if adjacent { advanced[0] } else { 0 };
    // The output's basic axes: the view of one indexed position (or an empty one when there is none).
    let view_at = |k: usize| -> Result<ArrayViewD<'_, f64>> {
        let elems: Vec<SliceInfoElem> = items
            .iter()
            .map(|i| match i {
                Item::Basic(e) => *e,
                Item::Advanced { .. } if n == 0 => SliceInfoElem::Slice { start: 0, end: Some(0), step: 1 },
                Item::Advanced { indices, shape } => SliceInfoElem::Index(at(indices, shape, k) as isize),
            })
            .collect();
        let info = SliceInfo::<Vec<SliceInfoElem>, IxDyn, IxDyn>::try_from(elems)
            .map_err(|e| Error::invalid(format!("bad index: {e}")))?;
        Ok(data.clone().slice_move(info))
    };
    let first = view_at(0)?;
    let basic_shape: Vec<usize> = if n == 0 {
        // The advanced axes are the empty ones of this view: drop them.
        let mut out_axis = 0;
        let mut dropped = Vec::new();
        for i in &items {
            match i {
                Item::Basic(SliceInfoElem::Index(_)) => {}
                Item::Advanced { .. } => {
                    dropped.push(out_axis);
                    out_axis += 1;
                }
                Item::Basic(_) => out_axis += 1,
            }
        }
        first.shape().iter().enumerate().filter(|(a, _)| !dropped.contains(a)).map(|(_, &d)| d).collect()
    } else {
        first.shape().to_vec()
    };
    // Output axes before the indexed one: the basic items (not integers) before `position`.
    let before = items[..position]
        .iter()
        .filter(|i| matches!(i, Item::Basic(e) if !matches!(e, SliceInfoElem::Index(_))))
        .count();
    let per = basic_shape.iter().product::<usize>();
    let total = per.checked_mul(n).ok_or_else(|| too_large(usize::MAX))?;
    let mut stacked = buffer::with_capacity(total)?;
    for k in 0..n {
        stacked.extend(view_at(k)?.iter().copied());
    }
    let mut shape0 = broadcast.clone();
    shape0.extend_from_slice(&basic_shape);
    let out = ArrayD::from_shape_vec(IxDyn(&shape0), stacked).expect("one sample per element");
    if before == 0 || broadcast.is_empty() {
        return Ok(out);
    }
    // The indexed axes moved from the front to their place.
    let m = broadcast.len();
    let mut order: Vec<usize> = (m..m + before).collect();
    order.extend(0..m);
    order.extend(m + before..shape0.len());
    let moved = out.view().permuted_axes(IxDyn(&order));
    let mut data = buffer::with_capacity(total)?;
    data.extend(moved.iter().copied());
    Ok(ArrayD::from_shape_vec(IxDyn(moved.shape()), data).expect("one sample per element"))
}

/// numpy's broadcast shape of `shapes` (aligned at their last axes; equal lengths or 1), None
/// when they do not broadcast.
fn broadcast_shape(shapes: &[&[usize]]) -> Option<Vec<usize>> {
    let ndim = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1; ndim];
    for s in shapes {
        for (k, &d) in s.iter().enumerate() {
            let o = &mut out[ndim - s.len() + k];
            if *o == 1 {
                *o = d;
            } else if d != 1 && d != *o {
                return None;
            }
        }
    }
    Some(out)
}

/// A shape as Python writes it: `(3,)`, `(2, 3)`.
fn python_shape(shape: &[usize]) -> String {
    match shape {
        [d] => format!("({d},)"),
        _ => format!("({})", shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    }
}

/// `i` (negative from the end) as an index of an axis of length `n`.
fn checked(i: i64, axis: usize, n: usize) -> Result<usize> {
    let k = if i < 0 { i + n as i64 } else { i };
    if !(0..n as i64).contains(&k) {
        return Err(Error::invalid(format!("index {i} is out of bounds for axis {axis} with size {n}")));
    }
    Ok(k as usize)
}

fn too_large(count: usize) -> Error {
    Error::new(ErrorKind::OutOfMemory, format!("cannot allocate an index of {count} elements"))
}
