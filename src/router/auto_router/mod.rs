//! The auto router (ROUTING.md §9): a request to an `auto_router/<name>` group goes to the
//! model group whose utterances its prompt resembles most.
//!
//! The prompt is encoded; its cosine similarity to every utterance is computed through an
//! inverted index (one posting list per dimension), the 5 best utterances overall are kept, a
//! route's score is the mean of its utterances among them, and the best route whose score
//! reaches its threshold (0.3 when unset) wins; otherwise, or when encoding fails or yields
//! nothing, the default model. Decisions reuse scratch buffers: no allocation per request
//! beyond the encoder's own.
//!
//! It decides only the group a prompt goes to; it must not choose a deployment (the chosen
//! group then runs the usual eligibility pipeline, retries and fallbacks). Stopping a route
//! back to the auto router itself, or a chain of auto routers, is the router's.

pub mod encoder;

use std::collections::BTreeMap;
use std::sync::Arc;

use encoder::{Encoder, NgramEncoder, SparseVec};

use super::request::Route;
use crate::config::auto_router::AutoRouterSpec;
use crate::config::deployment_table::DeploymentTable;

/// Utterances kept before averaging per route: the best over all routes together, not per
/// route, so a route with no utterance among them cannot win.
pub const TOP_K: usize = 5;
/// A route's threshold when `score_threshold` is unset; a route wins with a score at or above
/// its threshold.
pub const DEFAULT_THRESHOLD: f64 = 0.3;

/// One configured route, resolved.
#[derive(Debug, Clone)]
struct RouteEntry {
    /// The group (or alias, deployment id, wildcard) the route's `name` resolves to;
    /// [`Route::Unknown`] when nothing matches, and the request then fails as an unknown model.
    target: Route,
    /// `score_threshold`, else [`DEFAULT_THRESHOLD`].
    threshold: f32,
}

/// A decision and how it was reached.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AutoDecision {
    /// Where the request goes.
    pub route: Route,
    /// The winning route's index in the config's `routes`, `None` for the default model.
    pub matched: Option<usize>,
    /// The winning route's score (the mean cosine similarity of its utterances among the
    /// best [`TOP_K`]); 0 when the default model was chosen.
    pub score: f32,
}

/// One auto-router deployment, ready to decide.
#[derive(Debug, Clone)]
pub struct AutoRouter {
    /// Encodes the utterances (once, at construction) and each prompt.
    encoder: Arc<dyn Encoder>,
    /// The routes in config order; of two equal scores the earlier route wins.
    routes: Vec<RouteEntry>,
    /// Each utterance's route index, utterances numbered in config order.
    utterance_route: Vec<u16>,
    /// Where each dimension's posting list starts in `postings` (one entry per dimension,
    /// plus the end): dimension `d`'s list is `postings[offsets[d]..offsets[d + 1]]`.
    offsets: Vec<u32>,
    /// `(utterance, value)` for every non-zero component of every utterance vector, grouped
    /// by dimension: the inverted index.
    postings: Vec<(u16, f32)>,
    /// `auto_router_default_model` resolved like a requested name, [`Route::Unknown`] when
    /// nothing matches (unset, it is the empty name, which only a bare `*` entry catches).
    default: Route,
    /// Scratch: the prompt's vector.
    query: SparseVec,
    /// Scratch: each utterance's cosine similarity to the prompt.
    scores: Vec<f32>,
}

impl AutoRouter {
    /// Builds the index for `spec` with the built-in encoder; route names and the default
    /// model resolve against `table` and `aliases` (an unknown name routes to an unknown model).
    pub fn new(
        spec: &AutoRouterSpec,
        default_model: &str,
        table: &DeploymentTable,
        aliases: &BTreeMap<String, String>,
    ) -> Self {
        AutoRouter::with_encoder(
            spec,
            default_model,
            table,
            aliases,
            Arc::new(NgramEncoder::default()),
        )
    }

    /// Builds the index with `encoder`. An utterance the encoder refuses stays in the index
    /// with no components, so it scores 0.
    pub fn with_encoder(
        spec: &AutoRouterSpec,
        default_model: &str,
        table: &DeploymentTable,
        aliases: &BTreeMap<String, String>,
        encoder: Arc<dyn Encoder>,
    ) -> Self {
        let resolve = |name: &str| {
            table
                .resolve(name, aliases)
                .map_or(Route::Unknown, Route::To)
        };
        let routes = spec
            .routes
            .iter()
            .map(|r| RouteEntry {
                target: resolve(&r.name),
                threshold: r.score_threshold.unwrap_or(DEFAULT_THRESHOLD) as f32,
            })
            .collect();
        let dims = encoder.dims();
        let mut lists: Vec<Vec<(u16, f32)>> = vec![Vec::new(); dims];
        let mut utterance_route = Vec::new();
        let mut v = SparseVec::new();
        for (r, route) in spec.routes.iter().enumerate() {
            for utterance in &route.utterances {
                let u = utterance_route.len() as u16;
                utterance_route.push(r as u16);
                if encoder.encode(utterance, &mut v).is_ok() {
                    for &(d, x) in &v {
                        lists[d as usize].push((u, x));
                    }
                }
            }
        }
        let mut offsets = Vec::with_capacity(dims + 1);
        let mut postings = Vec::new();
        offsets.push(0);
        for list in lists {
            postings.extend(list);
            offsets.push(postings.len() as u32);
        }
        let n = utterance_route.len();
        AutoRouter {
            encoder,
            routes,
            utterance_route,
            offsets,
            postings,
            default: resolve(default_model),
            query: SparseVec::with_capacity(256),
            scores: vec![0.0; n],
        }
    }

    /// Decides where a request with `prompt` (its last user message) goes.
    ///
    /// No prompt, an encoding error or an empty vector: the default model. Otherwise the
    /// [`TOP_K`] best utterances overall (an earlier utterance keeps its place on a tie; an
    /// utterance sharing nothing with the prompt scores 0 and can still be among them), each
    /// route's mean over its own among them, and the best route at or above its threshold.
    /// Takes `&mut self` only for the scratch buffers: decisions do not depend on earlier ones.
    pub fn decide(&mut self, prompt: Option<&str>) -> AutoDecision {
        let fallback = AutoDecision {
            route: self.default,
            matched: None,
            score: 0.0,
        };
        let Some(prompt) = prompt else {
            return fallback;
        };
        if self.encoder.encode(prompt, &mut self.query).is_err() || self.query.is_empty() {
            return fallback;
        }
        self.scores.iter_mut().for_each(|s| *s = 0.0);
        for &(d, x) in &self.query {
            let (start, end) = (
                self.offsets[d as usize] as usize,
                self.offsets[d as usize + 1] as usize,
            );
            for &(u, y) in &self.postings[start..end] {
                self.scores[u as usize] += x * y;
            }
        }
        // The TOP_K best utterances, best first.
        let mut top: [(f32, u16); TOP_K] = [(f32::NEG_INFINITY, 0); TOP_K];
        for (u, &s) in self.scores.iter().enumerate() {
            if s > top[TOP_K - 1].0 {
                let mut i = TOP_K - 1;
                while i > 0 && top[i - 1].0 < s {
                    top[i] = top[i - 1];
                    i -= 1;
                }
                top[i] = (s, u as u16);
            }
        }
        let mut best: Option<(f32, usize)> = None;
        for (r, route) in self.routes.iter().enumerate() {
            let (sum, n) = top
                .iter()
                .filter(|(s, u)| s.is_finite() && self.utterance_route[*u as usize] as usize == r)
                .fold((0.0f32, 0u32), |(sum, n), (s, _)| (sum + s, n + 1));
            if n == 0 {
                continue;
            }
            let score = sum / n as f32;
            if score >= route.threshold && best.is_none_or(|(b, _)| score > b) {
                best = Some((score, r));
            }
        }
        match best {
            Some((score, r)) => AutoDecision {
                route: self.routes[r].target,
                matched: Some(r),
                score,
            },
            None => fallback,
        }
    }
}
