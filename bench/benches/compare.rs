//! tapegrad next to other Rust automatic-differentiation crates, in one run:
//! `cargo bench --bench compare` prints one table, in about 15 seconds once built, and
//! for `chain` the time of the `f64` function computing its partials too, the floor of
//! any reverse mode whose partials are `f64`'s.
//!
//! Each function is written once, generic over `num_traits::Float`, and run on `f64`
//! (the baseline), on tapegrad's `Var`, on echidna's `Reverse<f64>` (a `Float`), on
//! ad_trait's reverse type `adr` and, where the number of inputs is small, on num-dual's
//! forward `DualSVec64<N>`. `adr` and num-dual's numbers are not `Float`s: each goes
//! through a thin newtype that implements `Float` by forwarding to the crate's own
//! traits ([`Adr`], [`Nd`]). The `reverse` crate's `Var` holds a reference to its tape
//! and so cannot make a constant out of nothing (`Float::zero()`, `Float::from`): each
//! function has a copy written for it, with the same operations in the same order.
//! The `mlp` row runs `tapegrad_nn` on `f64` and on tapegrad, and the peers run the
//! same network written out generically (checked against `tapegrad_nn`).
//!
//! Every gradient is timed as a loop runs it: reset the tape, make the inputs, record
//! the function, sweep backwards and read the gradient out, through each crate's own
//! entry point. Before anything is timed, every tool's gradient is checked against
//! tapegrad's; the run stops if one disagrees.
//!
//! Timing: criterion would take minutes for this many cells, so this file has its own
//! loop. For each cell the number of calls per batch is raised until a batch takes at
//! least [`BATCH`] (which also warms the cell up), one more batch is thrown away, then
//! [`SAMPLES`] batches are timed, round-robin over the tools of a function so that a
//! change of the machine's speed during the run hits all of them alike. A cell reports
//! the median time per call.

use std::cell::RefCell;
use std::hint::black_box;
use std::num::FpCategory;
use std::ops::{Add, Div, Mul, Neg, Rem, Sub};
use std::time::{Duration, Instant};

use ad_trait::AD;
use ad_trait::reverse_ad::adr::{ComputationGraphNode, GlobalComputationGraph, adr};
use nalgebra_0_34::{ComplexField, RealField};
use num_dual::{DualNum, DualSVec64};
use num_traits::{Float, Num, NumCast, One, ToPrimitive, Zero};
use tapegrad::{Tape, Var};
use tapegrad_nn::data::{SplitMix64, moons};
use tapegrad_nn::{MLP, Module, Workspace, hinge_loss, l2_regularization};

/// The shortest time a timed batch of calls takes.
const BATCH: Duration = Duration::from_millis(10);
/// How many batches each cell times.
const SAMPLES: usize = 31;
/// The largest difference from tapegrad's gradient that a check accepts, relative to the
/// entry (see [`difference`]).
const TOLERANCE: f64 = 1e-10;
/// The number of inputs of the functions that num-dual's forward mode runs: it carries
/// one tangent per input through every operation, so only small `n` are worth timing.
const FORWARD_INPUTS: usize = 100;

/// The cell of [`Function::plain_with_partials`], after the tools' cells.
const FLOOR: usize = TOOLS.len();

/// The tools, in the order of the table's columns.
const TOOLS: [&str; 6] = [
    "f64", "tapegrad", "ad_trait", "echidna", "reverse", "num-dual",
];

type RVar<'t> = reverse::Var<'t>;

// ---------------------------------------------------------------------------------------
// The functions.

/// A function to differentiate, as each tool runs it.
trait Function {
    /// The row's name.
    fn name(&self) -> &'static str;
    /// What the row computes, for the legend.
    fn describe(&self) -> String;
    /// The point at which the gradient is taken.
    fn point(&self) -> &[f64];
    /// Whether num-dual's forward mode runs it (`FORWARD_INPUTS` inputs).
    fn forward_mode(&self) -> bool {
        false
    }
    /// Whether [`plain`](Function::plain) and [`tapegrad`](Function::tapegrad) run other
    /// code than [`generic`](Function::generic), which the peers run.
    fn peers_run_a_copy(&self) -> bool {
        false
    }
    /// The function, written once for any float type.
    fn generic<T: Float>(&self, x: &[T]) -> T;
    /// The same function on `reverse::Var`, which is not a `Float`.
    fn reverse<'t>(&self, x: &[RVar<'t>]) -> RVar<'t>;
    /// The plain `f64` evaluation.
    fn plain(&self, x: &[f64]) -> f64 {
        self.generic(x)
    }
    /// The plain `f64` evaluation together with every local partial derivative that a
    /// tape records for it, computed as `f64` computes them and then dropped: no tape,
    /// no sweep. Any reverse mode whose partials equal `f64`'s needs at least this
    /// time. Only where the partials cost more than the function ([`Chain`]).
    fn plain_with_partials(&self, _x: &[f64]) -> Option<f64> {
        None
    }
    /// tapegrad's gradient, through the per-thread tape that `gradient_into` reuses.
    fn tapegrad(&self, x: &[f64], gradient: &mut [f64]) -> f64 {
        tapegrad::gradient_into(|v| self.generic(v), x, gradient)
    }
    /// How many nodes tapegrad records for one gradient, and their bytes.
    fn tapegrad_nodes(&self) -> (usize, usize) {
        let tape = Tape::new();
        let x = tape.vars(self.point());
        black_box(self.generic(&x));
        (tape.len(), tape.memory_bytes())
    }
}

/// `t = sin(cos(t) * x[r])`, alternating with `t = cos(sin(t) * x[r])`, over fixed
/// pseudo-random indices `r`: the benchmark of Liang & Rakita's ad-trait paper.
struct Chain {
    x: Vec<f64>,
    indices: Vec<usize>,
}

impl Chain {
    fn new() -> Self {
        let (n, steps) = (FORWARD_INPUTS, 1000);
        let mut rng = SplitMix64::new(2);
        // From [2, 3]: smaller inputs drive the adjoints into subnormal numbers, and the
        // benchmark would time the processor's slow path for them.
        let x = (0..n).map(|_| rng.uniform_in(2.0, 3.0)).collect();
        let indices = (0..steps).map(|_| rng.below(n)).collect();
        Chain { x, indices }
    }
}

impl Function for Chain {
    fn name(&self) -> &'static str {
        "chain"
    }
    fn describe(&self) -> String {
        format!(
            "{} inputs from [2, 3], {} steps of t = sin(cos(t) x[r]) / cos(sin(t) x[r])",
            self.x.len(),
            self.indices.len()
        )
    }
    fn point(&self) -> &[f64] {
        &self.x
    }
    fn forward_mode(&self) -> bool {
        true
    }
    fn generic<T: Float>(&self, x: &[T]) -> T {
        let mut t = x[0];
        for (step, &r) in self.indices.iter().enumerate() {
            t = if step % 2 == 0 {
                (t.cos() * x[r]).sin()
            } else {
                (t.sin() * x[r]).cos()
            };
        }
        t
    }
    fn reverse<'t>(&self, x: &[RVar<'t>]) -> RVar<'t> {
        let mut t = x[0];
        for (step, &r) in self.indices.iter().enumerate() {
            t = if step % 2 == 0 {
                (t.cos() * x[r]).sin()
            } else {
                (t.sin() * x[r]).cos()
            };
        }
        t
    }
    fn plain_with_partials(&self, x: &[f64]) -> Option<f64> {
        // Each step needs the other one of sin and cos of both arguments, as the
        // derivative of the one it takes: four libm evaluations instead of two.
        let mut t = x[0];
        for (step, &r) in self.indices.iter().enumerate() {
            let (sin_t, cos_t) = t.sin_cos();
            let u = if step % 2 == 0 { cos_t } else { sin_t } * x[r];
            let (sin_u, cos_u) = u.sin_cos();
            black_box((sin_t, cos_t, sin_u, cos_u));
            t = if step % 2 == 0 { sin_u } else { cos_u };
        }
        Some(t)
    }
}

/// Extended Rosenbrock.
struct Rosenbrock {
    x: Vec<f64>,
}

impl Rosenbrock {
    fn new() -> Self {
        let mut rng = SplitMix64::new(1);
        Rosenbrock {
            x: (0..1000).map(|_| rng.uniform_in(-2.0, 2.0)).collect(),
        }
    }
}

impl Function for Rosenbrock {
    fn name(&self) -> &'static str {
        "rosenbrock"
    }
    fn describe(&self) -> String {
        format!(
            "extended Rosenbrock, n = {}: Σ 100 (x[i+1] - x[i]²)² + (1 - x[i])²",
            self.x.len()
        )
    }
    fn point(&self) -> &[f64] {
        &self.x
    }
    fn generic<T: Float>(&self, x: &[T]) -> T {
        let (one, hundred) = (T::one(), T::from(100.0).unwrap());
        x.windows(2)
            .map(|w| hundred * (w[1] - w[0] * w[0]).powi(2) + (one - w[0]).powi(2))
            .fold(T::zero(), |sum, term| sum + term)
    }
    fn reverse<'t>(&self, x: &[RVar<'t>]) -> RVar<'t> {
        // `reverse` has no zero to start a fold from: its own `Sum` starts from the first
        // term.
        x.windows(2)
            .map(|w| 100.0 * (w[1] - w[0] * w[0]).powi(2) + (1.0 - w[0]).powi(2))
            .sum()
    }
}

/// `ln Σ exp(x_i)`, computed stably as `m + ln Σ exp(x_i - m)` with `m = max x_i`.
struct LogSumExp {
    x: Vec<f64>,
}

impl LogSumExp {
    fn new() -> Self {
        let mut rng = SplitMix64::new(3);
        LogSumExp {
            x: (0..16384).map(|_| rng.uniform_in(-5.0, 5.0)).collect(),
        }
    }
}

impl Function for LogSumExp {
    fn name(&self) -> &'static str {
        "logsumexp"
    }
    fn describe(&self) -> String {
        format!(
            "ln Σ exp(x_i), n = {}, stable: m + ln Σ exp(x_i - m), m = max x_i",
            self.x.len()
        )
    }
    fn point(&self) -> &[f64] {
        &self.x
    }
    fn generic<T: Float>(&self, x: &[T]) -> T {
        let m = x.iter().fold(T::neg_infinity(), |m, &xi| m.max(xi));
        let mut sum = T::zero();
        for &xi in x {
            sum = sum + (xi - m).exp();
        }
        m + sum.ln()
    }
    fn reverse<'t>(&self, x: &[RVar<'t>]) -> RVar<'t> {
        // `reverse::Var` has no `max`: the maximum is taken on the values, as a constant.
        // The gradient is the same, since m cancels out of the function.
        let m = x.iter().fold(f64::NEG_INFINITY, |m, xi| m.max(xi.val));
        let mut sum = (x[0] - m).exp();
        for &xi in &x[1..] {
            sum = sum + (xi - m).exp();
        }
        sum.ln() + m
    }
}

/// `Σ x_i²`, summed in a plain loop.
struct SumSquares {
    x: Vec<f64>,
}

impl SumSquares {
    fn new() -> Self {
        let mut rng = SplitMix64::new(4);
        SumSquares {
            x: (0..16384).map(|_| rng.uniform_in(-1.0, 1.0)).collect(),
        }
    }
}

impl Function for SumSquares {
    fn name(&self) -> &'static str {
        "sum_sq"
    }
    fn describe(&self) -> String {
        format!("Σ x_i * x_i in a plain loop, n = {}", self.x.len())
    }
    fn point(&self) -> &[f64] {
        &self.x
    }
    fn generic<T: Float>(&self, x: &[T]) -> T {
        let mut sum = T::zero();
        for &xi in x {
            sum = sum + xi * xi;
        }
        sum
    }
    fn reverse<'t>(&self, x: &[RVar<'t>]) -> RVar<'t> {
        let mut sum = x[0] * x[0];
        for &xi in &x[1..] {
            sum = sum + xi * xi;
        }
        sum
    }
}

/// The L2 weight of micrograd's moons demo.
const ALPHA: f64 = 1e-4;

/// One training-step loss of micrograd's moons model: `MLP(2, [16, 16, 1])` on 100
/// points, max-margin (hinge) loss plus L2 regularization, as a function of the 337
/// parameters.
///
/// `f64` and tapegrad run `tapegrad_nn`; the peers run [`Mlp::generic`], the same
/// network written out over a flat parameter slice in the same layout (each neuron's
/// weights, then its bias; ReLU hidden layers, a linear last layer) and with the same
/// operations in the same order. The checks compare it with `tapegrad_nn` too.
struct Mlp {
    model: MLP,
    /// `(inputs, outputs, relu)` of each layer.
    layers: Vec<(usize, usize, bool)>,
    parameters: Vec<f64>,
    points: Vec<[f64; 2]>,
    labels: Vec<f64>,
    plain_buffers: RefCell<(Workspace<f64>, Vec<f64>)>,
    var_buffers: RefCell<(Workspace<Var<'static>>, Vec<Var<'static>>)>,
}

impl Mlp {
    fn new() -> Self {
        let model = MLP::new(2, &[16, 16, 1]);
        let count = model.layers().len();
        let layers = model
            .layers()
            .iter()
            .enumerate()
            .map(|(k, layer)| (layer.inputs(), layer.outputs(), k + 1 < count))
            .collect();
        let data = moons(100, 0.1, 1337);
        Mlp {
            layers,
            parameters: model.parameters().to_vec(),
            labels: data.signed_labels(),
            points: data.points,
            model,
            plain_buffers: RefCell::new((Workspace::new(), Vec::new())),
            var_buffers: RefCell::new((Workspace::new(), Vec::new())),
        }
    }

    /// The loss through `tapegrad_nn`, for `f64` or tapegrad's `Var`.
    fn nn_loss<'t>(
        &self,
        p: &[Var<'t>],
        workspace: &mut Workspace<Var<'t>>,
        scores: &mut Vec<Var<'t>>,
    ) -> Var<'t> {
        scores.clear();
        for x in &self.points {
            scores.push(self.model.forward(p, x, workspace)[0]);
        }
        hinge_loss(scores, &self.labels) + l2_regularization(p, ALPHA)
    }
}

impl Function for Mlp {
    fn name(&self) -> &'static str {
        "mlp"
    }
    fn describe(&self) -> String {
        format!(
            "micrograd's moons step: MLP(2, [16, 16, 1]), {} parameters, {} points, \
             hinge loss + {ALPHA:e} L2",
            self.parameters.len(),
            self.points.len()
        )
    }
    fn point(&self) -> &[f64] {
        &self.parameters
    }
    fn peers_run_a_copy(&self) -> bool {
        true
    }
    fn generic<T: Float>(&self, p: &[T]) -> T {
        let (zero, one) = (T::zero(), T::one());
        let mut current: Vec<T> = Vec::with_capacity(16);
        let mut next: Vec<T> = Vec::with_capacity(16);
        let mut hinge = zero;
        for (point, &label) in self.points.iter().zip(&self.labels) {
            current.clear();
            current.extend(point.iter().map(|&v| T::from(v).unwrap()));
            let mut offset = 0;
            for &(inputs, outputs, relu) in &self.layers {
                next.clear();
                for _ in 0..outputs {
                    let (weights, bias) = (&p[offset..offset + inputs], p[offset + inputs]);
                    offset += inputs + 1;
                    let sum = weights
                        .iter()
                        .zip(&current)
                        .fold(bias, |sum, (&w, &x)| sum + w * x);
                    next.push(if !relu || sum > zero { sum } else { zero });
                }
                std::mem::swap(&mut current, &mut next);
            }
            let margin = one - T::from(label).unwrap() * current[0];
            hinge = hinge + if margin > zero { margin } else { zero };
        }
        let squares = p.iter().fold(zero, |sum, &q| sum + q * q);
        hinge * T::from(1.0 / self.points.len() as f64).unwrap() + T::from(ALPHA).unwrap() * squares
    }
    fn reverse<'t>(&self, p: &[RVar<'t>]) -> RVar<'t> {
        // `reverse` cannot make a constant 0 of type `Var`: one input-like node holding
        // 0 stands for it (its derivative is never read).
        let zero = p[0].tape.add_var(0.0);
        let mut current: Vec<RVar<'t>> = Vec::with_capacity(16);
        let mut next: Vec<RVar<'t>> = Vec::with_capacity(16);
        let mut hinge = zero;
        for (point, &label) in self.points.iter().zip(&self.labels) {
            // The first layer multiplies by the data as `f64`s.
            let mut offset = 0;
            let (inputs, outputs, _) = self.layers[0];
            for _ in 0..outputs {
                let (weights, bias) = (&p[offset..offset + inputs], p[offset + inputs]);
                offset += inputs + 1;
                let sum = weights
                    .iter()
                    .zip(point)
                    .fold(bias, |sum, (&w, &x)| sum + w * x);
                current.push(if sum.val > 0.0 { sum } else { zero });
            }
            for &(inputs, outputs, relu) in &self.layers[1..] {
                next.clear();
                for _ in 0..outputs {
                    let (weights, bias) = (&p[offset..offset + inputs], p[offset + inputs]);
                    offset += inputs + 1;
                    let sum = weights
                        .iter()
                        .zip(&current)
                        .fold(bias, |sum, (&w, &x)| sum + w * x);
                    next.push(if !relu || sum.val > 0.0 { sum } else { zero });
                }
                std::mem::swap(&mut current, &mut next);
            }
            let margin = 1.0 - label * current[0];
            hinge = hinge + if margin.val > 0.0 { margin } else { zero };
            current.clear();
        }
        let squares = p.iter().fold(zero, |sum, &q| sum + q * q);
        hinge * (1.0 / self.points.len() as f64) + ALPHA * squares
    }
    fn plain(&self, p: &[f64]) -> f64 {
        let (workspace, scores) = &mut *self.plain_buffers.borrow_mut();
        scores.clear();
        for x in &self.points {
            scores.push(self.model.forward(p, x, workspace)[0]);
        }
        hinge_loss(scores, &self.labels) + l2_regularization(p, ALPHA)
    }
    fn tapegrad(&self, x: &[f64], gradient: &mut [f64]) -> f64 {
        let (workspace, scores) = &mut *self.var_buffers.borrow_mut();
        tapegrad::gradient_into(|p| self.nn_loss(p, workspace, scores), x, gradient)
    }
    fn tapegrad_nodes(&self) -> (usize, usize) {
        let tape = Tape::new();
        let p = tape.vars(&self.parameters);
        black_box(self.nn_loss(&p, &mut Workspace::new(), &mut Vec::new()));
        (tape.len(), tape.memory_bytes())
    }
}

/// Lax–Wendroff for `u_t + c u_x = 0` on a periodic grid (Adept's benchmark), in flux
/// form: `F[j] = ν/2 (q[j] + q[j+1] + ν (q[j] - q[j+1]))`, `q[j] -= F[j] - F[j-1]`, with
/// Courant number `ν`. The output is `Σ q²` of the final state; the inputs are the
/// initial state.
struct Advection {
    q0: Vec<f64>,
    steps: usize,
}

/// The Courant number `c Δt / Δx` of [`Advection`].
const COURANT: f64 = 0.5;

impl Advection {
    fn new() -> Self {
        let n = FORWARD_INPUTS;
        let mut rng = SplitMix64::new(5);
        // A smooth bump with some noise on it.
        let q0 = (0..n)
            .map(|j| {
                let s = (j as f64 - n as f64 / 2.0) / (n as f64 / 10.0);
                (-s * s).exp() + 0.1 * rng.uniform()
            })
            .collect();
        Advection { q0, steps: 200 }
    }
}

impl Function for Advection {
    fn name(&self) -> &'static str {
        "advection"
    }
    fn describe(&self) -> String {
        format!(
            "Lax–Wendroff, {} cells, {} steps, Courant number {COURANT}, periodic; Σ q² at \
             the end, w.r.t. the initial state",
            self.q0.len(),
            self.steps
        )
    }
    fn point(&self) -> &[f64] {
        &self.q0
    }
    fn forward_mode(&self) -> bool {
        true
    }
    fn generic<T: Float>(&self, q0: &[T]) -> T {
        let n = q0.len();
        let c = T::from(COURANT).unwrap();
        let half_c = T::from(0.5 * COURANT).unwrap();
        let mut q = q0.to_vec();
        let mut flux = vec![T::zero(); n];
        for _ in 0..self.steps {
            for j in 0..n {
                let (here, right) = (q[j], q[if j + 1 == n { 0 } else { j + 1 }]);
                flux[j] = half_c * (here + right + c * (here - right));
            }
            q[0] = q[0] - (flux[0] - flux[n - 1]);
            for j in 1..n {
                q[j] = q[j] - (flux[j] - flux[j - 1]);
            }
        }
        q.iter().fold(T::zero(), |sum, &v| sum + v * v)
    }
    fn reverse<'t>(&self, q0: &[RVar<'t>]) -> RVar<'t> {
        let n = q0.len();
        let (c, half_c) = (COURANT, 0.5 * COURANT);
        let mut q = q0.to_vec();
        let mut flux = q0.to_vec(); // every entry is written before it is read
        for _ in 0..self.steps {
            for j in 0..n {
                let (here, right) = (q[j], q[if j + 1 == n { 0 } else { j + 1 }]);
                flux[j] = half_c * (here + right + c * (here - right));
            }
            q[0] = q[0] - (flux[0] - flux[n - 1]);
            for j in 1..n {
                q[j] = q[j] - (flux[j] - flux[j - 1]);
            }
        }
        q.iter().map(|&v| v * v).sum()
    }
}

// ---------------------------------------------------------------------------------------
// The tools' gradients, each through the crate's own entry point, with the tape reset a
// loop needs.

/// ad_trait: reset the thread's global graph, make the inputs, record, sweep backwards
/// (what its `ReverseAD` derivative method does, without the Jacobian matrix).
fn ad_trait_gradient(
    f: impl FnOnce(&[Adr]) -> Adr,
    x: &[f64],
    inputs: &mut Vec<Adr>,
    gradient: &mut [f64],
) -> f64 {
    GlobalComputationGraph::get().reset();
    inputs.clear();
    inputs.extend(x.iter().map(|&v| Adr(adr::new_variable(v, false))));
    let y = f(inputs);
    let grads = y.0.get_backwards_mode_grad();
    for (g, input) in gradient.iter_mut().zip(inputs.iter()) {
        *g = grads.wrt(&input.0);
    }
    y.0.value()
}

/// reverse: clear the tape (it keeps its memory), add the inputs, record, sweep.
fn reverse_gradient<F>(tape: &reverse::Tape, x: &[f64], gradient: &mut [f64], f: F) -> f64
where
    F: for<'t> FnOnce(&[RVar<'t>]) -> RVar<'t>,
{
    use reverse::Gradient;
    tape.clear();
    let inputs = tape.add_vars(x);
    let y = f(&inputs);
    let grads = y.grad();
    for (g, input) in gradient.iter_mut().zip(&inputs) {
        *g = grads.wrt(input);
    }
    y.val
}

/// num-dual: one forward pass carrying all `N` tangents at once.
fn num_dual_gradient<const N: usize>(
    f: impl FnOnce(&[Nd<N>]) -> Nd<N>,
    x: &[f64],
    inputs: &mut Vec<Nd<N>>,
    gradient: &mut [f64],
) -> f64 {
    assert_eq!(x.len(), N, "num-dual runs {N} inputs, not {}", x.len());
    inputs.clear();
    inputs.extend(
        x.iter()
            .enumerate()
            .map(|(i, &v)| Nd(DualSVec64::<N>::from(v).derivative(i))),
    );
    let y = f(inputs);
    match &y.0.eps.0 {
        Some(tangents) => {
            for (g, &d) in gradient.iter_mut().zip(tangents.iter()) {
                *g = d;
            }
        }
        None => gradient.fill(0.0),
    }
    y.0.re
}

// ---------------------------------------------------------------------------------------
// Thin `num_traits::Float` adapters for the peers whose types are not `Float`.

/// The arithmetic, `Zero`, `One`, `Num`, `NumCast` and `ToPrimitive` of a newtype with
/// `constant(f64)` and `value()`.
macro_rules! newtype_arithmetic {
    ([$($generics:tt)*] $t:ty) => {
        impl<$($generics)*> Add for $t {
            type Output = Self;
            #[inline]
            fn add(self, other: Self) -> Self {
                Self(self.0 + other.0)
            }
        }
        impl<$($generics)*> Sub for $t {
            type Output = Self;
            #[inline]
            fn sub(self, other: Self) -> Self {
                Self(self.0 - other.0)
            }
        }
        impl<$($generics)*> Mul for $t {
            type Output = Self;
            #[inline]
            fn mul(self, other: Self) -> Self {
                Self(self.0 * other.0)
            }
        }
        impl<$($generics)*> Div for $t {
            type Output = Self;
            #[inline]
            fn div(self, other: Self) -> Self {
                Self(self.0 / other.0)
            }
        }
        impl<$($generics)*> Rem for $t {
            type Output = Self;
            #[inline]
            fn rem(self, other: Self) -> Self {
                Self(self.0 % other.0)
            }
        }
        impl<$($generics)*> Neg for $t {
            type Output = Self;
            #[inline]
            fn neg(self) -> Self {
                Self(-self.0)
            }
        }
        impl<$($generics)*> Zero for $t {
            #[inline]
            fn zero() -> Self {
                Self::constant(0.0)
            }
            fn is_zero(&self) -> bool {
                self.value() == 0.0
            }
        }
        impl<$($generics)*> One for $t {
            #[inline]
            fn one() -> Self {
                Self::constant(1.0)
            }
        }
        impl<$($generics)*> Num for $t {
            type FromStrRadixErr = num_traits::ParseFloatError;
            fn from_str_radix(text: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
                f64::from_str_radix(text, radix).map(Self::constant)
            }
        }
        impl<$($generics)*> ToPrimitive for $t {
            fn to_i64(&self) -> Option<i64> {
                self.value().to_i64()
            }
            fn to_u64(&self) -> Option<u64> {
                self.value().to_u64()
            }
            fn to_f64(&self) -> Option<f64> {
                Some(self.value())
            }
        }
        impl<$($generics)*> NumCast for $t {
            #[inline]
            fn from<P: ToPrimitive>(n: P) -> Option<Self> {
                n.to_f64().map(Self::constant)
            }
        }
    };
}

/// The `Float` methods that look at the value only or make constants.
macro_rules! float_by_value {
    () => {
        fn nan() -> Self {
            Self::constant(f64::NAN)
        }
        fn infinity() -> Self {
            Self::constant(f64::INFINITY)
        }
        fn neg_infinity() -> Self {
            Self::constant(f64::NEG_INFINITY)
        }
        fn neg_zero() -> Self {
            Self::constant(-0.0)
        }
        fn min_value() -> Self {
            Self::constant(f64::MIN)
        }
        fn min_positive_value() -> Self {
            Self::constant(f64::MIN_POSITIVE)
        }
        fn max_value() -> Self {
            Self::constant(f64::MAX)
        }
        fn epsilon() -> Self {
            Self::constant(f64::EPSILON)
        }
        fn is_nan(self) -> bool {
            self.value().is_nan()
        }
        fn is_infinite(self) -> bool {
            self.value().is_infinite()
        }
        fn is_finite(self) -> bool {
            self.value().is_finite()
        }
        fn is_normal(self) -> bool {
            self.value().is_normal()
        }
        fn classify(self) -> FpCategory {
            self.value().classify()
        }
        fn is_sign_positive(self) -> bool {
            self.value().is_sign_positive()
        }
        fn is_sign_negative(self) -> bool {
            self.value().is_sign_negative()
        }
        fn integer_decode(self) -> (u64, i16, i8) {
            Float::integer_decode(self.value())
        }
        fn abs_sub(self, other: Self) -> Self {
            if self > other {
                self - other
            } else {
                Self::zero()
            }
        }
    };
}

/// ad_trait's `adr` as a `num_traits::Float`. ad_trait's `AD` trait builds on simba's
/// `RealField` and `ComplexField` (simba 0.9, nalgebra 0.34) and leaves `Float` out (its
/// impl is commented out in 0.3.1), so every method here forwards to those traits; the
/// newtype costs nothing at run time.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
struct Adr(adr);

impl Adr {
    #[inline]
    fn constant(value: f64) -> Self {
        Adr(<adr as AD>::constant(value))
    }
    #[inline]
    fn value(self) -> f64 {
        self.0.value()
    }
}

newtype_arithmetic!([] Adr);

/// Methods `fn m(self) -> Self` forwarded to simba's `ComplexField`.
macro_rules! adr_complex_field {
    ($($method:ident),*) => {
        $(
            #[inline]
            fn $method(self) -> Self {
                Adr(<adr as ComplexField>::$method(self.0))
            }
        )*
    };
}

impl Float for Adr {
    float_by_value!();
    adr_complex_field!(
        floor, ceil, round, trunc, fract, recip, sqrt, exp, exp2, ln, log2, log10, cbrt, sin, cos,
        tan, asin, acos, atan, exp_m1, ln_1p, sinh, cosh, tanh, asinh, acosh, atanh
    );
    #[inline]
    fn abs(self) -> Self {
        Adr(<adr as ComplexField>::abs(self.0))
    }
    #[inline]
    fn signum(self) -> Self {
        Adr(<adr as num_traits::Signed>::signum(&self.0))
    }
    #[inline]
    fn mul_add(self, a: Self, b: Self) -> Self {
        Adr(<adr as ComplexField>::mul_add(self.0, a.0, b.0))
    }
    #[inline]
    fn powi(self, n: i32) -> Self {
        Adr(<adr as ComplexField>::powi(self.0, n))
    }
    #[inline]
    fn powf(self, n: Self) -> Self {
        Adr(<adr as ComplexField>::powf(self.0, n.0))
    }
    #[inline]
    fn log(self, base: Self) -> Self {
        Adr(<adr as ComplexField>::log(self.0, base.0))
    }
    #[inline]
    fn max(self, other: Self) -> Self {
        Adr(<adr as RealField>::max(self.0, other.0))
    }
    #[inline]
    fn min(self, other: Self) -> Self {
        Adr(<adr as RealField>::min(self.0, other.0))
    }
    #[inline]
    fn hypot(self, other: Self) -> Self {
        Adr(<adr as ComplexField>::hypot(self.0, other.0))
    }
    #[inline]
    fn atan2(self, other: Self) -> Self {
        Adr(<adr as RealField>::atan2(self.0, other.0))
    }
    #[inline]
    fn sin_cos(self) -> (Self, Self) {
        let (sin, cos) = <adr as ComplexField>::sin_cos(self.0);
        (Adr(sin), Adr(cos))
    }
}

/// num-dual's `DualSVec64<N>` (value and `N` tangents) as a `num_traits::Float`.
/// num-dual's numbers implement its own `DualNum` trait rather than `Float`, so every
/// method here forwards to `DualNum` (or works on the value, for `floor` and the like,
/// whose derivative is 0); the newtype costs nothing at run time.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
struct Nd<const N: usize>(DualSVec64<N>);

impl<const N: usize> Nd<N> {
    #[inline]
    fn constant(value: f64) -> Self {
        Nd(DualSVec64::<N>::from(value))
    }
    #[inline]
    fn value(self) -> f64 {
        self.0.re
    }
}

newtype_arithmetic!([const N: usize] Nd<N>);

/// Methods `fn m(self) -> Self` forwarded to num-dual's `DualNum`.
macro_rules! nd_dual_num {
    ($($method:ident),*) => {
        $(
            #[inline]
            fn $method(self) -> Self {
                Nd(DualNum::$method(&self.0))
            }
        )*
    };
}

impl<const N: usize> Float for Nd<N> {
    float_by_value!();
    nd_dual_num!(
        recip, sqrt, exp, exp2, ln, log2, log10, cbrt, sin, cos, tan, asin, acos, atan, exp_m1,
        ln_1p, sinh, cosh, tanh, asinh, acosh, atanh
    );
    fn floor(self) -> Self {
        Self::constant(self.value().floor())
    }
    fn ceil(self) -> Self {
        Self::constant(self.value().ceil())
    }
    fn round(self) -> Self {
        Self::constant(self.value().round())
    }
    fn trunc(self) -> Self {
        Self::constant(self.value().trunc())
    }
    fn fract(self) -> Self {
        self - self.trunc()
    }
    #[inline]
    fn abs(self) -> Self {
        Nd(num_traits::Signed::abs(&self.0))
    }
    fn signum(self) -> Self {
        Self::constant(self.value().signum())
    }
    #[inline]
    fn mul_add(self, a: Self, b: Self) -> Self {
        Nd(DualNum::mul_add(&self.0, a.0, b.0))
    }
    #[inline]
    fn powi(self, n: i32) -> Self {
        Nd(DualNum::powi(&self.0, n))
    }
    #[inline]
    fn powf(self, n: Self) -> Self {
        Nd(DualNum::powd(&self.0, n.0))
    }
    #[inline]
    fn log(self, base: Self) -> Self {
        self.ln() / base.ln()
    }
    #[inline]
    fn max(self, other: Self) -> Self {
        if other.value() > self.value() {
            other
        } else {
            self
        }
    }
    #[inline]
    fn min(self, other: Self) -> Self {
        if other.value() < self.value() {
            other
        } else {
            self
        }
    }
    #[inline]
    fn hypot(self, other: Self) -> Self {
        (self * self + other * other).sqrt()
    }
    #[inline]
    fn atan2(self, other: Self) -> Self {
        Nd(DualNum::atan2(&self.0, other.0))
    }
    #[inline]
    fn sin_cos(self) -> (Self, Self) {
        let (sin, cos) = DualNum::sin_cos(&self.0);
        (Nd(sin), Nd(cos))
    }
}

// ---------------------------------------------------------------------------------------
// Checks, timing, and the table.

/// The largest difference between `gradient` and tapegrad's `reference`, each entry's
/// relative to the larger of its own size and 1e-8 of the largest entry (so that entries
/// that are zero but for rounding do not count as wrong).
fn difference(gradient: &[f64], reference: &[f64]) -> f64 {
    let largest = reference.iter().fold(0.0f64, |m, r| m.max(r.abs()));
    gradient
        .iter()
        .zip(reference)
        .map(|(g, r)| (g - r).abs() / r.abs().max(1e-8 * largest).max(f64::MIN_POSITIVE))
        .fold(0.0, |m, d| if d.is_nan() || d > m { d } else { m })
}

/// Prints the check of `gradient` against `reference`, and stops the run if it fails.
fn check(function: &str, tool: &str, gradient: &[f64], reference: &[f64]) {
    let d = difference(gradient, reference);
    let ok = gradient.len() == reference.len() && d <= TOLERANCE;
    println!(
        "check {function:<10} {tool:<9} largest relative difference from tapegrad {d:.1e}  {}",
        if ok { "ok" } else { "FAILED" }
    );
    if !ok {
        eprintln!(
            "error: {tool}'s gradient of {function} differs from tapegrad's by {d:.3e} \
             (relative; the limit is {TOLERANCE:e}): nothing was timed."
        );
        std::process::exit(1);
    }
}

/// A timed cell: the calls per batch and the per-call times of the batches.
struct Cell<'a> {
    tool: usize,
    run: Box<dyn FnMut() + 'a>,
    calls: u64,
    samples: Vec<f64>,
}

impl Cell<'_> {
    /// Seconds taken by one batch of `calls` calls.
    fn batch(&mut self, calls: u64) -> f64 {
        let start = Instant::now();
        for _ in 0..calls {
            (self.run)();
        }
        start.elapsed().as_secs_f64()
    }

    /// Raises the calls per batch until a batch takes at least [`BATCH`], then runs
    /// one more batch, untimed: the warm-up.
    fn calibrate(&mut self) {
        let target = BATCH.as_secs_f64();
        let mut calls = 1u64;
        loop {
            let seconds = self.batch(calls);
            if seconds >= target {
                break;
            }
            let factor = if seconds > 0.0 {
                (1.2 * target / seconds).clamp(1.5, 10.0)
            } else {
                10.0
            };
            calls = ((calls as f64 * factor).ceil() as u64).max(calls + 1);
        }
        self.calls = calls;
        self.batch(calls);
    }

    /// The median and the interquartile range of the per-call times.
    fn quartiles(&self) -> (f64, f64) {
        let mut sorted = self.samples.clone();
        sorted.sort_by(f64::total_cmp);
        let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
        (at(0.5), at(0.75) - at(0.25))
    }
}

/// One row of the table: the median seconds per call for each tool (`None`: not run),
/// and the tape's sizes.
struct Row {
    name: &'static str,
    describe: String,
    seconds: [Option<f64>; TOOLS.len()],
    /// The time of [`Function::plain_with_partials`], where the row has it.
    floor: Option<f64>,
    tapegrad_nodes: usize,
    tapegrad_bytes: usize,
    reverse_nodes: usize,
    ad_trait_nodes: usize,
}

/// Checks every tool's gradient of `f` against tapegrad's, then times them all.
/// Checks every tool's gradient of `f` against tapegrad's, then, if `timed`, times them.
/// Without timing (the smoke run of `cargo test`) it returns `None` once the checks pass.
fn run<F: Function>(f: &F, timed: bool) -> Option<Row> {
    let x = f.point();
    let n = x.len();
    let name = f.name();

    // tapegrad's gradient is the reference.
    let mut reference = vec![0.0; n];
    let value = f.tapegrad(x, &mut reference);
    let plain = f.plain(x);
    let close = |a: f64, b: f64| (a - b).abs() <= TOLERANCE * b.abs().max(f64::MIN_POSITIVE);
    if !close(value, plain) || !close(f.generic(x), plain) {
        eprintln!(
            "error: {name}: tapegrad's value {value}, the f64 value {plain} and the generic \
             f64 value {} disagree",
            f.generic(x)
        );
        std::process::exit(1);
    }
    if f.peers_run_a_copy() {
        // The peers run the generic copy of the network: on tapegrad it must give the
        // gradient that tapegrad_nn gives.
        let mut copy = vec![0.0; n];
        tapegrad::gradient_into(|p| f.generic(p), x, &mut copy);
        check(name, "generic", &copy, &reference);
    }

    let (smallest, largest) = reference
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), g| {
            (lo.min(g.abs()), hi.max(g.abs()))
        });
    let subnormal = reference.iter().filter(|g| g.is_subnormal()).count();
    let (tapegrad_nodes, tapegrad_bytes) = f.tapegrad_nodes();
    println!(
        "{name}: {n} inputs, gradient entries from {smallest:.1e} to {largest:.1e} in size, \
         {subnormal} subnormal, {tapegrad_nodes} tapegrad nodes"
    );

    let mut gradient = vec![0.0; n];
    let mut ad_inputs = Vec::new();
    ad_trait_gradient(|v| f.generic(v), x, &mut ad_inputs, &mut gradient);
    let ad_trait_nodes = GlobalComputationGraph::get().num_nodes();
    check(name, "ad_trait", &gradient, &reference);

    let echidna_gradient = echidna::grad(|v| f.generic(v), x);
    check(name, "echidna", &echidna_gradient, &reference);

    let reverse_tape = reverse::Tape::new();
    reverse_gradient(&reverse_tape, x, &mut gradient, |v| f.reverse(v));
    let reverse_nodes = reverse_tape.len();
    check(name, "reverse", &gradient, &reference);

    let mut nd_inputs: Vec<Nd<FORWARD_INPUTS>> = Vec::new();
    if f.forward_mode() {
        num_dual_gradient(|v| f.generic(v), x, &mut nd_inputs, &mut gradient);
        check(name, "num-dual", &gradient, &reference);
    }
    if !timed {
        return None;
    }

    // The cells, one per tool, each with buffers of its own.
    let (mut g1, mut g2, mut g3, mut g4) = (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let mut runs: Vec<(usize, Box<dyn FnMut() + '_>)> = vec![
        (
            0,
            Box::new(move || {
                black_box(f.plain(black_box(x)));
            }),
        ),
        (
            1,
            Box::new(move || {
                black_box(f.tapegrad(black_box(x), &mut g1));
                black_box(&mut g1);
            }),
        ),
        (
            2,
            Box::new(move || {
                black_box(ad_trait_gradient(
                    |v| f.generic(v),
                    black_box(x),
                    &mut ad_inputs,
                    &mut g2,
                ));
                black_box(&mut g2);
            }),
        ),
        (
            3,
            Box::new(move || {
                black_box(echidna::grad(|v| f.generic(v), black_box(x)));
            }),
        ),
        (
            4,
            Box::new(move || {
                black_box(reverse_gradient(
                    &reverse_tape,
                    black_box(x),
                    &mut g3,
                    |v| f.reverse(v),
                ));
                black_box(&mut g3);
            }),
        ),
    ];
    if let Some(with_partials) = f.plain_with_partials(x) {
        if with_partials != plain {
            eprintln!(
                "error: {name}: the f64 value with partials, {with_partials}, is not {plain}"
            );
            std::process::exit(1);
        }
        runs.push((
            FLOOR,
            Box::new(move || {
                black_box(f.plain_with_partials(black_box(x)));
            }),
        ));
    }
    if f.forward_mode() {
        runs.push((
            5,
            Box::new(move || {
                black_box(num_dual_gradient(
                    |v| f.generic(v),
                    black_box(x),
                    &mut nd_inputs,
                    &mut g4,
                ));
                black_box(&mut g4);
            }),
        ));
    }
    let mut cells: Vec<Cell<'_>> = runs
        .into_iter()
        .map(|(tool, run)| Cell {
            tool,
            run,
            calls: 0,
            samples: Vec::with_capacity(SAMPLES),
        })
        .collect();
    for cell in &mut cells {
        cell.calibrate();
    }
    for _ in 0..SAMPLES {
        for cell in &mut cells {
            let seconds = cell.batch(cell.calls);
            cell.samples.push(seconds / cell.calls as f64);
        }
    }
    let mut seconds = [None; TOOLS.len()];
    let mut floor = None;
    let mut spread = String::new();
    for cell in &cells {
        let (median, range) = cell.quartiles();
        match seconds.get_mut(cell.tool) {
            Some(slot) => *slot = Some(median),
            None => floor = Some(median),
        }
        spread += &format!(
            "  {} {} ±{:.0}%",
            TOOLS.get(cell.tool).unwrap_or(&"f64+partials"),
            format_time(median),
            50.0 * range / median
        );
    }
    println!("timed {name:<10} (median, ± half the interquartile range):{spread}");
    Some(Row {
        name,
        describe: f.describe(),
        seconds,
        floor,
        tapegrad_nodes,
        tapegrad_bytes,
        reverse_nodes,
        ad_trait_nodes,
    })
}

/// A time with three significant digits and its unit.
fn format_time(seconds: f64) -> String {
    let (value, unit) = if seconds >= 1.0 {
        (seconds, "s")
    } else if seconds >= 1e-3 {
        (seconds * 1e3, "ms")
    } else if seconds >= 1e-6 {
        (seconds * 1e6, "µs")
    } else {
        (seconds * 1e9, "ns")
    };
    let decimals = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.decimals$} {unit}")
}

/// A ratio to two significant digits (three from 100 on).
fn format_ratio(ratio: f64) -> String {
    if ratio < 10.0 {
        format!("{ratio:.1}×")
    } else {
        format!("{ratio:.0}×")
    }
}

/// The processor's name and the number of logical cores, from /proc/cpuinfo.
fn machine() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split(':').nth(1))
        .map_or("unknown processor", str::trim)
        .to_string();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{model}, {cores} logical cores")
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "Median time per full gradient (recording, backward sweep, tape reset); in \
         parentheses, the ratio to the plain f64 function. `tapegrad ÷ best peer`: \
         tapegrad's time over the fastest peer's (below 1: tapegrad is faster)."
    );
    println!("Machine: {}.", machine());
    println!();
    let mut header = String::from("| function |");
    let mut rule = String::from("|---|");
    for tool in TOOLS {
        header += &format!(" {tool} |");
        rule += "---:|";
    }
    println!("{header} tapegrad ÷ best peer |");
    println!("{rule}---:|");
    for row in rows {
        let base = row.seconds[0].expect("the f64 function is always timed");
        let mut line = format!("| {} | {} |", row.name, format_time(base));
        for seconds in &row.seconds[1..] {
            match seconds {
                Some(s) => line += &format!(" {} ({}) |", format_time(*s), format_ratio(s / base)),
                None => line += " — |",
            }
        }
        let tapegrad = row.seconds[1].expect("tapegrad is always timed");
        let best = (2..TOOLS.len())
            .filter_map(|tool| row.seconds[tool].map(|s| (tool, s)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("some peer is always timed");
        line += &format!(" {:.2} ({}) |", tapegrad / best.1, TOOLS[best.0]);
        println!("{line}");
    }
    println!();
    for row in rows {
        println!("- `{}`: {}", row.name, row.describe);
    }
    for row in rows {
        let (Some(floor), Some(base), Some(tapegrad)) = (row.floor, row.seconds[0], row.seconds[1])
        else {
            continue;
        };
        println!();
        println!(
            "`{}` with every partial a tape records, evaluated in f64 and dropped (no tape, \
             no sweep): {} ({}). A reverse mode whose partials are f64's bits needs at least \
             that; tapegrad's recording and sweep add {}.",
            row.name,
            format_time(floor),
            format_ratio(floor / base),
            format_time(tapegrad - floor),
        );
    }

    println!();
    let ad_trait_node_bytes = std::mem::size_of::<ComputationGraphNode>();
    println!(
        "Tape size of one gradient: nodes (inputs and operation results, not constants) and \
         bytes of tape (tapegrad: `Tape::memory_bytes`, 12 bytes per operand edge; reverse: \
         {REVERSE_NODE_BYTES} bytes per node; ad_trait: {ad_trait_node_bytes} bytes per node; \
         echidna does not tell its tape's length). The sweep adds tapegrad's adjoints, 8 \
         bytes per node."
    );
    println!();
    println!(
        "| function | tapegrad nodes | tapegrad bytes (per node) | reverse nodes | reverse bytes \
         | ad_trait nodes | ad_trait bytes |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let kib = |bytes: usize| format!("{:.0} KiB", bytes as f64 / 1024.0);
    for row in rows {
        println!(
            "| {} | {} | {} ({:.1}) | {} | {} | {} | {} |",
            row.name,
            row.tapegrad_nodes,
            kib(row.tapegrad_bytes),
            row.tapegrad_bytes as f64 / row.tapegrad_nodes as f64,
            row.reverse_nodes,
            kib(row.reverse_nodes * REVERSE_NODE_BYTES),
            row.ad_trait_nodes,
            kib(row.ad_trait_nodes * ad_trait_node_bytes),
        );
    }
}

/// The size of a node of `reverse`'s tape: two `f64` weights and two `usize` operand
/// indices (its `Node` type is private, so `size_of` cannot ask).
const REVERSE_NODE_BYTES: usize = 2 * 8 + 2 * std::mem::size_of::<usize>();

/// How many tapegrad gradients `--profile` computes per function.
const PROFILE_CALLS: usize = 200;

/// Computes [`PROFILE_CALLS`] tapegrad gradients of `f` and nothing else, for an
/// instruction count that does not depend on the machine's load:
///
/// ```text
/// cargo bench --bench compare --no-run
/// valgrind --tool=callgrind target/release/deps/compare-<hash> --profile rosenbrock
/// ```
fn profile<F: Function>(f: &F) {
    let x = f.point();
    let mut gradient = vec![0.0; x.len()];
    for _ in 0..PROFILE_CALLS {
        black_box(f.tapegrad(black_box(x), &mut gradient));
    }
    println!("{}: {PROFILE_CALLS} tapegrad gradients", f.name());
}

fn main() {
    // `cargo bench` passes `--bench` and times every row; `cargo test` passes nothing and
    // only checks every tool's gradient against tapegrad's (a smoke run, untimed). A filter
    // argument picks rows by name, and `--profile` runs only tapegrad's gradients (see
    // [`profile`]).
    let args: Vec<String> = std::env::args().skip(1).collect();
    let profiling = args.iter().any(|arg| arg == "--profile");
    let timed = args.iter().any(|arg| arg == "--bench");
    let filter: Vec<&String> = args.iter().filter(|arg| !arg.starts_with("--")).collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    let start = Instant::now();
    let mut rows = Vec::new();
    macro_rules! row {
        ($make:expr, $name:literal) => {
            if wanted($name) {
                if profiling {
                    profile(&$make);
                } else {
                    rows.extend(run(&$make, timed));
                }
            }
        };
    }
    row!(Chain::new(), "chain");
    row!(Rosenbrock::new(), "rosenbrock");
    row!(LogSumExp::new(), "logsumexp");
    row!(SumSquares::new(), "sum_sq");
    row!(Mlp::new(), "mlp");
    row!(Advection::new(), "advection");
    if profiling {
        return;
    }
    if !timed {
        println!(
            "every tool's gradient agrees with tapegrad's (untimed: run `cargo bench --bench compare` to time)"
        );
        return;
    }
    print_table(&rows);
    println!();
    println!("({:.1} s)", start.elapsed().as_secs_f64());
}
