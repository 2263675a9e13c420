//! The hostile corpus of issue #9: runs every declarative case of
//! `tests/fixtures/hostile/*/case.toml` against the `gradbook` binary and reports every failure
//! of every case at once.
//!
//! A case copies its `book/` folder to `{tmp}/book` (symbolic links kept as links), creates an
//! unrelated `{tmp}/other/` folder, runs the binary with `args` (working directory `{book}`,
//! killed after `timeout` seconds), then checks the keys it sets. `defect = 0` marks a case
//! that exercises this runner or a fuzz finding outside the numbered defects. A case with
//! `pending = "why"` reproduces a defect whose fix is not merged yet: it is only run by the
//! ignored `pending_cases_hold`.

#[path = "common/markup.rs"]
mod markup;

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One `case.toml`, keys as documented in the helper preamble.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// The numbered defect of issue #9 (0: none).
    defect: u32,
    /// One line on what the case reproduces.
    what: String,
    /// Arguments of the binary, with `{book}` and `{tmp}` placeholders.
    #[serde(default)]
    args: Vec<String>,
    /// Expected exit code.
    exit: Option<i32>,
    /// Substrings stderr must contain.
    #[serde(default)]
    stderr: Vec<String>,
    /// A `file:line:` substring stderr must contain.
    location: Option<String>,
    /// Whether every file under `{tmp}` that existed before is unchanged afterwards.
    #[serde(default)]
    untouched: bool,
    /// Where a site is expected after the run.
    site: Option<String>,
    /// Strings no file of the site may contain.
    #[serde(default)]
    forbid: Vec<String>,
    /// Whether the site must be free of executable markup.
    #[serde(default)]
    no_markup: bool,
    /// Environment variables of the run.
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// Seconds the run may take.
    timeout: Option<u64>,
    /// `"rust"`: the case is checked by the hand-written test named in `test`.
    runner: Option<String>,
    /// `tests/FILE.rs::function` of a hand-written test.
    test: Option<String>,
    /// Why the case cannot pass yet (`"defect 10: waits for h9-templates"`): a reproducer of an
    /// open defect. `every_declarative_case_holds` lists it without running it;
    /// `pending_cases_hold` (ignored) runs exactly these. Delete the key once the fix is in.
    pending: Option<String>,
}

/// Seconds a run may take when the case does not say.
const DEFAULT_TIMEOUT: u64 = 60;

/// The corpus folder.
fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile")
}

/// Every case folder with its parsed `case.toml` (or the reason it does not parse).
fn cases() -> Vec<(String, PathBuf, Result<Case, String>)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(corpus()) else {
        return out;
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        if !dir.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let case = std::fs::read_to_string(dir.join("case.toml"))
            .map_err(|e| format!("case.toml: {e}"))
            .and_then(|text| toml::from_str::<Case>(&text).map_err(|e| format!("case.toml: {e}")));
        out.push((name, dir, case));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_declarative_case_holds() {
    let all = cases();
    assert!(
        all.iter().any(|(n, _, _)| n.starts_with("harness-")),
        "the runner's own cases are missing from {}",
        corpus().display()
    );
    for (name, _, case) in &all {
        if let Ok(Case {
            pending: Some(why), ..
        }) = case
        {
            eprintln!("pending (not run): {name}: {why}");
        }
    }
    run_all(&all, |c| c.runner.is_none() && c.pending.is_none());
}

#[test]
#[ignore = "runs the reproducers of open defects (cases with `pending`): expected to fail until their fixes are merged"]
fn pending_cases_hold() {
    run_all(&cases(), |c| c.runner.is_none() && c.pending.is_some());
}

/// Run every case that parses and that `select` picks (and every case that does not parse),
/// two at a time; panic with every failure of every case.
fn run_all(all: &[(String, PathBuf, Result<Case, String>)], select: impl Fn(&Case) -> bool) {
    let chosen: Vec<_> = all
        .iter()
        .filter(|(_, _, c)| c.as_ref().map_or(true, &select))
        .collect();
    // Two workers: the machine is shared, and each case is one process.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some((name, dir, case)) = chosen.get(i) else {
                        break;
                    };
                    let problems = match case {
                        Ok(case) => run_case(dir, case),
                        Err(e) => vec![e.clone()],
                    };
                    if !problems.is_empty() {
                        let text = format!("{name}:\n    {}", problems.join("\n    "));
                        failures.lock().unwrap().push(text);
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    assert!(
        failures.is_empty(),
        "{} of {} hostile cases failed:\n{}",
        failures.len(),
        chosen.len(),
        failures.join("\n")
    );
}

#[test]
fn every_rust_case_names_an_existing_test() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failures = Vec::new();
    for (name, _, case) in cases() {
        let Ok(case) = case else { continue };
        if case.runner.is_none() {
            if case.test.is_some() {
                failures.push(format!("{name}: `test` without `runner = \"rust\"`"));
            }
            continue;
        }
        if case.runner.as_deref() != Some("rust") {
            failures.push(format!("{name}: runner must be \"rust\""));
            continue;
        }
        let Some((file, function)) = case.test.as_deref().and_then(|t| t.split_once("::")) else {
            failures.push(format!(
                "{name}: `test` must be \"tests/FILE.rs::function\""
            ));
            continue;
        };
        let Ok(text) = std::fs::read_to_string(repo.join(file)) else {
            failures.push(format!("{name}: {file} does not exist"));
            continue;
        };
        if !defines_fn(&text, function) {
            failures.push(format!("{name}: {file} has no `fn {function}`"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// The other helpers add the reproducers of their defects in parallel; until their branches are
// merged this reports the missing numbers. The lead un-ignores it after the merge.
#[test]
fn every_defect_has_a_case() {
    let covered: BTreeSet<u32> = cases()
        .into_iter()
        .filter_map(|(_, _, c)| c.ok().map(|c| c.defect))
        .collect();
    let missing: Vec<u32> = (1..=19).filter(|d| !covered.contains(d)).collect();
    assert!(
        missing.is_empty(),
        "defects of issue #9 without a case: {missing:?}"
    );
}

#[test]
fn markup_checker_flags_every_payload_and_passes_a_real_page() {
    let allowed = markup::Allowed::for_book(Path::new(env!("CARGO_MANIFEST_DIR")));
    let bad_html = [
        "<p><script>alert(1)</script></p>",
        "<p>\"><img src=x onerror=alert(1)></p>",
        "<a href=\" java\tscript:alert(1)\">x</a>",
        "<a href=\"JaVaScRiPt&colon;alert(1)\">x</a>",
        "<form><button formaction=\"javascript:alert(1)\">x</button></form>",
        "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
        "<svg></svg><script>alert(1)</script>",
        "<svg><foreignObject><p>x</p></foreignObject></svg>",
        "<iframe src=\"data:text/html,<b>x</b>\"></iframe>",
        "<svg><animate attributeName=\"href\" to=\"javascript:alert(1)\"/></svg>",
        "<script src=\"https://evil.example/x.js\"></script>",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
        "<base href=\"//evil.example/\">",
        "<base href=\"https://evil.example/\">",
        "<base href=\" \\\\evil.example/\">",
    ];
    for html in bad_html {
        let page = format!("<!DOCTYPE html><html><head></head><body>{html}</body></html>");
        assert!(
            !markup::check_html(&page, &allowed).is_empty(),
            "not flagged: {html}"
        );
    }
    let bad_svg = [
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>a</svg><script>alert(1)</script></text></svg>",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:l=\"http://www.w3.org/1999/xlink\"><a l:href=\"javascript:alert(1)\"/></svg>",
    ];
    for svg in bad_svg {
        assert!(!markup::check_svg(svg).is_empty(), "not flagged: {svg}");
    }
    assert!(!markup::check_search_index("window.gradbookSearchIndex = {};alert(1);").is_empty());
    assert!(
        !markup::check_search_index(
            "window.gradbookSearchIndex = {\"docs\":[{\"path\":\"javascript:alert(1)\"}]};"
        )
        .is_empty()
    );
    // Text that merely mentions the payloads is fine: escaped, it is not markup.
    let fine = "<!DOCTYPE html><html><head><script src=\"../js/gradbook.js\"></script></head>\
        <body><p>&lt;script&gt;alert(1)&lt;/script&gt; javascript:alert(1)</p>\
        <a href=\"q1.html#javascript:x\">x</a><base href=\"/course/\"><svg><text>&lt;/svg&gt;</text></svg></body></html>";
    assert_eq!(markup::check_html(fine, &allowed), Vec::<String>::new());
    assert_eq!(
        markup::check_search_index(
            "window.gradbookSearchIndex = {\"docs\":[{\"path\":\"a.html#x\",\"body\":\"<script>\"}]};\n"
        ),
        Vec::<String>::new()
    );
}

/// Whether `text` defines a function named `name`.
fn defines_fn(text: &str, name: &str) -> bool {
    let needle = format!("fn {name}");
    text.match_indices(&needle).any(|(at, _)| {
        let next = text[at + needle.len()..].chars().next();
        next.is_some_and(|c| c == '(' || c == '<' || c.is_whitespace())
    })
}

/// Run one declarative case; every problem found, one line each.
fn run_case(dir: &Path, case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    if case.what.trim().is_empty() {
        problems.push("`what` is empty".to_string());
    }
    if case.args.is_empty() {
        problems.push("`args` is empty".to_string());
        return problems;
    }
    let tmp = match tempfile::tempdir() {
        Ok(t) => t,
        Err(e) => return vec![format!("no temporary folder: {e}")],
    };
    // Resolve the temp folder once so `{tmp}` and `{book}` are the paths the binary sees.
    let tmp_path = tmp
        .path()
        .canonicalize()
        .unwrap_or(tmp.path().to_path_buf());
    let book = tmp_path.join("book");
    let source = dir.join("book");
    let copied = if source.is_dir() {
        copy_keeping_links(&source, &book)
    } else {
        std::fs::create_dir_all(&book)
    };
    if let Err(e) = copied.and_then(|()| make_other(&tmp_path.join("other"))) {
        return vec![format!("could not prepare {}: {e}", tmp_path.display())];
    }
    let fill = |s: &str| {
        s.replace("{book}", &book.to_string_lossy())
            .replace("{tmp}", &tmp_path.to_string_lossy())
    };
    let before = snapshot(&tmp_path);
    let args: Vec<String> = case.args.iter().map(|a| fill(a)).collect();
    let timeout = Duration::from_secs(case.timeout.unwrap_or(DEFAULT_TIMEOUT));
    let run = match run_binary(&args, &book, &case.env, timeout) {
        Ok(r) => r,
        Err(e) => return vec![format!("could not run gradbook {args:?}: {e}")],
    };
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    let shown = || format!("stderr: {}", stderr.trim());
    if run.timed_out {
        problems.push(format!(
            "still running after {}s (hang), killed",
            timeout.as_secs()
        ));
    } else if run.code.is_none() {
        problems.push(format!("killed by a signal (crash or abort); {}", shown()));
    }
    if stderr.contains("panicked") {
        problems.push(format!("panicked; {}", shown()));
    }
    if let Some(expected) = case.exit
        && !run.timed_out
        && run.code != Some(expected)
    {
        problems.push(format!(
            "exit code {:?}, expected {expected}; {}",
            run.code,
            shown()
        ));
    }
    for needle in &case.stderr {
        let needle = fill(needle);
        if !stderr.contains(&needle) {
            problems.push(format!("stderr lacks {needle:?}; {}", shown()));
        }
    }
    if let Some(location) = &case.location {
        let location = fill(location);
        if !stderr.contains(&location) {
            problems.push(format!(
                "stderr lacks the location {location:?}; {}",
                shown()
            ));
        }
    }
    let site = case.site.as_deref().map(|s| PathBuf::from(fill(s)));
    if case.untouched {
        problems.extend(compare(&before, &snapshot(&tmp_path), site.as_deref()));
    }
    if case.site.is_none() && case.no_markup {
        problems.push("`no_markup` needs `site`".to_string());
    }
    // Without a site, nothing the run left anywhere under {tmp} may hold a forbidden string
    // (the book itself names the secret, not its value).
    if case.site.is_none() {
        for needle in &case.forbid {
            let needle = fill(needle);
            for file in markup::files_under(&tmp_path) {
                let bytes = std::fs::read(&file).unwrap_or_default();
                if contains(&bytes, needle.as_bytes()) {
                    problems.push(format!("{} contains {needle:?}", file.display()));
                }
            }
        }
    }
    if let Some(site) = &site {
        if !site.join("index.html").is_file() {
            problems.push(format!("no site at {} (no index.html)", site.display()));
        } else {
            for needle in &case.forbid {
                let needle = fill(needle);
                for file in markup::files_under(site) {
                    let bytes = std::fs::read(&file).unwrap_or_default();
                    if contains(&bytes, needle.as_bytes()) {
                        problems.push(format!("{} contains {needle:?}", file.display()));
                    }
                }
            }
            if case.no_markup {
                let allowed = markup::Allowed::for_book(&book);
                problems.extend(markup::check_site(site, &allowed));
            }
        }
    }
    problems
}

/// What one run of the binary did.
struct Run {
    /// The exit code (`None`: killed by a signal).
    code: Option<i32>,
    /// Whether it was killed for running over its time.
    timed_out: bool,
    /// Everything it wrote to stderr.
    stderr: Vec<u8>,
}

/// Run the binary; kill it when it runs over `timeout`.
fn run_binary(
    args: &[String],
    cwd: &Path,
    env: &BTreeMap<String, String>,
    timeout: Duration,
) -> std::io::Result<Run> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gradbook"))
        .args(args)
        .current_dir(cwd)
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let start = Instant::now();
    let (status, timed_out) = loop {
        if let Some(status) = child.try_wait()? {
            break (status, false);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            break (child.wait()?, true);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = out.join();
    let stderr = err.join().unwrap_or_default();
    Ok(Run {
        code: status.code(),
        timed_out,
        stderr,
    })
}

/// A file system entry as the untouched check compares it.
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    /// A regular file's bytes.
    File(Vec<u8>),
    /// A symbolic link's target.
    Link(PathBuf),
    /// A folder.
    Dir,
}

/// Every entry under `root`, without following links.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let value = if kind.is_symlink() {
                Entry::Link(std::fs::read_link(&path).unwrap_or_default())
            } else if kind.is_dir() {
                stack.push(path.clone());
                Entry::Dir
            } else {
                Entry::File(std::fs::read(&path).unwrap_or_default())
            };
            out.insert(path, value);
        }
    }
    out
}

/// What changed or disappeared between two snapshots, ignoring the site folder.
fn compare(
    before: &BTreeMap<PathBuf, Entry>,
    after: &BTreeMap<PathBuf, Entry>,
    site: Option<&Path>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, entry) in before {
        if site.is_some_and(|s| path.starts_with(s)) {
            continue;
        }
        match after.get(path) {
            None => problems.push(format!("{} was deleted", path.display())),
            Some(now) if now != entry => problems.push(format!("{} was changed", path.display())),
            Some(_) => {}
        }
    }
    problems
}

/// Copy a folder, recreating symbolic links as links (a symlink reproducer stays one).
fn copy_keeping_links(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path())?, &target)?;
        } else if kind.is_dir() {
            copy_keeping_links(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// The unrelated folder every case must leave alone.
fn make_other(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("nested"))?;
    std::fs::write(dir.join("notes.txt"), "unrelated notes\n")?;
    std::fs::write(dir.join("index.html"), "<p>not a gradbook site</p>\n")?;
    std::fs::write(dir.join("nested/data.bin"), [0u8, 159, 146, 150, 255])?;
    Ok(())
}

/// Whether `haystack` contains `needle`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}
