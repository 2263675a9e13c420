//! `gradbook init [DIR]`: write a small starter book.

use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;

const FILES: &[(&str, &str)] = &[
    (
        "book.toml",
        "[book]\ntitle = \"My solutions\"\nauthors = []\nlanguage = \"en\"\nsrc = \"content\"\n\n[build]\nbuild-dir = \"book\"\n",
    ),
    (
        "content/SUMMARY.md",
        "# Summary\n\n[Introduction](intro.md)\n\n- [A first computation](first.md)\n",
    ),
    (
        "content/intro.md",
        "# Introduction\n\nThis book was started with `gradbook init`. Build it with `gradbook build`.\n",
    ),
    (
        "content/first.md",
        "# A first computation\n\nThe script `tiny.py` below is run at build time; its output is\n$y = {{ tiny.output | num(digits=4) }}$ and $\\partial y / \\partial a = {{ tiny.grads.a | num }}$.\n\n{{ figure(of=\"tiny\", kind=\"backward-graph\", caption=\"The backward graph of `tiny.py`.\") }}\n",
    ),
    (
        "content/tiny.py",
        "import torch\n\na = torch.tensor([2.0], requires_grad=True)\nb = torch.tensor([3.0], requires_grad=True)\ny = a * b + torch.sin(a)\ny.backward()\n",
    ),
];

/// Write the starter book into `dir`, refusing to overwrite anything.
pub fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    for (path, _) in FILES {
        let target = dir.join(path);
        // `symlink_metadata`: a dangling link counts as existing (writing would follow it).
        if target.symlink_metadata().is_ok() {
            anyhow::bail!(
                "{} already exists; `gradbook init` writes only into an empty book",
                target.display()
            );
        }
    }
    for (path, contents) in FILES {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        // `create_new` fails instead of following a link or replacing a file that appeared
        // since the check above.
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .and_then(|mut file| std::io::Write::write_all(&mut file, contents.as_bytes()))
            .with_context(|| format!("writing {}", target.display()))?;
    }
    println!(
        "Wrote a starter book in {}; build it with `gradbook build {}`",
        dir.display(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
