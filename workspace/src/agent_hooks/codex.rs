//! Codex CLI: inline `[hooks]` tables in `.codex/config.toml` (project) and
//! `~/.codex/config.toml` (user), the same events and nesting as its `hooks.json`; timeouts in
//! seconds. Edited with `toml_edit`, so the person's comments, order and layout stay.
//!
//! ```toml
//! [[hooks.PreToolUse]]
//! matcher = "^apply_patch$|^Bash$"
//!
//! [[hooks.PreToolUse.hooks]]
//! type = "command"
//! command = "/…/attrib checkpoint --agent codex"
//! timeout = 5
//! ```
//!
//! Codex runs a hook only once the person has trusted it (`/hooks` in Codex), and a project's
//! hooks only in a trusted project; trust follows the hook's exact definition, so a changed
//! command asks again ([`super::Agent::note`]).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, TableLike, Value};

use super::plan::{Edit, Group};
use super::{Field, Layout, Scalar, Settings, Spec};

pub(crate) static SPEC: Spec = Spec {
    name: "codex",
    dir: ".codex",
    file: "config.toml",
    layout: Layout::Nested,
    tool_events: ["PreToolUse", "PostToolUse"],
    tool_matcher: "^apply_patch$|^Bash$",
    prompt_event: "UserPromptSubmit",
    handler,
    header: None,
};

fn handler(command: &str) -> Vec<Field> {
    vec![
        Field::set("type", Scalar::Str("command".into())),
        Field::set("command", Scalar::Str(command.into())),
        // Codex waits for no command hook unless told: a stuck checkpoint must not stall it.
        Field::default("timeout", Scalar::Int(5)),
    ]
}

/// A Codex config in memory.
pub(crate) struct TomlSettings {
    path: PathBuf,
    /// The text as read (`None`: there was no file).
    original: Option<String>,
    doc: DocumentMut,
}

impl TomlSettings {
    /// Reads `text` (`None`: no file yet).
    pub fn read(path: &Path, text: Option<&str>) -> Result<TomlSettings> {
        let doc = match text {
            None => DocumentMut::new(),
            Some(t) => t.parse::<DocumentMut>().map_err(|e| {
                let at = e
                    .span()
                    .map(|s| {
                        let before = &t[..s.start.min(t.len())];
                        let line = before.matches('\n').count() + 1;
                        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                        format!(" at line {line} column {column}")
                    })
                    .unwrap_or_default();
                anyhow!(
                    "{} is not valid TOML ({}{at})",
                    path.display(),
                    e.message().trim().replace('\n', "; ")
                )
            })?,
        };
        if doc.get("hooks").is_some_and(|h| !h.is_table_like()) {
            bail!("{}: `hooks` is not a table", path.display());
        }
        Ok(TomlSettings {
            path: path.to_path_buf(),
            original: text.map(str::to_string),
            doc,
        })
    }

    fn event_item(&self, event: &str) -> Option<&Item> {
        self.doc.get("hooks")?.as_table_like()?.get(event)
    }

    fn event_item_mut(&mut self, event: &str) -> Option<&mut Item> {
        self.doc
            .get_mut("hooks")?
            .as_table_like_mut()?
            .get_mut(event)
    }
}

impl Settings for TomlSettings {
    fn groups(&self, event: &str) -> Result<Vec<Group>> {
        let Some(item) = self.event_item(event) else {
            return Ok(Vec::new());
        };
        let where_ = format!("{}: `hooks.{event}`", self.path.display());
        tables(item)
            .ok_or_else(|| anyhow!("{where_} is not a list of tables"))?
            .into_iter()
            .enumerate()
            .map(|(i, group)| {
                let group =
                    group.ok_or_else(|| anyhow!("{where_}, entry {}, is not a table", i + 1))?;
                let matcher = group
                    .get("matcher")
                    .and_then(Item::as_str)
                    .map(String::from);
                let commands = match group.get("hooks") {
                    None => Vec::new(),
                    Some(handlers) => tables(handlers)
                        .ok_or_else(|| {
                            anyhow!("{where_}, entry {}: `hooks` is not a list of tables", i + 1)
                        })?
                        .into_iter()
                        .map(|h| h.and_then(|h| h.get("command")?.as_str().map(String::from)))
                        .collect(),
                };
                Ok(Group { matcher, commands })
            })
            .collect()
    }

    fn apply(&mut self, event: &str, matcher: Option<&str>, handler: &[Field], edits: &[Edit]) {
        if edits.contains(&Edit::Push) {
            if self.doc.get("hooks").is_none() {
                let mut hooks = Table::new();
                // No `[hooks]` header of its own: only `[[hooks.EVENT]]` tables are written.
                hooks.set_implicit(true);
                self.doc.insert("hooks", Item::Table(hooks));
            }
            if let Some(hooks) = self.doc.get_mut("hooks") {
                // An inline `hooks = { … }` can only hold inline values.
                let list = if hooks.is_table() {
                    Item::ArrayOfTables(ArrayOfTables::new())
                } else {
                    Item::Value(Value::Array(Array::new()))
                };
                if let Some(hooks) = hooks.as_table_like_mut() {
                    if hooks.get(event).is_none() {
                        hooks.insert(event, list);
                    }
                }
            }
        }
        let Some(list) = self.event_item_mut(event) else {
            return;
        };
        for edit in edits {
            match *edit {
                Edit::SetMatcher(g) => {
                    if let Some(group) = table_mut(list, g) {
                        match matcher {
                            Some(m) => set(group, "matcher", &Scalar::Str(m.into())),
                            None => {
                                group.remove("matcher");
                            }
                        }
                    }
                }
                Edit::SetHandler(g, h) => {
                    if let Some(t) = table_mut(list, g)
                        .and_then(|group| group.get_mut("hooks"))
                        .and_then(|hs| table_mut(hs, h))
                    {
                        for f in handler {
                            if !(f.default_only && t.get(f.key).is_some()) {
                                set(t, f.key, &f.value);
                            }
                        }
                    }
                }
                Edit::RemoveHandler(g, h) => {
                    if let Some(hs) = table_mut(list, g).and_then(|group| group.get_mut("hooks")) {
                        remove_at(hs, h);
                    }
                }
                Edit::RemoveGroup(g) => remove_at(list, g),
                Edit::Push => push_group(list, matcher, handler),
            }
        }
    }

    fn prune(&mut self, event: &str) {
        let empty = self.event_item(event).is_some_and(|item| match item {
            Item::ArrayOfTables(a) => a.is_empty(),
            Item::Value(Value::Array(a)) => a.is_empty(),
            _ => false,
        });
        let Some(hooks) = self.doc.get_mut("hooks").and_then(Item::as_table_like_mut) else {
            return;
        };
        if empty {
            hooks.remove(event);
        }
        if hooks.is_empty() {
            self.doc.remove("hooks");
        }
    }

    fn render(&self) -> Option<String> {
        let text = self.doc.to_string();
        let changed = match &self.original {
            // No file: one is written only when there is something to put in it.
            None => !text.is_empty(),
            Some(original) => *original != text,
        };
        changed.then_some(text)
    }
}

/// The tables of a list: `[[x]]` tables or an inline array (`None` for an element that is not a
/// table); `None` when the item is no list.
fn tables(item: &Item) -> Option<Vec<Option<&dyn TableLike>>> {
    match item {
        Item::ArrayOfTables(a) => Some(a.iter().map(|t| Some(t as &dyn TableLike)).collect()),
        Item::Value(Value::Array(a)) => Some(
            a.iter()
                .map(|v| v.as_inline_table().map(|t| t as &dyn TableLike))
                .collect(),
        ),
        _ => None,
    }
}

fn table_mut(item: &mut Item, i: usize) -> Option<&mut dyn TableLike> {
    match item {
        Item::ArrayOfTables(a) => a.get_mut(i).map(|t| t as &mut dyn TableLike),
        Item::Value(Value::Array(a)) => a
            .get_mut(i)
            .and_then(Value::as_inline_table_mut)
            .map(|t| t as &mut dyn TableLike),
        _ => None,
    }
}

fn remove_at(item: &mut Item, i: usize) {
    match item {
        Item::ArrayOfTables(a) if i < a.len() => a.remove(i),
        Item::Value(Value::Array(a)) if i < a.len() => {
            a.remove(i);
        }
        _ => {}
    }
}

fn value(v: &Scalar) -> Value {
    match v {
        Scalar::Str(s) => Value::from(s.as_str()),
        Scalar::Int(n) => Value::from(*n),
    }
}

/// Sets a key unless it already holds the value (rewriting an equal value would drop its
/// formatting and trailing comment).
fn set(t: &mut dyn TableLike, key: &str, v: &Scalar) {
    let same = match (t.get(key), v) {
        (Some(item), Scalar::Str(s)) => item.as_str() == Some(s.as_str()),
        (Some(item), Scalar::Int(n)) => item.as_integer() == Some(*n),
        (None, _) => false,
    };
    if !same {
        t.insert(key, Item::Value(value(v)));
    }
}

/// Appends a group holding attrib's handler, in the list's own form.
fn push_group(list: &mut Item, matcher: Option<&str>, handler: &[Field]) {
    match list {
        Item::ArrayOfTables(groups) => {
            let mut h = Table::new();
            for f in handler {
                h.insert(f.key, Item::Value(value(&f.value)));
            }
            let mut handlers = ArrayOfTables::new();
            handlers.push(h);
            let mut group = Table::new();
            if let Some(m) = matcher {
                group.insert("matcher", Item::Value(Value::from(m)));
            }
            group.insert("hooks", Item::ArrayOfTables(handlers));
            groups.push(group);
        }
        Item::Value(Value::Array(groups)) => {
            let mut h = InlineTable::new();
            for f in handler {
                h.insert(f.key, value(&f.value));
            }
            let mut handlers = Array::new();
            handlers.push(Value::InlineTable(h));
            let mut group = InlineTable::new();
            if let Some(m) = matcher {
                group.insert("matcher", Value::from(m));
            }
            group.insert("hooks", Value::Array(handlers));
            groups.push(Value::InlineTable(group));
        }
        _ => {}
    }
}
