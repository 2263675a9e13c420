//! Page templates may include each other and call macros, but never in a cycle: Tera has no
//! depth limit, so a template that includes itself or a macro that calls itself (directly or
//! through others) would overflow the stack and abort. The call graph is checked once, when
//! the templates are loaded; a cycle is an error naming it.

use std::collections::{BTreeMap, BTreeSet};
use tera::Tera;
use tera::ast::{Expr, ExprVal, Node};

/// A template's body (`page.html`) or one of its macros (`page.html::name`).
type Callee = String;

/// Includes and macro calls that form a cycle: each entry is a template (`page.html`) or a
/// macro (`page.html::name`), the last one the first again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle(pub Vec<String>);

impl std::fmt::Display for Cycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "templates call themselves in a cycle ({}): recursion is not allowed in page templates",
            self.0.join(" → ")
        )
    }
}

impl Cycle {
    /// The template whose source makes the first call of the cycle, and what to look for in it
    /// (the included template's quoted name, or the called macro's name followed by `(`).
    pub fn first_call(&self) -> Option<(&str, String)> {
        let (from, to) = (self.0.first()?, self.0.get(1)?);
        let file = from.split("::").next().unwrap_or(from);
        let needle = match to.split_once("::") {
            Some((_, name)) => format!("{name}("),
            None => format!("\"{to}\""),
        };
        Some((file, needle))
    }
}

/// Refuse includes and macro calls that form a cycle.
pub fn check(tera: &Tera) -> Result<(), Cycle> {
    let mut graph: BTreeMap<Callee, BTreeSet<Callee>> = BTreeMap::new();
    for (name, template) in &tera.templates {
        let resolve = |namespace: &str, callee: &str| -> Option<Callee> {
            if namespace == "self" {
                return Some(format!("{name}::{callee}"));
            }
            template
                .imported_macro_files
                .iter()
                .find(|(_, ns)| ns == namespace)
                .map(|(file, _)| format!("{file}::{callee}"))
        };
        let mut body = Calls::default();
        body.nodes(&template.ast);
        if let Some(parent) = &template.parent {
            body.includes.push(parent.clone());
        }
        graph.insert(name.clone(), body.edges(tera, &resolve));
        for (macro_name, definition) in &template.macros {
            let mut calls = Calls::default();
            calls.nodes(&definition.body);
            graph.insert(format!("{name}::{macro_name}"), calls.edges(tera, &resolve));
        }
    }
    let mut done = BTreeSet::new();
    for start in graph.keys() {
        let mut path = Vec::new();
        if let Some(cycle) = find_cycle(&graph, start, &mut path, &mut done) {
            return Err(Cycle(cycle));
        }
    }
    Ok(())
}

fn find_cycle(
    graph: &BTreeMap<Callee, BTreeSet<Callee>>,
    at: &Callee,
    path: &mut Vec<Callee>,
    done: &mut BTreeSet<Callee>,
) -> Option<Vec<Callee>> {
    if let Some(i) = path.iter().position(|p| p == at) {
        let mut cycle = path[i..].to_vec();
        cycle.push(at.clone());
        return Some(cycle);
    }
    if done.contains(at) {
        return None;
    }
    path.push(at.clone());
    for next in graph.get(at).into_iter().flatten() {
        if let Some(cycle) = find_cycle(graph, next, path, done) {
            return Some(cycle);
        }
    }
    path.pop();
    done.insert(at.clone());
    None
}

/// The templates a body includes and the macros it calls.
#[derive(Default)]
struct Calls {
    includes: Vec<String>,
    macros: Vec<(String, String)>,
}

impl Calls {
    fn edges(
        &self,
        tera: &Tera,
        resolve: &dyn Fn(&str, &str) -> Option<Callee>,
    ) -> BTreeSet<Callee> {
        self.includes
            .iter()
            .filter(|t| tera.templates.contains_key(*t))
            .cloned()
            .chain(self.macros.iter().filter_map(|(ns, m)| resolve(ns, m)))
            .collect()
    }

    fn nodes(&mut self, nodes: &[Node]) {
        for node in nodes {
            match node {
                Node::VariableBlock(_, e) => self.expr(e),
                Node::Set(_, s) => self.expr(&s.value),
                Node::Include(_, names, _) => self.includes.extend(names.iter().cloned()),
                Node::FilterSection(_, f, _) => {
                    f.filter.args.values().for_each(|e| self.expr(e));
                    self.nodes(&f.body);
                }
                Node::Block(_, b, _) => self.nodes(&b.body),
                Node::Forloop(_, f, _) => {
                    self.expr(&f.container);
                    self.nodes(&f.body);
                    self.nodes(f.empty_body.as_deref().unwrap_or_default());
                }
                Node::If(i, _) => {
                    for (_, cond, body) in &i.conditions {
                        self.expr(cond);
                        self.nodes(body);
                    }
                    if let Some((_, body)) = &i.otherwise {
                        self.nodes(body);
                    }
                }
                _ => {}
            }
        }
    }

    fn expr(&mut self, expr: &Expr) {
        for f in &expr.filters {
            f.args.values().for_each(|e| self.expr(e));
        }
        match &expr.val {
            ExprVal::MacroCall(m) => {
                self.macros.push((m.namespace.clone(), m.name.clone()));
                m.args.values().for_each(|e| self.expr(e));
            }
            ExprVal::FunctionCall(f) => f.args.values().for_each(|e| self.expr(e)),
            ExprVal::Math(m) => {
                self.expr(&m.lhs);
                self.expr(&m.rhs);
            }
            ExprVal::Logic(l) => {
                self.expr(&l.lhs);
                self.expr(&l.rhs);
            }
            ExprVal::In(i) => {
                self.expr(&i.lhs);
                self.expr(&i.rhs);
            }
            ExprVal::Test(t) => t.args.iter().for_each(|e| self.expr(e)),
            ExprVal::Array(items) => items.iter().for_each(|e| self.expr(e)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tera(templates: &[(&str, &str)]) -> Tera {
        let mut tera = Tera::default();
        tera.add_raw_templates(templates.iter().copied()).unwrap();
        tera
    }

    #[test]
    fn includes_and_macro_calls_without_cycles_pass() {
        let t = tera(&[
            (
                "m.html",
                "{% macro a() %}{{ self::b() }}{% endmacro a %}{% macro b() %}b{% endmacro b %}",
            ),
            (
                "page.html",
                "{% import \"m.html\" as m %}{% include \"part.html\" %}{{ m::a() }}",
            ),
            (
                "part.html",
                "{% if x %}{{ y | default(value=1) }}{% endif %}",
            ),
        ]);
        assert_eq!(check(&t), Ok(()));
    }

    #[test]
    fn self_including_templates_and_recursive_macros_are_refused() {
        let t = tera(&[
            ("page.html", "{% include \"part.html\" %}"),
            (
                "part.html",
                "{% if a %}{% include \"page.html\" %}{% endif %}",
            ),
        ]);
        let err = check(&t).unwrap_err();
        assert!(
            err.to_string()
                .contains("page.html → part.html → page.html"),
            "{err}"
        );
        assert_eq!(
            err.first_call(),
            Some(("page.html", "\"part.html\"".to_string()))
        );
        let t = tera(&[(
            "page.html",
            "{% macro f(n) %}{% for i in [1] %}{{ self::g(n=n) }}{% endfor %}{% endmacro f %}{% macro g(n) %}{{ self::f(n=n) }}{% endmacro g %}{{ self::f(n=1) }}",
        )]);
        let err = check(&t).unwrap_err();
        assert!(
            err.to_string()
                .contains("page.html::f → page.html::g → page.html::f"),
            "{err}"
        );
        assert_eq!(err.first_call(), Some(("page.html", "g(".to_string())));
    }
}
