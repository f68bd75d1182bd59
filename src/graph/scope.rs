//! The resolve scope: what a structural kind hands the features it resolves below it, without the
//! engine knowing what it is. A microscope sets its sample's units (its imaging context and the
//! pixel unit of [`Rule::Pixels`]) and asks every feature inside to record its property dict;
//! `Upscale` sets the factor the microscopes inside read; a sequence would set its step.
//!
//! A scope is a small immutable type map: at most one value per type, set by
//! [`Resolver::with_scope`] for the subtree a structural kind resolves and read by any feature inside
//! through [`Resolver::scoped`]. The engine uses it two ways only: a cached result is reused only under
//! an equal scope (values compared with their `PartialEq`), and [`Scope::records`] makes every feature
//! inside record its dict. The one value the engine itself reads is [`PixelUnit`], the unit of
//! property sampling.
//!
//! [`Rule::Pixels`]: crate::properties::Rule::Pixels
//! [`Resolver::with_scope`]: super::Resolver::with_scope
//! [`Resolver::scoped`]: super::Resolver::scoped
//! [`PixelUnit`]: crate::properties::PixelUnit

use std::any::{Any, TypeId};
use std::fmt;
use std::sync::Arc;

/// A value a structural kind sets for the features it resolves (see the module documentation): any
/// `'static` type that is `PartialEq` (results computed under equal values are reused), `Debug`,
/// `Send` and `Sync` (a scope is shared by the features of one resolve). Implemented for every such
/// type; define a small type of your own for each thing a kind hands down.
pub trait ScopeValue: Any + Send + Sync + fmt::Debug {
    /// Whether `other` is a value of this type equal to this one.
    fn same(&self, other: &dyn ScopeValue) -> bool;
    /// This value as [`Any`], to read it back as its type.
    fn as_any(&self) -> &dyn Any;
}

impl<T: Any + Send + Sync + fmt::Debug + PartialEq> ScopeValue for T {
    fn same(&self, other: &dyn ScopeValue) -> bool {
        other.as_any().downcast_ref::<T>().is_some_and(|o| o == self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The scope features are resolved in: empty at the top of a resolve (no allocation; cloning and
/// comparing empty scopes costs nothing), else a shared frame of values. Cloning copies a pointer.
#[derive(Clone, Default)]
pub struct Scope(Option<Arc<Frame>>);

struct Frame {
    /// One value per type, in the order they were first set.
    values: Vec<(TypeId, Arc<dyn ScopeValue>)>,
    records: bool,
}

impl Scope {
    /// The scope outside every structural kind that sets one.
    pub const EMPTY: Scope = Scope(None);

    /// The value of type `T` set by an enclosing kind, if any.
    pub fn get<T: ScopeValue>(&self) -> Option<&T> {
        let frame = self.0.as_ref()?;
        let id = TypeId::of::<T>();
        frame.values.iter().find(|(t, _)| *t == id).and_then(|(_, v)| v.as_any().downcast_ref::<T>())
    }

    /// This scope with `value` set (replacing the value of its type, if any).
    pub fn with<T: ScopeValue>(&self, value: T) -> Scope {
        let id = TypeId::of::<T>();
        let value: Arc<dyn ScopeValue> = Arc::new(value);
        let (mut values, records) = match &self.0 {
            Some(frame) => (frame.values.clone(), frame.records),
            None => (Vec::with_capacity(1), false),
        };
        match values.iter_mut().find(|(t, _)| *t == id) {
            Some(slot) => slot.1 = value,
            None => values.push((id, value)),
        }
        Scope(Some(Arc::new(Frame { values, records })))
    }

    /// Whether the features resolved in this scope record their property dicts in their outputs
    /// whether or not they store properties (a microscope reads its sample's dicts).
    pub fn records(&self) -> bool {
        self.0.as_ref().is_some_and(|f| f.records)
    }

    /// Whether every value of this scope is also in `outer`, equal, and `outer` records if this one
    /// does: a result computed in `outer` is what DeepTrack2 (whose caches are keyed by `_ID` only)
    /// gives here too. The empty scope is within every scope.
    pub fn within(&self, outer: &Scope) -> bool {
        match (&self.0, &outer.0) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(a), Some(b)) => {
                (!a.records || b.records)
                    && a.values.iter().all(|(t, v)| b.values.iter().any(|(u, w)| t == u && v.same(w.as_ref())))
            }
        }
    }

    /// This scope with [`Scope::records`] set.
    pub fn recording(&self) -> Scope {
        if self.records() {
            return self.clone();
        }
        let values = self.0.as_ref().map_or_else(Vec::new, |f| f.values.clone());
        Scope(Some(Arc::new(Frame { values, records: true })))
    }
}

impl PartialEq for Scope {
    /// Equal when both record or neither does, and they hold equal values of the same types.
    fn eq(&self, other: &Scope) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) if Arc::ptr_eq(a, b) => true,
            (Some(a), Some(b)) => {
                a.records == b.records
                    && a.values.len() == b.values.len()
                    && a.values.iter().all(|(t, v)| b.values.iter().any(|(u, w)| t == u && v.same(w.as_ref())))
            }
            _ => false,
        }
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        if let Some(frame) = &self.0 {
            list.entries(frame.values.iter().map(|(_, v)| v));
            if frame.records {
                list.entry(&"records");
            }
        }
        list.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Step(usize);

    #[derive(Debug, PartialEq)]
    struct Units(f64);

    #[test]
    fn values_are_read_back_by_type_and_replaced_by_type() {
        assert_eq!(Scope::EMPTY.get::<Step>(), None);
        let a = Scope::EMPTY.with(Step(3)).with(Units(0.5));
        assert_eq!((a.get::<Step>(), a.get::<Units>()), (Some(&Step(3)), Some(&Units(0.5))));
        let b = a.with(Step(4));
        assert_eq!((b.get::<Step>(), b.get::<Units>()), (Some(&Step(4)), Some(&Units(0.5))));
        // The scope it came from is unchanged.
        assert_eq!(a.get::<Step>(), Some(&Step(3)));
        assert!(!b.records() && b.recording().records() && b.recording().get::<Step>() == Some(&Step(4)));
    }

    #[test]
    fn scopes_compare_by_value() {
        let a = Scope::EMPTY.with(Step(3)).with(Units(0.5));
        // Set again, in another order: equal values make equal scopes (cached results are reused).
        assert_eq!(a, Scope::EMPTY.with(Units(0.5)).with(Step(3)));
        assert_ne!(a, Scope::EMPTY.with(Step(3)));
        assert_ne!(a, a.with(Step(2)));
        assert_ne!(a, a.recording());
        assert_eq!(a.recording(), a.recording());
        assert_ne!(Scope::EMPTY, Scope::EMPTY.with(Step(0)));
        assert_eq!(Scope::EMPTY, Scope::default());
    }

    use crate::error::Result;
    use crate::features::FeatureKind;
    use crate::graph::{Feature, ReplicaId, Resolver};
    use crate::image::{Image, ImageList};
    use crate::properties::PropertyDict;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A leaf that gives the step of its scope (-1 outside any) and counts its computations.
    #[derive(Clone)]
    struct Reads(Arc<AtomicUsize>);

    impl FeatureKind for Reads {
        /// Complex images: read by the kind itself.
        fn complex_inputs(&self) -> crate::features::ComplexInputs {
            crate::features::ComplexInputs::Native
        }

        fn name(&self) -> &str {
            "Reads"
        }
        fn with_children(&self, _: Vec<Feature>) -> Box<dyn FeatureKind> {
            Box::new(self.clone())
        }
        fn get(&self, _: Option<&Image>, _: &Arc<PropertyDict>, rs: &mut Resolver<'_>) -> Result<Option<Image>> {
            self.0.fetch_add(1, Ordering::Relaxed);
            let step = rs.scoped::<Step>().map_or(-1.0, |s| s.0 as f64);
            Image::from_slice(&[1], &[step]).map(Some)
        }
    }

    /// A structural kind that resolves its child at a step, recording or not.
    struct AtStep(Feature, usize, bool);

    impl FeatureKind for AtStep {
        /// Objects of the host's in place of images: handed on, never read.
        fn takes_objects(&self) -> bool {
            true
        }
        fn name(&self) -> &str {
            "AtStep"
        }
        fn with_children(&self, children: Vec<Feature>) -> Box<dyn FeatureKind> {
            Box::new(AtStep(children[0].clone(), self.1, self.2))
        }
        fn children(&self) -> Vec<Feature> {
            vec![self.0.clone()]
        }
        fn is_structural(&self) -> bool {
            true
        }
        fn process_list(
            &self,
            inputs: &ImageList,
            _: &Arc<PropertyDict>,
            id: &ReplicaId,
            rs: &mut Resolver<'_>,
        ) -> Result<ImageList> {
            let scope = rs.scope().with(Step(self.1));
            let scope = if self.2 { scope.recording() } else { scope };
            rs.with_scope(scope, |rs| rs.resolve(&self.0, inputs, id))
        }
    }

    #[test]
    fn features_read_their_scope_and_are_cached_per_scope() {
        let calls = Arc::new(AtomicUsize::new(0));
        let leaf = Feature::new(Box::new(Reads(Arc::clone(&calls)))).unwrap();
        let at3 = Feature::new(Box::new(AtStep(leaf.clone(), 3, false))).unwrap();
        let at4 = Feature::new(Box::new(AtStep(leaf.clone(), 4, true))).unwrap();
        let value = |f: &Feature| f.resolve_one(None).unwrap().unwrap().as_slice()[0];
        assert_eq!((value(&at3), calls.load(Ordering::Relaxed)), (3.0, 1));
        // A new scope of equal values: the cached result.
        assert_eq!((value(&at3), calls.load(Ordering::Relaxed)), (3.0, 1));
        assert_eq!((value(&at4), calls.load(Ordering::Relaxed)), (4.0, 2));
        assert_eq!((value(&at3), calls.load(Ordering::Relaxed)), (3.0, 3));
        // Outside every scope, the result computed in the last scope is reused (a scope within it:
        // DeepTrack2 keys its caches by `_ID` only); once updated, the step is unset.
        assert_eq!((value(&leaf), calls.load(Ordering::Relaxed)), (3.0, 3));
        leaf.update().unwrap();
        assert_eq!((value(&leaf), calls.load(Ordering::Relaxed)), (-1.0, 4));
        // Inside a scope, a result computed outside (a narrower scope) is not reused.
        assert_eq!((value(&at3), calls.load(Ordering::Relaxed)), (3.0, 5));
        // In a recording scope the leaf records its dict although nothing stores properties.
        let dicts = |f: &Feature| {
            f.resolve(None).unwrap();
            leaf.cached_output(&[]).unwrap().iter().map(|image| image.properties().len()).sum::<usize>()
        };
        assert_eq!((dicts(&at3), dicts(&at4), dicts(&at3)), (0, 1, 0));
    }
}
