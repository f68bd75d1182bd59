//! `Image`: an n-d float array plus the list of property dicts that produced it (DeepTrack2 2.0.1
//! `Image` semantics: identity-based merge, first-match `get_property`), and [`ImageList`], the lists
//! of images that features pass to each other.

use std::borrow::Cow;
use std::sync::Arc;

use ndarray::{ArrayD, ArrayViewD, Dimension, IxDyn};

use crate::error::{Error, ErrorKind, Result};
use crate::properties::PropertyDict;
use crate::property_list::PropertyList;
use crate::samples::Borrowed;
use crate::shared_list::SharedList;
use crate::value::{Value, standard};

/// The images a feature takes and gives, shared by reference: a scatterer's output is its input list
/// plus one volume, held without copying the input list (see [`SharedList`]).
pub type ImageList = SharedList<Image>;

/// An image and its ground truth. The samples are shared and never changed in place, the dicts are
/// shared by identity: cloning an `Image` is O(1) and keeps the *same* dicts, so a merge of the clone
/// dedupes them.
///
/// The samples are a C-order block of a shared buffer, which the image either owns (with other
/// images) or borrows from its caller ([`Borrowed`]); a reshape, or a slice that is a contiguous
/// block, shares them in O(1) with a shape of its own.
#[derive(Clone, Debug)]
pub struct Image {
    samples: Samples,
    properties: PropertyList,
    /// Whether the samples are complex numbers: the last axis (of length 2) holds the real and
    /// imaginary parts. Set by the kinds that compute complex images (`ComplexGaussian`) and by callers
    /// ([`Image::set_complex`]); every other kind computes on the samples as real numbers, and its
    /// output (new data) is real.
    complex: bool,
}

/// An image's samples: most images are a whole array in its own shape, kept as one pointer (so
/// that an image is small and cheap to clone, move and drop, which counts in small pipelines);
/// reshapes, blocks and the caller's memory keep a shape and place of their own ([`Part`]).
#[derive(Clone, Debug)]
enum Samples {
    /// All of an array of the library (standard layout), in its shape, maybe shared with other images
    /// and values.
    Whole(Arc<ArrayD<f64>>),
    /// A block of a buffer, in a shape of its own.
    Part(Arc<Part>),
}

/// A C-order block of a buffer, in its own shape.
#[derive(Debug)]
struct Part {
    buffer: Buffer,
    shape: IxDyn,
    /// The index of the first sample in the buffer.
    start: usize,
}

/// The buffer an image's samples are in.
#[derive(Clone, Debug)]
enum Buffer {
    /// An array of the library (standard layout), maybe shared with other images and values.
    Owned(Arc<ArrayD<f64>>),
    /// The caller's memory.
    Borrowed(Arc<Borrowed>),
}

impl Buffer {
    fn all(&self) -> &[f64] {
        match self {
            Buffer::Owned(a) => a.as_slice().expect("images are kept in standard layout"),
            Buffer::Borrowed(b) => b.as_slice(),
        }
    }
}

impl Samples {
    /// The buffer, as a part of it.
    fn buffer(&self) -> Buffer {
        match self {
            Samples::Whole(a) => Buffer::Owned(Arc::clone(a)),
            Samples::Part(p) => p.buffer.clone(),
        }
    }

    /// The address of the buffer (owned or borrowed): the identity of the samples' memory.
    fn buffer_address(&self) -> *const () {
        match self {
            Samples::Whole(a) => Arc::as_ptr(a).cast(),
            Samples::Part(p) => match &p.buffer {
                Buffer::Owned(a) => Arc::as_ptr(a).cast(),
                Buffer::Borrowed(b) => Arc::as_ptr(b).cast(),
            },
        }
    }

    fn start(&self) -> usize {
        match self {
            Samples::Whole(_) => 0,
            Samples::Part(p) => p.start,
        }
    }

    fn shape(&self) -> &[usize] {
        match self {
            Samples::Whole(a) => a.shape(),
            Samples::Part(p) => p.shape.slice(),
        }
    }
}

impl Image {
    /// An image of `data` with no properties (the array is made C-contiguous if it is not).
    pub fn new(data: ArrayD<f64>) -> Self {
        Image::from_standard(Arc::new(standard(data)))
    }

    fn from_standard(data: Arc<ArrayD<f64>>) -> Self {
        debug_assert!(data.is_standard_layout());
        Image { samples: Samples::Whole(data), properties: PropertyList::new(), complex: false }
    }

    /// An image sharing an existing array.
    pub fn from_shared(data: Arc<ArrayD<f64>>) -> Self {
        let data = if data.is_standard_layout() { data } else { Arc::new(standard((*data).clone())) };
        Image::from_standard(data)
    }

    /// An image of `shape` reading the caller's samples in place (no properties); errors if the
    /// lengths disagree (the samples are then released as `samples` drops).
    pub fn borrowed(shape: &[usize], samples: Arc<Borrowed>) -> Result<Self> {
        let count = element_count(shape)?;
        if count != samples.len() {
            return Err(Error::invalid(format!(
                "shape {shape:?} has {count} elements but the buffer has {}",
                samples.len()
            )));
        }
        let part = Part { buffer: Buffer::Borrowed(samples), shape: IxDyn(shape), start: 0 };
        Ok(Image { samples: Samples::Part(Arc::new(part)), properties: PropertyList::new(), complex: false })
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

    /// The array (a view of the samples, in standard layout).
    pub fn data(&self) -> ArrayViewD<'_, f64> {
        match &self.samples {
            Samples::Whole(a) => a.view(),
            Samples::Part(p) => {
                ArrayViewD::from_shape(p.shape.clone(), self.as_slice()).expect("the shape fits the samples")
            }
        }
    }

    /// The samples as a shared array: the image's own when it owns all of its buffer in its shape
    /// (O(1)), else a copy (`OutOfMemory` when it cannot be allocated). Never moves or frees
    /// borrowed memory.
    pub fn to_shared_array(&self) -> Result<Arc<ArrayD<f64>>> {
        match &self.samples {
            Samples::Whole(a) => return Ok(Arc::clone(a)),
            Samples::Part(p) => {
                if let Buffer::Owned(a) = &p.buffer
                    && a.shape() == p.shape.slice()
                {
                    return Ok(Arc::clone(a));
                }
            }
        }
        self.to_array().map(Arc::new)
    }

    /// A copy of the samples as an owned array (`OutOfMemory` when it cannot be allocated).
    pub fn to_array(&self) -> Result<ArrayD<f64>> {
        let s = self.as_slice();
        let mut buf = Vec::new();
        buf.try_reserve_exact(s.len())
            .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {} elements", s.len())))?;
        buf.extend_from_slice(s);
        Ok(standard_array(self.dim(), buf))
    }

    /// A new image of the same shape and properties (and not complex, as new data is) whose samples
    /// are `f` of this one's, computed in one pass into a new buffer (`OutOfMemory` when it cannot be
    /// allocated). Cheaper than [`Image::to_array`] changed in place then
    /// [`Image::with_standard_data`]: one pass over the samples, and no shape checks (the new buffer
    /// has the image's own shape).
    pub(crate) fn map_samples(&self, f: impl Fn(f64) -> f64) -> Result<Image> {
        let s = self.as_slice();
        let mut buf = crate::buffer::try_vec(s.len())
            .ok_or_else(|| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {} elements", s.len())))?;
        buf.extend(s.iter().map(|&x| f(x)));
        let data = standard_array(self.dim(), buf);
        Ok(Image { samples: Samples::Whole(Arc::new(data)), properties: self.properties.clone(), complex: false })
    }

    /// The elements in C order.
    pub fn as_slice(&self) -> &[f64] {
        match &self.samples {
            Samples::Whole(a) => a.as_slice().expect("images are kept in standard layout"),
            Samples::Part(p) => &p.buffer.all()[p.start..p.start + p.shape.size()],
        }
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        self.samples.shape()
    }

    /// The shape as an ndarray dimension.
    fn dim(&self) -> IxDyn {
        match &self.samples {
            Samples::Whole(a) => a.raw_dim(),
            Samples::Part(p) => p.shape.clone(),
        }
    }

    /// Whether the samples are read in place from the caller's memory.
    pub fn is_borrowed(&self) -> bool {
        matches!(&self.samples, Samples::Part(p) if matches!(p.buffer, Buffer::Borrowed(_)))
    }

    /// Whether two images read the same buffer (owned or borrowed), wherever in it.
    pub fn shares_samples(&self, other: &Image) -> bool {
        self.samples.buffer_address() == other.samples.buffer_address()
    }

    /// The `shape.size()` samples from element `start` of this image's buffer, in `shape` (the
    /// caller checked that they fit).
    fn part(&self, start: usize, shape: &[usize]) -> Samples {
        Samples::Part(Arc::new(Part { buffer: self.samples.buffer(), shape: IxDyn(shape), start }))
    }

    /// The same samples and properties in another shape of as many elements (O(1): nothing is
    /// copied); an error names both shapes otherwise.
    pub fn reshaped(&self, shape: &[usize]) -> Result<Image> {
        let count = element_count(shape)?;
        if count != self.shape().iter().product::<usize>() {
            return Err(Error::invalid(format!("cannot reshape an image of shape {:?} to {shape:?}", self.shape())));
        }
        Ok(Image { samples: self.part(self.samples.start(), shape), ..self.clone() })
    }

    /// The contiguous block of `shape` starting at element `start` (C order) of this image's
    /// samples, with the same properties (O(1)); an error when it does not fit.
    pub fn block(&self, start: usize, shape: &[usize]) -> Result<Image> {
        let count = element_count(shape)?;
        if start.checked_add(count).is_none_or(|end| end > self.shape().iter().product::<usize>()) {
            return Err(Error::invalid(format!(
                "a block of shape {shape:?} at element {start} does not fit in an image of shape {:?}",
                self.shape()
            )));
        }
        Ok(Image { samples: self.part(self.samples.start() + start, shape), ..self.clone() })
    }

    /// The same properties with new data.
    pub fn with_data(&self, data: ArrayD<f64>) -> Image {
        Image { properties: self.properties.clone(), ..Image::new(data) }
    }

    /// The same properties with new data already in standard layout (as `mapv` of an image's array
    /// is): no layout check.
    pub(crate) fn with_standard_data(&self, data: ArrayD<f64>) -> Image {
        Image { properties: self.properties.clone(), ..Image::from_standard(Arc::new(data)) }
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

    /// Whether two images are the same result: the same samples (buffer, place and shape) and the
    /// same dicts (O(1) when one is a copy of the other).
    pub(crate) fn same(&self, other: &Image) -> bool {
        self.samples.buffer_address() == other.samples.buffer_address()
            && self.samples.start() == other.samples.start()
            && self.shape() == other.shape()
            && self.complex == other.complex
            && self.properties.same(&other.properties)
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

/// The C-order array of `shape` over `buf`, which holds exactly one sample per element of `shape`
/// (as the samples of an image of that shape do), without the checks of `from_shape_vec`: they cost a
/// good part of a small image's computation.
fn standard_array(shape: IxDyn, buf: Vec<f64>) -> ArrayD<f64> {
    debug_assert_eq!(shape.size(), buf.len());
    // SAFETY: `buf` has exactly `shape.size()` elements (every caller copies or maps the samples of
    // an image of this shape, which fit in memory, so the product of the lengths fits in isize), and
    // the strides are the default C-order strides of `shape`, so every index stays inside `buf`.
    unsafe { ArrayD::from_shape_vec_unchecked(shape, buf) }
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

    #[test]
    fn borrowed_samples_are_shared_never_moved_and_released_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let caller = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let released = Arc::new(AtomicUsize::new(0));
        let r = Arc::clone(&released);
        // SAFETY: `caller` outlives every image below and is not written meanwhile.
        let samples = unsafe {
            Borrowed::new(
                caller.as_ptr(),
                6,
                Box::new(move || {
                    r.fetch_add(1, Ordering::SeqCst);
                }),
            )
        }
        .unwrap();
        let img = Image::borrowed(&[2, 3], Arc::new(samples)).unwrap();
        assert!(img.is_borrowed());
        assert_eq!(img.as_slice().as_ptr(), caller.as_ptr(), "read in place");
        assert_eq!(img.data()[[1, 2]], 6.0);
        // Reshapes and blocks share the samples, in O(1).
        let flat = img.reshaped(&[6]).unwrap();
        let row = img.block(3, &[1, 3]).unwrap();
        assert!(flat.shares_samples(&img) && row.shares_samples(&img));
        assert_eq!(row.as_slice(), [4.0, 5.0, 6.0]);
        assert!(!flat.same(&img), "another shape is another result");
        assert!(img.reshaped(&[4]).is_err() && img.block(4, &[3]).is_err() && img.block(usize::MAX, &[2]).is_err());
        // An owned array is a copy, never the caller's memory.
        let array = img.to_shared_array().unwrap();
        assert_eq!(array.as_slice().unwrap(), caller.as_slice());
        assert_ne!(array.as_ptr(), caller.as_ptr());
        drop(img);
        drop(flat);
        assert_eq!(released.load(Ordering::SeqCst), 0, "a block still shares the samples");
        std::thread::spawn(move || drop(row)).join().unwrap();
        assert_eq!(released.load(Ordering::SeqCst), 1);
        drop(array);
        assert_eq!(released.load(Ordering::SeqCst), 1);
        // The lengths must agree (the samples are released then too).
        let r = Arc::clone(&released);
        // SAFETY: as above.
        let samples = unsafe {
            Borrowed::new(
                caller.as_ptr(),
                6,
                Box::new(move || {
                    r.fetch_add(1, Ordering::SeqCst);
                }),
            )
        }
        .unwrap();
        assert!(Image::borrowed(&[4, 2], Arc::new(samples)).is_err());
        assert_eq!(released.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn owned_arrays_are_shared_when_whole() {
        let img = Image::new(ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1.0, 2.0, 3.0, 4.0]).unwrap());
        let whole = img.to_shared_array().unwrap();
        assert_eq!(whole.as_ptr(), img.as_slice().as_ptr());
        let row = img.block(2, &[2]).unwrap();
        let copy = row.to_shared_array().unwrap();
        assert_eq!(copy.as_slice().unwrap(), [3.0, 4.0]);
        assert_ne!(copy.as_ptr(), row.as_slice().as_ptr());
        assert_eq!(img.reshaped(&[4]).unwrap().to_shared_array().unwrap().shape(), [4]);
        assert!(img.same(&img.clone()));
    }
}
