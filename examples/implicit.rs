//! Implicit differentiation: the derivative of a root that Newton's method finds,
//! without differentiating through the iterations.
//!
//! `g(x, θ) = 0` defines `x*(θ)`. Newton's method finds `x*` on plain `f64`s; then the
//! implicit function theorem gives its derivative at once: differentiating `g(x*(θ), θ)
//! = 0` gives `g_x dx*/dθ + g_θ = 0`, so `dx*/dθ = -g_x⁻¹ g_θ`. In reverse mode that is
//! a vector-Jacobian product, `θ̄ = -g_θᵀ g_x⁻ᵀ x̄`: one solve with `g_xᵀ`, recorded as
//! a custom vector rule ([`Var::custom_vjp`]). The tape holds the roots, not the
//! iterations, and the derivative does not depend on how many there were.
//!
//! Two systems with closed forms check it: Lambert's `W`, the root of `x eˣ = θ`, with
//! `W'(θ) = W / (θ (1 + W))`; and where the circle `x² + y² = θ₀` meets the line `x - y =
//! θ₁`.
//!
//! Run with `cargo run --release --example implicit`.

use nalgebra::{DMatrix, DVector};
use num_traits::Float;
use tapegrad::{Tape, Var};

/// A system `g(x, θ) = 0` of as many equations as unknowns `x`, written once for any
/// float type.
trait Residual {
    fn residual<T: Float>(&self, x: &[T], theta: &[T]) -> Vec<T>;
}

/// `x eˣ - θ`: its root is Lambert's `W(θ)`.
struct LambertW;

impl Residual for LambertW {
    fn residual<T: Float>(&self, x: &[T], theta: &[T]) -> Vec<T> {
        vec![x[0] * x[0].exp() - theta[0]]
    }
}

/// The circle `x² + y² = θ₀` and the line `x - y = θ₁`.
struct CircleAndLine;

impl Residual for CircleAndLine {
    fn residual<T: Float>(&self, x: &[T], theta: &[T]) -> Vec<T> {
        vec![x[0] * x[0] + x[1] * x[1] - theta[0], x[0] - x[1] - theta[1]]
    }
}

/// `g(x, θ)` and its Jacobians `g_x` (n × n) and `g_θ` (n × p), from one recording.
fn linearize(
    g: &impl Residual,
    x: &[f64],
    theta: &[f64],
) -> (DVector<f64>, DMatrix<f64>, DMatrix<f64>) {
    let tape = Tape::new();
    let (xs, thetas) = (tape.vars(x), tape.vars(theta));
    let residual = g.residual(&xs, &thetas);
    let (n, p) = (x.len(), theta.len());
    let mut g_x = DMatrix::zeros(n, n);
    let mut g_theta = DMatrix::zeros(n, p);
    for (i, &r) in residual.iter().enumerate() {
        let grads = tape.backward(r);
        for (j, &v) in xs.iter().enumerate() {
            g_x[(i, j)] = grads[v];
        }
        for (j, &v) in thetas.iter().enumerate() {
            g_theta[(i, j)] = grads[v];
        }
    }
    let values = DVector::from_iterator(n, residual.iter().map(|r| r.value()));
    (values, g_x, g_theta)
}

/// The root `x*(θ)` of `g(·, θ)` nearest `start`, by Newton's method on `f64`, recorded
/// as one custom rule whose VJP is `θ̄ = -g_θᵀ g_x⁻ᵀ x̄` at the root.
fn implicit_root<'t>(g: &impl Residual, start: &[f64], theta: &[Var<'t>]) -> Vec<Var<'t>> {
    let theta_values: Vec<f64> = theta.iter().map(|t| t.value()).collect();
    let mut x = DVector::from_column_slice(start);
    for iteration in 0.. {
        let (residual, g_x, _) = linearize(g, x.as_slice(), &theta_values);
        let step = g_x
            .lu()
            .solve(&residual)
            .expect("g_x is regular near the root");
        x -= &step;
        if step.amax() <= 1e-15 * x.amax().max(1.0) {
            break;
        }
        assert!(iteration < 100, "Newton's method did not converge");
    }
    let (_, g_x, g_theta) = linearize(g, x.as_slice(), &theta_values);
    let g_x_transposed = g_x.transpose().lu();
    Var::custom_vjp(theta, x.as_slice(), move |x_bar, theta_bar| {
        let lambda = g_x_transposed
            .solve(&DVector::from_column_slice(x_bar))
            .expect("g_x is regular at the root");
        let result = -g_theta.transpose() * lambda;
        theta_bar.copy_from_slice(result.as_slice());
    })
}

fn main() {
    // Lambert's W at θ = 2, and W'(θ) = W / (θ (1 + W)).
    let theta = 2.0;
    let (w, gradient) = tapegrad::gradient(|t| implicit_root(&LambertW, &[1.0], t)[0], &[theta]);
    let expected = w / (theta * (1.0 + w));
    println!(
        "W({theta}) = {w:.15}, W'({theta}) = {:.15} (closed form {expected:.15})",
        gradient[0]
    );
    assert!((w * w.exp() - theta).abs() < 1e-14);
    assert!((gradient[0] - expected).abs() < 1e-14);

    // A loss of the root: L(θ) = W(θ)², dL/dθ = 2 W W'.
    let (_, gradient) = tapegrad::gradient(
        |t| {
            let w = implicit_root(&LambertW, &[1.0], t)[0];
            w * w
        },
        &[theta],
    );
    assert!((gradient[0] - 2.0 * w * expected).abs() < 1e-14);

    // The circle x² + y² = θ₀ meets the line x - y = θ₁ at
    // x = (θ₁ + √(2θ₀ - θ₁²)) / 2, y = x - θ₁ (the root nearest (1, 0)).
    let theta = [5.0, 1.0];
    let tape = Tape::new();
    let thetas = tape.vars(&theta);
    let root = implicit_root(&CircleAndLine, &[1.0, 0.0], &thetas);
    let nodes = tape.len();
    let s = (2.0 * theta[0] - theta[1] * theta[1]).sqrt();
    let (x, y) = ((theta[1] + s) / 2.0, (s - theta[1]) / 2.0);
    println!(
        "circle and line: ({:.15}, {:.15}), closed form ({x:.15}, {y:.15}); {nodes} nodes on the tape",
        root[0].value(),
        root[1].value()
    );
    assert!((root[0].value() - x).abs() < 1e-14 && (root[1].value() - y).abs() < 1e-14);
    assert_eq!(
        nodes, 4,
        "two parameters and two roots: no iteration is on the tape"
    );
    // dx/dθ₀ = 1 / (2s), dx/dθ₁ = (1 - θ₁/s) / 2, and y = x - θ₁.
    let (dx0, dx1) = (1.0 / (2.0 * s), (1.0 - theta[1] / s) / 2.0);
    let expected = [[dx0, dx1], [dx0, dx1 - 1.0]];
    for (k, &output) in root.iter().enumerate() {
        let grads = tape.backward(output);
        let got = [grads[thetas[0]], grads[thetas[1]]];
        println!(
            "  d{}/dθ = {got:?} (closed form {:?})",
            ["x", "y"][k],
            expected[k]
        );
        for (g, e) in got.iter().zip(expected[k]) {
            assert!((g - e).abs() < 1e-14, "{got:?} vs {:?}", expected[k]);
        }
    }
}
