//! Image files: 16-bit grayscale PNG and TIFF output (`tiff.rs`), and how values become 16-bit levels.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use crate::error::{Error, ErrorKind, Result};
use crate::image::Image;

mod tiff;

/// The (minimum, maximum) of the finite values of `samples`, (0, 0) when there are none.
fn finite_range(samples: &[f64]) -> (f64, f64) {
    let finite = samples.iter().copied().filter(|x| x.is_finite());
    let (min, max) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    if min.is_finite() { (min, max) } else { (0.0, 0.0) }
}

/// How values become 16-bit levels: scaled linearly from `min ..= max` to `0 ..= 65535` (a constant
/// image to zeros), or as they are, rounded and clipped; NaN is 0 either way.
struct Levels {
    min: f64,
    span: f64,
    scale: bool,
}

impl Levels {
    fn new(min: f64, max: f64, scale: bool) -> Levels {
        Levels { min, span: max - min, scale }
    }

    fn of(&self, x: f64) -> u16 {
        if x.is_nan() {
            0
        } else if !self.scale {
            x.round().clamp(0.0, 65535.0) as u16
        } else if self.span > 0.0 && x.is_finite() {
            ((x - self.min) / self.span * 65535.0).round() as u16
        } else {
            0
        }
    }
}

/// The error of a file that cannot be written.
fn write_error(path: &Path, e: &dyn std::fmt::Display) -> Error {
    Error::invalid(format!("cannot write '{}': {e}", path.display()))
}

impl Image {
    /// Writes the image as a 16-bit grayscale PNG. The image must be 2-D, or 3-D with one channel
    /// (`(H, W, 1)`, as the optics produce). Values are scaled linearly so that the image's minimum is
    /// 0 and its maximum 65535 (a constant image is written as zeros); NaN is written as 0. Returns
    /// the (minimum, maximum) that were mapped, so that a caller can record the scale.
    pub fn save_png(&self, path: &Path) -> Result<(f64, f64)> {
        let shape = self.shape();
        let (height, width) = match shape {
            [h, w] | [h, w, 1] => (*h, *w),
            _ => {
                return Err(Error::invalid(format!(
                    "a PNG needs a 2-D image or one channel (H, W, 1), got shape {shape:?}"
                )));
            }
        };
        let (h32, w32) = match (u32::try_from(height), u32::try_from(width)) {
            (Ok(h), Ok(w)) if h > 0 && w > 0 => (h, w),
            _ => return Err(Error::invalid(format!("cannot write a PNG of {height}x{width} pixels"))),
        };
        let (min, max) = finite_range(self.contiguous()?);
        let levels = Levels::new(min, max, true);
        let mut bytes = Vec::new();
        bytes
            .try_reserve_exact(height * width * 2)
            .map_err(|_| Error::new(ErrorKind::OutOfMemory, "cannot allocate the PNG buffer"))?;
        for &x in self.contiguous()? {
            bytes.extend_from_slice(&levels.of(x).to_be_bytes());
        }
        let io = |e: &dyn std::fmt::Display| write_error(path, e);
        let file = File::create(path).map_err(|e| io(&e))?;
        let mut encoder = png::Encoder::new(BufWriter::new(file), w32, h32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Sixteen);
        let mut writer = encoder.write_header().map_err(|e| io(&e))?;
        writer.write_image_data(&bytes).map_err(|e| io(&e))?;
        writer.finish().map_err(|e| io(&e))?;
        Ok((min, max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};

    #[test]
    fn writes_a_readable_16_bit_png_scaled_to_the_full_range() {
        let dir = std::env::temp_dir().join(format!("deeptrack-png-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ramp.png");
        let img = Image::new(ArrayD::from_shape_vec(IxDyn(&[2, 3, 1]), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap());
        assert_eq!(img.save_png(&path).unwrap(), (1.0, 6.0));
        let decoder = png::Decoder::new(std::io::BufReader::new(File::open(&path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height, info.bit_depth), (3, 2, png::BitDepth::Sixteen));
        let levels: Vec<u16> = buf[..info.buffer_size()].chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
        assert_eq!(levels, [0, 13107, 26214, 39321, 52428, 65535]);
        let err = Image::zeros(&[2, 2, 3]).save_png(&path).unwrap_err();
        assert!(err.to_string().contains("got shape [2, 2, 3]"));
        assert!(
            Image::zeros(&[2, 2])
                .save_png(&dir.join("missing/dir.png"))
                .unwrap_err()
                .to_string()
                .starts_with("cannot write")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
