//! Image-sized outputs written past the cache. A kernel whose input and output together exceed
//! the last-level cache is bound by memory traffic, and an ordinary store of a fresh output line
//! first reads the line from memory (the "read for ownership"): a third of the traffic of a
//! complex element-wise product of 1024x1024. [`fill`] lets such a kernel write a block of 4 KiB
//! into a scratch buffer (which stays in the first-level cache), then moves the block to the
//! output with non-temporal stores, which write whole lines without reading them and leave the
//! cache to the input. The values are the kernel's own, bit for bit; only how they reach memory
//! changes. Smaller outputs, which the next feature reads from the cache, are written directly.

use std::mem::MaybeUninit;
use std::sync::OnceLock;

/// Bytes of a scratch block.
const BLOCK_BYTES: usize = 4096;

/// The size of the last-level cache in bytes (Linux's sysfs; 32 MiB where it cannot be read).
fn last_level_cache() -> usize {
    static SIZE: OnceLock<usize> = OnceLock::new();
    *SIZE.get_or_init(|| read_last_level_cache().unwrap_or(32 << 20))
}

/// The largest cache of processor 0 that sysfs lists, in bytes.
fn read_last_level_cache() -> Option<usize> {
    let mut largest = None;
    for index in 0..8 {
        let dir = format!("/sys/devices/system/cpu/cpu0/cache/index{index}");
        let Ok(size) = std::fs::read_to_string(format!("{dir}/size")) else { break };
        let size = size.trim();
        let bytes = match size.strip_suffix('K') {
            Some(k) => k.parse::<usize>().ok()?.checked_mul(1024)?,
            None => match size.strip_suffix('M') {
                Some(m) => m.parse::<usize>().ok()?.checked_mul(1 << 20)?,
                None => size.parse::<usize>().ok()?,
            },
        };
        largest = largest.max(Some(bytes));
    }
    largest
}

/// Whether a kernel reading `read` bytes and writing `written` bytes should write through
/// [`fill`]'s non-temporal stores: when the two together do not fit in the last-level cache.
pub(crate) fn worth_streaming(read: usize, written: usize) -> bool {
    read.saturating_add(written) >= last_level_cache()
}

/// Writes every slot of `out` by `kernel(offset, block)`, which must write each slot of `block`,
/// the slots `offset .. offset + block.len()` of `out`. Offsets and block lengths are multiples of
/// `granule` (e.g. 2 for the interleaved parts of complex numbers) wherever `out.len()` is. With
/// `stream` (see [`worth_streaming`]) on a processor with AVX, the blocks are written into a
/// scratch buffer and stored to `out` non-temporally; otherwise `kernel(0, out)` writes `out`
/// directly.
pub(crate) fn fill<T: Copy>(
    out: &mut [MaybeUninit<T>],
    granule: usize,
    stream: bool,
    mut kernel: impl FnMut(usize, &mut [MaybeUninit<T>]),
) {
    #[cfg(target_arch = "x86_64")]
    if stream && std::arch::is_x86_feature_detected!("avx") {
        let size = size_of::<T>().max(1);
        let granule = granule.max(1);
        // Slots before the first 32-byte boundary, written directly.
        let misalignment = (out.as_ptr() as usize) % 32;
        let head_bytes = (32 - misalignment) % 32;
        let block = (BLOCK_BYTES / size / granule).max(1) * granule;
        if head_bytes % (size * granule) == 0 && block * size % 32 == 0 {
            let head = (head_bytes / size).min(out.len());
            let blocks = (out.len() - head) / block;
            let mut scratch = Scratch([MaybeUninit::uninit(); BLOCK_BYTES / 8]);
            kernel(0, &mut out[..head]);
            for b in 0..blocks {
                let offset = head + b * block;
                // SAFETY: the scratch holds BLOCK_BYTES bytes, at least `block` slots of `T`
                // (`block * size <= BLOCK_BYTES`), and its 32-byte alignment is at least `T`'s
                // (the types written here are numbers of at most 16 bytes); uninitialised
                // `MaybeUninit` slots are valid values.
                let slots =
                    unsafe { std::slice::from_raw_parts_mut(scratch.0.as_mut_ptr().cast::<MaybeUninit<T>>(), block) };
                kernel(offset, slots);
                // SAFETY: `out[offset..offset + block]` is in bounds (`offset + block <= head +
                // blocks * block <= out.len()`) and starts on a 32-byte boundary (`head` slots
                // reach one, and `block * size` is a multiple of 32); the kernel wrote all
                // `block * size` bytes of the scratch, which are moved, not interpreted.
                unsafe {
                    stream_copy(
                        scratch.0.as_ptr().cast::<u8>(),
                        out.as_mut_ptr().add(offset).cast::<u8>(),
                        block * size,
                    )
                };
            }
            let done = head + blocks * block;
            kernel(done, &mut out[done..]);
            // SAFETY: SSE2 is part of x86_64; the fence orders the non-temporal stores before
            // every later store, so the output is complete for whoever reads it next.
            unsafe { std::arch::x86_64::_mm_sfence() };
            return;
        }
    }
    let _ = (granule, stream);
    kernel(0, out);
}

/// A scratch block aligned for 32-byte loads.
#[repr(C, align(64))]
struct Scratch([MaybeUninit<u64>; BLOCK_BYTES / 8]);

/// Copies `bytes` (a multiple of 32) from `src` to the 32-byte aligned `dst` with non-temporal
/// stores.
///
/// # Safety
/// The processor has AVX; `src` is readable and `dst` writable for `bytes` bytes, `dst` is 32-byte
/// aligned, and the two do not overlap.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn stream_copy(src: *const u8, dst: *mut u8, bytes: usize) {
    use std::arch::x86_64::*;
    for i in (0..bytes).step_by(32) {
        // SAFETY: `i + 32 <= bytes` (a multiple of 32); by the contract both ranges are valid and
        // `dst + i` is 32-byte aligned, as the streaming store requires.
        unsafe {
            let v = _mm256_loadu_si256(src.add(i).cast::<__m256i>());
            _mm256_stream_si256(dst.add(i).cast::<__m256i>(), v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slot_is_the_kernels_whatever_the_alignment_and_length() {
        for stream in [false, true] {
            for granule in [1, 2] {
                for len in [0, 1, 2, 3, 7, 511, 512, 513, 1024, 1030, 5000] {
                    for start in 0..4 {
                        let mut backing = vec![MaybeUninit::<f64>::uninit(); len + 4];
                        let out = &mut backing[start..start + len];
                        let mut calls = Vec::new();
                        fill(out, granule, stream, |offset, block| {
                            calls.push((offset, block.len()));
                            for (i, slot) in block.iter_mut().enumerate() {
                                slot.write((offset + i) as f64 * 1.5);
                            }
                        });
                        // SAFETY: `fill` wrote every slot (checked by the values just below).
                        let values: Vec<f64> = out.iter().map(|v| unsafe { v.assume_init() }).collect();
                        let expected: Vec<f64> = (0..len).map(|i| i as f64 * 1.5).collect();
                        assert_eq!(values, expected, "stream {stream}, granule {granule}, len {len}, start {start}");
                        let mut covered = 0;
                        for &(offset, n) in &calls {
                            assert_eq!(offset, covered);
                            if len % granule == 0 {
                                assert_eq!(offset % granule, 0);
                                assert_eq!(n % granule, 0);
                            }
                            covered += n;
                        }
                        assert_eq!(covered, len);
                    }
                }
            }
        }
    }

    #[test]
    fn bytes_stream_too() {
        let mut out = vec![MaybeUninit::<u8>::uninit(); 10_000];
        fill(&mut out[3..], 1, true, |offset, block| {
            for (i, slot) in block.iter_mut().enumerate() {
                slot.write(((offset + i) % 251) as u8);
            }
        });
        // SAFETY: written just above.
        let got: Vec<u8> = out[3..].iter().map(|v| unsafe { v.assume_init() }).collect();
        assert!(got.iter().enumerate().all(|(i, &v)| v == (i % 251) as u8));
    }

    #[test]
    fn the_cache_size_is_read_or_assumed() {
        assert!(last_level_cache() >= 1 << 20);
        assert!(worth_streaming(usize::MAX, 1));
        assert!(!worth_streaming(1024, 1024));
    }
}
