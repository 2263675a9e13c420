//! Budgets on rendering one chapter: loop iterations and macro calls, macro depth, bytes
//! printed, bytes per stored value, and wall time. Tera has no hooks, so the chapter's syntax
//! tree is instrumented ([`super::instrument`]) with calls of the hidden functions and filters
//! registered here; each checks the shared [`Budget`] and fails with a plain message.

use super::sandbox;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tera::Tera;

/// Most loop iterations plus macro calls in one chapter.
pub const MAX_ITERATIONS: u64 = 100_000;
/// Most bytes one chapter's template may print (macro output included).
pub const MAX_OUTPUT: usize = 16 << 20;
/// Deepest macro recursion.
pub const MAX_MACRO_DEPTH: usize = 16;
/// Longest rendering of one chapter's template.
pub const MAX_TIME: Duration = Duration::from_secs(10);

/// Names of the hidden functions and filters (a chapter cannot call them: the `__gb_` prefix
/// is refused in its source).
pub const AT: &str = "__gb_at";
/// Start of a loop iteration.
pub const LOOP: &str = "__gb_loop";
/// Start of a macro call.
pub const ENTER: &str = "__gb_enter";
/// End of a macro call.
pub const LEAVE: &str = "__gb_leave";
/// First operand of an `{% elif %}` condition: marks the tag, and is true.
pub const ELIF: &str = "__gb_elif";
/// Filter appended to every printed expression.
pub const OUT: &str = "__gb_out";
/// Filter appended to every `{% set %}` value.
pub const VALUE: &str = "__gb_value";
/// Filter put first on arithmetic whose value is printed, stored, compared for equality or
/// taken as true or false (`{{ a / b }}`, `{% set r = a * b %}`, `{% if a % b %}`).
pub const FINITE: &str = "__gb_finite";

/// What one chapter's (or one page's) rendering has used so far.
#[derive(Debug)]
pub struct Budget {
    start: std::sync::Mutex<Instant>,
    iterations: AtomicU64,
    output: AtomicUsize,
    depth: AtomicUsize,
    /// 1 + the index of the position last entered (0: none yet).
    current: AtomicUsize,
    /// The position of each macro call under way, outermost first: where the caller stood,
    /// restored when the macro returns.
    callers: std::sync::Mutex<Vec<usize>>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            start: std::sync::Mutex::new(Instant::now()),
            iterations: AtomicU64::new(0),
            output: AtomicUsize::new(0),
            depth: AtomicUsize::new(0),
            current: AtomicUsize::new(0),
            callers: std::sync::Mutex::new(Vec::new()),
        }
    }
}

impl Budget {
    /// The index of the tag being rendered when the last check ran.
    pub fn current(&self) -> Option<usize> {
        self.current.load(Ordering::Relaxed).checked_sub(1)
    }

    /// Start again from nothing used: page templates share one budget, reset for each page.
    pub fn reset(&self) {
        if let Ok(mut start) = self.start.lock() {
            *start = Instant::now();
        }
        self.iterations.store(0, Ordering::Relaxed);
        self.output.store(0, Ordering::Relaxed);
        self.depth.store(0, Ordering::Relaxed);
        self.current.store(0, Ordering::Relaxed);
        if let Ok(mut callers) = self.callers.lock() {
            callers.clear();
        }
    }

    fn elapsed(&self) -> Duration {
        self.start.lock().map_or(Duration::ZERO, |s| s.elapsed())
    }

    fn enter(&self, args: &HashMap<String, Value>) -> tera::Result<()> {
        if let Some(p) = args.get("p").and_then(Value::as_u64) {
            self.current.store(p as usize + 1, Ordering::Relaxed);
        }
        if self.elapsed() > MAX_TIME {
            return Err(tera::Error::msg(format!(
                "this template ran longer than the limit of {} s",
                MAX_TIME.as_secs()
            )));
        }
        Ok(())
    }

    fn iterate(&self, args: &HashMap<String, Value>, what: &str) -> tera::Result<()> {
        self.enter(args)?;
        let n = self.iterations.fetch_add(1, Ordering::Relaxed) + 1;
        if n > MAX_ITERATIONS {
            return Err(tera::Error::msg(format!(
                "{what}: more than {MAX_ITERATIONS} loop iterations and macro calls in one page or chapter (the limit)"
            )));
        }
        let text = args.get("text").and_then(Value::as_u64).unwrap_or(0) as usize;
        self.print(text)
    }

    fn print(&self, bytes: usize) -> tera::Result<()> {
        let total = self.output.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if total > MAX_OUTPUT {
            return Err(tera::Error::msg(format!(
                "this template printed more than the limit of {MAX_OUTPUT} bytes"
            )));
        }
        Ok(())
    }
}

/// The filter the instrumenter puts last on every printed value: it escapes the value when
/// `escape=1` (the instrumenter worked out that Tera would have), then counts its bytes. It is
/// itself `safe`, so Tera leaves the result as it is.
struct Printed(Arc<Budget>, fn(&str) -> String);

impl tera::Filter for Printed {
    fn filter(&self, value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let escape = args.get("escape").and_then(Value::as_i64) == Some(1);
        let value = match value {
            Value::String(text) if escape => Value::String((self.1)(text)),
            other => other.clone(),
        };
        let bytes = value
            .as_str()
            .map_or_else(|| sandbox::size(&value), str::len);
        self.0.print(bytes)?;
        Ok(value)
    }

    fn is_safe(&self) -> bool {
        true
    }
}

/// Register the hidden checks on a chapter's or the page templates' Tera; `escape` is the
/// engine's escape function (Markdown-and-HTML for chapters, HTML for pages).
pub fn register(tera: &mut Tera, budget: &Arc<Budget>, escape: fn(&str) -> String) {
    let empty = || Ok(Value::String(String::new()));
    let b = budget.clone();
    tera.register_function(AT, move |args: &HashMap<String, Value>| {
        b.enter(args).and_then(|()| empty())
    });
    let b = budget.clone();
    tera.register_function(ELIF, move |args: &HashMap<String, Value>| {
        b.enter(args).map(|()| Value::Bool(true))
    });
    let b = budget.clone();
    tera.register_function(LOOP, move |args: &HashMap<String, Value>| {
        b.iterate(args, "this loop").and_then(|()| empty())
    });
    let b = budget.clone();
    tera.register_function(ENTER, move |args: &HashMap<String, Value>| {
        if let Ok(mut callers) = b.callers.lock() {
            callers.push(b.current.load(Ordering::Relaxed));
        }
        b.iterate(args, "this macro")?;
        let depth = b.depth.fetch_add(1, Ordering::Relaxed) + 1;
        if depth > MAX_MACRO_DEPTH {
            return Err(tera::Error::msg(format!(
                "this macro calls itself more than {MAX_MACRO_DEPTH} deep (the limit)"
            )));
        }
        empty()
    });
    let b = budget.clone();
    tera.register_function(LEAVE, move |_: &HashMap<String, Value>| {
        b.depth.fetch_sub(1, Ordering::Relaxed);
        // Errors after the call are the caller's again.
        if let Some(caller) = b.callers.lock().ok().and_then(|mut c| c.pop()) {
            b.current.store(caller, Ordering::Relaxed);
        }
        empty()
    });
    tera.register_filter(OUT, Printed(budget.clone(), escape));
    tera.register_filter(
        FINITE,
        |value: &Value, _: &HashMap<String, Value>| -> tera::Result<Value> {
            // Arithmetic whose result is not a finite number is the text `NaN` to Tera.
            match value {
                Value::String(_) => Err(tera::Error::msg(
                    "this arithmetic has no number as its result (a division by zero, or a result beyond ±1.8×10³⁰⁸): Tera would print `NaN`",
                )),
                _ => Ok(value.clone()),
            }
        },
    );
    tera.register_filter(
        VALUE,
        |value: &Value, _: &HashMap<String, Value>| -> tera::Result<Value> {
            sandbox::check_value(value)
                .map_err(|e| tera::Error::msg(format!("{{% set %}}: {e}")))?;
            Ok(value.clone())
        },
    );
}
