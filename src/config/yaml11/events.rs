//! The YAML syntax as libyaml reads it, as a stream of owned events.
//!
//! PyYAML's pure-Python scanner and parser are a port of libyaml, so libyaml (through
//! `unsafe-libyaml`, the Rust translation `serde_yaml` already uses) accepts exactly the files
//! LiteLLM accepts — including flow collections whose closing bracket sits left of their key,
//! which strict YAML 1.2 parsers refuse. This module is the only place that touches libyaml's C
//! interface; it decides nothing about what a scalar means.
//!
//! libyaml's scanner slows quadratically with the depth of flow nesting (`[[[[…`), so the text is
//! first checked for more than [`MAX_OPEN_BRACKETS`] unclosed brackets, counted outside quotes
//! and comments; the tree builder then bounds the real nesting far below that.

use std::mem::MaybeUninit;
use std::ptr::NonNull;

use unsafe_libyaml as unsafe_sys;

/// How many `[`/`{` may be open at once before libyaml is even asked (it would take seconds).
pub const MAX_OPEN_BRACKETS: usize = 1000;

/// Where an event starts: line and column, both 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// Line, 1-based.
    pub line: usize,
    /// Column, 1-based.
    pub column: usize,
}

/// One parse event with what the tree builder needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A document starts.
    DocumentStart,
    /// A scalar: its text, whether it was plain (unquoted, not a block scalar), anchor and tag.
    Scalar {
        /// The text.
        text: String,
        /// Plain style.
        plain: bool,
        /// `&name`, if any.
        anchor: Option<String>,
        /// The tag, with the core schema written `!!int`.
        tag: Option<String>,
    },
    /// `*name`.
    Alias(String),
    /// A list starts.
    SequenceStart {
        /// `&name`, if any.
        anchor: Option<String>,
        /// Its tag.
        tag: Option<String>,
    },
    /// A list ends.
    SequenceEnd,
    /// A mapping starts.
    MappingStart {
        /// `&name`, if any.
        anchor: Option<String>,
        /// Its tag.
        tag: Option<String>,
    },
    /// A mapping ends.
    MappingEnd,
    /// The stream ends.
    StreamEnd,
    /// Stream start, document end: nothing to build.
    Other,
}

/// A libyaml parser over borrowed text.
pub struct Events<'t> {
    parser: Box<MaybeUninit<unsafe_sys::yaml_parser_t>>,
    _text: &'t str,
    done: bool,
}

impl<'t> Events<'t> {
    /// Starts reading `text`, refusing text with too many unclosed brackets.
    pub fn new(text: &'t str) -> Result<Self, String> {
        check_open_brackets(text)?;
        let mut parser = Box::new(MaybeUninit::<unsafe_sys::yaml_parser_t>::uninit());
        // SAFETY: the parser lives on the heap (libyaml keeps a pointer to it) and the text
        // outlives it (`'t`); both are released in `Drop`.
        unsafe {
            let p = parser.as_mut_ptr();
            if unsafe_sys::yaml_parser_initialize(p).fail {
                return Err("the YAML reader could not start (out of memory)".into());
            }
            unsafe_sys::yaml_parser_set_encoding(p, unsafe_sys::YAML_UTF8_ENCODING);
            unsafe_sys::yaml_parser_set_input_string(p, text.as_ptr(), text.len() as u64);
        }
        Ok(Events {
            parser,
            _text: text,
            done: false,
        })
    }

    /// The next event; `Ok(None)` after the stream's end. The error reads
    /// `line L, column C: not valid YAML: …`.
    pub fn next_event(&mut self) -> Result<Option<(Event, Mark)>, String> {
        if self.done {
            return Ok(None);
        }
        let mut event = MaybeUninit::<unsafe_sys::yaml_event_t>::uninit();
        // SAFETY: the parser was initialised in `new`; the event is read only after libyaml
        // filled it, and deleted once converted to owned data.
        unsafe {
            let p = self.parser.as_mut_ptr();
            let failed_before = (&*p).error != unsafe_sys::YAML_NO_ERROR;
            if failed_before || unsafe_sys::yaml_parser_parse(p, event.as_mut_ptr()).fail {
                self.done = true;
                return Err(parse_error(p));
            }
            let raw = event.as_mut_ptr();
            let mark = Mark {
                line: (*raw).start_mark.line as usize + 1,
                column: (*raw).start_mark.column as usize + 1,
            };
            let converted = convert(&*raw);
            unsafe_sys::yaml_event_delete(raw);
            if converted == Event::StreamEnd {
                self.done = true;
            }
            Ok(Some((converted, mark)))
        }
    }
}

impl Drop for Events<'_> {
    fn drop(&mut self) {
        // SAFETY: initialised in `new` (which returns no `Events` when initialisation failed).
        unsafe { unsafe_sys::yaml_parser_delete(self.parser.as_mut_ptr()) }
    }
}

/// libyaml's problem and where it is.
unsafe fn parse_error(p: *const unsafe_sys::yaml_parser_t) -> String {
    // SAFETY: libyaml sets `problem` to a static C string (or null) when it fails.
    unsafe {
        let parser: &unsafe_sys::yaml_parser_t = &*p;
        let problem = c_text(parser.problem.cast()).unwrap_or_else(|| "unreadable input".into());
        let context = c_text(parser.context.cast())
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        let mark = parser.problem_mark;
        format!(
            "line {}, column {}: not valid YAML: {problem}{context}",
            mark.line + 1,
            mark.column + 1
        )
    }
}

/// A NUL-terminated C string as text, or `None` for a null pointer.
unsafe fn c_text(ptr: *const u8) -> Option<String> {
    let ptr = NonNull::new(ptr.cast_mut())?;
    // SAFETY: libyaml's strings are NUL-terminated and live as long as the event or parser.
    let cstr = unsafe { std::ffi::CStr::from_ptr(ptr.as_ptr().cast()) };
    Some(cstr.to_string_lossy().into_owned())
}

/// A tag as written: `!!int` for `tag:yaml.org,2002:int`, `!` for the non-specific tag.
unsafe fn tag(ptr: *const u8) -> Option<String> {
    // SAFETY: as `c_text`.
    let full = unsafe { c_text(ptr) }?;
    Some(match full.strip_prefix("tag:yaml.org,2002:") {
        Some(suffix) => format!("!!{suffix}"),
        None => full,
    })
}

unsafe fn convert(e: &unsafe_sys::yaml_event_t) -> Event {
    // SAFETY: the union field read is the one `type_` names.
    unsafe {
        match e.type_ {
            unsafe_sys::YAML_DOCUMENT_START_EVENT => Event::DocumentStart,
            unsafe_sys::YAML_STREAM_END_EVENT => Event::StreamEnd,
            unsafe_sys::YAML_ALIAS_EVENT => {
                Event::Alias(c_text(e.data.alias.anchor).unwrap_or_default())
            }
            unsafe_sys::YAML_SCALAR_EVENT => {
                let s = &e.data.scalar;
                let bytes = std::slice::from_raw_parts(s.value, s.length as usize);
                Event::Scalar {
                    text: String::from_utf8_lossy(bytes).into_owned(),
                    plain: s.style == unsafe_sys::YAML_PLAIN_SCALAR_STYLE,
                    anchor: c_text(s.anchor),
                    tag: tag(s.tag),
                }
            }
            unsafe_sys::YAML_SEQUENCE_START_EVENT => Event::SequenceStart {
                anchor: c_text(e.data.sequence_start.anchor),
                tag: tag(e.data.sequence_start.tag),
            },
            unsafe_sys::YAML_SEQUENCE_END_EVENT => Event::SequenceEnd,
            unsafe_sys::YAML_MAPPING_START_EVENT => Event::MappingStart {
                anchor: c_text(e.data.mapping_start.anchor),
                tag: tag(e.data.mapping_start.tag),
            },
            unsafe_sys::YAML_MAPPING_END_EVENT => Event::MappingEnd,
            _ => Event::Other,
        }
    }
}

/// Refuses text in which more than [`MAX_OPEN_BRACKETS`] `[`/`{` are open at once, counting
/// outside quoted strings and comments. A quote counts only where a token can start and ends at
/// the line's end here, so that text cannot hide brackets from this count for more than a line;
/// brackets inside block scalars are over-counted, which cannot reach the limit in a real config.
fn check_open_brackets(text: &str) -> Result<(), String> {
    let (mut open, mut line) = (0usize, 1usize);
    let mut quote: Option<u8> = None;
    let mut comment = false;
    let mut prev = b'\n';
    let mut bytes = text.bytes().peekable();
    while let Some(c) = bytes.next() {
        if c == b'\n' {
            line += 1;
            comment = false;
            quote = None;
        } else if comment {
        } else if let Some(q) = quote {
            if c == b'\\' && q == b'"' {
                bytes.next();
            } else if c == q {
                quote = None;
            }
        } else if c == b'#' && prev.is_ascii_whitespace() {
            comment = true;
        } else if (c == b'"' || c == b'\'') && b" \t:-[{,\n".contains(&prev) {
            quote = Some(c);
        } else if c == b'[' || c == b'{' {
            open += 1;
            if open > MAX_OPEN_BRACKETS {
                return Err(format!(
                    "line {line}: more than {MAX_OPEN_BRACKETS} brackets (`[`, `{{`) open at once; refusing to read further"
                ));
            }
        } else if (c == b']' || c == b'}') && open > 0 {
            open -= 1;
        }
        prev = c;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<Event> {
        let mut events = Events::new(text).unwrap();
        let mut out = Vec::new();
        while let Some((e, _)) = events.next_event().unwrap() {
            out.push(e);
        }
        out
    }

    #[test]
    fn scalars_keep_their_style_and_tag() {
        let events = all("a: 'yes'\nb: !!int 3\n");
        assert!(events.contains(&Event::Scalar {
            text: "yes".into(),
            plain: false,
            anchor: None,
            tag: None
        }));
        assert!(events.contains(&Event::Scalar {
            text: "3".into(),
            plain: true,
            anchor: None,
            tag: Some("!!int".into())
        }));
    }

    #[test]
    fn a_flow_list_may_close_left_of_its_key_as_in_pyyaml() {
        let events = all("r:\n  f: [\n    {a: [b]}\n  ]\n");
        assert_eq!(
            events.iter().filter(|e| **e == Event::SequenceEnd).count(),
            2
        );
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let mut events = Events::new("a: [1, 2\nb: 3\n").unwrap();
        let err = loop {
            match events.next_event() {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("no error"),
                Err(e) => break e,
            }
        };
        assert!(err.starts_with("line 2, column "), "{err}");
    }

    #[test]
    fn too_many_open_brackets_are_refused_before_parsing() {
        let err = Events::new(&format!("a: {}", "[".repeat(80_000)))
            .err()
            .unwrap();
        assert!(err.starts_with("line 1: more than 1000 brackets"), "{err}");
        assert!(Events::new("a: '[[[['\n# [[[[\nb: \"{{\"\n").is_ok());
    }

    #[test]
    fn a_quote_cannot_hide_brackets_past_its_line() {
        let deep = "[".repeat(MAX_OPEN_BRACKETS + 1);
        for text in [
            format!("a: [x, it's {deep}"),
            format!("a: |\n  'open\nb: {deep}"),
        ] {
            assert!(Events::new(&text).is_err(), "{text:.40}");
        }
    }
}
