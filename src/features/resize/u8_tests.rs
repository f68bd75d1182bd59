//! The uint8 paths of `Resize`: the AVX2 kernels against the portable ones, and both against
//! OpenCV's formulas computed one sample at a time.

use super::fixed::{Columns, fixed};
use super::narrow::resize_u8_with;
use super::taps;

/// A reproducible stream of numbers (a linear congruential generator).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// OpenCV's `INTER_LINEAR` of uint8 images one output sample at a time: an exact halving by its
/// `INTER_AREA` fast path (`(s + 2) >> 2` for 1, 3 or 4 channels, else `s / 4` rounded half to even),
/// else the fixed-point interpolation with single-precision coordinates.
fn reference(x: &[u8], (rows, cols, ch): (usize, usize, usize), (h, w): (usize, usize)) -> Vec<u8> {
    let at = |r: usize, c: usize, k: usize| i32::from(x[(r * cols + c) * ch + k]);
    let mut out = Vec::with_capacity(h * w * ch);
    if rows == 2 * h && cols == 2 * w {
        for y in 0..h {
            for c in 0..w {
                for k in 0..ch {
                    let s = at(2 * y, 2 * c, k) + at(2 * y, 2 * c + 1, k) + at(2 * y + 1, 2 * c, k);
                    let s = s + at(2 * y + 1, 2 * c + 1, k);
                    let v =
                        if matches!(ch, 1 | 3 | 4) { (s + 2) >> 2 } else { (s as f64 / 4.0).round_ties_even() as i32 };
                    out.push(v as u8);
                }
            }
        }
        return out;
    }
    let (xs, ys) = (taps(cols, w, false, true).unwrap(), taps(rows, h, true, true).unwrap());
    for &(r0, r1, b0, b1) in &ys {
        for &(c0, c1, a0, a1) in &xs {
            for k in 0..ch {
                let (a0, a1) = (i32::from(fixed(a0)), i32::from(fixed(a1)));
                let row = |r| (at(r, c0, k) * a0 + at(r, c1, k) * a1) >> 4;
                let (b0, b1) = (i32::from(fixed(b0)), i32::from(fixed(b1)));
                let v = (((b0 * row(r0)) >> 16) + ((b1 * row(r1)) >> 16) + 2) >> 2;
                out.push(v.clamp(0, 255) as u8);
            }
        }
    }
    out
}

/// `n` samples of every value, in a scrambled order, with runs of 0 and 255.
fn samples(n: usize, rng: &mut Lcg) -> Vec<u8> {
    (0..n).map(|i| if i % 97 < 5 { 255 * ((i / 97) % 2) as u8 } else { rng.next(256) as u8 }).collect()
}

#[test]
fn both_kernels_give_opencvs_samples() {
    let mut rng = Lcg(26);
    let mut shapes = vec![
        ((64, 1024, 1), (32, 512)),
        ((64, 1030, 1), (32, 515)),
        ((20, 1024, 3), (10, 512)),
        ((20, 256, 4), (10, 128)),
        ((6, 250, 4), (3, 125)),
        ((6, 34, 3), (3, 17)),
        ((6, 10, 3), (3, 5)),
        ((30, 300, 1), (21, 205)),
        ((30, 300, 3), (41, 600)),
        ((16, 1000, 1), (7, 200)),
        ((9, 99, 1), (3, 33)),
        ((8, 96, 1), (2, 24)),
        ((12, 48, 2), (6, 24)),
        ((10, 40, 5), (5, 20)),
        ((1, 100, 1), (3, 37)),
        ((100, 1, 3), (37, 2)),
        ((33, 31, 1), (1, 1)),
        ((5, 2, 1), (9, 1)),
        ((7, 40, 3), (7, 40)),
        ((1, 1, 1), (1, 1)),
    ];
    for _ in 0..300 {
        let (rows, cols, ch) = (1 + rng.next(40), 1 + rng.next(160), 1 + rng.next(5));
        let (h, w) = match rng.next(4) {
            0 => (1 + rng.next(80), 1 + rng.next(300)),
            1 => (rows.div_ceil(1 + rng.next(5)), cols.div_ceil(1 + rng.next(5))),
            2 => (rows * (1 + rng.next(3)), cols * (1 + rng.next(3))),
            _ => ((rows / 2).max(1), (cols / 2).max(1)),
        };
        shapes.push(((rows, cols, ch), (h, w)));
    }
    for ((rows, cols, ch), (h, w)) in shapes {
        let x = samples(rows * cols * ch, &mut rng);
        let want = reference(&x, (rows, cols, ch), (h, w));
        let portable = resize_u8_with(&x, (rows, cols, ch), (h, w), false).unwrap();
        let vector = resize_u8_with(&x, (rows, cols, ch), (h, w), true).unwrap();
        assert_eq!(portable, want, "{rows}x{cols}x{ch} -> {h}x{w}, portable");
        assert_eq!(vector, want, "{rows}x{cols}x{ch} -> {h}x{w}, vector");
    }
}

/// The AVX2 column pass does its units with shuffles when the source samples of eight outputs lie
/// within 32 samples: every unit when shrinking by up to about 4 along a row of one channel or
/// enlarging, none when shrinking by 5 (those are done one sample at a time).
#[cfg(target_arch = "x86_64")]
#[test]
fn the_column_pass_shuffles_where_the_windows_fit() {
    if !std::arch::is_x86_feature_detected!("avx2") {
        return; // only the portable kernels run here
    }
    use super::fixed_avx2::Units;
    let shuffled = |cols: usize, w: usize, ch: usize| {
        let columns = Columns::new(&taps(cols, w, false, true).unwrap(), ch).unwrap();
        let units = Units::new(&columns, cols * ch).unwrap();
        (units.shuffled(), columns.len() / 16)
    };
    for (cols, w, ch) in
        [(1024, 700, 1), (1024, 2048, 1), (1024, 256, 1), (1024, 512, 3), (1024, 700, 3), (600, 300, 4)]
    {
        let (n, units) = shuffled(cols, w, ch);
        assert_eq!(n, units, "{cols} -> {w} x {ch}");
    }
    assert_eq!(shuffled(1000, 200, 1).0, 0);
    assert_eq!(shuffled(20, 40, 1).0, 0, "rows shorter than a window");
}
