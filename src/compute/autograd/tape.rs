//! The tape: tensors and the backward nodes PyTorch records for them.
//!
//! ```
//! use gradbook::compute::autograd::tape::Tape;
//! let mut tape = Tape::new();
//! let w = tape.leaf("w", 0.5);
//! let x = tape.constant(2.0);
//! let z = tape.mul(w, x); // MulBackward0, next_functions (AccumulateGrad(w), None)
//! let y = tape.sigmoid(z); // SigmoidBackward0
//! let grads = tape.backward(y);
//! let s = tape.value(y);
//! assert!((grads.of(w) - s * (1.0 - s) * 2.0).abs() < 1e-15);
//! ```
//!
//! Every operation follows PyTorch's Python operators: a Python number operand of `+ - * /`
//! becomes a wrapped tensor input with no edge (`None` in `next_functions`), while `2 - x`,
//! `2 / x` and `2 ** x` go through `Tensor.__rsub__`, `__rtruediv__` and `__rpow__` and record
//! `RsubBackward1`, `ReciprocalBackward0` + `MulBackward0`, and `PowBackward2`. An operation
//! whose inputs all lack `requires_grad` records nothing and gives a constant.
//!
//! Values are [`Tensor`]s of any shape (a shape-(1) tensor is the scalar of the first
//! scripts); [`super::kernels`] computes them and their gradients, and `composite`
//! records the node sequences of PyTorch's composite functions (`matmul`, `linear`).

use super::backward::Gradients;
use super::kernels;
use super::ops::Op;
use super::tensor::Tensor;

/// A tensor on the tape (cheap to copy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Var(pub(crate) usize);

/// A backward node on the tape; ids are in creation order, which is a topological order
/// (every node is created after the nodes its `next_functions` point to).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) usize);

impl NodeId {
    /// Position in creation order.
    pub fn index(self) -> usize {
        self.0
    }
}

/// An operand of an arithmetic operator: a tensor or a Python number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Operand {
    /// A tensor (leaf, constant or result).
    Tensor(Var),
    /// A Python `int` or `float` (wrapped as a 0-d tensor, which broadcasts to anything).
    Number(f64),
}

/// A backward node (`grad_fn`, or `AccumulateGrad` for a leaf).
#[derive(Debug, Clone, PartialEq)]
pub struct BackwardNode {
    /// The recorded operation; [`Op::class_name`] gives PyTorch's class name.
    pub op: Op,
    /// Values of the tensor inputs, in `next_functions` order (wrapped numbers included),
    /// then the saved tensors that get no gradient (`where`'s condition, `nll_loss`'s
    /// target).
    pub inputs: Vec<Tensor>,
    /// `next_functions`: the node each input's gradient flows to, `None` for an input that
    /// does not require grad (a Python number or a constant tensor).
    pub next: Vec<Option<NodeId>>,
    /// The tensor each input came from, `None` for a Python number.
    pub sources: Vec<Option<Var>>,
    /// The tensor this node differentiates (the leaf itself for `AccumulateGrad`).
    pub output: Var,
}

impl BackwardNode {
    /// The first element of input `k` (a scalar script's operand value), NaN if absent.
    pub fn input_value(&self, k: usize) -> f64 {
        self.inputs
            .get(k)
            .and_then(|t| t.data.first())
            .copied()
            .unwrap_or(f64::NAN)
    }

    /// Every input's first element, for the scalar rules of [`Op`].
    pub fn input_values(&self) -> Vec<f64> {
        (0..self.next.len()).map(|k| self.input_value(k)).collect()
    }
}

#[derive(Debug, Clone)]
struct TensorData {
    value: Tensor,
    /// Where this tensor's gradient goes: its `grad_fn`, or its `AccumulateGrad` if a leaf.
    edge: Option<NodeId>,
    /// The name given to [`Tape::leaf`].
    leaf_name: Option<String>,
    /// The strides PyTorch would give this tensor (see [`kernels::strides`]): `view` needs
    /// them compatible with the new shape, and `reshape` copies when they are not.
    strides: Vec<usize>,
}

/// Records tensors and backward nodes; see the module docs for an example.
#[derive(Debug, Clone)]
pub struct Tape {
    tensors: Vec<TensorData>,
    nodes: Vec<BackwardNode>,
    /// `False` inside `with torch.no_grad():` — operations record nothing.
    grad_enabled: bool,
}

impl Default for Tape {
    fn default() -> Self {
        Tape {
            tensors: Vec::new(),
            nodes: Vec::new(),
            grad_enabled: true,
        }
    }
}

impl Tape {
    /// An empty tape.
    pub fn new() -> Self {
        Self::default()
    }

    /// `torch.tensor([value], requires_grad=True)`: a leaf with its `AccumulateGrad` node.
    pub fn leaf(&mut self, name: &str, value: f64) -> Var {
        self.leaf_tensor(name, Tensor::scalar(value))
    }

    /// A leaf tensor of any shape that requires grad, with its `AccumulateGrad` node.
    pub fn leaf_tensor(&mut self, name: &str, value: Tensor) -> Var {
        let var = Var(self.tensors.len());
        let node = NodeId(self.nodes.len());
        self.nodes.push(BackwardNode {
            op: Op::Leaf,
            inputs: Vec::new(),
            next: Vec::new(),
            sources: Vec::new(),
            output: var,
        });
        self.tensors.push(TensorData {
            value,
            edge: Some(node),
            leaf_name: Some(name.to_string()),
            strides: Vec::new(),
        });
        self.set_strides(var, None);
        var
    }

    /// `torch.tensor([value])`: a tensor that does not require grad.
    pub fn constant(&mut self, value: f64) -> Var {
        self.push_tensor(Tensor::scalar(value), None)
    }

    /// A tensor of any shape that does not require grad.
    pub fn constant_tensor(&mut self, value: Tensor) -> Var {
        self.push_tensor(value, None)
    }

    /// The forward value of a one-element `var` (NaN for larger tensors; see [`Tape::tensor`]).
    pub fn value(&self, var: Var) -> f64 {
        self.tensors.get(var.0).map_or(f64::NAN, |t| t.value.item())
    }

    /// The forward value of `var` as a tensor.
    pub fn tensor(&self, var: Var) -> &Tensor {
        static EMPTY: Tensor = Tensor {
            shape: Vec::new(),
            data: Vec::new(),
            dtype: super::tensor::Dtype::F64,
        };
        self.tensors.get(var.0).map_or(&EMPTY, |t| &t.value)
    }

    /// Overwrite the data of `var` in place (`w -= lr * w.grad` under `torch.no_grad()`); the
    /// values saved in nodes recorded earlier keep what they saw.
    pub fn set_tensor(&mut self, var: Var, value: Tensor) {
        if let Some(t) = self.tensors.get_mut(var.0) {
            t.value = value;
        }
    }

    /// `torch.set_grad_enabled`: while off, operations record nothing.
    pub fn set_grad_enabled(&mut self, on: bool) {
        self.grad_enabled = on;
    }

    /// Whether operations are being recorded.
    pub fn grad_enabled(&self) -> bool {
        self.grad_enabled
    }

    /// The strides PyTorch would give `var` (row-major for computed results).
    pub fn strides(&self, var: Var) -> &[usize] {
        self.tensors
            .get(var.0)
            .map_or(&[], |t| t.strides.as_slice())
    }

    /// Whether gradients flow into `var` (a leaf, or a result of a recorded operation).
    pub fn requires_grad(&self, var: Var) -> bool {
        self.grad_edge(var).is_some()
    }

    /// The node `var`'s gradient flows into: its `grad_fn`, or `AccumulateGrad` for a leaf.
    pub fn grad_edge(&self, var: Var) -> Option<NodeId> {
        self.tensors.get(var.0).and_then(|t| t.edge)
    }

    /// Whether `var` is a leaf that requires grad.
    pub fn is_leaf(&self, var: Var) -> bool {
        self.grad_edge(var)
            .is_some_and(|n| self.nodes[n.0].op == Op::Leaf)
    }

    /// Give leaf `var` a new name (a module's parameter once the module has a name).
    pub fn rename_leaf(&mut self, var: Var, name: &str) {
        if let Some(t) = self.tensors.get_mut(var.0)
            && t.leaf_name.is_some()
        {
            t.leaf_name = Some(name.to_string());
        }
    }

    /// The name a leaf was created with.
    pub fn leaf_name(&self, var: Var) -> Option<&str> {
        self.tensors.get(var.0).and_then(|t| t.leaf_name.as_deref())
    }

    /// The node with id `id`.
    pub fn node(&self, id: NodeId) -> &BackwardNode {
        &self.nodes[id.0]
    }

    /// Every node in creation (topological) order.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &BackwardNode)> {
        self.nodes.iter().enumerate().map(|(i, n)| (NodeId(i), n))
    }

    /// Number of nodes recorded.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Record `op` applied to `operands` (in ATen argument order) and return its result.
    ///
    /// Python numbers are wrapped as tensors that do not require grad, as PyTorch's argument
    /// parser does for `add`, `sub`, `mul` and `div`. If no operand requires grad, nothing is
    /// recorded and the result is a constant. Operands whose shapes do not broadcast give a
    /// NaN; [`Tape::try_apply`] reports them instead.
    pub fn apply(&mut self, op: Op, operands: &[Operand]) -> Var {
        match self.try_apply(op, operands, &[], None) {
            Ok(v) => v,
            Err(_) => self.push_tensor(Tensor::scalar(f64::NAN), None),
        }
    }

    /// [`Tape::apply`] with `saved` tensors that take no gradient (after the operands) and the
    /// `target` shape of a view; PyTorch's message when the shapes do not fit.
    pub fn try_apply(
        &mut self,
        op: Op,
        operands: &[Operand],
        saved: &[Var],
        target: Option<&[usize]>,
    ) -> Result<Var, String> {
        let mut inputs: Vec<Tensor> = operands
            .iter()
            .map(|o| match *o {
                Operand::Tensor(v) => self.tensor(v).clone(),
                Operand::Number(x) => Tensor::zero_dim(x),
            })
            .collect();
        inputs.extend(saved.iter().map(|&v| self.tensor(v).clone()));
        let refs: Vec<&Tensor> = inputs.iter().collect();
        let value = kernels::forward(op, &refs, target)?;
        let layout: Vec<(&[usize], &[usize])> = operands
            .iter()
            .zip(&inputs)
            .map(|(o, t)| match *o {
                Operand::Tensor(v) => (t.shape.as_slice(), self.strides(v)),
                Operand::Number(_) => (t.shape.as_slice(), &[][..]),
            })
            .collect();
        let strides = kernels::strides(op, &layout, &value.shape);
        let next: Vec<Option<NodeId>> = operands
            .iter()
            .map(|o| match *o {
                Operand::Tensor(v) => self.grad_edge(v),
                Operand::Number(_) => None,
            })
            .collect();
        if !self.grad_enabled || next.iter().all(Option::is_none) {
            let var = self.push_tensor(value, None);
            self.set_strides(var, Some(strides));
            return Ok(var);
        }
        let sources: Vec<Option<Var>> = operands
            .iter()
            .map(|o| match *o {
                Operand::Tensor(v) => Some(v),
                Operand::Number(_) => None,
            })
            .collect();
        let node = NodeId(self.nodes.len());
        let var = self.push_tensor(value, Some(node));
        self.set_strides(var, Some(strides));
        self.nodes.push(BackwardNode {
            op,
            inputs,
            next,
            sources,
            output: var,
        });
        Ok(var)
    }

    fn push_tensor(&mut self, value: Tensor, edge: Option<NodeId>) -> Var {
        self.tensors.push(TensorData {
            value,
            edge,
            leaf_name: None,
            strides: Vec::new(),
        });
        let var = Var(self.tensors.len() - 1);
        self.set_strides(var, None);
        var
    }

    /// Set `var`'s strides (row-major when `None`).
    fn set_strides(&mut self, var: Var, strides: Option<Vec<usize>>) {
        if let Some(t) = self.tensors.get_mut(var.0) {
            t.strides = strides.unwrap_or_else(|| super::tensor::strides(&t.value.shape));
        }
    }

    fn binary(&mut self, op: Op, a: Var, b: Var) -> Var {
        self.apply(op, &[Operand::Tensor(a), Operand::Tensor(b)])
    }

    fn with_number(&mut self, op: Op, a: Var, c: f64) -> Var {
        self.apply(op, &[Operand::Tensor(a), Operand::Number(c)])
    }

    fn unary(&mut self, op: Op, a: Var) -> Var {
        self.apply(op, &[Operand::Tensor(a)])
    }

    /// `a + b` (`AddBackward0`).
    pub fn add(&mut self, a: Var, b: Var) -> Var {
        self.binary(Op::Add, a, b)
    }

    /// `a - b` (`SubBackward0`).
    pub fn sub(&mut self, a: Var, b: Var) -> Var {
        self.binary(Op::Sub, a, b)
    }

    /// `a * b` (`MulBackward0`).
    pub fn mul(&mut self, a: Var, b: Var) -> Var {
        self.binary(Op::Mul, a, b)
    }

    /// `a / b` (`DivBackward0`).
    pub fn div(&mut self, a: Var, b: Var) -> Var {
        self.binary(Op::Div, a, b)
    }

    /// `a ** b` with a tensor exponent (`PowBackward1`).
    pub fn pow(&mut self, a: Var, b: Var) -> Var {
        self.binary(Op::Pow, a, b)
    }

    /// `a + c` and `c + a` for a Python number `c` (`AddBackward0`, edges `(a, None)`).
    pub fn add_scalar(&mut self, a: Var, c: f64) -> Var {
        self.with_number(Op::Add, a, c)
    }

    /// `a - c` for a Python number `c` (`SubBackward0`, edges `(a, None)`).
    pub fn sub_scalar(&mut self, a: Var, c: f64) -> Var {
        self.with_number(Op::Sub, a, c)
    }

    /// `c - a` for a Python number `c` (`RsubBackward1`, one edge).
    pub fn rsub_scalar(&mut self, c: f64, a: Var) -> Var {
        self.unary(Op::RsubScalar { other: c }, a)
    }

    /// `a * c` and `c * a` for a Python number `c` (`MulBackward0`, edges `(a, None)`).
    pub fn mul_scalar(&mut self, a: Var, c: f64) -> Var {
        self.with_number(Op::Mul, a, c)
    }

    /// `a / c` for a Python number `c` (`DivBackward0`, edges `(a, None)`).
    pub fn div_scalar(&mut self, a: Var, c: f64) -> Var {
        self.with_number(Op::Div, a, c)
    }

    /// `c / a` for a Python number `c`: `a.reciprocal() * c`, two nodes
    /// (`MulBackward0` → `ReciprocalBackward0`).
    pub fn rdiv_scalar(&mut self, c: f64, a: Var) -> Var {
        let r = self.reciprocal(a);
        self.mul_scalar(r, c)
    }

    /// `a ** c` for a Python number `c` (`PowBackward0`, one edge).
    pub fn pow_scalar(&mut self, a: Var, c: f64) -> Var {
        self.unary(Op::PowScalar { exponent: c }, a)
    }

    /// `c ** a` for a Python number `c`: `torch.pow(c, a)` (`PowBackward2`, one edge).
    pub fn rpow_scalar(&mut self, c: f64, a: Var) -> Var {
        self.unary(Op::ScalarPow { base: c }, a)
    }

    /// `-a` (`NegBackward0`).
    pub fn neg(&mut self, a: Var) -> Var {
        self.unary(Op::Neg, a)
    }

    /// `a.reciprocal()` (`ReciprocalBackward0`).
    pub fn reciprocal(&mut self, a: Var) -> Var {
        self.unary(Op::Reciprocal, a)
    }

    /// `torch.sin(a)` (`SinBackward0`).
    pub fn sin(&mut self, a: Var) -> Var {
        self.unary(Op::Sin, a)
    }

    /// `torch.cos(a)` (`CosBackward0`).
    pub fn cos(&mut self, a: Var) -> Var {
        self.unary(Op::Cos, a)
    }

    /// `torch.exp(a)` (`ExpBackward0`).
    pub fn exp(&mut self, a: Var) -> Var {
        self.unary(Op::Exp, a)
    }

    /// `torch.log(a)` (`LogBackward0`).
    pub fn log(&mut self, a: Var) -> Var {
        self.unary(Op::Log, a)
    }

    /// `torch.tanh(a)` (`TanhBackward0`).
    pub fn tanh(&mut self, a: Var) -> Var {
        self.unary(Op::Tanh, a)
    }

    /// `torch.sigmoid(a)` (`SigmoidBackward0`).
    pub fn sigmoid(&mut self, a: Var) -> Var {
        self.unary(Op::Sigmoid, a)
    }

    /// `torch.relu(a)` (`ReluBackward0`).
    pub fn relu(&mut self, a: Var) -> Var {
        self.unary(Op::Relu, a)
    }

    /// `out.backward()`: the gradient of `out` with respect to every node and tensor.
    ///
    /// If `out` does not require grad (PyTorch raises an error there) every gradient is
    /// absent.
    pub fn backward(&self, out: Var) -> Gradients {
        Gradients::compute(self, out)
    }

    pub(crate) fn tensor_count(&self) -> usize {
        self.tensors.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_operands_have_no_edge() {
        let mut tape = Tape::new();
        let x = tape.leaf("x", 2.0);
        let y = tape.mul_scalar(x, 3.0);
        let node = tape.node(tape.grad_edge(y).unwrap_or(NodeId(0)));
        assert_eq!(node.op.class_name(), "MulBackward0");
        assert_eq!(node.next, vec![Some(NodeId(0)), None]);
        assert_eq!(node.sources, vec![Some(x), None]);
        assert_eq!(tape.value(y), 6.0);
    }

    #[test]
    fn reflected_division_records_two_nodes() {
        let mut tape = Tape::new();
        let x = tape.leaf("x", 4.0);
        let y = tape.rdiv_scalar(2.0, x);
        assert_eq!(tape.node_count(), 3);
        let names: Vec<&str> = tape.nodes().map(|(_, n)| n.op.class_name()).collect();
        assert_eq!(
            names,
            ["AccumulateGrad", "ReciprocalBackward0", "MulBackward0"]
        );
        assert_eq!(tape.value(y), 0.5);
        // d(2/x)/dx = -2/x² = -0.125, exactly representable.
        assert_eq!(tape.backward(y).of(x), -0.125);
    }

    #[test]
    fn constants_record_nothing() {
        let mut tape = Tape::new();
        let c = tape.constant(2.0);
        let d = tape.exp(c);
        let e = tape.rpow_scalar(2.0, d);
        assert_eq!(tape.node_count(), 0);
        assert!(!tape.requires_grad(e));
        assert_eq!(tape.leaf_name(c), None);
    }
}
