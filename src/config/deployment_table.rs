//! The router's table of deployments and model groups, built once from the config.
//!
//! It decides how deployments are indexed ([`DeploymentIdx`], [`GroupIdx`]), which deployments
//! form a group, and how a requested model name resolves to a [`Target`]: an alias, a group, a
//! deployment id, a `*` wildcard entry, or a `litellm_params.model` (the deployments that call
//! it). It holds no live state and makes no choices.

use std::collections::BTreeMap;

use super::DeploymentConfig;

/// Index of a deployment in the router's table (file order of `model_list`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeploymentIdx(pub u32);

impl DeploymentIdx {
    /// As a slice index.
    pub fn get(self) -> usize {
        self.0 as usize
    }
}

/// Index of a model group in the router's table (sorted by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupIdx(pub u32);

impl GroupIdx {
    /// As a slice index.
    pub fn get(self) -> usize {
        self.0 as usize
    }
}

/// Index of a distinct `litellm_params.model` in the router's table (sorted by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModelIdx(pub u32);

impl ModelIdx {
    /// As a slice index.
    pub fn get(self) -> usize {
        self.0 as usize
    }
}

/// What a requested model name resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A model group: the strategy picks among its deployments.
    Group(GroupIdx),
    /// One deployment, addressed by its id.
    Deployment(DeploymentIdx),
    /// The deployments whose `litellm_params.model` is the name, whatever their groups: the
    /// strategy picks among them as among a group's members (LiteLLM's
    /// `_get_deployment_by_litellm_model`, docs/litellm-compat.md §4).
    Model(ModelIdx),
}

/// The deployments sharing one `litellm_params.model`.
#[derive(Debug, Clone)]
pub struct LitellmModel {
    /// The `litellm_params.model`, e.g. `openai/gpt-4o`.
    pub name: String,
    /// Its deployments in file order (`model_list` order, as LiteLLM lists them).
    pub members: Vec<DeploymentIdx>,
    /// Whether any member sets `order`.
    pub has_order: bool,
}

/// A deployment as the router sees it.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// The configured deployment.
    pub config: DeploymentConfig,
    /// The group it belongs to.
    pub group: GroupIdx,
    /// Shuffle metrics in LiteLLM's order of preference: `weight`, `rpm`, `tpm` (0 when unset).
    pub shuffle_metrics: [f64; 3],
    /// For each shuffle metric: whether any deployment this one can be a candidate beside (its
    /// group's members, and the deployments sharing its `litellm_params.model`) has a positive
    /// value. When it is false for a candidate, no candidate set containing it can weigh by
    /// that metric, and a strategy can skip it.
    pub may_weigh: [bool; 3],
}

/// Deployments sharing a `model_name`.
#[derive(Debug, Clone)]
pub struct ModelGroup {
    /// The group's name.
    pub name: String,
    /// Its deployments in file order.
    pub members: Vec<DeploymentIdx>,
    /// True when the name contains `*` (a wildcard entry).
    pub is_pattern: bool,
    /// For each shuffle metric (`weight`, `rpm`, `tpm`): does any member have a positive value?
    /// When none does, no subset of the group does either, and a strategy can skip the metric.
    pub has_metric: [bool; 3],
    /// Whether any member sets `order` (when none does, the tier filter has nothing to do).
    pub has_order: bool,
}

/// Every deployment and group, with the name lookups.
#[derive(Debug, Clone)]
pub struct DeploymentTable {
    deployments: Vec<Deployment>,
    groups: Vec<ModelGroup>,
    by_group_name: BTreeMap<String, GroupIdx>,
    by_id: BTreeMap<String, DeploymentIdx>,
    /// Wildcard groups, most specific (longest literal part) first, then file order.
    patterns: Vec<GroupIdx>,
    models: Vec<LitellmModel>,
    by_model: BTreeMap<String, ModelIdx>,
}

impl DeploymentTable {
    /// Builds the table from the configured deployments.
    pub fn new(configs: &[DeploymentConfig]) -> Self {
        let mut names: Vec<&str> = configs.iter().map(|d| d.model_name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        let by_group_name: BTreeMap<String, GroupIdx> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), GroupIdx(i as u32)))
            .collect();
        let mut groups: Vec<ModelGroup> = names
            .iter()
            .map(|n| ModelGroup {
                name: n.to_string(),
                members: Vec::new(),
                is_pattern: n.contains('*'),
                has_metric: [false; 3],
                has_order: false,
            })
            .collect();
        let mut deployments = Vec::with_capacity(configs.len());
        let mut by_id = BTreeMap::new();
        for (i, config) in configs.iter().enumerate() {
            let idx = DeploymentIdx(i as u32);
            let group = by_group_name[&config.model_name];
            groups[group.get()].members.push(idx);
            by_id.insert(config.id.clone(), idx);
            let shuffle_metrics = [
                config.weight.unwrap_or(0.0),
                config.shuffle_rpm.map_or(0.0, |v| v as f64),
                config.shuffle_tpm.map_or(0.0, |v| v as f64),
            ];
            groups[group.get()].has_order |= config.order.is_some();
            for (present, value) in groups[group.get()]
                .has_metric
                .iter_mut()
                .zip(shuffle_metrics)
            {
                *present |= value > 0.0;
            }
            deployments.push(Deployment {
                config: config.clone(),
                group,
                shuffle_metrics,
                may_weigh: [false; 3],
            });
        }
        let (models, by_model) = litellm_models(&deployments);
        mark_may_weigh(&mut deployments, &groups, &models);
        // LiteLLM ranks patterns by the length of their regex (`re.escape` with `*` as `(.*)`),
        // longest first, then by the count of regex metacharacters, then by list order.
        let mut patterns: Vec<(usize, usize, usize, GroupIdx)> = groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.is_pattern)
            .map(|(i, g)| {
                let (len, meta) = pattern_regex_rank(&g.name);
                (len, meta, g.members[0].get(), GroupIdx(i as u32))
            })
            .collect();
        patterns.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        DeploymentTable {
            deployments,
            groups,
            by_group_name,
            by_id,
            patterns: patterns.into_iter().map(|(_, _, _, g)| g).collect(),
            models,
            by_model,
        }
    }

    /// Every `litellm_params.model`, indexed by [`ModelIdx`].
    pub fn litellm_models(&self) -> &[LitellmModel] {
        &self.models
    }

    /// One `litellm_params.model`'s deployments.
    pub fn litellm_model(&self, idx: ModelIdx) -> &LitellmModel {
        &self.models[idx.get()]
    }

    /// The deployments a target starts from: a group's members, a pinned deployment, or a
    /// `litellm_params.model`'s deployments.
    pub fn members<'t>(&'t self, target: &'t Target) -> &'t [DeploymentIdx] {
        match target {
            Target::Group(g) => &self.group(*g).members,
            Target::Deployment(d) => std::slice::from_ref(d),
            Target::Model(m) => &self.litellm_model(*m).members,
        }
    }

    /// Whether any group's name is a `*` pattern.
    pub fn has_patterns(&self) -> bool {
        !self.patterns.is_empty()
    }

    /// The deployments whose `litellm_params.model` is the name `target` goes by (a group's
    /// name, a pinned deployment's id, a `litellm_params.model` itself): how LiteLLM looks up a
    /// fallback target once `specific_deployment` is set. Empty when none is.
    pub fn members_by_litellm_model_name(&self, target: &Target) -> &[DeploymentIdx] {
        let name = match target {
            Target::Model(m) => return &self.litellm_model(*m).members,
            Target::Group(g) => self.group(*g).name.as_str(),
            Target::Deployment(d) => self.deployment(*d).config.id.as_str(),
        };
        self.by_model
            .get(name)
            .map_or(&[], |m| &self.models[m.get()].members)
    }

    /// The group a target tries: a group, or a pinned deployment's group; `None` for a
    /// `litellm_params.model`, whose deployments may span groups (LiteLLM names it by itself).
    pub fn target_group(&self, target: &Target) -> Option<GroupIdx> {
        match target {
            Target::Group(g) => Some(*g),
            Target::Deployment(d) => Some(self.deployment(*d).group),
            Target::Model(_) => None,
        }
    }

    /// All deployments, indexed by [`DeploymentIdx`].
    pub fn deployments(&self) -> &[Deployment] {
        &self.deployments
    }

    /// One deployment.
    pub fn deployment(&self, idx: DeploymentIdx) -> &Deployment {
        &self.deployments[idx.get()]
    }

    /// All groups, indexed by [`GroupIdx`].
    pub fn groups(&self) -> &[ModelGroup] {
        &self.groups
    }

    /// One group.
    pub fn group(&self, idx: GroupIdx) -> &ModelGroup {
        &self.groups[idx.get()]
    }

    /// The group with exactly this name.
    pub fn group_named(&self, name: &str) -> Option<GroupIdx> {
        self.by_group_name.get(name).copied()
    }

    /// The deployment with this id.
    pub fn deployment_with_id(&self, id: &str) -> Option<DeploymentIdx> {
        self.by_id.get(id).copied()
    }

    /// Resolves a requested model name as LiteLLM 1.108 does (docs/litellm-compat.md §1–4):
    /// an alias of `aliases` (`model_group_alias`, one hop) unless the name is a deployment id,
    /// then an exact group, then a deployment id, then the highest-ranked matching `*` pattern,
    /// then a `litellm_params.model` (every deployment calling that model).
    pub fn resolve(&self, model: &str, aliases: &BTreeMap<String, String>) -> Option<Target> {
        let id = self.deployment_with_id(model);
        let name = match aliases.get(model) {
            Some(target) if id.is_none() => target.as_str(),
            _ => model,
        };
        if let Some(group) = self.group_named(name) {
            return Some(Target::Group(group));
        }
        if let Some(deployment) = self.deployment_with_id(name) {
            return Some(Target::Deployment(deployment));
        }
        self.patterns
            .iter()
            .copied()
            .find(|g| wildcard_matches(&self.groups[g.get()].name, name))
            .map(Target::Group)
            .or_else(|| self.by_model.get(name).copied().map(Target::Model))
    }
}

/// The distinct `litellm_params.model`s, sorted by name, each with its deployments in file
/// order, and the lookup by name.
fn litellm_models(deployments: &[Deployment]) -> (Vec<LitellmModel>, BTreeMap<String, ModelIdx>) {
    let mut members: BTreeMap<&str, Vec<DeploymentIdx>> = BTreeMap::new();
    for (i, d) in deployments.iter().enumerate() {
        members
            .entry(d.config.model.as_str())
            .or_default()
            .push(DeploymentIdx(i as u32));
    }
    let models: Vec<LitellmModel> = members
        .into_iter()
        .map(|(name, members)| LitellmModel {
            name: name.to_string(),
            has_order: members
                .iter()
                .any(|d| deployments[d.get()].config.order.is_some()),
            members,
        })
        .collect();
    let by_model = models
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.clone(), ModelIdx(i as u32)))
        .collect();
    (models, by_model)
}

/// Sets each deployment's `may_weigh`: its group's metrics, and those any deployment sharing
/// its `litellm_params.model` sets.
fn mark_may_weigh(deployments: &mut [Deployment], groups: &[ModelGroup], models: &[LitellmModel]) {
    for model in models {
        let mut any = [false; 3];
        for d in &model.members {
            for (a, v) in any.iter_mut().zip(deployments[d.get()].shuffle_metrics) {
                *a |= v > 0.0;
            }
        }
        for d in &model.members {
            let deployment = &mut deployments[d.get()];
            let group = groups[deployment.group.get()].has_metric;
            for m in 0..3 {
                deployment.may_weigh[m] = group[m] || any[m];
            }
        }
    }
}

/// LiteLLM's pattern match: the pattern as a regex (`*` → `(.*)`) applied with `re.match`,
/// which anchors the start of the name only. So the literal parts must appear in order, the
/// first one at the start; anything may follow the last.
pub fn wildcard_matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    for part in parts {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// The rank LiteLLM orders patterns by: the length of `re.escape(pattern)` with each escaped
/// `*` turned into `(.*)`, and the number of regex metacharacters in that regex.
fn pattern_regex_rank(pattern: &str) -> (usize, usize) {
    let (mut len, mut meta) = (0, 0);
    for c in pattern.chars() {
        match c {
            '*' => {
                len += 4; // (.*)
                meta += 3; // ( * )
            }
            '(' | ')' | '[' | ']' | '{' | '}' | '?' | '+' | '-' | '|' | '^' | '$' | '\\' | '.'
            | '&' | '~' | '#' | ' ' | '\t' | '\n' | '\r' => {
                len += 2; // escaped with a backslash
                meta += 1; // the backslash
            }
            _ => len += c.len_utf8(),
        }
    }
    (len, meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_globs() {
        assert!(wildcard_matches("*", "anything"));
        assert!(wildcard_matches("openai/*", "openai/gpt-4o"));
        assert!(!wildcard_matches("openai/*", "anthropic/claude"));
        assert!(wildcard_matches("a*c*e", "abcde"));
        assert!(!wildcard_matches("a*c*e", "abd"));
        assert!(
            wildcard_matches("*-mini", "gpt-4o-mini-2024"),
            "only the start is anchored, as with re.match"
        );
    }

    #[test]
    fn patterns_rank_by_escaped_regex_length() {
        assert_eq!(pattern_regex_rank("*").0, 4);
        assert_eq!(pattern_regex_rank("openai/*").0, 11);
        assert_eq!(pattern_regex_rank("gpt-*").0, 9);
        assert_eq!(pattern_regex_rank("*-mini").0, 10);
        assert_eq!(pattern_regex_rank("gpt-4.*").0, 12);
    }
}
