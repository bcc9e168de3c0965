//! Reading and writing single config keys (`attrib config get|set|unset|list`): the documented
//! keys of [`KEYS`], in your `config.toml` or the repository's. Writing goes through
//! `toml_edit`, so comments, order and layout stay as they were; a value is checked against its
//! key's type before anything is written, and every error names the key.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use serde::Serialize;
use serde_json::{json, Value};
use toml_edit::{Array, DocumentMut, Item};

use super::{Config, KeyDoc, KeyType, CONFIG_FILE, KEYS};
use crate::files::write_atomic;
use crate::Workspace;

/// Which file a command reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The user's `config.toml` in the config directory.
    User,
    /// The repository's `config.toml` beside its store.
    Repo,
}

impl Scope {
    /// `user` or `repo`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::User => "user",
            Scope::Repo => "repo",
        }
    }
}

/// The documented key `key`, or an error naming it and the keys there are. An entry of a
/// table key (`models.opus`) is that table's.
pub fn lookup(key: &str) -> Result<&'static KeyDoc> {
    if let Some(d) = KEYS.iter().find(|d| d.key == key) {
        return Ok(d);
    }
    if let Some((section, name)) = key.split_once('.') {
        let table = KEYS
            .iter()
            .find(|d| d.kind == KeyType::Table && d.key == section);
        if let (Some(d), false) = (table, name.trim().is_empty()) {
            return Ok(d);
        }
    }
    let section = key.split('.').next().unwrap_or(key);
    let near: Vec<&str> = KEYS
        .iter()
        .filter(|d| d.key.split('.').next() == Some(section))
        .map(|d| d.key)
        .collect();
    let near = if near.is_empty() {
        KEYS.iter().map(|d| d.key).collect()
    } else {
        near
    };
    bail!(
        "unknown config key {key:?}; known keys: {} (`attrib config list` explains each)",
        near.join(", ")
    )
}

fn split(key: &str) -> (&str, &str) {
    key.split_once('.').unwrap_or(("", key))
}

/// The config file of `scope`.
fn path_of(ws: &Workspace, scope: Scope) -> Result<PathBuf> {
    Ok(match scope {
        Scope::User => ws.config_dir().join(CONFIG_FILE),
        Scope::Repo => ws
            .store_dir()
            .context("`--repo` writes the config beside the repository's store")?
            .join(CONFIG_FILE),
    })
}

/// A message of several lines as one line: each line trimmed, blank lines dropped.
fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A config file as an editable document (empty when the file does not exist).
fn read_doc(path: &Path) -> Result<DocumentMut> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(DocumentMut::new()),
        Err(e) => return Err(anyhow!("cannot read {}: {e}", path.display())),
    };
    text.parse::<DocumentMut>()
        .map_err(|e| anyhow!("{}: {}", path.display(), one_line(&e.to_string())))
}

/// The item a document holds for `key`, if any.
fn item<'d>(doc: &'d DocumentMut, key: &str) -> Option<&'d Item> {
    let (section, name) = split(key);
    doc.get(section)?
        .as_table_like()?
        .get(name)
        .filter(|i| !i.is_none())
}

/// The entries of a table key in one file, in the file's order.
fn table_entries(doc: &DocumentMut, table: &str) -> Vec<(String, Item)> {
    doc.get(table)
        .and_then(Item::as_table_like)
        .map(|t| {
            t.iter()
                .filter(|(_, i)| !i.is_none())
                .map(|(k, i)| (k.to_string(), i.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// A table key's entries over `files` (the repository's first, as [`both`] gives them): an
/// entry the repository sets wins; also which files set any.
fn merged_table(
    files: &[(Scope, PathBuf, DocumentMut)],
    table: &str,
) -> (Vec<(String, Item)>, Vec<Scope>) {
    let mut entries: Vec<(String, Item)> = Vec::new();
    let mut from = Vec::new();
    for (scope, _, d) in files {
        let found = table_entries(d, table);
        if !found.is_empty() {
            from.push(*scope);
        }
        for (k, i) in found {
            if !entries.iter().any(|(e, _)| *e == k) {
                entries.push((k, i));
            }
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    (entries, from)
}

/// A value as `get` prints it: strings bare, lists one item a line.
fn plain(item: &Item) -> Vec<String> {
    match item.as_value() {
        Some(toml_edit::Value::String(s)) => vec![s.value().clone()],
        Some(toml_edit::Value::Array(a)) => a
            .iter()
            .map(|v| match v.as_str() {
                Some(s) => s.to_string(),
                None => v.to_string().trim().to_string(),
            })
            .collect(),
        Some(v) => vec![v.to_string().trim().to_string()],
        None => vec![item.to_string().trim().to_string()],
    }
}

fn as_json(item: &Item) -> Value {
    match item.as_value() {
        Some(toml_edit::Value::String(s)) => json!(s.value()),
        Some(toml_edit::Value::Boolean(b)) => json!(b.value()),
        Some(toml_edit::Value::Integer(i)) => json!(i.value()),
        Some(toml_edit::Value::Float(f)) => json!(f.value()),
        Some(toml_edit::Value::Array(a)) => Value::Array(
            a.iter()
                .map(|v| match v.as_str() {
                    Some(s) => json!(s),
                    None => json!(v.to_string().trim()),
                })
                .collect(),
        ),
        _ => json!(item.to_string().trim()),
    }
}

/// Both files, checked: the repository's (when there is a store), then the user's.
fn both(ws: &Workspace) -> Result<Vec<(Scope, PathBuf, DocumentMut)>> {
    let mut files = Vec::new();
    for scope in [Scope::Repo, Scope::User] {
        if scope == Scope::Repo && ws.store_dir().is_err() {
            continue;
        }
        let path = path_of(ws, scope)?;
        // The same check every command makes: unknown keys and wrong types are named.
        Config::read(&path)?;
        let doc = read_doc(&path)?;
        files.push((scope, path, doc));
    }
    Ok(files)
}

/// The value of `key` as printed lines (a list gives one line per item): the repository's if
/// it sets one, else the user's, else the default; `only` reads one file alone.
pub fn get(ws: &Workspace, key: &str, only: Option<Scope>) -> Result<Vec<String>> {
    let doc = lookup(key)?;
    let files = both(ws)?;
    if only == Some(Scope::Repo) && !files.iter().any(|f| f.0 == Scope::Repo) {
        ws.store_dir()
            .context("`--repo` reads the config beside the repository's store")?;
    }
    if doc.kind == KeyType::Table && key == doc.key {
        // The whole table: an entry a line, `name = value`.
        let files: Vec<_> = files
            .into_iter()
            .filter(|f| only.is_none_or(|o| o == f.0))
            .collect();
        let (entries, _) = merged_table(&files, doc.key);
        if entries.is_empty() {
            match only {
                Some(scope) => bail!("{} is not set in the {} config", doc.key, scope.as_str()),
                None => bail!("{} is not set (and has no default)", doc.key),
            }
        }
        return Ok(entries
            .iter()
            .map(|(k, i)| format!("{k} = {}", plain(i).join(", ")))
            .collect());
    }
    // A table's entry is read by its own name.
    let path = if doc.kind == KeyType::Table {
        key
    } else {
        doc.key
    };
    for (scope, _, d) in &files {
        if only.is_some_and(|o| o != *scope) {
            continue;
        }
        if let Some(i) = item(d, path) {
            return Ok(plain(i));
        }
    }
    match (only, doc.default) {
        (None, Some(default)) => Ok(vec![default.to_string()]),
        (Some(scope), _) => bail!("{path} is not set in the {} config", scope.as_str()),
        (None, None) => bail!("{path} is not set (and has no default)"),
    }
}

/// What [`set`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// The key was set in this file.
    Set(PathBuf),
    /// The key was removed from this file.
    Unset(PathBuf),
    /// `unset` of a key the file does not set: nothing was written.
    NotSet(PathBuf),
}

/// Sets `key` to `value` in the file of `scope` (or removes it when `value` is `None`). The
/// value is checked against the key's type, and the whole file must still be a config every
/// command accepts, or nothing is written.
pub fn set(ws: &Workspace, key: &str, value: Option<&str>, scope: Scope) -> Result<Change> {
    let documented = lookup(key);
    let path = path_of(ws, scope)?;
    let mut doc = read_doc(&path)?;
    let (section, name) = split(key);
    let whole_table = documented
        .as_ref()
        .is_ok_and(|kd| kd.kind == KeyType::Table && kd.key == key);
    match value {
        Some(_) if whole_table => {
            bail!("{key} is a table: set one entry, `attrib config set {key}.NAME VALUE`")
        }
        None if whole_table => {
            if doc.remove(key).is_none() {
                return Ok(Change::NotSet(path));
            }
        }
        Some(v) => {
            let kd = documented?;
            let item = parse_value(kd, v)?;
            if !doc.contains_key(section) {
                doc[section] = Item::Table(toml_edit::Table::new());
            }
            let table = doc[section]
                .as_table_like_mut()
                .ok_or_else(|| anyhow!("{}: {section} is not a table", path.display()))?;
            // Keep the key's own decoration (a trailing comment) when replacing its value.
            match table.get_mut(name).and_then(Item::as_value_mut) {
                Some(old) => {
                    let decor = old.decor().clone();
                    let mut new = item
                        .into_value()
                        .map_err(|_| anyhow!("{key}: not a value"))?;
                    *new.decor_mut() = decor;
                    *old = new;
                }
                None => {
                    table.insert(name, item);
                }
            }
        }
        None => {
            // An undocumented key can be removed too: that is how a typo gets fixed.
            let removed = doc
                .get_mut(section)
                .and_then(Item::as_table_like_mut)
                .and_then(|t| t.remove(name))
                .is_some();
            if !removed {
                documented?;
                return Ok(Change::NotSet(path));
            }
        }
    }
    let text = doc.to_string();
    toml::from_str::<Config>(&text).map_err(|e| {
        anyhow!(
            "{} would be refused, so it was left as it was: {}",
            path.display(),
            one_line(e.message())
        )
    })?;
    write_atomic(&path, text.as_bytes())?;
    Ok(match value {
        Some(_) => Change::Set(path),
        None => Change::Unset(path),
    })
}

/// Checks `v` against the key's type and turns it into a TOML item.
fn parse_value(kd: &KeyDoc, v: &str) -> Result<Item> {
    let key = kd.key;
    Ok(match kd.kind {
        KeyType::Bool => match v.trim() {
            "true" => toml_edit::value(true),
            "false" => toml_edit::value(false),
            other => bail!("{key} takes true or false, not {other:?}"),
        },
        KeyType::String | KeyType::Path | KeyType::Table => {
            if v.trim().is_empty() {
                bail!(
                    "{key} takes a non-empty {}",
                    if kd.kind == KeyType::Path {
                        "path"
                    } else {
                        "string"
                    }
                );
            }
            toml_edit::value(v)
        }
        KeyType::StringList => {
            let t = v.trim();
            let items: Vec<String> = if t.starts_with('[') {
                let parsed: toml::Value = toml::from_str::<toml::Table>(&format!("v = {t}"))
                    .ok()
                    .and_then(|mut tbl| tbl.remove("v"))
                    .ok_or_else(|| anyhow!("{key}: {t:?} is not a TOML array of strings"))?;
                parsed
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|x| {
                        x.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| anyhow!("{key} takes strings, and {x} is not one"))
                    })
                    .collect::<Result<_>>()?
            } else {
                t.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            };
            let mut a = Array::new();
            for s in items {
                a.push(s);
            }
            toml_edit::value(a)
        }
    })
}

impl KeyType {
    /// The type's name as `config list --json` gives it.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Bool => "bool",
            KeyType::String => "string",
            KeyType::StringList => "list of strings",
            KeyType::Path => "path",
            KeyType::Table => "table of strings",
        }
    }
}

/// One key of [`list`]: its value and where the value comes from.
#[derive(Clone, Debug, Serialize)]
pub struct KeyState {
    /// `table.key`.
    pub key: &'static str,
    /// The value in force (JSON-typed; `null` when unset without a default).
    pub value: Value,
    /// The value as text (`-` when unset without a default), list items joined by `, `.
    #[serde(skip)]
    pub text: String,
    /// `repo`, `user`, `default`, or `unset`.
    pub source: &'static str,
    /// The key's type name.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The default, as `get` prints it.
    pub default: Option<&'static str>,
    /// What the key does.
    pub description: &'static str,
}

/// A config file [`list`] read.
#[derive(Clone, Debug, Serialize)]
pub struct ConfigFile {
    /// Whose file it is.
    pub scope: Scope,
    /// Where it is.
    pub path: String,
}

/// Every documented key with its value, and the files read (the repository's first).
#[derive(Clone, Debug, Serialize)]
pub struct Listing {
    /// One entry per documented key, in [`KEYS`] order.
    pub keys: Vec<KeyState>,
    /// The files the values come from.
    pub files: Vec<ConfigFile>,
}

/// A table key as [`list`] shows it: its entries merged over both files, as a JSON object.
fn table_state(kd: &'static KeyDoc, files: &[(Scope, PathBuf, DocumentMut)]) -> KeyState {
    let (entries, from) = merged_table(files, kd.key);
    let value = if entries.is_empty() {
        Value::Null
    } else {
        Value::Object(
            entries
                .iter()
                .map(|(k, i)| (k.clone(), as_json(i)))
                .collect(),
        )
    };
    let text = if entries.is_empty() {
        "-".to_string()
    } else {
        entries
            .iter()
            .map(|(k, i)| format!("{k} = {}", plain(i).join(", ")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let source = match from.as_slice() {
        [] => "unset",
        [Scope::Repo] => "repo",
        [Scope::User] => "user",
        _ => "repo+user",
    };
    KeyState {
        key: kd.key,
        value,
        text,
        source,
        kind: kd.kind.name(),
        default: kd.default,
        description: kd.doc,
    }
}

/// Every documented key: its value, where the value comes from, and what it does.
pub fn list(ws: &Workspace) -> Result<Listing> {
    let files = both(ws)?;
    let keys = KEYS
        .iter()
        .map(|kd| {
            if kd.kind == KeyType::Table {
                return table_state(kd, &files);
            }
            let found = files
                .iter()
                .find_map(|(scope, _, d)| item(d, kd.key).map(|i| (*scope, i)));
            let (value, text, source) = match found {
                Some((scope, i)) => (as_json(i), plain(i).join(", "), scope.as_str()),
                None => match kd.default {
                    Some(d) if kd.kind == KeyType::Bool => {
                        (json!(d == "true"), d.to_string(), "default")
                    }
                    Some(d) => (json!(d), d.to_string(), "default"),
                    None => (Value::Null, "-".to_string(), "unset"),
                },
            };
            KeyState {
                key: kd.key,
                value,
                text,
                source,
                kind: kd.kind.name(),
                default: kd.default,
                description: kd.doc,
            }
        })
        .collect();
    let files = files
        .into_iter()
        .map(|(scope, path, _)| ConfigFile {
            scope,
            path: path.display().to_string(),
        })
        .collect();
    Ok(Listing { keys, files })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The field names serde expects at a place in the config, from its "unknown field" error.
    fn expected_fields(probe: &str) -> Vec<String> {
        let err = toml::from_str::<Config>(probe).unwrap_err();
        let msg = err.message().to_string();
        let tail = msg
            .split("expected")
            .nth(1)
            .unwrap_or_else(|| panic!("no field list in {msg:?}"));
        tail.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn every_config_key_is_documented_and_every_documented_key_exists() {
        let sections = expected_fields("zz_probe = 1\n");
        assert!(!sections.is_empty());
        let mut from_struct: Vec<String> = Vec::new();
        for s in &sections {
            let fields = expected_fields(&format!("[{s}]\nzz_probe = 1\n"));
            // A table of free names (`[models]`) names no fields: it is one key.
            if fields.is_empty() {
                from_struct.push(s.clone());
            }
            for f in fields {
                from_struct.push(format!("{s}.{f}"));
            }
        }
        from_struct.sort();
        let mut documented: Vec<String> = KEYS.iter().map(|k| k.key.to_string()).collect();
        documented.sort();
        assert_eq!(
            documented, from_struct,
            "config::KEYS must document exactly the keys Config reads"
        );
    }

    #[test]
    fn every_documented_key_takes_a_value_of_its_type() {
        for kd in KEYS {
            let sample = match kd.kind {
                KeyType::Bool => "true",
                KeyType::String => "x",
                KeyType::StringList => "a,b",
                KeyType::Path => "some/file",
                KeyType::Table => "p/m",
            };
            let item = parse_value(kd, sample).unwrap();
            let mut doc = DocumentMut::new();
            let entry = format!("{}.sample", kd.key);
            let (s, n) = split(if kd.kind == KeyType::Table {
                &entry
            } else {
                kd.key
            });
            doc[s] = Item::Table(toml_edit::Table::new());
            doc[s][n] = item;
            toml::from_str::<Config>(&doc.to_string())
                .unwrap_or_else(|e| panic!("{}: {e}", kd.key));
        }
    }

    #[test]
    fn values_are_checked_against_the_type() {
        let enabled = lookup("ai.enabled").unwrap();
        let err = parse_value(enabled, "yes").unwrap_err().to_string();
        assert!(
            err.contains("ai.enabled") && err.contains("true or false"),
            "{err}"
        );
        let peers = lookup("p2p.peers").unwrap();
        let item = parse_value(peers, r#"["/ip4/1.2.3.4/tcp/1", "/ip4/5.6.7.8/tcp/2"]"#).unwrap();
        assert_eq!(
            plain(&item),
            vec!["/ip4/1.2.3.4/tcp/1", "/ip4/5.6.7.8/tcp/2"]
        );
        let item = parse_value(peers, "a, b").unwrap();
        assert_eq!(plain(&item), vec!["a", "b"]);
        assert!(parse_value(peers, "[1, 2]")
            .unwrap_err()
            .to_string()
            .contains("p2p.peers"));
        // A table's entries are its own keys; the table itself takes no value.
        let models = lookup("models.claude-opus-4.6").unwrap();
        assert_eq!(models.key, "models");
        assert_eq!(
            plain(&parse_value(models, "anthropic/claude-opus-4-6").unwrap()),
            vec!["anthropic/claude-opus-4-6"]
        );
        assert!(lookup("models.").is_err());
        assert!(lookup("vcs.binary.x").is_err());
        let err = lookup("ai.modle").unwrap_err().to_string();
        assert!(
            err.contains("ai.modle") && err.contains("ai.model"),
            "{err}"
        );
    }
}
