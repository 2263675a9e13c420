//! Command-line arguments, declared once with clap derive.

use crate::figure::theme::Theme;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Turn a course assignment and its reference computations into a solution site.
#[derive(Debug, Parser)]
#[command(name = "gradbook", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the site from the book (book.toml + content/).
    Build {
        /// The book's root folder (where book.toml is).
        #[arg(default_value = ".")]
        book_dir: PathBuf,
        /// Where to write the site (default: build-dir from book.toml, else `book/`).
        #[arg(short = 'd', long = "dest-dir")]
        dest: Option<PathBuf>,
        /// The edition: `solutions` (default), `student` (no solutions), or one declared under
        /// `[gradbook.editions]` in book.toml.
        #[arg(long)]
        edition: Option<String>,
    },
    /// Print the book (its print page) to PDF with the system's Chromium.
    Pdf {
        /// The book's root folder.
        #[arg(default_value = ".")]
        book_dir: PathBuf,
        /// The PDF to write (default: `<build-dir>.pdf` beside the site, e.g. `book.pdf`).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// The edition, as for `build`.
        #[arg(long)]
        edition: Option<String>,
    },
    /// Build, serve on localhost, rebuild on change and reload open pages.
    Serve {
        /// The book's root folder.
        #[arg(default_value = ".")]
        book_dir: PathBuf,
        /// Port to listen on (0 picks a free one).
        #[arg(short, long, default_value_t = 3000)]
        port: u16,
        /// Address to bind; anything but loopback must be asked for explicitly.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Open the site in the default browser.
        #[arg(long)]
        open: bool,
    },
    /// Run every computation and claim and check internal links; exit 1 on any failure.
    Check {
        /// The book's root folder.
        #[arg(default_value = ".")]
        book_dir: PathBuf,
    },
    /// Print every computation's result.
    Results {
        /// The book's root folder.
        #[arg(default_value = ".")]
        book_dir: PathBuf,
        /// Print JSON (the only format for now).
        #[arg(long)]
        json: bool,
    },
    /// Print one autograd script's backward graph.
    Graph {
        /// The script (comp_tree.py dialect).
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = GraphFormat::Svg)]
        format: GraphFormat,
        /// Write to this file instead of standard output (an existing file only if it is a
        /// figure gradbook wrote, or with --force; never the script itself).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Colour theme of SVG, PNG and PDF output.
        #[arg(long, value_enum, default_value_t = Theme::Light)]
        theme: Theme,
        /// PNG pixels per SVG pixel, 0.25 to 8 [default: 2].
        #[arg(long, value_parser = parse_scale, conflicts_with = "dpi")]
        scale: Option<f32>,
        /// PNG resolution in dots per inch, 24 to 768 (96 is scale 1).
        #[arg(long, value_parser = parse_dpi)]
        dpi: Option<f32>,
        /// Replace an existing output file even if gradbook did not write it.
        #[arg(long)]
        force: bool,
    },
    /// Write a small starter book.
    Init {
        /// Folder to create the book in.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Remove the built site.
    Clean {
        /// The book's root folder.
        #[arg(default_value = ".")]
        book_dir: PathBuf,
    },
    /// Run as an mdBook preprocessor (book.toml: `[preprocessor.gradbook]` with
    /// `command = "gradbook mdbook"`): reads mdBook's `[context, book]` JSON on standard input,
    /// writes the book with computed numbers, figures and MathML on standard output.
    Mdbook {
        /// `supports RENDERER`: exit 0 if gradbook can preprocess for that renderer.
        #[command(subcommand)]
        query: Option<MdbookQuery>,
    },
}

/// What mdBook asks a preprocessor before running it.
#[derive(Debug, Subcommand)]
pub enum MdbookQuery {
    /// Exit 0 if gradbook's output suits this renderer (`html`, `markdown`), 1 otherwise.
    Supports {
        /// The renderer's name.
        renderer: String,
    },
}

/// Output formats of `gradbook graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// A standalone SVG figure (colours resolved for --theme).
    Svg,
    /// A PNG image rendered with resvg (size set by --scale or --dpi).
    Png,
    /// A one-page vector PDF.
    Pdf,
    /// Graphviz DOT.
    Dot,
    /// JSON as documented in DESIGN.md.
    Json,
}

/// One SVG pixel is 1/96 inch.
pub const CSS_DPI: f32 = 96.0;

/// A `--scale` value: a number from 0.25 to 8.
fn parse_scale(text: &str) -> Result<f32, String> {
    in_range(text, 0.25, 8.0)
}

/// A `--dpi` value: a number from 24 to 768 (scale 0.25 to 8).
fn parse_dpi(text: &str) -> Result<f32, String> {
    in_range(text, 0.25 * CSS_DPI, 8.0 * CSS_DPI)
}

fn in_range(text: &str, low: f32, high: f32) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(v) if (low..=high).contains(&v) => Ok(v),
        _ => Err(format!("expected a number from {low} to {high}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn scale_and_dpi_are_range_checked() {
        assert_eq!(parse_scale("2"), Ok(2.0));
        assert_eq!(parse_dpi("192"), Ok(192.0));
        for bad in ["0", "9", "nan", "inf", "x", "-1"] {
            assert!(parse_scale(bad).is_err(), "{bad}");
        }
        assert!(parse_dpi("23").is_err() && parse_dpi("769").is_err());
        let cli = Cli::try_parse_from(["gradbook", "graph", "a.py", "--scale", "2", "--dpi", "96"]);
        assert!(cli.is_err(), "--scale and --dpi conflict");
    }
}
