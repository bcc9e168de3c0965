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
//! ```
//!
//! Unknown keys are refused with the key's name, so a typo never silently does nothing.

use std::path::Path;

use anyhow::{anyhow, Result};
use serde::Deserialize;

/// The file name, in both places.
pub const CONFIG_FILE: &str = "config.toml";

/// Every key attrib reads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub ai: AiConfig,
    #[serde(default)]
    pub vcs: VcsConfig,
}

/// `[ai]`: the capture defaults, below flags and the `ATTRIB_AI_*` / `ATOMIC_AI_*` environment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AiConfig {
    pub enabled: Option<bool>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub track_prompts: Option<bool>,
}

/// `[vcs]`: which binary drives the repository.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VcsConfig {
    pub binary: Option<String>,
}

impl Config {
    /// Reads one file; a missing file is an empty config.
    pub fn read(path: &Path) -> Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(anyhow!("cannot read {}: {e}", path.display())),
        };
        toml::from_str(&text).map_err(|e| {
            let what = e.message().trim().to_string();
            anyhow!("{}: {what}", path.display())
        })
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
