//! mdBook's preprocessors in gradbook: every `[preprocessor.NAME]` of book.toml runs through
//! mdBook's JSON protocol, in mdBook's order, before any chapter is rendered.
//!
//! The order is mdBook's: a topological sort of `before`/`after`, ties broken by name (so with
//! no constraints the order is alphabetical), the built-in `links` and `index` included as
//! names others may order themselves against. For each preprocessor, `COMMAND supports html`
//! runs first (a non-zero exit skips it, unless `renderers` lists `html`), then `COMMAND`
//! reads `[context, book]` as JSON on its standard input and writes the book back on its
//! standard output. The command comes from the book's own book.toml: building a book runs
//! the programs it names, as `mdbook build` does.

use crate::diag::Diagnostic;
use crate::site::book::{self, Book};
use crate::site::mdbook::protocol;
use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// One `[preprocessor.NAME]` table. Other keys in it are the preprocessor's own settings
/// (it reads them from the context), so they are accepted.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct PreprocessorConfig {
    /// The command line to run (default `mdbook-NAME`), split as a shell would; a program
    /// named by a relative path is found from the book root.
    pub command: Option<String>,
    /// Names of preprocessors this one runs before.
    pub before: Vec<String>,
    /// Names of preprocessors this one runs after.
    pub after: Vec<String>,
    /// A missing program is skipped with a warning instead of failing the build.
    pub optional: bool,
    /// The renderers it runs for; when given, `supports` is not asked.
    pub renderers: Option<Vec<String>>,
}

/// The `[preprocessor]` tables of book.toml, by name.
pub type Preprocessors = BTreeMap<String, PreprocessorConfig>;

/// mdBook's built-in preprocessors, in name order; gradbook does their work itself (link
/// directives; `README.md` as `index.html`) at their place in the order.
pub const BUILT_IN: [&str; 2] = ["index", "links"];

/// The names of `preprocessors` in mdBook's running order (built-in names included); the error
/// names a cycle.
pub fn order(preprocessors: &Preprocessors) -> std::result::Result<Vec<String>, String> {
    let mut names: BTreeSet<String> = BUILT_IN.iter().map(|s| s.to_string()).collect();
    names.extend(preprocessors.keys().cloned());
    // (earlier, later) pairs whose both ends exist; unknown names are ignored as in mdBook.
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    for (name, config) in preprocessors {
        for later in &config.before {
            if names.contains(later) {
                edges.insert((name.clone(), later.clone()));
            }
        }
        for earlier in &config.after {
            if names.contains(earlier) {
                edges.insert((earlier.clone(), name.clone()));
            }
        }
    }
    let mut order = Vec::new();
    let mut left = names;
    while !left.is_empty() {
        let ready: Vec<String> = left
            .iter()
            .filter(|n| !edges.iter().any(|(a, b)| b == *n && left.contains(a)))
            .cloned()
            .collect();
        if ready.is_empty() {
            let cycle: Vec<&str> = left.iter().map(String::as_str).collect();
            return Err(format!(
                "the preprocessors {} order each other in a cycle through `before`/`after`",
                cycle.join(", ")
            ));
        }
        for name in ready {
            left.remove(&name);
            order.push(name);
        }
    }
    Ok(order)
}

/// Run every preprocessor of `book` (in order) on its chapters, which come back changed.
/// Errors are located at the preprocessor's table in book.toml.
pub fn run(book: &mut Book, preprocessors: &Preprocessors) -> Result<()> {
    let defaults = book.config.build.use_default_preprocessors;
    // With no program to run, only the built-in passes (no book.toml read, no context made).
    if preprocessors.keys().all(|n| BUILT_IN.contains(&n.as_str())) {
        for name in BUILT_IN {
            if defaults || preprocessors.contains_key(name) {
                built_in(book, name)?;
            }
        }
        return Ok(());
    }
    let toml_path = book.root.join("book.toml");
    let toml_text = book::read_book_text(&book.root, &toml_path).unwrap_or_default();
    let located = |name: &str, message: String| -> anyhow::Error {
        Diagnostic::at(
            &toml_path,
            &toml_text,
            table_span(&toml_text, name),
            &message,
        )
        .into()
    };
    let order = order(preprocessors).map_err(|m| located("", m))?;
    let context = protocol::context(book)?;
    for name in order {
        if BUILT_IN.contains(&name.as_str()) {
            if defaults || preprocessors.contains_key(&name) {
                built_in(book, &name)?;
            }
            continue;
        }
        let Some(config) = preprocessors.get(&name) else {
            continue;
        };
        let command = config
            .command
            .clone()
            .unwrap_or_else(|| format!("mdbook-{name}"));
        let words = shlex::split(&command)
            .filter(|w| !w.is_empty())
            .ok_or_else(|| {
                located(
                    &name,
                    format!("preprocessor `{name}`: cannot split the command `{command}` into words (check its quotes)"),
                )
            })?;
        let program = ProgramCall {
            name: &name,
            words: &words,
            root: &book.root,
        };
        let wanted = match &config.renderers {
            Some(renderers) => renderers.iter().any(|r| r == protocol::RENDERER),
            None => match program.supports() {
                Ok(yes) => yes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && config.optional => {
                    eprintln!(
                        "warning: the command `{command}` of the optional preprocessor `{name}` was not found; skipping it"
                    );
                    false
                }
                Err(e) => return Err(located(&name, program.failed(&command, &e))),
            },
        };
        if !wanted {
            continue;
        }
        let input = serde_json::to_vec(&(&context, protocol::to_mdbook(book)))
            .context("writing the book as JSON")?;
        let output = program
            .run(&input)
            .map_err(|e| located(&name, program.failed(&command, &e)))?;
        if !output.status.success() {
            return Err(located(
                &name,
                format!(
                    "preprocessor `{name}` (`{command}`) failed with {}{}",
                    output.status,
                    last_words(&output.stderr)
                ),
            ));
        }
        let processed: mdbook_preprocessor::book::Book = serde_json::from_slice(&output.stdout)
            .map_err(|e| {
                located(
                    &name,
                    format!(
                        "preprocessor `{name}` (`{command}`) printed something that is not mdBook's book JSON ({e}): expected the book it was given, changed"
                    ),
                )
            })?;
        protocol::apply(book, &processed, &name).map_err(|e| located(&name, e.to_string()))?;
    }
    Ok(())
}

/// Run the built-in preprocessor `name` (`links` or `index`), which gradbook implements itself.
fn built_in(book: &mut Book, name: &str) -> Result<()> {
    match name {
        "links" => book.expand_links(),
        _ => {
            book.rename_readmes();
            Ok(())
        }
    }
}

/// A preprocessor's program, ready to run from the book root.
struct ProgramCall<'a> {
    name: &'a str,
    words: &'a [String],
    root: &'a Path,
}

impl ProgramCall<'_> {
    /// The command with `extra` arguments: a program given by a relative path with a `/` is
    /// taken from the book root, a bare name is looked up on `PATH`.
    fn command(&self) -> Command {
        let program = Path::new(&self.words[0]);
        let program = if program.components().count() == 1 {
            program.to_path_buf()
        } else {
            self.root.join(program)
        };
        let mut command = Command::new(program);
        command.args(&self.words[1..]).current_dir(self.root);
        command
    }

    /// `COMMAND supports html`: does it want to run for gradbook's renderer?
    fn supports(&self) -> std::io::Result<bool> {
        let status = self
            .command()
            .args(["supports", protocol::RENDERER])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .status()?;
        Ok(status.success())
    }

    /// Run it with `input` on standard input; its standard error is kept for the message.
    fn run(&self, input: &[u8]) -> std::io::Result<std::process::Output> {
        let mut child = self
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut stdin = child.stdin.take();
        let written = std::thread::scope(|scope| {
            let writer = scope.spawn(move || match stdin.as_mut() {
                // A preprocessor may exit without reading everything; that is its own affair.
                Some(pipe) => pipe.write_all(input).or(Ok(())),
                None => Ok(()),
            });
            let output = child.wait_with_output();
            let _: std::io::Result<()> = writer.join().unwrap_or(Ok(()));
            output
        });
        let output = written?;
        // Show what it printed on standard error, as mdBook does.
        let _ = std::io::stderr().write_all(&output.stderr);
        Ok(output)
    }

    /// The message for a program that could not be started.
    fn failed(&self, command: &str, error: &std::io::Error) -> String {
        let name = self.name;
        if error.kind() == std::io::ErrorKind::NotFound {
            format!(
                "preprocessor `{name}`: the command `{command}` was not found (is it installed? set `optional = true` in [preprocessor.{name}] to build without it)"
            )
        } else {
            format!("preprocessor `{name}`: cannot run `{command}`: {error}")
        }
    }
}

/// `: <the last line it printed on standard error>`, or nothing.
fn last_words(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    match text.lines().rev().map(str::trim).find(|l| !l.is_empty()) {
        Some(line) => format!(": {}", line.chars().take(300).collect::<String>()),
        None => String::new(),
    }
}

/// Where `[preprocessor.NAME]` (or `preprocessor.NAME.` keys, or the `[preprocessor]` table)
/// is in book.toml's text; empty `name` finds the first preprocessor table.
fn table_span(text: &str, name: &str) -> std::ops::Range<usize> {
    let mut offset = 0;
    let mut fallback = None;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let lead = line.len() - trimmed.len();
        let header: String = trimmed
            .trim_end()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '"' && *c != '\'')
            .collect();
        let at = start + lead..start + lead + trimmed.trim_end().len();
        if header == format!("[preprocessor.{name}]")
            || (!name.is_empty() && header.starts_with(&format!("preprocessor.{name}.")))
        {
            return at;
        }
        if fallback.is_none() && header.starts_with("[preprocessor") {
            fallback = Some(at);
        }
    }
    fallback.unwrap_or(0..0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(entries: &[(&str, &[&str], &[&str])]) -> Preprocessors {
        entries
            .iter()
            .map(|(name, before, after)| {
                (
                    name.to_string(),
                    PreprocessorConfig {
                        before: before.iter().map(|s| s.to_string()).collect(),
                        after: after.iter().map(|s| s.to_string()).collect(),
                        ..PreprocessorConfig::default()
                    },
                )
            })
            .collect()
    }

    #[test]
    fn order_is_alphabetical_without_constraints_as_in_mdbook() {
        let order = order(&table(&[("mermaid", &[], &[]), ("admonish", &[], &[])])).unwrap();
        assert_eq!(order, ["admonish", "index", "links", "mermaid"]);
    }

    #[test]
    fn before_and_after_are_honoured_and_unknown_names_ignored() {
        let order = order(&table(&[
            ("a", &[], &["links", "nosuch"]),
            ("z", &["index"], &[]),
            ("m", &[], &["a"]),
        ]))
        .unwrap();
        assert_eq!(order, ["links", "z", "a", "index", "m"]);
    }

    #[test]
    fn cycles_are_errors() {
        let err = order(&table(&[("a", &["b"], &[]), ("b", &["a"], &[])])).unwrap_err();
        assert!(err.contains("a, b") && err.contains("cycle"), "{err}");
    }

    #[test]
    fn tables_are_found_in_the_text() {
        let text = "[book]\ntitle = \"x\"\n\n[preprocessor.one]\ncommand = \"a\"\n\n  [ preprocessor.\"two\" ]\n";
        assert_eq!(&text[table_span(text, "one")], "[preprocessor.one]");
        assert_eq!(&text[table_span(text, "two")], "[ preprocessor.\"two\" ]");
        assert_eq!(&text[table_span(text, "")], "[preprocessor.one]");
        let dotted = "preprocessor.three.command = \"x\"\n";
        assert_eq!(&dotted[table_span(dotted, "three")], dotted.trim_end());
    }
}
