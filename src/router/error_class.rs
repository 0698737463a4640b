//! Error classes: every way an attempt or a request can fail, classified once.
//!
//! Providers' answers (and the router's own refusals) become an [`ErrorClass`]; retry, cooldown
//! and fallback code ask it questions through exhaustive `match`es with no catch-all arm, so a
//! new class cannot slip through with a default answer. It decides the HTTP status, the name in
//! reports and the error type LiteLLM would raise; not what to do about it.

use std::fmt;

use crate::config::settings::PerClass;

/// Which fallback list a failure moves to once its group is exhausted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FallbackKind {
    /// `fallbacks` (and `default_fallbacks`).
    General,
    /// `context_window_fallbacks` when configured (nothing if it has no entry for the group),
    /// else `fallbacks`.
    ContextWindow,
    /// `content_policy_fallbacks` when configured (nothing if it has no entry for the group),
    /// else `fallbacks`.
    ContentPolicy,
}

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

    /// Whether a request ran out of deployments with this error (all cooling, or all over
    /// budget): LiteLLM's message for it says "No deployments available".
    pub fn is_out_of_deployments(self) -> bool {
        matches!(
            self,
            ErrorClass::NoDeploymentsAvailable | ErrorClass::BudgetExceeded
        )
    }

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
            | ErrorClass::UnknownModel => 400,
            // The Router raises a bare `ValueError`; LiteLLM's proxy answers it 401
            // (`ProxyException` recodes "Not allowed to access model due to tags configuration").
            ErrorClass::Authentication | ErrorClass::TagsNotAllowed => 401,
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
            ErrorClass::BadRequest | ErrorClass::UnknownModel | ErrorClass::BudgetExceeded => {
                "BadRequestError"
            }
            ErrorClass::TagsNotAllowed => "ValueError",
            ErrorClass::Authentication => "AuthenticationError",
            ErrorClass::PermissionDenied => "PermissionDeniedError",
            ErrorClass::NotFound => "NotFoundError",
            ErrorClass::Connection => "APIConnectionError",
        }
    }

    /// Whether the error may put the deployment in cooldown at all (LiteLLM's
    /// `_is_cooldown_required`: 429, 401, 404, 408 and 5xx; never other 4xx, never a connection
    /// error, never the router's own refusals).
    pub fn may_cool_down(self) -> bool {
        match self {
            ErrorClass::RateLimit
            | ErrorClass::Timeout
            | ErrorClass::InternalServer
            | ErrorClass::BadGateway
            | ErrorClass::ServiceUnavailable
            | ErrorClass::Authentication
            | ErrorClass::NotFound => true,
            ErrorClass::ContextWindowExceeded
            | ErrorClass::ContentPolicyViolation
            | ErrorClass::BadRequest
            | ErrorClass::PermissionDenied
            | ErrorClass::Connection
            | ErrorClass::NoDeploymentsAvailable
            | ErrorClass::BudgetExceeded
            | ErrorClass::TagsNotAllowed
            | ErrorClass::UnknownModel => false,
        }
    }

    /// Whether the status is one a client retries (openai's and LiteLLM's `should_retry`: 408,
    /// 409, 429 and 5xx). A failure that is not cools its deployment at once when it may cool
    /// at all (401, 404), and skips the deployment for the rest of the request's retries.
    pub fn is_retryable_status(self) -> bool {
        match self {
            ErrorClass::RateLimit
            | ErrorClass::Timeout
            | ErrorClass::InternalServer
            | ErrorClass::BadGateway
            | ErrorClass::ServiceUnavailable
            | ErrorClass::Connection
            | ErrorClass::NoDeploymentsAvailable => true,
            ErrorClass::ContextWindowExceeded
            | ErrorClass::ContentPolicyViolation
            | ErrorClass::BadRequest
            | ErrorClass::Authentication
            | ErrorClass::PermissionDenied
            | ErrorClass::NotFound
            | ErrorClass::BudgetExceeded
            | ErrorClass::TagsNotAllowed
            | ErrorClass::UnknownModel => false,
        }
    }

    /// Whether a failure of this class is retried within its group when the retry policy says
    /// nothing about it (ROUTING.md §5). `group_size` is the number of deployments in the group.
    pub fn retried_by_default(self, group_size: usize) -> bool {
        match self {
            ErrorClass::ContextWindowExceeded
            | ErrorClass::ContentPolicyViolation
            | ErrorClass::NotFound
            | ErrorClass::BadRequest
            | ErrorClass::BudgetExceeded
            | ErrorClass::TagsNotAllowed
            | ErrorClass::UnknownModel => false,
            ErrorClass::Authentication | ErrorClass::PermissionDenied => group_size > 1,
            ErrorClass::RateLimit
            | ErrorClass::Timeout
            | ErrorClass::InternalServer
            | ErrorClass::BadGateway
            | ErrorClass::ServiceUnavailable
            | ErrorClass::Connection
            | ErrorClass::NoDeploymentsAvailable => true,
        }
    }

    /// The count a `retry_policy` gives this class, walking LiteLLM's exception hierarchy from
    /// the most specific class (a context-window error is a bad request; a content-policy error
    /// is one too).
    pub fn retry_policy_count(self, policy: &PerClass) -> Option<u32> {
        match self {
            ErrorClass::RateLimit => policy.rate_limit,
            ErrorClass::Timeout => policy.timeout,
            ErrorClass::InternalServer => policy.internal_server,
            ErrorClass::ServiceUnavailable => policy.service_unavailable,
            ErrorClass::ContextWindowExceeded | ErrorClass::BadRequest => policy.bad_request,
            ErrorClass::ContentPolicyViolation => policy.content_policy.or(policy.bad_request),
            ErrorClass::Authentication => policy.authentication,
            ErrorClass::NotFound => policy.not_found,
            ErrorClass::BadGateway
            | ErrorClass::PermissionDenied
            | ErrorClass::Connection
            | ErrorClass::NoDeploymentsAvailable
            | ErrorClass::BudgetExceeded
            | ErrorClass::TagsNotAllowed
            | ErrorClass::UnknownModel => None,
        }
    }

    /// The allowance an `allowed_fails_policy` gives this class (a context-window error takes
    /// the bad-request entry, a content-policy error its own else the bad-request one; classes
    /// the policy has no key for get `None`). Only the allowance depends on the class: the
    /// failures are counted in one count per deployment, whatever their class (see `cooldown`).
    pub fn allowed_fails_count(self, policy: &PerClass) -> Option<u32> {
        match self {
            ErrorClass::Authentication => policy.authentication,
            ErrorClass::Timeout => policy.timeout,
            ErrorClass::RateLimit => policy.rate_limit,
            ErrorClass::ContentPolicyViolation => policy.content_policy.or(policy.bad_request),
            ErrorClass::ContextWindowExceeded | ErrorClass::BadRequest => policy.bad_request,
            ErrorClass::InternalServer => policy.internal_server,
            ErrorClass::ServiceUnavailable
            | ErrorClass::BadGateway
            | ErrorClass::PermissionDenied
            | ErrorClass::NotFound
            | ErrorClass::Connection
            | ErrorClass::NoDeploymentsAvailable
            | ErrorClass::BudgetExceeded
            | ErrorClass::TagsNotAllowed
            | ErrorClass::UnknownModel => None,
        }
    }

    /// The fallback list a failure of this class moves to.
    pub fn fallback_kind(self) -> FallbackKind {
        match self {
            ErrorClass::ContextWindowExceeded => FallbackKind::ContextWindow,
            ErrorClass::ContentPolicyViolation => FallbackKind::ContentPolicy,
            ErrorClass::RateLimit
            | ErrorClass::Timeout
            | ErrorClass::InternalServer
            | ErrorClass::BadGateway
            | ErrorClass::ServiceUnavailable
            | ErrorClass::BadRequest
            | ErrorClass::Authentication
            | ErrorClass::PermissionDenied
            | ErrorClass::NotFound
            | ErrorClass::Connection
            | ErrorClass::NoDeploymentsAvailable
            | ErrorClass::BudgetExceeded
            | ErrorClass::TagsNotAllowed
            | ErrorClass::UnknownModel => FallbackKind::General,
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
    fn all_lists_the_classes_in_declaration_order() {
        for (i, class) in ErrorClass::ALL.into_iter().enumerate() {
            assert_eq!(class as usize, i, "{class}");
        }
    }

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
        assert_eq!(ErrorClass::TagsNotAllowed.status(), 401);
    }
}
