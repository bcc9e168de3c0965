//! Prompts, when the user opted in (`track_prompts`): a prompt event commits to the prompt's
//! text (the salt stays in the config directory, so only its author can open it) and leaves
//! the commitment in `checkpoints/prompts/`, one file per agent session; the session's next
//! edits carry it into their contributions. Without the opt-in nothing of a prompt is kept.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use attrib_overlay::PromptCommitment;

use super::AgentEvent;
use crate::Workspace;

/// The directory of the sessions' current prompts, inside the working log.
const DIR: &str = "prompts";

/// True when the user opted in to prompt commitments.
pub fn tracked(ws: &Workspace) -> bool {
    ws.config()
        .map(|c| c.ai.track_prompts == Some(true))
        .unwrap_or(false)
}

/// The file that holds the current prompt of the event's session.
fn session_file(log_dir: &Path, event: &AgentEvent) -> PathBuf {
    let mut h = blake3::Hasher::new();
    h.update(event.agent.as_bytes());
    h.update(&[0]);
    h.update(event.session.as_deref().unwrap_or("").as_bytes());
    let name = h.finalize().to_hex();
    log_dir.join(DIR).join(&name.as_str()[..32])
}

/// Commits to a prompt event's text (when prompts are tracked) and makes it its session's
/// current prompt. Returns the commitment, or `None` when prompts are not tracked.
pub fn remember(
    ws: &Workspace,
    log_dir: &Path,
    event: &AgentEvent,
) -> Result<Option<PromptCommitment>> {
    let (Some(text), true) = (&event.prompt, tracked(ws)) else {
        return Ok(None);
    };
    let (commitment, salt) = attrib_overlay::commit_prompt(text.as_bytes())
        .map_err(|e| anyhow::anyhow!("no randomness for the prompt's salt: {e}"))?;
    ws.save_prompt_salt(&commitment.to_hex(), &salt)?;
    let path = session_file(log_dir, event);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    attrib_overlay::files::replace_atomic(&path, commitment.to_hex().as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Some(commitment))
}

/// The current prompt of the event's session, when prompts are tracked and one was seen.
pub fn current(ws: &Workspace, log_dir: &Path, event: &AgentEvent) -> Option<PromptCommitment> {
    if !tracked(ws) {
        return None;
    }
    fs::read_to_string(session_file(log_dir, event))
        .ok()?
        .trim()
        .parse()
        .ok()
}
