//! Sequences in the engine (DeepTrack2's `Sequence`, `Sequential` and `SequentialProperty`): the steps
//! of a sequence and the samples of sequential properties.
//!
//! A `Sequence` resolves its feature once per step ([`Resolver::resolve_steps`]) under a
//! [`SequenceScope`]: the step, the length, and the samples every feature with sequential properties
//! ([`Rule::Sequential`]) drew at the earlier steps, per replicate index (so each repetition of a
//! repeated particle has its own trajectory). Such a feature draws one sample per step, in order
//! ([`Feature::sample_step_then`]): at step 0 every property is sampled (a sequential one by its
//! initial rule); at step `t > 0` its other properties keep their values and each sequential one is
//! sampled by its step rule, whose callbacks read through their context (`Session::sequence_value`)
//! `sequence_step` (or `sequence_index`), `sequence_length`, `previous_value` (its value at `t - 1`),
//! `previous_values` (its values at steps `0 .. t - 1`, in order) and `previous_<key>` (a sibling's
//! values at those steps), and siblings at the same step like any callback. Features without
//! sequential properties keep their samples across the steps; their outputs are computed again when
//! their inputs change, as everywhere.
//!
//! The graph reaches this file through small hooks in `graph.rs`, each marked "Hook (sequences)": the
//! `sequence` field of [`Resolver`], the branch at the top of `Feature::sample_then`, the `seq` field of
//! `Session` (set here, `None` in `Feature::draw`), the rule of the step in `Session::eval`, and the
//! fallback to [`Session::sequence_value`] in `Session::get`.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use smallvec::SmallVec;

use super::{Feature, ReplicaId, Resolver, Session, State};
use crate::error::{Error, ErrorKind, Result};
use crate::image::{Image, ImageList};
use crate::properties::{PropertyDict, Rule};
use crate::value::{Text, Value};

/// The most steps a sequence may have (its `sequence_length`): every step keeps a sample of each
/// sequential feature and an output, so the work and memory of a resolve are bounded by it.
pub const MAX_SEQUENCE_LENGTH: usize = 1 << 20;

/// The samples one feature drew at the steps so far, in order (shared with the `Session` drawing
/// the next one).
type History = Arc<Vec<Arc<PropertyDict>>>;

/// What a `Sequence` sets for its feature while it resolves it (a resolve scope): the step, the
/// number of steps, and the samples of the sequential features at the steps so far.
pub struct SequenceScope {
    step: usize,
    length: usize,
    history: HashMap<(u64, SmallVec<[usize; 4]>), History>,
}

impl SequenceScope {
    /// The step being resolved (0-based).
    pub fn step(&self) -> usize {
        self.step
    }

    /// The number of steps.
    pub fn length(&self) -> usize {
        self.length
    }
}

/// A name a rule of a step asked for, and the property whose rule asked (`previous_value` depends
/// on it).
type Asked = (Option<Text>, Text);

/// What a `Session` drawing one step of a sequential feature sees besides its properties.
pub(super) struct Frame {
    /// The step being drawn.
    pub(super) step: usize,
    length: usize,
    /// The feature's samples at steps `0 .. step`.
    history: History,
    /// The values answered by [`Session::sequence_value`], by property and name: each stays in place
    /// (boxed) while the step is drawn, as a callback may hold several (C callbacks hold pointers).
    answers: Vec<(Asked, Box<Value>)>,
}

/// Whether any of `defs` is a sequential property.
pub(super) fn is_sequential(defs: &[(Text, Rule)]) -> bool {
    defs.iter().any(|(_, rule)| matches!(rule, Rule::Sequential(_)))
}

impl Feature {
    /// Makes property `key` sequential (DeepTrack2's `Sequential(feature, key=step)`): inside a
    /// `Sequence`, its value at every step after the first is sampled by `step`; at step 0 it keeps
    /// the rule it has (DeepTrack2's `initialization`), or, for a new property, `step` samples it at
    /// step 0 too (without `previous_value`). A property that is already sequential keeps its initial
    /// rule. Errors: the property's rule links to another feature (`InvalidArgument`), or those of
    /// [`Feature::set_property`].
    pub fn set_sequential(&self, key: &str, step: Rule) -> Result<()> {
        let initial = match self.defs().iter().find(|(k, _)| k.as_str() == key).map(|(_, r)| r.clone()) {
            Some(Rule::Sequential(s)) => s.initial.clone(),
            other => other,
        };
        let rule = Rule::sequential(initial, step).map_err(|e| e.in_property(key).in_feature(&self.label()))?;
        self.set_property(key, rule)
    }

    /// [`Feature::sample_then`] of a feature with sequential properties at the step of the enclosing
    /// sequence: its sample at that step (drawing the steps up to it first, in order, when it was
    /// not sampled at them), then `then` under its lock.
    pub(super) fn sample_step_then<T>(
        &self,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
        then: impl FnOnce(&mut State, &Arc<PropertyDict>) -> T,
    ) -> Result<(usize, Arc<PropertyDict>, T)> {
        let key = (self.0.uid, SmallVec::from_slice(id));
        let (step, length) = {
            let scope = rs.sequence.as_ref().expect("inside a sequence");
            (scope.step, scope.length)
        };
        loop {
            let history = rs.sequence.as_ref().and_then(|s| s.history.get(&key)).cloned().unwrap_or_default();
            let drawn = history.len();
            if drawn > step {
                let dict = Arc::clone(&history[step]);
                let done = then(&mut self.current(), &dict);
                return Ok((id.len(), dict, done));
            }
            let frame = Frame { step: drawn, length, history, answers: Vec::new() };
            let dict = self.draw_step(id, rs, frame)?;
            let scope = rs.sequence.as_mut().expect("inside a sequence");
            let entry = scope.history.entry(key.clone()).or_default();
            if entry.len() != drawn {
                // A callback of this step resolved the sequence's feature again at this step.
                return Err(Error::invalid("its sequential properties were sampled twice at the same step")
                    .in_feature(&self.label()));
            }
            // The session's reference is gone: the history grows in place.
            Arc::make_mut(entry).push(dict);
        }
    }

    /// Draws the sample of step `frame.step`: at step 0 every property, later the sequential ones
    /// only (the others keep the value of the step before).
    fn draw_step(&self, id: &ReplicaId, rs: &mut Resolver<'_>, frame: Frame) -> Result<Arc<PropertyDict>> {
        if rs.sampling.iter().any(|(uid, sid)| *uid == self.0.uid && sid.as_slice() == id) {
            return Err(Error::new(
                ErrorKind::Cycle,
                "its properties are linked to each other through other features in a cycle",
            )
            .in_feature(&self.label()));
        }
        let defs = self.defs();
        let previous = frame.history.last().cloned();
        let slots = defs
            .iter()
            .map(|(key, rule)| {
                let slot = OnceCell::new();
                if let (Some(previous), false) = (&previous, matches!(rule, Rule::Sequential(_))) {
                    if let Some(value) = previous.get(key.as_str()) {
                        let _ = slot.set(value.clone());
                    }
                }
                slot
            })
            .collect();
        rs.enter(self)?;
        rs.sampling.push((self.0.uid, SmallVec::from_slice(id)));
        let mut session = Session {
            feature: self,
            defs: &defs,
            id,
            slots,
            active: Vec::new(),
            links: Vec::new(),
            rs: &mut *rs,
            seq: Some(frame),
        };
        let result = session.run();
        drop(session);
        rs.sampling.pop();
        rs.depth -= 1;
        Ok(Arc::new(result.map_err(|e| e.in_feature(&self.label()))?))
    }

    /// [`Feature::resolve_batch`] of a pipeline whose items are several images, such as a `Sequence`'s
    /// frames: item `i` is every image a fresh copy of the pipeline seeded for `(seed, i)` resolves
    /// to, a pure function of (pipeline, seed, i) whatever `threads` is. Errors as `resolve_batch`
    /// (the error of the lowest failing item), except that an item may give any number of images.
    pub fn resolve_batch_many(
        &self,
        input: Option<&Image>,
        seed: u64,
        first: u64,
        count: usize,
        threads: usize,
    ) -> Result<Vec<Vec<Image>>> {
        self.batch_with(seed, first, count, threads, None, &|copy, _| copy.resolve(input))
    }

    /// A fingerprint of this feature and every feature it reaches (contained, linked): their
    /// generations (updates, seeds), rules (set_property, set_value) and whether they store
    /// properties. A `Sequence` keeps its frames while its feature's fingerprint stays the same.
    pub(crate) fn sequence_stamp(&self) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.visit(true, &mut |f| {
            f.0.uid.hash(&mut hasher);
            f.generation().hash(&mut hasher);
            (Arc::as_ptr(&f.state().props) as usize).hash(&mut hasher);
            f.0.store.load(Ordering::Relaxed).hash(&mut hasher);
        });
        hasher.finish()
    }
}

impl Session<'_, '_> {
    /// What a rule of a step reads besides the feature's properties: `sequence_step` (and 2.0.2's
    /// `sequence_index`), `sequence_length`, `previous_value` (not at step 0), `previous_values` and
    /// `previous_<key>` (lists, empty at step 0). `NotFound` for any other name.
    pub(super) fn sequence_value(&mut self, name: &str) -> Result<&Value> {
        let current = self.active.last().map(|&i| self.defs[i].0.clone());
        let sibling = |key: &str| self.defs.iter().any(|(k, _)| k.as_str() == key);
        let listed = match name {
            "previous_values" => current.as_ref().map(|k| k.as_str().to_owned()),
            _ => name.strip_prefix("previous_").filter(|k| *k != "value" && sibling(k)).map(str::to_owned),
        };
        let frame = self.seq.as_mut().expect("checked by the caller");
        let at = frame.answers.iter().position(|((k, n), _)| *k == current && n.as_str() == name);
        if let Some(at) = at {
            return Ok(&frame.answers[at].1);
        }
        let not_found = |what: String| Err(Error::not_found(what));
        let value = match name {
            "sequence_step" | "sequence_index" => Value::Int(frame.step as i64),
            "sequence_length" => Value::Int(frame.length as i64),
            "previous_value" => {
                let previous = frame.history.last().zip(current.as_ref()).and_then(|(d, k)| d.get(k.as_str()));
                match previous {
                    Some(value) => value.clone(),
                    None => return not_found("no 'previous_value' at step 0 of a sequence".to_owned()),
                }
            }
            _ => match listed {
                Some(key) => {
                    let mut values = Vec::new();
                    values.try_reserve_exact(frame.history.len()).map_err(|_| {
                        Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {} values", frame.step))
                    })?;
                    values.extend(frame.history.iter().map(|d| d.get(&key).cloned().unwrap_or(Value::None)));
                    Value::List(values)
                }
                None => return not_found(format!("no property '{name}' to depend on")),
            },
        };
        frame.answers.push(((current, Text::new(name)), Box::new(value)));
        Ok(&frame.answers.last().expect("just pushed").1)
    }
}

impl Resolver<'_> {
    /// Resolves `feature` without input at replicate index `id` once per step `0 .. length` (a
    /// `Sequence`'s frames), in order, under a [`SequenceScope`]: its sequential properties take
    /// their value of each step. Returns each step's output. Errors when `length` exceeds
    /// [`MAX_SEQUENCE_LENGTH`] or the frames cannot be allocated (`OutOfMemory`).
    pub fn resolve_steps(&mut self, feature: &Feature, length: usize, id: &ReplicaId) -> Result<Vec<ImageList>> {
        if length > MAX_SEQUENCE_LENGTH {
            return Err(Error::invalid(format!(
                "a sequence of {length} steps exceeds the maximum of {MAX_SEQUENCE_LENGTH}"
            )));
        }
        let mut frames = Vec::new();
        frames.try_reserve_exact(length).map_err(|_| {
            Error::new(ErrorKind::OutOfMemory, format!("cannot allocate the frames of a sequence of {length} steps"))
        })?;
        let previous = self.sequence.replace(SequenceScope { step: 0, length, history: HashMap::new() });
        let mut result = Ok(());
        for step in 0..length {
            self.sequence.as_mut().expect("set above").step = step;
            match self.resolve(feature, &ImageList::new(), id) {
                Ok(frame) => frames.push(frame),
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.sequence = previous;
        result.map(|()| frames)
    }

    /// The step of the enclosing sequence, if any.
    pub fn sequence(&self) -> Option<&SequenceScope> {
        self.sequence.as_ref()
    }

    /// Whether a result computed now depends on nothing but the pipeline, its input and its
    /// optics context: no enclosing sequence step, bound values or feature-valued property (a
    /// `Sequence` keeps its frames only then).
    pub(crate) fn plain_scope(&self) -> bool {
        self.sequence.is_none() && self.overrides.is_empty() && self.feature_values == 0
    }
}
