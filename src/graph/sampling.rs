//! Sampling a feature's properties at a replicate index: the cached sample at the longest prefix while
//! the links it read are current, else a new draw (rules that read nothing under the lock that found
//! the sample missing; others in a `Session` that evaluates siblings, links and feature values on
//! demand, and reports cycles).

use std::cell::OnceCell;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use rand::RngCore;
use smallvec::SmallVec;

use super::nesting::MAX_NESTING;
use super::{Feature, ReplicaId, Resolver, State};
use crate::error::{Error, ErrorKind, Result};
use crate::image::{ImageList, same_list};
use crate::properties::{PropertyDict, Rule, SampleContext};
use crate::rng::Generator;
use crate::value::{Text, Value};

/// A sample and the linked samples it read: it stays valid only while those are still current.
#[derive(Clone)]
pub(super) struct Sample {
    pub(super) dict: Arc<PropertyDict>,
    pub(super) links: Vec<LinkUse>,
}

#[derive(Clone)]
pub(super) struct LinkUse {
    pub(super) source: Feature,
    pub(super) id: Vec<usize>,
    pub(super) dict: Arc<PropertyDict>,
    /// For a feature-valued property, the replicate index the source was resolved at and the output
    /// the value was taken from.
    pub(super) output: Option<(Vec<usize>, ImageList)>,
}

impl Feature {
    /// Sampled properties at `id`: the valid sample cached at `id` or at its longest prefix (so a value
    /// sampled outside a repeat is shared by its repetitions, as in DeepTrack2), or a new one drawn at
    /// `id`. Returns the length of the prefix it was found at, with the dict.
    pub(super) fn sample(&self, id: &ReplicaId, rs: &mut Resolver<'_>) -> Result<(usize, Arc<PropertyDict>)> {
        self.sample_then(id, rs, |_, _| ()).map(|(n, dict, ())| (n, dict))
    }

    /// [`Feature::sample`], then `then(state, dict)` under the same lock as the last look at the
    /// samples (one lock instead of two on the hot path of a resolve).
    pub(super) fn sample_then<T>(
        &self,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
        then: impl FnOnce(&mut State, &Arc<PropertyDict>) -> T,
    ) -> Result<(usize, Arc<PropertyDict>, T)> {
        // Hook (sequences): inside a `Sequence`, a feature with sequential properties has a sample
        // per step (src/graph/sequence.rs).
        if rs.sequence.is_some() && super::sequence::is_sequential(&self.defs()) {
            return self.sample_step_then(id, rs, then);
        }
        self.sample_plain_then(id, rs, then)
    }

    /// [`Feature::sample_then`] outside a sequence's steps.
    fn sample_plain_then<T>(
        &self,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
        then: impl FnOnce(&mut State, &Arc<PropertyDict>) -> T,
    ) -> Result<(usize, Arc<PropertyDict>, T)> {
        if !rs.overrides.is_empty() {
            let defs = self.defs();
            // Bound values, or links that may read a bound feature's values: a sample of their own,
            // never kept (see `Resolver::with_overrides`).
            let links = self.0.links.load(Ordering::Relaxed) > 0;
            if links || defs.iter().any(|(k, _)| rs.bound(k.as_str()).is_some()) {
                let (dict, _) = self.draw(id, rs, &defs)?;
                let done = then(&mut self.current(), &dict);
                return Ok((id.len(), dict, done));
            }
        }
        // One lock: the sample cached at the longest prefix, and the rules in case it must be drawn.
        let (cached, defs) = {
            let mut st = self.current();
            let cached = (0..=id.len()).rev().find_map(|n| st.samples.get(&id[..n]).map(|s| (n, s.clone())));
            match cached {
                // Without links, a cached sample is current: done under this lock.
                Some((n, sample)) if sample.links.is_empty() => {
                    let done = then(&mut st, &sample.dict);
                    return Ok((n, sample.dict, done));
                }
                // Rules that read nothing else are drawn here, under this lock.
                None if st.simple => {
                    let pixel = rs.pixel_unit();
                    let dict =
                        Arc::new(draw_simple(&st.props, rs.rng, id, pixel).map_err(|e| e.in_feature(&self.label()))?);
                    let sample = Sample { dict: Arc::clone(&dict), links: Vec::new() };
                    let stale = st.samples.insert(id, sample).map_err(|e| e.in_feature(&self.label()))?;
                    let done = then(&mut st, &dict);
                    drop(st);
                    drop(stale);
                    return Ok((id.len(), dict, done));
                }
                cached => (cached, Arc::clone(&st.props)),
            }
        };
        if let Some((n, sample)) = cached {
            if self.links_current(&sample, 0) && Self::feature_values_current(&sample, rs)? {
                let done = then(&mut self.current(), &sample.dict);
                return Ok((n, sample.dict, done));
            }
        }
        let (dict, links) = self.draw(id, rs, &defs)?;
        let (stale, done) = {
            let mut st = self.current();
            st.linked |= !links.is_empty();
            let stale = st.samples.insert(id, Sample { dict: Arc::clone(&dict), links });
            let stale = stale.map_err(|e| e.in_feature(&self.label()))?;
            (stale, then(&mut st, &dict))
        };
        drop(stale);
        Ok((id.len(), dict, done))
    }

    /// Draws a sample at `id` of rules that may read siblings, links and feature values (which may
    /// sample and resolve other features, recursively: kept out of the callers' stack frames).
    #[inline(never)]
    fn draw(
        &self,
        id: &ReplicaId,
        rs: &mut Resolver<'_>,
        defs: &[(Text, Rule)],
    ) -> Result<(Arc<PropertyDict>, Vec<LinkUse>)> {
        if rs.sampling.iter().any(|(uid, sid)| *uid == self.0.uid && sid.as_slice() == id) {
            return Err(Error::new(
                ErrorKind::Cycle,
                "its properties are linked to each other through other features in a cycle",
            )
            .in_feature(&self.label()));
        }
        rs.enter(self)?;
        rs.sampling.push((self.0.uid, SmallVec::from_slice(id)));
        let mut session = Session {
            feature: self,
            defs,
            id,
            slots: (0..defs.len()).map(|_| OnceCell::new()).collect(),
            active: Vec::new(),
            links: Vec::new(),
            rs: &mut *rs,
            seq: None,
        };
        let result = session.run();
        let links = std::mem::take(&mut session.links);
        rs.sampling.pop();
        rs.depth -= 1;
        Ok((Arc::new(result.map_err(|e| e.in_feature(&self.label()))?), links))
    }

    /// The sample cached at `id` or at its longest prefix, if every link it read is still current.
    fn valid_sample(&self, id: &ReplicaId, depth: usize) -> Option<(usize, Arc<PropertyDict>)> {
        let (n, sample) = {
            let st = self.current();
            (0..=id.len()).rev().find_map(|n| st.samples.get(&id[..n]).map(|s| (n, s.clone())))?
        };
        self.links_current(&sample, depth).then_some((n, sample.dict))
    }

    /// Whether the outputs that the feature-valued properties of `sample` were taken from are still
    /// the outputs of their features (resolved again, which costs a cache lookup when nothing below
    /// them changed): a feature value follows the features it is computed from, across updates of
    /// those and new inputs of the pipeline, as in DeepTrack2.
    fn feature_values_current(sample: &Sample, rs: &mut Resolver<'_>) -> Result<bool> {
        for link in &sample.links {
            let Some((id, output)) = &link.output else { continue };
            rs.feature_values += 1;
            let now = rs.resolve(&link.source, &ImageList::new(), id);
            rs.feature_values -= 1;
            if !same_list(&now?, output) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Whether every linked sample that `sample` read is still the current one.
    fn links_current(&self, sample: &Sample, depth: usize) -> bool {
        sample.links.is_empty()
            || (depth < MAX_NESTING
                && sample.links.iter().all(|l| {
                    l.source
                        .valid_sample(&l.id, depth + 1)
                        .is_some_and(|(m, d)| m == l.id.len() && Arc::ptr_eq(&d, &l.dict))
                }))
    }
}

/// Draws a sample of rules that read nothing else (see `State::simple`), in order.
fn draw_simple(props: &[(Text, Rule)], rng: &mut Generator, id: &ReplicaId, pixel: f64) -> Result<PropertyDict> {
    let mut ctx = Draw { rng, id, pixel };
    let mut dict = PropertyDict::with_capacity(props.len());
    for (key, rule) in props {
        let value = rule.sample_simple(&mut ctx).map_err(|e| e.in_property(key.as_str()))?;
        dict.push_unchecked(key.clone(), value);
    }
    Ok(dict)
}

/// The context of [`draw_simple`]: a generator, the replicate index and the pixel size, no siblings.
struct Draw<'a> {
    rng: &'a mut Generator,
    id: &'a ReplicaId,
    pixel: f64,
}

impl SampleContext for Draw<'_> {
    fn get(&mut self, name: &str) -> Result<&Value> {
        Err(Error::invalid(format!("property '{name}' read by a rule that reads nothing")))
    }

    fn rng(&mut self) -> &mut dyn RngCore {
        &mut *self.rng
    }

    fn replicate_index(&self) -> &[usize] {
        self.id
    }

    fn pixel_size(&self) -> f64 {
        self.pixel
    }
}

/// Samples one feature's properties at one replicate index, resolving sibling dependencies on demand.
pub(super) struct Session<'a, 'r> {
    pub(super) feature: &'a Feature,
    pub(super) defs: &'a [(Text, Rule)],
    pub(super) id: &'a ReplicaId,
    pub(super) slots: Vec<OnceCell<Value>>,
    /// The callbacks being evaluated (the only rules that read siblings), outermost first.
    pub(super) active: Vec<usize>,
    /// The linked samples read, to tell later whether this sample is still current.
    pub(super) links: Vec<LinkUse>,
    pub(super) rs: &'a mut Resolver<'r>,
    /// Hook (sequences): the step being drawn and the feature's earlier steps, when drawn by a
    /// `Sequence` (src/graph/sequence.rs); `None` otherwise.
    pub(super) seq: Option<super::sequence::Frame>,
}

impl Session<'_, '_> {
    pub(super) fn run(&mut self) -> Result<PropertyDict> {
        for i in 0..self.defs.len() {
            self.eval(i)?;
        }
        let mut dict = PropertyDict::with_capacity(self.defs.len());
        for ((key, _), slot) in self.defs.iter().zip(&mut self.slots) {
            dict.push_unchecked(key.clone(), slot.take().expect("every slot evaluated"));
        }
        Ok(dict)
    }

    pub(super) fn eval(&mut self, i: usize) -> Result<()> {
        if self.slots[i].get().is_some() {
            return Ok(());
        }
        let defs = self.defs;
        if let Some(pos) = self.active.iter().position(|&a| a == i) {
            let chain: Vec<String> =
                self.active[pos..].iter().chain([&i]).map(|&a| format!("'{}'", defs[a].0.as_str())).collect();
            return Err(Error::new(
                ErrorKind::Cycle,
                format!("properties {} depend on each other in a cycle", chain.join(" -> ")),
            )
            .in_feature(&self.feature.label()));
        }
        let (key, rule) = &defs[i];
        if let Some(value) = self.rs.bound(key.as_str()) {
            let _ = self.slots[i].set(value.clone());
            return Ok(());
        }
        // Hook (sequences): a sequential property samples the rule of the step being drawn.
        let rule = match rule {
            Rule::Sequential(s) => s.at(self.seq.as_ref().map_or(0, |frame| frame.step)),
            other => other,
        };
        let result = self.sample_rule(i, rule);
        let value = result.map_err(|e| e.in_property(key.as_str()))?;
        let _ = self.slots[i].set(value);
        Ok(())
    }

    /// The value of `rule`, the rule of property `i` or an item of it.
    fn sample_rule(&mut self, i: usize, rule: &Rule) -> Result<Value> {
        match rule {
            Rule::PropertyOf { feature, key: source_key } => self.link(feature, source_key),
            Rule::FeatureOutput(feature) => self.feature_output(feature),
            Rule::Callback(_) => {
                self.active.push(i);
                let user = self.rs.user_code();
                let value = rule.sample_simple(self);
                drop(user);
                self.active.pop();
                value
            }
            Rule::Items { items, tuple } if !rule.is_simple() => {
                let mut values = Vec::new();
                values.try_reserve_exact(items.len()).map_err(|_| {
                    Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {} values", items.len()))
                })?;
                for item in items.iter() {
                    values.push(self.sample_rule(i, item)?);
                }
                Ok(if *tuple { Value::Tuple(values) } else { Value::List(values) })
            }
            _ => rule.sample_simple(self),
        }
    }

    fn link(&mut self, source: &Feature, key: &Text) -> Result<Value> {
        let (n, dict) = source.sample(self.id, self.rs)?;
        self.links.push(LinkUse {
            source: source.clone(),
            id: self.id[..n].to_vec(),
            dict: Arc::clone(&dict),
            output: None,
        });
        dict.get(key.as_str())
            .cloned()
            .ok_or_else(|| Error::not_found(format!("no property '{}'", key.as_str())).in_feature(&source.label()))
    }
}

impl Session<'_, '_> {
    /// The output of `source` resolved without input at this replicate index, as a value.
    fn feature_output(&mut self, source: &Feature) -> Result<Value> {
        let (n, dict) = source.sample(self.id, self.rs)?;
        let at = self.links.len();
        self.links.push(LinkUse { source: source.clone(), id: self.id[..n].to_vec(), dict, output: None });
        self.rs.feature_values += 1;
        let images = self.rs.resolve(source, &ImageList::new(), self.id);
        self.rs.feature_values -= 1;
        let images = images?;
        self.links[at].output = Some((self.id.to_vec(), images.clone()));
        Ok(match (images.len(), images.first()) {
            (0, _) | (_, None) => Value::None,
            (1, Some(image)) => image.to_value()?,
            (n, _) => {
                let mut values = Vec::new();
                values
                    .try_reserve_exact(n)
                    .map_err(|_| Error::new(ErrorKind::OutOfMemory, format!("cannot allocate a list of {n} arrays")))?;
                for img in images.iter() {
                    values.push(img.to_value()?);
                }
                Value::List(values)
            }
        })
    }
}

impl SampleContext for Session<'_, '_> {
    fn get(&mut self, name: &str) -> Result<&Value> {
        let Some(i) = self.defs.iter().position(|(k, _)| k.as_str() == name) else {
            // Hook (sequences): `sequence_step`, `previous_value`, … of a step being drawn.
            if self.seq.is_some() {
                return self.sequence_value(name);
            }
            return Err(
                Error::not_found(format!("no property '{name}' to depend on")).in_feature(&self.feature.label())
            );
        };
        self.eval(i)?;
        Ok(self.slots[i].get().expect("just evaluated"))
    }

    fn rng(&mut self) -> &mut dyn RngCore {
        &mut *self.rs.rng
    }

    fn replicate_index(&self) -> &[usize] {
        self.id
    }

    fn pixel_size(&self) -> f64 {
        self.rs.pixel_unit()
    }
}
