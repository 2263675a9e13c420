//! Recovering a lost script from the text of its backward-graph picture: a search over the
//! scripts whose graph has the picture's boxes, kept when our drawing reads like the picture.
//!
//! The picture's text is its boxes in reading order (top to bottom, then left to right):
//! `(1)` for a leaf, else the backward class. A candidate gives every box a role in a script:
//! box `i` is leaf or statement `i`, and each operation takes its operands from boxes read
//! before it (an input sits above its consumer). The enumeration is exhaustive over
//!
//! * **rows**: a split of the box list into consecutive rows (the first all leaves, the last
//!   the output alone) that matches our layered ranks: a box's row is one above its lowest
//!   consumer's, so each row's boxes all feed the row below;
//! * **operands**: two different tensors per binary operation (the left box first, as
//!   `next_functions` are drawn left to right), one for `sin`; no Python numbers, so every
//!   operand is a box of the picture;
//! * **no crossings** between adjacent rows in reading order: an operation takes its inputs
//!   from the row directly above no further left than the operations left of it did (the
//!   picture is read as drawn by a layout that removes crossings where it can);
//! * **length**: the number of rows the arrows skip (Σ over edges of rows crossed − 1, what
//!   Graphviz's ranking minimises) equal to `k`, for `k = 0, 1, 2, …` until some candidate
//!   matches.
//!
//! Each candidate is written as a script (leaves `a`, `b`, … in reading order with fixed
//! positive values, statements in reading order), run, drawn with the figure's own layout
//! ([`crate::figure::diagram::reading_order`]) and kept when its boxes read in the picture's
//! order. The **simplest** match is the one with the fewest skipped rows (the search's
//! level), then the fewest arrows crossing in the drawing's ranks, then the first in
//! enumeration order (rows split as late as possible, operands lowest box first).

use super::graph::GraphResult;
use crate::figure::{backward_graph, diagram};

/// What a box of the picture is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A leaf tensor, drawn `(1)`.
    Leaf,
    /// `x * y` (`MulBackward0`).
    Mul,
    /// `x + y` (`AddBackward0`).
    Add,
    /// `x - y` (`SubBackward0`).
    Sub,
    /// `x ** y` with a tensor exponent (`PowBackward1`).
    Pow,
    /// `torch.sin(x)` (`SinBackward`, `SinBackward0` since PyTorch 1.10).
    Sin,
}

impl Role {
    /// The role of one box's text.
    fn of(text: &str) -> Option<Role> {
        Some(match text {
            "(1)" => Role::Leaf,
            "MulBackward0" => Role::Mul,
            "AddBackward0" => Role::Add,
            "SubBackward0" => Role::Sub,
            "PowBackward1" => Role::Pow,
            "SinBackward" | "SinBackward0" => Role::Sin,
            _ => return None,
        })
    }

    /// How many operands the operation takes.
    fn arity(self) -> usize {
        match self {
            Role::Leaf => 0,
            Role::Sin => 1,
            _ => 2,
        }
    }
}

/// Parse a picture's box list (whitespace-separated box texts).
pub fn parse_boxes(text: &str) -> Result<Vec<Role>, String> {
    text.split_whitespace()
        .map(|t| {
            Role::of(t).ok_or_else(|| {
                format!("unknown box `{t}`: expected (1), MulBackward0, AddBackward0, SubBackward0, PowBackward1 or SinBackward")
            })
        })
        .collect()
}

/// One script the search tried: the operands of every box (empty for leaves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The role of every box.
    pub roles: Vec<Role>,
    /// Operand boxes of every box, in argument order.
    pub inputs: Vec<Vec<usize>>,
    /// Rows skipped by arrows (Σ over edges of rows crossed − 1).
    pub skipped: usize,
}

/// Values of the leaves in reading order: positive, so every power has a positive base
/// unless a subtraction makes it negative.
const LEAF_VALUES: [&str; 8] = ["1.5", "0.5", "2.0", "0.8", "1.2", "0.6", "1.1", "0.9"];

impl Candidate {
    /// The variable of box `i`: leaves `a`, `b`, … and statements `h`, `i`, … in reading
    /// order; the output is `y`.
    pub fn name(&self, i: usize) -> String {
        if i + 1 == self.roles.len() {
            return "y".into();
        }
        let leaf = self.roles[i] == Role::Leaf;
        let rank = self.roles[..i]
            .iter()
            .filter(|r| (**r == Role::Leaf) == leaf)
            .count();
        let first = if leaf { b'a' } else { b'h' };
        let letter = (first + rank as u8) as char;
        if letter <= 'x' && !(leaf && letter >= 'h') {
            letter.to_string()
        } else if leaf {
            format!("x{rank}")
        } else {
            format!("t{rank}")
        }
    }

    /// The script body: leaves, then statements in reading order, then `y.backward()`.
    pub fn script(&self) -> String {
        let mut out = String::from("import torch\n\n");
        let mut leaf = 0;
        for (i, role) in self.roles.iter().enumerate() {
            if *role == Role::Leaf {
                let value = LEAF_VALUES[leaf % LEAF_VALUES.len()];
                leaf += 1;
                out.push_str(&format!(
                    "{} = torch.tensor([{value}], requires_grad=True)\n",
                    self.name(i)
                ));
            }
        }
        out.push('\n');
        for (i, role) in self.roles.iter().enumerate() {
            let x = |k: usize| self.name(self.inputs[i][k]);
            let expr = match role {
                Role::Leaf => continue,
                Role::Mul => format!("{} * {}", x(0), x(1)),
                Role::Add => format!("{} + {}", x(0), x(1)),
                Role::Sub => format!("{} - {}", x(0), x(1)),
                Role::Pow => format!("{} ** {}", x(0), x(1)),
                Role::Sin => format!("torch.sin({})", x(0)),
            };
            out.push_str(&format!("{} = {expr}\n", self.name(i)));
        }
        out.push_str("\ny.backward()\n");
        out
    }

    /// The script's graph, and its boxes in our figure's reading order as box indices;
    /// `None` when the script does not run (a power of a negative base).
    pub fn drawn(&self) -> Option<(GraphResult, Vec<usize>)> {
        let graph = super::run(&self.script()).ok()?;
        let boxes: Vec<usize> = graph
            .nodes
            .iter()
            .map(|n| {
                let var = n.var.as_deref().unwrap_or("");
                (0..self.roles.len()).find(|&i| self.name(i) == var)
            })
            .collect::<Option<_>>()?;
        let order = diagram::reading_order(&backward_graph::to_diagram(&graph));
        Some((graph, order.into_iter().map(|id| boxes[id]).collect()))
    }
}

/// What the search found.
#[derive(Debug, Clone)]
pub struct Search {
    /// Splits of the box list into rows that satisfy the row rules.
    pub row_splits: usize,
    /// Candidates enumerated at every level up to the first that matched.
    pub enumerated: usize,
    /// Candidates that did not run (a power of a negative base).
    pub failed: usize,
    /// The level (rows skipped) at which the first matches appeared.
    pub level: usize,
    /// Every candidate at that level whose drawing reads in the picture's order, simplest
    /// first.
    pub matches: Vec<Candidate>,
}

impl Search {
    /// The script file of the simplest match, with a header saying how it was found;
    /// `None` when nothing matched. `picture` is the box list as given to [`parse_boxes`].
    pub fn script_file(&self, picture: &str) -> Option<String> {
        let winner = self.matches.first()?;
        let mut out = String::from(
            "# comp_tree.py: a RECONSTRUCTION (the course's script is lost).\n\
             # Found by gradbook's search (src/compute/autograd/reconstruct.rs;\n\
             # tests/q3_order.rs re-runs it) for the picture's boxes in reading order:\n",
        );
        let mut line = String::from("#  ");
        for word in picture.split_whitespace() {
            if line.len() + word.len() + 1 > 76 {
                out.push_str(&line);
                out.push('\n');
                line = String::from("#  ");
            }
            line.push(' ');
            line.push_str(word);
        }
        out.push_str(&line);
        out.push('\n');
        out.push_str(&format!(
            "# Scripts enumerated: {} (rows of consecutive boxes, two different\n\
             # tensor operands, no crossing between adjacent rows, at most {} skipped\n\
             # row{}); {} did not run (a power of a negative base); {} read in the\n\
             # picture's order when drawn; this is the simplest (fewest crossings,\n\
             # then first enumerated). The order narrows the script down; it does\n\
             # not prove it: the course's script may differ.\n",
            self.enumerated,
            self.level,
            if self.level == 1 { "" } else { "s" },
            self.failed,
            self.matches.len()
        ));
        out.push_str(&winner.script());
        Some(out)
    }
}

/// Highest level tried before giving up.
const MAX_LEVEL: usize = 6;

/// Search for the scripts whose drawing reads like `boxes` (see the module doc).
pub fn search(boxes: &[Role]) -> Search {
    let splits = row_splits(boxes);
    let mut enumerated = 0;
    let mut failed = 0;
    for level in 0..=MAX_LEVEL {
        let mut matches: Vec<(usize, Candidate)> = Vec::new();
        for rows in &splits {
            operand_choices(boxes, rows, level, &mut |inputs| {
                enumerated += 1;
                let candidate = Candidate {
                    roles: boxes.to_vec(),
                    inputs: inputs.to_vec(),
                    skipped: level,
                };
                match candidate.drawn() {
                    None => failed += 1,
                    Some((_, order)) if order.iter().copied().eq(0..boxes.len()) => {
                        matches.push((crossings(&candidate, rows), candidate));
                    }
                    Some(_) => {}
                }
            });
        }
        if !matches.is_empty() {
            // Stable: equal crossings keep enumeration order.
            matches.sort_by_key(|m| m.0);
            return Search {
                row_splits: splits.len(),
                enumerated,
                failed,
                level,
                matches: matches.into_iter().map(|m| m.1).collect(),
            };
        }
    }
    Search {
        row_splits: splits.len(),
        enumerated,
        failed,
        level: MAX_LEVEL,
        matches: Vec::new(),
    }
}

/// Row of every box for one split (`rows[i]`).
type Rows = Vec<usize>;

/// Every split of `boxes` into consecutive rows such that the first row holds only leaves,
/// the last only the final box (an operation), and each row has no more boxes than the row
/// below has operand slots (each box must feed the row below). Rows split as late as
/// possible come first.
fn row_splits(boxes: &[Role]) -> Vec<Rows> {
    let n = boxes.len();
    let mut out = Vec::new();
    if n < 2 || boxes[n - 1] == Role::Leaf {
        return out;
    }
    let slots = |a: usize, b: usize| boxes[a..b].iter().map(|r| r.arity()).sum::<usize>();
    // (start of the current row, its end candidates) explored depth first.
    fn walk(
        start: usize,
        prev: Option<(usize, usize)>,
        rows: &mut Rows,
        n: usize,
        boxes: &[Role],
        slots: &dyn Fn(usize, usize) -> usize,
        out: &mut Vec<Rows>,
    ) {
        let row = prev.map_or(0, |_| rows[start - 1] + 1);
        if start == n - 1 {
            if let Some((a, b)) = prev
                && b - a <= slots(n - 1, n)
            {
                rows.push(row);
                out.push(rows.clone());
                rows.pop();
            }
            return;
        }
        for end in (start + 1..n).rev() {
            if prev.is_none() && boxes[start..end].iter().any(|r| *r != Role::Leaf) {
                continue;
            }
            if let Some((a, b)) = prev
                && b - a > slots(start, end)
            {
                continue;
            }
            rows.extend(std::iter::repeat_n(row, end - start));
            walk(end, Some((start, end)), rows, n, boxes, slots, out);
            rows.truncate(start);
        }
    }
    walk(0, None, &mut Vec::new(), n, boxes, &slots, &mut out);
    out
}

/// Every choice of operands for the operations of `boxes` with rows `rows` that skips
/// exactly `level` rows and gives every box but the last a consumer in the row below.
fn operand_choices(
    boxes: &[Role],
    rows: &Rows,
    level: usize,
    visit: &mut dyn FnMut(&[Vec<usize>]),
) {
    let n = boxes.len();
    let mut inputs: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut fed = vec![0usize; n];
    let ops: Vec<usize> = (0..n).filter(|&i| boxes[i] != Role::Leaf).collect();
    #[allow(clippy::too_many_arguments)]
    fn choose(
        k: usize,
        left: usize,
        ops: &[usize],
        boxes: &[Role],
        rows: &Rows,
        inputs: &mut Vec<Vec<usize>>,
        fed: &mut Vec<usize>,
        out: &mut dyn FnMut(&[Vec<usize>]),
    ) {
        let n = boxes.len();
        if k == ops.len() {
            if left == 0 {
                out(inputs);
            }
            return;
        }
        let i = ops[k];
        let row = rows[i];
        let above: Vec<usize> = (0..i)
            .filter(|&j| rows[j] < row && row - rows[j] - 1 <= left)
            .collect();
        let closes_row = k + 1 == ops.len() || rows[ops[k + 1]] != row;
        // No crossing between adjacent rows in reading order: an operation takes its inputs
        // from the row above no further left than the operations left of it did.
        let floor = ops[..k]
            .iter()
            .filter(|&&o| rows[o] == row)
            .flat_map(|&o| inputs[o].iter().copied())
            .filter(|&j| rows[j] + 1 == row)
            .max()
            .unwrap_or(0);
        let try_pick = |pick: &[usize],
                        inputs: &mut Vec<Vec<usize>>,
                        fed: &mut Vec<usize>,
                        out: &mut dyn FnMut(&[Vec<usize>])| {
            let cost: usize = pick.iter().map(|&j| row - rows[j] - 1).sum();
            if cost > left || pick.iter().any(|&j| rows[j] + 1 == row && j < floor) {
                return;
            }
            for &j in pick {
                fed[j] += usize::from(rows[j] + 1 == row);
            }
            // When the last operation of this row has chosen, every box of the row above
            // must feed one of the row's operations.
            let complete =
                !closes_row || (0..n).filter(|&j| rows[j] + 1 == row).all(|j| fed[j] > 0);
            if complete {
                inputs[i] = pick.to_vec();
                choose(k + 1, left - cost, ops, boxes, rows, inputs, fed, out);
                inputs[i].clear();
            }
            for &j in pick {
                fed[j] -= usize::from(rows[j] + 1 == row);
            }
        };
        if boxes[i].arity() == 1 {
            for &j in &above {
                try_pick(&[j], inputs, fed, out);
            }
        } else {
            for (p, &j) in above.iter().enumerate() {
                for &m in &above[p + 1..] {
                    try_pick(&[j, m], inputs, fed, out);
                }
            }
        }
    }
    choose(0, level, &ops, boxes, rows, &mut inputs, &mut fed, visit);
}

/// Pairs of arrows that cross when every box sits at its reading position in its row and an
/// arrow skipping rows is drawn straight (positions interpolated row by row).
fn crossings(candidate: &Candidate, rows: &Rows) -> usize {
    let n = rows.len();
    let mut index_in_row = vec![0.0; n];
    let mut width = vec![0usize; rows.last().map_or(0, |r| r + 1)];
    for i in 0..n {
        index_in_row[i] = width[rows[i]] as f64;
        width[rows[i]] += 1;
    }
    // Centre each row so rows of different widths line up.
    let x: Vec<f64> = (0..n)
        .map(|i| index_in_row[i] - (width[rows[i]] as f64 - 1.0) / 2.0)
        .collect();
    let edges: Vec<(usize, usize)> = candidate
        .inputs
        .iter()
        .enumerate()
        .flat_map(|(to, from)| from.iter().map(move |&f| (f, to)))
        .collect();
    let at = |(f, t): (usize, usize), r: f64| {
        let (r0, r1) = (rows[f] as f64, rows[t] as f64);
        x[f] + (x[t] - x[f]) * (r - r0) / (r1 - r0)
    };
    let mut count = 0;
    for (a, &e) in edges.iter().enumerate() {
        for &d in &edges[a + 1..] {
            let lo = rows[e.0].max(rows[d.0]);
            let hi = rows[e.1].min(rows[d.1]);
            if lo >= hi {
                continue;
            }
            let (top, bottom) = (lo as f64, hi as f64);
            let before = at(e, top) - at(d, top);
            let after = at(e, bottom) - at(d, bottom);
            if before * after < 0.0 {
                count += 1;
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_feed_the_row_below() {
        let boxes = parse_boxes("(1) (1) MulBackward0 (1) AddBackward0").unwrap();
        let splits = row_splits(&boxes);
        // [a b][u c][v] is the only split: c must feed v, u must too.
        assert_eq!(splits, vec![vec![0, 0, 1, 1, 2]]);
        let mut choices = Vec::new();
        operand_choices(&boxes, &splits[0], 0, &mut |c| choices.push(c.to_vec()));
        assert_eq!(
            choices,
            vec![vec![vec![], vec![], vec![0, 1], vec![], vec![2, 3]]]
        );
    }

    #[test]
    fn a_small_picture_is_recovered() {
        let boxes = parse_boxes("(1) (1) MulBackward0 (1) AddBackward0").unwrap();
        let found = search(&boxes);
        assert_eq!(found.level, 0);
        assert_eq!(found.enumerated, 1);
        let script = found.matches[0].script();
        assert!(script.contains("h = a * b\n") && script.contains("y = h + c\n"));
    }

    #[test]
    fn crossings_count_arrows_that_swap_sides() {
        let roles = parse_boxes("(1) (1) SinBackward SinBackward AddBackward0").unwrap();
        let rows = vec![0, 0, 1, 1, 2];
        let crossed = Candidate {
            roles: roles.clone(),
            inputs: vec![vec![], vec![], vec![1], vec![0], vec![2, 3]],
            skipped: 0,
        };
        assert_eq!(crossings(&crossed, &rows), 1);
        let straight = Candidate {
            roles,
            inputs: vec![vec![], vec![], vec![0], vec![1], vec![2, 3]],
            skipped: 0,
        };
        assert_eq!(crossings(&straight, &rows), 0);
        // The crossing pair breaks the no-crossing rule, so the search never enumerates it.
        let mut seen = Vec::new();
        operand_choices(&straight.roles, &rows, 0, &mut |c| seen.push(c.to_vec()));
        assert_eq!(seen, vec![straight.inputs.clone()]);
    }

    #[test]
    fn unknown_boxes_are_refused() {
        assert!(
            parse_boxes("(1) DivBackward0")
                .unwrap_err()
                .contains("DivBackward0")
        );
    }
}
