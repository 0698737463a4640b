//! LiteLLM's failures as its spend logs record them — the exception's class name and the
//! status code in `metadata.error_information` — turned into Switchyard's [`ErrorClass`].
//! It decides only that mapping.

use crate::router::ErrorClass;

/// The class of a failure LiteLLM logged with exception `name`, status `code` and `message`:
/// the exception's name when it is one of LiteLLM's (`RateLimitError` …), else the status.
/// The router's own "No deployments available" is a `RateLimitError` told by its message.
pub(crate) fn class_of(name: &str, code: Option<u16>, message: &str) -> Option<ErrorClass> {
    let named = by_name(name);
    if matches!(named, Some(ErrorClass::RateLimit)) && message.contains("No deployments available")
    {
        return Some(ErrorClass::NoDeploymentsAvailable);
    }
    named.or_else(|| code.and_then(by_status))
}

/// The class LiteLLM's exception `name` stands for.
fn by_name(name: &str) -> Option<ErrorClass> {
    let name = name.rsplit('.').next().unwrap_or(name);
    Some(match name {
        "RateLimitError" => ErrorClass::RateLimit,
        "Timeout" | "APITimeoutError" => ErrorClass::Timeout,
        "InternalServerError" => ErrorClass::InternalServer,
        "BadGatewayError" => ErrorClass::BadGateway,
        "ServiceUnavailableError" => ErrorClass::ServiceUnavailable,
        "ContextWindowExceededError" => ErrorClass::ContextWindowExceeded,
        "ContentPolicyViolationError" => ErrorClass::ContentPolicyViolation,
        "BadRequestError" | "UnprocessableEntityError" => ErrorClass::BadRequest,
        "AuthenticationError" => ErrorClass::Authentication,
        "PermissionDeniedError" => ErrorClass::PermissionDenied,
        "NotFoundError" => ErrorClass::NotFound,
        "APIConnectionError" => ErrorClass::Connection,
        _ => return None,
    })
}

/// The class of an HTTP status.
pub(crate) fn by_status(status: u16) -> Option<ErrorClass> {
    Some(match status {
        429 => ErrorClass::RateLimit,
        408 => ErrorClass::Timeout,
        502 => ErrorClass::BadGateway,
        503 => ErrorClass::ServiceUnavailable,
        400 | 422 => ErrorClass::BadRequest,
        401 => ErrorClass::Authentication,
        403 => ErrorClass::PermissionDenied,
        404 => ErrorClass::NotFound,
        500..=599 => ErrorClass::InternalServer,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_decides_and_the_status_stands_in() {
        assert_eq!(
            class_of("RateLimitError", Some(429), "Rate limit reached"),
            Some(ErrorClass::RateLimit)
        );
        assert_eq!(
            class_of("litellm.ContextWindowExceededError", Some(400), ""),
            Some(ErrorClass::ContextWindowExceeded)
        );
        assert_eq!(
            class_of(
                "RateLimitError",
                Some(429),
                "No deployments available for gpt"
            ),
            Some(ErrorClass::NoDeploymentsAvailable)
        );
        assert_eq!(
            class_of("SomethingElse", Some(503), ""),
            Some(ErrorClass::ServiceUnavailable)
        );
        assert_eq!(class_of("SomethingElse", None, ""), None);
        assert_eq!(by_status(200), None);
    }
}
