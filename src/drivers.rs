//! Functions that differentiate a closure in one call: [`gradient`] for any build, and
//! with the `nalgebra` feature [`jacobian`], [`hessian`] and [`hvp`] on nalgebra vectors.
//!
//! The closure receives `Var<'static>`s, so that it can put them in nalgebra matrices
//! (nalgebra's scalars must be `'static`). They are recorded on a tape that belongs to
//! the calling thread and is reused from call to call, so that a loop of thousands of
//! calls allocates no tape memory after the first; a call made from inside another's
//! closure gets a tape of its own. When a call returns, its tape is cleared: a Var that
//! escaped the closure (kept in a `static`, say) panics when used later instead of
//! giving a silently wrong result.
//!
//! A reused tape keeps the memory of its largest call. So that one large call does not
//! hold its memory for the rest of the thread's life, a call that holds more than
//! [`KEEP_BYTES`] but used less than a quarter of it releases it all: a loop of calls of
//! one size reuses its memory, and the first small call after a large one gives the
//! large one's back.

use std::cell::RefCell;

#[cfg(feature = "nalgebra")]
use crate::second_order::Sweeps;
use crate::tape::Tape;
use crate::var::Var;

/// A tape of the calling thread, with buffers that the drivers reuse.
#[derive(Debug, Default)]
struct ThreadTape {
    tape: Tape,
    inputs: Vec<Var<'static>>,
    #[cfg(feature = "nalgebra")]
    sweeps: Sweeps,
}

/// The memory (tape, adjoints, buffers) that a thread's driver tape keeps between calls
/// whatever they use: 16 MiB, about 1.4 million recorded edges.
const KEEP_BYTES: usize = 16 << 20;

impl ThreadTape {
    /// The bytes of memory held between calls, the tape's and the buffers', and the
    /// part of them that the last call used.
    fn memory(&self) -> (usize, usize) {
        let var = size_of::<Var<'static>>();
        let held = self.tape.held_bytes() + self.inputs.capacity() * var;
        let used = self.tape.used_bytes() + self.inputs.len() * var;
        #[cfg(feature = "nalgebra")]
        let (held, used) = (
            held + self.sweeps.held_bytes(),
            used + self.sweeps.used_bytes(),
        );
        (held, used)
    }
}

thread_local! {
    /// Tapes of finished calls, one per level of nesting reached so far.
    static SPARE: RefCell<Vec<ThreadTape>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on a cleared tape of this thread, recording second derivatives if
/// `second_order`, and clears the tape afterwards.
fn with_thread_tape<R>(second_order: bool, f: impl FnOnce(&mut ThreadTape) -> R) -> R {
    let mut thread_tape = SPARE
        .with(|spare| spare.borrow_mut().pop())
        .unwrap_or_default();
    thread_tape.tape.set_second_order(second_order);
    let result = f(&mut thread_tape);
    let (held, used) = thread_tape.memory();
    if held > KEEP_BYTES && used < held / 4 {
        // A large call's memory, held by a small call: give it back.
        thread_tape = ThreadTape::default();
    } else {
        thread_tape.inputs.clear();
        thread_tape.tape.clear();
    }
    SPARE.with(|spare| spare.borrow_mut().push(thread_tape));
    result
}

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
/// The Vars are `'static`, so nalgebra code runs on them too: the gradient of a
/// determinant is the cofactor matrix, `det(A) A⁻ᵀ`.
///
/// ```
/// # #[cfg(feature = "nalgebra")] {
/// use nalgebra::Matrix2;
///
/// let a = [1.0, 3.0, 2.0, 4.0]; // column-major [[1, 2], [3, 4]]
/// let (det, gradient) =
///     tapegrad::gradient(|a| Matrix2::from_column_slice(a).determinant(), &a);
/// assert_eq!(det, -2.0);
/// assert_eq!(gradient, vec![4.0, -2.0, -3.0, 1.0]);
/// # }
/// ```
///
/// Only the returned vector is allocated: the tape and the inputs are reused from the
/// previous call on this thread.
///
/// # Panics
///
/// If `f` returns a Var of another tape, or panics itself.
pub fn gradient<F>(f: F, x: &[f64]) -> (f64, Vec<f64>)
where
    F: FnOnce(&[Var<'static>]) -> Var<'static>,
{
    let mut gradient = vec![0.0; x.len()];
    let value = gradient_into(f, x, &mut gradient);
    (value, gradient)
}

/// The value of `f` at `x`, with its gradient written into `gradient`: [`gradient`]
/// without the allocation of the result, for training loops.
///
/// ```
/// let mut g = [0.0; 2];
/// let value = tapegrad::gradient_into(|x| x[0] * x[1], &[3.0, 4.0], &mut g);
/// assert_eq!((value, g), (12.0, [4.0, 3.0]));
/// ```
///
/// # Panics
///
/// If `gradient` and `x` differ in length, if `f` returns a Var of another tape, or if
/// `f` panics itself.
pub fn gradient_into<F>(f: F, x: &[f64], gradient: &mut [f64]) -> f64
where
    F: FnOnce(&[Var<'static>]) -> Var<'static>,
{
    assert_eq!(
        x.len(),
        gradient.len(),
        "tapegrad::gradient_into: {} inputs but room for {} derivatives",
        x.len(),
        gradient.len()
    );
    with_thread_tape(false, |ThreadTape { tape, inputs, .. }| {
        tape.inputs(x, inputs);
        let y = f(inputs);
        let grads = tape.backward(y);
        if let Some(&first) = inputs.first() {
            grads.wrt_consecutive(first, gradient);
        }
        y.value()
    })
}

#[cfg(feature = "nalgebra")]
pub use self::nalgebra_drivers::{hessian, hvp, jacobian};

#[cfg(feature = "nalgebra")]
mod nalgebra_drivers {
    use ::nalgebra::allocator::Allocator;
    use ::nalgebra::{DefaultAllocator, Dim, OMatrix, OVector, U1, Vector, storage::Storage};

    use super::{ThreadTape, with_thread_tape};
    use crate::var::Var;

    /// The values and the Jacobian of `f` at `x`: `J[(i, j)] = ∂f_i/∂x_j`.
    ///
    /// `f` is recorded once, then swept backwards once per output. Works on fixed-size
    /// (`SVector`) and dynamic (`DVector`) vectors alike.
    ///
    /// ```
    /// use approx::assert_relative_eq;
    /// use nalgebra::{Matrix2x3, Vector2, Vector3};
    ///
    /// // Polar to Cartesian coordinates, and its Jacobian.
    /// let (xy, j) = tapegrad::jacobian(
    ///     |p: &Vector2<tapegrad::Var>| Vector2::new(p[0] * p[1].cos(), p[0] * p[1].sin()),
    ///     &Vector2::new(2.0, 0.0),
    /// );
    /// assert_eq!(xy, Vector2::new(2.0, 0.0));
    /// assert_relative_eq!(j, nalgebra::Matrix2::new(1.0, 0.0, 0.0, 2.0));
    /// # let _ = (Matrix2x3::<f64>::zeros(), Vector3::<f64>::zeros());
    /// ```
    ///
    /// # Panics
    ///
    /// If `f` returns Vars of another tape, or panics itself.
    pub fn jacobian<D, M, S, F>(
        f: F,
        x: &Vector<f64, D, S>,
    ) -> (OVector<f64, M>, OMatrix<f64, M, D>)
    where
        D: Dim,
        M: Dim,
        S: Storage<f64, D>,
        F: FnOnce(&OVector<Var<'static>, D>) -> OVector<Var<'static>, M>,
        DefaultAllocator: Allocator<D> + Allocator<M> + Allocator<M, D>,
    {
        with_thread_tape(false, |ThreadTape { tape, .. }| {
            let inputs = x.map(|value| tape.input(value));
            let outputs = f(&inputs);
            let values = outputs.map(|y| y.value());
            let (rows, columns) = (outputs.shape_generic().0, inputs.shape_generic().0);
            let mut jacobian = OMatrix::<f64, M, D>::zeros_generic(rows, columns);
            for (i, &y) in outputs.iter().enumerate() {
                let grads = tape.backward(y);
                for (j, &x) in inputs.iter().enumerate() {
                    jacobian[(i, j)] = grads[x];
                }
            }
            (values, jacobian)
        })
    }

    /// The value, the gradient and the exact Hessian of `f` at `x`.
    ///
    /// Second derivatives come from *forward over reverse*: while `f` is recorded, every
    /// operation also records its local second derivatives; then for each unit vector
    /// `e_j` one forward sweep carries tangents along `e_j` and one reverse sweep carries
    /// the adjoints together with their tangents, whose values at the inputs are column
    /// `j` of the Hessian (see [`hvp`]). The cost is one recording and `n` pairs of
    /// sweeps; no finite differences are involved.
    ///
    /// ```
    /// use nalgebra::{Matrix2, Vector2};
    /// use tapegrad::Var;
    ///
    /// // f(x, y) = x² y + y³
    /// let f = |v: &Vector2<Var<'static>>| v[0] * v[0] * v[1] + v[1].powi(3);
    /// let (value, gradient, hessian) = tapegrad::hessian(f, &Vector2::new(1.0, 2.0));
    /// assert_eq!(value, 10.0);
    /// assert_eq!(gradient, Vector2::new(4.0, 13.0));
    /// assert_eq!(hessian, Matrix2::new(4.0, 2.0, 2.0, 12.0));
    /// ```
    ///
    /// # Panics
    ///
    /// If `f` returns a Var of another tape, or panics itself.
    pub fn hessian<D, S, F>(
        f: F,
        x: &Vector<f64, D, S>,
    ) -> (f64, OVector<f64, D>, OMatrix<f64, D, D>)
    where
        D: Dim,
        S: Storage<f64, D>,
        F: FnOnce(&OVector<Var<'static>, D>) -> Var<'static>,
        DefaultAllocator: Allocator<D> + Allocator<D, D>,
    {
        with_thread_tape(true, |ThreadTape { tape, sweeps, .. }| {
            let inputs = x.map(|value| tape.input(value));
            let y = f(&inputs);
            let n = inputs.shape_generic().0;
            let mut gradient = OVector::<f64, D>::zeros_generic(n, U1);
            let mut hessian = OMatrix::<f64, D, D>::zeros_generic(n, n);
            let mut direction = OVector::<f64, D>::zeros_generic(n, U1);
            for j in 0..inputs.len() {
                direction[j] = 1.0;
                tape.hessian_vector_product(sweeps, y, inputs.as_slice(), direction.as_slice());
                direction[j] = 0.0;
                for (i, x) in inputs.iter().enumerate() {
                    hessian[(i, j)] = sweeps.adjoint_tangent(x.index);
                }
            }
            for (g, x) in gradient.iter_mut().zip(inputs.iter()) {
                *g = sweeps.adjoint(x.index);
            }
            (y.value(), gradient, hessian)
        })
    }

    /// The value, the gradient and the Hessian-vector product `H v` of `f` at `x`,
    /// without forming the Hessian: one recording, one forward and one reverse sweep
    /// (forward over reverse; see [`hessian`]), at a small constant times the cost of
    /// the gradient.
    ///
    /// ```
    /// use nalgebra::Vector2;
    /// use tapegrad::Var;
    ///
    /// // f(x, y) = x² y + y³ has H = [[2y, 2x], [2x, 6y]].
    /// let f = |v: &Vector2<Var<'static>>| v[0] * v[0] * v[1] + v[1].powi(3);
    /// let (_, _, hv) = tapegrad::hvp(f, &Vector2::new(1.0, 2.0), &Vector2::new(1.0, -1.0));
    /// assert_eq!(hv, Vector2::new(4.0 - 2.0, 2.0 - 12.0));
    /// ```
    ///
    /// # Panics
    ///
    /// If `x` and `v` differ in length, if `f` returns a Var of another tape, or if `f`
    /// panics itself.
    pub fn hvp<D, S, S2, F>(
        f: F,
        x: &Vector<f64, D, S>,
        v: &Vector<f64, D, S2>,
    ) -> (f64, OVector<f64, D>, OVector<f64, D>)
    where
        D: Dim,
        S: Storage<f64, D>,
        S2: Storage<f64, D>,
        F: FnOnce(&OVector<Var<'static>, D>) -> Var<'static>,
        DefaultAllocator: Allocator<D>,
    {
        assert_eq!(
            x.len(),
            v.len(),
            "tapegrad::hvp: the point has {} entries but the direction {}",
            x.len(),
            v.len()
        );
        with_thread_tape(true, |ThreadTape { tape, sweeps, .. }| {
            let inputs = x.map(|value| tape.input(value));
            let y = f(&inputs);
            let direction: Vec<f64> = v.iter().copied().collect();
            tape.hessian_vector_product(sweeps, y, inputs.as_slice(), &direction);
            let gradient = inputs.map(|x| sweeps.adjoint(x.index));
            let product = inputs.map(|x| sweeps.adjoint_tangent(x.index));
            (y.value(), gradient, product)
        })
    }
}
