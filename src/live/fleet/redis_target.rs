//! Which Redis `serve` shares its state through, read from `router_settings` and the
//! environment with LiteLLM 1.108.7's precedence (`Router.__init__` and
//! `litellm/_redis.py::_get_redis_client_logic`):
//!
//! - the Router shares state only when the config names `redis_url`, or both `redis_host` and
//!   `redis_port` (the environment alone turns nothing on);
//! - `REDIS_HOST`/`REDIS_PORT`/`REDIS_PASSWORD`/`REDIS_DB`/`REDIS_URL` fill what the config
//!   leaves out, and the config's keys win over them;
//! - a config that names a host drops `REDIS_URL` from the environment (unless it names a url
//!   itself);
//! - a url, wherever it came from, wins over host, port, password and db.
//!
//! It decides only the connection target and how it is described; the password never appears
//! in a description or an error. It opens no connection.

use crate::config::LitellmConfig;
use crate::config::yaml::{ConfigString, EnvLookup};

/// Where the shared state lives.
#[derive(Clone, PartialEq, Eq)]
pub enum RedisTarget {
    /// A `redis://` (or `rediss://`) URL, userinfo included.
    Url(String),
    /// Host and port with an optional password and database number.
    Host {
        /// Host name or address.
        host: String,
        /// TCP port.
        port: u16,
        /// `AUTH` password.
        password: Option<String>,
        /// Database number (`SELECT`).
        db: i64,
    },
}

impl RedisTarget {
    /// A description for logs: host and port (or the URL without its userinfo), never the
    /// password.
    pub fn describe(&self) -> String {
        match self {
            RedisTarget::Url(url) => without_userinfo(url),
            RedisTarget::Host { host, port, db, .. } => format!("redis://{host}:{port}/{db}"),
        }
    }

    /// The `redis` crate's connection info.
    pub fn connection_info(&self) -> Result<redis::ConnectionInfo, String> {
        use redis::IntoConnectionInfo;
        match self {
            RedisTarget::Url(url) => url.as_str().into_connection_info().map_err(|_| {
                format!(
                    "router_settings.redis_url: expected a redis:// URL, got {}",
                    without_userinfo(url)
                )
            }),
            RedisTarget::Host {
                host,
                port,
                password,
                db,
            } => {
                let info = (host.as_str(), *port)
                    .into_connection_info()
                    .map_err(|_| format!("router_settings.redis_host: cannot use {host:?}"))?;
                let mut settings = info.redis_settings().clone().set_db(*db);
                if let Some(p) = password {
                    settings = settings.set_password(p);
                }
                Ok(info.set_redis_settings(settings))
            }
        }
    }
}

impl std::fmt::Debug for RedisTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// `url` with any `user:password@` removed.
fn without_userinfo(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}{}", &url[..scheme_end + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// One setting as LiteLLM merges it: the config's value (resolved) over the environment's.
struct Merged {
    value: Option<String>,
    /// Where it came from, for errors: `router_settings.redis_port` or `REDIS_PORT`.
    origin: String,
}

/// The config's value of `key`, or the environment's `env_name`.
fn merged(
    config: &LitellmConfig,
    key: &str,
    value: Option<&ConfigString>,
    env_name: &str,
    env: &dyn EnvLookup,
) -> Result<Merged, String> {
    match value {
        Some(cs) => match &cs.value {
            Some(v) => Ok(Merged {
                value: Some(v.clone()),
                origin: format!("router_settings.{key}"),
            }),
            None => Err(format!(
                "{}: router_settings.{key}: the environment variable {} is not set",
                config.file,
                cs.env_var.as_deref().unwrap_or("?")
            )),
        },
        None => Ok(Merged {
            value: env.var(env_name).filter(|v| !v.is_empty()),
            origin: format!("the environment variable {env_name}"),
        }),
    }
}

/// The Redis `config` shares state through (`None`: not configured), with the environment
/// `env` filling what the config leaves out.
pub fn resolve(config: &LitellmConfig, env: &dyn EnvLookup) -> Result<Option<RedisTarget>, String> {
    let r = &config.settings.redis;
    let turned_on = r.url.is_some() || (r.host.is_some() && r.port.is_some());
    if !turned_on {
        return Ok(None);
    }
    let url = if r.url.is_none() && r.host.is_some() {
        None
    } else {
        merged(config, "redis_url", r.url.as_ref(), "REDIS_URL", env)?.value
    };
    if let Some(url) = url {
        return Ok(Some(RedisTarget::Url(url)));
    }
    let host = merged(config, "redis_host", r.host.as_ref(), "REDIS_HOST", env)?;
    let port = merged(config, "redis_port", r.port.as_ref(), "REDIS_PORT", env)?;
    let password = merged(
        config,
        "redis_password",
        r.password.as_ref(),
        "REDIS_PASSWORD",
        env,
    )?;
    let db = merged(config, "redis_db", r.db.as_ref(), "REDIS_DB", env)?;
    let Some(host_name) = host.value else {
        return Err(format!(
            "{}: router_settings.redis_host: expected a host name, got nothing",
            config.file
        ));
    };
    Ok(Some(RedisTarget::Host {
        host: host_name,
        port: number(config, &port, "a port number (1-65535)", 6379)?,
        password: password.value,
        db: number(config, &db, "a database number (0 or more)", 0)?,
    }))
}

/// `setting` as a number of type `T` (`default` when unset).
fn number<T: std::str::FromStr>(
    config: &LitellmConfig,
    setting: &Merged,
    expected: &str,
    default: T,
) -> Result<T, String> {
    match &setting.value {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| {
            format!(
                "{}: {}: expected {expected}, got {v:?}",
                config.file, setting.origin
            )
        }),
    }
}
