//! attrib's overlay: the data model, canonical encoding, signing and verification, team trust,
//! the merged view keyed by patch id, and the embedded sanakirja store with its indexes.
//!
//! No networking and no VCS live here. The design in one paragraph: every claim is a
//! [`SignedRecord`] — an ed25519 signature over domain-separated canonical bytes — and the overlay
//! is the *set* of such records. The [`MergedView`] is a pure function of that set (so merging is
//! commutative, associative and idempotent); each author owns their slots and changes them only
//! with newer records of their own. The [`Store`] keeps the set in a dense append-only log inside
//! one sanakirja file and maintains the same view incrementally, with indexes by patch, author,
//! provider/model and time.

#![warn(missing_docs)]

pub mod audit;
pub mod audit_file;
mod canonical;
pub mod dsse;
pub mod error;
pub mod exchange;
pub mod files;
pub mod ids;
pub mod ingest;
pub mod model;
pub mod peek;
pub mod signed;
pub mod store;
pub mod team;
pub mod view;

pub use audit::{audit, AuditReport};
pub use error::{FormatError, StoreError};
pub use ids::{PatchId, PromptCommitment, PublicKey, RecordId, TeamId};
pub use ingest::{now_ms, Outcome, Refusal};
pub use model::{
    commit_prompt, commit_prompt_with_salt, span_lines, AiAssistance, Attestation, Contribution,
    LineSpan, Origin, Payload, Record, Review, SuggestionType, Verdict,
};
pub use signed::{verify_batch, Identity, SignedRecord};
pub use store::{AttestationQuery, AttestationRow, Snapshot, Store, StoredBody, ViewKind, ViewRow};
pub use team::{Member, Membership};
pub use view::{MergedView, PatchView};
