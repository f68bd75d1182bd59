//! `Image`: an n-d float array plus the list of property dicts that produced it (DeepTrack2 2.0.1
//! `Image` semantics: identity-based merge, first-match `get_property`), and [`ImageList`], the lists
//! of images that features pass to each other.

use std::any::Any;
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use ndarray::{ArrayD, ArrayViewD, Dimension, IxDyn};

use crate::dtype::Dtype;
use crate::error::{Error, ErrorKind, Result};
use crate::layout;
use crate::properties::PropertyDict;
use crate::property_list::PropertyList;
use crate::samples::Borrowed;
use crate::shared_list::SharedList;
use crate::typed_samples::TypedSamples;
use crate::value::Object;
use crate::value::{Value, standard};

mod strided;

/// The images a feature takes and gives, shared by reference: a scatterer's output is its input list
/// plus one volume, held without copying the input list (see [`SharedList`]).
pub type ImageList = SharedList<Image>;

/// A view of an image's 64-bit integer samples ([`Image::wide_ints`]).
pub(crate) enum WideInts<'a> {
    /// int64 samples.
    I64(ArrayViewD<'a, i64>),
    /// uint64 samples.
    U64(ArrayViewD<'a, u64>),
}

/// An image and its ground truth. The samples are shared and never changed in place, the dicts are
/// shared by identity: cloning an `Image` is O(1) and keeps the *same* dicts, so a merge of the clone
/// dedupes them.
///
/// The samples are a block of a shared buffer, which the image either owns (with other images) or
/// borrows from its caller ([`Borrowed`]); a reshape, or a slice that is a contiguous block, shares
/// them in O(1) with a shape of its own. A permutation of the axes ([`Image::permuted_axes`], numpy's
/// `transpose`), a reversed axis ([`Image::reversed`]), a sub-block ([`Image::sub_block`]) and the
/// real or imaginary part of a complex image ([`Image::complex_part`]) share them too, with signed
/// strides of their own (as numpy's views): [`Image::data`] is then a strided view, and
/// [`Image::contiguous`] the samples in C order, copied once when first asked for.
#[derive(Clone, Debug)]
pub struct Image {
    samples: Samples,
    properties: PropertyList,
    /// Whether the samples are complex numbers: the last axis (of length 2) holds the real and
    /// imaginary parts. Set by the kinds that compute complex images (`ComplexGaussian`) and by callers
    /// ([`Image::set_complex`]); every other kind computes on the samples as real numbers, and its
    /// output (new data) is real.
    complex: bool,
    /// numpy's type of the samples (`AsType`'s outputs; float64 for every other new image): the
    /// samples are exactly values of that type. Reshapes, blocks and clones keep it.
    dtype: Dtype,
    /// Typed data the kind that made the image hands the kinds that consume it ([`Image::note`]).
    note: Option<Note>,
    /// The object of the host's this image stands for ([`Image::of_object`]); None for every image of
    /// samples.
    host: Option<Object>,
}

/// The images an image made by [`Image::of_list`] stands for.
struct ImageItems(Vec<Image>);

/// Typed data attached to an image ([`Image::set_note`]): any `'static` type, shared by the image's
/// copies. The engine carries it and never reads it.
#[derive(Clone)]
struct Note(Arc<dyn Any + Send + Sync>);

impl std::fmt::Debug for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Note(..)")
    }
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

/// A block of a buffer, in its own shape: in C order, or walked with signed strides (see
/// [`strided`]).
#[derive(Debug)]
struct Part {
    buffer: Buffer,
    shape: IxDyn,
    /// The index in the buffer of the sample at index 0 on every axis (the first in memory in C
    /// order).
    start: usize,
    /// `None` in C order; else the strides (in elements, negative along a reversed axis) from
    /// `start` (axes of length 1 may have any stride).
    strides: Option<Box<[isize]>>,
    /// Whether the samples are exactly the `shape.size()` elements of one block of the buffer (in C
    /// order, or permuted or reversed): elementwise computations then read them in memory order.
    dense: bool,
    /// The samples in C order, copied once when first asked for (strided blocks only).
    c_order: OnceLock<Box<[f64]>>,
}

impl Part {
    /// A block in C order.
    fn c_order(buffer: Buffer, shape: IxDyn, start: usize) -> Part {
        Part { buffer, shape, start, strides: None, dense: true, c_order: OnceLock::new() }
    }

    /// The index in the buffer of the first sample in memory.
    fn first(&self) -> usize {
        match &self.strides {
            Some(s) if self.shape.size() > 0 => {
                (self.start as isize + strided::extent(self.shape.slice(), s).0) as usize
            }
            _ => self.start,
        }
    }

    /// The samples in memory order (C order unless strided) of a dense block; narrow samples are
    /// converted to float64 (once, kept), `OutOfMemory` when that cannot be allocated.
    fn memory(&self) -> Result<&[f64]> {
        debug_assert!(self.dense);
        let first = self.first();
        Ok(&self.buffer.try_all()?[first..first + self.shape.size()])
    }
}

/// The buffer an image's samples are in.
#[derive(Clone, Debug)]
enum Buffer {
    /// An array of the library (standard layout), maybe shared with other images and values.
    Owned(Arc<ArrayD<f64>>),
    /// The caller's memory.
    Borrowed(Arc<Borrowed>),
    /// Samples of a narrow type (src/typed_samples.rs), read as float64 through their conversion.
    Typed(Arc<TypedSamples>),
}

impl Buffer {
    /// The float64 samples; narrow ones are converted (once) if they were not yet, and a failure to
    /// allocate that conversion panics: library code converts them first ([`Image::float64_ready`]).
    fn all(&self) -> &[f64] {
        match self {
            Buffer::Owned(a) => a.as_slice().expect("images are kept in standard layout"),
            Buffer::Borrowed(b) => b.as_slice(),
            Buffer::Typed(t) => t.float64().unwrap_or_else(|e| panic!("{e}")),
        }
    }

    /// [`Buffer::all`], with `OutOfMemory` when narrow samples cannot be converted.
    fn try_all(&self) -> Result<&[f64]> {
        match self {
            Buffer::Typed(t) => t.float64(),
            _ => Ok(self.all()),
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
                Buffer::Typed(t) => Arc::as_ptr(t).cast(),
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
        Image {
            samples: Samples::Whole(data),
            properties: PropertyList::new(),
            complex: false,
            dtype: Dtype::Float64,
            note: None,
            host: None,
        }
    }

    /// An image sharing an existing array.
    pub fn from_shared(data: Arc<ArrayD<f64>>) -> Self {
        let data = if data.is_standard_layout() { data } else { Arc::new(standard((*data).clone())) };
        Image::from_standard(data)
    }

    /// The image of a value (numbers of any shape, see [`Value::to_array`]): a whole number, an
    /// integer array, a bool or a boolean array keeps its type as the image's dtype (numpy's int64 or
    /// bool), as DeepTrack2 keeps the int, int array, bool or bool array itself; a complex array (or number) is a complex image (its real and imaginary parts along
    /// a last axis of 2).
    pub fn of_value(value: &Value) -> Result<Self> {
        if let Value::ComplexArray(_) | Value::Complex(..) = value {
            let z = value.to_complex_array()?;
            let mut shape = z.shape().to_vec();
            shape.push(2);
            let mut data = crate::buffer::with_capacity(z.len().saturating_mul(2))?;
            data.extend(z.iter().flat_map(|c| [c.re, c.im]));
            let mut image = Image::new(ArrayD::from_shape_vec(IxDyn(&shape), data).expect("sized"));
            image.set_complex(true)?;
            return Ok(image);
        }
        let image = Image::from_shared(value.to_array()?);
        if let Value::BoolArray(a) = value {
            // numpy's bools, one byte a sample, as a comparison's output.
            let bools = crate::typed_samples::TypedSamples::bools(image.contiguous()?, |x| x != 0.0)?;
            return Ok(image.with_typed(a.shape(), bools));
        }
        Ok(match value {
            Value::Int(_) | Value::IntArray(_) => image.with_dtype(Dtype::Int64),
            Value::Bool(_) => image.with_dtype(Dtype::Bool),
            _ => image,
        })
    }

    /// The image as a value (a feature's output read as a property): an array, but a single int64
    /// or bool sample is that whole number or bool, an int64 image an integer array, a boolean image a
    /// boolean array, and a complex image a complex array (without its last axis of real and
    /// imaginary parts), the inverse of [`Image::of_value`].
    pub fn to_value(&self) -> Result<Value> {
        if let Some(object) = &self.host {
            // An image standing for an object is the object (a kind computing with it refuses it).
            return Ok(Value::Object(object.clone()));
        }
        let array = self.to_shared_array()?;
        if self.complex {
            let shape = &array.shape()[..array.ndim() - 1];
            let mut data = Vec::new();
            data.try_reserve_exact(array.len() / 2)
                .map_err(|_| Error::new(ErrorKind::OutOfMemory, "cannot allocate the complex array of an image"))?;
            let flat = array.as_slice().expect("standard layout");
            data.extend(flat.chunks_exact(2).map(|z| rustfft::num_complex::Complex64::new(z[0], z[1])));
            return Ok(Value::complex_array(ArrayD::from_shape_vec(IxDyn(shape), data).expect("sized")));
        }
        if array.ndim() == 0 && !self.complex {
            let x = array[IxDyn(&[])];
            match self.dtype {
                Dtype::Int64 => return Ok(Value::Int(x as i64)),
                Dtype::Bool => return Ok(Value::Bool(x != 0.0)),
                _ => {}
            }
        }
        if self.dtype == Dtype::Bool {
            // A boolean image (a comparison's, a mask's) is a boolean array, as numpy keeps it.
            return Ok(Value::bool_array(array.mapv(|x| x != 0.0)));
        }
        if self.dtype == Dtype::Int64 {
            // An int64 image (numpy's integers, e.g. a `Value` of an integer array) is an integer array,
            // as DeepTrack2 hands the integer image itself to the property.
            return Ok(Value::int_array(array.mapv(|x| x as i64)));
        }
        Ok(Value::Array(array))
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
        let part = Part::c_order(Buffer::Borrowed(samples), IxDyn(shape), 0);
        Ok(Image {
            samples: Samples::Part(Arc::new(part)),
            properties: PropertyList::new(),
            complex: false,
            dtype: Dtype::Float64,
            note: None,
            host: None,
        })
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

    /// An image of `shape` (C order, no properties) holding samples of a narrow type, tagged with
    /// their type; an error when the counts differ.
    pub fn typed(shape: &[usize], samples: TypedSamples) -> Result<Self> {
        let count = element_count(shape)?;
        if count != samples.len() {
            return Err(Error::invalid(format!(
                "shape {shape:?} has {count} elements but there are {}",
                samples.len()
            )));
        }
        let dtype = samples.dtype();
        let part = Part::c_order(Buffer::Typed(Arc::new(samples)), IxDyn(shape), 0);
        Ok(Image {
            samples: Samples::Part(Arc::new(part)),
            properties: PropertyList::new(),
            complex: false,
            dtype,
            note: None,
            host: None,
        })
    }

    /// An image of `shape` (C order, no properties) copied from `bytes`, its samples in numpy's
    /// layout of `dtype` in native byte order (any alignment; float16 as half-precision bits, bools
    /// one byte each, any byte but 0 true): it holds them in that type and is tagged with it, as an
    /// input array of that dtype is in numpy ([`TypedSamples::from_ne_bytes`]); float64 bytes make an
    /// ordinary float64 image. `InvalidArgument` when `bytes` is not one sample per element,
    /// `OutOfMemory` when the element count overflows or the samples cannot be allocated.
    pub fn from_ne_bytes(shape: &[usize], dtype: Dtype, bytes: &[u8]) -> Result<Self> {
        let count = element_count(shape)?;
        if count.checked_mul(dtype.item_size()) != Some(bytes.len()) {
            return Err(Error::invalid(format!(
                "shape {shape:?} has {count} elements but {} bytes are not as many {} samples",
                bytes.len(),
                dtype.name()
            )));
        }
        match TypedSamples::from_ne_bytes(dtype, bytes)? {
            Some(samples) => Image::typed(shape, samples),
            None => {
                let data = crate::typed_samples::doubles(bytes)?;
                Ok(Image::new(ArrayD::from_shape_vec(IxDyn(shape), data).expect("count checked")))
            }
        }
    }

    /// The same properties (not complex) with `samples` of a narrow type in `shape`, one per
    /// element in C order (the caller made them so), tagged with their type.
    pub(crate) fn with_typed(&self, shape: &[usize], samples: TypedSamples) -> Image {
        debug_assert_eq!(samples.len(), shape.iter().product::<usize>());
        let dtype = samples.dtype();
        let part = Part::c_order(Buffer::Typed(Arc::new(samples)), IxDyn(shape), 0);
        Image {
            samples: Samples::Part(Arc::new(part)),
            properties: self.properties.clone(),
            complex: false,
            dtype,
            note: self.note.clone(),
            host: None,
        }
    }

    /// The samples held in the image's own narrow type ([`Image::dtype`]: `AsType`'s casts, the
    /// comparisons' bools, and the flips, crops and permutations of such images, which share them) and
    /// the index in them of the sample at index 0 on every axis, from which [`Image::strides`]
    /// (signed) walk; `None` when the image holds float64 samples. Shared with the image, never
    /// copied.
    pub fn narrow_samples(&self) -> Option<(&TypedSamples, usize)> {
        match &self.samples {
            Samples::Part(p) => match &p.buffer {
                Buffer::Typed(t) if t.dtype() == self.dtype => Some((&**t, p.start)),
                _ => None,
            },
            Samples::Whole(_) => None,
        }
    }

    /// The samples of an int64 or uint64 image as a view of those integers (exact, where their
    /// float64 values are exact only up to 2^53); `None` for every other image.
    pub(crate) fn wide_ints(&self) -> Option<WideInts<'_>> {
        let (samples, start) = self.narrow_samples()?;
        let (shape, strides) = (IxDyn(self.shape()), self.strides());
        match self.dtype {
            Dtype::Int64 => Some(WideInts::I64(strided::view(samples.as_i64()?, start, &shape, &strides))),
            Dtype::UInt64 => Some(WideInts::U64(strided::view(samples.as_u64()?, start, &shape, &strides))),
            _ => None,
        }
    }

    /// Makes the float64 samples of an image holding a narrow type ([`Image::narrow_samples`]),
    /// once (kept while the samples are shared); `OutOfMemory` when they cannot be allocated. Library
    /// code calls it (or the fallible readers: [`Image::contiguous`], [`Image::memory`],
    /// [`Image::to_array`]) before the infallible ones ([`Image::data`], [`Image::as_slice`]), which panic when that conversion cannot be allocated. Kinds' inputs
    /// are converted before their computation, unless the kind reads narrow samples itself.
    pub fn float64_ready(&self) -> Result<()> {
        match &self.samples {
            Samples::Part(p) => p.buffer.try_all().map(|_| ()),
            Samples::Whole(_) => Ok(()),
        }
    }

    /// The array: a view of the samples, in standard layout unless the image is permuted
    /// ([`Image::is_permuted`]), when it is the strided view numpy's `transpose` would give. Narrow
    /// samples are read as float64 (see [`Image::float64_ready`]: this panics when their conversion
    /// cannot be allocated).
    pub fn data(&self) -> ArrayViewD<'_, f64> {
        match &self.samples {
            Samples::Whole(a) => a.view(),
            Samples::Part(p) => match &p.strides {
                None => ArrayViewD::from_shape(p.shape.clone(), &p.buffer.all()[p.start..p.start + p.shape.size()])
                    .expect("the shape fits the samples"),
                Some(s) => strided::view(p.buffer.all(), p.start, &p.shape, s),
            },
        }
    }

    /// Whether the samples are not in C order in memory (a view with strides of its own: permuted
    /// axes, a reversed axis, a sub-block or a complex part): [`Image::contiguous`] then copies them
    /// (once).
    pub fn is_permuted(&self) -> bool {
        matches!(&self.samples, Samples::Part(p) if p.strides.is_some())
    }

    /// The strides of the samples in memory, in elements from the sample at index 0 (the C-order
    /// strides unless strided; negative along a reversed axis).
    pub fn strides(&self) -> Vec<isize> {
        match &self.samples {
            Samples::Part(p) if let Some(s) = &p.strides => s.to_vec(),
            _ => strided::c_strides(self.shape()).into_vec(),
        }
    }

    /// The samples in the order elementwise computations may read them, keeping the layout with
    /// [`Image::with_layout_of`]: in memory order when they fill one block of memory (C order, or
    /// the samples of a permuted or reversed view in their parent's order), else (a sub-block, a
    /// complex part) in C order ([`Image::contiguous`]: copied once, `OutOfMemory` when that copy
    /// cannot be allocated). Narrow samples are read as float64, converted once (and kept) when
    /// first asked for: `OutOfMemory` when that conversion cannot be allocated.
    pub fn memory(&self) -> Result<&[f64]> {
        match &self.samples {
            Samples::Whole(a) => Ok(a.as_slice().expect("images are kept in standard layout")),
            Samples::Part(p) if p.dense => p.memory(),
            Samples::Part(_) => self.contiguous(),
        }
    }

    /// The address of the float64 sample at index 0 on every axis (NULL without samples), where
    /// [`Image::strides`] walk from: what C and numpy read a view through. Narrow samples are
    /// converted to float64 first (once, kept): `OutOfMemory` when that cannot be allocated.
    pub(crate) fn origin_ptr(&self) -> Result<*const f64> {
        if self.shape().contains(&0) {
            return Ok(std::ptr::null());
        }
        Ok(match &self.samples {
            Samples::Whole(a) => a.as_ptr(),
            Samples::Part(p) => p.buffer.try_all()?[p.start..].as_ptr(),
        })
    }

    /// The number of samples (the product of the shape).
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    /// Whether the image has no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same samples and properties with the axes in the order `order` (a permutation of
    /// `0..ndim`: axis `i` of the result is axis `order[i]` of this image), as numpy's `transpose`:
    /// in O(1), sharing the samples, with strides of its own. An error names a bad order.
    pub fn permuted_axes(&self, order: &[usize]) -> Result<Image> {
        let ndim = self.shape().len();
        let mut seen = vec![false; ndim];
        if order.len() != ndim || order.iter().any(|&a| a >= ndim || std::mem::replace(&mut seen[a], true)) {
            return Err(Error::invalid(format!("{order:?} is not a permutation of the {ndim} axes of the image")));
        }
        let (shape, strides) = (self.shape(), self.strides());
        let new_shape: Vec<usize> = order.iter().map(|&a| shape[a]).collect();
        let new_strides: Box<[isize]> = order.iter().map(|&a| strides[a]).collect();
        Ok(self.view_at(self.samples.start(), &new_shape, new_strides))
    }

    /// The samples in C order: in place unless the image is permuted, when they are copied once (and
    /// kept while the samples are shared); `OutOfMemory` when that copy cannot be allocated. What
    /// every computation needing C-order samples reads.
    pub fn contiguous(&self) -> Result<&[f64]> {
        let p = match &self.samples {
            Samples::Part(p) if p.strides.is_some() => p,
            Samples::Part(p) => return p.memory(),
            Samples::Whole(a) => return Ok(a.as_slice().expect("images are kept in standard layout")),
        };
        if let Some(c) = p.c_order.get() {
            return Ok(c);
        }
        self.float64_ready()?;
        let copy = layout::to_c_order(&self.data())?.into_boxed_slice();
        // Another thread may have copied them meanwhile: either copy is the same.
        let _ = p.c_order.set(copy);
        Ok(p.c_order.get().expect("just set"))
    }

    /// Writes the samples in C order into `out`, without keeping a copy of a permuted image's; an
    /// error when `out` does not hold exactly as many samples as the image.
    pub fn copy_c_order_to(&self, out: &mut [f64]) -> Result<()> {
        if out.len() != self.len() {
            return Err(Error::invalid(format!(
                "a buffer of {} samples for an image of shape {:?}",
                out.len(),
                self.shape()
            )));
        }
        match &self.samples {
            Samples::Part(p) if p.strides.is_some() => match p.c_order.get() {
                Some(c) => out.copy_from_slice(c),
                None => {
                    self.float64_ready()?;
                    layout::fill_c_order(&self.data(), out)
                }
            },
            _ => out.copy_from_slice(self.memory()?),
        }
        Ok(())
    }

    /// A new image of the same shape, layout and properties (and not complex, as new data is) over
    /// `samples`, one per sample of this image in the order [`Image::memory`] gives them: an
    /// elementwise result of a permuted or reversed image keeps its layout, as numpy's ufuncs do
    /// (that of a sub-block or a complex part is in C order). Errors when the lengths differ.
    pub(crate) fn with_layout_of(&self, samples: Vec<f64>) -> Result<Image> {
        if samples.len() != self.len() {
            return Err(Error::invalid(format!("{} samples for an image of shape {:?}", samples.len(), self.shape())));
        }
        let samples = match &self.samples {
            Samples::Part(p) if p.dense && p.strides.is_some() => Samples::Part(Arc::new(Part {
                start: p.start - p.first(),
                buffer: Buffer::Owned(Arc::new(standard_array(IxDyn(&[samples.len()]), samples))),
                shape: p.shape.clone(),
                strides: p.strides.clone(),
                dense: true,
                c_order: OnceLock::new(),
            })),
            _ => Samples::Whole(Arc::new(standard_array(self.dim(), samples))),
        };
        Ok(Image {
            samples,
            properties: self.properties.clone(),
            complex: false,
            dtype: Dtype::Float64,
            note: self.note.clone(),
            host: None,
        })
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
                    && p.strides.is_none()
                {
                    return Ok(Arc::clone(a));
                }
            }
        }
        self.to_array().map(Arc::new)
    }

    /// A copy of the samples as an owned array (`OutOfMemory` when it cannot be allocated).
    pub fn to_array(&self) -> Result<ArrayD<f64>> {
        self.float64_ready()?;
        if self.is_permuted() {
            let p = match &self.samples {
                Samples::Part(p) => p,
                Samples::Whole(_) => unreachable!("permuted"),
            };
            let buf = match p.c_order.get() {
                Some(c) => copy_of(c)?,
                None => layout::to_c_order(&self.data())?,
            };
            return Ok(standard_array(self.dim(), buf));
        }
        let s = self.memory()?;
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
        // One vectorised pass (AVX2 where the processor has it) into a buffer advised as huge pages
        // when large, as numpy's are.
        let buf = crate::features::pixelwise::map(self.memory()?, f)?;
        if self.is_permuted() {
            // In memory order, keeping the layout (as numpy's ufuncs do).
            return self.with_layout_of(buf);
        }
        let data = standard_array(self.dim(), buf);
        Ok(Image {
            samples: Samples::Whole(Arc::new(data)),
            properties: self.properties.clone(),
            complex: false,
            dtype: Dtype::Float64,
            note: self.note.clone(),
            host: None,
        })
    }

    /// The elements in C order ([`Image::contiguous`]). Panics when a permuted image's samples
    /// cannot be copied into C order for lack of memory: [`Image::contiguous`] reports that as an
    /// error.
    pub fn as_slice(&self) -> &[f64] {
        self.contiguous().unwrap_or_else(|e| panic!("{e}"))
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
        Samples::Part(Arc::new(Part::c_order(self.samples.buffer(), IxDyn(shape), start)))
    }

    /// A C-order copy of a permuted image (this image itself otherwise).
    fn in_c_order(&self) -> Result<Image> {
        if !self.is_permuted() {
            return Ok(self.clone());
        }
        let data = Arc::new(self.to_array()?);
        Ok(Image { samples: Samples::Whole(data), ..self.clone() })
    }

    /// The same samples and properties in another shape of as many elements (O(1): nothing is
    /// copied); an error names both shapes otherwise. A permuted image stays permuted when only axes
    /// of length 1 come or go (numpy's `squeeze` and `expand_dims` of a transposed view), and is
    /// copied into C order first otherwise (as numpy's `reshape` copies).
    pub fn reshaped(&self, shape: &[usize]) -> Result<Image> {
        let count = element_count(shape)?;
        if count != self.shape().iter().product::<usize>() {
            return Err(Error::invalid(format!("cannot reshape an image of shape {:?} to {shape:?}", self.shape())));
        }
        if self.is_permuted() {
            let (old, strides) = (self.shape(), self.strides());
            let kept: Vec<(usize, isize)> =
                old.iter().zip(&strides).filter(|(d, _)| **d != 1).map(|(&d, &s)| (d, s)).collect();
            if kept.iter().map(|k| k.0).eq(shape.iter().copied().filter(|&d| d != 1)) {
                // The strides numpy's `reshape` gives axes of length 1: the next axis's span before
                // another axis, the last axis's stride after the last.
                let mut next = kept.iter().rev().map(|k| k.1);
                let last = kept.last().map_or(1, |k| k.1);
                let mut new_strides = vec![last; shape.len()];
                let mut trailing = true;
                for k in (0..shape.len()).rev() {
                    if shape[k] != 1 {
                        new_strides[k] = next.next().expect("kept");
                        trailing = false;
                    } else if !trailing {
                        new_strides[k] = new_strides[k + 1] * shape[k + 1] as isize;
                    }
                }
                return Ok(self.view_at(self.samples.start(), shape, new_strides.into_boxed_slice()));
            }
            return self.in_c_order()?.reshaped(shape);
        }
        Ok(Image { samples: self.part(self.samples.start(), shape), ..self.clone() })
    }

    /// The contiguous block of `shape` starting at element `start` (C order) of this image's
    /// samples, with the same properties (O(1), but a permuted image is copied into C order first);
    /// an error when it does not fit.
    pub fn block(&self, start: usize, shape: &[usize]) -> Result<Image> {
        if self.is_permuted() {
            return self.in_c_order()?.block(start, shape);
        }
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
        Image { properties: self.properties.clone(), note: self.note.clone(), ..Image::new(data) }
    }

    /// [`Image::with_data`] in this image's type: `data` (computed as float64 from this image's
    /// samples, so exactly values of its type: a pad, a copied slice) is cast back to a narrow type
    /// the image holds, as numpy's `pad` and indexing keep the dtype; `OutOfMemory` when the cast
    /// cannot be allocated.
    pub(crate) fn with_data_in_type(&self, data: ArrayD<f64>) -> Result<Image> {
        let out = self.with_data(data);
        if self.dtype == Dtype::Float64 || self.complex {
            return Ok(out);
        }
        match TypedSamples::cast(out.contiguous()?, self.dtype)? {
            Some(samples) => Ok(out.with_typed(out.shape(), samples)),
            None => Ok(out),
        }
    }

    /// The same properties with new data already in standard layout (as `mapv` of an image's array
    /// is): no layout check.
    pub(crate) fn with_standard_data(&self, data: ArrayD<f64>) -> Image {
        Image { properties: self.properties.clone(), note: self.note.clone(), ..Image::from_standard(Arc::new(data)) }
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
        if complex {
            self.dtype = Dtype::Float64;
        }
        Ok(())
    }

    /// numpy's type of the samples (see [`Dtype`]): float64 but for `AsType`'s outputs.
    pub fn dtype(&self) -> Dtype {
        self.dtype
    }

    /// The image with its samples tagged as values of `dtype`, which they must be exactly (the
    /// caller cast them): a complex image stays float64.
    pub fn with_dtype(mut self, dtype: Dtype) -> Image {
        if !self.complex {
            self.dtype = dtype;
        }
        self
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

    /// Drops every dict (and the note, which may describe them).
    pub fn clear_properties(&mut self) {
        self.properties.clear();
        self.note = None;
    }

    /// Replaces the property list (and drops the note, which may describe the old one).
    pub(crate) fn set_properties(&mut self, properties: PropertyList) {
        self.properties = properties;
        self.note = None;
    }

    /// The typed data of type `T` that the kind that made the image attached ([`Image::set_note`]),
    /// if any: a scatterer hands the optics what they need of it this way, so that they do not look
    /// its property dicts up by key.
    pub fn note<T: Any>(&self) -> Option<&T> {
        self.note.as_ref().and_then(|n| n.0.downcast_ref::<T>())
    }

    /// An image standing for an object of the host's, in place of samples: what a custom feature's
    /// `get` returned that is no array (a dict, a string, a user's object; DeepTrack2 2.0.1 passes
    /// any object on). Its samples are one NaN (0-d float64), which no kind reads: only the kinds that
    /// take objects ([`crate::features::FeatureKind::takes_objects`], and structural kinds, which
    /// hand their inputs on) get it; any other fails naming itself. Its dicts are kept as any image's.
    pub fn of_object(object: Object) -> Image {
        Image { host: Some(object), ..Image::new(ArrayD::from_elem(IxDyn(&[]), f64::NAN)) }
    }

    /// The object of the host's this image stands for ([`Image::of_object`]); None for an image of
    /// samples.
    pub fn object(&self) -> Option<&Object> {
        self.host.as_ref()
    }

    /// An image standing for the list `items` (the C ABI's `deeptrack_image_new_list`: a custom
    /// feature's `get` giving several images through its one output): an object image
    /// ([`Image::of_object`]) whose object is the list, so that a kind computing with samples refuses
    /// it. A custom feature's output and a resolve's input give its items in its place.
    pub(crate) fn of_list(items: Vec<Image>) -> Image {
        Image::of_object(Object::new(ImageItems(items)))
    }

    /// The images this image stands for when [`Image::of_list`] made it; None for any other image.
    pub(crate) fn list_items(&self) -> Option<&[Image]> {
        self.host.as_ref()?.downcast_ref::<ImageItems>().map(|l| &l.0[..])
    }

    /// Attaches typed data for the kinds that consume the image, replacing any. Copies of the image and
    /// images made from it with new samples and the same dicts ([`Image::with_data`], elementwise
    /// results) keep it; replacing or clearing the dicts drops it. The engine never reads it.
    pub fn set_note<T: Any + Send + Sync>(&mut self, note: T) {
        self.note = Some(Note(Arc::new(note)));
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

    /// The values of `key` in every dict that has it, in order (empty when none has it);
    /// `OutOfMemory` when they cannot be allocated (the list's length is set by the input: a
    /// repetition stores a dict per step).
    pub fn get_properties(&self, key: &str) -> Result<Vec<&Value>> {
        self.properties.try_get_properties(key)
    }

    /// Whether two images are the same result: the same samples (buffer, place and shape) and the
    /// same dicts (O(1) when one is a copy of the other).
    pub(crate) fn same(&self, other: &Image) -> bool {
        self.samples.buffer_address() == other.samples.buffer_address()
            && self.samples.start() == other.samples.start()
            && self.shape() == other.shape()
            && self.is_permuted() == other.is_permuted()
            && (!self.is_permuted() || self.strides() == other.strides())
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

/// A copy of `s` (`OutOfMemory` when it cannot be allocated).
fn copy_of(s: &[f64]) -> Result<Vec<f64>> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(s.len())
        .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {} elements", s.len())))?;
    buf.extend_from_slice(s);
    Ok(buf)
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
        let all: Vec<i64> = img.get_properties("a").unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
        assert_eq!(all, vec![1, 2]);
        assert!(img.get_property("q").is_none());
        assert!(img.get_properties("q").unwrap().is_empty());
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
