//! `ln det A` of a 100 × 100 symmetric positive-definite matrix, three ways: through
//! `tapegrad::linalg::log_det` (one node), through `tapegrad::linalg::cholesky` and
//! `2 Σ ln L_ii`, and through nalgebra's generic `cholesky()` run on Vars. Prints the
//! nodes and bytes each records and the time of a gradient (recording and backward
//! sweep), and checks that the three gradients agree.
//!
//! Run with `cargo run --release --example log_det`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use nalgebra::DMatrix;
use tapegrad::{Tape, Var, linalg};

const N: usize = 100;

/// `ln det A` by one of the three ways.
type Method = fn(&DMatrix<Var<'static>>) -> Var<'static>;

fn through_log_det(a: &DMatrix<Var<'static>>) -> Var<'static> {
    linalg::log_det(a).1
}

fn through_linalg_cholesky(a: &DMatrix<Var<'static>>) -> Var<'static> {
    let l = linalg::cholesky(a).expect("a positive-definite matrix");
    l.diagonal().iter().map(|d| d.ln()).sum::<Var<'static>>() * 2.0
}

fn through_generic_cholesky(a: &DMatrix<Var<'static>>) -> Var<'static> {
    let l = a
        .clone()
        .cholesky()
        .expect("a positive-definite matrix")
        .unpack();
    l.diagonal().iter().map(|d| d.ln()).sum::<Var<'static>>() * 2.0
}

/// The median of `runs` timings of `f`.
fn median_time(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn main() {
    // A = M Mᵀ / N + I with M's entries in [-1, 1], from a fixed linear congruential
    // sequence: symmetric positive definite, eigenvalues between 1 and a few tens.
    let mut state = 0x2545_f491_u64;
    let m = DMatrix::from_fn(N, N, |_, _| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    });
    let a = &m * m.transpose() / N as f64 + DMatrix::identity(N, N);

    let methods: [(&str, Method); 3] = [
        ("linalg::log_det", through_log_det),
        ("linalg::cholesky, 2 Σ ln Lᵢᵢ", through_linalg_cholesky),
        ("generic cholesky(), 2 Σ ln Lᵢᵢ", through_generic_cholesky),
    ];
    println!(
        "ln det A of a {N} × {N} SPD matrix (all {} entries inputs)\n",
        N * N
    );
    println!(
        "{:<32} {:>10} {:>12} {:>14} {:>12}",
        "method", "nodes", "tape bytes", "gradient time", "ln det A"
    );
    let mut gradients = Vec::new();
    for (name, method) in methods {
        // Nodes and bytes, on a tape of our own (nalgebra needs `Var<'static>`, so the
        // tape is leaked: once per method, in an example).
        let tape: &'static Tape = Box::leak(Box::new(Tape::new()));
        let inputs = DMatrix::from_vec(N, N, tape.vars(a.as_slice()));
        let before = tape.len();
        let value = method(&inputs);
        let (nodes, bytes) = (tape.len() - before, tape.memory_bytes());
        // Time: the driver, which reuses its tape from call to call.
        let time = median_time(11, || {
            black_box(tapegrad::gradient(
                |x| method(&DMatrix::from_column_slice(N, N, x)),
                black_box(a.as_slice()),
            ));
        });
        let (_, gradient) = tapegrad::gradient(
            |x| method(&DMatrix::from_column_slice(N, N, x)),
            a.as_slice(),
        );
        gradients.push(gradient);
        println!(
            "{name:<32} {nodes:>10} {bytes:>12} {:>11.2} ms {:>12.6}",
            time.as_secs_f64() * 1e3,
            value.value()
        );
    }

    // log_det reads all of A: its gradient is A⁻ᵀ. Both Choleskys read the lower
    // triangle: their gradient is 2 A⁻¹ below the diagonal, A⁻¹ on it, 0 above.
    let inverse = a.clone().try_inverse().expect("invertible");
    let expected_full = inverse.transpose();
    let expected_lower = DMatrix::from_fn(N, N, |i, j| match i.cmp(&j) {
        std::cmp::Ordering::Greater => 2.0 * inverse[(i, j)],
        std::cmp::Ordering::Equal => inverse[(i, i)],
        std::cmp::Ordering::Less => 0.0,
    });
    let error = |g: &[f64], e: &DMatrix<f64>| {
        g.iter()
            .zip(e.iter())
            .map(|(g, e)| (g - e).abs())
            .fold(0.0, f64::max)
    };
    println!(
        "\nlargest gradient error against A⁻ᵀ (log_det) or the lower-triangle form (Choleskys): \
         {:.1e}, {:.1e}, {:.1e}",
        error(&gradients[0], &expected_full),
        error(&gradients[1], &expected_lower),
        error(&gradients[2], &expected_lower),
    );
}
