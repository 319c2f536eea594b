//! The code's shape, checked: the README's settings table and `susurro
//! serve --help` list the same variables; no top-level module imports one
//! that imports it back; no function in src/ runs past 80 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Backticked UPPER_CASE names in the first column of the README's
/// settings table.
fn readme_variables() -> BTreeSet<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let table = readme
        .split("\n## Settings")
        .nth(1)
        .expect("README has a Settings section");
    let mut out = BTreeSet::new();
    for line in table.lines().take_while(|l| !l.starts_with("## ")) {
        let Some(first) = line.strip_prefix('|').and_then(|l| l.split('|').next()) else {
            continue;
        };
        for part in first.split('`').skip(1).step_by(2) {
            if !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit())
            {
                out.insert(part.to_string());
            }
        }
    }
    out
}

#[test]
fn readme_settings_and_help_list_the_same_variables() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_susurro"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let in_help: BTreeSet<String> = help
        .split("[env: ")
        .skip(1)
        .map(|s| s.split(['=', ']']).next().unwrap().to_string())
        .collect();
    assert!(in_help.len() >= 40, "{in_help:?}");
    assert_eq!(
        readme_variables(),
        in_help,
        "README settings table vs serve --help"
    );
    // Every setting shows its meaning.
    for var in &in_help {
        let line = help
            .lines()
            .find(|l| l.contains(&format!("<{var}>")))
            .unwrap();
        assert!(line.contains("--"), "{line}");
    }
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

/// The source before its `#[cfg(test)]` module.
fn code(p: &Path) -> String {
    let s = std::fs::read_to_string(p).unwrap();
    s.split("#[cfg(test)]")
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Which top-level modules of `src/` each module names (`crate::x::…`).
fn module_uses() -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("src");
    let mut modules: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for p in rust_files(&src) {
        let rel = p.strip_prefix(&src).unwrap();
        let top = rel
            .iter()
            .next()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top != "lib" && top != "main" {
            modules.entry(top).or_default().push(p);
        }
    }
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, files) in &modules {
        let deps = uses.entry(m.clone()).or_default();
        for f in files {
            let text = code(f);
            for other in modules.keys() {
                let mentioned = text.contains(&format!("crate::{other}::"))
                    || text.contains(&format!("crate::{other};"))
                    || text.contains(&format!("crate::{other}}}"));
                if other != m && mentioned {
                    deps.insert(other.clone());
                }
            }
        }
    }
    uses
}

/// The layering rules: the store (events, transcripts, nodes) and the queue
/// (jobs) are siblings that never import each other, model files sit below
/// the engine, and the lower layers never reach up into the ones that
/// orchestrate them.
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "store",
        &["queue", "jobs", "ingest", "retention", "node", "api", "app"],
    ),
    (
        "queue",
        &["store", "jobs", "ingest", "retention", "node", "api", "app"],
    ),
    ("models", &["stt", "jobs", "ingest", "api", "node", "app"]),
    (
        "stt",
        &["jobs", "ingest", "api", "node", "app", "queue", "store"],
    ),
    ("audio", &["stt", "jobs", "ingest", "api", "queue", "store"]),
    // Live dictation sits beside the jobs: below the HTTP layer, above the
    // engine and the store it saves sessions in, and never in the queue.
    ("live", &["api", "app", "jobs", "queue", "ingest", "node"]),
];

fn broken_rules(uses: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut broken = Vec::new();
    for (module, never) in FORBIDDEN {
        for dep in uses.get(*module).into_iter().flatten() {
            if never.contains(&dep.as_str()) {
                broken.push(format!("{module} imports {dep}"));
            }
        }
    }
    broken
}

#[test]
fn layers_import_only_downwards() {
    let uses = module_uses();
    for (module, _) in FORBIDDEN {
        assert!(uses.contains_key(*module), "no module {module} in src/");
    }
    let broken = broken_rules(&uses);
    assert!(broken.is_empty(), "layering broken: {broken:?}");
    // The check itself: an import that breaks a rule is caught.
    let mut bad = uses.clone();
    bad.get_mut("store").unwrap().insert("queue".into());
    bad.get_mut("models").unwrap().insert("stt".into());
    assert_eq!(
        broken_rules(&bad),
        ["store imports queue", "models imports stt"]
    );
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let owned = module_uses();
    let uses: BTreeMap<&str, BTreeSet<&str>> = owned
        .iter()
        .map(|(m, d)| (m.as_str(), d.iter().map(String::as_str).collect()))
        .collect();
    fn reaches(
        g: &BTreeMap<&str, BTreeSet<&str>>,
        from: &str,
        to: &str,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        if from == to {
            return true;
        }
        g.get(from)
            .into_iter()
            .flatten()
            .any(|n| seen.insert(n.to_string()) && reaches(g, n, to, seen))
    }
    let mut cycles = Vec::new();
    for (m, deps) in &uses {
        for d in deps {
            if reaches(&uses, d, m, &mut BTreeSet::new()) {
                cycles.push(format!("{m} -> {d}"));
            }
        }
    }
    assert!(cycles.is_empty(), "module cycles: {cycles:?}\n{uses:#?}");
}

#[test]
fn no_function_in_src_runs_past_60_lines() {
    let mut long = Vec::new();
    for p in rust_files(&root().join("src")) {
        let text = code(&p);
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let l = lines[i].trim_start();
            let is_fn = [
                "fn ",
                "pub fn ",
                "async fn ",
                "pub async fn ",
                "pub(crate) fn ",
                "pub(super) fn ",
                "pub(crate) async fn ",
                "pub(super) async fn ",
                "unsafe extern \"C\" fn ",
            ]
            .iter()
            .any(|p| l.starts_with(p));
            if !is_fn {
                i += 1;
                continue;
            }
            let (mut depth, mut started, mut j) = (0i32, false, i);
            while j < lines.len() {
                let line = lines[j];
                if !started && line.trim_end().ends_with(';') {
                    break;
                }
                depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
                started |= depth > 0;
                if started && depth <= 0 {
                    break;
                }
                j += 1;
            }
            if started && j - i + 1 > 60 {
                long.push(format!("{}:{} ({} lines)", p.display(), i + 1, j - i + 1));
            }
            i += 1;
        }
    }
    assert!(long.is_empty(), "functions over 60 lines: {long:?}");
}

/// The vendored whisper-rs-sys is the published crate plus
/// `vendor/whisper-rs-sys.patch`: the patch's every hunk is in the tree (it
/// applies in reverse), so the changes can be regenerated on a new import
/// (`scripts/vendor-whisper-rs-sys`).
#[test]
fn the_vendored_whisper_cpp_carries_its_patch() {
    let out = std::process::Command::new("git")
        .current_dir(root())
        .args([
            "apply",
            "--reverse",
            "--check",
            "--directory=vendor/whisper-rs-sys",
            "vendor/whisper-rs-sys.patch",
        ])
        .output()
        .expect("git (checks the vendored patch)");
    assert!(
        out.status.success(),
        "vendor/whisper-rs-sys.patch does not match vendor/whisper-rs-sys: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let patch = std::fs::read_to_string(root().join("vendor/whisper-rs-sys.patch")).unwrap();
    for file in ["build.rs", "whisper.cpp/ggml/src/ggml-cpu/amx/amx.cpp"] {
        assert!(
            patch.contains(&format!("+++ b/{file}")),
            "{file} not in the patch"
        );
    }
    // Every workspace builds the vendored copy: the fuzz targets' own
    // workspace once built the published one (an older whisper.cpp).
    for manifest in ["Cargo.toml", "fuzz/Cargo.toml"] {
        let text = std::fs::read_to_string(root().join(manifest)).unwrap();
        assert!(
            text.lines()
                .any(|l| l.starts_with("whisper-rs-sys = { path = ")
                    && l.contains("vendor/whisper-rs-sys")),
            "{manifest} does not patch whisper-rs-sys to vendor/whisper-rs-sys"
        );
    }
}
