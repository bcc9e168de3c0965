//! Hook input: what each agent's hook system passes on stdin, read into one [`AgentEvent`].
//!
//! | agent | before / after | edit tools | shell | session | model |
//! |---|---|---|---|---|---|
//! | Claude Code | `PreToolUse` / `PostToolUse` | `Write`, `Edit`, `MultiEdit`, `NotebookEdit` | `Bash` | `session_id` | the transcript's last `model` |
//! | Codex (0.124+) | `PreToolUse` / `PostToolUse` | `apply_patch` (its patch names the files) | `Bash` | `session_id` | `model` |
//! | Cursor (1.7+) | `preToolUse` / `postToolUse` | `Write`, `StrReplace`, `Delete`, `ApplyPatch` | `Shell` | `conversation_id` | `model` (or `model_id`) |
//! | Gemini CLI | `BeforeTool` / `AfterTool` | `write_file`, `replace` | `run_shell_command` | `session_id` | the transcript's last `model` |
//! | any other | `attrib/agent-v1` (`event: before \| after`) | the `files` it names | `scan: true` | `session` | `model` |
//!
//! Prompts arrive from `UserPromptSubmit` (Claude Code, Codex), `beforeSubmitPrompt` (Cursor),
//! `BeforeAgent` (Gemini CLI) or `"event": "prompt"` (generic); they are kept, as a salted
//! commitment and never as text, only when the user opted in with `track_prompts`.
//!
//! The generic form, for an agent attrib does not know:
//!
//! ```json
//! {"schema": "attrib/agent-v1", "event": "after", "agent": "my-agent",
//!  "provider": "acme", "model": "acme-coder-2", "session": "s-42",
//!  "cwd": "/home/dev/repo", "files": ["src/lib.rs"]}
//! ```
//!
//! An event attrib has nothing to do with (a read, a search, a session starting) parses to
//! `None`; input that is not JSON, or JSON of no known shape, is an error.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use serde_json::Value;

use super::state::Writer;
use crate::Workspace;

/// The schema name of the generic form.
pub const GENERIC_SCHEMA: &str = "attrib/agent-v1";

/// Before or after the agent acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    /// Before the edit: what changed since the last checkpoint is a person's.
    Before,
    /// After the edit: what changed is the agent's.
    After,
    /// A person gave the agent a prompt (kept, as a salted commitment, only with
    /// `track_prompts`).
    Prompt,
}

/// One hook call, whatever agent made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentEvent {
    /// Before or after the edit.
    pub moment: Moment,
    /// The agent tool: `claude-code`, `codex`, `cursor`, `gemini-cli`, or a generic name.
    pub agent: String,
    /// The model's provider, when the input says.
    pub provider: Option<String>,
    /// The model, when the input says.
    pub model: Option<String>,
    /// The agent's session id.
    pub session: Option<String>,
    /// The agent's transcript, where the model can be read when the input does not say.
    pub transcript: Option<PathBuf>,
    /// The directory relative paths are taken from.
    pub cwd: PathBuf,
    /// The files the edit touches.
    pub files: Vec<PathBuf>,
    /// A shell command: the files are not known, the tree is scanned.
    pub scan: bool,
    /// Text the agent says it wrote (an edit's new text), for an "after" with no "before".
    pub written: Vec<String>,
    /// The agent wrote the whole file.
    pub whole_file: bool,
    /// The prompt's text, for [`Moment::Prompt`].
    pub prompt: Option<String>,
}

/// Which agent wrote the input, as `attrib checkpoint --agent` names it.
pub fn agent_name(flag: &str) -> Option<&'static str> {
    Some(match flag {
        "claude" | "claude-code" => "claude-code",
        "codex" => "codex",
        "cursor" => "cursor",
        "gemini" | "gemini-cli" => "gemini-cli",
        "generic" => "generic",
        _ => return None,
    })
}

/// Reads one hook input. `agent` is the `--agent` the hook was installed with (the input's
/// shape decides when it is `None`); `cwd` is the hook process's directory.
pub fn parse(agent: Option<&str>, input: &[u8], cwd: &Path) -> Result<Option<AgentEvent>> {
    let text = std::str::from_utf8(input.strip_prefix(b"\xef\xbb\xbf").unwrap_or(input))
        .map_err(|_| anyhow!("the hook input is not UTF-8"))?;
    let v: Value = serde_json::from_str(text.trim())
        .map_err(|e| anyhow!("the hook input is not JSON ({e})"))?;
    if !v.is_object() {
        bail!("the hook input is not a JSON object");
    }
    let agent = match agent {
        Some(a) => agent_name(a).ok_or_else(|| anyhow!("unknown agent {a:?}"))?,
        None => detect(&v),
    };
    match agent {
        "generic" => generic(&v, cwd),
        "codex" => codex(&v, cwd),
        "cursor" => cursor(&v, cwd),
        "gemini-cli" => gemini(&v, cwd),
        _ => claude(&v, cwd),
    }
}

/// The agent an input comes from, by its shape.
fn detect(v: &Value) -> &'static str {
    let event = str_of(v, "hook_event_name").unwrap_or("");
    if str_of(v, "schema") == Some(GENERIC_SCHEMA) {
        "generic"
    } else if v.get("cursor_version").is_some() || event.starts_with(char::is_lowercase) {
        "cursor"
    } else if matches!(
        event,
        "BeforeTool" | "AfterTool" | "BeforeAgent" | "AfterAgent" | "BeforeModel" | "AfterModel"
    ) {
        "gemini-cli"
    } else if str_of(v, "tool_name").is_some_and(|t| t.ends_with("apply_patch")) {
        "codex"
    } else {
        "claude-code"
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn owned(v: &Value, key: &str) -> Option<String> {
    str_of(v, key).map(str::to_string)
}

fn cwd_of(v: &Value, fallback: &Path) -> PathBuf {
    str_of(v, "cwd")
        .map(PathBuf::from)
        .or_else(|| {
            v.get("workspace_roots")?
                .as_array()?
                .first()?
                .as_str()
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| fallback.to_path_buf())
}

/// An event with nothing filled in but who and where.
fn event(moment: Moment, agent: &str, v: &Value, cwd: &Path) -> AgentEvent {
    AgentEvent {
        moment,
        agent: agent.to_string(),
        provider: None,
        model: owned(v, "model").filter(|m| m != "default"),
        session: owned(v, "session_id").or_else(|| owned(v, "conversation_id")),
        transcript: owned(v, "transcript_path").map(PathBuf::from),
        cwd: cwd_of(v, cwd),
        files: Vec::new(),
        scan: false,
        written: Vec::new(),
        whole_file: false,
        prompt: None,
    }
}

/// A prompt event: the text the person submitted.
fn prompt(agent: &str, v: &Value, cwd: &Path) -> Result<Option<AgentEvent>> {
    let mut e = event(Moment::Prompt, agent, v, cwd);
    e.prompt = Some(
        v.get("prompt")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("a prompt event carries no \"prompt\" text"))?
            .to_string(),
    );
    Ok(Some(e))
}

/// An agent's hook event names: which mean "before an edit", "after an edit", "a prompt".
struct HookNames {
    /// The agent, as events name it.
    agent: &'static str,
    /// The agent as errors name it.
    shown: &'static str,
    before: &'static [&'static str],
    after: &'static [&'static str],
    prompt: &'static str,
}

/// What a hook input's `hook_event_name` makes of it: the agent's edit event at its moment
/// (before or after), or an answer already (a prompt event, or an event attrib has nothing to
/// do with).
fn tool_event(
    names: &HookNames,
    v: &Value,
    cwd: &Path,
) -> Result<std::result::Result<AgentEvent, Option<AgentEvent>>> {
    let Some(name) = str_of(v, "hook_event_name") else {
        bail!("a {} hook input names no hook_event_name", names.shown);
    };
    Ok(if names.before.contains(&name) {
        Ok(event(Moment::Before, names.agent, v, cwd))
    } else if names.after.contains(&name) {
        Ok(event(Moment::After, names.agent, v, cwd))
    } else if name == names.prompt {
        Err(prompt(names.agent, v, cwd)?)
    } else {
        Err(None)
    })
}

/// The agent wrote the whole file its input names, with the text under `key`.
fn wrote_whole_file(e: &mut AgentEvent, input: &Value, key: &str) {
    e.files = path_in(input).into_iter().collect();
    e.written.extend(owned(input, key));
    e.whole_file = true;
}

/// Claude Code: `PreToolUse` / `PostToolUse` of `Write`, `Edit`, `MultiEdit`, `NotebookEdit`
/// and `Bash`.
fn claude(v: &Value, cwd: &Path) -> Result<Option<AgentEvent>> {
    const NAMES: HookNames = HookNames {
        agent: "claude-code",
        shown: "Claude Code",
        before: &["PreToolUse"],
        after: &["PostToolUse"],
        prompt: "UserPromptSubmit",
    };
    let mut e = match tool_event(&NAMES, v, cwd)? {
        Ok(e) => e,
        Err(done) => return Ok(done),
    };
    e.provider = Some("anthropic".into());
    let input = v.get("tool_input").unwrap_or(&Value::Null);
    match str_of(v, "tool_name").unwrap_or("") {
        "Bash" => e.scan = true,
        "Write" => wrote_whole_file(&mut e, input, "content"),
        "Edit" | "NotebookEdit" => {
            e.files = path_in(input)
                .or_else(|| owned(input, "notebook_path").map(PathBuf::from))
                .into_iter()
                .collect();
            e.written
                .extend(owned(input, "new_string").or_else(|| owned(input, "new_source")));
        }
        "MultiEdit" => {
            e.files = path_in(input).into_iter().collect();
            if let Some(edits) = input.get("edits").and_then(Value::as_array) {
                e.written
                    .extend(edits.iter().filter_map(|x| owned(x, "new_string")));
            }
        }
        _ => return Ok(None),
    }
    Ok(Some(e))
}

/// A tool input's file: `file_path`, or `path` / `filePath` as some agents spell it.
fn path_in(input: &Value) -> Option<PathBuf> {
    owned(input, "file_path")
        .or_else(|| owned(input, "path"))
        .or_else(|| owned(input, "filePath"))
        .map(PathBuf::from)
}

/// Codex: `PreToolUse` / `PostToolUse` of `apply_patch` (files named in its patch) and `Bash`.
fn codex(v: &Value, cwd: &Path) -> Result<Option<AgentEvent>> {
    const NAMES: HookNames = HookNames {
        agent: "codex",
        shown: "Codex",
        before: &["PreToolUse"],
        after: &["PostToolUse"],
        prompt: "UserPromptSubmit",
    };
    let mut e = match tool_event(&NAMES, v, cwd)? {
        Ok(e) => e,
        Err(done) => return Ok(done),
    };
    e.provider = Some("openai".into());
    let input = v.get("tool_input").unwrap_or(&Value::Null);
    let tool = str_of(v, "tool_name").unwrap_or("");
    let tool = tool.strip_prefix("functions.").unwrap_or(tool);
    match tool {
        "apply_patch" | "Edit" | "Write" => {
            let patch = owned(input, "command")
                .or_else(|| owned(input, "patch"))
                .or_else(|| input.as_str().map(str::to_string))
                .unwrap_or_default();
            let (files, added) = patch_files(&patch);
            e.files = files;
            e.written = added;
        }
        "Bash" | "shell" | "exec_command" => e.scan = true,
        _ => return Ok(None),
    }
    Ok(Some(e))
}

/// The files a Codex-format patch touches (`*** Add File:`, `*** Update File:`, `*** Delete
/// File:`, `*** Move to:`) and the lines it adds.
pub fn patch_files(patch: &str) -> (Vec<PathBuf>, Vec<String>) {
    let mut files = Vec::new();
    let mut added = Vec::new();
    for line in patch.lines() {
        let named = [
            "*** Add File:",
            "*** Update File:",
            "*** Delete File:",
            "*** Move to:",
        ]
        .iter()
        .find_map(|p| line.strip_prefix(p));
        if let Some(path) = named {
            let path = PathBuf::from(path.trim());
            if !files.contains(&path) {
                files.push(path);
            }
        } else if let Some(text) = line.strip_prefix('+') {
            added.push(text.to_string());
        }
    }
    (files, added)
}

/// Cursor: `preToolUse` / `postToolUse` of `Write`, `StrReplace`, `Delete`, `ApplyPatch` and
/// `Shell` (and the older `afterFileEdit`).
fn cursor(v: &Value, cwd: &Path) -> Result<Option<AgentEvent>> {
    const NAMES: HookNames = HookNames {
        agent: "cursor",
        shown: "Cursor",
        before: &["preToolUse", "beforeShellExecution"],
        after: &["postToolUse", "afterShellExecution", "afterFileEdit"],
        prompt: "beforeSubmitPrompt",
    };
    let mut e = match tool_event(&NAMES, v, cwd)? {
        Ok(e) => e,
        Err(done) => return Ok(done),
    };
    if e.model.is_none() {
        e.model = owned(v, "model_id").filter(|m| m != "default");
    }
    if str_of(v, "hook_event_name") == Some("afterFileEdit") {
        e.files = path_in(v).into_iter().collect();
        if let Some(edits) = v.get("edits").and_then(Value::as_array) {
            e.written
                .extend(edits.iter().filter_map(|x| owned(x, "new_string")));
        }
        return Ok(Some(e));
    }
    if str_of(v, "hook_event_name").is_some_and(|n| n.ends_with("ShellExecution")) {
        e.scan = true;
        return Ok(Some(e));
    }
    let input = v.get("tool_input").unwrap_or(&Value::Null);
    match str_of(v, "tool_name").unwrap_or("") {
        "Shell" => e.scan = true,
        "Write" => wrote_whole_file(&mut e, input, "content"),
        "StrReplace" | "Edit" | "Delete" => {
            e.files = path_in(input).into_iter().collect();
            e.written.extend(owned(input, "new_string"));
        }
        "ApplyPatch" => {
            let (files, added) = patch_files(&owned(input, "patch").unwrap_or_default());
            e.files = files;
            e.written = added;
        }
        _ => return Ok(None),
    }
    Ok(Some(e))
}

/// Gemini CLI: `BeforeTool` / `AfterTool` of `write_file`, `replace` and `run_shell_command`.
fn gemini(v: &Value, cwd: &Path) -> Result<Option<AgentEvent>> {
    const NAMES: HookNames = HookNames {
        agent: "gemini-cli",
        shown: "Gemini CLI",
        before: &["BeforeTool"],
        after: &["AfterTool"],
        prompt: "BeforeAgent",
    };
    let mut e = match tool_event(&NAMES, v, cwd)? {
        Ok(e) => e,
        Err(done) => return Ok(done),
    };
    e.provider = Some("google".into());
    let input = v.get("tool_input").unwrap_or(&Value::Null);
    match str_of(v, "tool_name").unwrap_or("") {
        "run_shell_command" => e.scan = true,
        "write_file" => wrote_whole_file(&mut e, input, "content"),
        "replace" => {
            e.files = path_in(input).into_iter().collect();
            e.written.extend(owned(input, "new_string"));
        }
        _ => return Ok(None),
    }
    Ok(Some(e))
}

/// The generic form (see the module documentation).
fn generic(v: &Value, cwd: &Path) -> Result<Option<AgentEvent>> {
    if str_of(v, "schema") != Some(GENERIC_SCHEMA) {
        bail!("a generic hook input must say \"schema\": \"{GENERIC_SCHEMA}\"");
    }
    let moment = match str_of(v, "event") {
        Some("before") => Moment::Before,
        Some("after") => Moment::After,
        Some("prompt") => Moment::Prompt,
        other => bail!("\"event\" must be \"before\", \"after\" or \"prompt\", not {other:?}"),
    };
    let agent = str_of(v, "agent")
        .or_else(|| str_of(v, "tool"))
        .ok_or_else(|| anyhow!("a generic hook input must name its \"agent\""))?;
    if moment == Moment::Prompt {
        let mut e = prompt(agent, v, cwd)?;
        if let Some(e) = e.as_mut() {
            e.session = owned(v, "session").or(e.session.take());
            e.provider = owned(v, "provider");
        }
        return Ok(e);
    }
    let mut e = event(moment, agent, v, cwd);
    e.session = owned(v, "session").or(e.session);
    e.provider = owned(v, "provider");
    e.scan = v.get("scan").and_then(Value::as_bool).unwrap_or(false);
    e.files = match v.get("files") {
        None if e.scan => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|f| {
                f.as_str()
                    .filter(|s| !s.trim().is_empty())
                    .map(PathBuf::from)
                    .ok_or_else(|| anyhow!("\"files\" must be a list of paths"))
            })
            .collect::<Result<_>>()?,
        _ => bail!("a generic hook input must list its \"files\" (or say \"scan\": true)"),
    };
    Ok(Some(e))
}

/// The model named last in a transcript (JSON lines or JSON): its last `"model":"…"`. Reads
/// the transcript from its end, 16 KiB first and then four times more at each step up to
/// 1 MiB, so a long session costs the same as a short one and the usual answer (in the last
/// turn) costs one small read.
pub fn model_in_transcript(path: &Path) -> Option<String> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    let mut tail_len: u64 = 16 * 1024;
    loop {
        let start = len.saturating_sub(tail_len);
        f.seek(SeekFrom::Start(start)).ok()?;
        let mut tail = Vec::new();
        (&mut f).take(tail_len).read_to_end(&mut tail).ok()?;
        if let Some(model) = last_model(&tail) {
            return Some(model);
        }
        if start == 0 || tail_len >= 1024 * 1024 {
            return None;
        }
        tail_len *= 4;
    }
}

/// The last usable `"model":"…"` value in `bytes`, searched from the end without decoding the
/// rest (a transcript's tail may start inside a multi-byte character).
fn last_model(bytes: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\"model\":";
    let mut end = bytes.len();
    while let Some(i) = bytes[..end].windows(KEY.len()).rposition(|w| w == KEY) {
        let rest = &bytes[i + KEY.len()..];
        let rest = &rest[rest.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
        if let Some(quoted) = rest.strip_prefix(b"\"") {
            if let Some(close) = quoted.iter().position(|&b| b == b'"') {
                if let Ok(model) = std::str::from_utf8(&quoted[..close]) {
                    if !model.is_empty() && model != "default" && !model.starts_with('<') {
                        return Some(model.to_string());
                    }
                }
            }
        }
        end = i;
    }
    None
}

impl AgentEvent {
    /// Who wrote the edit: the agent, and the provider and model from the input, else the
    /// transcript, else `ATTRIB_AI_*` / `ATOMIC_AI_*`, else the config's `[ai]`, else
    /// `unknown`.
    pub fn writer(&self, ws: &Workspace) -> Result<Writer> {
        let env = crate::capture::CaptureEnv::from_process();
        let mut model = self
            .model
            .clone()
            .or_else(|| self.transcript.as_deref().and_then(model_in_transcript))
            .or_else(|| env.get("MODEL").map(|(_, v)| v.trim().to_string()));
        if model.is_none() {
            model = ws.config().ok().and_then(|c| c.ai.model.clone());
        }
        let model = model.unwrap_or_else(|| "unknown".to_string());
        let provider = self
            .provider
            .clone()
            .or_else(|| env.get("PROVIDER").map(|(_, v)| v.trim().to_string()))
            .or_else(|| ws.config().ok().and_then(|c| c.ai.provider.clone()))
            .unwrap_or_else(|| provider_of_model(&model).to_string());
        Ok(Writer {
            agent: self.agent.clone(),
            provider,
            model,
            session: self.session.clone(),
            prompt: None,
        })
    }
}

/// A provider guessed from a model's name.
pub fn provider_of_model(model: &str) -> &'static str {
    let m = model.to_ascii_lowercase();
    if m.contains("claude") {
        "anthropic"
    } else if m.starts_with("gpt")
        || m.starts_with("o1")
        || m.starts_with("o3")
        || m.starts_with("o4")
        || m.contains("codex")
    {
        "openai"
    } else if m.contains("gemini") {
        "google"
    } else {
        "unknown"
    }
}
