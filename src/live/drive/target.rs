//! The gateway to drive: the chat-completions URL built from what the user gave.
//!
//! It decides the endpoint and refuses anything but an `http`/`https` URL; it sends nothing.
//! The target is always the user's own (a local proxy, a mock, their LiteLLM), never a default.

use anyhow::{Result, bail};

/// The path the driver posts to, below the gateway's root.
const COMPLETIONS: &str = "/v1/chat/completions";

/// The chat-completions URL for `target`: `http://host:port` and `http://host:port/` gain
/// `/v1/chat/completions`, a target ending in `/v1` gains `/chat/completions`, and one already
/// ending in `/chat/completions` is used as it is.
pub fn completions_url(target: &str) -> Result<String> {
    let trimmed = target.trim().trim_end_matches('/');
    let Some((scheme, rest)) = trimmed.split_once("://") else {
        bail!("--target {target:?}: expected an http:// or https:// URL");
    };
    if !matches!(scheme, "http" | "https") || rest.is_empty() {
        bail!("--target {target:?}: expected an http:// or https:// URL with a host");
    }
    if rest.contains(['?', '#']) {
        bail!("--target {target:?}: give the gateway's address without a query or fragment");
    }
    Ok(if trimmed.ends_with("/chat/completions") {
        trimmed.to_string()
    } else if trimmed.ends_with("/v1") {
        format!("{trimmed}/chat/completions")
    } else {
        format!("{trimmed}{COMPLETIONS}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_is_added_once() {
        let url = |t| completions_url(t).unwrap();
        assert_eq!(
            url("http://127.0.0.1:4000"),
            "http://127.0.0.1:4000/v1/chat/completions"
        );
        assert_eq!(
            url("http://127.0.0.1:4000/"),
            "http://127.0.0.1:4000/v1/chat/completions"
        );
        assert_eq!(url("http://h/v1/"), "http://h/v1/chat/completions");
        assert_eq!(
            url("https://h/v1/chat/completions"),
            "https://h/v1/chat/completions"
        );
        assert_eq!(url("http://h/proxy"), "http://h/proxy/v1/chat/completions");
        assert!(completions_url("ftp://h").is_err());
        assert!(completions_url("localhost:4000").is_err());
    }
}
