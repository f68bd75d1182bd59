//! `Resize` of the float32, uint16 and int16 images that DeepTrack2's OpenCV does not hand to Intel
//! IPP (channel counts other than 1, 3 and 4, and images of a single row or column of any channel
//! count), as its own generic `INTER_LINEAR` code computes them, bit for bit (checked against
//! `cv2.resize` by tests/resize_narrow.rs):
//!
//! - the same size is a copy;
//! - an exact halving of both axes takes the `INTER_AREA` fast path: the sum of each 2 x 2 block,
//!   `((s00 + s01) + s10) + s11` (in single precision for float32, exactly for the integers), added
//!   to a zero, times `0.25f`;
//! - any other size: single-precision coordinates and weights (`taps`), each source row resized
//!   along the columns as `s0 · a0 + s1 · a1` (two products and a sum, no fused multiply-add, as
//!   OpenCV's SSE3 baseline build computes it), then each output sample blended from two such rows
//!   as `r0 · b0 + r1 · b1` the same way.
//!
//! Integers are rounded to nearest, ties to even, and saturated (OpenCV's `saturate_cast`).

use super::fixed::{output, too_large};
use super::single::Sample;
use super::taps;
use crate::buffer;
use crate::error::Result;

/// `x` (C order) of shape `(rows, cols, channels)` resized to `(h, w, channels)` in its type `T`
/// as OpenCV's generic code computes it (see the module's documentation).
pub(super) fn resize<T: Sample>(
    x: &[T],
    (rows, cols, channels): (usize, usize, usize),
    (h, w): (usize, usize),
) -> Result<Vec<T>> {
    let (mut out, _, total) = output::<T>(h, w, channels)?;
    if (h, w) == (rows, cols) {
        out.extend_from_slice(&x[..total]);
    } else if rows == 2 * h && cols == 2 * w {
        halve(x, cols * channels, channels, &mut out);
    } else {
        linear(x, (rows, cols, channels), (h, w), &mut out)?;
    }
    Ok(out)
}

/// The `INTER_AREA` fast path of an exact halving: each output sample the mean of its 2 x 2 block,
/// pushed onto `out`. `src_len` is the samples of a source row.
fn halve<T: Sample>(x: &[T], src_len: usize, channels: usize, out: &mut Vec<T>) {
    for pair in x.chunks_exact(2 * src_len) {
        let (a, b) = pair.split_at(src_len);
        for (a, b) in a.chunks_exact(2 * channels).zip(b.chunks_exact(2 * channels)) {
            out.extend((0..channels).map(|k| {
                let block = [a[k], a[channels + k], b[k], b[channels + k]];
                // `sum += S[ofs[0]] + S[ofs[1]] + S[ofs[2]] + S[ofs[3]]` from a zero (which makes a
                // negative zero positive), then `sum * 0.25f`.
                T::from_f32((0.0 + T::block_sum(block)) * 0.25)
            }));
        }
    }
}

/// The linear interpolation of any other size, pushed onto `out` (which has room for it).
fn linear<T: Sample>(
    x: &[T],
    (rows, cols, channels): (usize, usize, usize),
    (h, w): (usize, usize),
    out: &mut Vec<T>,
) -> Result<()> {
    let columns = Columns::new(cols, w, channels)?;
    let ys = taps(rows, h, true, true)?;
    let src_len = cols * channels;
    let row_len = w * channels;
    let zeroed = || -> Result<Vec<f32>> {
        let mut v = buffer::try_vec(row_len).ok_or_else(|| too_large("a row"))?;
        v.resize(row_len, 0.0);
        Ok(v)
    };
    // Source rows resized along the columns, two at a time (an output row reads two), each computed
    // once per run of output rows that reads it (as OpenCV reuses them).
    let mut cache = [(usize::MAX, zeroed()?), (usize::MAX, zeroed()?)];
    for &(r0, r1, b0, b1) in &ys {
        for r in [r0, r1] {
            if cache.iter().all(|(k, _)| *k != r) {
                let slot = if cache[0].0 != r0 && cache[0].0 != r1 { 0 } else { 1 };
                columns.resize_row(&x[r * src_len..(r + 1) * src_len], &mut cache[slot].1);
                cache[slot].0 = r;
            }
        }
        let row = |r: usize| &cache.iter().find(|(k, _)| *k == r).expect("a cached row").1[..];
        let (b0, b1) = (b0 as f32, b1 as f32);
        out.extend(row(r0).iter().zip(row(r1)).map(|(&p, &q)| T::from_f32(p * b0 + q * b1)));
    }
    Ok(())
}

/// The column taps by output sample (channels included): the offset of the first source sample (the
/// second is one pixel on) and the two weights, in single precision; the samples from `inner` on
/// copy the row's last pixel (OpenCV's `xmax`).
struct Columns {
    offsets: Vec<usize>,
    weights: Vec<[f32; 2]>,
    inner: usize,
    channels: usize,
}

impl Columns {
    /// The taps of a row of `cols` pixels of `channels` samples resized to `w` pixels.
    fn new(cols: usize, w: usize, channels: usize) -> Result<Columns> {
        let xs = taps(cols, w, false, true)?;
        let n = w * channels;
        let fail = || too_large("the column taps");
        let mut offsets = buffer::try_vec(n).ok_or_else(fail)?;
        let mut weights = buffer::try_vec(n).ok_or_else(fail)?;
        for &(i0, _, a0, a1) in &xs {
            for c in 0..channels {
                offsets.push(i0 * channels + c);
                weights.push([a0 as f32, a1 as f32]);
            }
        }
        // `taps` clamps the pixels from the first whose next one is past the row to the last pixel.
        let inner = xs.iter().position(|t| t.0 >= cols - 1).unwrap_or(xs.len()) * channels;
        Ok(Columns { offsets, weights, inner, channels })
    }

    /// The source row `src` resized along the columns into `dst` (every sample written).
    fn resize_row<T: Sample>(&self, src: &[T], dst: &mut [f32]) {
        let ch = self.channels;
        let (head, tail) = dst.split_at_mut(self.inner);
        let taps = self.offsets.iter().zip(&self.weights);
        for (o, (&i, &[a0, a1])) in head.iter_mut().zip(taps) {
            // Before `inner` a tap's pixel has a next one in the row (`Columns::new`).
            *o = src[i].to_f32() * a0 + src[i + ch].to_f32() * a1;
        }
        for (o, &i) in tail.iter_mut().zip(&self.offsets[self.inner..]) {
            *o = src[i].to_f32();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OpenCV's generic linear resize one output sample at a time, straight from the taps.
    fn reference(x: &[f32], (rows, cols, ch): (usize, usize, usize), (h, w): (usize, usize)) -> Vec<f32> {
        let (xs, ys) = (taps(cols, w, false, true).unwrap(), taps(rows, h, true, true).unwrap());
        let at = |r: usize, c: usize, k: usize| x[(r * cols + c) * ch + k];
        let mut out = Vec::new();
        for &(r0, r1, b0, b1) in &ys {
            for &(c0, _, a0, a1) in &xs {
                for k in 0..ch {
                    let row = |r| {
                        if c0 + 1 < cols {
                            at(r, c0, k) * a0 as f32 + at(r, c0 + 1, k) * a1 as f32
                        } else {
                            at(r, c0, k)
                        }
                    };
                    out.push(row(r0) * b0 as f32 + row(r1) * b1 as f32);
                }
            }
        }
        out
    }

    #[test]
    fn the_row_cache_gives_each_sample_its_interpolation() {
        // Shrinking (rows skipped), enlarging (rows reused), mixed, single rows and columns.
        for ((rows, cols, ch), (h, w)) in [
            ((40, 30, 2), (7, 9)),
            ((9, 7, 5), (23, 17)),
            ((12, 20, 6), (30, 8)),
            ((1, 17, 3), (4, 9)),
            ((17, 1, 1), (5, 6)),
            ((3, 3, 8), (1, 1)),
        ] {
            let x: Vec<f32> = (0..rows * cols * ch).map(|i| ((i * 7919) % 1013) as f32 / 7.0 - 50.0).collect();
            let got = resize(&x, (rows, cols, ch), (h, w)).unwrap();
            let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&reference(&x, (rows, cols, ch), (h, w))), "{rows}x{cols}x{ch} -> {h}x{w}");
        }
    }

    #[test]
    fn a_halving_is_the_blocks_mean_rounded_half_to_even() {
        // Two channels: block sums 6 and 2 (means 1.5 and 0.5), and -6 and -2 in int16.
        let x: [u16; 8] = [1, 0, 2, 1, 2, 0, 1, 1];
        assert_eq!(resize(&x, (2, 2, 2), (1, 1)).unwrap(), [2, 0]);
        let y: Vec<i16> = x.iter().map(|&v| -(v as i16)).collect();
        assert_eq!(resize(&y, (2, 2, 2), (1, 1)).unwrap(), [-2, 0]);
        // float32 adds the block to a zero: negative zeros give a positive one.
        let z = resize(&[-0.0f32; 8], (2, 2, 2), (1, 1)).unwrap();
        assert!(z.iter().all(|v| v.to_bits() == 0));
    }
}
