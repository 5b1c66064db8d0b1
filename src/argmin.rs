//! [argmin](https://argmin-rs.org) problems from a closure on Vars (feature `argmin`).
//!
//! | argmin trait     | `Param`    | gives                | computed by                          |
//! |------------------|------------|----------------------|--------------------------------------|
//! | `CostFunction`   | `Vec<f64>` | `f64`                | [`gradient`](crate::gradient), cached |
//! | `Gradient`       | `Vec<f64>` | `Vec<f64>`           | [`gradient`](crate::gradient), cached |
//! | `Hessian`        | `Vec<f64>` | `Vec<Vec<f64>>`, rows | [`hessian`](crate::hessian)          |
//!
//! ```
//! use argmin::core::{Executor, State};
//! use argmin::solver::linesearch::MoreThuenteLineSearch;
//! use argmin::solver::quasinewton::LBFGS;
//! use num_traits::Float;
//!
//! fn rosenbrock<T: Float>(x: &[T]) -> T {
//!     let (one, hundred) = (T::one(), T::from(100.0).unwrap());
//!     x.windows(2)
//!         .map(|w| hundred * (w[1] - w[0] * w[0]).powi(2) + (one - w[0]).powi(2))
//!         .fold(T::zero(), |sum, term| sum + term)
//! }
//!
//! let problem = tapegrad::argmin::Problem::new(|x| rosenbrock(x));
//! let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7);
//! let result = Executor::new(problem, solver)
//!     .configure(|state| state.param(vec![-1.2, 1.0]).max_iters(100))
//!     .run()?;
//! let best = result.state().get_best_param().unwrap();
//! approx::assert_relative_eq!(best.as_slice(), [1.0, 1.0].as_slice(), epsilon = 1e-6);
//! # Ok::<(), argmin::core::Error>(())
//! ```

use std::fmt;
use std::sync::{Mutex, PoisonError};

use argmin::core::{CostFunction, Error, Gradient, Hessian};

use crate::var::Var;

/// A function to minimize, `f: ℝⁿ → ℝ`, as an argmin problem: cost, gradient and Hessian
/// for `Param = Vec<f64>`, all derived from one closure on Vars.
///
/// Solvers usually ask for the cost and then the gradient at the same point (L-BFGS,
/// its line searches). So the cost is computed together with the gradient, in one
/// recording and one reverse sweep, and both are kept until the next point: the gradient
/// that follows costs a copy. A point counts as the same when its entries are the same
/// bits.
///
/// The cache sits behind a [`Mutex`], so the problem is `Sync` when the closure is, as
/// argmin's `rayon` feature asks of problems evaluated in parallel.
pub struct Problem<F> {
    f: F,
    last: Mutex<Option<Evaluation>>,
}

/// The value and gradient at the last point evaluated.
#[derive(Clone, Debug)]
struct Evaluation {
    x: Vec<f64>,
    value: f64,
    gradient: Vec<f64>,
}

impl Evaluation {
    /// Whether this evaluation was made at exactly `x`.
    fn is_at(&self, x: &[f64]) -> bool {
        self.x.len() == x.len()
            && self
                .x
                .iter()
                .zip(x)
                .all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

impl<F> Problem<F>
where
    F: Fn(&[Var<'static>]) -> Var<'static>,
{
    /// The problem of minimizing `f`, which receives one Var per entry of the point.
    pub fn new(f: F) -> Self {
        Problem {
            f,
            last: Mutex::new(None),
        }
    }

    /// The value and the gradient of the function at `x`: from the cache if `x` is the
    /// last point evaluated, otherwise by one recording and one reverse sweep.
    ///
    /// # Panics
    ///
    /// If the closure returns a Var of another tape, or panics itself.
    pub fn value_and_gradient(&self, x: &[f64]) -> (f64, Vec<f64>) {
        if let Some(last) = self.lock().as_ref().filter(|last| last.is_at(x)) {
            return (last.value, last.gradient.clone());
        }
        // The closure runs without the lock held, so that it may use this problem too.
        let (value, gradient) = crate::gradient(&self.f, x);
        *self.lock() = Some(Evaluation {
            x: x.to_vec(),
            value,
            gradient: gradient.clone(),
        });
        (value, gradient)
    }

    /// The closure back.
    pub fn into_inner(self) -> F {
        self.f
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Evaluation>> {
        // The lock is never held while user code runs, so a poisoned cache is still whole.
        self.last.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<F> fmt::Debug for Problem<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Problem")
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl<F> CostFunction for Problem<F>
where
    F: Fn(&[Var<'static>]) -> Var<'static>,
{
    type Param = Vec<f64>;
    type Output = f64;

    /// The value at `x`, computed with the gradient (see [`Problem`]).
    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        Ok(self.value_and_gradient(x).0)
    }
}

impl<F> Gradient for Problem<F>
where
    F: Fn(&[Var<'static>]) -> Var<'static>,
{
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    /// The gradient at `x`, from the cache if the cost was just asked at `x`.
    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        Ok(self.value_and_gradient(x).1)
    }
}

impl<F> Hessian for Problem<F>
where
    F: Fn(&[Var<'static>]) -> Var<'static>,
{
    type Param = Vec<f64>;
    type Hessian = Vec<Vec<f64>>;

    /// The exact Hessian at `x`, as rows, by [`hessian`](crate::hessian) (`n`
    /// forward-over-reverse sweeps of one recording); the value and gradient it gives
    /// on the way are cached.
    fn hessian(&self, x: &Vec<f64>) -> Result<Vec<Vec<f64>>, Error> {
        let (value, gradient, hessian) = crate::hessian(&self.f, x.as_slice());
        *self.lock() = Some(Evaluation {
            x: x.clone(),
            value,
            gradient,
        });
        let n = x.len();
        Ok((0..n).map(|i| hessian.row(i).to_vec()).collect())
    }
}
