//! AI help detected from a change message's trailers, the weakest capture source: what agents
//! and their users conventionally write into messages.
//!
//! Recognised, in this order of precedence:
//! - `Assisted-by: AGENT:MODEL [TOOLS]` (the Linux kernel's convention), e.g. `Assisted-by:
//!   Claude:claude-opus-4-6 coccinelle`: AGENT is the agent tool, MODEL the model, TOOLS are
//!   left out;
//! - `Co-authored-by: NAME <EMAIL>` where the name or the email belongs to a known AI vendor or
//!   agent tool, e.g. `Co-authored-by: Claude <noreply@anthropic.com>`, `Co-authored-by: Copilot
//!   <…@users.noreply.github.com>`, `Co-authored-by: openai-codex <…>`, or names the model in
//!   parentheses, as aider writes it: `Co-authored-by: aider (anthropic/claude-sonnet-4)
//!   <noreply@aider.chat>`;
//! - a line starting "Generated with" naming a known tool, e.g. `🤖 Generated with [Claude
//!   Code](https://claude.com/claude-code)`.
//!
//! A detection names a provider, as well as it can a model, and the agent tool when a line
//! names one (Claude Code, aider, Copilot, Codex, Cursor, Gemini CLI). The first recognised
//! line in the order above decides the provider; another line of the same provider may add
//! what it lacks: the agent tool (Claude Code writes both `Generated with [Claude Code]` and
//! `Co-Authored-By: Claude <noreply@anthropic.com>`), or an exact model where it only gave the
//! vendor's family. The caller marks the claim as *detected*, with lower confidence than a
//! captured one.

/// AI help read from a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetectedAi {
    /// The provider the trailer names or implies (`anthropic` for `Claude`, …).
    pub provider: String,
    /// The model as well as the line tells it (a family name when no exact model is given).
    pub model: String,
    /// The agent tool the message names (`claude-code`, `aider`, `copilot`, `codex`, …), when
    /// it names one.
    pub agent: Option<String>,
    /// The line it was read from, trimmed.
    pub evidence: String,
}

/// Vendors recognised by an email domain or a name fragment, with the model to assume when the
/// message names none.
const VENDORS: &[(&str, &[&str], &str)] = &[
    ("anthropic", &["anthropic.com", "claude"], "claude"),
    (
        "openai",
        &["openai.com", "chatgpt", "codex", "gpt-", "gpt4", "gpt5"],
        "gpt",
    ),
    ("github", &["copilot"], "copilot"),
    ("google", &["google.com", "gemini", "jules"], "gemini"),
    ("mistral", &["mistral", "codestral", "devstral"], "mistral"),
    ("cursor", &["cursor.com", "cursor"], "cursor"),
    ("deepseek", &["deepseek"], "deepseek"),
    ("xai", &["x.ai", "grok"], "grok"),
    ("meta", &["llama"], "llama"),
    ("alibaba", &["qwen"], "qwen"),
];

/// Agent tools recognised by a name fragment (lowercase), with the name attrib stores (the
/// same names agent checkpoints use).
const AGENTS: &[(&str, &[&str])] = &[
    (
        "claude-code",
        &["claude code", "claude-code", "claude.ai/code"],
    ),
    ("aider", &["aider"]),
    ("copilot", &["copilot"]),
    ("codex", &["codex"]),
    ("cursor", &["cursor"]),
    ("gemini-cli", &["gemini cli", "gemini-cli"]),
];

fn vendor_of(text: &str) -> Option<(&'static str, &'static str)> {
    let lower = text.to_ascii_lowercase();
    VENDORS
        .iter()
        .find(|(_, needles, _)| needles.iter().any(|n| lower.contains(n)))
        .map(|(provider, _, model)| (*provider, *model))
}

fn agent_of(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    AGENTS
        .iter()
        .find(|(_, needles)| needles.iter().any(|n| lower.contains(n)))
        .map(|(agent, _)| *agent)
}

/// A model name as attrib stores it: lowercase words joined by `-` ("Claude Opus 4" →
/// "claude-opus-4").
fn model_slug(name: &str) -> String {
    name.split(|c: char| c.is_whitespace() || c == '_')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// One recognised line.
struct Found {
    provider: String,
    model: String,
    /// The line named the model itself (not only the vendor's family).
    exact: bool,
    agent: Option<String>,
    evidence: String,
}

/// A model as a trailer spells it — `claude-sonnet-4`, `anthropic/claude-sonnet-4`,
/// `openrouter/anthropic/claude-3.5-sonnet` — as (provider, model). The provider is the model's
/// known vendor, else the first path segment; `None` when neither says.
fn provider_model(spec: &str) -> (Option<String>, String) {
    let spec = spec.trim();
    let (first, model) = match spec.rsplit_once('/') {
        Some((path, model)) => (path.split('/').next().map(model_slug), model),
        None => (None, spec),
    };
    let provider = vendor_of(model)
        .map(|(p, _)| p.to_string())
        .or(first)
        .filter(|p| !p.is_empty());
    (provider, model_slug(model))
}

/// The value of `line` when it is the trailer `name` (case-insensitive).
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let (key, value) = line.split_once(':')?;
    key.trim()
        .eq_ignore_ascii_case(name)
        .then_some(value.trim())
}

/// `Assisted-by: AGENT:MODEL [TOOLS]`.
fn assisted_by(line: &str) -> Option<Found> {
    let value = field(line, "Assisted-by")?;
    let (agent, model) = match value.split_once(':') {
        Some((a, m)) => (a.trim(), m.trim()),
        None => (value, ""),
    };
    // The model is the first word; analysis tools (coccinelle, sparse) may follow.
    let spec = model.split_whitespace().next().unwrap_or("");
    let (named_provider, model) = provider_model(spec);
    let agent_slug = agent_of(agent)
        .map(str::to_string)
        .unwrap_or_else(|| model_slug(agent));
    let vendor = vendor_of(agent);
    let provider = named_provider
        .or_else(|| vendor.map(|(p, _)| p.to_string()))
        .unwrap_or_else(|| agent_slug.clone());
    let exact = !model.is_empty();
    let model = if exact {
        model
    } else {
        vendor.map(|(_, m)| m.to_string()).unwrap_or_default()
    };
    if provider.is_empty() || model.is_empty() {
        return None;
    }
    Some(Found {
        provider,
        model,
        exact,
        agent: (!agent_slug.is_empty()).then_some(agent_slug),
        evidence: line.to_string(),
    })
}

/// `Co-authored-by: NAME <EMAIL>`, NAME possibly with the model in parentheses.
fn co_authored_by(line: &str) -> Option<Found> {
    let value = field(line, "Co-authored-by")?;
    let (name, email) = match value.split_once('<') {
        Some((n, e)) => (n.trim(), e.trim_end_matches('>').trim()),
        None => (value, ""),
    };
    // `aider (anthropic/claude-sonnet-4)`: the model in parentheses.
    let (name, spec) = match (name.find('('), name.rfind(')')) {
        (Some(open), Some(close)) if open < close => (
            name[..open].trim(),
            Some(name[open + 1..close].trim()).filter(|s| !s.is_empty()),
        ),
        _ => (name, None),
    };
    let agent = agent_of(name).or_else(|| agent_of(email));
    if let Some(spec) = spec {
        let (provider, model) = provider_model(spec);
        // Only an AI names a model: a person's co-author line has no parentheses of this kind,
        // and the name must say what wrote it.
        let who = agent.or_else(|| vendor_of(name).map(|(p, _)| p))?;
        let provider = provider.unwrap_or_else(|| who.to_string());
        if model.is_empty() {
            return None;
        }
        return Some(Found {
            provider,
            model,
            exact: true,
            agent: agent.map(str::to_string),
            evidence: line.to_string(),
        });
    }
    let (provider, default_model) = vendor_of(value)?;
    // "Claude Opus 4" names a model; a bare vendor name ("Claude") or a tool ("Claude Code")
    // does not.
    let exact = agent_of(name).is_none() && name.split_whitespace().count() > 1;
    let model = if exact {
        model_slug(name)
    } else {
        default_model.to_string()
    };
    Some(Found {
        provider: provider.to_string(),
        model,
        exact,
        agent: agent.map(str::to_string),
        evidence: line.to_string(),
    })
}

/// "Generated with TOOL", after any emoji or punctuation.
fn generated_with(line: &str) -> Option<Found> {
    let text = line.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    let lower = text.to_ascii_lowercase();
    let rest = lower.strip_prefix("generated with")?;
    // `[Claude Code](https://claude.com/claude-code)`: the tool is the link's text.
    let tool = match rest.trim().strip_prefix('[') {
        Some(t) => t.split(']').next().unwrap_or(t),
        None => rest,
    };
    let (provider, model) = vendor_of(tool)?;
    Some(Found {
        provider: provider.to_string(),
        model: model.to_string(),
        exact: false,
        agent: agent_of(tool).map(str::to_string),
        evidence: line.to_string(),
    })
}

/// Reads AI help from a message (subject and body). `None` when nothing is recognised.
pub fn detect(message: &str) -> Option<DetectedAi> {
    let lines: Vec<&str> = message.lines().map(str::trim).collect();
    let found: Vec<Found> = [assisted_by, co_authored_by, generated_with]
        .iter()
        .flat_map(|read| lines.iter().filter_map(|l| read(l)))
        .collect();
    let (first, rest) = found.split_first()?;
    let same: Vec<&Found> = rest
        .iter()
        .filter(|f| f.provider == first.provider)
        .collect();
    let model = if first.exact {
        first.model.clone()
    } else {
        same.iter()
            .find(|f| f.exact)
            .map_or_else(|| first.model.clone(), |f| f.model.clone())
    };
    let agent = first
        .agent
        .clone()
        .or_else(|| same.iter().find_map(|f| f.agent.clone()));
    Some(DetectedAi {
        provider: first.provider.clone(),
        model,
        agent,
        evidence: first.evidence.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a message must give: (provider, model, agent tool), or nothing.
    type Expected = Option<(&'static str, &'static str, Option<&'static str>)>;

    /// (message, expected), every trailer form in one table.
    const CASES: &[(&str, Expected)] = &[
        // Assisted-by: AGENT:MODEL [TOOLS], the kernel's form.
        (
            "Fix parser\n\nAssisted-by: Claude:claude-opus-4",
            Some(("anthropic", "claude-opus-4", Some("claude"))),
        ),
        (
            "mm: fix a leak\n\nAssisted-by: Claude:claude-opus-4-6 coccinelle\nSigned-off-by: Ada <ada@example.org>",
            Some(("anthropic", "claude-opus-4-6", Some("claude"))),
        ),
        (
            "x\n\nassisted-by: Copilot:gpt-4o [tools]",
            Some(("openai", "gpt-4o", Some("copilot"))),
        ),
        (
            "x\n\nAssisted-by: Claude Code:claude-sonnet-4-5 sparse smatch",
            Some(("anthropic", "claude-sonnet-4-5", Some("claude-code"))),
        ),
        (
            "x\n\nAssisted-by: aider:anthropic/claude-sonnet-4",
            Some(("anthropic", "claude-sonnet-4", Some("aider"))),
        ),
        (
            "x\n\nAssisted-by: Aider:some-model",
            Some(("aider", "some-model", Some("aider"))),
        ),
        ("x\n\nAssisted-by: Aider", None),
        (
            "x\n\nAssisted-by: Codex",
            Some(("openai", "gpt", Some("codex"))),
        ),
        // Co-authored-by: a vendor's or a tool's address.
        (
            "Add tests\n\nCo-authored-by: Claude <noreply@anthropic.com>",
            Some(("anthropic", "claude", None)),
        ),
        (
            "Add tests\n\nCo-Authored-By: Claude Sonnet 4.5 <noreply@anthropic.com>",
            Some(("anthropic", "claude-sonnet-4.5", None)),
        ),
        (
            "x\n\nCo-authored-by: aider (anthropic/claude-sonnet-4) <noreply@aider.chat>",
            Some(("anthropic", "claude-sonnet-4", Some("aider"))),
        ),
        (
            "x\n\nCo-authored-by: aider (gpt-4o) <noreply@aider.chat>",
            Some(("openai", "gpt-4o", Some("aider"))),
        ),
        (
            "x\n\nCo-authored-by: aider (openrouter/deepseek/deepseek-chat) <noreply@aider.chat>",
            Some(("deepseek", "deepseek-chat", Some("aider"))),
        ),
        (
            "x\n\nCo-authored-by: aider (ollama/my-coder) <noreply@aider.chat>",
            Some(("ollama", "my-coder", Some("aider"))),
        ),
        (
            "x\n\nCo-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>",
            Some(("github", "copilot", Some("copilot"))),
        ),
        (
            "x\n\nCo-authored-by: openai-codex <codex@openai.com>",
            Some(("openai", "gpt", Some("codex"))),
        ),
        (
            "x\n\nCo-authored-by: Codex <noreply@openai.com>",
            Some(("openai", "gpt", Some("codex"))),
        ),
        (
            "x\n\nCo-authored-by: Claude Code <noreply@anthropic.com>",
            Some(("anthropic", "claude", Some("claude-code"))),
        ),
        // A human co-author is not AI help, parentheses or not.
        ("x\n\nCo-authored-by: Ada <ada@example.org>", None),
        ("x\n\nCo-authored-by: Ada (reviewer) <ada@example.org>", None),
        // Generated with a known tool.
        (
            "Refactor\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)",
            Some(("anthropic", "claude", Some("claude-code"))),
        ),
        (
            "x\n\nGenerated with GitHub Copilot",
            Some(("github", "copilot", Some("copilot"))),
        ),
        (
            "x\n\nGenerated with Codex",
            Some(("openai", "gpt", Some("codex"))),
        ),
        ("Generated with love", None),
        // Claude Code writes both lines: the tool from one, the vendor's model from the other.
        (
            "x\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
            Some(("anthropic", "claude", Some("claude-code"))),
        ),
        (
            "x\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\nCo-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>",
            Some(("anthropic", "claude-opus-4.5", Some("claude-code"))),
        ),
        // Assisted-by wins over Co-authored-by; another vendor's tool is not borrowed.
        (
            "x\n\nCo-authored-by: Copilot <1+Copilot@users.noreply.github.com>\nAssisted-by: Claude:claude-opus-4",
            Some(("anthropic", "claude-opus-4", Some("claude"))),
        ),
        (
            "x\n\nCo-authored-by: Claude <noreply@anthropic.com>\nGenerated with GitHub Copilot",
            Some(("anthropic", "claude", None)),
        ),
        // Plain messages.
        ("", None),
        ("Fix the claude-adjacent parser", None),
        ("Subject: Assisted-by nobody", None),
        ("Mention aider in passing", None),
    ];

    #[test]
    fn every_trailer_form() {
        for (message, expected) in CASES {
            let got = detect(message);
            let got = got
                .as_ref()
                .map(|d| (d.provider.as_str(), d.model.as_str(), d.agent.as_deref()));
            assert_eq!(got, *expected, "message {message:?}");
        }
    }

    #[test]
    fn the_evidence_is_the_deciding_line() {
        let d = detect(
            "Refactor\n\n  🤖 Generated with [Claude Code](https://claude.com/claude-code)  \n",
        )
        .expect("detected");
        assert_eq!(
            d.evidence,
            "🤖 Generated with [Claude Code](https://claude.com/claude-code)"
        );
        let d =
            detect("x\n\nSigned-off-by: A <a@b>\nAssisted-by: Claude:claude-opus-4-6 coccinelle")
                .expect("detected");
        assert_eq!(d.evidence, "Assisted-by: Claude:claude-opus-4-6 coccinelle");
    }

    #[test]
    fn model_specs_name_their_provider() {
        let cases = [
            ("claude-sonnet-4", (Some("anthropic"), "claude-sonnet-4")),
            (
                "anthropic/claude-sonnet-4",
                (Some("anthropic"), "claude-sonnet-4"),
            ),
            (
                "openrouter/anthropic/claude-3.5-sonnet",
                (Some("anthropic"), "claude-3.5-sonnet"),
            ),
            ("local/Some Model", (Some("local"), "some-model")),
            ("mystery", (None, "mystery")),
        ];
        for (spec, (provider, model)) in cases {
            let (p, m) = provider_model(spec);
            assert_eq!((p.as_deref(), m.as_str()), (provider, model), "{spec}");
        }
    }
}
