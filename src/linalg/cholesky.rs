//! [`cholesky`] and [`cholesky_solve`]: vector rules whose inputs are lower triangles.

use nalgebra::allocator::Allocator;
use nalgebra::constraint::{SameNumberOfRows, ShapeConstraint};
use nalgebra::{Cholesky, DMatrix, DefaultAllocator, Dim, Dyn, Matrix, OMatrix, Storage};

use super::lu::constants;
use super::{Recording, first_order_only, square, values};
use crate::var::Var;

/// The Cholesky factor `L` of the symmetric positive-definite matrix `a`: lower
/// triangular, with a positive diagonal, `L Lᵀ = A`. Only the lower triangle of `a`
/// (diagonal included) is read, as nalgebra's `Cholesky::new` reads it; `None` if that
/// matrix is not positive definite (as `Cholesky::new` decides).
///
/// Recorded as one vector rule ([`Var::custom_vjp`]) of the n(n + 1)/2 entries of the
/// lower triangle, to the n(n + 1)/2 entries of `L` (the upper triangle of the result is
/// constant zeros). Its adjoint is that of Murray (2016) and of JAX's
/// Cholesky JVP `L̇ = L Φ(L⁻¹ Ȧ L⁻ᵀ)`, transposed: with `Φ(X)` the lower triangle of `X`
/// with its diagonal halved, `S = L⁻ᵀ Φ(Lᵀ L̄) L⁻¹`, and since an entry `A_ij` below the
/// diagonal stands for both `A_ij` and `A_ji`, `Ā_ij = S_ij + S_ji` below the diagonal
/// and `Ā_ii = S_ii` on it. The callback costs two triangular solves, O(n³) flops, and
/// the tape O(n²) entries, where nalgebra's generic `cholesky()` on Vars records O(n³)
/// nodes.
///
/// ```
/// use nalgebra::Matrix2;
/// use tapegrad::linalg;
///
/// // A = [[4, 2], [2, 5]] gives L = [[2, 0], [1, 2]]; L₁₁ = √(A₁₁ - A₁₀² / A₀₀).
/// let (value, gradient) = tapegrad::gradient(
///     |x| linalg::cholesky(&Matrix2::from_row_slice(x)).unwrap()[(1, 1)],
///     &[4.0, 99.0, 2.0, 5.0], // the 99 above the diagonal is not read
/// );
/// assert_eq!(value, 2.0);
/// // ∂L₁₁/∂A₀₀ = A₁₀² / (2 A₀₀² L₁₁), ∂L₁₁/∂A₁₀ = -A₁₀ / (A₀₀ L₁₁), ∂L₁₁/∂A₁₁ = 1 / (2 L₁₁).
/// let expected = [1.0 / 16.0, 0.0, -0.25, 0.25];
/// assert!(gradient.iter().zip(expected).all(|(g, e)| (g - e).abs() < 1e-15));
/// ```
///
/// Shapes: `a` is n × n, and so is `L`.
///
/// # Panics
///
/// If a dynamic `a` is not square; if the entries belong to two different tapes; and on a
/// second-order tape (inside [`hessian`](crate::hessian) or [`hvp`](crate::hvp)), as the
/// rule has no second derivatives.
pub fn cholesky<D: Dim, S: Storage<Var<'static>, D, D>>(
    a: &Matrix<Var<'static>, D, D, S>,
) -> Option<OMatrix<Var<'static>, D, D>>
where
    DefaultAllocator: Allocator<D, D>,
{
    let n = square("cholesky", a);
    let inputs = lower_triangle(n, |i, j| a[(i, j)]);
    let order = first_order_only("cholesky", &inputs);
    let l: DMatrix<f64> = Cholesky::<f64, Dyn>::new(values(a))?.unpack();
    let (rows, columns) = a.shape_generic();
    if order == Recording::Constant {
        return Some(constants(rows, columns, &l));
    }
    let outputs = lower_triangle(n, |i, j| l[(i, j)]);
    let factor = Var::custom_vjp(&inputs, &outputs, move |l_bar, a_bar| {
        let l_bar = from_lower_triangle(n, l_bar);
        // P = Φ(Lᵀ L̄): the lower triangle with its diagonal halved.
        let mut p = l.transpose() * l_bar;
        p.fill_upper_triangle(0.0, 1);
        for i in 0..n {
            p[(i, i)] *= 0.5;
        }
        // S = L⁻ᵀ P L⁻¹; its transpose T = L⁻ᵀ (L⁻ᵀ P)ᵀ, and S + Sᵀ = T + Tᵀ.
        let mut t = p;
        l.tr_solve_lower_triangular_mut(&mut t);
        let mut t = t.transpose();
        l.tr_solve_lower_triangular_mut(&mut t);
        let mut position = 0;
        for j in 0..n {
            a_bar[position] = t[(j, j)];
            position += 1;
            for i in j + 1..n {
                a_bar[position] = t[(i, j)] + t[(j, i)];
                position += 1;
            }
        }
    });
    let mut factor = factor.into_iter();
    Some(OMatrix::from_fn_generic(rows, columns, |i, j| {
        if i >= j {
            factor.next().expect("one output per lower entry")
        } else {
            Var::constant(0.0)
        }
    }))
}

/// The solution `X = (L Lᵀ)⁻¹ B` of `L Lᵀ X = B`, for a Cholesky factor `l` (read below
/// and on its diagonal only; as [`cholesky`] returns it), by two triangular solves; `None`
/// if a diagonal entry of `l` is 0.
///
/// `b` is a vector (`C = U1`) or a matrix of right-hand sides. Recorded as one vector rule
/// ([`Var::custom_vjp`]) of the lower triangle of `l` and the entries of `b`. With `Σ = L
/// Lᵀ`, the adjoint of a solve (Giles 2008) gives `B̄ = Σ⁻¹ X̄` and `Σ̄ = -B̄
/// Xᵀ`, and the product rule `L̄ = (Σ̄ + Σ̄ᵀ) L`, of which the lower triangle is kept: `L̄ =
/// -tril((B̄ Xᵀ + X B̄ᵀ) L)`.
///
/// ```
/// use nalgebra::{Matrix2, Vector2};
/// use tapegrad::{Var, linalg};
///
/// // L = [[2, 0], [1, 2]], so L Lᵀ = [[4, 2], [2, 5]]; with b = [8, 8], x = [1.5, 1].
/// let (value, gradient) = tapegrad::gradient(
///     |v| {
///         let l = Matrix2::new(v[0], Var::constant(0.0), v[1], v[2]);
///         linalg::cholesky_solve(&l, &Vector2::new(v[3], v[4])).unwrap()[0]
///     },
///     &[2.0, 1.0, 2.0, 8.0, 8.0],
/// );
/// assert!((value - 1.5).abs() < 1e-15);
/// // ∂x₀/∂b = first row of Σ⁻¹ = [5, -2] / 16.
/// assert!((gradient[3] - 5.0 / 16.0).abs() < 1e-15);
/// assert!((gradient[4] + 2.0 / 16.0).abs() < 1e-15);
/// ```
///
/// Shapes: `l` is n × n, `b` is n × m, and so is `X`. Mismatched fixed sizes do not
/// compile.
///
/// # Panics
///
/// If a dynamic `l` is not square or `b` has not as many rows as `l`; if the entries
/// belong to two different tapes; and on a second-order tape (inside
/// [`hessian`](crate::hessian) or [`hvp`](crate::hvp)), as the rule has no second
/// derivatives.
pub fn cholesky_solve<D, S, R, C, S2>(
    l: &Matrix<Var<'static>, D, D, S>,
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
    let n = square("cholesky_solve", l);
    assert_eq!(
        b.nrows(),
        n,
        "tapegrad::linalg::cholesky_solve: L is {n} × {n}, so B must have {n} rows, but it \
         has {}",
        b.nrows()
    );
    let l_inputs = lower_triangle(n, |i, j| l[(i, j)]);
    let order = first_order_only("cholesky_solve", l_inputs.iter().chain(b.iter()));
    let mut factor = values(l);
    factor.fill_upper_triangle(0.0, 1);
    if (0..n).any(|i| factor[(i, i)] == 0.0) {
        return None;
    }
    let x = solve_with_factor(&factor, values(b));
    let (rows, columns) = b.shape_generic();
    if order == Recording::Constant {
        return Some(constants(rows, columns, &x));
    }
    let inputs: Vec<Var<'static>> = l_inputs.iter().chain(b.iter()).copied().collect();
    let outputs = Var::custom_vjp(&inputs, x.as_slice(), {
        let x = x.clone();
        move |x_bar, inputs_bar| cholesky_solve_adjoint(&factor, &x, x_bar, inputs_bar)
    });
    Some(OMatrix::from_iterator_generic(rows, columns, outputs))
}

/// `(L Lᵀ)⁻¹ b` for a lower-triangular `l` with no zero on its diagonal.
/// The adjoint of `X = (L Lᵀ)⁻¹ B` (see [`cholesky_solve`]): from `X̄` (`x_bar`, column by
/// column), `B̄ = (L Lᵀ)⁻¹ X̄` and `L̄ = -tril((B̄ Xᵀ + X B̄ᵀ) L)`, written into
/// `inputs_bar` as the lower triangle of `L̄` column by column, then `B̄`. Outside the
/// generic function, so that its matrix arithmetic is resolved on `DMatrix` alone.
fn cholesky_solve_adjoint(
    factor: &DMatrix<f64>,
    x: &DMatrix<f64>,
    x_bar: &[f64],
    inputs_bar: &mut [f64],
) {
    let n = factor.nrows();
    let x_bar = DMatrix::from_column_slice(x.nrows(), x.ncols(), x_bar);
    let b_bar = solve_with_factor(factor, x_bar);
    let product = &b_bar * x.transpose();
    let l_bar = -((&product + product.transpose()) * factor);
    let (l_part, b_part) = inputs_bar.split_at_mut(n * (n + 1) / 2);
    l_part.copy_from_slice(&lower_triangle(n, |i, j| l_bar[(i, j)]));
    b_part.copy_from_slice(b_bar.as_slice());
}

fn solve_with_factor(l: &DMatrix<f64>, mut b: DMatrix<f64>) -> DMatrix<f64> {
    // Neither solve fails: the caller checked the diagonal.
    l.solve_lower_triangular_mut(&mut b);
    l.tr_solve_lower_triangular_mut(&mut b);
    b
}

/// The entries `entry(i, j)` of the lower triangle of an n × n matrix, diagonal included,
/// column by column.
fn lower_triangle<T>(n: usize, mut entry: impl FnMut(usize, usize) -> T) -> Vec<T> {
    let mut entries = Vec::with_capacity(n * (n + 1) / 2);
    for j in 0..n {
        for i in j..n {
            entries.push(entry(i, j));
        }
    }
    entries
}

/// The n × n lower-triangular matrix with the lower triangle `entries`, column by column.
fn from_lower_triangle(n: usize, entries: &[f64]) -> DMatrix<f64> {
    let mut matrix = DMatrix::zeros(n, n);
    let mut entries = entries.iter();
    for j in 0..n {
        for i in j..n {
            matrix[(i, j)] = *entries.next().expect("n(n + 1)/2 entries");
        }
    }
    matrix
}
