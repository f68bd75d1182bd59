//! Randomness: the pipelines' generator, how seeds and update epochs select its streams, and the
//! per-feature slot that a resolve takes the generator from.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU64, Ordering};

use rand_pcg::Pcg64;

use crate::sync;

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

/// A feature's generator, taken by the resolve that has the feature as its root. Taking it is one
/// compare-exchange and giving it back one store (no lock): a small pipeline's resolve is dominated
/// by such synchronisation. Its stream follows the feature's generation (bumped by every update):
/// the stream of generation `g` is stream `g - seed_generation` of `seed`, started afresh the first
/// time the generator is taken in that generation.
pub(crate) struct RngSlot {
    /// The token (`crate::sync::token`) of the thread holding the generator, 0 when free. A holder
    /// that did not survive a fork (`crate::sync::alive`) counts as gone: the generator is free.
    holder: AtomicU64,
    seed: AtomicU64,
    /// The generation at which `seed` was set (its stream 0).
    seed_generation: AtomicU64,
    /// The generation the generator was started for, and the generator; accessed only by the
    /// thread named in `holder`.
    rng: UnsafeCell<(u64, Generator)>,
}

// SAFETY: `rng` is only accessed through an `RngHold`, which exists only while its thread holds
// `holder` (acquired by compare-exchange, released by a release store on drop), so at most one
// thread accesses it at a time, with acquire/release ordering between holders. A holder taken over
// after a fork does not exist in the process any more.
unsafe impl Sync for RngSlot {}

impl RngSlot {
    /// A slot whose generation `generation` is stream `epoch` of `seed`.
    pub(crate) fn new(seed: u64, epoch: u64, generation: u64) -> RngSlot {
        RngSlot {
            holder: AtomicU64::new(0),
            seed: AtomicU64::new(seed),
            seed_generation: AtomicU64::new(generation.wrapping_sub(epoch)),
            rng: UnsafeCell::new((generation, stream_rng(seed, epoch))),
        }
    }

    /// The seed, and the stream (epoch) of it that generation `generation` draws from.
    pub(crate) fn position(&self, generation: u64) -> (u64, u64) {
        let seed = self.seed.load(Ordering::Acquire);
        (seed, generation.wrapping_sub(self.seed_generation.load(Ordering::Acquire)))
    }

    /// Whether a resolve holds the generator.
    pub(crate) fn is_busy(&self) -> bool {
        sync::alive(self.holder.load(Ordering::Acquire))
    }

    /// Whether the thread named by `token` holds the generator.
    pub(crate) fn held_by(&self, token: u64) -> bool {
        token != 0 && self.holder.load(Ordering::Acquire) == token && sync::alive(token)
    }

    /// Makes generation `generation` (not yet current) stream 0 of `seed`. Callers then make it
    /// current; a resolve may hold the generator meanwhile.
    pub(crate) fn reseed(&self, seed: u64, generation: u64) {
        self.seed.store(seed, Ordering::Release);
        self.seed_generation.store(generation, Ordering::Release);
    }

    /// Takes the generator, started afresh if `generation` is not the one it was last started for;
    /// `None` when a resolve holds it.
    pub(crate) fn take(&self, generation: u64) -> Option<RngHold<'_>> {
        let me = sync::token();
        let mut restart = false;
        if let Err(holder) = self.holder.compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed) {
            // Held by a thread that a fork left behind: take it over, and restart the stream (that
            // thread may have stopped in the middle of a draw).
            if sync::alive(holder)
                || self.holder.compare_exchange(holder, me, Ordering::Acquire, Ordering::Relaxed).is_err()
            {
                return None;
            }
            restart = true;
        }
        let hold = RngHold { slot: self };
        // SAFETY: this thread holds `holder`.
        let state = unsafe { &mut *self.rng.get() };
        if restart || state.0 != generation {
            let (seed, epoch) = self.position(generation);
            *state = (generation, stream_rng(seed, epoch));
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
        // SAFETY: this hold owns `holder`, and the returned borrow ends before the hold drops.
        unsafe { &mut (*self.slot.rng.get()).1 }
    }
}

impl Drop for RngHold<'_> {
    fn drop(&mut self) {
        self.slot.holder.store(0, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    #[test]
    fn streams_follow_the_generation_and_holds_are_exclusive() {
        let slot = RngSlot::new(7, 0, 0);
        let first = slot.take(0).unwrap().rng().next_u64();
        assert_eq!(first, stream_rng(7, 0).next_u64());
        // In the same generation, the stream goes on.
        let second = slot.take(0).unwrap().rng().next_u64();
        assert_ne!(first, second);
        let hold = slot.take(0).unwrap();
        assert!(slot.take(0).is_none(), "held twice");
        assert!(slot.is_busy());
        assert!(slot.held_by(sync::token()));
        drop(hold);
        assert!(!slot.held_by(sync::token()));
        assert!(!slot.is_busy());
        // A new generation starts the next stream.
        assert_eq!(slot.take(1).unwrap().rng().next_u64(), stream_rng(7, 1).next_u64());
        // A new seed at generation 5: its stream 0, then 1.
        slot.reseed(9, 5);
        assert_eq!(slot.take(5).unwrap().rng().next_u64(), stream_rng(9, 0).next_u64());
        assert_eq!(slot.take(6).unwrap().rng().next_u64(), stream_rng(9, 1).next_u64());
        assert_eq!(slot.position(6), (9, 1));
        // A copy at stream 3 of seed 9, starting its own generations at 0.
        let copy = RngSlot::new(9, 3, 0);
        assert_eq!(copy.take(0).unwrap().rng().next_u64(), stream_rng(9, 3).next_u64());
        assert_ne!(stream_rng(7, 0).next_u64(), stream_rng(8, 0).next_u64());
    }
}
