//! The stack of modules stays one way: every `crate::X` (or `super::…` that climbs to the crate
//! root) in `src/` is checked against the table of what each top-level module may use, and the
//! table itself must have no cycle. docs/ARCHITECTURE.md explains the layers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each top-level module may name, besides itself. Read it bottom up: a module may only use
/// the ones listed after it in the stack (cli > console > config > engine > plan > staging >
/// api), plus the leaves `clock`, `exit`, `heap`, `escape`, `files` and `numbers`; `sandbox` speaks `api` and only `cli`
/// starts it.
const ALLOWED: &[(&str, &[&str])] = &[
    ("clock", &[]),
    ("exit", &[]),
    ("heap", &[]),
    ("escape", &[]),
    ("files", &[]),
    ("numbers", &[]),
    ("api", &["clock", "escape", "files"]),
    ("staging", &["api", "clock", "heap", "escape", "files"]),
    ("plan", &["staging", "api", "clock", "escape"]),
    (
        "engine",
        &[
            "plan", "staging", "api", "clock", "exit", "heap", "escape", "files", "numbers",
        ],
    ),
    ("config", &["engine", "api", "clock", "escape", "files"]),
    ("sandbox", &["api", "clock", "escape", "files"]),
    (
        "console",
        &[
            "config", "engine", "plan", "staging", "api", "clock", "heap", "escape", "files",
            "numbers",
        ],
    ),
    (
        "cli",
        &[
            "console", "config", "engine", "plan", "staging", "api", "sandbox", "clock", "exit",
            "heap", "escape", "files", "numbers",
        ],
    ),
];

/// Paths a module must not name although it may use the module above them: the console reads
/// and writes the ledger only through the engine's API (`engine::open`, `engine::report`).
const FORBIDDEN_PATHS: &[(&str, &str)] = &[("console", "engine::ledger")];

mod checker {
    use std::collections::BTreeSet;

    /// The source with comments removed and string and char literals emptied, so that only code
    /// is searched.
    pub fn code_only(text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied();
            if c == '/' && next == Some('/') {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            if c == '/' && next == Some('*') {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                out.push(' ');
                continue;
            }
            let ident_before = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
            if c == 'r' && !ident_before && matches!(next, Some('"') | Some('#')) {
                let mut j = i + 1;
                let mut hashes = 0;
                while chars.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if chars.get(j) == Some(&'"') {
                    j += 1;
                    loop {
                        match chars.get(j) {
                            None => break,
                            Some('"') if (1..=hashes).all(|h| chars.get(j + h) == Some(&'#')) => {
                                j += 1 + hashes;
                                break;
                            }
                            Some(_) => j += 1,
                        }
                    }
                    out.push_str("\"\"");
                    i = j;
                    continue;
                }
            }
            if c == '"' {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
                continue;
            }
            if c == '\'' {
                // A char literal ('x', '\n', '\u{1F600}'), not a lifetime ('a).
                if next == Some('\\') {
                    let mut j = i + 2;
                    while j < chars.len() && chars[j] != '\'' {
                        j += 1;
                    }
                    i = j + 1;
                    out.push_str("' '");
                    continue;
                }
                if chars.get(i + 2) == Some(&'\'') {
                    i += 3;
                    out.push_str("' '");
                    continue;
                }
            }
            out.push(c);
            i += 1;
        }
        out
    }

    fn is_ident(c: char) -> bool {
        c.is_alphanumeric() || c == '_'
    }

    /// The paths a file names from the crate root, as `top::rest` text (`rest` may be empty):
    /// `crate::a::b`, `crate::{a::b, c}`, and `super::…` that climbs out of `module` (the file's
    /// module path, e.g. `["console", "state", "run"]`, deepened by inline `mod x { … }`) to the
    /// root.
    pub fn root_paths(code: &str, module: &[&str]) -> BTreeSet<String> {
        let chars: Vec<char> = code.chars().collect();
        let mut found = BTreeSet::new();
        let mut braces = 0usize;
        // The brace depth inside each inline module that encloses the current position.
        let mut inline: Vec<usize> = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '{' {
                braces += 1;
            } else if c == '}' {
                if inline.last() == Some(&braces) {
                    inline.pop();
                }
                braces = braces.saturating_sub(1);
            }
            let boundary = i == 0 || !(is_ident(chars[i - 1]) || chars[i - 1] == '$');
            if !boundary {
                i += 1;
                continue;
            }
            let ahead = |n: usize| -> String { chars[i..chars.len().min(i + n)].iter().collect() };
            if ahead(4) == "mod " {
                let mut j = i + 4;
                while chars
                    .get(j)
                    .is_some_and(|c| is_ident(*c) || c.is_whitespace())
                {
                    j += 1;
                }
                if chars.get(j) == Some(&'{') {
                    inline.push(braces + 1);
                }
                i += 4;
                continue;
            }
            if ahead(7) == "crate::" {
                collect(&chars, i + 7, &mut found);
                i += 7;
                continue;
            }
            if ahead(7) == "super::" {
                let mut j = i;
                let mut ups = 0;
                while chars[j..].iter().take(7).collect::<String>() == "super::" {
                    ups += 1;
                    j += 7;
                }
                if ups >= module.len() + inline.len() {
                    collect(&chars, j, &mut found);
                }
                i = j;
                continue;
            }
            i += 1;
        }
        found
    }

    /// Reads what follows `crate::` at `at`: one path, or a `{…}` group of paths.
    fn collect(chars: &[char], at: usize, found: &mut BTreeSet<String>) {
        let mut i = at;
        while chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        if chars.get(i) == Some(&'{') {
            let mut depth = 0;
            let mut item = String::new();
            for &c in &chars[i..] {
                match c {
                    '{' => {
                        depth += 1;
                        if depth > 1 {
                            item.push(c);
                        }
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            push_item(&item, found);
                            return;
                        }
                        item.push(c);
                    }
                    ',' if depth == 1 => {
                        push_item(&item, found);
                        item.clear();
                    }
                    _ => item.push(c),
                }
            }
            return;
        }
        let path: String = chars[i..]
            .iter()
            .take_while(|c| is_ident(**c) || **c == ':')
            .collect();
        push_item(&path, found);
    }

    /// Adds `item` (a path, or `prefix::{a, b::{c}}`, expanded) to `found`.
    fn push_item(item: &str, found: &mut BTreeSet<String>) {
        let compact: String = item.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(open) = compact.find('{') {
            let prefix = &compact[..open];
            let inner = compact[open + 1..]
                .strip_suffix('}')
                .unwrap_or(&compact[open + 1..]);
            let mut depth = 0;
            let mut part = String::new();
            for c in inner.chars().chain([',']) {
                match c {
                    ',' if depth == 0 => {
                        push_item(&format!("{prefix}{part}"), found);
                        part.clear();
                    }
                    '{' => {
                        depth += 1;
                        part.push(c);
                    }
                    '}' => {
                        depth -= 1;
                        part.push(c);
                    }
                    _ => part.push(c),
                }
            }
            return;
        }
        let path = compact.trim_end_matches(':');
        let top = path.split("::").next().unwrap_or("");
        if !top.is_empty() && top.chars().all(is_ident) && top != "self" {
            found.insert(path.to_owned());
        }
    }

    /// The top-level module of a path (`engine::ledger::Ledger` -> `engine`).
    pub fn top(path: &str) -> &str {
        path.split("::").next().unwrap_or(path)
    }

    #[test]
    fn the_checker_sees_every_way_to_name_a_module() {
        let sample = r##"
use crate::api::Client;
use crate::{config::Paths, engine::{Event, run}};
use super::super::cli::Exit;
use super::sibling::Thing;
fn f() { let _ = crate::console::words::count(3); }
// use crate::sandbox::start;  (a comment, not code)
/* crate::heap::limit_arenas() */
const S: &str = "crate::staging::scan";
const R: &str = r#"crate::plan"#;
fn g<'a>(x: &'a str) -> char { let _ = x; 'c' }
use crate::clock;
mod tests {
    use super::super::super::api::X;
    use super::super::Y;
}
"##;
        let code = code_only(sample);
        let found = root_paths(&code, &["engine", "lane"]);
        let tops: BTreeSet<&str> = found.iter().map(|p| top(p)).collect();
        assert_eq!(
            tops,
            ["api", "cli", "clock", "config", "console", "engine"]
                .into_iter()
                .collect(),
            "{found:?}"
        );
        assert!(found.contains("engine::run"), "{found:?}");
        // One `super` from a file two levels deep stays inside the module.
        let shallow = root_paths(&code_only("use super::cli::X;"), &["engine", "lane"]);
        assert!(shallow.is_empty(), "{shallow:?}");
    }
}

/// Every `.rs` file under `src/<module>` (and `src/<module>.rs`), with its module path.
fn sources(src: &Path) -> Vec<(PathBuf, Vec<String>)> {
    let mut out = Vec::new();
    let mut stack = vec![src.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(src).expect("under src");
                let mut module: Vec<String> = rel
                    .with_extension("")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if module.last().is_some_and(|m| m == "mod") {
                    module.pop();
                }
                out.push((path, module));
            }
        }
    }
    out.sort();
    out
}

/// The violations in `src`: `file: module uses X`.
fn violations(src: &Path) -> Vec<String> {
    let allowed: BTreeMap<&str, BTreeSet<&str>> = ALLOWED
        .iter()
        .map(|(m, deps)| (*m, deps.iter().copied().collect()))
        .collect();
    let mut found = Vec::new();
    for (path, module) in sources(src) {
        let Some(own) = module.first().map(String::as_str) else {
            continue;
        };
        if matches!(own, "lib" | "main") {
            continue;
        }
        let Some(may_use) = allowed.get(own) else {
            found.push(format!(
                "{}: module `{own}` is not in the layer table (tests/module_layers.rs)",
                path.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(&path).expect("a source file");
        let parts: Vec<&str> = module.iter().map(String::as_str).collect();
        for named in checker::root_paths(&checker::code_only(&text), &parts) {
            let top = checker::top(&named);
            if top != own && !may_use.contains(top) {
                found.push(format!("{}: `{own}` uses `{named}`", path.display()));
            }
            for (module, prefix) in FORBIDDEN_PATHS {
                if own == *module && (named == *prefix || named.starts_with(&format!("{prefix}::")))
                {
                    found.push(format!(
                        "{}: `{own}` must not name `{prefix}` (`{named}`)",
                        path.display()
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn no_module_uses_one_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(
        found.is_empty(),
        "imports against the stack:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_table_has_no_cycle_and_names_every_module() {
    // Kahn's algorithm: repeatedly take a module whose dependencies are all taken.
    let mut left: BTreeMap<&str, BTreeSet<&str>> = ALLOWED
        .iter()
        .map(|(m, deps)| (*m, deps.iter().copied().collect()))
        .collect();
    for deps in left.values() {
        for d in deps {
            assert!(
                ALLOWED.iter().any(|(m, _)| m == d),
                "{d} is used but not in the table"
            );
        }
    }
    while let Some(free) = left
        .iter()
        .find(|(_, deps)| deps.is_empty())
        .map(|(m, _)| *m)
    {
        left.remove(free);
        for deps in left.values_mut() {
            deps.remove(free);
        }
    }
    assert!(left.is_empty(), "a cycle among {:?}", left.keys());

    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("src/lib.rs");
    for line in lib.lines() {
        if let Some(name) = line
            .strip_prefix("pub mod ")
            .or_else(|| line.strip_prefix("mod "))
        {
            let name = name.trim_end_matches(';');
            assert!(
                ALLOWED.iter().any(|(m, _)| *m == name),
                "module {name} is not in the layer table"
            );
        }
    }
}

#[test]
fn a_forbidden_import_is_caught() {
    // A copy of the tree with one import that climbs the stack must fail the check.
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = dir.path().join("engine");
    std::fs::create_dir_all(&engine).expect("mkdir");
    std::fs::write(
        engine.join("mod.rs"),
        "//! crate::cli in a comment is fine\nuse crate::api::Client;\n",
    )
    .expect("write");
    std::fs::write(
        engine.join("sneaky.rs"),
        "fn f() { let _ = super::super::config::Paths::from_env(); }\n",
    )
    .expect("write");
    let console = dir.path().join("console");
    std::fs::create_dir_all(&console).expect("mkdir");
    std::fs::write(
        console.join("run.rs"),
        "use crate::engine::ledger::Ledger;\nuse crate::sandbox::start;\n",
    )
    .expect("write");
    let found = violations(dir.path()).join("\n");
    assert!(
        found.contains("`engine` uses `config::Paths::from_env`"),
        "{found}"
    );
    assert!(found.contains("`console` uses `sandbox::start`"), "{found}");
    assert!(found.contains("must not name `engine::ledger`"), "{found}");
    assert!(!found.contains("`engine` uses `api"), "{found}");
    assert!(!found.contains("crate::cli"), "{found}");
    assert_eq!(found.lines().count(), 3, "{found}");
}
