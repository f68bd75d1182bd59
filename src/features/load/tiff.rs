//! TIFF files as DeepTrack2 reads them: imageio's `v3.imread` hands them to tifffile, which returns
//! the file's first *series* (a group of pages making one array), shaped as its metadata says:
//!
//! * tifffile's own files (a JSON `{"shape": [...]}` description on a series' first page, what
//!   `tifffile.imwrite` and `imageio.mimwrite` write): the pages that shape covers, in that shape
//!   (`imwrite` of a `(1, H, W)` array keeps its axis of one; `mimwrite` writes one series per
//!   frame, so only the first frame is read);
//! * ImageJ stacks (an `ImageJ=` description): `images` pages, shaped `(frames, slices, channels, H,
//!   W)` without the axes of one;
//! * other files: the pages shaped and typed as the first one, stacked first when there are several.
//!
//! A page is `(H, W)`, `(H, W, samples)` when its samples are interleaved and `(samples, H, W)` when
//! they are stored as separate planes (PlanarConfiguration 2, what `tifffile.imwrite` writes for a
//! `(3, H, W)` or `(4, H, W)` array).

use std::io::Cursor;

use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;

use super::decode::{Decoded, MAX_SAMPLES, count, samples, unsupported};
use crate::dtype::Dtype;
use crate::error::{Error, ErrorKind, Result};

/// A page's layout: its shape as tifffile gives it and its sample type (pages of one series agree).
#[derive(Clone, PartialEq, Debug)]
struct PageLayout {
    shape: Vec<usize>,
    kind: tiff::ColorType,
}

fn bad(e: tiff::TiffError) -> Error {
    Error::invalid(format!("a bad TIFF file: {e}"))
}

/// The current page's layout.
fn layout(decoder: &mut Decoder<Cursor<&[u8]>>) -> Result<PageLayout> {
    let (w, h) = decoder.dimensions().map_err(bad)?;
    let kind = decoder.colortype().map_err(bad)?;
    let channels = match kind {
        tiff::ColorType::Gray(_)
        | tiff::ColorType::GrayA(_)
        | tiff::ColorType::RGB(_)
        | tiff::ColorType::RGBA(_)
        | tiff::ColorType::CMYK(_)
        | tiff::ColorType::CMYKA(_)
        | tiff::ColorType::Multiband { .. } => {
            usize::from(decoder.find_tag_unsigned::<u16>(Tag::SamplesPerPixel).map_err(bad)?.unwrap_or(1))
        }
        other => return Err(unsupported(format!("TIFF colour type {other:?}"))),
    };
    let planar = decoder.find_tag_unsigned::<u16>(Tag::PlanarConfiguration).map_err(bad)?.unwrap_or(1) == 2;
    let (h, w) = (h as usize, w as usize);
    let shape = match channels {
        0 | 1 => vec![h, w],
        s if planar => vec![s, h, w],
        s => vec![h, w, s],
    };
    count(&shape)?;
    Ok(PageLayout { shape, kind })
}

/// Appends the current page's samples (all planes) to `data`; the full scale of their type, and the
/// type.
fn read_page(
    decoder: &mut Decoder<Cursor<&[u8]>>,
    n: usize,
    index: usize,
    data: &mut Vec<f64>,
) -> Result<(f64, Dtype)> {
    data.try_reserve_exact(n)
        .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {n} more samples")))?;
    let mut buffer = DecodingResult::U8(Vec::new());
    decoder.read_image_to_buffer(&mut buffer).map_err(bad)?;
    let before = data.len();
    let dtype = match buffer {
        DecodingResult::U8(_) => Dtype::UInt8,
        DecodingResult::U16(_) => Dtype::UInt16,
        DecodingResult::U32(_) => Dtype::UInt32,
        DecodingResult::U64(_) => Dtype::UInt64,
        DecodingResult::I8(_) => Dtype::Int8,
        DecodingResult::I16(_) => Dtype::Int16,
        DecodingResult::I32(_) => Dtype::Int32,
        DecodingResult::I64(_) => Dtype::Int64,
        DecodingResult::F16(_) => Dtype::Float16,
        DecodingResult::F32(_) => Dtype::Float32,
        DecodingResult::F64(_) => Dtype::Float64,
    };
    let scale = match buffer {
        DecodingResult::U8(v) => extend(data, &v, n, 255.0, f64::from),
        DecodingResult::U16(v) => extend(data, &v, n, 65535.0, f64::from),
        DecodingResult::U32(v) => extend(data, &v, n, 4294967295.0, f64::from),
        DecodingResult::U64(v) => extend(data, &v, n, 1.0, |x| x as f64),
        DecodingResult::I8(v) => extend(data, &v, n, 127.0, f64::from),
        DecodingResult::I16(v) => extend(data, &v, n, 32767.0, f64::from),
        DecodingResult::I32(v) => extend(data, &v, n, 1.0, f64::from),
        DecodingResult::I64(v) => extend(data, &v, n, 1.0, |x| x as f64),
        DecodingResult::F16(v) => extend(data, &v, n, 1.0, f64::from),
        DecodingResult::F32(v) => extend(data, &v, n, 1.0, f64::from),
        DecodingResult::F64(v) => extend(data, &v, n, 1.0, |x| x),
    };
    let got = data.len() - before;
    if got != n {
        return Err(Error::invalid(format!(
            "a bad TIFF file: page {index} holds {got} samples where its size needs {n}"
        )));
    }
    Ok((scale, dtype))
}

/// Appends at most `n` of `v`, converted, to `data`; returns `scale`.
fn extend<T: Copy>(data: &mut Vec<f64>, v: &[T], n: usize, scale: f64, f: impl Fn(T) -> f64) -> f64 {
    data.extend(v.iter().take(n).map(|&x| f(x)));
    scale
}

/// How the first series is laid out.
enum Series {
    /// A tifffile "shaped" series or an ImageJ stack: `pages` consecutive pages, reshaped to `shape`.
    Shaped { pages: usize, shape: Vec<usize> },
    /// Every page laid out as the first.
    Generic,
}

/// The integers of tifffile's JSON description's `"shape": [...]`, if any.
fn shaped_description(text: &str) -> Option<Vec<usize>> {
    let text = text.trim_start();
    if !text.starts_with('{') {
        return None;
    }
    let at = text.find("\"shape\"")? + "\"shape\"".len();
    let rest = text[at..].trim_start().strip_prefix(':')?.trim_start().strip_prefix('[')?;
    let inner = &rest[..rest.find(']')?];
    inner.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| s.parse().ok()).collect()
}

/// ImageJ's `images`, and the shape `(frames, slices, channels)` without the axes of one.
fn imagej_description(text: &str) -> Option<(usize, Vec<usize>)> {
    if !text.starts_with("ImageJ=") {
        return None;
    }
    let field = |key: &str| -> Option<usize> {
        text.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix('=')?.trim().parse().ok())
    };
    let images = field("images").unwrap_or(1);
    let dims: Vec<usize> =
        ["frames", "slices", "channels"].iter().filter_map(|k| field(k)).filter(|&d| d > 1).collect();
    Some((images, dims))
}

/// The first series' plan from the first page's description and layout.
fn plan(description: Option<&str>, first: &PageLayout) -> Series {
    let page: usize = first.shape.iter().product();
    if let Some(shape) = description.and_then(shaped_description) {
        let total = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        if let Some(total) = total.filter(|&t| page > 0 && t > 0 && t % page == 0) {
            return Series::Shaped { pages: total / page, shape };
        }
    }
    if let Some((images, dims)) = description.and_then(imagej_description).filter(|(images, _)| *images > 1) {
        let lead = if dims.iter().product::<usize>() == images { dims } else { vec![images] };
        return Series::Shaped { pages: images, shape: [&lead[..], &first.shape].concat() };
    }
    Series::Generic
}

/// Decodes a TIFF file's first series.
pub(super) fn tiff(bytes: &[u8]) -> Result<Decoded> {
    let mut limits = Limits::default();
    limits.decoding_buffer_size = MAX_SAMPLES * 8;
    let mut decoder = Decoder::new(Cursor::new(bytes)).map_err(bad)?.with_limits(limits);
    let first = layout(&mut decoder)?;
    let description = decoder.get_tag_ascii_string(Tag::ImageDescription).ok();
    let series = plan(description.as_deref(), &first);
    let n = count(&first.shape)?;
    let mut data = samples(n)?;
    let (mut full_scale, dtype) = read_page(&mut decoder, n, 0, &mut data)?;
    let mut pages = 1usize;
    let wanted = match &series {
        Series::Shaped { pages, .. } => *pages,
        Series::Generic => usize::MAX,
    };
    let mut index = 0usize;
    while pages < wanted && decoder.more_images() {
        decoder.next_image().map_err(bad)?;
        index += 1;
        let this = layout(&mut decoder)?;
        if this != first {
            if matches!(series, Series::Shaped { .. }) {
                return Err(Error::invalid(format!(
                    "a bad TIFF file: page {index} has shape {:?} in a series of pages of shape {:?}",
                    this.shape, first.shape
                )));
            }
            continue; // another series
        }
        if (pages + 1).checked_mul(n).is_none_or(|t| t > MAX_SAMPLES) {
            return Err(Error::invalid(format!("the TIFF pages exceed the maximum of {MAX_SAMPLES} samples")));
        }
        full_scale = read_page(&mut decoder, n, index, &mut data)?.0;
        pages += 1;
    }
    let shape = match series {
        Series::Shaped { pages: wanted, shape } => {
            if pages < wanted {
                return Err(Error::invalid(format!(
                    "a bad TIFF file: its description gives shape {shape:?} ({wanted} pages), but the file has \
                     {pages}"
                )));
            }
            shape
        }
        Series::Generic if pages > 1 => [&[pages][..], &first.shape].concat(),
        Series::Generic => first.shape,
    };
    Ok(Decoded { shape, data, full_scale, dtype })
}
