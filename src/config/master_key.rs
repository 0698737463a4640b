//! Which master keys LiteLLM 1.108.7's proxy counts as unsafe at start
//! (`litellm/proxy/auth/master_key_boot_check.py`): none, a blank one, or the publicly known
//! default `sk-1234` (LiteLLM compares the stripped key's SHA-256 digest with that key's).
//!
//! It classifies a key and names the switches; refusing to start is `serve`'s, warning about
//! it `lint`'s.

/// The one publicly known key LiteLLM refuses.
pub const PUBLICLY_KNOWN: &str = "sk-1234";

/// The environment variable holding the master key when the config sets none.
pub const MASTER_KEY_ENV_VAR: &str = "LITELLM_MASTER_KEY";

/// The environment variable that lets the proxy start with a weak or unset key.
pub const PERMIT_WEAK_ENV_VAR: &str = "LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY";

/// The `general_settings` key that does the same from the config.
pub const PERMIT_WEAK_SETTING: &str = "dangerously_permit_weak_or_unset_master_key";

/// How to mend an unsafe key, or start anyway.
pub fn remedy() -> String {
    format!(
        "Read the key from the environment (general_settings.master_key: \
         os.environ/{MASTER_KEY_ENV_VAR}) and generate one, e.g. sk-$(openssl rand -hex 32). Local \
         development only: set {PERMIT_WEAK_ENV_VAR}=true, or general_settings.{PERMIT_WEAK_SETTING}: \
         true, to start anyway."
    )
}

/// Why a master key is unsafe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsafeKey {
    /// No key: every request would be accepted.
    NotSet,
    /// Only spaces.
    Empty,
    /// `sk-1234`.
    PubliclyKnown,
}

impl UnsafeKey {
    /// Why `key` is unsafe, or `None` for a key LiteLLM accepts.
    pub fn of(key: Option<&str>) -> Option<UnsafeKey> {
        let Some(key) = key else {
            return Some(UnsafeKey::NotSet);
        };
        match key.trim() {
            "" => Some(UnsafeKey::Empty),
            PUBLICLY_KNOWN => Some(UnsafeKey::PubliclyKnown),
            _ => None,
        }
    }

    /// What a proxy starting with it starts with, in LiteLLM's words.
    pub fn state(self) -> &'static str {
        match self {
            UnsafeKey::NotSet => {
                "no master key, which accepts every request without authentication"
            }
            UnsafeKey::Empty => "an empty master key",
            UnsafeKey::PubliclyKnown => "a publicly known master key",
        }
    }

    /// Why LiteLLM's proxy refuses to start, in its words.
    pub fn headline(self) -> &'static str {
        match self {
            UnsafeKey::NotSet => {
                "no master key is set, so every request would be accepted without authentication."
            }
            UnsafeKey::Empty => "the master key is empty.",
            UnsafeKey::PubliclyKnown => "the master key is a publicly known default.",
        }
    }
}
