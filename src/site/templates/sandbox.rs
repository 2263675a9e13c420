//! The one sandboxed Tera setup: Tera's built-ins audited (tera 1.20, default features off),
//! whatever reads the environment, the clock, random numbers or other templates removed, and
//! every built-in filter that can make a value grow wrapped in a size check.
//!
//! | built-in | kind | decision |
//! |---|---|---|
//! | `get_env` | function | removed: reads the environment |
//! | `now`, `get_random` | function | not compiled (feature off); refused by name |
//! | `range` | function | replaced: at most [`MAX_RANGE`] items, `step_by` ≥ 1 |
//! | `throw` | function | kept: fails the build with the author's message, located |
//! | `include`, `import`, `extends`, `block`, `super` | tag | refused in chapters (one template each) |
//! | `replace`, `indent`, `join`, `split`, `concat` | filter | kept, size checked before they run |
//! | every other filter and test | filter/test | kept: pure functions of their arguments, result size checked |
//!
//! `first`, `last`, `nth`, `filter` and `map` on arrays run through [`super::borrowing`] (the
//! same results without copying the array).

use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use tera::{Filter, Tera};

/// Largest value (string bytes, or the total of an array's or object's parts) a filter may
/// produce or a `{% set %}` may store.
pub const MAX_VALUE: usize = 2 << 20;
/// Most items `range` may produce, and most pieces `split` may produce.
pub const MAX_RANGE: usize = 100_000;
/// Deepest nesting of arrays and objects a template may build.
pub const MAX_VALUE_DEPTH: usize = 64;

/// Functions a template may not call, with the reason given to the author.
pub const REMOVED_FUNCTIONS: &[(&str, &str)] = &[
    ("get_env", "a book cannot read the environment"),
    (
        "now",
        "a book cannot read the clock (the output must not depend on when it was built)",
    ),
    (
        "get_random",
        "a book cannot use random numbers (the output must be reproducible)",
    ),
];

/// Tags a chapter may not use, with the reason given to the author.
pub const REFUSED_TAGS: &[(&str, &str)] = &[
    (
        "include",
        "a chapter is one template and cannot include others",
    ),
    (
        "import",
        "a chapter is one template: define macros in it and call them as `self::name()`",
    ),
    (
        "extends",
        "a chapter is one template and cannot extend others",
    ),
    ("block", "blocks belong in page templates, not in chapters"),
    ("super", "blocks belong in page templates, not in chapters"),
];

/// The error text for a call of a removed function.
pub fn removed_message(name: &str, why: &str) -> String {
    format!("`{name}` is not available in gradbook templates: {why}")
}

/// Tera with the audited built-ins: removed functions replaced by ones that only fail with
/// the reason, `range` bounded, growing filters checked. Chapters and page templates both
/// start from this.
pub fn engine() -> Tera {
    let mut tera = Tera::default();
    for (name, why) in REMOVED_FUNCTIONS {
        let message = removed_message(name, why);
        tera.register_function(name, move |_: &HashMap<String, Value>| {
            Err::<Value, _>(tera::Error::msg(message.clone()))
        });
    }
    tera.register_function("range", bounded_range);
    let builtin: Vec<(String, Arc<dyn Filter>)> = tera
        .filters
        .iter()
        .map(|(name, f)| (name.clone(), f.clone()))
        .collect();
    for (name, inner) in builtin {
        tera.filters
            .insert(name.clone(), Arc::new(Checked { name, inner }));
    }
    tera
}

/// `range(start, end, step_by)` with at most [`MAX_RANGE`] items.
fn bounded_range(args: &HashMap<String, Value>) -> tera::Result<Value> {
    let arg = |name: &str, default: Option<u64>| -> tera::Result<u64> {
        match args.get(name) {
            Some(v) => v.as_u64().ok_or_else(|| {
                tera::Error::msg(format!(
                    "range: `{name}` must be a whole number ≥ 0, got `{v}`"
                ))
            }),
            None => default.ok_or_else(|| tera::Error::msg(format!("range: missing `{name}=`"))),
        }
    };
    let start = arg("start", Some(0))?;
    let end = arg("end", None)?;
    let step = arg("step_by", Some(1))?;
    if step == 0 {
        return Err(tera::Error::msg("range: `step_by` must be at least 1"));
    }
    let count = end.saturating_sub(start).div_ceil(step);
    if count > MAX_RANGE as u64 {
        return Err(tera::Error::msg(format!(
            "range: {count} items is more than the limit of {MAX_RANGE} per call"
        )));
    }
    Ok(Value::Array(
        (0..count).map(|i| Value::from(start + i * step)).collect(),
    ))
}

/// A built-in filter whose result must stay within [`MAX_VALUE`], with a look ahead for the
/// filters whose result can be far larger than their input.
struct Checked {
    name: String,
    inner: Arc<dyn Filter>,
}

impl Filter for Checked {
    fn filter(&self, value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let expected = expected_size(&self.name, value, args);
        if expected > MAX_VALUE {
            return Err(too_large(&self.name, expected));
        }
        if self.name == "split" {
            let pieces = pieces(value, args);
            if pieces > MAX_RANGE {
                return Err(tera::Error::msg(format!(
                    "split: {pieces} pieces is more than the limit of {MAX_RANGE}"
                )));
            }
        }
        let result = match super::borrowing::apply(&self.name, value, args) {
            Some(result) => result,
            None => self.inner.filter(value, args)?,
        };
        check_value(&result).map_err(|e| tera::Error::msg(format!("{}: {e}", self.name)))?;
        Ok(result)
    }

    fn is_safe(&self) -> bool {
        self.inner.is_safe()
    }
}

fn too_large(name: &str, bytes: usize) -> tera::Error {
    tera::Error::msg(format!(
        "{name}: the result would be {bytes} bytes, more than the limit of {MAX_VALUE} bytes per value"
    ))
}

/// An upper bound of a filter's result size, for the filters that can multiply their input.
fn expected_size(name: &str, value: &Value, args: &HashMap<String, Value>) -> usize {
    let text = |key: &str| args.get(key).and_then(Value::as_str).unwrap_or("");
    let s = value.as_str().unwrap_or("");
    match name {
        "replace" => {
            let from = text("from");
            let to = text("to");
            if from.is_empty() {
                return 0;
            }
            let count = s.matches(from).count();
            s.len() + count.saturating_mul(to.len())
        }
        "indent" => {
            let prefix = args.get("prefix").and_then(Value::as_str).unwrap_or("    ");
            s.len() + (s.matches('\n').count() + 1).saturating_mul(prefix.len())
        }
        "join" => {
            let items = value.as_array().map_or(0, Vec::len);
            size(value).saturating_add(items.saturating_mul(text("sep").len() + 2))
        }
        "concat" => size(value).saturating_add(args.get("with").map_or(0, size)),
        _ => 0,
    }
}

fn pieces(value: &Value, args: &HashMap<String, Value>) -> usize {
    let s = value.as_str().unwrap_or("");
    match args.get("pat").and_then(Value::as_str) {
        Some("") => s.chars().count() + 2,
        Some(pat) => s.matches(pat).count() + 1,
        None => 1,
    }
}

/// The size of a value: string bytes, 8 per other scalar, the sum of the parts (iteratively,
/// so a deep value cannot overflow the stack here).
pub fn size(value: &Value) -> usize {
    measure(value).0
}

/// (size, depth) of a value.
fn measure(value: &Value) -> (usize, usize) {
    let mut total = 0usize;
    let mut deepest = 0;
    let mut stack = vec![(value, 1usize)];
    while let Some((v, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        match v {
            Value::String(s) => total = total.saturating_add(s.len()),
            Value::Array(items) => {
                total = total.saturating_add(8);
                stack.extend(items.iter().map(|i| (i, depth + 1)));
            }
            Value::Object(map) => {
                total = total.saturating_add(8);
                for (k, v) in map {
                    total = total.saturating_add(k.len());
                    stack.push((v, depth + 1));
                }
            }
            _ => total = total.saturating_add(8),
        }
    }
    (total, deepest)
}

/// Refuse a value larger than [`MAX_VALUE`] or nested deeper than [`MAX_VALUE_DEPTH`].
pub fn check_value(value: &Value) -> Result<(), String> {
    let (bytes, depth) = measure(value);
    if bytes > MAX_VALUE {
        return Err(format!(
            "the value is {bytes} bytes, more than the limit of {MAX_VALUE} bytes per value"
        ));
    }
    if depth > MAX_VALUE_DEPTH {
        return Err(format!(
            "the value nests arrays or objects {depth} deep, more than the limit of {MAX_VALUE_DEPTH}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str) -> Result<String, String> {
        let mut tera = engine();
        tera.add_raw_template("t", template)
            .and_then(|_| tera.render("t", &tera::Context::new()))
            .map_err(|e| crate::site::templates::tera_error_text(&e))
    }

    #[test]
    fn environment_clock_and_random_are_gone() {
        for (name, _) in REMOVED_FUNCTIONS {
            let err = render(&format!("{{{{ {name}(name=\"PATH\") }}}}")).unwrap_err();
            assert!(
                err.contains(&format!("`{name}` is not available in gradbook templates")),
                "{err}"
            );
        }
    }

    #[test]
    fn kept_builtins_still_work() {
        assert_eq!(
            render("{{ \"a b\" | upper | replace(from=\"A\", to=\"x\") }}|{{ [3,1,2] | sort | join(sep=\",\") }}|{% set n = 4 %}{% if n is even %}e{% endif %}").unwrap(),
            "x B|1,2,3|e"
        );
        assert_eq!(
            render("{% for i in range(start=2, end=9, step_by=3) %}{{ i }}{% endfor %}").unwrap(),
            "258"
        );
    }

    #[test]
    fn range_is_bounded_and_step_zero_is_refused() {
        let err = render("{% for i in range(end=100000000) %}{% endfor %}").unwrap_err();
        assert!(
            err.contains("100000000 items") && err.contains("100000"),
            "{err}"
        );
        assert!(
            render("{{ range(end=3, step_by=0) }}")
                .unwrap_err()
                .contains("at least 1")
        );
        assert!(render(&format!("{{{{ range(end={MAX_RANGE}) | length }}}}")).is_ok());
    }

    #[test]
    fn growing_filters_are_refused_before_they_run() {
        let big = "{% set s = \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" %}\
                   {% set s = s | replace(from=\"x\", to=s) %}{% set s = s | replace(from=\"x\", to=s) %}\
                   {% set s = s | replace(from=\"x\", to=s) %}{{ s | length }}";
        let err = render(big).unwrap_err();
        assert!(err.contains("replace: the result would be"), "{err}");
        let lines = format!(
            "{{{{ \"{}\" | indent(prefix=\"{}\") }}}}",
            "a\n".repeat(30_000),
            "p".repeat(100)
        );
        assert!(
            render(&lines)
                .unwrap_err()
                .contains("indent: the result would be")
        );
        assert!(render("{{ \"\" | split(pat=\",\") | length }}").is_ok());
    }

    #[test]
    fn size_and_depth_are_measured_without_recursion() {
        let mut deep = Value::Null;
        for _ in 0..100_000 {
            deep = Value::Array(vec![deep]);
        }
        assert!(check_value(&deep).unwrap_err().contains("deep"));
        assert_eq!(
            size(&serde_json::json!({"ab": "xyz", "c": [1, 2]})),
            8 + 2 + 3 + 1 + 8 + 16
        );
        // Drop the deep value without recursion.
        let mut v = deep;
        while let Value::Array(mut items) = v {
            v = items.pop().unwrap_or(Value::Null);
        }
    }
}
