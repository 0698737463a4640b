//! Tag routing (ROUTING.md §8): which deployments a request's tags may reach.
//!
//! Tag names are interned once into a [`TagVocabulary`] (deployment tags and tag budgets), and
//! each deployment's tags become a [`TagSet`] bitmask, so the filter is a few integer operations
//! per candidate. With tags on the request: the deployments having any of them (all of them
//! when `tag_filtering_match_any` is false; untagged deployments never match), else those
//! tagged `default` when none of the request's tags is known to the group, else a refusal naming
//! the model and tags. Without tags: the `default`
//! deployments if any, else all.

use std::collections::BTreeMap;
use std::sync::Arc;

/// The tag that catches requests no other tag matches.
pub const DEFAULT_TAG: &str = "default";

/// Up to 128 distinct tags as a bitmask, kept as two words (low bits first) rather than a
/// `u128`: a `u128` is aligned to 16 bytes, which pads every request that holds a set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TagSet([u64; 2]);

impl TagSet {
    /// No tags.
    pub const EMPTY: TagSet = TagSet([0; 2]);

    /// The set whose tag ids are the set bits of `bits`.
    #[inline]
    pub const fn from_bits(bits: u128) -> TagSet {
        TagSet([bits as u64, (bits >> 64) as u64])
    }

    /// The set as a bitmask: bit `i` for tag id `i`.
    #[inline]
    pub const fn bits(self) -> u128 {
        (self.0[1] as u128) << 64 | self.0[0] as u128
    }

    /// The tags of either set.
    #[inline]
    pub fn union(self, other: TagSet) -> TagSet {
        TagSet::from_bits(self.bits() | other.bits())
    }

    /// Whether the sets share a tag.
    #[inline]
    pub fn intersects(self, other: TagSet) -> bool {
        self.bits() & other.bits() != 0
    }

    /// Whether every tag of `other` is in `self`.
    #[inline]
    pub fn contains_all(self, other: TagSet) -> bool {
        self.bits() & other.bits() == other.bits()
    }

    /// Whether the set is empty.
    #[inline]
    pub fn is_empty(self) -> bool {
        self.bits() == 0
    }

    /// The tag ids in the set, lowest first (one step per tag, not per bit).
    pub fn ids(self) -> impl Iterator<Item = usize> {
        let mut rest = self.bits();
        std::iter::from_fn(move || {
            if rest == 0 {
                return None;
            }
            let id = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            Some(id)
        })
    }
}

pub use crate::config::load::MAX_TAGS;

/// Interned tag names.
#[derive(Debug, Clone, Default)]
pub struct TagVocabulary {
    ids: BTreeMap<String, usize>,
    names: Vec<String>,
}

impl TagVocabulary {
    /// Interns `names` (sorted, deduplicated); more than [`MAX_TAGS`] is refused with the count.
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<TagVocabulary, usize> {
        let mut all: Vec<&str> = names.into_iter().collect();
        all.sort_unstable();
        all.dedup();
        if all.len() > MAX_TAGS {
            return Err(all.len());
        }
        Ok(TagVocabulary {
            ids: all
                .iter()
                .enumerate()
                .map(|(i, n)| (n.to_string(), i))
                .collect(),
            names: all.iter().map(|n| n.to_string()).collect(),
        })
    }

    /// The id of a tag, if known.
    pub fn id(&self, name: &str) -> Option<usize> {
        self.ids.get(name).copied()
    }

    /// A tag's name.
    pub fn name(&self, id: usize) -> &str {
        &self.names[id]
    }

    /// The set of the known tags among `names`.
    pub fn set<S: AsRef<str>>(&self, names: &[S]) -> TagSet {
        TagSet::from_bits(
            names
                .iter()
                .filter_map(|n| self.id(n.as_ref()))
                .fold(0u128, |m, i| m | (1u128 << i)),
        )
    }

    /// The `default` tag as a set (empty when no deployment uses it).
    pub fn default_set(&self) -> TagSet {
        self.set(&[DEFAULT_TAG])
    }
}

/// A request's tags: the names as sent, the known ones as a set, and whether any is unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestTags {
    /// The tags as the request sent them (`None` for none: an untagged request allocates
    /// nothing).
    pub names: Option<Arc<[String]>>,
    /// The ones the vocabulary knows.
    pub set: TagSet,
    /// Whether some tag is unknown to every deployment and budget.
    pub has_unknown: bool,
}

impl RequestTags {
    /// `names` interpreted against `vocabulary`.
    pub fn new(names: &[String], vocabulary: &TagVocabulary) -> RequestTags {
        RequestTags {
            names: (!names.is_empty()).then(|| names.iter().cloned().collect()),
            set: vocabulary.set(names),
            has_unknown: names.iter().any(|n| vocabulary.id(n).is_none()),
        }
    }

    /// Whether the request carries no tags.
    pub fn is_empty(&self) -> bool {
        self.names().is_empty()
    }

    /// The tags as the request sent them.
    pub fn names(&self) -> &[String] {
        self.names.as_deref().unwrap_or(&[])
    }
}

/// Whether a deployment with `tags` may serve a request with `request` tags, before the
/// `default` fallback (match-any or match-all).
#[inline]
pub fn matches(tags: TagSet, request: &RequestTags, match_any: bool) -> bool {
    if match_any {
        tags.intersects(request.set)
    } else {
        !tags.is_empty() && !request.has_unknown && tags.contains_all(request.set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_lists_the_set_bits() {
        let set = TagSet::from_bits((1 << 3) | (1 << 64) | (1 << 127));
        assert_eq!(set.bits(), (1 << 3) | (1 << 64) | (1 << 127));
        assert_eq!(set.ids().collect::<Vec<_>>(), [3, 64, 127]);
        assert_eq!(TagSet::EMPTY.ids().count(), 0);
    }

    #[test]
    fn match_any_and_match_all() {
        let v = TagVocabulary::new(["teamA", "teamB", "teamC"]).unwrap();
        let deployment = v.set(&["teamA", "teamB"]);
        let ac = RequestTags::new(&["teamA".into(), "teamC".into()], &v);
        let c = RequestTags::new(&["teamC".into()], &v);
        assert!(matches(deployment, &ac, true), "teamA is shared");
        assert!(!matches(deployment, &c, true));
        assert!(
            !matches(deployment, &ac, false),
            "match-all needs teamC too"
        );
        let ab = RequestTags::new(&["teamA".into(), "teamB".into()], &v);
        assert!(matches(deployment, &ab, false));
        let unknown = RequestTags::new(&["teamA".into(), "nobody".into()], &v);
        assert!(unknown.has_unknown && !matches(deployment, &unknown, false));
    }
}
