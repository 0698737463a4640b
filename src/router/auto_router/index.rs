//! The utterance index of an auto router: each utterance's vector, stored so that a prompt's
//! cosine similarity to every utterance is one pass.
//!
//! Two layouts, one result: [`UtteranceIndex::Sparse`] holds the built-in encoder's sparse
//! vectors as an inverted index (one posting list per dimension, so a prompt touches only the
//! dimensions it has); [`UtteranceIndex::Dense`] holds an embedding model's dense vectors as unit
//! rows, and the prompt's vector arrives precomputed with the request. Both fill the same score
//! slice, which the auto router turns into a decision with one piece of code. It decides only
//! how similarities are computed; it must not rank, threshold or choose a route, and it never
//! encodes text itself beyond calling the encoder it was given.

use std::sync::Arc;

use super::encoder::{Encoder, SparseVec};

/// Why a prompt could not be scored: the auto router then routes to its default model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unscored {
    /// No prompt (no user message), or no precomputed vector for a dense index (the embedding
    /// call failed).
    NoInput,
    /// The encoder refused the text, or it carried nothing to compare (an all-zero vector).
    Empty,
    /// A precomputed vector whose dimension is not the utterances'.
    WrongDimension,
}

/// Utterance vectors, ready to score prompts against.
#[derive(Debug, Clone)]
pub enum UtteranceIndex {
    /// Sparse vectors from an in-process encoder, as an inverted index.
    Sparse(SparseIndex),
    /// Dense unit vectors from an embedding model, one row per utterance.
    Dense(DenseIndex),
}

/// The inverted index of sparse utterance vectors.
#[derive(Debug, Clone)]
pub struct SparseIndex {
    /// Encodes the utterances (once, at construction) and each prompt.
    encoder: Arc<dyn Encoder>,
    /// Where each dimension's posting list starts in `postings` (one entry per dimension,
    /// plus the end): dimension `d`'s list is `postings[offsets[d]..offsets[d + 1]]`.
    offsets: Vec<u32>,
    /// `(utterance, value)` for every non-zero component of every utterance vector, grouped
    /// by dimension.
    postings: Vec<(u16, f32)>,
    /// Scratch: the prompt's vector.
    query: SparseVec,
}

/// Dense utterance vectors, each scaled to unit length.
#[derive(Debug, Clone)]
pub struct DenseIndex {
    /// Every vector's dimension.
    dims: usize,
    /// Utterance `u`'s unit vector is `rows[u * dims..(u + 1) * dims]` (all zeros for a zero
    /// vector, which then scores 0 against every prompt).
    rows: Vec<f32>,
}

impl SparseIndex {
    /// Encodes `utterances` with `encoder`. An utterance the encoder refuses stays in the index
    /// with no components, so it scores 0.
    pub fn new<'a>(
        encoder: Arc<dyn Encoder>,
        utterances: impl Iterator<Item = &'a str>,
    ) -> SparseIndex {
        let dims = encoder.dims();
        let mut lists: Vec<Vec<(u16, f32)>> = vec![Vec::new(); dims];
        let mut v = SparseVec::new();
        for (u, utterance) in utterances.enumerate() {
            if encoder.encode(utterance, &mut v).is_ok() {
                for &(d, x) in &v {
                    lists[d as usize].push((u as u16, x));
                }
            }
        }
        let mut offsets = Vec::with_capacity(dims + 1);
        let mut postings = Vec::new();
        offsets.push(0);
        for list in lists {
            postings.extend(list);
            offsets.push(postings.len() as u32);
        }
        SparseIndex {
            encoder,
            offsets,
            postings,
            query: SparseVec::with_capacity(256),
        }
    }

    /// Adds each utterance's cosine similarity to `prompt` into `scores` (zeroed by the caller).
    fn score(&mut self, prompt: &str, scores: &mut [f32]) -> Result<(), Unscored> {
        if self.encoder.encode(prompt, &mut self.query).is_err() || self.query.is_empty() {
            return Err(Unscored::Empty);
        }
        for &(d, x) in &self.query {
            let (start, end) = (
                self.offsets[d as usize] as usize,
                self.offsets[d as usize + 1] as usize,
            );
            for &(u, y) in &self.postings[start..end] {
                scores[u as usize] += x * y;
            }
        }
        Ok(())
    }
}

/// Lanes of the dot product: independent partial sums the compiler can keep in one SIMD
/// register (a single running sum is a chain of dependent additions it may not reorder).
const LANES: usize = 8;

/// The dot product of `a` and `b` (of equal length), summed in [`LANES`] interleaved partial
/// sums.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for i in 0..LANES {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Euclidean length of `v`.
fn norm(v: &[f32]) -> f32 {
    dot(v, v).sqrt()
}

impl DenseIndex {
    /// The index of `vectors`, one per utterance in config order; `Err` when they are empty or
    /// of different dimensions.
    pub fn new(vectors: &[Vec<f32>]) -> Result<DenseIndex, String> {
        let dims = vectors.first().map_or(0, Vec::len);
        if dims == 0 {
            return Err("the embedding model returned empty vectors".into());
        }
        if let Some((u, v)) = vectors.iter().enumerate().find(|(_, v)| v.len() != dims) {
            return Err(format!(
                "the embedding model returned vectors of different lengths ({dims} for the first utterance, {} for utterance {})",
                v.len(),
                u + 1
            ));
        }
        let mut rows = Vec::with_capacity(dims * vectors.len());
        for v in vectors {
            let n = norm(v);
            let scale = if n > 0.0 { 1.0 / n } else { 0.0 };
            rows.extend(v.iter().map(|x| x * scale));
        }
        Ok(DenseIndex { dims, rows })
    }

    /// The vectors' dimension.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Writes each utterance's cosine similarity to `vector` into `scores`.
    fn score(&self, vector: &[f32], scores: &mut [f32]) -> Result<(), Unscored> {
        if vector.len() != self.dims {
            return Err(Unscored::WrongDimension);
        }
        let n = norm(vector);
        if n <= 0.0 || !n.is_finite() {
            return Err(Unscored::Empty);
        }
        for (score, row) in scores.iter_mut().zip(self.rows.chunks_exact(self.dims)) {
            *score = dot(row, vector) / n;
        }
        Ok(())
    }
}

impl UtteranceIndex {
    /// Fills `scores` (one per utterance) with the prompt's cosine similarity to each
    /// utterance: from `vector` for a dense index, from `prompt` through the encoder for a
    /// sparse one.
    pub fn score(
        &mut self,
        prompt: Option<&str>,
        vector: Option<&[f32]>,
        scores: &mut [f32],
    ) -> Result<(), Unscored> {
        scores.iter_mut().for_each(|s| *s = 0.0);
        match self {
            UtteranceIndex::Sparse(index) => index.score(prompt.ok_or(Unscored::NoInput)?, scores),
            UtteranceIndex::Dense(index) => index.score(vector.ok_or(Unscored::NoInput)?, scores),
        }
    }
}
