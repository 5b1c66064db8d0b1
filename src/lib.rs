// # Layers
//
// Each layer uses only those above it in this table.
//
// | layer           | files                                  | holds                                                  |
// |-----------------|----------------------------------------|--------------------------------------------------------|
// | storage         | edges.rs, storage.rs                   | the flat arrays of edges; the one walk over them        |
// | registry        | registry.rs                            | the tapes alive on each thread; generations            |
// | recording       | var.rs                                 | `Var`, its check against a tape, the recording helpers |
// | operations      | ops.rs, math.rs, float.rs, special.rs, | the value and local partials of each operation; the    |
// |                 | special/polygamma.rs, special/beta.rs, | `Special` functions (erf, the gamma family, ln B);     |
// |                 | custom.rs                              | users' own rules                                       |
// | tape and sweeps | tape.rs, gradients.rs, numerics.rs,    | `Tape`, the backward sweep and its checked form, the   |
// |                 | modes.rs, second_order.rs              | sweeps of several lanes (forward and reverse), the     |
// |                 |                                        | second-order sweeps                                    |
// | drivers         | drivers.rs, input.rs, matrix.rs        | `gradient`, `derivative`, `jvp`, `vjp`, `jacobian`,    |
// |                 |                                        | `hessian`, `hvp`; what they take and return            |
// | integrations    | nalgebra.rs, graph.rs, graph_svg.rs,   | simba and approx traits; pictures of the graph;        |
// |                 | linalg/                                | matrix functions with analytic adjoints                |
// |                 | argmin.rs, levenberg_marquardt.rs      | problems for argmin and levenberg-marquardt from       |
// |                 |                                        | a closure on Vars (features of the same names)         |
//
// The only `unsafe` code is in edges.rs and registry.rs.
//
// graph_svg.rs draws boxes and circles from plain data and uses no other module;
// graph.rs reads the tape and hands it that data.

//! Reverse-mode automatic differentiation on a flat tape.
//!
//! Write numeric code once, generic over [`num_traits::Float`], and get exact gradients
//! from it: run it on [`Var`]s instead of `f64`s, then call [`Tape::backward`].
//!
//! ```
//! use tapegrad::{Tape, Var, Gradients};
//!
//! let tape = Tape::new();
//! let a = tape.var(2.0);
//! let b = tape.var(3.0);
//! let c = a * b;                       // 6
//! let grads: Gradients = tape.backward(c);
//! assert_eq!(grads[a], 3.0);           // dc/da = b
//! assert_eq!(grads[b], 2.0);           // dc/db = a
//! ```
//!
//! Generic code runs unchanged, and [`gradient`] differentiates it in one call:
//!
//! ```
//! use num_traits::Float;
//!
//! fn rosenbrock<T: Float>(x: &[T]) -> T {
//!     let (one, hundred) = (T::one(), T::from(100.0).unwrap());
//!     x.windows(2)
//!         .map(|w| hundred * (w[1] - w[0] * w[0]).powi(2) + (one - w[0]).powi(2))
//!         .fold(T::zero(), |sum, term| sum + term)
//! }
//!
//! assert_eq!(rosenbrock(&[1.0, 2.0]), 100.0);
//! let (value, gradient) = tapegrad::gradient(|x| rosenbrock(x), &[1.0, 2.0]);
//! assert_eq!(value, 100.0);
//! assert_eq!(gradient, vec![-400.0, 200.0]);
//! ```
//!
//! # What is here
//!
//! - [`Tape`], [`Var`], [`Gradients`]: the engine.
//! - One-call drivers: [`gradient`], [`gradient_into`], [`derivative`], [`jvp`] (forward
//!   mode), [`vjp`] (reverse mode), [`jacobian`] (picks its mode, 8 directions per
//!   sweep), [`hessian`] (exact, forward over reverse) and [`hvp`]. All but `gradient`
//!   take slices, arrays, `Vec`s (of `f64` or `f32`) or nalgebra vectors ([`Input`]).
//! - [`Tape::backward_with`]: one reverse sweep seeded at several outputs.
//! - [`Var::custom`], [`Var::custom_with_hessian`] and [`Var::custom_vjp`]: your own
//!   derivative rules, scalar or vector.
//! - [`Tape::backward_checked`] and [`Tape::check_numerics`]: where an infinite or NaN
//!   partial was skipped.
//! - [`Special`]: `erf`, `erfc`, `ln_gamma`, `gamma`, `digamma`, `trigamma` and `ln_beta`
//!   for generic code, on `f64`, `f32` and [`Var`].
//! - With the `argmin` feature, `argmin::Problem`: argmin's cost, gradient and Hessian
//!   from one closure, the cost and gradient recorded once per point; with the
//!   `levenberg-marquardt` feature, `levenberg_marquardt::Problem`: a least-squares
//!   problem from a residual closure, its Jacobian by [`jacobian`].
//! - [`graph`]: pictures of the computation graph, as Graphviz DOT or SVG.
//! - With the `nalgebra` feature, `linalg`: `det`, `log_det`, `inverse`, `solve`,
//!   `cholesky`, `cholesky_solve`, `symmetric_eigen`, `svd` and the rotation maps
//!   `rotation_from_scaled_axis` and `scaled_axis` on matrices of Vars, each recorded with
//!   its analytic adjoint — right where nalgebra's generic code takes exact-zero
//!   shortcuts, and O(n²) on the tape.
//!
//! # nalgebra
//!
//! With the default feature `nalgebra`, `Var<'static>` is a simba `RealField`, so
//! nalgebra's generic code runs on matrices of Vars. The drivers [`gradient`],
//! [`jacobian`], [`hessian`] and [`hvp`] hand their closure such Vars, recorded on a
//! reused tape of the calling thread:
//!
//! ```
//! # #[cfg(feature = "nalgebra")] {
//! use nalgebra::{Matrix3, Vector3};
//! use tapegrad::Var;
//!
//! let a = Matrix3::new(2.0, -1.0, 0.5, 1.0, 3.0, -2.0, 0.0, 1.0, 4.0);
//! let (det, gradient) =
//!     tapegrad::gradient(|x| Matrix3::from_column_slice(x).determinant(), a.as_slice());
//! let cofactors = a.determinant() * a.try_inverse().unwrap().transpose();
//! approx::assert_relative_eq!(Matrix3::from_column_slice(&gradient), cofactors, epsilon = 1e-12);
//!
//! let f = |v: &Vector3<Var<'static>>| v.norm_squared() * v[0];
//! let (_, _, hessian) = tapegrad::hessian(f, &Vector3::new(1.0, 2.0, 3.0));
//! assert_eq!(hessian[(0, 0)], 6.0); // ∂²(x³ + x y² + x z²)/∂x² = 6x
//! # let _ = det;
//! # }
//! ```
//!
//! # How it works
//!
//! Every operation on Vars appends to the [`Tape`] the local partial derivatives of its
//! result with respect to its operands, computed on the spot: `a * b` records `b` and
//! `a`. [`Tape::backward`] then walks that record once, from the last operation to the
//! first, applying the chain rule: the adjoint of each operand grows by the partial times
//! the adjoint of the result. No graph of heap nodes, no reference counting, no recursion:
//! a chain of ten million operations differentiates in one loop.
//!
//! # Conventions
//!
//! Where a function has no derivative, tapegrad uses the one that the method's
//! documentation states: `relu'(0) = 0`, `abs'(0) = 0`, a tie in `max`/`min` splits the
//! derivative evenly, `floor`, `ceil`, `round`, `trunc` and `signum` have derivative 0,
//! `powf` at a zero base follows its limits, and otherwise IEEE arithmetic decides:
//! `sqrt'(0) = +inf`, `ln'(0) = +inf`. NaN and infinities flow through as on `f64`.
//! A node whose adjoint comes out exactly 0 passes nothing back, whatever its partials:
//! right for a value the output does not use, silently wrong where the chain rule made
//! the zero (`d/dx (√x)²` at 0 gives 0, not 1). [`Tape::backward_checked`] and
//! [`Tape::check_numerics`] report every such place.
//!
//! micrograd's neural networks (`MLP`, losses, SGD and Adam), its data sets and the
//! MNIST and UCI digits readers live beside this crate, in `tapegrad-nn`
//! (`tapegrad_nn`), so that a crate that only differentiates pulls none of them.
//!
//! # Misuse
//!
//! The borrow checker keeps a [`Var`] from outliving its tape or living across a
//! [`Tape::clear`]. What it cannot see panics at once with a message that says what to
//! do: an operation mixing Vars of two tapes, and a Var used on another thread than its
//! tape's.

#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![deny(unconditional_recursion)]
#![deny(
    unsafe_code,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks
)]

// The only `unsafe` code: the thread-local pointer to the active tape, and the unchecked
// writes of the recording fast path.
#[allow(unsafe_code)]
mod edges;
#[allow(unsafe_code)]
mod registry;

#[cfg(feature = "argmin")]
pub mod argmin;
mod custom;
mod drivers;
mod float;
mod gradients;
pub mod graph;
mod graph_svg;
pub mod input;
#[cfg(feature = "levenberg-marquardt")]
pub mod levenberg_marquardt;
#[cfg(feature = "nalgebra")]
pub mod linalg;
mod math;
mod matrix;
mod modes;
#[cfg(feature = "nalgebra")]
mod nalgebra;
mod numerics;
mod ops;
mod second_order;
mod special;
mod storage;
mod tape;
mod var;

pub use drivers::{derivative, gradient, gradient_into, hessian, hvp, jacobian, jvp, vjp};
pub use gradients::Gradients;
pub use input::{Input, Output};
pub use matrix::Matrix;
pub use numerics::{NumericsError, SkippedPartial, Tie};
pub use special::Special;
pub use tape::Tape;
pub use var::Var;

/// The README's examples, compiled and run as doc tests.
#[cfg(all(doctest, feature = "nalgebra"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
