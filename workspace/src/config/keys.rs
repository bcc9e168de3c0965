//! The documented config keys: what `attrib config list` shows and `get`/`set` accept.

/// The type of a config key's value, as `attrib config set` checks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// `true` or `false`.
    Bool,
    /// A non-empty string.
    String,
    /// A list of strings: `a,b` or a TOML array `["a", "b"]` on the command line.
    StringList,
    /// A file path; a relative one is taken from the directory of the file that names it.
    Path,
    /// A table of strings: the key is the table (`models`), and each entry is set as
    /// `table.NAME` (`attrib config set models.opus anthropic/claude-opus-4-6`).
    Table,
}

/// One documented key: what `attrib config list` shows and `get`/`set` accept.
#[derive(Clone, Copy, Debug)]
pub struct KeyDoc {
    /// `table.key`.
    pub key: &'static str,
    /// The type its value must have.
    pub kind: KeyType,
    /// The value in force when no file sets it, as `get` prints it.
    pub default: Option<&'static str>,
    /// What the key does, in one line.
    pub doc: &'static str,
}

/// Every key of [`super::Config`], documented; a test checks this list against the struct, so a key
/// added there without a line here fails the build's tests.
pub const KEYS: &[KeyDoc] = &[
    KeyDoc {
        key: "ai.enabled",
        kind: KeyType::Bool,
        default: Some("false"),
        doc: "what you record is AI-assisted unless a flag or ATTRIB_AI_ENABLED says not",
    },
    KeyDoc {
        key: "ai.provider",
        kind: KeyType::String,
        default: None,
        doc: "AI provider recorded by default (--ai-provider and ATTRIB_AI_PROVIDER win)",
    },
    KeyDoc {
        key: "ai.model",
        kind: KeyType::String,
        default: None,
        doc: "AI model recorded by default (--ai-model and ATTRIB_AI_MODEL win)",
    },
    KeyDoc {
        key: "ai.track_prompts",
        kind: KeyType::Bool,
        default: Some("false"),
        doc: "commit to the prompt in ATTRIB_AI_PROMPT_FILE (a salted hash, never the text)",
    },
    KeyDoc {
        key: "vcs.binary",
        kind: KeyType::String,
        default: Some("pijul"),
        doc: "the patch-store binary to run, e.g. atomic (ATTRIB_VCS_BINARY wins)",
    },
    KeyDoc {
        key: "p2p.peers",
        kind: KeyType::StringList,
        default: None,
        doc: "multiaddrs `attrib node` and `attrib sync` dial at start, besides --peer",
    },
    KeyDoc {
        key: "p2p.listen",
        kind: KeyType::StringList,
        default: None,
        doc: "multiaddrs to listen on unless --listen is given (default: a free TCP and QUIC port)",
    },
    KeyDoc {
        key: "p2p.mdns",
        kind: KeyType::Bool,
        default: Some("true"),
        doc: "find members on the LAN with mDNS (--no-mdns wins)",
    },
    KeyDoc {
        key: "p2p.swarm_key_file",
        kind: KeyType::Path,
        default: None,
        doc: "a pre-shared swarm key file (TCP only); relative to the config file naming it",
    },
    KeyDoc {
        key: "models",
        kind: KeyType::Table,
        default: None,
        doc: "model-name aliases, models.ALIAS = provider/model, over the built-in table (stats and log --model)",
    },
];
