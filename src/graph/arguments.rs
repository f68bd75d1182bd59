//! Bound arguments (DeepTrack2's `bind_arguments`): a feature may hold another feature whose
//! property dict every computation of it records right before its own dict, wherever it computes
//! (resolved itself or inside a larger pipeline), as DeepTrack2 2.0.1's `_process_output` appends
//! `arguments.properties()` then the feature's dict.

use std::sync::Arc;

use super::nesting::{LINK_EPOCH, too_deep};
use super::{Feature, MAX_NESTING, ReplicaId, Resolver};
use crate::error::{Error, ErrorKind, Result};
use crate::properties::PropertyDict;

impl Feature {
    /// Binds `arguments` to this feature, replacing any bound before: from then on every computation
    /// of this feature that records its dict records `arguments`' property values (as sampled for
    /// that resolve) in a dict right before its own. This feature keeps a reference to `arguments`
    /// (it is sampled when this feature computes), but an update or seed of this feature does not
    /// reach it (2.0.1's `update` leaves the arguments' values alone unless a property links to
    /// them). Errors (`Cycle`, nothing changed) when `arguments` is this feature or reaches it
    /// (through the features it contains, its links or its own bound arguments): they would keep
    /// each other alive forever; errors when the graph would nest too deeply.
    pub fn bind_arguments(&self, arguments: &Feature) -> Result<()> {
        if arguments.reaches(self) {
            let what = if arguments.ptr_eq(self) {
                "a feature cannot be bound as its own arguments".to_owned()
            } else {
                format!(
                    "feature '{}' already depends on this feature: binding it as arguments would make a loop",
                    arguments.label()
                )
            };
            return Err(Error::new(ErrorKind::Cycle, what).in_feature(&self.label()));
        }
        let depth = arguments.depth() + 1;
        if depth > MAX_NESTING {
            return Err(too_deep(&self.label()));
        }
        self.0.depth.fetch_max(depth, std::sync::atomic::Ordering::Relaxed);
        // The one it replaces may be the last handle of a feature (with user callbacks' data): dropped
        // after the lock is released.
        let previous = self.current().arguments.replace(arguments.clone());
        // Resolves check the depth again from now on (see `check_depth`).
        LINK_EPOCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        drop(previous);
        Ok(())
    }

    /// The feature bound by [`Feature::bind_arguments`], if any.
    pub fn arguments(&self) -> Option<Feature> {
        self.current().arguments.clone()
    }
}

impl Resolver<'_> {
    /// The dict that a computation of a feature with bound `arguments` at replicate index `id` records
    /// before its own: the arguments' sampled values (no `_ID`, as 2.0.1 reads them at the top level),
    /// a new dict of this computation. Inside a repeat the arguments are sampled at the top level
    /// first, so the repetitions share those values (as in 2.0.1) unless a link read them at the
    /// repetition's index before (2.0.1 raises an `AssertionError` then; here the dict holds the
    /// values that repetition read). Sampled before the feature computes, so its links read the
    /// same values.
    pub(super) fn arguments_dict(&mut self, arguments: &Feature, id: &ReplicaId) -> Result<Arc<PropertyDict>> {
        if !id.is_empty() {
            arguments.sample(&[], self)?;
        }
        let (_, dict) = arguments.sample(id, self)?;
        Ok(Arc::new((*dict).clone()))
    }
}
