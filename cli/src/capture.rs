//! Capture of how AI helped: flags first, then `ATTRIB_AI_*` / `ATOMIC_AI_*` environment
//! variables (the names Atomic uses), so agent hooks can export a session once.

use anyhow::{anyhow, bail, Context as _, Result};
use attrib_overlay::model::{parse_confidence, parse_milli};
use attrib_overlay::{AiAssistance, PromptCommitment, SuggestionType};

use crate::args::CaptureArgs;
use crate::context::Ctx;

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

/// Builds the AI part of an attestation, or `None` for a human-written patch.
pub fn capture(args: &CaptureArgs, ctx: &Ctx) -> Result<Option<AiAssistance>> {
    if args.no_ai {
        return Ok(None);
    }
    let provider = pick(&args.ai_provider, "--ai-provider", "PROVIDER");
    let model = pick(&args.ai_model, "--ai-model", "MODEL");
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
    let enabled = flagged
        || match enabled_env {
            Some(e) => e,
            None => provider.is_some() || model.is_some(),
        };
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
        return Ok(None);
    }
    let (Some((_, provider)), Some((_, model))) = (provider, model) else {
        bail!(
            "an AI-assisted patch needs a provider and a model: pass --ai-provider and --ai-model \
             (or set ATOMIC_AI_PROVIDER and ATOMIC_AI_MODEL)"
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
    let prompt_commitment = match (
        &args.prompt_file,
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
    Ok(Some(ai))
}
