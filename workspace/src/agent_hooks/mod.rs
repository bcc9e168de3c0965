//! Agent hooks: installs `attrib checkpoint` into the hook settings of the coding agents attrib
//! reads ([`crate::checkpoint::payload`]), reports whether it is there, and takes it out again.
//!
//! | agent | project file | user file | events (prompts) |
//! |---|---|---|---|
//! | Claude Code | `.claude/settings.json` | `~/.claude/settings.json` | `PreToolUse`, `PostToolUse` (`UserPromptSubmit`) |
//! | Codex | `.codex/config.toml` | `~/.codex/config.toml` | `PreToolUse`, `PostToolUse` (`UserPromptSubmit`) |
//! | Cursor | `.cursor/hooks.json` | `~/.cursor/hooks.json` | `preToolUse`, `postToolUse` (`beforeSubmitPrompt`) |
//! | Gemini CLI | `.gemini/settings.json` | `~/.gemini/settings.json` | `BeforeTool`, `AfterTool` (`BeforeAgent`) |
//!
//! The prompt event is installed only when asked (prompts are committed to only when the user
//! opted in with `ai.track_prompts`).
//!
//! The files belong to the person: every other key and every other hook stays as it was (JSON
//! keys keep their order; Codex's TOML keeps its comments and layout); attrib's own handler is
//! recognised by its command (`… checkpoint --agent …`) and updated in place, never
//! duplicated; installing twice leaves the file byte for byte as it was; a file that cannot be
//! read as its format is an error naming it, and nothing is written. Writes are atomic.

mod claude;
mod codex;
mod cursor;
mod gemini;
pub mod json;
pub mod plan;
mod settings_json;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{anyhow, bail, Context as _, Result};
use serde::Serialize;

use crate::Workspace;
use plan::{Edit, Group};

/// A coding agent whose hooks attrib can install.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Agent {
    /// Anthropic's Claude Code.
    ClaudeCode,
    /// OpenAI's Codex CLI.
    Codex,
    /// Cursor's agent.
    Cursor,
    /// Google's Gemini CLI.
    Gemini,
}

impl Agent {
    /// Every agent, in the order listings show them.
    pub const ALL: [Agent; 4] = [
        Agent::ClaudeCode,
        Agent::Codex,
        Agent::Cursor,
        Agent::Gemini,
    ];

    /// The name `attrib hooks --agent` and `attrib checkpoint --agent` take.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The directory the agent keeps its settings in, in a project and in the home directory
    /// (`.claude`, `.codex`, `.cursor`, `.gemini`).
    pub fn dir(self) -> &'static str {
        self.spec().dir
    }

    /// The agent's hook settings file under `base` (a repository root or the home directory).
    pub fn file_in(self, base: &Path) -> PathBuf {
        let s = self.spec();
        base.join(s.dir).join(s.file)
    }

    /// The events attrib's hook is installed for, with the prompt event when `prompts`.
    pub fn events(self, prompts: bool) -> Vec<&'static str> {
        let s = self.spec();
        let mut events = s.tool_events.to_vec();
        if prompts {
            events.push(s.prompt_event);
        }
        events
    }

    /// What the person must still do before the agent runs the hook, if anything.
    pub fn note(self, scope: Scope) -> Option<&'static str> {
        match (self, scope) {
            (Agent::Codex, Scope::Project) => Some(
                "Codex runs a new or changed hook only once you trust it, and a project's hooks only in a trusted project: open /hooks in Codex to review them",
            ),
            (Agent::Codex, Scope::User) => Some(
                "Codex runs a new or changed hook only once you trust it: open /hooks in Codex to review them",
            ),
            _ => None,
        }
    }

    fn spec(self) -> &'static Spec {
        match self {
            Agent::ClaudeCode => &claude::SPEC,
            Agent::Codex => &codex::SPEC,
            Agent::Cursor => &cursor::SPEC,
            Agent::Gemini => &gemini::SPEC,
        }
    }
}

impl fmt::Display for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Agent {
    type Err = anyhow::Error;

    /// `claude-code` (or `claude`), `codex`, `cursor`, `gemini` (or `gemini-cli`).
    fn from_str(s: &str) -> Result<Agent> {
        Ok(match s {
            "claude-code" | "claude" => Agent::ClaudeCode,
            "codex" => Agent::Codex,
            "cursor" => Agent::Cursor,
            "gemini" | "gemini-cli" => Agent::Gemini,
            other => bail!("unknown agent {other:?} (claude-code, codex, cursor or gemini)"),
        })
    }
}

/// Where a hook is installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The repository's own file (shared with whoever clones it, if committed).
    Project,
    /// The person's file in their home directory: every repository they open.
    User,
}

impl Scope {
    /// `project` or `user`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Project => "project",
            Scope::User => "user",
        }
    }
}

/// The two places settings files are looked for.
#[derive(Clone, Debug)]
pub struct Places {
    /// The repository root, when the command runs inside a repository.
    pub project: Option<PathBuf>,
    /// The person's home directory.
    pub home: PathBuf,
    /// Where the repository was looked for (for the error when there is none).
    pub searched: PathBuf,
}

impl Places {
    /// The places for a workspace: its repository ([`project_root`]) and the home directory.
    pub fn of(ws: &Workspace) -> Result<Places> {
        Ok(Places {
            project: project_root(ws).ok(),
            home: home()?,
            searched: ws.dir().to_path_buf(),
        })
    }

    /// The places for `attrib init` in a workspace: the project is the repository its store is
    /// in, or will be in once init creates it ([`Workspace::new_store_dir`]).
    pub fn for_init(ws: &Workspace) -> Result<Places> {
        let store = match ws.store_dir() {
            Ok(dir) => dir.to_path_buf(),
            Err(_) => ws.new_store_dir(),
        };
        Ok(Places {
            project: Some(store_repository(&store)),
            home: home()?,
            searched: ws.dir().to_path_buf(),
        })
    }

    /// The base directory of a scope.
    pub fn base(&self, scope: Scope) -> Result<&Path> {
        match scope {
            Scope::User => Ok(&self.home),
            Scope::Project => self.project.as_deref().ok_or_else(|| {
                anyhow!(
                    "not in a repository: neither {} nor its parents hold an attrib store, .pijul, .atomic or .git (run it inside the repository, or pass --user for your home directory's settings)",
                    self.searched.display()
                )
            }),
        }
    }

    /// The agent's settings file in a scope.
    pub fn file(&self, agent: Agent, scope: Scope) -> Result<PathBuf> {
        Ok(agent.file_in(self.base(scope)?))
    }
}

/// Whether the prompt hook goes in by default: the config's `ai.track_prompts` (prompts are
/// committed to only then, so without it the hook would have nothing to do).
pub fn track_prompts(ws: &Workspace) -> Result<bool> {
    Ok(ws.config()?.ai.track_prompts == Some(true))
}

/// The person's home directory (`$HOME`).
pub fn home() -> Result<PathBuf> {
    dirs::home_dir().ok_or_else(|| anyhow!("cannot find your home directory; set HOME"))
}

/// The repository a workspace works in, where project hook settings go: the one that holds its
/// attrib store, else the nearest directory (the workspace's or a parent) with a `.pijul`,
/// `.atomic` or `.git`.
pub fn project_root(ws: &Workspace) -> Result<PathBuf> {
    if let Ok(store) = ws.store_dir() {
        return Ok(store_repository(store));
    }
    ws.dir()
        .ancestors()
        .find(|d| {
            d.join(".pijul").is_dir() || d.join(".atomic").is_dir() || d.join(".git").exists()
        })
        .map(Path::to_path_buf)
        .ok_or_else(|| anyhow!("no repository in {} or its parents", ws.dir().display()))
}

/// The repository a store directory belongs to: `ROOT/.pijul/attrib` and `ROOT/.attrib` are
/// both ROOT's.
pub fn store_repository(store_dir: &Path) -> PathBuf {
    let parent = store_dir.parent().unwrap_or(store_dir);
    if parent.file_name().is_some_and(|n| n == ".pijul") {
        parent.parent().unwrap_or(parent).to_path_buf()
    } else {
        parent.to_path_buf()
    }
}

/// The command an agent's hook runs: the attrib binary's absolute path (quoted for the shell
/// when it needs to be: every agent runs a hook's command through a shell), then `checkpoint
/// --agent NAME`.
pub fn hook_command(exe: &Path, agent: Agent) -> Result<String> {
    let path = exe
        .to_str()
        .ok_or_else(|| anyhow!("the attrib binary's path {} is not UTF-8", exe.display()))?;
    if !exe.is_absolute() {
        bail!("the attrib binary's path {path} is not absolute");
    }
    Ok(format!(
        "{} {} {}",
        shell_quote(path),
        plan::MARK,
        agent.name()
    ))
}

/// `s` as one shell word: as it is when every character is plain, else single-quoted.
pub fn shell_quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A value in a handler's fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Scalar {
    Str(String),
    Int(i64),
}

/// One key of attrib's handler.
#[derive(Clone, Debug)]
pub(crate) struct Field {
    pub key: &'static str,
    pub value: Scalar,
    /// Set only where the handler has no value yet (a timeout the person raised stays).
    pub default_only: bool,
}

impl Field {
    fn set(key: &'static str, value: Scalar) -> Field {
        Field {
            key,
            value,
            default_only: false,
        }
    }

    fn default(key: &'static str, value: Scalar) -> Field {
        Field {
            key,
            value,
            default_only: true,
        }
    }
}

/// How an agent's file holds its hooks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `event: [{matcher, hooks: [handler]}]` (Claude Code, Codex, Gemini CLI).
    Nested,
    /// `event: [{command, matcher}]` (Cursor).
    Flat,
}

/// One agent's hook settings: where, which events, what attrib's handler looks like.
pub(crate) struct Spec {
    /// The name `--agent` takes.
    pub name: &'static str,
    /// The settings directory, in the project and in the home directory.
    pub dir: &'static str,
    /// The settings file in it.
    pub file: &'static str,
    pub layout: Layout,
    /// Before and after a tool runs.
    pub tool_events: [&'static str; 2],
    /// The tools the hook runs for (the edit tools and the shell [`crate::checkpoint`] reads).
    pub tool_matcher: &'static str,
    /// A prompt submitted (no matcher).
    pub prompt_event: &'static str,
    /// attrib's handler for a command.
    pub handler: fn(&str) -> Vec<Field>,
    /// A top-level key the file must have, put first in a new file (Cursor's `"version": 1`).
    pub header: Option<(&'static str, i64)>,
}

impl Spec {
    fn matcher(&self, event: &str) -> Option<&'static str> {
        (event != self.prompt_event).then_some(self.tool_matcher)
    }
}

/// A settings file read into memory, in its own format.
pub(crate) trait Settings {
    /// The entries of an event's list (empty when the event is absent).
    fn groups(&self, event: &str) -> Result<Vec<Group>>;
    /// Makes `edits` to an event's list: `matcher` and `handler` are attrib's.
    fn apply(&mut self, event: &str, matcher: Option<&str>, handler: &[Field], edits: &[Edit]);
    /// Removes an event whose list is empty, and the hooks table when nothing is left in it.
    fn prune(&mut self, event: &str);
    /// The file's new text, or `None` when nothing changed.
    fn render(&self) -> Option<String>;
}

fn load(spec: &'static Spec, path: &Path) -> Result<Box<dyn Settings>> {
    let text = match std::fs::read(path) {
        Ok(bytes) => Some(
            String::from_utf8(bytes)
                .map_err(|_| anyhow!("{} is not UTF-8 text", path.display()))?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    if spec.file.ends_with(".toml") {
        Ok(Box::new(codex::TomlSettings::read(path, text.as_deref())?))
    } else {
        Ok(Box::new(settings_json::JsonSettings::read(
            spec,
            path,
            text.as_deref(),
        )?))
    }
}

/// An installation worked out but not written yet ([`prepare`]).
pub struct Prepared {
    installed: Installed,
    text: Option<String>,
}

impl Prepared {
    /// The file it writes.
    pub fn path(&self) -> &Path {
        &self.installed.path
    }

    /// Writes the file (when anything changed).
    pub fn apply(self) -> Result<Installed> {
        if let Some(text) = &self.text {
            write(&self.installed.path, text)?;
        }
        Ok(self.installed)
    }
}

/// What an installation did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Installed {
    /// The agent.
    pub agent: Agent,
    /// Project or user.
    pub scope: Scope,
    /// The settings file.
    pub path: PathBuf,
    /// The file was written (false: attrib's hooks were already there, exactly).
    pub changed: bool,
    /// An attrib entry that was there (another binary's path, an older matcher) was updated.
    pub updated: bool,
    /// The events attrib's hook is installed for.
    pub events: Vec<&'static str>,
    /// What the person must still do ([`Agent::note`]).
    pub note: Option<&'static str>,
}

impl Serialize for Agent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Works out installing attrib's hook for `agent` in `scope`, running `exe`, without writing:
/// a file that cannot be read fails here, before anything else is done.
pub fn prepare(
    places: &Places,
    agent: Agent,
    scope: Scope,
    exe: &Path,
    prompts: bool,
) -> Result<Prepared> {
    let path = places.file(agent, scope)?;
    let spec = agent.spec();
    let command = hook_command(exe, agent)?;
    let handler = (spec.handler)(&command);
    let events = agent.events(prompts);
    let mut updated = false;
    let text = (|| -> Result<Option<String>> {
        let mut settings = load(spec, &path)?;
        for event in &events {
            let matcher = spec.matcher(event);
            let edits = plan::install(&settings.groups(event)?, matcher);
            let before = settings.render();
            settings.apply(event, matcher, &handler, &edits);
            // "Updated" only when an entry that was there changed, not when one was added.
            updated |= edits.iter().any(|e| matches!(e, Edit::SetHandler(..)))
                && settings.render() != before;
        }
        Ok(settings.render())
    })()
    .map_err(|e| anyhow!("{e:#}; nothing was written"))?;
    Ok(Prepared {
        installed: Installed {
            agent,
            scope,
            path,
            changed: text.is_some(),
            updated,
            events,
            note: agent.note(scope),
        },
        text,
    })
}

/// Installs attrib's hook for `agent` in `scope` ([`prepare`], then [`Prepared::apply`]).
pub fn install(
    places: &Places,
    agent: Agent,
    scope: Scope,
    exe: &Path,
    prompts: bool,
) -> Result<Installed> {
    prepare(places, agent, scope, exe, prompts)?.apply()
}

/// What an uninstallation did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Removed {
    /// The agent.
    pub agent: Agent,
    /// Project or user.
    pub scope: Scope,
    /// The settings file.
    pub path: PathBuf,
    /// The events attrib's hook was removed from (empty: there was none).
    pub events: Vec<&'static str>,
}

/// Removes attrib's hook for `agent` from its file in `scope`; everything else stays.
pub fn uninstall(places: &Places, agent: Agent, scope: Scope) -> Result<Removed> {
    let path = places.file(agent, scope)?;
    let spec = agent.spec();
    let mut events = Vec::new();
    let text = (|| -> Result<Option<String>> {
        let mut settings = load(spec, &path)?;
        for event in agent.events(true) {
            let edits = plan::uninstall(&settings.groups(event)?);
            if !edits.is_empty() {
                settings.apply(event, None, &[], &edits);
                settings.prune(event);
                events.push(event);
            }
        }
        Ok(settings.render())
    })()
    .map_err(|e| anyhow!("{e:#}; nothing was written"))?;
    if let Some(text) = text {
        write(&path, &text)?;
    }
    Ok(Removed {
        agent,
        scope,
        path,
        events,
    })
}

/// How much of attrib's hook a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Coverage {
    /// Every event it should have.
    All,
    /// Some of them.
    Some,
    /// None.
    None,
}

/// One agent's hook in one scope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HookStatus {
    /// The agent.
    pub agent: Agent,
    /// Project or user.
    pub scope: Scope,
    /// The settings file.
    pub path: PathBuf,
    /// The file exists.
    pub exists: bool,
    /// Whether attrib's hook is there for all the events it should be, some, or none.
    pub installed: Coverage,
    /// The events that have attrib's hook.
    pub events: Vec<String>,
    /// The events that should have it and do not.
    pub missing: Vec<&'static str>,
    /// An attrib entry runs another command or matches other tools than `attrib hooks install`
    /// would write now (another binary, an older attrib): installing again updates it.
    pub outdated: bool,
    /// What the person must still do ([`Agent::note`]), when attrib's hook is there.
    pub note: Option<&'static str>,
    /// Why the file could not be read.
    pub error: Option<String>,
}

/// Every agent's hook in every scope there is (the project's only inside a repository):
/// whether attrib's hook is there for the events it needs (`prompts`: the prompt event too),
/// and whether it runs `exe` as `attrib hooks install` would write it now.
pub fn status(places: &Places, exe: &Path, prompts: bool) -> Vec<HookStatus> {
    let mut all = Vec::new();
    for scope in [Scope::Project, Scope::User] {
        let Ok(base) = places.base(scope) else {
            continue;
        };
        for agent in Agent::ALL {
            all.push(status_of(agent, scope, &agent.file_in(base), exe, prompts));
        }
    }
    all
}

/// The status of one agent's file.
pub fn status_of(agent: Agent, scope: Scope, path: &Path, exe: &Path, prompts: bool) -> HookStatus {
    let spec = agent.spec();
    let mut st = HookStatus {
        agent,
        scope,
        path: path.to_path_buf(),
        exists: path.exists(),
        installed: Coverage::None,
        events: Vec::new(),
        missing: Vec::new(),
        outdated: false,
        note: None,
        error: None,
    };
    let command = hook_command(exe, agent).ok();
    let read = load(spec, path).and_then(|settings| {
        let mut found = Vec::new();
        for event in agent.events(true) {
            found.push((event, settings.groups(event)?));
        }
        Ok(found)
    });
    let found = match read {
        Ok(found) => found,
        Err(e) => {
            st.error = Some(format!("{e:#}"));
            return st;
        }
    };
    let wanted = agent.events(prompts);
    for (event, groups) in found {
        let matcher = spec.matcher(event);
        let ours: Vec<&Group> = groups
            .iter()
            .filter(|g| g.commands.iter().any(|c| plan::is_ours(c.as_deref())))
            .collect();
        if ours.is_empty() {
            if wanted.contains(&event) {
                st.missing.push(event);
            }
            continue;
        }
        st.events.push(event.to_string());
        let exact = ours.iter().any(|g| {
            g.matcher.as_deref() == matcher
                && g.commands
                    .iter()
                    .any(|c| c.is_some() && c.as_deref() == command.as_deref())
        });
        st.outdated |= !exact;
    }
    st.installed = match (st.events.is_empty(), st.missing.is_empty()) {
        (true, _) => Coverage::None,
        (false, true) => Coverage::All,
        (false, false) => Coverage::Some,
    };
    if st.installed != Coverage::None {
        st.note = agent.note(scope);
    }
    st
}

/// The agents a person seems to use (a `.claude`, `.codex`, `.cursor` or `.gemini` directory in
/// the repository or the home directory) whose hooks are not installed in either place yet.
pub fn suggested(places: &Places, exe: &Path) -> Vec<Agent> {
    let statuses = status(places, exe, false);
    Agent::ALL
        .into_iter()
        .filter(|&agent| {
            let used = [places.project.as_deref(), Some(places.home.as_path())]
                .into_iter()
                .flatten()
                .any(|base| base.join(agent.dir()).is_dir());
            let installed = statuses
                .iter()
                .any(|s| s.agent == agent && s.installed != Coverage::None);
            used && !installed
        })
        .collect()
}

/// Writes a settings file atomically, through a symbolic link to where it points (dotfiles are
/// often links into a repository of their own), keeping the file's permissions.
fn write(path: &Path, text: &str) -> Result<()> {
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path)
            .with_context(|| format!("cannot follow the link {}", path.display()))?,
        _ => path.to_path_buf(),
    };
    let mode = std::fs::metadata(&target).ok().map(|m| {
        use std::os::unix::fs::PermissionsExt as _;
        m.permissions().mode() & 0o7777
    });
    attrib_overlay::files::write_atomic_mode(&target, text.as_bytes(), mode.unwrap_or(0o644))?;
    Ok(())
}
