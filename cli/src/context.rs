//! Where things live: the user's config dir (identity, prompt salts, sequence counters) and the
//! repository's store (inside `.pijul/` for a Pijul repository, else `.attrib/`).

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use std::cell::{OnceCell, RefCell, RefMut};

use anyhow::{anyhow, bail, Context as _, Result};
use attrib_overlay::{Identity, PublicKey, Snapshot, Store};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::follow::{self, Followed};

/// Everything a command needs to know about its surroundings.
pub struct Ctx {
    /// The user's attrib config directory.
    pub config_dir: PathBuf,
    /// The directory the command runs in.
    pub cwd: PathBuf,
    /// The merged config, read on first use.
    config: OnceCell<Config>,
    /// The repository's channel as reconciled by [`Ctx::open_store`], when it is a Pijul
    /// repository.
    followed: RefCell<Option<Followed>>,
    /// Why reconciliation could not run, when it could not.
    follow_error: RefCell<Option<String>>,
}

/// The identity file: `identity.toml`, mode 0600.
#[derive(Serialize, Deserialize)]
struct IdentityFile {
    name: String,
    email: Option<String>,
    public_key: String,
    secret_key: String,
}

/// A loaded device identity.
pub struct Me {
    pub name: String,
    pub email: Option<String>,
    pub key: Identity,
}

impl Me {
    pub fn public(&self) -> PublicKey {
        self.key.public()
    }
}

impl Ctx {
    /// From the environment: `ATTRIB_CONFIG_DIR`, else `$XDG_CONFIG_HOME/attrib` or the
    /// platform's config dir.
    pub fn from_env(repo: Option<PathBuf>) -> Result<Ctx> {
        let config_dir = match std::env::var_os("ATTRIB_CONFIG_DIR") {
            Some(d) if !d.is_empty() => PathBuf::from(d),
            _ => dirs::config_dir()
                .ok_or_else(|| anyhow!("cannot find a config directory; set ATTRIB_CONFIG_DIR"))?
                .join("attrib"),
        };
        // A relative ATTRIB_CONFIG_DIR keeps naming the directory it named before `-C`.
        let config_dir = if config_dir.is_relative() {
            std::env::current_dir()
                .context("cannot read the current directory")?
                .join(config_dir)
        } else {
            config_dir
        };
        if let Some(r) = &repo {
            if !r.is_dir() {
                bail!("{} is not a directory", r.display());
            }
            // As if started in DIR: relative paths in other arguments (`export -o`, `import`,
            // `init --join`, `--prompt-file`) resolve against DIR too, as with `git -C`.
            std::env::set_current_dir(r)
                .with_context(|| format!("cannot enter {}", r.display()))?;
        }
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        Ok(Ctx::new(config_dir, cwd))
    }

    /// A context for `config_dir` working in `cwd` (the demo makes one per member).
    pub fn new(config_dir: PathBuf, cwd: PathBuf) -> Ctx {
        Ctx {
            config_dir,
            cwd,
            config: OnceCell::new(),
            followed: RefCell::new(None),
            follow_error: RefCell::new(None),
        }
    }

    /// The user's config overlaid with the repository's.
    pub fn config(&self) -> Result<&Config> {
        if let Some(c) = self.config.get() {
            return Ok(c);
        }
        let repo = self.find_store_dir().ok();
        let loaded = Config::load(&self.config_dir, repo.as_deref())?;
        Ok(self.config.get_or_init(|| loaded))
    }

    fn identity_path(&self) -> PathBuf {
        self.config_dir.join("identity.toml")
    }

    pub fn has_identity(&self) -> bool {
        self.identity_path().exists()
    }

    /// Loads this device's identity, refusing a file others can read.
    pub fn identity(&self) -> Result<Me> {
        let path = self.identity_path();
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                bail!("no identity yet; create one with `attrib identity new --name NAME`")
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let mode = fs::metadata(&path)?.permissions().mode();
        if mode & 0o077 != 0 {
            bail!(
                "{} is readable by others (mode {:o}); run `chmod 600 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            );
        }
        let file: IdentityFile = toml::from_str(&text).map_err(|e| {
            anyhow!(
                "{} is not a valid identity file: {}",
                path.display(),
                e.message()
            )
        })?;
        let mut secret = [0u8; 32];
        hex::decode_to_slice(file.secret_key.trim(), &mut secret)
            .map_err(|_| anyhow!("{}: secret_key must be 64 hex digits", path.display()))?;
        let key = Identity::from_secret(secret);
        if key.public().to_hex() != file.public_key.trim() {
            bail!("{}: public_key does not match secret_key", path.display());
        }
        Ok(Me {
            name: file.name,
            email: file.email,
            key,
        })
    }

    /// Creates a new identity file (mode 0600, written whole or not at all).
    pub fn create_identity(&self, name: &str, email: Option<&str>, force: bool) -> Result<Me> {
        if self.has_identity() && !force {
            bail!(
                "an identity already exists at {}; use --force to replace it",
                self.identity_path().display()
            );
        }
        if name.trim().is_empty() {
            bail!("the identity needs a name (--name)");
        }
        let key = Identity::generate().context("the system random source failed")?;
        let file = IdentityFile {
            name: name.to_string(),
            email: email.map(str::to_string),
            public_key: key.public().to_hex(),
            secret_key: hex::encode(key.secret_bytes()),
        };
        let text = toml::to_string(&file)?;
        write_private(&self.identity_path(), text.as_bytes())?;
        Ok(Me {
            name: name.to_string(),
            email: email.map(str::to_string),
            key,
        })
    }

    /// The directory a new store goes in: `.pijul/attrib` in a Pijul repository, else `.attrib`.
    pub fn new_store_dir(&self) -> PathBuf {
        if self.cwd.join(".pijul").is_dir() {
            self.cwd.join(".pijul").join("attrib")
        } else {
            self.cwd.join(".attrib")
        }
    }

    /// Finds the store of the repository containing the working directory.
    pub fn find_store_dir(&self) -> Result<PathBuf> {
        for dir in self.cwd.ancestors() {
            for candidate in [dir.join(".pijul").join("attrib"), dir.join(".attrib")] {
                if candidate.join(attrib_overlay::store::STORE_FILE).exists() {
                    return Ok(candidate);
                }
            }
        }
        bail!(
            "no attrib store in {} or its parents; run `attrib init` first",
            self.cwd.display()
        )
    }

    /// Opens the repository's store and, in a Pijul repository, first reconciles it with the
    /// current channel (see [`crate::follow`]). A reconciliation that cannot run (no `pijul`, a
    /// broken repository) does not stop commands that only read the overlay: commands that
    /// need the channel fail with the reason ([`Ctx::channel`]), those that can do without it
    /// say so in a warning ([`Ctx::channel_or_warn`]).
    pub fn open_store(&self) -> Result<Store> {
        let dir = self.find_store_dir()?;
        let store = Store::open(&dir)
            .with_context(|| format!("cannot open the store in {}", dir.display()))?;
        if self.followed.borrow().is_none() && self.follow_error.borrow().is_none() {
            let progress = crate::progress::Progress::spinner(
                "reconciling with the Pijul channel",
                crate::progress::Data::Stdout,
            );
            let followed = follow::follow(self, &store, &dir);
            drop(progress);
            match followed {
                Ok(f) => *self.followed.borrow_mut() = f,
                Err(e) => *self.follow_error.borrow_mut() = Some(format!("{e:#}")),
            }
        }
        Ok(store)
    }

    /// The reconciled channel, for commands that need it; `None` outside a Pijul repository.
    /// Call after [`Ctx::open_store`].
    pub fn channel(&self) -> Result<Option<RefMut<'_, Followed>>> {
        if let Some(reason) = self.follow_error.borrow().as_ref() {
            bail!("{reason}");
        }
        Ok(RefMut::filter_map(self.followed.borrow_mut(), Option::as_mut).ok())
    }

    /// The reconciled channel, or `None` with a warning on stderr when it could not be read:
    /// for commands that can answer from the overlay alone.
    pub fn channel_or_warn(&self) -> Option<RefMut<'_, Followed>> {
        match self.channel() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("attrib: warning: answering from the overlay alone: {e:#}");
                None
            }
        }
    }

    /// The next sequence number for this device in this team. The counter in the config dir
    /// keeps two checkouts of one team on this machine from reusing a number (equivocation).
    pub fn next_seq(&self, snap: &Snapshot<'_>, me: &Me) -> Result<u32> {
        let from_store = snap.next_seq(&me.public())?;
        let from_counter = match snap.team() {
            Some(team) => self.read_counter(&team.to_hex())?.saturating_add(1),
            None => 1,
        };
        Ok(from_store.max(from_counter))
    }

    /// Remembers the last sequence number used in a team.
    pub fn remember_seq(&self, team: &str, seq: u32) -> Result<()> {
        remember_seq_in(&self.seq_dir(), team, seq)
    }

    /// Where the per-team sequence counters live (see [`Ctx::next_seq`]).
    pub fn seq_dir(&self) -> PathBuf {
        self.config_dir.join("seq")
    }

    fn read_counter(&self, team: &str) -> Result<u32> {
        read_counter_in(&self.seq_dir(), team)
    }

    /// Keeps a prompt commitment's salt so the author can open it later.
    pub fn save_prompt_salt(&self, commitment: &str, salt: &[u8; 16]) -> Result<PathBuf> {
        let dir = self.config_dir.join("prompt-salts");
        fs::create_dir_all(&dir)?;
        let path = dir.join(commitment);
        write_private(&path, hex::encode(salt).as_bytes())?;
        Ok(path)
    }
}

/// Raises the counter of `team` in `dir` to `seq`; it never goes down.
pub fn remember_seq_in(dir: &Path, team: &str, seq: u32) -> Result<()> {
    if seq > read_counter_in(dir, team)? {
        fs::create_dir_all(dir)?;
        write_atomic(&dir.join(team), seq.to_string().as_bytes())?;
    }
    Ok(())
}

fn read_counter_in(dir: &Path, team: &str) -> Result<u32> {
    let path = dir.join(team);
    match fs::read_to_string(&path) {
        Ok(t) => t
            .trim()
            .parse()
            .with_context(|| format!("{} is not a number", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Writes a file readable only by its owner, atomically (temp file, fsync, rename).
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with_mode(path, bytes, 0o600)
}

/// Writes a file atomically: readers see the old content or the new, never a part.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with_mode(path, bytes, 0o644)
}

fn write_with_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("attrib"),
        std::process::id()
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}
