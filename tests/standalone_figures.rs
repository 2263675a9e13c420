//! Standalone figures travel: every figure of the default book, written as SVG, PNG and PDF in
//! both themes, renders in resvg (our PNGs) and in librsvg (`rsvg-convert`) to the same size,
//! neither blank nor black; the PDFs open in `pdfinfo`; `gradbook graph` writes PNG and PDF
//! and never overwrites what it did not write.
//!
//! Needs `rsvg-convert` (librsvg2-bin) and `pdfinfo` (poppler-utils): `scripts/test-deps.sh`.

mod common;

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

const SETUP: &str = "run `bash scripts/test-deps.sh` (installs librsvg2-bin and poppler-utils)";

/// A decoded PNG: width, height and 8-bit RGBA pixels.
struct Image {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

fn decode(path: &Path) -> Image {
    let file = std::fs::File::open(path).unwrap();
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        other => panic!("{}: unexpected colour type {other:?}", path.display()),
    };
    Image {
        width: info.width,
        height: info.height,
        rgba,
    }
}

/// Pixel statistics of an image over a background colour: the shares of pixels that are the
/// background, near black, and neither.
struct Stats {
    background: f64,
    black: f64,
    ink: f64,
}

fn stats(image: &Image, background: [u8; 3]) -> Stats {
    let n = (image.rgba.len() / 4) as f64;
    let (mut bg, mut black, mut ink) = (0usize, 0usize, 0usize);
    for p in image.rgba.chunks(4) {
        // Composite over white first: a transparent pixel is not a black one.
        let a = f64::from(p[3]) / 255.0;
        let c: Vec<f64> = (0..3)
            .map(|i| f64::from(p[i]) * a + 255.0 * (1.0 - a))
            .collect();
        let near =
            |target: [u8; 3], tol: f64| (0..3).all(|i| (c[i] - f64::from(target[i])).abs() <= tol);
        if near(background, 2.0) {
            bg += 1;
        } else if c.iter().all(|&v| v < 10.0) {
            black += 1;
        } else {
            ink += 1;
        }
    }
    Stats {
        background: bg as f64 / n,
        black: black as f64 / n,
        ink: ink as f64 / n,
    }
}

fn tool(name: &str) -> PathBuf {
    let found = Process::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .unwrap();
    let path = String::from_utf8_lossy(&found.stdout).trim().to_string();
    assert!(
        found.status.success() && !path.is_empty(),
        "`{name}` is not installed: {SETUP}"
    );
    PathBuf::from(path)
}

/// The default book with standalone figures in every format for `theme`, built: the site.
fn built(theme: &str) -> (tempfile::TempDir, tempfile::TempDir, PathBuf) {
    let book = common::copy_of_default_book();
    let toml = std::fs::read_to_string(book.path().join("book.toml")).unwrap();
    assert!(toml.contains("standalone-figures = true"));
    let toml = toml.replace(
        "standalone-figures = true",
        &format!(
            "standalone-figures = true\nstandalone-formats = [\"svg\", \"png\", \"pdf\"]\n\
             standalone-theme = \"{theme}\"\nstandalone-scale = 2"
        ),
    );
    std::fs::write(book.path().join("book.toml"), toml).unwrap();
    let (guard, site) = common::build(book.path());
    (book, guard, site)
}

/// The figure stems (`figures/<stem>.svg`) of a site, sorted.
fn figure_stems(site: &Path) -> Vec<String> {
    let mut stems: Vec<String> = std::fs::read_dir(site.join("figures"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".svg").map(str::to_string)
        })
        .collect();
    stems.sort();
    stems
}

/// `width`/`height` of a standalone SVG's root, in SVG pixels.
fn svg_size(svg: &str) -> (f64, f64) {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let root = doc.root_element();
    let num = |name: &str| -> f64 { root.attribute(name).unwrap().parse().unwrap() };
    (num("width"), num("height"))
}

/// `pdfinfo`'s page size in points, after checking it opens the file without complaint.
fn pdf_page_size(pdfinfo: &Path, pdf: &Path) -> (f64, f64) {
    let out = Process::new(pdfinfo).arg(pdf).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}: {stderr}", pdf.display());
    assert!(stderr.trim().is_empty(), "{}: {stderr}", pdf.display());
    assert!(stdout.contains("Pages:           1"), "{stdout}");
    assert!(stdout.contains("Creator:         gradbook"), "{stdout}");
    let size = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Page size:"))
        .unwrap_or_else(|| panic!("no page size: {stdout}"));
    let words: Vec<&str> = size.split_whitespace().collect();
    (words[0].parse().unwrap(), words[2].parse().unwrap())
}

fn check_theme(theme: &str, background: [u8; 3]) {
    let (rsvg, pdfinfo) = (tool("rsvg-convert"), tool("pdfinfo"));
    let (_book, _guard, site) = built(theme);
    let stems = figure_stems(&site);
    assert_eq!(stems.len(), 9, "{stems:?}");
    let out = tempfile::tempdir().unwrap();
    for stem in &stems {
        let at = |ext: &str| site.join("figures").join(format!("{stem}.{ext}"));
        let svg = std::fs::read_to_string(at("svg")).unwrap();
        // Self-contained: no CSS variables, no references outside the file.
        assert!(!svg.contains("var("), "{stem}: a CSS variable is left");
        for attr in ["href=\"", "url("] {
            for piece in svg.split(attr).skip(1) {
                assert!(
                    piece.starts_with('#'),
                    "{stem}: external {attr}{}",
                    &piece[..20.min(piece.len())]
                );
            }
        }
        assert!(!svg.contains("@import"), "{stem}");
        let (w, h) = svg_size(&svg);
        let (pw, ph) = ((w * 2.0).ceil() as u32, (h * 2.0).ceil() as u32);

        let ours = decode(&at("png"));
        assert_eq!(
            (ours.width, ours.height),
            (pw, ph),
            "{stem}: resvg PNG size"
        );
        let converted = out.path().join(format!("{stem}.png"));
        let run = Process::new(&rsvg)
            .args(["--zoom", "2", "--output"])
            .arg(&converted)
            .arg(at("svg"))
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{stem}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let theirs = decode(&converted);
        assert_eq!(
            (theirs.width, theirs.height),
            (ours.width, ours.height),
            "{stem}: rsvg-convert and resvg sizes differ"
        );
        for (who, image) in [("resvg", &ours), ("rsvg-convert", &theirs)] {
            let s = stats(image, background);
            println!(
                "{theme} {stem} {who}: background {:.3} ink {:.3} black {:.4}",
                s.background, s.ink, s.black
            );
            assert!(
                s.background > 0.3,
                "{theme} {stem} {who}: background only {:.3}",
                s.background
            );
            assert!(
                s.ink > 0.01,
                "{theme} {stem} {who}: blank (ink {:.4})",
                s.ink
            );
            assert!(s.black < 0.02, "{theme} {stem} {who}: black {:.3}", s.black);
        }
        // The two renderers agree pixel by pixel on most of the figure; text may sit a pixel
        // or two apart (they place `dominant-baseline: central` differently), which matters
        // most in the small, text-dense chain diagram (about 5 %).
        let differing = ours
            .rgba
            .chunks(4)
            .zip(theirs.rgba.chunks(4))
            .filter(|(a, b)| (0..3).any(|i| a[i].abs_diff(b[i]) > 48))
            .count();
        let share = differing as f64 / (ours.rgba.len() / 4) as f64;
        println!("{theme} {stem}: {share:.3} of pixels differ between renderers");
        assert!(
            share < 0.1,
            "{theme} {stem}: {share:.3} of pixels differ between renderers"
        );

        let (pdf_w, pdf_h) = pdf_page_size(&pdfinfo, &at("pdf"));
        assert!(
            (pdf_w - w).abs() < 0.1 && (pdf_h - h).abs() < 0.1,
            "{stem}: PDF {pdf_w}×{pdf_h} for SVG {w}×{h}"
        );
    }
}

#[test]
fn light_figures_render_in_resvg_librsvg_and_pdfinfo() {
    check_theme("light", [0xff, 0xff, 0xff]);
}

#[test]
fn dark_figures_render_in_resvg_librsvg_and_pdfinfo() {
    check_theme("dark", [0x15, 0x17, 0x1c]);
}

#[test]
fn standalone_files_are_byte_identical_across_builds() {
    let (_book, _guard, first) = built("light");
    let (_book2, _guard2, second) = built("light");
    for stem in figure_stems(&first) {
        for ext in ["svg", "png", "pdf"] {
            let name = format!("figures/{stem}.{ext}");
            assert_eq!(
                std::fs::read(first.join(&name)).unwrap(),
                std::fs::read(second.join(&name)).unwrap(),
                "{name}"
            );
        }
    }
}

/// `gradbook graph <args>` in `dir`.
fn graph(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("gradbook")
        .unwrap()
        .current_dir(dir)
        .arg("graph")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn graph_writes_png_and_pdf_at_the_asked_scale() {
    let pdfinfo = tool("pdfinfo");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        common::repo().join("content/comp_tree.py"),
        dir.path().join("t.py"),
    )
    .unwrap();
    let svg = graph(dir.path(), &["t.py", "--format", "svg"]);
    assert!(svg.status.success());
    let svg = String::from_utf8(svg.stdout).unwrap();
    assert!(!svg.contains("var("), "graph SVG is standalone");
    let (w, h) = svg_size(&svg);
    for (args, scale) in [
        (vec!["--format", "png", "-o", "a.png"], 2.0),
        (vec!["--format", "png", "-o", "b.png", "--scale", "1"], 1.0),
        (
            vec![
                "--format", "png", "-o", "c.png", "--dpi", "288", "--theme", "dark",
            ],
            3.0,
        ),
    ] {
        let mut all = vec!["t.py"];
        all.extend(&args);
        let out = graph(dir.path(), &all);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let image = decode(&dir.path().join(args[3]));
        assert_eq!(
            (image.width, image.height),
            ((w * scale).ceil() as u32, (h * scale).ceil() as u32),
            "{args:?}"
        );
        let bg = if args.contains(&"dark") {
            [0x15, 0x17, 0x1c]
        } else {
            [255, 255, 255]
        };
        let s = stats(&image, bg);
        assert!(
            s.background > 0.3 && s.ink > 0.01 && s.black < 0.02,
            "{args:?}"
        );
    }
    let out = graph(dir.path(), &["t.py", "--format", "pdf", "-o", "g.pdf"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (pw, ph) = pdf_page_size(&pdfinfo, &dir.path().join("g.pdf"));
    assert!((pw - w).abs() < 0.1 && (ph - h).abs() < 0.1);
    // Bad scales are refused by the argument parser.
    let out = graph(
        dir.path(),
        &["t.py", "--format", "png", "-o", "z.png", "--scale", "100"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.path().join("z.png").exists());
}

#[test]
fn graph_output_never_replaces_what_gradbook_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("t.py");
    std::fs::copy(common::repo().join("content/comp_tree.py"), &script).unwrap();
    let original = std::fs::read(&script).unwrap();
    let mine = dir.path().join("mine.png");
    std::fs::write(&mine, b"my holiday photo").unwrap();

    // The script itself: refused, even with --force, also through another spelling.
    for target in ["t.py", "./t.py", "../t.py"] {
        let sub = dir.path().join("sub");
        std::fs::create_dir_all(&sub).unwrap();
        let cwd = if target.starts_with("..") {
            &sub
        } else {
            dir.path()
        };
        let script_arg = if target.starts_with("..") {
            "../t.py"
        } else {
            "t.py"
        };
        let out = Command::cargo_bin("gradbook")
            .unwrap()
            .current_dir(cwd)
            .args([
                "graph", script_arg, "--format", "png", "--force", "-o", target,
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{target}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("its own script"), "{stderr}");
        assert_eq!(std::fs::read(&script).unwrap(), original);
    }

    // A file of the user's: refused with a clear message, left alone.
    for format in ["png", "pdf", "svg", "dot", "json"] {
        let out = graph(dir.path(), &["t.py", "--format", format, "-o", "mine.png"]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("refusing") && stderr.contains("--force"),
            "{stderr}"
        );
        assert_eq!(std::fs::read(&mine).unwrap(), b"my holiday photo");
    }
    // A folder: refused even with --force.
    std::fs::create_dir(dir.path().join("out.png")).unwrap();
    let out = graph(
        dir.path(),
        &["t.py", "--format", "png", "--force", "-o", "out.png"],
    );
    assert_eq!(out.status.code(), Some(1));

    // A figure gradbook wrote may be replaced, in any of its formats; nothing is left behind.
    for (format, name) in [
        ("png", "g.png"),
        ("pdf", "g.pdf"),
        ("svg", "g.svg"),
        ("dot", "g.dot"),
    ] {
        for theme in ["light", "dark"] {
            let out = graph(
                dir.path(),
                &["t.py", "--format", format, "--theme", theme, "-o", name],
            );
            assert!(
                out.status.success(),
                "{format} {theme}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    // --force replaces the user's file.
    let out = graph(
        dir.path(),
        &["t.py", "--format", "png", "--force", "-o", "mine.png"],
    );
    assert!(out.status.success());
    assert!(std::fs::read(&mine).unwrap().starts_with(b"\x89PNG"));
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "g.dot", "g.pdf", "g.png", "g.svg", "mine.png", "out.png", "sub", "t.py"
        ]
    );
}

#[cfg(unix)]
#[test]
fn graph_output_through_a_symlink_to_the_script_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("t.py");
    std::fs::copy(common::repo().join("content/comp_tree.py"), &script).unwrap();
    let original = std::fs::read(&script).unwrap();
    std::os::unix::fs::symlink(&script, dir.path().join("link.svg")).unwrap();
    std::fs::hard_link(&script, dir.path().join("hard.svg")).unwrap();
    for target in ["link.svg", "hard.svg"] {
        let out = graph(dir.path(), &["t.py", "--force", "-o", target]);
        assert_eq!(out.status.code(), Some(1), "{target}");
        assert_eq!(std::fs::read(&script).unwrap(), original, "{target}");
    }
}
