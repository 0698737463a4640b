//! The auto router live, over a real embedding deployment (ROUTING.md §9).
//!
//! For every `auto_router/…` group whose `auto_router_embedding_model` names a group of the
//! config, the utterances are embedded once, in one request through that group
//! ([`super::embedding_call`]), and the router's auto router is rebuilt from those vectors; each
//! request to the group then has its last user message (its first [`MAX_INPUT_CHARS`]
//! characters) embedded the same way, and the vector goes into the request. The decision itself
//! is the router's, the same code the simulator runs. A prompt whose embedding fails routes to
//! the default model, as LiteLLM's does.
//!
//! The utterances are embedded at start, in the background. Until that succeeds, a request to
//! the group tries again first (one try at a time, shared by the requests waiting) and fails
//! with a 500 when it cannot, as LiteLLM fails a request while its route layer cannot be built.
//! An auto router whose embedding model names no group keeps the built-in encoder.
//!
//! It decides when embeddings are requested and what becomes of their failures; it must not
//! score prompts or choose a group.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::Proxy;
use super::embedding_call::{Embedding, embed};
use super::errors::ApiError;
use super::exchange::Exchange;
use super::request_log::AttemptLine;
use crate::config::LitellmConfig;
use crate::config::auto_router::AutoRouterSpec;
use crate::config::deployment_table::{GroupIdx, Target};
use crate::router::auto_router::AutoRouter;
use crate::router::{ErrorClass, Route, Router};

/// The longest prompt, in characters, sent to the embedding model: LiteLLM's
/// `DEFAULT_AUTO_ROUTER_MAX_INPUT_CHARS` (longer prompts are cut to their head).
pub const MAX_INPUT_CHARS: usize = 2000;

/// One auto router whose vectors come from an embedding deployment.
#[derive(Debug)]
struct EmbeddedAutoRouter {
    /// Its group.
    group: GroupIdx,
    /// Its `model_name`, for log lines.
    name: String,
    /// `auto_router_embedding_model`, as written.
    embedding_model: String,
    /// That model, resolved.
    embedding: Route,
    /// Its routes.
    spec: AutoRouterSpec,
    /// `auto_router_default_model`.
    default_model: String,
    /// The router holds the auto router built from the embedding model's vectors.
    ready: AtomicBool,
    /// Held while the utterances are being embedded: one try at a time.
    building: tokio::sync::Mutex<()>,
}

/// Every auto router of the config that embeds through a deployment.
#[derive(Debug, Default)]
pub(super) struct AutoRoutes {
    routers: Vec<EmbeddedAutoRouter>,
}

impl AutoRoutes {
    /// The auto routers of `config` whose `auto_router_embedding_model` names something
    /// `router` can route to; each one that names nothing keeps the built-in encoder, with a log
    /// line saying so.
    pub(super) fn new(config: &LitellmConfig, router: &Router) -> AutoRoutes {
        let table = &config.table;
        let mut routers = Vec::new();
        for (g, group) in table.groups().iter().enumerate() {
            let auto = &table.deployment(group.members[0]).config.auto_router;
            let Some((auto, spec)) = auto.as_ref().and_then(|a| Some((a, a.spec.as_ref()?))) else {
                continue;
            };
            let Some(embedding_model) = auto.embedding_model.clone() else {
                continue;
            };
            let embedding = router.resolve(&embedding_model);
            if embedding == Route::Unknown {
                log(&format!(
                    "auto router {}: auto_router_embedding_model {embedding_model} names no model of the config; its prompts are embedded by the built-in encoder",
                    group.name
                ));
                continue;
            }
            routers.push(EmbeddedAutoRouter {
                group: GroupIdx(g as u32),
                name: group.name.clone(),
                embedding_model,
                embedding,
                spec: spec.clone(),
                default_model: auto.default_model.clone().unwrap_or_default(),
                ready: AtomicBool::new(false),
                building: tokio::sync::Mutex::new(()),
            });
        }
        AutoRoutes { routers }
    }

    /// Whether no auto router embeds through a deployment (requests then skip this module).
    pub(super) fn is_empty(&self) -> bool {
        self.routers.is_empty()
    }

    /// The auto router a request to `route` is addressed to (its place in the list), if it
    /// embeds through a deployment.
    fn of(&self, route: Route) -> Option<usize> {
        let Route::To(Target::Group(g)) = route else {
            return None;
        };
        self.routers.iter().position(|r| r.group == g)
    }
}

/// `eprintln!` that never panics.
fn log(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Embeds every auto router's utterances, at start (the proxy is already serving; a request
/// arriving meanwhile waits for it).
pub(super) async fn embed_utterances_at_start(proxy: Arc<Proxy>) {
    for (i, auto) in proxy.auto_routes.routers.iter().enumerate() {
        let mut attempts = Vec::new();
        if let Err(why) = ensure_ready(&proxy, i, &mut attempts).await {
            log(&format!(
                "auto router {}: embedding its {} utterances through {} failed ({why}); each request to {} tries again first and fails while this fails",
                auto.name,
                auto.spec
                    .routes
                    .iter()
                    .map(|r| r.utterances.len())
                    .sum::<usize>(),
                auto.embedding_model,
                auto.name
            ));
        }
    }
}

/// Makes sure auto router `i` is built from the embedding model's vectors: embeds its
/// utterances in one request unless that was done, and installs the auto router in the router.
async fn ensure_ready(
    proxy: &Proxy,
    i: usize,
    attempts: &mut Vec<AttemptLine>,
) -> Result<(), String> {
    let auto = &proxy.auto_routes.routers[i];
    if auto.ready.load(Ordering::Acquire) {
        return Ok(());
    }
    let _building = auto.building.lock().await;
    if auto.ready.load(Ordering::Acquire) {
        return Ok(());
    }
    let utterances: Vec<String> = auto
        .spec
        .routes
        .iter()
        .flat_map(|r| r.utterances.iter().cloned())
        .collect();
    let vectors = embed(
        proxy,
        auto.embedding,
        &utterances,
        Embedding::Utterances,
        attempts,
    )
    .await?;
    proxy.core.with(|c| {
        let router = &mut c.router;
        let built = AutoRouter::with_vectors(
            &auto.spec,
            &auto.default_model,
            router.table(),
            &router.settings().model_group_alias,
            &vectors,
        )?;
        router.install_auto_router(auto.group, built);
        Ok::<(), String>(())
    })?;
    auto.ready.store(true, Ordering::Release);
    log(&format!(
        "auto router {}: {} utterances embedded through {} ({} dimensions)",
        auto.name,
        utterances.len(),
        auto.embedding_model,
        vectors.first().map_or(0, Vec::len)
    ));
    Ok(())
}

/// The head of `text` an embedding model is given: its first [`MAX_INPUT_CHARS`] characters.
fn clamp(text: &str) -> &str {
    match text.char_indices().nth(MAX_INPUT_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// Before a request to an auto router that embeds through a deployment reaches the router:
/// the auto router is made ready (`Err`: the 500 the request ends with when it cannot be), and
/// the request's last user message is embedded into its spec. The embedding attempts go to the
/// request's log line; a failed embedding leaves the spec without a vector, so the router sends
/// the request to the default model.
pub(super) async fn embed_prompt(exchange: &mut Exchange) -> Result<(), ApiError> {
    let Some(i) = exchange.proxy.auto_routes.of(exchange.call.spec().route) else {
        return Ok(());
    };
    let proxy = exchange.proxy.clone();
    let auto = &proxy.auto_routes.routers[i];
    let attempts = &mut exchange.line.embedding_attempts;
    if let Err(why) = ensure_ready(&proxy, i, attempts).await {
        exchange.line.error_class = Some(ErrorClass::InternalServer.name());
        return Err(ApiError::new(
            500,
            format!(
                "auto router {}: its utterances could not be embedded through {}: {why}",
                auto.name, auto.embedding_model
            ),
        ));
    }
    let Some(prompt) = exchange.call.spec().prompt.clone() else {
        return Ok(());
    };
    let input = [clamp(&prompt).to_string()];
    match embed(&proxy, auto.embedding, &input, Embedding::Prompt, attempts).await {
        Ok(mut vectors) => {
            let mut spec = exchange.call.spec().clone();
            spec.prompt_vector = vectors.pop().map(Into::into);
            exchange.call = crate::router::Call::new(spec);
        }
        Err(why) => log(&format!(
            "auto router {}: embedding the prompt through {} failed ({why}); routing to the default model {}",
            auto.name, auto.embedding_model, auto.default_model
        )),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prompt_is_cut_to_its_first_2000_characters() {
        let long = "春".repeat(MAX_INPUT_CHARS + 5);
        assert_eq!(clamp(&long).chars().count(), MAX_INPUT_CHARS);
        assert_eq!(clamp("short"), "short");
    }
}
