//! A gateway's error answer, classified once into an [`ErrorClass`].
//!
//! An error body naming a class in its `code` or `type` (as Switchyard's proxy does) is taken at
//! its word; otherwise the status decides, with the message and code separating the kinds of
//! 400 (context window, content policy, unknown model) and the router's own 429 (no deployments
//! available). It decides the class only; what the class means is the router's.

use serde_json::Value;

use crate::router::ErrorClass;

/// What an OpenAI-style error body says: `{"error": {"message", "type", "code"}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorBody {
    /// `error.message`.
    pub message: String,
    /// `error.type`.
    pub kind: String,
    /// `error.code` (a string or a number).
    pub code: String,
}

impl ErrorBody {
    /// Reads an error body; a body that is not JSON becomes the message.
    pub fn parse(bytes: &[u8]) -> ErrorBody {
        let text = |v: Option<&Value>| match v {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => {
                let e = v.get("error").unwrap_or(&v);
                let message = match e {
                    Value::String(s) => s.clone(),
                    _ => text(e.get("message")),
                };
                ErrorBody {
                    message,
                    kind: text(e.get("type")),
                    code: text(e.get("code")),
                }
            }
            Err(_) => ErrorBody {
                message: String::from_utf8_lossy(bytes).into_owned(),
                ..ErrorBody::default()
            },
        }
    }
}

/// The class of an error answer with `status` and `body`: a class the body names, else the
/// gateway's own refusals (LiteLLM's "no deployments available" 429, an unknown model's 400),
/// else the status and phrases as an upstream's answer is classified
/// ([`crate::live::upstream::classify::classify`]).
pub fn classify(status: u16, body: &ErrorBody) -> ErrorClass {
    if let Some(class) = [&body.code, &body.kind]
        .into_iter()
        .find_map(|s| ErrorClass::from_name(s))
    {
        return class;
    }
    let all = format!("{} {} {}", body.code, body.kind, body.message).to_ascii_lowercase();
    let said = |words: &[&str]| words.iter().any(|w| all.contains(w));
    match status {
        429 if said(&["no deployments available"]) => ErrorClass::NoDeploymentsAvailable,
        400 if said(&["invalid model name", "unknown model"]) => ErrorClass::UnknownModel,
        401 if said(&["due to tags configuration"]) => ErrorClass::TagsNotAllowed,
        s if (100..400).contains(&s) => ErrorClass::InternalServer,
        _ => crate::live::upstream::classify::classify(status, all.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(status: u16, body: &str) -> ErrorClass {
        classify(status, &ErrorBody::parse(body.as_bytes()))
    }

    #[test]
    fn statuses_map_to_their_classes() {
        assert_eq!(class(429, ""), ErrorClass::RateLimit);
        assert_eq!(class(408, ""), ErrorClass::Timeout);
        assert_eq!(class(500, ""), ErrorClass::InternalServer);
        assert_eq!(class(502, ""), ErrorClass::BadGateway);
        assert_eq!(class(503, ""), ErrorClass::ServiceUnavailable);
        assert_eq!(class(401, ""), ErrorClass::Authentication);
        assert_eq!(class(403, ""), ErrorClass::PermissionDenied);
        assert_eq!(class(404, ""), ErrorClass::NotFound);
        assert_eq!(class(400, "{}"), ErrorClass::BadRequest);
    }

    #[test]
    fn messages_and_codes_refine_the_status() {
        let cw = r#"{"error": {"message": "This model's maximum context length is 8192 tokens", "code": "context_length_exceeded"}}"#;
        assert_eq!(class(400, cw), ErrorClass::ContextWindowExceeded);
        let cp = r#"{"error": {"message": "flagged by the content policy", "code": 400}}"#;
        assert_eq!(class(400, cp), ErrorClass::ContentPolicyViolation);
        let none = r#"{"error": {"message": "No deployments available for selected model"}}"#;
        assert_eq!(class(429, none), ErrorClass::NoDeploymentsAvailable);
        let named = r#"{"error": {"message": "x", "code": "tags_not_allowed"}}"#;
        assert_eq!(class(400, named), ErrorClass::TagsNotAllowed);
        let litellm_tags = r#"{"error": {"message": "Not allowed to access model due to tags configuration. Passed model=g and tags=['x']", "code": "401"}}"#;
        assert_eq!(class(401, litellm_tags), ErrorClass::TagsNotAllowed);
    }
}
