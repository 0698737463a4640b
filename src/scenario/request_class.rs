//! The per-request keys a mix class and a script entry share: model, token counts, tags,
//! streaming, category, the request's own retry, fallback and timeout settings, prompts and the
//! client's own retries (`client: {max_retries}`).
//!
//! It decides how those keys are spelled and checked and builds one [`RequestClass`]; which
//! other keys surround them (a class's `weight`, an entry's `at`) is its caller's.

use std::path::Path;
use std::sync::Arc;

use crate::config::InputError;
use crate::config::units;
use crate::config::yaml::Node;
use crate::sim::client_retry::MAX_CLIENT_RETRIES;
use crate::sim::{ClientRetries, RequestClass};

use super::distribution::{Unit, distribution};

/// The keys every request class accepts.
pub const REQUEST_KEYS: &[&str] = &[
    "model",
    "input_tokens",
    "output_tokens",
    "tags",
    "stream",
    "category",
    "num_retries",
    "fallbacks",
    "disable_fallbacks",
    "timeout",
    "prompt",
    "prompts",
    "prompts_file",
    "client",
];

/// Token counts of a script entry that leaves them out.
const DEFAULT_SCRIPT_TOKENS: f64 = 100.0;

/// How a class's token counts may be left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tokens {
    /// They are required (a mix class).
    Required,
    /// They default to 100 tokens each (a script entry).
    Defaulted,
}

/// A class's prompts: one `prompt:`, a `prompts:` list, or `prompts_file:` (one prompt per
/// non-empty line, relative to the scenario file).
fn prompts(class: &Node<'_>, base_dir: &Path) -> Result<Vec<Arc<str>>, InputError> {
    if let Some(one) = class.get("prompt")? {
        if class.get("prompts")?.is_some() || class.get("prompts_file")?.is_some() {
            return Err(one.error("give one of `prompt`, `prompts` or `prompts_file`"));
        }
        return Ok(vec![Arc::from(one.string()?)]);
    }
    match (class.get("prompts")?, class.get("prompts_file")?) {
        (Some(_), Some(file)) => {
            Err(file.error("give either `prompts` or `prompts_file`, not both"))
        }
        (Some(list), None) => Ok(list.string_list()?.into_iter().map(Arc::from).collect()),
        (None, Some(file)) => {
            let path = base_dir.join(file.string()?);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                file.error(format!("cannot read prompts file {}: {e}", path.display()))
            })?;
            let lines: Vec<Arc<str>> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(Arc::from)
                .collect();
            if lines.is_empty() {
                return Err(file.error(format!("prompts file {} has no prompts", path.display())));
            }
            Ok(lines)
        }
        (None, None) => Ok(Vec::new()),
    }
}

/// A `client:` block: the SDK's `max_retries` (2 when left out).
fn client(node: &Node<'_>) -> Result<ClientRetries, InputError> {
    node.deny_unknown_keys(&["max_retries"])?;
    let mut client = ClientRetries::default();
    if let Some(n) = node.get("max_retries")? {
        client.max_retries = n.u32()?;
        if client.max_retries > MAX_CLIENT_RETRIES {
            return Err(n.error(format!(
                "expected at most {MAX_CLIENT_RETRIES} client retries, found {}",
                client.max_retries
            )));
        }
    }
    Ok(client)
}

fn token_counts(
    node: &Node<'_>,
    key: &str,
    tokens: Tokens,
) -> Result<crate::sim::Distribution, InputError> {
    match (node.get(key)?, tokens) {
        (Some(n), _) => distribution(&n, Unit::Count),
        (None, Tokens::Required) => Err(node.error(format!("missing required key `{key}`"))),
        (None, Tokens::Defaulted) => {
            crate::sim::Distribution::constant(DEFAULT_SCRIPT_TOKENS).map_err(|e| node.error(e))
        }
    }
}

fn optional<T>(
    node: &Node<'_>,
    key: &str,
    read: impl FnOnce(&Node<'_>) -> Result<T, InputError>,
) -> Result<Option<T>, InputError> {
    node.get(key)?.map(|n| read(&n)).transpose()
}

/// Reads the request keys of `node` into a class called `name` with `weight`; the caller has
/// already refused keys it does not know.
pub fn request_class(
    node: &Node<'_>,
    name: Option<String>,
    weight: f64,
    index: usize,
    tokens: Tokens,
    base_dir: &Path,
) -> Result<RequestClass, InputError> {
    let model = node.require("model")?.string()?;
    Ok(RequestClass {
        name: name.unwrap_or_else(|| format!("{model}#{index}")),
        weight,
        input_tokens: token_counts(node, "input_tokens", tokens)?,
        output_tokens: token_counts(node, "output_tokens", tokens)?,
        model,
        tags: optional(node, "tags", |n| n.string_list())?.unwrap_or_default(),
        stream: optional(node, "stream", |n| n.bool())?.unwrap_or(false),
        category: optional(node, "category", |n| n.string())?,
        num_retries: optional(node, "num_retries", |n| n.u32())?,
        fallbacks: optional(node, "fallbacks", |n| n.string_list())?,
        disable_fallbacks: optional(node, "disable_fallbacks", |n| n.bool())?.unwrap_or(false),
        timeout: optional(node, "timeout", units::duration)?,
        prompts: prompts(node, base_dir)?,
        client: optional(node, "client", client)?,
    })
}
