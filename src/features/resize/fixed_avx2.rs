//! The passes of `fixed.rs` with AVX2, sixteen 16-bit lanes at a time, with the same bits.
//!
//! Along the columns, sixteen output samples are a unit of two lanes of eight; the sixteen source
//! samples a lane reads (two per output) lie within 32 consecutive samples of the row when shrinking
//! by up to about 4 (fewer with more channels) or enlarging, so two 16-byte loads per lane and two
//! byte shuffles (`vpshufb`) fetch them as (s0, s1) pairs, widened to 16 bits and multiplied by their
//! weights pairwise (`vpmaddwd`: `s0 · a0 + s1 · a1` in 32 bits), shifted by 4 and packed to 16 bits.
//! A unit whose samples lie farther apart is done sample by sample. The blend of two rows is
//! OpenCV's: `vpmulhw` by each weight, `+ 2`, `>> 2`, packed to bytes with saturation.

use std::arch::x86_64::*;
use std::mem::MaybeUninit;

use super::fixed::{Columns, blend_scalar, too_large};
use crate::buffer;
use crate::error::Result;

/// Output samples per unit: two lanes of eight.
const UNIT: usize = 16;

/// Source samples a lane's window spans: two 16-byte loads.
const WINDOW: usize = 32;

/// The base of a unit done sample by sample.
const SCALAR: u32 = u32::MAX;

/// The shuffle tables of a row's units of [`UNIT`] output samples.
pub(crate) struct Units {
    /// Per unit: the offsets in the source row of its two lanes' windows, or [`SCALAR`].
    bases: Vec<[u32; 2]>,
    /// Per unit: the byte shuffles of the windows' first and second halves (each 16 bytes for the
    /// first lane, then 16 for the second), giving the (s0, s1) pairs of the lanes' outputs in order;
    /// 0x80 (a zero) where the other half holds the sample.
    masks: Vec<[[u8; 32]; 2]>,
    /// Per unit: the (a0, a1) weights of the pairs of outputs 0-3 of each lane (for the low bytes of
    /// its 128-bit halves), then of outputs 4-7.
    weights: Vec<[[i16; 16]; 2]>,
}

impl Units {
    /// The units of `columns` on source rows of `src_len` samples.
    pub(crate) fn new(columns: &Columns, src_len: usize) -> Result<Units> {
        let units = columns.len() / UNIT;
        let mut bases = buffer::try_vec(units).ok_or_else(|| too_large("the shuffle tables"))?;
        let mut masks = buffer::try_vec(units).ok_or_else(|| too_large("the shuffle tables"))?;
        let mut weights = buffer::try_vec(units).ok_or_else(|| too_large("the shuffle tables"))?;
        for u in 0..units {
            let mut base = [SCALAR; 2];
            let mut mask = [[0x80u8; 32]; 2];
            let mut weight = [[0i16; 16]; 2];
            for (lane, base) in base.iter_mut().enumerate() {
                let k = u * UNIT + lane * 8;
                let (i0, i1) = (&columns.i0[k..k + 8], &columns.i1[k..k + 8]);
                let low = i0.iter().chain(i1).copied().min().expect("a lane") as usize;
                let high = i0.iter().chain(i1).copied().max().expect("a lane") as usize;
                if src_len < WINDOW {
                    break;
                }
                // The window starts at the lowest sample, or ends at the row's end.
                let start = low.min(src_len - WINDOW);
                if high - start >= WINDOW {
                    break;
                }
                *base = start as u32;
                for j in 0..8 {
                    for (b, i) in [i0[j], i1[j]].into_iter().enumerate() {
                        let at = i as usize - start;
                        let byte = lane * 16 + 2 * j + b;
                        // The byte's 128-bit half: outputs 0-3 of the lane are in the low bytes.
                        mask[at / 16][byte] = (at % 16) as u8;
                    }
                    weight[j / 4][lane * 8 + 2 * (j % 4)] = columns.a0[k + j];
                    weight[j / 4][lane * 8 + 2 * (j % 4) + 1] = columns.a1[k + j];
                }
            }
            if base.contains(&SCALAR) {
                base = [SCALAR; 2];
            }
            bases.push(base);
            masks.push(mask);
            weights.push(weight);
        }
        Ok(Units { bases, masks, weights })
    }

    /// The number of units done with shuffles (the others sample by sample).
    #[cfg(test)]
    pub(crate) fn shuffled(&self) -> usize {
        self.bases.iter().filter(|b| b[0] != SCALAR).count()
    }

    /// The source row `src` resized along the columns into `dst` (every sample written).
    pub(crate) fn row(&self, src: &[u8], columns: &Columns, dst: &mut [i16]) {
        assert!(dst.len() == columns.len(), "a row of the columns' outputs");
        // SAFETY: a `Units` is only made where the processor has AVX2 (`Kernels::new`); `dst` has one
        // sample per column (asserted), and the units were made for rows of `src.len()` samples.
        unsafe { self.row_avx2(src, columns, dst) }
    }

    /// [`Self::row`] with AVX2.
    ///
    /// # Safety
    /// The processor has AVX2; `dst.len() == columns.len()`; the units were made from `columns` for
    /// rows of `src.len()` samples.
    #[target_feature(enable = "avx2")]
    unsafe fn row_avx2(&self, src: &[u8], columns: &Columns, dst: &mut [i16]) {
        let zero = _mm256_setzero_si256();
        for (u, ((&[a, b], masks), weights)) in self.bases.iter().zip(&self.masks).zip(&self.weights).enumerate() {
            let k = u * UNIT;
            if a == SCALAR {
                columns.scalar(src, k, k + UNIT, dst);
                continue;
            }
            let (a, b) = (a as usize, b as usize);
            // SAFETY: each window's base was kept only where `base + WINDOW <= src.len()` (`new`:
            // `start <= src_len - WINDOW`), so the four 16-byte loads read `src`; the masks and weights
            // are 32-byte arrays; `k + UNIT <= dst.len()` (only whole units are made); the shuffles
            // pick bytes within a 128-bit half, as their indices (below 16, or 0x80) ask.
            unsafe {
                let at = |o: usize| src.as_ptr().add(o).cast::<__m128i>();
                let first = _mm256_loadu2_m128i(at(b), at(a));
                let second = _mm256_loadu2_m128i(at(b + 16), at(a + 16));
                let m0 = _mm256_loadu_si256(masks[0].as_ptr().cast());
                let m1 = _mm256_loadu_si256(masks[1].as_ptr().cast());
                let pairs = _mm256_or_si256(_mm256_shuffle_epi8(first, m0), _mm256_shuffle_epi8(second, m1));
                let w0 = _mm256_loadu_si256(weights[0].as_ptr().cast());
                let w1 = _mm256_loadu_si256(weights[1].as_ptr().cast());
                // Outputs 0-3 of each lane (the low bytes of each half), then 4-7: packed back in
                // order, lane by lane.
                let low = _mm256_madd_epi16(_mm256_unpacklo_epi8(pairs, zero), w0);
                let high = _mm256_madd_epi16(_mm256_unpackhi_epi8(pairs, zero), w1);
                let v = _mm256_packs_epi32(_mm256_srai_epi32::<4>(low), _mm256_srai_epi32::<4>(high));
                _mm256_storeu_si256(dst.as_mut_ptr().add(k).cast(), v);
            }
        }
        columns.scalar(src, self.bases.len() * UNIT, dst.len(), dst);
    }
}

/// [`blend_scalar`] with AVX2 (the same bits), 32 samples at a time.
pub(crate) fn blend(p: &[i16], q: &[i16], weights: (i16, i16), dst: &mut [MaybeUninit<u8>]) {
    assert!(p.len() >= dst.len() && q.len() >= dst.len(), "rows of the output's length");
    // SAFETY: only called through `Kernels::Avx2`, made where the processor has AVX2; the rows are
    // long enough (asserted).
    unsafe { blend_avx2(p, q, weights, dst) }
}

/// [`blend`] with AVX2.
///
/// # Safety
/// The processor has AVX2; `p` and `q` have at least `dst.len()` samples.
#[target_feature(enable = "avx2")]
unsafe fn blend_avx2(p: &[i16], q: &[i16], (b0, b1): (i16, i16), dst: &mut [MaybeUninit<u8>]) {
    let (vb0, vb1, two) = (_mm256_set1_epi16(b0), _mm256_set1_epi16(b1), _mm256_set1_epi16(2));
    let whole = dst.len() / 32 * 32;
    for j in (0..whole).step_by(32) {
        // SAFETY: `j + 32 <= dst.len()`, at most the rows' lengths (the caller's promise), so the loads
        // read `p` and `q` and the store writes `dst`; unaligned loads and stores need no alignment.
        unsafe {
            let half = |o: usize| {
                let (s, t) = (p.as_ptr().add(j + o).cast(), q.as_ptr().add(j + o).cast());
                let sum = _mm256_add_epi16(
                    _mm256_mulhi_epi16(_mm256_loadu_si256(s), vb0),
                    _mm256_mulhi_epi16(_mm256_loadu_si256(t), vb1),
                );
                _mm256_srai_epi16::<2>(_mm256_add_epi16(sum, two))
            };
            // `packus` packs 128-bit halves: the permutation puts the four 8-byte runs back in order.
            let bytes = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packus_epi16(half(0), half(16)));
            _mm256_storeu_si256(dst.as_mut_ptr().add(j).cast(), bytes);
        }
    }
    blend_scalar(&p[whole..], &q[whole..], (b0, b1), &mut dst[whole..]);
}
