//! The fast path for reading a proxy-log line: a scanner for the JSON the proxy writes, which
//! reads a line into a reused [`RequestLine`] without serde's per-field machinery or a fresh
//! allocation per line.
//!
//! It accepts only what it reads exactly as serde_json would and declines everything else,
//! returning `None`: strings it reads with escapes (a skipped field's strings may have them),
//! control characters, negative numbers, a field
//! given twice, a `null` where serde_json wants a value, anything malformed. The caller then
//! reads the line with serde_json ([`RequestLine::parse`]), which also words any error. So a
//! line read here is the value serde_json gives (a property test holds it to that), and the
//! proxy's own lines, whose names need no escape unless a deployment or tag is oddly named, are
//! all read here. Numbers are exact by Clinger's fast path or go through the standard library's
//! correctly rounded parser, as serde_json's do with `float_roundtrip`.
//! It decides nothing about what a value means; it must not check or build traffic.

use std::borrow::Cow;

use super::line::{AttemptLine, RequestLine, Settings};

/// Reads `bytes` (one line, without its newline) into `into`, reusing its vectors; `None`
/// when the line is not one this path reads (then `into` holds nothing of use).
pub(super) fn scan_line<'a>(bytes: &'a [u8], into: &mut RequestLine<'a>) -> Option<()> {
    let mut c = Cursor { b: bytes, at: 0 };
    request(&mut c, into)?;
    c.ws();
    (c.at == bytes.len()).then_some(())
}

/// Reads the decimal digits of `b` from `at` into `mantissa` (ten times it plus each, wrapping
/// past `u64`); returns where they end.
#[inline(always)]
fn digits(b: &[u8], mut at: usize, mantissa: &mut u64) -> usize {
    while let Some(&d) = b.get(at) {
        let value = d.wrapping_sub(b'0');
        if value > 9 {
            break;
        }
        *mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(value));
        at += 1;
    }
    at
}

/// The deepest nesting skipped in a field a replay does not read (serde_json allows 128).
const MAX_DEPTH: u32 = 64;

/// A position in a line.
struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    /// Skips JSON whitespace.
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.at) {
            self.at += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.at).copied()
    }

    /// Consumes `byte` (after whitespace), or declines.
    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// Consumes `word` exactly.
    fn word(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at + word.len();
        (self.b.get(self.at..end)? == word).then(|| self.at = end)
    }

    /// Consumes `null` when it comes next: whether it did.
    fn null(&mut self) -> Option<bool> {
        if self.peek()? != b'n' {
            return Some(false);
        }
        self.word(b"null").map(|()| true)
    }

    /// A string without escapes or control characters, its bytes as they stand, and whether
    /// they are all ASCII.
    fn raw_string(&mut self) -> Option<(&'a [u8], bool)> {
        self.eat(b'"')?;
        let start = self.at;
        let mut high = 0u8;
        loop {
            match *self.b.get(self.at)? {
                b'"' => break,
                b'\\' | 0..=0x1f => return None,
                c => {
                    high |= c;
                    self.at += 1;
                }
            }
        }
        self.at += 1;
        Some((&self.b[start..self.at - 1], high < 0x80))
    }

    /// A string, checked to be UTF-8 (serde_json refuses it otherwise).
    fn string(&mut self) -> Option<&'a str> {
        match self.raw_string()? {
            // SAFETY: every byte is ASCII, so the bytes are UTF-8.
            (bytes, true) => Some(unsafe { std::str::from_utf8_unchecked(bytes) }),
            (bytes, false) => std::str::from_utf8(bytes).ok(),
        }
    }

    /// Skips a string a replay does not read (a logged prompt, say): escapes are checked as
    /// serde_json checks them when it ignores a string (`\\` and one of `"\\/bfnrt`, or `u` and
    /// four hex digits) but not decoded; a control character declines, and so does text that
    /// is not UTF-8 (serde_json would let it pass; declining is always safe).
    fn skip_string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        let start = self.at;
        let mut high = 0u8;
        loop {
            match *self.b.get(self.at)? {
                b'"' => break,
                b'\\' => {
                    self.at += 1;
                    match *self.b.get(self.at)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 1,
                        b'u' => {
                            let hex = self.b.get(self.at + 1..self.at + 5)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.at += 5;
                        }
                        _ => return None,
                    }
                }
                0..=0x1f => return None,
                c => {
                    high |= c;
                    self.at += 1;
                }
            }
        }
        let text = &self.b[start..self.at];
        self.at += 1;
        (high < 0x80 || std::str::from_utf8(text).is_ok()).then_some(())
    }

    /// A borrowed string.
    fn cow(&mut self) -> Option<Cow<'a, str>> {
        self.string().map(Cow::Borrowed)
    }

    /// A JSON number. Its digits are read by position, `at` set once at the end.
    fn number(&mut self) -> Option<Number<'a>> {
        self.ws();
        let b = self.b;
        let start = self.at;
        let negative = b.get(start) == Some(&b'-');
        let mut at = start + usize::from(negative);
        let mut mantissa = 0u64;
        match *b.get(at)? {
            b'0' => at += 1,
            b'1'..=b'9' => at = digits(b, at, &mut mantissa),
            _ => return None,
        }
        let mut count = (at - start - usize::from(negative)) as u32;
        let mut fraction = 0;
        if b.get(at) == Some(&b'.') {
            let first = at + 1;
            at = digits(b, first, &mut mantissa);
            fraction = (at - first) as u32;
            if fraction == 0 {
                return None;
            }
            count += fraction;
        }
        let mut integer = fraction == 0;
        if let Some(b'e' | b'E') = b.get(at) {
            at += 1;
            if let Some(b'+' | b'-') = b.get(at) {
                at += 1;
            }
            let exponent_start = at;
            while let Some(b'0'..=b'9') = b.get(at) {
                at += 1;
            }
            if at == exponent_start {
                return None;
            }
            integer = false;
            count = u32::MAX; // no fast path
        }
        self.at = at;
        Some(Number {
            // SAFETY: the bytes matched the number grammar above, which is ASCII.
            text: unsafe { std::str::from_utf8_unchecked(&b[start..at]) },
            negative,
            integer,
            mantissa,
            digits: count,
            fraction,
        })
    }

    /// A number 0 or more, as a finite `f64` (an integer too, as serde_json takes one).
    fn f64(&mut self) -> Option<f64> {
        let n = self.number()?;
        if n.negative {
            return None;
        }
        let value = match n.exact() {
            Some(value) => value,
            None => n.text.parse().ok()?,
        };
        value.is_finite().then_some(value)
    }

    /// An unsigned integer that fits `T` (no fraction, no exponent, no sign).
    fn unsigned<T: TryFrom<u64>>(&mut self) -> Option<T> {
        let n = self.number()?;
        if n.negative || !n.integer || n.digits > 19 {
            return None;
        }
        T::try_from(n.mantissa).ok()
    }

    /// `true` or `false`.
    fn bool(&mut self) -> Option<bool> {
        match self.peek()? {
            b't' => self.word(b"true").map(|()| true),
            b'f' => self.word(b"false").map(|()| false),
            _ => None,
        }
    }

    /// `null`, or what `read` reads.
    fn optional<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if self.null()? {
            return Some(None);
        }
        read(self).map(Some)
    }

    /// A list between `open` and `close`, each element read by `item` and followed by a comma
    /// or `close` (an array's elements, an object's fields).
    fn list(
        &mut self,
        open: u8,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.eat(open)?;
        if self.peek()? == close {
            self.at += 1;
            return Some(());
        }
        loop {
            item(self)?;
            match self.peek()? {
                b',' => self.at += 1,
                c if c == close => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// An array, each element read by `item`.
    fn array(&mut self, item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.list(b'[', b']', item)
    }

    /// An object, each field handed to `field` with its key (the value not yet read).
    fn object(&mut self, mut field: impl FnMut(&mut Self, Key<'a>) -> Option<()>) -> Option<()> {
        self.list(b'{', b'}', |c| {
            let (bytes, ascii) = c.raw_string()?;
            c.eat(b':')?;
            field(c, Key { bytes, ascii })
        })
    }

    /// An object whose fields the proxy writes as `written` says: each field with a number
    /// (0 to 31) has its value read by `read` with that number, every other field is skipped.
    /// Declines a field given twice (as serde_json does); returns which fields were given, one
    /// bit each. A key where the proxy writes it is matched as it stands, quotes and colon and
    /// all, without scanning it as a string; any other is scanned and looked up in `written`.
    fn fields(
        &mut self,
        written: &[Written],
        mut read: impl FnMut(&mut Self, u32) -> Option<()>,
    ) -> Option<u32> {
        let mut seen = 0u32;
        let mut next = 0;
        self.list(b'{', b'}', |c| {
            let field = match c.written_key(written, &mut next) {
                Some(field) => field,
                None => {
                    let (bytes, ascii) = c.raw_string()?;
                    c.eat(b':')?;
                    match written.iter().position(|w| w.key() == bytes) {
                        Some(at) => {
                            next = at + 1;
                            written[at].field
                        }
                        None => return c.skip_field(Key { bytes, ascii }),
                    }
                }
            };
            // A written key is ASCII: nothing to check before skipping its value.
            let Some(n) = field else {
                return c.skip_value(0);
            };
            let bit = 1 << n;
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            read(c, n)
        })?;
        Some(seen)
    }

    /// The field whose key comes next when it is the one the proxy writes after field
    /// `next - 1` of `written` (or a later one, past fields it leaves out at times): its
    /// number, consumed with its colon, `next` moved past it. `None` when the line differs.
    #[inline(always)]
    fn written_key(&mut self, written: &[Written], next: &mut usize) -> Option<Option<u32>> {
        let rest = &self.b[self.at..];
        for (at, w) in written.iter().enumerate().skip(*next) {
            if w.begins(rest) {
                self.at += w.literal.len();
                *next = at + 1;
                return Some(w.field);
            }
            if !w.optional {
                break;
            }
        }
        None
    }

    /// Skips a value of a field a replay does not read, whose key is `key`.
    fn skip_field(&mut self, key: Key<'_>) -> Option<()> {
        key.check()?;
        self.skip_value(0)
    }

    /// Skips any value, no deeper than [`MAX_DEPTH`].
    fn skip_value(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' => self.object(|c, key| {
                key.check()?;
                c.skip_value(depth + 1)
            }),
            b'[' => self.array(|c| c.skip_value(depth + 1)),
            b't' => self.word(b"true"),
            b'f' => self.word(b"false"),
            b'n' => self.word(b"null"),
            _ => self.number().map(drop),
        }
    }
}

/// A field of an object as the proxy writes it, in the order it writes them (src/live/proxy/
/// request_log.rs): its key as it stands in a line, quotes and colon included; its number for
/// [`Cursor::fields`] (`None` for a field a replay does not read); and whether the proxy leaves
/// it out at times.
struct Written {
    literal: &'static [u8],
    /// The literal as little-endian words, and which of their bytes it fills: a line is
    /// compared with it three words at a time, with no call to `memcmp`.
    words: [u64; 3],
    masks: [u64; 3],
    field: Option<u32>,
    optional: bool,
}

impl Written {
    const fn new(literal: &'static [u8], field: Option<u32>, optional: bool) -> Written {
        assert!(literal.len() <= 24, "a written key longer than three words");
        let (mut words, mut masks) = ([0; 3], [0; 3]);
        let mut i = 0;
        while i < literal.len() {
            words[i / 8] |= (literal[i] as u64) << (8 * (i % 8));
            masks[i / 8] |= 0xff << (8 * (i % 8));
            i += 1;
        }
        Written {
            literal,
            words,
            masks,
            field,
            optional,
        }
    }

    /// The key itself.
    fn key(&self) -> &'static [u8] {
        &self.literal[1..self.literal.len() - 2]
    }

    /// Whether `rest` begins with the literal.
    #[inline(always)]
    fn begins(&self, rest: &[u8]) -> bool {
        let Some(head) = rest.first_chunk::<24>() else {
            return rest.starts_with(self.literal);
        };
        let word =
            |i: usize| u64::from_le_bytes(head[8 * i..8 * i + 8].try_into().unwrap_or_default());
        let differ = |i: usize| (word(i) ^ self.words[i]) & self.masks[i];
        differ(0) | differ(1) | differ(2) == 0
    }
}

/// A field the proxy always writes.
const fn always(literal: &'static [u8], field: Option<u32>) -> Written {
    Written::new(literal, field, false)
}

/// A field the proxy leaves out at times.
const fn at_times(literal: &'static [u8], field: Option<u32>) -> Written {
    Written::new(literal, field, true)
}

/// A request line's fields as the proxy writes them.
const REQUEST_WRITTEN: [Written; 20] = [
    always(b"\"arrival_unix_s\":", Some(0)),
    always(b"\"request_id\":", None),
    always(b"\"model\":", Some(1)),
    always(b"\"tags\":", Some(2)),
    always(b"\"stream\":", Some(3)),
    always(b"\"input_tokens\":", Some(4)),
    always(b"\"output_tokens\":", Some(5)),
    always(b"\"attempts\":", Some(6)),
    at_times(b"\"settings\":", Some(13)),
    at_times(b"\"embedding_attempts\":", None),
    always(b"\"status\":", Some(7)),
    always(b"\"error_class\":", Some(8)),
    always(b"\"deployment\":", Some(9)),
    always(b"\"model_group\":", Some(10)),
    always(b"\"cost_usd\":", Some(11)),
    always(b"\"retries\":", None),
    always(b"\"fallbacks\":", None),
    always(b"\"duration_ms\":", Some(12)),
    at_times(b"\"prompt\":", None),
    at_times(b"\"response\":", None),
];

/// An attempt's fields as the proxy writes them.
const ATTEMPT_WRITTEN: [Written; 6] = [
    always(b"\"deployment\":", Some(0)),
    always(b"\"outcome\":", Some(1)),
    always(b"\"status\":", Some(2)),
    always(b"\"duration_ms\":", Some(3)),
    at_times(b"\"ttft_ms\":", Some(4)),
    at_times(b"\"retry_after_s\":", Some(5)),
];

/// The settings' fields as the proxy writes them.
const SETTINGS_WRITTEN: [Written; 4] = [
    at_times(b"\"num_retries\":", Some(0)),
    at_times(b"\"fallbacks\":", Some(1)),
    at_times(b"\"timeout_s\":", Some(2)),
    at_times(b"\"disable_fallbacks\":", Some(3)),
];

/// An object's key as it stands (no escapes), and whether it is all ASCII.
#[derive(Clone, Copy)]
struct Key<'a> {
    bytes: &'a [u8],
    ascii: bool,
}

impl Key<'_> {
    /// Declines a key that is not UTF-8 (serde_json refuses it even for a field it ignores).
    fn check(self) -> Option<()> {
        (self.ascii || std::str::from_utf8(self.bytes).is_ok()).then_some(())
    }
}

/// A number as read: its text, and its decimal digits as an integer with how many of them
/// follow the point (`digits` is `u32::MAX` when it has an exponent).
struct Number<'a> {
    text: &'a str,
    negative: bool,
    integer: bool,
    mantissa: u64,
    digits: u32,
    fraction: u32,
}

impl Number<'_> {
    /// The value, when it can be had exactly without the general parser: the digits fit 53
    /// bits and the point moves them by at most 22 places, so the digits and the power of ten
    /// are both exact and their quotient is correctly rounded (Clinger's fast path, the same
    /// value any correct parser gives).
    fn exact(&self) -> Option<f64> {
        const POWERS: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        let fits = self.digits <= 19 && self.mantissa <= 1 << 53;
        let power = POWERS.get(self.fraction as usize).filter(|_| fits)?;
        Some(self.mantissa as f64 / power)
    }
}

/// Stores a value read into `slot`; declines when it was not read.
fn set<T>(slot: &mut T, value: Option<T>) -> Option<()> {
    *slot = value?;
    Some(())
}

/// The request object, into `into`.
fn request<'a>(c: &mut Cursor<'a>, into: &mut RequestLine<'a>) -> Option<()> {
    let mut tags = std::mem::take(&mut into.tags);
    let mut attempts = std::mem::take(&mut into.attempts);
    tags.clear();
    attempts.clear();
    let mut l = RequestLine::default();
    let seen = c.fields(&REQUEST_WRITTEN, |c, field| match field {
        0 => set(&mut l.arrival_unix_s, c.f64()),
        1 => set(&mut l.model, c.cow()),
        2 => c.array(|c| {
            tags.push(c.cow()?);
            Some(())
        }),
        3 => set(&mut l.stream, c.bool()),
        4 => set(&mut l.input_tokens, c.unsigned()),
        5 => set(&mut l.output_tokens, c.unsigned()),
        6 => c.array(|c| {
            attempts.push(attempt(c)?);
            Some(())
        }),
        7 => set(&mut l.status, c.unsigned()),
        8 => set(&mut l.error_class, c.optional(Cursor::cow)),
        9 => set(&mut l.deployment, c.optional(Cursor::cow)),
        10 => set(&mut l.model_group, c.optional(Cursor::cow)),
        11 => set(&mut l.cost_usd, c.optional(Cursor::f64)),
        12 => set(&mut l.duration_ms, c.f64()),
        _ => set(&mut l.settings, c.optional(settings)),
    })?;
    // `arrival_unix_s` (0) and `status` (7) are required.
    if seen & 0b1000_0001 != 0b1000_0001 {
        return None;
    }
    l.tags = tags;
    l.attempts = attempts;
    *into = l;
    Some(())
}

/// One attempt object.
fn attempt<'a>(c: &mut Cursor<'a>) -> Option<AttemptLine<'a>> {
    let (mut deployment, mut outcome, mut duration_ms) = (None, None, None);
    let (mut status, mut ttft_ms, mut retry_after_s) = (None, None, None);
    c.fields(&ATTEMPT_WRITTEN, |c, field| match field {
        0 => set(&mut deployment, c.cow().map(Some)),
        1 => set(&mut outcome, c.cow().map(Some)),
        2 => set(&mut status, c.optional(Cursor::unsigned)),
        3 => set(&mut duration_ms, c.f64().map(Some)),
        4 => set(&mut ttft_ms, c.optional(Cursor::f64)),
        _ => set(&mut retry_after_s, c.optional(Cursor::f64)),
    })?;
    Some(AttemptLine {
        deployment: deployment?,
        outcome: outcome?,
        status,
        duration_ms: duration_ms?,
        ttft_ms,
        retry_after_s,
    })
}

/// The settings object.
fn settings<'a>(c: &mut Cursor<'a>) -> Option<Settings<'a>> {
    let mut s = Settings::default();
    c.fields(&SETTINGS_WRITTEN, |c, field| match field {
        0 => set(&mut s.num_retries, c.optional(Cursor::unsigned)),
        1 => set(&mut s.fallbacks, c.optional(names)),
        2 => set(&mut s.timeout_s, c.optional(Cursor::f64)),
        _ => set(&mut s.disable_fallbacks, c.bool()),
    })?;
    Some(s)
}

/// An array of strings.
fn names<'a>(c: &mut Cursor<'a>) -> Option<Vec<Cow<'a, str>>> {
    let mut names = Vec::new();
    c.array(|c| {
        names.push(c.cow()?);
        Some(())
    })?;
    Some(names)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    use super::*;

    proptest! {
        /// Comparing words answers as `starts_with` does: every key as written against text
        /// that matches it, differs in one byte, or stops short.
        #[test]
        fn a_written_key_begins_a_text_as_starts_with_says(
            which in 0usize..30,
            flip in proptest::option::of((0usize..24, 1u8..=255)),
            cut in proptest::option::of(0usize..24),
            tail in proptest::collection::vec(any::<u8>(), 0..30),
        ) {
            let all: Vec<&Written> = REQUEST_WRITTEN.iter()
                .chain(&ATTEMPT_WRITTEN)
                .chain(&SETTINGS_WRITTEN)
                .collect();
            let w = all[which % all.len()];
            let mut rest = w.literal.to_vec();
            if let Some((at, by)) = flip {
                let at = at % rest.len();
                rest[at] ^= by;
            }
            if let Some(cut) = cut {
                rest.truncate(cut);
            }
            rest.extend_from_slice(&tail);
            prop_assert_eq!(w.begins(&rest), rest.starts_with(w.literal));
        }
    }

    #[test]
    fn the_written_orders_give_each_field_a_place_and_a_number_of_its_own() {
        // Each table, and the fields the reader of that object reads (numbered from 0).
        let tables: [(&[Written], u32); 3] = [
            (&REQUEST_WRITTEN, 14),
            (&ATTEMPT_WRITTEN, 6),
            (&SETTINGS_WRITTEN, 4),
        ];
        for (written, read) in tables {
            let mut numbers: Vec<u32> = written.iter().filter_map(|w| w.field).collect();
            numbers.sort_unstable();
            assert_eq!(numbers, (0..read).collect::<Vec<_>>());
            let mut keys: Vec<&[u8]> = written.iter().map(Written::key).collect();
            for w in written {
                let key = std::str::from_utf8(w.key()).unwrap();
                assert_eq!(w.literal, format!("\"{key}\":").as_bytes());
            }
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), written.len(), "a key twice");
        }
    }

    #[test]
    fn a_line_in_the_written_order_reads_as_serde_json_reads_it_with_fields_left_out_or_not() {
        let attempts = r#"[{"deployment":"a","outcome":"rate_limit","status":429,"duration_ms":10.5,"retry_after_s":2.0},{"deployment":"b","outcome":"ok","status":200,"duration_ms":900.25,"ttft_ms":120.0}]"#;
        let settings = r#""settings":{"num_retries":2,"fallbacks":["x"],"timeout_s":30.0,"disable_fallbacks":true},"#;
        let embedding = r#""embedding_attempts":[{"deployment":"e","outcome":"ok","status":200,"duration_ms":3.0}],"#;
        let prompt = r#","prompt":[{"role":"user","content":"hi \"there\""}],"response":"ok""#;
        for (s, e, p) in [
            ("", "", ""),
            (settings, "", ""),
            ("", embedding, prompt),
            (settings, embedding, prompt),
        ] {
            let line = format!(
                r#"{{"arrival_unix_s":1795684842.4509099,"request_id":7,"model":"gpt-4o","tags":["chat"],"stream":true,"input_tokens":10,"output_tokens":20,"attempts":{attempts},{s}{e}"status":200,"error_class":null,"deployment":"b","model_group":"gpt-4o","cost_usd":0.0016425000000000003,"retries":1,"fallbacks":0,"duration_ms":911.5{p}}}"#
            );
            let mut scanned = RequestLine::default();
            assert!(scan_line(line.as_bytes(), &mut scanned).is_some(), "{line}");
            assert_eq!(
                Some(scanned),
                RequestLine::parse(line.as_bytes()).ok(),
                "{line}"
            );
        }
    }

    /// A random line: `clean` ones are what the proxy could write (any key order, unknown
    /// fields, optional fields left out or null, whitespace), the others may hold escapes,
    /// wrong types, duplicate or missing fields, bad numbers and stray bytes.
    struct LineMaker {
        rng: Xoshiro256PlusPlus,
        clean: bool,
    }

    impl LineMaker {
        fn chance(&mut self, p: f64) -> bool {
            self.rng.random_bool(p)
        }

        fn pick<'s>(&mut self, from: &[&'s str]) -> &'s str {
            from[self.rng.random_range(0..from.len())]
        }

        fn ws(&mut self, out: &mut Vec<u8>) {
            if self.chance(0.2) {
                let w = self.pick(&[" ", "  ", "\t", " \r ", "\n"]);
                out.extend_from_slice(w.as_bytes());
            }
        }

        fn digits(&mut self, n: usize) -> String {
            (0..n)
                .map(|_| char::from(b'0' + self.rng.random_range(0..10u8)))
                .collect()
        }

        fn float(&mut self) -> String {
            if !self.clean && self.chance(0.15) {
                return self
                    .pick(&[
                        "-1.5", "-0", "-0.0", "1e400", "null", "\"5\"", "true", "[]", "01", "1.",
                        ".5", "-", "1e", "+1", "1E+", "{}", "NaN",
                    ])
                    .to_string();
            }
            let whole = match self.rng.random_range(0..4) {
                0 => "0".to_string(),
                _ => {
                    let n = self.rng.random_range(1..12);
                    format!("{}{}", self.rng.random_range(1..10), self.digits(n - 1))
                }
            };
            let mut text = whole;
            if self.chance(0.7) {
                let n = self.rng.random_range(1..18);
                text = format!("{text}.{}", self.digits(n));
            }
            if self.chance(0.15) {
                let e = self.pick(&["e", "E", "e+", "e-", "E-"]);
                text = format!("{text}{e}{}", self.rng.random_range(0..30));
            }
            text
        }

        fn unsigned(&mut self, max: u64) -> String {
            if !self.clean && self.chance(0.15) {
                return self
                    .pick(&[
                        "1.0",
                        "1e2",
                        "-1",
                        "4294967296",
                        "65536",
                        "null",
                        "\"3\"",
                        "-0",
                        "00",
                        "18446744073709551616",
                    ])
                    .to_string();
            }
            match self.rng.random_range(0..3) {
                0 => "0".to_string(),
                1 => self.rng.random_range(0..=max.min(1000)).to_string(),
                _ => self.rng.random_range(0..=max).to_string(),
            }
        }

        fn string(&mut self, out: &mut Vec<u8>) {
            out.push(b'"');
            for _ in 0..self.rng.random_range(0..8) {
                let piece: &[u8] = if !self.clean && self.chance(0.1) {
                    let dirty: [&[u8]; 8] = [
                        b"\\\"", b"\\\\", b"\\u0041", b"\\n", b"\x01", b"\xff", b"\\x", b"\\u12",
                    ];
                    dirty[self.rng.random_range(0..dirty.len())]
                } else {
                    self.pick(&[
                        "a", "b", "gpt-4o", "-", " ", "é", "漢", "/", "0", ":", "{", "}",
                    ])
                    .as_bytes()
                };
                out.extend_from_slice(piece);
            }
            out.push(b'"');
        }

        fn bool(&mut self, out: &mut Vec<u8>) {
            let text = if !self.clean && self.chance(0.15) {
                self.pick(&["null", "1", "\"true\"", "tru", "falsey"])
            } else {
                self.pick(&["true", "false"])
            };
            out.extend_from_slice(text.as_bytes());
        }

        fn maybe_null(&mut self, out: &mut Vec<u8>) -> bool {
            let null = self.chance(0.2);
            if null {
                out.extend_from_slice(b"null");
            }
            null
        }

        fn array(&mut self, out: &mut Vec<u8>, mut item: impl FnMut(&mut Self, &mut Vec<u8>)) {
            out.push(b'[');
            for i in 0..self.rng.random_range(0..4) {
                if i > 0 {
                    out.push(b',');
                }
                self.ws(out);
                item(self, out);
                self.ws(out);
            }
            out.push(b']');
        }

        /// Any JSON value (for fields a replay does not read).
        fn any(&mut self, out: &mut Vec<u8>, depth: u32) {
            match self.rng.random_range(0..7) {
                0 if depth < 3 => self.array(out, |m, o| m.any(o, depth + 1)),
                1 if depth < 3 => {
                    let fields: Vec<(&str, u32)> = vec![("k", 0), ("n", 0)];
                    self.object(out, &fields, |m, o, _| m.any(o, depth + 1));
                }
                2 => self.string(out),
                3 => self.bool(out),
                4 => out.extend_from_slice(b"null"),
                5 if !self.clean && self.chance(0.2) => {
                    out.extend(std::iter::repeat_n(b'[', 70));
                    out.extend(std::iter::repeat_n(b']', 70));
                }
                _ => {
                    let f = self.float();
                    out.extend_from_slice(f.as_bytes());
                }
            }
        }

        /// An object of some of `fields` (name, kind) in a random order; required ones
        /// (kind ≥ 100) are always there in clean lines.
        fn object(
            &mut self,
            out: &mut Vec<u8>,
            fields: &[(&str, u32)],
            mut value: impl FnMut(&mut Self, &mut Vec<u8>, u32),
        ) {
            let mut chosen: Vec<(&str, u32)> = fields
                .iter()
                .copied()
                .filter(|&(_, kind)| {
                    kind >= 100 && (self.clean || self.chance(0.95)) || self.chance(0.6)
                })
                .collect();
            if self.chance(0.3) {
                chosen.push((self.pick(&["extra", "note", "🙂"]), 0));
            }
            if self.chance(0.3) {
                // A logged prompt: escapes in a field a replay skips.
                chosen.push(("prompt", 99));
            }
            if !self.clean && self.chance(0.1) {
                // An escaped name: serde_json reads it as `extra` (or as a field it knows).
                chosen.push((self.pick(&["e\\u0078tra", "st\\u0061tus"]), 0));
            }
            if !self.clean && self.chance(0.1) && !chosen.is_empty() {
                let twice = chosen[self.rng.random_range(0..chosen.len())];
                chosen.push(twice);
            }
            for i in (1..chosen.len()).rev() {
                let j = self.rng.random_range(0..=i);
                chosen.swap(i, j);
            }
            out.push(b'{');
            for (i, (name, kind)) in chosen.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                self.ws(out);
                out.push(b'"');
                out.extend_from_slice(name.as_bytes());
                out.push(b'"');
                self.ws(out);
                out.push(b':');
                self.ws(out);
                value(self, out, kind % 100);
                self.ws(out);
            }
            out.push(b'}');
        }

        /// A value of field kind `kind`: 0 anything, 1 float, 2 optional float, 3 string,
        /// 4 optional string, 5 u32, 6 optional u32, 7 u16, 8 optional u16, 9 bool,
        /// 10 string list, 11 optional string list, 12 attempts, 13 optional settings.
        fn value(&mut self, out: &mut Vec<u8>, kind: u32) {
            let optional = matches!(kind, 2 | 4 | 6 | 8 | 11 | 13);
            if optional && self.maybe_null(out) {
                return;
            }
            match kind {
                1 | 2 => {
                    let f = self.float();
                    out.extend_from_slice(f.as_bytes());
                }
                3 | 4 => self.string(out),
                5 | 6 => {
                    let n = self.unsigned(u64::from(u32::MAX));
                    out.extend_from_slice(n.as_bytes());
                }
                7 | 8 => {
                    let n = self.unsigned(u64::from(u16::MAX));
                    out.extend_from_slice(n.as_bytes());
                }
                9 => self.bool(out),
                10 | 11 => self.array(out, |m, o| m.string(o)),
                12 => self.array(out, |m, o| {
                    let fields = [
                        ("deployment", 103),
                        ("outcome", 103),
                        ("status", 8),
                        ("duration_ms", 101),
                        ("ttft_ms", 2),
                        ("retry_after_s", 2),
                    ];
                    m.object(o, &fields, |m, o, k| m.value(o, k));
                }),
                13 => {
                    let fields = [
                        ("num_retries", 6),
                        ("fallbacks", 11),
                        ("timeout_s", 2),
                        ("disable_fallbacks", 9),
                    ];
                    self.object(out, &fields, |m, o, k| m.value(o, k));
                }
                99 => {
                    out.extend_from_slice(br#"[{"role":"user","content":""#);
                    for _ in 0..self.rng.random_range(0..6) {
                        let piece = self.pick(&[
                            "a",
                            " ",
                            "\\n",
                            "\\\"",
                            "\\\\",
                            "\\/",
                            "\\t",
                            "\\u00e9",
                            "\\uD83D\\uDE00",
                            "é",
                        ]);
                        out.extend_from_slice(piece.as_bytes());
                    }
                    out.extend_from_slice(b"\"}]");
                }
                _ => self.any(out, 0),
            }
        }

        fn line(&mut self) -> Vec<u8> {
            let fields = [
                ("arrival_unix_s", 101),
                ("request_id", 0),
                ("model", 3),
                ("tags", 10),
                ("stream", 9),
                ("input_tokens", 5),
                ("output_tokens", 5),
                ("attempts", 12),
                ("status", 107),
                ("error_class", 4),
                ("deployment", 4),
                ("model_group", 4),
                ("cost_usd", 2),
                ("duration_ms", 1),
                ("settings", 13),
            ];
            let mut out = Vec::new();
            self.ws(&mut out);
            self.object(&mut out, &fields, |m, o, k| m.value(o, k));
            self.ws(&mut out);
            if !self.clean && self.chance(0.3) && !out.is_empty() {
                let at = self.rng.random_range(0..out.len());
                let stray = [b'{', b'}', b'"', b',', b':', b'\\', b'0', b'-', b' ', 0xff];
                match self.rng.random_range(0..3) {
                    0 => {
                        out.remove(at);
                    }
                    1 => out.insert(at, stray[self.rng.random_range(0..stray.len())]),
                    _ => out[at] = stray[self.rng.random_range(0..stray.len())],
                }
            }
            out
        }
    }

    fn make(seed: u64, clean: bool) -> Vec<u8> {
        let rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        LineMaker { rng, clean }.line()
    }

    /// The scanner's reading of `bytes`, when it reads it.
    fn scanned(bytes: &[u8]) -> Option<RequestLine<'_>> {
        let mut line = RequestLine::default();
        scan_line(bytes, &mut line).map(|()| line)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// Whatever the scanner reads, serde_json reads too, to the same value (floats bit
        /// for bit: `{:?}` prints the shortest text that reads back to the same bits).
        #[test]
        fn reads_what_serde_json_reads(seed in any::<u64>(), clean in any::<bool>()) {
            let bytes = make(seed, clean);
            if let Some(fast) = scanned(&bytes) {
                let reference = RequestLine::parse(&bytes);
                prop_assert!(reference.is_ok(), "{}: serde_json: {:?}", String::from_utf8_lossy(&bytes), reference);
                prop_assert_eq!(format!("{fast:?}"), format!("{:?}", reference.unwrap()));
            }
        }

        /// Every line the proxy could write is read by the scanner (not left to serde_json).
        #[test]
        fn reads_every_clean_line(seed in any::<u64>()) {
            let bytes = make(seed, true);
            prop_assert!(scanned(&bytes).is_some(), "declined: {}", String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn reuses_the_line_and_declines_what_it_must() {
        let mut line = RequestLine::default();
        let first = br#"{"arrival_unix_s":1.5,"model":"m","tags":["a","b"],"attempts":[{"deployment":"d","outcome":"ok","duration_ms":2}],"status":200}"#;
        assert_eq!(scan_line(first, &mut line), Some(()));
        assert_eq!(line.tags, ["a", "b"]);
        assert_eq!(line.attempts[0].duration_ms, 2.0);
        let second = br#"{"arrival_unix_s":2,"status":429,"tags":[]}"#;
        assert_eq!(scan_line(second, &mut line), Some(()));
        assert!(line.tags.is_empty() && line.attempts.is_empty());
        assert_eq!((line.arrival_unix_s, line.status), (2.0, 429));
        for declined in [
            &br#"{"arrival_unix_s":1,"status":200,"model":"a\"b"}"#[..],
            br#"{"arrival_unix_s":1,"status":200,"status":200}"#,
            br#"{"arrival_unix_s":-1,"status":200}"#,
            br#"{"arrival_unix_s":1,"status":200.0}"#,
            br#"{"arrival_unix_s":1}"#,
            br#"{"arrival_unix_s":1,"status":200} x"#,
            br#"{"arrival_unix_s":1,"status":200,"tags":null}"#,
        ] {
            assert_eq!(
                scan_line(declined, &mut line),
                None,
                "{}",
                String::from_utf8_lossy(declined)
            );
        }
    }

    #[test]
    fn reads_the_bundled_log_as_serde_json_does() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/replay/proxy-log.jsonl"
        );
        let text = std::fs::read(path).expect("the bundled log");
        for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let fast = scanned(line).expect("a proxy-written line is scanned");
            assert_eq!(
                format!("{fast:?}"),
                format!(
                    "{:?}",
                    RequestLine::parse(line).expect("serde_json reads it")
                )
            );
        }
    }
}
