//! Re-drawing one property of a sample that was already drawn, and reading a feature's cached
//! output: what `NonOverlapping` needs to move the features it places (it re-draws their `position`
//! through its rule, the other properties keeping their values, and makes that their sample).

use std::cell::OnceCell;
use std::sync::Arc;

use smallvec::SmallVec;

use super::{Feature, ReplicaId, Resolver, Sample, Session};
use crate::error::{Error, Result};
use crate::image::ImageList;
use crate::properties::PropertyDict;

impl Feature {
    /// The images this feature gave when it was last resolved at replicate index `id`, if that result
    /// is still current (no update since).
    pub(crate) fn cached_output(&self, id: &ReplicaId) -> Option<ImageList> {
        self.current().outputs.get(id).map(|c| c.output.clone())
    }

    /// Draws property `key` at replicate index `id` again by its rule, every other property keeping
    /// the value of the current sample at `id` (drawn first if there is none; a rule that reads
    /// siblings reads those values), and makes the result this feature's sample at `id`: the next
    /// resolve there computes with it. Returns the new sample (without `_ID`).
    pub fn resample_property(&self, key: &str, id: &ReplicaId, rs: &mut Resolver<'_>) -> Result<Arc<PropertyDict>> {
        let (_, old) = self.sample(id, rs)?;
        let links = {
            let st = self.current();
            (0..=id.len()).rev().find_map(|n| st.samples.get(&id[..n]).map(|s| s.links.clone())).unwrap_or_default()
        };
        let defs = self.defs();
        let Some(i) = defs.iter().position(|(k, _)| k.as_str() == key) else {
            return Err(Error::not_found(format!("no property '{key}' to draw again")).in_feature(&self.label()));
        };
        let slots: Vec<OnceCell<_>> = defs
            .iter()
            .enumerate()
            .map(|(j, (k, _))| {
                let slot = OnceCell::new();
                if let (true, Some(v)) = (j != i, old.get(k.as_str())) {
                    let _ = slot.set(v.clone());
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
            seq: None,
        };
        let result = session.eval(i);
        let read = std::mem::take(&mut session.links);
        let value = session.slots[i].take();
        drop(session);
        rs.sampling.pop();
        rs.depth -= 1;
        result.map_err(|e| e.in_feature(&self.label()))?;
        let value = value.expect("evaluated");
        let mut dict = (*old).clone();
        dict.insert(key, value);
        let dict = Arc::new(dict);
        let mut links = links;
        links.extend(read);
        let stale = {
            let mut st = self.current();
            st.linked |= !links.is_empty();
            st.samples.insert(id, Sample { dict: Arc::clone(&dict), links }).map_err(|e| e.in_feature(&self.label()))?
        };
        drop(stale);
        Ok(dict)
    }
}
