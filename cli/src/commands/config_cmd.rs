//! `attrib config get|set|unset|list`: the documented keys of [`crate::config::KEYS`], read from
//! and written to your `config.toml` or the repository's. Writing goes through `toml_edit`, so
//! comments, order and layout stay as they were; a value is checked against its key's type
//! before anything is written, and every error names the key.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use serde_json::{json, Value};
use toml_edit::{Array, DocumentMut, Item};

use super::tabular::{self, Align};
use crate::args::ConfigCommand;
use crate::config::{Config, KeyDoc, KeyType, CONFIG_FILE, KEYS};
use crate::context::{write_atomic, Ctx};
use crate::render::one_line;

/// Which file a command reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    User,
    Repo,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Scope::User => "user",
            Scope::Repo => "repo",
        }
    }
}

pub fn run(ctx: &Ctx, out: &mut dyn Write, cmd: ConfigCommand) -> Result<()> {
    match cmd {
        ConfigCommand::Get { key, user, in_repo } => {
            let doc = lookup(&key)?;
            let only = match (user, in_repo) {
                (true, _) => Some(Scope::User),
                (_, true) => Some(Scope::Repo),
                _ => None,
            };
            get(ctx, out, doc, only)
        }
        ConfigCommand::Set {
            key,
            value,
            in_repo,
            ..
        } => {
            let scope = if in_repo { Scope::Repo } else { Scope::User };
            set(ctx, out, &key, Some(&value), scope)
        }
        ConfigCommand::Unset { key, in_repo, .. } => {
            let scope = if in_repo { Scope::Repo } else { Scope::User };
            set(ctx, out, &key, None, scope)
        }
        ConfigCommand::List { json } => list(ctx, out, json),
    }
}

/// The documented key `key`, or an error naming it and the keys there are.
fn lookup(key: &str) -> Result<&'static KeyDoc> {
    if let Some(d) = KEYS.iter().find(|d| d.key == key) {
        return Ok(d);
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

/// The config file of `scope`, and whether the repository has a store to hold one.
fn path_of(ctx: &Ctx, scope: Scope) -> Result<PathBuf> {
    Ok(match scope {
        Scope::User => ctx.config_dir.join(CONFIG_FILE),
        Scope::Repo => ctx
            .find_store_dir()
            .context("`--repo` writes the config beside the repository's store")?
            .join(CONFIG_FILE),
    })
}

/// A config file as an editable document (empty when the file does not exist), checked against
/// the documented keys so an error names the file and the key.
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

/// Both files, checked: the user's, then the repository's when there is a store.
fn both(ctx: &Ctx) -> Result<Vec<(Scope, PathBuf, DocumentMut)>> {
    let mut files = Vec::new();
    for scope in [Scope::Repo, Scope::User] {
        if scope == Scope::Repo && ctx.find_store_dir().is_err() {
            continue;
        }
        let path = path_of(ctx, scope)?;
        // The same check every command makes: unknown keys and wrong types are named.
        Config::read(&path)?;
        let doc = read_doc(&path)?;
        files.push((scope, path, doc));
    }
    Ok(files)
}

fn get(ctx: &Ctx, out: &mut dyn Write, doc: &KeyDoc, only: Option<Scope>) -> Result<()> {
    let files = both(ctx)?;
    if only == Some(Scope::Repo) && !files.iter().any(|f| f.0 == Scope::Repo) {
        ctx.find_store_dir()
            .context("`--repo` reads the config beside the repository's store")?;
    }
    for (scope, _, d) in &files {
        if only.is_some_and(|o| o != *scope) {
            continue;
        }
        if let Some(i) = item(d, doc.key) {
            for line in plain(i) {
                writeln!(out, "{line}")?;
            }
            return Ok(());
        }
    }
    match (only, doc.default) {
        (None, Some(default)) => {
            writeln!(out, "{default}")?;
            Ok(())
        }
        (Some(scope), _) => bail!("{} is not set in the {} config", doc.key, scope.as_str()),
        (None, None) => bail!("{} is not set (and has no default)", doc.key),
    }
}

/// `set` (with a value) or `unset` (without).
fn set(ctx: &Ctx, out: &mut dyn Write, key: &str, value: Option<&str>, scope: Scope) -> Result<()> {
    let documented = lookup(key);
    let path = path_of(ctx, scope)?;
    let mut doc = read_doc(&path)?;
    let (section, name) = split(key);
    match value {
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
                writeln!(
                    out,
                    "{key} is not set in {} (nothing to do)",
                    path.display()
                )?;
                return Ok(());
            }
        }
    }
    let text = doc.to_string();
    // The whole file must still be a config every command accepts.
    toml::from_str::<Config>(&text).map_err(|e| {
        anyhow!(
            "{} would be refused, so it was left as it was: {}",
            path.display(),
            one_line(e.message())
        )
    })?;
    write_atomic(&path, text.as_bytes())?;
    match value {
        Some(_) => writeln!(out, "set {key} in {}", path.display())?,
        None => writeln!(out, "unset {key} in {}", path.display())?,
    }
    Ok(())
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
        KeyType::String | KeyType::Path => {
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

fn kind_name(k: KeyType) -> &'static str {
    match k {
        KeyType::Bool => "bool",
        KeyType::String => "string",
        KeyType::StringList => "list of strings",
        KeyType::Path => "path",
    }
}

fn list(ctx: &Ctx, out: &mut dyn Write, json_out: bool) -> Result<()> {
    let files = both(ctx)?;
    let rows: Vec<(&KeyDoc, Option<(Scope, &Item)>)> = KEYS
        .iter()
        .map(|kd| {
            let found = files
                .iter()
                .find_map(|(scope, _, d)| item(d, kd.key).map(|i| (*scope, i)));
            (kd, found)
        })
        .collect();
    if json_out {
        let v: Vec<Value> = rows
            .iter()
            .map(|(kd, found)| {
                let (value, source) = match found {
                    Some((scope, i)) => (as_json(i), scope.as_str()),
                    None => match kd.default {
                        Some(d) if kd.kind == KeyType::Bool => (json!(d == "true"), "default"),
                        Some(d) => (json!(d), "default"),
                        None => (Value::Null, "unset"),
                    },
                };
                json!({
                    "key": kd.key,
                    "value": value,
                    "source": source,
                    "type": kind_name(kd.kind),
                    "default": kd.default,
                    "description": kd.doc,
                })
            })
            .collect();
        let files_json: Vec<Value> = files
            .iter()
            .map(|(scope, path, _)| json!({"scope": scope.as_str(), "path": path.display().to_string()}))
            .collect();
        let v = json!({"keys": v, "files": files_json});
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(());
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|(kd, found)| {
            let (value, source) = match found {
                Some((scope, i)) => (plain(i).join(", "), scope.as_str()),
                None => match kd.default {
                    Some(d) => (d.to_string(), "default"),
                    None => ("-".to_string(), ""),
                },
            };
            vec![
                kd.key.to_string(),
                value,
                source.to_string(),
                kd.doc.to_string(),
            ]
        })
        .collect();
    out.write_all(
        tabular::table(
            &["KEY", "VALUE", "FROM", "MEANING"],
            &[Align::Left; 4],
            &cells,
        )
        .as_bytes(),
    )?;
    for (scope, path, _) in files.iter().rev() {
        writeln!(out, "{} config: {}", scope.as_str(), path.display())?;
    }
    Ok(())
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
            for f in expected_fields(&format!("[{s}]\nzz_probe = 1\n")) {
                from_struct.push(format!("{s}.{f}"));
            }
        }
        from_struct.sort();
        let mut documented: Vec<String> = KEYS.iter().map(|k| k.key.to_string()).collect();
        documented.sort();
        assert_eq!(
            documented, from_struct,
            "crate::config::KEYS must document exactly the keys Config reads"
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
            };
            let item = parse_value(kd, sample).unwrap();
            let mut doc = DocumentMut::new();
            let (s, n) = split(kd.key);
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
        let err = lookup("ai.modle").unwrap_err().to_string();
        assert!(
            err.contains("ai.modle") && err.contains("ai.model"),
            "{err}"
        );
    }
}
