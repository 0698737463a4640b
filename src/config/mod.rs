//! LiteLLM's proxy config language, read unchanged.
//!
//! Two stages, as in ripgrep and tensorzero: [`yaml`] reads the file's YAML tree with key paths;
//! [`load`] turns it into checked domain types ([`DeploymentConfig`], [`RouterSettings`]) with
//! LiteLLM's defaults. Runtime code never sees raw YAML. Keys that do not change routing are
//! accepted with one warning each; a key with a wrong type is an [`InputError`] naming the file,
//! the key path and what was expected. [`units`] spells durations and rates in input files;
//! [`lint`] looks at a loaded config as a whole; [`deployment_table`] indexes `model_list` into
//! model groups. The language's fixed limits live here too: LiteLLM's backoff constants
//! ([`settings::INITIAL_DELAY`] …) and the tag limit ([`load::MAX_TAGS`]).
//!
//! Second layer from the bottom: it may import [`crate::time`] and nothing else of the crate. It
//! must not route or simulate; the router and the simulator read these types.

pub mod auto_router;
pub mod deployment;
pub mod deployment_table;
pub mod error;
pub mod improvements;
pub mod lint;
pub mod load;
pub mod master_key;
pub mod period;
pub mod price_file;
pub mod settings;
pub mod units;
pub mod yaml;
pub mod yaml11;

pub use deployment::DeploymentConfig;
pub use error::{InputError, InputWarning};
pub use improvements::Improvements;
pub use load::LitellmConfig;
pub use settings::{RouterSettings, RoutingStrategy};
