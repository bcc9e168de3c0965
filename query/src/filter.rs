//! What `log` (and the server's listing) selects by: attestation filters and review filters.

use attrib_overlay::peek::AiPeek;
use attrib_overlay::{Payload, PublicKey, SignedRecord, SuggestionType};

use crate::models::{ModelRegistry, ModelSelector};

/// The attestation filters of `attrib log`, applied to decoded records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only AI-assisted claims.
    pub ai_only: bool,
    /// Only claims written without AI.
    pub human_only: bool,
    /// Only this author's claims.
    pub author: Option<PublicKey>,
    /// Only AI claims by this provider: the model's canonical provider or the one recorded
    /// (case aside).
    pub provider: Option<String>,
    /// Only AI claims with this model, matched by canonical name through [`Filter::models`]:
    /// `claude-opus-4.6` and `anthropic/claude-opus-4-6` select every spelling of it.
    pub model: Option<String>,
    /// Only AI claims of this type.
    pub suggestion_type: Option<SuggestionType>,
    /// Only AI claims stating at least this confidence (permille).
    pub min_confidence: Option<u16>,
    /// The registry `provider` and `model` are matched through (default: the built-in table).
    pub models: ModelRegistry,
}

impl Filter {
    /// True when no filter is set: unattested changes are listed too.
    pub fn is_empty(&self) -> bool {
        !self.ai_only
            && !self.human_only
            && self.author.is_none()
            && self.provider.is_none()
            && self.model.is_none()
            && self.suggestion_type.is_none()
            && self.min_confidence.is_none()
    }

    /// True when only AI claims can pass.
    pub fn needs_ai(&self) -> bool {
        self.ai_only
            || self.provider.is_some()
            || self.model.is_some()
            || self.suggestion_type.is_some()
            || self.min_confidence.is_some()
    }

    /// The suggestion-type and confidence tests on a peeked record (the store's index applies
    /// the others).
    pub fn accepts_ai_peek(&self, ai: Option<&AiPeek<'_>>) -> bool {
        match ai {
            None => self.suggestion_type.is_none() && self.min_confidence.is_none(),
            Some(ai) => {
                self.suggestion_type.is_none_or(|t| t == ai.suggestion_type)
                    && self
                        .min_confidence
                        .is_none_or(|min| ai.confidence_permille.is_some_and(|c| c >= min))
            }
        }
    }

    /// The `provider` / `model` tests, by canonical name; it remembers each spelling's answer,
    /// so reuse it over many records ([`Filter::accepts_with`]).
    pub fn model_selector(&self) -> ModelSelector {
        ModelSelector::new(
            &self.models,
            self.provider.as_deref(),
            self.model.as_deref(),
        )
    }

    /// True when the attestation in `r` passes every filter.
    pub fn accepts(&self, r: &SignedRecord) -> bool {
        self.accepts_with(r, &mut self.model_selector())
    }

    /// [`Filter::accepts`] with the selector of [`Filter::model_selector`], kept between
    /// records.
    pub fn accepts_with(&self, r: &SignedRecord, models: &mut ModelSelector) -> bool {
        let Payload::Attest(a) = &r.record.payload else {
            return false;
        };
        if self.author.is_some_and(|k| k != r.signer) {
            return false;
        }
        match &a.ai {
            None => !self.needs_ai(),
            Some(ai) => {
                !self.human_only
                    && models.accepts(&ai.provider, &ai.model)
                    && self.suggestion_type.is_none_or(|t| t == ai.suggestion_type)
                    && self
                        .min_confidence
                        .is_none_or(|min| ai.confidence_permille.is_some_and(|c| c >= min))
            }
        }
    }
}

/// Which patches a review filter keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReviewFilter {
    /// Every patch.
    #[default]
    Any,
    /// Patches with at least one review.
    Reviewed,
    /// Patches nobody reviewed.
    Unreviewed,
}

impl ReviewFilter {
    /// True when a patch with `reviews` reviews passes.
    pub fn keeps(self, reviews: usize) -> bool {
        match self {
            ReviewFilter::Any => true,
            ReviewFilter::Reviewed => reviews > 0,
            ReviewFilter::Unreviewed => reviews == 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::{log, Log, LogQuery};
    use crate::records::BodyView;
    use crate::testing::with_spellings;

    fn patches(snap: &attrib_overlay::Snapshot<'_>, filter: Filter) -> Vec<String> {
        let q = LogQuery {
            filter,
            ..LogQuery::default()
        };
        let Log::Overlay(l) = log(snap, None, &q).unwrap() else {
            panic!("not the overlay's log")
        };
        l.views()
            .unwrap()
            .into_iter()
            .map(|v| match v.record.body {
                BodyView::Attestation(a) => a.patch,
                _ => String::new(),
            })
            .collect()
    }

    #[test]
    fn a_model_filter_matches_every_spelling_of_the_canonical_model() {
        let f = with_spellings();
        let snap = f.store.snapshot().unwrap();
        let by = |provider: Option<&str>, model: Option<&str>| {
            patches(
                &snap,
                Filter {
                    provider: provider.map(str::to_string),
                    model: model.map(str::to_string),
                    ..Filter::default()
                },
            )
        };
        let opus = ["P9", "P7", "P6", "P2"];
        for typed in [
            "claude-opus-4",
            "anthropic/claude-opus-4",
            "Claude Opus 4",
            "claude-4-opus-20250514",
        ] {
            assert_eq!(by(None, Some(typed)), opus, "{typed}");
        }
        assert_eq!(by(Some("anthropic"), Some("claude-opus-4")), opus);
        assert_eq!(
            by(Some("openai"), Some("claude-opus-4")),
            Vec::<String>::new()
        );
        // The provider: canonical (openrouter's claim is anthropic's) or as recorded.
        assert_eq!(by(Some("anthropic"), None), ["P9", "P7", "P6", "P2", "P1"]);
        assert_eq!(by(Some("OpenRouter"), None), ["P9"]);
        // An unknown model matches itself, case aside.
        assert_eq!(by(None, Some("coder-x")), ["P8"]);
        assert_eq!(by(None, Some("claude-opus-9")), Vec::<String>::new());
        // A config alias is matched too.
        let aliased = Filter {
            model: Some("house".into()),
            models: ModelRegistry::builtin().with_aliases([("house", "acme/coder-x")]),
            ..Filter::default()
        };
        assert_eq!(patches(&snap, aliased), ["P8"]);
        // The record-by-record test agrees with the index's answer.
        let filter = Filter {
            model: Some("claude-opus-4.0".into()),
            ..Filter::default()
        };
        let mut sel = filter.model_selector();
        let passed: Vec<bool> = f.records[2..]
            .iter()
            .map(|r| filter.accepts_with(r, &mut sel))
            .collect();
        assert_eq!(passed, [false, true, false, false]);
    }
}
