//! The running totals behind `stats`: every patch becomes a [`Unit`], which is added once to
//! the total and to each group it falls in. Groups are keyed by small integers (interned names)
//! so grouping 100k patches costs a hash of a few words each.

use std::collections::{BTreeMap, HashMap};

use attrib_overlay::SuggestionType;

use super::{Counts, StatsBy};
use crate::models::{CanonicalModel, ModelRegistry};
use crate::time::{month_index, TimeRange};

/// How a patch counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Ai,
    Human,
    Unattested,
}

/// Group value of an AI-assisted patch whose attestation names no agent tool (by agent).
pub(super) const NO_AGENT: u32 = u32::MAX - 2;
/// Group value of a human patch, and of an unattested one, in any dimension.
pub(super) const HUMAN: u32 = u32::MAX - 1;
pub(super) const UNATTESTED: u32 = u32::MAX;
/// The smallest of the special group values above, which sort after every named group (names
/// and months are small indices).
pub(super) const SPECIAL: u32 = NO_AGENT;
/// Dimensions are at most these six; a group key holds one value per `--by`.
pub(super) const MAX_DIMS: usize = 6;

/// One AI session's part in a patch: its model (canonical, and as recorded) and agent
/// (interned) and the lines of the current tree it wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Part {
    pub model: u32,
    /// Index into [`Names::spellings`].
    pub spelling: u32,
    pub agent: u32,
    pub lines: u64,
}

/// One patch as stats counts it.
#[derive(Clone, Debug)]
pub(super) struct Unit {
    pub time_ms: u64,
    pub kind: Kind,
    /// Indices into the snapshot's authors: the attesting members.
    pub author: u32,
    pub more_authors: Vec<u32>,
    /// Index into [`Names::models`] when AI-assisted: the main AI help.
    pub model: u32,
    /// Index into [`Names::spellings`]: the main AI help as recorded.
    pub spelling: u32,
    /// Index into [`Names::agents`] of the main contribution's agent, or [`NO_AGENT`].
    pub agent: u32,
    /// Each contribution's part, for an attestation that has contributions (else empty: the
    /// AI lines are all the main model's).
    pub parts: Vec<Part>,
    pub suggestion: Option<SuggestionType>,
    pub confidence: Option<u16>,
    /// The author's stated review of the AI output, in seconds.
    pub self_review: Option<u32>,
    pub reviews: u32,
    pub reviewer_seconds: u64,
    /// Lines of the current tree this change inserted, and how many of them count as AI's.
    pub lines: u64,
    pub ai_lines: u64,
}

impl Unit {
    pub fn new(time_ms: u64, kind: Kind) -> Unit {
        Unit {
            time_ms,
            kind,
            author: UNATTESTED,
            more_authors: Vec::new(),
            model: UNATTESTED,
            spelling: UNATTESTED,
            agent: NO_AGENT,
            parts: Vec::new(),
            suggestion: None,
            confidence: None,
            self_review: None,
            reviews: 0,
            reviewer_seconds: 0,
            lines: 0,
            ai_lines: 0,
        }
    }

    pub fn add_author(&mut self, a: u32) {
        if self.author == UNATTESTED {
            self.author = a;
        } else if self.author != a && !self.more_authors.contains(&a) {
            self.more_authors.push(a);
        }
    }
}

/// A provider/model pair as a record spells it, and the canonical model it names.
pub(super) struct Spelling {
    pub provider: String,
    pub model: String,
    /// Index into [`Names::models`].
    pub canonical: u32,
    /// False when the registry does not know it (it passed through unchanged).
    pub known: bool,
}

/// The canonical provider/model names behind [`Unit::model`], interned, with each model's
/// provider; the spellings behind [`Unit::spelling`], each canonicalised once through the
/// registry; and the agent names behind [`Unit::agent`].
#[derive(Default)]
pub(super) struct Names {
    pub models: Vec<(String, String)>,
    pub providers: Vec<String>,
    pub agents: Vec<String>,
    /// Index into `providers` of each model's provider.
    pub model_provider: Vec<u32>,
    pub spellings: Vec<Spelling>,
    /// Recorded provider → recorded model → index into `spellings`.
    spelling_index: HashMap<String, HashMap<String, u32>>,
    registry: ModelRegistry,
    last: usize,
}

impl Names {
    pub fn new(registry: ModelRegistry) -> Names {
        Names {
            registry,
            ..Names::default()
        }
    }

    /// The canonical model of a recorded provider/model (see [`Names::intern`]).
    #[cfg(test)]
    pub fn model(&mut self, provider: &str, model: &str) -> u32 {
        self.intern(provider, model).0
    }

    /// A recorded provider/model as (index into `models` of its canonical name, index into
    /// `spellings`). A spelling seen before costs a comparison or a hash lookup; a new one is
    /// canonicalised once.
    pub fn intern(&mut self, provider: &str, model: &str) -> (u32, u32) {
        if let Some(s) = self.spellings.get(self.last) {
            if s.model == model && s.provider == provider {
                return (s.canonical, self.last as u32);
            }
        }
        // A few spellings are found faster by comparing than by hashing two strings.
        let found = if self.spellings.len() <= 16 {
            self.spellings
                .iter()
                .position(|s| s.model == model && s.provider == provider)
                .map(|i| i as u32)
        } else {
            self.spelling_index
                .get(provider)
                .and_then(|m| m.get(model))
                .copied()
        };
        let i = match found {
            Some(i) => i as usize,
            None => {
                let c = self.registry.canonical(provider, model);
                let canonical = self.canonical_index(&c);
                self.spellings.push(Spelling {
                    provider: provider.to_string(),
                    model: model.to_string(),
                    canonical,
                    known: c.known,
                });
                let i = self.spellings.len() - 1;
                self.spelling_index
                    .entry(provider.to_string())
                    .or_default()
                    .insert(model.to_string(), i as u32);
                i
            }
        };
        self.last = i;
        (self.spellings[i].canonical, i as u32)
    }

    fn canonical_index(&mut self, c: &CanonicalModel) -> u32 {
        let hit = |m: &(String, String)| m.0 == c.provider && m.1 == c.model;
        if let Some(i) = self.models.iter().position(hit) {
            return i as u32;
        }
        self.models.push((c.provider.clone(), c.model.clone()));
        let p = match self.providers.iter().position(|x| *x == c.provider) {
            Some(p) => p,
            None => {
                self.providers.push(c.provider.clone());
                self.providers.len() - 1
            }
        };
        self.model_provider.push(p as u32);
        (self.models.len() - 1) as u32
    }

    pub fn agent(&mut self, agent: &str) -> u32 {
        match self.agents.iter().position(|a| a == agent) {
            Some(i) => i as u32,
            None => {
                self.agents.push(agent.to_string());
                (self.agents.len() - 1) as u32
            }
        }
    }
}

impl Counts {
    /// The sums the store keeps for a group of patches (no lines outside a repository).
    pub(super) fn of_sums(c: &attrib_overlay::store::StatCounts) -> Counts {
        Counts {
            patches: c.patches,
            ai: c.ai,
            human: c.human,
            unattested: c.unattested,
            reviewed: c.reviewed,
            confidence_sum: c.confidence_sum,
            confidence_n: c.confidence_n,
            author_review_seconds: c.author_review_seconds,
            reviewer_seconds: c.reviewer_seconds,
            review_patches: c.review_patches,
            review_seconds: c.review_seconds,
            ..Counts::default()
        }
    }

    /// Adds another group's counts.
    pub(super) fn merge(&mut self, c: &Counts) {
        self.patches += c.patches;
        self.ai += c.ai;
        self.human += c.human;
        self.unattested += c.unattested;
        self.lines += c.lines;
        self.ai_lines += c.ai_lines;
        self.unattested_lines += c.unattested_lines;
        self.reviewed += c.reviewed;
        self.confidence_sum += c.confidence_sum;
        self.confidence_n += c.confidence_n;
        self.author_review_seconds += c.author_review_seconds;
        self.reviewer_seconds += c.reviewer_seconds;
        self.review_patches += c.review_patches;
        self.review_seconds += c.review_seconds;
    }

    pub(super) fn add(&mut self, u: &Unit) {
        self.patches += 1;
        match u.kind {
            Kind::Ai => self.ai += 1,
            Kind::Human => self.human += 1,
            Kind::Unattested => self.unattested += 1,
        }
        self.lines += u.lines;
        self.ai_lines += u.ai_lines;
        if u.kind == Kind::Unattested {
            self.unattested_lines += u.lines;
        }
        if u.reviews > 0 {
            self.reviewed += 1;
        }
        if let Some(c) = u.confidence {
            self.confidence_sum += u64::from(c);
            self.confidence_n += 1;
        }
        let own = u.self_review.map(u64::from);
        self.author_review_seconds += own.unwrap_or(0);
        self.reviewer_seconds += u.reviewer_seconds;
        if own.is_some() || u.reviews > 0 {
            self.review_patches += 1;
            self.review_seconds += own.unwrap_or(0) + u.reviewer_seconds;
        }
    }
}

/// A multiply-rotate hasher for the small integer keys of the group map (the standard
/// SipHash is most of the cost of grouping 100k patches).
#[derive(Default, Clone, Copy)]
pub(super) struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

pub(super) type Groups = HashMap<[u32; MAX_DIMS], Counts, std::hash::BuildHasherDefault<KeyHasher>>;

/// The running totals: every patch is added once, to the total and to its groups.
pub(super) struct Agg<'a> {
    pub dims: &'a [StatsBy],
    pub range: TimeRange,
    pub names: Names,
    pub total: Counts,
    pub groups: Groups,
    /// The by-model breakdown of the JSON form: AI patches and AI lines per model (a patch
    /// counts once for every model that wrote part of it).
    pub by_model: BTreeMap<u32, (u64, u64)>,
    /// The same per agent tool ([`NO_AGENT`]: claims that name none).
    pub by_agent: BTreeMap<u32, (u64, u64)>,
    /// AI patches per recorded spelling (by index into [`Names::spellings`]), counted as
    /// `by_model` counts them.
    pub by_spelling: Vec<u64>,
}

impl Agg<'_> {
    pub fn add(&mut self, u: &Unit) {
        if !self.range.contains(u.time_ms) {
            return;
        }
        self.total.add(u);
        let groups = &mut self.groups;
        keys_of(u, self.dims, &self.names.model_provider, |key| {
            groups.entry(key).or_default().add(u)
        });
        if u.kind == Kind::Ai {
            if u.parts.is_empty() {
                for (map, key) in [
                    (&mut self.by_model, u.model),
                    (&mut self.by_agent, NO_AGENT),
                ] {
                    let slot = map.entry(key).or_default();
                    slot.0 += 1;
                    slot.1 += u.ai_lines;
                }
                count_spelling(&mut self.by_spelling, u.spelling);
            } else {
                for (i, p) in u.parts.iter().enumerate() {
                    if !u.parts[..i].iter().any(|q| q.spelling == p.spelling) {
                        count_spelling(&mut self.by_spelling, p.spelling);
                    }
                }
                split(
                    &mut self.by_model,
                    u.parts.iter().map(|p| (p.model, p.lines)),
                );
                split(
                    &mut self.by_agent,
                    u.parts.iter().map(|p| (p.agent, p.lines)),
                );
            }
        }
    }
}

impl Agg<'_> {
    /// Adds `c.patches` patches alike in everything [`Agg::add`] reads (`u` stands for them,
    /// its time in range): to the total, to their groups when `groups`, and to the breakdowns.
    /// `parts` are the distinct (model, spelling) of their contributions and `agents` the
    /// distinct agent tools (both empty without contributions).
    pub fn add_sums(
        &mut self,
        u: &Unit,
        c: &Counts,
        parts: &[(u32, u32)],
        agents: &[u32],
        groups: bool,
    ) {
        self.total.merge(c);
        if groups {
            self.add_group_sums(u, c);
        }
        if u.kind != Kind::Ai {
            return;
        }
        let n = c.patches;
        let bump = |map: &mut BTreeMap<u32, (u64, u64)>, key: u32| {
            map.entry(key).or_default().0 += n;
        };
        if parts.is_empty() {
            bump(&mut self.by_model, u.model);
            bump(&mut self.by_agent, NO_AGENT);
            count_spellings(&mut self.by_spelling, u.spelling, n);
            return;
        }
        let mut seen: Vec<u32> = Vec::new();
        for &(model, spelling) in parts {
            if !seen.contains(&model) {
                seen.push(model);
                bump(&mut self.by_model, model);
            }
            count_spellings(&mut self.by_spelling, spelling, n);
        }
        let mut seen: Vec<u32> = Vec::new();
        for &agent in agents {
            if !seen.contains(&agent) {
                seen.push(agent);
                bump(&mut self.by_agent, agent);
            }
        }
    }

    /// Adds `c` to the groups the patches `u` stands for fall in (not to the total).
    pub fn add_group_sums(&mut self, u: &Unit, c: &Counts) {
        let groups = &mut self.groups;
        keys_of(u, self.dims, &self.names.model_provider, |key| {
            groups.entry(key).or_default().merge(c)
        });
    }
}

/// Counts `n` patches for a spelling (none for a unit that names none).
fn count_spellings(by_spelling: &mut Vec<u64>, spelling: u32, n: u64) {
    if spelling >= SPECIAL {
        return;
    }
    let i = spelling as usize;
    if i >= by_spelling.len() {
        by_spelling.resize(i + 1, 0);
    }
    by_spelling[i] += n;
}

/// Counts one patch for a spelling (none for a unit that names none).
fn count_spelling(by_spelling: &mut Vec<u64>, spelling: u32) {
    if spelling >= SPECIAL {
        return;
    }
    let i = spelling as usize;
    if i >= by_spelling.len() {
        by_spelling.resize(i + 1, 0);
    }
    by_spelling[i] += 1;
}

/// Adds one patch's parts to a breakdown: their lines to each key, and the patch once to every
/// key it has a part under.
fn split(map: &mut BTreeMap<u32, (u64, u64)>, parts: impl Iterator<Item = (u32, u64)>) {
    let mut seen: Vec<u32> = Vec::new();
    for (key, lines) in parts {
        let slot = map.entry(key).or_default();
        if !seen.contains(&key) {
            seen.push(key);
            slot.0 += 1;
        }
        slot.1 += lines;
    }
}

/// Calls `f` with each group key a patch falls in: one, or one per author when grouped by
/// author.
fn keys_of(u: &Unit, dims: &[StatsBy], model_provider: &[u32], mut f: impl FnMut([u32; MAX_DIMS])) {
    let special = match u.kind {
        Kind::Ai => None,
        Kind::Human => Some(HUMAN),
        Kind::Unattested => Some(UNATTESTED),
    };
    let per_author = dims.contains(&StatsBy::Author);
    let authors = std::iter::once(u.author).chain(u.more_authors.iter().copied());
    for author in authors.take(if per_author { usize::MAX } else { 1 }) {
        let mut key = [0u32; MAX_DIMS];
        for (slot, d) in key.iter_mut().zip(dims) {
            *slot = match d {
                StatsBy::Provider => special
                    .unwrap_or_else(|| model_provider.get(u.model as usize).copied().unwrap_or(0)),
                StatsBy::Model => special.unwrap_or(u.model),
                StatsBy::Agent => special.unwrap_or(u.agent),
                StatsBy::Author => author,
                StatsBy::SuggestionType => special.unwrap_or_else(|| {
                    u.suggestion
                        .and_then(|t| SuggestionType::ALL.iter().position(|x| *x == t))
                        .unwrap_or(0) as u32
                }),
                StatsBy::Month => month_index(u.time_ms),
                StatsBy::Week => crate::time::week_index(u.time_ms),
                StatsBy::Day => crate::time::day_index(u.time_ms),
            };
        }
        f(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_time_adds_the_author_and_the_reviewers() {
        let mut acc = Counts::default();
        let mut u = Unit::new(0, Kind::Ai);
        u.self_review = Some(60);
        u.reviews = 1;
        u.reviewer_seconds = 120;
        acc.add(&u);
        acc.add(&Unit::new(0, Kind::Human));
        assert_eq!(acc.avg_review_seconds(), Some(180.0));
        assert_eq!(acc.reviewed, 1);
        assert_eq!(acc.patches, 2);
    }

    #[test]
    fn a_patch_counts_once_for_each_model_and_agent_with_their_own_lines() {
        let dims = [StatsBy::Agent];
        let mut agg = Agg {
            dims: &dims,
            range: TimeRange::default(),
            names: Names::default(),
            total: Counts::default(),
            groups: Groups::default(),
            by_model: BTreeMap::new(),
            by_agent: BTreeMap::new(),
            by_spelling: Vec::new(),
        };
        let sonnet = agg.names.model("anthropic", "claude-sonnet-4");
        let coder = agg.names.model("acme", "coder");
        let cc = agg.names.agent("claude-code");
        let mut u = Unit::new(0, Kind::Ai);
        u.model = sonnet;
        u.agent = cc;
        u.parts = vec![
            Part {
                model: sonnet,
                spelling: 0,
                agent: cc,
                lines: 30,
            },
            Part {
                model: coder,
                spelling: 1,
                agent: cc,
                lines: 10,
            },
            Part {
                model: sonnet,
                spelling: 0,
                agent: cc,
                lines: 5,
            },
        ];
        u.ai_lines = 45;
        agg.add(&u);
        let mut old = Unit::new(0, Kind::Ai);
        old.model = sonnet;
        old.spelling = 0;
        old.ai_lines = 7;
        agg.add(&old);
        assert_eq!(agg.by_model[&sonnet], (2, 42));
        assert_eq!(agg.by_model[&coder], (1, 10));
        assert_eq!(agg.by_agent[&cc], (1, 45));
        assert_eq!(agg.by_agent[&NO_AGENT], (1, 7));
        // Per spelling, as by model: the first patch once for each of its two spellings.
        assert_eq!(agg.by_spelling, [2, 1]);
        // Grouped by agent, each patch falls in its main agent's group.
        assert_eq!(agg.groups.len(), 2);
        assert!(agg.groups.contains_key(&[cc, 0, 0, 0, 0, 0]));
        assert!(agg.groups.contains_key(&[NO_AGENT, 0, 0, 0, 0, 0]));
    }

    #[test]
    fn spellings_of_one_model_intern_to_one_name_each_canonicalised_once() {
        let mut names =
            Names::new(ModelRegistry::builtin().with_aliases([("house", "acme/coder")]));
        let spellings = [
            ("anthropic", "claude-opus-4-6"),
            ("anthropic", "claude-opus-4-6-20260101"),
            ("anthropic", "Claude Opus 4.6 (1M context)"),
            ("anthropic", "anthropic/claude-opus-4.6"),
            ("anthropic", "claude-opus-4-6"),
        ];
        let got: Vec<(u32, u32)> = spellings.iter().map(|(p, m)| names.intern(p, m)).collect();
        assert_eq!(got, [(0, 0), (0, 1), (0, 2), (0, 3), (0, 0)]);
        assert_eq!(
            names.models,
            [("anthropic".to_string(), "claude-opus-4-6".to_string())]
        );
        assert_eq!(names.spellings.len(), 4);
        assert!(names.spellings.iter().all(|s| s.known));
        assert_eq!(names.intern("acme", "House"), (1, 4));
        assert_eq!(names.intern("Acme", "Mystery"), (2, 5));
        assert!(!names.spellings[5].known);
        assert_eq!(names.models[2], ("acme".to_string(), "mystery".to_string()));
        // One provider for both acme models.
        assert_eq!(names.model_provider, [0, 1, 1]);
        // Seen again after another: found, not canonicalised again.
        assert_eq!(
            names.intern("anthropic", "claude-opus-4-6-20260101"),
            (0, 1)
        );
        assert_eq!(names.spellings.len(), 6);
    }
}
