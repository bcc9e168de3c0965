//! DSSE v1 (Dead Simple Signing Envelope) signed with a device's ed25519 key: what
//! `attrib export --format in-toto` wraps each in-toto Statement in, and what `attrib verify`
//! checks.
//!
//! The signature covers the pre-authentication encoding ([`pae`]):
//! `"DSSEv1" SP len(type) SP type SP len(body) SP body`, lengths in ASCII decimal. The envelope's
//! JSON is the spec's: `payload` and `sig` in standard base64 (with padding), `payloadType`, and
//! one signature whose `keyid` is the lowercase hex of the signer's 32-byte ed25519 public key
//! ([`keyid`]), so any DSSE implementation verifies it given that key alone.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::error::FormatError;
use crate::ids::{PatchId, PublicKey};
use crate::signed::Identity;

/// The payload type of an in-toto Statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// The largest payload accepted when reading an envelope, in bytes.
pub const MAX_PAYLOAD: usize = 8 * 1024 * 1024;

/// The pre-authentication encoding DSSE signs.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let head = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    );
    let mut out = Vec::with_capacity(head.len() + payload.len());
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(payload);
    out
}

/// The key id attrib writes in an envelope: the public key itself, in lowercase hex.
pub fn keyid(key: &PublicKey) -> String {
    key.to_hex()
}

/// A DSSE envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// What the payload is ([`IN_TOTO_PAYLOAD_TYPE`] for attrib's statements).
    pub payload_type: String,
    /// The signed bytes.
    pub payload: Vec<u8>,
    /// The signatures: `(keyid, signature bytes)`.
    pub signatures: Vec<(String, Vec<u8>)>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvelopeJson {
    payload: String,
    #[serde(rename = "payloadType")]
    payload_type: String,
    signatures: Vec<SignatureJson>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureJson {
    keyid: String,
    sig: String,
}

impl Envelope {
    /// Signs `payload` as `payload_type` with `identity`'s key.
    pub fn sign(identity: &Identity, payload_type: &str, payload: Vec<u8>) -> Envelope {
        let key = SigningKey::from_bytes(&identity.secret_bytes());
        let sig = key.sign(&pae(payload_type, &payload)).to_bytes().to_vec();
        Envelope {
            payload_type: payload_type.to_string(),
            payload,
            signatures: vec![(keyid(&identity.public()), sig)],
        }
    }

    /// The envelope as one line of JSON (no trailing newline).
    pub fn to_json(&self) -> String {
        let e = EnvelopeJson {
            payload: STANDARD.encode(&self.payload),
            payload_type: self.payload_type.clone(),
            signatures: self
                .signatures
                .iter()
                .map(|(keyid, sig)| SignatureJson {
                    keyid: keyid.clone(),
                    sig: STANDARD.encode(sig),
                })
                .collect(),
        };
        // Plain strings and lists: serializing cannot fail.
        serde_json::to_string(&e).unwrap_or_default()
    }

    /// Whether `text` is shaped like a DSSE envelope (has `payloadType`), so a reader can tell
    /// an envelope from an attrib record before parsing it.
    pub fn looks_like(text: &str) -> bool {
        text.trim_start().starts_with('{') && text.contains("\"payloadType\"")
    }

    /// Parses an envelope's JSON; the signature is not checked here ([`Envelope::verify`]).
    pub fn from_json(text: &str) -> Result<Envelope, FormatError> {
        let e: EnvelopeJson = serde_json::from_str(text)
            .map_err(|e| FormatError::new(format!("not a DSSE envelope: {e}")))?;
        if e.payload.len() > MAX_PAYLOAD * 4 / 3 + 4 {
            return Err(FormatError::new("the envelope's payload is too large"));
        }
        let payload = STANDARD
            .decode(e.payload.as_bytes())
            .map_err(|_| FormatError::new("the envelope's payload is not base64"))?;
        let mut signatures = Vec::with_capacity(e.signatures.len());
        for s in e.signatures {
            let sig = STANDARD
                .decode(s.sig.as_bytes())
                .map_err(|_| FormatError::new("an envelope signature is not base64"))?;
            signatures.push((s.keyid, sig));
        }
        Ok(Envelope {
            payload_type: e.payload_type,
            payload,
            signatures,
        })
    }

    /// Checks the envelope as attrib writes it: exactly one signature, whose key id is an
    /// ed25519 public key in hex and whose signature over [`pae`] verifies (strictly). Returns
    /// the signer.
    pub fn verify(&self) -> Result<PublicKey, FormatError> {
        let [(keyid, sig)] = self.signatures.as_slice() else {
            return Err(FormatError::new(format!(
                "the envelope has {} signatures; attrib writes exactly one",
                self.signatures.len()
            )));
        };
        let key: PublicKey = keyid.parse().map_err(|_| {
            FormatError::new("the envelope's keyid is not an ed25519 public key in hex")
        })?;
        let sig: [u8; 64] = sig
            .as_slice()
            .try_into()
            .map_err(|_| FormatError::new("the envelope's signature is not 64 bytes"))?;
        let ok = VerifyingKey::from_bytes(&key.0).is_ok_and(|k| {
            k.verify_strict(
                &pae(&self.payload_type, &self.payload),
                &Signature::from_bytes(&sig),
            )
            .is_ok()
        });
        if !ok {
            return Err(FormatError::new(
                "bad envelope signature: the statement was forged or altered",
            ));
        }
        Ok(key)
    }
}

/// An in-toto digest of a change, as `(algorithm, value)`: a Pijul/Atomic change hash is the
/// 32-byte blake3 digest its base32 text encodes (`blake3`, hex); any other patch id (a git
/// patch id, a synthetic id) is its own text under `attribPatchId`.
pub fn change_digest(patch: &PatchId) -> (&'static str, String) {
    match crate::ids::base32::decode_hash(patch.as_str()) {
        Some(raw) if raw[0] == 1 => ("blake3", hex::encode(&raw[1..])),
        _ => ("attribPatchId", patch.as_str().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_is_the_spec_s_encoding() {
        // The example from the DSSE specification's protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn an_envelope_round_trips_and_a_changed_byte_is_refused() {
        let id = Identity::from_secret([7; 32]);
        let env = Envelope::sign(&id, IN_TOTO_PAYLOAD_TYPE, b"{\"a\":1}".to_vec());
        let back = Envelope::from_json(&env.to_json()).unwrap();
        assert_eq!(back, env);
        assert_eq!(back.verify().unwrap(), id.public());
        let mut bad = back.clone();
        bad.payload[2] ^= 1;
        assert!(bad.verify().is_err());
        let mut other_type = back;
        other_type.payload_type.push('x');
        assert!(other_type.verify().is_err());
        assert!(Envelope::from_json(
            "{\"payload\":\"!!\",\"payloadType\":\"t\",\"signatures\":[]}"
        )
        .is_err());
    }
}
