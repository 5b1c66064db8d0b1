//! Functions that differentiate a closure in one call, making and discarding the tape.

use crate::tape::Tape;
use crate::var::Var;

/// The value and the gradient of `f` at `x`.
///
/// `f` receives one fresh Var per entry of `x`, usually to run a function written once
/// for any `T: Float`:
///
/// ```
/// use num_traits::Float;
///
/// fn rosenbrock<T: Float>(x: &[T]) -> T {
///     let (one, hundred) = (T::one(), T::from(100.0).unwrap());
///     x.windows(2)
///         .map(|w| hundred * (w[1] - w[0] * w[0]).powi(2) + (one - w[0]).powi(2))
///         .fold(T::zero(), |sum, term| sum + term)
/// }
///
/// let (value, gradient) = tapegrad::gradient(|x| rosenbrock(x), &[1.0, 2.0]);
/// assert_eq!(value, 100.0);
/// assert_eq!(gradient, vec![-400.0, 200.0]);
/// ```
///
/// # Panics
///
/// If `f` returns a Var of another tape, or panics itself.
pub fn gradient<F>(f: F, x: &[f64]) -> (f64, Vec<f64>)
where
    F: for<'t> FnOnce(&[Var<'t>]) -> Var<'t>,
{
    let tape = Tape::with_capacity(4 * x.len());
    let inputs = tape.vars(x);
    let y = f(&inputs);
    let gradient = tape.backward(y).wrt_all(&inputs);
    (y.value(), gradient)
}
