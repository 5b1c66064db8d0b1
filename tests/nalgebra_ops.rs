//! nalgebra's own generic code run on `Var<'static>`: determinants, inverses, LU, Cholesky,
//! QR, symmetric eigenvalues, SVD, norms, dot products and quaternion rotations.
//!
//! Each gradient comes from `tapegrad::gradient`, whose closure receives `Var<'static>`s
//! (nalgebra's scalars must be `'static`), and is checked twice: against a closed form
//! (matrix calculus), and against central finite differences of the *same* generic
//! nalgebra code run on `f64`. Random inputs come from proptest and are built
//! well-conditioned by construction (each test says how), so that both checks can be
//! tight.

#![cfg(feature = "nalgebra")]

use approx::{assert_abs_diff_eq, assert_relative_eq, assert_ulps_eq};
use nalgebra::{
    ComplexField, DMatrix, DVector, Matrix2, Matrix3, Quaternion, RealField, Unit, UnitQuaternion,
    Vector3,
};
use proptest::prelude::*;
use tapegrad::Var;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Step of the finite differences: see [`FD_TOLERANCE`].
const STEP: f64 = 1e-3;

/// The gradient of `f` at `x` by the five-point central stencil
/// `(f(x-2h) - 8f(x-h) + 8f(x+h) - f(x+2h)) / 12h`.
fn finite_difference(x: &[f64], f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
    let mut point = x.to_vec();
    (0..x.len())
        .map(|i| {
            let mut at = |offset: f64| {
                point[i] = x[i] + offset;
                f(&point)
            };
            let d = (at(-2.0 * STEP) - 8.0 * at(-STEP) + 8.0 * at(STEP) - at(2.0 * STEP))
                / (12.0 * STEP);
            point[i] = x[i];
            d
        })
        .collect()
}

/// Tolerance of tapegrad against finite differences, relative to the largest gradient
/// entry (or 1). The five-point stencil with `h = 1e-3` errs by `h⁴ |f⁽⁵⁾| / 30` from
/// truncation and by about `1.5 ε |f| / h ≈ 3e-13 |f|` from rounding. The inputs below are
/// built so that the matrices have condition numbers of at most ~10 and norms of their
/// inverses at most 1 (eigenvalue and singular value gaps at least 1), and the scalar
/// functions are taken at least 0.3 away from their singularities, which keeps the fifth
/// derivatives small: over 3000 random cases per property the worst error seen was 7e-12,
/// and 1.2e-10 at the fixed inputs (fourth powers of an eigenvector). `1e-9` leaves a
/// margin of ten over the worst, a hundred over the random properties.
const FD_TOLERANCE: f64 = 1e-9;

/// Tolerance of tapegrad against a closed form computed with nalgebra on `f64`, relative
/// to the largest entry (or 1). Both sides are exact formulas evaluated in floating point
/// on matrices with condition numbers of at most ~10, each within `cond · n · ε ≈ 1e-14`
/// of the truth for the direct methods. The iterative ones stop at a relative
/// off-diagonal size of about `ε`, which leaves their eigenvectors and singular vectors,
/// and the derivatives through them, a little less accurate. Over 3000 random cases per
/// property the worst seen was 7e-16 for the direct methods, 6e-14 for `symmetric_eigen`
/// and 1.1e-12 for `svd`. `1e-11` leaves a margin of ten over the worst.
const CLOSED_FORM_TOLERANCE: f64 = 1e-11;

/// Tolerance of the value on Vars against the value of the same code on `f64`. The same
/// operations in the same order give the same bits (and do in every test here), but
/// nalgebra may run a specialised kernel for `f64`, such as its matrix product through
/// `matrixmultiply`, which sums in another order: a few ulps are allowed for that.
const VALUE_TOLERANCE: f64 = 1e-14;

/// Asserts `|actual[i] - expected[i]| <= tolerance * max(1, max |expected|)` for every i.
#[track_caller]
fn assert_close(actual: &[f64], expected: &[f64], tolerance: f64, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    let scale = expected.iter().fold(1.0_f64, |m, e| m.max(e.abs()));
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() <= tolerance * scale,
            "{what}: entry {i} is {a}, expected {e} (difference {:e}, allowed {:e})\n\
             actual:   {actual:?}\nexpected: {expected:?}",
            (a - e).abs(),
            tolerance * scale,
        );
    }
}

/// Runs `|v| body` — generic code, written once — on Vars and on `f64`: asserts that the
/// values agree and that tapegrad's gradient agrees with finite differences of the `f64`
/// run, then returns tapegrad's value and gradient.
macro_rules! checked_gradient {
    ($x:expr, |$v:ident| $body:expr) => {{
        let x: &[f64] = &$x;
        let (value, gradient) = tapegrad::gradient(|$v: &[Var<'static>]| $body, x);
        let on_f64 = |$v: &[f64]| -> f64 { $body };
        assert_close(
            &[value],
            &[on_f64(x)],
            VALUE_TOLERANCE,
            "value on Vars vs on f64",
        );
        let fd = finite_difference(x, on_f64);
        assert_close(
            &gradient,
            &fd,
            FD_TOLERANCE,
            "tapegrad vs finite differences",
        );
        (value, gradient)
    }};
}

/// `n × n` matrix `M + (n + 1) I` from entries `m` of `M` in `[-1, 1]`, row-major.
/// `‖M‖₂ ≤ ‖M‖_F ≤ n`, so every singular value lies in `[1, 2n + 1]`: `‖A⁻¹‖₂ ≤ 1` and the
/// condition number is at most `2n + 1`.
fn well_conditioned(n: usize, m: &[f64]) -> Vec<f64> {
    let mut a = m.to_vec();
    for i in 0..n {
        a[i * n + i] += (n + 1) as f64;
    }
    a
}

/// The Householder reflection `I - 2 u uᵀ / uᵀu`, an orthogonal matrix that turns the
/// axes of a diagonal matrix into generic directions.
fn reflection(u: &[f64]) -> DMatrix<f64> {
    let u = DVector::from_column_slice(u);
    let n = u.len();
    DMatrix::identity(n, n) - &u * u.transpose() * (2.0 / u.norm_squared())
}

/// Entries in `[-1, 1]`.
fn entries(len: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-1.0..1.0_f64, len)
}

/// A vector whose first entry is in `[1, 2]` and the others in `[-1, 1]`: never near
/// zero, as [`reflection`] needs.
fn direction(len: usize) -> impl Strategy<Value = Vec<f64>> {
    (1.0..2.0_f64, entries(len - 1)).prop_map(|(first, mut rest)| {
        rest.insert(0, first);
        rest
    })
}

/// Row-major entries of a matrix.
fn row_major(m: &DMatrix<f64>) -> Vec<f64> {
    m.transpose().iter().copied().collect()
}

/// Each property runs on 48 random inputs: enough to meet sign changes and pivot orders,
/// and the whole file stays within a few seconds in a debug build.
fn config() -> ProptestConfig {
    ProptestConfig::with_cases(48)
}

// ---------------------------------------------------------------------------------------
// The functions under test: generic nalgebra code, run on both Var and f64
// ---------------------------------------------------------------------------------------

fn det3<T: RealField + Copy>(a: &[T]) -> T {
    Matrix3::from_row_slice(a).determinant()
}

/// For `n > 3` nalgebra's determinant goes through LU with partial pivoting.
fn det_n<T: RealField + Copy>(n: usize, a: &[T]) -> T {
    DMatrix::from_row_slice(n, n, a).determinant()
}

/// `tr(A⁻¹ B)` with a constant `B`, through the `Matrix3` inverse (cofactors).
fn trace_inverse_times3<T: RealField + Copy>(a: &[T], b: &[f64]) -> T {
    let b = Matrix3::from_row_slice(b).map(nalgebra::convert::<f64, T>);
    let inverse = Matrix3::from_row_slice(a)
        .try_inverse()
        .expect("invertible");
    (inverse * b).trace()
}

/// `tr(A⁻¹ B)` with a constant `B`, through the dynamic inverse (LU for `n > 4`).
fn trace_inverse_times_n<T: RealField + Copy>(n: usize, a: &[T], b: &[f64]) -> T {
    let b = DMatrix::from_row_slice(n, n, b).map(nalgebra::convert::<f64, T>);
    let inverse = DMatrix::from_row_slice(n, n, a)
        .try_inverse()
        .expect("invertible");
    (inverse * b).trace()
}

/// Component `k` of the solution of `A x = b`, by LU; `params` is `A` row-major then `b`.
fn lu_solution<T: RealField + Copy>(n: usize, params: &[T], k: usize) -> T {
    let (a, b) = params.split_at(n * n);
    let a = DMatrix::from_row_slice(n, n, a);
    let b = DVector::from_column_slice(b);
    a.lu().solve(&b).expect("invertible")[k]
}

/// `ln det(B Bᵀ + n I) = 2 Σ ln L_ii` from the Cholesky factor `L`.
fn log_det_by_cholesky<T: RealField + Copy>(n: usize, b: &[T]) -> T {
    let b = DMatrix::from_row_slice(n, n, b);
    let shift: T = nalgebra::convert(n as f64);
    let a = &b * b.transpose() + DMatrix::identity(n, n) * shift;
    let l = a.cholesky().expect("symmetric positive definite").l();
    let two: T = nalgebra::convert(2.0);
    two * l.diagonal().iter().fold(T::zero(), |sum, &d| sum + d.ln())
}

/// The symmetric matrix whose lower triangle, row by row, is `lower`.
fn symmetric<T: RealField + Copy>(n: usize, lower: &[T]) -> DMatrix<T> {
    DMatrix::from_fn(n, n, |i, j| {
        let (i, j) = if i >= j { (i, j) } else { (j, i) };
        lower[i * (i + 1) / 2 + j]
    })
}

/// The smallest eigenvalue of the symmetric matrix with lower triangle `lower`.
fn smallest_eigenvalue<T: RealField + Copy>(n: usize, lower: &[T]) -> T {
    symmetric(n, lower).symmetric_eigen().eigenvalues.min()
}

/// `ln |det R|` of the QR decomposition: `Σ ln |R_ii|`.
fn log_abs_det_by_qr<T: RealField + Copy>(n: usize, a: &[T]) -> T {
    let r = DMatrix::from_row_slice(n, n, a).qr().r();
    r.diagonal()
        .iter()
        .fold(T::zero(), |sum, &d| sum + d.abs().ln())
}

/// `Σ_ij c_ij Q_ij` for the Q of the QR decomposition, with constant weights `c`.
fn weighted_q<T: RealField + Copy>(n: usize, a: &[T], c: &[f64]) -> T {
    let q = DMatrix::from_row_slice(n, n, a).qr().q();
    let c = DMatrix::from_row_slice(n, n, c).map(nalgebra::convert::<f64, T>);
    q.component_mul(&c).sum()
}

/// The largest singular value, from `svd(true, true)`.
fn largest_singular_value<T: RealField + Copy>(rows: usize, cols: usize, a: &[T]) -> T {
    let svd = DMatrix::from_row_slice(rows, cols, a).svd(true, true);
    svd.singular_values.max()
}

/// Component `k` of `v` rotated by `angle` about the constant `axis`; `params` is the
/// angle then `v`.
fn rotated_about_axis<T: RealField + Copy>(params: &[T], axis: &[f64; 3], k: usize) -> T {
    let axis = Unit::new_normalize(Vector3::from_column_slice(axis).map(nalgebra::convert));
    let rotation = UnitQuaternion::from_axis_angle(&axis, params[0]);
    (rotation * Vector3::new(params[1], params[2], params[3]))[k]
}

/// Component `k` of the constant `v` rotated by the unit quaternion normalised from
/// `s (cos θ/2, sin θ/2 axis)`; `params` is `θ` then `s`.
fn rotated_by_quaternion<T: RealField + Copy>(
    params: &[T],
    axis: &[f64; 3],
    v: &[f64; 3],
    k: usize,
) -> T {
    let (angle, scale) = (params[0], params[1]);
    let axis = Vector3::from_column_slice(axis).map(nalgebra::convert::<f64, T>);
    let half: T = nalgebra::convert(0.5);
    let (sin, cos) = (angle * half).sin_cos();
    let q = Quaternion::from_parts(scale * cos, axis * (scale * sin));
    let rotation = UnitQuaternion::from_quaternion(q);
    (rotation * Vector3::from_column_slice(v).map(nalgebra::convert::<f64, T>))[k]
}

// ---------------------------------------------------------------------------------------
// Determinant, inverse, LU
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// `∂ det A / ∂A = det(A) A⁻ᵀ`, through `Matrix3::determinant` (explicit formula).
    #[test]
    fn determinant_3x3(m in entries(9)) {
        let a = well_conditioned(3, &m);
        let (det, gradient) = checked_gradient!(a, |v| det3(v));
        let a = Matrix3::from_row_slice(&a);
        let expected = a.try_inverse().unwrap().transpose() * a.determinant();
        assert_close(&[det], &[a.determinant()], VALUE_TOLERANCE, "determinant");
        assert_close(&gradient, &row_major(&DMatrix::from_column_slice(3, 3, expected.as_slice())),
            CLOSED_FORM_TOLERANCE, "det(A) A^-T");
    }

    /// The same for a 5 × 5 `DMatrix`, whose determinant nalgebra takes through LU. The
    /// rows are cycled so that the pivots are off the diagonal and LU must swap rows.
    #[test]
    fn determinant_5x5_by_lu(m in entries(25)) {
        let n = 5;
        let a = DMatrix::from_row_slice(n, n, &well_conditioned(n, &m));
        let a = DMatrix::from_fn(n, n, |i, j| a[((i + 1) % n, j)]);
        let (_, gradient) = checked_gradient!(row_major(&a), |v| det_n(n, v));
        let expected = a.clone().try_inverse().unwrap().transpose() * a.determinant();
        assert_close(&gradient, &row_major(&expected), CLOSED_FORM_TOLERANCE, "det(A) A^-T");
    }

    /// `∂ tr(A⁻¹ B) / ∂A = -(A⁻¹ B A⁻¹)ᵀ`, through `Matrix3::try_inverse`.
    #[test]
    fn inverse_3x3(m in entries(9), b in entries(9)) {
        let a = well_conditioned(3, &m);
        let (_, gradient) = checked_gradient!(a, |v| trace_inverse_times3(v, &b));
        let inverse = DMatrix::from_row_slice(3, 3, &a).try_inverse().unwrap();
        let b = DMatrix::from_row_slice(3, 3, &b);
        let expected = -(&inverse * b * &inverse).transpose();
        assert_close(&gradient, &row_major(&expected), CLOSED_FORM_TOLERANCE,
            "-(A^-1 B A^-1)^T");
    }

    /// The same through `DMatrix::try_inverse` of a 5 × 5 matrix (LU, rows cycled so
    /// that the pivoting swaps).
    #[test]
    fn inverse_5x5_by_lu(m in entries(25), b in entries(25)) {
        let n = 5;
        let a = DMatrix::from_row_slice(n, n, &well_conditioned(n, &m));
        let a = DMatrix::from_fn(n, n, |i, j| a[((i + 2) % n, j)]);
        let (_, gradient) = checked_gradient!(row_major(&a), |v| trace_inverse_times_n(n, v, &b));
        let inverse = a.try_inverse().unwrap();
        let b = DMatrix::from_row_slice(n, n, &b);
        let expected = -(&inverse * b * &inverse).transpose();
        assert_close(&gradient, &row_major(&expected), CLOSED_FORM_TOLERANCE,
            "-(A^-1 B A^-1)^T");
    }

    /// For `x = A⁻¹ b` by `lu().solve`: `∂x_k/∂b = row k of A⁻¹` and
    /// `∂x_k/∂A_ij = -(A⁻¹)_ki x_j`. The rows of A are cycled so that LU pivots.
    #[test]
    fn lu_solve(m in entries(16), b in entries(4), k in 0..4_usize) {
        let n = 4;
        let a = DMatrix::from_row_slice(n, n, &well_conditioned(n, &m));
        let a = DMatrix::from_fn(n, n, |i, j| a[((i + 1) % n, j)]);
        let mut identity = DMatrix::<f64>::identity(n, n);
        a.clone().lu().p().permute_rows(&mut identity);
        prop_assert_ne!(&identity, &DMatrix::identity(n, n), "LU did not pivot");

        let mut params = row_major(&a);
        params.extend_from_slice(&b);
        let (xk, gradient) = checked_gradient!(params, |v| lu_solution(n, v, k));

        let inverse = a.try_inverse().unwrap();
        let x = &inverse * DVector::from_column_slice(&b);
        prop_assert!((xk - x[k]).abs() <= CLOSED_FORM_TOLERANCE * x.amax().max(1.0));
        let by_a = DMatrix::from_fn(n, n, |i, j| -inverse[(k, i)] * x[j]);
        let mut expected = row_major(&by_a);
        expected.extend(inverse.row(k).iter());
        assert_close(&gradient, &expected, CLOSED_FORM_TOLERANCE,
            "dx_k/dA = -(A^-1)_ki x_j, dx_k/db = (A^-1)_k.");
    }
}

// ---------------------------------------------------------------------------------------
// Cholesky, symmetric eigenvalues
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// `ln det A` from `cholesky()`, with `A = B Bᵀ + n I` built from a free `B` (so the
    /// input is symmetric positive definite whatever `B`, and `λ_min(A) ≥ n`):
    /// `d ln det A = tr(A⁻¹ dA) = 2 tr(Bᵀ A⁻¹ dB)`, so `∂/∂B = 2 A⁻¹ B`.
    #[test]
    fn cholesky_log_det(b in entries(16)) {
        let n = 4;
        let (log_det, gradient) = checked_gradient!(b, |v| log_det_by_cholesky(n, v));
        let b = DMatrix::from_row_slice(n, n, &b);
        let a = &b * b.transpose() + DMatrix::identity(n, n) * n as f64;
        assert_close(&[log_det], &[a.determinant().ln()], CLOSED_FORM_TOLERANCE, "ln det A");
        let expected = a.try_inverse().unwrap() * &b * 2.0;
        assert_close(&gradient, &row_major(&expected), CLOSED_FORM_TOLERANCE, "2 A^-1 B");
    }

    /// The smallest eigenvalue `λ` of a symmetric `A` from `symmetric_eigen()`, with `A`
    /// parametrised by its lower triangle (each off-diagonal entry appears twice):
    /// `∂λ/∂A_ii = v_i²` and `∂λ/∂A_ij = 2 v_i v_j` for its unit eigenvector `v`.
    ///
    /// `A = H diag(1, 4, 7, 10) H + E` with a random reflection `H` and a symmetric `E` of
    /// entries in `[-1/4, 1/4]` (`‖E‖₂ ≤ 1`): the eigenvalues stay at least 1 apart.
    #[test]
    fn symmetric_eigen_smallest(u in direction(4), e in entries(10)) {
        let n = 4;
        let h = reflection(&u);
        let d = DMatrix::from_diagonal(&DVector::from_column_slice(&[1.0, 4.0, 7.0, 10.0]));
        let a = &h * d * &h + symmetric(n, &e) * 0.25;
        let lower: Vec<f64> = (0..n).flat_map(|i| (0..=i).map(move |j| (i, j)))
            .map(|(i, j)| a[(i, j)])
            .collect();

        let (lambda, gradient) = checked_gradient!(lower, |p| smallest_eigenvalue(n, p));

        let eigen = a.symmetric_eigen();
        let smallest = eigen.eigenvalues.imin();
        let v = eigen.eigenvectors.column(smallest);
        prop_assert!((lambda - eigen.eigenvalues[smallest]).abs() <= CLOSED_FORM_TOLERANCE);
        let expected: Vec<f64> = (0..n).flat_map(|i| (0..=i).map(move |j| (i, j)))
            .map(|(i, j)| if i == j { v[i] * v[i] } else { 2.0 * v[i] * v[j] })
            .collect();
        assert_close(&gradient, &expected, CLOSED_FORM_TOLERANCE, "v v^T");
    }
}

// ---------------------------------------------------------------------------------------
// QR, SVD
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// `|det R| = |det A|` for `A = QR`, and `∂ ln|det A| / ∂A = A⁻ᵀ`.
    #[test]
    fn qr_log_abs_det(m in entries(16)) {
        let n = 4;
        let a = well_conditioned(n, &m);
        let (log_abs_det, gradient) = checked_gradient!(a, |v| log_abs_det_by_qr(n, v));
        let a = DMatrix::from_row_slice(n, n, &a);
        assert_close(&[log_abs_det], &[a.determinant().abs().ln()], CLOSED_FORM_TOLERANCE,
            "ln |det R| = ln |det A|");
        let expected = a.try_inverse().unwrap().transpose();
        assert_close(&gradient, &row_major(&expected), CLOSED_FORM_TOLERANCE, "A^-T");
    }

    /// The Q factor is differentiable too (no closed form here: finite differences only).
    #[test]
    fn qr_q_factor(m in entries(16), c in entries(16)) {
        let n = 4;
        checked_gradient!(well_conditioned(n, &m), |v| weighted_q(n, v, &c));
    }

    /// The largest singular value `σ₁ = ‖A‖₂` of a 4 × 3 matrix has gradient `u₁ v₁ᵀ`.
    ///
    /// `A = H₄ (6 e₁e₁ᵀ + M) H₃` with random reflections and `M` of entries in
    /// `[-1/2, 1/2]` (`‖M‖₂ ≤ √3`): `σ₁ ≥ 6 - √3` and `σ₂ ≤ √3`, a gap of at least 2.5.
    #[test]
    fn svd_largest_singular_value(u in direction(4), w in direction(3), m in entries(12)) {
        let (rows, cols) = (4, 3);
        let mut a = DMatrix::from_row_slice(rows, cols, &m) * 0.5;
        a[(0, 0)] += 6.0;
        let a = reflection(&u) * a * reflection(&w);

        let (sigma, gradient) =
            checked_gradient!(row_major(&a), |v| largest_singular_value(rows, cols, v));

        let svd = a.svd(true, true);
        let first = svd.singular_values.imax();
        prop_assert!((sigma - svd.singular_values[first]).abs() <= CLOSED_FORM_TOLERANCE * sigma);
        let (u, v_t) = (svd.u.unwrap(), svd.v_t.unwrap());
        let expected = u.column(first) * v_t.row(first);
        assert_close(&gradient, &row_major(&expected), CLOSED_FORM_TOLERANCE, "u1 v1^T");
    }
}

// ---------------------------------------------------------------------------------------
// Vectors and rotations
// ---------------------------------------------------------------------------------------

/// `∂‖x‖/∂x = x / ‖x‖`.
#[test]
fn vector_norm() {
    let x = [3.0, -4.0, 12.0, 0.5];
    let (norm, gradient) = checked_gradient!(x, |v| DVector::from_column_slice(v).norm());
    let expected = DVector::from_column_slice(&x);
    assert_close(&[norm], &[expected.norm()], VALUE_TOLERANCE, "norm");
    assert_close(
        &gradient,
        (expected.clone() / expected.norm()).as_slice(),
        CLOSED_FORM_TOLERANCE,
        "x / |x|",
    );
}

/// `∂(x·y)/∂x = y` and `∂(x·y)/∂y = x`.
#[test]
fn vector_dot() {
    let params = [1.0, -2.0, 0.5, 3.0, 4.0, -1.0];
    let (dot, gradient) = checked_gradient!(params, |v| {
        let (x, y) = v.split_at(3);
        DVector::from_column_slice(x).dot(&DVector::from_column_slice(y))
    });
    assert_eq!(dot, 1.0 * 3.0 - 2.0 * 4.0 - 0.5);
    assert_eq!(gradient, vec![3.0, 4.0, -1.0, 1.0, -2.0, 0.5]);
}

/// `R(θ) v` about a unit axis `a`: `∂(Rv)/∂θ = a × Rv`, `∂(Rv)/∂v = R`.
#[test]
fn rotation_from_axis_angle() {
    let axis = [1.0, 2.0, -2.0];
    let params = [0.7, 1.0, -0.5, 2.0];
    let unit = Unit::new_normalize(Vector3::from_column_slice(&axis));
    let rotation = UnitQuaternion::from_axis_angle(&unit, params[0]);
    let rotated = rotation * Vector3::new(params[1], params[2], params[3]);
    let by_angle = unit.cross(&rotated);
    let matrix = rotation.to_rotation_matrix().into_inner();
    for k in 0..3 {
        let (component, gradient) = checked_gradient!(params, |v| rotated_about_axis(v, &axis, k));
        assert_close(&[component], &[rotated[k]], VALUE_TOLERANCE, "R v");
        let mut expected = vec![by_angle[k]];
        expected.extend(matrix.row(k).iter());
        assert_close(&gradient, &expected, CLOSED_FORM_TOLERANCE, "(a x Rv, R)");
    }
}

/// `UnitQuaternion::from_quaternion` normalises: scaling the quaternion by `s` changes
/// nothing (`∂/∂s = 0`), and turning it by `θ` about its axis rotates at rate `a × Rv`.
#[test]
fn rotation_from_quaternion() {
    let axis = [2.0 / 3.0, -1.0 / 3.0, 2.0 / 3.0];
    let v = [0.5, 1.5, -1.0];
    let params = [1.3, 2.5];
    let unit = Unit::new_unchecked(Vector3::from_column_slice(&axis));
    let rotated = UnitQuaternion::from_axis_angle(&unit, params[0]) * Vector3::from(v);
    let by_angle = unit.cross(&rotated);
    for k in 0..3 {
        let (component, gradient) =
            checked_gradient!(params, |p| rotated_by_quaternion(p, &axis, &v, k));
        assert_close(&[component], &[rotated[k]], CLOSED_FORM_TOLERANCE, "R v");
        assert_close(
            &gradient,
            &[by_angle[k], 0.0],
            CLOSED_FORM_TOLERANCE,
            "(a x Rv, 0)",
        );
    }
}

// ---------------------------------------------------------------------------------------
// The trait impls themselves
// ---------------------------------------------------------------------------------------

#[test]
fn var_static_is_a_nalgebra_real_field() {
    fn needs<T: RealField + Copy>() {}
    fn needs_scalar<T: nalgebra::Scalar + nalgebra::SimdRealField + ComplexField<RealField = T>>() {
    }
    needs::<Var<'static>>();
    needs_scalar::<Var<'static>>();
}

#[test]
fn approx_compares_values() {
    tapegrad::gradient(
        |x| {
            let y = x[0] + 0.2;
            assert_relative_eq!(y, Var::constant(0.3));
            assert_abs_diff_eq!(y, Var::constant(0.3));
            assert_ulps_eq!(y, Var::constant(0.3));
            assert_relative_eq!(y, Var::constant(0.31), epsilon = Var::constant(0.02));
            assert!(approx::relative_ne!(y, Var::constant(0.31)));

            let m = Matrix2::new(x[0], y, y * y, x[0] * 3.0);
            let expected = Matrix2::new(0.1, 0.3, 0.09, 0.3).map(Var::constant);
            assert_relative_eq!(m, expected, max_relative = Var::constant(1e-15));
            assert_ulps_eq!(m, expected);
            y
        },
        &[0.1],
    );
}

#[test]
fn conversions_make_constants_and_drop_derivatives() {
    let two: Var<'static> = nalgebra::convert(2.0_f64);
    assert!(two.is_constant());
    assert_eq!(two.value(), 2.0);
    let half: Var<'static> = nalgebra::convert(0.5_f32);
    assert!(half.is_constant());
    assert_eq!(half.value(), 0.5);

    let constants = Matrix2::new(1.0, 2.0, 3.0, 4.0).cast::<Var<'static>>();
    assert!(constants.iter().all(|c| c.is_constant()));

    let (_, gradient) = tapegrad::gradient(
        |x| {
            let x = x[0];
            let m = Matrix2::new(x, x * x, -x, x.sqrt());
            let values: Matrix2<f64> = m.cast::<f64>();
            assert_eq!(values, Matrix2::new(3.0, 9.0, -3.0, 3.0_f64.sqrt()));
            assert_eq!(nalgebra::try_convert::<Var<'static>, f64>(x), Some(3.0));
            assert_eq!(nalgebra::convert::<Var<'static>, f32>(x), 3.0_f32);
            // What is computed from the plain number reaches no tape.
            let from_plain: Var<'static> = nalgebra::convert(values[(0, 1)] * 2.0);
            assert!(from_plain.is_constant());
            from_plain + x
        },
        &[3.0],
    );
    assert_eq!(gradient, vec![1.0]);
}

#[test]
fn complex_field_edges() {
    let (_, gradient) = tapegrad::gradient(
        |x| {
            let x = x[0];
            assert!(ComplexField::try_sqrt(x).is_none());
            let root = ComplexField::try_sqrt(-x).map(Var::value);
            assert_eq!(root, Some(2.0_f64.sqrt()));
            assert!(ComplexField::try_sqrt(Var::constant(f64::NAN)).is_none());
            assert!(ComplexField::imaginary(x).is_constant());
            assert_eq!(ComplexField::argument(x).value(), std::f64::consts::PI);
            assert_eq!(ComplexField::argument(-x).value(), 0.0);
            assert!(ComplexField::argument(x).is_constant());
            assert_eq!(RealField::min_value().map(Var::value), Some(f64::MIN));
            assert_eq!(RealField::max_value().map(Var::value), Some(f64::MAX));
            let two_pi = <Var<'static> as RealField>::two_pi();
            assert_eq!(two_pi.value(), std::f64::consts::TAU);
            // As simba's f64 impl, `RealField::clamp` does not panic on crossed bounds.
            let clamped = RealField::clamp(x, Var::constant(1.0), Var::constant(0.0));
            assert_eq!(clamped.value(), 1.0);

            // `to_exp` of a negative real: `(-x, -1)`, the sign a constant.
            let (modulus, sign) = ComplexField::to_exp(x);
            assert_eq!((modulus.value(), sign.value()), (2.0, -1.0));
            assert!(sign.is_constant());
            modulus
        },
        &[-2.0],
    );
    assert_eq!(gradient, vec![-1.0]);
}

/// Every `ComplexField`/`RealField` function keeps its derivative: each is checked
/// against finite differences of simba's `f64` impl at a point away from kinks.
macro_rules! trait_functions_keep_derivatives {
    ($($name:ident at $x:expr => |$v:ident| $body:expr;)*) => {
        #[test]
        fn complex_and_real_field_functions_keep_derivatives() {
            $(
                let (_, gradient) = checked_gradient!($x, |$v| $body);
                assert!(
                    gradient.iter().all(|d| d.is_finite()),
                    concat!(stringify!($name), ": gradient {:?}"),
                    gradient
                );
            )*
        }
    };
}

trait_functions_keep_derivatives! {
    real at [0.3] => |v| ComplexField::real(v[0]);
    from_real at [0.3] => |v| <_ as ComplexField>::from_real(v[0]);
    modulus at [-0.3] => |v| ComplexField::modulus(v[0]);
    modulus_squared at [-0.3] => |v| ComplexField::modulus_squared(v[0]);
    norm1 at [-0.3] => |v| ComplexField::norm1(v[0]);
    abs at [-0.3] => |v| ComplexField::abs(v[0]);
    scale at [0.3, 1.7] => |v| ComplexField::scale(v[0], v[1]);
    unscale at [0.3, 1.7] => |v| ComplexField::unscale(v[0], v[1]);
    conjugate at [0.3] => |v| ComplexField::conjugate(v[0]);
    to_polar at [-0.3] => |v| ComplexField::to_polar(v[0]).0;
    to_exp at [-0.3] => |v| ComplexField::to_exp(v[0]).0;
    signum at [-0.3] => |v| ComplexField::signum(v[0]) * v[0];
    floor at [1.3] => |v| ComplexField::floor(v[0]) + v[0];
    ceil at [1.3] => |v| ComplexField::ceil(v[0]) + v[0];
    round at [1.3] => |v| ComplexField::round(v[0]) + v[0];
    trunc at [1.3] => |v| ComplexField::trunc(v[0]) + v[0];
    fract at [1.3] => |v| ComplexField::fract(v[0]);
    mul_add at [0.3, 1.7, -0.4] => |v| ComplexField::mul_add(v[0], v[1], v[2]);
    hypot at [0.3, -1.7] => |v| ComplexField::hypot(v[0], v[1]);
    recip at [1.3] => |v| ComplexField::recip(v[0]);
    sin at [0.3] => |v| ComplexField::sin(v[0]);
    cos at [0.3] => |v| ComplexField::cos(v[0]);
    sin_cos at [0.3] => |v| {
        let (s, c) = ComplexField::sin_cos(v[0]);
        s * c
    };
    sinh_cosh at [0.3] => |v| {
        let (s, c) = ComplexField::sinh_cosh(v[0]);
        s * c
    };
    tan at [0.3] => |v| ComplexField::tan(v[0]);
    asin at [0.3] => |v| ComplexField::asin(v[0]);
    acos at [0.3] => |v| ComplexField::acos(v[0]);
    atan at [0.3] => |v| ComplexField::atan(v[0]);
    sinh at [0.3] => |v| ComplexField::sinh(v[0]);
    cosh at [0.3] => |v| ComplexField::cosh(v[0]);
    tanh at [0.3] => |v| ComplexField::tanh(v[0]);
    asinh at [0.3] => |v| ComplexField::asinh(v[0]);
    acosh at [2.0] => |v| ComplexField::acosh(v[0]);
    atanh at [0.3] => |v| ComplexField::atanh(v[0]);
    sinc at [1.3] => |v| ComplexField::sinc(v[0]);
    sinhc at [1.3] => |v| ComplexField::sinhc(v[0]);
    cosc at [1.3] => |v| ComplexField::cosc(v[0]);
    coshc at [1.3] => |v| ComplexField::coshc(v[0]);
    log at [1.3, 2.7] => |v| ComplexField::log(v[0], v[1]);
    log2 at [1.3] => |v| ComplexField::log2(v[0]);
    log10 at [1.3] => |v| ComplexField::log10(v[0]);
    ln at [1.3] => |v| ComplexField::ln(v[0]);
    ln_1p at [0.3] => |v| ComplexField::ln_1p(v[0]);
    sqrt at [1.3] => |v| ComplexField::sqrt(v[0]);
    try_sqrt at [1.3] => |v| ComplexField::try_sqrt(v[0]).unwrap();
    exp at [0.3] => |v| ComplexField::exp(v[0]);
    exp2 at [0.3] => |v| ComplexField::exp2(v[0]);
    exp_m1 at [0.3] => |v| ComplexField::exp_m1(v[0]);
    powi at [1.3] => |v| ComplexField::powi(v[0], 3);
    powf at [1.3, 0.7] => |v| ComplexField::powf(v[0], v[1]);
    powc at [1.3, 0.7] => |v| ComplexField::powc(v[0], v[1]);
    cbrt at [1.3] => |v| ComplexField::cbrt(v[0]);
    copysign at [0.3, -1.0] => |v| RealField::copysign(v[0], v[1]);
    max at [0.3, -1.0] => |v| RealField::max(v[0], v[1]);
    min at [0.3, -1.0] => |v| RealField::min(v[0], v[1]);
    clamp at [0.3, -1.0, 1.0] => |v| RealField::clamp(v[0], v[1], v[2]);
    atan2 at [0.3, -1.0] => |v| RealField::atan2(v[0], v[1]);
}

// ---------------------------------------------------------------------------------------
// More of nalgebra: finite differences only
// ---------------------------------------------------------------------------------------

/// `n × n` matrix from row-major entries.
fn square<T: RealField + Copy>(n: usize, a: &[T]) -> DMatrix<T> {
    DMatrix::from_row_slice(n, n, a)
}

/// A general matrix with condition number about 3.
const GENERAL: [f64; 16] = [
    4.0, 1.0, -0.5, 0.3, 0.2, 5.0, 0.7, -0.1, 0.4, -0.3, 3.0, 0.6, 0.1, 0.8, -0.2, 6.0,
];
/// A symmetric positive definite matrix (eigenvalues between 2.6 and 6.2).
const SPD: [f64; 16] = [
    4.0, 1.0, -0.5, 0.3, 1.0, 5.0, 0.7, -0.1, -0.5, 0.7, 3.0, 0.6, 0.3, -0.1, 0.6, 6.0,
];
/// A non-symmetric matrix with real, distinct eigenvalues (about 1, 3, 5, 7).
const REAL_SPECTRUM: [f64; 16] = [
    1.0, 1.0, -0.5, 0.3, 0.2, 3.0, 0.7, -0.1, 0.1, -0.3, 5.0, 0.6, 0.1, 0.2, -0.2, 7.0,
];

/// Each operation runs on Vars and on `f64` at a fixed, well-conditioned input; its
/// gradient is checked against finite differences.
macro_rules! operations_agree_with_finite_differences {
    ($($name:ident at $x:expr => |$v:ident| $body:expr;)*) => {
        $(
            #[test]
            fn $name() {
                checked_gradient!($x, |$v| $body);
            }
        )*
    };
}

operations_agree_with_finite_differences! {
    full_piv_lu_determinant at GENERAL => |v| square(4, v).full_piv_lu().determinant();
    full_piv_lu_solve at GENERAL => |v| {
        let b = DVector::from_column_slice(&v[..4]);
        square(4, v).full_piv_lu().solve(&b).expect("invertible")[1]
    };
    col_piv_qr_solve at GENERAL => |v| {
        let b = DVector::from_column_slice(&v[..4]);
        square(4, v).col_piv_qr().solve(&b).expect("invertible")[2]
    };
    qr_solve at GENERAL => |v| {
        let b = DVector::from_column_slice(&v[..4]);
        square(4, v).qr().solve(&b).expect("invertible")[2]
    };
    solve_lower_triangular at GENERAL => |v| {
        let b = DVector::from_column_slice(&v[4..8]);
        square(4, v).solve_lower_triangular(&b).expect("invertible")[3]
    };
    cholesky_solve at SPD => |v| {
        let b = DVector::from_column_slice(&v[..4]);
        square(4, v).cholesky().expect("positive definite").solve(&b)[0]
    };
    cholesky_inverse at SPD => |v| square(4, v).cholesky().expect("positive definite").inverse().sum();
    udu_diagonal at SPD => |v| square(4, v).udu().expect("positive definite").d.sum();
    symmetric_eigenvalues_largest at SPD => |v| square(4, v).symmetric_eigenvalues().max();
    symmetric_eigenvector at SPD => |v| {
        let eigen = square(4, v).symmetric_eigen();
        let largest = eigen.eigenvalues.imax();
        // The sign of an eigenvector is arbitrary; an even function of it is not.
        eigen.eigenvectors.column(largest).map(|x| x * x * x * x).sum()
    };
    schur_eigenvalues at REAL_SPECTRUM => |v| square(4, v).eigenvalues().expect("real").max();
    complex_eigenvalues at [0.0, -1.0, 1.0, 0.5] => |v| {
        Matrix2::from_row_slice(v).complex_eigenvalues()[0].im.abs()
    };
    matrix_exponential at GENERAL => |v| square(4, v).scale(nalgebra::convert(0.1)).exp().sum();
    singular_values_sum at GENERAL => |v| square(4, v).singular_values().sum();
    svd_solve at GENERAL => |v| {
        let b = DVector::from_column_slice(&v[..4]);
        square(4, v).svd(true, true).solve(&b, nalgebra::convert(1e-12)).expect("U and V")[0]
    };
    pseudo_inverse at GENERAL => |v| {
        square(4, v).pseudo_inverse(nalgebra::convert(1e-12)).expect("U and V").trace()
    };
    bidiagonal_diagonal at GENERAL => |v| square(4, v).bidiagonalize().diagonal().map(|d| d.abs()).product();
    matrix_norm at GENERAL => |v| square(4, v).norm();
    matrix_product_20x20 at (0..400).map(|i| (f64::from(i) * 0.01).sin()).collect::<Vec<_>>()
        => |v| {
            let m = square(20, v);
            (&m * &m).trace()
        };
    normalize at [1.0, 2.0, 3.0] => |v| Vector3::from_column_slice(v).normalize()[0];
    cross at [1.0, 2.0, 3.0] => |v| Vector3::from_column_slice(v).cross(&Vector3::new(v[2], v[0], v[1]))[0];
    angle_between_vectors at [1.0, 2.0, 3.0] => |v| Vector3::from_column_slice(v).angle(&Vector3::x());
    rotation_matrix_angle at [0.3, 0.2, 0.1] => |v| nalgebra::Rotation3::from_euler_angles(v[0], v[1], v[2]).angle();
    rotation_from_matrix at [0.3, 0.2, 0.1] => |v| {
        let m = *nalgebra::Rotation3::from_euler_angles(v[0], v[1], v[2]).matrix();
        nalgebra::Rotation3::from_matrix(&m).angle()
    };
    quaternion_from_rotation_matrix at [0.3, 1.2] => |v| {
        let r = nalgebra::Rotation3::from_euler_angles(v[0], v[1], nalgebra::zero());
        UnitQuaternion::from_rotation_matrix(&r).i
    };
    quaternion_slerp at [0.3, 1.2] => |v| {
        let a = UnitQuaternion::from_euler_angles(v[0], nalgebra::zero(), nalgebra::zero());
        let b = UnitQuaternion::from_euler_angles(nalgebra::zero(), v[1], nalgebra::zero());
        a.slerp(&b, nalgebra::convert(0.3)).w
    };
    quaternion_ln at [0.3, 1.2] => |v| UnitQuaternion::from_euler_angles(v[0], v[1], nalgebra::zero()).ln().i;
    rotation_between at [0.3, 1.2, -0.4] => |v| {
        UnitQuaternion::rotation_between(&Vector3::from_column_slice(v), &Vector3::x())
            .expect("not opposite")
            .angle()
    };
    unit_complex at [0.3] => |v| {
        (nalgebra::UnitComplex::new(v[0]) * nalgebra::Vector2::new(nalgebra::one(), nalgebra::zero()))[1]
    };
    isometry_inverse at [0.3, 0.5] => |v| {
        let translation = Vector3::new(v[0], v[1], nalgebra::zero());
        let axis_angle = Vector3::new(nalgebra::zero(), v[0], v[1]);
        let isometry = nalgebra::Isometry3::new(translation, axis_angle);
        isometry.inverse().transform_point(&nalgebra::Point3::origin()).x
    };
}

/// Edges where the derivative of the function does not exist, and what nalgebra's code
/// then gives: the derivative of the branch it takes.
#[test]
fn edges_follow_the_branch_taken() {
    // ‖x‖ = √(x·x) at 0: √ has derivative +inf at 0, times 2x = 0: NaN, as the chain
    // rule on f64 gives. (The norm has no derivative there.)
    let (_, gradient) = tapegrad::gradient(|v| DVector::from_column_slice(v).norm(), &[0.0, 0.0]);
    assert!(gradient.iter().all(|d| d.is_nan()), "{gradient:?}");

    // A repeated eigenvalue: the iteration settles on one eigenvector, and the gradient
    // is that of the branch taken, here `e₁ e₁ᵀ`: not a derivative (the smallest
    // eigenvalue has none at I), but a supergradient of that concave function.
    let identity = [1.0, 0.0, 1.0, 0.0, 0.0, 1.0];
    let (_, gradient) = tapegrad::gradient(|v| smallest_eigenvalue(3, v), &identity);
    assert_eq!(gradient, vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);

    // LU with partial pivoting skips a column that is exactly zero below the diagonal.
    // That branch is taken only on the zero set itself, so its derivative is not the
    // cofactor matrix: at this singular matrix of rank 3, with a zero third column, LU's
    // determinant has gradient 0 where the true one has 5 and -2.5 in the third column.
    // (The explicit formulas for n <= 3 have no such branch.)
    #[rustfmt::skip]
    let singular = [
        1.0, 2.0, 0.0, 1.0,
        2.0, 4.0, 0.0, 2.0,
        0.5, 1.0, 0.0, 3.0,
        1.0, 1.0, 0.0, 1.0,
    ];
    let (det, gradient) = tapegrad::gradient(|v| det_n(4, v), &singular);
    assert_eq!(det, 0.0);
    assert!(gradient.iter().all(|&d| d == 0.0), "{gradient:?}");
    let fd = finite_difference(&singular, |v| det_n(4, v));
    assert_close(&[fd[2], fd[6]], &[5.0, -2.5], FD_TOLERANCE, "cofactors");
}
