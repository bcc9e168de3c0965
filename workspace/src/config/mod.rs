//! The config: `config.toml` in the user's attrib config directory, then the repository's own
//! `config.toml` beside its store; a key the repository sets wins over the user's.
//!
//! ```toml
//! [ai]
//! enabled = true            # patches you record are AI-assisted unless a flag or ATTRIB_AI_ENABLED says not
//! provider = "anthropic"
//! model = "claude-sonnet-4"
//! track_prompts = false     # true: commit to the prompt in ATTRIB_AI_PROMPT_FILE (a salted hash, never the text)
//!
//! [vcs]
//! binary = "atomic"         # the patch-store binary to run (default: pijul); ATTRIB_VCS_BINARY wins
//!
//! [p2p]                     # `attrib node` and `attrib sync`
//! peers = ["/ip4/192.0.2.7/tcp/4001/p2p/12D3Koo…"]   # dialled at start, besides --peer
//! listen = ["/ip4/0.0.0.0/tcp/4001"]   # default: every interface, a free TCP and QUIC port
//! mdns = true               # find members on the LAN (--no-mdns wins)
//! swarm_key_file = "swarm.key"   # a pre-shared key (TCP only, no QUIC); relative to this file
//!
//! [models]                  # model-name aliases over the built-in table (query/models.toml)
//! "opus" = "anthropic/claude-opus-4-6"     # alias = canonical provider/model
//! "acme-coder" = "acme/coder-2"            # a model the table does not know
//! ```
//!
//! `[models]` merges entry by entry: the repository's aliases over the user's, both over the
//! built-in table ([`Config::model_registry`]).
//!
//! Unknown keys are refused with the key's name, so a typo never silently does nothing.
//! [`KEYS`] documents every key; [`edit`] reads and writes single keys with comments kept.

mod edit;
mod keys;

pub use edit::{get, list, lookup, set, Change, KeyState, Listing, Scope};
pub use keys::{KeyDoc, KeyType, KEYS};

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{anyhow, bail, Result};
use attrib_query::models::ModelRegistry;
use serde::Deserialize;

/// The file name, in both places.
pub const CONFIG_FILE: &str = "config.toml";

/// Every key attrib reads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[ai]`: capture defaults.
    #[serde(default)]
    pub ai: AiConfig,
    /// `[vcs]`: the patch-store binary.
    #[serde(default)]
    pub vcs: VcsConfig,
    /// `[p2p]`: how the node reaches the team's other devices.
    #[serde(default)]
    pub p2p: P2pConfig,
    /// `[models]`: model-name aliases, `alias = "provider/model"`, over the built-in table.
    #[serde(default)]
    pub models: BTreeMap<String, String>,
}

/// `[ai]`: the capture defaults, below flags and the `ATTRIB_AI_*` / `ATOMIC_AI_*` environment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AiConfig {
    /// What is recorded is AI-assisted unless a flag or the environment says not.
    pub enabled: Option<bool>,
    /// The AI provider recorded by default.
    pub provider: Option<String>,
    /// The AI model recorded by default.
    pub model: Option<String>,
    /// Commit to the prompt in `ATTRIB_AI_PROMPT_FILE` (a salted hash, never the text).
    pub track_prompts: Option<bool>,
}

/// `[vcs]`: which binary drives the repository.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VcsConfig {
    /// The binary to run instead of `pijul` (e.g. `atomic`).
    pub binary: Option<String>,
}

/// `[p2p]`: how `attrib node` and `attrib sync` reach the team's other devices.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct P2pConfig {
    /// Multiaddrs dialled at start (`/ip4/…/tcp/…/p2p/…`), besides `--peer`.
    pub peers: Option<Vec<String>>,
    /// Multiaddrs to listen on, unless `--listen` is given.
    pub listen: Option<Vec<String>>,
    /// Discover members on the LAN with mDNS (default true; `--no-mdns` wins).
    pub mdns: Option<bool>,
    /// A libp2p pre-shared key file (`/key/swarm/psk/1.0.0/`, `/base16/`, 64 hex digits). A
    /// relative path is taken from the directory of the config file that names it.
    pub swarm_key_file: Option<std::path::PathBuf>,
}

impl Config {
    /// Reads one file; a missing file is an empty config.
    pub fn read(path: &Path) -> Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(anyhow!("cannot read {}: {e}", path.display())),
        };
        let mut config: Config = toml::from_str(&text).map_err(|e| {
            let what = e.message().trim().to_string();
            anyhow!("{}: {what}", path.display())
        })?;
        if let Some((alias, _)) = config
            .models
            .iter()
            .find(|(a, t)| a.trim().is_empty() || t.trim().is_empty())
        {
            bail!(
                "{}: models.{alias:?} needs a non-empty alias and a provider/model",
                path.display()
            );
        }
        if let (Some(key), Some(dir)) = (&mut config.p2p.swarm_key_file, path.parent()) {
            if key.is_relative() {
                *key = dir.join(&*key);
            }
        }
        Ok(config)
    }

    /// The user's config overlaid with the repository's (each key separately).
    pub fn load(user_dir: &Path, repo_dir: Option<&Path>) -> Result<Config> {
        let mut config = Config::read(&user_dir.join(CONFIG_FILE))?;
        if let Some(dir) = repo_dir {
            config.overlay(Config::read(&dir.join(CONFIG_FILE))?);
        }
        Ok(config)
    }

    fn overlay(&mut self, over: Config) {
        fn take<T>(base: &mut Option<T>, over: Option<T>) {
            if over.is_some() {
                *base = over;
            }
        }
        take(&mut self.ai.enabled, over.ai.enabled);
        take(&mut self.ai.provider, over.ai.provider);
        take(&mut self.ai.model, over.ai.model);
        take(&mut self.ai.track_prompts, over.ai.track_prompts);
        take(&mut self.vcs.binary, over.vcs.binary);
        take(&mut self.p2p.peers, over.p2p.peers);
        take(&mut self.p2p.listen, over.p2p.listen);
        take(&mut self.p2p.mdns, over.p2p.mdns);
        take(&mut self.p2p.swarm_key_file, over.p2p.swarm_key_file);
        self.models.extend(over.models);
    }

    /// The model registry `stats` and `log --model` name models by: the built-in table with
    /// this config's `[models]` aliases over it.
    pub fn model_registry(&self) -> ModelRegistry {
        ModelRegistry::builtin().with_aliases(&self.models)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_wins_key_by_key() {
        let user = tempfile::tempdir().unwrap();
        let repo = tempfile::tempdir().unwrap();
        std::fs::write(
            user.path().join(CONFIG_FILE),
            "[ai]\nenabled = true\nprovider = \"anthropic\"\nmodel = \"claude-opus-4\"\n",
        )
        .unwrap();
        std::fs::write(
            repo.path().join(CONFIG_FILE),
            "[ai]\nmodel = \"claude-sonnet-4\"\n[vcs]\nbinary = \"atomic\"\n",
        )
        .unwrap();
        let c = Config::load(user.path(), Some(repo.path())).unwrap();
        assert_eq!(c.ai.enabled, Some(true));
        assert_eq!(c.ai.provider.as_deref(), Some("anthropic"));
        assert_eq!(c.ai.model.as_deref(), Some("claude-sonnet-4"));
        assert_eq!(c.vcs.binary.as_deref(), Some("atomic"));
        assert_eq!(
            Config::load(repo.path().join("none").as_path(), None).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn p2p_keys_overlay_and_a_relative_swarm_key_is_beside_its_file() {
        let user = tempfile::tempdir().unwrap();
        let repo = tempfile::tempdir().unwrap();
        std::fs::write(
            user.path().join(CONFIG_FILE),
            "[p2p]\npeers = [\"/ip4/127.0.0.1/tcp/1\"]\nmdns = false\nswarm_key_file = \"k\"\n",
        )
        .unwrap();
        std::fs::write(
            repo.path().join(CONFIG_FILE),
            "[p2p]\nlisten = [\"/ip4/0.0.0.0/tcp/4001\"]\nswarm_key_file = \"/abs/key\"\n",
        )
        .unwrap();
        let c = Config::load(user.path(), None).unwrap();
        assert_eq!(c.p2p.swarm_key_file, Some(user.path().join("k")));
        let c = Config::load(user.path(), Some(repo.path())).unwrap();
        assert_eq!(c.p2p.peers, Some(vec!["/ip4/127.0.0.1/tcp/1".to_string()]));
        assert_eq!(
            c.p2p.listen,
            Some(vec!["/ip4/0.0.0.0/tcp/4001".to_string()])
        );
        assert_eq!(c.p2p.mdns, Some(false));
        assert_eq!(
            c.p2p.swarm_key_file.as_deref(),
            Some(std::path::Path::new("/abs/key"))
        );
        std::fs::write(repo.path().join(CONFIG_FILE), "[p2p]\npeer = []\n").unwrap();
        let err = Config::load(user.path(), Some(repo.path()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`peer`"), "{err}");
    }

    #[test]
    fn model_aliases_merge_entry_by_entry_over_the_builtin_table() {
        let user = tempfile::tempdir().unwrap();
        let repo = tempfile::tempdir().unwrap();
        std::fs::write(
            user.path().join(CONFIG_FILE),
            "[models]\nopus = \"anthropic/claude-opus-4-5\"\nhouse = \"acme/house-1\"\n",
        )
        .unwrap();
        std::fs::write(
            repo.path().join(CONFIG_FILE),
            "[models]\nopus = \"claude-opus-4.6\"\n",
        )
        .unwrap();
        let c = Config::load(user.path(), Some(repo.path())).unwrap();
        assert_eq!(c.models.len(), 2);
        let r = c.model_registry();
        assert_eq!(r.canonical("", "Opus").id(), "anthropic/claude-opus-4-6");
        assert_eq!(r.canonical("acme", "house").id(), "acme/house-1");
        assert_eq!(
            r.canonical("anthropic", "claude-opus-4-6-20260101").id(),
            "anthropic/claude-opus-4-6"
        );
        std::fs::write(repo.path().join(CONFIG_FILE), "[models]\nx = \" \"\n").unwrap();
        let err = Config::load(user.path(), Some(repo.path()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("models.\"x\""), "{err}");
    }

    #[test]
    fn an_unknown_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), "[ai]\nmodle = \"x\"\n").unwrap();
        let err = Config::load(dir.path(), None).unwrap_err().to_string();
        assert!(err.contains("modle"), "{err}");
        std::fs::write(dir.path().join(CONFIG_FILE), "[ai]\nenabled = \"yes\"\n").unwrap();
        let err = Config::load(dir.path(), None).unwrap_err().to_string();
        assert!(err.contains("config.toml"), "{err}");
    }
}
