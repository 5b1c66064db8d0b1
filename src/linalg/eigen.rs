//! The symmetric eigendecomposition and the singular value decomposition, each recorded
//! as one vector rule ([`Var::custom_vjp`]) with its analytic adjoint: O(n²) on the tape,
//! where nalgebra's iterations on Vars record O(n³) nodes and differentiate the branch
//! that their convergence tests took.
//!
//! | function            | returns              | adjoint                                                      |
//! |---------------------|----------------------|--------------------------------------------------------------|
//! | [`symmetric_eigen`] | `(λ, V)`, λ ascending | `Ā = V (diag(λ̄) + sym(F ∘ Vᵀ V̄)) Vᵀ`, `F_ij = 1/(λ_j − λ_i)` |
//! | [`svd`]             | `(U, σ, Vᵀ)`, σ descending | Townsend (2016), with both projection terms              |
//!
//! What the adjoints do at repeated eigenvalues and singular values is told in
//! [`symmetric_eigen`]'s documentation, under "Repeated eigenvalues".

use nalgebra::{
    DMatrix, DVector, DefaultAllocator, Dim, DimMin, DimMinimum, Dyn, Matrix, OMatrix, OVector,
    SVD, Storage, SymmetricEigen, U1, allocator::Allocator,
};

use super::first_order_only;

use crate::Var;

/// Two eigenvalues (singular values) within this times the largest magnitude count as
/// repeated. Rounding in nalgebra's iterations splits a repeated eigenvalue by about `10
/// ε` (at most 2.4e-15 relative seen, over 1200 random rotations of matrices with
/// repeated eigenvalues and singular values, n ≤ 10), far below; above it, the
/// adjoint's `1/gap` amplifies the rounding errors of `Vᵀ V̄` by at most `10¹⁰`, to
/// about `10⁻⁶` relative.
const REPEATED: f64 = 1e-10;

/// Iterations allowed to nalgebra's decompositions before the result is NaN; they take
/// a few per eigenvalue.
const MAX_ITERATIONS: usize = 10_000;

/// The eigenvalues, in ascending order, and the orthonormal eigenvectors (the columns of
/// `V`) of the symmetric part `(A + Aᵀ)/2` of the square matrix `a`, recorded as one rule
/// with the adjoint of Giles, "Collected matrix derivative results for forward and
/// reverse mode algorithmic differentiation" (2008, eigenvalues and eigenvectors; `U⁻ᵀ =
/// V` for a symmetric matrix), as JAX's `eigh` and PyTorch's `linalg.eigh` use it:
///
/// `Ā = V (diag(λ̄) + sym(F ∘ (Vᵀ V̄))) Vᵀ`, `F_ij = 1/(λ_j − λ_i)` off the diagonal,
///
/// where `sym(X) = (X + Xᵀ)/2` makes the adjoint that of the symmetric part: `Ā` is
/// symmetric, so a gradient with respect to the n² entries of a symmetric matrix
/// counts each off-diagonal pair once per entry (as JAX's `eigh` with its default
/// `symmetrize_input`). For a symmetric `a` the decomposition is that of `a`; for any
/// `a` it is that of nalgebra's `symmetric_eigen` on `(A + Aᵀ)/2`, sorted.
///
/// Takes fixed-size and dynamic matrices of `Var<'static>` (nalgebra needs `'static`
/// scalars; the drivers hand them out). Returns `λ` with `n` entries and `V` of `n × n`,
/// `A = V diag(λ) Vᵀ`. The sign of each eigenvector, and the basis inside a repeated
/// eigenspace, are nalgebra's: a function that depends on them has no derivative (the
/// result is then finite but arbitrary).
///
/// ```
/// # #[cfg(feature = "nalgebra")] {
/// use approx::assert_relative_eq;
/// use nalgebra::Matrix3;
/// use tapegrad::linalg::symmetric_eigen;
///
/// // The recomposition V diag(λ) Vᵀ is the matrix itself, so the gradient of the sum
/// // of its entries is all ones, also at the repeated eigenvalue of diag(2, 2, 1).
/// let a = Matrix3::from_diagonal(&nalgebra::Vector3::new(2.0, 2.0, 1.0));
/// let (sum, gradient) = tapegrad::gradient(
///     |a| {
///         let (values, vectors) = symmetric_eigen(&Matrix3::from_column_slice(a));
///         (vectors * Matrix3::from_diagonal(&values) * vectors.transpose()).sum()
///     },
///     a.as_slice(),
/// );
/// assert_relative_eq!(sum, 5.0, epsilon = 1e-14);
/// assert_relative_eq!(Matrix3::from_column_slice(&gradient), Matrix3::repeat(1.0), epsilon = 1e-14);
/// # }
/// ```
///
/// # Repeated eigenvalues
///
/// Both adjoints divide by the gaps `λ_j − λ_i` (`σ_j² − σ_i²`). Where a gap is 0 the
/// eigenvectors (singular vectors) of that pair are not unique, and a function of them
/// has no derivative unless it does not depend on the choice of basis inside the
/// repeated eigenspace. For such a function the term of the pair is a limit `0/0`, and
/// its value depends on how the function uses the eigenvalues: the adjoints `λ̄` and `V̄`
/// that the rule receives do not determine it, so no one rule is right for all such
/// functions. The rule here gives the exact derivative for the two kinds that matter
/// most,
///
/// - functions of the eigenvalues (singular values) alone, such as `Σ f(λ_i)`, whose `V̄`
///   is 0, and
/// - the recomposition `V diag(λ) Vᵀ` (`U diag(σ) Vᵀ`) and anything computed from it,
///
/// and is finite everywhere. For a pair `i ≠ j` with `|λ_i − λ_j| ≤ 10⁻¹⁰ max |λ|`, the
/// term `(G_ij − G_ji)/(2(λ_j − λ_i))` of `sym(F ∘ G)`, `G = Vᵀ V̄`, is replaced by
/// `(G_ij + G_ji)/(2(λ_i + λ_j))`, and by 0 when `λ_i + λ_j = 0`. For the recomposition
/// both are `(Vᵀ R̄ V)_ij` exactly (with `R̄` the symmetric part of the recomposition's
/// adjoint), so the derivative is continuous across the threshold; pairs whose gap is
/// lost to rounding are caught by it. The same holds, term by term, for [`svd`]. What is
/// left out: other matrix functions `V diag(h(λ)) Vᵀ` at a repeated eigenvalue (the rule
/// gives `h(λ)/λ` where the derivative has `h'(λ)`), and the recomposition at a repeated
/// eigenvalue 0 (repeated singular value 0), whose `V̄` carries no information about
/// that eigenspace. JAX and PyTorch give NaN at every repeated eigenvalue.
///
/// # Panics
///
/// If `a` is a dynamic matrix that is not square; if the entries of `a` belong to
/// different tapes; on a second-order tape (inside [`hessian`](crate::hessian) or
/// [`hvp`](crate::hvp)), as the rule has no second derivatives. An input with a NaN or
/// infinite entry gives NaN eigenvalues,
/// eigenvectors and gradients.
pub fn symmetric_eigen<D, S>(
    a: &Matrix<Var<'static>, D, D, S>,
) -> (OVector<Var<'static>, D>, OMatrix<Var<'static>, D, D>)
where
    D: Dim,
    S: Storage<Var<'static>, D, D>,
    DefaultAllocator: Allocator<D> + Allocator<D, D>,
{
    let (dim, _) = a.shape_generic();
    let n = dim.value();
    assert_eq!(
        a.ncols(),
        n,
        "tapegrad::linalg::symmetric_eigen: the matrix must be square, but it is {n} × {}",
        a.ncols()
    );
    let inputs: Vec<Var<'static>> = a.iter().copied().collect();
    first_order_only("symmetric_eigen", &inputs);
    let matrix = DMatrix::from_iterator(n, n, inputs.iter().map(|x| x.value()));
    let decomposition = (n > 0 && matrix.iter().all(|x| x.is_finite()))
        .then(|| {
            let symmetric = (&matrix + matrix.transpose()) * 0.5;
            SymmetricEigen::<f64, Dyn>::try_new(symmetric, f64::EPSILON, MAX_ITERATIONS)
        })
        .flatten();
    let outputs = match decomposition {
        Some(SymmetricEigen {
            eigenvalues,
            eigenvectors,
        }) => {
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&i, &j| eigenvalues[i].total_cmp(&eigenvalues[j]));
            let values = DVector::from_fn(n, |i, _| eigenvalues[order[i]]);
            let vectors = DMatrix::from_fn(n, n, |i, j| eigenvectors[(i, order[j])]);
            let outputs: Vec<f64> = values.iter().chain(vectors.iter()).copied().collect();
            Var::custom_vjp(&inputs, &outputs, move |cotangent, gradient| {
                eigen_adjoint(&values, &vectors, cotangent, gradient);
            })
        }
        None => not_a_number(&inputs, n + n * n),
    };
    let (values, vectors) = outputs.split_at(n);
    (
        OVector::from_iterator_generic(dim, U1, values.iter().copied()),
        OMatrix::from_iterator_generic(dim, dim, vectors.iter().copied()),
    )
}

/// Writes into `gradient` (column-major, `n²`) the adjoint of the matrix from the
/// adjoints `cotangent` of the eigenvalues (`n`) and eigenvectors (`n²`, column-major).
fn eigen_adjoint(
    values: &DVector<f64>,
    vectors: &DMatrix<f64>,
    cotangent: &[f64],
    gradient: &mut [f64],
) {
    let n = values.len();
    let (values_bar, vectors_bar) = cotangent.split_at(n);
    let g = vectors.tr_mul(&DMatrix::from_column_slice(n, n, vectors_bar));
    let tolerance = repeated_below(values);
    let inner = DMatrix::from_fn(n, n, |i, j| {
        if i == j {
            values_bar[i]
        } else {
            let (gij, gji) = (g[(i, j)], g[(j, i)]);
            pair_term(gij - gji, gij + gji, values[i], values[j], tolerance)
        }
    });
    let a_bar = vectors * inner * vectors.transpose();
    gradient.copy_from_slice(a_bar.as_slice());
}

/// The singular value decomposition `A = U diag(σ) Vᵀ` of the `m × n` matrix `a`, thin:
/// with `k = min(m, n)`, `U` is `m × k`, `σ` has `k` entries in descending order and
/// `Vᵀ` is `k × n`, as nalgebra's `svd(true, true)`. Recorded as one rule with the
/// adjoint of Townsend, "Differentiating the singular value decomposition" (2016), as
/// JAX and PyTorch use it, for any shape (square, tall and wide):
///
/// `Ā = U (diag(σ̄) + (F ∘ (J − Jᵀ)) Σ + Σ (F ∘ (K − Kᵀ))) Vᵀ + (I − U Uᵀ) Ū Σ⁻¹ Vᵀ + U Σ⁻¹
/// V̄ᵀ (I − V Vᵀ)`,
///
/// with `J = Uᵀ Ū`, `K = Vᵀ V̄`, `F_ij = 1/(σ_j² − σ_i²)` off the diagonal. Takes
/// fixed-size and dynamic matrices of `Var<'static>`.
///
/// ```
/// # #[cfg(feature = "nalgebra")] {
/// use approx::assert_relative_eq;
/// use nalgebra::Matrix3;
/// use tapegrad::linalg::svd;
///
/// // The issue's case: the sum of the entries of U Σ Vᵀ at diag(3, 2, 1), whose
/// // gradient is all ones (nalgebra's generic svd on Vars gives 1/3, 2/3, 1/2 and 0s).
/// let a = Matrix3::from_diagonal(&nalgebra::Vector3::new(3.0, 2.0, 1.0));
/// let (_, gradient) = tapegrad::gradient(
///     |a| {
///         let (u, sigma, v_t) = svd(&Matrix3::from_column_slice(a));
///         (u * Matrix3::from_diagonal(&sigma) * v_t).sum()
///     },
///     a.as_slice(),
/// );
/// assert_relative_eq!(Matrix3::from_column_slice(&gradient), Matrix3::repeat(1.0), epsilon = 1e-14);
/// # }
/// ```
///
/// # Degenerate points
///
/// The signs of the singular vector pairs `(u_i, v_i)`, and the bases inside a repeated
/// singular value's subspaces, are nalgebra's; a function that depends on them has no
/// derivative (the result is then finite but arbitrary). Functions of the singular
/// values alone and the recomposition `U diag(σ) Vᵀ` get their exact derivative at
/// repeated singular values too, by the rule told under "Repeated eigenvalues" in
/// [`symmetric_eigen`], applied to the pair terms `(a + b)/(2(σ_j − σ_i))` below with `a =
/// J_ij − J_ji`, `b = K_ij − K_ji`, whose limit for the recomposition is `(J_ij + J_ji +
/// K_ij + K_ji)/(2(σ_i + σ_j))`. Every term that divides by a
/// singular value that is exactly 0 (`Σ⁻¹` and the pair terms of `1/(σ_i + σ_j)` with
/// `σ_i = σ_j = 0`) is dropped; so at a rank-deficient matrix, functions of `σ` stay
/// exact (where they are differentiable: `σ_i` itself is not at `σ_i = 0`), while the
/// recomposition loses the part of its derivative that lies in the null spaces.
///
/// # Panics
///
/// If the entries of `a` belong to different tapes; on a second-order tape (inside
/// [`hessian`](crate::hessian) or [`hvp`](crate::hvp)), as the rule has no second
/// derivatives. An input with a NaN or infinite entry gives NaN factors and gradients.
#[allow(clippy::type_complexity)]
pub fn svd<R, C, S>(
    a: &Matrix<Var<'static>, R, C, S>,
) -> (
    OMatrix<Var<'static>, R, DimMinimum<R, C>>,
    OVector<Var<'static>, DimMinimum<R, C>>,
    OMatrix<Var<'static>, DimMinimum<R, C>, C>,
)
where
    R: DimMin<C>,
    C: Dim,
    S: Storage<Var<'static>, R, C>,
    DefaultAllocator: Allocator<R, DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>>
        + Allocator<DimMinimum<R, C>, C>,
{
    let (rows, columns) = a.shape_generic();
    let rank = rows.min(columns);
    let (m, n, k) = (rows.value(), columns.value(), rank.value());
    let inputs: Vec<Var<'static>> = a.iter().copied().collect();
    first_order_only("svd", &inputs);
    let matrix = DMatrix::from_iterator(m, n, inputs.iter().map(|x| x.value()));
    let decomposition = (k > 0 && matrix.iter().all(|x| x.is_finite()))
        .then(|| SVD::<f64, Dyn, Dyn>::try_new(matrix, true, true, f64::EPSILON, MAX_ITERATIONS))
        .flatten();
    let outputs = match decomposition {
        Some(SVD {
            u: Some(u),
            v_t: Some(v_t),
            singular_values,
        }) => {
            let outputs: Vec<f64> = u
                .iter()
                .chain(&singular_values)
                .chain(&v_t)
                .copied()
                .collect();
            Var::custom_vjp(&inputs, &outputs, move |cotangent, gradient| {
                svd_adjoint(&u, &singular_values, &v_t, cotangent, gradient);
            })
        }
        _ => not_a_number(&inputs, m * k + k + k * n),
    };
    let (u, rest) = outputs.split_at(m * k);
    let (singular_values, v_t) = rest.split_at(k);
    (
        OMatrix::from_iterator_generic(rows, rank, u.iter().copied()),
        OVector::from_iterator_generic(rank, U1, singular_values.iter().copied()),
        OMatrix::from_iterator_generic(rank, columns, v_t.iter().copied()),
    )
}

/// Writes into `gradient` (column-major, `m n`) the adjoint of the matrix from the
/// adjoints `cotangent` of `U` (`m k`), `σ` (`k`) and `Vᵀ` (`k n`), each column-major.
fn svd_adjoint(
    u: &DMatrix<f64>,
    sigma: &DVector<f64>,
    v_t: &DMatrix<f64>,
    cotangent: &[f64],
    gradient: &mut [f64],
) {
    let (m, k, n) = (u.nrows(), sigma.len(), v_t.ncols());
    let (u_bar, rest) = cotangent.split_at(m * k);
    let (sigma_bar, v_t_bar) = rest.split_at(k);
    let u_bar = DMatrix::from_column_slice(m, k, u_bar);
    let v_bar = DMatrix::from_column_slice(k, n, v_t_bar).transpose();
    let v = v_t.transpose();
    let j = u.tr_mul(&u_bar);
    let l = v.tr_mul(&v_bar);
    let tolerance = repeated_below(sigma);
    // (F ∘ (J − Jᵀ)) Σ + Σ (F ∘ (L − Lᵀ)) has entries (a σ_j + b σ_i)/(σ_j² − σ_i²), with
    // a = J_ij − J_ji and b = L_ij − L_ji; that is (a + b)/(2(σ_j − σ_i)), a divided
    // difference as in the eigen case, plus (a − b)/(2(σ_j + σ_i)).
    let inner = DMatrix::from_fn(k, k, |i, jj| {
        if i == jj {
            return sigma_bar[i];
        }
        let (a, b) = (j[(i, jj)] - j[(jj, i)], l[(i, jj)] - l[(jj, i)]);
        let symmetric = j[(i, jj)] + j[(jj, i)] + l[(i, jj)] + l[(jj, i)];
        let sum = sigma[i] + sigma[jj];
        let across = if sum > 0.0 {
            (a - b) / (2.0 * sum)
        } else {
            0.0
        };
        pair_term(a + b, symmetric, sigma[i], sigma[jj], tolerance) + across
    });
    let mut a_bar = u * inner * v_t;
    let inverse = sigma.map(|s| if s > 0.0 { 1.0 / s } else { 0.0 });
    if m > k {
        // (I − U Uᵀ) Ū Σ⁻¹ Vᵀ
        let outside = (u_bar - u * j) * DMatrix::from_diagonal(&inverse);
        a_bar += outside * v_t;
    }
    if n > k {
        // U Σ⁻¹ V̄ᵀ (I − V Vᵀ) = U Σ⁻¹ ((I − V Vᵀ) V̄)ᵀ
        let outside = (v_bar - &v * l) * DMatrix::from_diagonal(&inverse);
        a_bar += u * outside.transpose();
    }
    gradient.copy_from_slice(a_bar.as_slice());
}

/// The term of a pair `i ≠ j`: the divided difference `difference / (2 (x_j − x_i))`,
/// or where `x_i` and `x_j` are within `tolerance` (repeated), `sum / (2 (x_i + x_j))`,
/// or 0 if that too divides by 0. See the module's notes.
fn pair_term(difference: f64, sum: f64, xi: f64, xj: f64, tolerance: f64) -> f64 {
    if (xj - xi).abs() > tolerance {
        difference / (2.0 * (xj - xi))
    } else if xi + xj != 0.0 {
        sum / (2.0 * (xi + xj))
    } else {
        0.0
    }
}

/// The gap below which two of `values` count as repeated.
fn repeated_below(values: &DVector<f64>) -> f64 {
    REPEATED * values.amax()
}

/// `count` NaN outputs of `inputs`, whose adjoints are NaN too: a decomposition of a
/// matrix with a NaN or infinite entry.
fn not_a_number(inputs: &[Var<'static>], count: usize) -> Vec<Var<'static>> {
    Var::custom_vjp(inputs, &vec![f64::NAN; count], |_, gradient| {
        gradient.fill(f64::NAN)
    })
}
