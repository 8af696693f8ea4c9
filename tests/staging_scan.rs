//! Scanning and loading staged files through the library: every format, the broken cases, the
//! index, load by offset, fingerprints.

use std::fs;
use std::path::{Path, PathBuf};

use timport::staging::{
    Flags, LoadError, ProblemKind, ScanOptions, Severity, Staging, Target, scan,
};

const NOW: i64 = 1_700_000_000;

fn opts() -> ScanOptions {
    ScanOptions::new(NOW)
}

fn fixtures(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/staging")
        .join(name)
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(&path, content).unwrap();
    path
}

fn msg(from: &str, time: i64, text: &str) -> String {
    format!(
        r#"{{"From_Account":"{from}","SendTime":{time},"MsgBody":[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"{text}"}}}}]}}"#
    )
}

fn problems_at<'a>(s: &'a Staging, file: &str, line: u32) -> Vec<&'a timport::staging::Problem> {
    s.problems()
        .iter()
        .filter(|p| &*p.file == file && p.line == line)
        .collect()
}

#[test]
fn jsonl_messages_are_sorted_stably_and_loaded_exactly_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        msg("a", 100, "first"),
        msg("b", 300, "third"),
        msg("c", 200, "second, staged late"),
        msg("d", 300, "fourth, ties keep file order"),
        // Element key order differs from the usual; it must survive unchanged.
        r#"{"SendTime":400,"From_Account":"a","Random":9,"MsgBody":[{"MsgContent":{"Text":"x","Zeta":1},"MsgType":"TIMTextElem"}]}"#.to_owned(),
    ];
    write(dir.path(), "g1.jsonl", lines.join("\n"));
    let s = scan(dir.path(), &opts()).unwrap();
    assert!(s.is_importable(), "{:?}", s.problems());
    let t = s.target(&Target::new("g1", None)).unwrap();
    assert_eq!(t.out_of_order(), 1);
    assert_eq!(t.time_range(), Some((100, 400)));
    assert_eq!(t.sender_count(), 4);
    let order: Vec<u32> = t.entries().iter().map(|e| e.line()).collect();
    assert_eq!(order, [1, 3, 2, 4, 5]);
    let loaded = s.load(t.target()).unwrap();
    assert!(loaded.invalid.is_empty());
    let texts: Vec<String> = loaded.messages.iter().map(|m| m.msg.summary()).collect();
    assert_eq!(
        texts,
        [
            "first",
            "second, staged late",
            "third",
            "fourth, ties keep file order",
            "x"
        ]
    );
    let last = &loaded.messages[4];
    assert_eq!(
        serde_json::to_string(&last.msg.msg_body).unwrap(),
        r#"[{"MsgContent":{"Text":"x","Zeta":1},"MsgType":"TIMTextElem"}]"#
    );
    assert_eq!(last.msg.random, Some(9));
    assert_eq!((last.source.line, last.source.item), (5, 0));
    assert_eq!(&*last.source.file, "g1.jsonl");
    // The offset points at the message's bytes in the file.
    let file = fs::read(dir.path().join("g1.jsonl")).unwrap();
    assert!(file[last.source.offset as usize..].starts_with(b"{\"SendTime\":400"));
}

#[test]
fn ties_keep_file_order_across_files_and_directories() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "2022/g.jsonl", msg("late-file", 50, "b"));
    write(
        dir.path(),
        "2021/g.jsonl",
        format!("{}\n{}", msg("x", 60, "c"), msg("early-file", 50, "a")),
    );
    let s = scan(dir.path(), &opts()).unwrap();
    let paths: Vec<&str> = s.files().iter().map(|f| &*f.path).collect();
    assert_eq!(paths, ["2021/g.jsonl", "2022/g.jsonl"]);
    let loaded = s.load(&Target::new("g", None)).unwrap();
    let senders: Vec<&str> = loaded
        .messages
        .iter()
        .map(|m| m.msg.from_account.as_str())
        .collect();
    assert_eq!(senders, ["early-file", "late-file", "x"]);
}

#[test]
fn the_three_json_layouts() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "body.json",
        format!(
            r#"{{"MsgList":[{},{}],"TopicId":"@TGS#_c@TOPIC#_t","GroupId":"@TGS#_c"}}"#,
            msg("a", 10, "one"),
            msg("b", 11, "two")
        ),
    );
    write(
        dir.path(),
        "bodies.json",
        format!(
            "[\n{{\"GroupId\":\"g2\",\"RecentContactFlag\":1,\"MsgList\":[\n{}\n]}},\n{{\"GroupId\":\"g3\",\"MsgList\":[{}]}}\n]",
            msg("c", 20, "three"),
            msg("d", 21, "four")
        ),
    );
    write(
        dir.path(),
        "g4.json",
        format!("[{}, {}]", msg("e", 30, "five"), msg("f", 31, "six")),
    );
    let s = scan(dir.path(), &opts()).unwrap();
    assert!(s.is_importable(), "{:?}", s.problems());
    let targets: Vec<String> = s.targets().iter().map(|t| t.target().to_string()).collect();
    assert_eq!(
        targets,
        ["@TGS#_c topic @TGS#_c@TOPIC#_t", "g2", "g3", "g4"]
    );
    let topic = s
        .load(&Target::new("@TGS#_c", Some("@TGS#_c@TOPIC#_t")))
        .unwrap();
    assert_eq!(topic.messages.len(), 2);
    assert_eq!(topic.messages[1].source.item, 1);
    assert_eq!(topic.messages[1].recent_contact_flag, None);
    let g2 = s.load(&Target::new("g2", None)).unwrap();
    assert_eq!(g2.messages[0].recent_contact_flag, Some(1));
    assert_eq!(g2.messages[0].source.line, 3);
    let g4 = s.load(&Target::new("g4", None)).unwrap();
    assert_eq!(g4.messages[1].source.item, 1);
    assert_eq!(g4.messages[1].msg.summary(), "six");
}

#[test]
fn every_broken_line_is_reported_where_it_is_and_reading_goes_on() {
    let s = scan(&fixtures("broken"), &opts()).unwrap();
    let expect = [
        (2, ProblemKind::InvalidJson, None),
        (3, ProblemKind::NotUtf8, None),
        (4, ProblemKind::MissingField, Some("From_Account")),
        (5, ProblemKind::WrongType, Some("SendTime")),
        (6, ProblemKind::Random, Some("Random")),
        (7, ProblemKind::EmptyBody, Some("MsgBody")),
        (8, ProblemKind::TooManyCustom, Some("MsgBody")),
        (9, ProblemKind::ElementType, Some("MsgBody[0].MsgType")),
        (
            10,
            ProblemKind::ElementContent,
            Some("MsgBody[0].MsgContent.Text"),
        ),
        (11, ProblemKind::FromAccount, Some("From_Account")),
        (14, ProblemKind::Shape, Some("MsgList")),
        (16, ProblemKind::UnknownField, Some("CloudCustomData")),
        (17, ProblemKind::MessageTooLarge, None),
        (18, ProblemKind::Shape, None),
    ];
    for (line, kind, field) in expect {
        let found = problems_at(&s, "broken.jsonl", line);
        assert_eq!(found.len(), 1, "line {line}: {found:?}");
        assert_eq!(found[0].kind, kind, "line {line}");
        assert_eq!(found[0].field.as_deref(), field, "line {line}");
    }
    // The BOM and CRLF of the first line, and the blank lines 12 and 13, are fine.
    assert!(problems_at(&s, "broken.jsonl", 1).is_empty());
    assert!(problems_at(&s, "broken.jsonl", 12).is_empty());
    let broken = s.load(&Target::new("broken", None)).unwrap();
    let valid_lines: Vec<u32> = broken.messages.iter().map(|m| m.source.line).collect();
    assert_eq!(valid_lines, [1, 16]);
    assert_eq!(
        broken.messages[1].warnings[0].kind,
        ProblemKind::UnknownField
    );
    // Line 15 moved to its own group.
    assert_eq!(
        s.load(&Target::new("other-group", None)).unwrap().messages[0]
            .source
            .line,
        15
    );
    // The ignored file and the broken .json structure are reported too.
    assert_eq!(
        problems_at(&s, "notes.txt", 0)[0].kind,
        ProblemKind::IgnoredFile
    );
    let structure = problems_at(&s, "structure.json", 8);
    assert_eq!(structure[0].kind, ProblemKind::InvalidJson);
    assert!(structure[0].message.contains("not read"));
    // The body before the break is fine; the cut body's messages are invalid, not lost.
    assert_eq!(s.load(&Target::new("g5", None)).unwrap().messages.len(), 1);
    let cut = s.load(&Target::new("structure", None)).unwrap();
    assert_eq!(cut.invalid.len(), 2);
    assert!(
        cut.invalid
            .iter()
            .all(|m| m.problems[0].kind == ProblemKind::BodyInvalid)
    );
}

#[test]
fn invalid_messages_come_back_from_load_with_their_problems() {
    let s = scan(&fixtures("broken"), &opts()).unwrap();
    let loaded = s.load(&Target::new("broken", None)).unwrap();
    assert_eq!(loaded.invalid.len(), 13);
    let json_error = loaded.invalid.iter().find(|m| m.source.line == 2).unwrap();
    assert_eq!(json_error.problems[0].kind, ProblemKind::InvalidJson);
    assert!(
        json_error
            .raw
            .as_deref()
            .unwrap()
            .starts_with("{\"From_Account\":\"x\"")
    );
    assert_eq!(json_error.send_time, None);
    let bad_random = loaded.invalid.iter().find(|m| m.source.line == 6).unwrap();
    assert_eq!(bad_random.send_time, Some(1_600_000_105));
    // Invalid messages keep their place in the lane's order.
    let times: Vec<i64> = loaded.invalid.iter().filter_map(|m| m.send_time).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
}

#[test]
fn a_line_of_many_megabytes_is_reported_without_being_buffered() {
    let dir = tempfile::tempdir().unwrap();
    let huge = format!(
        r#"{{"From_Account":"a","SendTime":5,"MsgBody":[{{"MsgType":"TIMTextElem","MsgContent":{{"Text":"{}"}}}}]}}"#,
        "x".repeat(24 << 20)
    );
    write(
        dir.path(),
        "g.jsonl",
        format!(
            "{}\n{huge}\n{}\n",
            msg("a", 1, "before"),
            msg("b", 9, "after")
        ),
    );
    write(
        dir.path(),
        "h.json",
        format!("[{huge}, {}]", msg("c", 7, "after in json")),
    );
    let s = scan(dir.path(), &opts()).unwrap();
    let long = problems_at(&s, "g.jsonl", 2);
    assert_eq!(long[0].kind, ProblemKind::TooLong);
    assert!(
        long[0].message.contains(&format!("{} bytes", huge.len())),
        "{}",
        long[0].message
    );
    let g = s.load(&Target::new("g", None)).unwrap();
    assert_eq!(g.messages.len(), 2);
    assert_eq!(g.invalid.len(), 1);
    assert_eq!(g.invalid[0].raw, None);
    let t = s.target(&Target::new("g", None)).unwrap();
    assert!(
        t.entries()
            .iter()
            .any(|e| e.flags().contains(Flags::TOO_LONG))
    );
    let h = s.load(&Target::new("h", None)).unwrap();
    assert_eq!(h.messages[0].msg.summary(), "after in json");
    assert_eq!(h.invalid[0].problems[0].kind, ProblemKind::TooLong);
}

#[test]
fn exact_duplicates_are_flagged_as_warnings() {
    let s = scan(&fixtures("broken"), &opts()).unwrap();
    let dup = problems_at(&s, "dupes.jsonl", 2);
    assert_eq!(dup[0].kind, ProblemKind::Duplicate);
    assert_eq!(dup[0].severity, Severity::Warning);
    assert!(dup[0].message.contains("dupes.jsonl:1"));
    // Line 3 has the same sender and time but another body: not a duplicate.
    assert!(problems_at(&s, "dupes.jsonl", 3).is_empty());
    // A repeated staged Random is the planner's to replace (see plan_cli), not a scan problem.
    assert!(problems_at(&s, "dupes.jsonl", 5).is_empty());
    let t = s.target(&Target::new("dupes", None)).unwrap();
    let flagged: Vec<u32> = t
        .entries()
        .iter()
        .filter(|e| e.flags().contains(Flags::DUPLICATE))
        .map(|e| e.line())
        .collect();
    assert_eq!(flagged, [2]);
    assert_eq!(
        s.load(t.target()).unwrap().messages.len(),
        5,
        "warnings do not drop messages"
    );
}

#[test]
fn target_rules_apply_to_every_message_of_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let long_group = "g".repeat(49);
    write(
        dir.path(),
        &format!("{long_group}.jsonl"),
        format!("{}\n{}", msg("a", 1, "x"), msg("b", 2, "y")),
    );
    write(
        dir.path(),
        "plain@TOPIC#_t.jsonl",
        msg("a", 1, "topic on a non-community group"),
    );
    let s = scan(dir.path(), &opts()).unwrap();
    let long = s.target(&Target::new(&long_group, None)).unwrap();
    assert_eq!(long.target_problems().len(), 1, "reported once");
    let loaded = s.load(long.target()).unwrap();
    assert!(loaded.messages.is_empty());
    assert_eq!(loaded.invalid.len(), 2);
    assert!(
        loaded
            .invalid
            .iter()
            .all(|m| m.problems.iter().any(|p| p.kind == ProblemKind::GroupId))
    );
    let topic = s
        .target(&Target::new("plain", Some("plain@TOPIC#_t")))
        .unwrap();
    let warning = &s.problems()[topic.target_problems()[0]];
    assert_eq!(
        (warning.kind, warning.severity),
        (ProblemKind::TopicId, Severity::Warning)
    );
    assert_eq!(s.load(topic.target()).unwrap().messages.len(), 1);
    let report = timport::staging::ValidationReport::new(&s, &[], 7);
    let long_report = report
        .targets
        .iter()
        .find(|t| t.group == long_group)
        .unwrap();
    assert_eq!((long_report.valid, long_report.importable), (0, false));
}

#[test]
fn fingerprints_are_recorded_and_changed_files_refuse_to_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "g.jsonl", format!("{}\n", msg("a", 1, "x")));
    let s = scan(dir.path(), &opts()).unwrap();
    let fp = s.files()[0].fingerprint.clone().unwrap();
    assert_eq!(fp.size, fs::metadata(&path).unwrap().len());
    assert_eq!(fp, timport::staging::Fingerprint::of_file(&path).unwrap());
    fs::write(
        &path,
        format!("{}\n{}\n", msg("a", 1, "x"), msg("b", 2, "y")),
    )
    .unwrap();
    assert_ne!(fp, timport::staging::Fingerprint::of_file(&path).unwrap());
    match s.load(&Target::new("g", None)) {
        Err(LoadError::Changed { file, .. }) => assert_eq!(&*file, "g.jsonl"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        s.load(&Target::new("nope", None)),
        Err(LoadError::UnknownTarget(_))
    ));
}

#[test]
fn body_field_errors_make_its_messages_invalid_but_visible() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "b.json",
        format!(
            r#"{{"GroupId":"g","RecentContactFlag":"yes","MsgList":[{}]}}"#,
            msg("a", 1, "x")
        ),
    );
    let s = scan(dir.path(), &opts()).unwrap();
    let body = problems_at(&s, "b.json", 1);
    assert!(
        body.iter()
            .any(|p| p.kind == ProblemKind::RecentContactFlag && p.is_error())
    );
    let loaded = s.load(&Target::new("g", None)).unwrap();
    assert_eq!(loaded.invalid.len(), 1);
    assert_eq!(loaded.invalid[0].problems[0].kind, ProblemKind::BodyInvalid);
}

#[test]
fn load_range_pages_through_a_target() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (0..10).map(|i| msg("a", 100 - i, &i.to_string())).collect();
    write(dir.path(), "g.jsonl", lines.join("\n"));
    let s = scan(dir.path(), &opts()).unwrap();
    let g = Target::new("g", None);
    let all = s.load(&g).unwrap().messages;
    let mut paged = Vec::new();
    for start in (0..10).step_by(3) {
        paged.extend(s.load_range(&g, start..start + 3).unwrap().messages);
    }
    assert_eq!(paged, all);
    assert!(s.load_range(&g, 20..30).unwrap().messages.is_empty());
}

#[test]
fn empty_and_missing_paths() {
    let dir = tempfile::tempdir().unwrap();
    let s = scan(dir.path(), &opts()).unwrap();
    assert_eq!(s.problems()[0].kind, ProblemKind::NoFiles);
    assert!(!s.is_importable());
    let missing = scan(&dir.path().join("nope"), &opts()).unwrap_err();
    assert!(missing.to_string().contains("nope"), "{missing}");
    let single = write(dir.path(), "one.jsonl", msg("a", 1, "x"));
    let s = scan(&single, &opts()).unwrap();
    assert_eq!(&*s.files()[0].path, "one.jsonl");
    assert!(s.is_importable());
}

#[test]
fn future_times_depend_on_the_given_now() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "g.jsonl", msg("a", NOW + 1, "x"));
    assert!(!scan(dir.path(), &opts()).unwrap().is_importable());
    assert!(
        scan(dir.path(), &ScanOptions::new(NOW + 1))
            .unwrap()
            .is_importable()
    );
}

#[test]
fn problems_over_the_listing_cap_are_counted_and_derived_again_on_load() {
    let full = scan(&fixtures("broken"), &opts()).unwrap();
    let capped = scan(
        &fixtures("broken"),
        &ScanOptions {
            max_listed_problems: 2,
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(capped.problems().len(), 2);
    assert_eq!(capped.unlisted_problems(), full.problems().len() - 2);
    assert_eq!(capped.count(Severity::Error), full.count(Severity::Error));
    assert_eq!(
        capped.count(Severity::Warning),
        full.count(Severity::Warning)
    );
    let broken = Target::new("broken", None);
    assert_eq!(
        capped.problem_counts(Some(&broken)),
        full.problem_counts(Some(&broken))
    );
    // Loading gives every invalid message the same problems, listed or not.
    for target in [
        broken,
        Target::new("dupes", None),
        Target::new("structure", None),
    ] {
        let a = full.load(&target).unwrap();
        let b = capped.load(&target).unwrap();
        let kinds = |l: &timport::staging::Loaded| -> Vec<Vec<(u32, ProblemKind)>> {
            l.invalid
                .iter()
                .map(|m| m.problems.iter().map(|p| (p.line, p.kind)).collect())
                .chain(
                    l.messages
                        .iter()
                        .map(|m| m.warnings.iter().map(|p| (p.line, p.kind)).collect()),
                )
                .collect()
        };
        assert_eq!(kinds(&a), kinds(&b), "{target}");
    }
}

#[test]
fn progress_is_reported_per_file_and_within_long_files() {
    let dir = tempfile::tempdir().unwrap();
    let line = msg("a", 1, &"x".repeat(200));
    let big: String = std::iter::repeat_n(format!("{line}\n"), (17 << 20) / line.len()).collect();
    write(dir.path(), "big.jsonl", &big);
    write(dir.path(), "small.json", format!("[{}]", msg("b", 2, "y")));
    let total = fs::metadata(dir.path().join("big.jsonl")).unwrap().len()
        + fs::metadata(dir.path().join("small.json")).unwrap().len();
    let mut seen = Vec::new();
    timport::staging::scan_with_progress(dir.path(), &opts(), &mut |p| seen.push(p)).unwrap();
    assert_eq!((seen[0].bytes_read, seen[0].files_done), (0, 0));
    assert!(
        seen.iter()
            .all(|p| p.bytes_total == total && p.files_total == 2)
    );
    assert!(seen.windows(2).all(|w| w[0].bytes_read <= w[1].bytes_read));
    let within_big = seen
        .iter()
        .filter(|p| p.files_done == 0 && p.bytes_read > 0)
        .count();
    assert_eq!(
        within_big, 1,
        "one report at 16 MiB inside the 17 MiB file: {seen:?}"
    );
    let last = seen.last().unwrap();
    assert_eq!((last.bytes_read, last.files_done), (total, 2));
}
