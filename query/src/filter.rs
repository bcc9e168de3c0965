//! What `log` (and the server's listing) selects by: attestation filters and review filters.

use attrib_overlay::peek::AiPeek;
use attrib_overlay::{Payload, PublicKey, SignedRecord, SuggestionType};

/// The attestation filters of `attrib log`, applied to decoded records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only AI-assisted claims.
    pub ai_only: bool,
    /// Only claims written without AI.
    pub human_only: bool,
    /// Only this author's claims.
    pub author: Option<PublicKey>,
    /// Only AI claims by this provider.
    pub provider: Option<String>,
    /// Only AI claims with this model.
    pub model: Option<String>,
    /// Only AI claims of this type.
    pub suggestion_type: Option<SuggestionType>,
    /// Only AI claims stating at least this confidence (permille).
    pub min_confidence: Option<u16>,
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

    /// True when the attestation in `r` passes every filter.
    pub fn accepts(&self, r: &SignedRecord) -> bool {
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
                    && self.provider.as_ref().is_none_or(|p| *p == ai.provider)
                    && self.model.as_ref().is_none_or(|m| *m == ai.model)
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
