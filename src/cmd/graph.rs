//! `gradbook graph FILE.py`: one script's backward graph as SVG, PNG, PDF, DOT or JSON.
//!
//! With `-o FILE` the output never replaces the script itself, and replaces an existing file
//! only when it is a figure gradbook wrote (or with `--force`).

use crate::cli::GraphFormat;
use crate::compute::autograd;
use crate::figure::backward_graph;
use crate::figure::export::{self, Format};
use crate::figure::theme::Theme;
use crate::site::book::read_text;
use anyhow::{Context, anyhow, bail};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What `gradbook graph` was asked for.
#[derive(Debug, Clone)]
pub struct GraphArgs {
    /// The script.
    pub file: PathBuf,
    /// The output format.
    pub format: GraphFormat,
    /// Where to write (standard output when `None`).
    pub output: Option<PathBuf>,
    /// The colour theme of SVG, PNG and PDF output.
    pub theme: Theme,
    /// PNG pixels per SVG pixel.
    pub scale: f32,
    /// Replace an existing output file gradbook did not write.
    pub force: bool,
}

/// Run `gradbook graph`: read the script, build its backward graph, print or write it.
pub fn run(args: &GraphArgs) -> anyhow::Result<ExitCode> {
    let file = &args.file;
    let source = read_text(file)?;
    let result =
        autograd::run(&source).map_err(|e| anyhow::Error::new(e.in_file(file, &source)))?;
    let figure = |format: Format| -> anyhow::Result<Vec<u8>> {
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("graph");
        let svg = backward_graph::draw(&result, backward_graph::KINDS[0], &format!("{stem}-"))
            .ok_or_else(|| anyhow!("{}: the script draws no graph", file.display()))?;
        let mut bytes = export::render(&svg, format, args.theme, args.scale)?;
        if format == Format::Svg {
            bytes.push(b'\n');
        }
        Ok(bytes)
    };
    let bytes = match args.format {
        GraphFormat::Json => {
            let mut json = serde_json::to_string_pretty(&result.design_json())?;
            json.push('\n');
            json.into_bytes()
        }
        GraphFormat::Dot => backward_graph::dot(&result).into_bytes(),
        GraphFormat::Svg => figure(Format::Svg)?,
        GraphFormat::Png => figure(Format::Png)?,
        GraphFormat::Pdf => figure(Format::Pdf)?,
    };
    match &args.output {
        Some(path) => write_output(file, path, &bytes, args.force)?,
        None => {
            let binary = matches!(args.format, GraphFormat::Png | GraphFormat::Pdf);
            if binary && std::io::stdout().is_terminal() {
                bail!("PNG and PDF output is binary: give `-o FILE` or redirect standard output");
            }
            std::io::stdout()
                .write_all(&bytes)
                .context("writing to standard output")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Write `bytes` to `path` unless that would replace the script, something that is not a
/// file, or (without `force`) a file gradbook did not write. The file is written beside the
/// target and renamed over it, so a failed write leaves the old one whole.
fn write_output(script: &Path, path: &Path, bytes: &[u8], force: bool) -> anyhow::Result<()> {
    let shown = path.display();
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("checking {shown}")),
        Ok(meta) => {
            if same_file(script, path) {
                bail!("refusing to write the graph over its own script {shown}");
            }
            if !meta.is_file() {
                bail!("refusing to write over {shown}: it is not a regular file");
            }
            let existing = std::fs::read(path).with_context(|| format!("reading {shown}"))?;
            if !force && !export::written_by_gradbook(&existing) && !is_own_dot(&existing) {
                bail!(
                    "refusing to write over {shown}: it exists and is not a figure gradbook \
                     wrote (use --force to replace it)"
                );
            }
        }
    }
    let name = path
        .file_name()
        .ok_or_else(|| anyhow!("{shown} names no file"))?;
    let mut staged = name.to_os_string();
    staged.push(format!(".gradbook-{}.tmp", std::process::id()));
    let staged = path.with_file_name(staged);
    let mut staging = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&staged)
        .with_context(|| format!("creating {}", staged.display()))?;
    // From here on the staged file is ours, and removed again if anything fails.
    let written = staging
        .write_all(bytes)
        .and_then(|()| staging.sync_all())
        .and_then(|()| std::fs::rename(&staged, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&staged);
        return Err(e).with_context(|| format!("writing {shown}"));
    }
    Ok(())
}

/// Whether two paths name the same file (through links, on Unix also hard links).
fn same_file(a: &Path, b: &Path) -> bool {
    if let (Ok(x), Ok(y)) = (a.canonicalize(), b.canonicalize())
        && x == y
    {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    false
}

/// Whether `bytes` are DOT as `gradbook graph --format dot` writes it.
fn is_own_dot(bytes: &[u8]) -> bool {
    bytes.starts_with(backward_graph::DOT_HEADER.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_at_the_staging_name_is_neither_used_nor_removed() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("t.py");
        std::fs::write(&script, "x = 1\n").unwrap();
        let target = dir.path().join("out.png");
        let staged = dir
            .path()
            .join(format!("out.png.gradbook-{}.tmp", std::process::id()));
        std::fs::write(&staged, "someone else's").unwrap();
        let err = write_output(&script, &target, b"new", false).unwrap_err();
        assert!(format!("{err:#}").contains("creating"), "{err:#}");
        assert_eq!(std::fs::read(&staged).unwrap(), b"someone else's");
        assert!(!target.exists());
        std::fs::remove_file(&staged).unwrap();
        write_output(&script, &target, b"new", false).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert!(!staged.exists());
    }

    #[test]
    fn only_gradbook_dot_counts_as_own() {
        assert!(is_own_dot(backward_graph::DOT_HEADER.as_bytes()));
        assert!(!is_own_dot(b"digraph mine {\n}\n"));
    }
}
