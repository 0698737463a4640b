//! The auto router's `router.json`: routes, their utterances and score thresholds.
//!
//! Read from `auto_router_config_path` (relative to the config file) or inline
//! `auto_router_config` (a mapping, or JSON text). JSON text is read as JSON, as LiteLLM reads it;
//! other text as YAML, and errors carry the same file-and-key-path wording as the rest of the
//! config. It decides the file's schema; it
//! must not score requests (the router's auto router does).

use std::path::Path;

use super::error::InputError;
use super::yaml::{EnvLookup, Node, Source};

/// One route: a model group and the utterances that describe its requests.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteSpec {
    /// The model group requests matching this route go to.
    pub name: String,
    /// Example requests.
    pub utterances: Vec<String>,
    /// What the route is for.
    pub description: Option<String>,
    /// Least score to win (0.3 when unset).
    pub score_threshold: Option<f64>,
}

/// A parsed `router.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoRouterSpec {
    /// `encoder_type` (`openai`, …): which embedding family the live proxy would call.
    pub encoder_type: Option<String>,
    /// `encoder_name`, e.g. `text-embedding-3-large`.
    pub encoder_name: Option<String>,
    /// The routes, in file order.
    pub routes: Vec<RouteSpec>,
}

fn optional_string(node: &Node<'_>, key: &str) -> Result<Option<String>, InputError> {
    match node.get(key)? {
        Some(n) if !n.is_null() => n.string().map(Some),
        _ => Ok(None),
    }
}

/// A route's `score_threshold`: a similarity score, so within [0, 1]. LiteLLM accepts any number
/// silently; above 1 the route could never match and below 0 it would match every request, which
/// is never what was meant.
fn similarity_threshold(node: &Node<'_>) -> Result<f64, InputError> {
    let x = node.f64()?;
    if !(0.0..=1.0).contains(&x) {
        return Err(node.error(format!(
            "expected a similarity score between 0 and 1, found {x} (above 1 the route never matches; below 0 it matches every request)"
        )));
    }
    Ok(x)
}

impl AutoRouterSpec {
    /// Reads a `router.json` document.
    pub fn parse(node: &Node<'_>) -> Result<AutoRouterSpec, InputError> {
        for (key, child) in node.entries()? {
            if !matches!(key, "encoder_type" | "encoder_name" | "routes") {
                child.warn("key not used by the auto router; ignored");
            }
        }
        let routes_node = node.require("routes")?;
        let mut routes = Vec::new();
        for route in routes_node.items()? {
            for (key, child) in route.entries()? {
                if !matches!(
                    key,
                    "name" | "utterances" | "description" | "score_threshold"
                ) {
                    child.warn("key not used by the auto router; ignored");
                }
            }
            let utterances_node = route.require("utterances")?;
            let utterances = utterances_node.string_list()?;
            if utterances.is_empty() {
                return Err(utterances_node.error("expected at least one utterance"));
            }
            let score_threshold = match route.get("score_threshold")? {
                Some(n) if !n.is_null() => Some(similarity_threshold(&n)?),
                _ => None,
            };
            routes.push(RouteSpec {
                name: route.require("name")?.string()?,
                utterances,
                description: optional_string(&route, "description")?,
                score_threshold,
            });
        }
        if routes.is_empty() {
            return Err(routes_node.error("expected at least one route"));
        }
        Ok(AutoRouterSpec {
            encoder_type: optional_string(node, "encoder_type")?,
            encoder_name: optional_string(node, "encoder_name")?,
            routes,
        })
    }

    /// Reads `router.json` at `path`.
    pub fn load(path: &Path, env: &dyn EnvLookup) -> Result<AutoRouterSpec, InputError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::new(&file, "", format!("cannot read the file: {e}")))?;
        AutoRouterSpec::parse_text(&text, &file, env)
    }

    /// Reads `router.json` text; `file` names it in messages.
    pub fn parse_text(
        text: &str,
        file: &str,
        env: &dyn EnvLookup,
    ) -> Result<AutoRouterSpec, InputError> {
        let src = Source::new(file, env);
        // LiteLLM reads the routes as JSON (`json.loads` inline, `SemanticRouter.from_json` for a
        // path), where `1e-1` is a number; YAML 1.1 would make it a string. Text that is not
        // JSON is read as YAML, so that its error names the line.
        let value = match serde_json::from_str::<serde_yaml::Value>(text) {
            Ok(value) => value,
            Err(_) => src.parse(text)?,
        };
        AutoRouterSpec::parse(&src.root(&value))
    }
}
