//! `gradbook serve` end to end over loopback: pages carry the live-reload script, edits to a
//! chapter and to a computation reload open pages with new content (rebuilding only what
//! changed), an error shows as an event while the last good site stays up, fixing it clears it,
//! path-traversal requests are refused, and Ctrl-C stops the server cleanly.

mod common;
#[path = "common/serve.rs"]
mod serve_harness;

use common::copy_tree;
use serve_harness::{Server, WAIT, body};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// A temporary copy of the `basic` fixture book plus a small autograd script used by a chapter.
fn book() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic"),
        dir.path(),
    );
    let content = dir.path().join("content");
    std::fs::write(content.join("tiny.py"), script(2.0)).unwrap();
    let second = content.join("second.md");
    let text = std::fs::read_to_string(&second).unwrap();
    std::fs::write(
        &second,
        format!("{text}\nThe output is {{{{ tiny.output }}}}.\n"),
    )
    .unwrap();
    dir
}

fn script(a: f64) -> String {
    format!(
        "import torch\na = torch.tensor([{a:?}], requires_grad=True)\nb = torch.tensor([3.0], requires_grad=True)\nc = a * b + 1.5\nc.backward()\n"
    )
}

/// Open the event stream; (event, data) pairs arrive on the channel.
fn event_stream(server: &Server) -> Receiver<(String, String)> {
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream
        .write_all(b"GET /__gradbook/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut event = String::new();
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            let line = line.trim_end_matches('\r');
            if let Some(name) = line.strip_prefix("event: ") {
                event = name.to_string();
            } else if let Some(data) = line.strip_prefix("data: ")
                && tx
                    .send((std::mem::take(&mut event), data.to_string()))
                    .is_err()
            {
                break;
            }
        }
    });
    rx
}

/// The next event named `name`, skipping others.
fn next_event(rx: &Receiver<(String, String)>, name: &str) -> String {
    let deadline = Instant::now() + WAIT;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok((event, data)) if event == name => return data,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    panic!("no `{name}` event");
}

/// Write a file the way editors do: all at once, after the watcher is surely running.
fn edit(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn edits_reload_pages_errors_show_and_clear() {
    let dir = book();
    let content: PathBuf = dir.path().join("content");
    let server = Server::start(dir.path(), &[]);
    let (status, index) = server.get("/");
    assert_eq!(status, 200);
    assert!(
        index.contains("new EventSource(\"/__gradbook/events\")"),
        "live reload script injected"
    );
    assert!(
        index.contains("gradbook-error-overlay"),
        "the overlay code ships with the script"
    );
    assert!(server.get("/second.html").1.contains("The output is 7.5."));
    let events = event_stream(&server);
    std::thread::sleep(Duration::from_millis(300));

    // A prose edit re-renders only that chapter.
    let preface = content.join("preface.md");
    let text = std::fs::read_to_string(&preface).unwrap();
    edit(&preface, &format!("{text}\nA brand-new sentence.\n"));
    assert!(next_event(&events, "reload").contains("preface.html"));
    assert!(
        server
            .line_containing("Rebuilt in")
            .contains("recomputed none; re-rendered preface.md;")
    );
    assert!(
        server
            .get("/preface.html")
            .1
            .contains("A brand-new sentence.")
    );

    // A script edit recomputes only that computation and re-renders the chapter that uses it.
    edit(&content.join("tiny.py"), &script(4.0));
    assert!(next_event(&events, "reload").contains("second.html"));
    assert!(
        server
            .line_containing("Rebuilt in")
            .contains("recomputed tiny; re-rendered second.md;")
    );
    assert!(server.get("/second.html").1.contains("The output is 13.5."));

    // An error is announced (and shown to pages opened later) while the last good site stays up.
    let third = content.join("third.md");
    let good = std::fs::read_to_string(&third).unwrap();
    edit(&third, &format!("{good}\nBroken {{{{ 1 + }}}} here.\n"));
    let error = next_event(&events, "error");
    assert!(error.contains("third.md:"), "{error}");
    assert!(error.contains("template syntax error"), "{error}");
    let (status, page) = server.get("/third.html");
    assert_eq!(status, 200);
    assert!(!page.contains("Broken"));
    let late = event_stream(&server);
    assert!(next_event(&late, "error").contains("third.md:"));

    // Fixing the file clears the error.
    edit(&third, &format!("{good}\nFixed now.\n"));
    next_event(&events, "ok");
    next_event(&events, "reload");
    assert!(server.get("/third.html").1.contains("Fixed now."));
}

#[test]
fn path_traversal_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "TOP SECRET").unwrap();
    let dir = book();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), dir.path().join("content/leak")).unwrap();
    std::fs::write(dir.path().join("secret.txt"), "TOP SECRET").unwrap();
    let server = Server::start(dir.path(), &[]);
    let forms = [
        ("/../secret.txt", 403),
        ("/../../../../etc/passwd", 403),
        ("/%2e%2e/secret.txt", 403),
        ("/%2E%2E%2Fsecret.txt", 403),
        ("/css/%2e%2e/%2e%2e/secret.txt", 403),
        ("//etc/passwd", 403),
        ("/..%5csecret.txt", 403),
        ("/index.html%00.css", 403),
        ("/C:/Windows/win.ini", 403),
        ("/leak/secret.txt", 404),
        ("/content/leak/secret.txt", 404),
        ("/secret.txt", 404),
    ];
    for (path, expected) in forms {
        let (status, body) = server.get(path);
        assert_eq!(status, expected, "{path}");
        assert!(!body.contains("TOP SECRET"), "{path}");
    }
    // Absolute-form request targets and raw backslashes are refused too.
    let absolute = "GET http://127.0.0.1/../secret.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    let (status, response) = server.raw(absolute);
    let body = body(&response);
    assert_eq!(status, 403);
    assert!(!body.contains("TOP SECRET"));
    let (status, body) = server.get("/..\\secret.txt");
    assert_eq!(status, 403, "raw backslash");
    assert!(!body.contains("TOP SECRET"));
}

#[cfg(unix)]
#[test]
fn ctrl_c_exits_cleanly() {
    let dir = book();
    let mut server = Server::start(dir.path(), &[]);
    let _events = event_stream(&server);
    std::thread::sleep(Duration::from_millis(200));
    let status = Command::new("kill")
        .arg("-INT")
        .arg(server.child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    server.line_containing("Stopping.");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(Instant::now() < deadline, "still running 10 s after Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The incremental session against a full build: after every kind of edit it redoes only what
/// the edit touches, and its site is byte-identical to a fresh `render_site` of the same files.
mod incremental {
    use super::common::copy_tree;
    use gradbook::site::book::Book;
    use gradbook::site::build::{RenderOptions, render_site, run_computations};
    use gradbook::site::incremental::{Rebuild, Session};
    use std::path::Path;

    fn full(root: &Path) -> gradbook::site::output::SiteFiles {
        let book = Book::load(root).unwrap();
        let outcomes = run_computations(&book).unwrap();
        render_site(&book, outcomes, &RenderOptions::default())
            .unwrap()
            .0
    }

    fn update(session: &mut Session, root: &Path) -> Rebuild {
        let report = session.update().unwrap();
        let expected = full(root);
        assert_eq!(
            session.site().files.keys().collect::<Vec<_>>(),
            expected.files.keys().collect::<Vec<_>>()
        );
        for (path, bytes) in &expected.files {
            assert!(
                session.site().files[path] == *bytes,
                "{path} differs from a full build"
            );
        }
        report
    }

    fn write(root: &Path, file: &str, text: &str) {
        std::fs::write(root.join("content").join(file), text).unwrap();
    }

    #[test]
    fn redoes_only_what_changed_and_matches_a_full_build() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        copy_tree(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/good"),
            root,
        );
        let mut session = Session::new(root, RenderOptions::default());

        let cold = update(&mut session, root);
        assert_eq!(cold.recomputed, ["tiny"]);
        assert_eq!(cold.rerendered, ["intro.md", "other.md"]);

        let idle = update(&mut session, root);
        assert!(
            idle.recomputed.is_empty() && idle.rerendered.is_empty() && idle.changed.is_empty()
        );

        // Prose: one chapter, its page, the print page and the search index.
        write(
            root,
            "other.md",
            "# Other\n\nBack to the [intro](intro.md).\n\n## Details\n\nNew words.\n",
        );
        let prose = update(&mut session, root);
        assert!(prose.recomputed.is_empty());
        assert_eq!(prose.rerendered, ["other.md"]);
        assert_eq!(prose.rewrapped, 1);
        assert_eq!(
            prose.changed,
            ["other.html", "print.html", "searchindex.js"]
        );

        // A script edit that changes the result: the computation and the chapter naming it.
        let script = std::fs::read_to_string(root.join("content/tiny.py")).unwrap();
        write(root, "tiny.py", &script.replace("[2.0]", "[4.0]"));
        let edit = update(&mut session, root);
        assert_eq!(edit.recomputed, ["tiny"]);
        assert_eq!(edit.rerendered, ["intro.md"]);
        assert!(String::from_utf8_lossy(&session.site().files["intro.html"]).contains("13.5"));

        // Rewriting a file with the same text (a save without changes) redoes nothing: results
        // are keyed by the hash of the text, not by the file's time.
        write(root, "tiny.py", &script.replace("[2.0]", "[4.0]"));
        let same = update(&mut session, root);
        assert!(
            same.recomputed.is_empty() && same.rerendered.is_empty() && same.changed.is_empty()
        );

        // A new title in SUMMARY.md rewraps every page (navigation) but re-renders no chapter.
        write(
            root,
            "SUMMARY.md",
            "# Summary\n\n[Intro](intro.md)\n\n- [Other, renamed](other.md)\n",
        );
        let nav = update(&mut session, root);
        assert!(nav.rerendered.is_empty());
        assert_eq!(nav.rewrapped, 3);

        // An error keeps the last good site; fixing it brings the new one.
        let before = session.site().files["intro.html"].clone();
        write(root, "intro.md", "# Intro\n\n{{ nosuch.value }}\n");
        let err = session.update().unwrap_err();
        assert!(format!("{err:#}").contains("intro.md:3:"), "{err:#}");
        assert_eq!(session.site().files["intro.html"], before);
        write(root, "intro.md", "# Intro\n\nFixed: {{ tiny.output }}.\n");
        let fixed = update(&mut session, root);
        assert_eq!(fixed.rerendered, ["intro.md"]);
    }
}

/// The two phases of an update: the page is new after the first, the print page and search
/// index after the second; a second phase skipped for a newer edit is owed to the next one.
#[test]
fn book_wide_files_follow_the_page_and_are_never_lost() {
    use gradbook::site::build::RenderOptions;
    use gradbook::site::incremental::Session;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/good"),
        root,
    );
    let mut session = Session::new(root, RenderOptions::default());
    session.update().unwrap();
    let text =
        |s: &Session, path: &str| String::from_utf8_lossy(&s.site().files[path]).into_owned();
    let other = root.join("content/other.md");
    std::fs::write(&other, "# Other\n\nFirst edit.\n").unwrap();
    let pages = session.update_pages().unwrap();
    assert_eq!(pages.changed, ["other.html"]);
    assert!(text(&session, "other.html").contains("First edit."));
    assert!(
        !text(&session, "print.html").contains("First edit."),
        "not yet"
    );
    // A newer save came in before the second phase ran: it changes nothing itself...
    let again = session.update_pages().unwrap();
    assert!(again.changed.is_empty() && again.rerendered.is_empty());
    // ...but the book-wide files of the first edit still follow.
    let shared = session.update_shared().unwrap();
    assert_eq!(shared.changed, ["print.html", "searchindex.js"]);
    assert!(text(&session, "print.html").contains("First edit."));
    assert!(
        session.update_shared().unwrap().changed.is_empty(),
        "nothing owed twice"
    );
}

/// In headless Chromium (the browser test's setup: `scripts/test-deps.sh`): an open page
/// reloads with new text after an edit, shows the error overlay (error text as text, not
/// markup) when the edit breaks the book, and drops it when the file is fixed.
#[test]
fn browser_reloads_and_shows_the_error_overlay() {
    let chromium = std::env::var_os("GRADBOOK_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    let playwright = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser/node_modules/playwright-core/index.mjs");
    assert!(
        chromium.is_file() && playwright.is_file(),
        "needs Chromium and tests/browser/node_modules: run `scripts/test-deps.sh`"
    );
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/good"),
        dir.path(),
    );
    let server = Server::start(dir.path(), &[]);
    let script = dir.path().join("check.mjs");
    std::fs::write(&script, BROWSER_SCRIPT).unwrap();
    let out = Command::new("node")
        .arg(&script)
        .args([playwright.as_os_str(), chromium.as_os_str()])
        .arg(server.port.to_string())
        .arg(dir.path().join("content/other.md"))
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "reloaded",
            "overlay: other.md:9:15: template syntax error",
            "no markup in the overlay",
            "cleared",
            "no page errors"
        ]
    );
}

const BROWSER_SCRIPT: &str = r#"
import fs from 'fs';
const [playwright, executablePath, port, file] = process.argv.slice(2);
const { chromium } = await import(playwright);
const browser = await chromium.launch({ executablePath });
const page = await browser.newPage();
const errors = [];
page.on('pageerror', e => errors.push(String(e)));
await page.goto(`http://127.0.0.1:${port}/other.html`);
await page.waitForTimeout(300);
const original = fs.readFileSync(file, 'utf8');
const timeout = 20000;
fs.writeFileSync(file, original + '\nLive reload works.\n');
await page.waitForFunction(() => document.body.innerText.includes('Live reload works.'), null, { timeout });
console.log('reloaded');
fs.writeFileSync(file, original + '\nBroken {{ 1 + }} <img src=x onerror=alert(1)>\n');
await page.waitForSelector('#gradbook-error-overlay', { timeout });
const text = await page.textContent('#gradbook-error-overlay pre');
const at = text.indexOf('other.md:');
console.log('overlay: ' + text.slice(at, at + 'other.md:9:15: template syntax error'.length));
console.log((await page.$('#gradbook-error-overlay img')) === null ? 'no markup in the overlay' : 'MARKUP IN THE OVERLAY');
fs.writeFileSync(file, original + '\nFixed.\n');
await page.waitForFunction(() => document.body.innerText.includes('Fixed.') && !document.getElementById('gradbook-error-overlay'), null, { timeout });
console.log('cleared');
console.log(errors.length === 0 ? 'no page errors' : 'page errors: ' + errors.join('; '));
await browser.close();
"#;
