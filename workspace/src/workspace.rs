//! [`Workspace`]: what a command works on, found from a directory — the user's config
//! directory (identity, prompt salts, sequence counters), the repository's store (inside
//! `.pijul/`, `.atomic/` or `.git/` in a repository, else `.attrib/`), the merged config, and
//! the repository's driver when there is one.
//!
//! A workspace is `Send + Sync` and never looks at the process's current directory: a front end
//! (the CLI, a server, an agent hook) says where it works. Reading never writes; reconciliation
//! with the VCS is an explicit call ([`Workspace::reconcile`]) that returns what it did.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{anyhow, bail, Context as _, Result};
use attrib_overlay::{PromptCommitment, Store};
use attrib_vcs_adapter::{Git, Pijul, Repository, Vcs, VcsKind};

use crate::config::Config;
use crate::identity::{self, DeviceIdentity};

/// The environment variable naming the binary to run instead of `pijul` (e.g. `atomic`); it
/// wins over the config's `[vcs] binary`.
pub const BINARY_ENV: &str = "ATTRIB_VCS_BINARY";

/// The environment variable naming the `git` binary to run in a git repository (the Pijul and
/// Atomic binary settings above do not apply to git).
pub const GIT_BINARY_ENV: &str = "ATTRIB_GIT_BINARY";

/// Where a workspace's per-user files live, and overrides a front end takes from its
/// environment.
#[derive(Clone, Debug)]
pub struct Options {
    /// The user's attrib config directory.
    pub config_dir: PathBuf,
    /// The VCS binary to run instead of the config's (`ATTRIB_VCS_BINARY`).
    pub vcs_binary: Option<OsString>,
}

impl Options {
    /// From the process environment: `ATTRIB_CONFIG_DIR` (a relative one is taken from
    /// `cwd`), else `$XDG_CONFIG_HOME/attrib` or the platform's config directory; and
    /// `ATTRIB_VCS_BINARY`.
    pub fn from_env(cwd: &Path) -> Result<Options> {
        let config_dir = match std::env::var_os("ATTRIB_CONFIG_DIR") {
            Some(d) if !d.is_empty() => cwd.join(d),
            _ => dirs::config_dir()
                .ok_or_else(|| anyhow!("cannot find a config directory; set ATTRIB_CONFIG_DIR"))?
                .join("attrib"),
        };
        let vcs_binary = std::env::var_os(BINARY_ENV).filter(|b| !b.is_empty());
        Ok(Options {
            config_dir,
            vcs_binary,
        })
    }
}

/// What a command works on. See the module documentation.
pub struct Workspace {
    /// The directory the workspace was found from (absolute).
    dir: PathBuf,
    options: Options,
    /// The store directory, if one was found in `dir` or its parents.
    store_dir: Option<PathBuf>,
    /// The merged config, read on first use (a broken config file must not stop the commands
    /// that do not read it, `attrib config unset` above all).
    config: OnceLock<Config>,
    /// The store, opened on first use.
    store: OnceLock<Store>,
}

impl Workspace {
    /// The workspace of the directory `dir` (made absolute against nothing: pass an absolute
    /// path). Finds the nearest store in `dir` or its parents; a workspace without one can
    /// still create it ([`crate::team::found`], [`crate::team::join`]) or manage the identity.
    pub fn discover(dir: &Path, options: Options) -> Result<Workspace> {
        if !dir.is_absolute() {
            bail!("{} is not an absolute path", dir.display());
        }
        if !dir.is_dir() {
            bail!("{} is not a directory", dir.display());
        }
        let store_dir = dir.ancestors().find_map(|d| {
            VcsKind::ALL
                .into_iter()
                .map(|k| d.join(k.dot_dir()).join("attrib"))
                .chain([d.join(".attrib")])
                .find(|c| c.join(attrib_overlay::store::STORE_FILE).exists())
        });
        Ok(Workspace {
            dir: dir.to_path_buf(),
            options,
            store_dir,
            config: OnceLock::new(),
            store: OnceLock::new(),
        })
    }

    /// The directory the workspace was found from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A path given by the user, taken from the workspace's directory when relative (as
    /// `git -C DIR` does).
    pub fn resolve(&self, path: &Path) -> PathBuf {
        self.dir.join(path)
    }

    /// The user's attrib config directory.
    pub fn config_dir(&self) -> &Path {
        &self.options.config_dir
    }

    /// Where the per-team sequence counters live (see [`crate::sequence`]).
    pub fn seq_dir(&self) -> PathBuf {
        self.options.config_dir.join("seq")
    }

    /// The store directory, or the error every command gives without one.
    pub fn store_dir(&self) -> Result<&Path> {
        self.store_dir.as_deref().ok_or_else(|| {
            anyhow!(
                "no attrib store in {} or its parents; run `attrib init` first",
                self.dir.display()
            )
        })
    }

    /// The directory a new store goes in: inside the nearest repository's metadata directory
    /// (`.pijul/attrib`, `.atomic/attrib`, `.git/attrib`), else `.attrib` here.
    pub fn new_store_dir(&self) -> PathBuf {
        match attrib_vcs_adapter::discover(&self.dir) {
            Some(repo) => repo.attrib_dir(),
            None => self.dir.join(".attrib"),
        }
    }

    /// The user's config overlaid with the repository's, read once.
    pub fn config(&self) -> Result<&Config> {
        if let Some(c) = self.config.get() {
            return Ok(c);
        }
        let loaded = Config::load(&self.options.config_dir, self.store_dir.as_deref())?;
        Ok(self.config.get_or_init(|| loaded))
    }

    /// The store, opened on first use (see [`Store::open_existing`]: nothing is created, and a
    /// store in a read-only place is read from a private copy).
    pub fn store(&self) -> Result<&Store> {
        if let Some(s) = self.store.get() {
            return Ok(s);
        }
        let dir = self.store_dir()?;
        let store = Store::open_existing(dir)
            .with_context(|| format!("cannot open the store in {}", dir.display()))?;
        Ok(self.store.get_or_init(|| store))
    }

    /// True when this device has an identity.
    pub fn has_identity(&self) -> bool {
        identity::identity_path(&self.options.config_dir).exists()
    }

    /// This device's identity.
    pub fn identity(&self) -> Result<DeviceIdentity> {
        identity::load(&self.options.config_dir)
    }

    /// Creates this device's identity (see [`identity::create`]).
    pub fn create_identity(
        &self,
        name: &str,
        email: Option<&str>,
        force: bool,
    ) -> Result<DeviceIdentity> {
        identity::create(&self.options.config_dir, name, email, force)
    }

    /// The nearest repository (Pijul, Atomic or git) at or above the workspace's directory.
    pub fn repository(&self) -> Result<Repository> {
        attrib_vcs_adapter::discover(&self.dir).ok_or_else(|| {
            anyhow!(
                "not in a repository: neither {} nor its parents have a .pijul, .atomic or .git directory (run `pijul init`, `atomic init` or `git init`, or give the repository with -C DIR)",
                self.dir.display()
            )
        })
    }

    /// The root of the nearest repository (see [`Workspace::repository`]).
    pub fn repo_root(&self) -> Result<PathBuf> {
        Ok(self.repository()?.root)
    }

    /// The driver for `repo`, running the configured binary (`ATTRIB_VCS_BINARY`, else the
    /// config's `[vcs] binary`, else the store's own: `pijul`, `atomic`, `git`). Its version is
    /// not checked here: reconciliation checks it once per installed binary.
    pub fn vcs(&self, repo: &Repository) -> Result<Box<dyn Vcs>> {
        let configured = match &self.options.vcs_binary {
            Some(b) => Some(b.clone()),
            None => match &self.config()?.vcs.binary {
                Some(b) if !b.trim().is_empty() => Some(OsString::from(b.trim())),
                _ => None,
            },
        };
        Ok(match repo.kind {
            VcsKind::Git => {
                let mut git = Git::new(&repo.root).with_cache_dir(repo.attrib_dir());
                if let Some(bin) = std::env::var_os(GIT_BINARY_ENV).filter(|b| !b.is_empty()) {
                    git = git.with_binary(bin);
                }
                Box::new(git)
            }
            kind => {
                let mut driver = match kind {
                    VcsKind::Atomic => Pijul::atomic(&repo.root),
                    _ => Pijul::new(&repo.root),
                };
                if let Some(bin) = configured {
                    // Only Pijul's own version numbers are known; a fork such as Atomic
                    // numbers its releases differently and is taken as it is.
                    let is_pijul = Path::new(&bin).file_name()
                        == Some(OsStr::new(VcsKind::Pijul.default_binary()));
                    driver = driver.with_binary(bin);
                    if !is_pijul {
                        driver = driver.accept_versions(None);
                    }
                }
                Box::new(driver)
            }
        })
    }

    /// Where this user's prompt salts are kept: `prompt-salts/` in the config directory, a
    /// file per commitment named by its hex.
    pub fn prompt_salts_dir(&self) -> PathBuf {
        self.options.config_dir.join("prompt-salts")
    }

    /// The salt this user kept for `commitment`, if any: only the prompt's author has it.
    pub fn prompt_salt(&self, commitment: &PromptCommitment) -> Result<Option<[u8; 16]>> {
        let path = self.prompt_salts_dir().join(commitment.to_hex());
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(anyhow!(
                    "cannot read the prompt salt {}: {e}",
                    path.display()
                ))
            }
        };
        let mut salt = [0u8; 16];
        hex::decode_to_slice(text.trim(), &mut salt).map_err(|_| {
            anyhow!(
                "{} is not a prompt salt (32 hex digits): delete it or restore it from a backup",
                path.display()
            )
        })?;
        Ok(Some(salt))
    }

    /// Keeps a prompt commitment's salt so the author can open it later.
    pub fn save_prompt_salt(&self, commitment: &str, salt: &[u8; 16]) -> Result<PathBuf> {
        let dir = self.prompt_salts_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(commitment);
        crate::files::write_private(&path, hex::encode(salt).as_bytes())?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn a_workspace_can_serve_several_threads() {
        assert_send_sync::<Workspace>();
    }

    #[test]
    fn the_nearest_store_wins_and_relative_paths_resolve_against_the_directory() {
        let root = tempfile::tempdir().unwrap();
        let outer = root.path().join(".attrib");
        let inner_repo = root.path().join("sub");
        Store::open(&outer).unwrap();
        Store::open(&inner_repo.join(".pijul").join("attrib")).unwrap();
        let deep = inner_repo.join("a").join("b");
        std::fs::create_dir_all(&deep).unwrap();
        let options = Options {
            config_dir: root.path().join("config"),
            vcs_binary: None,
        };
        let ws = Workspace::discover(&deep, options.clone()).unwrap();
        assert_eq!(
            ws.store_dir().unwrap(),
            inner_repo.join(".pijul").join("attrib")
        );
        assert_eq!(ws.repo_root().unwrap(), inner_repo);
        assert_eq!(ws.resolve(Path::new("x.jsonl")), deep.join("x.jsonl"));
        let top = Workspace::discover(root.path(), options.clone()).unwrap();
        assert_eq!(top.store_dir().unwrap(), outer);
        assert!(Workspace::discover(Path::new("relative"), options).is_err());
    }
}
