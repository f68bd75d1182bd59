//! The repository stands on its own: no test, script, Makefile or doc reads or names a path outside
//! it (a clone has nothing beside it, while CI clones it with other folders around, where such a path
//! would still happen to work). A cheap scan of every file git knows (tracked, or untracked and not
//! ignored) for relative paths that climb out of the repository and for absolute paths into the folder
//! that holds it.

use std::path::{Component, Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The repository's text files, relative to the root: those git lists (tracked, and untracked but not
/// ignored), or every file below the root outside `target/` and `.git/` where git is not available.
fn files() -> Vec<PathBuf> {
    let listed = Command::new("git")
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .current_dir(root())
        .output()
        .ok()
        .filter(|o| o.status.success());
    let mut files: Vec<PathBuf> = match listed {
        Some(out) => out
            .stdout
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
            .collect(),
        None => walk(&root(), Path::new("")),
    };
    // The fuzzing corpus is generated data.
    files.retain(|f| !f.starts_with("fuzz/corpus") && root().join(f).is_file());
    files
}

fn walk(dir: &Path, rel: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name();
        if rel.as_os_str().is_empty() && (name == "target" || name == ".git") {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path, &rel.join(&name)));
        } else {
            out.push(rel.join(&name));
        }
    }
    out
}

/// Where a relative path in `file` starts from: the file's own folder for Python (paths are built on
/// `__file__`), Markdown links, TOML and Rust's `#[path]` / `include_*!` (relative to the source file);
/// the repository root for everything else (Rust code joins paths onto `CARGO_MANIFEST_DIR`, and the
/// Makefile, CI and scripts run from the root).
fn base_is_file_dir(file: &Path, line: &str) -> bool {
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
    matches!(ext, "py" | "md" | "toml")
        || line.contains("#[path")
        || line.contains("include_str!")
        || line.contains("include_bytes!")
}

/// Whether `rel`, joined onto `base` (both relative to the root), climbs above the root.
fn escapes(base: &Path, rel: &str) -> bool {
    let mut depth: isize = base.components().count() as isize;
    for part in Path::new(rel).components() {
        match part {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

const PATH_CHARS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./";

/// The paths in `text` (the contents of `file`, relative to the root) that lie outside the repository,
/// as `file:line: path`. `outside` is the absolute folder that holds the repository.
fn violations(file: &Path, text: &str, outside: &str) -> Vec<String> {
    let mut found = Vec::new();
    let dir = file.parent().unwrap_or(Path::new(""));
    for (n, raw) in text.lines().enumerate() {
        // Python's os.path.join with dot-dot arguments climbs like a slash-separated path: spell it so.
        let mut line = raw.to_owned();
        for quote in ['"', '\''] {
            line = line.replace(&format!("..{quote}, {quote}"), "../");
        }
        let mut search = 0;
        while let Some(at) = line[search..].find("../").map(|i| i + search) {
            let start = line[..at].rfind(|c: char| !PATH_CHARS.contains(c)).map_or(0, |i| i + 1);
            let end = line[at..].find(|c: char| !PATH_CHARS.contains(c)).map_or(line.len(), |i| at + i);
            search = end.max(at + 3);
            let token = &line[start..end];
            // A leading "/" glued to the dots is a join onto a folder variable (Make's $(CURDIR), or
            // concat! with CARGO_MANIFEST_DIR): relative to the root.
            let rel = token.trim_start_matches('/');
            let base = if base_is_file_dir(file, raw) { dir } else { Path::new("") };
            let names_something = Path::new(rel).components().any(|c| matches!(c, Component::Normal(_)));
            if (token.starts_with('/') && token.len() > rel.len() + 1) || !names_something || !escapes(base, rel) {
                continue; // an absolute path (checked below), bare dots, or a path that stays inside
            }
            found.push(format!("{}:{}: {token}", file.display(), n + 1));
        }
        if raw.contains(outside) {
            found.push(format!("{}:{}: names {outside}", file.display(), n + 1));
        }
    }
    found
}

fn outside_prefix() -> String {
    let parent = root().parent().map(Path::to_path_buf).unwrap_or_default();
    format!("{}/", parent.display()).replace("//", "/")
}

#[test]
fn nothing_in_the_repository_names_a_path_outside_it() {
    let outside = outside_prefix();
    let files = files();
    assert!(files.len() > 50, "found only {} files", files.len());
    let mut found = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(root().join(file)) else { continue };
        found.extend(violations(file, &text, &outside));
    }
    assert!(found.is_empty(), "paths outside the repository:\n  {}", found.join("\n  "));
}

/// The scan finds what it is for (and passes what stays inside).
#[test]
fn the_scan_catches_paths_that_leave_the_repository() {
    let up = "..";
    let bad = [
        ("tests/conformance.rs", format!("root().join(\"{up}/shared/fixtures\")")),
        ("tests/x.rs", format!("concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/{up}/shared/x\")")),
        ("README.md", format!("see `{up}/shared/design.md`")),
        ("docs/a.md", format!("[design]({up}/{up}/design.md)")),
        ("tests/python/t.py", format!("os.path.join(HERE, \"{up}\", \"{up}\", \"{up}\", \"shared\")")),
        ("Makefile", format!("\tcat $(CURDIR)/{up}/shared/x")),
        ("tests/t.rs", "let p = \"/srv/shared/x\";".to_owned()),
    ];
    for (file, line) in &bad {
        assert_eq!(violations(Path::new(file), line, "/srv/").len(), 1, "{file}: {line}");
    }
    let good = [
        ("docs/a.md", format!("[api]({up}/tests/api_program/mod.rs)")),
        ("fuzz/fuzz_targets/a.rs", format!("#[path = \"{up}/{up}/tests/api_program/mod.rs\"]")),
        ("tests/python/t.py", format!("os.path.join(HERE, \"{up}\", \"fixtures\")")),
        ("src/a.rs", "let r = &v[..n]; let s = &v[1..];".to_owned()),
        ("packaging/install.sh", "root=$(cd \"$(dirname \"$0\")/..\" && pwd)".to_owned()),
    ];
    for (file, line) in &good {
        assert_eq!(violations(Path::new(file), line, "/srv/"), Vec::<String>::new(), "{file}: {line}");
    }
}
