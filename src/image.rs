//! `Image`: an n-d float array plus the list of property dicts that produced it (DeepTrack2 2.0.1
//! `Image` semantics: identity-based merge, first-match `get_property`), and [`ImageList`], the lists
//! of images that features pass to each other.

use std::borrow::Cow;
use std::sync::Arc;

use ndarray::{ArrayD, IxDyn};

use crate::error::{Error, ErrorKind, Result};
use crate::properties::PropertyDict;
use crate::property_list::PropertyList;
use crate::shared_list::SharedList;
use crate::value::{Value, standard};

/// The images a feature takes and gives, shared by reference: a scatterer's output is its input list
/// plus one volume, held without copying the input list (see [`SharedList`]).
pub type ImageList = SharedList<Image>;

/// An image and its ground truth. The array is shared copy-on-write, the dicts are shared by identity:
/// cloning an `Image` is O(1) and keeps the *same* dicts, so a merge of the clone dedupes them.
#[derive(Clone, Debug)]
pub struct Image {
    data: Arc<ArrayD<f64>>,
    properties: PropertyList,
    /// Whether the samples are complex numbers: the last axis (of length 2) holds the real and
    /// imaginary parts. Set by the kinds that compute complex images (`ComplexGaussian`) and by callers
    /// ([`Image::set_complex`]); every other kind computes on the samples as real numbers, and its
    /// output (new data) is real.
    complex: bool,
}

impl Image {
    /// An image of `data` with no properties (the array is made C-contiguous if it is not).
    pub fn new(data: ArrayD<f64>) -> Self {
        Image { data: Arc::new(standard(data)), properties: PropertyList::new(), complex: false }
    }

    /// An image sharing an existing array.
    pub fn from_shared(data: Arc<ArrayD<f64>>) -> Self {
        let data = if data.is_standard_layout() { data } else { Arc::new(standard((*data).clone())) };
        Image { data, properties: PropertyList::new(), complex: false }
    }

    /// An image of `shape` copied from a C-order buffer; errors if the lengths disagree or the element
    /// count does not fit in memory.
    pub fn from_slice(shape: &[usize], data: &[f64]) -> Result<Self> {
        let count = element_count(shape)?;
        if count != data.len() {
            return Err(Error::invalid(format!(
                "shape {shape:?} has {count} elements but the buffer has {}",
                data.len()
            )));
        }
        let mut buf = Vec::new();
        buf.try_reserve_exact(count)
            .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {count} elements")))?;
        buf.extend_from_slice(data);
        Ok(Image::new(ArrayD::from_shape_vec(IxDyn(shape), buf).expect("count checked")))
    }

    /// A zero-filled image.
    pub fn zeros(shape: &[usize]) -> Self {
        Image::new(ArrayD::zeros(IxDyn(shape)))
    }

    /// The array.
    pub fn data(&self) -> &ArrayD<f64> {
        &self.data
    }

    /// The shared array.
    pub fn data_arc(&self) -> &Arc<ArrayD<f64>> {
        &self.data
    }

    /// The elements in C order.
    pub fn as_slice(&self) -> &[f64] {
        self.data.as_slice().expect("images are kept in standard layout")
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        self.data.shape()
    }

    /// The same properties with new data.
    pub fn with_data(&self, data: ArrayD<f64>) -> Image {
        Image { data: Arc::new(standard(data)), properties: self.properties.clone(), complex: false }
    }

    /// The same properties with new data already in standard layout (as `mapv` of an image's array
    /// is): no layout check.
    pub(crate) fn with_standard_data(&self, data: ArrayD<f64>) -> Image {
        debug_assert!(data.is_standard_layout());
        Image { data: Arc::new(data), properties: self.properties.clone(), complex: false }
    }

    /// Whether the image holds complex numbers, its last axis the real and imaginary parts (see
    /// [`Image::set_complex`]).
    pub fn is_complex(&self) -> bool {
        self.complex
    }

    /// Marks the image as complex (its last axis, of length 2, holds the real and imaginary parts) or
    /// as real. An image whose last axis is not of length 2 cannot be complex: `InvalidArgument`.
    pub fn set_complex(&mut self, complex: bool) -> Result<()> {
        if complex && self.shape().last() != Some(&2) {
            return Err(Error::invalid(format!(
                "a complex image keeps the real and imaginary parts along a last axis of length 2, but its shape is {:?}",
                self.shape()
            )));
        }
        self.complex = complex;
        Ok(())
    }

    /// The property dicts, in order.
    pub fn properties(&self) -> &PropertyList {
        &self.properties
    }

    /// Appends a dict (no deduplication, as in DeepTrack2's `append`). O(1), whatever the length.
    pub fn append(&mut self, dict: Arc<PropertyDict>) {
        self.properties.push(dict);
    }

    /// Appends a dict that the caller knows is not in the list yet when `known_new`.
    pub(crate) fn append_new(&mut self, dict: Arc<PropertyDict>, known_new: bool) {
        self.properties.push_new(dict, known_new);
    }

    /// Drops every dict.
    pub fn clear_properties(&mut self) {
        self.properties.clear();
    }

    /// Replaces the property list.
    pub(crate) fn set_properties(&mut self, properties: PropertyList) {
        self.properties = properties;
    }

    /// Appends each dict of `other` that is not already present *as the same allocation*. Equal but
    /// distinct dicts are all kept; duplicates inside `other` are merged once. Linear in the lengths
    /// of the two lists (O(1) when one extends the other); `OutOfMemory` when the merge cannot be
    /// allocated (the list is then unchanged).
    pub fn merge_properties_from(&mut self, other: &Image) -> Result<()> {
        self.properties.merge_from(&other.properties)
    }

    /// [`Image::merge_properties_from`] of every image of `others` in turn, in time linear in the
    /// total number of dicts.
    pub fn merge_properties_from_all<'a>(&mut self, others: impl IntoIterator<Item = &'a Image>) -> Result<()> {
        self.properties.merge_from_all(others.into_iter().map(|img| &img.properties))
    }

    /// The value of `key` in the first dict that has it.
    pub fn get_property(&self, key: &str) -> Option<&Value> {
        self.properties.get_property(key)
    }

    /// The values of `key` in every dict that has it, in order (empty when none has it). Panics when
    /// the result cannot be allocated: [`Image::try_get_properties`] reports that as an error.
    pub fn get_properties(&self, key: &str) -> Vec<&Value> {
        self.try_get_properties(key).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The values of `key` in every dict that has it, in order; `OutOfMemory` when they cannot be
    /// allocated.
    pub fn try_get_properties(&self, key: &str) -> Result<Vec<&Value>> {
        self.properties.try_get_properties(key)
    }

    /// Whether two images are the same result: the same array allocation and the same dicts (O(1)
    /// when one is a copy of the other).
    pub(crate) fn same(&self, other: &Image) -> bool {
        Arc::ptr_eq(&self.data, &other.data) && self.complex == other.complex && self.properties.same(&other.properties)
    }
}

/// The images of `list` in one slice: borrowed when they are in one place, copied otherwise
/// (`OutOfMemory` when the copy cannot be allocated).
pub(crate) fn flatten(list: &ImageList) -> Result<Cow<'_, [Image]>> {
    match list.as_slice() {
        Some(slice) => Ok(Cow::Borrowed(slice)),
        None => list.try_to_vec().map(Cow::Owned).map_err(|_| {
            Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {} images", list.len()))
        }),
    }
}

/// Whether two image lists are the same results, image by image (O(1) when one is a copy of the
/// other).
pub(crate) fn same_list(a: &ImageList, b: &ImageList) -> bool {
    a.same_by(b, Image::same)
}

/// The number of elements of `shape`, or an error when it overflows or exceeds what can be allocated.
pub fn element_count(shape: &[usize]) -> Result<usize> {
    let count = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| Error::new(ErrorKind::OutOfMemory, format!("shape {shape:?}: element count overflows")))?;
    if count > (isize::MAX as usize) / std::mem::size_of::<f64>() {
        return Err(Error::new(ErrorKind::OutOfMemory, format!("shape {shape:?}: {count} elements exceed memory")));
    }
    // With a zero somewhere the count is 0, but the array type still bounds the other sizes.
    let nonzero = shape
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= isize::MAX as usize);
    if nonzero.is_none() {
        return Err(Error::invalid(format!("shape {shape:?}: the sizes are too large")));
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict(name: &str) -> Arc<PropertyDict> {
        let mut d = PropertyDict::new();
        d.insert("name", Value::str(name));
        Arc::new(d)
    }

    #[test]
    fn merge_dedupes_by_identity_never_by_equality() {
        let a = dict("A");
        let equal = dict("A");
        let mut x = Image::zeros(&[2]);
        x.append(Arc::clone(&a));
        let mut y = Image::zeros(&[2]);
        y.append(Arc::clone(&a));
        y.append(Arc::clone(&a));
        y.append(equal);
        x.merge_properties_from(&y).unwrap();
        assert_eq!(x.properties().len(), 2);
        let mut empty = Image::zeros(&[1]);
        empty.merge_properties_from(&y).unwrap();
        assert_eq!(empty.properties().len(), 2);
    }

    #[test]
    fn get_property_first_and_all() {
        let mut img = Image::zeros(&[1]);
        let mut d1 = PropertyDict::new();
        d1.insert("a", Value::Int(1));
        let mut d2 = PropertyDict::new();
        d2.insert("a", Value::Int(2));
        d2.insert("b", Value::Int(3));
        img.append(Arc::new(d1));
        img.append(Arc::new(d2));
        assert_eq!(img.get_property("a").unwrap().as_i64().unwrap(), 1);
        let all: Vec<i64> = img.get_properties("a").iter().map(|v| v.as_i64().unwrap()).collect();
        assert_eq!(all, vec![1, 2]);
        assert!(img.get_property("q").is_none());
        assert!(img.get_properties("q").is_empty());
    }

    #[test]
    fn sizes_that_overflow_are_errors() {
        assert_eq!(element_count(&[usize::MAX, 2]).unwrap_err().kind(), ErrorKind::OutOfMemory);
        assert_eq!(element_count(&[1 << 40, 1 << 40]).unwrap_err().kind(), ErrorKind::OutOfMemory);
        assert!(Image::from_slice(&[2, 2], &[0.0; 3]).is_err());
        assert_eq!(element_count(&[0, usize::MAX]).unwrap_err().kind(), ErrorKind::InvalidArgument);
        assert_eq!(element_count(&[0, 5]).unwrap(), 0);
    }
}
