//! The auto router (ROUTING.md §9): a request to an `auto_router/<name>` group goes to the
//! model group whose utterances its prompt resembles most.
//!
//! The prompt's cosine similarity to every utterance is computed ([`index`]: the built-in
//! encoder's sparse vectors through an inverted index, or an embedding model's dense vectors,
//! the prompt's computed by the caller and carried by the request), the 5 best utterances
//! overall are kept, a route's score is the mean of its utterances among them, and the best
//! route whose score reaches its threshold (0.3 when unset) wins; otherwise, or when the prompt
//! cannot be scored (no prompt, an encoding or embedding failure, nothing to compare), the
//! default model. The decision from scores is one piece of code for both kinds of vectors.
//! Decisions reuse scratch buffers: no allocation per request beyond the encoder's own.
//!
//! It decides only the group a prompt goes to; it must not choose a deployment (the chosen
//! group then runs the usual eligibility pipeline, retries and fallbacks). Stopping a route
//! back to the auto router itself, or a chain of auto routers, is the router's.

pub mod encoder;
pub mod index;

use std::collections::BTreeMap;
use std::sync::Arc;

use encoder::{Encoder, NgramEncoder};
use index::{DenseIndex, SparseIndex, Unscored, UtteranceIndex};

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
    /// Why the prompt could not be scored, when it could not (the default model then serves).
    pub unscored: Option<Unscored>,
}

/// One auto-router deployment, ready to decide.
#[derive(Debug, Clone)]
pub struct AutoRouter {
    /// The utterances' vectors.
    index: UtteranceIndex,
    /// The routes in config order; of two equal scores the earlier route wins.
    routes: Vec<RouteEntry>,
    /// Each utterance's route index, utterances numbered in config order.
    utterance_route: Vec<u16>,
    /// `auto_router_default_model` resolved like a requested name, [`Route::Unknown`] when
    /// nothing matches (unset, it is the empty name, which only a bare `*` entry catches).
    default: Route,
    /// Scratch: each utterance's cosine similarity to the prompt.
    scores: Vec<f32>,
}

/// Every utterance of `spec`, in config order.
fn utterances(spec: &AutoRouterSpec) -> impl Iterator<Item = &str> {
    spec.routes
        .iter()
        .flat_map(|r| r.utterances.iter().map(String::as_str))
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
        let index = UtteranceIndex::Sparse(SparseIndex::new(encoder, utterances(spec)));
        AutoRouter::with_index(spec, default_model, table, aliases, index)
    }

    /// Builds the index from precomputed `vectors`, one per utterance in config order (an
    /// embedding model's answer for them). Requests must then carry their prompt's vector
    /// ([`crate::router::RequestSpec::prompt_vector`]); one without goes to the default model.
    /// `Err` says why the vectors cannot serve: not one per utterance, empty, or of different
    /// lengths.
    pub fn with_vectors(
        spec: &AutoRouterSpec,
        default_model: &str,
        table: &DeploymentTable,
        aliases: &BTreeMap<String, String>,
        vectors: &[Vec<f32>],
    ) -> Result<Self, String> {
        let expected = utterances(spec).count();
        if vectors.len() != expected {
            return Err(format!(
                "expected one vector per utterance ({expected}), got {}",
                vectors.len()
            ));
        }
        let index = UtteranceIndex::Dense(DenseIndex::new(vectors)?);
        Ok(AutoRouter::with_index(
            spec,
            default_model,
            table,
            aliases,
            index,
        ))
    }

    fn with_index(
        spec: &AutoRouterSpec,
        default_model: &str,
        table: &DeploymentTable,
        aliases: &BTreeMap<String, String>,
        index: UtteranceIndex,
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
        let utterance_route: Vec<u16> = spec
            .routes
            .iter()
            .enumerate()
            .flat_map(|(r, route)| route.utterances.iter().map(move |_| r as u16))
            .collect();
        let n = utterance_route.len();
        AutoRouter {
            index,
            routes,
            utterance_route,
            default: resolve(default_model),
            scores: vec![0.0; n],
        }
    }

    /// Whether prompts must come as precomputed vectors (the index holds an embedding model's
    /// dense vectors) rather than as text for the built-in encoder.
    pub fn wants_vectors(&self) -> bool {
        matches!(self.index, UtteranceIndex::Dense(_))
    }

    /// Decides where a request with `prompt` (its last user message) goes, the prompt encoded by
    /// the built-in encoder: [`AutoRouter::decide_with`] with no precomputed vector.
    pub fn decide(&mut self, prompt: Option<&str>) -> AutoDecision {
        self.decide_with(prompt, None)
    }

    /// Decides where a request with `prompt` (its last user message) and `vector` (that
    /// message's embedding, for an index of precomputed vectors) goes.
    ///
    /// A prompt that cannot be scored ([`Unscored`]): the default model. Otherwise the
    /// [`TOP_K`] best utterances overall (an earlier utterance keeps its place on a tie; an
    /// utterance sharing nothing with the prompt scores 0 and can still be among them), each
    /// route's mean over its own among them, and the best route at or above its threshold.
    /// Takes `&mut self` only for the scratch buffers: decisions do not depend on earlier ones.
    pub fn decide_with(&mut self, prompt: Option<&str>, vector: Option<&[f32]>) -> AutoDecision {
        match self.index.score(prompt, vector, &mut self.scores) {
            Ok(()) => self.decide_from_scores(),
            Err(why) => AutoDecision {
                unscored: Some(why),
                ..self.default_decision()
            },
        }
    }

    /// The default model, chosen because no route passed.
    fn default_decision(&self) -> AutoDecision {
        AutoDecision {
            route: self.default,
            matched: None,
            score: 0.0,
            unscored: None,
        }
    }

    /// The decision from the utterances' scores: top [`TOP_K`], mean per route, thresholds.
    fn decide_from_scores(&self) -> AutoDecision {
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
                unscored: None,
            },
            None => self.default_decision(),
        }
    }
}
