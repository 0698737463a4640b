//! Per-request explanations in the live proxy: the router's trace of one request — the groups
//! tried, the candidates, what each filter removed and why, the choice, the outcomes, cooldowns
//! and waits — in the very words of the simulator's `--explain` ([`crate::report::explain`]).
//!
//! A request that carries `x-switchyard-explain: true` is driven with a recording trace, and
//! its answer (or error) body gets a `switchyard_explain` field; every traced request is also
//! kept in a bounded history ([`super::explain_history`]) for `GET /router/explain/<id>`.
//! Requests that do not ask are not traced (the router's `NoTrace` costs nothing) unless
//! `switchyard_settings.explain_every_request` is on. Instants are shown from the request's
//! arrival, as the simulator shows them from the run's start.
//!
//! It decides what is kept and how it is shown; it makes no routing decision.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use super::Proxy;
use super::auth;
use super::errors::ApiError;
use super::exchange::Exchange;
pub use super::explain_history::{Explained, Explanations};
use crate::router::{Cooldown, DeploymentTable, Filtered, TraceEvent};
use crate::time::Time;

/// The request header that asks for an explanation.
pub const ASK: &str = "x-switchyard-explain";
/// The body field an explained answer or error carries.
pub const FIELD: &str = "switchyard_explain";
/// The response header naming the request id under which an explanation is kept.
pub const KEPT_AS: HeaderName = HeaderName::from_static("x-switchyard-explain-id");

/// A trace as the router reports it: each event with its instant.
pub type Events = Vec<(Time, TraceEvent)>;

/// Whether `headers` ask for an explanation (`x-switchyard-explain: true`, or `1`).
pub fn asked(headers: &HeaderMap) -> bool {
    headers
        .get(ASK)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true") || v.trim() == "1")
}

/// `events` with every instant counted from `origin` (the request's arrival), including the
/// instants inside events (a cooldown's end).
pub fn rebased(events: &[(Time, TraceEvent)], origin: Time) -> Events {
    let at = |t: Time| Time::from_nanos(t.as_nanos().saturating_sub(origin.as_nanos()));
    events
        .iter()
        .map(|(t, event)| {
            let event = match *event {
                TraceEvent::Filtered(d, Filtered::Cooling(until)) => {
                    TraceEvent::Filtered(d, Filtered::Cooling(at(until)))
                }
                TraceEvent::Cooled(d, c) => TraceEvent::Cooled(
                    d,
                    Cooldown {
                        until: at(c.until),
                        ..c
                    },
                ),
                other => other,
            };
            (at(*t), event)
        })
        .collect()
}

/// The explanation as JSON: the request, the simulator's `--explain` lines, and the same
/// events as objects.
pub fn render(explained: &Explained, table: &DeploymentTable) -> Value {
    let events = rebased(&explained.events, explained.arrived);
    json!({
        "request_id": explained.request_id,
        "model": explained.model,
        "status": explained.status,
        "arrival_unix_s": explained.arrived.as_secs_f64(),
        "lines": crate::report::explain::explain(&events, table),
        "events": crate::report::explain::explain_json(&events, table),
    })
}

/// The explanation of `exchange` so far, ending with `status` for the client, rendered.
pub(super) fn rendered(exchange: &Exchange, status: u16) -> Value {
    let explained = Explained {
        request_id: exchange.line.request_id,
        model: exchange.controls.model.clone(),
        status,
        arrived: exchange.arrived,
        events: exchange.trace.clone().unwrap_or_default(),
    };
    render(&explained, &exchange.proxy.table)
}

/// An upstream's answer with `explanation` as its `switchyard_explain` field (unchanged when
/// it is no JSON object).
pub(super) fn into_answer(explanation: Value, answer: Bytes) -> Bytes {
    match serde_json::from_slice::<Value>(&answer) {
        Ok(Value::Object(mut body)) => {
            body.insert(FIELD.into(), explanation);
            Bytes::from(Value::Object(body).to_string())
        }
        _ => answer,
    }
}

/// `error`'s response with `explanation` as the body's `switchyard_explain` field.
pub(super) fn into_error(error: ApiError, explanation: Value) -> Response {
    let mut body = error.body();
    body[FIELD] = explanation;
    let mut response = error.into_response();
    *response.body_mut() = axum::body::Body::from(body.to_string());
    response
}

/// Adds `x-switchyard-explain-id` to an answer whose explanation will be kept.
pub(super) fn add_kept_header(exchange: &Exchange, headers: &mut HeaderMap) {
    if exchange.trace.is_some() && exchange.proxy.explanations.keeps() {
        headers.insert(KEPT_AS, HeaderValue::from(exchange.line.request_id));
    }
}

/// Keeps the explanation of an exchange that is ending (its log line is being written).
pub(super) fn keep(exchange: &mut Exchange) {
    if let Some(events) = exchange.trace.take() {
        exchange.proxy.explanations.keep(Explained {
            request_id: exchange.line.request_id,
            model: exchange.controls.model.clone(),
            status: exchange.line.status,
            arrived: exchange.arrived,
            events,
        });
    }
}

/// `GET /router/explain/<request id>`: a kept explanation, 404 when it is not (or no longer)
/// kept, 401 without the master key.
pub(super) async fn get_explanation(
    State(proxy): State<Arc<Proxy>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !auth::allowed(proxy.master_key.as_deref(), &headers) {
        return ApiError::new(401, "Authentication Error: invalid or missing proxy key")
            .into_response();
    }
    let Ok(id) = id.trim().parse::<u64>() else {
        return ApiError::new(400, format!("`{id}` is no request id (a whole number)"))
            .into_response();
    };
    match proxy.explanations.find(id) {
        Some(e) => axum::Json(render(&e, &proxy.table)).into_response(),
        None => ApiError::new(
            404,
            format!(
                "no explanation of request {id} is kept: only requests that asked with \
                 `x-switchyard-explain: true` (or every request, with \
                 switchyard_settings.explain_every_request) are explained, and only the last \
                 {} are kept",
                proxy.explanations.capacity()
            ),
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_count_from_the_arrival_including_a_cooldowns_end() {
        let at = Time::from_secs_f64;
        let d = crate::router::DeploymentIdx(0);
        let cooled = Cooldown {
            reason: crate::router::CooldownReason::RateLimited,
            until: at(1005.5),
        };
        let events = vec![
            (at(1000.25), TraceEvent::Cooled(d, cooled)),
            (
                at(1001.0),
                TraceEvent::Filtered(d, Filtered::Cooling(at(1005.5))),
            ),
        ];
        let shifted = rebased(&events, at(1000.0));
        assert_eq!(shifted[0].0, at(0.25));
        assert_eq!(
            shifted[0].1,
            TraceEvent::Cooled(
                d,
                Cooldown {
                    until: at(5.5),
                    ..cooled
                }
            )
        );
        assert_eq!(
            shifted[1].1,
            TraceEvent::Filtered(d, Filtered::Cooling(at(5.5)))
        );
    }
}
