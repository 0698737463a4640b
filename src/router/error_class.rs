//! Error classes: every way an attempt or a request can fail, classified once.
//!
//! Providers' answers (and the router's own refusals) become an [`ErrorClass`]; retry, cooldown
//! and fallback code ask it questions through exhaustive `match`es with no catch-all arm, so a
//! new class cannot slip through with a default answer. It decides the HTTP status, the name in
//! reports and the error type LiteLLM would raise; not what to do about it.

use std::fmt;

/// How an attempt or a request failed (ROUTING.md §10, plus the router's own refusals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorClass {
    /// 429 from the provider, possibly with a Retry-After.
    RateLimit,
    /// 408: the attempt ran out of time.
    Timeout,
    /// 500.
    InternalServer,
    /// 502.
    BadGateway,
    /// 503.
    ServiceUnavailable,
    /// 400: the prompt does not fit the model's context window.
    ContextWindowExceeded,
    /// 400: the provider's content filter refused the prompt.
    ContentPolicyViolation,
    /// 400: any other bad request.
    BadRequest,
    /// 401.
    Authentication,
    /// 403.
    PermissionDenied,
    /// 404.
    NotFound,
    /// No HTTP answer (connection refused, reset, DNS).
    Connection,
    /// The router's own 429: every deployment of the group is cooling down or at its limit.
    NoDeploymentsAvailable,
    /// The router's own refusal: every deployment is over budget.
    BudgetExceeded,
    /// The router's own refusal: no deployment carries the request's tags.
    TagsNotAllowed,
    /// The router's own 400: no model group, alias, deployment id or wildcard matches the name.
    UnknownModel,
}

impl ErrorClass {
    /// Every class, in declaration order.
    pub const ALL: [ErrorClass; 16] = [
        ErrorClass::RateLimit,
        ErrorClass::Timeout,
        ErrorClass::InternalServer,
        ErrorClass::BadGateway,
        ErrorClass::ServiceUnavailable,
        ErrorClass::ContextWindowExceeded,
        ErrorClass::ContentPolicyViolation,
        ErrorClass::BadRequest,
        ErrorClass::Authentication,
        ErrorClass::PermissionDenied,
        ErrorClass::NotFound,
        ErrorClass::Connection,
        ErrorClass::NoDeploymentsAvailable,
        ErrorClass::BudgetExceeded,
        ErrorClass::TagsNotAllowed,
        ErrorClass::UnknownModel,
    ];

    /// The HTTP status a client sees (connection errors surface as 500, as in LiteLLM).
    pub fn status(self) -> u16 {
        match self {
            ErrorClass::RateLimit | ErrorClass::NoDeploymentsAvailable => 429,
            ErrorClass::Timeout => 408,
            ErrorClass::InternalServer | ErrorClass::Connection => 500,
            ErrorClass::BadGateway => 502,
            ErrorClass::ServiceUnavailable => 503,
            ErrorClass::ContextWindowExceeded
            | ErrorClass::ContentPolicyViolation
            | ErrorClass::BadRequest
            | ErrorClass::BudgetExceeded
            | ErrorClass::TagsNotAllowed
            | ErrorClass::UnknownModel => 400,
            ErrorClass::Authentication => 401,
            ErrorClass::PermissionDenied => 403,
            ErrorClass::NotFound => 404,
        }
    }

    /// The class's name in reports and scenario files (snake case).
    pub fn name(self) -> &'static str {
        match self {
            ErrorClass::RateLimit => "rate_limit",
            ErrorClass::Timeout => "timeout",
            ErrorClass::InternalServer => "internal_server",
            ErrorClass::BadGateway => "bad_gateway",
            ErrorClass::ServiceUnavailable => "service_unavailable",
            ErrorClass::ContextWindowExceeded => "context_window_exceeded",
            ErrorClass::ContentPolicyViolation => "content_policy_violation",
            ErrorClass::BadRequest => "bad_request",
            ErrorClass::Authentication => "authentication",
            ErrorClass::PermissionDenied => "permission_denied",
            ErrorClass::NotFound => "not_found",
            ErrorClass::Connection => "connection",
            ErrorClass::NoDeploymentsAvailable => "no_deployments_available",
            ErrorClass::BudgetExceeded => "budget_exceeded",
            ErrorClass::TagsNotAllowed => "tags_not_allowed",
            ErrorClass::UnknownModel => "unknown_model",
        }
    }

    /// The class named `name` (as [`ErrorClass::name`] spells it).
    pub fn from_name(name: &str) -> Option<ErrorClass> {
        ErrorClass::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The exception LiteLLM raises for this class, as users see it in logs.
    pub fn litellm_exception(self) -> &'static str {
        match self {
            ErrorClass::RateLimit | ErrorClass::NoDeploymentsAvailable => "RateLimitError",
            ErrorClass::Timeout => "Timeout",
            ErrorClass::InternalServer => "InternalServerError",
            ErrorClass::BadGateway => "BadGatewayError",
            ErrorClass::ServiceUnavailable => "ServiceUnavailableError",
            ErrorClass::ContextWindowExceeded => "ContextWindowExceededError",
            ErrorClass::ContentPolicyViolation => "ContentPolicyViolationError",
            ErrorClass::BadRequest
            | ErrorClass::UnknownModel
            | ErrorClass::BudgetExceeded
            | ErrorClass::TagsNotAllowed => "BadRequestError",
            ErrorClass::Authentication => "AuthenticationError",
            ErrorClass::PermissionDenied => "PermissionDeniedError",
            ErrorClass::NotFound => "NotFoundError",
            ErrorClass::Connection => "APIConnectionError",
        }
    }

    /// True for refusals the router makes itself, without any attempt reaching a provider.
    pub fn is_router_refusal(self) -> bool {
        match self {
            ErrorClass::NoDeploymentsAvailable
            | ErrorClass::BudgetExceeded
            | ErrorClass::TagsNotAllowed
            | ErrorClass::UnknownModel => true,
            ErrorClass::RateLimit
            | ErrorClass::Timeout
            | ErrorClass::InternalServer
            | ErrorClass::BadGateway
            | ErrorClass::ServiceUnavailable
            | ErrorClass::ContextWindowExceeded
            | ErrorClass::ContentPolicyViolation
            | ErrorClass::BadRequest
            | ErrorClass::Authentication
            | ErrorClass::PermissionDenied
            | ErrorClass::NotFound
            | ErrorClass::Connection => false,
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for class in ErrorClass::ALL {
            assert_eq!(ErrorClass::from_name(class.name()), Some(class));
        }
        let mut names: Vec<&str> = ErrorClass::ALL.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorClass::ALL.len());
    }

    #[test]
    fn statuses_follow_routing_md() {
        assert_eq!(ErrorClass::RateLimit.status(), 429);
        assert_eq!(ErrorClass::NoDeploymentsAvailable.status(), 429);
        assert_eq!(ErrorClass::ContextWindowExceeded.status(), 400);
        assert_eq!(ErrorClass::Connection.status(), 500);
        assert_eq!(ErrorClass::UnknownModel.status(), 400);
    }
}
