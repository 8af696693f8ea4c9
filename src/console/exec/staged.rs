//! Reading staged messages for the console's pop-ups and the inspector.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::engine::SourceRef;
use crate::staging::{Staging, Target};

/// Most bytes of a staged message shown in a pop-up.
const SHOWN_BYTES: usize = 64 * 1024;

/// A staged message's text from `offset`: one line of a `.jsonl` file, or up to
/// [`SHOWN_BYTES`] of a `.json` file; pretty-printed when it is JSON.
pub(super) fn read_staged(path: &Path, offset: u64) -> Result<String, String> {
    let fail = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    // Only what the scan listed, opened as the scan opens it: a regular file, not through a
    // link, never blocking (a FIFO or device swapped in since is refused, not shown).
    let mut file = crate::files::open_regular(path, false).map_err(|e| fail(e.into()))?;
    file.seek(SeekFrom::Start(offset)).map_err(fail)?;
    let mut bytes = Vec::with_capacity(4096);
    file.take(SHOWN_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(fail)?;
    let cut = bytes.len() > SHOWN_BYTES;
    bytes.truncate(SHOWN_BYTES);
    if path.extension().is_some_and(|e| e == "jsonl")
        && let Some(end) = bytes.iter().position(|b| *b == b'\n')
    {
        bytes.truncate(end);
        return Ok(pretty_or_raw(&bytes, false));
    }
    Ok(pretty_or_raw(&bytes, cut))
}

fn pretty_or_raw(bytes: &[u8], cut: bool) -> String {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
        Err(e) => {
            let mut text = String::from_utf8_lossy(bytes).into_owned();
            if cut {
                text.push_str(&format!("\n… (cut at {} KB)", SHOWN_BYTES / 1024));
            }
            format!("{text}\n\n(not valid JSON: {e})")
        }
    }
}

/// The JSON of the message a lane stopped at, as staged (invalid ones as their raw text).
pub(super) fn message_text(
    staging: &Staging,
    target: &Target,
    source: &SourceRef,
) -> Result<String, String> {
    let loaded = staging.load(target).map_err(|e| e.to_string())?;
    if let Some(m) = loaded.messages.iter().find(|m| m.source == *source) {
        return serde_json::to_string_pretty(&m.msg).map_err(|e| e.to_string());
    }
    match loaded.invalid.iter().find(|m| m.source == *source) {
        Some(m) => m
            .raw
            .clone()
            .ok_or_else(|| "the staged text is too long to show".to_owned()),
        None => Err(format!(
            "{} line {} is no longer in the staged files; rescan the staging directory",
            source.file, source.line
        )),
    }
}
