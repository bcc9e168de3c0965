//! SHA-1 and SHA-256, the two object formats git has, for computing stable patch ids in-process
//! exactly as `git patch-id --stable` does (it hashes with the repository's own algorithm).
//!
//! The hashes are RustCrypto's `sha1` and `sha2`; this module picks the repository's and keeps
//! the hex helpers. Checked against the FIPS 180 test vectors below and against `git patch-id`
//! itself in `tests/git.rs`.

/// Which hash a repository's object ids (and so its patch ids) use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Algo {
    /// `objectFormat = sha1`: 40 hex characters.
    Sha1,
    /// `objectFormat = sha256`: 64 hex characters.
    Sha256,
}

impl Algo {
    /// The algorithm whose ids have `len` hex characters.
    pub(crate) fn from_hex_len(len: usize) -> Option<Algo> {
        match len {
            40 => Some(Algo::Sha1),
            64 => Some(Algo::Sha256),
            _ => None,
        }
    }

    /// The raw digest length in bytes.
    pub(crate) fn raw_len(self) -> usize {
        match self {
            Algo::Sha1 => 20,
            Algo::Sha256 => 32,
        }
    }

    /// A fresh hasher.
    pub(crate) fn hasher(self) -> Hasher {
        match self {
            Algo::Sha1 => Hasher::Sha1(sha1::Sha1::default()),
            Algo::Sha256 => Hasher::Sha256(sha2::Sha256::default()),
        }
    }
}

/// A running hash of either kind (the RustCrypto implementations).
#[derive(Clone)]
pub(crate) enum Hasher {
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl Hasher {
    pub(crate) fn update(&mut self, data: &[u8]) {
        use sha2::Digest as _;
        match self {
            Hasher::Sha1(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
        }
    }

    /// The digest (20 or 32 bytes).
    pub(crate) fn finalize(self) -> Vec<u8> {
        use sha2::Digest as _;
        match self {
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
        }
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// The bytes of an even-length hex string (either case), or `None`.
pub(crate) fn from_hex(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    bytes
        .chunks_exact(2)
        .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

/// True for a full object id: 40 or 64 hex characters.
pub(crate) fn is_object_id(text: &str) -> bool {
    Algo::from_hex_len(text.len()).is_some() && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex_of(algo: Algo, data: &[u8]) -> String {
        let mut h = algo.hasher();
        h.update(data);
        to_hex(&h.finalize())
    }

    #[test]
    fn sha1_matches_the_standard_vectors() {
        assert_eq!(
            hex_of(Algo::Sha1, b""),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
        assert_eq!(
            hex_of(Algo::Sha1, b"abc"),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex_of(
                Algo::Sha1,
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            ),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        let million = vec![b'a'; 1_000_000];
        assert_eq!(
            hex_of(Algo::Sha1, &million),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
    }

    #[test]
    fn sha256_matches_the_standard_vectors() {
        assert_eq!(
            hex_of(Algo::Sha256, b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex_of(Algo::Sha256, b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex_of(
                Algo::Sha256,
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            ),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    #[test]
    fn split_updates_equal_one_update() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        for algo in [Algo::Sha1, Algo::Sha256] {
            let whole = hex_of(algo, &data);
            for cut in [0, 1, 55, 56, 63, 64, 65, 127, 128, 999] {
                let mut h = algo.hasher();
                h.update(&data[..cut]);
                h.update(&data[cut..]);
                assert_eq!(to_hex(&h.finalize()), whole, "cut at {cut}");
            }
        }
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(from_hex("00ff10Ab"), Some(vec![0, 255, 16, 171]));
        assert_eq!(to_hex(&[0, 255, 16, 171]), "00ff10ab");
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
        assert!(is_object_id(&"a".repeat(40)));
        assert!(is_object_id(&"0".repeat(64)));
        assert!(!is_object_id(&"a".repeat(41)));
        assert!(!is_object_id(&"g".repeat(40)));
    }
}
