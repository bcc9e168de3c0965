//! AI help detected from a change message's trailers, the weakest capture source: what agents
//! and their users conventionally write into messages.
//!
//! Recognised, in this order (the first match wins):
//! - `Assisted-by: AGENT:MODEL` (the kernel's convention), e.g. `Assisted-by: Claude:claude-opus-4`;
//! - `Co-authored-by: NAME <EMAIL>` where the email or name belongs to a known AI vendor, e.g.
//!   `Co-authored-by: Claude <noreply@anthropic.com>`;
//! - a line starting "Generated with" naming a known tool, e.g. `🤖 Generated with [Claude
//!   Code](https://claude.com/claude-code)`.
//!
//! A detection names a provider and, as well as it can, a model; the caller marks the claim as
//! *detected*, with lower confidence than a captured one.

/// AI help read from a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetectedAi {
    /// The provider the trailer names or implies (`anthropic` for `Claude`, …).
    pub provider: String,
    /// The model as well as the line tells it (a family name when no exact model is given).
    pub model: String,
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

fn vendor_of(text: &str) -> Option<(&'static str, &'static str)> {
    let lower = text.to_ascii_lowercase();
    VENDORS
        .iter()
        .find(|(_, needles, _)| needles.iter().any(|n| lower.contains(n)))
        .map(|(provider, _, model)| (*provider, *model))
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

/// Reads AI help from a message (subject and body). `None` when nothing is recognised.
pub fn detect(message: &str) -> Option<DetectedAi> {
    let lines: Vec<&str> = message.lines().map(str::trim).collect();
    let field = |line: &str, name: &str| -> Option<String> {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_string())
    };

    for line in &lines {
        let Some(value) = field(line, "Assisted-by") else {
            continue;
        };
        let (agent, model) = match value.split_once(':') {
            Some((a, m)) => (a.trim(), m.trim()),
            None => (value.as_str(), ""),
        };
        // `Assisted-by: Claude:claude-3-opus [tools]`: the model is the first word.
        let model = model.split_whitespace().next().unwrap_or("");
        let (provider, default_model) =
            vendor_of(&format!("{agent} {model}")).unwrap_or(("unknown", ""));
        let provider = if provider == "unknown" {
            model_slug(agent)
        } else {
            provider.to_string()
        };
        let model = if model.is_empty() {
            default_model.to_string()
        } else {
            model_slug(model)
        };
        if provider.is_empty() || model.is_empty() {
            continue;
        }
        return Some(DetectedAi {
            provider,
            model,
            evidence: line.to_string(),
        });
    }

    for line in &lines {
        let Some(value) = field(line, "Co-authored-by") else {
            continue;
        };
        let Some((provider, default_model)) = vendor_of(&value) else {
            continue;
        };
        let name = value.split('<').next().unwrap_or("").trim();
        // "Claude Opus 4" names a model; a bare vendor name ("Claude") does not.
        let model = if name.split_whitespace().count() > 1 {
            model_slug(name)
        } else {
            default_model.to_string()
        };
        return Some(DetectedAi {
            provider: provider.to_string(),
            model,
            evidence: line.to_string(),
        });
    }

    for line in &lines {
        let text = line.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
        if !text.to_ascii_lowercase().starts_with("generated with") {
            continue;
        }
        let Some((provider, default_model)) = vendor_of(text) else {
            continue;
        };
        return Some(DetectedAi {
            provider: provider.to_string(),
            model: default_model.to_string(),
            evidence: line.to_string(),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pm(message: &str) -> Option<(String, String)> {
        detect(message).map(|d| (d.provider, d.model))
    }

    fn pair(p: &str, m: &str) -> Option<(String, String)> {
        Some((p.to_string(), m.to_string()))
    }

    #[test]
    fn assisted_by_names_agent_and_model() {
        assert_eq!(
            pm("Fix parser\n\nAssisted-by: Claude:claude-opus-4"),
            pair("anthropic", "claude-opus-4")
        );
        assert_eq!(
            pm("x\n\nassisted-by: Copilot:gpt-4o [tools]"),
            pair("openai", "gpt-4o")
        );
        assert_eq!(pm("x\n\nAssisted-by: Aider"), None);
        assert_eq!(
            pm("x\n\nAssisted-by: Aider:some-model"),
            pair("aider", "some-model")
        );
    }

    #[test]
    fn co_authored_by_a_vendor_address() {
        assert_eq!(
            pm("Add tests\n\nCo-authored-by: Claude <noreply@anthropic.com>"),
            pair("anthropic", "claude")
        );
        assert_eq!(
            pm("Add tests\n\nCo-Authored-By: Claude Sonnet 4.5 <noreply@anthropic.com>"),
            pair("anthropic", "claude-sonnet-4.5")
        );
        // A human co-author is not AI help.
        assert_eq!(pm("x\n\nCo-authored-by: Ada <ada@example.org>"), None);
    }

    #[test]
    fn generated_with_a_known_tool() {
        let d =
            detect("Refactor\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)")
                .unwrap();
        assert_eq!(
            (d.provider.as_str(), d.model.as_str()),
            ("anthropic", "claude")
        );
        assert!(d.evidence.contains("Generated with"));
        assert_eq!(pm("Generated with love"), None);
    }

    #[test]
    fn plain_messages_detect_nothing() {
        assert_eq!(pm(""), None);
        assert_eq!(pm("Fix the claude-adjacent parser"), None);
        assert_eq!(pm("Subject: Assisted-by nobody"), None);
    }
}
