//! This device's signing identity: an ed25519 key with a display name and email, kept in
//! `identity.toml` in the user's config directory with mode 0600. The secret key never leaves
//! the machine.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use attrib_overlay::{Identity, PublicKey};
use serde::{Deserialize, Serialize};

use crate::files::write_private;

/// The identity file's name in the config directory.
pub const IDENTITY_FILE: &str = "identity.toml";

/// The identity file: `identity.toml`, mode 0600.
#[derive(Serialize, Deserialize)]
struct IdentityFile {
    name: String,
    email: Option<String>,
    public_key: String,
    secret_key: String,
}

/// A loaded device identity: who signs this device's records.
pub struct DeviceIdentity {
    /// The display name members see.
    pub name: String,
    /// An optional email, shown beside the name.
    pub email: Option<String>,
    /// The signing key.
    pub key: Identity,
}

impl DeviceIdentity {
    /// The public half of the key: this device's author id in every team.
    pub fn public(&self) -> PublicKey {
        self.key.public()
    }
}

/// The identity file of the config directory `config_dir`.
pub fn identity_path(config_dir: &Path) -> PathBuf {
    config_dir.join(IDENTITY_FILE)
}

/// Loads the identity in `config_dir`, refusing a file others can read.
pub fn load(config_dir: &Path) -> Result<DeviceIdentity> {
    let path = identity_path(config_dir);
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
    Ok(DeviceIdentity {
        name: file.name,
        email: file.email,
        key,
    })
}

/// Creates a new identity file in `config_dir` (mode 0600, written whole or not at all).
/// Refuses to replace an existing identity unless `force`.
pub fn create(
    config_dir: &Path,
    name: &str,
    email: Option<&str>,
    force: bool,
) -> Result<DeviceIdentity> {
    let path = identity_path(config_dir);
    if path.exists() && !force {
        bail!(
            "an identity already exists at {}; use --force to replace it",
            path.display()
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
    write_private(&path, toml::to_string(&file)?.as_bytes())?;
    Ok(DeviceIdentity {
        name: name.to_string(),
        email: email.map(str::to_string),
        key,
    })
}
