//! Fallback plans: which groups a failed group hands a request to.
//!
//! The three tables (`fallbacks`, `context_window_fallbacks`, `content_policy_fallbacks`) are
//! resolved once to [`Route`]s; `default_fallbacks` acts as a `*` entry of `fallbacks`. A
//! context-window or content-policy failure uses its own table when that table is configured
//! (not empty): the exact entry for the group, else its `*` entry, else no fallback at all, as
//! LiteLLM 1.108.7 raises the original error (router.py 8112–8121, 8144–8153). Only when the
//! kind's table is empty does it use the general table (exact key, then `*`, then
//! `default_fallbacks`). It decides which list
//! applies; the walk through the lists (depth-first, bounded by `max_fallbacks`) is
//! `fallback_walk`'s, and it reads no live state.

use std::collections::BTreeMap;

use super::error_class::FallbackKind;
use super::request::Route;
use crate::config::RouterSettings;
use crate::config::deployment_table::DeploymentTable;
use crate::config::settings::FallbackTable;

/// A fallback list: groups to try in order.
pub type FallbackList = Box<[Route]>;

/// Index of a list in the router's [`FallbackPlans`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListId(pub u32);

/// The resolved fallback tables.
#[derive(Debug, Clone, Default)]
pub struct FallbackPlans {
    /// Every resolved list, indexed by [`ListId`]: the `fallbacks` entries, then the
    /// context-window ones, the content-policy ones, and `default_fallbacks` last.
    lists: Vec<FallbackList>,
    /// `fallbacks` by group name (the first entry for a name wins).
    general: BTreeMap<String, ListId>,
    /// `context_window_fallbacks` by group name (`*` included); empty when not configured.
    context_window: BTreeMap<String, ListId>,
    /// `content_policy_fallbacks` by group name (`*` included); empty when not configured.
    content_policy: BTreeMap<String, ListId>,
    /// The `*` entry of `fallbacks`.
    general_star: Option<ListId>,
    /// `default_fallbacks`.
    default: Option<ListId>,
}

/// Resolves fallback names as requested model names are resolved (group, alias, deployment id,
/// wildcard). A name nothing matches stays in the list as [`Route::Unknown`] and fails as an
/// unknown model when the walk reaches it.
fn resolve(
    names: &[String],
    table: &DeploymentTable,
    aliases: &BTreeMap<String, String>,
) -> FallbackList {
    names
        .iter()
        .map(|n| match table.resolve(n, aliases) {
            Some(t) => Route::To(t),
            None => Route::Unknown,
        })
        .collect()
}

impl FallbackPlans {
    /// Resolves the settings' tables against the deployments.
    pub fn new(settings: &RouterSettings, table: &DeploymentTable) -> Self {
        let mut plans = FallbackPlans::default();
        let add = |plans: &mut FallbackPlans, src: &FallbackTable| -> BTreeMap<String, ListId> {
            let mut map = BTreeMap::new();
            for (group, names) in src {
                let id = ListId(plans.lists.len() as u32);
                plans
                    .lists
                    .push(resolve(names, table, &settings.model_group_alias));
                // The first entry for a group wins, as in LiteLLM's scan of the list.
                map.entry(group.clone()).or_insert(id);
            }
            map
        };
        let general = add(&mut plans, &settings.fallbacks);
        let context = add(&mut plans, &settings.context_window_fallbacks);
        let content = add(&mut plans, &settings.content_policy_fallbacks);
        plans.general_star = general.get("*").copied();
        plans.general = general;
        plans.context_window = context;
        plans.content_policy = content;
        if !settings.default_fallbacks.is_empty() {
            plans.default = Some(ListId(plans.lists.len() as u32));
            plans.lists.push(resolve(
                &settings.default_fallbacks,
                table,
                &settings.model_group_alias,
            ));
        }
        plans
    }

    /// The list with this id.
    pub fn list(&self, id: ListId) -> &[Route] {
        &self.lists[id.0 as usize]
    }

    /// The general list for a group named `group` (exact, then `*`, then `default_fallbacks`).
    pub fn general_for(&self, group: &str) -> Option<ListId> {
        self.general
            .get(group)
            .copied()
            .or(self.general_star)
            .or(self.default)
    }

    /// The list a failure of `kind` in group `group` moves to.
    ///
    /// A configured kind-specific table decides alone: without an entry for the group (exact or
    /// `*`) the failure has no fallback, even if `fallbacks` has one (LiteLLM 1.108.7,
    /// `if context_window_fallback_model_group is None: raise original_exception`).
    pub fn for_failure(&self, group: &str, kind: FallbackKind) -> Option<ListId> {
        let specific = match kind {
            FallbackKind::General => return self.general_for(group),
            FallbackKind::ContextWindow => &self.context_window,
            FallbackKind::ContentPolicy => &self.content_policy,
        };
        if specific.is_empty() {
            return self.general_for(group);
        }
        specific.get(group).or_else(|| specific.get("*")).copied()
    }

    /// `default_fallbacks`, where an unknown model goes.
    pub fn default_list(&self) -> Option<ListId> {
        self.default
    }

    /// Whether the group has a general fallback configured (LiteLLM's `_has_fallback_group`).
    pub fn has_general(&self, group: &str) -> bool {
        self.general_for(group)
            .is_some_and(|id| !self.list(id).is_empty())
    }
}
