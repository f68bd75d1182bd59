//! Gates of callbacks that are not thread-safe, the workers of batches, and the search for waits
//! that would never end.
//!
//! One registry, under one [`Lock`], knows every gate held, every thread waiting for a gate or for
//! its batch's workers, and which thread each worker works for. A thread that would wait for a gate
//! first follows the waits from the gate's holder: the thread waits for the gate's holder, a thread
//! waiting for a gate for that gate's holder, a thread waiting for its batch for its workers. If
//! they lead back to it, waiting would never end: it gets `ErrorKind::Busy` instead.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::Thread;
use std::time::{Duration, Instant};

use smallvec::SmallVec;

use super::{Lock, Recover, alive, host, overwrite, token};
use crate::error::{Error, ErrorKind, Result};

/// Who holds which gate, who waits for what, and whom each batch worker works for.
struct Registry {
    /// Gates held. For one gate, a later entry is nested in the earlier ones (a worker running a
    /// callback whose gate the thread it works for holds, waiting for it); the last one runs.
    holds: Vec<Hold>,
    /// The threads waiting.
    waiting: Vec<Waiter>,
    /// (worker, the thread whose batch it works for).
    workers: Vec<(u64, u64)>,
}

#[derive(Clone, Copy)]
struct Hold {
    gate: u64,
    thread: u64,
    depth: usize,
    /// Names this hold (never reused): a thread waiting behind one hold for longer than
    /// `host::wait_limit` gets `ErrorKind::Busy`.
    serial: u64,
}

static NEXT_HOLD: AtomicU64 = AtomicU64::new(1);

fn hold(gate: u64, thread: u64) -> Hold {
    Hold { gate, thread, depth: 1, serial: NEXT_HOLD.fetch_add(1, Ordering::Relaxed) }
}

struct Waiter {
    thread: u64,
    on: On,
}

enum On {
    /// A gate, and the handle that wakes the waiting thread.
    Gate(u64, Thread),
    /// The workers of the thread's batch.
    Batch,
}

impl Recover for Registry {
    fn recover(&mut self) {
        // Only if a fork happened without the fork handlers in place (they hold the registry through
        // the fork): nothing of it can be trusted; every gate counts as free.
        overwrite(&mut self.holds, Vec::new());
        overwrite(&mut self.waiting, Vec::new());
        overwrite(&mut self.workers, Vec::new());
    }
}

static REGISTRY: Lock<Registry> = Lock::new(Registry { holds: Vec::new(), waiting: Vec::new(), workers: Vec::new() });

impl Registry {
    /// The running (last) hold of `gate`.
    fn top(&self, gate: u64) -> Option<usize> {
        self.holds.iter().rposition(|h| h.gate == gate)
    }

    /// Whether `worker` works, directly or through other workers, for `thread`'s batch.
    fn works_for(&self, worker: u64, thread: u64) -> bool {
        let mut at = worker;
        for _ in 0..self.workers.len() {
            match self.workers.iter().find(|(w, _)| *w == at) {
                Some(&(_, caller)) if caller == thread => return true,
                Some(&(_, caller)) => at = caller,
                None => return false,
            }
        }
        false
    }

    /// Whether `from` waits, directly or through other threads, for `target`.
    fn leads_to(&self, from: u64, target: u64) -> bool {
        let mut todo: SmallVec<[u64; 8]> = SmallVec::from_slice(&[from]);
        let mut seen: SmallVec<[u64; 8]> = SmallVec::new();
        while let Some(t) = todo.pop() {
            if t == target {
                return true;
            }
            if seen.contains(&t) {
                continue;
            }
            seen.push(t);
            for w in self.waiting.iter().filter(|w| w.thread == t) {
                match &w.on {
                    On::Gate(gate, _) => {
                        // A waiter just woken may still be listed: it waits for the gate's holder
                        // now, unless it may enter (it holds or works for the holder).
                        if let Some(i) = self.top(*gate) {
                            let holder = self.holds[i].thread;
                            if holder != t && alive(holder) && !self.works_for(t, holder) {
                                todo.push(holder);
                            }
                        }
                    }
                    On::Batch => todo.extend(self.workers.iter().filter(|(_, c)| *c == t).map(|(w, _)| *w)),
                }
            }
        }
        false
    }
}

static NEXT_GATE: AtomicU64 = AtomicU64::new(1);

/// Keeps a callback that is not thread-safe from running on two threads at once. Re-entrant: the
/// thread running the callback may run it again (a callback resolving a pipeline that uses it), and
/// so may the workers of a batch that this thread waits for, one at a time.
pub(crate) struct Gate {
    id: u64,
}

impl Default for Gate {
    fn default() -> Self {
        super::watch_forks();
        Gate { id: NEXT_GATE.fetch_add(1, Ordering::Relaxed) }
    }
}

/// Held while a gated callback runs.
pub(crate) struct GateGuard<'a> {
    gate: &'a Gate,
    thread: u64,
}

impl Gate {
    /// Waits until the calling thread may run the callback (`what`, for the message); held until
    /// the guard drops. `ErrorKind::Busy` when the thread running it waits, directly or through
    /// other threads, for this one: waiting would never end.
    pub(crate) fn enter(&self, what: &str) -> Result<GateGuard<'_>> {
        self.enter_within(what, host::wait_limit())
    }

    /// [`Gate::enter`], waiting behind one hold of the gate by another thread at most `limit`, then
    /// `ErrorKind::Busy` (the callback holding it may be waiting for this thread in a way the
    /// library cannot see).
    fn enter_within(&self, what: &str, limit: Duration) -> Result<GateGuard<'_>> {
        let me = token();
        // The hold this thread waits behind, and since when.
        let mut behind: Option<(u64, Instant)> = None;
        let mut reg = REGISTRY.lock();
        loop {
            let top = reg.top(self.id);
            match top.map(|i| reg.holds[i]) {
                None => reg.holds.push(hold(self.id, me)),
                Some(h) if h.thread == me => reg.holds[top.expect("found")].depth += 1,
                Some(h) if !alive(h.thread) => {
                    // A thread that did not survive a fork (the child's handler removes them; this
                    // is a second line).
                    reg.holds.retain(|x| alive(x.thread));
                    continue;
                }
                Some(h) if reg.works_for(me, h.thread) => reg.holds.push(hold(self.id, me)),
                Some(h) => {
                    if reg.leads_to(h.thread, me) {
                        return Err(Error::new(
                            ErrorKind::Busy,
                            format!(
                                "{what} is not thread-safe and is running on another thread, which is waiting for \
                                 this one (through a batch or another callback): waiting for it would never end \
                                 (register the callback as thread-safe if it may run on several threads at once)"
                            ),
                        ));
                    }
                    // The wait behind one call of the callback is bounded: the library cannot see
                    // what the callback waits for (a thread it started and joins, which calls here).
                    let since = match behind {
                        Some((serial, since)) if serial == h.serial => since,
                        _ => Instant::now(),
                    };
                    behind = Some((h.serial, since));
                    let waited = since.elapsed();
                    if waited >= limit {
                        return Err(Error::new(
                            ErrorKind::Busy,
                            format!(
                                "{what} is not thread-safe and has been running on another thread for more than \
                                 {} ms (the callback wait limit, deeptrack_set_callback_wait): the pipeline is \
                                 held by a running callback, which may be waiting for this thread (a callback \
                                 must not wait for a thread that calls the library on a pipeline using it)",
                                limit.as_millis()
                            ),
                        ));
                    }
                    reg.waiting.push(Waiter { thread: me, on: On::Gate(self.id, std::thread::current()) });
                    drop(reg);
                    // Woken when the gate is given back (an unpark before this park is not lost), or
                    // at the limit.
                    std::thread::park_timeout(limit - waited);
                    reg = REGISTRY.lock();
                    let mine = |w: &Waiter| w.thread == me && matches!(w.on, On::Gate(g, _) if g == self.id);
                    if let Some(i) = reg.waiting.iter().position(mine) {
                        reg.waiting.swap_remove(i);
                    }
                    continue;
                }
            }
            return Ok(GateGuard { gate: self, thread: me });
        }
    }
}

impl Drop for GateGuard<'_> {
    fn drop(&mut self) {
        let mut reg = REGISTRY.lock();
        let Some(i) = reg.holds.iter().rposition(|h| h.gate == self.gate.id && h.thread == self.thread) else {
            return;
        };
        reg.holds[i].depth -= 1;
        if reg.holds[i].depth == 0 {
            reg.holds.remove(i);
            for w in &reg.waiting {
                if let On::Gate(gate, handle) = &w.on {
                    if *gate == self.gate.id {
                        handle.unpark();
                    }
                }
            }
        }
    }
}

/// What a thread knows of the batches it takes part in.
#[derive(Clone, Default)]
struct LineageData {
    /// The thread whose batch this thread works for (0: none).
    caller: u64,
    /// The pipelines (uids) that this thread, and the thread it works for, are batching.
    batching: SmallVec<[u64; 4]>,
}

thread_local! {
    static LINEAGE: RefCell<LineageData> = RefCell::new(LineageData::default());
}

/// The calling thread's part in batches.
pub(crate) struct Lineage;

impl Lineage {
    /// The thread whose batch the calling thread works for (0: none).
    pub(crate) fn caller() -> u64 {
        LINEAGE.with(|l| l.borrow().caller)
    }

    /// Whether the calling thread, or the thread whose batch it works for, is batching `uid`.
    pub(crate) fn batching(uid: u64) -> bool {
        LINEAGE.with(|l| l.borrow().batching.contains(&uid))
    }
}

/// A batch of one pipeline started by the calling thread; while it lives the thread counts as
/// batching the pipeline, and, when the batch has workers, as waiting for them.
pub(crate) struct BatchWait {
    /// The calling thread.
    caller: u64,
    /// What the workers inherit: the calling thread's batches, this one included.
    batching: SmallVec<[u64; 4]>,
    /// Whether workers run the batch (else the calling thread runs it alone).
    spawning: bool,
}

impl BatchWait {
    /// Starts a batch of the pipeline `uid`, run by workers if `spawning`.
    pub(crate) fn begin(uid: u64, spawning: bool) -> BatchWait {
        let caller = token();
        let batching = LINEAGE.with(|l| {
            let mut l = l.borrow_mut();
            l.batching.push(uid);
            l.batching.clone()
        });
        if spawning {
            REGISTRY.lock().waiting.push(Waiter { thread: caller, on: On::Batch });
        }
        BatchWait { caller, batching, spawning }
    }

    /// Makes the calling thread a worker of this batch until the scope drops.
    pub(crate) fn worker(&self) -> WorkerScope {
        let me = token();
        LINEAGE.with(|l| *l.borrow_mut() = LineageData { caller: self.caller, batching: self.batching.clone() });
        REGISTRY.lock().workers.push((me, self.caller));
        WorkerScope { me }
    }
}

impl Drop for BatchWait {
    fn drop(&mut self) {
        let _ = LINEAGE.try_with(|l| {
            l.borrow_mut().batching.pop();
        });
        if self.spawning {
            let mut reg = REGISTRY.lock();
            if let Some(i) = reg.waiting.iter().position(|w| w.thread == self.caller && matches!(w.on, On::Batch)) {
                reg.waiting.swap_remove(i);
            }
        }
    }
}

/// A thread working for a batch (see [`BatchWait::worker`]).
pub(crate) struct WorkerScope {
    me: u64,
}

impl Drop for WorkerScope {
    fn drop(&mut self) {
        let _ = LINEAGE.try_with(|l| *l.borrow_mut() = LineageData::default());
        let mut reg = REGISTRY.lock();
        if let Some(i) = reg.workers.iter().position(|(w, _)| *w == self.me) {
            reg.workers.swap_remove(i);
        }
    }
}

/// Fork prepare handler: holds the registry through the fork, so that the child finds it
/// consistent.
pub(super) fn before_fork() {
    std::mem::forget(REGISTRY.lock());
}

/// Fork parent handler: gives the registry back.
pub(super) fn after_fork_in_parent() {
    // SAFETY: `before_fork` took it on this thread and forgot the guard.
    unsafe { REGISTRY.force_unlock() };
}

/// Fork child handler: only the forking thread is left; what the others held or waited for is
/// forgotten (their gates are free), and the registry is given back.
pub(super) fn after_fork_in_child() {
    // SAFETY: `before_fork` took it on this thread (the only one now) and forgot the guard.
    unsafe { REGISTRY.force_unlock() };
    let mut reg = REGISTRY.lock();
    reg.holds.retain(|h| alive(h.thread));
    // The handles of threads that are gone are leaked, not dropped: nothing is freed in a fork
    // handler.
    for w in reg.waiting.drain(..) {
        std::mem::forget(w);
    }
    reg.workers.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn a_gate_lets_one_thread_in_at_a_time_and_re_enters() {
        let gate = Gate::default();
        let inside = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..200 {
                        let _g = gate.enter("cb").unwrap();
                        let _again = gate.enter("cb").unwrap();
                        let n = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(n, Ordering::SeqCst);
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn workers_run_a_gate_their_caller_holds_one_at_a_time() {
        let gate = Arc::new(Gate::default());
        let _held = gate.enter("cb").unwrap();
        let batch = BatchWait::begin(77, true);
        assert!(Lineage::batching(77));
        let inside = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    let _w = batch.worker();
                    assert!(Lineage::batching(77));
                    for _ in 0..100 {
                        let _g = gate.enter("cb").unwrap();
                        let n = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(n, Ordering::SeqCst);
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        drop(batch);
        assert!(!Lineage::batching(77));
        assert_eq!(most.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_wait_behind_one_hold_is_bounded_and_a_shorter_hold_is_waited_for() {
        let gate = Gate::default();
        let limit = Duration::from_millis(200);
        let (held, go) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
        std::thread::scope(|s| {
            // A callback holding the gate and waiting for a thread the library cannot see.
            s.spawn(|| {
                let _g = gate.enter_within("cb", limit).unwrap();
                held.wait();
                go.wait();
            });
            held.wait();
            let start = Instant::now();
            let e = gate.enter_within("cb", limit).err().expect("busy after the limit");
            let waited = start.elapsed();
            go.wait();
            assert_eq!(e.kind(), ErrorKind::Busy);
            assert!(e.to_string().contains("held by a running callback"), "{e}");
            assert!(waited >= limit && waited < limit * 20, "{waited:?}");
        });
        // A hold shorter than the limit is waited for.
        std::thread::scope(|s| {
            let g = gate.enter_within("cb", limit).unwrap();
            let waiter = s.spawn(|| gate.enter_within("cb", Duration::from_secs(30)).map(drop));
            std::thread::sleep(Duration::from_millis(50));
            drop(g);
            assert!(waiter.join().unwrap().is_ok());
        });
    }

    #[test]
    fn two_threads_each_waiting_for_the_others_gate_get_busy_instead() {
        let (a, b) = (Gate::default(), Gate::default());
        let barrier = std::sync::Barrier::new(2);
        let busy = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for (first, second) in [(&a, &b), (&b, &a)] {
                let (barrier, busy) = (&barrier, &busy);
                s.spawn(move || {
                    let _g = first.enter("first").unwrap();
                    barrier.wait();
                    match second.enter("second") {
                        Ok(_) => {}
                        Err(e) => {
                            assert_eq!(e.kind(), ErrorKind::Busy);
                            assert!(e.to_string().starts_with("second is not thread-safe"), "{e}");
                            busy.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                });
            }
        });
        // The second to wait sees the cycle; the first then gets the gate.
        assert_eq!(busy.load(Ordering::SeqCst), 1);
    }
}
