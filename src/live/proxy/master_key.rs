//! Whether the proxy may start with the master key it has, as LiteLLM 1.108.7's proxy decides
//! at boot (`litellm/proxy/auth/master_key_boot_check.py`).
//!
//! The key is `general_settings.master_key` (an `os.environ/NAME` reference resolved), else the
//! `LITELLM_MASTER_KEY` environment variable. LiteLLM refuses to start when there is none, when
//! it is blank, or when it is the publicly known default `sk-1234` (LiteLLM compares the
//! stripped key's SHA-256 digest with that key's), unless
//! `general_settings.dangerously_permit_weak_or_unset_master_key: true` or the environment
//! variable `LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY=true` allows it; then it starts
//! with a warning. It decides only that; checking a request's key is [`super::auth`]'s.

use crate::config::LitellmConfig;
use crate::config::master_key::remedy;
pub use crate::config::master_key::{
    MASTER_KEY_ENV_VAR, PERMIT_WEAK_ENV_VAR, PERMIT_WEAK_SETTING, UnsafeKey,
};
use crate::config::yaml::{ConfigString, EnvLookup};

/// What the process environment says about the master key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyEnvironment {
    /// `LITELLM_MASTER_KEY`, if set.
    pub master_key: Option<String>,
    /// `LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY` reads as true (`true` in any case,
    /// spaces around it ignored, as LiteLLM's `str_to_bool`).
    pub permit_weak: bool,
}

impl KeyEnvironment {
    /// Read from `env`.
    pub fn from_env(env: &dyn EnvLookup) -> KeyEnvironment {
        KeyEnvironment {
            master_key: env.var(MASTER_KEY_ENV_VAR),
            permit_weak: env
                .var(PERMIT_WEAK_ENV_VAR)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
        }
    }

    /// Local development: no `LITELLM_MASTER_KEY`, and weak or unset keys permitted (as with
    /// `LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY=true`).
    pub fn local_development() -> KeyEnvironment {
        KeyEnvironment {
            master_key: None,
            permit_weak: true,
        }
    }
}

/// The key the proxy starts with: `None` accepts every request. `permitted` names what is
/// unsafe about it when the override let it through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootKey {
    /// The key requests must present.
    pub key: Option<String>,
    /// Why it is unsafe, when it is and the override allowed it.
    pub permitted: Option<UnsafeKey>,
}

/// The master key `config` starts with under `env`, or why the proxy refuses to start.
pub fn boot_key(config: &LitellmConfig, env: &KeyEnvironment) -> Result<BootKey, String> {
    let (key, from_config) = match &config.master_key {
        Some(ConfigString { value, .. }) => (value.clone(), true),
        None => (env.master_key.clone(), false),
    };
    let Some(reason) = UnsafeKey::of(key.as_deref()) else {
        return Ok(BootKey {
            key,
            permitted: None,
        });
    };
    if env.permit_weak || config.permit_weak_master_key {
        return Ok(BootKey {
            key,
            permitted: Some(reason),
        });
    }
    Err(refusal(config, reason, from_config))
}

/// Where the refused key comes from, in the config's file and key path.
fn source(config: &LitellmConfig, reason: UnsafeKey, from_config: bool) -> String {
    let path = config.key_path("general_settings.master_key");
    match (&config.master_key, from_config, reason) {
        (
            Some(ConfigString {
                env_var: Some(var), ..
            }),
            true,
            UnsafeKey::NotSet,
        ) => format!(
            "{}: {path}: the environment variable {var} is not set",
            config.file
        ),
        (_, true, _) => format!("{}: {path}", config.file),
        (_, false, UnsafeKey::NotSet) => format!(
            "{}: neither {path} nor the {MASTER_KEY_ENV_VAR} environment variable is set",
            config.file
        ),
        (_, false, _) => format!(
            "{}: the master key comes from the {MASTER_KEY_ENV_VAR} environment variable",
            config.file
        ),
    }
}

/// The refusal: what is wrong, where the key comes from, and how to start anyway.
fn refusal(config: &LitellmConfig, reason: UnsafeKey, from_config: bool) -> String {
    format!(
        "{}: refusing to start, as LiteLLM's proxy does: {} {}",
        source(config, reason, from_config),
        reason.headline(),
        remedy()
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;

    const MODELS: &str = "model_list:\n  - {model_name: m, litellm_params: {model: openai/m}}\n";

    fn config(general: &str, env: &BTreeMap<String, String>) -> LitellmConfig {
        let text = format!("{MODELS}{general}");
        LitellmConfig::from_str(&text, "proxy.yaml", Path::new("."), env).expect("config loads")
    }

    fn env(vars: &[(&str, &str)]) -> BTreeMap<String, String> {
        vars.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn boot(general: &str, vars: &[(&str, &str)]) -> Result<BootKey, String> {
        let vars = env(vars);
        boot_key(&config(general, &vars), &KeyEnvironment::from_env(&vars))
    }

    #[test]
    fn a_strong_key_from_the_config_or_the_environment_starts() {
        let started = boot(
            "general_settings: {master_key: sk-a-long-random-key}\n",
            &[],
        );
        assert_eq!(
            started,
            Ok(BootKey {
                key: Some("sk-a-long-random-key".into()),
                permitted: None
            })
        );
        let from_env = boot("", &[(MASTER_KEY_ENV_VAR, "sk-from-env")]).unwrap();
        assert_eq!(from_env.key.as_deref(), Some("sk-from-env"));
        // The config's key wins over the environment's.
        let both = boot(
            "general_settings: {master_key: sk-config}\n",
            &[(MASTER_KEY_ENV_VAR, "sk-from-env")],
        )
        .unwrap();
        assert_eq!(both.key.as_deref(), Some("sk-config"));
    }

    #[test]
    fn no_key_an_empty_one_and_the_known_default_are_refused() {
        let none = boot("", &[]).unwrap_err();
        assert!(none.contains("proxy.yaml: neither general_settings.master_key nor the LITELLM_MASTER_KEY environment variable is set"), "{none}");
        assert!(none.contains("no master key is set"), "{none}");
        assert!(none.contains(PERMIT_WEAK_ENV_VAR), "{none}");
        let known = boot("general_settings: {master_key: sk-1234}\n", &[]).unwrap_err();
        assert!(
            known.contains("proxy.yaml: general_settings.master_key: refusing"),
            "{known}"
        );
        assert!(known.contains("publicly known default"), "{known}");
        // Stripped before the comparison, as LiteLLM does.
        let padded = boot("general_settings: {master_key: ' sk-1234 '}\n", &[]).unwrap_err();
        assert!(padded.contains("publicly known default"), "{padded}");
        let empty = boot("general_settings: {master_key: '  '}\n", &[]).unwrap_err();
        assert!(empty.contains("the master key is empty"), "{empty}");
        let env_known = boot("", &[(MASTER_KEY_ENV_VAR, "sk-1234")]).unwrap_err();
        assert!(
            env_known.contains("comes from the LITELLM_MASTER_KEY"),
            "{env_known}"
        );
    }

    #[test]
    fn an_unset_variable_is_named_and_counts_as_no_key() {
        let general = "general_settings: {master_key: os.environ/PROXY_KEY}\n";
        let refused = boot(general, &[]).unwrap_err();
        assert!(
            refused.contains(
                "general_settings.master_key: the environment variable PROXY_KEY is not set"
            ),
            "{refused}"
        );
        // The config names a variable, so LITELLM_MASTER_KEY does not stand in for it.
        let still = boot(general, &[(MASTER_KEY_ENV_VAR, "sk-from-env")]).unwrap_err();
        assert!(still.contains("PROXY_KEY is not set"), "{still}");
        let set = boot(general, &[("PROXY_KEY", "sk-strong")]).unwrap();
        assert_eq!(set.key.as_deref(), Some("sk-strong"));
    }

    #[test]
    fn the_override_from_the_config_or_the_environment_starts_with_the_weak_key() {
        let permitted = |general: &str, vars: &[(&str, &str)]| boot(general, vars).unwrap();
        let by_setting = permitted(
            "general_settings: {master_key: sk-1234, dangerously_permit_weak_or_unset_master_key: true}\n",
            &[],
        );
        assert_eq!(by_setting.key.as_deref(), Some("sk-1234"));
        assert_eq!(by_setting.permitted, Some(UnsafeKey::PubliclyKnown));
        for value in ["true", "TRUE", " True "] {
            let by_env = permitted("", &[(PERMIT_WEAK_ENV_VAR, value)]);
            assert_eq!(by_env.key, None);
            assert_eq!(by_env.permitted, Some(UnsafeKey::NotSet));
        }
        for value in ["1", "yes", "false", ""] {
            assert!(
                boot("", &[(PERMIT_WEAK_ENV_VAR, value)]).is_err(),
                "{value}"
            );
        }
        let off = "general_settings: {master_key: sk-1234, dangerously_permit_weak_or_unset_master_key: false}\n";
        assert!(boot(off, &[]).is_err());
    }

    #[test]
    fn the_override_setting_must_be_a_boolean() {
        let text = format!(
            "{MODELS}general_settings: {{dangerously_permit_weak_or_unset_master_key: sure}}\n"
        );
        let vars = env(&[]);
        let err = LitellmConfig::from_str(&text, "proxy.yaml", Path::new("."), &vars).unwrap_err();
        let err = err.to_string();
        assert!(
            err.contains("general_settings.dangerously_permit_weak_or_unset_master_key"),
            "{err}"
        );
        assert!(err.contains("true or false"), "{err}");
    }
}
