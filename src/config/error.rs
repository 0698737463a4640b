//! The one error type for bad input files: the file, the key path and what was expected.
//!
//! Every loader (LiteLLM config, scenario) reports problems as an [`InputError`] whose `Display`
//! reads `config.yaml: router_settings.num_retries: expected an integer, found "two"`. It decides
//! only the wording and shape of such errors, not which inputs are wrong.

use std::fmt;

/// A problem in an input file, located by file and key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file as the user named it (or `<inline>` for text with no file).
    pub file: String,
    /// Dotted key path with list indexes, e.g. `router_settings.fallbacks[0]`; empty for the root.
    pub path: String,
    /// What was wrong, e.g. `expected an integer, found "two"`.
    pub message: String,
}

impl InputError {
    /// An error at `path` of `file`.
    pub fn new(
        file: impl Into<String>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        InputError {
            file: file.into(),
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: {}: {}", self.file, self.path, self.message)
        }
    }
}

impl std::error::Error for InputError {}

/// A note about input that was accepted but deserves the user's attention (an unused key, an
/// unset environment variable). Same location format as [`InputError`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InputWarning {
    /// The file the key is in.
    pub file: String,
    /// Dotted key path.
    pub path: String,
    /// What is worth knowing.
    pub message: String,
}

impl fmt::Display for InputWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: {}: {}", self.file, self.path, self.message)
        }
    }
}
