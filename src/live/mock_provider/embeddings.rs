//! Embeddings: deterministic vectors from the auto router's own n-gram encoder.
//!
//! Each input text becomes the [`NgramEncoder`]'s L2-normalised vector, laid out densely in
//! [`DIMS`] dimensions, so the same text always gets the same vector and texts sharing words get
//! similar ones. It decides the vectors and the list body; latency and faults are the
//! provider's, as for chat.

use serde_json::{Value, json};

use super::request::tokens_of_chars;
use crate::router::auto_router::encoder::{Encoder, NgramEncoder, SparseVec};

/// The vectors' dimension.
pub const DIMS: u32 = 256;

/// An embeddings request as the provider model sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddingsRequest {
    /// The request's `model` (echoed in the response).
    pub model: Option<String>,
    /// The texts to embed, in order.
    pub inputs: Vec<String>,
    /// Prompt tokens over all inputs.
    pub input_tokens: u32,
}

fn input_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        // A pre-tokenised input: its token ids as text.
        Value::Array(ids) if ids.iter().all(Value::is_number) => Some(
            ids.iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        _ => None,
    }
}

impl EmbeddingsRequest {
    /// Reads an embeddings body; `Err` says what is wrong with it.
    pub fn parse(body: &[u8]) -> Result<EmbeddingsRequest, String> {
        let v: Value =
            serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))?;
        let input = v.get("input").ok_or("`input` is required")?;
        let bad = || "`input` must be a string or an array of strings".to_string();
        let inputs = match input {
            Value::Array(items) if items.iter().all(|i| !i.is_number()) => items
                .iter()
                .map(|i| input_text(i).ok_or_else(bad))
                .collect::<Result<Vec<_>, _>>()?,
            other => vec![input_text(other).ok_or_else(bad)?],
        };
        let chars = inputs.iter().map(|t| t.chars().count()).sum();
        Ok(EmbeddingsRequest {
            model: v.get("model").and_then(Value::as_str).map(str::to_string),
            input_tokens: tokens_of_chars(chars),
            inputs,
        })
    }
}

/// The vector of `text`: unit length, or all zeros for text with nothing to compare.
pub fn embed(text: &str) -> Vec<f32> {
    let encoder = NgramEncoder::new(DIMS);
    let mut sparse = SparseVec::new();
    let mut dense = vec![0.0; encoder.dims()];
    if encoder.encode(text, &mut sparse).is_ok() {
        for (dim, value) in sparse {
            if let Some(slot) = dense.get_mut(dim as usize) {
                *slot += value;
            }
        }
    }
    dense
}

/// The `list` body for `request`.
pub fn body(request: &EmbeddingsRequest, model: &str) -> Value {
    let data: Vec<Value> = request
        .inputs
        .iter()
        .enumerate()
        .map(|(index, text)| json!({"object": "embedding", "index": index, "embedding": embed(text)}))
        .collect();
    json!({
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": request.input_tokens, "total_tokens": request.input_tokens},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cos(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn similar_texts_get_closer_vectors_than_unrelated_ones() {
        let a = embed("refund my order please");
        let b = embed("I want a refund for my order");
        let c = embed("write a haiku about autumn leaves");
        assert_eq!(a.len(), DIMS as usize);
        assert_eq!(a, embed("refund my order please"));
        assert!(cos(&a, &b) > cos(&a, &c), "{} {}", cos(&a, &b), cos(&a, &c));
    }

    #[test]
    fn inputs_may_be_a_string_a_list_or_token_ids() {
        let one = EmbeddingsRequest::parse(br#"{"input": "abcdefgh"}"#).unwrap();
        assert_eq!((one.inputs.len(), one.input_tokens), (1, 2));
        let many = EmbeddingsRequest::parse(br#"{"input": ["a", "b"], "model": "e"}"#).unwrap();
        assert_eq!(many.inputs, vec!["a", "b"]);
        let ids = EmbeddingsRequest::parse(br#"{"input": [1, 2]}"#).unwrap();
        assert_eq!(ids.inputs, vec!["1 2"]);
        assert!(EmbeddingsRequest::parse(br#"{"input": {}}"#).is_err());
    }
}
