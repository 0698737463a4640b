//! Reading YAML text into a tree the way LiteLLM's `yaml.safe_load` (PyYAML, YAML 1.1) does, with
//! bounds on nesting and alias expansion.
//!
//! libyaml does the syntax ([`events`]); this module builds the tree from its events, resolving each scalar as PyYAML would ([`scalar`]) and applying `<<` merge keys
//! ([`merge`]). Input that would make a reader slow or large is refused with the line it is on:
//! nesting deeper than [`MAX_DEPTH`] and documents that expand (aliases included) to more than
//! [`MAX_NODES`] nodes. It decides how text becomes a tree; it must not decide what any key means.

pub mod events;
pub mod merge;
pub mod scalar;

use std::collections::BTreeMap;

use serde_yaml::Value;

use events::{Event, Events};
use merge::{Key, Pair};
use scalar::Scalar;

/// The deepest nesting of lists and mappings read (LiteLLM configs nest fewer than ten levels).
pub const MAX_DEPTH: usize = 64;

/// The most nodes a document may hold once its aliases are expanded (a config with thousands of
/// deployments holds about a hundred thousand).
pub const MAX_NODES: usize = 1_000_000;

/// A document read, with remarks about input PyYAML accepts silently (a key given twice).
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The tree; `Null` for an empty document.
    pub value: Value,
    /// Remarks, each starting with the line it is about.
    pub notes: Vec<String>,
}

/// Reads `text` as one YAML 1.1 document. The error reads `line L, column C: what`.
pub fn read(text: &str) -> Result<Document, String> {
    let mut builder = Builder::default();
    let mut events = Events::new(text)?;
    while let Some((event, mark)) = events.next_event()? {
        builder.event(event, mark.line).map_err(|message| {
            if message.starts_with("line ") {
                message
            } else {
                format!("line {}, column {}: {message}", mark.line, mark.column)
            }
        })?;
    }
    Ok(Document {
        value: builder.root.unwrap_or(Value::Null),
        notes: builder.notes,
    })
}

/// A collection being built.
enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: Option<String>,
        first_node: usize,
    },
    Map {
        pairs: Vec<Pair>,
        key: Option<(Key, usize)>,
        anchor: Option<String>,
        first_node: usize,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: BTreeMap<String, (Value, usize)>,
    nodes: usize,
    documents: usize,
    root: Option<Value>,
    notes: Vec<String>,
}

impl Builder {
    fn event(&mut self, event: Event, line: usize) -> Result<(), String> {
        match event {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(
                        "a second document; LiteLLM (PyYAML's safe_load) reads a file of exactly one"
                            .into(),
                    );
                }
            }
            Event::Scalar {
                text,
                plain,
                anchor,
                tag,
            } => {
                let scalar = scalar::resolve(&text, plain, tag.as_deref())?;
                self.count(1)?;
                match scalar {
                    Scalar::Merge => self.merge_key(line)?,
                    Scalar::Value(value) => self.complete(value, anchor, 1, line)?,
                }
            }
            Event::SequenceStart { anchor, tag } => {
                self.open(tag.as_deref(), "!!seq")?;
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    anchor,
                    first_node: self.nodes,
                });
            }
            Event::MappingStart { anchor, tag } => {
                self.open(tag.as_deref(), "!!map")?;
                self.stack.push(Frame::Map {
                    pairs: Vec::new(),
                    key: None,
                    anchor,
                    first_node: self.nodes,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(line)?,
            Event::Alias(name) => {
                let size = self
                    .anchors
                    .get(&name)
                    .map(|(_, size)| *size)
                    .ok_or_else(|| {
                        format!("the alias *{name} names no anchor defined before it")
                    })?;
                self.count(size)?;
                let value = self.anchors[&name].0.clone();
                self.complete(value, None, size, line)?;
            }
            Event::StreamEnd | Event::Other => {}
        }
        Ok(())
    }

    /// Counts `n` more nodes, refusing a document past [`MAX_NODES`].
    fn count(&mut self, n: usize) -> Result<(), String> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(format!(
                "the document expands to more than {MAX_NODES} values (aliases counted each time they are used); refusing to read it"
            ));
        }
        Ok(())
    }

    /// Starts a collection: checks its tag and the nesting depth.
    fn open(&mut self, tag: Option<&str>, expected: &str) -> Result<(), String> {
        if let Some(tag) = tag
            && tag != expected
        {
            return Err(format!(
                "the tag {tag} is not one PyYAML's safe_load (which LiteLLM uses) can read here"
            ));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(format!(
                "lists and mappings nested more than {MAX_DEPTH} levels deep; refusing to read further"
            ));
        }
        self.count(1)
    }

    fn close(&mut self, line: usize) -> Result<(), String> {
        let (value, anchor, first_node) = match self.stack.pop() {
            Some(Frame::Seq {
                items,
                anchor,
                first_node,
            }) => (Value::Sequence(items), anchor, first_node),
            Some(Frame::Map {
                pairs,
                anchor,
                first_node,
                ..
            }) => {
                let (mapping, notes) = merge::build_mapping(pairs)?;
                self.notes.extend(notes);
                (Value::Mapping(mapping), anchor, first_node)
            }
            None => return Ok(()),
        };
        let size = self.nodes - first_node + 1;
        self.complete(value, anchor, size, line)
    }

    /// A plain `<<` was read: a merge key when it stands as a key.
    fn merge_key(&mut self, line: usize) -> Result<(), String> {
        match self.stack.last_mut() {
            Some(Frame::Map {
                key: key @ None, ..
            }) => {
                *key = Some((Key::Merge, line));
                Ok(())
            }
            _ => Err(
                "a plain `<<` is a merge key and may only stand as a mapping's key; quote it"
                    .into(),
            ),
        }
    }

    /// A node of `size` values is complete: remember its anchor and hand it to its parent.
    fn complete(
        &mut self,
        value: Value,
        anchor: Option<String>,
        size: usize,
        line: usize,
    ) -> Result<(), String> {
        if let Some(anchor) = anchor {
            self.anchors.insert(anchor, (value.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map { pairs, key, .. }) => match key.take() {
                None => *key = Some((Key::Value(value), line)),
                Some((key, key_line)) => pairs.push(Pair {
                    key,
                    value,
                    line: key_line,
                }),
            },
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        read(text).unwrap().value
    }

    #[test]
    fn a_config_reads_with_yaml_1_1_scalars() {
        let v = yaml("model_list:\n  - tpm: 20_000\n    stream: yes\n    name: 'yes'\n");
        let entry = &v["model_list"][0];
        assert_eq!(entry["tpm"], Value::from(20_000u64));
        assert_eq!(entry["stream"], Value::Bool(true));
        assert_eq!(entry["name"], Value::String("yes".into()));
    }

    #[test]
    fn anchors_and_merge_keys_expand() {
        let v = yaml("base: &b {rpm: 10, tpm: 100}\nd:\n  <<: *b\n  rpm: 20\n");
        assert_eq!(v["d"]["rpm"], Value::from(20u64));
        assert_eq!(v["d"]["tpm"], Value::from(100u64));
    }

    #[test]
    fn deep_nesting_is_refused_with_its_line() {
        let text = format!("a:\n  {}", "[".repeat(MAX_DEPTH + 5));
        let err = read(&text).unwrap_err();
        assert!(err.starts_with("line 2, column "), "{err}");
        assert!(err.contains("nested more than 64 levels"), "{err}");
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = read(&text).unwrap_err();
        assert!(err.contains("expands to more than"), "{err}");
        assert!(err.starts_with("line 6,"), "{err}");
    }

    #[test]
    fn a_second_document_is_refused() {
        assert!(
            read("a: 1\n---\nb: 2\n")
                .unwrap_err()
                .contains("second document")
        );
        assert_eq!(yaml(""), Value::Null);
    }

    #[test]
    fn a_repeated_key_keeps_the_later_value_with_a_note() {
        let doc = read("a: 1\nb: 2\na: 3\n").unwrap();
        assert_eq!(doc.value["a"], Value::from(3u64));
        assert_eq!(doc.notes.len(), 1);
        assert!(doc.notes[0].starts_with("line 3: "), "{}", doc.notes[0]);
    }
}
