//! Typed, path-aware reading of a parsed YAML tree: the first stage of every loader.
//!
//! A [`Node`] is a YAML value together with the file it came from and its key path. Its getters
//! check the type and answer with an [`InputError`] that names file, path and what was expected;
//! they resolve LiteLLM's `os.environ/NAME` references through an injected [`EnvLookup`]. It decides
//! how input is read and worded; it must not decide what the values mean (the loaders do).

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde_yaml::{Mapping, Value};

use super::error::{InputError, InputWarning};

/// The prefix LiteLLM uses to read a value from the environment.
pub const ENV_PREFIX: &str = "os.environ/";

/// Where environment variables come from: the process at the edge, a map in tests.
pub trait EnvLookup {
    /// The variable's value, if set.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessEnv;

impl EnvLookup for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl EnvLookup for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// A string setting that may come from the environment. Secrets stay unresolved-but-named when
/// the variable is unset, so that a simulation can run without them while the live proxy can
/// refuse to start and name the variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigString {
    /// The variable named by an `os.environ/NAME` reference, if the value was one.
    pub env_var: Option<String>,
    /// The value: the literal, or the variable's value; `None` when the variable is unset.
    pub value: Option<String>,
}

impl ConfigString {
    /// A literal value.
    pub fn literal(value: impl Into<String>) -> Self {
        ConfigString {
            env_var: None,
            value: Some(value.into()),
        }
    }
}

/// One input file being read: its name, the environment and the warnings collected so far.
pub struct Source<'e> {
    file: String,
    env: &'e dyn EnvLookup,
    warnings: RefCell<Vec<InputWarning>>,
    unset_vars: RefCell<std::collections::BTreeSet<String>>,
}

impl<'e> Source<'e> {
    /// A source named `file` (as the user wrote it) reading variables from `env`.
    pub fn new(file: impl Into<String>, env: &'e dyn EnvLookup) -> Self {
        Source {
            file: file.into(),
            env,
            warnings: RefCell::new(Vec::new()),
            unset_vars: RefCell::new(Default::default()),
        }
    }

    /// The file's name as used in messages.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Parses `text` as YAML 1.1, as LiteLLM's `yaml.safe_load` reads it (see [`super::yaml11`]),
    /// reporting a syntax error or an input past the reader's bounds with its line and column.
    /// A key given twice in one mapping is a warning (the later value is used).
    pub fn parse(&self, text: &str) -> Result<Value, InputError> {
        let document = super::yaml11::read(text)
            .map_err(|message| InputError::new(&self.file, "", message))?;
        for note in document.notes {
            self.push_warning(InputWarning {
                file: self.file.clone(),
                path: String::new(),
                message: note,
            });
        }
        Ok(document.value)
    }

    /// The root node of a parsed document.
    pub fn root<'a>(&'a self, value: &'a Value) -> Node<'a> {
        Node {
            value,
            path: String::new(),
            src: self,
        }
    }

    /// A node for `value` at key path `path` (a document embedded in a larger one).
    pub fn node_at<'a>(&'a self, value: &'a Value, path: &str) -> Node<'a> {
        Node {
            value,
            path: path.to_string(),
            src: self,
        }
    }

    /// The warnings collected while reading, in the order they arose.
    pub fn take_warnings(&self) -> Vec<InputWarning> {
        std::mem::take(&mut self.warnings.borrow_mut())
    }
}

/// The parts of a [`Source`] a node needs, with the environment's lifetime erased.
pub trait SourceAccess {
    /// File name for messages.
    fn file_name(&self) -> &str;
    /// Environment lookup.
    fn env_var(&self, name: &str) -> Option<String>;
    /// Records a warning.
    fn push_warning(&self, warning: InputWarning);
    /// Notes that `name` was found unset; true the first time for each name.
    fn first_unset(&self, name: &str) -> bool;
}

impl SourceAccess for Source<'_> {
    fn file_name(&self) -> &str {
        &self.file
    }
    fn env_var(&self, name: &str) -> Option<String> {
        self.env.var(name)
    }
    fn push_warning(&self, warning: InputWarning) {
        self.warnings.borrow_mut().push(warning);
    }
    fn first_unset(&self, name: &str) -> bool {
        self.unset_vars.borrow_mut().insert(name.to_string())
    }
}

/// A YAML value with its file and key path.
#[derive(Clone)]
pub struct Node<'a> {
    value: &'a Value,
    path: String,
    src: &'a (dyn SourceAccess + 'a),
}

/// Describes a YAML value for "found …" in messages.
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing (null)".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        Value::Sequence(_) => "a list".to_string(),
        Value::Mapping(_) => "a mapping".to_string(),
        Value::Tagged(t) => format!("a value tagged {}", t.tag),
    }
}

impl<'a> Node<'a> {
    /// The raw YAML value.
    pub fn value(&self) -> &'a Value {
        self.value
    }

    /// The key path of this node.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The file this node is in.
    pub fn file(&self) -> &str {
        self.src.file_name()
    }

    /// An error located at this node.
    pub fn error(&self, message: impl Into<String>) -> InputError {
        InputError::new(self.src.file_name(), self.path.clone(), message)
    }

    /// An "expected X, found Y" error at this node.
    pub fn expected(&self, what: &str) -> InputError {
        self.error(format!("expected {what}, found {}", describe(self.value)))
    }

    /// Records a warning located at this node.
    pub fn warn(&self, message: impl Into<String>) {
        self.src.push_warning(InputWarning {
            file: self.src.file_name().to_string(),
            path: self.path.clone(),
            message: message.into(),
        });
    }

    /// True when the value is YAML null (or `~`).
    pub fn is_null(&self) -> bool {
        self.value.is_null()
    }

    fn child(&self, key: &str, value: &'a Value) -> Node<'a> {
        let path = if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        };
        Node {
            value,
            path,
            src: self.src,
        }
    }

    fn item(&self, index: usize, value: &'a Value) -> Node<'a> {
        Node {
            value,
            path: format!("{}[{index}]", self.path),
            src: self.src,
        }
    }

    /// The mapping's entries in file order; keys must be strings.
    pub fn entries(&self) -> Result<Vec<(&'a str, Node<'a>)>, InputError> {
        let map: &'a Mapping = self
            .value
            .as_mapping()
            .ok_or_else(|| self.expected("a mapping"))?;
        map.iter()
            .map(|(k, v)| match k {
                Value::String(key) => Ok((key.as_str(), self.child(key, v))),
                Value::Bool(b) => Err(self.error(format!(
                    "expected string keys, found key {b} (YAML 1.1, as LiteLLM reads it, takes an unquoted yes/no/on/off as a boolean; quote the key)"
                ))),
                other => Err(self.error(format!(
                    "expected string keys, found key {}",
                    describe(other)
                ))),
            })
            .collect()
    }

    /// The value at `key` of this mapping, if present.
    pub fn get(&self, key: &str) -> Result<Option<Node<'a>>, InputError> {
        let map = self
            .value
            .as_mapping()
            .ok_or_else(|| self.expected("a mapping"))?;
        Ok(map.get(key).map(|v| self.child(key, v)))
    }

    /// The value at `key`, which must be present.
    pub fn require(&self, key: &str) -> Result<Node<'a>, InputError> {
        self.get(key)?
            .ok_or_else(|| self.error(format!("missing required key `{key}`")))
    }

    /// The items of a list.
    pub fn items(&self) -> Result<Vec<Node<'a>>, InputError> {
        let seq = self
            .value
            .as_sequence()
            .ok_or_else(|| self.expected("a list"))?;
        Ok(seq
            .iter()
            .enumerate()
            .map(|(i, v)| self.item(i, v))
            .collect())
    }

    /// Rejects keys outside `allowed`, suggesting the nearest valid key (Switchyard's own schema).
    pub fn deny_unknown_keys(&self, allowed: &[&str]) -> Result<(), InputError> {
        for (key, node) in self.entries()? {
            if !allowed.contains(&key) {
                let hint = match nearest(key, allowed) {
                    Some(near) => format!("; did you mean `{near}`?"),
                    None => format!(" (expected one of: {})", allowed.join(", ")),
                };
                return Err(node.error(format!("unknown key `{key}`{hint}")));
            }
        }
        Ok(())
    }

    /// The environment variable this value refers to, if it is an `os.environ/NAME` string.
    fn env_reference(&self) -> Option<&'a str> {
        self.value.as_str().and_then(|s| s.strip_prefix(ENV_PREFIX))
    }

    /// Resolves an `os.environ/NAME` scalar for a typed getter; unset is an error because a
    /// routing value cannot be guessed.
    fn resolve_env_scalar(&self) -> Result<Option<(String, Value)>, InputError> {
        let Some(name) = self.env_reference() else {
            return Ok(None);
        };
        let raw = self.src.env_var(name).ok_or_else(|| {
            self.error(format!(
                "refers to environment variable {name}, which is not set"
            ))
        })?;
        let parsed: Value = serde_yaml::from_str(&raw).unwrap_or(Value::String(raw.clone()));
        Ok(Some((name.to_string(), parsed)))
    }

    fn typed<T>(&self, what: &str, convert: impl Fn(&Value) -> Option<T>) -> Result<T, InputError> {
        if let Some((name, value)) = self.resolve_env_scalar()? {
            return convert(&value).ok_or_else(|| {
                self.error(format!(
                    "expected {what}, found {} (from environment variable {name})",
                    describe(&value)
                ))
            });
        }
        convert(self.value).ok_or_else(|| self.expected(what))
    }

    /// A plain string (environment references resolved; unset is an error).
    pub fn string(&self) -> Result<String, InputError> {
        if let Some(name) = self.env_reference() {
            return self.src.env_var(name).ok_or_else(|| {
                self.error(format!(
                    "refers to environment variable {name}, which is not set"
                ))
            });
        }
        self.value
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| self.expected("a string"))
    }

    /// A string that may name an environment variable which need not be set in simulation;
    /// an unset variable is recorded as a warning.
    pub fn config_string(&self) -> Result<ConfigString, InputError> {
        if let Some(name) = self.env_reference() {
            let value = self.src.env_var(name);
            if value.is_none() && self.src.first_unset(name) {
                self.warn(format!(
                    "environment variable {name} is not set (not needed to simulate; the live proxy needs it; later uses not repeated)"
                ));
            }
            return Ok(ConfigString {
                env_var: Some(name.to_string()),
                value,
            });
        }
        match self.value {
            Value::String(s) => Ok(ConfigString::literal(s.clone())),
            Value::Number(n) => Ok(ConfigString::literal(n.to_string())),
            _ => Err(self.expected("a string")),
        }
    }

    /// A non-negative integer.
    pub fn u64(&self) -> Result<u64, InputError> {
        self.typed("a non-negative integer", |v| v.as_u64())
            .map_err(|e| self.integer_error(e))
    }

    fn integer_error(&self, e: InputError) -> InputError {
        // Keep the wording users know from LiteLLM's docs: a negative integer is "an integer
        // that is not negative"; anything else is simply "an integer".
        if self.value.as_i64().is_some_and(|i| i < 0) {
            return e;
        }
        InputError {
            message: e
                .message
                .replacen("a non-negative integer", "an integer", 1),
            ..e
        }
    }

    /// A non-negative integer that fits in 32 bits.
    pub fn u32(&self) -> Result<u32, InputError> {
        let n = self.u64()?;
        u32::try_from(n)
            .map_err(|_| self.error(format!("expected an integer below 2^32, found {n}")))
    }

    /// A finite number.
    pub fn f64(&self) -> Result<f64, InputError> {
        self.typed("a number", |v| v.as_f64().filter(|x| x.is_finite()))
    }

    /// A finite number that is not negative.
    pub fn non_negative(&self) -> Result<f64, InputError> {
        let x = self.f64()?;
        if x < 0.0 {
            return Err(self.error(format!("expected a number that is not negative, found {x}")));
        }
        Ok(x)
    }

    /// `true` or `false`.
    pub fn bool(&self) -> Result<bool, InputError> {
        self.typed("true or false", |v| v.as_bool())
    }

    /// A list of strings; a single string counts as a one-item list only if `allow_single`.
    pub fn string_list(&self) -> Result<Vec<String>, InputError> {
        self.items()?.iter().map(Node::string).collect()
    }
}

/// The allowed key closest to `key`, if any is close enough to be a likely typo.
pub fn nearest<'k>(key: &str, allowed: &[&'k str]) -> Option<&'k str> {
    allowed
        .iter()
        .map(|a| (strsim::levenshtein(key, a), *a))
        .filter(|(d, a)| *d <= 2.max(a.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_root<T>(text: &str, f: impl FnOnce(Node<'_>) -> T) -> T {
        let env: BTreeMap<String, String> = [("RPM".to_string(), "60".to_string())]
            .into_iter()
            .collect();
        let src = Source::new("config.yaml", &env);
        let value = src.parse(text).unwrap();
        f(src.root(&value))
    }

    #[test]
    fn wrong_type_names_file_path_and_expectation() {
        let err = with_root("router_settings:\n  num_retries: two\n", |root| {
            root.require("router_settings")
                .unwrap()
                .require("num_retries")
                .unwrap()
                .u32()
                .unwrap_err()
        });
        assert_eq!(
            err.to_string(),
            r#"config.yaml: router_settings.num_retries: expected an integer, found "two""#
        );
    }

    #[test]
    fn list_items_carry_their_index_in_the_path() {
        let err = with_root("a:\n  - 1\n  - x: 2\n", |root| {
            let items = root.require("a").unwrap().items().unwrap();
            items[1].string().unwrap_err()
        });
        assert_eq!(
            err.to_string(),
            "config.yaml: a[1]: expected a string, found a mapping"
        );
    }

    #[test]
    fn environment_references_resolve_for_numbers() {
        let n = with_root("rpm: os.environ/RPM\n", |root| {
            root.require("rpm").unwrap().u64()
        });
        assert_eq!(n, Ok(60));
        let err = with_root("rpm: os.environ/NOPE\n", |root| {
            root.require("rpm").unwrap().u64().unwrap_err()
        });
        assert_eq!(
            err.to_string(),
            "config.yaml: rpm: refers to environment variable NOPE, which is not set"
        );
    }

    #[test]
    fn unknown_keys_suggest_the_nearest_valid_key() {
        let err = with_root("durration: 10m\n", |root| {
            root.deny_unknown_keys(&["name", "duration", "seed"])
                .unwrap_err()
        });
        assert_eq!(
            err.to_string(),
            "config.yaml: durration: unknown key `durration`; did you mean `duration`?"
        );
        let err = with_root("zzz: 1\n", |root| {
            root.deny_unknown_keys(&["name"]).unwrap_err()
        });
        assert_eq!(
            err.to_string(),
            "config.yaml: zzz: unknown key `zzz` (expected one of: name)"
        );
    }

    #[test]
    fn negative_integers_say_so() {
        let err = with_root("n: -2\n", |root| {
            root.require("n").unwrap().u64().unwrap_err()
        });
        assert_eq!(
            err.to_string(),
            "config.yaml: n: expected a non-negative integer, found -2"
        );
    }
}
