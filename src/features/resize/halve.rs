//! `Resize` of a uint8 image to exactly half its size along both axes, as OpenCV computes it: for an
//! exact halving `cv2.resize`'s `INTER_LINEAR` takes its `INTER_AREA` fast path, each output the sum
//! `s` of a 2 x 2 block of source pixels (per channel) divided by 4. With 1, 3 or 4 channels its
//! rounding is `(s + 2) >> 2` (`ResizeAreaFastVec`: the same bits as the fixed-point linear
//! interpolation, whose weights are then all 1/2); with other channel counts `cvRound(s · 0.25f)`,
//! which rounds halves to even.

use std::mem::MaybeUninit;

use super::fixed::too_large;
use crate::buffer;
use crate::error::Result;

/// Whether resizing `(rows, cols)` to `(h, w)` is an exact halving of both axes.
pub(super) fn is_halving((rows, cols): (usize, usize), (h, w): (usize, usize)) -> bool {
    rows == 2 * h && cols == 2 * w
}

/// `x` (uint8 samples, C order) of shape `(rows, cols, channels)`, both even, halved along both
/// axes; with AVX2 for one channel where `simd` and the processor has it (the same bits).
pub(super) fn halve(x: &[u8], (rows, cols, channels): (usize, usize, usize), simd: bool) -> Result<Vec<u8>> {
    let (h, w) = (rows / 2, cols / 2);
    let row_len = w * channels;
    let src_len = cols * channels;
    let total = row_len * h;
    let mut out: Vec<u8> = buffer::try_vec(total).ok_or_else(|| too_large("the output"))?;
    let spare = &mut out.spare_capacity_mut()[..total];
    #[cfg(target_arch = "x86_64")]
    let avx2 = simd && matches!(channels, 1 | 3 | 4) && std::arch::is_x86_feature_detected!("avx2");
    #[cfg(not(target_arch = "x86_64"))]
    let avx2 = {
        let _ = simd;
        false
    };
    for (y, dst) in spare.chunks_exact_mut(row_len.max(1)).enumerate() {
        let a = &x[2 * y * src_len..(2 * y + 1) * src_len];
        let b = &x[(2 * y + 1) * src_len..(2 * y + 2) * src_len];
        match channels {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the processor has AVX2 (checked above); `a` and `b` have `2 · dst.len()` samples
            // (a source row has twice the pixels of an output row); `C` is 1.
            1 if avx2 => unsafe { halve_row_avx2::<1>(a, b, dst) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above, with `C` = 4.
            4 if avx2 => unsafe { halve_row_avx2::<4>(a, b, dst) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above (three channels).
            3 if avx2 => unsafe { halve_row3_avx2(a, b, dst) },
            1 => halve_row::<1>(a, b, dst),
            3 => halve_row::<3>(a, b, dst),
            4 => halve_row::<4>(a, b, dst),
            _ => {
                let pairs = a.chunks_exact(2 * channels).zip(b.chunks_exact(2 * channels));
                for (o, (a, b)) in dst.chunks_exact_mut(channels).zip(pairs) {
                    for (k, o) in o.iter_mut().enumerate() {
                        let s = u16::from(a[k]) + u16::from(a[channels + k]) + u16::from(b[k]);
                        let s = s + u16::from(b[channels + k]);
                        // `cvRound(s · 0.25f)`: s / 4 exactly, its halves rounded to even.
                        o.write((f32::from(s) * 0.25).round_ties_even() as u8);
                    }
                }
            }
        }
    }
    // SAFETY: every one of the first `total` samples was written: `spare` is cut into `h` rows of
    // `row_len` samples, and each row's pixels are all written above.
    unsafe { out.set_len(total) };
    Ok(out)
}

/// One output row of `C` channels from the source rows `a` and `b`: `(s + 2) >> 2`.
#[inline(always)]
fn halve_row<const C: usize>(a: &[u8], b: &[u8], dst: &mut [MaybeUninit<u8>]) {
    for (o, (a, b)) in dst.chunks_exact_mut(C).zip(a.chunks_exact(2 * C).zip(b.chunks_exact(2 * C))) {
        for k in 0..C {
            let s = u16::from(a[k]) + u16::from(a[C + k]) + u16::from(b[k]) + u16::from(b[C + k]);
            o[k].write(((s + 2) >> 2) as u8);
        }
    }
}

/// [`halve_row`] for one or four channels with AVX2: 64 source samples of each row a step, 32
/// outputs; each 128-bit half holds whole pairs of pixels, whose samples of a channel a byte shuffle
/// makes adjacent (four channels), and `vpmaddubsw` sums those pairs.
///
/// # Safety
/// The processor has AVX2; `C` is 1 or 4; `a` and `b` have at least `2 · dst.len()` samples.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn halve_row_avx2<const C: usize>(a: &[u8], b: &[u8], dst: &mut [MaybeUninit<u8>]) {
    use std::arch::x86_64::*;
    let (ones, two) = (_mm256_set1_epi8(1), _mm256_set1_epi16(2));
    // Per 128-bit half, two pixels of four channels each side by side: (p0 c, p1 c) pairs.
    let pairs = _mm256_setr_epi8(
        0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15, 0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15,
    );
    let whole = dst.len() / 32 * 32;
    for j in (0..whole).step_by(32) {
        // SAFETY: `2 · (j + 32) <= 2 · dst.len()`, at most the rows' lengths (the caller's promise), so
        // the loads read `a` and `b`, and the store writes `dst[j..j + 32]`.
        unsafe {
            let load = |r: &[u8], o: usize| {
                let v = _mm256_loadu_si256(r.as_ptr().add(2 * j + o).cast());
                if C == 4 { _mm256_shuffle_epi8(v, pairs) } else { v }
            };
            let sums = |o: usize| {
                let pa = _mm256_maddubs_epi16(load(a, o), ones);
                let pb = _mm256_maddubs_epi16(load(b, o), ones);
                _mm256_srli_epi16::<2>(_mm256_add_epi16(_mm256_add_epi16(pa, pb), two))
            };
            // `packus` packs 128-bit halves: the permutation puts the four 8-byte runs back in order.
            let bytes = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packus_epi16(sums(0), sums(32)));
            _mm256_storeu_si256(dst.as_mut_ptr().add(j).cast(), bytes);
        }
    }
    halve_row::<C>(&a[2 * whole..], &b[2 * whole..], &mut dst[whole..]);
}

/// [`halve_row`] for three channels with AVX2: 24 source samples of each row a step (two pairs of
/// pixels in each 128-bit half, loaded 12 bytes apart), 12 outputs, written as two 8-byte stores of
/// which the last 2 bytes are overwritten by the next store (the loop stops 2 bytes before the end).
///
/// # Safety
/// The processor has AVX2; `a` and `b` have at least `2 · dst.len()` samples.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn halve_row3_avx2(a: &[u8], b: &[u8], dst: &mut [MaybeUninit<u8>]) {
    use std::arch::x86_64::*;
    let (ones, two) = (_mm256_set1_epi8(1), _mm256_set1_epi16(2));
    // Per 128-bit half: the (p0 c, p1 c) pairs of two pairs of pixels of three channels, then zeros.
    let z = -128i8; // 0x80: a zero byte
    let pairs = _mm256_setr_epi8(
        0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11, z, z, z, z, 0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11, z, z, z, z,
    );
    // Steps while the 16-byte loads (up to 2j + 28) and the 8-byte stores (up to j + 14) stay inside.
    let mut j = 0;
    while j + 14 <= dst.len() {
        // SAFETY: `j + 14 <= dst.len()`, so the loads read `a` and `b` up to `2j + 28 <= 2 · dst.len()`,
        // at most their lengths (the caller's promise), and the stores write `dst[j..j + 14]`.
        unsafe {
            let load = |r: &[u8]| {
                let p = r.as_ptr().add(2 * j);
                _mm256_shuffle_epi8(_mm256_loadu2_m128i(p.add(12).cast(), p.cast()), pairs)
            };
            let sum = _mm256_add_epi16(_mm256_maddubs_epi16(load(a), ones), _mm256_maddubs_epi16(load(b), ones));
            let bytes = _mm256_packus_epi16(_mm256_srli_epi16::<2>(_mm256_add_epi16(sum, two)), _mm256_setzero_si256());
            // Outputs j..j + 6 in the low half's first bytes, j + 6..j + 12 in the high half's.
            let out = dst.as_mut_ptr().add(j).cast::<u8>();
            _mm_storel_epi64(out.cast(), _mm256_castsi256_si128(bytes));
            _mm_storel_epi64(out.add(6).cast(), _mm256_extracti128_si256::<1>(bytes));
        }
        j += 12;
    }
    halve_row::<3>(&a[2 * j..], &b[2 * j..], &mut dst[j..]);
}
