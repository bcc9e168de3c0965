//! The command-line grammar (clap), shared by the `attrib` and `attrib-node` binaries. The
//! subcommand names are the stable interface listed in docs/ARCHITECTURE.md. Values are parsed
//! by the read/write libraries' own parsers, so this module imports nothing from the commands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "attrib",
    version,
    about = "Signed, peer-to-peer attribution of who wrote each patch and how AI helped",
    propagate_version = true
)]
pub struct Cli {
    /// Run as if started in DIR.
    // The long form was `--repo` until `attrib config` took `--repo` for the repository's file.
    #[arg(short = 'C', long = "directory", global = true, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process; boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
// Each subcommand's arguments are built only when it runs (or help needs them): the command
// agent hooks and wrapped records run all day pays for its own grammar, not for all of it.
#[command(defer = true)]
pub enum Command {
    /// Create the store for this repository and found (or join) a team.
    Init(InitArgs),
    /// Create or show this device's signing identity.
    #[command(subcommand)]
    Identity(IdentityCommand),
    /// Show the team, admit a device key, or revoke one.
    #[command(subcommand)]
    Team(TeamCommand),
    /// Attest who wrote a patch and how AI helped (a newer version replaces your earlier one).
    Annotate(AnnotateArgs),
    /// Run `pijul record` and attest the new change in the same step.
    Record(RecordArgs),
    /// Record a signed review of another member's patch.
    Review(ReviewArgs),
    /// List attested patches, newest first.
    Log(LogArgs),
    /// Show every author's attestation and every review of one patch.
    Show(ShowArgs),
    /// How much of the work AI did: share of patches and of the current tree's lines, reviewed
    /// share, confidence and review time, grouped by model, provider, author, suggestion type
    /// or month.
    Stats(StatsArgs),
    /// Read or change a config key (`attrib config list` shows every key with its meaning).
    #[command(subcommand)]
    Config(ConfigCommand),
    /// For every line of a file, the Pijul change that inserted it and how that change was
    /// written (AI, human or unattested).
    Blame(BlameArgs),
    /// Re-check every signature and the whole view from scratch; or, given FILE, check a
    /// signed export (JSON Lines or in-toto) with nothing but the file.
    Verify(VerifyArgs),
    /// Check the team's AI policy (attrib-policy.toml) over a range of changes: a CI gate.
    Check(CheckArgs),
    /// Write every signed record as JSON Lines, or a CSV report, or Agent Trace records.
    Export(ExportArgs),
    /// Merge another member's export (each record checked on its own), or Agent Trace records.
    Import(ImportArgs),
    /// Sign a detected claim for every old change whose message trailers name the AI that
    /// helped (Co-authored-by, Assisted-by, "Generated with"), never over an existing claim.
    Backfill(BackfillArgs),
    /// Run the peer-to-peer node in the foreground: push new records to the team's other
    /// devices and catch up with them (Ctrl-C stops it).
    Node(NodeArgs),
    /// One catch-up with a peer, without a running node, then exit with a summary.
    Sync(SyncArgs),
    /// The peers a running node (`attrib node`) is connected to, and their sync state.
    Peers(JsonFlag),
    /// Serve the GraphQL API, the live dashboard and Prometheus metrics (loopback by default),
    /// optionally with the node in the same process.
    Serve(ServeArgs),
    /// Run the whole story end to end in a temporary directory: three members, offline work,
    /// merges in different orders, a forgery refused.
    Demo(DemoArgs),
    /// Entry points Pijul calls (installed by `attrib init --install-hooks`).
    #[command(subcommand, hide = true)]
    Hook(HookCommand),
    /// Install attrib's checkpoint hook in coding agents' settings (Claude Code, Codex, Cursor,
    /// Gemini CLI), show where it is installed, or take it out.
    #[command(subcommand)]
    Hooks(HooksCommand),
    /// Record an agent's file edit in the working log (agents' hooks run this, with the hook's
    /// JSON on standard input); it never fails the agent.
    Checkpoint(CheckpointArgs),
    /// The demo's network act (run by `attrib demo` in the node binary).
    #[command(hide = true)]
    DemoNetwork(DemoNetworkArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to standard output.
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a directory.
    #[command(hide = true)]
    Man(ManArgs),
}

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  attrib completions bash > ~/.local/share/bash-completion/completions/attrib\n  attrib completions zsh > ~/.zfunc/_attrib\n  attrib completions fish > ~/.config/fish/completions/attrib.fish"
)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write attrib.1 and a page per subcommand (attrib-log.1, …) into DIR instead of
    /// printing attrib.1.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum HookCommand {
    /// Before `pijul record`: remember the pending AI context for the change about to be made.
    PreRecord,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Columns: PATCHES in the group; AI, how many were AI-assisted, and AI SHARE of the\n\
group's patches; LINES of the current tree the group's changes inserted, AI LINES among them\n\
and their share (Pijul only); REVIEWED, the share with a member's review; AVG CONFIDENCE of\n\
the AI claims that state one; AVG REVIEW, human review time per patch that has any (the\n\
author's stated review of the AI output plus reviewers' time). The last row is the total.\n\n\
A patch falls in the group of the AI help its attestation names: with contributions (one per\n\
AI session, from agent checkpoints), the one that wrote the most lines. --json splits the AI\n\
lines among every contribution (by_model, by_agent); --per-change lists each change's lines.\n\n\
Models are grouped by one canonical provider/model whatever the spelling recorded (\"Claude Opus\n\
4.6 (1M context)\", claude-opus-4-6-20260101, anthropic/claude-opus-4.6 are all\n\
anthropic/claude-opus-4-6): the built-in table, with the config's [models] aliases over it.\n\
A name it does not know is grouped as recorded (lowercased); --unknown-models lists those.\n\n\
Examples:\n  attrib stats --by provider --since 90d\n  attrib stats --by month --by model --csv\n  attrib stats --by agent --json\n  attrib stats --unknown-models"
)]
pub struct StatsArgs {
    /// Group by these (repeatable, in order; default: model).
    #[arg(long, value_enum, value_name = "DIMENSION")]
    pub by: Vec<attrib_query::stats::StatsBy>,
    /// Also list each change with its lines: AI-written by model and agent, and the author's
    /// own (a Pijul repository only).
    #[arg(long, conflicts_with = "csv")]
    pub per_change: bool,
    /// List the model names the registry does not know, as recorded, each with the
    /// AI-assisted patches that name it (instead of the groups). Name one with `attrib config
    /// set models.NAME provider/model`.
    #[arg(long, conflicts_with = "per_change")]
    pub unknown_models: bool,
    /// Only patches from this time on: a date (2026-01-31), a time (2026-01-31T12:00:00Z)
    /// or an age (90d, 2w, 12h).
    #[arg(long, value_name = "WHEN", value_parser = attrib_query::time::parse_when)]
    pub since: Option<attrib_query::time::When>,
    /// Only patches up to this time (a date includes the whole day).
    #[arg(long, value_name = "WHEN", value_parser = attrib_query::time::parse_when)]
    pub until: Option<attrib_query::time::When>,
    /// Machine-readable output (JSON).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// RFC 4180 CSV: a row per group, then the total.
    #[arg(long)]
    pub csv: bool,
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print a key's value: the repository's if it sets one, else yours.
    Get {
        /// A documented key, e.g. ai.provider.
        key: String,
        /// Only your config file.
        #[arg(long, conflicts_with = "in_repo")]
        user: bool,
        /// Only the repository's config file.
        #[arg(long = "repo")]
        in_repo: bool,
    },
    /// Set a key in your config (default) or the repository's; comments and layout are kept.
    Set {
        key: String,
        value: String,
        /// Write your config file (the default).
        #[arg(long, conflicts_with = "in_repo")]
        user: bool,
        /// Write the repository's config file (beside its store).
        #[arg(long = "repo")]
        in_repo: bool,
    },
    /// Remove a key from your config (default) or the repository's.
    Unset {
        key: String,
        #[arg(long, conflicts_with = "in_repo")]
        user: bool,
        #[arg(long = "repo")]
        in_repo: bool,
    },
    /// Every documented key: its value, where the value comes from, and what it does.
    List {
        /// Machine-readable output (JSON).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Name of the team to found.
    #[arg(long, conflicts_with = "join")]
    pub team: Option<String>,
    /// Join an existing team from an export that contains its genesis.
    #[arg(long, value_name = "FILE")]
    pub join: Option<PathBuf>,
    /// Your display name, if an identity has to be created.
    #[arg(long)]
    pub name: Option<String>,
    /// Your email, if an identity has to be created.
    #[arg(long)]
    pub email: Option<String>,
    /// Add attrib's pre-record hook to the Pijul repository, so a plain `pijul record` keeps
    /// its AI context (runs on an existing store too).
    #[arg(long)]
    pub install_hooks: bool,
    /// Also install these agents' checkpoint hooks in the repository, as `attrib hooks install
    /// --agent` does (comma-separated: claude-code, codex, cursor, gemini, or all; runs on an
    /// existing store too).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "AGENT,...")]
    pub agent_hooks: Vec<AgentArg>,
}

/// A coding agent whose hook settings `attrib hooks` edits.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum AgentArg {
    /// Claude Code: .claude/settings.json.
    #[value(alias = "claude")]
    ClaudeCode,
    /// Codex CLI: .codex/config.toml.
    Codex,
    /// Cursor: .cursor/hooks.json.
    Cursor,
    /// Gemini CLI: .gemini/settings.json.
    #[value(alias = "gemini-cli")]
    Gemini,
    /// Every agent above.
    All,
}

#[derive(Subcommand, Debug)]
pub enum HooksCommand {
    /// Add `attrib checkpoint` to agents' hooks, in this repository's settings (default) or in
    /// your home directory's (--user); your other settings and hooks stay as they are.
    #[command(
        after_help = "Each agent then runs `attrib checkpoint --agent NAME` (this binary, by its absolute\n\
path) before and after each file edit and shell command, and attrib tells your lines from the\n\
agent's when you record. Installing again changes nothing, or updates attrib's entry in place.\n\
Codex runs a new or changed hook only once you trust it: open /hooks in Codex.\n\n\
Examples:\n  attrib hooks install --agent claude-code\n  attrib hooks install --agent codex,gemini --user\n  attrib hooks install --agent all --prompts"
    )]
    Install(HooksInstallArgs),
    /// For every agent, in this repository and in your home directory: the settings file and
    /// whether attrib's hooks are in it (all the events, some, or none).
    Status(JsonFlag),
    /// Take attrib's hooks out of agents' settings; everything else in the files stays.
    Uninstall(HooksTargetArgs),
}

#[derive(Args, Debug)]
pub struct HooksTargetArgs {
    /// The agent (repeatable or comma-separated; `all` for every one).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        required = true,
        value_name = "AGENT"
    )]
    pub agent: Vec<AgentArg>,
    /// Your own settings in your home directory (every repository you open), not this
    /// repository's.
    #[arg(long)]
    pub user: bool,
}

#[derive(Args, Debug)]
pub struct HooksInstallArgs {
    #[command(flatten)]
    pub target: HooksTargetArgs,
    /// Also hook each prompt you give the agent (kept as a salted commitment, never its text);
    /// without this flag, only when the config's ai.track_prompts is true.
    #[arg(long)]
    pub prompts: bool,
}

#[derive(Subcommand, Debug)]
pub enum IdentityCommand {
    /// Create this device's ed25519 identity.
    New {
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Replace an existing identity (its records stay valid; you lose the ability to amend them).
        #[arg(long)]
        force: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show this device's identity.
    Show(JsonFlag),
}

#[derive(Subcommand, Debug)]
pub enum TeamCommand {
    /// Show the team and its members.
    Show(JsonFlag),
    /// Admit a device key (admins only).
    Add {
        /// The member's public key (hex, from `attrib identity show`).
        pubkey: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: Option<String>,
        /// Make the member an admin.
        #[arg(long)]
        admin: bool,
    },
    /// Revoke a device key: its records so far stay, later ones are refused (admins only).
    Revoke {
        /// The member's public key, or their unique name.
        member: String,
    },
}

#[derive(Args, Debug)]
pub struct JsonFlag {
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

/// How AI helped, from flags; environment variables fill what flags leave out.
#[derive(Args, Debug, Default, Clone)]
pub struct CaptureArgs {
    /// The patch was written with AI help (implied by --ai-provider/--ai-model).
    #[arg(long)]
    pub ai_assisted: bool,
    /// The patch was written without AI help, whatever the environment says.
    #[arg(long, conflicts_with_all = ["ai_assisted", "ai_provider", "ai_model"])]
    pub no_ai: bool,
    #[arg(long, value_name = "NAME")]
    pub ai_provider: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub ai_model: Option<String>,
    /// complete, partial, collaborative, inspired, review or refactor (default: partial).
    #[arg(long, value_name = "TYPE")]
    pub ai_suggestion_type: Option<String>,
    /// Your confidence in the AI's part, 0 to 1 (or 0% to 100%).
    #[arg(long, value_name = "X")]
    pub ai_confidence: Option<String>,
    #[arg(long, value_name = "N")]
    pub ai_token_count: Option<String>,
    /// Seconds you spent reviewing the AI's output.
    #[arg(long, value_name = "SECONDS")]
    pub ai_review_time: Option<String>,
    #[arg(long, value_name = "X")]
    pub ai_temperature: Option<String>,
    #[arg(long, value_name = "N")]
    pub ai_max_tokens: Option<String>,
    #[arg(long, value_name = "X")]
    pub ai_top_p: Option<String>,
    /// A precomputed prompt commitment (64 hex digits).
    #[arg(long, value_name = "HEX", conflicts_with = "prompt_file")]
    pub ai_prompt_hash: Option<String>,
    /// Commit to this prompt: only a salted blake3 hash is stored; the salt stays on this machine.
    #[arg(long, value_name = "FILE")]
    pub prompt_file: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum OriginArg {
    /// A person at the keyboard.
    Human,
    /// An AI agent's hook acting for the identity's owner.
    Agent,
}

#[derive(Args, Debug)]
pub struct AnnotateArgs {
    /// The patch id (for Pijul, the change hash).
    pub patch: String,
    #[command(flatten)]
    pub capture: CaptureArgs,
    #[arg(long)]
    pub description: Option<String>,
    /// Patches this one depends on.
    #[arg(long, value_name = "PATCH_ID", num_args = 1..)]
    pub depends_on: Vec<String>,
    /// Patches this one conflicts with.
    #[arg(long, value_name = "PATCH_ID", num_args = 1..)]
    pub conflicts_with: Vec<String>,
    /// AI-written lines among those the patch adds: FILE:START-END (repeatable).
    #[arg(long = "ai-lines", value_name = "FILE:START-END")]
    pub ai_lines: Vec<String>,
    /// Who produced this record.
    #[arg(long, value_enum, env = "ATTRIB_ORIGIN", default_value = "human")]
    pub origin: OriginArg,
    #[arg(long)]
    pub json: bool,
}

/// `attrib record [capture flags] -- ARGS`: the ARGS go to `pijul record` unchanged.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  attrib record --ai-provider anthropic --ai-model claude-sonnet-4 -- -m \"Fix parser\"\n  attrib record --no-ai -- -m \"Hand-written fix\" src/lib.rs\n\n\
There is no terminal for Pijul's editor: a message (-m/--message) is required, and --all is\n\
added unless -a/--all is given. Set ATTRIB_VCS_BINARY (e.g. `atomic`) to run another binary."
)]
pub struct RecordArgs {
    #[command(flatten)]
    pub capture: CaptureArgs,
    /// A description for the attestation (the Pijul message is separate: `-- -m MSG`).
    #[arg(long)]
    pub description: Option<String>,
    /// Who produced this record.
    #[arg(long, value_enum, env = "ATTRIB_ORIGIN", default_value = "human")]
    pub origin: OriginArg,
    #[arg(long)]
    pub json: bool,
    /// Arguments for `pijul record` (after `--`), e.g. `-m MSG` and paths.
    #[arg(last = true, value_name = "ARGS", allow_hyphen_values = true)]
    pub pijul_args: Vec<std::ffi::OsString>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum VerdictArg {
    Approve,
    RequestChanges,
    Comment,
}

#[derive(Args, Debug)]
pub struct ReviewArgs {
    pub patch: String,
    /// Seconds spent reviewing.
    #[arg(long)]
    pub seconds: u32,
    #[arg(long, value_enum, default_value = "approve")]
    pub verdict: VerdictArg,
    #[arg(long)]
    pub comment: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Default)]
pub struct LogArgs {
    /// Only AI-assisted patches.
    #[arg(long, conflicts_with = "human_only")]
    pub ai_only: bool,
    /// Only patches written without AI.
    #[arg(long)]
    pub human_only: bool,
    /// Only this author (public key or member name).
    #[arg(long)]
    pub author: Option<String>,
    /// Only AI-assisted patches by this provider (e.g. anthropic).
    #[arg(long)]
    pub provider: Option<String>,
    /// Only AI-assisted patches with this model, any spelling of it (e.g. claude-sonnet-4,
    /// anthropic/claude-sonnet-4, "Claude Sonnet 4").
    #[arg(long)]
    pub model: Option<String>,
    /// Only AI-assisted patches with this suggestion type (complete, partial, collaborative,
    /// inspired, review, refactor).
    #[arg(long, value_name = "TYPE", value_parser = parse_suggestion_type)]
    pub suggestion_type: Option<attrib_overlay::SuggestionType>,
    /// Only AI-assisted patches whose stated confidence is at least X (0 to 1, or a percentage).
    #[arg(long, value_name = "X", value_parser = parse_min_confidence)]
    pub min_confidence: Option<u16>,
    /// Only patches from this time on: a date (2026-01-31), a time (2026-01-31T12:00:00Z)
    /// or an age (90d, 2w, 12h). In a Pijul repository, the change's time.
    #[arg(long, value_name = "WHEN", value_parser = attrib_query::time::parse_when)]
    pub since: Option<attrib_query::time::When>,
    /// Only patches up to this time (a date includes the whole day).
    #[arg(long, value_name = "WHEN", value_parser = attrib_query::time::parse_when)]
    pub until: Option<attrib_query::time::When>,
    /// Only patches a member has reviewed (`attrib review`).
    #[arg(long, conflicts_with = "unreviewed")]
    pub reviewed: bool,
    /// Only patches nobody has reviewed.
    #[arg(long)]
    pub unreviewed: bool,
    /// Only patches nobody has attested: in a Pijul repository the current channel's changes,
    /// elsewhere patches the overlay knows only from reviews.
    #[arg(long, conflicts_with_all = ["ai_only", "human_only", "author", "provider", "model", "suggestion_type", "min_confidence"])]
    pub unattested: bool,
    /// In a Pijul repository, also list changes that are not on the current channel
    /// (unrecorded, amended away, or never applied here) but have attestations.
    #[arg(long)]
    pub all: bool,
    /// At most N rows.
    #[arg(short = 'n', long = "max-count", value_name = "N")]
    pub max_count: Option<usize>,
    /// Machine-readable output (JSON).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// RFC 4180 CSV: a row per attestation (an unattested change gets one row too).
    #[arg(long)]
    pub csv: bool,
}

fn parse_suggestion_type(s: &str) -> Result<attrib_overlay::SuggestionType, String> {
    s.parse()
        .map_err(|e: attrib_overlay::FormatError| e.to_string())
}

fn parse_min_confidence(s: &str) -> Result<u16, String> {
    attrib_overlay::model::parse_confidence(s).map_err(|e| e.to_string())
}

#[derive(Args, Debug)]
#[command(
    after_help = "With --open-prompt FILE, checks the prompt in FILE against every prompt commitment the\n\
patch's attestations carry (the AI help's and each contribution's), with the salts kept in\n\
prompt-salts/ of your config directory: only the prompt's author has them. Prints which\n\
commitment the prompt opens, or fails with one line saying why none opened.\n\n\
Example:\n  attrib show 7QZ3X --open-prompt prompt.txt"
)]
pub struct ShowArgs {
    pub patch: String,
    /// Check whether the prompt in FILE opens one of the patch's prompt commitments.
    #[arg(long, value_name = "FILE")]
    pub open_prompt: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

/// `attrib blame FILE`: per-line attribution from `pijul credit` and the overlay.
#[derive(Args, Debug)]
#[command(
    after_help = "Each line is credited to the change that inserted its content (the earliest of the\n\
changes `pijul credit` lists for it: a change that only inserts a line above or below does\n\
not take the credit), with that change's attribution: AI (provider/model, suggestion type),\n\
human, or unattested (no attestation in the overlay); \"reviewed\" when the change has a review.\n\n\
When an attestation marks only some of a change's added lines as AI-written (line spans,\n\
`annotate --ai-lines`, counted in the file as the change recorded it), each line the change\n\
still owns is traced back to the line it added: AI-written lines show as AI, the others as\n\
\"human (in an AI-assisted change)\" (`\"ai_lines\": \"this\"` / `\"others\"` in --json); a line\n\
that cannot be traced shows as \"partially AI (spans)\".\n\n\
An attestation with contributions (one per AI session, from agent checkpoints) says which\n\
lines each session wrote: such a line shows its model and agent tool (\"AI anthropic/claude-\n\
sonnet-4 complete via claude-code\"; --json rows carry provider, model, agent and session,\n\
null for a line not written by AI), and the change's other lines are its author's.\n\n\
Conflicts are shown as marker rows, and the lines inside carry the conflict's number.\n\n\
The credited lines are kept in an index beside the store (blame-index/): blaming a file again\n\
while the channel and the file stand still runs no VCS process, and changes to other files\n\
carry the file's lines forward; --no-index asks the VCS every time."
)]
pub struct BlameArgs {
    /// The file, relative to the repository (or the directory given with -C).
    pub file: PathBuf,
    #[arg(long)]
    pub json: bool,
    /// Ask the VCS to credit the file now, neither reading nor updating the blame index
    /// (the index answers with no process when nothing moved since the file was last blamed).
    #[arg(long)]
    pub no_index: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ExportFormat {
    /// Every signed record, one per line: the form `attrib import` and `init --join` take.
    Jsonl,
    /// A flat report: one row per current attestation (RFC 4180).
    Csv,
    /// Agent Trace v0.1 records (JSON Lines), one per attestation with line spans or, in a
    /// Pijul repository, with the lines its change added.
    AgentTrace,
    /// One in-toto Statement (v1) per change, each in a DSSE envelope signed with this
    /// device's key (JSON Lines); `attrib verify FILE` checks them.
    #[value(name = "in-toto")]
    InToto,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Without FILE: the store's from-scratch audit (every signature, the view rebuilt and compared).\n\n\
With FILE (or - for standard input): a signed export, as `attrib export` writes it (JSON Lines)\n\
or `attrib export --format in-toto` (DSSE envelopes), checked with nothing but the file: no store,\n\
no identity, no network. Every signature; that the genesis founds the team (--team pins the id\n\
known out of band, so a forged team with the same name is refused); membership at every\n\
sequence number; equivocation. Prints what the file proves (authors, changes, AI share by model,\n\
reviews), or one line per bad record (line number and reason) and exits 1.\n\n\
Examples:\n  attrib verify\n  attrib verify acme.jsonl --team 1f3a…\n  attrib export --format in-toto | attrib verify - --json"
)]
pub struct VerifyArgs {
    /// A signed export to check instead of the store (`-` for standard input).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The team id known out of band (64 hex digits, from `attrib team show`): the file's
    /// genesis must found exactly this team.
    #[arg(long, value_name = "ID", requires = "file")]
    pub team: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Reads the policy from attrib-policy.toml in the repository's root (or --policy FILE); every\n\
key is optional:\n\
  require_attestation = true          every change has a member's attestation\n\
  ai_changes_need_review = true       every AI-assisted change has an approving review\n\
  review_by_other_member = true       …by a member other than its author (implies the above)\n\
  min_review_seconds = 120            …that took at least this long (implies the above)\n\
  allowed_providers = [\"anthropic\"]  AI help only from these providers\n\
  allowed_models = [\"claude-sonnet-4\", \"openai/gpt-5\"]   …and these models\n\
  max_ai_line_share = 0.6             AI wrote at most this share of the range's added lines\n\
  require_trailer_for_ai = true       an AI-assisted change's message says so (Assisted-by: …)\n\n\
The range: Pijul/Atomic, --since DATE or --not-on CHANNEL; git, BASE..HEAD; default: the whole\n\
channel. Prints one line per violation (change, rule, why) and a summary; exits 1 on any.\n\n\
Examples:\n  attrib check --since 2026-01-01\n  attrib check --not-on main\n  attrib check origin/main..HEAD --json"
)]
pub struct CheckArgs {
    /// git: the commits to check, BASE..HEAD (e.g. origin/main..HEAD).
    #[arg(value_name = "BASE..HEAD", conflicts_with_all = ["since", "not_on"])]
    pub range: Option<String>,
    /// Only changes made from this time on: a date (2026-01-31), a time
    /// (2026-01-31T12:00:00Z) or an age (90d, 2w, 12h).
    #[arg(long, value_name = "WHEN", value_parser = attrib_query::time::parse_when, conflicts_with = "not_on")]
    pub since: Option<attrib_query::time::When>,
    /// Pijul/Atomic: only the current channel's changes that CHANNEL lacks.
    #[arg(long, value_name = "CHANNEL")]
    pub not_on: Option<String>,
    /// The policy file (default: attrib-policy.toml in the repository's root).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Machine-readable output (JSON).
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ImportFormat {
    /// Decide from the content.
    Auto,
    /// attrib's signed JSON Lines.
    Jsonl,
    /// Agent Trace records (JSON Lines, one JSON record, or an array of them).
    AgentTrace,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: ExportFormat,
}

/// A source `attrib import --from` reads instead of a file.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ImportSource {
    /// The attribution Atomic keeps in the changes of the current channel (`atomic record
    /// --ai-assisted --ai-provider P --ai-model M`), read with one `atomic` process.
    Atomic,
    /// git-ai's authorship notes (`refs/notes/ai`, schema authorship/3.0.0) on the commits of
    /// the current git repository.
    GitAi,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Agent Trace records are unsigned claims by another tool: each patch they name is attested\n\
by you, with origin \"imported\" and the source in the description, and replaces only an\n\
earlier import of yours, never an attestation you made yourself.\n\n\
--from atomic does the same with the attribution Atomic keeps in each change of an Atomic\n\
repository's current channel. Only what a change states is imported: Atomic's \"AI-Assisted: No\"\n\
for a change without attribution and its guesses from words of a message are not claims, and\n\
the 80% confidence Atomic stores whatever was given is left out (\"confidence: atomic default\").\n\n\
--from git-ai reads git-ai's notes (refs/notes/ai) in the current git repository: each noted commit\n\
is attested by its patch id, with one contribution per AI session (provider, model, agent tool,\n\
its lines per file). A note that cannot be read is reported and the others are imported;\n\
importing again signs nothing new. --dry-run says what would be signed.\n\n\
Examples:\n  attrib import alice.jsonl\n  attrib import --from atomic\n  attrib import --from git-ai --dry-run"
)]
pub struct ImportArgs {
    /// A JSON Lines export or Agent Trace file (`-` for standard input).
    #[arg(required_unless_present = "from", conflicts_with = "from")]
    pub file: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "auto")]
    pub format: ImportFormat,
    /// Read the claims from the repository's own store instead of a file.
    #[arg(long, value_enum, value_name = "SOURCE")]
    pub from: Option<ImportSource>,
    /// Say what would be signed, and sign nothing (with --from git-ai).
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Reads the whole history once (Pijul, Atomic or git) and, for each change whose message names\n\
an AI tool or model in a trailer, signs a claim with origin \"detected\" and confidence 0.5:\n\
  Co-authored-by: Claude <noreply@anthropic.com>\n\
  Co-authored-by: aider (anthropic/claude-sonnet-4) <noreply@aider.chat>   (also Copilot, Codex)\n\
  Assisted-by: Claude:claude-opus-4-6 coccinelle                          (AGENT:MODEL [TOOLS])\n\
  🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\
A change that any member attested already is left alone, so a second run signs nothing. The\n\
agent tool a trailer names is kept in the claim's description.\n\n\
Examples:\n  attrib backfill --dry-run\n  attrib backfill --since 2025-01-01\n  attrib backfill --json"
)]
pub struct BackfillArgs {
    /// Only changes made from this time on: a date (2026-01-31), a time
    /// (2026-01-31T12:00:00Z) or an age (90d, 2w, 12h).
    #[arg(long, value_name = "WHEN", value_parser = attrib_query::time::parse_when)]
    pub since: Option<attrib_query::time::When>,
    /// Sign nothing: list the changes a claim would be signed for.
    #[arg(long)]
    pub dry_run: bool,
    /// Machine-readable output (JSON): the counts, by tool and model, and every detected change.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Reads one hook input on standard input: Claude Code (PreToolUse/PostToolUse), Codex\n\
(PreToolUse/PostToolUse), Cursor (preToolUse/postToolUse), Gemini CLI (BeforeTool/AfterTool), or the\n\
generic form {\"schema\": \"attrib/agent-v1\", \"event\": \"before\"|\"after\", \"agent\", \"model\",\n\
\"provider\", \"session\", \"files\": [...]}. It prints nothing an agent would act on and always\n\
exits 0; a problem is one line in the working log's errors.log."
)]
pub struct CheckpointArgs {
    /// The agent whose hook runs this: claude-code, codex, cursor, gemini-cli or generic
    /// (default: told from the input's shape).
    #[arg(long, value_name = "AGENT")]
    pub agent: Option<String>,
}

#[derive(Args, Debug)]
pub struct DemoNetworkArgs {
    /// The demo's directory, holding alice, bob and carol (each a `config` and a `repo`).
    pub root: PathBuf,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Keep the demo's directory instead of deleting it.
    #[arg(long)]
    pub keep: bool,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Peers also come from the config's [p2p] table (peers, listen, mdns, swarm_key_file).\n\
The node prints its peer id, then a `listening on ADDRESS/p2p/PEER_ID` line per address, which\n\
another device can pass to --peer. With a swarm key it runs TCP only (QUIC cannot carry one).\n\n\
Examples:\n  attrib node\n  attrib node --listen /ip4/0.0.0.0/tcp/4001 --peer /ip4/192.0.2.7/tcp/4001/p2p/12D3Koo…"
)]
pub struct NodeArgs {
    /// An address to listen on (repeatable); default: the config's [p2p] listen, else every
    /// interface on a free TCP port and a free QUIC port.
    #[arg(long, value_name = "MULTIADDR")]
    pub listen: Vec<String>,
    /// A peer to dial at start (repeatable), besides the config's [p2p] peers.
    #[arg(long, value_name = "MULTIADDR")]
    pub peer: Vec<String>,
    /// Do not look for members on the LAN with mDNS.
    #[arg(long)]
    pub no_mdns: bool,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Serves, from the store of this repository (or directory):\n\
  /            the live dashboard (AI share over time, by model, author and suggestion type, a live feed)\n\
  /graphql     GraphQL queries and the review mutation (GET: the GraphiQL page)\n\
  /graphql/ws  subscriptions (attestations, nodeEvents) over WebSocket, graphql-transport-ws\n\
  /metrics     Prometheus text; /healthz and /readyz for supervisors\n\
Prints `serving http://ADDRESS/` once it listens. A mutation needs the token (Authorization: Bearer\n\
TOKEN); beyond loopback every request does. SIGINT or SIGTERM drains requests and exits 0.\n\n\
Examples:\n  attrib serve\n  attrib serve --node --listen 127.0.0.1:8080\n  attrib serve --listen 0.0.0.0:7420 --token-file ~/.config/attrib/serve-token"
)]
pub struct ServeArgs {
    /// The address to listen on (port 0: a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7420")]
    pub listen: std::net::SocketAddr,
    /// A file holding the bearer token (its first line): needed for mutations, and for every
    /// request when listening beyond loopback.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Run the peer-to-peer node in this process too (as `attrib node`, with the config's
    /// [p2p] peers and listen addresses).
    #[arg(long)]
    pub node: bool,
    /// With --node: a peer to dial at start (repeatable).
    #[arg(long, value_name = "MULTIADDR", requires = "node")]
    pub peer: Vec<String>,
    /// With --node: an address for the node to listen on (repeatable).
    #[arg(long = "node-listen", value_name = "MULTIADDR", requires = "node")]
    pub node_listen: Vec<String>,
    /// With --node: do not look for members on the LAN with mDNS.
    #[arg(long, requires = "node")]
    pub no_mdns: bool,
    /// Requests per second one client may make (0: no limit).
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub rate_limit: u32,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Each peer is dialled in turn, and both sides end up holding the union of their records.\n\
Without --peer, the config's [p2p] peers are used.\n\n\
Example:\n  attrib sync --peer /ip4/192.0.2.7/tcp/4001/p2p/12D3Koo… --once"
)]
pub struct SyncArgs {
    /// The peer to catch up with (repeatable).
    #[arg(long, value_name = "MULTIADDR")]
    pub peer: Vec<String>,
    /// Stop after the first peer that answers, instead of syncing with every peer given.
    #[arg(long)]
    pub once: bool,
    /// Give up on a peer after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 20)]
    pub timeout: u64,
    #[arg(long)]
    pub json: bool,
}

// How the grammar's values become the libraries' inputs: one conversion per type, so every
// command hands the libraries the same thing for the same flags.

impl AgentArg {
    /// The agents a list of `--agent` values names, each once, in the libraries' order.
    pub fn agents(list: &[AgentArg]) -> Vec<attrib_workspace::agent_hooks::Agent> {
        use attrib_workspace::agent_hooks::Agent;
        Agent::ALL
            .into_iter()
            .filter(|agent| {
                list.iter().any(|a| match a {
                    AgentArg::All => true,
                    AgentArg::ClaudeCode => *agent == Agent::ClaudeCode,
                    AgentArg::Codex => *agent == Agent::Codex,
                    AgentArg::Cursor => *agent == Agent::Cursor,
                    AgentArg::Gemini => *agent == Agent::Gemini,
                })
            })
            .collect()
    }
}

impl From<OriginArg> for attrib_overlay::Origin {
    fn from(o: OriginArg) -> Self {
        match o {
            OriginArg::Human => attrib_overlay::Origin::Person,
            OriginArg::Agent => attrib_overlay::Origin::AgentHook,
        }
    }
}

impl From<VerdictArg> for attrib_overlay::Verdict {
    fn from(v: VerdictArg) -> Self {
        match v {
            VerdictArg::Approve => attrib_overlay::Verdict::Approve,
            VerdictArg::RequestChanges => attrib_overlay::Verdict::RequestChanges,
            VerdictArg::Comment => attrib_overlay::Verdict::Comment,
        }
    }
}

impl CaptureArgs {
    /// The capture flags as the write library takes them; a relative `--prompt-file` is taken
    /// from `dir` (the directory given with `-C`, as `git -C` does).
    pub fn input(self, dir: &std::path::Path) -> attrib_workspace::capture::CaptureInput {
        attrib_workspace::capture::CaptureInput {
            ai_assisted: self.ai_assisted,
            no_ai: self.no_ai,
            ai_provider: self.ai_provider,
            ai_model: self.ai_model,
            ai_suggestion_type: self.ai_suggestion_type,
            ai_confidence: self.ai_confidence,
            ai_token_count: self.ai_token_count,
            ai_review_time: self.ai_review_time,
            ai_temperature: self.ai_temperature,
            ai_max_tokens: self.ai_max_tokens,
            ai_top_p: self.ai_top_p,
            ai_prompt_hash: self.ai_prompt_hash,
            prompt_file: self.prompt_file.map(|f| dir.join(f)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_grammar_is_consistent() {
        Cli::command().debug_assert();
    }
}
