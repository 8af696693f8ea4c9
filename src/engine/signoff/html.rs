//! The sign-off report as one HTML page: inline styles, the chart as inline SVG, no script and
//! nothing fetched, so it reads the same offline, attached to a ticket or printed. Every text is
//! escaped (`escape::html`).

use super::SignOff;
use super::blocks::{Block, blocks};
use crate::escape::html;

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; color: #1a202c; }
h1 { font-size: 1.6em; margin-bottom: 0.4em; }
h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #e2e8f0; padding-bottom: 0.2em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { border: 1px solid #e2e8f0; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f7fafc; }
td { overflow-wrap: anywhere; max-width: 40em; }
.verdict { padding: 0.7em 1em; border-radius: 4px; font-weight: 600; }
.good { background: #e6ffed; border: 1px solid #38a169; }
.bad { background: #fff5f5; border: 1px solid #e53e3e; }
@media print { body { margin: 0; } }
";

/// The whole page.
pub fn page(s: &SignOff) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let doc = blocks(s);
    let title = doc
        .iter()
        .find_map(|b| match b {
            Block::Title(t) => Some(t.as_str()),
            _ => None,
        })
        .unwrap_or("Migration sign-off");
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        html(title)
    ));
    for block in &doc {
        match block {
            Block::Title(t) => out.push_str(&format!("<h1>{}</h1>\n", html(t))),
            Block::Heading(h) => out.push_str(&format!("<h2>{}</h2>\n", html(h))),
            Block::Para(p) => out.push_str(&format!("<p>{}</p>\n", code_spans(p))),
            Block::Verdict { good, text } => out.push_str(&format!(
                "<p class=\"verdict {}\">{}</p>\n",
                if *good { "good" } else { "bad" },
                code_spans(text)
            )),
            Block::Table { head, rows } => {
                out.push_str("<table>\n");
                if head.iter().any(|h| !h.is_empty()) {
                    out.push_str("<tr>");
                    for h in head {
                        out.push_str(&format!("<th>{}</th>", html(h)));
                    }
                    out.push_str("</tr>\n");
                }
                for row in rows {
                    out.push_str("<tr>");
                    for cell in row {
                        out.push_str(&format!("<td>{}</td>", html(cell)));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</table>\n");
            }
            Block::Chart => {
                out.push_str(&s.pace.svg());
                out.push('\n');
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// A paragraph with its `` `command` `` spans as `<code>` (the text escaped).
fn code_spans(text: &str) -> String {
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{}</code>", html(part))
            } else {
                html(part)
            }
        })
        .collect()
}
