//! Loading a LiteLLM proxy config file into checked types.
//!
//! It decides which top-level sections are read, how `router_settings` and `litellm_settings`
//! layer, which keys are warned about, and that deployment ids are unique. It reads files only
//! when asked through [`LitellmConfig::load`]; everything else works on text.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_yaml::Value;

use super::auto_router::AutoRouterSpec;
use super::deployment::DeploymentConfig;
use super::deployment_table::DeploymentTable;
use super::error::{InputError, InputWarning};
use super::settings::{
    GENERAL_SETTINGS_ONLY, LITELLM_ROUTER_ARGS, LITELLM_ROUTER_KEYS, Layer, ROUTER_KEYS,
    RouterSettings,
};
use super::yaml::{ConfigString, EnvLookup, Node, Source, nearest};

/// The most distinct tags a config may use (the router's tag sets are bitsets of this width).
pub const MAX_TAGS: usize = 128;

/// A checked LiteLLM config.
#[derive(Debug, Clone)]
pub struct LitellmConfig {
    /// The file name used in messages.
    pub file: String,
    /// The directory relative paths in the config are resolved against.
    pub base_dir: PathBuf,
    /// `model_list`, in file order.
    pub deployments: Vec<DeploymentConfig>,
    /// The deployments indexed into model groups, built once for every router and report.
    pub table: Arc<DeploymentTable>,
    /// `router_settings` layered over `litellm_settings`, with defaults.
    pub settings: RouterSettings,
    /// `general_settings.master_key`, if set.
    pub master_key: Option<ConfigString>,
    /// `general_settings.dangerously_permit_weak_or_unset_master_key: true`: `serve` starts with
    /// an unset, empty or publicly known master key (LiteLLM's proxy refuses to without it).
    pub permit_weak_master_key: bool,
    /// Everything accepted with a remark.
    pub warnings: Vec<InputWarning>,
    raw: Value,
    /// Key path of the config inside its file (empty for a config file of its own).
    path: String,
}

impl LitellmConfig {
    /// Reads and checks the config at `path`.
    pub fn load(path: &Path, env: &dyn EnvLookup) -> Result<LitellmConfig, InputError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::new(&file, "", format!("cannot read the file: {e}")))?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        LitellmConfig::from_str(&text, &file, &base_dir, env)
    }

    /// Checks config `text`; `file` names it in messages.
    pub fn from_str(
        text: &str,
        file: &str,
        base_dir: &Path,
        env: &dyn EnvLookup,
    ) -> Result<LitellmConfig, InputError> {
        let src = Source::new(file, env);
        let raw = src.parse(text)?;
        let mut config = LitellmConfig::from_node(&src.root(&raw), base_dir)?;
        config.warnings = src.take_warnings();
        Ok(config)
    }

    /// Checks a config embedded in another document (a scenario's inline `router:` block).
    /// Warnings stay in the node's source for the caller to collect.
    pub fn from_node(root: &Node<'_>, base_dir: &Path) -> Result<LitellmConfig, InputError> {
        if root.is_null() {
            return Err(root.error("the config is empty; expected a mapping with `model_list`"));
        }
        let (mut deployments, entry_indexes, settings, general) = read(root)?;
        load_auto_routers(root, &mut deployments, &entry_indexes, base_dir)?;
        Ok(LitellmConfig {
            file: root.file().to_string(),
            base_dir: base_dir.to_path_buf(),
            table: Arc::new(DeploymentTable::new(&deployments)),
            deployments,
            settings,
            master_key: general.master_key,
            permit_weak_master_key: general.permit_weak_master_key,
            warnings: Vec::new(),
            raw: root.value().clone(),
            path: root.path().to_string(),
        })
    }

    /// The config as YAML text, for reports (environment references stay unresolved).
    pub fn to_yaml(&self) -> String {
        serde_yaml::to_string(&self.raw).unwrap_or_default()
    }

    /// The key path of `key` in this config's file, e.g. `router_settings.timeout`, or
    /// `router.router_settings.timeout` for a config inline in a scenario.
    pub fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The router settings with `overrides` (a mapping of `router_settings` keys, from another
    /// file such as a scenario's policy) layered on top. Unknown override keys are errors.
    pub fn settings_with(
        &self,
        overrides: &Node<'_>,
        env: &dyn EnvLookup,
    ) -> Result<RouterSettings, InputError> {
        let allowed: Vec<&str> = ROUTER_KEYS.iter().chain(SWITCHYARD_KEYS).copied().collect();
        overrides.deny_unknown_keys(&allowed)?;
        let src = Source::new(&self.file, env);
        let root = src.node_at(&self.raw, &self.path);
        let mut layers = base_layers(&root)?;
        layers.push(Layer {
            node: overrides.clone(),
            keys: ROUTER_KEYS,
        });
        layers.push(Layer {
            node: overrides.clone(),
            keys: SWITCHYARD_KEYS,
        });
        RouterSettings::from_layers(&layers)
    }
}

fn section<'a>(root: &Node<'a>, key: &str) -> Result<Option<Node<'a>>, InputError> {
    match root.get(key)? {
        Some(node) if node.is_null() => Ok(None),
        Some(node) => {
            node.entries()?;
            Ok(Some(node))
        }
        None => Ok(None),
    }
}

/// The top-level key of Switchyard's own settings.
const SWITCHYARD_KEYS: &[&str] = &["switchyard_settings"];

fn base_layers<'a>(root: &Node<'a>) -> Result<Vec<Layer<'a>>, InputError> {
    let mut layers = vec![Layer {
        node: root.clone(),
        keys: SWITCHYARD_KEYS,
    }];
    if let Some(node) = section(root, "litellm_settings")? {
        layers.push(Layer {
            node,
            keys: LITELLM_ROUTER_KEYS,
        });
    }
    if let Some(node) = section(root, "router_settings")? {
        layers.push(Layer {
            node,
            keys: ROUTER_KEYS,
        });
    }
    Ok(layers)
}

/// The deployments, the `model_list` index each came from, the settings and the
/// `general_settings` `serve` reads.
type Parts = (
    Vec<DeploymentConfig>,
    Vec<usize>,
    RouterSettings,
    GeneralSettings,
);

/// The `general_settings` keys `serve` reads; every other one is accepted and ignored.
#[derive(Debug, Default)]
struct GeneralSettings {
    master_key: Option<ConfigString>,
    permit_weak_master_key: bool,
}

fn read(root: &Node<'_>) -> Result<Parts, InputError> {
    for (key, node) in root.entries()? {
        match key {
            "model_list"
            | "router_settings"
            | "litellm_settings"
            | "general_settings"
            | "switchyard_settings" => {}
            _ => node.warn("section not used by Switchyard's routing; ignored"),
        }
    }
    let list = root.require("model_list")?;
    let (deployments, entry_indexes) = read_model_list(&list)?;

    let layers = base_layers(root)?;
    if let Some(router_settings) = section(root, "router_settings")? {
        check_router_settings_keys(&router_settings)?;
    }
    if let Some(litellm_settings) = section(root, "litellm_settings")? {
        for (key, node) in litellm_settings.entries()? {
            if LITELLM_ROUTER_KEYS.contains(&key) || SERVE_LITELLM_KEYS.contains(&key) {
                continue;
            }
            if ROUTER_KEYS.contains(&key) {
                node.warn(format!(
                    "LiteLLM reads `{key}` from router_settings, not here; ignored"
                ));
            } else {
                node.warn("key does not affect routing; accepted and ignored");
            }
        }
    }
    let settings = RouterSettings::from_layers(&layers)?;
    let mut tags: BTreeSet<&str> = deployments
        .iter()
        .flat_map(|d| d.tags.iter().map(String::as_str))
        .collect();
    tags.extend(settings.tag_budget_config.keys().map(String::as_str));
    if tags.len() > MAX_TAGS - 1 {
        return Err(list.error(format!(
            "{} distinct tags (deployment tags and tag budgets); Switchyard supports up to {}",
            tags.len(),
            MAX_TAGS - 1
        )));
    }

    let mut general = GeneralSettings::default();
    if let Some(section) = section(root, "general_settings")? {
        for (key, node) in section.entries()? {
            match key {
                "master_key" => general.master_key = Some(node.config_string()?),
                super::master_key::PERMIT_WEAK_SETTING => {
                    general.permit_weak_master_key = node.bool()?;
                }
                _ => node.warn("key does not affect routing; accepted and ignored"),
            }
        }
    }
    Ok((deployments, entry_indexes, settings, general))
}

/// `litellm_settings` keys that change no routing decision but that `serve` reads (so no
/// "accepted and ignored" warning): `require_auth_for_metrics_endpoint` opens `/metrics`.
const SERVE_LITELLM_KEYS: &[&str] = &["require_auth_for_metrics_endpoint"];

/// Remarks on `router_settings` keys Switchyard does not read: a key LiteLLM's `Router` takes is
/// accepted and ignored; any other key LiteLLM ignores too (with a logged warning), and the
/// closest known key is suggested; `health_check_interval` and `health_check_concurrency` stop
/// LiteLLM from starting (they belong in `general_settings`).
fn check_router_settings_keys(router_settings: &Node<'_>) -> Result<(), InputError> {
    for (key, node) in router_settings.entries()? {
        if ROUTER_KEYS.contains(&key) {
            continue;
        }
        if GENERAL_SETTINGS_ONLY.contains(&key) {
            return Err(node.error(format!(
                "`{key}` is not a router_settings key; LiteLLM refuses to start with it here (move it to general_settings)"
            )));
        }
        if LITELLM_ROUTER_ARGS.contains(&key) {
            node.warn("key does not affect routing; accepted and ignored");
            continue;
        }
        let known: Vec<&str> = ROUTER_KEYS
            .iter()
            .chain(LITELLM_ROUTER_ARGS)
            .chain(GENERAL_SETTINGS_ONLY)
            .copied()
            .collect();
        let hint = nearest(key, &known)
            .map(|near| format!("; did you mean `{near}`?"))
            .unwrap_or_default();
        node.warn(format!(
            "unknown router_settings key `{key}` (LiteLLM ignores it too){hint}"
        ));
    }
    Ok(())
}

/// Reads `model_list` as LiteLLM would start with it: an entry without `litellm_params` (LiteLLM
/// fails with `KeyError`) is skipped with a warning, and an entry identical to an earlier one
/// (same id, same settings; LiteLLM keeps both under one id, sharing cooldowns and usage) is read
/// once with a warning. Two different entries sharing an explicit `model_info.id` are an error.
fn read_model_list(list: &Node<'_>) -> Result<(Vec<DeploymentConfig>, Vec<usize>), InputError> {
    let mut deployments: Vec<DeploymentConfig> = Vec::new();
    let mut indexes = Vec::new();
    let items = list.items()?;
    if items.is_empty() {
        return Err(list.error("expected at least one deployment"));
    }
    for (index, entry) in items.iter().enumerate() {
        entry.entries()?;
        if entry.get("litellm_params")?.is_none() {
            entry.require("model_name")?;
            entry.warn(
                "entry without `litellm_params`: LiteLLM 1.108.7 cannot start with it (KeyError in the proxy's config loading and in Router.set_model_list); skipped",
            );
            continue;
        }
        let deployment = DeploymentConfig::parse(entry)?;
        match deployments.iter().find(|d| d.id == deployment.id) {
            Some(earlier) if *earlier == deployment => entry.warn(format!(
                "the same deployment as an earlier entry (id {}): LiteLLM keeps both under one id, so they share cooldowns, usage and budgets; read once (LiteLLM's simple-shuffle would pick it twice as often as a sibling)",
                short_id(&deployment.id)
            )),
            Some(_) => {
                let path_hint = if entry.get("model_info")?.is_some() {
                    "model_info.id"
                } else {
                    "litellm_params"
                };
                return Err(entry.error(format!(
                    "deployment id {:?} is used by an earlier, different entry (set a distinct {path_hint})",
                    deployment.id
                )));
            }
            None => {
                deployments.push(deployment);
                indexes.push(index);
            }
        }
    }
    check_weight_sums(&deployments, &items, &indexes)?;
    if deployments.is_empty() {
        list.warn(
            "no entry is a deployment Switchyard can read; every request will find no deployment",
        );
    }
    Ok((deployments, indexes))
}

/// Refuses a group whose `weight`s add up past the largest number (two weights of `1e308`): the
/// shuffle divides by the sum, which must stay finite.
fn check_weight_sums(
    deployments: &[DeploymentConfig],
    items: &[Node<'_>],
    indexes: &[usize],
) -> Result<(), InputError> {
    let mut sums: BTreeMap<&str, f64> = BTreeMap::new();
    for (d, &index) in deployments.iter().zip(indexes) {
        let sum = sums.entry(d.model_name.as_str()).or_insert(0.0);
        *sum += d.weight.unwrap_or(0.0);
        if !sum.is_finite() {
            let at = items[index].require("litellm_params")?.require("weight")?;
            return Err(at.error(format!(
                "the weights of group {:?} add up past the largest number ({:e}); use smaller weights (only their ratios matter)",
                d.model_name,
                f64::MAX
            )));
        }
    }
    Ok(())
}

/// A deployment id shortened for messages (hash ids are 64 hex digits).
fn short_id(id: &str) -> String {
    match id.get(..12) {
        Some(head) if id.len() == 64 => format!("{head}…"),
        _ => format!("{id:?}"),
    }
}

/// `router.json` takes no environment references.
struct NoEnv;

impl super::yaml::EnvLookup for NoEnv {
    fn var(&self, _: &str) -> Option<String> {
        None
    }
}

/// Reads each auto-router deployment's `router.json` (path relative to the config file, or
/// inline) and checks its default model is named.
fn load_auto_routers(
    root: &Node<'_>,
    deployments: &mut [DeploymentConfig],
    entry_indexes: &[usize],
    base_dir: &Path,
) -> Result<(), InputError> {
    let entries = root.require("model_list")?.items()?;
    for (deployment, &index) in deployments.iter_mut().zip(entry_indexes) {
        let entry = &entries[index];
        let Some(auto) = deployment.auto_router.as_mut() else {
            continue;
        };
        let params = entry.require("litellm_params")?;
        if auto.default_model.is_none() {
            return Err(params.error(
                "an auto_router deployment needs `auto_router_default_model` (the group used when no route matches)",
            ));
        }
        let spec = if let Some(path) = &auto.config_path {
            let full = base_dir.join(path);
            AutoRouterSpec::load(&full, &NoEnv)?
        } else if let Some(inline) = params.get("auto_router_config")? {
            match inline.value().as_str() {
                Some(text) => {
                    let name = format!("{}: {}", inline.file(), inline.path());
                    AutoRouterSpec::parse_text(text, &name, &NoEnv)?
                }
                None => AutoRouterSpec::parse(&inline)?,
            }
        } else {
            return Err(params.error(
                "an auto_router deployment needs `auto_router_config_path` or `auto_router_config`",
            ));
        };
        auto.spec = Some(spec);
    }
    Ok(())
}
