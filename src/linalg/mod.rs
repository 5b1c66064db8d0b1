//! Matrix functions recorded with their analytic adjoints: right where nalgebra's generic
//! code takes exact-zero shortcuts, and O(n²) on the tape where a decomposition run on
//! Vars records O(n³) nodes.
//!
//! | function           | result                          | adjoint (reverse mode)                                    | source                      | second order |
//! |--------------------|---------------------------------|-----------------------------------------------------------|-----------------------------|--------------|
//! | [`det`]            | `det A`                         | `Ā = ȳ adj(A)ᵀ`, the cofactor matrix, from an SVD          | Giles 2008; adjugate from the SVD | exact |
//! | [`log_det`]        | `(sign, ln abs(det A))`          | `Ā = ȳ A⁻ᵀ`                                               | Giles 2008                  | exact        |
//! | [`inverse`]        | `A⁻¹`, `None` if singular       | `Ā = -A⁻ᵀ Ȳ A⁻ᵀ`                                          | Giles 2008                  | panics       |
//! | [`solve`]          | `X = A⁻¹ B` (LU), or `None`     | `B̄ = A⁻ᵀ X̄`, `Ā = -B̄ Xᵀ`                                 | Giles 2008                  | panics       |
//! | [`cholesky`]       | lower `L`, `L Lᵀ = A`, or `None` | `S = L⁻ᵀ Φ(Lᵀ L̄) L⁻¹`, `Ā = tril(S + Sᵀ)` (diagonal `Sᵢᵢ`) | Murray 2016; JAX's Cholesky JVP | panics |
//! | [`cholesky_solve`] | `X = (L Lᵀ)⁻¹ B`, or `None`     | `B̄ = (L Lᵀ)⁻¹ X̄`, `L̄ = -tril((B̄ Xᵀ + X B̄ᵀ) L)`            | Giles 2008 and the product rule | panics |
//! | [`symmetric_eigen`] | `(λ, V)`, `λ` ascending        | `Ā = V (diag(λ̄) + sym(F ∘ VᵀV̄)) Vᵀ`, `F_ij = 1/(λ_j − λ_i)`; ties: see its docs | Giles 2008; JAX `eigh`, PyTorch `linalg.eigh` | panics |
//! | [`svd`]            | `(U, σ, Vᵀ)`, `σ` descending    | Townsend's: `Ā = U (diag(σ̄) + (F∘(J−Jᵀ))Σ + Σ(F∘(K−Kᵀ))) Vᵀ` plus the projections, `F_ij = 1/(σ_j² − σ_i²)` | Townsend 2016; JAX, PyTorch | panics |
//! | [`rotation_from_scaled_axis`] | `UnitQuaternion`, `w ≥ 0` | Var arithmetic: `(cos(θ/2), sin(θ/2) v/θ)`, Taylor in `θ²` near 0 | the exponential map | exact |
//! | [`scaled_axis`]    | `Vector3`                        | Var arithmetic: `2 atan2(abs(q_v), abs(w)) sign(w) q_v/abs(q_v)`, Taylor near 0 | the logarithm map | exact |
//!
//! `Φ(X)` is the lower triangle of `X` with its diagonal halved; `tril` keeps the lower
//! triangle, diagonal included.
//!
//! Sources: J. Townsend, "Differentiating the Singular Value Decomposition" (2016); M. B. Giles, "Collected matrix derivative results for forward and reverse
//! mode algorithmic differentiation" (2008), its elementary results for the determinant,
//! the inverse and the inverse product `A⁻¹ B`; I. Murray, "Differentiation of the
//! Cholesky decomposition" (2016), whose forward rule `L̇ = L Φ(L⁻¹ Σ̇ L⁻ᵀ)` is also the
//! one of JAX's `cholesky` JVP (`jax/_src/lax/linalg.py`), transposed here.
//!
//! Every function takes nalgebra matrices of `Var<'static>` (the Vars that
//! [`gradient`](crate::gradient), [`jacobian`](crate::jacobian) and
//! [`hessian`](crate::hessian) hand their closure), fixed-size or dynamic. The
//! factorizations run on the `f64` values, with nalgebra; the tape gets one node per
//! output (a scalar rule for `det` and `log_det`, a [`Var::custom_vjp`] vector rule for
//! the others), whatever the size of the computation behind it.
//!
//! ```
//! use nalgebra::Matrix4;
//! use tapegrad::linalg;
//!
//! // A singular matrix (its first column is 0) whose cofactors are not all 0.
//! #[rustfmt::skip]
//! let a = [0., 1., 2., 3.,  0., 4., 5., 6.,  0., 7., 8., 10.,  0., 1., 1., 1.];
//! let (det, gradient) = tapegrad::gradient(|a| linalg::det(&Matrix4::from_row_slice(a)), &a);
//! assert_eq!(det, 0.0);
//! // The cofactors of the first column, at row-major positions 0, 4, 8 and 12.
//! for (i, cofactor) in [(0, 1.0), (4, -1.0), (8, 0.0), (12, 3.0)] {
//!     assert!((gradient[i] - cofactor).abs() < 1e-12);
//! }
//! ```
//!
//! # Where nalgebra's generic code goes wrong, and why these functions exist
//!
//! Run on Vars, nalgebra's own code is differentiated operation by operation, and the
//! derivative is that of the branch it took. Some branches test for an exact zero, and
//! are taken only on special inputs — which are often the inputs that matter:
//!
//! - **LU, a pivot column of zeros** (`lu()`, and behind it `determinant` from 4 × 4 up
//!   and `try_inverse` from 5 × 5 up): the elimination step of that column is skipped,
//!   so the determinant of a singular matrix with a zero column gets gradient 0 where its
//!   cofactors are not 0. [`det`] gives the cofactors.
//! - **A Householder vector of norm 0** (QR, the bidiagonalization of the SVD, the
//!   tridiagonalization of `symmetric_eigen`): the reflection is skipped, at diagonal and
//!   triangular inputs for instance, and with it the derivative of the reflection.
//! - **An off-diagonal entry that is already 0** (the SVD and symmetric eigenvalue
//!   iterations): the matrix is split there and no rotation is recorded, so at a diagonal
//!   matrix the derivatives of the vectors can be wrong.
//! - **A small rotation** (`UnitQuaternion::from_scaled_axis` tests `|v|² ≤ ε²`): at
//!   `v = 0` it returns the identity, whose derivative is 0 instead of `I/2`.
//!   [`rotation_from_scaled_axis`] is right there.
//!
//! The functions here compute their results with the same nalgebra code on `f64`, but
//! record analytic adjoints, so the branches taken do not reach the derivative: use them
//! instead of the generic methods wherever an input can sit on such a point. Away from
//! these points both give the same gradients, and these record O(n²) edges where the
//! generic code records O(n³).
//!
//! # Second order
//!
//! [`det`] and [`log_det`] record their local Hessians on a second-order tape (inside
//! [`hessian`](crate::hessian) or [`hvp`](crate::hvp)), so Hessians through them are
//! exact; on a first-order tape they record only their n² partials. The rotation maps
//! are Var arithmetic, exact to any order. The other functions are vector rules
//! ([`Var::custom_vjp`]) and panic on a second-order tape: for a Hessian through them,
//! run nalgebra's generic code on the Vars instead.

use nalgebra::{DMatrix, Dim, Matrix, Storage};

use crate::registry;
use crate::var::{CONSTANT, Var, common_generation};

mod cholesky;
mod determinant;
mod eigen;
mod lu;
mod rotation;

pub use cholesky::{cholesky, cholesky_solve};
pub use determinant::{det, log_det};
pub use eigen::{svd, symmetric_eigen};
pub use lu::{inverse, solve};
pub use rotation::{rotation_from_scaled_axis, scaled_axis};

/// How the Vars of a rule are recorded: on no tape, or on a first- or second-order one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Recording {
    /// Every input is a constant: the result is a constant too, and nothing is recorded.
    Constant,
    /// Partial derivatives only.
    FirstOrder,
    /// Partial derivatives and the local Hessian (inside `hessian` or `hvp`).
    SecondOrder,
}

/// How `inputs` are recorded.
///
/// # Panics
///
/// If the inputs belong to two different tapes, or to no live tape of this thread.
fn recording<'a>(inputs: impl IntoIterator<Item = &'a Var<'static>>) -> Recording {
    let generation = inputs
        .into_iter()
        .copied()
        .fold(CONSTANT, common_generation);
    if generation == CONSTANT {
        Recording::Constant
    } else if registry::record(generation, |storage| storage.second_order) {
        Recording::SecondOrder
    } else {
        Recording::FirstOrder
    }
}

/// The recording of `inputs` for the vector rule `function`, which cannot be recorded
/// on a second-order tape.
///
/// # Panics
///
/// On a second-order tape, and as [`recording`].
fn first_order_only<'a>(
    function: &str,
    inputs: impl IntoIterator<Item = &'a Var<'static>>,
) -> Recording {
    let recording = recording(inputs);
    assert!(
        recording != Recording::SecondOrder,
        "tapegrad::linalg::{function} records no second derivatives, and this tape needs \
         them (inside tapegrad::hessian or hvp). For a Hessian through it, run nalgebra's \
         generic code on the Vars instead (exact except at the exact-zero branches that the \
         tapegrad::linalg docs list)"
    );
    recording
}

/// The values of a matrix of Vars, as a dynamic `f64` matrix.
fn values<R: Dim, C: Dim, S: Storage<Var<'static>, R, C>>(
    a: &Matrix<Var<'static>, R, C, S>,
) -> DMatrix<f64> {
    DMatrix::from_fn(a.nrows(), a.ncols(), |i, j| a[(i, j)].value())
}

/// The size of the square matrix `a`, the argument of `function`.
///
/// # Panics
///
/// If `a` is not square (only a dynamic matrix can be other than square).
fn square<D: Dim, S: Storage<Var<'static>, D, D>>(
    function: &str,
    a: &Matrix<Var<'static>, D, D, S>,
) -> usize {
    let (rows, columns) = a.shape();
    assert_eq!(
        rows, columns,
        "tapegrad::linalg::{function} takes a square matrix, but this one is {rows} × {columns}"
    );
    rows
}
