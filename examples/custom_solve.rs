//! A linear solve `x = A⁻¹ b` for a dense 200 × 200 `A`, differentiated two ways: as
//! scalar code (Gaussian elimination on Vars, every multiply-add on the tape) and as one
//! custom vector rule whose VJP is one solve with `Aᵀ`: `b̄ = A⁻ᵀ x̄`, `Ā = -b̄ xᵀ`
//! (M. Giles, "Collected matrix derivative results for forward and reverse mode
//! algorithmic differentiation", 2008). It prints what each costs in tape memory and
//! time, and checks that they agree.
//!
//! Run with `cargo run --release --example custom_solve` (`-- N` for another size).

use std::time::Instant;

use nalgebra::{DMatrix, DVector};
use num_traits::Float;
use tapegrad::{Tape, Var};

/// `x = A⁻¹ b` for an n × n `a` given column by column, as one custom rule. Returns the
/// outputs and the bytes of the numbers its callback keeps (the n² factors of `Aᵀ`,
/// their n pivots and `x`), counted, not measured.
fn solve<'t>(a: &[Var<'t>], b: &[Var<'t>]) -> (Vec<Var<'t>>, usize) {
    let n = b.len();
    let matrix = DMatrix::from_iterator(n, n, a.iter().map(|v| v.value()));
    let b_values = DVector::from_iterator(n, b.iter().map(|v| v.value()));
    let x = matrix
        .clone()
        .lu()
        .solve(&b_values)
        .expect("a regular matrix");
    let transposed = matrix.transpose().lu();
    let held = (n * n + 2 * n) * size_of::<f64>();
    let inputs: Vec<Var<'t>> = a.iter().chain(b).copied().collect();
    let outputs = x.as_slice().to_vec();
    let rule = Var::custom_vjp(&inputs, &outputs, move |x_bar, inputs_bar| {
        let b_bar = transposed
            .solve(&DVector::from_column_slice(x_bar))
            .expect("a regular matrix");
        let a_bar = -&b_bar * x.transpose();
        inputs_bar[..n * n].copy_from_slice(a_bar.as_slice());
        inputs_bar[n * n..].copy_from_slice(b_bar.as_slice());
    });
    (rule, held)
}

/// `x = A⁻¹ b` by Gaussian elimination without pivoting, as scalar code for any float.
fn eliminate<T: Float>(a: &[T], b: &[T]) -> Vec<T> {
    let n = b.len();
    let (mut a, mut x) = (a.to_vec(), b.to_vec());
    for k in 0..n {
        for i in k + 1..n {
            let factor = a[k * n + i] / a[k * n + k];
            for j in k + 1..n {
                a[j * n + i] = a[j * n + i] - factor * a[j * n + k];
            }
            x[i] = x[i] - factor * x[k];
        }
    }
    for k in (0..n).rev() {
        let mut sum = x[k];
        for j in k + 1..n {
            sum = sum - a[j * n + k] * x[j];
        }
        x[k] = sum / a[k * n + k];
    }
    x
}

/// Σ wᵢ xᵢ, the objective whose gradient is taken.
fn objective<'t>(x: &[Var<'t>]) -> Var<'t> {
    x.iter()
        .enumerate()
        .map(|(i, &xi)| xi * (1.0 + (i % 7) as f64 / 3.0))
        .sum()
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(200, |arg| arg.parse().expect("the size N, a whole number"));
    // A diagonally dominant matrix (no pivoting needed) and a right-hand side, fixed.
    let weyl = |k: usize| (k as f64 * 0.618_033_988_749_894_9).fract() - 0.5;
    let mut a: Vec<f64> = (0..n * n).map(weyl).collect();
    for i in 0..n {
        a[i * n + i] += n as f64 / 4.0;
    }
    let b: Vec<f64> = (0..n).map(|k| 3.0 * weyl(n * n + k)).collect();
    let values: Vec<f64> = a.iter().chain(&b).copied().collect();

    let tape = Tape::new();
    let inputs = tape.vars(&values);
    let started = Instant::now();
    let (x, held) = solve(&inputs[..n * n], &inputs[n * n..]);
    let y = objective(&x);
    let rule_gradient = tape.backward(y).wrt_all(&inputs);
    let rule_time = started.elapsed();
    let rule_bytes = tape.memory_bytes();

    let scalar = Tape::new();
    let inputs = scalar.vars(&values);
    let started = Instant::now();
    let x = eliminate(&inputs[..n * n], &inputs[n * n..]);
    let y = objective(&x);
    let scalar_gradient = scalar.backward(y).wrt_all(&inputs);
    let scalar_time = started.elapsed();
    let scalar_bytes = scalar.memory_bytes();

    let largest = scalar_gradient.iter().fold(0.0f64, |m, g| m.max(g.abs()));
    let difference = rule_gradient
        .iter()
        .zip(&scalar_gradient)
        .fold(0.0f64, |m, (r, s)| m.max((r - s).abs()));
    println!("x = A⁻¹ b for a dense {n} × {n} A: the gradient of Σ wᵢ xᵢ with respect to A and b");
    println!(
        "  custom rule: {:>9.1} KiB of tape + {:>7.1} KiB held by its callback, {:>8.2} ms",
        rule_bytes as f64 / 1024.0,
        held as f64 / 1024.0,
        rule_time.as_secs_f64() * 1e3
    );
    println!(
        "  scalar code: {:>9.1} KiB of tape ({} nodes),{:>22.2} ms",
        scalar_bytes as f64 / 1024.0,
        scalar.len(),
        scalar_time.as_secs_f64() * 1e3
    );
    println!(
        "  largest difference between the two gradients: {difference:.1e} (largest entry {largest:.2})"
    );
    assert!(difference <= 1e-10 * largest, "the two gradients disagree");
}
