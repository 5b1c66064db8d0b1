//! [`det`] and [`log_det`]: one node each, with the cofactor matrix or `A⁻ᵀ` as
//! partials and, on a second-order tape, the local Hessian.

use nalgebra::{DMatrix, DVector, Dim, Matrix, SVD, Storage};

use super::{Recording, recording, square, values};
use crate::var::Var;

/// The determinant of the square matrix `a`, recorded as one node whose partials are the
/// cofactor matrix `adj(A)ᵀ` (`det(A) A⁻ᵀ` where `A` is invertible) — right also where
/// `A` is singular, where nalgebra's generic `determinant` can miss them (see the
/// [module docs](crate::linalg)).
///
/// The value is nalgebra's `determinant` of the values (explicit formulas up to 3 × 3,
/// LU beyond). The cofactors come from an SVD `A = U Σ Vᵀ`: `adj(A)ᵀ = det(U) det(V) U
/// diag(∏_{m≠a} σ_m) Vᵀ`, which needs no inverse and no division, so it is right at every
/// rank: the cofactors of a matrix of rank n - 1 are not 0, those of rank n - 2 or less
/// are. On a second-order tape the local Hessian (the second-order cofactors) comes from
/// the same SVD: `∂²det/∂A_ij∂A_kl = det(U) det(V) Σ_{a≠c} ∏_{m≠a,c} σ_m (U_ia V_ja U_kc
/// V_lc - U_ia V_jc U_kc V_la)`, at a cost of O(n⁶) (fine for the small matrices whose
/// Hessians one forms). Source: Giles 2008 for `det(A) A⁻ᵀ`; the SVD form is
/// the expansion of `det(Σ + E)` to second order in `E`.
///
/// ```
/// use nalgebra::Matrix2;
/// use tapegrad::linalg;
///
/// // det [[a, b], [c, d]] = ad - bc; at a rank-one matrix the gradient is [d, -c, -b, a].
/// let (value, gradient) =
///     tapegrad::gradient(|x| linalg::det(&Matrix2::from_row_slice(x)), &[1.0, 2.0, 2.0, 4.0]);
/// assert_eq!(value, 0.0);
/// let expected = [4.0, -2.0, -2.0, 1.0];
/// assert!(gradient.iter().zip(expected).all(|(g, e)| (g - e).abs() < 1e-14));
/// ```
///
/// Shapes: `a` is n × n (a fixed-size matrix is square by its type); the determinant of
/// a 0 × 0 matrix is 1. Entries that are constants get no partial; if all are, the result
/// is a constant.
///
/// If an entry is infinite or NaN, the value is what `f64` arithmetic gives and the
/// partials are NaN.
///
/// # Panics
///
/// If a dynamic `a` is not square, or if its entries belong to two different tapes.
pub fn det<D: Dim, S: Storage<Var<'static>, D, D>>(
    a: &Matrix<Var<'static>, D, D, S>,
) -> Var<'static> {
    let n = square("det", a);
    let values = values(a);
    let value = values.determinant();
    let order = recording(a.iter());
    if order == Recording::Constant {
        return Var::constant(value);
    }
    let inputs: Vec<Var<'static>> = a.iter().copied().collect();
    let Some(factors) = SvdFactors::new(values) else {
        let nan = vec![f64::NAN; n * n];
        return match order {
            Recording::SecondOrder => Var::custom_with_hessian(
                &inputs,
                value,
                &nan,
                &vec![f64::NAN; n * n * (n * n + 1) / 2],
            ),
            _ => Var::custom(&inputs, value, &nan),
        };
    };
    let cofactors = factors.cofactors();
    match order {
        Recording::SecondOrder => Var::custom_with_hessian(
            &inputs,
            value,
            cofactors.as_slice(),
            &factors.second_cofactors(),
        ),
        _ => Var::custom(&inputs, value, cofactors.as_slice()),
    }
}

/// An SVD `A = U diag(σ) Vᵀ` of an n × n matrix, with the sign `det(U) det(V)`.
struct SvdFactors {
    u: DMatrix<f64>,
    /// `Vᵀ`, as nalgebra returns it.
    v_t: DMatrix<f64>,
    sigma: DVector<f64>,
    sign: f64,
}

impl SvdFactors {
    /// The SVD of `a`, or `None` if an entry is not finite or the iteration does not
    /// converge.
    fn new(a: DMatrix<f64>) -> Option<Self> {
        if !a.iter().all(|x| x.is_finite()) {
            return None;
        }
        // nalgebra's `svd` iterates without a bound; this one gives up, and `det` then
        // reports NaN partials instead of looping.
        let svd = SVD::try_new(a, true, true, f64::EPSILON, 10_000)?;
        let (u, v_t) = (svd.u?, svd.v_t?);
        // U and V are orthogonal: their determinants are ±1, well conditioned.
        let sign = u.determinant().signum() * v_t.determinant().signum();
        Some(SvdFactors {
            u,
            v_t,
            sigma: svd.singular_values,
            sign,
        })
    }

    /// `∏_{m≠a} σ_m` for each `a`, by products of prefixes and suffixes (no division,
    /// so right when some σ are 0).
    fn products_but_one(&self) -> Vec<f64> {
        let n = self.sigma.len();
        let mut products = vec![1.0; n];
        let mut prefix = 1.0;
        for (a, product) in products.iter_mut().enumerate() {
            *product = prefix;
            prefix *= self.sigma[a];
        }
        let mut suffix = 1.0;
        for a in (0..n).rev() {
            products[a] *= suffix;
            suffix *= self.sigma[a];
        }
        products
    }

    /// The cofactor matrix `adj(A)ᵀ = det(U) det(V) U diag(∏_{m≠a} σ_m) Vᵀ`.
    fn cofactors(&self) -> DMatrix<f64> {
        let products = DVector::from_vec(self.products_but_one());
        let mut scaled_u = self.u.clone();
        for (mut column, p) in scaled_u.column_iter_mut().zip(products.iter()) {
            column *= self.sign * p;
        }
        scaled_u * &self.v_t
    }

    /// The lower triangle, row by row, of the Hessian of `det` with respect to the
    /// entries of `A` in column-major order (`A_ij` at `i + j n`).
    fn second_cofactors(&self) -> Vec<f64> {
        let n = self.sigma.len();
        // ∏_{m≠a,c} σ_m for a ≠ c.
        let pairs = DMatrix::from_fn(n, n, |a, c| {
            if a == c {
                0.0
            } else {
                (0..n)
                    .filter(|&m| m != a && m != c)
                    .map(|m| self.sigma[m])
                    .product::<f64>()
            }
        });
        let (u, v) = (&self.u, |j: usize, b: usize| self.v_t[(b, j)]);
        let size = n * n;
        let mut hessian = Vec::with_capacity(size * (size + 1) / 2);
        for p in 0..size {
            let (i, j) = (p % n, p / n);
            for q in 0..=p {
                let (k, l) = (q % n, q / n);
                let mut sum = 0.0;
                for a in 0..n {
                    for c in 0..n {
                        let product = pairs[(a, c)];
                        if product != 0.0 {
                            sum += product
                                * u[(i, a)]
                                * u[(k, c)]
                                * (v(j, a) * v(l, c) - v(j, c) * v(l, a));
                        }
                    }
                }
                hessian.push(self.sign * sum);
            }
        }
        hessian
    }
}

/// The sign of the determinant of the square matrix `a` (1, -1, or 0 if `a` is singular)
/// and the logarithm of its absolute value, recorded as one node with partials `A⁻ᵀ`
/// (Giles 2008: `Ā = ȳ A⁻ᵀ`).
///
/// Every one of the n² entries is an input: `a` is a general square matrix, not read as
/// symmetric. The value comes from nalgebra's LU of the values, as `Σ ln |U_ii|`, so it
/// neither overflows nor underflows where `det` would. On a second-order tape (inside
/// [`hessian`](crate::hessian) or [`hvp`](crate::hvp)) the node also carries the exact
/// local Hessian `∂² ln|det A| / ∂A_ij ∂A_kl = -(A⁻¹)_jk (A⁻¹)_li` (n²(n² + 1)/2
/// numbers); on a first-order tape only the n² partials.
///
/// ```
/// use nalgebra::Matrix2;
/// use tapegrad::linalg;
///
/// // ln |det [[2, 1], [1, 3]]| = ln 5, with gradient A⁻ᵀ = [[3, -1], [-1, 2]] / 5.
/// let (value, gradient) = tapegrad::gradient(
///     |x| {
///         let (sign, log_det) = linalg::log_det(&Matrix2::from_row_slice(x));
///         assert_eq!(sign, 1.0);
///         log_det
///     },
///     &[2.0, 1.0, 1.0, 3.0],
/// );
/// assert!((value - 5f64.ln()).abs() < 1e-15);
/// let expected = [0.6, -0.2, -0.2, 0.4];
/// assert!(gradient.iter().zip(expected).all(|(g, e)| (g - e).abs() < 1e-15));
/// ```
///
/// Shapes: `a` is n × n; a 0 × 0 matrix gives `(1.0, 0)`.
///
/// At a singular `a` (an exactly zero pivot in the LU) the result is `(0.0, -∞)`, as
/// numpy's `slogdet` gives, and the partials are NaN: `ln |det|` has no derivative there.
///
/// # Panics
///
/// If a dynamic `a` is not square, or if its entries belong to two different tapes.
pub fn log_det<D: Dim, S: Storage<Var<'static>, D, D>>(
    a: &Matrix<Var<'static>, D, D, S>,
) -> (f64, Var<'static>) {
    let n = square("log_det", a);
    let lu = values(a).lu();
    let pivots = lu.u().diagonal();
    let singular = pivots.iter().any(|&pivot| pivot == 0.0);
    let (sign, value) = if singular {
        (0.0, f64::NEG_INFINITY)
    } else {
        let sign: f64 = pivots.iter().map(|pivot| pivot.signum()).product();
        let permutation: f64 = lu.p().determinant();
        let log: f64 = pivots.iter().map(|pivot| pivot.abs().ln()).sum();
        (sign * permutation, log)
    };
    let order = recording(a.iter());
    if order == Recording::Constant {
        return (sign, Var::constant(value));
    }
    let inputs: Vec<Var<'static>> = a.iter().copied().collect();
    let size = n * n;
    let inverse = if singular { None } else { lu.try_inverse() };
    let Some(inverse) = inverse else {
        let nan = vec![f64::NAN; size];
        let log_det = match order {
            Recording::SecondOrder => Var::custom_with_hessian(
                &inputs,
                value,
                &nan,
                &vec![f64::NAN; size * (size + 1) / 2],
            ),
            _ => Var::custom(&inputs, value, &nan),
        };
        return (sign, log_det);
    };
    // The partial with respect to A_ij, at i + j n, is (A⁻¹)_ji.
    let partials = inverse.transpose();
    let log_det = match order {
        Recording::SecondOrder => {
            let mut hessian = Vec::with_capacity(size * (size + 1) / 2);
            for p in 0..size {
                let (i, j) = (p % n, p / n);
                for q in 0..=p {
                    let (k, l) = (q % n, q / n);
                    hessian.push(-inverse[(j, k)] * inverse[(l, i)]);
                }
            }
            Var::custom_with_hessian(&inputs, value, partials.as_slice(), &hessian)
        }
        _ => Var::custom(&inputs, value, partials.as_slice()),
    };
    (sign, log_det)
}
