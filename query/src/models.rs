//! One name per model: the spellings a model arrives under (`--ai-model claude-opus-4-6`, a
//! hook's `claude-opus-4-6-20260101`, a trailer's `Claude Opus 4.6 (1M context)`, an import's
//! `anthropic/claude-opus-4.6`) mapped to one canonical `provider/model` id, the models.dev /
//! Agent Trace form (`anthropic/claude-opus-4-6`).
//!
//! Records are never changed: canonicalisation happens when reading. `stats` groups by the
//! canonical id and `log --model` matches by it ([`ModelSelector`]).
//!
//! **The table** is `query/models.toml`, embedded ([`BUILTIN_TOML`], keys documented in the
//! file); a config's `[models]` table adds aliases over it ([`ModelRegistry::with_aliases`]).
//!
//! **The rules**, applied to a spelling before it is looked up ([`lookup_key`]):
//! 1. case and surrounding space are ignored;
//! 2. parenthesised and bracketed qualifiers go: `Claude Opus 4.6 (1M context)`,
//!    `claude-sonnet-4-5[1m]`;
//! 3. a provider prefix goes: `anthropic/…` (the last `/` segment is the model), LangChain's
//!    `anthropic:…`, Bedrock's `us.anthropic.…` and its `-v1:0` suffix;
//! 4. separators are one: spaces, `_`, `.`, `:`, `@` and `-` all read as `-`, and a letter
//!    next to a digit is a word break (`llama3.1` = `llama-3.1`, `gpt4o` = `gpt-4o`);
//! 5. the spelling is looked up as it is, then, while it is not known, with its last trailing
//!    qualifier dropped: a date stamp (`-20260101`, `-2025-01-01`, `@20250101`), a `YYMM`
//!    release (`-2411`, 2023 to 2029), a `-001` version, or a word of the table's
//!    `drop_suffixes` (`latest`, `thinking`, …).
//!
//! A known model's provider is the table's, whatever the record says (a model served by a
//! host is still its maker's). **An unknown name passes through unchanged**, only trimmed
//! and lowercased, with the record's provider (trimmed and lowercased); when the record names
//! none (empty or `unknown`), a `provider/` prefix of the name, or else the family's provider
//! (`claude…` → anthropic, `gpt…`/`o1`/`o3`/`o4`/`codex` → openai, `gemini` → google, …), is
//! taken. `attrib stats --unknown-models` lists such names so they can be added.
//!
//! Every lookup costs a few small allocations: callers that see a spelling many times (stats
//! over 100k records) canonicalise each distinct spelling once.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use anyhow::{anyhow, bail, Result};
use serde::{Deserialize, Serialize};

/// The built-in table (`query/models.toml`).
pub const BUILTIN_TOML: &str = include_str!("../models.toml");

/// A model's canonical name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CanonicalModel {
    /// The provider (`anthropic`); empty only when nothing names or implies one.
    pub provider: String,
    /// The model (`claude-opus-4-6`).
    pub model: String,
    /// True when the table (or a config alias) knows the spelling; false when it passed
    /// through unchanged.
    pub known: bool,
}

impl CanonicalModel {
    /// `provider/model` (the model alone when no provider is known).
    pub fn id(&self) -> String {
        if self.provider.is_empty() {
            self.model.clone()
        } else {
            format!("{}/{}", self.provider, self.model)
        }
    }
}

impl fmt::Display for CanonicalModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.provider.is_empty() {
            f.write_str(&self.model)
        } else {
            write!(f, "{}/{}", self.provider, self.model)
        }
    }
}

/// The spellings → canonical id table and the provider families, shared cheaply (`Clone` is
/// a reference count). [`Default`] is [`ModelRegistry::builtin`].
///
/// Building one costs nothing: the built-in table is read (once per process) and the aliases
/// applied at the first lookup, so a command that never names a model never reads it.
#[derive(Clone)]
pub struct ModelRegistry {
    lazy: Arc<Lazy>,
}

/// A table and the aliases over it, put together on first use.
struct Lazy {
    base: Base,
    aliases: Vec<(String, String)>,
    built: OnceLock<Arc<Inner>>,
}

#[derive(Clone)]
enum Base {
    Builtin,
    Table(Arc<Inner>),
}

impl Lazy {
    fn base(&self) -> Arc<Inner> {
        match &self.base {
            Base::Builtin => builtin_inner().clone(),
            Base::Table(t) => t.clone(),
        }
    }
}

/// The built-in table, parsed once per process.
fn builtin_inner() -> &'static Arc<Inner> {
    static BUILTIN: OnceLock<Arc<Inner>> = OnceLock::new();
    BUILTIN.get_or_init(|| {
        // The file is part of the source and a unit test reads it: it is valid.
        Arc::new(
            Inner::from_toml(BUILTIN_TOML).unwrap_or_else(|e| panic!("query/models.toml: {e}")),
        )
    })
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Inner {
    /// The canonical models: (provider, model); an empty provider takes the record's.
    entries: Vec<(String, String)>,
    /// Lookup key ([`lookup_key`]) → index into `entries`.
    keys: HashMap<String, u32>,
    /// (folded family prefix, provider), longest prefix first.
    families: Vec<(String, String)>,
    /// Provider names a `provider:` or `provider.` prefix may use.
    providers: Vec<String>,
    /// Folded words dropped from the end while a spelling is not known.
    drop_suffixes: Vec<String>,
}

impl Default for ModelRegistry {
    fn default() -> ModelRegistry {
        ModelRegistry::builtin()
    }
}

impl PartialEq for ModelRegistry {
    fn eq(&self, other: &ModelRegistry) -> bool {
        if Arc::ptr_eq(&self.lazy, &other.lazy) {
            return true;
        }
        let (a, b) = (&*self.lazy, &*other.lazy);
        let same_base = match (&a.base, &b.base) {
            (Base::Builtin, Base::Builtin) => true,
            (Base::Table(x), Base::Table(y)) => Arc::ptr_eq(x, y) || x == y,
            _ => false,
        };
        if same_base && a.aliases == b.aliases {
            return true;
        }
        self.inner() == other.inner()
    }
}

impl Eq for ModelRegistry {}

impl fmt::Debug for ModelRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base = match self.lazy.base {
            Base::Builtin => "builtin",
            Base::Table(_) => "table",
        };
        f.debug_struct("ModelRegistry")
            .field("base", &base)
            .field("aliases", &self.lazy.aliases)
            .finish()
    }
}

/// The file's shape (see the comment at the top of `query/models.toml`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    normalize: NormalizeDoc,
    #[serde(default)]
    provider: Vec<ProviderDoc>,
    #[serde(default)]
    model: Vec<ModelDoc>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NormalizeDoc {
    #[serde(default)]
    drop_suffixes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderDoc {
    name: String,
    #[serde(default)]
    prefixes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelDoc {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
}

impl ModelRegistry {
    fn of(base: Base, aliases: Vec<(String, String)>) -> ModelRegistry {
        ModelRegistry {
            lazy: Arc::new(Lazy {
                base,
                aliases,
                built: OnceLock::new(),
            }),
        }
    }

    /// The built-in table (`query/models.toml`), read once per process, at the first lookup.
    pub fn builtin() -> ModelRegistry {
        ModelRegistry::of(Base::Builtin, Vec::new())
    }

    /// No table at all: only the rules (and the aliases added later) apply.
    pub fn empty() -> ModelRegistry {
        ModelRegistry::of(Base::Table(Arc::new(Inner::default())), Vec::new())
    }

    /// A table in the format of `query/models.toml`. A spelling two models claim, an id that
    /// is not `provider/model`, or an unknown key is refused with a one-line reason.
    pub fn from_toml(text: &str) -> Result<ModelRegistry> {
        Ok(ModelRegistry::of(
            Base::Table(Arc::new(Inner::from_toml(text)?)),
            Vec::new(),
        ))
    }

    /// The table with its aliases applied, built at the first call.
    fn inner(&self) -> &Inner {
        self.lazy.built.get_or_init(|| {
            let base = self.lazy.base();
            if self.lazy.aliases.is_empty() {
                return base;
            }
            let mut inner = (*base).clone();
            for (alias, target) in &self.lazy.aliases {
                inner.add_alias(alias, target);
            }
            Arc::new(inner)
        })
    }

    /// This table with more aliases (`alias` → `target`), which win over the table's: a
    /// config's `[models]`. A target the table knows is that model (`"opus" =
    /// "claude-opus-4.6"` is `anthropic/claude-opus-4-6`); any other is a model of its own,
    /// `provider/model` as written (lowercased), and its own spelling is known too. Pairs
    /// with an empty side are skipped.
    pub fn with_aliases<I, K, V>(self, aliases: I) -> ModelRegistry
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let more: Vec<(String, String)> = aliases
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_string(), v.as_ref().to_string()))
            .collect();
        if more.is_empty() {
            return self;
        }
        let mut all = self.lazy.aliases.clone();
        all.extend(more);
        ModelRegistry::of(self.lazy.base.clone(), all)
    }

    /// The canonical name of a record's `provider` and `model`.
    pub fn canonical(&self, provider: &str, model: &str) -> CanonicalModel {
        let inner = self.inner();
        match inner.find(model) {
            Some(i) => {
                let (p, m) = &inner.entries[i as usize];
                let provider = if p.is_empty() {
                    inner.passthrough(provider, model).provider
                } else {
                    p.clone()
                };
                CanonicalModel {
                    provider,
                    model: m.clone(),
                    known: true,
                }
            }
            None => inner.passthrough(provider, model),
        }
    }

    /// The canonical name of one string: `provider/model` or a bare model name (a
    /// `--model` value, an Agent Trace `model_id`).
    pub fn canonical_id(&self, spelling: &str) -> CanonicalModel {
        self.canonical("", spelling)
    }

    /// The provider a model name's family implies (`claude-…` → `anthropic`), if any.
    pub fn family_provider(&self, model: &str) -> Option<&str> {
        let inner = self.inner();
        inner.family_of(&inner.key_of(model))
    }

    /// Every canonical id of the table, in its order.
    pub fn ids(&self) -> impl Iterator<Item = String> + '_ {
        self.inner().entries.iter().map(|(p, m)| {
            if p.is_empty() {
                m.clone()
            } else {
                format!("{p}/{m}")
            }
        })
    }

    /// How many models the table names.
    pub fn len(&self) -> usize {
        self.inner().entries.len()
    }

    /// True when the table names no model.
    pub fn is_empty(&self) -> bool {
        self.inner().entries.is_empty()
    }
}

impl Inner {
    fn from_toml(text: &str) -> Result<Inner> {
        let doc: FileDoc = toml::from_str(text).map_err(|e| anyhow!("{}", e.message().trim()))?;
        let mut inner = Inner::default();
        for p in &doc.provider {
            let name = p.name.trim().to_lowercase();
            if name.is_empty() {
                bail!("a [[provider]] has an empty name");
            }
            for prefix in &p.prefixes {
                let f = fold(prefix);
                if f.is_empty() {
                    bail!("provider {name}: an empty prefix");
                }
                inner.families.push((f, name.clone()));
            }
            inner.providers.push(name);
        }
        inner.drop_suffixes = doc
            .normalize
            .drop_suffixes
            .iter()
            .map(|s| fold(s))
            .filter(|s| !s.is_empty())
            .collect();
        for m in &doc.model {
            let Some((provider, model)) = m.id.trim().split_once('/') else {
                bail!("model id {:?} is not provider/model", m.id);
            };
            let (provider, model) = (provider.trim(), model.trim());
            if provider.is_empty() || model.is_empty() || model.contains('/') {
                bail!("model id {:?} is not provider/model", m.id);
            }
            let provider = provider.to_lowercase();
            if !inner.providers.contains(&provider) {
                inner.providers.push(provider.clone());
            }
            let index = inner.entries.len() as u32;
            inner.entries.push((provider, model.to_string()));
            let spellings = std::iter::once(model)
                .chain(m.name.as_deref())
                .chain(m.aliases.iter().map(String::as_str));
            for spelling in spellings {
                let key = inner.key_of(spelling);
                if key.is_empty() {
                    bail!("{}: an empty alias", m.id);
                }
                if let Some(&other) = inner.keys.get(&key) {
                    if other != index {
                        let (p, o) = &inner.entries[other as usize];
                        bail!("{spelling:?} names both {p}/{o} and {}", m.id.trim());
                    }
                }
                inner.keys.insert(key, index);
            }
        }
        inner.families.sort_by_key(|f| std::cmp::Reverse(f.0.len()));
        Ok(inner)
    }

    /// One alias over the table (see [`ModelRegistry::with_aliases`]); a pair with an empty
    /// side is skipped.
    fn add_alias(&mut self, alias: &str, target: &str) {
        let key = self.key_of(alias);
        if key.is_empty() || target.trim().is_empty() {
            return;
        }
        let index = match self.find(target) {
            Some(i) => i,
            None => {
                let t = self.passthrough("", target);
                let entry = (t.provider, t.model);
                let i = match self.entries.iter().position(|e| *e == entry) {
                    Some(i) => i as u32,
                    None => {
                        self.entries.push(entry);
                        (self.entries.len() - 1) as u32
                    }
                };
                let own = self.key_of(target);
                if !own.is_empty() {
                    self.keys.entry(own).or_insert(i);
                }
                i
            }
        };
        self.keys.insert(key, index);
    }

    /// The lookup key of a spelling, with this table's provider names for prefixes.
    fn key_of(&self, spelling: &str) -> String {
        fold(&strip_prefixes(
            &clean(spelling),
            &self.providers,
            &self.families,
        ))
    }

    /// The entry a spelling names: the key as it is, then without trailing qualifiers.
    fn find(&self, spelling: &str) -> Option<u32> {
        let mut key = self.key_of(spelling);
        loop {
            if key.is_empty() {
                return None;
            }
            if let Some(&i) = self.keys.get(&key) {
                return Some(i);
            }
            let cut = qualifier_start(&key, &self.drop_suffixes)?;
            key.truncate(cut);
        }
    }

    fn family_of(&self, key: &str) -> Option<&str> {
        self.families
            .iter()
            .find(|(prefix, _)| {
                key.strip_prefix(prefix.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
            })
            .map(|(_, p)| p.as_str())
    }

    /// An unknown name: trimmed and lowercased; the record's provider, else the name's
    /// `provider/` prefix, else its family's.
    fn passthrough(&self, provider: &str, model: &str) -> CanonicalModel {
        let mut p = provider.trim().to_lowercase();
        let mut m = model.trim().to_lowercase();
        if p.is_empty() || p == "unknown" {
            if let Some((a, b)) = m.split_once('/') {
                if !a.trim().is_empty() && !b.trim().is_empty() {
                    (p, m) = (a.trim().to_string(), b.trim().to_string());
                }
            }
        }
        if p.is_empty() || p == "unknown" {
            if let Some(f) = self.family_of(&self.key_of(&m)) {
                p = f.to_string();
            }
        }
        CanonicalModel {
            provider: p,
            model: m,
            known: false,
        }
    }
}

/// The key a spelling is looked up by, with the built-in table's provider names: see the
/// module's rules 1 to 4 (`Claude Opus 4.6 (1M context)` → `claude-opus-4-6`). Exposed to
/// explain a lookup; [`ModelRegistry::canonical`] is the answer.
pub fn lookup_key(spelling: &str) -> String {
    builtin_inner().key_of(spelling)
}

/// Rules 1 and 2: lowercased, trimmed, without `(…)` or `[…]`.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0u32;
    for c in s.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.extend(c.to_lowercase()),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// Bedrock regions before `provider.`.
const REGIONS: [&str; 7] = ["us", "eu", "apac", "global", "us-gov", "jp", "au"];

/// Rule 3: the model without a provider prefix (`a/b/model`, `anthropic:model`,
/// `us.anthropic.model`) or a Bedrock version suffix (`-v1:0`).
fn strip_prefixes(s: &str, providers: &[String], families: &[(String, String)]) -> String {
    let mut s = s.rsplit('/').next().unwrap_or(s).trim();
    let named = |p: &str| providers.iter().any(|x| x == p) || families.iter().any(|(f, _)| f == p);
    let word = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphabetic() || c == '-');
    if let Some((p, rest)) = s.split_once(':') {
        if word(p) && named(p) && !rest.trim().is_empty() {
            s = rest.trim();
        }
    }
    for _ in 0..2 {
        if let Some((p, rest)) = s.split_once('.') {
            let starts_word = rest.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
            if word(p) && (named(p) || REGIONS.contains(&p)) && starts_word {
                s = rest;
            }
        }
    }
    // Bedrock's `-v1:0`.
    if let Some((head, tail)) = s.rsplit_once("-v") {
        if let Some((a, b)) = tail.split_once(':') {
            let digits = |x: &str| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit());
            if digits(a) && digits(b) && !head.is_empty() {
                s = head;
            }
        }
    }
    s.to_string()
}

/// Rule 4: ASCII letters and digits kept, lowercased; every other run of characters one `-`;
/// a break between a letter and a digit; no `-` at either end.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let mut last: Option<char> = None;
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if let Some(l) = last {
                let boundary =
                    l != '-' && (l.is_ascii_digit() != c.is_ascii_digit()) && l.is_alphanumeric();
                if boundary {
                    out.push('-');
                }
            }
            out.push(c);
            last = Some(c);
        } else if last.is_some_and(|l| l != '-') {
            out.push('-');
            last = Some('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// Rule 5: where the last trailing qualifier of a folded key starts (the `-` before it), if
/// it ends with one: a date stamp, a `YYMM` release, a `-00N` version, or a word of `words`.
fn qualifier_start(key: &str, words: &[String]) -> Option<usize> {
    let tokens: Vec<(usize, &str)> = {
        let mut v = Vec::new();
        let mut at = 0;
        for t in key.split('-') {
            v.push((at, t));
            at += t.len() + 1;
        }
        v
    };
    if tokens.len() < 2 {
        return None;
    }
    let num = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
    let val = |t: &str| t.parse::<u32>().unwrap_or(0);
    let n = tokens.len();
    let (at, last) = tokens[n - 1];
    let start = |at: usize| at.checked_sub(1).filter(|&s| s > 0);
    // YYYY-MM-DD
    if n >= 4 {
        let (ay, y) = tokens[n - 3];
        let (_, mo) = tokens[n - 2];
        if num(y, 4)
            && num(mo, 2)
            && num(last, 2)
            && (2000..2100).contains(&val(y))
            && (1..=12).contains(&val(mo))
            && (1..=31).contains(&val(last))
        {
            return start(ay);
        }
    }
    // YYYYMMDD
    if num(last, 8) {
        let (y, mo, d) = (val(&last[..4]), val(&last[4..6]), val(&last[6..]));
        if (2000..2100).contains(&y) && (1..=12).contains(&mo) && (1..=31).contains(&d) {
            return start(at);
        }
    }
    // YYMM, 2023 to 2029
    if num(last, 4) && (23..=29).contains(&val(&last[..2])) && (1..=12).contains(&val(&last[2..])) {
        return start(at);
    }
    // -001 … -009
    if num(last, 3) && last.starts_with("00") && last != "000" {
        return start(at);
    }
    // A word of the table's, perhaps of several tokens (`fp8` folds to `fp-8`).
    words
        .iter()
        .filter(|w| key.len() > w.len() + 1 && key.ends_with(w.as_str()))
        .map(|w| key.len() - w.len() - 1)
        .find(|&cut| key.as_bytes()[cut] == b'-')
}

/// A `--provider` / `--model` selection, matched by canonical name: `--model claude-opus-4.6`
/// and `--model anthropic/claude-opus-4-6` select every spelling of that model. Each distinct
/// spelling is canonicalised once.
#[derive(Clone, Debug)]
pub struct ModelSelector {
    registry: ModelRegistry,
    provider: Option<String>,
    model: Option<(CanonicalModel, String)>,
    seen: HashMap<String, HashMap<String, bool>>,
}

impl ModelSelector {
    /// Selects AI help by `provider` (the canonical provider or the one recorded) and `model`
    /// (canonicalised first; a value with no provider, known or implied, matches the model
    /// name under any provider). With neither, every spelling passes.
    pub fn new(registry: &ModelRegistry, provider: Option<&str>, model: Option<&str>) -> Self {
        ModelSelector {
            registry: registry.clone(),
            provider: provider.map(|p| p.trim().to_lowercase()),
            model: model.map(|m| (registry.canonical_id(m), m.trim().to_lowercase())),
            seen: HashMap::new(),
        }
    }

    /// True when nothing is selected by: every spelling passes.
    pub fn is_open(&self) -> bool {
        self.provider.is_none() && self.model.is_none()
    }

    /// True when AI help recorded as `provider` / `model` passes.
    pub fn accepts(&mut self, provider: &str, model: &str) -> bool {
        if self.is_open() {
            return true;
        }
        if let Some(&hit) = self.seen.get(provider).and_then(|m| m.get(model)) {
            return hit;
        }
        let hit = self.decide(provider, model);
        self.seen
            .entry(provider.to_string())
            .or_default()
            .insert(model.to_string(), hit);
        hit
    }

    fn decide(&self, provider: &str, model: &str) -> bool {
        let c = self.registry.canonical(provider, model);
        let provider_ok = self
            .provider
            .as_ref()
            .is_none_or(|p| *p == c.provider || *p == provider.trim().to_lowercase());
        let model_ok = self.model.as_ref().is_none_or(|(want, typed)| {
            let same =
                want.model == c.model && (want.provider.is_empty() || want.provider == c.provider);
            same || *typed == model.trim().to_lowercase()
        });
        provider_ok && model_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(provider: &str, model: &str) -> String {
        ModelRegistry::builtin().canonical(provider, model).id()
    }

    #[test]
    fn the_builtin_table_reads_and_names_each_spelling_once() {
        let r = ModelRegistry::builtin();
        assert!(r.len() > 100, "{}", r.len());
        // Every id is provider/model and is its own canonical name.
        for i in r.ids() {
            let c = r.canonical_id(&i);
            assert!(c.known, "{i}");
            assert_eq!(c.id(), i);
        }
    }

    #[test]
    fn every_spelling_of_a_model_gives_its_canonical_id() {
        let cases: &[(&str, &str, &str)] = &[
            // The four spellings of one model.
            ("anthropic", "claude-opus-4-6", "anthropic/claude-opus-4-6"),
            (
                "anthropic",
                "claude-opus-4-6-20260101",
                "anthropic/claude-opus-4-6",
            ),
            (
                "anthropic",
                "Claude Opus 4.6 (1M context)",
                "anthropic/claude-opus-4-6",
            ),
            (
                "anthropic",
                "claude-opus-4.6-(1m-context)",
                "anthropic/claude-opus-4-6",
            ),
            (
                "anthropic",
                "anthropic/claude-opus-4.6",
                "anthropic/claude-opus-4-6",
            ),
            ("", "anthropic/claude-opus-4.6", "anthropic/claude-opus-4-6"),
            ("unknown", "claude-opus-4.6", "anthropic/claude-opus-4-6"),
            (
                "openrouter",
                "anthropic/claude-opus-4.6",
                "anthropic/claude-opus-4-6",
            ),
            (
                "anthropic",
                "claude-opus-4-6[1m]",
                "anthropic/claude-opus-4-6",
            ),
            ("anthropic", "CLAUDE_OPUS_4_6", "anthropic/claude-opus-4-6"),
            (
                "anthropic",
                "  claude-4.6-opus  ",
                "anthropic/claude-opus-4-6",
            ),
            (
                "anthropic",
                "claude-opus-4-6@20260101",
                "anthropic/claude-opus-4-6",
            ),
            (
                "anthropic",
                "claude-opus-4-6-2026-01-01",
                "anthropic/claude-opus-4-6",
            ),
            // Older Claude names, dates, Bedrock and Vertex forms, `-latest`, thinking.
            (
                "anthropic",
                "claude-3-5-sonnet-20241022",
                "anthropic/claude-3-5-sonnet",
            ),
            (
                "anthropic",
                "claude-3.5-sonnet",
                "anthropic/claude-3-5-sonnet",
            ),
            (
                "anthropic",
                "Claude 3.5 Sonnet",
                "anthropic/claude-3-5-sonnet",
            ),
            (
                "anthropic",
                "claude-sonnet-3.5",
                "anthropic/claude-3-5-sonnet",
            ),
            (
                "anthropic",
                "claude-3-5-sonnet-latest",
                "anthropic/claude-3-5-sonnet",
            ),
            (
                "anthropic",
                "claude-3-5-sonnet-v2@20241022",
                "anthropic/claude-3-5-sonnet",
            ),
            (
                "anthropic",
                "claude-3-7-sonnet-20250219",
                "anthropic/claude-3-7-sonnet",
            ),
            (
                "cursor",
                "claude-3.7-sonnet-thinking",
                "anthropic/claude-3-7-sonnet",
            ),
            (
                "anthropic",
                "claude-3-opus-20240229",
                "anthropic/claude-3-opus",
            ),
            (
                "anthropic",
                "claude-3-haiku-20240307",
                "anthropic/claude-3-haiku",
            ),
            (
                "anthropic",
                "claude-3-5-haiku-latest",
                "anthropic/claude-3-5-haiku",
            ),
            (
                "anthropic",
                "claude-sonnet-4-20250514",
                "anthropic/claude-sonnet-4",
            ),
            ("anthropic", "claude-4-sonnet", "anthropic/claude-sonnet-4"),
            (
                "anthropic",
                "claude-sonnet-4-0",
                "anthropic/claude-sonnet-4",
            ),
            ("anthropic", "claude-opus-4", "anthropic/claude-opus-4"),
            (
                "anthropic",
                "claude-opus-4-1-20250805",
                "anthropic/claude-opus-4-1",
            ),
            ("anthropic", "Claude Opus 4.1", "anthropic/claude-opus-4-1"),
            (
                "anthropic",
                "claude-sonnet-4-5-20250929[1m]",
                "anthropic/claude-sonnet-4-5",
            ),
            (
                "anthropic",
                "claude-haiku-4-5",
                "anthropic/claude-haiku-4-5",
            ),
            (
                "anthropic",
                "claude-opus-4-5-20251101",
                "anthropic/claude-opus-4-5",
            ),
            (
                "bedrock",
                "us.anthropic.claude-sonnet-4-20250514-v1:0",
                "anthropic/claude-sonnet-4",
            ),
            (
                "bedrock",
                "anthropic.claude-3-5-sonnet-20240620-v1:0",
                "anthropic/claude-3-5-sonnet",
            ),
            (
                "langchain",
                "anthropic:claude-3-5-sonnet-latest",
                "anthropic/claude-3-5-sonnet",
            ),
            // OpenAI.
            ("openai", "gpt-4o-2024-08-06", "openai/gpt-4o"),
            ("openai", "GPT-4o", "openai/gpt-4o"),
            ("openai", "gpt4o", "openai/gpt-4o"),
            ("openai", "chatgpt-4o-latest", "openai/gpt-4o"),
            ("openai", "gpt-4o-mini-2024-07-18", "openai/gpt-4o-mini"),
            ("openai", "gpt-4.1-2025-04-14", "openai/gpt-4.1"),
            ("openai", "gpt-4-1", "openai/gpt-4.1"),
            ("openai", "gpt-5", "openai/gpt-5"),
            ("", "gpt-5-codex", "openai/gpt-5-codex"),
            ("openai", "GPT-5-Codex", "openai/gpt-5-codex"),
            ("openai", "gpt-5.1-codex-max", "openai/gpt-5.1-codex-max"),
            ("openai", "gpt-4-0613", "openai/gpt-4"),
            ("openai", "gpt-3.5-turbo-0125", "openai/gpt-3.5-turbo"),
            ("openai", "o1-2024-12-17", "openai/o1"),
            ("", "o3-mini-2025-01-31", "openai/o3-mini"),
            ("openai", "o4-mini", "openai/o4-mini"),
            ("openai", "codex-mini-latest", "openai/codex-mini"),
            ("ollama", "gpt-oss:20b", "openai/gpt-oss-20b"),
            // Google.
            ("google", "gemini-2.5-pro", "google/gemini-2.5-pro"),
            ("google", "Gemini 2.5 Pro", "google/gemini-2.5-pro"),
            (
                "google",
                "models/gemini-2.5-flash",
                "google/gemini-2.5-flash",
            ),
            (
                "google",
                "gemini-2.5-pro-preview-05-06",
                "google/gemini-2.5-pro",
            ),
            ("google", "gemini-1.5-pro-002", "google/gemini-1.5-pro"),
            ("google", "gemini-2.0-flash-001", "google/gemini-2.0-flash"),
            (
                "google",
                "gemini-1.5-flash-latest",
                "google/gemini-1.5-flash",
            ),
            ("", "gemini-3-pro-preview", "google/gemini-3-pro"),
            ("vertex", "gemini-3-flash", "google/gemini-3-flash"),
            // xAI, Mistral, DeepSeek, Qwen, Llama.
            ("xai", "grok-4-0709", "xai/grok-4"),
            ("xai", "Grok 3", "xai/grok-3"),
            ("xai", "grok-code-fast-1", "xai/grok-code-fast-1"),
            ("mistral", "codestral-latest", "mistral/codestral"),
            ("mistral", "codestral-2501", "mistral/codestral"),
            ("mistral", "mistral-large-2411", "mistral/mistral-large"),
            ("mistral", "devstral-small-2507", "mistral/devstral-small"),
            (
                "bedrock",
                "mistral.mistral-large-2407-v1:0",
                "mistral/mistral-large",
            ),
            ("deepseek", "deepseek-chat", "deepseek/deepseek-chat"),
            (
                "deepseek",
                "deepseek-ai/DeepSeek-V3",
                "deepseek/deepseek-v3",
            ),
            ("deepseek", "deepseek-r1-0528", "deepseek/deepseek-r1"),
            (
                "openrouter",
                "deepseek/deepseek-r1:free",
                "deepseek/deepseek-r1",
            ),
            (
                "alibaba",
                "Qwen2.5-Coder-32B-Instruct",
                "alibaba/qwen2.5-coder-32b",
            ),
            ("ollama", "qwen2.5-coder:32b", "alibaba/qwen2.5-coder-32b"),
            (
                "together",
                "Qwen/Qwen3-235B-A22B-Instruct-2507",
                "alibaba/qwen3-235b-a22b",
            ),
            (
                "qwen",
                "qwen3-coder-480b-a35b-instruct",
                "alibaba/qwen3-coder",
            ),
            ("meta", "llama-3.3-70b", "meta/llama-3.3-70b"),
            ("groq", "llama-3.3-70b-versatile", "meta/llama-3.3-70b"),
            ("groq", "llama-3.1-8b-instant", "meta/llama-3.1-8b"),
            ("ollama", "llama3.1:70b", "meta/llama-3.1-70b"),
            (
                "together",
                "meta-llama/Meta-Llama-3.1-405B-Instruct",
                "meta/llama-3.1-405b",
            ),
            (
                "bedrock",
                "meta.llama3-1-70b-instruct-v1:0",
                "meta/llama-3.1-70b",
            ),
            (
                "meta",
                "Llama-4-Maverick-17B-128E-Instruct-FP8",
                "meta/llama-4-maverick",
            ),
            (
                "moonshot",
                "kimi-k2-thinking",
                "moonshotai/kimi-k2-thinking",
            ),
            ("moonshot", "kimi-k2-0905", "moonshotai/kimi-k2"),
        ];
        let mut wrong = Vec::new();
        for (provider, model, want) in cases {
            let got = id(provider, model);
            if got != *want {
                wrong.push(format!("({provider:?}, {model:?}) → {got}, not {want}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn unknown_names_pass_through_trimmed_and_lowercased() {
        let r = ModelRegistry::builtin();
        let cases: &[(&str, &str, &str, &str)] = &[
            ("acme", " Coder-X 2026-01-01 ", "acme", "coder-x 2026-01-01"),
            ("Acme", "acme/coder", "acme", "acme/coder"),
            ("", "acme/coder", "acme", "coder"),
            ("unknown", "mystery", "unknown", "mystery"),
            ("", "mystery", "", "mystery"),
            // The family gives a provider only when the record names none.
            ("", "claude-opus-9", "anthropic", "claude-opus-9"),
            ("unknown", "gpt-7-turbo", "openai", "gpt-7-turbo"),
            ("bedrock", "claude-opus-9", "bedrock", "claude-opus-9"),
            // A detected family name is not a model.
            ("anthropic", "claude", "anthropic", "claude"),
            ("openai", "gpt", "openai", "gpt"),
            // Nothing is dropped from a name the table does not know.
            (
                "anthropic",
                "claude-opus-9-20260101",
                "anthropic",
                "claude-opus-9-20260101",
            ),
        ];
        for (provider, model, p, m) in cases {
            let c = r.canonical(provider, model);
            assert!(!c.known, "{provider}/{model} is unknown");
            assert_eq!(
                (c.provider.as_str(), c.model.as_str()),
                (*p, *m),
                "{provider:?} {model:?}"
            );
        }
        assert_eq!(r.canonical("", "mystery").id(), "mystery");
    }

    #[test]
    fn the_rules_fold_case_separators_prefixes_qualifiers_and_dates() {
        for (spelling, key) in [
            ("Claude Opus 4.6 (1M context)", "claude-opus-4-6"),
            ("claude-opus-4.6", "claude-opus-4-6"),
            ("claude_opus_4_6", "claude-opus-4-6"),
            ("anthropic/claude-opus-4.6", "claude-opus-4-6"),
            ("openrouter/anthropic/claude-opus-4.6", "claude-opus-4-6"),
            ("anthropic:claude-opus-4-6", "claude-opus-4-6"),
            ("eu.anthropic.claude-opus-4-6-v1:0", "claude-opus-4-6"),
            ("llama3.1", "llama-3-1"),
            ("gpt4o", "gpt-4-o"),
            ("o1.5-mini", "o-1-5-mini"),
            ("claude-sonnet-4-5[1m]", "claude-sonnet-4-5"),
            ("  ", ""),
        ] {
            assert_eq!(lookup_key(spelling), key, "{spelling:?}");
        }
        let words = vec!["latest".to_string()];
        for (key, cut) in [
            ("claude-opus-4-6-20260101", Some("claude-opus-4-6")),
            ("gpt-4-o-2024-08-06", Some("gpt-4-o")),
            ("mistral-large-2411", Some("mistral-large")),
            ("gemini-1-5-pro-002", Some("gemini-1-5-pro")),
            ("claude-3-5-sonnet-latest", Some("claude-3-5-sonnet")),
            ("gpt-4-0613", None),
            ("grok-2-1212", None),
            ("claude-opus-4-6-20261399", None),
            ("20260101", None),
            ("latest", None),
        ] {
            assert_eq!(
                qualifier_start(key, &words).map(|i| &key[..i]),
                cut,
                "{key}"
            );
        }
    }

    #[test]
    fn providers_come_from_the_family() {
        let r = ModelRegistry::builtin();
        for (model, provider) in [
            ("claude-next", Some("anthropic")),
            ("gpt-9", Some("openai")),
            ("o3-ultra", Some("openai")),
            ("codex-2", Some("openai")),
            ("gemini-9-pro", Some("google")),
            ("grok-9", Some("xai")),
            ("codestral-9", Some("mistral")),
            ("deepseek-v9", Some("deepseek")),
            ("qwen9", Some("alibaba")),
            ("llama-9", Some("meta")),
            ("mystery", None),
            ("o", None),
            ("gptx", None),
        ] {
            assert_eq!(r.family_provider(model), provider, "{model}");
        }
    }

    #[test]
    fn config_aliases_win_and_may_name_models_of_their_own() {
        let r = ModelRegistry::builtin().with_aliases([
            ("opus", "claude-opus-4.6"),
            ("work-model", "acme/coder-2"),
            ("gpt-5", "openai/gpt-5-codex"),
            ("house", "house-model"),
        ]);
        assert_eq!(r.canonical("", "Opus").id(), "anthropic/claude-opus-4-6");
        assert_eq!(
            r.canonical("x", "opus (thinking)").id(),
            "anthropic/claude-opus-4-6"
        );
        let own = r.canonical("whoever", "Work Model");
        assert_eq!((own.id(), own.known), ("acme/coder-2".to_string(), true));
        // The target's own spelling is known too.
        assert!(r.canonical("acme", "coder-2").known);
        assert_eq!(r.canonical("openai", "gpt-5").id(), "openai/gpt-5-codex");
        // A target without a provider keeps the record's.
        assert_eq!(r.canonical("acme", "house").id(), "acme/house-model");
        // The built-in table is untouched.
        assert_eq!(
            ModelRegistry::builtin().canonical("openai", "gpt-5").id(),
            "openai/gpt-5"
        );
        // No aliases: the same table, shared.
        let same = ModelRegistry::builtin().with_aliases(Vec::<(String, String)>::new());
        assert!(same.lazy.aliases.is_empty());
        assert_eq!(same, ModelRegistry::default());
        assert_ne!(r, ModelRegistry::builtin());
        // Built once, at the first lookup, and shared by the clones.
        let clone = r.clone();
        assert!(r.lazy.built.get().is_some() && clone.lazy.built.get().is_some());
        assert!(ModelRegistry::builtin()
            .with_aliases([("a", "b/c")])
            .lazy
            .built
            .get()
            .is_none());
    }

    #[test]
    fn a_table_that_names_a_spelling_twice_or_a_bad_id_is_refused() {
        let twice = "[[model]]\nid = \"a/x-1\"\n[[model]]\nid = \"b/y\"\naliases = [\"X 1\"]\n";
        let e = ModelRegistry::from_toml(twice).unwrap_err().to_string();
        assert!(e.contains("a/x-1") && e.contains("b/y"), "{e}");
        let e = ModelRegistry::from_toml("[[model]]\nid = \"bare\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("provider/model"), "{e}");
        let e = ModelRegistry::from_toml("[[model]]\nid = \"a/b\"\nalias = []\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("alias"), "{e}");
        assert!(
            ModelRegistry::empty().canonical("p", "m")
                == CanonicalModel {
                    provider: "p".into(),
                    model: "m".into(),
                    known: false
                }
        );
    }

    #[test]
    fn a_selector_matches_every_spelling_of_the_canonical_model() {
        let r = ModelRegistry::builtin();
        for typed in [
            "claude-opus-4.6",
            "anthropic/claude-opus-4-6",
            "Claude Opus 4.6",
        ] {
            let mut s = ModelSelector::new(&r, None, Some(typed));
            assert!(s.accepts("anthropic", "claude-opus-4-6"), "{typed}");
            assert!(
                s.accepts("anthropic", "claude-opus-4-6-20260101"),
                "{typed}"
            );
            assert!(
                s.accepts("anthropic", "Claude Opus 4.6 (1M context)"),
                "{typed}"
            );
            assert!(
                s.accepts("openrouter", "anthropic/claude-opus-4.6"),
                "{typed}"
            );
            assert!(!s.accepts("anthropic", "claude-opus-4-5"), "{typed}");
            assert!(!s.accepts("anthropic", "claude-sonnet-4-6"), "{typed}");
        }
        // An unknown name matches itself, under any provider, whatever its case.
        let mut s = ModelSelector::new(&r, None, Some("Acme-Coder"));
        assert!(s.accepts("acme", "acme-coder"));
        assert!(s.accepts("other", "ACME-CODER"));
        assert!(!s.accepts("acme", "acme-coder-2"));
        // A provider: the canonical one or the one recorded.
        let mut s = ModelSelector::new(&r, Some("Anthropic"), None);
        assert!(s.accepts("openrouter", "anthropic/claude-opus-4.6"));
        assert!(s.accepts("anthropic", "my-own"));
        assert!(!s.accepts("openai", "gpt-5"));
        let mut s = ModelSelector::new(&r, Some("openrouter"), None);
        assert!(s.accepts("openrouter", "anthropic/claude-opus-4.6"));
        // Both.
        let mut s = ModelSelector::new(&r, Some("openai"), Some("gpt-5"));
        assert!(s.accepts("openai", "gpt-5"));
        assert!(!s.accepts("openai", "gpt-5-codex"));
        assert!(ModelSelector::new(&r, None, None).is_open());
    }
}
