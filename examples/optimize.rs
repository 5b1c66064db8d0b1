//! Minimize the 100-dimensional Rosenbrock function with argmin's L-BFGS, the cost and
//! gradient coming from tapegrad through `tapegrad::argmin::Problem`.
//!
//! Run with `cargo run --release --example optimize --features argmin`.

use argmin::core::{Error, Executor, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use num_traits::Float;
use tapegrad::argmin::Problem;

/// Extended Rosenbrock, written once for any float type; its minimum is 0 at all ones.
fn rosenbrock<T: Float>(x: &[T]) -> T {
    let (one, hundred) = (T::one(), T::from(100.0).unwrap());
    x.windows(2)
        .map(|w| hundred * (w[1] - w[0] * w[0]).powi(2) + (one - w[0]).powi(2))
        .fold(T::zero(), |sum, term| sum + term)
}

fn main() -> Result<(), Error> {
    let n = 100;
    // The classic start (-1.2, 1, -1.2, 1, ...).
    let start: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 })
        .collect();
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7)
        .with_tolerance_grad(1e-10)?
        .with_tolerance_cost(0.0)?;
    let started = std::time::Instant::now();
    let result = Executor::new(Problem::new(rosenbrock), solver)
        .configure(|state| state.param(start).max_iters(2000))
        .run()?;
    let elapsed = started.elapsed();
    let state = result.state();
    let x = state.get_best_param().expect("a best point");
    let distance = x.iter().map(|xi| (xi - 1.0).powi(2)).sum::<f64>().sqrt();
    println!("L-BFGS on the {n}-dimensional Rosenbrock function, gradients from tapegrad");
    println!("  iterations:          {}", state.get_iter());
    println!(
        "  termination:         {:?}",
        state.get_termination_status()
    );
    println!(
        "  f(x*) = {:.3e}   (known minimum: 0 at x = (1, ..., 1))",
        state.get_best_cost()
    );
    println!("  |x* - (1, ..., 1)| = {distance:.3e}");
    println!("  time: {elapsed:.2?}");
    assert!(distance < 1e-6, "L-BFGS did not reach the minimum");
    Ok(())
}
