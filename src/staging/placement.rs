//! Where a message whose `SendTime` cannot be read sits in its target's order: at its place in
//! its file, right after the valid message before it there. A lane then imports everything
//! before it and stops at it, instead of stopping first with nothing imported (a time of 0
//! would sort it before everything).
//!
//! When its file is not in time order around it (the valid message before it is newer than one
//! after it), its place in time cannot be known from its neighbours: it goes before the
//! earliest valid message after it in the file (nothing that could follow it is sent before it
//! is fixed or skipped), and a warning says so.
//!
//! Runs once per target on the scan's entries, which are still in file order (files one after
//! the other, each in byte order), before they are sorted.

use super::entry::IndexEntry;
use super::index::StagedFile;
use super::problem::{Finding, Place, Problem, ProblemKind};
use super::target::Target;

/// Gives every entry of `entries` whose time is unreadable the time of its place (see the
/// module doc); returns a warning for each one placed in a file that is out of time order
/// around it.
pub(super) fn place_unreadable(
    entries: &mut [IndexEntry],
    files: &[StagedFile],
    target: &Target,
) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < entries.len() {
        let file = entries[start].file();
        let len = entries[start..]
            .iter()
            .take_while(|e| e.file() == file)
            .count();
        let run = &mut entries[start..start + len];
        if run.iter().any(IndexEntry::time_unreadable) {
            out.extend(place_in_file(run, files, target));
        }
        start += len;
    }
    out
}

/// One file's entries (of one target), in byte order.
fn place_in_file(run: &mut [IndexEntry], files: &[StagedFile], target: &Target) -> Vec<Problem> {
    // The earliest valid message after each unreadable one (time, line), from the back.
    let mut after: Vec<Option<(i64, u32)>> = Vec::new();
    let mut earliest: Option<(i64, u32)> = None;
    for e in run.iter().rev() {
        if e.time_unreadable() {
            after.push(earliest);
        } else if e.is_valid() {
            let here = (e.send_time(), e.line());
            earliest = Some(earliest.map_or(here, |t| if here.0 <= t.0 { here } else { t }));
        }
    }
    let mut out = Vec::new();
    let mut before: Option<(i64, u32)> = None;
    for e in run.iter_mut() {
        if e.is_valid() {
            before = Some((e.send_time(), e.line()));
            continue;
        }
        if !e.time_unreadable() {
            continue;
        }
        let next = after.pop().flatten();
        let time = match (before, next) {
            (Some((b, _)), Some((n, _))) if b <= n => b,
            (Some((b, bline)), Some((n, nline))) => {
                out.push(out_of_order(e, files, target, bline, b, nline, n));
                n
            }
            (Some((b, _)), None) => b,
            (None, Some((n, _))) => n,
            (None, None) => 0,
        };
        // Times of valid messages fit 32 bits (the index stores them so).
        e.place_at(u32::try_from(time).unwrap_or(0));
    }
    out
}

fn out_of_order(
    e: &IndexEntry,
    files: &[StagedFile],
    target: &Target,
    before_line: u32,
    before: i64,
    next_line: u32,
    next: i64,
) -> Problem {
    let place = Place {
        file: files
            .get(e.file() as usize)
            .map_or_else(|| "".into(), |f| f.path.clone()),
        line: e.line(),
        offset: e.offset(),
    };
    Finding::warning(
        ProblemKind::OutOfOrder,
        Some("SendTime"),
        format!(
            "this message's SendTime cannot be read and its file is not in time order here (line {before_line}, SendTime {before}, is newer than line {next_line}, SendTime {next}, after it): its place cannot be known, so it is put before line {next_line} and its lane stops there until it is fixed or skipped"
        ),
    )
    .at(&place, Some(target))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staging::entry::Flags;
    use crate::staging::index::FileKind;

    fn files(n: usize) -> Vec<StagedFile> {
        (0..n)
            .map(|i| StagedFile {
                path: format!("f{i}.jsonl").into(),
                full_path: format!("/s/f{i}.jsonl").into(),
                kind: FileKind::Jsonl,
                target: Target::new("g", None),
                fingerprint: None,
                messages: 0,
            })
            .collect()
    }

    /// `(file, time)`: a time of `None` is a line whose time cannot be read; `Some(-t)` an
    /// invalid line with a readable time `t`.
    fn entries(lines: &[(u32, Option<i64>)]) -> Vec<IndexEntry> {
        lines
            .iter()
            .enumerate()
            .map(|(i, &(file, time))| {
                let (time, flags) = match time {
                    None => (None, Flags::INVALID),
                    Some(t) if t < 0 => (Some(-t), Flags::INVALID),
                    Some(t) => (Some(t), Flags::default()),
                };
                IndexEntry::new(file, i as u64 * 10, i as u32 + 1, time, flags).unwrap()
            })
            .collect()
    }

    /// The lines in the order the index sorts them.
    fn sorted(mut e: Vec<IndexEntry>) -> Vec<u32> {
        e.sort_unstable_by_key(IndexEntry::order_key);
        e.iter().map(IndexEntry::line).collect()
    }

    #[test]
    fn an_unreadable_line_sits_after_the_valid_line_before_it() {
        let t = Target::new("g", None);
        // Lines 1-5 in time order; line 3 cannot be read; line 4 is invalid but has a time.
        let mut e = entries(&[
            (0, Some(10)),
            (0, Some(20)),
            (0, None),
            (0, Some(-25)),
            (0, Some(30)),
        ]);
        assert!(place_unreadable(&mut e, &files(1), &t).is_empty());
        assert_eq!(e[2].send_time(), 20);
        assert_eq!(sorted(e), [1, 2, 3, 4, 5]);
    }

    #[test]
    fn first_and_only_lines_and_several_files() {
        let t = Target::new("g", None);
        // File 0 starts with an unreadable line; file 1 holds only one.
        let mut e = entries(&[(0, None), (0, Some(50)), (0, Some(60)), (1, None)]);
        assert!(place_unreadable(&mut e, &files(2), &t).is_empty());
        assert_eq!((e[0].send_time(), e[3].send_time()), (50, 0));
        assert_eq!(sorted(e), [4, 1, 2, 3]);
        // The last line of a file goes after the valid line before it.
        let mut e = entries(&[(0, Some(5)), (0, None), (1, Some(7))]);
        place_unreadable(&mut e, &files(2), &t);
        assert_eq!(sorted(e), [1, 2, 3]);
    }

    #[test]
    fn out_of_order_around_it_puts_it_before_the_earliest_that_follows_and_says_so() {
        let t = Target::new("g", None);
        // Line 2 (SendTime 90) is newer than line 5 (SendTime 40), which comes after line 3.
        let mut e = entries(&[
            (0, Some(10)),
            (0, Some(90)),
            (0, None),
            (0, Some(60)),
            (0, Some(40)),
        ]);
        let found = place_unreadable(&mut e, &files(1), &t);
        assert_eq!(found.len(), 1);
        let p = &found[0];
        assert_eq!(
            (p.line, p.kind, p.is_error()),
            (3, ProblemKind::OutOfOrder, false)
        );
        assert!(p.message.contains("put before line 5"), "{}", p.message);
        assert_eq!(e[2].send_time(), 40);
        assert_eq!(sorted(e), [1, 3, 5, 4, 2]);
    }
}
