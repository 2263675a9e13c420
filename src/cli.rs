//! Command-line arguments, declared once with clap derive.

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
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
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
}

/// Output formats of `gradbook graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// A standalone SVG figure.
    Svg,
    /// Graphviz DOT.
    Dot,
    /// JSON as documented in DESIGN.md.
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
