//! The hostile cases of issue #9 that need more than one command (`runner = "rust"` in their
//! `case.toml`): a destination that climbs back to the book, `clean` aimed at an unrelated
//! folder, `kill -9` during a build, foreign `Host` headers and a replaced watched folder. Each
//! checks byte for byte that the book and an unrelated folder beside it are untouched.

mod common;
#[path = "common/serve.rs"]
mod serve_harness;

use common::copy_tree;
use serve_harness::{Server, WAIT};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const MARKER: &str = ".gradbook-site";

/// A case's book copied to `{tmp}/book`, beside an unrelated `{tmp}/other` folder.
struct Case {
    tmp: tempfile::TempDir,
    book: PathBuf,
}

impl Case {
    fn new(name: &str) -> Case {
        let tmp = tempfile::tempdir().unwrap();
        let book = tmp.path().join("book");
        let fixture = common::repo().join("tests/fixtures/hostile").join(name);
        assert!(
            fixture.join("case.toml").is_file(),
            "{name} has a case.toml"
        );
        copy_tree(&fixture.join("book"), &book);
        let other = tmp.path().join("other");
        std::fs::create_dir_all(other.join("nested")).unwrap();
        std::fs::write(other.join("thesis.tex"), "\\section{Precious}\n").unwrap();
        std::fs::write(other.join("nested/data.csv"), "a,b\n1,2\n").unwrap();
        std::fs::create_dir_all(tmp.path().join("home")).unwrap();
        Case { tmp, book }
    }

    fn tmp(&self) -> &Path {
        self.tmp.path()
    }

    fn gradbook(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_gradbook"))
            .args(args)
            .env("HOME", self.tmp().join("home"))
            .output()
            .unwrap()
    }

    fn set_build_dir(&self, value: &str) {
        let toml = self.book.join("book.toml");
        let text = std::fs::read_to_string(&toml).unwrap();
        let value = value.replace('\\', "\\\\").replace('"', "\\\"");
        std::fs::write(&toml, format!("{text}[build]\nbuild-dir = \"{value}\"\n")).unwrap();
    }
}

/// What a folder holds: files by content, folders, symlinks by target.
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    File(Vec<u8>),
    Folder,
    Link(PathBuf),
}

fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Entry>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            let kind = path.symlink_metadata().unwrap().file_type();
            if kind.is_symlink() {
                out.insert(relative, Entry::Link(std::fs::read_link(&path).unwrap()));
            } else if kind.is_dir() {
                out.insert(relative, Entry::Folder);
                walk(root, &path, out);
            } else {
                out.insert(relative, Entry::File(std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Every entry of `before` is still there, identical, except under `except` (a site).
fn assert_untouched(before: &BTreeMap<PathBuf, Entry>, root: &Path, except: &[&str], what: &str) {
    let after = snapshot(root);
    for (path, entry) in before {
        if except.iter().any(|e| path.starts_with(e)) {
            continue;
        }
        assert!(
            after.get(path) == Some(entry),
            "{what}: {} was changed or deleted",
            path.display()
        );
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_refused(out: &Output, needles: &[&str], what: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{what}: exit code; stderr:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{what}: `{needle}` not in:\n{stderr}"
        );
    }
}

#[test]
fn dest_that_climbs_back_to_the_book_is_refused() {
    let case = Case::new("output-d-climbs-back-to-the-book");
    let book = case.book.to_str().unwrap();
    let before = snapshot(case.tmp());
    let home = case.tmp().join("home");
    let home = home.to_str().unwrap();
    for (dest, why) in [
        ("x/../../book", "contains the book"),
        ("x/y/../../../book", "contains the book"),
        ("..", "contains the book"),
        (".", "contains the book"),
        ("/", "root of the file system"),
        (home, "home folder"),
        ("content/../book.toml", "book.toml"),
        ("templates", "templates"),
    ] {
        let out = case.gradbook(&["build", book, "-d", dest]);
        assert_refused(&out, &["refusing", why], &format!("-d {dest:?}"));
        assert_untouched(&before, case.tmp(), &[], &format!("-d {dest:?}"));
    }
    // An empty `-d` is a usage error (exit 2) before anything runs.
    let out = case.gradbook(&["build", book, "-d", ""]);
    assert_eq!(out.status.code(), Some(2), "{}", text_of(&out));
    assert_untouched(&before, case.tmp(), &[], "-d \"\"");
    // The same folders as `build-dir` are refused by build and by clean.
    let toml = std::fs::read(case.book.join("book.toml")).unwrap();
    for (dest, why) in [
        ("x/../../book", "contains the book"),
        ("../book/.", "contains the book"),
        ("", "empty"),
    ] {
        case.set_build_dir(dest);
        let before = snapshot(case.tmp());
        for command in ["build", "clean"] {
            let out = case.gradbook(&[command, book]);
            assert_refused(&out, &["refusing", why], &format!("{command} {dest}"));
            assert_untouched(&before, case.tmp(), &[], &format!("{command} {dest}"));
        }
        std::fs::write(case.book.join("book.toml"), &toml).unwrap();
    }
}

#[cfg(unix)]
#[test]
fn a_symlinked_parent_is_followed_before_dot_dot() {
    let case = Case::new("output-d-climbs-back-to-the-book");
    let book = case.book.to_str().unwrap();
    // `link/..` is the book's parent lexically but the book's own folder on disk.
    std::fs::create_dir_all(case.book.join("content/deep")).unwrap();
    std::os::unix::fs::symlink(case.book.join("content/deep"), case.book.join("link")).unwrap();
    let before = snapshot(case.tmp());
    let out = case.gradbook(&["build", book, "-d", "link/../site"]);
    assert_refused(&out, &["refusing", "source folder"], "link/../site");
    assert_untouched(&before, case.tmp(), &[], "link/../site");
}

#[test]
fn clean_refuses_an_unrelated_absolute_folder() {
    let case = Case::new("output-clean-absolute-unrelated");
    let book = case.book.to_str().unwrap();
    let other = case.tmp().join("other");
    case.set_build_dir(other.to_str().unwrap());
    let before = snapshot(case.tmp());
    let out = case.gradbook(&["clean", book]);
    assert_refused(&out, &["refusing to delete", "other", MARKER], "clean");
    assert_untouched(&before, case.tmp(), &[], "clean");
    let out = case.gradbook(&["build", book]);
    assert_refused(&out, &["refusing to write", "other", MARKER], "build");
    assert_untouched(&before, case.tmp(), &[], "build");
    // An absolute build-dir that gradbook fills itself is built, rebuilt and cleaned.
    let site = case.tmp().join("site");
    let text = std::fs::read_to_string(case.book.join("book.toml")).unwrap();
    let text = text.replace(other.to_str().unwrap(), site.to_str().unwrap());
    std::fs::write(case.book.join("book.toml"), text).unwrap();
    let before = snapshot(case.tmp());
    for _ in 0..2 {
        let out = case.gradbook(&["build", book]);
        assert!(out.status.success(), "{}", text_of(&out));
        assert!(site.join(MARKER).is_file());
        assert!(site.join("index.html").is_file());
    }
    let out = case.gradbook(&["clean", book]);
    assert!(out.status.success(), "{}", text_of(&out));
    assert!(!site.exists());
    assert_untouched(&before, case.tmp(), &[], "build, build, clean");
}

fn text_of(out: &Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

/// The staging folders of `{tmp}/site` that exist now.
fn staging(tmp: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(tmp)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".site.tmp-") || n.starts_with(".site.old-"))
        .collect();
    names.sort();
    names
}

/// Start a build into `{tmp}/site` and `kill -9` it as soon as its staging folder appears;
/// retries until one kill lands mid-write. Returns the dead build's process id.
fn killed_build(case: &Case) -> u32 {
    let book = case.book.to_str().unwrap();
    let site = case.tmp().join("site");
    for _ in 0..50 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gradbook"))
            .args(["build", book, "-d", site.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        let deadline = Instant::now() + WAIT;
        loop {
            let tmp_name = format!(".site.tmp-{pid}");
            if case.tmp().join(&tmp_name).exists() {
                child.kill().unwrap();
                child.wait().unwrap();
                if staging(case.tmp()).contains(&tmp_name) {
                    return pid;
                }
                break;
            }
            if child.try_wait().unwrap().is_some() || Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    panic!("no kill landed while the staging folder existed in 50 builds");
}

#[cfg(unix)]
#[test]
fn kill_during_build_leaves_nothing_the_next_run_keeps() {
    let case = Case::new("output-kill-9-during-build");
    let book = case.book.to_str().unwrap();
    // A large extra file keeps the staging folder on disk long enough to be caught.
    let big: String = "/* padding */\n".repeat(2_000_000);
    std::fs::write(case.book.join("big.js"), big).unwrap();
    let toml = std::fs::read_to_string(case.book.join("book.toml")).unwrap();
    std::fs::write(
        case.book.join("book.toml"),
        format!("{toml}[output.html]\nadditional-js = [\"big.js\"]\n"),
    )
    .unwrap();
    // A folder that only looks like staging (not gradbook's) must survive everything.
    let lookalike = case.tmp().join(".site.tmp-999999999");
    std::fs::create_dir_all(&lookalike).unwrap();
    std::fs::write(lookalike.join("thesis.tex"), "mine").unwrap();
    let site = case.tmp().join("site");
    let out = case.gradbook(&["build", book, "-d", site.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text_of(&out));

    // kill -9 mid-write, then a build: the leftover goes, the site is whole and marked.
    let dead = killed_build(&case);
    let before = snapshot(case.tmp());
    let out = case.gradbook(&["build", book, "-d", site.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text_of(&out));
    assert_eq!(staging(case.tmp()), [".site.tmp-999999999"], "after build");
    assert!(site.join(MARKER).is_file() && site.join("big.js").is_file());
    assert_untouched(
        &before,
        case.tmp(),
        &["site", &format!(".site.tmp-{dead}")],
        "build",
    );

    // kill -9 mid-write again, and a crash between the two renames of the swap (the old site
    // moved aside as `.site.old-PID`): clean removes both leftovers and the site.
    let dead = killed_build(&case);
    std::fs::rename(&site, case.tmp().join(format!(".site.old-{dead}"))).unwrap();
    case.set_build_dir(site.to_str().unwrap());
    let before = snapshot(case.tmp());
    let out = case.gradbook(&["clean", book]);
    assert!(out.status.success(), "{}", text_of(&out));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("interrupted build"), "{stdout}");
    assert_eq!(staging(case.tmp()), [".site.tmp-999999999"], "after clean");
    assert!(!site.exists());
    let leftovers = [format!(".site.tmp-{dead}"), format!(".site.old-{dead}")];
    let leftovers: Vec<&str> = leftovers.iter().map(String::as_str).collect();
    assert_untouched(&before, case.tmp(), &leftovers, "clean");
    assert_eq!(
        std::fs::read_to_string(lookalike.join("thesis.tex")).unwrap(),
        "mine"
    );
}

#[test]
fn serve_refuses_foreign_host_headers() {
    let case = Case::new("serve-host-header");
    let before = snapshot(case.tmp());
    let server = Server::start(&case.book, &["--host", "127.0.0.1"]);
    let port = server.port;
    for host in [
        "evil.example".to_string(),
        format!("evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
        format!("192.168.1.5:{port}"),
        "localhost:notaport".into(),
    ] {
        for path in ["/", "/intro.html", "/__gradbook/events"] {
            let (status, response) = server.get_with_host(path, &host);
            assert_eq!(status, 403, "Host: {host} {path}");
            assert!(response.contains("text/plain"), "{response}");
            assert!(response.contains("forbidden"), "{response}");
            assert!(!response.contains("<html"), "{response}");
        }
    }
    // Absolute-form targets naming a foreign host, and requests without a Host, are refused.
    let (status, _) = server.raw(&format!(
        "GET http://evil.example:{port}/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    ));
    assert_eq!(status, 403, "absolute-form target");
    let (status, _) = server.raw("GET / HTTP/1.0\r\n\r\n");
    assert!(status == 403 || status == 400, "no Host: {status}");
    for host in [
        "localhost".to_string(),
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("127.0.0.2:{port}"),
        format!("[::1]:{port}"),
        "[::1]".into(),
    ] {
        let (status, response) = server.get_with_host("/intro.html", &host);
        assert_eq!(status, 200, "Host: {host}");
        assert!(response.contains("<h1"), "Host: {host}");
    }
    drop(server);
    assert_untouched(&before, case.tmp(), &[], "serve");
}

#[test]
fn serve_accepts_the_host_it_was_bound_to() {
    let case = Case::new("serve-host-header");
    let server = Server::start(&case.book, &["--host", "localhost"]);
    let (status, _) = server.get_with_host("/", "localhost");
    assert_eq!(status, 200);
    let (status, _) = server.get_with_host("/", "evil.example");
    assert_eq!(status, 403);
}

#[test]
fn serve_notices_edits_after_a_watched_folder_is_replaced() {
    let case = Case::new("serve-watch-rearm");
    let content = case.book.join("content");
    let templates = case.book.join("templates");
    let not_found = std::fs::read_to_string(common::repo().join("templates/404.html")).unwrap();
    let with_comment =
        |comment: &str| not_found.replacen("<body", &format!("<!-- {comment} --><body"), 1);
    assert_ne!(with_comment("x"), not_found, "the 404 template has a <body");
    let other = case.tmp().join("other");
    let before_other = snapshot(&other);
    let server = Server::start(&case.book, &["--host", "127.0.0.1"]);
    assert!(server.wait_for("/notes.html", "by hand"));

    // `mv content /tmp/c && mv /tmp/c content`, then an edit in the folder that came back.
    let away = case.tmp().join("content-away");
    std::fs::rename(&content, &away).unwrap();
    std::fs::rename(&away, &content).unwrap();
    server.line_containing("Rebuilt in");
    std::fs::write(
        content.join("notes.md"),
        "# Notes\n\nEdited after the move.\n",
    )
    .unwrap();
    assert!(
        server.wait_for("/notes.html", "Edited after the move."),
        "an edit after content/ was replaced was not noticed"
    );
    // A second replacement, by a new folder with the same files.
    let copy = case.tmp().join("content-copy");
    copy_tree(&content, &copy);
    std::fs::rename(&content, case.tmp().join("content-old")).unwrap();
    std::fs::rename(&copy, &content).unwrap();
    server.line_containing("Rebuilt in");
    std::fs::write(
        content.join("notes.md"),
        "# Notes\n\nEdited in the new folder.\n",
    )
    .unwrap();
    assert!(server.wait_for("/notes.html", "Edited in the new folder."));

    // templates/ created after the start is watched, and so is the folder that replaces it.
    let staged = case.tmp().join("templates-new");
    std::fs::create_dir_all(&staged).unwrap();
    std::fs::write(staged.join("404.html"), with_comment("TEMPLATES CREATED")).unwrap();
    std::fs::rename(&staged, &templates).unwrap();
    assert!(server.wait_for("/no-such-page.html", "TEMPLATES CREATED"));
    std::fs::write(templates.join("404.html"), with_comment("FIRST EDIT")).unwrap();
    assert!(server.wait_for("/no-such-page.html", "FIRST EDIT"));
    let away = case.tmp().join("templates-away");
    std::fs::rename(&templates, &away).unwrap();
    std::fs::rename(&away, &templates).unwrap();
    server.line_containing("Rebuilt in");
    std::fs::write(
        templates.join("404.html"),
        with_comment("EDIT AFTER THE MOVE"),
    )
    .unwrap();
    assert!(
        server.wait_for("/no-such-page.html", "EDIT AFTER THE MOVE"),
        "an edit after templates/ was replaced was not noticed"
    );
    drop(server);
    assert_untouched(&before_other, &other, &[], "serve");
}
