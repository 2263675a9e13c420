//! A validated 1-D network: parameters, nodes in topological order, fast forward and reverse
//! passes (used by the sweep; the worked examples also go through the autograd tape).

use serde::{Deserialize, Serialize};

/// The activation σ of every non-input node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    /// The logistic sigmoid 1 / (1 + e^(−z)).
    Sigmoid,
    /// The hyperbolic tangent.
    Tanh,
}

impl Activation {
    /// The names accepted in study files.
    pub const NAMES: &'static [&'static str] = &["sigmoid", "tanh"];

    /// The activation called `name`, if the tool knows it.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sigmoid" => Some(Self::Sigmoid),
            "tanh" => Some(Self::Tanh),
            _ => None,
        }
    }

    /// σ(z).
    pub fn value(self, z: f64) -> f64 {
        match self {
            Self::Sigmoid => sigmoid(z),
            Self::Tanh => z.tanh(),
        }
    }

    /// σ'(z), computed so that it stays accurate (and positive until it underflows) for
    /// large |z|.
    pub fn derivative(self, z: f64) -> f64 {
        match self {
            Self::Sigmoid => sigmoid(z) * sigmoid(-z),
            Self::Tanh => {
                let c = z.cosh();
                1.0 / (c * c)
            }
        }
    }

    /// `(σ(z), σ'(z))`, bit for bit equal to `(self.value(z), self.derivative(z))` with one
    /// exponential instead of three: σ(z) and σ(−z) share `e^(−|z|)`.
    pub fn value_and_derivative(self, z: f64) -> (f64, f64) {
        match self {
            Self::Sigmoid => {
                // `sigmoid` of z and of −z both take the exponential of −|z| (for z = ±0,
                // exp(∓0) = 1 either way); the two quotients are its two branches.
                let (e, nonnegative) = if z >= 0.0 {
                    ((-z).exp(), true)
                } else {
                    (z.exp(), false)
                };
                let (large, small) = (1.0 / (1.0 + e), e / (1.0 + e));
                // σ(z) is the large quotient for z ≥ 0; σ(−z) is then the small one.
                let (s, s_neg) = if nonnegative {
                    (large, small)
                } else {
                    (small, large)
                };
                (s, s * s_neg)
            }
            Self::Tanh => (self.value(z), self.derivative(z)),
        }
    }

    /// sup σ' (at z = 0).
    pub fn max_derivative(self) -> f64 {
        match self {
            Self::Sigmoid => 0.25,
            Self::Tanh => 1.0,
        }
    }

    /// sup |(ln σ')'|: ln σ' is this-Lipschitz (sigmoid: 1 − 2σ; tanh: −2 tanh).
    pub fn log_derivative_lipschitz(self) -> f64 {
        match self {
            Self::Sigmoid => 1.0,
            Self::Tanh => 2.0,
        }
    }

    /// sup |σ|.
    pub fn max_abs(self) -> f64 {
        1.0
    }

    /// Whether σ > 0 everywhere (then every hidden value is positive).
    pub fn positive(self) -> bool {
        matches!(self, Self::Sigmoid)
    }
}

/// Make `buf` hold `len` copies of `value`, reusing its allocation.
fn refill(buf: &mut Vec<f64>, len: usize, value: f64) {
    buf.clear();
    buf.resize(len, value);
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// What a parameter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The network's input.
    Input,
    /// A weight on one or more chain edges.
    Weight,
    /// A bias of one or more nodes.
    Bias,
}

/// A named parameter (the input counts as one so that sweeps can vary it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// Its name in the study file.
    pub name: String,
    /// What it is.
    pub role: Role,
}

/// Where a short circuit's value is added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Enters {
    /// Into the target's pre-activation: `σ(w·h + b + wc·h_from)`.
    PreActivation,
    /// After the target's activation: `σ(w·h + b) + wc·h_from`.
    PostActivation,
}

/// One input of a node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Incoming {
    /// A chain edge weighted by parameter `weight`.
    Edge {
        /// Source node.
        from: usize,
        /// Index of the weight parameter.
        weight: usize,
    },
    /// A short circuit with fixed weight `wc`.
    Skip {
        /// Source node.
        from: usize,
        /// The fixed weight.
        wc: f64,
        /// Where it is added.
        enters: Enters,
    },
}

/// A network ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// The activation of every non-input node.
    pub activation: Activation,
    /// Node names.
    pub nodes: Vec<String>,
    /// Index of the input node.
    pub input: usize,
    /// Index of the output node.
    pub output: usize,
    /// Non-input nodes in topological order.
    pub order: Vec<usize>,
    /// Inputs of every node.
    pub incoming: Vec<Vec<Incoming>>,
    /// Bias parameter of every node.
    pub bias: Vec<Option<usize>>,
    /// The parameters, shared by the chain and its skip networks.
    pub params: Vec<Param>,
}

/// Values of one forward and reverse pass.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evaluation {
    /// Pre-activation of every node (`NaN` for the input).
    pub z: Vec<f64>,
    /// Value of every node.
    pub h: Vec<f64>,
    /// σ'(z) of every node (`NaN` for the input).
    pub dsigma: Vec<f64>,
    /// d output / d parameter, by parameter index.
    pub grads: Vec<f64>,
}

impl Network {
    /// The network's output.
    pub fn output_value(&self, eval: &Evaluation) -> f64 {
        eval.h[self.output]
    }

    /// Forward and reverse pass for parameter values `values` (by parameter index).
    pub fn evaluate(&self, values: &[f64]) -> Evaluation {
        let mut eval = Evaluation::default();
        self.evaluate_into(values, &mut eval, &mut Vec::new());
        eval
    }

    /// [`Network::evaluate`] into buffers that are reused from one call to the next (the
    /// sweep's hot loop allocates nothing once they have grown): `eval` receives the result,
    /// `gh` is scratch space for d output / d node value.
    pub fn evaluate_into(&self, values: &[f64], eval: &mut Evaluation, gh: &mut Vec<f64>) {
        let n = self.nodes.len();
        let Evaluation {
            z,
            h,
            dsigma,
            grads,
        } = eval;
        refill(z, n, f64::NAN);
        refill(h, n, 0.0);
        refill(dsigma, n, f64::NAN);
        refill(gh, n, 0.0);
        refill(grads, self.params.len(), 0.0);
        h[self.input] = self.input_value(values);
        for &k in &self.order {
            let mut pre = self.bias[k].map_or(0.0, |b| values[b]);
            let mut post = 0.0;
            for inc in &self.incoming[k] {
                match *inc {
                    Incoming::Edge { from, weight } => pre += values[weight] * h[from],
                    Incoming::Skip { from, wc, enters } => match enters {
                        Enters::PreActivation => pre += wc * h[from],
                        Enters::PostActivation => post += wc * h[from],
                    },
                }
            }
            let (value, derivative) = self.activation.value_and_derivative(pre);
            z[k] = pre;
            h[k] = value + post;
            dsigma[k] = derivative;
        }
        gh[self.output] = 1.0;
        for &k in self.order.iter().rev() {
            let gz = gh[k] * dsigma[k];
            if let Some(b) = self.bias[k] {
                grads[b] += gz;
            }
            for inc in &self.incoming[k] {
                match *inc {
                    Incoming::Edge { from, weight } => {
                        gh[from] += values[weight] * gz;
                        grads[weight] += h[from] * gz;
                    }
                    Incoming::Skip { from, wc, enters } => match enters {
                        Enters::PreActivation => gh[from] += wc * gz,
                        Enters::PostActivation => gh[from] += wc * gh[k],
                    },
                }
            }
        }
        if let Some(x) = self.input_param() {
            grads[x] += gh[self.input];
        }
    }

    /// Index of the parameter holding the input value.
    pub fn input_param(&self) -> Option<usize> {
        self.params.iter().position(|p| p.role == Role::Input)
    }

    fn input_value(&self, values: &[f64]) -> f64 {
        self.input_param().map_or(0.0, |i| values[i])
    }

    /// Index of the parameter called `name`.
    pub fn param(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }

    /// The weight parameters on edges that do not leave the input node: the weights that
    /// appear in the path products of every gradient.
    pub fn path_weights(&self) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for list in &self.incoming {
            for inc in list {
                if let Incoming::Edge { from, weight } = *inc
                    && from != self.input
                    && !out.contains(&weight)
                {
                    out.push(weight);
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// The short circuits as `(from, to, wc, enters)`.
    pub fn skips(&self) -> Vec<(usize, usize, f64, Enters)> {
        let mut out = Vec::new();
        for (to, list) in self.incoming.iter().enumerate() {
            for inc in list {
                if let Incoming::Skip { from, wc, enters } = *inc {
                    out.push((from, to, wc, enters));
                }
            }
        }
        out
    }

    /// Whether every short circuit's fixed weight is at least 0 (without it no parameter set
    /// has every weight non-negative).
    pub fn skip_weights_nonnegative(&self) -> bool {
        self.skips().iter().all(|s| s.2 >= 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_derivative_matches_closed_form_and_stays_positive() {
        for z in [-30.0, -2.0, 0.0, 0.5, 3.0, 30.0] {
            let s = 1.0 / (1.0 + f64::exp(-z));
            let d = Activation::Sigmoid.derivative(z);
            assert!((d - s * (1.0 - s)).abs() <= 1e-15, "z = {z}");
            assert!(d > 0.0);
        }
        assert_eq!(Activation::Sigmoid.derivative(0.0), 0.25);
        assert!(Activation::Sigmoid.derivative(200.0) > 0.0);
    }

    #[test]
    fn value_and_derivative_equal_the_separate_functions_bit_for_bit() {
        let mut zs = vec![
            0.0,
            -0.0,
            1e-300,
            -1e-300,
            0.5,
            -0.5,
            36.7,
            -36.7,
            709.0,
            -709.0,
            745.2,
            -745.2,
            1e308,
            -1e308,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
        ];
        // A dense deterministic spread over [-60, 60] (every binade the sweep meets).
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            zs.push((x >> 11) as f64 / (1u64 << 53) as f64 * 120.0 - 60.0);
        }
        for act in [Activation::Sigmoid, Activation::Tanh] {
            for &z in &zs {
                let (v, d) = act.value_and_derivative(z);
                assert_eq!(v.to_bits(), act.value(z).to_bits(), "{act:?} σ({z})");
                assert_eq!(d.to_bits(), act.derivative(z).to_bits(), "{act:?} σ'({z})");
            }
            let (v, d) = act.value_and_derivative(f64::NAN);
            assert!(v.is_nan() && d.is_nan());
        }
    }

    #[test]
    fn tanh_derivative_matches_closed_form() {
        for z in [-3.0, -0.5, 0.0, 1.0, 4.0] {
            let t = f64::tanh(z);
            assert!((Activation::Tanh.derivative(z) - (1.0 - t * t)).abs() <= 1e-15);
        }
    }

    #[test]
    fn log_derivative_lipschitz_constants_hold() {
        // (ln σ')' = 1 − 2σ for the sigmoid and −2 tanh for tanh: check by differences.
        for act in [Activation::Sigmoid, Activation::Tanh] {
            for z in [-5.0, -1.0, 0.0, 0.7, 6.0] {
                let h = 1e-5;
                let slope = (act.derivative(z + h).ln() - act.derivative(z - h).ln()) / (2.0 * h);
                assert!(slope.abs() <= act.log_derivative_lipschitz() + 1e-6);
            }
        }
    }
}
