//! Capture of how AI helped, most explicit source first: flags, then `ATTRIB_AI_*` /
//! `ATOMIC_AI_*` environment variables (the names Atomic uses, so agent hooks can export a
//! session once), then the config's `[ai]` table. Message trailers, the weakest source, are read
//! by the caller when none of these decided ([`Captured::decided`]).

use anyhow::{anyhow, bail, Context as _, Result};
use attrib_overlay::model::{parse_confidence, parse_milli};
use attrib_overlay::{AiAssistance, PromptCommitment, SuggestionType};

use crate::args::CaptureArgs;
use crate::config::AiConfig;
use crate::context::Ctx;

/// What the capture sources said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Captured {
    /// How AI helped; `None` for a human-written patch (or when nothing said).
    pub ai: Option<AiAssistance>,
    /// A flag, a variable or the config said whether AI helped. When nothing did, a caller may
    /// still detect AI help from the message's trailers.
    pub decided: bool,
}

/// Reads one capture variable: `ATTRIB_AI_<NAME>` wins over `ATOMIC_AI_<NAME>`; empty is unset.
pub fn env_var(name: &str) -> Option<(String, String)> {
    for prefix in ["ATTRIB_AI_", "ATOMIC_AI_"] {
        let var = format!("{prefix}{name}");
        if let Ok(v) = std::env::var(&var) {
            if !v.trim().is_empty() {
                return Some((var, v));
            }
        }
    }
    None
}

/// A flag's value, or the environment's, with the name to blame in errors.
fn pick(flag: &Option<String>, flag_name: &str, env_name: &str) -> Option<(String, String)> {
    match flag {
        Some(v) => Some((flag_name.to_string(), v.clone())),
        None => env_var(env_name),
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

/// Builds the AI part of an attestation from flags, environment and config.
pub fn capture(args: &CaptureArgs, ctx: &Ctx) -> Result<Captured> {
    let config: &AiConfig = &ctx.config()?.ai;
    if args.no_ai {
        return Ok(Captured {
            ai: None,
            decided: true,
        });
    }
    let env_provider = pick(&args.ai_provider, "--ai-provider", "PROVIDER");
    let env_model = pick(&args.ai_model, "--ai-model", "MODEL");
    let enabled_env = env_var("ENABLED").map(|(var, v)| {
        let v = v.trim().to_ascii_lowercase();
        match v.as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(anyhow!("{var}: expected true or false, got {v:?}")),
        }
    });
    let enabled_env = enabled_env.transpose()?;
    let flagged = args.ai_assisted || args.ai_provider.is_some() || args.ai_model.is_some();
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
            ("--ai-suggestion-type", args.ai_suggestion_type.is_some()),
            ("--ai-confidence", args.ai_confidence.is_some()),
            ("--ai-token-count", args.ai_token_count.is_some()),
            ("--ai-review-time", args.ai_review_time.is_some()),
            ("--ai-temperature", args.ai_temperature.is_some()),
            ("--ai-max-tokens", args.ai_max_tokens.is_some()),
            ("--ai-top-p", args.ai_top_p.is_some()),
            ("--ai-prompt-hash", args.ai_prompt_hash.is_some()),
            ("--prompt-file", args.prompt_file.is_some()),
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
            &args.ai_suggestion_type,
            "--ai-suggestion-type",
            "SUGGESTION_TYPE",
        ),
        |s| s.parse::<SuggestionType>(),
    )?
    .unwrap_or(SuggestionType::Partial);
    // A prompt file from the environment is read only when the config opts in
    // (`track_prompts`); a --prompt-file flag is an explicit request either way.
    let prompt_file = args.prompt_file.clone().or_else(|| {
        if config.track_prompts == Some(true) {
            env_var("PROMPT_FILE").map(|(_, v)| std::path::PathBuf::from(v.trim()))
        } else {
            None
        }
    });
    let prompt_commitment = match (
        &prompt_file,
        pick(&args.ai_prompt_hash, "--ai-prompt-hash", "PROMPT_HASH"),
    ) {
        (Some(path), _) => {
            let prompt = std::fs::read(path)
                .with_context(|| format!("cannot read the prompt file {}", path.display()))?;
            let (commitment, salt) = attrib_overlay::commit_prompt(&prompt)
                .context("the system random source failed")?;
            ctx.save_prompt_salt(&commitment.to_hex(), &salt)?;
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
            pick(&args.ai_confidence, "--ai-confidence", "CONFIDENCE"),
            parse_confidence,
        )?,
        token_count: parse_int(pick(
            &args.ai_token_count,
            "--ai-token-count",
            "TOKEN_COUNT",
        ))?,
        temperature_milli: parse_with(
            pick(&args.ai_temperature, "--ai-temperature", "TEMPERATURE"),
            |s| parse_milli("temperature", s),
        )?,
        max_tokens: parse_int(pick(&args.ai_max_tokens, "--ai-max-tokens", "MAX_TOKENS"))?,
        top_p_milli: parse_with(pick(&args.ai_top_p, "--ai-top-p", "TOP_P"), |s| {
            parse_milli("top_p", s)
        })?,
        review_seconds: parse_int(pick(
            &args.ai_review_time,
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
        provider: d.provider,
        model: d.model,
        suggestion_type: SuggestionType::Partial,
        prompt_commitment: None,
        confidence_permille: Some(DETECTED_CONFIDENCE_PERMILLE),
        token_count: None,
        temperature_milli: None,
        max_tokens: None,
        top_p_milli: None,
        review_seconds: None,
    })
}
