//! Decoding an image file into numbers, as DeepTrack2's readers give them (imageio, then numpy): PNG
//! (the `png` crate), TIFF (`tiff.rs`: the first series, as tifffile gives it), JPEG (`zune-jpeg`) and numpy's `.npy`, told
//! apart by their first bytes. Every size is checked against [`MAX_SAMPLES`] before anything of that
//! size is allocated, and allocations are fallible.

use std::io::Cursor;

use crate::dtype::Dtype;
use crate::error::{Error, ErrorKind, Result};

/// The most samples an image may have (2^28: 2 GiB as float64).
pub const MAX_SAMPLES: usize = 1 << 28;

/// The largest file read (1 GiB).
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// A decoded image: C-order samples of `shape`, and the full scale of its integer type (255 for
/// 8-bit samples; 1 for floats), which a conversion to floats in [0, 1] divides by.
pub struct Decoded {
    /// The shape: `(H, W)` or `(H, W, channels)`; a TIFF's first series as tifffile shapes it (`tiff.rs`);
    /// any shape for `.npy`.
    pub shape: Vec<usize>,
    /// The samples.
    pub data: Vec<f64>,
    /// The full scale of the samples' type.
    pub full_scale: f64,
    /// The type of the file's samples (numpy's, as imageio and `np.load` give them), kept by the
    /// image as DeepTrack2 keeps the array's dtype.
    pub dtype: Dtype,
}

pub(super) fn unsupported(what: impl std::fmt::Display) -> Error {
    Error::invalid(format!("unsupported format: {what}"))
}

/// A fallible buffer of `n` samples, with [`MAX_SAMPLES`] enforced.
pub(super) fn samples(n: usize) -> Result<Vec<f64>> {
    if n > MAX_SAMPLES {
        return Err(Error::invalid(format!("the image has {n} samples, which exceeds the maximum of {MAX_SAMPLES}")));
    }
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate an image of {n} samples")))?;
    Ok(v)
}

/// The product of `dims`, checked against [`MAX_SAMPLES`].
pub(super) fn count(dims: &[usize]) -> Result<usize> {
    dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d)).filter(|&n| n <= MAX_SAMPLES).ok_or_else(|| {
        Error::invalid(format!("the image of shape {dims:?} exceeds the maximum of {MAX_SAMPLES} samples"))
    })
}

/// Decodes `bytes` by their format.
pub fn decode(bytes: &[u8]) -> Result<Decoded> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        png(bytes)
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        super::tiff::tiff(bytes)
    } else if bytes.starts_with(b"\xff\xd8\xff") {
        jpeg(bytes)
    } else if bytes.starts_with(b"\x93NUMPY") {
        npy(bytes)
    } else {
        Err(unsupported("not a PNG, TIFF, JPEG or .npy file"))
    }
}

fn png(bytes: &[u8]) -> Result<Decoded> {
    let limits = png::Limits { bytes: MAX_SAMPLES * 2 };
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(bytes), limits);
    // Palettes and low bit depths to 8 bits (as imageio gives them); 16 bits stay 16 bits.
    decoder.set_transformations(png::Transformations::EXPAND);
    let bad = |e: png::DecodingError| Error::invalid(format!("a bad PNG file: {e}"));
    let mut reader = decoder.read_info().map_err(bad)?;
    let (color, depth) = reader.output_color_type();
    let (w, h) = (reader.info().width as usize, reader.info().height as usize);
    let channels = color.samples();
    let mut shape = vec![h, w];
    if channels > 1 {
        shape.push(channels);
    }
    let n = count(&shape)?;
    let size = reader.output_buffer_size().ok_or_else(|| Error::invalid("the PNG image is too large"))?;
    let mut buf = Vec::new();
    buf.try_reserve_exact(size)
        .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate {size} bytes")))?;
    buf.resize(size, 0);
    let frame = reader.next_frame(&mut buf).map_err(bad)?;
    let row = frame.line_size;
    let mut data = samples(n)?;
    let wide = depth == png::BitDepth::Sixteen;
    for y in 0..h {
        let line = &buf[y * row..][..w * channels * if wide { 2 } else { 1 }];
        if wide {
            data.extend(line.chunks_exact(2).map(|b| f64::from(u16::from_be_bytes([b[0], b[1]]))));
        } else {
            data.extend(line.iter().map(|&b| f64::from(b)));
        }
    }
    let (full_scale, dtype) = if wide { (65535.0, Dtype::UInt16) } else { (255.0, Dtype::UInt8) };
    Ok(Decoded { shape, data, full_scale, dtype })
}

fn jpeg(bytes: &[u8]) -> Result<Decoded> {
    use zune_jpeg::JpegDecoder;
    use zune_jpeg::zune_core::bytestream::ZCursor;
    use zune_jpeg::zune_core::colorspace::ColorSpace;
    use zune_jpeg::zune_core::options::DecoderOptions;
    let bad = |e: zune_jpeg::errors::DecodeErrors| Error::invalid(format!("a bad JPEG file: {e}"));
    let mut decoder = JpegDecoder::new(ZCursor::new(bytes));
    decoder.decode_headers().map_err(bad)?;
    let info = decoder.info().ok_or_else(|| Error::invalid("a bad JPEG file: no header"))?;
    let gray = matches!(decoder.input_colorspace(), Some(ColorSpace::Luma));
    let (out, channels) = if gray { (ColorSpace::Luma, 1) } else { (ColorSpace::RGB, 3) };
    let (w, h) = (usize::from(info.width), usize::from(info.height));
    let mut shape = vec![h, w];
    if channels > 1 {
        shape.push(channels);
    }
    let n = count(&shape)?;
    let options = DecoderOptions::default().jpeg_set_out_colorspace(out).set_max_width(w).set_max_height(h);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    let pixels = decoder.decode().map_err(bad)?;
    if pixels.len() != n {
        return Err(Error::invalid("a bad JPEG file: the image has fewer samples than its size"));
    }
    let mut data = samples(n)?;
    data.extend(pixels.iter().map(|&b| f64::from(b)));
    Ok(Decoded { shape, data, full_scale: 255.0, dtype: Dtype::UInt8 })
}

/// Reads one sample of a `.npy` body (its bytes) as a float.
type SampleReader<'a> = Box<dyn Fn(&[u8]) -> f64 + 'a>;

/// numpy's `.npy` (format 1.0 to 3.0): booleans, integers and floats of either byte order, C or
/// Fortran order.
fn npy(bytes: &[u8]) -> Result<Decoded> {
    let bad = |what: &str| Error::invalid(format!("a bad .npy file: {what}"));
    if bytes.len() < 10 {
        return Err(bad("no header"));
    }
    let version = bytes[6];
    let (len, start): (usize, usize) = match version {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        _ => return Err(bad("unknown version")),
    };
    let header = bytes.get(start..start.saturating_add(len)).ok_or_else(|| bad("a truncated header"))?;
    let header = std::str::from_utf8(header).map_err(|_| bad("a header that is not text"))?;
    let field = |key: &str| -> Option<&str> {
        let at = header.find(&format!("'{key}':"))? + key.len() + 3;
        Some(header[at..].trim_start())
    };
    let descr = field("descr").and_then(|s| s.strip_prefix('\'')).and_then(|s| s.split('\'').next());
    let descr = descr.ok_or_else(|| bad("no 'descr'"))?;
    let fortran = field("fortran_order").is_some_and(|s| s.starts_with("True"));
    let dims = field("shape").and_then(|s| s.strip_prefix('(')).and_then(|s| s.split(')').next());
    let dims = dims.ok_or_else(|| bad("no 'shape'"))?;
    let shape: Vec<usize> = dims
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| bad("a bad shape")))
        .collect::<Result<_>>()?;
    let n = count(&shape)?;
    let (order, kind, size) = {
        let b = descr.as_bytes();
        if b.len() < 3 {
            return Err(bad("a bad 'descr'"));
        }
        (b[0], b[1], descr[2..].parse::<usize>().map_err(|_| bad("a bad 'descr'"))?)
    };
    let big = order == b'>';
    let body = &bytes[start + len..];
    let needed = n.checked_mul(size).ok_or_else(|| bad("a shape too large"))?;
    if body.len() < needed {
        return Err(bad("fewer samples than its shape"));
    }
    let word = |c: &[u8]| -> [u8; 8] {
        let mut w = [0u8; 8];
        if big {
            w[8 - c.len()..].copy_from_slice(c);
        } else {
            w[..c.len()].copy_from_slice(c);
        }
        w
    };
    let read: SampleReader = match (kind, size) {
        (b'f', 8) => Box::new(move |c| if big { f64::from_be_bytes(word(c)) } else { f64::from_le_bytes(word(c)) }),
        (b'f', 4) => Box::new(move |c| {
            let a = [c[0], c[1], c[2], c[3]];
            f64::from(if big { f32::from_be_bytes(a) } else { f32::from_le_bytes(a) })
        }),
        (b'u' | b'b', 1..=8) => Box::new(move |c| {
            let w = word(c);
            (if big { u64::from_be_bytes(w) } else { u64::from_le_bytes(w) }) as f64
        }),
        (b'i', 1..=8) => Box::new(move |c| {
            let w = word(c);
            let raw = if big { u64::from_be_bytes(w) } else { u64::from_le_bytes(w) };
            let shift = 64 - 8 * c.len() as u32;
            ((raw << shift) as i64 >> shift) as f64
        }),
        _ => return Err(unsupported(format!(".npy type '{descr}' (booleans, integers and floats only)"))),
    };
    let mut data = samples(n)?;
    data.extend(body[..needed].chunks_exact(size).map(&read));
    if fortran && shape.len() > 1 {
        // Column-major samples: the C-order array of the reversed shape, transposed.
        let reversed: Vec<usize> = shape.iter().rev().copied().collect();
        let a = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&reversed), data).expect("the shape matches");
        let t = a.reversed_axes();
        let mut c = samples(n)?;
        c.extend(t.iter().copied());
        data = c;
    }
    let full_scale = match (kind, size) {
        (b'u', 1) => 255.0,
        (b'u', 2) => 65535.0,
        (b'i', 1) => 127.0,
        (b'i', 2) => 32767.0,
        _ => 1.0,
    };
    let dtype = match (kind, size) {
        (b'b', 1) => Dtype::Bool,
        (b'u', 1) => Dtype::UInt8,
        (b'u', 2) => Dtype::UInt16,
        (b'u', 4) => Dtype::UInt32,
        (b'u', 8) => Dtype::UInt64,
        (b'i', 1) => Dtype::Int8,
        (b'i', 2) => Dtype::Int16,
        (b'i', 4) => Dtype::Int32,
        (b'i', 8) => Dtype::Int64,
        (b'f', 4) => Dtype::Float32,
        _ => Dtype::Float64,
    };
    Ok(Decoded { shape, data, full_scale, dtype })
}
