//! Functions that differentiate a closure in one call:
//!
//! | driver                 | returns                              | sweeps                                   |
//! |------------------------|--------------------------------------|------------------------------------------|
//! | [`derivative`]         | `f(x)`, `f'(x)` for scalar `x`        | one reverse                              |
//! | [`gradient`], [`gradient_into`] | value, gradient             | one reverse                              |
//! | [`jvp`]                | values, `J v`                        | one forward (tangents)                   |
//! | [`vjp`]                | values, `uᵀ J`                       | one reverse, seeded with `u`             |
//! | [`jacobian`]           | values, `J`                          | `⌈n/8⌉` forward if `n < m`, else `⌈m/8⌉` reverse, 8 lanes each |
//! | [`hessian`]            | value, gradient, `H`                 | `n` forward-over-reverse pairs           |
//! | [`hvp`]                | value, gradient, `H v`               | one forward-over-reverse pair            |
//!
//! Every driver but `gradient` takes its point, direction and cotangent as any
//! [`Input`]: a slice, array or `Vec` of `f64` or `f32`, or a nalgebra vector (see
//! [`input`](crate::input) for what each gives back).
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

use crate::input::{Input, Output};
use crate::second_order::Sweeps;
use crate::tape::Tape;
use crate::var::Var;

/// A tape of the calling thread, with buffers that the drivers reuse.
#[derive(Debug, Default)]
struct ThreadTape {
    tape: Tape,
    inputs: Vec<Var<'static>>,
    /// The input's numbers as `f64`, then a direction or cotangent.
    values: Vec<f64>,
    /// The tangents or adjoints of the vector-mode sweeps, `L` per node.
    lanes: Vec<f64>,
    sweeps: Sweeps,
}

/// The memory (tape, adjoints, buffers) that a thread's driver tape keeps between calls
/// whatever they use: 16 MiB, about 1.4 million recorded edges.
const KEEP_BYTES: usize = 16 << 20;

/// How many directions the vector-mode sweeps of [`jacobian`] carry at most.
const LANES: usize = 8;

impl ThreadTape {
    /// The bytes of memory held between calls, the tape's and the buffers', and the
    /// part of them that the last call used.
    fn memory(&self) -> (usize, usize) {
        let (var, float) = (size_of::<Var<'static>>(), size_of::<f64>());
        let held = self.tape.held_bytes()
            + self.inputs.capacity() * var
            + (self.values.capacity() + self.lanes.capacity()) * float
            + self.sweeps.held_bytes();
        let used = self.tape.used_bytes()
            + self.inputs.len() * var
            + (self.values.len() + self.lanes.len()) * float
            + self.sweeps.used_bytes();
        (held, used)
    }

    /// Records one input per number of `x`, then runs `f` on them in the shape of `x`.
    fn record<X, R>(&mut self, x: &X, f: impl FnOnce(&X::Vars) -> R) -> R
    where
        X: Input + ?Sized,
    {
        self.values.clear();
        x.extend_values(&mut self.values);
        self.tape.inputs(&self.values, &mut self.inputs);
        X::with_vars(&self.inputs, f)
    }

    /// `v`'s numbers in `values`, after a check that there are `expected` of them.
    fn load<V: Input + ?Sized>(
        &mut self,
        v: &V,
        expected: usize,
        message: impl FnOnce() -> String,
    ) {
        assert!(v.dimension() == expected, "{}", message());
        self.values.clear();
        v.extend_values(&mut self.values);
    }

    /// The lane buffer, zeroed for the nodes up to `last`, `L` numbers each.
    fn lanes<const L: usize>(lanes: &mut Vec<f64>, last: u32) -> &mut [[f64; L]] {
        lanes.clear();
        lanes.resize((last as usize + 1) * L, 0.0);
        lanes.as_chunks_mut::<L>().0
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
        thread_tape.values.clear();
        thread_tape.lanes.clear();
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

/// The value and the derivative of a function of one variable at `x`.
///
/// ```
/// let (value, slope) = tapegrad::derivative(|x| x.sin() * x, 2.0);
/// assert_eq!(value, 2.0f64.sin() * 2.0);
/// assert_eq!(slope, 2.0f64.cos() * 2.0 + 2.0f64.sin());
/// ```
///
/// `x` may be an `f64`, an `f32` or a small integer.
///
/// # Panics
///
/// If `f` returns a Var of another tape, or panics itself.
pub fn derivative<F>(f: F, x: impl Into<f64>) -> (f64, f64)
where
    F: FnOnce(Var<'static>) -> Var<'static>,
{
    with_thread_tape(false, |ThreadTape { tape, inputs, .. }| {
        tape.inputs(&[x.into()], inputs);
        let y = f(inputs[0]);
        (y.value(), tape.backward(y)[inputs[0]])
    })
}

/// The values of `f` at `x` and the Jacobian-vector product `J v`, the derivative of `f`
/// along `v`: forward mode, one recording and one sweep of tangents, at a small constant
/// times the cost of `f` whatever the number of outputs.
///
/// ```
/// // Polar to Cartesian coordinates, moved along the angle.
/// let f = |p: &[tapegrad::Var<'static>]| vec![p[0] * p[1].cos(), p[0] * p[1].sin()];
/// let (xy, velocity) = tapegrad::jvp(f, &[2.0, 0.0], &[0.0, 1.0]);
/// assert_eq!(xy, vec![2.0, 0.0]);
/// assert_eq!(velocity, vec![0.0, 2.0]);
/// ```
///
/// `x` and `v` are any [`Input`]: slices, arrays, `Vec`s or nalgebra vectors; `f`
/// returns a `Vec`, an array or (for nalgebra inputs) a nalgebra vector of Vars, whose
/// type `J v` shares.
///
/// # Panics
///
/// If `x` and `v` differ in length; if `f` uses a custom vector rule
/// ([`Var::custom_vjp`]), which has no forward rule (use [`vjp`] or [`jacobian`]); if `f`
/// returns Vars of another tape, or panics itself.
pub fn jvp<X, V, Y, F>(f: F, x: &X, v: &V) -> (Y::Values, Y::Values)
where
    X: Input + ?Sized,
    V: Input + ?Sized,
    Y: Output<X::Shape>,
    F: FnOnce(&X::Vars) -> Y,
{
    direction_length("jvp", x, v);
    with_thread_tape(false, |thread| {
        let outputs = thread.record(x, f);
        let ys = outputs.vars();
        let values = Y::values_with(ys.len(), |values| read_values(ys, values));
        v.extend_values({
            thread.values.clear();
            &mut thread.values
        });
        let generation = thread.tape.generation();
        let Some(last) = last_node(ys, generation) else {
            return (values, Y::values_with(ys.len(), |_| {}));
        };
        let tangents = ThreadTape::lanes::<1>(&mut thread.lanes, last);
        for (x, &direction) in thread.inputs.iter().zip(&thread.values) {
            if x.index <= last {
                tangents[x.index as usize] = [direction];
            }
        }
        thread.tape.tangents(last, tangents);
        let product = Y::values_with(ys.len(), |product| {
            for (p, y) in product.iter_mut().zip(ys) {
                if let Some(node) = y.node_on(generation) {
                    *p = tangents[node as usize][0];
                }
            }
        });
        (values, product)
    })
}

/// The values of `f` at `x` and the vector-Jacobian product `uᵀ J`, the gradient of
/// `Σᵢ uᵢ fᵢ`: reverse mode, one recording and one backward sweep seeded with `u`, at a
/// small constant times the cost of `f` whatever the number of inputs.
///
/// ```
/// let f = |p: &[tapegrad::Var<'static>]| [p[0] * p[1], p[0].sin()];
/// let (values, pullback) = tapegrad::vjp(f, &[2.0, 3.0], &[1.0, 10.0]);
/// assert_eq!(values, [6.0, 2.0f64.sin()]);
/// assert_eq!(pullback, vec![3.0 + 10.0 * 2.0f64.cos(), 2.0]);
/// ```
///
/// `x` and `u` are any [`Input`]; `uᵀ J` has the type of a vector like `x` (`Vec<f64>`
/// for slice-like inputs, a nalgebra vector for nalgebra ones). See also
/// [`Tape::backward_with`].
///
/// # Panics
///
/// If `u` has another length than `f`'s output; if `f` returns Vars of another tape, or
/// panics itself.
pub fn vjp<X, U, Y, F>(f: F, x: &X, u: &U) -> (Y::Values, X::Vector)
where
    X: Input + ?Sized,
    U: Input + ?Sized,
    Y: Output<X::Shape>,
    F: FnOnce(&X::Vars) -> Y,
{
    with_thread_tape(false, |thread| {
        let outputs = thread.record(x, f);
        let ys = outputs.vars();
        let m = ys.len();
        thread.load(u, m, || {
            format!(
                "tapegrad::vjp: the function has {m} outputs but the cotangent {} entries",
                u.dimension()
            )
        });
        let values = Y::values_with(m, |values| read_values(ys, values));
        let ThreadTape {
            tape,
            inputs,
            values: cotangents,
            ..
        } = thread;
        let grads = tape.backward_with(ys, cotangents);
        let pullback = X::vector_with(inputs.len(), |out| {
            if let Some(&first) = inputs.first() {
                grads.wrt_consecutive(first, out);
            }
        });
        (values, pullback)
    })
}

/// The values and the Jacobian of `f` at `x`: `J[(i, j)] = ∂f_i/∂x_j`.
///
/// `f` is recorded once; then the mode is picked by the shape. With fewer inputs than
/// outputs (`n < m`), forward sweeps carry the tangents of 8 inputs at a time and give 8
/// columns each; otherwise reverse sweeps carry the adjoints of 8 outputs at a time and
/// give 8 rows each. So a 30 000 × 26 Jacobian costs 4 forward sweeps, and a
/// 26 × 30 000 one 4 reverse sweeps. (A closure with a custom vector rule,
/// [`Var::custom_vjp`], is swept in reverse whatever its shape.)
///
/// Slice-like inputs give a [`Matrix`](crate::Matrix); nalgebra inputs, fixed-size or
/// dynamic, give a nalgebra matrix:
///
/// ```
/// use approx::assert_relative_eq;
/// # #[cfg(feature = "nalgebra")] {
/// use nalgebra::{Matrix2, Vector2};
///
/// // Polar to Cartesian coordinates, and its Jacobian.
/// let (xy, j) = tapegrad::jacobian(
///     |p: &Vector2<tapegrad::Var>| Vector2::new(p[0] * p[1].cos(), p[0] * p[1].sin()),
///     &Vector2::new(2.0, 0.0),
/// );
/// assert_eq!(xy, Vector2::new(2.0, 0.0));
/// assert_relative_eq!(j, Matrix2::new(1.0, 0.0, 0.0, 2.0));
/// # }
/// // The same on a slice.
/// let (xy, j) = tapegrad::jacobian(|p| vec![p[0] * p[1].cos(), p[0] * p[1].sin()], &[2.0, 0.0]);
/// assert_eq!(xy, vec![2.0, 0.0]);
/// assert_eq!(j.as_slice(), &[1.0, 0.0, 0.0, 2.0]);
/// ```
///
/// # Panics
///
/// If `f` returns Vars of another tape, or panics itself.
pub fn jacobian<X, Y, F>(f: F, x: &X) -> (Y::Values, Y::Jacobian)
where
    X: Input + ?Sized,
    Y: Output<X::Shape>,
    F: FnOnce(&X::Vars) -> Y,
{
    with_thread_tape(false, |thread| {
        let outputs = thread.record(x, f);
        let ys = outputs.vars();
        let (m, n) = (ys.len(), thread.inputs.len());
        let values = Y::values_with(m, |values| read_values(ys, values));
        let mut jacobian = Y::zero_jacobian(m, n);
        let mut set = |i, j, value| Y::set_entry(&mut jacobian, i, j, value);
        let forward = n < m && !thread.tape.has_custom_vector_rules();
        let count = if forward { n } else { m };
        let mut start = 0;
        while start < count {
            let width = (count - start).min(LANES);
            let batch = start..start + width;
            match (forward, width) {
                (true, 5..) => columns::<8>(thread, ys, batch, &mut set),
                (true, 3..) => columns::<4>(thread, ys, batch, &mut set),
                (true, _) => columns::<2>(thread, ys, batch, &mut set),
                (false, 5..) => rows::<8>(thread, ys, batch, &mut set),
                (false, 3..) => rows::<4>(thread, ys, batch, &mut set),
                (false, _) => rows::<2>(thread, ys, batch, &mut set),
            }
            start += width;
        }
        (values, jacobian)
    })
}

/// Columns `batch` of the Jacobian of `ys` with respect to the thread's inputs, from one
/// forward sweep of `L ≥ batch.len()` lanes, handed to `set(i, j, value)`.
fn columns<const L: usize>(
    thread: &mut ThreadTape,
    ys: &[Var<'static>],
    batch: std::ops::Range<usize>,
    set: &mut impl FnMut(usize, usize, f64),
) {
    let generation = thread.tape.generation();
    let Some(last) = last_node(ys, generation) else {
        return;
    };
    let tangents = ThreadTape::lanes::<L>(&mut thread.lanes, last);
    for (lane, x) in thread.inputs[batch.clone()].iter().enumerate() {
        if x.index <= last {
            tangents[x.index as usize][lane] = 1.0;
        }
    }
    thread.tape.tangents(last, tangents);
    for (i, y) in ys.iter().enumerate() {
        if let Some(node) = y.node_on(generation) {
            let tangent = &tangents[node as usize];
            for (lane, j) in batch.clone().enumerate() {
                set(i, j, tangent[lane]);
            }
        }
    }
}

/// Rows `batch` of the Jacobian of `ys` with respect to the thread's inputs, from one
/// reverse sweep of `L ≥ batch.len()` lanes, handed to `set(i, j, value)`.
fn rows<const L: usize>(
    thread: &mut ThreadTape,
    ys: &[Var<'static>],
    batch: std::ops::Range<usize>,
    set: &mut impl FnMut(usize, usize, f64),
) {
    let generation = thread.tape.generation();
    let Some(last) = last_node(&ys[batch.clone()], generation) else {
        return;
    };
    let adjoints = ThreadTape::lanes::<L>(&mut thread.lanes, last);
    for (lane, y) in ys[batch.clone()].iter().enumerate() {
        if let Some(node) = y.node_on(generation) {
            adjoints[node as usize][lane] = 1.0;
        }
    }
    thread.tape.adjoints(last, adjoints);
    for (j, x) in thread.inputs.iter().enumerate() {
        if x.index <= last {
            let adjoint = &adjoints[x.index as usize];
            for (lane, i) in batch.clone().enumerate() {
                set(i, j, adjoint[lane]);
            }
        }
    }
}

/// The last node among `ys` on the tape of `generation`, `None` if all are constants.
///
/// # Panics
///
/// If one of `ys` belongs to another tape.
fn last_node(ys: &[Var<'_>], generation: u32) -> Option<u32> {
    ys.iter().filter_map(|y| y.node_on(generation)).max()
}

/// The values of `ys`, into `values`.
fn read_values(ys: &[Var<'_>], values: &mut [f64]) {
    for (value, y) in values.iter_mut().zip(ys) {
        *value = y.value();
    }
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
/// On a slice (or an array, or a `Vec`), the Hessian is a [`Matrix`](crate::Matrix):
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
/// let (value, gradient, hessian) = tapegrad::hessian(|x| rosenbrock(x), &[1.0, 2.0]);
/// assert_eq!((value, gradient), (100.0, vec![-400.0, 200.0]));
/// assert_eq!(hessian.row(0), &[1200.0 - 800.0 + 2.0, -400.0]);
/// assert_eq!(hessian.row(1), &[-400.0, 200.0]);
/// ```
///
/// On a nalgebra vector, fixed-size or dynamic, it is a nalgebra matrix:
///
/// ```
/// # #[cfg(feature = "nalgebra")] {
/// use nalgebra::{Matrix2, Vector2};
/// use tapegrad::Var;
///
/// // f(x, y) = x² y + y³
/// let f = |v: &Vector2<Var<'static>>| v[0] * v[0] * v[1] + v[1].powi(3);
/// let (value, gradient, hessian) = tapegrad::hessian(f, &Vector2::new(1.0, 2.0));
/// assert_eq!(value, 10.0);
/// assert_eq!(gradient, Vector2::new(4.0, 13.0));
/// assert_eq!(hessian, Matrix2::new(4.0, 2.0, 2.0, 12.0));
/// # }
/// ```
///
/// # Panics
///
/// If `f` uses a rule without second derivatives ([`Var::custom`],
/// [`Var::custom_vjp`]); if `f` returns a Var of another tape, or panics itself.
pub fn hessian<X, F>(f: F, x: &X) -> (f64, X::Vector, X::Matrix)
where
    X: Input + ?Sized,
    F: FnOnce(&X::Vars) -> Var<'static>,
{
    with_thread_tape(true, |thread| {
        let y = thread.record(x, f);
        let ThreadTape {
            tape,
            inputs,
            values: direction,
            sweeps,
            ..
        } = thread;
        let n = inputs.len();
        let mut hessian = X::zero_matrix(n);
        direction.clear();
        direction.resize(n, 0.0);
        for j in 0..n {
            direction[j] = 1.0;
            tape.hessian_vector_product(sweeps, y, inputs, direction);
            direction[j] = 0.0;
            for (i, x) in inputs.iter().enumerate() {
                X::set_entry(&mut hessian, i, j, sweeps.adjoint_tangent(x.index));
            }
        }
        if n == 0 {
            // No column was swept: the gradient reads the adjoints of no sweep.
            tape.hessian_vector_product(sweeps, y, inputs, direction);
        }
        let gradient = X::vector_with(n, |gradient| {
            for (g, x) in gradient.iter_mut().zip(inputs.iter()) {
                *g = sweeps.adjoint(x.index);
            }
        });
        (y.value(), gradient, hessian)
    })
}

/// The value, the gradient and the Hessian-vector product `H v` of `f` at `x`,
/// without forming the Hessian: one recording, one forward and one reverse sweep
/// (forward over reverse; see [`hessian`]), at a small constant times the cost of
/// the gradient.
///
/// ```
/// # #[cfg(feature = "nalgebra")] {
/// use nalgebra::Vector2;
/// use tapegrad::Var;
///
/// // f(x, y) = x² y + y³ has H = [[2y, 2x], [2x, 6y]].
/// let f = |v: &Vector2<Var<'static>>| v[0] * v[0] * v[1] + v[1].powi(3);
/// let (_, _, hv) = tapegrad::hvp(f, &Vector2::new(1.0, 2.0), &Vector2::new(1.0, -1.0));
/// assert_eq!(hv, Vector2::new(4.0 - 2.0, 2.0 - 12.0));
/// # }
/// // The same on slices.
/// let (_, _, hv) = tapegrad::hvp(|v| v[0] * v[0] * v[1] + v[1].powi(3), &[1.0, 2.0], &[1.0, -1.0]);
/// assert_eq!(hv, vec![2.0, -10.0]);
/// ```
///
/// # Panics
///
/// If `x` and `v` differ in length; if `f` uses a rule without second derivatives
/// ([`Var::custom`], [`Var::custom_vjp`]); if `f` returns a Var of another tape, or
/// panics itself.
pub fn hvp<X, V, F>(f: F, x: &X, v: &V) -> (f64, X::Vector, X::Vector)
where
    X: Input + ?Sized,
    V: Input + ?Sized,
    F: FnOnce(&X::Vars) -> Var<'static>,
{
    let n = direction_length("hvp", x, v);
    with_thread_tape(true, |thread| {
        let y = thread.record(x, f);
        thread.load(v, n, String::new);
        let ThreadTape {
            tape,
            inputs,
            values: direction,
            sweeps,
            ..
        } = thread;
        tape.hessian_vector_product(sweeps, y, inputs, direction);
        let read = |read: fn(&Sweeps, u32) -> f64| {
            X::vector_with(n, |out| {
                for (o, x) in out.iter_mut().zip(inputs.iter()) {
                    *o = read(sweeps, x.index);
                }
            })
        };
        (
            y.value(),
            read(Sweeps::adjoint),
            read(Sweeps::adjoint_tangent),
        )
    })
}

/// The length of the point `x` of the driver `driver`, checked against the direction `v`.
///
/// # Panics
///
/// If they differ, naming the driver and both lengths.
fn direction_length<X: Input + ?Sized, V: Input + ?Sized>(driver: &str, x: &X, v: &V) -> usize {
    let n = x.dimension();
    assert_eq!(
        n,
        v.dimension(),
        "tapegrad::{driver}: the point has {n} entries but the direction {}",
        v.dimension()
    );
    n
}
