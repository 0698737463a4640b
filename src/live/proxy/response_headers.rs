//! LiteLLM's response headers on a served answer (`x-litellm-model-id`, `-model-group`,
//! `-model-name`, `-model-api-base`, `-attempted-retries`, `-attempted-fallbacks`, `-response-cost`,
//! `-response-duration-ms`, `-overhead-duration-ms`) and Switchyard's `x-switchyard-request-id`.
//!
//! A deployment's names are turned into header values and shared strings once, at start
//! ([`DeploymentLabels`]); an answer copies them and formats only its numbers, on the stack. It
//! decides the headers' names and formats, never their meaning (that is the exchange's).

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue};

use crate::config::deployment_table::DeploymentTable;
use crate::router::DeploymentIdx;

const MODEL_ID: HeaderName = HeaderName::from_static("x-litellm-model-id");
const MODEL_GROUP: HeaderName = HeaderName::from_static("x-litellm-model-group");
const MODEL_NAME: HeaderName = HeaderName::from_static("x-litellm-model-name");
const API_BASE: HeaderName = HeaderName::from_static("x-litellm-model-api-base");
const RETRIES: HeaderName = HeaderName::from_static("x-litellm-attempted-retries");
const FALLBACKS: HeaderName = HeaderName::from_static("x-litellm-attempted-fallbacks");
const COST: HeaderName = HeaderName::from_static("x-litellm-response-cost");
const DURATION: HeaderName = HeaderName::from_static("x-litellm-response-duration-ms");
const OVERHEAD: HeaderName = HeaderName::from_static("x-litellm-overhead-duration-ms");
const REQUEST_ID: HeaderName = HeaderName::from_static("x-switchyard-request-id");

/// A deployment's names, ready to copy into a response or a log line.
#[derive(Debug, Clone)]
pub(super) struct DeploymentLabels {
    /// The deployment's id.
    pub(super) id: Arc<str>,
    /// Its model group's name.
    pub(super) group: Arc<str>,
    /// The header values (`None` where a name is no valid header value: the header is left out).
    id_value: Option<HeaderValue>,
    group_value: Option<HeaderValue>,
    /// `litellm_params.model`.
    model_value: Option<HeaderValue>,
    api_base_value: Option<HeaderValue>,
}

impl DeploymentLabels {
    /// Every deployment's labels, in table order; `api_base(d)` is what its header shows.
    pub(super) fn for_table<'a>(
        table: &DeploymentTable,
        api_base: impl Fn(DeploymentIdx) -> &'a str,
    ) -> Vec<DeploymentLabels> {
        (0..table.deployments().len())
            .map(|i| {
                let d = DeploymentIdx(i as u32);
                let deployment = table.deployment(d);
                let group = table.group(deployment.group).name.as_str();
                DeploymentLabels {
                    id: Arc::from(deployment.config.id.as_str()),
                    group: Arc::from(group),
                    id_value: HeaderValue::from_str(&deployment.config.id).ok(),
                    group_value: HeaderValue::from_str(group).ok(),
                    model_value: HeaderValue::from_str(&deployment.config.model).ok(),
                    api_base_value: HeaderValue::from_str(api_base(d)).ok(),
                }
            })
            .collect()
    }
}

/// What one answer's headers say beyond its deployment.
#[derive(Debug, Clone, Copy)]
pub(super) struct AnswerFacts {
    /// Retries in the group that served.
    pub(super) retries: u32,
    /// Fallback depth reached.
    pub(super) fallbacks: u32,
    /// The answer's cost at the router's prices.
    pub(super) cost: f64,
    /// From arrival to now.
    pub(super) total: Duration,
    /// `total` less the time spent waiting on upstreams.
    pub(super) overhead: Duration,
    /// The proxy's id for the request.
    pub(super) request_id: u64,
}

/// Adds the served headers for an answer from `labels`' deployment to `headers`.
pub(super) fn add(headers: &mut HeaderMap, labels: &DeploymentLabels, facts: AnswerFacts) {
    headers.reserve(10);
    let mut put = |name: HeaderName, value: Option<HeaderValue>| {
        if let Some(v) = value {
            headers.insert(name, v);
        }
    };
    put(MODEL_ID, labels.id_value.clone());
    put(MODEL_GROUP, labels.group_value.clone());
    put(MODEL_NAME, labels.model_value.clone());
    put(API_BASE, labels.api_base_value.clone());
    put(RETRIES, Some(HeaderValue::from(facts.retries)));
    put(FALLBACKS, Some(HeaderValue::from(facts.fallbacks)));
    put(COST, formatted(format_args!("{}", facts.cost)));
    put(DURATION, milliseconds(facts.total));
    put(OVERHEAD, milliseconds(facts.overhead));
    put(REQUEST_ID, Some(HeaderValue::from(facts.request_id)));
}

/// Replaces the `x-litellm-model-group` [`add`] wrote by `name`: for a request routed by a
/// `litellm_params.model`, which LiteLLM reports as the group.
pub(super) fn name_model_group(headers: &mut HeaderMap, name: &str) {
    match HeaderValue::from_str(name) {
        Ok(v) => headers.insert(MODEL_GROUP, v),
        Err(_) => headers.remove(MODEL_GROUP),
    };
}

/// `span` in milliseconds with three decimals, as LiteLLM writes its durations.
fn milliseconds(span: Duration) -> Option<HeaderValue> {
    formatted(format_args!("{:.3}", span.as_secs_f64() * 1000.0))
}

/// `args` formatted on the stack (a heap string only when they do not fit).
fn formatted(args: std::fmt::Arguments<'_>) -> Option<HeaderValue> {
    let mut buf = [0u8; 64];
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    if std::io::Write::write_fmt(&mut cursor, args).is_ok() {
        let len = usize::try_from(cursor.position()).unwrap_or(0);
        return HeaderValue::from_bytes(&buf[..len]).ok();
    }
    HeaderValue::from_str(&std::fmt::format(args)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_litellm_writes_them() {
        let value = |v: Option<HeaderValue>| v.unwrap().to_str().unwrap().to_string();
        assert_eq!(
            value(milliseconds(Duration::from_micros(1_234_567))),
            "1234.567"
        );
        assert_eq!(value(milliseconds(Duration::ZERO)), "0.000");
        assert_eq!(
            value(formatted(format_args!("{}", 0.000_15_f64))),
            "0.00015"
        );
        assert_eq!(value(formatted(format_args!("{}", 0.0_f64))), "0");
    }

    #[test]
    fn a_value_longer_than_the_stack_buffer_is_still_written() {
        let long = 1e100_f64;
        assert_eq!(
            formatted(format_args!("{long}")).unwrap().to_str().unwrap(),
            long.to_string()
        );
    }
}
