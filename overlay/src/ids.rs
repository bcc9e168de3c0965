//! Identifiers: device public keys, team and record ids (blake3), and patch ids.
//!
//! Every identifier prints as lowercase hex except [`PatchId`], which prints exactly as the VCS
//! spells it. Each type has one canonical binary form so that signatures cover a single byte string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::FormatError;

macro_rules! hex_id {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Lowercase hex, the form used in output and in exports.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
            /// The first `n` hex digits, for tables.
            pub fn short(&self) -> String {
                let mut s = self.to_hex();
                s.truncate(12);
                s
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.short())
            }
        }
        impl FromStr for $name {
            type Err = FormatError;
            fn from_str(s: &str) -> Result<Self, FormatError> {
                let mut out = [0u8; $len];
                hex::decode_to_slice(s.trim(), &mut out).map_err(|_| {
                    FormatError::new(format!(
                        "{} must be {} hex digits, got {:?}",
                        stringify!($name),
                        2 * $len,
                        crate::error::clip(s)
                    ))
                })?;
                Ok($name(out))
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() {
                    s.serialize_str(&self.to_hex())
                } else {
                    self.0.serialize(s)
                }
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                if d.is_human_readable() {
                    let s = String::deserialize(d)?;
                    s.parse().map_err(serde::de::Error::custom)
                } else {
                    Ok($name(<[u8; $len]>::deserialize(d)?))
                }
            }
        }
    };
}

hex_id!(
    /// An ed25519 device public key. The key *is* the author: only it can sign, amend or retract
    /// the records in its slots.
    PublicKey,
    32
);
hex_id!(
    /// A team: the blake3 id of its signed genesis record.
    TeamId,
    32
);
hex_id!(
    /// A record's id: blake3 of its signed message (domain prefix, team, signer, body).
    RecordId,
    32
);
hex_id!(
    /// A salted blake3 commitment to a prompt. The prompt itself is never stored.
    PromptCommitment,
    32
);

/// The longest patch id accepted, in characters.
pub const MAX_PATCH_ID_LEN: usize = 128;

/// A patch id as the VCS spells it: for Pijul and Atomic the 53-character base32 change hash.
///
/// Until a VCS adapter vouches for an id, any 1–128 characters of `A-Za-z0-9_-` are accepted.
/// Canonical binary form: a base32 change hash is stored as its 33 raw bytes (tag 0), anything
/// else as its text (tag 1); text that could have been stored as a hash is not canonical.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PatchId(String);

impl PatchId {
    /// Validates and wraps a patch id.
    pub fn new(s: &str) -> Result<Self, FormatError> {
        if s.is_empty() || s.len() > MAX_PATCH_ID_LEN {
            return Err(FormatError::new(format!(
                "patch id must be 1 to {MAX_PATCH_ID_LEN} characters, got {}",
                s.len()
            )));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(FormatError::new(format!(
                "patch id {:?} has the character {c:?}; only A-Z a-z 0-9 _ - are allowed",
                crate::error::clip(s)
            )));
        }
        Ok(PatchId(s.to_string()))
    }
    /// The id of a Pijul/Atomic change from its 33 raw hash bytes (hash type, then digest).
    pub fn from_change_hash(raw: &[u8; 33]) -> Self {
        PatchId(base32::encode_hash(raw))
    }
    /// The id as the VCS spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// A 64-bit key for the view index. Collisions are harmless: readers compare the full id.
    pub fn index_key(&self) -> u64 {
        let h = blake3::hash(self.0.as_bytes());
        let mut b = [0u8; 8];
        b.copy_from_slice(&h.as_bytes()[..8]);
        u64::from_be_bytes(b)
    }
}

impl fmt::Display for PatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for PatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PatchId({})", self.0)
    }
}
impl FromStr for PatchId {
    type Err = FormatError;
    fn from_str(s: &str) -> Result<Self, FormatError> {
        PatchId::new(s)
    }
}

#[derive(Serialize, Deserialize)]
enum PatchIdWire {
    /// A change hash: its first byte (Pijul's hash-algorithm tag) and the 32 digest bytes.
    Hash(u8, [u8; 32]),
    Text(String),
}

impl Serialize for PatchId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            return s.serialize_str(&self.0);
        }
        match base32::decode_hash(&self.0) {
            Some(raw) => {
                let mut digest = [0u8; 32];
                digest.copy_from_slice(&raw[1..]);
                PatchIdWire::Hash(raw[0], digest).serialize(s)
            }
            None => PatchIdWire::Text(self.0.clone()).serialize(s),
        }
    }
}
impl<'de> Deserialize<'de> for PatchId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        if d.is_human_readable() {
            let s = String::deserialize(d)?;
            return PatchId::new(&s).map_err(D::Error::custom);
        }
        match PatchIdWire::deserialize(d)? {
            PatchIdWire::Hash(tag, digest) => {
                let mut raw = [0u8; 33];
                raw[0] = tag;
                raw[1..].copy_from_slice(&digest);
                Ok(PatchId(base32::encode_hash(&raw)))
            }
            PatchIdWire::Text(s) => {
                if base32::decode_hash(&s).is_some() {
                    return Err(D::Error::custom("non-canonical patch id encoding"));
                }
                PatchId::new(&s).map_err(D::Error::custom)
            }
        }
    }
}

/// Base32 (RFC 4648 alphabet `A-Z2-7`, upper case, no padding) for 33-byte change hashes, as
/// Pijul prints them: 53 characters. The last character carries four data bits and one unused
/// bit that must be zero, so it is always one of the sixteen even-valued letters (`A`, `C`,
/// `E`, …, `6`); Pijul's hashes end in `C`.
///
/// The codec is `data-encoding`'s [`BASE32_NOPAD`]; this module only pins the length, so that
/// a text is taken for a change hash only when it is *exactly* the encoding of 33 bytes: no
/// lower case, no padding, no other length, no set trailing bit. That exactness is what makes
/// the binary form of a [`PatchId`] canonical (one id, one encoding).
pub(crate) mod base32 {
    use data_encoding::BASE32_NOPAD;

    /// Characters in an encoded change hash: ⌈33 × 8 / 5⌉.
    pub const TEXT_LEN: usize = 53;

    /// The hash as Pijul prints it.
    pub fn encode_hash(raw: &[u8; 33]) -> String {
        let mut buf = [0u8; TEXT_LEN];
        encode_hash_str(raw, &mut buf).to_owned()
    }

    /// Encodes into `out` without allocating, and returns it as text: listings print many
    /// hashes (`attrib log` over 100k records), so the display path must not allocate per id.
    pub fn encode_hash_str<'a>(raw: &[u8; 33], out: &'a mut [u8; TEXT_LEN]) -> &'a str {
        // `out` is exactly `BASE32_NOPAD.encode_len(33)` long, so this cannot panic.
        BASE32_NOPAD.encode_mut_str(raw, out)
    }

    /// Some(raw) only when `s` is exactly the encoding of 33 bytes (so the round trip is exact).
    pub fn decode_hash(s: &str) -> Option<[u8; 33]> {
        // The length check first: `decode_mut` requires an output of exactly the decoded
        // length, and every other length is not a change hash anyway.
        if s.len() != TEXT_LEN {
            return None;
        }
        let mut raw = [0u8; 33];
        // BASE32_NOPAD rejects lower case, `=`, and a non-zero trailing bit.
        match BASE32_NOPAD.decode_mut(s.as_bytes(), &mut raw) {
            Ok(33) => Some(raw),
            _ => None,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use proptest::prelude::*;

        #[test]
        fn round_trips_pijul_hashes() {
            let h = "MNYNGT2VGEQZX4QA43FWBDVYQY7CGXN4J2CGE5FDFIHOWQFKFIJQC";
            let raw = decode_hash(h).expect("decodes");
            assert_eq!(encode_hash(&raw), h);
            assert!(decode_hash("MNYNGT2VGEQZX4QA43FWBDVYQY7CGXN4J2CGE5FDFIHOWQFKFIJQD").is_none());
            assert!(decode_hash("short").is_none());
        }

        #[test]
        fn refuses_every_other_spelling() {
            let h = "MNYNGT2VGEQZX4QA43FWBDVYQY7CGXN4J2CGE5FDFIHOWQFKFIJQC";
            // Lower case, padding, one character more or less, a character outside the
            // alphabet: none is a change hash, so none may take the compact binary form.
            assert!(decode_hash(&h.to_lowercase()).is_none());
            assert!(decode_hash(&format!("{}=", &h[..52])).is_none());
            assert!(decode_hash(&format!("{h}=======")).is_none());
            assert!(decode_hash(&format!("{h}A")).is_none());
            assert!(decode_hash(&h[..52]).is_none());
            assert!(decode_hash(&format!("1{}", &h[1..])).is_none());
            assert!(decode_hash(&format!("8{}", &h[1..])).is_none());
            assert!(decode_hash("").is_none());
        }

        /// The hand-written codec this module used before `data-encoding`, kept verbatim as
        /// the oracle: the crate must spell and accept exactly what it did, or stored and
        /// exchanged patch ids would change.
        mod hand_written {
            const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
            const INVALID: u8 = 0xff;
            const DECODE: [u8; 256] = {
                let mut t = [INVALID; 256];
                let mut i = 0;
                while i < 32 {
                    t[ALPHABET[i] as usize] = i as u8;
                    i += 1;
                }
                t
            };

            pub fn encode_hash(raw: &[u8; 33]) -> String {
                let mut out = [0u8; 53];
                for g in 0..6 {
                    let mut v = 0u64;
                    for &b in &raw[g * 5..g * 5 + 5] {
                        v = (v << 8) | b as u64;
                    }
                    for i in 0..8 {
                        out[g * 8 + i] = ALPHABET[((v >> (35 - 5 * i)) & 31) as usize];
                    }
                }
                let v = ((raw[30] as u64) << 16 | (raw[31] as u64) << 8 | raw[32] as u64) << 1;
                for i in 0..5 {
                    out[48 + i] = ALPHABET[((v >> (20 - 5 * i)) & 31) as usize];
                }
                String::from_utf8(out.to_vec()).unwrap_or_default()
            }

            pub fn decode_hash(s: &str) -> Option<[u8; 33]> {
                if s.len() != 53 {
                    return None;
                }
                let mut raw = [0u8; 33];
                let (mut acc, mut bits, mut n) = (0u32, 0u32, 0usize);
                for c in s.bytes() {
                    let v = DECODE[c as usize];
                    if v == INVALID {
                        return None;
                    }
                    let v = v as u32;
                    acc = (acc << 5) | v;
                    bits += 5;
                    if bits >= 8 {
                        bits -= 8;
                        raw[n] = (acc >> bits) as u8;
                        n += 1;
                    }
                    acc &= (1 << bits) - 1;
                }
                (n == 33 && acc == 0).then_some(raw)
            }
        }

        fn raw33() -> impl Strategy<Value = [u8; 33]> {
            prop::collection::vec(any::<u8>(), 33).prop_map(|v| {
                let mut raw = [0u8; 33];
                raw.copy_from_slice(&v);
                raw
            })
        }

        /// Text near a change hash: mostly the alphabet, with lower case, padding, digits
        /// outside the alphabet and a non-ASCII letter mixed in, at and around the length.
        fn near_hash() -> impl Strategy<Value = String> {
            let chars: Vec<char> = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcz=0189é"
                .chars()
                .collect();
            let pick = prop_oneof![
                20 => prop::sample::select(chars[..32].to_vec()),
                1 => prop::sample::select(chars[32..].to_vec()),
            ];
            // Mostly exactly 53 characters, where the length check no longer decides.
            let len = prop_oneof![4 => Just(53usize), 1 => 51usize..=55];
            (len, prop::collection::vec(pick, 55))
                .prop_map(|(n, v)| v.into_iter().take(n).collect())
        }

        proptest! {
            #[test]
            fn encodes_as_the_hand_written_codec_did(raw in raw33()) {
                let text = encode_hash(&raw);
                prop_assert_eq!(&text, &hand_written::encode_hash(&raw));
                let mut buf = [0u8; TEXT_LEN];
                prop_assert_eq!(encode_hash_str(&raw, &mut buf), text.as_str());
                prop_assert_eq!(decode_hash(&text), Some(raw));
            }

            #[test]
            fn accepts_what_the_hand_written_codec_accepted(s in near_hash()) {
                prop_assert_eq!(decode_hash(&s), hand_written::decode_hash(&s));
            }

            #[test]
            fn one_changed_character_is_judged_alike(raw in raw33(), at in 0..TEXT_LEN, c in any::<u8>()) {
                let mut bytes = encode_hash(&raw).into_bytes();
                bytes[at] = c & 0x7f;
                let s = String::from_utf8(bytes).unwrap_or_default();
                prop_assert_eq!(decode_hash(&s), hand_written::decode_hash(&s));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_ids_are_validated() {
        assert!(PatchId::new("abc_DEF-123").is_ok());
        assert!(PatchId::new("").is_err());
        assert!(PatchId::new("a b").is_err());
        assert!(PatchId::new("ä").is_err());
        assert!(PatchId::new(&"x".repeat(129)).is_err());
    }

    #[test]
    fn hash_patch_ids_encode_compactly_and_canonically() {
        let hash = PatchId::new("MNYNGT2VGEQZX4QA43FWBDVYQY7CGXN4J2CGE5FDFIHOWQFKFIJQC").unwrap();
        let bytes = postcard::to_allocvec(&hash).unwrap();
        assert_eq!(bytes.len(), 34);
        assert_eq!(postcard::from_bytes::<PatchId>(&bytes).unwrap(), hash);
        // The same id smuggled in as text is refused: one id, one encoding.
        let text = postcard::to_allocvec(&PatchIdWire::Text(hash.0.clone())).unwrap();
        assert!(postcard::from_bytes::<PatchId>(&text).is_err());
    }
}
