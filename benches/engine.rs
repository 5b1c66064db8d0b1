//! The cost of a gradient next to the cost of the plain `f64` function, in one group per
//! function: `cargo bench --bench engine` (`-- nary` for the n-ary and custom nodes).
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

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench_rosenbrock, bench_chain, bench_nary
}
criterion_main!(benches);
