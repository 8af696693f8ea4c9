//! What a sign-off report says, as a list of blocks (headings, paragraphs, tables, the chart)
//! that `html` and `markdown` each render: the wording lives here once. Text in the blocks is
//! plain (unescaped); each renderer escapes it for its format.

use super::{MAX_FAILED_ITEMS, SignOff, verified_of, when};
use crate::engine::verify::FindingKind;
use crate::engine::verify::printer::counts_words;

/// One piece of the report.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// The title.
    Title(String),
    /// A section heading.
    Heading(String),
    /// A paragraph.
    Para(String),
    /// The verdict: good (everything verified) or not.
    Verdict {
        /// True when everything the ledger records was found as sent.
        good: bool,
        /// What it says.
        text: String,
    },
    /// A table.
    Table {
        /// Column heads.
        head: Vec<&'static str>,
        /// Rows of cells.
        rows: Vec<Vec<String>>,
    },
    /// The pace chart.
    Chart,
}

fn table(head: Vec<&'static str>, rows: Vec<Vec<String>>) -> Block {
    Block::Table { head, rows }
}

/// The verdict a shift lead reads first.
fn verdict(s: &SignOff) -> Block {
    let Some(v) = &s.report.verification else {
        return Block::Verdict {
            good: false,
            text: "Not verified: run `timport verify` before signing off.".into(),
        };
    };
    let t = &v.totals;
    let unfinished = phases_unfinished(s);
    let good = v.status == "done" && t.differences() == 0 && unfinished.is_none();
    let mut text = match v.status.as_str() {
        "done" if good => format!(
            "Verified: all {} messages the ledger records as imported are in their groups as sent (verification {}).",
            t.expected, v.verification_id
        ),
        "done" => format!(
            "Verification {} found {} difference(s): {}.",
            v.verification_id,
            t.differences(),
            counts_words(t)
        ),
        other => format!(
            "Verification {} is not complete ({other}): {}. Run `timport verify` again to finish it.",
            v.verification_id,
            counts_words(t)
        ),
    };
    if let Some(words) = unfinished {
        text.push(' ');
        text.push_str(&words);
    }
    Block::Verdict { good, text }
}

/// What of a migration's phases did not land (`None` when every item did, or the run imported
/// messages only): verification reads messages, so the verdict says it apart.
fn phases_unfinished(s: &SignOff) -> Option<String> {
    let (failed, pending) = s.report.steps.iter().fold((0, 0), |(f, p), st| {
        (f + st.counts.failed, p + st.counts.pending())
    });
    (failed + pending > 0).then(|| {
        format!(
            "The migration's phases are not complete: {failed} account(s), group(s), member(s) or unread count(s) failed and {pending} not settled (see \"{PHASES}\"; verification reads messages only)."
        )
    })
}

/// The heading of a migration's phases.
const PHASES: &str = "Accounts, groups, members and unread counts";

/// A migration's steps, done / failed per step, and the items that failed (at most
/// [`MAX_FAILED_ITEMS`]); nothing for a run of messages only.
fn phases_blocks(s: &SignOff) -> Vec<Block> {
    let r = &s.report;
    if r.steps.is_empty() {
        return Vec::new();
    }
    let mut out = vec![
        Block::Heading(PHASES.into()),
        Block::Para(
            "The migration's phases around the messages: accounts and groups before them, each group's members and unread counts after its last message. Existed: already in the app (an account, a group used as it is, a member); skipped: nothing to send (a ChatRoom keeps no unread counts).".into(),
        ),
        table(
            vec!["Step", "Items", "Done", "Existed", "Failed", "Skipped", "Pending"],
            r.steps
                .iter()
                .map(|st| {
                    let c = &st.counts;
                    vec![
                        st.step.word().to_owned(),
                        c.total.to_string(),
                        c.done.to_string(),
                        c.existed.to_string(),
                        c.failed.to_string(),
                        c.skipped.to_string(),
                        c.pending().to_string(),
                    ]
                })
                .collect(),
        ),
    ];
    if !r.failed_items.is_empty() {
        if r.failed_items.len() > MAX_FAILED_ITEMS {
            out.push(Block::Para(format!(
                "Failed (the first {MAX_FAILED_ITEMS} of {}; `timport report --json` lists every one):",
                r.failed_items.len()
            )));
        }
        out.push(table(
            vec!["Step", "Group", "Item", "Code", "Why"],
            r.failed_items
                .iter()
                .take(MAX_FAILED_ITEMS)
                .map(|f| {
                    vec![
                        f.step.word().to_owned(),
                        f.group.clone().unwrap_or_default(),
                        f.item.clone(),
                        f.code.map_or_else(String::new, |c| c.to_string()),
                        f.detail.clone().unwrap_or_default(),
                    ]
                })
                .collect(),
        ));
    }
    out
}

fn run_table(s: &SignOff) -> Block {
    let r = &s.report;
    let mut rows = vec![
        vec!["Staging directory".into(), r.staging_root.clone()],
        vec![
            "Status".into(),
            format!(
                "{}{}",
                r.status,
                r.exit_code
                    .map(|c| format!(" (exit {c})"))
                    .unwrap_or_default()
            ),
        ],
        vec!["Started".into(), when(r.started_at)],
    ];
    if let Some(at) = s.resumed_at {
        rows.push(vec!["Last resumed".into(), when(at)]);
    }
    if let Some(at) = r.finished_at {
        rows.push(vec!["Last finished".into(), when(at)]);
    }
    rows.push(vec!["Import requests".into(), s.requests.to_string()]);
    if let Some((first, last)) = s.request_span {
        rows.push(vec!["First request".into(), when(first)]);
        rows.push(vec!["Last request".into(), when(last)]);
    }
    table(vec!["", ""], rows)
}

fn groups_table(s: &SignOff) -> Block {
    let mut rows = Vec::new();
    for t in &s.report.targets {
        let c = &t.counts;
        let (verified, differences) = match verified_of(s, &t.target) {
            Some(v) => (
                v.counts.verified.to_string(),
                match &v.error {
                    Some(_) => "could not be read".to_owned(),
                    None => v.counts.differences().to_string(),
                },
            ),
            None => ("-".into(), "-".into()),
        };
        rows.push(vec![
            t.target.to_string(),
            t.state.clone(),
            c.total.to_string(),
            c.done.to_string(),
            c.skipped.to_string(),
            c.failed.to_string(),
            c.invalid.to_string(),
            t.pending.to_string(),
            verified,
            differences,
        ]);
    }
    let c = &s.report.totals;
    let (verified, differences) = match &s.report.verification {
        Some(v) => (
            v.totals.verified.to_string(),
            v.totals.differences().to_string(),
        ),
        None => ("-".into(), "-".into()),
    };
    rows.push(vec![
        "Total".into(),
        String::new(),
        c.total.to_string(),
        c.done.to_string(),
        c.skipped.to_string(),
        c.failed.to_string(),
        c.invalid.to_string(),
        c.pending().to_string(),
        verified,
        differences,
    ]);
    table(
        vec![
            "Group",
            "State",
            "Staged",
            "Imported",
            "Skipped",
            "Failed",
            "Invalid",
            "Pending",
            "Verified",
            "Differences",
        ],
        rows,
    )
}

fn message_at(source: Option<&crate::engine::events::SourceRef>) -> String {
    source
        .map(|s| format!("{} line {}", s.file, s.line))
        .unwrap_or_else(|| "(the whole group)".into())
}

/// The report's blocks, in order.
pub fn blocks(s: &SignOff) -> Vec<Block> {
    let r = &s.report;
    let mut out = vec![
        Block::Title(format!("Migration sign-off: run {}", r.run_id)),
        verdict(s),
        Block::Heading("The run".into()),
        run_table(s),
        Block::Heading("Settings".into()),
        Block::Para(
            "As the run recorded them (never a secret: the key and UserSigs are not kept).".into(),
        ),
        table(
            vec!["Setting", "Value"],
            s.settings
                .iter()
                .map(|(k, v)| vec![k.clone(), v.clone()])
                .collect(),
        ),
        Block::Heading("Groups".into()),
        groups_table(s),
    ];
    out.extend(phases_blocks(s));

    out.push(Block::Heading("Skipped messages".into()));
    if s.skips.is_empty() {
        out.push(Block::Para("None.".into()));
    } else {
        out.push(table(
            vec!["Group", "Reason", "Decided by", "Messages"],
            s.skips
                .iter()
                .map(|(t, g)| {
                    vec![
                        t.to_string(),
                        g.reason.clone(),
                        g.by.clone(),
                        g.messages.to_string(),
                    ]
                })
                .collect(),
        ));
    }

    if !r.moved.is_empty() {
        out.push(Block::Heading("Messages sent later than staged".into()));
        out.push(Block::Para(
            "--same-second spread moved these forward (never backward, order kept) so that no second \
             holds more than one request's messages; each is recorded in the ledger with both times."
                .into(),
        ));
        out.push(table(
            vec![
                "Group",
                "Messages moved",
                "Of those in the group",
                "Largest shift (s)",
            ],
            r.moved
                .iter()
                .map(|m| {
                    vec![
                        m.target.to_string(),
                        m.messages.to_string(),
                        m.done.to_string(),
                        m.largest_shift.to_string(),
                    ]
                })
                .collect(),
        ));
    }

    out.push(Block::Heading("Decisions".into()));
    if s.decisions.is_empty() {
        out.push(Block::Para("No operator decision.".into()));
    } else {
        out.push(Block::Para(format!(
            "Every operator decision, in the order it was made ({} in all{}).",
            s.decisions_total,
            if s.decisions_total > s.decisions.len() as u64 {
                format!("; the first {} are listed", s.decisions.len())
            } else {
                String::new()
            }
        )));
        out.push(table(
            vec!["#", "When", "Group", "Message", "Decision", "Reason"],
            s.decisions
                .iter()
                .enumerate()
                .map(|(i, (t, d))| {
                    vec![
                        (i + 1).to_string(),
                        when(d.decided_at),
                        t.to_string(),
                        message_at(d.source.as_ref()),
                        d.decision.clone(),
                        d.reason.clone().unwrap_or_default(),
                    ]
                })
                .collect(),
        ));
    }
    if !s.automatic.is_empty() {
        out.push(Block::Para(
            "Decisions made without an operator (the message policy, a command-line flag):".into(),
        ));
        out.push(table(
            vec!["Decision", "Decided by", "Reason", "Count"],
            s.automatic
                .iter()
                .map(|(d, by, reason, n)| {
                    vec![d.clone(), by.clone(), reason.clone(), n.to_string()]
                })
                .collect(),
        ));
    }

    out.push(Block::Heading("Errors by code".into()));
    if s.errors.is_empty() {
        out.push(Block::Para("No request or message went wrong.".into()));
    } else {
        out.push(Block::Para(
            "Requests the service refused or did not answer (each retried or settled as the engine decides), and messages still failed. Meanings from timport's error catalogue.".into(),
        ));
        out.push(table(
            vec!["Code", "Of", "Count", "Meaning", "What to do"],
            s.errors
                .iter()
                .map(|e| {
                    vec![
                        e.code.map_or_else(|| "-".into(), |c| c.to_string()),
                        format!("{}s", e.level),
                        e.count.to_string(),
                        e.meaning.clone(),
                        e.remedy.clone(),
                    ]
                })
                .collect(),
        ));
    }

    out.push(Block::Heading("Verification".into()));
    match &r.verification {
        None => out.push(Block::Para(
            "The run was not verified: `timport verify` reads every group back and compares each message with the ledger and the staged files.".into(),
        )),
        Some(v) => {
            out.push(Block::Para(format!(
                "Verification {} ({}), started {}{}: {}. Messages in a group before the run's first landing are counted apart, not as extra.",
                v.verification_id,
                v.status,
                when(v.started_at),
                v.finished_at
                    .map(|f| format!(", last ended {}", when(f)))
                    .unwrap_or_default(),
                counts_words(&v.totals)
            )));
            if !s.findings.is_empty() {
                let total = v.totals.differences();
                out.push(Block::Para(format!(
                    "Findings{}:",
                    if total > s.findings.len() as u64 {
                        format!(" (the first {} of {total}; `timport verify --json` lists every one)", s.findings.len())
                    } else {
                        String::new()
                    }
                )));
                out.push(table(
                    vec!["Finding", "Group", "Staged at", "MsgSeq", "What differs", "Staged", "Found"],
                    s.findings
                        .iter()
                        .map(|(t, f)| {
                            let body = |m: &Option<crate::engine::verify::MessageView>| {
                                m.as_ref()
                                    .map(|m| {
                                        format!(
                                            "{} at {}: {}",
                                            m.from_account,
                                            m.send_time,
                                            serde_json::to_string(&m.body).unwrap_or_default()
                                        )
                                    })
                                    .unwrap_or_default()
                            };
                            vec![
                                f.kind.label().to_owned(),
                                t.to_string(),
                                match &f.source {
                                    Some(s) => format!("{} line {}", s.file, s.line),
                                    None => "-".into(),
                                },
                                f.msg_seq.map_or_else(|| "-".into(), |q| q.to_string()),
                                if f.kind == FindingKind::Changed || !f.differs.is_empty() {
                                    f.differs.join(", ")
                                } else {
                                    f.note.clone()
                                },
                                body(&f.staged),
                                body(&f.found),
                            ]
                        })
                        .collect(),
                ));
            }
        }
    }

    let failed: Vec<_> = r
        .attention
        .iter()
        .filter(|a| a.state != "skipped")
        .collect();
    if !failed.is_empty() {
        out.push(Block::Heading("Failed and invalid messages".into()));
        out.push(table(
            vec!["Group", "Message", "State", "Code", "Why"],
            failed
                .iter()
                .map(|a| {
                    vec![
                        a.target.to_string(),
                        message_at(Some(&a.source)),
                        a.state.clone(),
                        a.code.map_or_else(String::new, |c| c.to_string()),
                        [a.meaning.as_deref(), a.detail.as_deref()]
                            .into_iter()
                            .flatten()
                            .filter(|w| !w.is_empty())
                            .collect::<Vec<_>>()
                            .join(": "),
                    ]
                })
                .collect(),
        ));
    }

    out.push(Block::Heading("Import pace".into()));
    out.push(Block::Para(if s.pace.points.is_empty() {
        "No request was recorded.".into()
    } else {
        format!(
            "Messages per second from the first request to the last ({:.0} s), {} s a point: peak {:.1}/s, mean {:.1}/s.",
            s.pace.span_secs,
            s.pace.bucket_secs,
            s.pace.peak(),
            s.pace.mean()
        )
    }));
    out.push(Block::Chart);
    out.push(Block::Para(format!(
        "Made by timport {} at {} from the ledger.",
        env!("CARGO_PKG_VERSION"),
        when(s.generated_at)
    )));
    out
}
