//! Diagnostics for user input: `file:line:column: message`, the offending line and a caret.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// An error located in a source text by a byte range, before the file is known.
///
/// Pure parsers (scripts, study files) return this; the layer that read the file turns it
/// into a [`Diagnostic`] with [`SpanError::in_file`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanError {
    /// Byte range of the offending text in the source.
    pub span: Range<usize>,
    /// What was wrong and what was expected.
    pub message: String,
}

impl SpanError {
    /// A new error at `span`.
    pub fn new(span: Range<usize>, message: impl Into<String>) -> Self {
        Self {
            span,
            message: message.into(),
        }
    }

    /// Locate the error in `source`, read from `file`.
    pub fn in_file(&self, file: &Path, source: &str) -> Diagnostic {
        Diagnostic::at(file, source, self.span.clone(), &self.message)
    }
}

impl fmt::Display for SpanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.span.start)
    }
}

impl std::error::Error for SpanError {}

/// An error located in a file, printed like a compiler's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file the error is in.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// What was wrong and what was expected.
    pub message: String,
    /// The text of the offending line (empty when there is none).
    pub source_line: String,
    /// How many characters the caret underlines (at least 1).
    pub width: usize,
}

impl Diagnostic {
    /// A diagnostic for the byte range `span` of `source`.
    pub fn at(file: &Path, source: &str, span: Range<usize>, message: &str) -> Self {
        let start = floor_char_boundary(source, span.start.min(source.len()));
        let end = floor_char_boundary(source, span.end.clamp(start, source.len()));
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let line = source[..start].matches('\n').count() + 1;
        let column = source[line_start..start].chars().count() + 1;
        let width = source[start..end.min(line_end).max(start)]
            .chars()
            .count()
            .max(1);
        Self {
            file: file.to_path_buf(),
            line,
            column,
            message: message.to_string(),
            source_line: source[line_start..line_end]
                .trim_end_matches('\r')
                .to_string(),
            width,
        }
    }

    /// Print a one-line warning about the byte range `span` of `source` to stderr:
    /// `warning: file:line:column: message`.
    pub fn warn(file: &Path, source: &str, span: Range<usize>, message: &str) {
        let d = Self::at(file, source, span, message);
        eprintln!(
            "warning: {}:{}:{}: {}",
            d.file.display(),
            d.line,
            d.column,
            d.message
        );
    }

    /// A diagnostic at a 1-based line and column of `source`.
    pub fn at_line(file: &Path, source: &str, line: usize, column: usize, message: &str) -> Self {
        let offset: usize = source
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum();
        let line_text = source[offset.min(source.len())..]
            .lines()
            .next()
            .unwrap_or("");
        let byte_col: usize = line_text
            .chars()
            .take(column.saturating_sub(1))
            .map(char::len_utf8)
            .sum();
        Self::at(file, source, offset + byte_col..offset + byte_col, message)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )?;
        if !self.source_line.is_empty() {
            let gutter = self.line.to_string().len();
            let pad: String = self
                .source_line
                .chars()
                .take(self.column - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(
                f,
                "\n{:gutter$} |\n{} | {}\n{:gutter$} | {}{}",
                "",
                self.line,
                self.source_line,
                "",
                pad,
                "^".repeat(self.width)
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_at_line_and_column() {
        let src = "a = 1\nb = a +* 2\n";
        let d = Diagnostic::at(Path::new("s.py"), src, 12..13, "expected an operand");
        assert_eq!((d.line, d.column), (2, 7));
        assert_eq!(
            d.to_string(),
            "s.py:2:7: expected an operand\n  |\n2 | b = a +* 2\n  |       ^"
        );
    }

    #[test]
    fn span_past_the_end_is_clamped() {
        let d = Diagnostic::at(Path::new("f"), "ab", 10..20, "eof");
        assert_eq!((d.line, d.column), (1, 3));
    }

    #[test]
    fn at_line_finds_the_offset() {
        let d = Diagnostic::at_line(Path::new("f"), "x\nhello\n", 2, 3, "m");
        assert_eq!(d.source_line, "hello");
        assert_eq!(d.column, 3);
    }
}
