//! Fit a nonlinear model with the `levenberg-marquardt` crate, its Jacobian coming from
//! tapegrad.
//!
//! The model `y(t) = a e^(-b t) + c` is written once, generic over `num_traits::Float`:
//! on `f64` it gives the residuals, on tapegrad's `Var` their exact Jacobian.
//!
//! Run with `cargo run --release --example curve_fit`.

use levenberg_marquardt::{LeastSquaresProblem, LevenbergMarquardt};
use nalgebra_0_34 as na34;
use num_traits::Float;
use tapegrad::Var;

/// The model at time `t` for parameters `p = (a, b, c)`.
fn model<T: Float>(p: &[T], t: f64) -> T {
    let t = T::from(t).unwrap();
    p[0] * (-p[1] * t).exp() + p[2]
}

/// Observations `(t, y)` to fit, and the current parameters.
struct ExponentialDecay {
    data: Vec<(f64, f64)>,
    params: na34::Vector3<f64>,
}

impl ExponentialDecay {
    /// The residuals `model(p, t) - y`, on `f64` or on `Var`.
    fn residuals_at<T: Float>(&self, p: &[T]) -> Vec<T> {
        self.data
            .iter()
            .map(|&(t, y)| model(p, t) - T::from(y).unwrap())
            .collect()
    }
}

impl LeastSquaresProblem<f64, na34::Dyn, na34::U3> for ExponentialDecay {
    type ResidualStorage = na34::storage::Owned<f64, na34::Dyn>;
    type JacobianStorage = na34::storage::Owned<f64, na34::Dyn, na34::U3>;
    type ParameterStorage = na34::storage::Owned<f64, na34::U3>;

    fn set_params(&mut self, p: &na34::Vector3<f64>) {
        self.params = *p;
    }

    fn params(&self) -> na34::Vector3<f64> {
        self.params
    }

    fn residuals(&self) -> Option<na34::DVector<f64>> {
        Some(na34::DVector::from_vec(
            self.residuals_at(self.params.as_slice()),
        ))
    }

    fn jacobian(&self) -> Option<na34::OMatrix<f64, na34::Dyn, na34::U3>> {
        let p = nalgebra::Vector3::from_column_slice(self.params.as_slice());
        let (_, jacobian) = tapegrad::jacobian(
            |p: &nalgebra::Vector3<Var<'static>>| {
                nalgebra::DVector::from_vec(self.residuals_at(p.as_slice()))
            },
            &p,
        );
        // levenberg-marquardt 0.15 uses nalgebra 0.34: copy the column-major entries over.
        Some(na34::OMatrix::<f64, na34::Dyn, na34::U3>::from_column_slice(jacobian.as_slice()))
    }
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
    let problem = ExponentialDecay {
        data,
        params: na34::Vector3::new(1.0, 0.5, 0.0),
    };
    let (fitted, report) = LevenbergMarquardt::new().minimize(problem);
    let rms = (2.0 * report.objective_function / fitted.data.len() as f64).sqrt();
    let p = fitted.params;
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
