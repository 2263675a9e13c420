//! Synthetic books for the scaling benchmark and test: `chapters` chapters of plain Markdown
//! (no template syntax, so mdBook builds the same files), about 6 KB each with headings,
//! paragraphs, inline math, a list, a table and a code block, in folders of 100 with nested
//! sections, words drawn deterministically from a fixed vocabulary.

use std::fmt::Write as _;
use std::path::Path;

const WORDS: &[&str] = &[
    "gradient",
    "descent",
    "network",
    "weight",
    "bias",
    "layer",
    "activation",
    "sigmoid",
    "loss",
    "step",
    "momentum",
    "adam",
    "threshold",
    "escape",
    "path",
    "sum",
    "chain",
    "rule",
    "derivative",
    "backward",
    "graph",
    "node",
    "edge",
    "tensor",
    "value",
    "input",
    "output",
    "hidden",
    "skip",
    "connection",
    "learning",
    "rate",
    "sample",
    "sweep",
    "bound",
    "certificate",
    "variant",
    "region",
    "landscape",
    "plateau",
    "bump",
    "slope",
    "minimum",
    "maximum",
    "the",
    "a",
    "of",
    "and",
    "to",
    "in",
    "is",
    "that",
    "for",
    "with",
    "as",
    "on",
    "by",
    "this",
    "we",
    "are",
    "from",
    "at",
    "which",
    "each",
    "every",
    "when",
    "then",
    "its",
    "one",
    "two",
    "three",
    "first",
    "second",
    "last",
    "larger",
    "smaller",
    "equal",
    "ratio",
    "product",
    "factor",
    "term",
    "estimate",
    "exact",
    "closed",
    "form",
    "proof",
    "claim",
    "holds",
    "fails",
    "table",
    "figure",
    "plot",
    "curve",
    "point",
    "interval",
];

/// A deterministic stream of numbers (xorshift), so every run writes the same book.
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn word(&mut self) -> &'static str {
        WORDS[(self.next() % WORDS.len() as u64) as usize]
    }

    fn sentence(&mut self, words: usize) -> String {
        let mut out = String::new();
        for i in 0..words {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(self.word());
        }
        out.push('.');
        out
    }

    fn paragraph(&mut self, sentences: usize) -> String {
        (0..sentences)
            .map(|_| {
                let n = 8 + (self.next() % 10) as usize;
                self.sentence(n)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The path (under `content/`) of chapter `i`.
pub fn chapter_path(i: usize) -> String {
    format!("part{:03}/ch{i:05}.md", i / 100)
}

/// The Markdown of chapter `i`.
pub fn chapter(i: usize) -> String {
    let mut s = Stream(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let mut md = String::new();
    let _ = writeln!(md, "# Chapter {i}: {} {}\n", s.word(), s.word());
    let _ = writeln!(md, "{}\n", s.paragraph(5));
    let _ = writeln!(
        md,
        "## Setting up topic{i}\n\n{} The rate is $\\alpha = 0.{:04}$ and $w_{{1}} = {}$.\n",
        s.paragraph(4),
        s.next() % 10_000,
        s.next() % 100
    );
    for _ in 0..4 {
        let _ = writeln!(md, "- {}", s.sentence(9));
    }
    let _ = writeln!(md, "\n## Results\n\n{}\n", s.paragraph(6));
    let _ = writeln!(md, "| variant | ratio | verdict |\n|---|---|---|");
    for _ in 0..4 {
        let _ = writeln!(
            md,
            "| {} | {}.{:03} | {} |",
            s.word(),
            s.next() % 10,
            s.next() % 1000,
            s.word()
        );
    }
    let _ = writeln!(
        md,
        "\n```python\nx = torch.tensor([{}.0], requires_grad=True)\ny = (x * x).sum()\ny.backward()\n```\n",
        s.next() % 10
    );
    let _ = writeln!(
        md,
        "## Discussion\n\n{}\n\n{}\n",
        s.paragraph(6),
        s.paragraph(5)
    );
    md
}

/// Write a book of `chapters` synthetic chapters at `root` (`book.toml`, `content/`), with
/// search on or off.
pub fn write_book(root: &Path, chapters: usize, search: bool) -> std::io::Result<()> {
    let content = root.join("content");
    std::fs::create_dir_all(&content)?;
    std::fs::write(
        root.join("book.toml"),
        format!(
            "[book]\ntitle = \"Synthetic book of {chapters} chapters\"\nsrc = \"content\"\n\n[output.html.search]\nenable = {search}\n"
        ),
    )?;
    let mut summary = String::from("# Summary\n\n");
    for i in 0..chapters {
        let path = chapter_path(i);
        // Every tenth chapter starts a group; the nine after it are its sections.
        let indent = if i % 10 == 0 { "" } else { "  " };
        let _ = writeln!(summary, "{indent}- [Chapter {i}]({path})");
        let file = content.join(&path);
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(file, chapter(i))?;
    }
    std::fs::write(content.join("SUMMARY.md"), summary)
}
