//! Randomness: the pipelines' generator, how seeds and update epochs select its streams, and the
//! per-feature slot that a resolve takes the generator from.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use rand_pcg::Pcg64;

/// The random generator of a pipeline: PCG-XSL-RR 128/64, value-stable across platforms and
/// versions of `rand_pcg`.
pub(crate) type Generator = Pcg64;

/// SplitMix64 of `seed` and `index`: derives seeds (of contained features, of batch items, of
/// streams) from one seed.
pub(crate) fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed.wrapping_add(index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator of stream `epoch` of `seed`: its 128-bit state is derived from both (so streams are
/// unrelated sequences, not offsets of one), its increment from the seed.
pub(crate) fn stream_rng(seed: u64, epoch: u64) -> Generator {
    let state = (u128::from(mix(seed, epoch.wrapping_mul(2))) << 64) | u128::from(mix(seed, epoch.wrapping_mul(2) | 1));
    Pcg64::new(state, u128::from(mix(seed ^ 0x7374_7265_616D, 0))) // "stream"
}

/// `flags` bits of an [`RngSlot`].
const BUSY: u8 = 1;
const STALE: u8 = 2;

/// A feature's generator, taken by the resolve that has the feature as its root. Taking and giving
/// back are one atomic operation each (no lock): a small pipeline's resolve is dominated by such
/// synchronisation.
pub(crate) struct RngSlot {
    /// [`BUSY`] while a resolve holds the generator; [`STALE`] when the generator must restart at
    /// stream `epoch` of `seed` before its next use (set by update and seed, so that only features
    /// that are resolved as roots pay for a new stream).
    flags: AtomicU8,
    seed: AtomicU64,
    epoch: AtomicU64,
    /// Accessed only by the holder of [`BUSY`].
    rng: UnsafeCell<Generator>,
}

// SAFETY: `rng` is only accessed through an `RngHold`, which exists only while its thread holds the
// BUSY bit (acquired by compare-exchange, released on drop), so at most one thread accesses it at a
// time, with acquire/release ordering between holders.
unsafe impl Sync for RngSlot {}

impl RngSlot {
    /// A slot at stream `epoch` of `seed`.
    pub(crate) fn new(seed: u64, epoch: u64) -> RngSlot {
        RngSlot {
            flags: AtomicU8::new(0),
            seed: AtomicU64::new(seed),
            epoch: AtomicU64::new(epoch),
            rng: UnsafeCell::new(stream_rng(seed, epoch)),
        }
    }

    /// The seed and the stream (epoch) the next resolve draws from.
    pub(crate) fn position(&self) -> (u64, u64) {
        (self.seed.load(Ordering::Acquire), self.epoch.load(Ordering::Acquire))
    }

    /// Whether a resolve holds the generator.
    pub(crate) fn is_busy(&self) -> bool {
        self.flags.load(Ordering::Acquire) & BUSY != 0
    }

    /// Restarts at stream `epoch` of `seed` from the next use on. Callers serialise restarts of one
    /// slot (they hold the feature's state lock); a resolve may hold the generator meanwhile.
    pub(crate) fn restart(&self, seed: u64, epoch: u64) {
        self.seed.store(seed, Ordering::Relaxed);
        self.epoch.store(epoch, Ordering::Relaxed);
        self.flags.fetch_or(STALE, Ordering::Release);
    }

    /// Takes the generator (at the start of its stream if restarted since it was last used); `None`
    /// when a resolve holds it.
    pub(crate) fn take(&self) -> Option<RngHold<'_>> {
        let mut current = self.flags.load(Ordering::Relaxed);
        loop {
            if current & BUSY != 0 {
                return None;
            }
            match self.flags.compare_exchange_weak(current, BUSY, Ordering::Acquire, Ordering::Relaxed) {
                Ok(_) => break,
                Err(now) => current = now,
            }
        }
        let hold = RngHold { slot: self };
        if current & STALE != 0 {
            let (seed, epoch) = self.position();
            // SAFETY: this thread holds BUSY.
            unsafe { *self.rng.get() = stream_rng(seed, epoch) };
        }
        Some(hold)
    }
}

/// The generator of an [`RngSlot`], held until dropped (panics included).
pub(crate) struct RngHold<'a> {
    slot: &'a RngSlot,
}

impl RngHold<'_> {
    /// The generator.
    pub(crate) fn rng(&mut self) -> &mut Generator {
        // SAFETY: this hold owns the BUSY bit, and the returned borrow ends before the hold drops.
        unsafe { &mut *self.slot.rng.get() }
    }
}

impl Drop for RngHold<'_> {
    fn drop(&mut self) {
        // Clears BUSY, keeping a STALE set by a restart meanwhile.
        self.slot.flags.fetch_and(!BUSY, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    #[test]
    fn streams_restart_and_holds_are_exclusive() {
        let slot = RngSlot::new(7, 0);
        let first = slot.take().unwrap().rng().next_u64();
        assert_eq!(first, stream_rng(7, 0).next_u64());
        // Without a restart, the stream goes on.
        let second = slot.take().unwrap().rng().next_u64();
        assert_ne!(first, second);
        let mut hold = slot.take().unwrap();
        assert!(slot.take().is_none(), "held twice");
        assert!(slot.is_busy());
        // A restart while held applies from the next take.
        slot.restart(7, 1);
        let during = hold.rng().next_u64();
        drop(hold);
        assert!(!slot.is_busy());
        let mut expected = stream_rng(7, 1);
        assert_eq!(slot.take().unwrap().rng().next_u64(), expected.next_u64());
        assert_ne!(during, expected.next_u64());
        assert_ne!(stream_rng(7, 0).next_u64(), stream_rng(8, 0).next_u64());
    }
}
