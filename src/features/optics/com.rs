//! Centres of mass of scatterer volumes, bit for bit as DeepTrack2 computes them
//! (`scipy.ndimage.center_of_mass(abs(a))`: numpy's pairwise sums of `|a|` and of `|a|·index` over
//! the flattened array), without going through every voxel.
//!
//! A volume is summarised once ([`Runs`]): its non-zero runs along the last axis, and, when every
//! non-zero value is the same number `c` (a scatterer's mask, times its multiplier), the count and
//! index sums of the non-zero voxels. Two ways give the exact result:
//! - **closed form**, when every product `c·index` and every partial sum is an exactly representable
//!   multiple of `c`'s last bit (`m·Σindex < 2^53` for `c = m·2^e`, `m` odd): then the order of the
//!   additions does not matter, and numpy's sums are `c·Σindex` and `c·count` exactly;
//! - otherwise, numpy's pairwise summation replayed on the non-zero voxels only (adding `0.0` changes
//!   no partial sum, so the zeros, padding included, can be skipped; the blocking and the order of the
//!   additions are kept).

/// A run of non-zero voxels: row `(i, j)`, voxels `k0..k1` along the last axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Run {
    pub i: u32,
    pub j: u32,
    pub k0: u32,
    pub k1: u32,
}

/// The non-zero voxels of a C-order 3-D array (NaN counts as non-zero, `-0.0` as zero).
pub(super) struct Runs {
    pub shape: [usize; 3],
    /// In C order.
    pub runs: Vec<Run>,
    /// `Some(c)` when every non-zero value is `c` (and there is at least one).
    pub constant: Option<f64>,
    /// The number of non-zero voxels and the sums of their indices along each axis.
    pub count: u128,
    pub index_sums: [u128; 3],
}

impl Runs {
    /// Summarises `a` of `shape` (`a.len()` is the product of `shape`).
    pub fn of(a: &[f64], shape: [usize; 3]) -> Runs {
        let [n0, n1, n2] = shape;
        debug_assert_eq!(a.len(), n0 * n1 * n2);
        let mut runs = Vec::new();
        let mut first: Option<f64> = None;
        let mut same = true;
        let (mut count, mut sums) = (0u128, [0u128; 3]);
        if n2 > 0 {
            for (row, values) in a.chunks_exact(n2).enumerate() {
                let (i, j) = (row / n1.max(1), row % n1.max(1));
                let mut k = 0;
                while k < n2 {
                    if values[k] == 0.0 {
                        k += 1;
                        continue;
                    }
                    let k0 = k;
                    while k < n2 && values[k] != 0.0 {
                        let v = values[k];
                        match first {
                            None => first = Some(v),
                            // Bitwise: NaN is never "the same", and neither is -x.
                            Some(c) => same &= c.to_bits() == v.to_bits(),
                        }
                        k += 1;
                    }
                    let len = (k - k0) as u128;
                    count += len;
                    sums[0] += len * i as u128;
                    sums[1] += len * j as u128;
                    // k0 + … + (k - 1)
                    sums[2] += (k0 as u128 + k as u128 - 1) * len / 2;
                    runs.push(Run { i: i as u32, j: j as u32, k0: k0 as u32, k1: k as u32 });
                }
            }
        }
        Runs { shape, runs, constant: if same { first } else { None }, count, index_sums: sums }
    }

    /// The centre of mass of `|pad(a · factor)|` (`pad` zeros on both sides of every axis), as
    /// `scipy.ndimage.center_of_mass` gives it, or the middle of the padded array when that is NaN
    /// (an all-zero array: DeepTrack2's `_get_position`). `a` is the summarised array.
    pub fn center_of_mass(&self, a: &[f64], factor: f64, pad: usize) -> [f64; 3] {
        let padded = self.shape.map(|n| n + 2 * pad);
        let com = match self.closed_form(factor, pad) {
            Some(com) => com,
            None => ratios(self.replayed(a, factor, pad)),
        };
        if com.iter().any(|c| c.is_nan()) { padded.map(|n| n as f64 / 2.0) } else { com }
    }

    /// [`Runs::center_of_mass`], or `None` when it is infinite: numpy's sums of `|a · factor| · index`
    /// overflow where the sum of `|a · factor|` does not (a factor too large to weigh the volume by;
    /// DeepTrack2's position is then infinite). When both overflow, their ratio is NaN and the middle
    /// of the array is the centre, as for an all-zero array.
    pub fn checked_center_of_mass(&self, a: &[f64], factor: f64, pad: usize) -> Option<[f64; 3]> {
        let com = self.center_of_mass(a, factor, pad);
        com.iter().all(|c| c.is_finite()).then_some(com)
    }

    /// The closed form, when it is exact (see the module's documentation).
    fn closed_form(&self, factor: f64, pad: usize) -> Option<[f64; 3]> {
        let c = (self.constant? * factor).abs();
        // Normal numbers far from overflow, so that no product or sum is subnormal or infinite.
        if !(c.is_finite() && c >= f64::from_bits(0x0170_0000_0000_0000)) {
            return None;
        }
        let bits = c.to_bits();
        let mantissa = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
        let m = (mantissa >> mantissa.trailing_zeros()) as u128;
        let pad = pad as u128;
        let sums = [0, 1, 2].map(|axis| self.index_sums[axis] + pad * self.count);
        let largest = sums.iter().copied().max()?.max(self.count);
        if m.checked_mul(largest)? >= 1u128 << 53 || c * largest as f64 > 1e290 {
            return None;
        }
        let total = c * self.count as f64;
        Some(sums.map(|s| (c * s as f64) / total))
    }

    /// numpy's pairwise sums (of `|v|`, `|v|·i`, `|v|·j`, `|v|·k`) replayed over the non-zero voxels
    /// of the padded array.
    fn replayed(&self, a: &[f64], factor: f64, pad: usize) -> [f64; 4] {
        let [_, n1, n2] = self.shape;
        let [p0, p1, p2] = self.shape.map(|n| n + 2 * pad);
        let mut source = Source { runs: &self.runs, run: 0, k: 0, a, factor, pad, p1, p2, n1, n2 };
        source.skip_empty();
        pairwise(&mut source, 0, p0 * p1 * p2)
    }
}

/// The centre of mass from the sums `[Σ|v|, Σ|v|·i, Σ|v|·j, Σ|v|·k]`.
fn ratios([total, w0, w1, w2]: [f64; 4]) -> [f64; 3] {
    [w0 / total, w1 / total, w2 / total]
}

/// The non-zero voxels in flat (padded C) order, as `(flat index, [|v|, |v|·i, |v|·j, |v|·k])`.
struct Source<'a> {
    runs: &'a [Run],
    run: usize,
    k: u32,
    a: &'a [f64],
    factor: f64,
    pad: usize,
    p1: usize,
    p2: usize,
    n1: usize,
    n2: usize,
}

impl Source<'_> {
    fn skip_empty(&mut self) {
        if let Some(r) = self.runs.get(self.run) {
            self.k = r.k0;
        }
    }

    /// The flat index of the next voxel, if any.
    fn peek(&self) -> Option<usize> {
        let r = self.runs.get(self.run)?;
        Some(((r.i as usize + self.pad) * self.p1 + r.j as usize + self.pad) * self.p2 + self.k as usize + self.pad)
    }

    /// Calls `each(p, terms)` for every voxel before flat index `limit`, in order, and moves past
    /// them: run by run, the row's indices fixed.
    #[inline]
    fn take_until(&mut self, limit: usize, mut each: impl FnMut(usize, [f64; 4])) {
        let pad = self.pad;
        while let Some(r) = self.runs.get(self.run) {
            // The flat index of voxel k of this run is base + k.
            let base = ((r.i as usize + pad) * self.p1 + r.j as usize + pad) * self.p2 + pad;
            if base + self.k as usize >= limit {
                return;
            }
            let end = (r.k1 as usize).min(limit - base);
            let (wi, wj) = ((r.i as usize + pad) as f64, (r.j as usize + pad) as f64);
            let row = &self.a[(r.i as usize * self.n1 + r.j as usize) * self.n2..][..r.k1 as usize];
            for (k, &x) in row.iter().enumerate().take(end).skip(self.k as usize) {
                let v = (x * self.factor).abs();
                each(base + k, [v, v * wi, v * wj, v * (k + pad) as f64]);
            }
            if end < r.k1 as usize {
                self.k = end as u32;
                return;
            }
            self.run += 1;
            self.skip_empty();
        }
    }
}

fn add4(a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]]
}

/// numpy's `pairwise_sum` of the four term streams over the flat range `lo..lo + n`, skipping zeros.
fn pairwise(src: &mut Source<'_>, lo: usize, n: usize) -> [f64; 4] {
    let hi = lo + n;
    if src.peek().is_none_or(|p| p >= hi) {
        return [0.0; 4];
    }
    if n < 8 {
        let mut acc = [0.0; 4];
        src.take_until(hi, |_, t| acc = add4(acc, t));
        acc
    } else if n <= 128 {
        let full = lo + n - n % 8;
        let mut lanes = [[0.0f64; 4]; 8];
        src.take_until(full, |p, t| {
            let lane = &mut lanes[(p - lo) % 8];
            *lane = add4(*lane, t);
        });
        let r = lanes;
        let mut res = add4(add4(add4(r[0], r[1]), add4(r[2], r[3])), add4(add4(r[4], r[5]), add4(r[6], r[7])));
        src.take_until(hi, |_, t| res = add4(res, t));
        res
    } else {
        let mut half = n / 2;
        half -= half % 8;
        let left = pairwise(src, lo, half);
        let right = pairwise(src, lo + half, n - half);
        add4(left, right)
    }
}

#[cfg(test)]
pub(super) mod reference {
    //! The dense computation (every voxel, padding materialised), kept to check the fast paths.

    /// numpy's pairwise summation (`np.sum` of a contiguous float64 array).
    pub fn pairwise_sum(a: &[f64]) -> f64 {
        let n = a.len();
        if n < 8 {
            a.iter().fold(0.0, |acc, &x| acc + x)
        } else if n <= 128 {
            let mut r = [0.0; 8];
            r.copy_from_slice(&a[..8]);
            let full = n - n % 8;
            for chunk in a[8..full].chunks_exact(8) {
                for (acc, &x) in r.iter_mut().zip(chunk) {
                    *acc += x;
                }
            }
            let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for &x in &a[full..] {
                res += x;
            }
            res
        } else {
            let mut half = n / 2;
            half -= half % 8;
            pairwise_sum(&a[..half]) + pairwise_sum(&a[half..])
        }
    }

    /// `scipy.ndimage.center_of_mass(abs(a))`, or the middle of the array when that is NaN.
    pub fn center_of_mass(a: &[f64], shape: [usize; 3]) -> [f64; 3] {
        let abs: Vec<f64> = a.iter().map(|x| x.abs()).collect();
        let total = pairwise_sum(&abs);
        let mut com = [0.0; 3];
        for (axis, slot) in com.iter_mut().enumerate() {
            let weighted: Vec<f64> = abs
                .iter()
                .enumerate()
                .map(|(n, &v)| {
                    let index = match axis {
                        0 => n / (shape[1] * shape[2]),
                        1 => (n / shape[2]) % shape[1],
                        _ => n % shape[2],
                    };
                    v * index as f64
                })
                .collect();
            *slot = pairwise_sum(&weighted) / total;
        }
        if com.iter().any(|c| c.is_nan()) { shape.map(|n| n as f64 / 2.0) } else { com }
    }

    /// `a · factor` padded by `pad` zeros on both sides of every axis.
    pub fn padded(a: &[f64], shape: [usize; 3], factor: f64, pad: usize) -> (Vec<f64>, [usize; 3]) {
        let p = shape.map(|n| n + 2 * pad);
        let mut out = vec![0.0; p[0] * p[1] * p[2]];
        for i in 0..shape[0] {
            for j in 0..shape[1] {
                for k in 0..shape[2] {
                    out[((i + pad) * p[1] + j + pad) * p[2] + k + pad] = a[(i * shape[1] + j) * shape[2] + k] * factor;
                }
            }
        }
        (out, p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn check(a: &[f64], shape: [usize; 3], factor: f64, pad: usize) {
        let runs = Runs::of(a, shape);
        let (padded, pshape) = reference::padded(a, shape, factor, pad);
        let expected = reference::center_of_mass(&padded, pshape);
        let got = runs.center_of_mass(a, factor, pad);
        assert_eq!(got.map(f64::to_bits), expected.map(f64::to_bits), "{shape:?} ×{factor} pad {pad}: {got:?}");
        // The replay alone agrees too (the closed form is only a shortcut).
        let replayed = ratios(runs.replayed(a, factor, pad));
        let replayed = if replayed.iter().any(|c| c.is_nan()) { pshape.map(|n| n as f64 / 2.0) } else { replayed };
        assert_eq!(replayed.map(f64::to_bits), expected.map(f64::to_bits));
    }

    #[test]
    fn pairwise_sum_matches_numpy_blocking() {
        let a: Vec<f64> = (0..1000).map(|i| ((i * 7919) % 1000) as f64 * 1e-3 + 1e10 * ((i % 3) as f64)).collect();
        let naive: f64 = a.iter().sum();
        assert!((reference::pairwise_sum(&a) - naive).abs() <= 1e-6 * naive.abs());
        assert_eq!(reference::pairwise_sum(&[1.0, 2.0, 3.0]), 6.0);
    }

    #[test]
    fn a_sphere_mask_has_its_centre_below_its_middle() {
        // The 20³ sphere of radius 10 voxels (from -10 to 9): COM 9.9976 (docs §3.2).
        let mut a = vec![0.0; 8000];
        for i in 0..20 {
            for j in 0..20 {
                for k in 0..20 {
                    let q = |v: usize| ((v as f64 - 10.0) / 10.0).powi(2);
                    if q(j) + q(i) + q(k) <= 1.0 {
                        a[(i * 20 + j) * 20 + k] = 1.0;
                    }
                }
            }
        }
        let com = Runs::of(&a, [20, 20, 20]).center_of_mass(&a, 1.0, 0);
        assert!((com[0] - 9.9976).abs() < 1e-4, "{com:?}");
        assert_eq!(Runs::of(&[0.0; 8], [2, 2, 2]).center_of_mass(&[0.0; 8], 1.0, 0), [1.0, 1.0, 1.0]);
        assert_eq!(Runs::of(&[0.0; 8], [2, 2, 2]).center_of_mass(&[0.0; 8], 3.0, 2), [3.0, 3.0, 3.0]);
        check(&a, [20, 20, 20], 1.0, 0);
        check(&a, [20, 20, 20], 0.11999999999999988, 2);
    }

    #[test]
    fn fast_paths_agree_with_the_dense_computation_bit_for_bit() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        // Factors: exact ones (integers, powers of two), DeepTrack2's refractive index differences,
        // random ones, tiny and huge ones, zero.
        let factors = [1.0, 100.0, 1600.0, 0.5, 0.11999999999999988, 0.16999999999999993, -3.0, 1e-300, 1e300, 0.0];
        for case in 0..400 {
            let shape = [rng.random_range(1..14), rng.random_range(1..14), rng.random_range(1..14)];
            let n = shape.iter().product::<usize>();
            // Masks (0/1), scaled masks, and arbitrary values with zeros, negatives, NaN and infinities.
            let kind = case % 4;
            let density = rng.random_range(0.0..1.0);
            let a: Vec<f64> = (0..n)
                .map(|_| {
                    if rng.random_range(0.0..1.0) > density {
                        return 0.0;
                    }
                    match kind {
                        0 => 1.0,
                        1 => 37.5,
                        2 => rng.random_range(-5.0..5.0),
                        _ => [1.0, -1.0, 2.5, f64::NAN, f64::INFINITY, -0.0][rng.random_range(0..6)],
                    }
                })
                .collect();
            let factor =
                if rng.random_bool(0.5) { factors[case % factors.len()] } else { rng.random_range(-50.0..50.0) };
            for pad in [0, 2] {
                check(&a, shape, factor, pad);
            }
        }
    }

    #[test]
    fn runs_summarise_the_non_zero_voxels() {
        let a = [0.0, 2.0, 2.0, 0.0, -0.0, 2.0];
        let runs = Runs::of(&a, [1, 2, 3]);
        assert_eq!(runs.runs, [Run { i: 0, j: 0, k0: 1, k1: 3 }, Run { i: 0, j: 1, k0: 2, k1: 3 }]);
        assert_eq!((runs.constant, runs.count, runs.index_sums), (Some(2.0), 3, [0, 1, 5]));
        assert_eq!(Runs::of(&[1.0, 2.0], [1, 1, 2]).constant, None);
        assert_eq!(Runs::of(&[0.0, 0.0], [1, 1, 2]).constant, None);
    }
}
