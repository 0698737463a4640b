//! Errors as the client receives them: the status the router's class maps to, an OpenAI-shaped
//! body (`{"error": {"message", "type", "param", "code"}}`) so that the OpenAI SDKs raise the
//! exception class a user expects, and `Retry-After` on a 429 when a wait is known.
//!
//! It decides only the shape of an error response; which error a request ends with is the
//! router's. Keys never appear in messages.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An error response.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// What went wrong, for a person.
    pub message: String,
    /// Seconds to wait before trying again, on a 429.
    pub retry_after: Option<Duration>,
    /// The request parameter at fault (`param`), as LiteLLM's proxy names it.
    pub param: Option<&'static str>,
    /// The error `type` when LiteLLM's differs from the status's usual one.
    pub kind: Option<&'static str>,
    /// Repeat the message under `provider_specific_fields.error`, as LiteLLM's proxy does for
    /// the errors it raises as HTTP exceptions (an unknown model).
    pub provider_fields: bool,
}

impl ApiError {
    /// An error with `status` and `message`.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
            param: None,
            kind: None,
            provider_fields: false,
        }
    }

    /// The error names `param` as the parameter at fault.
    pub fn with_param(mut self, param: &'static str) -> Self {
        self.param = Some(param);
        self
    }

    /// The error's `type` is `kind`.
    pub fn with_kind(mut self, kind: &'static str) -> Self {
        self.kind = Some(kind);
        self
    }

    /// The error answered with `status` instead, its `type` still the one it had: LiteLLM's
    /// `ProxyException` (`proxy/_types.py`) recodes this way.
    pub fn recoded(mut self, status: u16) -> Self {
        self.kind = Some(self.kind());
        self.status = status;
        self
    }

    /// The message is repeated under `provider_specific_fields.error`.
    pub fn with_provider_fields(mut self) -> Self {
        self.provider_fields = true;
        self
    }

    /// The OpenAI error `type`: the one given, else the status's as LiteLLM's proxy maps it
    /// (`openai_error_type_for_status`): 401, 403 and 429 their own, any other 4xx
    /// `invalid_request_error`, 5xx `internal_server_error`.
    fn kind(&self) -> &'static str {
        if let Some(kind) = self.kind {
            return kind;
        }
        match self.status {
            401 => "authentication_error",
            403 => "permission_error",
            429 => "rate_limit_error",
            s if s < 500 => "invalid_request_error",
            _ => "internal_server_error",
        }
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        let mut error = serde_json::json!({
            "message": self.message,
            "type": self.kind(),
            "param": self.param,
            "code": self.status.to_string(),
        });
        if self.provider_fields {
            error["provider_specific_fields"] = serde_json::json!({"error": self.message});
        }
        serde_json::json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(self.body())).into_response();
        if let Some(wait) = self.retry_after {
            // Whole seconds, rounded up: a client that waits this long finds the cooldown over.
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of(status: u16) -> serde_json::Value {
        ApiError::new(status, "m").body()["error"]["type"].clone()
    }

    #[test]
    fn the_type_follows_the_status_as_litellm_s_proxy_maps_it() {
        for status in [400, 404, 408, 413, 422] {
            assert_eq!(kind_of(status), "invalid_request_error", "{status}");
        }
        assert_eq!(kind_of(401), "authentication_error");
        assert_eq!(kind_of(403), "permission_error");
        assert_eq!(kind_of(429), "rate_limit_error");
        for status in [500, 502, 503, 504] {
            assert_eq!(kind_of(status), "internal_server_error", "{status}");
        }
        let given = ApiError::new(400, "m")
            .with_kind("bad_request_error")
            .with_param("model");
        assert_eq!(given.body()["error"]["type"], "bad_request_error");
        assert_eq!(given.body()["error"]["param"], "model");
        assert_eq!(given.body()["error"]["code"], "400");
        assert!(
            given.body()["error"]
                .get("provider_specific_fields")
                .is_none()
        );
    }
}
