//! Warnings: what a resolve reports without failing (DeepTrack2's `warnings.warn`), e.g. a
//! `NonOverlapping` that could not place its volumes apart and returned its last placement. They are
//! kept per thread, on the thread that resolved, until taken ([`take`]; from C
//! `deeptrack_take_warnings`, which the Python package calls after every resolve to raise them as
//! Python warnings). At most [`MAX_PENDING`] are kept: older ones are dropped first, so a caller
//! that never takes them holds a bounded amount of memory.

use std::cell::RefCell;
use std::collections::VecDeque;

/// The most warnings kept per thread; older ones are dropped first.
pub const MAX_PENDING: usize = 64;

thread_local! {
    static PENDING: RefCell<VecDeque<String>> = const { RefCell::new(VecDeque::new()) };
}

/// Records a warning on the calling thread.
pub fn warn(message: impl Into<String>) {
    let message = message.into();
    let _ = PENDING.try_with(|p| {
        if let Ok(mut p) = p.try_borrow_mut() {
            if p.len() == MAX_PENDING {
                p.pop_front();
            }
            p.push_back(message);
        }
    });
}

/// The warnings recorded on the calling thread since they were last taken, oldest first; none are
/// kept afterwards.
pub fn take() -> Vec<String> {
    PENDING.try_with(|p| p.try_borrow_mut().map(|mut p| p.drain(..).collect()).unwrap_or_default()).unwrap_or_default()
}

/// The warnings recorded on the calling thread, oldest first, without taking them.
pub fn pending() -> Vec<String> {
    PENDING.try_with(|p| p.try_borrow().map(|p| p.iter().cloned().collect()).unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_taken_once_and_bounded() {
        let _ = take();
        warn("first");
        warn(String::from("second"));
        assert_eq!(pending(), ["first", "second"]);
        assert_eq!(take(), ["first", "second"]);
        assert!(take().is_empty());
        for i in 0..MAX_PENDING + 3 {
            warn(format!("w{i}"));
        }
        let all = take();
        assert_eq!(all.len(), MAX_PENDING);
        assert_eq!(all[0], "w3");
    }
}
