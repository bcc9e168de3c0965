//! `attrib record [capture flags] -- ARGS`: runs `pijul record ARGS` and attests the new change
//! in the same step ([`attrib_workspace::record`]).

use std::io::Write;

use anyhow::Result;
use attrib_workspace::capture::CaptureEnv;
use attrib_workspace::record::{plan, RecordRequest};
use attrib_workspace::Workspace;

use attrib_cli::args::RecordArgs;

pub fn run(ws: &Workspace, out: &mut dyn Write, args: RecordArgs) -> Result<()> {
    let request = RecordRequest {
        capture: args.capture.input(ws.dir()),
        env: CaptureEnv::from_process(),
        description: args.description,
        origin: args.origin.into(),
        pijul_args: args.pijul_args,
    };
    let plan = plan(ws, request)?;
    let mut reconciled = super::reconcile(ws)?;
    let done = plan.run(ws, &mut reconciled)?;
    for w in &done.warnings {
        super::warn(w);
    }
    let verb = if done.amended.is_some() {
        "amended"
    } else {
        "recorded"
    };
    super::report_attestation(out, ws, &done.record, verb, args.json)
}
