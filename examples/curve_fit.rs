//! Fit a nonlinear model with the `levenberg-marquardt` crate, its Jacobian coming from
//! tapegrad.
//!
//! The model `y(t) = a e^(-b t) + c` is written once, generic over `num_traits::Float`:
//! on tapegrad's `Var` it gives the residuals and, through
//! `tapegrad::levenberg_marquardt::Problem`, their exact Jacobian.
//!
//! Run with `cargo run --release --example curve_fit --features levenberg-marquardt`.

use levenberg_marquardt::LevenbergMarquardt;
use num_traits::Float;
use tapegrad::levenberg_marquardt::Problem;

/// The model at time `t` for parameters `p = (a, b, c)`.
fn model<T: Float>(p: &[T], t: f64) -> T {
    let t = T::from(t).unwrap();
    p[0] * (-p[1] * t).exp() + p[2]
}

/// Fits the model to 60 points on `[0, 6)` made from `truth` plus `noise()`, from the
/// start `(1, 0.5, 0)`; returns the fitted parameters.
fn fit(truth: [f64; 3], mut noise: impl FnMut() -> f64) -> [f64; 3] {
    let data: Vec<(f64, f64)> = (0..60)
        .map(|k| {
            let t = f64::from(k) * 0.1;
            (t, model(&truth, t) + noise())
        })
        .collect();
    // The residuals `model(p, t) - y`, on tapegrad's Vars.
    let residuals =
        |p: &[tapegrad::Var<'static>]| data.iter().map(|&(t, y)| model(p, t) - y).collect();
    let problem = Problem::new(residuals, &[1.0, 0.5, 0.0]);
    let (fitted, report) = LevenbergMarquardt::new().minimize(problem);
    let rms = (2.0 * report.objective_function / data.len() as f64).sqrt();
    let p = fitted.parameters();
    println!(
        "  fitted:    a = {:.6}, b = {:.6}, c = {:.6}",
        p[0], p[1], p[2]
    );
    println!(
        "  rms residual {rms:.2e} after {} evaluations: {:?}",
        report.number_of_evaluations, report.termination
    );
    assert!(
        report.termination.was_successful(),
        "the fit did not converge"
    );
    [p[0], p[1], p[2]]
}

fn main() {
    let truth = [2.5, 1.3, 0.5];
    println!("Fit of y = a e^(-b t) + c with levenberg-marquardt, Jacobian by tapegrad,");
    println!("from the start a = 1, b = 0.5, c = 0");
    println!(
        "  generated: a = {:.6}, b = {:.6}, c = {:.6}",
        truth[0], truth[1], truth[2]
    );

    println!("\nExact data: the fit must recover the parameters that made it.");
    let exact = fit(truth, || 0.0);
    for (fit, true_value) in exact.iter().zip(truth) {
        assert!(
            (fit - true_value).abs() < 1e-8,
            "fit {fit} is not {true_value}"
        );
    }

    println!("\nData with deterministic noise of at most ±0.01:");
    let mut state = 12345u64;
    let noisy = fit(truth, || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.02
    });
    for (fit, true_value) in noisy.iter().zip(truth) {
        assert!(
            (fit - true_value).abs() < 0.05,
            "fit {fit} far from {true_value}"
        );
    }
}
