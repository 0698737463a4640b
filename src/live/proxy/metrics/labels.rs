//! Label sets rendered once at start: each deployment's (LiteLLM's `model_group`, `model_id`,
//! `litellm_model_name`, `api_base`, `api_provider`), each requested model's
//! (`requested_model`: a group or a `litellm_params.model`), each budget's (`budget`, `scope`,
//! `name`). A scrape copies them; a request never touches them.
//!
//! It decides the label names and values, never what is counted.

use super::exposition::labels;
use crate::config::deployment_table::DeploymentTable;
use crate::router::DeploymentIdx;

/// Every label set a scrape needs.
#[derive(Debug, Clone)]
pub struct LabelSets {
    /// Per deployment, in table order.
    pub deployment: Vec<String>,
    /// Per deployment, its group's name (for per-group gauges).
    pub deployment_group: Vec<usize>,
    /// Per deployment, its provider (for provider budgets).
    pub provider: Vec<String>,
    /// Per deployment, its configured `rpm` and `tpm`.
    pub limits: Vec<(Option<u64>, Option<u64>)>,
    /// Per requested-model slot: the groups, the `litellm_params.model`s, and last a requested
    /// model nothing serves (`requested_model=""`).
    pub requested: Vec<String>,
    /// Per group, its name.
    pub group_name: Vec<String>,
    /// Per budget: `budget="provider:openai",scope="provider",name="openai"`.
    pub budget: Vec<String>,
    /// Per budget, the provider it limits (provider budgets only).
    pub budget_provider: Vec<Option<String>>,
}

impl LabelSets {
    /// The label sets of `table`; `api_base(d)` is what the deployment's `api_base` label says,
    /// `budgets` each budget's (kind, name).
    pub fn new<'a>(
        table: &DeploymentTable,
        api_base: impl Fn(DeploymentIdx) -> &'a str,
        budgets: &[(&'static str, String)],
    ) -> LabelSets {
        let group_name: Vec<String> = table.groups().iter().map(|g| g.name.clone()).collect();
        let mut sets = LabelSets {
            deployment: Vec::new(),
            deployment_group: Vec::new(),
            provider: Vec::new(),
            limits: Vec::new(),
            requested: group_name
                .iter()
                .chain(table.litellm_models().iter().map(|m| &m.name))
                .map(|name| labels(&[("requested_model", name)]))
                .chain(std::iter::once(labels(&[("requested_model", "")])))
                .collect(),
            budget: budgets
                .iter()
                .map(|(kind, name)| {
                    labels(&[
                        ("budget", &format!("{kind}:{name}")),
                        ("scope", kind),
                        ("name", name),
                    ])
                })
                .collect(),
            budget_provider: budgets
                .iter()
                .map(|(kind, name)| (*kind == "provider").then(|| name.clone()))
                .collect(),
            group_name,
        };
        for (i, d) in table.deployments().iter().enumerate() {
            let group = &table.group(d.group).name;
            sets.deployment.push(labels(&[
                ("model_group", group),
                ("model_id", &d.config.id),
                ("litellm_model_name", &d.config.model),
                ("api_base", api_base(DeploymentIdx(i as u32))),
                ("api_provider", &d.config.provider),
            ]));
            sets.deployment_group.push(d.group.get());
            sets.provider.push(d.config.provider.clone());
            sets.limits.push((d.config.rpm, d.config.tpm));
        }
        sets
    }
}
