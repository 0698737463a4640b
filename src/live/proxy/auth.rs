//! Who may call the proxy: the master key from `general_settings.master_key`, presented as
//! `Authorization: Bearer KEY`, `x-litellm-api-key: KEY` (with or without `Bearer`) or
//! `api-key: KEY`, as LiteLLM's proxy accepts it. No master key: everyone.
//!
//! It decides only whether a request is allowed; the key itself is never logged or echoed.

use axum::http::HeaderMap;

/// The key a request presents, if any.
fn presented(headers: &HeaderMap) -> Option<&str> {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    ["authorization", "x-litellm-api-key", "api-key"]
        .into_iter()
        .find_map(value)
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim())
}

/// Whether `headers` carry `master_key` (always true without one). Compared in constant time.
pub fn allowed(master_key: Option<&str>, headers: &HeaderMap) -> bool {
    let Some(expected) = master_key else {
        return true;
    };
    let Some(given) = presented(headers) else {
        return false;
    };
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_master_key_is_accepted_in_each_header_and_nothing_else_passes() {
        let with = |name: &str, value: &str| {
            let mut h = HeaderMap::new();
            h.insert(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
            h
        };
        let key = Some("sk-1234");
        assert!(allowed(key, &with("authorization", "Bearer sk-1234")));
        assert!(allowed(key, &with("x-litellm-api-key", "sk-1234")));
        assert!(allowed(key, &with("api-key", "sk-1234")));
        assert!(!allowed(key, &with("authorization", "Bearer sk-12345")));
        assert!(!allowed(key, &HeaderMap::new()));
        assert!(allowed(None, &HeaderMap::new()), "no master key: open");
    }
}
