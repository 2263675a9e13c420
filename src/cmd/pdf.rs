//! `gradbook pdf [BOOK_DIR] [-o FILE] [--edition NAME]`: print the book's print page to PDF
//! with the system's Chromium (headless, offline), twice: the first printing tells which page
//! each chapter starts on, the second prints the table of contents with those numbers.

use crate::site::authoring::edition::Edition;
use crate::site::book::{Book, display_path};
use crate::site::build::{self, RenderOptions};
use crate::site::output::SiteFiles;
use crate::site::paged;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// The environment variable naming the Chromium (or Chrome) binary to use.
pub const CHROMIUM_ENV: &str = "GRADBOOK_CHROMIUM";

/// The last line of every PDF gradbook writes (after `%%EOF`, where readers ignore it): the
/// only PDFs `gradbook pdf` overwrites are those that end with it.
const MARK: &[u8] = b"\n%gradbook-pdf\n";

/// The longest one printing may take.
const PRINT_TIMEOUT: Duration = Duration::from_secs(180);

/// Build the edition in memory, print it and write the PDF.
pub fn run(book_dir: &Path, output: Option<&Path>, edition: Option<&str>) -> Result<ExitCode> {
    let start = Instant::now();
    let mut book = Book::load(book_dir)?;
    let edition = Edition::resolve(&book.config, edition)?;
    edition.apply(&mut book);
    book.preprocess()?;
    book.config.output.html.print.enable = true;
    let output = match output {
        Some(o) => o.to_path_buf(),
        None => {
            let mut file = book.root.join(&edition.build_dir).into_os_string();
            file.push(".pdf");
            PathBuf::from(file)
        }
    };
    check_output(&book, &output)?;
    let chromium = find_chromium()?;
    let outcomes = build::run_computations(&book)?;
    let options = RenderOptions {
        without_solutions: !edition.solutions,
        ..RenderOptions::default()
    };
    let (site, _, _) = build::render_site(&book, outcomes, &options)?;
    let print = site
        .files
        .get("print.html")
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .context("the site has no print page")?;
    let work = Scratch::new()?;
    write_site(&site, &work.0)?;
    let page = work.0.join("gradbook-pdf.html");
    let first = work.0.join("first.pdf");
    std::fs::write(&page, paged::document(&book, &print, &edition.name, None))?;
    print_pdf(&chromium, &page, &first, &work.0)?;
    let pages = paged::destination_pages(&std::fs::read(first)?);
    if pages.is_none() {
        eprintln!(
            "warning: Chromium's PDF names no destinations; the table of contents has no page numbers"
        );
    }
    let second = work.0.join("second.pdf");
    std::fs::write(
        &page,
        paged::document(&book, &print, &edition.name, pages.as_ref()),
    )?;
    print_pdf(&chromium, &page, &second, &work.0)?;
    let mut pdf = std::fs::read(second)?;
    pdf.extend_from_slice(MARK);
    let staging = output.with_extension(format!("pdf.tmp-{}", std::process::id()));
    std::fs::write(&staging, pdf)
        .with_context(|| format!("writing {}", display_path(&staging).display()))?;
    std::fs::rename(staging, &output)
        .with_context(|| format!("writing {}", display_path(&output).display()))?;
    println!(
        "Printed the {} edition to {} in {} ms",
        edition.name,
        display_path(&output).display(),
        start.elapsed().as_millis()
    );
    Ok(ExitCode::SUCCESS)
}

/// Refuse an output that is a folder, lies inside the book's chapter folder, or is an
/// existing file gradbook did not write.
fn check_output(book: &Book, output: &Path) -> Result<()> {
    let shown = display_path(output);
    if output.extension().and_then(|e| e.to_str()) != Some("pdf") {
        bail!("{}: the output must be a `.pdf` file", shown.display());
    }
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let parent = parent
        .canonicalize()
        .with_context(|| format!("{}: its folder does not exist", shown.display()))?;
    let src = book.root.join(&book.config.book.src).canonicalize().ok();
    if src.is_some_and(|s| parent.starts_with(s)) {
        bail!(
            "{}: refusing to write inside the book's chapter folder",
            shown.display()
        );
    }
    match std::fs::symlink_metadata(output) {
        Err(_) => Ok(()),
        Ok(meta) if meta.is_file() => {
            let bytes = std::fs::read(output)?;
            if bytes.ends_with(MARK) {
                Ok(())
            } else {
                bail!(
                    "{}: refusing to overwrite a file gradbook did not write (delete it or choose another -o)",
                    shown.display()
                )
            }
        }
        Ok(_) => bail!(
            "{}: refusing to overwrite something that is not a PDF gradbook wrote",
            shown.display()
        ),
    }
}

/// The Chromium to print with: `$GRADBOOK_CHROMIUM`, else the first of the usual names on
/// `PATH`.
pub fn find_chromium() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os(CHROMIUM_ENV) {
        let path = PathBuf::from(path);
        if path.is_file() {
            return Ok(path);
        }
        bail!(
            "{CHROMIUM_ENV}={} is not a file: point it at a Chromium or Chrome binary",
            path.display()
        );
    }
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
        "chrome",
    ];
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    bail!(
        "gradbook pdf needs Chromium and found none on PATH ({}): install it (Debian/Ubuntu: `apt install chromium`) or set {CHROMIUM_ENV} to the browser's path",
        names.join(", ")
    )
}

/// Write the site's files under `dir` (a scratch folder gradbook created).
fn write_site(site: &SiteFiles, dir: &Path) -> Result<()> {
    for (path, bytes) in &site.files {
        let file = dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(file, bytes)?;
    }
    Ok(())
}

/// Print `page` to `pdf` with headless Chromium, offline, with a profile in `scratch`.
fn print_pdf(chromium: &Path, page: &Path, pdf: &Path, scratch: &Path) -> Result<()> {
    let mut command = Command::new(chromium);
    command
        .arg("--headless")
        .arg("--disable-gpu")
        .arg("--no-first-run")
        .arg("--no-default-browser-check")
        .arg("--disable-extensions")
        .arg("--disable-background-networking")
        .arg("--disable-component-update")
        .arg("--disable-sync")
        .arg("--host-resolver-rules=MAP * ~NOTFOUND")
        .arg("--proxy-server=127.0.0.1:9")
        .arg("--allow-file-access-from-files")
        .arg(format!(
            "--user-data-dir={}",
            scratch.join("profile").display()
        ))
        .arg("--no-pdf-header-footer")
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(scratch.join("chromium.log"))?);
    if running_as_root() {
        command.arg("--no-sandbox");
    }
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {}", chromium.display()))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > PRINT_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "{} did not finish printing within {} s",
                chromium.display(),
                PRINT_TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if !status.success() || !pdf.is_file() {
        let err = std::fs::read_to_string(scratch.join("chromium.log")).unwrap_or_default();
        let last: Vec<&str> = err.lines().rev().take(3).collect();
        bail!(
            "{} failed to print the PDF ({status}): {}",
            chromium.display(),
            last.into_iter().rev().collect::<Vec<_>>().join(" | ")
        );
    }
    Ok(())
}

#[cfg(unix)]
fn running_as_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[cfg(not(unix))]
fn running_as_root() -> bool {
    false
}

/// A scratch folder this command creates and removes again.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("gradbook-pdf-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir)
            .with_context(|| format!("creating the scratch folder {}", dir.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
