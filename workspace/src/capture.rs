//! Capture of how AI helped, most explicit source first: flags ([`CaptureInput`]), then
//! `ATTRIB_AI_*` / `ATOMIC_AI_*` environment variables ([`CaptureEnv`]; the names Atomic uses,
//! so agent hooks can export a session once), then the config's `[ai]` table. Message
//! trailers, the weakest source, are read by [`crate::claim::Claim::detect_from`] when none of
//! these decided ([`Captured::decided`]).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context as _, Result};
use attrib_overlay::model::{parse_confidence, parse_milli};
use attrib_overlay::{AiAssistance, PromptCommitment, SuggestionType};

use crate::config::AiConfig;
use crate::Workspace;

/// How AI helped, as a person or a tool says it explicitly (the CLI's `--ai-*` flags). Values
/// are text, parsed and checked by [`capture`], so that an error names the flag.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaptureInput {
    /// The patch was written with AI help (implied by a provider or model).
    pub ai_assisted: bool,
    /// The patch was written without AI help, whatever the environment says.
    pub no_ai: bool,
    /// The AI provider (e.g. `anthropic`).
    pub ai_provider: Option<String>,
    /// The AI model (e.g. `claude-sonnet-4`).
    pub ai_model: Option<String>,
    /// complete, partial, collaborative, inspired, review or refactor.
    pub ai_suggestion_type: Option<String>,
    /// The author's confidence in the AI's part, 0 to 1 or a percentage.
    pub ai_confidence: Option<String>,
    /// Tokens the AI produced.
    pub ai_token_count: Option<String>,
    /// Seconds the author spent reviewing the AI's output.
    pub ai_review_time: Option<String>,
    /// The model's sampling temperature.
    pub ai_temperature: Option<String>,
    /// The model's token limit.
    pub ai_max_tokens: Option<String>,
    /// The model's nucleus-sampling parameter.
    pub ai_top_p: Option<String>,
    /// A precomputed prompt commitment (64 hex digits).
    pub ai_prompt_hash: Option<String>,
    /// A file holding the prompt: only a salted commitment to it is stored.
    pub prompt_file: Option<PathBuf>,
}

/// The capture variables of an environment: `ATTRIB_AI_<NAME>` and `ATOMIC_AI_<NAME>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaptureEnv {
    vars: BTreeMap<String, String>,
}

const PREFIXES: [&str; 2] = ["ATTRIB_AI_", "ATOMIC_AI_"];

impl CaptureEnv {
    /// The capture variables of this process's environment.
    pub fn from_process() -> CaptureEnv {
        CaptureEnv::from_vars(std::env::vars())
    }

    /// The capture variables among `vars` (others are ignored).
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> CaptureEnv {
        CaptureEnv {
            vars: vars
                .into_iter()
                .filter(|(k, _)| PREFIXES.iter().any(|p| k.starts_with(p)))
                .collect(),
        }
    }

    /// One capture variable: `ATTRIB_AI_<NAME>` wins over `ATOMIC_AI_<NAME>`; empty is unset.
    /// Returns the variable's name (for errors) and its value.
    pub fn get(&self, name: &str) -> Option<(String, String)> {
        PREFIXES.iter().find_map(|prefix| {
            let var = format!("{prefix}{name}");
            self.vars
                .get(&var)
                .filter(|v| !v.trim().is_empty())
                .map(|v| (var, v.clone()))
        })
    }
}

/// What the capture sources said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Captured {
    /// How AI helped; `None` for a human-written patch (or when nothing said).
    pub ai: Option<AiAssistance>,
    /// A flag, a variable or the config said whether AI helped. When nothing did, a caller may
    /// still detect AI help from the message's trailers.
    pub decided: bool,
}

/// A flag's value, or the environment's, with the name to blame in errors.
fn pick(
    env: &CaptureEnv,
    flag: &Option<String>,
    flag_name: &str,
    env_name: &str,
) -> Option<(String, String)> {
    match flag {
        Some(v) => Some((flag_name.to_string(), v.clone())),
        None => env.get(env_name),
    }
}

fn parse_with<T>(
    v: Option<(String, String)>,
    f: impl Fn(&str) -> Result<T, attrib_overlay::FormatError>,
) -> Result<Option<T>> {
    v.map(|(source, value)| f(&value).map_err(|e| anyhow!("{source}: {e}")))
        .transpose()
}

fn parse_int<T: std::str::FromStr>(v: Option<(String, String)>) -> Result<Option<T>> {
    v.map(|(source, value)| {
        value
            .trim()
            .parse::<T>()
            .map_err(|_| anyhow!("{source}: {value:?} is not a whole number in range"))
    })
    .transpose()
}

/// A config value, with its key to blame in errors.
fn from_config(value: &Option<String>, key: &str) -> Option<(String, String)> {
    value
        .as_ref()
        .filter(|v| !v.trim().is_empty())
        .map(|v| (format!("config key {key}"), v.clone()))
}

/// Builds the AI part of an attestation from flags, environment and config. A prompt file is
/// committed to here, and its salt kept in the config directory: call this only once the
/// record can be stored (a record whose salt was lost could never be opened).
pub fn capture(ws: &Workspace, input: &CaptureInput, env: &CaptureEnv) -> Result<Captured> {
    let config: &AiConfig = &ws.config()?.ai;
    if input.no_ai {
        return Ok(Captured {
            ai: None,
            decided: true,
        });
    }
    let env_provider = pick(env, &input.ai_provider, "--ai-provider", "PROVIDER");
    let env_model = pick(env, &input.ai_model, "--ai-model", "MODEL");
    let enabled_env = env
        .get("ENABLED")
        .map(|(var, v)| {
            let v = v.trim().to_ascii_lowercase();
            match v.as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(anyhow!("{var}: expected true or false, got {v:?}")),
            }
        })
        .transpose()?;
    let flagged = input.ai_assisted || input.ai_provider.is_some() || input.ai_model.is_some();
    let named_in_env = env_provider.is_some() || env_model.is_some();
    let enabled = flagged
        || match enabled_env {
            Some(e) => e,
            None => named_in_env || config.enabled == Some(true),
        };
    let decided = flagged || enabled_env.is_some() || named_in_env || config.enabled.is_some();
    let provider = env_provider.or_else(|| from_config(&config.provider, "ai.provider"));
    let model = env_model.or_else(|| from_config(&config.model, "ai.model"));
    if !enabled {
        // An explicit detail flag with nothing to attach it to is a mistake, not a human patch;
        // environment variables are ambient and simply unused here.
        let details = [
            ("--ai-suggestion-type", input.ai_suggestion_type.is_some()),
            ("--ai-confidence", input.ai_confidence.is_some()),
            ("--ai-token-count", input.ai_token_count.is_some()),
            ("--ai-review-time", input.ai_review_time.is_some()),
            ("--ai-temperature", input.ai_temperature.is_some()),
            ("--ai-max-tokens", input.ai_max_tokens.is_some()),
            ("--ai-top-p", input.ai_top_p.is_some()),
            ("--ai-prompt-hash", input.ai_prompt_hash.is_some()),
            ("--prompt-file", input.prompt_file.is_some()),
        ];
        if let Some((flag, _)) = details.iter().find(|(_, given)| *given) {
            bail!(
                "{flag} describes AI help, but no AI was named: add --ai-provider and --ai-model \
                 (or drop {flag} for a human-written patch)"
            );
        }
        return Ok(Captured { ai: None, decided });
    }
    let (Some((_, provider)), Some((_, model))) = (provider, model) else {
        bail!(
            "an AI-assisted patch needs a provider and a model: pass --ai-provider and --ai-model \
             (or set ATOMIC_AI_PROVIDER and ATOMIC_AI_MODEL, or `provider` and `model` in the \
             config's [ai] table)"
        );
    };
    let suggestion_type = parse_with(
        pick(
            env,
            &input.ai_suggestion_type,
            "--ai-suggestion-type",
            "SUGGESTION_TYPE",
        ),
        |s| s.parse::<SuggestionType>(),
    )?
    .unwrap_or(SuggestionType::Partial);
    // A prompt file from the environment is read only when the config opts in
    // (`track_prompts`); a --prompt-file flag is an explicit request either way.
    let prompt_file = input.prompt_file.clone().or_else(|| {
        if config.track_prompts == Some(true) {
            env.get("PROMPT_FILE")
                .map(|(_, v)| ws.resolve(std::path::Path::new(v.trim())))
        } else {
            None
        }
    });
    let prompt_commitment = match (
        &prompt_file,
        pick(
            env,
            &input.ai_prompt_hash,
            "--ai-prompt-hash",
            "PROMPT_HASH",
        ),
    ) {
        (Some(path), _) => {
            let prompt = std::fs::read(path)
                .with_context(|| format!("cannot read the prompt file {}", path.display()))?;
            let (commitment, salt) = attrib_overlay::commit_prompt(&prompt)
                .context("the system random source failed")?;
            ws.save_prompt_salt(&commitment.to_hex(), &salt)?;
            Some(commitment)
        }
        (None, Some((source, hex))) => Some(
            hex.parse::<PromptCommitment>()
                .map_err(|_| anyhow!("{source}: a prompt hash must be 64 hex digits"))?,
        ),
        (None, None) => None,
    };
    let ai = AiAssistance {
        provider: provider.trim().to_string(),
        model: model.trim().to_string(),
        suggestion_type,
        prompt_commitment,
        confidence_permille: parse_with(
            pick(env, &input.ai_confidence, "--ai-confidence", "CONFIDENCE"),
            parse_confidence,
        )?,
        token_count: parse_int(pick(
            env,
            &input.ai_token_count,
            "--ai-token-count",
            "TOKEN_COUNT",
        ))?,
        temperature_milli: parse_with(
            pick(
                env,
                &input.ai_temperature,
                "--ai-temperature",
                "TEMPERATURE",
            ),
            |s| parse_milli("temperature", s),
        )?,
        max_tokens: parse_int(pick(
            env,
            &input.ai_max_tokens,
            "--ai-max-tokens",
            "MAX_TOKENS",
        ))?,
        top_p_milli: parse_with(pick(env, &input.ai_top_p, "--ai-top-p", "TOP_P"), |s| {
            parse_milli("top_p", s)
        })?,
        review_seconds: parse_int(pick(
            env,
            &input.ai_review_time,
            "--ai-review-time",
            "REVIEW_TIME",
        ))?,
    };
    if ai.provider.is_empty() || ai.model.is_empty() {
        bail!("the AI provider and model must not be empty");
    }
    Ok(Captured {
        ai: Some(ai),
        decided: true,
    })
}

/// The confidence a claim read from message trailers gets when nothing else says: it is a
/// convention in a message, not a statement by the author at the keyboard.
pub const DETECTED_CONFIDENCE_PERMILLE: u16 = 500;

/// AI help read from a message's trailers, as an attestation's AI part.
pub fn detected(message: &str) -> Option<AiAssistance> {
    let d = attrib_vcs_adapter::trailers::detect(message)?;
    Some(AiAssistance {
        confidence_permille: Some(DETECTED_CONFIDENCE_PERMILLE),
        ..AiAssistance::new(d.provider, d.model, SuggestionType::Partial)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attrib_variables_win_and_empty_ones_are_unset() {
        let env = CaptureEnv::from_vars([
            ("ATOMIC_AI_MODEL".to_string(), "a".to_string()),
            ("ATTRIB_AI_MODEL".to_string(), "b".to_string()),
            ("ATTRIB_AI_PROVIDER".to_string(), " ".to_string()),
            ("ATOMIC_AI_PROVIDER".to_string(), "p".to_string()),
            ("HOME".to_string(), "/root".to_string()),
        ]);
        assert_eq!(
            env.get("MODEL"),
            Some(("ATTRIB_AI_MODEL".into(), "b".into()))
        );
        assert_eq!(
            env.get("PROVIDER"),
            Some(("ATOMIC_AI_PROVIDER".into(), "p".into()))
        );
        assert_eq!(env.get("HOME"), None);
    }
}
