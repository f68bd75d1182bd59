//! 16-bit grayscale TIFF output, one page per frame.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use ::tiff::encoder::{TiffEncoder, colortype::Gray16};

use super::{Levels, finite_range, write_error};
use crate::error::{Error, ErrorKind, Result};
use crate::image::Image;

impl Image {
    /// Writes the image as a 16-bit grayscale TIFF: a 2-D image `(H, W)` is one page, a 3-D image
    /// `(H, W, N)` is `N` pages (a stack of frames along the last axis, as images keep channels and
    /// sequences put frames). With `scale`, values are mapped linearly so that the minimum of the
    /// whole stack is 0 and its maximum 65535 (as [`Image::save_png`]; pages stay comparable);
    /// without, values are written as they are, rounded and clipped to 0 … 65535 (a camera's ADU).
    /// NaN is written as 0. Returns the (minimum, maximum) of the image's finite values ((0, 0)
    /// when there are none).
    pub fn save_tiff(&self, path: &Path, scale: bool) -> Result<(f64, f64)> {
        let shape = self.shape();
        let (height, width, pages) = match shape {
            [h, w] => (*h, *w, 1),
            [h, w, n] => (*h, *w, *n),
            _ => {
                return Err(Error::invalid(format!(
                    "a TIFF needs a 2-D image (H, W) or a stack of frames (H, W, N), got shape {shape:?}"
                )));
            }
        };
        let (h32, w32) = match (u32::try_from(height), u32::try_from(width)) {
            (Ok(h), Ok(w)) if h > 0 && w > 0 && pages > 0 => (h, w),
            _ => {
                return Err(Error::invalid(format!(
                    "cannot write a TIFF of {height}x{width} pixels and {pages} pages"
                )));
            }
        };
        let samples = self.contiguous()?;
        let (min, max) = finite_range(samples);
        let levels = Levels::new(min, max, scale);
        let mut page = Vec::new();
        page.try_reserve_exact(height * width)
            .map_err(|_| Error::new(ErrorKind::OutOfMemory, "cannot allocate the TIFF's page buffer"))?;
        let file = File::create(path).map_err(|e| write_error(path, &e))?;
        let mut encoder = TiffEncoder::new(BufWriter::new(file)).map_err(|e| write_error(path, &e))?;
        for k in 0..pages {
            page.clear();
            page.extend(samples.iter().skip(k).step_by(pages).map(|&x| levels.of(x)));
            encoder.write_image::<Gray16>(w32, h32, &page).map_err(|e| write_error(path, &e))?;
        }
        Ok((min, max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::tiff::decoder::{Decoder, DecodingResult};
    use ndarray::{ArrayD, IxDyn};

    /// The pages of a TIFF, as (width, height, samples).
    fn pages(path: &Path) -> Vec<(u32, u32, Vec<u16>)> {
        let mut decoder = Decoder::new(std::io::BufReader::new(File::open(path).unwrap())).unwrap();
        let mut out = Vec::new();
        loop {
            let (w, h) = decoder.dimensions().unwrap();
            let DecodingResult::U16(data) = decoder.read_image().unwrap() else { panic!("not 16-bit") };
            out.push((w, h, data));
            if !decoder.more_images() {
                return out;
            }
            decoder.next_image().unwrap();
        }
    }

    #[test]
    fn writes_stacks_as_pages_raw_or_scaled() {
        let dir = std::env::temp_dir().join(format!("deeptrack-tiff-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("stack.tif");
        // (H, W, N) = (1, 2, 3): pixel values 10k + page.
        let data = vec![0.0, 1.0, 2.0, 10.0, 11.0, 70000.0];
        let img = Image::new(ArrayD::from_shape_vec(IxDyn(&[1, 2, 3]), data).unwrap());
        assert_eq!(img.save_tiff(&path, false).unwrap(), (0.0, 70000.0));
        let raw = pages(&path);
        assert_eq!(raw.len(), 3);
        assert_eq!(raw[0], (2, 1, vec![0, 10]));
        assert_eq!(raw[1].2, [1, 11]);
        assert_eq!(raw[2].2, [2, 65535], "clipped to 16 bits");
        img.save_tiff(&path, true).unwrap();
        let scaled = pages(&path);
        assert_eq!(scaled[0].2, [0, 9]);
        assert_eq!(scaled[2].2[1], 65535);
        let single = Image::new(ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![-1.0, 2.4, 2.6, f64::NAN]).unwrap());
        assert_eq!(single.save_tiff(&path, false).unwrap(), (-1.0, 2.6));
        assert_eq!(pages(&path), [(2, 2, vec![0, 2, 3, 0])]);
        let err = Image::zeros(&[2, 2, 2, 2]).save_tiff(&path, true).unwrap_err();
        assert!(err.to_string().contains("got shape [2, 2, 2, 2]"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
