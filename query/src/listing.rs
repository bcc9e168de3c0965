//! Pages of the overlay's `log` for a long-running reader (the server): the same selection as
//! [`crate::log::log`], one page at a time after a [`Cursor`], with the expensive parts kept
//! between calls.
//!
//! A listing's cost at 100k attestations is the index scan and its sort (milliseconds) and, when
//! reviews count, a pass over every review; a page is fifty record reads. A [`ListingCache`]
//! keeps the scans' answers for as long as the store has not grown — its log length is the
//! generation: every record that changes the view is appended to the log — so a server answers
//! a page in the time of the page, and one that receives a record pays for one scan.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use anyhow::{bail, Result};
use attrib_overlay::store::listing_key;
use attrib_overlay::{AttestationQuery, AttestationRow, PublicKey, Snapshot};

use crate::filter::{Filter, ReviewFilter};
use crate::log::{candidates, index_query, select, select_from, streamed, LogQuery, OverlayLog};
use crate::members::resolve_member;
use crate::reviews::{self, PatchKey, Reviewed};

/// Where a page ends: the listing order's key of its last row (time, signer prefix, log
/// offset). Printed as 48 hex digits, opaque to clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    timestamp_ms: u64,
    prefix: u64,
    offset: u64,
}

impl Cursor {
    /// Reads a cursor a previous page gave; anything else is refused with a one-line reason.
    pub fn parse(text: &str) -> Result<Cursor> {
        let t = text.as_bytes();
        if t.len() != 48 || !t.iter().all(u8::is_ascii_hexdigit) {
            bail!("invalid cursor {text:?}: pass the endCursor of a previous page");
        }
        let part = |i: usize| u64::from_str_radix(&text[i * 16..(i + 1) * 16], 16);
        match (part(0), part(1), part(2)) {
            (Ok(timestamp_ms), Ok(prefix), Ok(offset)) => Ok(Cursor {
                timestamp_ms,
                prefix,
                offset,
            }),
            _ => bail!("invalid cursor {text:?}: pass the endCursor of a previous page"),
        }
    }

    fn of(prefixes: &[u64], row: &AttestationRow) -> Cursor {
        let (timestamp_ms, prefix, offset) = listing_key(prefixes, row);
        Cursor {
            timestamp_ms,
            prefix,
            offset,
        }
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:016x}{:016x}{:016x}",
            self.timestamp_ms, self.prefix, self.offset
        )
    }
}

/// One page of a listing.
pub struct Page<'s> {
    /// The page's rows, newest first, with their review counts (see [`OverlayLog::views`]).
    pub log: OverlayLog<'s>,
    /// The cursor of each row, in order: pass one as `after` to continue after it.
    pub cursors: Vec<Cursor>,
    /// More rows pass the filters after this page.
    pub has_next: bool,
}

/// The index answers a [`LogQuery`] needs, kept while the store's log length stays the same.
/// Shared by the threads of a server (`Sync`); a store that grew empties it on the next call.
#[derive(Default)]
pub struct ListingCache {
    state: Mutex<Generation>,
}

#[derive(Default)]
struct Generation {
    log_len: u64,
    rows: Vec<(IndexKey, Arc<Vec<AttestationRow>>)>,
    reviews: Option<Arc<HashMap<PatchKey, Reviewed>>>,
}

/// What an index scan depends on ([`AttestationQuery`] and the provider and model as given,
/// matched by canonical name, without owned strings compared through `Hash`): listings ask
/// for a handful of these at most.
#[derive(Clone, PartialEq, Eq)]
struct IndexKey {
    ai_only: bool,
    human_only: bool,
    author: Option<PublicKey>,
    provider: Option<String>,
    model: Option<String>,
}

impl IndexKey {
    fn of(filter: &Filter) -> IndexKey {
        let q: AttestationQuery = index_query(filter);
        IndexKey {
            ai_only: q.ai_only,
            human_only: q.human_only,
            author: q.author,
            provider: filter.provider.clone(),
            model: filter.model.clone(),
        }
    }
}

/// At most this many index answers are kept per generation; the oldest goes first.
const KEPT_SCANS: usize = 16;

impl ListingCache {
    /// An empty cache.
    pub fn new() -> ListingCache {
        ListingCache::default()
    }

    /// Up to `first` rows of the overlay's listing for `q` (its `max_count` is ignored), after
    /// `after` when given: the same rows, in the same order, as [`crate::log::log`] gives
    /// outside a repository. `q.unattested` and `q.all` do not apply to attestation pages and
    /// are refused.
    pub fn page<'s>(
        &self,
        snap: &'s Snapshot<'s>,
        q: &LogQuery,
        after: Option<Cursor>,
        first: usize,
    ) -> Result<Page<'s>> {
        if q.unattested {
            bail!("a page lists attestations; unattested patches are not listed this way");
        }
        let mut filter = q.filter.clone();
        if let Some(a) = &q.author {
            filter.author = Some(resolve_member(snap, a)?);
        }
        let with_reviews = q.review != ReviewFilter::Any || q.with_reviews;
        let prefixes = snap.author_prefixes();
        // From the index by time: the page reads its rows and little more.
        let before = after.map(|c| (c.timestamp_ms, c.prefix, c.offset));
        if let Some(rows) = streamed(snap, &filter, before)? {
            let reviews = if with_reviews {
                Some(self.reviews(snap)?)
            } else {
                None
            };
            let (rows, has_next) =
                select_from(snap, &filter, q, reviews.as_deref(), rows, Some(first))?;
            let cursors = rows.iter().map(|r| Cursor::of(&prefixes, r)).collect();
            return Ok(Page {
                log: OverlayLog::new(snap, rows, reviews),
                cursors,
                has_next,
            });
        }
        let (candidates, reviews) = self.scans(snap, &filter, with_reviews)?;
        let start = match after {
            // Rows are newest first, so the rows after the cursor are those whose key is
            // smaller than the cursor's.
            Some(c) => candidates.partition_point(|r| Cursor::of(&prefixes, r) >= c),
            None => 0,
        };
        let (rows, has_next) = select(
            snap,
            &filter,
            q,
            reviews.as_deref(),
            &candidates[start..],
            Some(first),
        )?;
        let cursors = rows.iter().map(|r| Cursor::of(&prefixes, r)).collect();
        Ok(Page {
            log: OverlayLog::new(snap, rows, reviews),
            cursors,
            has_next,
        })
    }

    /// Every patch's reviews, from this generation's scan or made now.
    fn reviews(&self, snap: &Snapshot<'_>) -> Result<Arc<HashMap<PatchKey, Reviewed>>> {
        let log_len = snap.log_len();
        {
            let mut g = self.lock();
            if g.log_len != log_len {
                *g = Generation {
                    log_len,
                    ..Generation::default()
                };
            }
            if let Some(r) = &g.reviews {
                return Ok(r.clone());
            }
        }
        let reviews = Arc::new(reviews::reviews(snap)?);
        let mut g = self.lock();
        if g.log_len == log_len && g.reviews.is_none() {
            g.reviews = Some(reviews.clone());
        }
        Ok(reviews)
    }

    /// The index's answer for `filter` ([`candidates`]; and every patch's reviews when
    /// `with_reviews`), from this generation's scans or made now.
    #[allow(clippy::type_complexity)]
    fn scans(
        &self,
        snap: &Snapshot<'_>,
        filter: &Filter,
        with_reviews: bool,
    ) -> Result<(
        Arc<Vec<AttestationRow>>,
        Option<Arc<HashMap<PatchKey, Reviewed>>>,
    )> {
        let key = IndexKey::of(filter);
        let log_len = snap.log_len();
        {
            let mut g = self.lock();
            if g.log_len != log_len {
                *g = Generation {
                    log_len,
                    ..Generation::default()
                };
            }
            let rows = g
                .rows
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, r)| r.clone());
            let reviews = g.reviews.clone();
            if let Some(rows) = rows {
                if !with_reviews || reviews.is_some() {
                    return Ok((rows, reviews.filter(|_| with_reviews)));
                }
            }
        }
        // Scanned without the lock: two threads may both scan a new generation once, but no
        // request waits for another's scan.
        let rows = Arc::new(candidates(snap, filter)?);
        let reviews = if with_reviews {
            Some(Arc::new(reviews::reviews(snap)?))
        } else {
            None
        };
        let mut g = self.lock();
        if g.log_len == log_len {
            if !g.rows.iter().any(|(k, _)| *k == key) {
                if g.rows.len() >= KEPT_SCANS {
                    g.rows.remove(0);
                }
                g.rows.push((key, rows.clone()));
            }
            if g.reviews.is_none() {
                g.reviews = reviews.clone();
            }
        }
        Ok((rows, reviews))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generation> {
        // The state is a cache: one left by a panicking thread is still a valid cache.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::Filter;
    use crate::log::{log, Log};
    use crate::testing::{fixture, patch, T0};
    use attrib_overlay::{Attestation, Identity, Origin, Payload, Record};

    fn patches(page: &Page<'_>) -> Vec<String> {
        page.log
            .views()
            .unwrap()
            .into_iter()
            .map(|v| match v.record.body {
                crate::records::BodyView::Attestation(a) => a.patch,
                _ => String::new(),
            })
            .collect()
    }

    #[test]
    fn pages_after_cursors_give_the_log_in_order_and_nothing_twice() {
        let f = fixture();
        let snap = f.store.snapshot().unwrap();
        let cache = ListingCache::new();
        let q = LogQuery {
            with_reviews: true,
            ..LogQuery::default()
        };
        let Log::Overlay(whole) = log(&snap, None, &q).unwrap() else {
            panic!("not the overlay's log")
        };
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = cache.page(&snap, &q, after, 1).unwrap();
            seen.extend(patches(&page));
            if !page.has_next {
                break;
            }
            after = page.cursors.last().copied();
            // The printed cursor reads back as itself.
            let text = after.unwrap().to_string();
            assert_eq!(Cursor::parse(&text).unwrap(), after.unwrap());
        }
        let all: Vec<String> = whole
            .views()
            .unwrap()
            .into_iter()
            .map(|v| match v.record.body {
                crate::records::BodyView::Attestation(a) => a.patch,
                _ => String::new(),
            })
            .collect();
        assert_eq!(seen, all);
        assert_eq!(seen, ["P4", "P3", "P2", "P1"]);
    }

    #[test]
    fn filters_apply_as_in_the_log_and_a_grown_store_is_seen() {
        let f = fixture();
        let cache = ListingCache::new();
        let q = LogQuery {
            filter: Filter {
                ai_only: true,
                ..Filter::default()
            },
            ..LogQuery::default()
        };
        {
            let snap = f.store.snapshot().unwrap();
            let page = cache.page(&snap, &q, None, 2).unwrap();
            assert_eq!(patches(&page), ["P3", "P2"]);
            assert!(page.has_next);
            let rest = cache
                .page(&snap, &q, page.cursors.last().copied(), 2)
                .unwrap();
            assert_eq!(patches(&rest), ["P1"]);
            assert!(!rest.has_next);
        }
        // A new AI attestation: the cached scan of the old generation must not hide it.
        let ada = Identity::from_secret([1; 32]);
        let team = f.records[0].team_id();
        let newer = ada.sign(
            team,
            Record {
                seq: 5,
                timestamp_ms: T0 + 50 * 60_000,
                origin: Origin::Person,
                payload: Payload::Attest(Attestation {
                    patch: patch("P9"),
                    ai: Some(attrib_overlay::AiAssistance::new(
                        "openai",
                        "gpt-5",
                        attrib_overlay::SuggestionType::Complete,
                    )),
                    description: None,
                    depends_on: vec![],
                    conflicts_with: vec![],
                    replaces: None,
                    line_spans: vec![],
                    contributions: vec![],
                }),
            },
        );
        f.store.ingest(&[newer], T0 + 3_600_000).unwrap();
        let snap = f.store.snapshot().unwrap();
        let page = cache.page(&snap, &q, None, 2).unwrap();
        assert_eq!(patches(&page), ["P9", "P3"]);
    }

    #[test]
    fn a_cursor_that_no_page_gave_is_refused_in_one_line() {
        for bad in ["", "zz", &"g".repeat(48), &"0".repeat(47)] {
            let e = Cursor::parse(bad).unwrap_err().to_string();
            assert!(e.starts_with("invalid cursor"), "{e}");
            assert!(!e.contains('\n'));
        }
    }
}
