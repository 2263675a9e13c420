//! The parser of the `comp_tree.py` dialect: tokens → statements with spanned expressions.
//!
//! Grammar (Python's precedence; `**` binds tighter than a unary minus on its left and is
//! right-associative):
//!
//! ```text
//! statement := "import" NAME | NAME "=" expr | primary "." NAME "=" expr
//!            | NAME ("+=" | "-=" | "*=" | "/=") expr | expr
//!            | "for" NAME "in" expr ":" block | "with" expr ":" block
//! block     := NEWLINE INDENT statement+ DEDENT
//! expr      := sum (("<" | ">" | "<=" | ">=") sum)?
//! sum       := term (("+" | "-") term)*
//! term      := factor (("*" | "/" | "@") factor)*
//! factor    := ("-" | "+") factor | power
//! power     := primary ("**" factor)?
//! primary   := atom ("." NAME | "(" args ")" | "[" index ("," index)* "]")*
//! index     := expr | expr? ":" expr? (":" expr?)?
//! atom      := NAME | NUMBER | "(" expr ")" | "(" expr "," (expr ("," expr)*)? ")"
//!            | "[" (expr ("," expr)*)? "]"
//! args      := (arg ("," arg)*)? ; arg := (NAME "=")? expr
//! ```
//!
//! What the statements mean (which calls exist, what a name refers to) is checked when the
//! script is run, in [`super::interp`].

use super::lex::{Tok, Token, lex};
use crate::diag::SpanError;
use std::ops::Range;

/// How deeply expressions may nest (keeps recursion far from the stack limit).
const MAX_DEPTH: usize = 200;

/// A binary arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `**`
    Pow,
    /// `@`
    MatMul,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
}

/// An expression and its source span.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is (parentheses included).
    pub span: Range<usize>,
}

/// The expression forms.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprKind {
    /// A number literal.
    Number { value: f64, int: bool },
    /// A name.
    Name(String),
    /// Unary minus.
    Neg(Box<Expr>),
    /// Unary plus.
    Pos(Box<Expr>),
    /// `lhs op rhs`.
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `base.name`.
    Attr {
        base: Box<Expr>,
        name: String,
        name_span: Range<usize>,
    },
    /// `func(args)`.
    Call { func: Box<Expr>, args: Vec<Arg> },
    /// `[a, b]`.
    List(Vec<Expr>),
    /// `(a, b)`.
    Tuple(Vec<Expr>),
    /// `base[i, j:k]`.
    Index { base: Box<Expr>, items: Vec<Index> },
    /// `(inner)`: kept so that labels can show the parentheses the author wrote.
    Paren(Box<Expr>),
}

/// A call argument.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Arg {
    /// `name=` for a keyword argument, with its span.
    pub keyword: Option<(String, Range<usize>)>,
    /// The value.
    pub value: Expr,
}

/// One entry of a subscript.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Index {
    /// `x[i]`.
    At(Expr),
    /// `x[a:b:c]`, each part optional.
    Slice {
        start: Option<Expr>,
        stop: Option<Expr>,
        step: Option<Expr>,
        span: Range<usize>,
    },
}

/// A statement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stmt {
    /// `import module`.
    Import { module: String, span: Range<usize> },
    /// `target = value`.
    Assign {
        target: String,
        target_span: Range<usize>,
        value: Expr,
    },
    /// `base.name = value` (only `w.grad = None` means something).
    SetAttr {
        base: Expr,
        name: String,
        name_span: Range<usize>,
        value: Expr,
    },
    /// `target op= value`.
    AugAssign {
        target: String,
        target_span: Range<usize>,
        op: BinOp,
        value: Expr,
        span: Range<usize>,
    },
    /// `for var in iter:` and its body.
    For {
        var: String,
        var_span: Range<usize>,
        iter: Expr,
        body: Vec<Stmt>,
    },
    /// `with context:` and its body.
    With { context: Expr, body: Vec<Stmt> },
    /// An expression on its own (`out.backward()`, `opt.step()`, `xs.append(v)`, …).
    Expr(Expr),
}

/// Parse a whole script.
pub(crate) fn parse(src: &str) -> Result<Vec<Stmt>, SpanError> {
    let tokens = lex(src)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let stmts = p.statements(&Tok::End)?;
    Ok(stmts)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

const KEYWORDS: &[&str] = &[
    "def", "class", "if", "elif", "else", "while", "return", "lambda", "try", "except", "finally",
    "del", "global", "nonlocal", "assert", "pass", "break", "continue", "raise", "yield", "async",
    "await", "and", "or", "not", "in", "is",
];

impl Parser {
    fn peek(&self) -> &Tok {
        self.tokens.get(self.pos).map_or(&Tok::End, |t| &t.tok)
    }

    fn peek_at(&self, k: usize) -> &Tok {
        self.tokens.get(self.pos + k).map_or(&Tok::End, |t| &t.tok)
    }

    fn span(&self) -> Range<usize> {
        self.tokens
            .get(self.pos)
            .or(self.tokens.last())
            .map_or(0..0, |t| t.span.clone())
    }

    fn eat(&mut self, punct: &str) -> bool {
        if matches!(self.peek(), Tok::Punct(p) if *p == punct) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn unexpected(&self, wanted: &str) -> SpanError {
        let found = match self.peek() {
            Tok::Name(n) => format!("`{n}`"),
            Tok::Number { .. } => "a number".to_string(),
            Tok::Punct(p) => format!("`{p}`"),
            Tok::Newline => "the end of the line".to_string(),
            Tok::Indent => "an indented line".to_string(),
            Tok::Dedent => "the end of the block".to_string(),
            Tok::End => "the end of the script".to_string(),
        };
        SpanError::new(
            self.span(),
            format!("syntax error: expected {wanted}, found {found}"),
        )
    }

    /// Statements up to `end` (the end of the script, or `Dedent` for a block).
    fn statements(&mut self, end: &Tok) -> Result<Vec<Stmt>, SpanError> {
        let mut stmts = Vec::new();
        while self.peek() != end && self.peek() != &Tok::End {
            let stmt = self.statement()?;
            let block = matches!(stmt, Stmt::For { .. } | Stmt::With { .. });
            stmts.push(stmt);
            if block {
                continue;
            }
            match self.peek() {
                Tok::Newline => self.pos += 1,
                Tok::End => {}
                _ => return Err(self.unexpected("the end of the line")),
            }
        }
        Ok(stmts)
    }

    fn expect(&mut self, punct: &'static str) -> Result<(), SpanError> {
        if self.eat(punct) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("`{punct}`")))
        }
    }

    /// `":" NEWLINE INDENT statement+ DEDENT`.
    fn block(&mut self) -> Result<Vec<Stmt>, SpanError> {
        self.expect(":")?;
        if self.peek() != &Tok::Newline {
            return Err(
                self.unexpected("the end of the line after `:` (the block goes on the next lines)")
            );
        }
        self.pos += 1;
        if self.peek() != &Tok::Indent {
            return Err(self.unexpected("an indented block"));
        }
        self.pos += 1;
        let body = self.statements(&Tok::Dedent)?;
        if self.peek() == &Tok::Dedent {
            self.pos += 1;
        }
        Ok(body)
    }

    fn statement(&mut self) -> Result<Stmt, SpanError> {
        if self.peek() == &Tok::Indent {
            return Err(SpanError::new(self.span(), "unexpected indent"));
        }
        if let Tok::Name(word) = self.peek().clone() {
            let span = self.span();
            if word == "import" {
                self.pos += 1;
                let module_span = self.span();
                let Tok::Name(module) = self.peek().clone() else {
                    return Err(self.unexpected("a module name"));
                };
                self.pos += 1;
                return Ok(Stmt::Import {
                    module,
                    span: span.start..module_span.end,
                });
            }
            if word == "from" {
                return Err(SpanError::new(
                    span,
                    "`from … import` is not part of the dialect: write `import torch`",
                ));
            }
            if word == "for" {
                self.pos += 1;
                let var_span = self.span();
                let Tok::Name(var) = self.peek().clone() else {
                    return Err(self.unexpected("a loop variable name"));
                };
                self.pos += 1;
                if self.peek() != &Tok::Name("in".into()) {
                    return Err(self.unexpected("`in`"));
                }
                self.pos += 1;
                let iter = self.expr()?;
                let body = self.block()?;
                return Ok(Stmt::For {
                    var,
                    var_span,
                    iter,
                    body,
                });
            }
            if word == "with" {
                self.pos += 1;
                let context = self.expr()?;
                let body = self.block()?;
                return Ok(Stmt::With { context, body });
            }
            if KEYWORDS.contains(&word.as_str()) {
                return Err(SpanError::new(
                    span,
                    format!("`{word}` is not part of the dialect: one assignment per line"),
                ));
            }
            if self.peek_at(1) == &Tok::Punct("=") {
                self.pos += 2;
                let value = self.expr()?;
                return Ok(Stmt::Assign {
                    target: word,
                    target_span: span,
                    value,
                });
            }
            let aug = match self.peek_at(1) {
                Tok::Punct("+=") => Some(BinOp::Add),
                Tok::Punct("-=") => Some(BinOp::Sub),
                Tok::Punct("*=") => Some(BinOp::Mul),
                Tok::Punct("/=") => Some(BinOp::Div),
                _ => None,
            };
            if let Some(op) = aug {
                self.pos += 2;
                let value = self.expr()?;
                let whole = span.start..value.span.end;
                return Ok(Stmt::AugAssign {
                    target: word,
                    target_span: span,
                    op,
                    value,
                    span: whole,
                });
            }
        }
        let e = self.expr()?;
        if matches!(self.peek(), Tok::Punct("+=" | "-=" | "*=" | "/=")) {
            return Err(SpanError::new(
                e.span,
                "only a plain name can take an augmented assignment",
            ));
        }
        if self.peek() == &Tok::Punct("=") {
            if let ExprKind::Attr {
                base,
                name,
                name_span,
            } = e.kind
            {
                self.pos += 1;
                let value = self.expr()?;
                return Ok(Stmt::SetAttr {
                    base: *base,
                    name,
                    name_span,
                    value,
                });
            }
            return Err(SpanError::new(
                e.span,
                "only a plain name or an attribute such as `w.grad` can be assigned to",
            ));
        }
        if self.peek() == &Tok::Punct(",") {
            return Err(SpanError::new(
                self.span(),
                "tuples are not part of the dialect: one value per assignment",
            ));
        }
        Ok(Stmt::Expr(e))
    }

    fn enter(&mut self) -> Result<(), SpanError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SpanError::new(
                self.span(),
                format!("expression nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        Ok(())
    }

    fn binary(&mut self, lhs: Expr, op: BinOp, rhs: Expr) -> Result<Expr, SpanError> {
        let span = lhs.span.start..rhs.span.end;
        // A long chain such as `a + a + … + a` nests to the left; bound it like parentheses.
        self.enter()?;
        Ok(Expr {
            kind: ExprKind::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            span,
        })
    }

    fn expr(&mut self) -> Result<Expr, SpanError> {
        let lhs = self.sum()?;
        let op = match self.peek() {
            Tok::Punct("<") => BinOp::Lt,
            Tok::Punct(">") => BinOp::Gt,
            Tok::Punct("<=") => BinOp::Le,
            Tok::Punct(">=") => BinOp::Ge,
            _ => return Ok(lhs),
        };
        self.pos += 1;
        let rhs = self.sum()?;
        let e = self.binary(lhs, op, rhs)?;
        self.depth -= 1;
        if matches!(self.peek(), Tok::Punct("<" | ">" | "<=" | ">=")) {
            return Err(SpanError::new(
                self.span(),
                "chained comparisons are not part of the dialect",
            ));
        }
        Ok(e)
    }

    fn sum(&mut self) -> Result<Expr, SpanError> {
        let saved = self.depth;
        let mut lhs = self.term()?;
        loop {
            let op = match self.peek() {
                Tok::Punct("+") => BinOp::Add,
                Tok::Punct("-") => BinOp::Sub,
                _ => break,
            };
            self.pos += 1;
            let rhs = self.term()?;
            lhs = self.binary(lhs, op, rhs)?;
        }
        self.depth = saved;
        Ok(lhs)
    }

    fn term(&mut self) -> Result<Expr, SpanError> {
        let saved = self.depth;
        let mut lhs = self.factor()?;
        loop {
            let op = match self.peek() {
                Tok::Punct("*") => BinOp::Mul,
                Tok::Punct("/") => BinOp::Div,
                Tok::Punct("@") => BinOp::MatMul,
                _ => break,
            };
            self.pos += 1;
            let rhs = self.factor()?;
            lhs = self.binary(lhs, op, rhs)?;
        }
        self.depth = saved;
        Ok(lhs)
    }

    fn factor(&mut self) -> Result<Expr, SpanError> {
        let start = self.span().start;
        let neg = match self.peek() {
            Tok::Punct("-") => true,
            Tok::Punct("+") => false,
            _ => return self.power(),
        };
        self.pos += 1;
        self.enter()?;
        let inner = self.factor()?;
        self.depth -= 1;
        let span = start..inner.span.end;
        let kind = if neg {
            ExprKind::Neg(Box::new(inner))
        } else {
            ExprKind::Pos(Box::new(inner))
        };
        Ok(Expr { kind, span })
    }

    fn power(&mut self) -> Result<Expr, SpanError> {
        let base = self.primary()?;
        if !self.eat("**") {
            return Ok(base);
        }
        self.enter()?;
        let exponent = self.factor()?;
        self.depth -= 1;
        let span = base.span.start..exponent.span.end;
        Ok(Expr {
            kind: ExprKind::Binary {
                op: BinOp::Pow,
                lhs: Box::new(base),
                rhs: Box::new(exponent),
            },
            span,
        })
    }

    fn primary(&mut self) -> Result<Expr, SpanError> {
        let saved = self.depth;
        let mut e = self.atom()?;
        loop {
            if self.eat(".") {
                let name_span = self.span();
                let Tok::Name(name) = self.peek().clone() else {
                    return Err(self.unexpected("an attribute name after `.`"));
                };
                self.pos += 1;
                self.enter()?;
                let span = e.span.start..name_span.end;
                e = Expr {
                    kind: ExprKind::Attr {
                        base: Box::new(e),
                        name,
                        name_span,
                    },
                    span,
                };
            } else if self.eat("(") {
                let args = self.args()?;
                let end = self.span().end;
                if !self.eat(")") {
                    return Err(self.unexpected("`,` or `)`"));
                }
                self.enter()?;
                let span = e.span.start..end;
                e = Expr {
                    kind: ExprKind::Call {
                        func: Box::new(e),
                        args,
                    },
                    span,
                };
            } else if self.eat("[") {
                let mut items = Vec::new();
                loop {
                    items.push(self.index()?);
                    if !self.eat(",") || self.peek() == &Tok::Punct("]") {
                        break;
                    }
                }
                let end = self.span().end;
                self.expect("]")?;
                self.enter()?;
                let span = e.span.start..end;
                e = Expr {
                    kind: ExprKind::Index {
                        base: Box::new(e),
                        items,
                    },
                    span,
                };
            } else {
                break;
            }
        }
        self.depth = saved;
        Ok(e)
    }

    /// One entry of a subscript: an index or a slice `a:b:c`.
    fn index(&mut self) -> Result<Index, SpanError> {
        let start_span = self.span();
        let bound = |p: &mut Parser| -> Result<Option<Expr>, SpanError> {
            if matches!(p.peek(), Tok::Punct(":" | "," | "]")) {
                Ok(None)
            } else {
                p.expr().map(Some)
            }
        };
        let start = bound(self)?;
        if !self.eat(":") {
            return match start {
                Some(e) => Ok(Index::At(e)),
                None => Err(self.unexpected("an index")),
            };
        }
        let stop = bound(self)?;
        let step = if self.eat(":") { bound(self)? } else { None };
        let end = self
            .tokens
            .get(self.pos.saturating_sub(1))
            .map_or(start_span.end, |t| t.span.end);
        Ok(Index::Slice {
            start,
            stop,
            step,
            span: start_span.start..end,
        })
    }

    fn args(&mut self) -> Result<Vec<Arg>, SpanError> {
        let mut args = Vec::new();
        while self.peek() != &Tok::Punct(")") {
            let keyword = match (self.peek().clone(), self.peek_at(1)) {
                (Tok::Name(name), Tok::Punct("=")) => {
                    let span = self.span();
                    self.pos += 2;
                    Some((name, span))
                }
                _ => None,
            };
            let value = self.expr()?;
            args.push(Arg { keyword, value });
            if !self.eat(",") {
                break;
            }
        }
        Ok(args)
    }

    fn atom(&mut self) -> Result<Expr, SpanError> {
        let start = self.span();
        match self.peek().clone() {
            Tok::Number { value, int } => {
                self.pos += 1;
                Ok(Expr {
                    kind: ExprKind::Number { value, int },
                    span: start,
                })
            }
            Tok::Name(name) => {
                if KEYWORDS.contains(&name.as_str()) {
                    return Err(SpanError::new(
                        start,
                        format!("`{name}` is not part of the dialect"),
                    ));
                }
                self.pos += 1;
                Ok(Expr {
                    kind: ExprKind::Name(name),
                    span: start,
                })
            }
            Tok::Punct("(") => {
                self.pos += 1;
                // A parenthesis costs two levels: each one nests the whole chain of
                // precedence functions on the stack, a `+` chain only the evaluation.
                self.enter()?;
                self.enter()?;
                if self.peek() == &Tok::Punct(")") {
                    return Err(self.unexpected("an expression"));
                }
                let inner = self.expr()?;
                let mut items = Vec::new();
                while self.eat(",") {
                    if items.is_empty() {
                        items.push(inner.clone());
                    }
                    if self.peek() == &Tok::Punct(")") {
                        break;
                    }
                    items.push(self.expr()?);
                }
                self.depth -= 2;
                let end = self.span().end;
                if !self.eat(")") {
                    return Err(self.unexpected("`)`"));
                }
                let kind = if items.is_empty() {
                    ExprKind::Paren(Box::new(inner))
                } else {
                    ExprKind::Tuple(items)
                };
                Ok(Expr {
                    kind,
                    span: start.start..end,
                })
            }
            Tok::Punct("[") => {
                self.pos += 1;
                let mut items = Vec::new();
                while self.peek() != &Tok::Punct("]") {
                    items.push(self.expr()?);
                    if !self.eat(",") {
                        break;
                    }
                }
                let end = self.span().end;
                if !self.eat("]") {
                    return Err(self.unexpected("`,` or `]`"));
                }
                Ok(Expr {
                    kind: ExprKind::List(items),
                    span: start.start..end,
                })
            }
            _ => Err(self.unexpected("an operand")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Number { value, .. } => format!("{value}"),
            ExprKind::Name(n) => n.clone(),
            ExprKind::Neg(x) => format!("(-{})", shape(x)),
            ExprKind::Pos(x) => format!("(+{})", shape(x)),
            ExprKind::Binary { op, lhs, rhs } => format!("({} {op:?} {})", shape(lhs), shape(rhs)),
            ExprKind::Attr { base, name, .. } => format!("{}.{name}", shape(base)),
            ExprKind::Call { func, args } => format!("{}({})", shape(func), args.len()),
            ExprKind::List(items) => format!("[{}]", items.len()),
            ExprKind::Tuple(items) => format!("({})", items.len()),
            ExprKind::Index { base, items } => format!("{}[{}]", shape(base), items.len()),
            ExprKind::Paren(x) => shape(x),
        }
    }

    fn rhs(src: &str) -> String {
        match parse(src).map(|s| s.into_iter().next()) {
            Ok(Some(Stmt::Assign { value, .. })) => shape(&value),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn python_precedence() {
        assert_eq!(rhs("y = -x ** 2"), "(-(x Pow 2))");
        assert_eq!(rhs("y = 2 ** -x"), "(2 Pow (-x))");
        assert_eq!(rhs("y = a ** b ** c"), "(a Pow (b Pow c))");
        assert_eq!(rhs("y = a - b - c"), "((a Sub b) Sub c)");
        assert_eq!(rhs("y = a + b * c / d"), "(a Add ((b Mul c) Div d))");
        assert_eq!(rhs("y = torch.sin(x).exp()"), "torch.sin(1).exp(0)");
    }

    #[test]
    fn blocks_augmented_assignments_and_subscripts() {
        let stmts = parse("for t in range(3):\n    w -= 0.1 * t\n    with torch.no_grad():\n        w.grad = None\nz = x[0, 1:3, ::2] @ y\n")
            .unwrap_or_default();
        let [Stmt::For { body, .. }, Stmt::Assign { value, .. }] = stmts.as_slice() else {
            panic!("{stmts:?}");
        };
        assert!(
            matches!(body.as_slice(), [Stmt::AugAssign { op: BinOp::Sub, .. }, Stmt::With { body, .. }] if matches!(body.as_slice(), [Stmt::SetAttr { .. }]))
        );
        assert_eq!(shape(value), "(x[3] MatMul y)");
        assert_eq!(rhs("y = a < b + 1"), "(a Lt (b Add 1))");
        assert_eq!(rhs("y = f(betas=(0.9, 0.999))"), "f(1)");
        assert!(
            parse("y = a < b < c")
                .unwrap_err()
                .message
                .contains("chained")
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = format!("y = {}x{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&src).unwrap_err().message.contains("nested"));
        let chain = format!("y = x{}", " + x".repeat(10_000));
        assert!(parse(&chain).unwrap_err().message.contains("nested"));
        let unary = format!("y = {}x", "-".repeat(10_000));
        assert!(parse(&unary).is_err());
    }

    #[test]
    fn syntax_errors_name_what_was_expected() {
        let e = parse("y = a +* 2").unwrap_err();
        assert_eq!(e.span, 7..8);
        assert!(e.message.contains("expected an operand"), "{}", e.message);
        assert!(parse("for x in y").unwrap_err().message.contains("`:`"));
        assert!(parse("while x").unwrap_err().message.contains("`while`"));
        assert!(parse("a, b = 1, 2").is_err());
        assert!(
            parse("x + 1 = 1")
                .unwrap_err()
                .message
                .contains("plain name")
        );
        assert!(parse("x.grad = None").is_ok());
    }
}
