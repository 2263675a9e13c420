//! The chapter's Tera syntax tree, checked and instrumented before it runs: refused tags and
//! removed functions become located errors, as do the expressions Tera 1.20 would panic on
//! whatever the values (a macro call in arithmetic, a number literal beyond ±1.8×10³⁰⁸);
//! every tag is preceded by a position marker, loop and macro bodies count against the
//! [`super::budget`], arithmetic must have a number as its result where it is printed, stored,
//! compared for equality or taken as a condition, an `elif` marks its own position, and every
//! name the chapter reads is collected (its dependencies for `serve`).

use super::budget::{AT, ELIF, ENTER, FINITE, LEAVE, LOOP, OUT, VALUE};
use super::sandbox::{REFUSED_TAGS, REMOVED_FUNCTIONS, removed_message};
use super::scan::{ScanError, Tag, TagKind};
use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use tera::ast::{Expr, ExprVal, FunctionCall, LogicExpr, LogicOperator, Node, WS};

/// Most terms of one `a ~ b ~ …` concatenation.
pub const MAX_CONCAT_TERMS: usize = 32;

/// What instrumenting found.
#[derive(Debug, Default)]
pub struct Instrumented {
    /// The byte range of each position marker's tag, by marker index.
    pub positions: Vec<Range<usize>>,
    /// The first segment of every variable the chapter reads (`bump` of `bump.adam.h_max`).
    pub names: BTreeSet<String>,
}

/// The filters and functions of an engine whose output Tera does not escape (`is_safe`).
#[derive(Debug, Default)]
pub struct SafeNames {
    filters: BTreeSet<String>,
    functions: BTreeSet<String>,
}

impl SafeNames {
    /// The safe filters and functions registered on `tera`.
    pub fn of(tera: &tera::Tera) -> SafeNames {
        SafeNames {
            filters: (tera.filters.iter())
                .filter(|(_, f)| f.is_safe())
                .map(|(n, _)| n.clone())
                .collect(),
            functions: (tera.functions.iter())
                .filter(|(_, f)| f.is_safe())
                .map(|(n, _)| n.clone())
                .collect(),
        }
    }

    /// Whether Tera's autoescape would escape what `{{ expr }}` prints: the `safe` filter last
    /// says no; otherwise the last filter that runs decides, or else the value itself (text and
    /// names yes, a function by its `is_safe`). Unlike Tera, a `~` concatenation that holds a
    /// name is escaped too, so `"" ~ setting` cannot smuggle a setting in as markup.
    fn escaped(&self, expr: &Expr) -> bool {
        if expr.is_marked_safe() {
            return false;
        }
        let last = (expr.filters.iter().rev()).find(|f| f.name != "safe" && f.name != "default");
        if let Some(filter) = last {
            return !self.filters.contains(&filter.name);
        }
        match &expr.val {
            ExprVal::String(_) => true,
            ExprVal::Ident(name) => name != "__tera_context",
            ExprVal::FunctionCall(f) => !self.functions.contains(&f.name),
            ExprVal::StringConcat(concat) => concat.values.iter().any(|v| match v {
                ExprVal::Ident(_) => true,
                ExprVal::FunctionCall(f) => !self.functions.contains(&f.name),
                _ => false,
            }),
            _ => false,
        }
    }
}

/// Check and instrument a chapter's nodes (with its macros among them, as Tera keeps them).
/// The byte count of every printed value is taken after escaping, which therefore moves from
/// Tera into the count (`safe` says which values Tera would have escaped).
pub fn instrument(
    nodes: &mut Vec<Node>,
    source: &str,
    tags: &[Tag],
    safe: &SafeNames,
) -> Result<Instrumented, ScanError> {
    instrument_template(
        nodes,
        source,
        tags,
        safe,
        Kind::Chapter,
        Instrumented::default(),
    )
}

/// What is being instrumented: a chapter (one template: no `include` or `import`) or one of a
/// book's own page templates (which may include and import each other, but not use
/// inheritance, which gradbook's page templates do not use either).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A chapter.
    Chapter,
    /// A page template of the book's own `templates/`.
    Page,
}

/// [`instrument`] for either kind, numbering positions on from those already in `so_far` (so
/// several templates sharing one engine and one budget have distinct position markers).
pub fn instrument_template(
    nodes: &mut Vec<Node>,
    source: &str,
    tags: &[Tag],
    safe: &SafeNames,
    kind: Kind,
    so_far: Instrumented,
) -> Result<Instrumented, ScanError> {
    let mut walker = Walker {
        source,
        tags,
        safe,
        kind,
        seen: HashMap::new(),
        out: so_far,
    };
    let body = std::mem::take(nodes);
    *nodes = walker.body(body)?;
    Ok(walker.out)
}

struct Walker<'s> {
    source: &'s str,
    tags: &'s [Tag],
    safe: &'s SafeNames,
    kind: Kind,
    /// How many tags of each kind the walk has passed.
    seen: HashMap<&'static str, usize>,
    out: Instrumented,
}

fn call(name: &str, args: &[(&str, i64)]) -> FunctionCall {
    FunctionCall {
        name: name.to_string(),
        args: args
            .iter()
            .map(|(k, v)| (k.to_string(), Expr::new(ExprVal::Int(*v))))
            .collect(),
    }
}

fn tick(name: &str, args: &[(&str, i64)]) -> Node {
    Node::VariableBlock(
        WS::default(),
        Expr::new(ExprVal::FunctionCall(call(name, args))),
    )
}

/// Bytes of text a body prints at most per run, not counting nested loops (they count their
/// own iterations).
fn text_bytes(nodes: &[Node]) -> usize {
    nodes
        .iter()
        .map(|n| match n {
            Node::Text(t) | Node::Raw(_, t, _) => t.len(),
            Node::If(i, _) => {
                i.conditions
                    .iter()
                    .map(|(_, _, b)| text_bytes(b))
                    .sum::<usize>()
                    + i.otherwise.as_ref().map_or(0, |(_, b)| text_bytes(b))
            }
            Node::FilterSection(_, f, _) => text_bytes(&f.body),
            Node::Forloop(_, f, _) => f.empty_body.as_deref().map_or(0, text_bytes),
            _ => 0,
        })
        .sum()
}

impl Walker<'_> {
    /// The next tag of a kind (`expr` for `{{ … }}`, else the statement's first word) and its
    /// marker index.
    fn next(&mut self, kind: &'static str) -> (i64, Range<usize>) {
        let n = self.seen.entry(kind).or_insert(0);
        let index = *n;
        *n += 1;
        let matches = |t: &&Tag| match (&t.kind, kind) {
            (TagKind::Expr, "expr") => true,
            (TagKind::Stmt(w), "set") => w == "set" || w == "set_global",
            (TagKind::Stmt(w), k) => w == k,
            _ => false,
        };
        let range = self
            .tags
            .iter()
            .filter(matches)
            .nth(index)
            .map_or(0..0, |t| t.range.clone());
        self.out.positions.push(range.clone());
        ((self.out.positions.len() - 1) as i64, range)
    }

    fn refuse(&self, range: &Range<usize>, needle: &str, message: String) -> ScanError {
        let span = self.source[range.clone()]
            .find(needle)
            .map_or(range.clone(), |at| {
                range.start + at..range.start + at + needle.len()
            });
        ScanError { span, message }
    }

    fn refused_tag(&self, word: &str) -> ScanError {
        let why = REFUSED_TAGS
            .iter()
            .find(|(w, _)| *w == word)
            .map_or("", |(_, why)| why);
        let range = self
            .tags
            .iter()
            .find(|t| match &t.kind {
                TagKind::Stmt(w) => w == word,
                _ => self.source[t.inner.clone()].contains(word),
            })
            .map_or(0..0, |t| t.range.clone());
        self.refuse(
            &range,
            word,
            match self.kind {
                Kind::Chapter => format!("`{word}` is not available in chapters: {why}"),
                Kind::Page => format!(
                    "`{word}` is not available in a book's own page templates: gradbook's templates are joined with `include`, not inheritance"
                ),
            },
        )
    }

    fn body(&mut self, nodes: Vec<Node>) -> Result<Vec<Node>, ScanError> {
        let mut out = Vec::with_capacity(nodes.len() * 2);
        for node in nodes {
            match node {
                Node::VariableBlock(ws, mut expr) => {
                    let (p, range) = self.next("expr");
                    self.expr(&expr, &range)?;
                    let escape = self.safe.escaped(&expr);
                    finite_first(&mut expr);
                    guard_logic(&mut expr);
                    expr.filters
                        .push(call(OUT, &[("escape", i64::from(escape))]));
                    out.push(tick(AT, &[("p", p)]));
                    out.push(Node::VariableBlock(ws, expr));
                }
                Node::Set(ws, mut set) => {
                    let (p, range) = self.next("set");
                    self.expr(&set.value, &range)?;
                    // A plain name (`{% set v = networks.variants.default %}`) makes nothing
                    // new: Tera keeps it as a reference, unless a filter copies it (every later
                    // `v.…` would then copy what it reads). Anything computed is checked.
                    let plain = matches!(set.value.val, ExprVal::Ident(_))
                        && set.value.filters.is_empty()
                        && !set.value.negated;
                    if !plain {
                        finite_first(&mut set.value);
                        guard_logic(&mut set.value);
                        set.value.filters.push(call(VALUE, &[]));
                    }
                    out.push(tick(AT, &[("p", p)]));
                    out.push(Node::Set(ws, set));
                }
                Node::Forloop(ws, mut f, end) => {
                    let (p, range) = self.next("for");
                    self.expr(&f.container, &range)?;
                    let text = text_bytes(&f.body) as i64;
                    let mut body = vec![tick(LOOP, &[("p", p), ("text", text)])];
                    body.extend(self.body(std::mem::take(&mut f.body))?);
                    f.body = body;
                    if let Some(empty) = f.empty_body.take() {
                        f.empty_body = Some(self.body(empty)?);
                    }
                    out.push(tick(AT, &[("p", p)]));
                    out.push(Node::Forloop(ws, f, end));
                }
                Node::If(mut i, ws) => {
                    let (p, range) = self.next("if");
                    let mut conditions = Vec::with_capacity(i.conditions.len());
                    for (n, (cws, mut cond, body)) in i.conditions.into_iter().enumerate() {
                        let elif = (n > 0).then(|| self.next("elif"));
                        self.expr(&cond, elif.as_ref().map_or(&range, |(_, r)| r))?;
                        guard_condition(&mut cond);
                        if let Some((p, _)) = elif {
                            // No tag of its own to put a marker before: the marker is the
                            // condition's first operand, so its errors are the `elif`'s.
                            cond = Expr::new(ExprVal::Logic(LogicExpr {
                                lhs: Box::new(Expr::new(ExprVal::FunctionCall(call(
                                    ELIF,
                                    &[("p", p)],
                                )))),
                                rhs: Box::new(cond),
                                operator: LogicOperator::And,
                            }));
                        }
                        conditions.push((cws, cond, self.body(body)?));
                    }
                    i.conditions = conditions;
                    if let Some((ows, body)) = i.otherwise.take() {
                        i.otherwise = Some((ows, self.body(body)?));
                    }
                    out.push(tick(AT, &[("p", p)]));
                    out.push(Node::If(i, ws));
                }
                Node::FilterSection(ws, mut f, end) => {
                    let (p, range) = self.next("filter");
                    self.call(&f.filter, &range)?;
                    f.body = self.body(std::mem::take(&mut f.body))?;
                    out.push(tick(AT, &[("p", p)]));
                    out.push(Node::FilterSection(ws, f, end));
                }
                Node::MacroDefinition(ws, mut m, end) => {
                    let (p, range) = self.next("macro");
                    for default in m.args.values().flatten() {
                        self.expr(default, &range)?;
                    }
                    let text = text_bytes(&m.body) as i64;
                    let mut body = vec![tick(ENTER, &[("p", p), ("text", text)])];
                    body.extend(self.body(std::mem::take(&mut m.body))?);
                    body.push(tick(LEAVE, &[]));
                    m.body = body;
                    out.push(Node::MacroDefinition(ws, m, end));
                }
                node @ Node::Include(..) if self.kind == Kind::Page => {
                    // A missing template is found only when the include runs: mark its tag.
                    let (p, _) = self.next("include");
                    out.push(tick(AT, &[("p", p)]));
                    out.push(node)
                }
                node @ Node::ImportMacro(..) if self.kind == Kind::Page => out.push(node),
                Node::Include(..) => return Err(self.refused_tag("include")),
                Node::ImportMacro(..) => return Err(self.refused_tag("import")),
                Node::Extends(..) => return Err(self.refused_tag("extends")),
                Node::Block(..) => return Err(self.refused_tag("block")),
                Node::Super => return Err(self.refused_tag("super")),
                other => out.push(other),
            }
        }
        Ok(out)
    }

    fn call(&mut self, f: &FunctionCall, range: &Range<usize>) -> Result<(), ScanError> {
        if f.name.starts_with("__gb_") {
            return Err(self.refuse(
                range,
                &f.name,
                format!("`{}`: names starting with `__gb_` are reserved", f.name),
            ));
        }
        if let Some((_, why)) = REMOVED_FUNCTIONS.iter().find(|(n, _)| *n == f.name) {
            return Err(self.refuse(range, &f.name, removed_message(&f.name, why)));
        }
        for arg in f.args.values() {
            self.expr(arg, range)?;
        }
        Ok(())
    }

    fn name(&mut self, ident: &str) {
        let root = ident.split(['.', '[']).next().unwrap_or(ident);
        self.out.names.insert(root.trim().to_string());
    }

    fn expr(&mut self, expr: &Expr, range: &Range<usize>) -> Result<(), ScanError> {
        for f in &expr.filters {
            self.call(f, range)?;
        }
        self.value(&expr.val, range)
    }

    fn value(&mut self, val: &ExprVal, range: &Range<usize>) -> Result<(), ScanError> {
        match val {
            ExprVal::Ident(i) => self.name(i),
            ExprVal::Math(m) => {
                self.number_operands(&[&m.lhs, &m.rhs], range)?;
                self.expr(&m.lhs, range)?;
                self.expr(&m.rhs, range)?;
            }
            ExprVal::Logic(l) => {
                if matches!(
                    l.operator,
                    LogicOperator::Gt | LogicOperator::Gte | LogicOperator::Lt | LogicOperator::Lte
                ) {
                    self.number_operands(&[&l.lhs, &l.rhs], range)?;
                }
                self.expr(&l.lhs, range)?;
                self.expr(&l.rhs, range)?;
            }
            ExprVal::In(i) => {
                self.expr(&i.lhs, range)?;
                self.expr(&i.rhs, range)?;
            }
            ExprVal::Test(t) => {
                self.name(&t.ident);
                for a in &t.args {
                    self.expr(a, range)?;
                }
            }
            ExprVal::MacroCall(m) => {
                if m.namespace != "self" {
                    return Err(self.refuse(
                        range,
                        &m.namespace,
                        format!(
                            "`{}::{}`: a chapter calls only its own macros, as `self::{}()`",
                            m.namespace, m.name, m.name
                        ),
                    ));
                }
                for a in m.args.values() {
                    self.expr(a, range)?;
                }
            }
            ExprVal::FunctionCall(f) => self.call(f, range)?,
            ExprVal::Array(items) => {
                for i in items {
                    self.expr(i, range)?;
                }
            }
            ExprVal::StringConcat(c) => {
                if c.values.len() > MAX_CONCAT_TERMS {
                    return Err(self.refuse(
                        range,
                        "~",
                        format!(
                            "{} terms joined with `~`: at most {MAX_CONCAT_TERMS} in one expression",
                            c.values.len()
                        ),
                    ));
                }
                for v in &c.values {
                    self.value(v, range)?;
                }
            }
            ExprVal::Float(x) if !x.is_finite() => {
                let digits = longest_digit_run(&self.source[range.clone()]);
                return Err(self.refuse(
                    range,
                    digits,
                    "this number is too large: templates hold numbers up to ±1.8×10³⁰⁸".into(),
                ));
            }
            ExprVal::String(_) | ExprVal::Int(_) | ExprVal::Float(_) | ExprVal::Bool(_) => {}
        }
        Ok(())
    }

    /// Refuse an operand that Tera reads as a number (of `+ - * / %`, or of `<`, `<=`, `>`,
    /// `>=`) but cannot make one of, where Tera 1.20 would stop the build with a panic instead
    /// of an error: a macro call, whose output is text (a filter on it, `| int`, makes it a
    /// value Tera checks).
    fn number_operands(&self, operands: &[&Expr], range: &Range<usize>) -> Result<(), ScanError> {
        for operand in operands {
            if let (ExprVal::MacroCall(m), true) = (&operand.val, operand.filters.is_empty()) {
                let call = format!("{}::{}", m.namespace, m.name);
                return Err(self.refuse(
                    range,
                    &call,
                    format!(
                        "`{call}()` is a macro call: its output is text, so it cannot be used in arithmetic or compared with `<`, `<=`, `>` or `>=` (convert it first: `{call}() | int`)"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Check arithmetic's result before anything else reads it: where it has no number (a
/// division by zero, a product beyond ±1.8×10³⁰⁸) Tera makes the text `NaN` of it.
fn finite_first(expr: &mut Expr) {
    if matches!(expr.val, ExprVal::Math(_)) {
        expr.filters.insert(0, call(FINITE, &[]));
    }
}

/// Check the arithmetic a condition `expr` takes as true or false. Tera reads it without its
/// filters and takes no number (`1 / 0`) as false; `a / b` becomes `(a / b) != 0`, which is
/// Tera's truth of a number, with the check first (see [`guard_logic`]).
fn guard_condition(expr: &mut Expr) {
    if matches!(expr.val, ExprVal::Math(_)) {
        let negated = std::mem::take(&mut expr.negated);
        let mut arithmetic = std::mem::replace(expr, Expr::new(ExprVal::Bool(false)));
        finite_first(&mut arithmetic);
        *expr = Expr {
            val: ExprVal::Logic(LogicExpr {
                lhs: Box::new(arithmetic),
                rhs: Box::new(Expr::new(ExprVal::Int(0))),
                operator: LogicOperator::NotEq,
            }),
            negated,
            filters: Vec::new(),
        };
    }
    guard_logic(expr);
}

/// Check the arithmetic inside `and`, `or`, `==`, `!=` and `in` of `expr`: Tera makes no
/// number (`1 / 0`) false there, and unequal to everything. `and` and `or` take their operands
/// as conditions ([`guard_condition`]); `<` and the like already refuse no number.
fn guard_logic(expr: &mut Expr) {
    match &mut expr.val {
        ExprVal::Logic(logic) => match logic.operator {
            LogicOperator::And | LogicOperator::Or => {
                guard_condition(&mut logic.lhs);
                guard_condition(&mut logic.rhs);
            }
            LogicOperator::Eq | LogicOperator::NotEq => {
                for side in [&mut logic.lhs, &mut logic.rhs] {
                    finite_first(side);
                    guard_logic(side);
                }
            }
            _ => {}
        },
        ExprVal::In(condition) => {
            finite_first(&mut condition.lhs);
            guard_logic(&mut condition.lhs);
        }
        _ => {}
    }
}

/// The longest run of ASCII digits in `text` (empty if it has none).
fn longest_digit_run(text: &str) -> &str {
    text.split(|c: char| !c.is_ascii_digit())
        .max_by_key(|run| run.len())
        .unwrap_or("")
}
