//! The XSS test of issue #9: every settings string, title, caption, variable name and link
//! position of the default book (and of the `basic` fixture book, for nested and draft
//! chapters) gets each hostile payload, one position per build. Every build must either fail
//! with a located error (exit 1, `file:line:column`) or succeed with no executable markup in
//! any generated file (pages and SVG parsed, scripts and the search index checked; see
//! `tests/common/markup.rs`). The default book's studies are made small first so each build
//! takes well under a second in a debug build.

#[path = "common/located.rs"]
mod located;
#[path = "common/markup.rs"]
mod markup;
#[path = "common/small.rs"]
mod small;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The payloads of the issue.
const PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "</svg><script>alert(1)</script>",
    "javascript:alert(1)",
];

/// More ways to write a script URL, for link positions.
const URL_PAYLOADS: &[&str] = &[
    "javascript:alert%281%29//a.md",
    " javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
];

/// Identifiers a script may use that look like markup words or are not ASCII.
const VARIABLE_NAMES: &[&str] = &[
    "onload",
    "javascript",
    "script",
    "ｓcript",
    "σ_h",
    "x٣",
    "_",
    "href",
    "svg",
    "ℌ",
];

/// Which of the two books a position edits.
#[derive(Clone, Copy)]
enum Base {
    /// The repository's own book (`book.toml` + `content/`), with small studies.
    Default,
    /// `tests/fixtures/basic` (parts, nested, draft and suffix chapters).
    Basic,
}

/// A place in a book where a string goes, and how to put it there.
struct Position {
    /// What the position is, for failure reports.
    name: &'static str,
    /// The book it edits.
    base: Base,
    /// A harmless value that must build (exit 0): proves the edit lands in a valid book, so a
    /// payload's exit 1 is a rejection of the payload, not of a broken edit.
    benign: Option<&'static str>,
    /// Put the value into the book at the given root.
    put: fn(&Path, &str),
}

#[test]
fn titles_and_book_settings_carry_no_markup() {
    let positions = [
        pos(
            "book.toml title",
            Base::Default,
            Some("Benign title"),
            |b, v| set_key(b, "book.toml", "title", v),
        ),
        pos(
            "book.toml description",
            Base::Default,
            Some("Benign"),
            |b, v| set_key(b, "book.toml", "description", v),
        ),
        pos(
            "book.toml authors",
            Base::Default,
            Some("Benign author"),
            |b, v| set_raw(b, "book.toml", "authors", &format!("[{}]", toml_string(v))),
        ),
        pos("book.toml language", Base::Default, Some("en"), |b, v| {
            set_key(b, "book.toml", "language", v)
        }),
        pos(
            "book.toml default-theme",
            Base::Default,
            Some("light"),
            |b, v| set_key(b, "book.toml", "default-theme", v),
        ),
        pos(
            "book.toml preferred-dark-theme",
            Base::Default,
            Some("dark"),
            |b, v| set_key(b, "book.toml", "preferred-dark-theme", v),
        ),
        pos(
            "book.toml text-direction",
            Base::Default,
            Some("ltr"),
            |b, v| {
                add_after(
                    b,
                    "book.toml",
                    "[book]",
                    &format!("text-direction = {}", toml_string(v)),
                )
            },
        ),
        pos("SUMMARY title", Base::Default, Some("Summary"), |b, v| {
            replace(b, "content/SUMMARY.md", "# Summary", &format!("# {v}"))
        }),
        pos(
            "SUMMARY prefix chapter title",
            Base::Default,
            Some("Benign"),
            |b, v| replace(b, "content/SUMMARY.md", "[Introduction]", &format!("[{v}]")),
        ),
        pos(
            "SUMMARY numbered chapter title",
            Base::Default,
            Some("Benign"),
            |b, v| {
                let from = "[Gradient descent and Adam on a bumpy loss]";
                replace(b, "content/SUMMARY.md", from, &format!("[{v}]"))
            },
        ),
        pos(
            "SUMMARY part title",
            Base::Default,
            Some("Benign part"),
            |b, v| replace(b, "content/SUMMARY.md", "# Problems", &format!("# {v}")),
        ),
        pos(
            "SUMMARY nested chapter title",
            Base::Basic,
            Some("Benign"),
            |b, v| {
                replace(
                    b,
                    "content/SUMMARY.md",
                    "[First, nested]",
                    &format!("[{v}]"),
                )
            },
        ),
        pos(
            "SUMMARY draft chapter title",
            Base::Basic,
            Some("Benign"),
            |b, v| replace(b, "content/SUMMARY.md", "[A draft]", &format!("[{v}]")),
        ),
        pos(
            "SUMMARY suffix chapter title",
            Base::Basic,
            Some("Benign"),
            |b, v| replace(b, "content/SUMMARY.md", "[Credits]", &format!("[{v}]")),
        ),
    ];
    assert_all_safe(&positions, PAYLOADS);
}

#[test]
fn study_settings_strings_carry_no_markup() {
    let positions = [
        pos(
            "bump.toml tail-reading",
            Base::Default,
            Some("Benign"),
            |b, v| set_key(b, "content/bump.toml", "tail-reading", v),
        ),
        pos("bump.toml kink", Base::Default, Some("right"), |b, v| {
            set_key(b, "content/bump.toml", "kink", v)
        }),
        pos("bump.toml questions", Base::Default, None, |b, v| {
            let to = format!("\"momentum\", {}]", toml_string(v));
            replace(b, "content/bump.toml", "\"momentum\"]", &to)
        }),
        pos(
            "networks.toml title",
            Base::Default,
            Some("Benign"),
            |b, v| set_key(b, "content/networks.toml", "title", v),
        ),
        pos(
            "networks.toml reading title",
            Base::Default,
            Some("Benign"),
            |b, v| {
                let from = "\"Subscripted reading: weights w1…w5 and biases b1…b5\"";
                replace(b, "content/networks.toml", from, &toml_string(v))
            },
        ),
        pos(
            "networks.toml reading name",
            Base::Default,
            Some("subscripted"),
            |b, v| {
                let from = "\"subscripted\"";
                replace_all(b, "content/networks.toml", from, &toml_string(v))
            },
        ),
        pos(
            "networks.toml activation",
            Base::Default,
            Some("sigmoid"),
            |b, v| {
                let from = "activation = \"sigmoid\"";
                replace(
                    b,
                    "content/networks.toml",
                    from,
                    &format!("activation = {}", toml_string(v)),
                )
            },
        ),
        pos(
            "networks.toml variant title",
            Base::Default,
            Some("Benign"),
            |b, v| {
                let from = "\"Short circuits h1 → h3 and h3 → y (default reading)\"";
                replace(b, "content/networks.toml", from, &toml_string(v))
            },
        ),
        pos(
            "networks.toml variant name",
            Base::Default,
            Some("default"),
            |b, v| {
                let from = "name = \"default\"";
                replace(
                    b,
                    "content/networks.toml",
                    from,
                    &format!("name = {}", toml_string(v)),
                )
            },
        ),
        pos(
            "networks.toml skip enters",
            Base::Default,
            Some("pre-activation"),
            |b, v| {
                let from = "\"pre-activation\"";
                replace(b, "content/networks.toml", from, &toml_string(v))
            },
        ),
        pos(
            "networks.toml compare parameter",
            Base::Default,
            Some("w1"),
            |b, v| {
                let list = format!("[{}, \"b1\"]", toml_string(v));
                set_raw(b, "content/networks.toml", "parameters", &list)
            },
        ),
        pos(
            "networks.toml region name",
            Base::Default,
            Some("mixed"),
            |b, v| {
                let from = "name = \"mixed\"";
                replace(
                    b,
                    "content/networks.toml",
                    from,
                    &format!("name = {}", toml_string(v)),
                )
            },
        ),
        pos(
            "networks.toml region title",
            Base::Default,
            Some("Benign"),
            |b, v| {
                let from = "\"weights and biases of either sign\"";
                replace(b, "content/networks.toml", from, &toml_string(v))
            },
        ),
        pos(
            "networks.toml region scale",
            Base::Default,
            Some("log"),
            |b, v| {
                let from = "scale = \"log\"";
                replace(
                    b,
                    "content/networks.toml",
                    from,
                    &format!("scale = {}", toml_string(v)),
                )
            },
        ),
    ];
    assert_all_safe(&positions, PAYLOADS);
}

#[test]
fn link_positions_carry_no_script_urls() {
    let positions = [
        pos(
            "SUMMARY chapter link",
            Base::Default,
            Some("intro.md"),
            |b, v| replace(b, "content/SUMMARY.md", "(intro.md)", &format!("({v})")),
        ),
        pos(
            "SUMMARY nested chapter link",
            Base::Basic,
            Some("part1/nested.md"),
            |b, v| {
                replace(
                    b,
                    "content/SUMMARY.md",
                    "(part1/nested.md)",
                    &format!("({v})"),
                )
            },
        ),
        pos(
            "git-repository-url",
            Base::Default,
            Some("https://example.org/repo"),
            |b, v| {
                add_after(
                    b,
                    "book.toml",
                    "[output.html]",
                    &format!("git-repository-url = {}", toml_string(v)),
                )
            },
        ),
        pos(
            "edit-url-template",
            Base::Default,
            Some("https://example.org/edit/"),
            |b, v| {
                add_after(
                    b,
                    "book.toml",
                    "[output.html]",
                    &format!("edit-url-template = {}", toml_string(v)),
                )
            },
        ),
        pos(
            "edit-url-template with {path}",
            Base::Default,
            Some("https://example.org/edit/"),
            |b, v| {
                let value = toml_string(&format!("{v}{{path}}"));
                add_after(
                    b,
                    "book.toml",
                    "[output.html]",
                    &format!("edit-url-template = {value}"),
                )
            },
        ),
        pos("site-url", Base::Default, Some("/course/"), |b, v| {
            add_after(
                b,
                "book.toml",
                "[output.html]",
                &format!("site-url = {}", toml_string(v)),
            )
        }),
    ];
    let mut payloads = PAYLOADS.to_vec();
    payloads.extend(URL_PAYLOADS);
    assert_all_safe(&positions, &payloads);
}

#[test]
fn additional_files_are_refused_with_a_location() {
    let positions = [
        pos("book.toml additional-css", Base::Default, None, |b, v| {
            add_after(
                b,
                "book.toml",
                "[output.html]",
                &format!("additional-css = [{}]", toml_string(v)),
            )
        }),
        pos("additional-js", Base::Default, None, |b, v| {
            add_after(
                b,
                "book.toml",
                "[output.html]",
                &format!("additional-js = [{}]", toml_string(v)),
            )
        }),
    ];
    let mut payloads = PAYLOADS.to_vec();
    payloads.extend(URL_PAYLOADS);
    assert_all_safe(&positions, &payloads);
}

#[test]
fn chapter_links_carry_no_script_urls() {
    // Only URL payloads, and none with `<`: HTML in a chapter is the author's own.
    let positions = [
        pos(
            "chapter link",
            Base::Default,
            Some("https://example.org/"),
            |b, v| append(b, "content/intro.md", &format!("\n[a link]({v})\n")),
        ),
        pos(
            "chapter reference link",
            Base::Default,
            Some("https://example.org/"),
            |b, v| {
                append(
                    b,
                    "content/intro.md",
                    &format!("\n[a link][r]\n\n[r]: {v}\n"),
                )
            },
        ),
        pos(
            "chapter autolink",
            Base::Default,
            Some("https://example.org/"),
            |b, v| append(b, "content/intro.md", &format!("\n<{}>\n", v.trim())),
        ),
        pos(
            "chapter image",
            Base::Default,
            Some("https://example.org/x.png"),
            |b, v| append(b, "content/intro.md", &format!("\n![an image]({v})\n")),
        ),
    ];
    let payloads: Vec<&str> = ["javascript:alert(1)"]
        .into_iter()
        .chain(
            URL_PAYLOADS
                .iter()
                .copied()
                .filter(|p| !p.contains(['\t', ' ', '<'])),
        )
        .collect();
    assert_all_safe(&positions, &payloads);
}

#[test]
fn captions_and_variable_names_carry_no_markup() {
    let captions = [
        pos(
            "figure caption (SVG figure)",
            Base::Default,
            Some("Benign caption"),
            |b, v| {
                let from = "caption=\"The backward graph of comp_tree.py as PyTorch builds it.";
                replace(
                    b,
                    "content/q3-comp-tree.md",
                    from,
                    &format!("caption=`{v}` ~ \""),
                )
            },
        ),
        pos(
            "figure caption (plot)",
            Base::Default,
            Some("Benign caption"),
            |b, v| {
                let from = "caption=\"The loss from the start";
                replace(
                    b,
                    "content/q2-bump.md",
                    from,
                    &format!("caption=`{v}` ~ \""),
                )
            },
        ),
        pos(
            "figure caption (network diagram)",
            Base::Default,
            Some("Benign caption"),
            |b, v| {
                let from = "caption=\"The chain $y$.";
                replace(
                    b,
                    "content/q1-skip-connections.md",
                    from,
                    &format!("caption=`{v}` ~ \""),
                )
            },
        ),
    ];
    assert_all_safe(&captions, PAYLOADS);
    let names = [pos(
        "comp_tree.py variable name",
        Base::Default,
        Some("benign"),
        |b, v| rename_variable(b, "content/comp_tree.py", "h", v),
    )];
    assert_all_safe(&names, VARIABLE_NAMES);
}

// ---- running the builds ------------------------------------------------------------------------

/// A position, written briefly.
fn pos(
    name: &'static str,
    base: Base,
    benign: Option<&'static str>,
    put: fn(&Path, &str),
) -> Position {
    Position {
        name,
        base,
        benign,
        put,
    }
}

/// Build every (position, value) pair, two at a time; panic with every unsafe outcome.
fn assert_all_safe(positions: &[Position], values: &[&str]) {
    let jobs: Vec<(&Position, &str, bool)> = positions
        .iter()
        .flat_map(|p| {
            let benign = p.benign.map(|b| (p, b, true));
            benign
                .into_iter()
                .chain(values.iter().map(move |v| (p, *v, false)))
        })
        .collect();
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                while let Some((position, value, benign)) =
                    jobs.get(next.fetch_add(1, Ordering::SeqCst))
                {
                    let problems = build_with(position, value, *benign);
                    if !problems.is_empty() {
                        let text = format!(
                            "{} = {value:?}:\n    {}",
                            position.name,
                            problems.join("\n    ")
                        );
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
        "{} of {} builds were unsafe:\n{}",
        failures.len(),
        jobs.len(),
        failures.join("\n")
    );
}

/// Build a fresh copy of the position's book with `value` in place; the problems found.
/// A `benign` value must build.
fn build_with(position: &Position, value: &str, benign: bool) -> Vec<String> {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let book = tmp.path().join("book");
    make_book(position.base, &book);
    (position.put)(&book, value);
    let site = tmp.path().join("site");
    let out = Command::new(env!("CARGO_BIN_EXE_gradbook"))
        .arg("build")
        .arg(&book)
        .arg("-d")
        .arg(&site)
        .output()
        .expect("the gradbook binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("panicked") {
        return vec![format!("panicked: {}", stderr.trim())];
    }
    match out.status.code() {
        Some(code) if benign && code != 0 => {
            vec![format!(
                "the benign value does not build: {}",
                stderr.trim()
            )]
        }
        Some(0) => markup::check_site(&site, &markup::Allowed::for_book(&book)),
        Some(1) if located::has_line_column(&stderr) => Vec::new(),
        Some(1) => vec![format!(
            "exit 1 without file:line:column: {}",
            stderr.trim()
        )],
        other => vec![format!("exit {other:?}: {}", stderr.trim())],
    }
}

/// Write a fresh copy of `base` at `to`.
fn make_book(base: Base, to: &Path) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    match base {
        Base::Default => {
            copy_tree(&repo.join("content"), &to.join("content"));
            std::fs::copy(repo.join("book.toml"), to.join("book.toml")).expect("book.toml");
            for study in ["content/bump.toml", "content/networks.toml"] {
                let bytes = std::fs::read(to.join(study)).expect("a study of the default book");
                std::fs::write(to.join(study), small::shrink_study(&bytes)).expect("written");
            }
        }
        Base::Basic => copy_tree(&repo.join("tests/fixtures/basic"), to),
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a folder");
    for entry in std::fs::read_dir(from)
        .expect("a readable folder")
        .flatten()
    {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("a copied file");
        }
    }
}

// ---- editing a book ----------------------------------------------------------------------------

/// A TOML basic string holding `value`.
fn toml_string(value: &str) -> String {
    toml::Value::String(value.to_string()).to_string()
}

fn read(book: &Path, file: &str) -> (PathBuf, String) {
    let path = book.join(file);
    let text = std::fs::read_to_string(&path).expect("a file of the book");
    (path, text)
}

/// Replace the first `from` in `file` (which must contain it: a position that no longer
/// exists must fail the test, not pass it silently).
fn replace(book: &Path, file: &str, from: &str, to: &str) {
    let (path, text) = read(book, file);
    assert!(text.contains(from), "{file} no longer contains {from:?}");
    std::fs::write(path, text.replacen(from, to, 1)).expect("written");
}

/// Replace every `from` in `file` (at least one).
fn replace_all(book: &Path, file: &str, from: &str, to: &str) {
    let (path, text) = read(book, file);
    assert!(text.contains(from), "{file} no longer contains {from:?}");
    std::fs::write(path, text.replace(from, to)).expect("written");
}

/// Set the first `key = …` line of a TOML file to a string value.
fn set_key(book: &Path, file: &str, key: &str, value: &str) {
    set_raw(book, file, key, &toml_string(value));
}

/// Set the first `key = …` line of a TOML file to a TOML value written out.
fn set_raw(book: &Path, file: &str, key: &str, value: &str) {
    let (path, text) = read(book, file);
    let prefix = format!("{key} =");
    let mut done = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            if !done && line.starts_with(&prefix) {
                done = true;
                format!("{key} = {value}")
            } else {
                line.to_string()
            }
        })
        .collect();
    assert!(done, "{file} has no `{key} =` line");
    std::fs::write(path, lines.join("\n") + "\n").expect("written");
}

/// Insert a line right after the line `anchor` of a file.
fn add_after(book: &Path, file: &str, anchor: &str, line: &str) {
    replace(
        book,
        file,
        &format!("{anchor}\n"),
        &format!("{anchor}\n{line}\n"),
    );
}

fn append(book: &Path, file: &str, text: &str) {
    let (path, mut source) = read(book, file);
    source.push_str(text);
    std::fs::write(path, source).expect("written");
}

/// Rename a variable of a script: every whole-word `from` becomes `to`.
fn rename_variable(book: &Path, file: &str, from: &str, to: &str) {
    let (path, text) = read(book, file);
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::new();
    let mut rest = text.as_str();
    let mut renamed = 0;
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + from.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(word) || after.is_some_and(word) {
            out.push_str(from);
        } else {
            out.push_str(to);
            renamed += 1;
        }
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    assert!(renamed >= 2, "{file}: `{from}` is not a variable any more");
    std::fs::write(path, out).expect("written");
}
