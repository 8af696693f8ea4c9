//! The documentation cannot drift from the code: docs/reference.md against `--help` of the real
//! binary (every option, its variable), the config file's keys and the exit codes;
//! docs/ledger.md against the ledger's tables; every link between the docs, and every `docs/`
//! page the code cites, against the files and headings that exist; the README's size.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// `timport [COMMAND] --help`, without any `TIMPORT_*` variable of the test's environment (clap
/// would print their values).
fn help(command: Option<&str>) -> String {
    let home = tempfile::tempdir().expect("temp dir");
    let mut cmd = support::binary::timport_command(home.path());
    cmd.env("COLUMNS", "100");
    if let Some(c) = command {
        cmd.arg(c);
    }
    let out = cmd.arg("--help").output().expect("the binary runs");
    assert!(out.status.success(), "{command:?} --help failed");
    String::from_utf8(out.stdout).expect("help is UTF-8")
}

/// The long options of a `--help` text, each with its environment variable if it has one.
fn help_options(text: &str) -> BTreeMap<String, Option<String>> {
    let mut blocks: Vec<String> = Vec::new();
    let mut in_options = false;
    for line in text.lines() {
        if line.starts_with("Options:") {
            in_options = true;
            continue;
        }
        if !in_options {
            continue;
        }
        let trimmed = line.trim_start();
        // Options are indented by 2 or 6; their wrapped descriptions by more.
        let indent = line.len() - trimmed.len();
        if trimmed.starts_with('-') && indent <= 6 {
            blocks.push(trimmed.to_owned());
        } else if let Some(last) = blocks.last_mut()
            && !trimmed.is_empty()
        {
            last.push(' ');
            last.push_str(trimmed);
        }
    }
    blocks
        .iter()
        .filter_map(|block| {
            let flag = first_flag(block)?;
            let env = block.split("[env:").nth(1).map(|rest| {
                rest.trim_start()
                    .split(['=', ']'])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_owned()
            });
            Some((flag, env))
        })
        .filter(|(flag, _)| flag != "help" && flag != "version")
        .collect()
}

/// The first `--name` in `text`, without the dashes.
fn first_flag(text: &str) -> Option<String> {
    flags_in(text).into_iter().next()
}

/// Every `--name` in `text`, in order.
fn flags_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("--") {
        let after = &rest[at + 2..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
            .collect();
        if name.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
            out.push(name.trim_end_matches('-').to_owned());
        }
        rest = &after[name.len().min(after.len())..];
    }
    out
}

/// The `## ` sections of a Markdown text by heading (the heading line without `## `).
fn sections(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if !in_code && let Some(heading) = line.strip_prefix("## ") {
            out.push((heading.to_owned(), String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

/// The table rows of a section: the first cell and the whole row.
fn rows(body: &str) -> Vec<(String, String)> {
    body.lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
        .map(|l| {
            let first = l.trim_start_matches('|').split(" | ").next().unwrap_or("");
            (first.to_owned(), l.to_owned())
        })
        .collect()
}

/// A section of docs/reference.md.
fn section<'a>(all: &'a [(String, String)], heading: &str) -> &'a str {
    section_of(all, heading, "docs/reference.md")
}

#[test]
fn the_reference_lists_every_option_of_every_command_and_nothing_else() {
    let reference = read("docs/reference.md");
    let all = sections(&reference);
    let global = help_options(&help(None));
    let connection = section(&all, "Connection options");
    let connection_flags: BTreeSet<String> = rows(connection)
        .iter()
        .flat_map(|(first, _)| flags_in(first))
        .collect();
    let globals: BTreeSet<String> = help_options(&help(Some("usersig")))
        .into_keys()
        .filter(|f| f != "expire")
        .collect();
    assert_eq!(connection_flags, globals, "the connection options");
    for (first, row) in rows(connection) {
        for flag in flags_in(&first) {
            if let Some(Some(env)) = global.get(&flag) {
                assert!(row.contains(env), "--{flag}: {env} not in its row: {row}");
            }
        }
    }

    let commands = [
        ("`timport`", None),
        ("`timport demo`", Some("demo")),
        ("`timport sandbox`", Some("sandbox")),
        ("`timport validate STAGING`", Some("validate")),
        ("`timport plan STAGING`", Some("plan")),
        ("`timport run STAGING`", Some("run")),
        ("`timport report [RUN]`", Some("report")),
        ("`timport verify [RUN]`", Some("verify")),
        ("`timport decide RUN --code N`", Some("decide")),
        ("`timport watch [RUN]`", Some("watch")),
        ("`timport usersig`", Some("usersig")),
        ("`timport completions SHELL`", Some("completions")),
        ("`timport man`", Some("man")),
    ];
    let listed: BTreeSet<&str> = commands.iter().filter_map(|(_, c)| *c).collect();
    for line in help(None).lines() {
        let Some(name) = line
            .strip_prefix("  ")
            .and_then(|l| l.split_whitespace().next())
        else {
            continue;
        };
        if line.starts_with("  ") && !line.starts_with("   ") && !name.starts_with('-') {
            assert!(
                name == "help" || listed.contains(name),
                "command {name} has no section in docs/reference.md"
            );
        }
    }
    for (heading, command) in commands {
        let options = help_options(&help(command));
        let own: BTreeSet<String> = options
            .keys()
            .filter(|f| !globals.contains(*f))
            .cloned()
            .collect();
        let body = section(&all, heading);
        let documented: BTreeSet<String> = rows(body)
            .iter()
            .flat_map(|(first, _)| flags_in(first))
            .collect();
        for flag in &own {
            assert!(
                documented.contains(flag),
                "{heading}: --{flag} is in --help but not in docs/reference.md"
            );
        }
        for flag in &documented {
            assert!(
                options.contains_key(flag),
                "{heading}: --{flag} is in docs/reference.md but not in --help"
            );
        }
        // A global flag listed here too has its variable in the connection options' table.
        for (first, row) in rows(body) {
            for flag in flags_in(&first)
                .into_iter()
                .filter(|f| !globals.contains(f))
            {
                if let Some(Some(env)) = options.get(&flag) {
                    assert!(
                        row.contains(env),
                        "{heading} --{flag}: {env} not in its row"
                    );
                }
            }
        }
    }
}

#[test]
fn the_reference_lists_every_variable_profile_key_and_exit_code() {
    let reference = read("docs/reference.md");
    let all = sections(&reference);

    let environment = section(&all, "Environment variables");
    let mut variables: BTreeSet<String> = [
        timport::config::SECRET_KEY_ENV,
        timport::config::CONFIG_DIR_ENV,
        timport::config::DATA_DIR_ENV,
    ]
    .map(str::to_owned)
    .into();
    for command in [
        None,
        Some("sandbox"),
        Some("validate"),
        Some("run"),
        Some("report"),
    ] {
        variables.extend(help_options(&help(command)).into_values().flatten());
    }
    for variable in &variables {
        assert!(
            environment.contains(&format!("`{variable}`")),
            "{variable} is not in docs/reference.md's environment variables"
        );
    }

    // Every key of a profile with every field set, and the file's own key.
    let full = timport::config::Profile {
        region: Some(timport::api::Region::China),
        endpoint: Some(timport::api::Endpoint::parse("http://127.0.0.1:9").expect("endpoint")),
        sdkappid: Some(1),
        admin: Some("a".into()),
        key_file: Some("k".into()),
        rate: Some(1),
        lanes: Some(1),
        on_message_error: Some(timport::engine::OnMessageError::Pause),
        same_second: Some(timport::plan::SameSecond::Spread),
        ledger: Some("l".into()),
        utc: Some(true),
    };
    let value = serde_json::to_value(&full).expect("a profile serialises");
    let mut keys: BTreeSet<String> = value
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect();
    keys.insert("default_profile".into());
    let documented: BTreeSet<String> = rows(section(&all, "Profile keys"))
        .iter()
        .map(|(first, _)| first.trim().trim_matches('`').to_owned())
        .filter(|k| k != "Key")
        .collect();
    assert_eq!(documented, keys, "docs/reference.md's profile keys");

    use timport::exit::Exit;
    let codes: BTreeSet<String> = [
        Exit::Done,
        Exit::Failed,
        Exit::BadInput,
        Exit::Stopped,
        Exit::Interrupted,
    ]
    .map(|e| e.code().to_string())
    .into();
    let documented: BTreeSet<String> = rows(section(&all, "Exit codes"))
        .iter()
        .map(|(first, _)| first.trim().trim_matches('`').to_owned())
        .filter(|k| k != "Code")
        .collect();
    assert_eq!(documented, codes, "docs/reference.md's exit codes");
}

#[test]
fn the_ledger_page_names_every_table_and_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.sqlite3");
    drop(timport::engine::ledger::Ledger::open(&path).expect("a new ledger"));
    let conn = rusqlite::Connection::open(&path).expect("open");
    let mut tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    tables.retain(|t| !t.starts_with("sqlite_"));
    assert!(tables.len() >= 6, "{tables:?}");
    let page = read("docs/ledger.md");
    let all = sections(&page);
    for table in &tables {
        let body = section_of(&all, &format!("`{table}`"), "docs/ledger.md");
        let mut stmt = conn
            .prepare(&format!("PRAGMA table_info({table})"))
            .expect("table_info");
        let columns: Vec<String> = stmt
            .query_map([], |r| r.get(1))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        let documented: BTreeSet<String> = rows(body)
            .iter()
            .map(|(first, _)| first.trim().trim_matches('`').to_owned())
            .filter(|c| c != "Column")
            .collect();
        let columns: BTreeSet<String> = columns.into_iter().collect();
        assert_eq!(documented, columns, "docs/ledger.md, table {table}");
    }
}

fn section_of<'a>(all: &'a [(String, String)], heading: &str, file: &str) -> &'a str {
    all.iter()
        .find(|(h, _)| h == heading)
        .map(|(_, b)| b.as_str())
        .unwrap_or_else(|| panic!("{file} has no section '## {heading}'"))
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown file's headings.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if !in_code && line.starts_with('#') {
            out.insert(slug(line.trim_start_matches('#')));
        }
    }
    out
}

/// Checks `target` (`path`, `path#anchor` or `#anchor`): a path relative to the directory `base`
/// (both relative to the repository), an anchor of that file or of `page` itself. Problems are
/// named after `label`.
fn check_link(page: &Path, base: &Path, label: &str, target: &str, problems: &mut Vec<String>) {
    if target.starts_with("http") || target.starts_with("mailto:") {
        return;
    }
    let (file, anchor) = match target.split_once('#') {
        Some((f, a)) => (f, Some(a)),
        None => (target, None),
    };
    let path = if file.is_empty() {
        page.to_owned()
    } else {
        base.join(file)
    };
    let full = root().join(&path);
    if !full.exists() {
        problems.push(format!("{label}: {target}: no such file"));
        return;
    }
    if let Some(anchor) = anchor {
        let text = std::fs::read_to_string(&full).unwrap_or_default();
        if !anchors(&text).contains(anchor) {
            problems.push(format!("{label}: {target}: no such heading"));
        }
    }
}

#[test]
fn links_between_the_docs_and_citations_in_the_code_lead_somewhere() {
    let mut problems = Vec::new();
    let mut pages = vec![PathBuf::from("README.md"), PathBuf::from("BENCHMARKS.md")];
    for entry in std::fs::read_dir(root().join("docs")).expect("docs/") {
        let name = entry.expect("entry").file_name();
        pages.push(Path::new("docs").join(name));
    }
    for page in &pages {
        let text = read(&page.to_string_lossy());
        let mut rest = text.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let end = after.find(')').unwrap_or(after.len());
            let base = page.parent().unwrap_or(Path::new(""));
            let label = page.display().to_string();
            check_link(page, base, &label, &after[..end], &mut problems);
            rest = &after[end..];
        }
    }
    // `docs/NAME.md` or `docs/NAME.md#anchor` cited in the code, the tests and BENCHMARKS.md.
    let mut files = vec![root().join("BENCHMARKS.md")];
    let mut stack = vec![
        root().join("src"),
        root().join("tests"),
        root().join("benches"),
    ];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("a directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    // This file names the pattern it looks for.
    files.retain(|f| !f.ends_with("tests/docs_reference.rs"));
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a source file");
        let mut rest = text.as_str();
        while let Some(at) = rest.find("docs/") {
            let after = &rest[at..];
            let cited: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "/._-#".contains(*c))
                .collect();
            let cited = cited.trim_end_matches(['.', '-']);
            if cited.contains(".md") {
                let rel = file.strip_prefix(root()).unwrap_or(&file);
                let label = rel.display().to_string();
                check_link(rel, Path::new(""), &label, cited, &mut problems);
            }
            rest = &after[cited.len().max(5)..];
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_readme_stays_a_starting_point() {
    let size = read("README.md").len();
    assert!(size < 40 * 1024, "README.md is {size} bytes");
}
