//! Batches: copies of a pipeline (`duplicate`) resolved by worker threads, item `i` of a stream a pure
//! function of (pipeline, seed, i).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::Feature;
use super::nesting::IN_USER_CODE;
use crate::error::{Error, ErrorKind, Result};
use crate::image::Image;
use crate::properties::Rule;
use crate::rng::mix;
use crate::sync::{self, BatchWait, Lineage};
use crate::value::Text;

/// The seed of item `index` of the batch stream `seed` (see [`Feature::resolve_batch`]).
pub fn batch_item_seed(seed: u64, index: u64) -> u64 {
    mix(seed ^ 0x6261_7463_685F_6974, index) // "batch_it"
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
                let rule = match rule {
                    Rule::PropertyOf { feature, key } => {
                        Rule::PropertyOf { feature: feature.duplicate_into(copies), key: key.clone() }
                    }
                    Rule::FeatureOutput(feature) => Rule::FeatureOutput(feature.duplicate_into(copies)),
                    other => other.clone(),
                };
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
        self.check_depth()?;
        // A batch of a pipeline that this thread (or the thread whose batch it works for) is
        // resolving or batching: from the pipeline's own callbacks. Copies do not share the
        // pipeline's generator, so nothing would stop the recursion.
        let caller = Lineage::caller();
        if Lineage::batching(self.0.uid) || self.0.rng.held_by(sync::token()) || self.0.rng.held_by(caller) {
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
        .min(count.max(1));
        // The workers count the callbacks they run as nested in the ones that started the batch.
        let in_user_code = IN_USER_CODE.get();
        let batch = BatchWait::begin(self.0.uid, threads > 1);
        let next = AtomicUsize::new(0);
        let too_many = || {
            Error::new(ErrorKind::OutOfMemory, format!("cannot allocate the results of a batch of {count} images"))
                .in_feature(&self.label())
        };
        let mut slots = Vec::new();
        slots.try_reserve_exact(count).map_err(|_| too_many())?;
        slots.resize_with(count, || None);
        let results: Mutex<Vec<Option<Result<Image>>>> = Mutex::new(slots);
        let work = || {
            let copy = self.duplicate();
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= count {
                    break;
                }
                let item = first.wrapping_add(k as u64);
                let result =
                    copy.seed(batch_item_seed(seed, item)).and_then(|()| copy.resolve_one(input)).and_then(|image| {
                        image.ok_or_else(|| {
                            Error::invalid(format!("batch item {item} produced no image")).in_feature(&self.label())
                        })
                    });
                let failed = result.is_err();
                results.lock().unwrap_or_else(|e| e.into_inner())[k] = Some(result);
                if failed {
                    // Later items are not needed: the lowest failing item decides the error.
                    next.fetch_max(count, Ordering::Relaxed);
                }
            }
        };
        if threads <= 1 {
            work();
        } else {
            // Every worker is joined explicitly: the scope's implicit join only waits for the workers'
            // closures, and detaches the threads, which then run their thread-local destructors (the
            // library's caches, a callback's C++ `thread_local`s) after the batch has returned
            // (rust-lang/rust#116179). A batch returns only when its threads are gone.
            let panicked = std::thread::scope(|scope| {
                let mut workers = Vec::new();
                for _ in 0..threads {
                    let worker = || {
                        let _lineage = batch.worker();
                        IN_USER_CODE.set((0, in_user_code.1));
                        work();
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
                    work();
                }
                // All are joined before a worker's panic is passed on.
                workers.into_iter().map(|w| w.join()).fold(None, |first, joined| first.or(joined.err()))
            });
            if let Some(payload) = panicked {
                std::panic::resume_unwind(payload);
            }
        }
        drop(batch);
        let mut images = Vec::new();
        images.try_reserve_exact(count).map_err(|_| too_many())?;
        for slot in results.into_inner().unwrap_or_else(|e| e.into_inner()) {
            match slot {
                Some(Ok(image)) => images.push(image),
                Some(Err(e)) => return Err(e),
                None => {}
            }
        }
        if images.len() != count {
            return Err(Error::invalid("a batch worker stopped before finishing").in_feature(&self.label()));
        }
        Ok(images)
    }
}
