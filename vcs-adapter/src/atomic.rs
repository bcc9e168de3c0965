//! Atomic (castingclouds/atomic, a fork of Pijul): what its `atomic` binary prints differently
//! from `pijul`, and the AI attribution Atomic keeps in its own changes.
//!
//! The [`Pijul`] driver runs `atomic` with Pijul's command shapes; where Atomic differs it asks
//! this module:
//!
//! - `atomic credit` has no JSON output: [`parse_credit_text`] reads its text (runs of lines
//!   under the 12-character prefixes of the changes that touched them), and the prefixes are
//!   resolved to full hashes from one `atomic log --hash-only`, cached by the driver.
//! - `atomic record` takes no `--all` (it always records every tracked change).
//! - Atomic's own attribution (`atomic record --ai-assisted --ai-provider P --ai-model M`) is
//!   read for the whole channel in one `atomic log --attribution --output-format json`
//!   ([`Pijul::atomic_attribution`], [`parse_log_attribution`]), or for one change with
//!   `atomic attribution --hash H --output-format json` ([`Pijul::atomic_claim`]).
//!
//! What Atomic prints is not all data. Atomic 1.1.0 stores a confidence of 0.8 in every
//! attribution it records, whatever `--ai-confidence` says (that value goes into a field no
//! command prints), and "unknown" for a provider or model not given; a change without
//! attribution prints `AI-Assisted: No`; and a change whose message merely mentions "claude" or
//! "gpt" is printed as AI-assisted by a guess. [`AtomicClaim`] keeps these apart, so an import
//! takes only what the change itself says.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use attrib_overlay::{PatchId, SuggestionType};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::VcsError;
use crate::pijul::{looks_unknown, CreditEntry, Pijul};
use crate::reconcile::is_root;
use crate::vcs::{Vcs, VcsKind};

/// The confidence Atomic 1.1.0 stores in every attribution `atomic record` writes (its
/// `create_attribution_from_env`), whatever `--ai-confidence` was given: Atomic's default, not
/// a measurement.
pub const ATOMIC_DEFAULT_CONFIDENCE: f64 = 0.8;

/// What Atomic writes for a provider or model that was not given.
pub const ATOMIC_PLACEHOLDER: &str = "unknown";

/// The provider Atomic's log names for a guess from a change's message.
const GUESSED_PROVIDER: &str = "auto-detected";

/// How long the change prefixes `atomic credit` prints are.
const CREDIT_PREFIX: usize = 12;

/// What Atomic says about one change's AI help.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum AtomicClaim {
    /// The change carries no attribution. Atomic then prints `AI-Assisted: No`: its default,
    /// not a claim.
    None,
    /// The change carries no attribution, but Atomic guesses AI help from words of its message
    /// ("claude", "gpt", "copilot", …): a guess by Atomic, not a claim.
    Guessed {
        /// The provider Atomic guessed from the word, if it names one.
        provider: Option<String>,
    },
    /// The attribution recorded in the change itself.
    Stated(AtomicAttribution),
}

impl AtomicClaim {
    /// The attribution the change states, if it states one.
    pub fn stated(&self) -> Option<&AtomicAttribution> {
        match self {
            AtomicClaim::Stated(a) => Some(a),
            _ => None,
        }
    }
}

impl fmt::Display for AtomicClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AtomicClaim::None => f.write_str("none (Atomic prints AI-Assisted: No by default)"),
            AtomicClaim::Guessed { provider } => {
                f.write_str("none; Atomic guesses AI help from words of the message")?;
                match provider {
                    Some(p) => write!(f, " ({p}), which is not a claim"),
                    None => f.write_str(", which is not a claim"),
                }
            }
            AtomicClaim::Stated(a) => a.fmt(f),
        }
    }
}

/// The attribution an Atomic change records (`atomic record --ai-assisted …`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AtomicAttribution {
    /// The change says AI helped.
    pub ai_assisted: bool,
    /// The AI provider (`unknown` when none was given to Atomic).
    pub provider: Option<String>,
    /// The model (`unknown` when none was given to Atomic).
    pub model: Option<String>,
    /// How the AI contributed, as Atomic stored it (it stores `complete` when none was given).
    pub suggestion_type: Option<SuggestionType>,
    /// The confidence Atomic printed, 0 to 1.
    pub confidence: Option<f64>,
    /// The confidence is Atomic's default ([`ATOMIC_DEFAULT_CONFIDENCE`]), not data.
    pub confidence_is_default: bool,
}

impl AtomicAttribution {
    /// The confidence, unless it is Atomic's default.
    pub fn stated_confidence(&self) -> Option<f64> {
        self.confidence.filter(|_| !self.confidence_is_default)
    }

    /// The provider, unless Atomic wrote its placeholder.
    pub fn known_provider(&self) -> Option<&str> {
        known(self.provider.as_deref())
    }

    /// The model, unless Atomic wrote its placeholder.
    pub fn known_model(&self) -> Option<&str> {
        known(self.model.as_deref())
    }
}

fn known(s: Option<&str>) -> Option<&str> {
    s.map(str::trim)
        .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case(ATOMIC_PLACEHOLDER))
}

impl fmt::Display for AtomicAttribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.ai_assisted {
            return f.write_str("written without AI");
        }
        write!(
            f,
            "AI-assisted, {}/{}",
            self.provider.as_deref().unwrap_or(ATOMIC_PLACEHOLDER),
            self.model.as_deref().unwrap_or(ATOMIC_PLACEHOLDER)
        )?;
        if let Some(t) = self.suggestion_type {
            write!(f, ", {}", t.as_str())?;
        }
        match self.confidence {
            Some(_) if self.confidence_is_default => f.write_str(", confidence: atomic default"),
            Some(c) => write!(f, ", confidence {}", percent(c)),
            None => Ok(()),
        }
    }
}

/// `0.8` → `80%`, `0.955` → `95.5%`.
pub fn percent(c: f64) -> String {
    let p = (c * 1000.0).round() / 10.0;
    if p.fract() == 0.0 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

/// One change of an Atomic channel with the attribution Atomic prints for it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AtomicChange {
    /// The change's hash.
    pub hash: PatchId,
    /// Its message.
    pub message: String,
    /// Its authors as Atomic prints them.
    pub authors: Vec<String>,
    /// Its timestamp, RFC 3339.
    pub timestamp: String,
    /// What Atomic says about its AI help.
    pub claim: AtomicClaim,
}

/// The attribution fields of Atomic's JSON (`log --attribution` nests them under
/// `attribution`; `attribution --hash` prints them at the top level).
#[derive(Deserialize)]
struct RawAttribution {
    #[serde(default)]
    ai_assisted: bool,
    #[serde(default)]
    ai_provider: Option<String>,
    #[serde(default)]
    ai_model: Option<String>,
    #[serde(default)]
    suggestion_type: Option<String>,
    #[serde(default)]
    confidence: Option<f64>,
}

impl RawAttribution {
    /// Atomic's printed attribution, told apart: a change's attribution always names a model
    /// (Atomic writes `unknown` for one not given), a guess from the message never does.
    fn claim(self) -> Result<AtomicClaim, String> {
        let RawAttribution {
            ai_assisted,
            ai_provider,
            ai_model,
            suggestion_type,
            confidence,
        } = self;
        if ai_model.is_none() {
            return Ok(if ai_assisted {
                AtomicClaim::Guessed {
                    provider: ai_provider.filter(|p| p != GUESSED_PROVIDER),
                }
            } else if ai_provider.is_none() {
                AtomicClaim::None
            } else {
                // A stored attribution that says "no AI" and names a provider but no model:
                // not something Atomic writes, but what it says is plain.
                AtomicClaim::Stated(AtomicAttribution {
                    ai_assisted,
                    provider: ai_provider,
                    model: None,
                    suggestion_type: None,
                    confidence: None,
                    confidence_is_default: false,
                })
            });
        }
        let suggestion_type = match suggestion_type {
            Some(t) => Some(
                t.parse::<SuggestionType>()
                    .map_err(|_| format!("unknown suggestion type {t:?}"))?,
            ),
            None => None,
        };
        if let Some(c) = confidence {
            if !(0.0..=1.0).contains(&c) {
                return Err(format!("confidence {c} is not between 0 and 1"));
            }
        }
        Ok(AtomicClaim::Stated(AtomicAttribution {
            ai_assisted,
            provider: ai_provider,
            model: ai_model,
            suggestion_type,
            confidence,
            confidence_is_default: confidence == Some(ATOMIC_DEFAULT_CONFIDENCE),
        }))
    }
}

/// Parses `atomic log --attribution --output-format json` (newest first, as Atomic prints it):
/// every change with what Atomic says about it, in the order printed. Tags and the root
/// change are left out.
pub fn parse_log_attribution(cmd: &str, text: &str) -> Result<Vec<AtomicChange>, VcsError> {
    let bad = |reason: String| VcsError::Parse {
        cmd: cmd.to_string(),
        reason,
    };
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let entries: Vec<Value> = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        // A tag (`consolidated_changes`), or a bare hash (a change `--ai-only` left out).
        let Value::Object(map) = entry else { continue };
        if map.contains_key("consolidated_changes") || map.get("is_tag") == Some(&Value::Bool(true))
        {
            continue;
        }
        let field = |k: &str| map.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let hash_text = field("hash");
        let hash = PatchId::new(&hash_text)
            .map_err(|e| bad(format!("not a change hash {hash_text:?}: {e}")))?;
        let authors: Vec<String> = map
            .get("authors")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let message = field("message");
        if is_root(&hash) || (message.is_empty() && authors.is_empty()) {
            continue;
        }
        let claim = match map.get("attribution") {
            None | Some(Value::Null) => AtomicClaim::None,
            Some(a) => RawAttribution::deserialize(a)
                .map_err(|e| e.to_string())
                .and_then(RawAttribution::claim)
                .map_err(|e| bad(format!("change {hash}: {e}")))?,
        };
        out.push(AtomicChange {
            hash,
            message,
            authors,
            timestamp: field("timestamp"),
            claim,
        });
    }
    Ok(out)
}

/// Parses `atomic attribution --hash H --output-format json`: a line saying what it analyses,
/// then one JSON object with the change's attribution.
pub fn parse_change_attribution(cmd: &str, text: &str) -> Result<AtomicClaim, VcsError> {
    let bad = |reason: String| VcsError::Parse {
        cmd: cmd.to_string(),
        reason,
    };
    let start = text
        .find('{')
        .ok_or_else(|| bad("no JSON object in the output".to_string()))?;
    let raw: RawAttribution =
        serde_json::from_str(text[start..].trim_end()).map_err(|e| bad(e.to_string()))?;
    raw.claim().map_err(bad)
}

/// Reads `atomic credit FILE`'s text. For each run of lines Atomic prints an empty line, the
/// 12-character prefixes of the changes that touched them (`ABCDEFGHIJKL, MNOPQRSTUVWX`), an
/// empty line, then the lines, each after `> `; conflict markers are lines of their own
/// (`>>>>>>> 1 [ABCDEFGH message]`, `======= 1 …`, `<<<<<<< 1`). `resolve` turns a prefix into
/// the change's full hash (a prefix it does not know is kept as it is, and credits nobody).
///
/// Lines are numbered as Pijul's JSON numbers them: every printed line of the file, the
/// markers included, from 1.
pub fn parse_credit_text(
    text: &str,
    resolve: impl Fn(&str) -> Option<PatchId>,
) -> Vec<CreditEntry> {
    let mut out: Vec<CreditEntry> = Vec::new();
    let mut line = 0usize;
    let mut conflicts: Vec<usize> = Vec::new();
    // The changes named for the run being read, and whether its lines have started.
    let mut changes: Vec<String> = Vec::new();
    let mut open = false;
    for raw in text.lines() {
        if let Some(content) = raw.strip_prefix("> ").or((raw == ">").then_some("")) {
            line += 1;
            match out.last_mut() {
                Some(CreditEntry::Line {
                    line_count,
                    content: text,
                    ..
                }) if open => {
                    *line_count += 1;
                    text.push_str(content);
                    text.push('\n');
                }
                _ => {
                    out.push(CreditEntry::Line {
                        start_line: line,
                        line_count: 1,
                        changes: changes.clone(),
                        conflict: conflicts.last().copied(),
                        content: format!("{content}\n"),
                    });
                    open = true;
                }
            }
            continue;
        }
        open = false;
        if raw.trim().is_empty() {
            continue;
        }
        if let Some((marker, id, sides)) = conflict_marker(raw) {
            line += 1;
            match marker {
                "start" => conflicts.push(id),
                "end" => {
                    if let Some(at) = conflicts.iter().rposition(|c| *c == id) {
                        conflicts.remove(at);
                    }
                }
                _ => {}
            }
            out.push(CreditEntry::Conflict {
                marker: marker.to_string(),
                id,
                sides: sides
                    .iter()
                    .map(|p| resolve(p).map_or_else(|| p.clone(), |h| h.to_string()))
                    .collect(),
            });
            changes.clear();
            continue;
        }
        // The changes of the next run.
        changes = raw
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| resolve(p).map_or_else(|| p.to_string(), |h| h.to_string()))
            .collect();
        changes.sort();
    }
    out
}

/// `>>>>>>> 1 [ABCDEFGH message] …`, `======= 1 …`, `<<<<<<< 1`: the marker's kind, the
/// conflict's number, and the change prefixes of its sides.
fn conflict_marker(raw: &str) -> Option<(&'static str, usize, Vec<String>)> {
    let (kind, rest) = [
        (">>>>>>>", "start"),
        ("=======", "separator"),
        ("<<<<<<<", "end"),
    ]
    .into_iter()
    .find_map(|(m, kind)| raw.strip_prefix(m).map(|rest| (kind, rest)))?;
    let rest = rest.strip_prefix(' ')?;
    let (id, sides) = rest.split_once(' ').unwrap_or((rest, ""));
    let id: usize = id.trim().parse().ok()?;
    let sides = sides
        .split('[')
        .skip(1)
        .filter_map(|s| s.split_whitespace().next())
        .map(|s| s.trim_end_matches(']').to_string())
        .filter(|s| !s.is_empty())
        .collect();
    Some((kind, id, sides))
}

/// The change hashes `atomic log --hash-only` prints, one a line: 53 characters of base32
/// (a tag's lines, printed in full among them, are left out).
pub fn parse_hash_lines(text: &str) -> Vec<PatchId> {
    text.lines()
        .map(str::trim)
        .filter(|l| {
            l.len() == 53
                && l.bytes()
                    .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
        })
        .filter_map(|l| PatchId::new(l).ok())
        .collect()
}

/// The full hashes of an Atomic channel by their credit prefixes, kept between calls of one
/// driver (and its clones): `atomic credit` prints 12-character prefixes.
#[derive(Clone, Debug, Default)]
pub(crate) struct Prefixes(Arc<Mutex<HashMap<String, PatchId>>>);

impl Prefixes {
    /// The change a prefix names: a credit prefix directly, a shorter one (a conflict side's)
    /// when exactly one change starts with it.
    fn get(&self, prefix: &str) -> Option<PatchId> {
        let map = self.0.lock().ok()?;
        if let Some(h) = map.get(prefix) {
            return Some(h.clone());
        }
        if prefix.len() >= CREDIT_PREFIX {
            return None;
        }
        let mut found = map.values().filter(|h| h.as_str().starts_with(prefix));
        match (found.next(), found.next()) {
            (Some(h), None) => Some(h.clone()),
            _ => None,
        }
    }

    fn replace(&self, hashes: Vec<PatchId>) {
        if let Ok(mut map) = self.0.lock() {
            map.clear();
            for h in hashes {
                if let Some(p) = h.as_str().get(..CREDIT_PREFIX) {
                    map.insert(p.to_string(), h.clone());
                }
            }
        }
    }
}

/// An Atomic driver running the same binary as `vcs`, for what only Atomic can answer (its own
/// attribution); `None` when `vcs` drives another store.
pub fn driver_of(vcs: &dyn Vcs) -> Option<Pijul> {
    (vcs.kind() == VcsKind::Atomic).then(|| Pijul::atomic(vcs.repo()).with_binary(vcs.binary_os()))
}

impl Pijul {
    /// What Atomic says about every change of the current channel, newest first: one
    /// `atomic log --attribution --output-format json` for the whole history.
    pub fn atomic_attribution(&self) -> Result<Vec<AtomicChange>, VcsError> {
        let args = ["log", "--attribution", "--output-format", "json"];
        let text = self.stdout(&args)?;
        parse_log_attribution(&self.shown(&args), &text)
    }

    /// What Atomic says about one change: `atomic attribution --hash H --output-format json`.
    pub fn atomic_claim(&self, hash: &PatchId) -> Result<AtomicClaim, VcsError> {
        let args = [
            "attribution",
            "--hash",
            hash.as_str(),
            "--output-format",
            "json",
        ];
        // Atomic keeps a change at `.atomic/changes/AB/CDEF….change`; for one it does not have,
        // it only says "Failed to analyze attribution for hash H".
        let h = hash.as_str();
        let file = (h.len() > 2).then(|| {
            self.repo()
                .join(VcsKind::Atomic.dot_dir())
                .join("changes")
                .join(&h[..2])
                .join(format!("{}.change", &h[2..]))
        });
        if !file.is_some_and(|f| f.is_file()) {
            return Err(VcsError::UnknownChange(hash.to_string()));
        }
        let text = match self.stdout(&args) {
            Err(VcsError::Failed { stderr, .. })
                if looks_unknown(&stderr) || stderr.starts_with("Failed to analyze") =>
            {
                return Err(VcsError::UnknownChange(hash.to_string()))
            }
            other => other?,
        };
        parse_change_attribution(&self.shown(&args), &text)
    }

    /// `atomic credit FILE`, read from its text, each change prefix resolved to its full hash
    /// (re-reading the channel's hashes once when a prefix is new).
    pub(crate) fn atomic_credit(&self, file: &str) -> Result<Vec<CreditEntry>, VcsError> {
        let text = self.stdout(&["credit", file])?;
        let prefixes = &self.prefixes;
        let missing = text
            .lines()
            .filter(|l| !l.starts_with('>') && !l.starts_with('=') && !l.starts_with('<'))
            .flat_map(|l| l.split(','))
            .map(str::trim)
            .filter(|p| p.len() == CREDIT_PREFIX)
            .any(|p| prefixes.get(p).is_none());
        if missing {
            let hashes = parse_hash_lines(&self.stdout(&["log", "--hash-only"])?);
            prefixes.replace(hashes);
        }
        Ok(parse_credit_text(&text, |p| prefixes.get(p)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `atomic log --attribution --output-format json --limit 5` of atomic 1.1.0, after
    /// `ATOMIC_AI_ENABLED=true ATOMIC_AI_PROVIDER=xai ATOMIC_AI_MODEL=grok
    /// ATOMIC_AI_CONFIDENCE=0.3 atomic record -m "env true"`, `ATOMIC_AI_ENABLED=1 … atomic
    /// record -m "env one"`, `atomic record -m "fix with claude help"`, `atomic record
    /// --ai-assisted -m "assisted only"` and `atomic record --ai-provider google --ai-model
    /// gemini -m "provider only"`.
    const LOG: &str = r#"[
  {
    "hash": "T4QMDKXBVPFXRTDFNA3X4C6NQWJ7OS4WJL54ULQLGJTLS6XIHEWAC",
    "authors": [
      "Ada () <ada@example.org>"
    ],
    "timestamp": "2026-12-04T16:47:15.727517628Z",
    "message": "env true",
    "attribution": {
      "ai_assisted": true,
      "ai_provider": "xai",
      "ai_model": "grok",
      "suggestion_type": "Complete",
      "confidence": 0.8
    }
  },
  {
    "hash": "BFUKHTHBUM4Y7HMOKBQVZVZRXWQAPSEIEHZQLRO3WWBBP6SH44LAC",
    "authors": [
      "Ada () <ada@example.org>"
    ],
    "timestamp": "2026-12-04T16:47:15.705904385Z",
    "message": "env one",
    "attribution": {
      "ai_assisted": false
    }
  },
  {
    "hash": "KI6FSUCCAYUXCZLY6XWBRJGHDNYBFR6XHV56DM7A6HYAXMSJLJFQC",
    "authors": [
      "Ada () <ada@example.org>"
    ],
    "timestamp": "2026-12-04T16:47:15.677367322Z",
    "message": "fix with claude help",
    "attribution": {
      "ai_assisted": true,
      "ai_provider": "auto-detected",
      "suggestion_type": "Complete",
      "confidence": 0.5
    }
  },
  {
    "hash": "BLLIISP57S7K2PLFO5DOBE54C2GUZIZ6UOMYP2PF7BYKAGDCCU2AC",
    "authors": [
      "Ada () <ada@example.org>"
    ],
    "timestamp": "2026-12-04T16:47:15.655816503Z",
    "message": "assisted only",
    "attribution": {
      "ai_assisted": true,
      "ai_provider": "unknown",
      "ai_model": "unknown",
      "suggestion_type": "Complete",
      "confidence": 0.8
    }
  },
  {
    "hash": "7WC2ZQ4LZ2OAYLZ2CNMTHTGW2CX5HVSRAH44PKNHI4QWXWCWDVMQC",
    "authors": [
      "Ada () <ada@example.org>"
    ],
    "timestamp": "2026-12-04T16:47:15.627863485Z",
    "message": "provider only",
    "attribution": {
      "ai_assisted": false
    }
  },
  {
    "hash": "Z2KDQHLXHUMIIQMWTBE5V3WWMGUY2S7YN7ZQCIY73DJ7N3OUGZSQC",
    "authors": [],
    "timestamp": "2026-12-04T16:47:07.321486650Z",
    "message": "",
    "attribution": {
      "ai_assisted": false
    }
  }
]"#;

    #[test]
    fn the_log_tells_stated_attribution_from_defaults_and_guesses() {
        let changes = parse_log_attribution("atomic log", LOG).unwrap();
        // The root change (no message, no author) is left out.
        assert_eq!(changes.len(), 5);
        assert_eq!(
            changes[0].hash.as_str(),
            "T4QMDKXBVPFXRTDFNA3X4C6NQWJ7OS4WJL54ULQLGJTLS6XIHEWAC"
        );
        assert_eq!(changes[0].authors, ["Ada () <ada@example.org>"]);
        let stated = changes[0].claim.stated().unwrap();
        assert!(stated.ai_assisted);
        assert_eq!(stated.known_provider(), Some("xai"));
        assert_eq!(stated.known_model(), Some("grok"));
        assert_eq!(stated.suggestion_type, Some(SuggestionType::Complete));
        // ATOMIC_AI_CONFIDENCE=0.3 was given; Atomic printed its 0.8 all the same.
        assert_eq!(stated.confidence, Some(0.8));
        assert!(stated.confidence_is_default);
        assert_eq!(stated.stated_confidence(), None);
        assert_eq!(
            changes[0].claim.to_string(),
            "AI-assisted, xai/grok, complete, confidence: atomic default"
        );
        // No attribution at all: Atomic's "No" is its default.
        assert_eq!(changes[1].claim, AtomicClaim::None);
        assert_eq!(changes[4].claim, AtomicClaim::None);
        // A word in the message: a guess, naming no model.
        assert_eq!(changes[2].claim, AtomicClaim::Guessed { provider: None });
        // `--ai-assisted` alone: Atomic's placeholders.
        let placeholder = changes[3].claim.stated().unwrap();
        assert_eq!(placeholder.provider.as_deref(), Some("unknown"));
        assert_eq!(placeholder.known_provider(), None);
        assert_eq!(placeholder.known_model(), None);
    }

    #[test]
    fn a_confidence_other_than_atomics_default_is_data() {
        let text = r#"[{"hash":"T4QMDKXBVPFXRTDFNA3X4C6NQWJ7OS4WJL54ULQLGJTLS6XIHEWAC","authors":["Ada"],
            "timestamp":"2026-12-04T16:47:15Z","message":"m",
            "attribution":{"ai_assisted":true,"ai_provider":"openai","ai_model":"gpt-5","suggestion_type":"Partial","confidence":0.85}}]"#;
        let changes = parse_log_attribution("atomic log", text).unwrap();
        let a = changes[0].claim.stated().unwrap();
        assert_eq!(a.stated_confidence(), Some(0.85));
        assert_eq!(a.suggestion_type, Some(SuggestionType::Partial));
        assert_eq!(
            a.to_string(),
            "AI-assisted, openai/gpt-5, partial, confidence 85%"
        );
    }

    #[test]
    fn tags_and_bad_entries() {
        let tag = r#"[{"hash":"HDGXJ2AHTLXXAJD5OY3R4MVAFNW7MMDQNY5ER6WRLBTCCKC2MXYQC","version":"1.0",
            "timestamp":"2026-12-04T16:47:15Z","message":"Tag","consolidated_changes":3,"dependency_reduction":2},
            "T4QMDKXBVPFXRTDFNA3X4C6NQWJ7OS4WJL54ULQLGJTLS6XIHEWAC"]"#;
        assert!(parse_log_attribution("atomic log", tag).unwrap().is_empty());
        assert!(parse_log_attribution("atomic log", "").unwrap().is_empty());
        assert!(matches!(
            parse_log_attribution("atomic log", "{oops"),
            Err(VcsError::Parse { .. })
        ));
        let bad_type = r#"[{"hash":"T4QMDKXBVPFXRTDFNA3X4C6NQWJ7OS4WJL54ULQLGJTLS6XIHEWAC","authors":["A"],"message":"m",
            "attribution":{"ai_assisted":true,"ai_provider":"p","ai_model":"m","suggestion_type":"Dreamt"}}]"#;
        let err = parse_log_attribution("atomic log", bad_type).unwrap_err();
        assert!(err.to_string().contains("Dreamt"), "{err}");
        let bad_hash = r#"[{"hash":"no pe!","authors":["A"],"message":"m"}]"#;
        assert!(parse_log_attribution("atomic log", bad_hash).is_err());
    }

    #[test]
    fn one_changes_attribution_follows_a_line_of_text() {
        // `atomic attribution --hash H --output-format json`, a change recorded with
        // `--ai-assisted --ai-provider openai --ai-model gpt-5 --ai-confidence 0.95
        // --ai-suggestion-type partial`.
        let text = "Analyzing attribution for change V4AVNB7K2XBRRR3YGHXYHLNR5P7YL3VYFRQO6DQYJVFJS65E2T4AC...\n\n{\n  \"hash\": \"V4AVNB7K2XBRRR3YGHXYHLNR5P7YL3VYFRQO6DQYJVFJS65E2T4AC\",\n  \"message\": \"ai two\",\n  \"author\": \"Key: 9PoQd3cq\",\n  \"timestamp\": \"Fri, 4 Dec 2026 16:47:15 +0000\",\n  \"ai_assisted\": true,\n  \"ai_provider\": \"openai\",\n  \"ai_model\": \"gpt-5\",\n  \"suggestion_type\": \"Partial\",\n  \"confidence\": 0.8\n}\n";
        let claim = parse_change_attribution("atomic attribution", text).unwrap();
        let a = claim.stated().unwrap();
        assert_eq!(a.known_model(), Some("gpt-5"));
        assert!(
            a.confidence_is_default,
            "0.95 was given; Atomic printed 0.8"
        );
        // The same command's guess names a provider but no model.
        let guess = "Analyzing…\n\n{\"ai_assisted\": true, \"ai_provider\": \"anthropic\", \"ai_model\": null, \"suggestion_type\": \"Complete\", \"confidence\": 0.8}\n";
        assert_eq!(
            parse_change_attribution("atomic attribution", guess).unwrap(),
            AtomicClaim::Guessed {
                provider: Some("anthropic".into())
            }
        );
        assert!(parse_change_attribution("atomic attribution", "no json").is_err());
    }

    const ROOT: &str = "7XJPZQLKZIUDPWXTYCX5BOT2VYGXLZXAX46QGKX7NBRSRAM34PPQC";
    const BASE: &str = "ATR5SWPDJ2MC6O73HISSS7P2LFSMIK5WMC2UZSA7UL6JUEXG3GNAC";
    const TWO: &str = "UJZCMDTDDB4OMRK6URDGW2WUGF7DXEWOQ2JKQZ5A3TFK6BH7PE5AC";
    const ONE: &str = "ZCD5YEEK3MMFO6HABHV3CXBMIP5XXB5HZEIFAF3QTX5ZAEEEPBUQC";

    fn resolver() -> Prefixes {
        let p = Prefixes::default();
        p.replace(
            [ROOT, BASE, TWO, ONE]
                .iter()
                .map(|h| PatchId::new(h).unwrap())
                .collect(),
        );
        p
    }

    #[test]
    fn credit_text_becomes_runs_of_lines_with_full_hashes() {
        // `atomic credit a.txt`: "zero" by 6CX4…, "one" by UQII… (6CX4… inserted above it),
        // then three lines by 6CX4…, one of them empty; an empty run first (the file's name).
        let text = "\nUQII5XZ33SNH\n\n\n6CX4F32BABVX\n\n> zero\n\nUQII5XZ33SNH, 6CX4F32BABVX\n\n> one\n\n6CX4F32BABVX\n\n> two\n> \n> three\n";
        let p = Prefixes::default();
        p.replace(
            [
                "6CX4F32BABVXLS6T66X4JMTWNGV3GWIXH5I5ZUF5W42GIS53AY4AC",
                "UQII5XZ33SNHZQMH7AFD56BMF6I5FIPPZBQYQCZ2DPBLDI6HOF2QC",
            ]
            .iter()
            .map(|h| PatchId::new(h).unwrap())
            .collect(),
        );
        let entries = parse_credit_text(text, |x| p.get(x));
        let lines: Vec<(usize, usize, usize, &str)> = entries
            .iter()
            .map(|e| match e {
                CreditEntry::Line {
                    start_line,
                    line_count,
                    changes,
                    content,
                    ..
                } => (*start_line, *line_count, changes.len(), content.as_str()),
                CreditEntry::Conflict { .. } => panic!("no conflict here"),
            })
            .collect();
        assert_eq!(
            lines,
            [
                (1, 1, 1, "zero\n"),
                (2, 1, 2, "one\n"),
                (3, 3, 1, "two\n\nthree\n")
            ]
        );
        let positions: HashMap<PatchId, usize> = [
            ("UQII5XZ33SNHZQMH7AFD56BMF6I5FIPPZBQYQCZ2DPBLDI6HOF2QC", 0),
            ("6CX4F32BABVXLS6T66X4JMTWNGV3GWIXH5I5ZUF5W42GIS53AY4AC", 1),
        ]
        .into_iter()
        .map(|(h, i)| (PatchId::new(h).unwrap(), i))
        .collect();
        assert_eq!(
            entries[1].inserter(&positions).unwrap().as_str(),
            "UQII5XZ33SNHZQMH7AFD56BMF6I5FIPPZBQYQCZ2DPBLDI6HOF2QC"
        );
    }

    #[test]
    fn credit_text_keeps_conflicts_and_numbers_markers_as_lines() {
        // `atomic credit f` after two changes replaced line 2 in two repositories and one
        // pulled the other's.
        let text = "\nATR5SWPDJ2MC\n\n\nATR5SWPDJ2MC, ZCD5YEEK3MMF, UJZCMDTDDB4O\n\n> a\n>>>>>>> 1 [UJZCMDTD two]\n\nUJZCMDTDDB4O\n\n> B2\n======= 1 [ZCD5YEEK one]\n\nZCD5YEEK3MMF\n\n> B1\n<<<<<<< 1\n\nATR5SWPDJ2MC, ZCD5YEEK3MMF, UJZCMDTDDB4O\n\n> c\n";
        let p = resolver();
        let entries = parse_credit_text(text, |x| p.get(x));
        assert_eq!(entries.len(), 7, "{entries:#?}");
        assert_eq!(
            entries[1],
            CreditEntry::Conflict {
                marker: "start".into(),
                id: 1,
                sides: vec![TWO.into()]
            }
        );
        assert_eq!(
            entries[2],
            CreditEntry::Line {
                start_line: 3,
                line_count: 1,
                changes: vec![TWO.into()],
                conflict: Some(1),
                content: "B2\n".into()
            }
        );
        assert!(
            matches!(&entries[3], CreditEntry::Conflict { marker, sides, .. } if marker == "separator" && sides == &[ONE.to_string()])
        );
        assert!(matches!(
            &entries[4],
            CreditEntry::Line {
                start_line: 5,
                conflict: Some(1),
                ..
            }
        ));
        assert!(
            matches!(&entries[5], CreditEntry::Conflict { marker, sides, .. } if marker == "end" && sides.is_empty())
        );
        assert!(
            matches!(&entries[6], CreditEntry::Line { start_line: 7, conflict: None, changes, .. } if changes.len() == 3)
        );
        // Unknown prefixes are kept, and credit nobody.
        let entries = parse_credit_text(text, |_| None);
        assert!(
            matches!(&entries[0], CreditEntry::Line { changes, .. } if changes.contains(&"ATR5SWPDJ2MC".to_string()))
        );
    }

    #[test]
    fn prefixes_resolve_only_when_unique() {
        let p = resolver();
        assert_eq!(p.get("UJZCMDTD").unwrap().as_str(), TWO);
        assert_eq!(p.get("ZCD5YEEK3MMF").unwrap().as_str(), ONE);
        assert_eq!(p.get("ZZZZZZZZZZZZ"), None);
        assert_eq!(p.get(""), None, "every change starts with the empty prefix");
        assert_eq!(
            parse_hash_lines(&format!("{ONE}\n🏷️  Tag X\n    Tag\n{TWO}\n")).len(),
            2
        );
    }

    #[test]
    fn a_missing_atomic_says_how_to_get_it() {
        let p = Pijul::atomic(".").with_binary("attrib-no-such-atomic-binary");
        let err = p.check_version().unwrap_err().to_string();
        assert!(err.contains("install Atomic"), "{err}");
        assert!(!err.contains("Pijul 1.0.0-beta"), "{err}");
    }

    #[test]
    fn percentages_read_naturally() {
        assert_eq!(percent(0.8), "80%");
        assert_eq!(percent(0.955), "95.5%");
        assert_eq!(percent(1.0), "100%");
    }

    #[test]
    fn a_tag_in_the_log_is_no_change_and_the_state_is_the_newest_changes() {
        // `atomic log --output-format json --state` after `atomic tag create -m v1`.
        let text = r#"[
  {"hash": "7VUAEHA4AEAGRNLFOZQPIWEZY2T2NPLQBTAWFR4DZQ6FELL7XF7AC", "version": null,
   "timestamp": "2026-12-04T16:48:47Z", "message": "Tag", "consolidated_changes": 2,
   "dependency_reduction": 2},
  {"hash": "MYS63MLK42IADTDM3C2HUGOUYI5EIOVFEIJMJHKZ6EXIKL6QH4TAC",
   "state": "7VUAEHA4AEAGRNLFOZQPIWEZY2T2NPLQBTAWFR4DZQ6FELL7XF7AC",
   "authors": ["Ada () <ada@example.org>"], "timestamp": "2026-12-04T16:47:25.677880043Z",
   "message": "plain"},
  {"hash": "I3OAA5COBUUPRKDMNKA6YILAFSFGZNL25UR6A46C4YECIDKQZLZAC",
   "state": "VDEIVOC3I6YCRAGTNACMS67XMWUQAXWAWRX6TS2VRV4BTIDQPFOAC", "authors": [],
   "timestamp": "2026-12-04T16:47:25.677925101Z", "message": ""}
]"#;
        let (state, changes) = crate::pijul::parse_log_with_state("atomic log", text).unwrap();
        assert_eq!(
            state.as_deref(),
            Some("7VUAEHA4AEAGRNLFOZQPIWEZY2T2NPLQBTAWFR4DZQ6FELL7XF7AC")
        );
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].message, "plain");
    }
}
