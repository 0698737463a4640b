//! Text encoders for the auto router: text in, an L2-normalised sparse vector out.
//!
//! [`Encoder`] is the seam: the simulator uses the built-in [`NgramEncoder`], which needs no
//! download and reads Chinese as well as English; the live proxy can put an HTTP call to the
//! configured embedding model behind the same trait. It decides only how text becomes a vector;
//! the built-in encoder reads no file and no network, keeps no state between calls, and gives
//! the same vector for the same text.

use std::fmt;

/// A sparse vector: `(dimension, value)` pairs sorted by dimension, no duplicates.
pub type SparseVec = Vec<(u32, f32)>;

/// Why a text could not be encoded (an embedding service's error, for an encoder that calls
/// one; the built-in encoder never fails). The auto router then routes to its default model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError(pub String);

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Turns text into a unit vector.
///
/// An implementation must give the same vector for the same text: a simulation replays from
/// its seed only if encoding does. It is shared behind an `Arc` by every clone of a router.
pub trait Encoder: Send + Sync + fmt::Debug {
    /// The vector's dimension: every component's index is below it (the auto router sizes
    /// its inverted index by it).
    fn dims(&self) -> usize;

    /// Encodes `text` into `out` (cleared first), L2-normalised; an empty result means the text
    /// carried nothing to compare.
    fn encode(&self, text: &str, out: &mut SparseVec) -> Result<(), EncodeError>;
}

/// Hashed character and word n-grams, weighted and L2-normalised.
///
/// Han, kana and hangul runs give character unigrams and bigrams (Chinese has no spaces, and
/// bigrams carry most of its meaning); other letters and digits give lower-cased words and the
/// character trigrams of each word. Features are hashed (FNV-1a) with a sign bit into
/// [`NgramEncoder::dims`] dimensions. English function words are skipped.
///
/// Weights: a word 1.0, each of its trigrams 0.4, a CJK character 0.6, a CJK bigram 1.0, so
/// whole words and character pairs count most and partial overlaps still score. `+` and `#`
/// count as letters, so `C++` and `C#` stay words.
#[derive(Debug, Clone, Copy)]
pub struct NgramEncoder {
    /// Hash buckets: at least 16, 4096 by default.
    dims: u32,
}

impl Default for NgramEncoder {
    /// 4096 dimensions.
    fn default() -> Self {
        NgramEncoder { dims: 4096 }
    }
}

/// English function words (and "please") that say nothing about a prompt's topic: skipped,
/// trigrams included, so "write me a poem" and "write a poem" encode alike.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "i", "in", "is", "it", "me",
    "my", "of", "on", "or", "please", "the", "this", "that", "to", "with", "you", "your", "can",
    "could", "would", "some", "about",
];

/// Whether `c` belongs to a script written without spaces: hiragana and katakana, CJK unified
/// ideographs (with extension A), hangul syllables, CJK compatibility ideographs.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xac00..=0xd7af | 0xf900..=0xfaff)
}

/// FNV-1a (64-bit) over `parts`, with `salt` folded into the offset basis so that each kind of
/// feature (1 word, 2 trigram, 3 CJK character, 4 CJK bigram) hashes apart, and a separator
/// after each part so `("ab", "c")` and `("a", "bc")` differ.
fn fnv(salt: u8, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(salt);
    for p in parts {
        for b in p.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl NgramEncoder {
    /// An encoder into `dims` dimensions (raised to 16 if smaller).
    pub fn new(dims: u32) -> Self {
        NgramEncoder { dims: dims.max(16) }
    }

    /// Appends one feature: bucket `hash % dims`, sign from the hash's top bit (the hashing
    /// trick's sign, so colliding features cancel on average instead of piling up).
    fn add(&self, out: &mut SparseVec, hash: u64, weight: f32) {
        let dim = (hash % u64::from(self.dims)) as u32;
        let sign = if hash >> 63 == 0 { 1.0 } else { -1.0 };
        out.push((dim, sign * weight));
    }
}

impl Encoder for NgramEncoder {
    /// The number of hash buckets.
    fn dims(&self) -> usize {
        self.dims as usize
    }

    /// Lower-cases `text`, splits it into CJK runs and words (letters, digits, `+`, `#`), adds
    /// their features, then merges and normalises. Never fails; text with no word or CJK
    /// character left after the stop words gives an empty vector.
    fn encode(&self, text: &str, out: &mut SparseVec) -> Result<(), EncodeError> {
        out.clear();
        let lower = text.to_lowercase();
        let mut cjk_prev: Option<char> = None;
        let mut word = String::new();
        let mut buf = [0u8; 8];
        let flush_word = |word: &mut String, out: &mut SparseVec| {
            if !word.is_empty() && !STOPWORDS.contains(&word.as_str()) {
                self.add(out, fnv(1, &[word]), 1.0);
                let padded: Vec<char> = std::iter::once(' ')
                    .chain(word.chars())
                    .chain(std::iter::once(' '))
                    .collect();
                for w in padded.windows(3) {
                    let tri: String = w.iter().collect();
                    self.add(out, fnv(2, &[&tri]), 0.4);
                }
            }
            word.clear();
        };
        for c in lower.chars() {
            if is_cjk(c) {
                flush_word(&mut word, out);
                let s = c.encode_utf8(&mut buf);
                self.add(out, fnv(3, &[s]), 0.6);
                if let Some(p) = cjk_prev {
                    let mut pb = [0u8; 4];
                    let ps = p.encode_utf8(&mut pb);
                    self.add(out, fnv(4, &[ps, &c.to_string()]), 1.0);
                }
                cjk_prev = Some(c);
            } else {
                cjk_prev = None;
                if c.is_alphanumeric() || c == '+' || c == '#' {
                    word.push(c);
                } else {
                    flush_word(&mut word, out);
                }
            }
        }
        flush_word(&mut word, out);
        merge_and_normalise(out);
        Ok(())
    }
}

/// Sorts `v` by dimension, adds up the values of repeated dimensions and scales it to unit
/// length (an all-zero vector becomes empty).
fn merge_and_normalise(v: &mut SparseVec) {
    v.sort_unstable_by_key(|(d, _)| *d);
    let mut merged = 0;
    for i in 0..v.len() {
        if merged > 0 && v[merged - 1].0 == v[i].0 {
            v[merged - 1].1 += v[i].1;
        } else {
            v[merged] = v[i];
            merged += 1;
        }
    }
    v.truncate(merged);
    let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, x) in v.iter_mut() {
            *x /= norm;
        }
    } else {
        v.clear();
    }
}

/// Cosine similarity of two unit sparse vectors sorted by dimension: their dot product over
/// the shared dimensions, in `[-1, 1]`. The auto router computes the same sum through its
/// inverted index instead.
pub fn cosine(a: &[(u32, f32)], b: &[(u32, f32)]) -> f32 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(text: &str) -> SparseVec {
        let mut v = Vec::new();
        NgramEncoder::default().encode(text, &mut v).unwrap();
        v
    }

    #[test]
    fn identical_texts_are_one_and_related_ones_closer_than_unrelated() {
        let a = enc("使用 Python 语言实现冒泡排序算法");
        assert!((cosine(&a, &a) - 1.0).abs() < 1e-5);
        let related = enc("用 Python 实现快速排序算法");
        let unrelated = enc("写一首关于春天的诗");
        assert!(cosine(&a, &related) > cosine(&a, &unrelated) + 0.2);
        let en = enc("Write a Python function that sorts a list");
        let en_related = enc("Implement merge sort in Python");
        let en_unrelated = enc("Write a poem about the autumn moon");
        assert!(cosine(&en, &en_related) > cosine(&en, &en_unrelated));
        assert!(enc("").is_empty() && enc("   ,,, ").is_empty());
    }
}
