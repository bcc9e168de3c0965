//! Tables derived from the view and kept up to date in the same transaction as the view, so
//! that queries read O(answer) instead of O(store):
//!
//! | root | table | key → value |
//! |---|---|---|
//! | 10 | `stats` | group key bytes → the group's counts (varints): what `stats` adds up |
//! | 11 | `by_time` | `timestamp ms << 16 \| first two bytes of the signer's key` → [`ViewEntry`] of every current attestation: the index `log` streams newest first |
//!
//! **Stats.** Every patch (every index key of the view, split by patch id) is summed up as a
//! [`Summary`]: its month, whether its speaking attestation claims AI help and which
//! provider/model it names as recorded, the suggestion type, confidence and stated review time,
//! the sets of models and agent tools of its contributions, its reviews, and its attesting
//! authors. The `stats` table holds two families of sums:
//!
//! - `P`: `(month, kind, spelling, suggestion, main agent, contribution spellings, contribution
//!   agents)`: every dimension but the author, and everything the totals and breakdowns need
//!   (the main agent is the agent tool of [`crate::Attestation::main_contribution`], what
//!   `--by agent` groups by);
//! - `A`: `(author, month)`: a patch counts once for each of its attesting authors;
//! - `D`: `(day)`: every patch of a day (UTC), what `--by day` and `--by week` add up.
//!
//! The view is a pure function of the set of records, so the sums are kept by delta: before an
//! ingest first changes an index key of the view, the summaries of its patches are taken out of
//! the sums; once the ingest placed everything, the new summaries go back in. Names (spellings
//! and agents) are interned in the same table.
//!
//! **Freshness.** The table records the log length it was last brought up to date at, and the
//! format of its families ([`FORMAT`]: a store kept by a version without the `D` family counts
//! as stale). A store
//! written by a version that did not keep these tables (or that kept them and was then written
//! by an older one) shows another length: the tables are rebuilt from the view by the next
//! writer (on open, or at the next ingest), and until then readers fall back to their scans.
//! A name or key too long for a table entry marks the sums incomplete for good: `stats` then
//! scans, as it always did.

use std::collections::HashMap;

use sanakirja::btree::{self, Db, UDb};
use sanakirja::{AllocPage, LoadPage};

use super::log::{read_varint, write_varint, LogReader};
use super::tables::{values_of, ViewEntry};
use crate::error::StoreError;
use crate::ids::PublicKey;
use crate::model::{Payload, Record, SuggestionType};
use crate::peek::PatchRef;
use crate::view::speaks_before;

/// Keys of the `stats` table start with one of these bytes.
const META: u8 = 0;
const NAME: u8 = 1;
const PATCH_GROUP: u8 = 2;
const AUTHOR_GROUP: u8 = 3;
const DAY_GROUP: u8 = 4;

/// The families the table keeps; a table marked with another format is rebuilt by the next
/// writer (and until then, readers scan).
const FORMAT: u8 = 2;

/// A group key or a name longer than this marks the sums incomplete (sanakirja entries must
/// fit a quarter page).
const MAX_ENTRY: usize = 480;

/// No spelling (a human or unattested patch) / no author (an unattested patch).
pub const NONE: u32 = u32::MAX;

/// How a patch counts.
pub const KIND_AI: u8 = 0;
/// A patch attested without AI help.
pub const KIND_HUMAN: u8 = 1;
/// A patch known only from reviews.
pub const KIND_UNATTESTED: u8 = 2;

/// The sums of a group of patches (what `stats` adds up outside a repository).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatCounts {
    /// Patches.
    pub patches: u64,
    /// AI-assisted patches.
    pub ai: u64,
    /// Patches written without AI.
    pub human: u64,
    /// Patches nobody attested.
    pub unattested: u64,
    /// Patches with at least one review.
    pub reviewed: u64,
    /// Sum of the stated confidences, permille.
    pub confidence_sum: u64,
    /// AI claims that state a confidence.
    pub confidence_n: u64,
    /// Seconds the authors say they reviewed the AI's output.
    pub author_review_seconds: u64,
    /// Seconds the reviewers spent.
    pub reviewer_seconds: u64,
    /// Patches with any review time.
    pub review_patches: u64,
    /// Their review time, author's and reviewers' together.
    pub review_seconds: u64,
}

const FIELDS: usize = 11;

impl StatCounts {
    fn to_array(self) -> [u64; FIELDS] {
        [
            self.patches,
            self.ai,
            self.human,
            self.unattested,
            self.reviewed,
            self.confidence_sum,
            self.confidence_n,
            self.author_review_seconds,
            self.reviewer_seconds,
            self.review_patches,
            self.review_seconds,
        ]
    }
    fn from_array(a: [u64; FIELDS]) -> StatCounts {
        StatCounts {
            patches: a[0],
            ai: a[1],
            human: a[2],
            unattested: a[3],
            reviewed: a[4],
            confidence_sum: a[5],
            confidence_n: a[6],
            author_review_seconds: a[7],
            reviewer_seconds: a[8],
            review_patches: a[9],
            review_seconds: a[10],
        }
    }
    fn decode(bytes: &[u8]) -> Result<StatCounts, StoreError> {
        let mut a = [0u64; FIELDS];
        let mut at = 0;
        for v in a.iter_mut() {
            let (x, n) = read_varint(bytes.get(at..).unwrap_or_default())
                .ok_or_else(|| StoreError::Corrupt("malformed stats entry".into()))?;
            *v = x;
            at += n;
        }
        Ok(StatCounts::from_array(a))
    }
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24);
        for v in self.to_array() {
            write_varint(&mut out, v);
        }
        out
    }
}

/// One `P` group: patches alike in everything but their authors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchGroup {
    /// Months since January 1970 (UTC) of the patches' time ([`month_of`]).
    pub month: u32,
    /// [`KIND_AI`], [`KIND_HUMAN`] or [`KIND_UNATTESTED`].
    pub kind: u8,
    /// The speaking AI claim's provider/model as recorded (index into [`StatGroups::names`],
    /// `provider\0model`); [`NONE`] for a human or unattested patch.
    pub spelling: u32,
    /// Index into [`SuggestionType::ALL`] of the AI claim's suggestion type (0 without AI).
    pub suggestion: u8,
    /// The agent tool of the speaking claim's main contribution (a name), [`NONE`] when it has
    /// no contributions.
    pub agent: u32,
    /// The distinct provider/models of the speaking claim's contributions (names), sorted;
    /// empty when it has none.
    pub part_spellings: Vec<u32>,
    /// The distinct agent tools of its contributions (names), sorted.
    pub part_agents: Vec<u32>,
    /// The group's sums.
    pub counts: StatCounts,
}

/// One `A` group: the patches one author attested in one month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthorGroup {
    /// The author's index in the store ([`crate::Snapshot::authors`]); [`NONE`] for patches
    /// nobody attested.
    pub author: u32,
    /// Months since January 1970 (UTC).
    pub month: u32,
    /// The group's sums.
    pub counts: StatCounts,
}

/// One `D` group: the patches of one day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DayGroup {
    /// Days since 1970-01-01 (UTC) of the patches' time.
    pub day: u32,
    /// The group's sums.
    pub counts: StatCounts,
}

/// The `P` groups and the names they refer to.
#[derive(Clone, Debug, Default)]
pub struct StatGroups {
    /// Interned names: `provider\0model` for spellings, the agent tool for agents.
    pub names: Vec<String>,
    /// Every group, in key order.
    pub groups: Vec<PatchGroup>,
}

/// Months since January 1970 of a time in ms (UTC), as `stats --by month` counts them.
pub fn month_of(ms: u64) -> u32 {
    let (year, month, _) = civil((ms / 86_400_000) as i64);
    ((year - 1970) * 12 + month - 1).max(0) as u32
}

/// The first millisecond of a month counted by [`month_of`].
pub fn month_start_ms(month: u32) -> u64 {
    let (y, m) = (1970 + i64::from(month / 12), i64::from(month % 12) + 1);
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (days.max(0) as u64) * 86_400_000
}

/// `(year, month 1-12, day 1-31)` of a day counted from 1970-01-01 (Howard Hinnant's civil
/// date algorithm). The one calendar of the store's month buckets and of the read side's dates.
pub fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// One patch as the sums count it (the same rule as `stats`' scan of the view).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Summary {
    patch: Vec<u8>,
    attested: bool,
    time_ms: u64,
    kind: u8,
    ai_signer: Option<PublicKey>,
    spelling: Option<String>,
    suggestion: u8,
    confidence: Option<u16>,
    self_review: Option<u32>,
    parts: Vec<String>,
    agents: Vec<String>,
    main_agent: Option<String>,
    reviews: u32,
    reviewer_seconds: u64,
    authors: Vec<u32>,
}

impl Summary {
    fn new(patch: Vec<u8>) -> Summary {
        Summary {
            patch,
            attested: false,
            time_ms: 0,
            kind: KIND_UNATTESTED,
            ai_signer: None,
            spelling: None,
            suggestion: 0,
            confidence: None,
            self_review: None,
            parts: Vec::new(),
            agents: Vec::new(),
            main_agent: None,
            reviews: 0,
            reviewer_seconds: 0,
            authors: Vec::new(),
        }
    }

    fn counts(&self) -> StatCounts {
        let own = self.self_review.map(u64::from);
        let reviewed = own.is_some() || self.reviews > 0;
        StatCounts {
            patches: 1,
            ai: u64::from(self.kind == KIND_AI),
            human: u64::from(self.kind == KIND_HUMAN),
            unattested: u64::from(self.kind == KIND_UNATTESTED),
            reviewed: u64::from(self.reviews > 0),
            confidence_sum: self.confidence.map_or(0, u64::from),
            confidence_n: u64::from(self.confidence.is_some()),
            author_review_seconds: own.unwrap_or(0),
            reviewer_seconds: self.reviewer_seconds,
            review_patches: u64::from(reviewed),
            review_seconds: if reviewed {
                own.unwrap_or(0) + self.reviewer_seconds
            } else {
                0
            },
        }
    }
}

fn patch_bytes(p: &PatchRef<'_>) -> Vec<u8> {
    match p {
        PatchRef::Hash(h) => {
            let mut v = vec![0];
            v.extend_from_slice(&h[..]);
            v
        }
        PatchRef::Text(s) => {
            let mut v = vec![1];
            v.extend_from_slice(s.as_bytes());
            v
        }
    }
}

fn spelling_name(provider: &str, model: &str) -> String {
    format!("{provider}\0{model}")
}

/// The summaries of the patches under one view index key, from its current entries.
pub(crate) fn summaries<T: LoadPage<Error = sanakirja::Error>>(
    txn: &T,
    view: &Db<u64, ViewEntry>,
    log: &LogReader,
    authors: &[PublicKey],
    key: u64,
) -> Result<Vec<Summary>, StoreError> {
    let entries = values_of(txn, view, key)?;
    summaries_of(&entries, log, authors)
}

fn summaries_of(
    entries: &[ViewEntry],
    log: &LogReader,
    authors: &[PublicKey],
) -> Result<Vec<Summary>, StoreError> {
    let mut out: Vec<Summary> = Vec::new();
    let damaged =
        |off: u64, what: &str| StoreError::Corrupt(format!("log entry at {off} is not {what}"));
    let at = |out: &mut Vec<Summary>, patch: Vec<u8>| -> usize {
        match out.iter().position(|s| s.patch == patch) {
            Some(i) => i,
            None => {
                out.push(Summary::new(patch));
                out.len() - 1
            }
        }
    };
    for e in entries {
        if e.is_attestation() {
            let (head, bytes, _) = log.stored_at(e.offset())?;
            let names = head.packed.then_some(log.names.as_slice());
            let p = crate::peek::peek_attestation_in(&bytes, names)
                .ok_or_else(|| damaged(e.offset(), "an attestation"))?;
            let i = at(&mut out, patch_bytes(&p.patch));
            let s = &mut out[i];
            let ts = e.timestamp_ms();
            if s.attested {
                s.time_ms = s.time_ms.min(ts);
            } else {
                s.time_ms = ts;
                s.kind = KIND_HUMAN;
                s.attested = true;
            }
            if !s.authors.contains(&e.author()) {
                s.authors.push(e.author());
            }
            let Some(ai) = p.ai else { continue };
            let signer = authors.get(e.author() as usize).copied();
            if s.kind == KIND_AI {
                if let (Some(new), Some(current)) = (&signer, &s.ai_signer) {
                    if !speaks_before(true, new, true, current) {
                        continue;
                    }
                }
            }
            s.ai_signer = signer;
            s.kind = KIND_AI;
            s.spelling = Some(spelling_name(ai.provider, ai.model));
            s.suggestion = SuggestionType::ALL
                .iter()
                .position(|t| *t == ai.suggestion_type)
                .unwrap_or(0) as u8;
            s.confidence = ai.confidence_permille;
            s.self_review = ai.review_seconds;
            s.parts.clear();
            s.agents.clear();
            s.main_agent = None;
            if p.contributions {
                let (_, body, _) = log.canonical_at(e.offset())?;
                let record = Record::from_trusted(&body).map_err(|err| {
                    StoreError::Corrupt(format!("log entry at {}: {err}", e.offset()))
                })?;
                if let Payload::Attest(a) = record.payload {
                    s.main_agent = a.main_contribution().map(|c| c.agent.clone());
                    for c in &a.contributions {
                        s.parts.push(spelling_name(&c.provider, &c.model));
                        s.agents.push(c.agent.clone());
                    }
                }
                s.parts.sort();
                s.parts.dedup();
                s.agents.sort();
                s.agents.dedup();
            }
        } else if e.is_review() {
            let (_, bytes, _) = log.stored_at(e.offset())?;
            let rv =
                crate::peek::peek_review(&bytes).ok_or_else(|| damaged(e.offset(), "a review"))?;
            let i = at(&mut out, patch_bytes(&rv.patch));
            let s = &mut out[i];
            if !s.attested {
                s.time_ms = if s.reviews == 0 {
                    rv.timestamp_ms
                } else {
                    s.time_ms.min(rv.timestamp_ms)
                };
            }
            s.reviews += 1;
            s.reviewer_seconds += u64::from(rv.seconds);
        }
    }
    Ok(out)
}

/// The interned names of the `stats` table.
#[derive(Default)]
struct Names {
    ids: HashMap<String, u32>,
    list: Vec<String>,
}

impl Names {
    fn load<T: LoadPage<Error = sanakirja::Error>>(
        txn: &T,
        db: &UDb<[u8], [u8]>,
    ) -> Result<Names, StoreError> {
        let mut names = Names::default();
        for entry in btree::iter(txn, db, Some((&[NAME][..], None)))? {
            let (k, v) = entry?;
            if k.first() != Some(&NAME) {
                break;
            }
            let text = std::str::from_utf8(v)
                .map_err(|_| StoreError::Corrupt("stats name is not UTF-8".into()))?
                .to_string();
            if k.get(1..) != Some(&(names.list.len() as u32).to_be_bytes()[..]) {
                return Err(StoreError::Corrupt("stats names out of order".into()));
            }
            names.ids.insert(text.clone(), names.list.len() as u32);
            names.list.push(text);
        }
        Ok(names)
    }

    /// The id of `name`, naming it in the table the first time; `None` when it is too long.
    fn intern<T: AllocPage + LoadPage<Error = sanakirja::Error>>(
        &mut self,
        txn: &mut T,
        db: &mut UDb<[u8], [u8]>,
        name: &str,
    ) -> Result<Option<u32>, StoreError> {
        if let Some(&id) = self.ids.get(name) {
            return Ok(Some(id));
        }
        if name.len() > MAX_ENTRY || self.list.len() as u64 >= u64::from(NONE) {
            return Ok(None);
        }
        let id = self.list.len() as u32;
        let mut key = vec![NAME];
        key.extend_from_slice(&id.to_be_bytes());
        btree::put(txn, db, &key[..], name.as_bytes())?;
        self.ids.insert(name.to_string(), id);
        self.list.push(name.to_string());
        Ok(Some(id))
    }
}

/// The state of the derived tables as a reader finds them: `Some(complete)` when they are up to
/// date with a log of `log_len` bytes.
fn freshness<T: LoadPage<Error = sanakirja::Error>>(
    txn: &T,
    db: &UDb<[u8], [u8]>,
    log_len: u64,
) -> Result<Option<bool>, StoreError> {
    Ok(match btree::get(txn, db, &[META][..], None)? {
        Some((k, v)) if k == [META] && v.len() == 10 && v[9] == FORMAT => {
            let mut w = [0u8; 8];
            w.copy_from_slice(&v[..8]);
            (u64::from_le_bytes(w) == log_len).then_some(v[8] == 1)
        }
        _ => None,
    })
}

/// The derived tables of a store.
pub(crate) struct Derived {
    pub stats: UDb<[u8], [u8]>,
    pub by_time: Db<u64, ViewEntry>,
}

/// The `by_time` key of a current attestation.
pub(crate) fn time_key(e: &ViewEntry, authors: &[PublicKey]) -> u64 {
    let prefix = authors
        .get(e.author() as usize)
        .map_or(0, |k| u16::from_be_bytes([k.0[0], k.0[1]]));
    (e.timestamp_ms() << 16) | u64::from(prefix)
}

impl Derived {
    /// True when the tables are up to date with a log of `log_len` bytes (complete or not).
    pub fn fresh<T: LoadPage<Error = sanakirja::Error>>(
        &self,
        txn: &T,
        log_len: u64,
    ) -> Result<bool, StoreError> {
        Ok(freshness(txn, &self.stats, log_len)?.is_some())
    }

    /// The `P` groups, when the sums are up to date and complete.
    pub fn patch_groups<T: LoadPage<Error = sanakirja::Error>>(
        &self,
        txn: &T,
        log_len: u64,
    ) -> Result<Option<StatGroups>, StoreError> {
        if freshness(txn, &self.stats, log_len)? != Some(true) {
            return Ok(None);
        }
        let names = Names::load(txn, &self.stats)?.list;
        let mut groups = Vec::new();
        for entry in btree::iter(txn, &self.stats, Some((&[PATCH_GROUP][..], None)))? {
            let (k, v) = entry?;
            if k.first() != Some(&PATCH_GROUP) {
                break;
            }
            let bad = || StoreError::Corrupt("malformed stats key".into());
            let mut r = KeyReader(&k[1..]);
            let month = r.u32().ok_or_else(bad)?;
            let kind = r.u8().ok_or_else(bad)?;
            let spelling = r.u32().ok_or_else(bad)?;
            let suggestion = r.u8().ok_or_else(bad)?;
            let agent = r.u32().ok_or_else(bad)?;
            let part_spellings = r.list().ok_or_else(bad)?;
            let part_agents = r.list().ok_or_else(bad)?;
            groups.push(PatchGroup {
                month,
                kind,
                spelling,
                suggestion,
                agent,
                part_spellings,
                part_agents,
                counts: StatCounts::decode(v)?,
            });
        }
        Ok(Some(StatGroups { names, groups }))
    }

    /// The `A` groups, when the sums are up to date and complete.
    pub fn author_groups<T: LoadPage<Error = sanakirja::Error>>(
        &self,
        txn: &T,
        log_len: u64,
    ) -> Result<Option<Vec<AuthorGroup>>, StoreError> {
        if freshness(txn, &self.stats, log_len)? != Some(true) {
            return Ok(None);
        }
        let mut out = Vec::new();
        for entry in btree::iter(txn, &self.stats, Some((&[AUTHOR_GROUP][..], None)))? {
            let (k, v) = entry?;
            if k.first() != Some(&AUTHOR_GROUP) {
                break;
            }
            let mut r = KeyReader(&k[1..]);
            let (Some(author), Some(month)) = (r.u32(), r.u32()) else {
                return Err(StoreError::Corrupt("malformed stats key".into()));
            };
            out.push(AuthorGroup {
                author,
                month,
                counts: StatCounts::decode(v)?,
            });
        }
        Ok(Some(out))
    }
}

impl Derived {
    /// The `D` groups, in day order, when the sums are up to date and complete.
    pub fn day_groups<T: LoadPage<Error = sanakirja::Error>>(
        &self,
        txn: &T,
        log_len: u64,
    ) -> Result<Option<Vec<DayGroup>>, StoreError> {
        if freshness(txn, &self.stats, log_len)? != Some(true) {
            return Ok(None);
        }
        let mut out = Vec::new();
        for entry in btree::iter(txn, &self.stats, Some((&[DAY_GROUP][..], None)))? {
            let (k, v) = entry?;
            if k.first() != Some(&DAY_GROUP) {
                break;
            }
            let Some(day) = KeyReader(&k[1..]).u32() else {
                return Err(StoreError::Corrupt("malformed stats key".into()));
            };
            out.push(DayGroup {
                day,
                counts: StatCounts::decode(v)?,
            });
        }
        Ok(Some(out))
    }
}

struct KeyReader<'a>(&'a [u8]);

impl KeyReader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn list(&mut self) -> Option<Vec<u32>> {
        let n = self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))?;
        (0..n).map(|_| self.u32()).collect()
    }
}

/// What one ingest does to the derived tables.
pub(crate) enum Upkeep {
    /// The tables were up to date: the touched keys' summaries before the ingest changed them.
    Delta {
        before: HashMap<u64, Vec<Summary>>,
        /// The sums were already incomplete: only `by_time` and the freshness are kept.
        incomplete: bool,
    },
    /// The tables are missing or stale: rebuilt from the view at the end.
    Rebuild,
}

impl Upkeep {
    /// How an ingest into a store whose log is `log_len` bytes keeps the tables.
    pub fn start<T: LoadPage<Error = sanakirja::Error>>(
        txn: &T,
        derived: Option<&Derived>,
        log_len: u64,
    ) -> Result<Upkeep, StoreError> {
        let Some(d) = derived else {
            return Ok(Upkeep::Rebuild);
        };
        Ok(match freshness(txn, &d.stats, log_len)? {
            Some(complete) => Upkeep::Delta {
                before: HashMap::new(),
                incomplete: !complete,
            },
            None => Upkeep::Rebuild,
        })
    }

    /// Before the view entries under `key` change: remembers the patches' summaries.
    pub fn touch<T: LoadPage<Error = sanakirja::Error>>(
        &mut self,
        txn: &T,
        view: &Db<u64, ViewEntry>,
        log: &LogReader,
        authors: &[PublicKey],
        key: u64,
    ) -> Result<(), StoreError> {
        if let Upkeep::Delta {
            before,
            incomplete: false,
        } = self
        {
            if let std::collections::hash_map::Entry::Vacant(slot) = before.entry(key) {
                slot.insert(summaries(txn, view, log, authors, key)?);
            }
        }
        Ok(())
    }

    /// Keeps `by_time` in step with a view entry put (`added`) or removed.
    pub fn view_changed<T: AllocPage + LoadPage<Error = sanakirja::Error>>(
        &self,
        txn: &mut T,
        derived: &mut Option<Derived>,
        authors: &[PublicKey],
        entry: &ViewEntry,
        added: bool,
    ) -> Result<(), StoreError> {
        let (Upkeep::Delta { .. }, Some(d)) = (self, derived.as_mut()) else {
            return Ok(());
        };
        if !entry.is_attestation() {
            return Ok(());
        }
        let k = time_key(entry, authors);
        if added {
            btree::put(txn, &mut d.by_time, &k, entry)?;
        } else {
            btree::del(txn, &mut d.by_time, &k, Some(entry))?;
        }
        Ok(())
    }

    /// After the view is placed: the sums get the touched keys' new summaries in place of the
    /// old ones (or everything is rebuilt), and the tables are marked up to date with `log_len`.
    pub fn finish(
        self,
        txn: &mut sanakirja::MutTxn<&sanakirja::Env, ()>,
        view: &Db<u64, ViewEntry>,
        derived: &mut Option<Derived>,
        log: &LogReader,
        authors: &[PublicKey],
        log_len: u64,
    ) -> Result<(), StoreError> {
        match (self, derived.as_mut()) {
            (Upkeep::Delta { before, incomplete }, Some(d)) => {
                let mut sums = Sums::default();
                let mut complete = !incomplete;
                if complete {
                    let mut names = Names::load(&*txn, &d.stats)?;
                    for (key, old) in before {
                        let new = summaries(&*txn, view, log, authors, key)?;
                        for s in &old {
                            complete &= sums.add(txn, &mut d.stats, &mut names, s, -1)?;
                        }
                        for s in &new {
                            complete &= sums.add(txn, &mut d.stats, &mut names, s, 1)?;
                        }
                    }
                    if complete {
                        sums.apply(txn, &mut d.stats)?;
                    }
                }
                mark(txn, &mut d.stats, log_len, complete)
            }
            _ => {
                *derived = Some(rebuild(txn, view, derived.take(), log, authors, log_len)?);
                Ok(())
            }
        }
    }
}

/// Signed changes to the sums, by group key, applied once per key.
#[derive(Default)]
struct Sums(HashMap<Vec<u8>, [i64; FIELDS]>);

impl Sums {
    /// Adds (`sign` 1) or takes out (-1) one patch; false when a name or key does not fit.
    fn add<T: AllocPage + LoadPage<Error = sanakirja::Error>>(
        &mut self,
        txn: &mut T,
        db: &mut UDb<[u8], [u8]>,
        names: &mut Names,
        s: &Summary,
        sign: i64,
    ) -> Result<bool, StoreError> {
        let month = month_of(s.time_ms);
        let spelling = match &s.spelling {
            Some(n) if s.kind == KIND_AI => match names.intern(txn, db, n)? {
                Some(id) => id,
                None => return Ok(false),
            },
            _ => NONE,
        };
        let mut ids = |list: &[String]| -> Result<Option<Vec<u32>>, StoreError> {
            let mut out = Vec::with_capacity(list.len());
            for n in list {
                match names.intern(txn, db, n)? {
                    Some(id) => out.push(id),
                    None => return Ok(None),
                }
            }
            out.sort_unstable();
            Ok(Some(out))
        };
        let ai = s.kind == KIND_AI;
        let (Some(parts), Some(agents)) = (
            ids(if ai { &s.parts } else { &[] })?,
            ids(if ai { &s.agents } else { &[] })?,
        ) else {
            return Ok(false);
        };
        let main_agent = match &s.main_agent {
            Some(n) if ai => match names.intern(txn, db, n)? {
                Some(id) => id,
                None => return Ok(false),
            },
            _ => NONE,
        };
        let mut key = vec![PATCH_GROUP];
        key.extend_from_slice(&month.to_be_bytes());
        key.push(s.kind);
        key.extend_from_slice(&spelling.to_be_bytes());
        key.push(if ai { s.suggestion } else { 0 });
        key.extend_from_slice(&main_agent.to_be_bytes());
        for list in [&parts, &agents] {
            if list.len() > usize::from(u16::MAX) {
                return Ok(false);
            }
            key.extend_from_slice(&(list.len() as u16).to_be_bytes());
            for id in list {
                key.extend_from_slice(&id.to_be_bytes());
            }
        }
        if key.len() > MAX_ENTRY {
            return Ok(false);
        }
        let counts = s.counts().to_array();
        self.bump(key, &counts, sign);
        let authors: &[u32] = if s.authors.is_empty() {
            &[NONE]
        } else {
            &s.authors
        };
        for a in authors {
            let mut key = vec![AUTHOR_GROUP];
            key.extend_from_slice(&a.to_be_bytes());
            key.extend_from_slice(&month.to_be_bytes());
            self.bump(key, &counts, sign);
        }
        let day = (s.time_ms / 86_400_000).min(u64::from(u32::MAX)) as u32;
        let mut key = vec![DAY_GROUP];
        key.extend_from_slice(&day.to_be_bytes());
        self.bump(key, &counts, sign);
        Ok(true)
    }

    fn bump(&mut self, key: Vec<u8>, counts: &[u64; FIELDS], sign: i64) {
        let slot = self.0.entry(key).or_insert([0; FIELDS]);
        for (s, c) in slot.iter_mut().zip(counts) {
            *s += sign * *c as i64;
        }
    }

    fn apply<T: AllocPage + LoadPage<Error = sanakirja::Error>>(
        self,
        txn: &mut T,
        db: &mut UDb<[u8], [u8]>,
    ) -> Result<(), StoreError> {
        let mut keys: Vec<(Vec<u8>, [i64; FIELDS])> = self.0.into_iter().collect();
        keys.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (key, delta) in keys {
            if delta.iter().all(|d| *d == 0) {
                continue;
            }
            let old = match btree::get(&*txn, db, &key[..], None)? {
                Some((k, v)) if k == &key[..] => Some(StatCounts::decode(v)?),
                _ => None,
            };
            let mut now = old.unwrap_or_default().to_array();
            for (n, d) in now.iter_mut().zip(delta) {
                *n = n
                    .checked_add_signed(d)
                    .ok_or_else(|| StoreError::Corrupt("the stats sums went below zero".into()))?;
            }
            if old.is_some() {
                btree::del(txn, db, &key[..], None)?;
            }
            if now[0] != 0 {
                btree::put(txn, db, &key[..], &StatCounts::from_array(now).encode()[..])?;
            } else if now.iter().any(|n| *n != 0) {
                return Err(StoreError::Corrupt(
                    "a stats group without patches has sums".into(),
                ));
            }
        }
        Ok(())
    }
}

fn mark<T: AllocPage + LoadPage<Error = sanakirja::Error>>(
    txn: &mut T,
    db: &mut UDb<[u8], [u8]>,
    log_len: u64,
    complete: bool,
) -> Result<(), StoreError> {
    let mut v = log_len.to_le_bytes().to_vec();
    v.push(u8::from(complete));
    v.push(FORMAT);
    btree::del(txn, db, &[META][..], None)?;
    btree::put(txn, db, &[META][..], &v[..])?;
    Ok(())
}

/// Builds the derived tables from the view (dropping `old` ones), up to date with `log_len`.
pub(crate) fn rebuild(
    txn: &mut sanakirja::MutTxn<&sanakirja::Env, ()>,
    view: &Db<u64, ViewEntry>,
    old: Option<Derived>,
    log: &LogReader,
    authors: &[PublicKey],
    log_len: u64,
) -> Result<Derived, StoreError> {
    if let Some(old) = old {
        // SAFETY: the old tables are replaced below and referenced nowhere else.
        unsafe {
            btree::drop(txn, old.stats)?;
            btree::drop(txn, old.by_time)?;
        }
    }
    // SAFETY: the caller stores the new tables in their roots before commit.
    let mut d = unsafe {
        Derived {
            stats: btree::create_db_(txn)?,
            by_time: btree::create_db(txn)?,
        }
    };
    let mut names = Names::default();
    let mut sums = Sums::default();
    let mut complete = true;
    let mut times: Vec<(u64, ViewEntry)> = Vec::new();
    let entries: Vec<(u64, ViewEntry)> = btree::iter(&*txn, view, None)?
        .map(|e| e.map(|(k, v)| (*k, *v)))
        .collect::<Result<_, _>>()?;
    // The entries of one index key are adjacent.
    for group in entries.chunk_by(|a, b| a.0 == b.0) {
        let group: Vec<ViewEntry> = group.iter().map(|(_, v)| *v).collect();
        for v in &group {
            if v.is_attestation() {
                times.push((time_key(v, authors), *v));
            }
        }
        if complete {
            for s in summaries_of(&group, log, authors)? {
                complete &= sums.add(txn, &mut d.stats, &mut names, &s, 1)?;
            }
        }
    }
    times.sort_unstable();
    for (k, v) in &times {
        btree::put(txn, &mut d.by_time, k, v)?;
    }
    if complete {
        sums.apply(txn, &mut d.stats)?;
    }
    mark(txn, &mut d.stats, log_len, complete)?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_round_trip() {
        for m in [0u32, 1, 11, 12, 13, 25, 671, 672, 673, 700, 1000] {
            let start = month_start_ms(m);
            assert_eq!(month_of(start), m);
            assert_eq!(month_of(start.saturating_sub(1)), m.saturating_sub(1));
        }
    }

    #[test]
    fn counts_round_trip() {
        let c = StatCounts {
            patches: 3,
            ai: 2,
            human: 1,
            confidence_sum: 1700,
            confidence_n: 2,
            review_seconds: 1 << 40,
            ..StatCounts::default()
        };
        assert_eq!(StatCounts::decode(&c.encode()).unwrap(), c);
        assert!(StatCounts::decode(&[0x80]).is_err());
    }
}
