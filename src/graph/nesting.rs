//! Bounds on how deeply a resolve nests: the nesting bound of pipelines (containment, links, features
//! as property values), checked before every run, and the depth of resolves started from user code
//! (callbacks, custom features) on the thread that runs them.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

use super::Feature;
use crate::error::{Error, ErrorKind, Result};

/// Bumped whenever a property rule is set anywhere (links and feature-valued properties are the only
/// edges added after construction): a node's kept depth bound can only go stale then, so a run
/// re-checks the true depth only when this moved since its last check.
pub(super) static LINK_EPOCH: AtomicU64 = AtomicU64::new(1);

/// How deeply features may nest (chains of chains, links to links, features as property values) when
/// resolving. Deeper pipelines are reported as an error instead of overflowing the stack of the
/// calling thread; 128 levels stay inside a 1 MiB thread stack, with room to spare in release builds
/// and in this crate's dev profile (opt-level 1: the deepest mix of features as property values and
/// containment fits in 500 KiB). Unoptimised (opt-level 0) builds of the library use close to the
/// whole 1 MiB at that depth.
pub const MAX_NESTING: usize = 128;

/// How many resolves may nest on one thread through user code (a callback or a custom feature's
/// `get` resolving a pipeline whose callback resolves another, …). Their depths also add up
/// against the nesting bound ([`MAX_NESTING`]), so that no chain of them can overflow the stack.
pub const MAX_CALLBACK_NESTING: usize = 16;

thread_local! {
    /// While user code called by a resolve runs on this thread: the nesting depth of that resolve,
    /// and how many such calls are running, nested (`(0, 0)` outside any).
    pub(super) static IN_USER_CODE: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// Marks the calling thread as running user code called by a resolve at `depth`, until dropped.
pub(crate) struct UserCode {
    previous: (usize, usize),
}

impl UserCode {
    pub(super) fn enter(depth: usize) -> UserCode {
        let previous = IN_USER_CODE.get();
        IN_USER_CODE.set((depth, previous.1 + 1));
        UserCode { previous }
    }
}

impl Drop for UserCode {
    fn drop(&mut self) {
        let _ = IN_USER_CODE.try_with(|c| c.set(self.previous));
    }
}

/// The depth a resolve starting on this thread starts at: the depth of the resolve whose user code
/// calls it (0 outside user code). Errors when resolves nest through user code more than
/// [`MAX_CALLBACK_NESTING`] times.
pub(super) fn starting_depth(feature: &Feature) -> Result<usize> {
    let (depth, nested) = IN_USER_CODE.get();
    if nested > MAX_CALLBACK_NESTING {
        return Err(Error::invalid(format!(
            "resolves nest more than {MAX_CALLBACK_NESTING} deep through callbacks (a callback resolving a \
             pipeline whose callback resolves another, and so on)"
        ))
        .in_feature(&feature.label()));
    }
    Ok(depth)
}

pub(super) fn too_deep(label: &str) -> Error {
    Error::invalid(format!("the pipeline nests features (or links properties) more than {MAX_NESTING} levels deep"))
        .in_feature(label)
}

impl Feature {
    /// Accounts for a link from this feature to `source`: errors when it would nest too deeply, or
    /// when `source` already depends on this feature (the two would keep each other alive forever and
    /// their values would depend on each other: DeepTrack2 2.0.1 hangs on such loops).
    pub(super) fn link_depth(&self, source: &Feature, key: &str) -> Result<()> {
        if source.reaches(self) {
            return Err(Error::new(
                ErrorKind::Cycle,
                format!(
                    "feature '{}' already depends on this feature: linking to it would make a loop",
                    source.label()
                ),
            )
            .in_property(key)
            .in_feature(&self.label()));
        }
        let depth = source.depth() + 1;
        if depth > MAX_NESTING {
            return Err(too_deep(&self.label()).in_property(key));
        }
        self.0.depth.fetch_max(depth, Ordering::Relaxed);
        Ok(())
    }

    /// Whether `target` is this feature or one it reaches through the features it contains, its
    /// properties' sources and bound arguments ([`Feature::edges`]), at any depth. Iterative.
    pub(super) fn reaches(&self, target: &Feature) -> bool {
        let mut seen = super::Seen::default();
        let mut stack = vec![self.clone()];
        while let Some(node) = stack.pop() {
            if node.ptr_eq(target) {
                return true;
            }
            if seen.insert(node.0.uid) {
                stack.extend(node.edges());
            }
        }
        false
    }

    /// Errors when the graph below this feature is now nested more than [`MAX_NESTING`] levels deep;
    /// checked before every run. The depth kept on a node is a bound taken when the node was built or
    /// linked: a link added later to a feature below it (inside a container built earlier, or at the
    /// far end of a chain of links) does not reach it, and resolving on that stale bound could nest
    /// deep enough to overflow the stack.
    pub(super) fn check_depth(&self) -> Result<()> {
        let epoch = LINK_EPOCH.load(Ordering::Relaxed);
        if self.0.depth_checked.load(Ordering::Relaxed) == epoch {
            return Ok(());
        }
        if self.current_depth() > MAX_NESTING {
            return Err(too_deep(&self.label()));
        }
        self.0.depth_checked.store(epoch, Ordering::Relaxed);
        Ok(())
    }

    /// 1 + the longest chain of [`Feature::edges`] below this feature, computed afresh (iteratively, so
    /// that no depth can overflow the stack); the depths kept on the nodes visited are raised to what
    /// it finds. An edge back to a feature on the current path is not followed: such loops either read
    /// a sample that is already cached or are reported as cycles when sampled.
    fn current_depth(&self) -> usize {
        let mut found: HashMap<u64, usize> = HashMap::new();
        let mut on_path: HashSet<u64> = HashSet::from([self.0.uid]);
        let mut stack = vec![(self.clone(), self.edges(), 0)];
        while let Some((_, edges, next)) = stack.last_mut() {
            if let Some(edge) = edges.get(*next).cloned() {
                *next += 1;
                if !found.contains_key(&edge.0.uid) && on_path.insert(edge.0.uid) {
                    let below = edge.edges();
                    stack.push((edge, below, 0));
                }
                continue;
            }
            let (node, edges, _) = stack.pop().expect("not empty");
            let depth = 1 + edges.iter().filter_map(|e| found.get(&e.0.uid).copied()).max().unwrap_or(0);
            node.0.depth.fetch_max(depth, Ordering::Relaxed);
            on_path.remove(&node.0.uid);
            found.insert(node.0.uid, depth);
        }
        found[&self.0.uid]
    }
}
