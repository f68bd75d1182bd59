//! Batches: copies of a pipeline (`duplicate`) resolved by worker threads, items `first .. first +
//! count` of a stream, each item a pure function of (pipeline, seed, item). Items may produce several
//! images each (a pipeline ending in `& target`), and a progress callback, run on the calling thread,
//! reports the items done and may stop the batch.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use super::Feature;
use super::nesting::IN_USER_CODE;
use crate::error::{Error, ErrorKind, Result};
use crate::image::Image;
use crate::properties::Rule;
use crate::rng::mix;
use crate::sync::{BatchWait, Lineage};
use crate::value::Text;

/// The seed of item `index` of the batch stream `seed` (see [`Feature::resolve_batch`]).
pub fn batch_item_seed(seed: u64, index: u64) -> u64 {
    mix(seed ^ 0x6261_7463_685F_6974, index) // "batch_it"
}

/// Reports the progress of a batch: called with `(done, total)` items, on the thread that started the
/// batch; returning `false` stops the batch (it then fails with [`ErrorKind::CallbackFailed`]).
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize) -> bool;

/// What the items done so far are, for the calling thread's progress reports.
struct Done {
    count: Mutex<usize>,
    changed: Condvar,
}

/// The address space a batch worker takes before it renders anything: its stack (2 MiB, std's
/// default) and its allocator heap's first reservation (a mimalloc segment of 32 MiB, mapped twice
/// as large to align it, or glibc's 64 MiB heap of a thread arena).
const WORKER_ADDRESS_SPACE: u64 = 66 << 20;

/// How many workers fit in the address space left under a limit (`RLIMIT_AS`, `ulimit -v`), keeping
/// half of it for the images: a worker whose stack or heap cannot be mapped would abort the process
/// on its first infallible allocation. `usize::MAX` without a limit (or off Linux).
fn workers_that_fit() -> usize {
    #[cfg(target_os = "linux")]
    {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit writes the limit into the rlimit it is given.
        if unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) } != 0 || limit.rlim_cur == libc::RLIM_INFINITY {
            return usize::MAX;
        }
        // The first field of statm is the address space in use, in pages (VmSize).
        let Some(pages) = std::fs::read_to_string("/proc/self/statm")
            .ok()
            .and_then(|statm| statm.split_whitespace().next().and_then(|p| p.parse::<u64>().ok()))
        else {
            return usize::MAX;
        };
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as u64;
        let left = limit.rlim_cur.saturating_sub(pages.saturating_mul(page));
        usize::try_from(left / 2 / WORKER_ADDRESS_SPACE).unwrap_or(usize::MAX).max(1)
    }
    #[cfg(not(target_os = "linux"))]
    {
        usize::MAX
    }
}

/// Whether this thread can allocate at all: a small block, allocated fallibly and freed. On a new
/// thread this is the allocator's set-up of the thread's heap, which fails where the address space
/// is exhausted (a limit such as `ulimit -v`, many threads).
fn can_allocate() -> bool {
    let layout = std::alloc::Layout::new::<[u64; 2]>();
    // SAFETY: the layout has a non-zero size.
    let block = unsafe { std::alloc::alloc(layout) };
    if block.is_null() {
        return false;
    }
    // SAFETY: allocated just above with this layout.
    unsafe { std::alloc::dealloc(block, layout) };
    true
}

impl Done {
    fn add_one(&self) {
        *self.count.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.changed.notify_all();
    }
}

impl Feature {
    /// A copy of this pipeline: this feature, every feature it contains and every feature its
    /// properties link to are copied, with the same kinds, rules and settings (links point to the
    /// copies) and empty caches. Callbacks are shared with the original. Used by
    /// [`Feature::resolve_batch`], whose workers each resolve a copy.
    pub fn duplicate(&self) -> Feature {
        self.duplicate_into(&mut HashMap::new())
    }

    fn duplicate_into(&self, copies: &mut HashMap<u64, Feature>) -> Feature {
        if let Some(copy) = copies.get(&self.0.uid) {
            return copy.clone();
        }
        let children = self.0.kind.children().iter().map(|c| c.duplicate_into(copies)).collect();
        let kind = self.0.kind.with_children(children);
        // Links never loop (set_property refuses it), so copying their sources terminates.
        // A fresh copy: pins (which last until an update) are not copied.
        let props: Vec<(Text, Rule)> = self
            .unpinned_defs()
            .iter()
            .map(|(k, rule)| {
                let rule = rule.map_sources(&mut |feature| feature.duplicate_into(copies));
                (k.clone(), rule)
            })
            .collect();
        let position = self.0.rng.position(self.generation());
        let copy = Feature::from_parts(
            (kind, self.0.spec),
            props,
            self.label_text(),
            self.depth(),
            self.stores_properties(),
            position,
        );
        copies.insert(self.0.uid, copy.clone());
        // The bound arguments (never this feature: bind_arguments refuses loops) are copied too, with
        // the links to them pointing at the same copy.
        if let Some(arguments) = self.arguments() {
            copy.current().arguments = Some(arguments.duplicate_into(copies));
        }
        copy
    }

    /// Resolves `count` independent samples of this pipeline on `input`: items `first .. first +
    /// count` of the stream `seed`. Item `i` is the image a fresh copy of the pipeline, seeded with
    /// [`batch_item_seed`]`(seed, i)`, resolves to: a pure function of (pipeline, seed, i), the same
    /// whatever the thread count or the way a dataset is split into batches. Runs on `threads` worker
    /// threads (0: as many as the machine has cores); each resolves its own copy. The pipeline itself
    /// is not touched. Every item must produce exactly one image; the error of the lowest failing
    /// item is returned. Returns only when the worker threads have exited (their thread-local
    /// destructors have run).
    pub fn resolve_batch(
        &self,
        input: Option<&Image>,
        seed: u64,
        first: u64,
        count: usize,
        threads: usize,
    ) -> Result<Vec<Image>> {
        self.resolve_batch_with(input, seed, first, count, threads, 1, None)
    }

    /// [`Feature::resolve_batch`] for items of `per_item` images each (a pipeline `image & target`
    /// gives 2), with an optional progress report. Returns the `count * per_item` images in item order
    /// (item `k`'s at `k * per_item ..`). An item that produces another number of images is an error.
    /// `progress` is called on the calling thread with `(done, count)` after items finish (not
    /// necessarily after each one when several threads work: at least once more when the batch ends),
    /// and returning `false` stops the batch: the workers finish the items they are on and the batch
    /// fails with [`ErrorKind::CallbackFailed`].
    #[allow(clippy::too_many_arguments)]
    pub fn resolve_batch_with(
        &self,
        input: Option<&Image>,
        seed: u64,
        first: u64,
        count: usize,
        threads: usize,
        per_item: usize,
        progress: Option<Progress<'_>>,
    ) -> Result<Vec<Image>> {
        if per_item == 0 {
            return Err(Error::invalid("images per batch item must be at least 1").in_feature(&self.label()));
        }
        let too_many = || {
            Error::new(ErrorKind::OutOfMemory, format!("cannot allocate the results of a batch of {count} items"))
                .in_feature(&self.label())
        };
        let items = self.batch_with(seed, first, count, threads, progress, &|copy, item| {
            let images = copy.resolve(input)?;
            if images.len() == per_item {
                Ok(images)
            } else if images.is_empty() {
                Err(Error::invalid(format!("batch item {item} produced no image")).in_feature(&self.label()))
            } else {
                Err(Error::invalid(format!(
                    "batch item {item} produced {} images where {per_item} were expected",
                    images.len()
                ))
                .in_feature(&self.label()))
            }
        })?;
        let mut images = Vec::new();
        let total = count.checked_mul(per_item).ok_or_else(too_many)?;
        images.try_reserve_exact(total).map_err(|_| too_many())?;
        for item in items {
            images.extend(item);
        }
        Ok(images)
    }

    /// The batch loop of [`Feature::resolve_batch_with`] for items of any type: `item(copy, i)`
    /// computes item `i` from a copy of the pipeline seeded for it (a list of images, or a sequence's
    /// frames: `graph/sequence.rs`). Returns the items in order, or the lowest failing item's error.
    pub(crate) fn batch_with<T: Send>(
        &self,
        seed: u64,
        first: u64,
        count: usize,
        threads: usize,
        mut progress: Option<Progress<'_>>,
        item: &(dyn Fn(&Feature, u64) -> Result<T> + Sync),
    ) -> Result<Vec<T>> {
        self.check_depth()?;
        // Item indices are u64s: the last item, `first + count - 1`, must be one (never wrapped).
        if count > 0 && u64::try_from(count - 1).ok().and_then(|last| first.checked_add(last)).is_none() {
            return Err(Error::invalid(format!(
                "the items first .. first + count (first = {first}, count = {count}) go past the last item index \
                 {}: first + count - 1 overflows",
                u64::MAX
            ))
            .in_feature(&self.label()));
        }
        // A batch of a pipeline that this thread (or the thread whose batch it works for) is
        // resolving or batching: from the pipeline's own callbacks. Copies do not share the
        // pipeline's generator, so nothing would stop the recursion.
        let caller = Lineage::caller();
        if Lineage::batching(self.0.uid) || self.0.rng.held_by(crate::sync::token()) || self.0.rng.held_by(caller) {
            return Err(Error::new(
                ErrorKind::Busy,
                format!(
                    "feature '{}' is being resolved or batched by this thread (or by the batch it works for); it \
                     cannot be batched from its own callbacks",
                    self.label()
                ),
            ));
        }
        // A batch started by a batch's worker (from a callback) runs on that worker: the outer batch
        // already has a thread per core.
        let threads = match threads {
            _ if caller != 0 => 1,
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
        .min(count.max(1))
        .min(workers_that_fit());
        // The workers count the callbacks they run as nested in the ones that started the batch.
        let in_user_code = IN_USER_CODE.get();
        let batch = BatchWait::begin(self.0.uid, threads > 1);
        let next = AtomicUsize::new(0);
        let stopped = AtomicBool::new(false);
        let done = Done { count: Mutex::new(0), changed: Condvar::new() };
        let too_many = || {
            Error::new(ErrorKind::OutOfMemory, format!("cannot allocate the results of a batch of {count} items"))
                .in_feature(&self.label())
        };
        let mut slots = Vec::new();
        slots.try_reserve_exact(count).map_err(|_| too_many())?;
        slots.resize_with(count, || None);
        let results: Mutex<Vec<Option<Result<T>>>> = Mutex::new(slots);
        // Renders items until none is left; `after_item` runs after each and may stop the batch.
        let work = |after_item: &mut dyn FnMut() -> bool| {
            let copy = self.duplicate();
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= count {
                    break;
                }
                let index = first.wrapping_add(k as u64);
                let result = copy.seed(batch_item_seed(seed, index)).and_then(|()| item(&copy, index));
                let failed = result.is_err();
                results.lock().unwrap_or_else(|e| e.into_inner())[k] = Some(result);
                // Later items are not needed: the lowest failing item decides the error.
                if failed || !after_item() {
                    next.fetch_max(count, Ordering::Relaxed);
                }
            }
        };
        if threads <= 1 {
            let mut finished = 0;
            work(&mut || {
                finished += 1;
                let Some(report) = progress.as_mut() else { return true };
                // A stop asked after the last item has nothing left to stop.
                if !report(finished, count) && finished < count {
                    stopped.store(true, Ordering::Relaxed);
                    return false;
                }
                true
            });
        } else {
            // Every worker is joined explicitly: the scope's implicit join only waits for the workers'
            // closures, and detaches the threads, which then run their thread-local destructors (the
            // library's caches, a callback's C++ `thread_local`s) after the batch has returned
            // (rust-lang/rust#116179). A batch returns only when its threads are gone.
            let panicked = std::thread::scope(|scope| {
                let mut workers = Vec::new();
                for _ in 0..threads {
                    let worker = || {
                        // A thread's first allocation sets up its allocator heap (mimalloc gives each
                        // thread segments of its own): where the address space has no room for it,
                        // this worker leaves its share to the others and the calling thread, rather
                        // than abort on its first infallible allocation.
                        if !can_allocate() {
                            return;
                        }
                        let _lineage = batch.worker();
                        // What the worker lets go of the host's is released when it is done, before
                        // the batch joins it (crate::sync::deferred).
                        let _inside = crate::sync::deferred::Inside::enter();
                        IN_USER_CODE.set((0, in_user_code.1));
                        work(&mut || {
                            done.add_one();
                            !stopped.load(Ordering::Relaxed)
                        });
                        // Wakes the reporting thread when this worker has nothing left to do.
                        done.changed.notify_all();
                    };
                    // A thread that cannot be started (the system's limit, or no memory for its
                    // handle) leaves the work to the others.
                    if workers.try_reserve(1).is_err() {
                        break;
                    }
                    match std::thread::Builder::new().spawn_scoped(scope, worker) {
                        Ok(handle) => workers.push(handle),
                        Err(_) => break,
                    }
                }
                if workers.is_empty() {
                    work(&mut || {
                        done.add_one();
                        true
                    });
                } else if let Some(report) = progress.as_mut() {
                    report_while_working(&done, &workers, count, &stopped, &next, report);
                }
                // All are joined before a worker's panic is passed on.
                let panicked = workers.into_iter().map(|w| w.join()).fold(None, |first, joined| first.or(joined.err()));
                // Items no worker could take (each found no memory for its heap) are rendered here.
                if panicked.is_none() && next.load(Ordering::Relaxed) < count {
                    work(&mut || {
                        done.add_one();
                        !stopped.load(Ordering::Relaxed)
                    });
                }
                panicked
            });
            if let Some(payload) = panicked {
                std::panic::resume_unwind(payload);
            }
            if let Some(report) = progress.as_mut() {
                let finished = *done.count.lock().unwrap_or_else(|e| e.into_inner());
                if !stopped.load(Ordering::Relaxed) && !report(finished, count) && finished < count {
                    stopped.store(true, Ordering::Relaxed);
                }
            }
        }
        drop(batch);
        let mut items = Vec::new();
        items.try_reserve_exact(count).map_err(|_| too_many())?;
        for slot in results.into_inner().unwrap_or_else(|e| e.into_inner()) {
            match slot {
                Some(Ok(one)) => items.push(one),
                Some(Err(e)) => return Err(e),
                None => break,
            }
        }
        if stopped.load(Ordering::Relaxed) {
            return Err(Error::new(
                ErrorKind::CallbackFailed,
                format!("the progress callback stopped the batch after {} of {count} items", items.len()),
            )
            .in_feature(&self.label()));
        }
        if items.len() != count {
            return Err(Error::invalid("a batch worker stopped before finishing").in_feature(&self.label()));
        }
        Ok(items)
    }
}

/// On the calling thread while `workers` render: calls `report(done, count)` whenever items have
/// finished, until every worker is done; stops the batch when `report` returns false.
fn report_while_working<T>(
    done: &Done,
    workers: &[std::thread::ScopedJoinHandle<'_, T>],
    count: usize,
    stopped: &AtomicBool,
    next: &AtomicUsize,
    report: &mut dyn FnMut(usize, usize) -> bool,
) {
    let mut reported = 0;
    loop {
        let finished = {
            let mut n = done.count.lock().unwrap_or_else(|e| e.into_inner());
            while *n == reported && !workers.iter().all(|w| w.is_finished()) {
                // Timed: a worker that ends between the check and the wait still wakes us.
                n = done
                    .changed
                    .wait_timeout(n, std::time::Duration::from_millis(50))
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            *n
        };
        if finished == reported {
            return; // every worker has finished
        }
        reported = finished;
        if finished < count && !report(finished, count) {
            stopped.store(true, Ordering::Relaxed);
            next.fetch_max(count, Ordering::Relaxed);
            return;
        }
        if finished >= count {
            return;
        }
    }
}
