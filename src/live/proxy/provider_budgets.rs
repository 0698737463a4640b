//! LiteLLM's `GET /provider/budgets` (`proxy/spend_tracking/spend_management_endpoints.py`
//! `provider_budgets`), in its shape, from the same budget view as `/router/budgets`
//! ([`super::router_view::budgets`]).
//!
//! It decides only LiteLLM's spelling of the provider budgets; it changes no state.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::Proxy;
use super::auth;
use super::errors::ApiError;
use super::router_view::budgets;
use crate::time::Time;

/// `GET /provider/budgets`, in LiteLLM's shape (`spend_management_endpoints.py`
/// `provider_budgets`): `{"providers": {name: {budget_limit, time_period, spend,
/// budget_reset_at}}}`, the reset instant as Python's `isoformat()` writes it (`null` while no
/// window runs); a 500 naming the missing setting without `provider_budget_config`, as LiteLLM
/// answers.
pub(super) async fn get_provider_budgets(
    State(proxy): State<Arc<Proxy>>,
    headers: HeaderMap,
) -> Response {
    if !auth::allowed(proxy.master_key.as_deref(), &headers) {
        return ApiError::new(401, "Authentication Error: invalid or missing proxy key")
            .into_response();
    }
    let now = proxy.clock.now();
    let all = proxy.core.with(|c| budgets(&c.router, now));
    let mut providers = serde_json::Map::new();
    for b in all.into_iter().filter(|b| b.scope == "provider") {
        let reset = b.window_end.map(|end| {
            let at = Time::from_secs_f64(end.unix_s).as_nanos();
            i64::try_from(at / 1_000_000_000)
                .ok()
                .and_then(|s| chrono::DateTime::from_timestamp(s, (at % 1_000_000_000) as u32))
                .map_or_else(String::new, |t| {
                    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
                })
        });
        providers.insert(
            b.name,
            serde_json::json!({
                "budget_limit": b.limit_usd,
                "time_period": period_text(b.period_s),
                "spend": b.spent_usd,
                "budget_reset_at": reset,
            }),
        );
    }
    if providers.is_empty() {
        return ApiError::new(
            500,
            "No provider budget config found. Please set a provider budget config in the router \
             settings. https://docs.litellm.ai/docs/proxy/provider_budget_routing",
        )
        .into_response();
    }
    axum::Json(serde_json::json!({ "providers": providers })).into_response()
}

/// A period as a config spells it: `1d`, `12h`, `30m`, else seconds.
fn period_text(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0 => "0s".to_string(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_written_in_its_largest_whole_unit() {
        assert_eq!(period_text(86_400.0), "1d");
        assert_eq!(period_text(864_000.0), "10d");
        assert_eq!(period_text(7_200.0), "2h");
        assert_eq!(period_text(90.0), "90s");
        assert_eq!(period_text(120.0), "2m");
    }
}
