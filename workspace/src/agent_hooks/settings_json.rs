//! The JSON settings files (Claude Code, Cursor, Gemini CLI): read into an order-keeping tree,
//! edited, written back with two-space indentation.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};

use super::json::{self, Json};
use super::plan::{Edit, Group};
use super::{Field, Layout, Scalar, Settings, Spec};

/// A JSON settings file in memory.
pub(crate) struct JsonSettings {
    spec: &'static Spec,
    path: PathBuf,
    /// The file as read (`None`: there was no file).
    original: Option<Json>,
    root: Json,
}

impl JsonSettings {
    /// Reads `text` (`None`: no file yet; blank: an empty object), checking the parts attrib
    /// edits have the shape it edits.
    pub fn read(spec: &'static Spec, path: &Path, text: Option<&str>) -> Result<JsonSettings> {
        let original = match text {
            None => None,
            Some(t) if t.trim().is_empty() => Some(Json::Object(Vec::new())),
            Some(t) => Some(
                Json::parse(t)
                    .map_err(|e| anyhow!("{} is not valid JSON ({e})", path.display()))?,
            ),
        };
        let root = original.clone().unwrap_or(Json::Object(Vec::new()));
        if root.as_object().is_none() {
            bail!("{} does not hold a JSON object", path.display());
        }
        if root.get("hooks").is_some_and(|h| h.as_object().is_none()) {
            bail!("{}: \"hooks\" is not an object", path.display());
        }
        Ok(JsonSettings {
            spec,
            path: path.to_path_buf(),
            original,
            root,
        })
    }

    fn list(&self, event: &str) -> Option<&Json> {
        self.root.get("hooks")?.get(event)
    }

    fn list_mut(&mut self, event: &str) -> Option<&mut Vec<Json>> {
        self.root.get_mut("hooks")?.get_mut(event)?.as_array_mut()
    }
}

impl Settings for JsonSettings {
    fn groups(&self, event: &str) -> Result<Vec<Group>> {
        let Some(list) = self.list(event) else {
            return Ok(Vec::new());
        };
        let where_ = || format!("{}: \"hooks\".\"{event}\"", self.path.display());
        let items = list
            .as_array()
            .ok_or_else(|| anyhow!("{} is not a list", where_()))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                if item.as_object().is_none() {
                    bail!("{}, entry {}, is not an object", where_(), i + 1);
                }
                let matcher = item.get("matcher").and_then(Json::as_str).map(String::from);
                let command = |h: &Json| h.get("command").and_then(Json::as_str).map(String::from);
                let commands = match (self.spec.layout, item.get("hooks")) {
                    (Layout::Flat, _) => vec![command(item)],
                    (Layout::Nested, None) => Vec::new(),
                    (Layout::Nested, Some(Json::Array(handlers))) => {
                        handlers.iter().map(command).collect()
                    }
                    (Layout::Nested, Some(_)) => {
                        bail!("{}, entry {}: \"hooks\" is not a list", where_(), i + 1)
                    }
                };
                Ok(Group { matcher, commands })
            })
            .collect()
    }

    fn apply(&mut self, event: &str, matcher: Option<&str>, handler: &[Field], edits: &[Edit]) {
        if edits.is_empty() {
            return;
        }
        if let (Some((key, value)), false) = (self.spec.header, handler.is_empty()) {
            if let Some(members) = self.root.as_object_mut() {
                if !members.iter().any(|(k, _)| k == key) {
                    members.insert(0, (key.to_string(), Json::Number(value.into())));
                }
            }
        }
        if edits.contains(&Edit::Push) {
            // The parts a new entry goes in, appended after whatever the file already has.
            if let Some(members) = self.root.as_object_mut() {
                let hooks = member(members, "hooks", Json::Object(Vec::new()));
                if let Some(events) = hooks.as_object_mut() {
                    member(events, event, Json::Array(Vec::new()));
                }
            }
        }
        let layout = self.spec.layout;
        let Some(list) = self.list_mut(event) else {
            return;
        };
        for edit in edits {
            match *edit {
                Edit::SetMatcher(g) => {
                    if let Some(entry) = list.get_mut(g).and_then(Json::as_object_mut) {
                        match matcher {
                            Some(m) => json::set(entry, "matcher", Json::str(m)),
                            None => json::remove(entry, "matcher"),
                        };
                    }
                }
                Edit::SetHandler(g, h) => {
                    let target = match layout {
                        Layout::Flat => list.get_mut(g),
                        Layout::Nested => list
                            .get_mut(g)
                            .and_then(|e| e.get_mut("hooks"))
                            .and_then(Json::as_array_mut)
                            .and_then(|hs| hs.get_mut(h)),
                    };
                    if let Some(obj) = target.and_then(Json::as_object_mut) {
                        set_fields(obj, handler);
                    }
                }
                Edit::RemoveHandler(g, h) => {
                    if let Some(hs) = list
                        .get_mut(g)
                        .and_then(|e| e.get_mut("hooks"))
                        .and_then(Json::as_array_mut)
                    {
                        if h < hs.len() {
                            hs.remove(h);
                        }
                    }
                }
                Edit::RemoveGroup(g) => {
                    if g < list.len() {
                        list.remove(g);
                    }
                }
                Edit::Push => list.push(new_entry(layout, matcher, handler)),
            }
        }
    }

    fn prune(&mut self, event: &str) {
        let Some(hooks) = self.root.get_mut("hooks").and_then(Json::as_object_mut) else {
            return;
        };
        if hooks
            .iter()
            .any(|(k, v)| k == event && v.as_array().is_some_and(Vec::is_empty))
        {
            json::remove(hooks, event);
        }
        if hooks.is_empty() {
            if let Some(members) = self.root.as_object_mut() {
                json::remove(members, "hooks");
            }
        }
    }

    fn render(&self) -> Option<String> {
        let changed = match &self.original {
            // No file: one is written only when there is something to put in it.
            None => self.root.as_object().is_some_and(|m| !m.is_empty()),
            Some(original) => *original != self.root,
        };
        changed.then(|| self.root.to_pretty())
    }
}

/// The member `key` of an object, appended with `default` when missing.
fn member<'a>(members: &'a mut Vec<(String, Json)>, key: &str, default: Json) -> &'a mut Json {
    let i = match members.iter().position(|(k, _)| k == key) {
        Some(i) => i,
        None => {
            members.push((key.to_string(), default));
            members.len() - 1
        }
    };
    &mut members[i].1
}

fn scalar(value: &Scalar) -> Json {
    match value {
        Scalar::Str(s) => Json::str(s),
        Scalar::Int(n) => Json::Number((*n).into()),
    }
}

/// Sets attrib's handler keys in place; other keys the person added stay.
fn set_fields(obj: &mut Vec<(String, Json)>, fields: &[Field]) {
    for f in fields {
        if f.default_only && obj.iter().any(|(k, _)| k == f.key) {
            continue;
        }
        json::set(obj, f.key, scalar(&f.value));
    }
}

/// A new entry holding attrib's handler.
fn new_entry(layout: Layout, matcher: Option<&str>, handler: &[Field]) -> Json {
    let fields: Vec<(String, Json)> = handler
        .iter()
        .map(|f| (f.key.to_string(), scalar(&f.value)))
        .collect();
    let matcher = matcher.map(|m| ("matcher".to_string(), Json::str(m)));
    match layout {
        Layout::Flat => Json::Object(fields.into_iter().chain(matcher).collect()),
        Layout::Nested => Json::Object(
            matcher
                .into_iter()
                .chain([("hooks".to_string(), Json::Array(vec![Json::Object(fields)]))])
                .collect(),
        ),
    }
}
