//! [levenberg-marquardt](https://docs.rs/levenberg-marquardt) least-squares problems from
//! a residual closure on Vars (feature `levenberg-marquardt`).
//!
//! | levenberg-marquardt method | gives                                  | computed by                  |
//! |----------------------------|----------------------------------------|------------------------------|
//! | `set_params`               | —                                      | [`jacobian`](crate::jacobian), once per point |
//! | `residuals`                | `DVector<f64>`, `m` rows               | the cache                    |
//! | `jacobian`                 | `DMatrix<f64>`, `m × n`                | the cache                    |
//!
//! levenberg-marquardt 0.15 speaks nalgebra 0.34, which is what these vectors and
//! matrices are, whatever nalgebra the rest of tapegrad uses.
//!
//! ```
//! use levenberg_marquardt::{LeastSquaresProblem, LevenbergMarquardt};
//! use tapegrad::levenberg_marquardt::Problem;
//!
//! // Fit y = a e^(b t) to points made with a = 2, b = -0.5.
//! let data: Vec<(f64, f64)> =
//!     (0..20).map(|k| f64::from(k) * 0.25).map(|t| (t, 2.0 * (-0.5 * t).exp())).collect();
//! let problem = Problem::new(
//!     |p| data.iter().map(|&(t, y)| p[0] * (p[1] * t).exp() - y).collect(),
//!     &[1.0, 0.0],
//! );
//! let (fitted, report) = LevenbergMarquardt::new().minimize(problem);
//! assert!(report.termination.was_successful());
//! approx::assert_relative_eq!(fitted.parameters(), [2.0, -0.5].as_slice(), epsilon = 1e-9);
//! ```

use std::fmt;

use levenberg_marquardt::LeastSquaresProblem;
use nalgebra_0_34::{DMatrix, DVector, Dyn, storage::Owned};

use crate::var::Var;

/// A least-squares problem, minimize `½ Σᵢ rᵢ(p)²`, for levenberg-marquardt: the
/// residuals `r` from a closure on Vars, their Jacobian from [`jacobian`](crate::jacobian).
///
/// The closure runs once per point, in `set_params` (and [`new`](Self::new)): one
/// recording gives the residuals, and the Jacobian follows from the same recording
/// (`⌈n/8⌉` forward sweeps or `⌈m/8⌉` reverse ones). `residuals` and `jacobian` copy what
/// was kept. So the Jacobian is also computed at the trial points that the solver then
/// rejects, which costs less than a second recording at the accepted ones; and the
/// return to the previous point after a rejected step records nothing.
pub struct Problem<F> {
    f: F,
    current: Evaluation,
    /// The point before the current one, to which the solver returns after a rejected
    /// step.
    previous: Option<Evaluation>,
}

/// The residuals and Jacobian at one point.
#[derive(Clone, Debug)]
struct Evaluation {
    parameters: DVector<f64>,
    residuals: DVector<f64>,
    jacobian: DMatrix<f64>,
}

impl<F> Problem<F>
where
    F: Fn(&[Var<'static>]) -> Vec<Var<'static>>,
{
    /// The problem of the residuals `f`, which receives one Var per parameter, starting
    /// from the parameters `start`. Evaluates `f` and its Jacobian at `start`.
    ///
    /// # Panics
    ///
    /// If `f` returns Vars of another tape, or panics itself.
    pub fn new(f: F, start: &[f64]) -> Self {
        let current = evaluate(&f, DVector::from_column_slice(start));
        Problem {
            f,
            current,
            previous: None,
        }
    }

    /// The current parameters: after `LevenbergMarquardt::minimize`, the fitted ones.
    pub fn parameters(&self) -> &[f64] {
        self.current.parameters.as_slice()
    }

    /// The closure back.
    pub fn into_inner(self) -> F {
        self.f
    }
}

/// The residuals `f` and their Jacobian at `parameters`.
fn evaluate<F>(f: &F, parameters: DVector<f64>) -> Evaluation
where
    F: Fn(&[Var<'static>]) -> Vec<Var<'static>>,
{
    let (residuals, jacobian) = crate::jacobian(f, parameters.as_slice());
    let (m, n) = (jacobian.rows(), jacobian.columns());
    Evaluation {
        parameters,
        residuals: DVector::from_vec(residuals),
        jacobian: DMatrix::from_row_slice(m, n, jacobian.as_slice()),
    }
}

/// Whether `a` and `b` are the same point, bit for bit.
fn same_point(a: &DVector<f64>, b: &DVector<f64>) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.to_bits() == b.to_bits())
}

impl<F> fmt::Debug for Problem<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Problem")
            .field("parameters", &self.current.parameters.as_slice())
            .field("residuals", &self.current.residuals.as_slice())
            .finish_non_exhaustive()
    }
}

impl<F> LeastSquaresProblem<f64, Dyn, Dyn> for Problem<F>
where
    F: Fn(&[Var<'static>]) -> Vec<Var<'static>>,
{
    type ResidualStorage = Owned<f64, Dyn>;
    type JacobianStorage = Owned<f64, Dyn, Dyn>;
    type ParameterStorage = Owned<f64, Dyn>;

    /// Evaluates the residuals and their Jacobian at `x`, unless `x` is the point before
    /// the current one (the solver's return after a rejected step), which is kept.
    fn set_params(&mut self, x: &DVector<f64>) {
        let next = match self.previous.take() {
            Some(previous) if same_point(&previous.parameters, x) => previous,
            _ => evaluate(&self.f, x.clone()),
        };
        self.previous = Some(std::mem::replace(&mut self.current, next));
    }

    fn params(&self) -> DVector<f64> {
        self.current.parameters.clone()
    }

    /// The residuals at the current parameters (levenberg-marquardt itself stops, with
    /// `TerminationReason::Numerical`, where they are not finite).
    fn residuals(&self) -> Option<DVector<f64>> {
        Some(self.current.residuals.clone())
    }

    /// The Jacobian at the current parameters, residuals by parameters.
    fn jacobian(&self) -> Option<DMatrix<f64>> {
        Some(self.current.jacobian.clone())
    }
}
