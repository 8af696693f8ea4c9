//! The sign-off report as Markdown (for a wiki or a ticket): the same blocks as the HTML page;
//! the pace as a table of a few points instead of a chart. Every text is escaped for Markdown
//! (no markup, no raw HTML, no table break out of a cell).

use std::fmt::Write as _;

use super::SignOff;
use super::blocks::{Block, blocks};
use crate::escape;

/// Points of the pace table, at most.
const PACE_ROWS: usize = 12;

/// The whole document.
pub fn document(s: &SignOff) -> String {
    let mut out = String::with_capacity(8 * 1024);
    for block in blocks(s) {
        match block {
            Block::Title(t) => {
                let _ = writeln!(out, "# {}\n", text(&t));
            }
            Block::Heading(h) => {
                let _ = writeln!(out, "## {}\n", text(&h));
            }
            Block::Para(p) => {
                let _ = writeln!(out, "{}\n", para(&p));
            }
            Block::Verdict { good, text: t } => {
                let _ = writeln!(out, "> **{}** {}\n", if good { "✓" } else { "✗" }, para(&t));
            }
            Block::Table { head, rows } => {
                let head: Vec<String> = head.iter().map(|h| text(h)).collect();
                let _ = writeln!(out, "| {} |", head.join(" | "));
                let _ = writeln!(out, "|{}", "---|".repeat(head.len()));
                for row in rows {
                    let cells: Vec<String> = row.iter().map(|c| text(c)).collect();
                    let _ = writeln!(out, "| {} |", cells.join(" | "));
                }
                out.push('\n');
            }
            Block::Chart => {
                if s.pace.points.is_empty() {
                    continue;
                }
                // Each row is the mean of a run of points, so no peak falls between rows.
                let step = s.pace.points.len().div_ceil(PACE_ROWS).max(1);
                let _ = writeln!(
                    out,
                    "| From second | Messages/s | Requests/s |\n|---|---|---|"
                );
                for (k, chunk) in s.pace.points.chunks(step).enumerate() {
                    let n = chunk.len() as f64;
                    let messages = chunk.iter().map(|p| p.0).sum::<f64>() / n;
                    let requests = chunk.iter().map(|p| p.1).sum::<f64>() / n;
                    let _ = writeln!(
                        out,
                        "| {:.0} | {messages:.1} | {requests:.1} |",
                        (k * step) as f64 * s.pace.bucket_secs
                    );
                }
                out.push('\n');
            }
        }
    }
    out
}

/// Plain text for Markdown: control characters escaped, `&`, `<` and `>` as entities (no raw
/// HTML), the characters that make emphasis, code, links or a table cell's end
/// backslash-escaped; control characters (line breaks too) escaped.
pub fn text(t: &str) -> String {
    let mut out = String::with_capacity(t.len() + 8);
    for c in escape::controls(t).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A paragraph: its `` `command` `` spans kept as code, the rest as [`text`].
fn para(p: &str) -> String {
    p.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 && !part.contains('`') {
                format!("`{}`", escape::controls(part))
            } else {
                text(part)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_stays_text() {
        assert_eq!(text("<script>x</script>"), "&lt;script&gt;x&lt;/script&gt;");
        assert_eq!(text("a|b *c* [l](u)"), "a\\|b \\*c\\* \\[l\\](u)");
        assert_eq!(text("line\nbreak"), "line\\\\nbreak");
        assert_eq!(
            para("run `timport verify` <b>"),
            "run `timport verify` &lt;b&gt;"
        );
    }
}
