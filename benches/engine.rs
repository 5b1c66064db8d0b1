//! The cost of a gradient next to the cost of the plain `f64` function, in one group per
//! function: `cargo bench --bench engine` (`-- nary` for the n-ary and custom nodes,
//! `-- jacobian` for the Jacobians of both shapes against hand-written ones).
//!
//! Each gradient is timed as a training loop runs it: clear the tape, make the inputs,
//! record the function, sweep backwards and read the gradient out.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use num_traits::Float;
use tapegrad::{Tape, Var};

/// Extended Rosenbrock, written once for any float type.
fn rosenbrock<T: Float>(x: &[T]) -> T {
    let (one, hundred) = (T::one(), T::from(100.0).unwrap());
    x.windows(2)
        .map(|w| hundred * (w[1] - w[0] * w[0]).powi(2) + (one - w[0]).powi(2))
        .fold(T::zero(), |sum, term| sum + term)
}

/// `t = sin(cos(t) * x[r])`, alternating with `t = cos(sin(t) * x[r])`, for fixed
/// scattered indices `r` (the benchmark of Liang & Rakita's ad-trait paper).
fn chain<T: Float>(x: &[T], indices: &[usize]) -> T {
    let mut t = x[0];
    for (step, &r) in indices.iter().enumerate() {
        t = if step % 2 == 0 {
            (t.cos() * x[r]).sin()
        } else {
            (t.sin() * x[r]).cos()
        };
    }
    t
}

/// The `k`-th point of the golden-ratio (Weyl) sequence in `[0, 1)`: evenly spread,
/// fixed inputs, so every run times the same function at the same point.
fn weyl(k: usize) -> f64 {
    (k as f64 * 0.618_033_988_749_894_9).fract()
}

/// The value and gradient of `f` at `x`, on a tape reused from the last call.
fn gradient_on(
    tape: &mut Tape,
    x: &[f64],
    f: impl for<'t> Fn(&[Var<'t>]) -> Var<'t>,
) -> (f64, Vec<f64>) {
    tape.clear();
    let inputs = tape.vars(x);
    let y = f(&inputs);
    let gradient = tape.backward(y).wrt_all(&inputs);
    (y.value(), gradient)
}

fn bench_rosenbrock(c: &mut Criterion) {
    let n = 1000;
    let x: Vec<f64> = (0..n).map(|k| -2.0 + 4.0 * weyl(k)).collect();
    let mut group = c.benchmark_group("rosenbrock");
    group.bench_with_input(BenchmarkId::new("f64", n), &x, |b, x| {
        b.iter(|| rosenbrock(black_box(x)))
    });
    let mut tape = Tape::new();
    group.bench_with_input(BenchmarkId::new("tapegrad", n), &x, |b, x| {
        b.iter(|| gradient_on(&mut tape, black_box(x), |x| rosenbrock(x)))
    });
    group.finish();
}

fn bench_chain(c: &mut Criterion) {
    let (n, steps) = (100, 1000);
    // Inputs from [2, 3]: smaller ones drive the adjoints into subnormal numbers.
    let x: Vec<f64> = (0..n).map(|k| 2.0 + weyl(k)).collect();
    // Operand indices scattered over the inputs (a second, interleaved Weyl sequence).
    let indices: Vec<usize> = (0..steps)
        .map(|k| (weyl(2 * k + 1) * n as f64) as usize)
        .collect();
    let mut group = c.benchmark_group("chain");
    group.bench_with_input(BenchmarkId::new("f64", steps), &x, |b, x| {
        b.iter(|| chain(black_box(x), &indices))
    });
    let mut tape = Tape::new();
    group.bench_with_input(BenchmarkId::new("tapegrad", steps), &x, |b, x| {
        b.iter(|| gradient_on(&mut tape, black_box(x), |x| chain(x, &indices)))
    });
    group.finish();
}

/// Recording one node of many operands: `Var::sum`, and a custom rule with the same
/// partials, `Var::custom`, beside the `f64` sum. Each records 100 nodes of 64 operands
/// on a cleared tape and sweeps back.
fn bench_nary(c: &mut Criterion) {
    let (nodes, operands) = (100, 64);
    let x: Vec<f64> = (0..operands).map(weyl).collect();
    let ones = vec![1.0; operands];
    let mut group = c.benchmark_group("nary");
    group.bench_function(BenchmarkId::new("f64", operands), |b| {
        b.iter(|| {
            let x = black_box(&x);
            (0..nodes).map(|_| x.iter().sum::<f64>()).sum::<f64>()
        })
    });
    let mut tape = Tape::new();
    group.bench_function(BenchmarkId::new("Var::sum", operands), |b| {
        b.iter(|| {
            gradient_on(&mut tape, black_box(&x), |x| {
                (0..nodes).map(|_| Var::sum(x)).sum::<Var<'_>>()
            })
        })
    });
    group.bench_function(BenchmarkId::new("Var::custom", operands), |b| {
        b.iter(|| {
            gradient_on(&mut tape, black_box(&x), |x| {
                let value = x.iter().map(|v| v.value()).sum::<f64>();
                (0..nodes)
                    .map(|_| Var::custom(x, value, &ones))
                    .sum::<Var<'_>>()
            })
        })
    });
    group.finish();
}

/// `r_i = sin(Σ_j a_ij x_j)` for a dense row-major `rows × columns` matrix `a`: a
/// residual whose every row depends on every parameter, written once for any float.
fn dense_residuals<T: Float>(a: &[f64], columns: usize, x: &[T]) -> Vec<T> {
    a.chunks(columns)
        .map(|row| {
            row.iter()
                .zip(x)
                .fold(T::zero(), |sum, (&a, &x)| sum + T::from(a).unwrap() * x)
                .sin()
        })
        .collect()
}

/// [`dense_residuals`] and its Jacobian `J_ij = cos(s_i) a_ij`, by hand: the baseline.
fn dense_residuals_by_hand(a: &[f64], columns: usize, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let rows = a.len() / columns;
    let mut values = Vec::with_capacity(rows);
    let mut jacobian = vec![0.0; a.len()];
    for (row, out) in a.chunks(columns).zip(jacobian.chunks_mut(columns)) {
        let s: f64 = row.iter().zip(x).map(|(a, x)| a * x).sum();
        values.push(s.sin());
        let c = s.cos();
        for (o, a) in out.iter_mut().zip(row) {
            *o = c * a;
        }
    }
    (values, jacobian)
}

/// The Jacobians of a 30 000 × 26 residual (forward mode, 8 columns per sweep) and of a
/// 26 × 30 000 one (reverse mode, 8 rows per sweep), each beside the hand-written
/// Jacobian of the same function; for the wide one also the Jacobian from one scalar
/// backward sweep per row, as `jacobian` computed it before vector mode.
fn bench_jacobian(c: &mut Criterion) {
    for (rows, columns) in [(30_000, 26), (26, 30_000)] {
        let scale = 1.0 / (columns as f64).sqrt();
        let a: Vec<f64> = (0..rows * columns)
            .map(|k| (2.0 * weyl(k) - 1.0) * scale)
            .collect();
        let x: Vec<f64> = (0..columns).map(|k| weyl(k + 7) - 0.5).collect();
        let shape = format!("{rows}x{columns}");
        let mut group = c.benchmark_group("jacobian");
        group.sample_size(10);
        group.bench_function(BenchmarkId::new("by hand", &shape), |b| {
            b.iter(|| dense_residuals_by_hand(black_box(&a), columns, black_box(&x)))
        });
        group.bench_function(BenchmarkId::new("tapegrad::jacobian", &shape), |b| {
            b.iter(|| tapegrad::jacobian(|x| dense_residuals(&a, columns, x), black_box(&x)))
        });
        if rows < columns {
            let mut tape = Tape::new();
            group.bench_function(BenchmarkId::new("backward per row", &shape), |b| {
                b.iter(|| {
                    tape.clear();
                    let inputs = tape.vars(black_box(&x));
                    let outputs = dense_residuals(&a, columns, &inputs);
                    let rows: Vec<Vec<f64>> = outputs
                        .iter()
                        .map(|&y| tape.backward(y).wrt_all(&inputs))
                        .collect();
                    rows
                })
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench_rosenbrock, bench_chain, bench_nary, bench_jacobian
}
criterion_main!(benches);
