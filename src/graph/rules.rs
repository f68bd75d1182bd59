//! A feature's property rules: setting them (`set_property`), pinning values until the next update
//! (`set_value`), and reading the values sampled from them.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::nesting::{LINK_EPOCH, starting_depth};
use super::{Feature, Resolver, State, busy};
use crate::error::{Error, Result};
use crate::features::registry::KindSpec;
use crate::properties::Rule;

use crate::value::{Text, Value};

/// Where a new property `key` goes among `props`: a parameter of the kind's spec before the first
/// property that comes after it in the spec (so that a required parameter set after construction
/// takes its place in DeepTrack2's order), any other key before `name`.
fn new_property_position(props: &[(Text, Rule)], spec: Option<&KindSpec>, key: &str) -> usize {
    let name = props.iter().position(|(k, _)| k.as_str() == "name").unwrap_or(props.len());
    let Some(spec) = spec else { return name };
    let index = |k: &str| spec.params.iter().position(|p| p.name == k);
    match index(key) {
        Some(mine) => {
            props.iter().position(|(k, _)| index(k.as_str()).is_some_and(|j| j > mine)).unwrap_or(name).min(name)
        }
        None => name,
    }
}

/// Whether every rule of `props` draws its value on its own (see `State::simple`).
pub(super) fn all_simple(props: &[(Text, Rule)]) -> bool {
    props.iter().all(|(_, rule)| rule.is_simple())
}

/// How many of `props` link to other features.
pub(super) fn count_links(props: &[(Text, Rule)]) -> usize {
    props.iter().filter(|(_, rule)| rule.links()).count()
}

impl Feature {
    /// `rule` as property `key` of this feature holds it: a link to one's own property becomes a
    /// sibling read (no ownership loop, real cycle checks); a link or feature output is checked for
    /// depth and cycles (and this feature as its own value refused); the items of a list rule alike.
    fn own_rule(&self, key: &str, rule: Rule) -> Result<Rule> {
        Ok(match rule {
            Rule::PropertyOf { feature, key: source } if feature.ptr_eq(self) => {
                Rule::callback(move |ctx| ctx.get(source.as_str()).cloned())
            }
            Rule::PropertyOf { feature, key } => {
                self.link_depth(&feature, key.as_str())?;
                Rule::PropertyOf { feature, key }
            }
            Rule::FeatureOutput(feature) if feature.ptr_eq(self) => {
                return Err(Error::invalid("a feature cannot be the value of its own property")
                    .in_property(key)
                    .in_feature(&self.label()));
            }
            Rule::FeatureOutput(feature) => {
                self.link_depth(&feature, key)?;
                Rule::FeatureOutput(feature)
            }
            Rule::Items { items, tuple } if items.iter().any(Rule::links) => {
                let items = items.iter().map(|r| self.own_rule(key, r.clone())).collect::<Result<Vec<_>>>()?;
                Rule::Items { items: Arc::new(items), tuple }
            }
            other => other,
        })
    }

    /// Puts back the rules of the properties pinned by [`Feature::set_value`] (an update ends a pin).
    /// The pinned constants dropped here hold no user data.
    pub(super) fn unpin(&self, state: &mut State) {
        let mut props: Vec<(Text, Rule)> = state.props.iter().cloned().collect();
        for (key, rule) in std::mem::take(&mut state.pins) {
            if let Some(slot) = props.iter_mut().find(|(k, _)| *k == key) {
                slot.1 = rule;
            }
        }
        self.0.links.store(count_links(&props), Ordering::Relaxed);
        state.simple = all_simple(&props);
        state.props = Arc::new(props);
    }

    /// The properties' rules with those pinned by [`Feature::set_value`] put back: what an update gives.
    pub(super) fn unpinned_defs(&self) -> Vec<(Text, Rule)> {
        let st = self.current();
        let mut props: Vec<(Text, Rule)> = st.props.iter().cloned().collect();
        for (key, rule) in &st.pins {
            if let Some(slot) = props.iter_mut().find(|(k, _)| k == key) {
                slot.1 = rule.clone();
            }
        }
        props
    }

    pub(super) fn defs(&self) -> Arc<Vec<(Text, Rule)>> {
        Arc::clone(&self.current().props)
    }

    /// The property names in order (`name` last unless set explicitly elsewhere).
    pub fn property_names(&self) -> Vec<String> {
        self.defs().iter().map(|(k, _)| k.as_str().to_owned()).collect()
    }

    /// Whether the feature has a property `key`.
    pub fn has_property(&self, key: &str) -> bool {
        self.defs().iter().any(|(k, _)| k.as_str() == key)
    }

    /// Sets the rule of property `key`: replaces an existing one in place, or adds a new property before
    /// `name` (any key is accepted and kept as metadata). Drops this feature's cached samples.
    pub fn set_property(&self, key: &str, rule: Rule) -> Result<()> {
        if key.is_empty() {
            return Err(Error::invalid("property names must not be empty").in_feature(&self.label()));
        }
        if key == "_ID" {
            return Err(Error::invalid("'_ID' is set by repeats and cannot be a property").in_feature(&self.label()));
        }
        if let Some(param) = self.0.spec.and_then(|s| s.param(key)).filter(|p| p.is_feature()) {
            // Whatever the rule (a constant, a feature's output, a random draw): never a property.
            return Err(Error::invalid(format!(
                "'{}' is a feature given at construction, not a property (deeptrack_feature_new_with)",
                param.name
            ))
            .in_property(key)
            .in_feature(&self.label()));
        }
        if let (Rule::Constant(v), Some(spec)) = (&rule, self.0.spec) {
            spec.validate(key, v).map_err(|e| e.in_property(key).in_feature(&self.label()))?;
        }
        let rule = self.own_rule(key, rule)?;
        if key == "name" {
            if let Rule::Constant(Value::Str(s)) = &rule {
                let new = Arc::new(s.as_str().to_owned());
                // Replaced in one store, and the old one dropped after the lock is given back.
                let old = std::mem::replace(&mut *self.0.label.lock(), new);
                drop(old);
            }
        }
        // The replaced rule (and the previous property list, if shared) and the dropped caches are
        // dropped after the lock is released: dropping may run user destructors (free_userdata), which
        // may call back in.
        let stale = {
            let mut st = self.state();
            // A new list, put in place by one pointer store: a fork never finds the rules
            // half-changed (see `State::recover`).
            let mut props = Vec::with_capacity(st.props.len() + 1);
            props.extend(st.props.iter().cloned());
            let old = match props.iter_mut().find(|(k, _)| k.as_str() == key) {
                Some(slot) => Some(std::mem::replace(&mut slot.1, rule)),
                None => {
                    let at = new_property_position(&props, self.0.spec, key);
                    props.insert(at, (Text::new(key), rule));
                    None
                }
            };
            self.0.links.store(count_links(&props), Ordering::Relaxed);
            let simple = all_simple(&props);
            let previous = std::mem::replace(&mut st.props, Arc::new(props));
            st.simple = simple;
            st.linked = false;
            // A rule set now replaces a pin of the same property, for good.
            let unpinned: Vec<(Text, Rule)> = match st.pins.iter().position(|(k, _)| k.as_str() == key) {
                Some(i) => vec![st.pins.swap_remove(i)],
                None => Vec::new(),
            };
            (old, previous, st.samples.take(), st.outputs.take(), unpinned)
        };
        // After the new rule is in place: a run that checks the depth from now on sees it.
        LINK_EPOCH.fetch_add(1, Ordering::Relaxed);
        drop(stale);
        Ok(())
    }

    /// Puts the properties in the order of `keys`, which must name each of them once (any order of
    /// [`Feature::property_names`]): the order of its dicts and of its names. DeepTrack2 2.0.1 orders a
    /// feature's properties as its `PropertyDict` builds them, in passes over the keyword arguments
    /// that take a property once those its function names are built (`Add(value=lambda scale: …,
    /// scale=3)` gives `scale, name, value`); a binding that knows the functions' parameters orders
    /// them so. Drops this feature's cached samples and results (their dicts had the old order).
    /// `InvalidArgument`, changing nothing, when `keys` is not such a permutation.
    pub fn order_properties(&self, keys: &[&str]) -> Result<()> {
        let label = self.label();
        let stale = {
            let mut st = self.state();
            let mut props: Vec<Option<(Text, Rule)>> = st.props.iter().cloned().map(Some).collect();
            let mut ordered = Vec::with_capacity(props.len());
            for key in keys {
                let slot = props.iter_mut().find(|p| p.as_ref().is_some_and(|(k, _)| k.as_str() == *key));
                match slot.and_then(Option::take) {
                    Some(prop) => ordered.push(prop),
                    None if st.props.iter().any(|(k, _)| k.as_str() == *key) => {
                        return Err(Error::invalid(format!("the property '{key}' is named twice")).in_feature(&label));
                    }
                    None => {
                        return Err(Error::invalid(format!("there is no property '{key}' to order")).in_feature(&label));
                    }
                }
            }
            if let Some((missing, _)) = props.iter().flatten().next() {
                return Err(Error::invalid(format!(
                    "the order leaves out the property '{}' (name each property once)",
                    missing.as_str()
                ))
                .in_feature(&label));
            }
            let previous = std::mem::replace(&mut st.props, Arc::new(ordered));
            (previous, st.samples.take(), st.outputs.take())
        };
        drop(stale);
        Ok(())
    }

    /// The current value of property `key` at top level (`_ID` empty): the value sampled by the last
    /// resolve at top level, or a new sample drawn with this feature's generator (and kept, like any
    /// sample, until the next update).
    pub fn get_property(&self, key: &str) -> Result<Value> {
        if !self.has_property(key) {
            return Err(Error::not_found(format!("no property '{key}'")).in_feature(&self.label()));
        }
        let start = starting_depth(self)?;
        let mut guard = self.0.rng.take(self.generation()).ok_or_else(|| busy(&self.label()))?;
        self.check_depth()?;
        let mut rs = Resolver::new(guard.rng());
        rs.depth = start;
        let (_, dict) = self.sample(&[], &mut rs)?;
        dict.get(key).cloned().ok_or_else(|| Error::not_found(format!("no property '{key}'")).in_feature(&self.label()))
    }

    /// Pins property `key` to `value` until the next update (DeepTrack2's `feature.key.set_value(value)`):
    /// the value stands in place of the property's rule, the feature's cached samples and results are
    /// dropped (so the properties that read it, here and in features linking to it, are sampled again),
    /// and the next update puts the rule back. Setting the value the property already has (its
    /// constant, or its current sample at top level) changes nothing and keeps the cached results, as
    /// in DeepTrack2. Returns whether anything changed. Errors: no property `key` (`NotFound`), `name`
    /// or `_ID`, or a value the kind refuses for that parameter (the message names the property).
    pub fn set_value(&self, key: &str, value: Value) -> Result<bool> {
        self.check_settable(key, &value)?;
        let stale = {
            let mut st = self.current();
            let Some(at) = st.props.iter().position(|(k, _)| k.as_str() == key) else {
                return Err(Error::not_found(format!("no property '{key}'")).in_feature(&self.label()));
            };
            let unchanged = match &st.props[at].1 {
                Rule::Constant(v) => v.equivalent(&value),
                _ => st
                    .samples
                    .get(&[])
                    .is_some_and(|s| s.links.is_empty() && s.dict.get(key).is_some_and(|v| v.equivalent(&value))),
            };
            if unchanged {
                return Ok(false);
            }
            let mut props: Vec<(Text, Rule)> = st.props.iter().cloned().collect();
            let rule = std::mem::replace(&mut props[at].1, Rule::Constant(value));
            // The first pin keeps the rule; a later one only replaces the pinned constant.
            let replaced = if st.pins.iter().any(|(k, _)| k.as_str() == key) {
                Some(rule)
            } else {
                st.pins.push((props[at].0.clone(), rule));
                None
            };
            // The pinned rules' links count: the traversals (an update) still reach their sources.
            self.0.links.store(count_links(&props) + count_links(&st.pins), Ordering::Relaxed);
            st.simple = all_simple(&props);
            st.linked = false;
            let previous = std::mem::replace(&mut st.props, Arc::new(props));
            (replaced, previous, st.samples.take(), st.outputs.take())
        };
        // Dropped after the lock is released (a replaced rule may hold user data).
        drop(stale);
        Ok(true)
    }

    /// [`Feature::set_value`] on every feature of this pipeline that has a property `key` (this one,
    /// the features it contains and the features given as its properties' values), as DeepTrack2's
    /// `feature.resolve(x, key=value)` does before it resolves. A feature outside the pipeline whose
    /// property one of these links to (`Add(value=p.value)`) keeps its value, as in DeepTrack2 2.0.1
    /// (its dependency walk reaches that property, not the dict of the feature holding it); the
    /// linking property itself takes the value. The value is checked against every such feature
    /// first: on error nothing is set. Returns how many features have the property.
    pub fn set_value_everywhere(&self, key: &str, value: &Value) -> Result<usize> {
        let mut targets = Vec::new();
        self.visit_by(super::Follow::FeatureValues, &mut |f| {
            if f.has_property(key) {
                targets.push(f.clone());
            }
        });
        for f in &targets {
            f.check_settable(key, value)?;
        }
        for f in &targets {
            f.set_value(key, value.clone())?;
        }
        Ok(targets.len())
    }

    /// Whether `value` may be pinned as property `key` of this feature (see [`Feature::set_value`]).
    fn check_settable(&self, key: &str, value: &Value) -> Result<()> {
        if key == "name" || key == "_ID" {
            return Err(Error::invalid(format!("'{key}' cannot be set with set_value")).in_feature(&self.label()));
        }
        if let Some(spec) = self.0.spec {
            spec.validate(key, value).map_err(|e| e.in_property(key).in_feature(&self.label()))?;
        }
        Ok(())
    }

    /// The sampled values of the properties `names` (DeepTrack2's `TakeProperties`): from this
    /// feature and every feature it contains or links to that has all of them, each of its current
    /// samples at a replicate index that starts with `prefix` (in the order of the indices). One list
    /// per name, aligned. Nothing is sampled: a feature not resolved since its last update gives none.
    pub fn sampled_values(&self, names: &[&str], prefix: &[usize]) -> Vec<Vec<Value>> {
        let mut out = vec![Vec::new(); names.len()];
        self.visit(true, &mut |f| {
            let defs = f.defs();
            if !names.iter().all(|n| defs.iter().any(|(k, _)| k.as_str() == *n)) {
                return;
            }
            let st = f.current();
            for (id, sample) in st.samples.entries() {
                if !id.starts_with(prefix) {
                    continue;
                }
                for (values, name) in out.iter_mut().zip(names) {
                    values.push(sample.dict.get(name).cloned().unwrap_or(Value::None));
                }
            }
        });
        out
    }
}
