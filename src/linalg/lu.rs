//! [`inverse`] and [`solve`]: vector rules on nalgebra's LU of the values, whose adjoints
//! are solves with `Aᵀ` from the same factors.

use nalgebra::allocator::Allocator;
use nalgebra::constraint::{SameNumberOfRows, ShapeConstraint};
use nalgebra::{DMatrix, DefaultAllocator, Dim, Dyn, LU, Matrix, OMatrix, Storage};

use super::{Recording, first_order_only, square, values};
use crate::var::Var;

/// The inverse of the square matrix `a`, or `None` if `a` is singular (an exactly zero
/// pivot in nalgebra's LU with partial pivoting, as `try_inverse` decides).
///
/// Recorded as one vector rule ([`Var::custom_vjp`]) with the adjoint `Ā = -A⁻ᵀ Ȳ A⁻ᵀ`
/// (Giles 2008): n² outputs and one callback on the tape, where nalgebra's
/// generic `try_inverse` on Vars records O(n³) nodes.
///
/// ```
/// use nalgebra::Matrix2;
/// use tapegrad::linalg;
///
/// // d (A⁻¹)₀₀ / dA = -(A⁻ᵀ e₀)(e₀ᵀ A⁻ᵀ), at A = [[2, 1], [1, 1]] with A⁻¹ = [[1, -1], [-1, 2]].
/// let (value, gradient) = tapegrad::gradient(
///     |x| linalg::inverse(&Matrix2::from_row_slice(x)).unwrap()[(0, 0)],
///     &[2.0, 1.0, 1.0, 1.0],
/// );
/// assert_eq!(value, 1.0);
/// assert_eq!(gradient, vec![-1.0, 1.0, 1.0, -1.0]);
/// ```
///
/// Shapes: `a` is n × n, and so is the inverse (a fixed-size matrix is square by its
/// type).
///
/// # Panics
///
/// If a dynamic `a` is not square; if its entries belong to two different tapes; and on a
/// second-order tape (inside [`hessian`](crate::hessian) or [`hvp`](crate::hvp)), as the
/// rule has no second derivatives.
pub fn inverse<D: Dim, S: Storage<Var<'static>, D, D>>(
    a: &Matrix<Var<'static>, D, D, S>,
) -> Option<OMatrix<Var<'static>, D, D>>
where
    DefaultAllocator: Allocator<D, D>,
{
    square("inverse", a);
    let order = first_order_only("inverse", a.iter());
    let inverse = values(a).try_inverse()?;
    let (rows, columns) = a.shape_generic();
    if order == Recording::Constant {
        return Some(constants(rows, columns, &inverse));
    }
    let inputs: Vec<Var<'static>> = a.iter().copied().collect();
    let outputs = Var::custom_vjp(&inputs, inverse.as_slice(), {
        let inverse_t = inverse.transpose();
        move |y_bar, a_bar| {
            let n = inverse_t.nrows();
            let y_bar = DMatrix::from_column_slice(n, n, y_bar);
            let product = -(&inverse_t * y_bar * &inverse_t);
            a_bar.copy_from_slice(product.as_slice());
        }
    });
    Some(OMatrix::from_iterator_generic(rows, columns, outputs))
}

/// The solution `X = A⁻¹ B` of `A X = B`, by nalgebra's LU with partial pivoting of the
/// values, or `None` if `A` is singular (an exactly zero pivot, as `LU::solve` decides).
///
/// `b` is a vector (`C = U1`) or a matrix of right-hand sides. Recorded as one vector rule
/// ([`Var::custom_vjp`]) with the adjoint `B̄ = A⁻ᵀ X̄`, `Ā = -B̄ Xᵀ` (Giles 2008);
/// the callback solves with `Aᵀ = Uᵀ Lᵀ P` from the factors of the forward solve.
///
/// ```
/// use nalgebra::{Matrix2, Vector2};
/// use tapegrad::linalg;
///
/// // A = [[2, 1], [1, 3]], b = [3, 5]: x = [0.8, 1.4]. The gradient of x₀ + x₁ is
/// // b̄ = A⁻ᵀ [1, 1] = [0.4, 0.2] for b and Ā = -b̄ xᵀ for A (row-major here).
/// let (value, gradient) = tapegrad::gradient(
///     |v| {
///         let a = Matrix2::from_row_slice(&v[..4]);
///         let b = Vector2::new(v[4], v[5]);
///         linalg::solve(&a, &b).unwrap().sum()
///     },
///     &[2.0, 1.0, 1.0, 3.0, 3.0, 5.0],
/// );
/// assert!((value - 2.2).abs() < 1e-15);
/// let expected = [-0.32, -0.56, -0.16, -0.28, 0.4, 0.2];
/// assert!(gradient.iter().zip(expected).all(|(g, e)| (g - e).abs() < 1e-15));
/// ```
///
/// Shapes: `a` is n × n, `b` is n × m, and so is `X`. Mismatched fixed sizes do not
/// compile:
///
/// ```compile_fail
/// use nalgebra::{Matrix2, Vector3};
/// use tapegrad::{Var, linalg};
///
/// let a = Matrix2::from_element(Var::constant(1.0));
/// let b = Vector3::from_element(Var::constant(1.0));
/// let _ = linalg::solve(&a, &b); // 3 rows for a 2 × 2 A
/// ```
///
/// # Panics
///
/// If a dynamic `a` is not square or `b` has not as many rows as `a`; if the entries
/// belong to two different tapes; and on a second-order tape (inside
/// [`hessian`](crate::hessian) or [`hvp`](crate::hvp)), as the rule has no second
/// derivatives.
pub fn solve<D, S, R, C, S2>(
    a: &Matrix<Var<'static>, D, D, S>,
    b: &Matrix<Var<'static>, R, C, S2>,
) -> Option<OMatrix<Var<'static>, R, C>>
where
    D: Dim,
    R: Dim,
    C: Dim,
    S: Storage<Var<'static>, D, D>,
    S2: Storage<Var<'static>, R, C>,
    ShapeConstraint: SameNumberOfRows<R, D>,
    DefaultAllocator: Allocator<R, C>,
{
    let n = square("solve", a);
    assert_eq!(
        b.nrows(),
        n,
        "tapegrad::linalg::solve: A is {n} × {n}, so B must have {n} rows, but it has {}",
        b.nrows()
    );
    let order = first_order_only("solve", a.iter().chain(b.iter()));
    if n == 0 {
        // A 0 × 0 system: B has no rows, and neither has X.
        let (rows, columns) = b.shape_generic();
        return Some(OMatrix::from_iterator_generic(
            rows,
            columns,
            std::iter::empty(),
        ));
    }
    let lu = values(a).lu();
    if !lu.is_invertible() {
        return None;
    }
    let b_values: DMatrix<f64> = values(b);
    let x: DMatrix<f64> = lu.solve::<Dyn, Dyn, _>(&b_values)?;
    let (rows, columns) = b.shape_generic();
    if order == Recording::Constant {
        return Some(constants(rows, columns, &x));
    }
    let inputs: Vec<Var<'static>> = a.iter().chain(b.iter()).copied().collect();
    let outputs = Var::custom_vjp(&inputs, x.as_slice(), {
        let x = x.clone();
        move |x_bar, inputs_bar| {
            let x_bar = DMatrix::from_column_slice(x.nrows(), x.ncols(), x_bar);
            let b_bar = solve_transposed(&lu, x_bar);
            let a_bar = -(&b_bar * x.transpose());
            let (a_part, b_part) = inputs_bar.split_at_mut(n * n);
            a_part.copy_from_slice(a_bar.as_slice());
            b_part.copy_from_slice(b_bar.as_slice());
        }
    });
    Some(OMatrix::from_iterator_generic(rows, columns, outputs))
}

/// `A⁻ᵀ c` from the LU factors `P A = L U` of an invertible `A`: as `Aᵀ = Uᵀ Lᵀ P`, solve
/// with `Uᵀ`, then with `Lᵀ`, then undo the permutation.
fn solve_transposed(lu: &LU<f64, Dyn, Dyn>, mut c: DMatrix<f64>) -> DMatrix<f64> {
    // Both triangular solves succeed: U has no zero on its diagonal (the caller checked
    // that A is invertible) and L has ones.
    lu.u().tr_solve_upper_triangular_mut(&mut c);
    lu.l().tr_solve_lower_triangular_mut(&mut c);
    lu.p().inv_permute_rows(&mut c);
    c
}

/// A matrix of constants with the values of `values`, of shape `rows × columns`.
pub(super) fn constants<R: Dim, C: Dim>(
    rows: R,
    columns: C,
    values: &DMatrix<f64>,
) -> OMatrix<Var<'static>, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    OMatrix::from_iterator_generic(rows, columns, values.iter().map(|&v| Var::constant(v)))
}
