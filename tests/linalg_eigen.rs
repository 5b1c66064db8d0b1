//! `tapegrad::linalg`'s eigen and singular value decompositions and its rotation maps,
//! against closed forms, SymPy references, central finite differences and nalgebra's
//! `f64` results, at generic points and where nalgebra's own generic code takes
//! exact-zero shortcuts (repeated eigenvalues and singular values, the identity
//! rotation).

#![cfg(feature = "nalgebra")]

use nalgebra::{DMatrix, DVector, Matrix3, Matrix4, Quaternion, UnitQuaternion, Vector3, Vector4};
use proptest::prelude::*;
use tapegrad::linalg::{rotation_from_scaled_axis, scaled_axis, svd, symmetric_eigen};
use tapegrad::{Tape, Var};

// The tables hold plain literals; they are data, generated, and stay as is.
#[allow(clippy::approx_constant, clippy::excessive_precision)]
mod reference {
    include!("reference/linalg_rotation.rs");
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Asserts `|actual[i] - expected[i]| <= tolerance * max(1, max |expected|)` for every i,
/// and returns the largest difference relative to that scale.
#[track_caller]
fn assert_close(actual: &[f64], expected: &[f64], tolerance: f64, what: &str) -> f64 {
    assert_eq!(actual.len(), expected.len(), "{what}: lengths differ");
    let scale = expected.iter().fold(1.0_f64, |m, e| m.max(e.abs()));
    let mut worst = 0.0_f64;
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        let error = (a - e).abs() / scale;
        assert!(
            error <= tolerance,
            "{what}: entry {i} is {a}, expected {e} (relative difference {error:e}, allowed \
             {tolerance:e})\nactual:   {actual:?}\nexpected: {expected:?}"
        );
        worst = worst.max(error);
    }
    worst
}

/// Step of the finite differences; see [`FD_TOLERANCE`].
const STEP: f64 = 1e-3;

/// Tolerance of tapegrad against finite differences, relative to the largest entry (or
/// 1). The five-point stencil with `h = 1e-3` errs by `h⁴ |f⁽⁵⁾| / 30 ≈ 3e-14 |f⁽⁵⁾|`
/// from truncation and by about `1.5 ε |f| / h ≈ 3e-13 |f|` from rounding; the inputs
/// below keep eigenvalue and singular value gaps at least 0.4, so the fifth derivatives
/// stay moderate. The worst errors seen over 3000 random cases per test (in each test's
/// comment) are at most 1e-10: a margin of a hundred.
const FD_TOLERANCE: f64 = 1e-8;

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

fn entries(len: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-1.0..1.0_f64, len)
}

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(64)
}

// ---------------------------------------------------------------------------------------
// Rotations
// ---------------------------------------------------------------------------------------

/// nalgebra's exp map on `f64`, with the sign chosen so that `w ≥ 0`.
fn exp_on_f64(v: &Vector3<f64>) -> Vector4<f64> {
    let q = UnitQuaternion::from_scaled_axis(*v).into_inner().coords;
    if q.w < 0.0 { -q } else { q }
}

/// The log map of a quaternion `(x, y, z, w)` given by its coordinates, on `f64`:
/// `2 atan2(|q_v|, |w|) sign(w) q_v / |q_v|`, written independently of the code under
/// test (defined off the unit sphere too).
fn log_on_f64(q: &[f64]) -> Vector3<f64> {
    let sign = if q[3] < 0.0 { -1.0 } else { 1.0 };
    let v = Vector3::new(q[0], q[1], q[2]);
    let norm = v.norm();
    v * (2.0 * norm.atan2(q[3].abs()) / norm * sign)
}

/// A unit quaternion of Vars from its coordinates `(x, y, z, w)`, not renormalized.
fn quaternion(q: &[Var<'static>]) -> UnitQuaternion<Var<'static>> {
    UnitQuaternion::new_unchecked(Quaternion::new(q[3], q[0], q[1], q[2]))
}

#[test]
fn exp_map_at_the_identity_has_jacobian_one_half() {
    let (value, jacobian) = tapegrad::jacobian(
        |v: &Vector3<Var>| rotation_from_scaled_axis(v).into_inner().coords,
        &Vector3::<f64>::zeros(),
    );
    assert_eq!(value, Vector4::new(0.0, 0.0, 0.0, 1.0));
    let mut expected = nalgebra::Matrix4x3::zeros();
    expected
        .fixed_view_mut::<3, 3>(0, 0)
        .copy_from(&(Matrix3::identity() / 2.0));
    assert_eq!(jacobian, expected);
}

#[test]
fn exp_map_at_the_identity_has_exact_hessians() {
    // w = cos(|v|/2) = 1 - |v|²/8 + ...: Hessian -I/4. x = v_x (1/2 - |v|²/48 + ...):
    // every second derivative has a factor v, so 0.
    let (w, gradient, hessian) = tapegrad::hessian(
        |v: &Vector3<Var<'static>>| rotation_from_scaled_axis(v).w,
        &Vector3::<f64>::zeros(),
    );
    assert_eq!((w, gradient), (1.0, Vector3::zeros()));
    assert_eq!(hessian, -Matrix3::identity() / 4.0);
    let (_, gradient, hessian) = tapegrad::hessian(
        |v: &Vector3<Var<'static>>| rotation_from_scaled_axis(v).i,
        &Vector3::<f64>::zeros(),
    );
    assert_eq!(gradient, Vector3::new(0.5, 0.0, 0.0));
    assert_eq!(hessian, Matrix3::zeros());
}

#[test]
fn log_map_at_the_identity_has_jacobian_two() {
    let (value, jacobian) = tapegrad::jacobian(
        |q: &Vector4<Var>| scaled_axis(&quaternion(q.as_slice())),
        &Vector4::new(0.0, 0.0, 0.0, 1.0),
    );
    assert_eq!(value, Vector3::zeros());
    let mut expected = nalgebra::Matrix3x4::zeros();
    expected
        .fixed_view_mut::<3, 3>(0, 0)
        .copy_from(&(Matrix3::identity() * 2.0));
    assert_eq!(jacobian, expected);
    // ...and the round trip is the identity map, exactly, at 0.
    let (value, jacobian) = tapegrad::jacobian(
        |v: &Vector3<Var>| scaled_axis(&rotation_from_scaled_axis(v)),
        &Vector3::<f64>::zeros(),
    );
    assert_eq!((value, jacobian), (Vector3::zeros(), Matrix3::identity()));
}

/// Tolerance against the SymPy references, relative to the largest entry (or 1): the
/// worst seen is 1.1e-16 for values, 2.2e-16 for gradients and 1.1e-15 for Hessians,
/// including the points on either side of each switch between a Taylor series and the
/// closed form.
const REFERENCE_TOLERANCE: f64 = 4e-15;

#[test]
fn exp_map_against_sympy() {
    let mut worst = [0.0_f64; 3];
    for &(component, point, value, gradient, hessian) in reference::EXP {
        let index = (component + 3) % 4;
        let f = |v: &Vector3<Var<'static>>| rotation_from_scaled_axis(v).coords[index];
        let (v, g, h) = tapegrad::hessian(f, &Vector3::from(point));
        let what = format!("exp map component {component} at {point:?}");
        worst[0] = worst[0].max(assert_close(&[v], &[value], REFERENCE_TOLERANCE, &what));
        worst[1] = worst[1].max(assert_close(
            g.as_slice(),
            &gradient,
            REFERENCE_TOLERANCE,
            &what,
        ));
        worst[2] = worst[2].max(assert_close(
            h.as_slice(),
            &hessian,
            REFERENCE_TOLERANCE,
            &what,
        ));
    }
    eprintln!("exp map vs SymPy, worst (value, gradient, Hessian): {worst:?}");
}

#[test]
fn log_map_against_sympy() {
    let mut worst = [0.0_f64; 3];
    for &(component, point, value, gradient, hessian) in reference::LOG {
        let f = |q: &Vector4<Var<'static>>| scaled_axis(&quaternion(q.as_slice()))[component];
        let (v, g, h) = tapegrad::hessian(f, &Vector4::from(point));
        let what = format!("log map component {component} at {point:?}");
        worst[0] = worst[0].max(assert_close(&[v], &[value], REFERENCE_TOLERANCE, &what));
        worst[1] = worst[1].max(assert_close(
            g.as_slice(),
            &gradient,
            REFERENCE_TOLERANCE,
            &what,
        ));
        worst[2] = worst[2].max(assert_close(
            h.as_slice(),
            &hessian,
            REFERENCE_TOLERANCE,
            &what,
        ));
    }
    eprintln!("log map vs SymPy, worst (value, gradient, Hessian): {worst:?}");
}

/// Values agree with nalgebra's `f64` maps to a few ulps: over 3000 random points the
/// worst seen was 1.1e-16 (exp) and 4.2e-16 (log).
const ROTATION_VALUE_TOLERANCE: f64 = 4e-15;

proptest! {
    #![proptest_config(config())]

    /// The exp map at `|v| ≤ 3√3`: values against nalgebra's (sign chosen so that w ≥
    /// 0), Jacobian against finite differences of nalgebra's (worst seen 3.4e-13 over
    /// 3000 points). Points
    /// within 0.05 of θ = π, where the sign flips, are left out.
    #[test]
    fn exp_map_at_random_points(v in entries(3)) {
        let v = Vector3::from_column_slice(&v) * 3.0;
        prop_assume!((v.norm() - std::f64::consts::PI).abs() > 0.05);
        let (value, jacobian) = tapegrad::jacobian(
            |v: &Vector3<Var>| rotation_from_scaled_axis(v).into_inner().coords,
            &v,
        );
        let expected = exp_on_f64(&v);
        assert_close(value.as_slice(), expected.as_slice(), ROTATION_VALUE_TOLERANCE, "exp map");
        prop_assert!(value.w >= 0.0);
        for row in 0..4 {
            let fd = finite_difference(v.as_slice(), |v| {
                exp_on_f64(&Vector3::from_column_slice(v))[row]
            });
            let row_values: Vec<f64> = jacobian.row(row).iter().copied().collect();
            assert_close(&row_values, &fd, FD_TOLERANCE, "exp map Jacobian");
        }
    }

    /// The log map at random quaternions (not normalized: the map depends on the
    /// direction only): values against nalgebra's `scaled_axis` of the normalized
    /// quaternion, Jacobian against finite differences (worst seen 2.3e-11 over 3000
    /// points). Quaternions shorter than 0.5 or with `|w| < 0.2 |q|` (near a half turn,
    /// where the sign flips and the finite differences lose accuracy) are left out.
    #[test]
    fn log_map_at_random_points(q in entries(4)) {
        let q = Vector4::from_column_slice(&q);
        prop_assume!(q.w.abs() > 0.2 * q.norm() && q.norm() > 0.5);
        let (value, jacobian) =
            tapegrad::jacobian(|q: &Vector4<Var>| scaled_axis(&quaternion(q.as_slice())), &q);
        let unit = UnitQuaternion::from_quaternion(Quaternion::from(q));
        let expected = unit.scaled_axis();
        assert_close(value.as_slice(), expected.as_slice(), ROTATION_VALUE_TOLERANCE, "log map");
        for row in 0..3 {
            let fd = finite_difference(q.as_slice(), |q| log_on_f64(q)[row]);
            let row_values: Vec<f64> = jacobian.row(row).iter().copied().collect();
            assert_close(&row_values, &fd, FD_TOLERANCE, "log map Jacobian");
        }
    }

    /// `scaled_axis(rotation_from_scaled_axis(v)) = v` for `|v| < π`, with Jacobian I
    /// (worst seen 4.4e-16 in value and Jacobian over 6000 points), also at tiny `v`
    /// where both maps take their series.
    #[test]
    fn round_trip(v in entries(3), tiny in any::<bool>()) {
        let v = Vector3::from_column_slice(&v) * if tiny { 1e-5 } else { 1.8 };
        prop_assume!(v.norm() < 3.1);
        let (value, jacobian) = tapegrad::jacobian(
            |v: &Vector3<Var>| scaled_axis(&rotation_from_scaled_axis(v)),
            &v,
        );
        assert_close(value.as_slice(), v.as_slice(), 1e-14, "round trip");
        assert_close(jacobian.as_slice(), Matrix3::<f64>::identity().as_slice(), 1e-14,
            "round trip Jacobian");
    }
}

// ---------------------------------------------------------------------------------------
// Matrices
// ---------------------------------------------------------------------------------------

/// Tolerance against closed forms computed with nalgebra on `f64`, relative to the
/// largest entry (or 1): both sides are exact formulas of the same decomposition, each
/// within a few `n ε` of the truth on the well-separated spectra below. Worst seen over
/// 3000 random cases per test: 2.4e-15 (see each test).
const CLOSED_FORM_TOLERANCE: f64 = 1e-12;

/// The matrix of `entries` (column-major) of `rows × columns`.
fn matrix(rows: usize, columns: usize, entries: &[f64]) -> DMatrix<f64> {
    DMatrix::from_column_slice(rows, columns, entries)
}

/// A matrix of Vars of `rows × columns` from `entries` (column-major).
fn var_matrix(rows: usize, columns: usize, entries: &[Var<'static>]) -> DMatrix<Var<'static>> {
    DMatrix::from_column_slice(rows, columns, entries)
}

/// The orthogonal factor of the QR decomposition of `entries` (n × n, column-major).
fn orthogonal(n: usize, entries: &[f64]) -> DMatrix<f64> {
    matrix(n, n, entries).qr().q()
}

/// `n` numbers `i + offset + 0.3 u_i`, `u_i ∈ [-1, 1]`: gaps of at least 0.4.
fn spread(n: usize, offset: f64, u: &[f64]) -> DVector<f64> {
    DVector::from_fn(n, |i, _| i as f64 + offset + 0.3 * u[i])
}

/// Ascending eigenvalues and their eigenvectors of `(A + Aᵀ)/2` on `f64`, the reference.
fn eigen_on_f64(a: &DMatrix<f64>) -> (DVector<f64>, DMatrix<f64>) {
    let n = a.nrows();
    let e = ((a + a.transpose()) * 0.5).symmetric_eigen();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| e.eigenvalues[i].total_cmp(&e.eigenvalues[j]));
    (
        DVector::from_fn(n, |i, _| e.eigenvalues[order[i]]),
        DMatrix::from_fn(n, n, |i, j| e.eigenvectors[(i, order[j])]),
    )
}

/// A smooth function of an eigendecomposition that does not depend on the eigenvectors'
/// signs: `Σ_i (i + 1) (v_iᵀ b)² + Σ_i λ_i³ / (i + 2)`, `b = (1, -2, 3, ...)`.
fn eigen_test_function<T: nalgebra::RealField + Copy>(
    values: &DVector<T>,
    vectors: &DMatrix<T>,
) -> T {
    let n = values.len();
    let b = DVector::from_fn(n, |i, _| {
        T::from_f64((i as f64 + 1.0) * if i % 2 == 0 { 1.0 } else { -2.0 }).unwrap()
    });
    (0..n).fold(T::zero(), |sum, i| {
        let projection = vectors.column(i).dot(&b);
        let weight = T::from_f64(i as f64 + 1.0).unwrap();
        let cube = values[i] * values[i] * values[i] / T::from_f64(i as f64 + 2.0).unwrap();
        sum + weight * projection * projection + cube
    })
}

/// The same kind of function for an SVD: `Σ_i (i + 1) (u_iᵀ b)² + Σ_i (v_iᵀ c)² / (i +
/// 1) + Σ_i σ_i³ / (i + 2)`, invariant under the sign of each pair `(u_i, v_i)`.
fn svd_test_function<T: nalgebra::RealField + Copy>(
    u: &DMatrix<T>,
    sigma: &DVector<T>,
    v_t: &DMatrix<T>,
) -> T {
    let (m, n) = (u.nrows(), v_t.ncols());
    let b = DVector::from_fn(m, |i, _| {
        T::from_f64(1.0 + i as f64 * if i % 2 == 0 { 0.5 } else { -1.0 }).unwrap()
    });
    let c = DVector::from_fn(n, |i, _| T::from_f64(2.0 - i as f64 * 0.7).unwrap());
    (0..sigma.len()).fold(T::zero(), |sum, i| {
        let p = u.column(i).dot(&b);
        let q = v_t.row(i).transpose().dot(&c);
        let k = T::from_f64(i as f64 + 1.0).unwrap();
        let cube = sigma[i] * sigma[i] * sigma[i] / T::from_f64(i as f64 + 2.0).unwrap();
        sum + k * p * p + q * q / k + cube
    })
}

/// `U diag(σ) Vᵀ`.
fn recompose_svd<T: nalgebra::RealField + Copy>(
    u: &DMatrix<T>,
    sigma: &DVector<T>,
    v_t: &DMatrix<T>,
) -> DMatrix<T> {
    u * DMatrix::from_diagonal(sigma) * v_t
}

/// `V diag(λ) Vᵀ`.
fn recompose_eigen<T: nalgebra::RealField + Copy>(
    values: &DVector<T>,
    vectors: &DMatrix<T>,
) -> DMatrix<T> {
    vectors * DMatrix::from_diagonal(values) * vectors.transpose()
}

// ---- The issue's inputs and the repeated eigenvalues / singular values -----------------

#[test]
fn svd_recomposition_at_the_issue_diagonal_has_gradient_all_ones() {
    let a = Matrix3::from_diagonal(&Vector3::new(3.0, 2.0, 1.0));
    let (sum, gradient) = tapegrad::gradient(
        |a| {
            let (u, sigma, v_t) = svd(&Matrix3::from_column_slice(a));
            (u * Matrix3::from_diagonal(&sigma) * v_t).sum()
        },
        a.as_slice(),
    );
    assert_close(&[sum], &[6.0], 1e-15, "sum of the recomposition");
    assert_close(&gradient, &[1.0; 9], 1e-15, "gradient at diag(3, 2, 1)");
}

/// Matrices with repeated eigenvalues: exactly diagonal ones, where nalgebra returns
/// unit eigenvectors, and rotated ones, where rounding splits the repeated values by a
/// few ε and the eigenvectors are an arbitrary basis of each eigenspace. Column-major.
fn repeated_symmetric() -> Vec<DMatrix<f64>> {
    let q4 = orthogonal(
        4,
        &[
            0.3, -0.8, 0.5, 0.1, 0.9, 0.2, -0.4, 0.7, -0.6, 0.5, 0.3, -0.2, 0.1, 0.4, 0.8, -0.9,
        ],
    );
    let q3 = q4.view((0, 0), (3, 3)).into_owned().qr().q();
    vec![
        DMatrix::from_diagonal(&DVector::from_vec(vec![2.0, 2.0, 1.0])),
        DMatrix::identity(3, 3),
        DMatrix::from_diagonal(&DVector::from_vec(vec![-1.5, 4.0, -1.5, 4.0])),
        &q3 * DMatrix::from_diagonal(&DVector::from_vec(vec![2.0, 2.0, 1.0])) * q3.transpose(),
        &q4 * DMatrix::from_diagonal(&DVector::from_vec(vec![3.0, 3.0, -1.0, -1.0]))
            * q4.transpose(),
        &q4 * DMatrix::from_diagonal(&DVector::from_vec(vec![5.0, 5.0, 5.0, 0.5])) * q4.transpose(),
    ]
}

/// Tolerance of the derivatives of basis-independent functions at repeated eigenvalues
/// and singular values, relative: exact formulas in floating point (worst seen 2.2e-15,
/// against 1e-2 and more when the rule takes the rounded gaps of the rotated matrices for
/// real ones).
const REPEATED_TOLERANCE: f64 = 1e-13;

#[test]
fn eigen_basis_independent_functions_at_repeated_eigenvalues() {
    for a in repeated_symmetric() {
        let n = a.nrows();
        let what = |name: &str| format!("{name} at {a}");
        // Σ λ² = ‖A‖²_F: gradient 2A.
        let (_, gradient) = tapegrad::gradient(
            |x| symmetric_eigen(&var_matrix(n, n, x)).0.map(|l| l * l).sum(),
            a.as_slice(),
        );
        assert_close(
            &gradient,
            (&a * 2.0).as_slice(),
            REPEATED_TOLERANCE,
            &what("Σ λ²"),
        );
        // The trace of the recomposition: gradient I.
        let (_, gradient) = tapegrad::gradient(
            |x| {
                let (values, vectors) = symmetric_eigen(&var_matrix(n, n, x));
                recompose_eigen(&values, &vectors).trace()
            },
            a.as_slice(),
        );
        let identity = DMatrix::<f64>::identity(n, n);
        assert_close(
            &gradient,
            identity.as_slice(),
            REPEATED_TOLERANCE,
            &what("tr V Λ Vᵀ"),
        );
        // The sum of the recomposition's entries: all ones.
        let (_, gradient) = tapegrad::gradient(
            |x| {
                let (values, vectors) = symmetric_eigen(&var_matrix(n, n, x));
                recompose_eigen(&values, &vectors).sum()
            },
            a.as_slice(),
        );
        assert_close(
            &gradient,
            &vec![1.0; n * n],
            REPEATED_TOLERANCE,
            &what("Σ (V Λ Vᵀ)_ij"),
        );
        // The whole Jacobian of the recomposition: that of (A + Aᵀ)/2.
        let (value, jacobian) = tapegrad::jacobian(
            |x: &DVector<Var<'static>>| {
                let (values, vectors) = symmetric_eigen(&var_matrix(n, n, x.as_slice()));
                DVector::from_column_slice(recompose_eigen(&values, &vectors).as_slice())
            },
            &DVector::from_column_slice(a.as_slice()),
        );
        assert_close(
            value.as_slice(),
            a.as_slice(),
            REPEATED_TOLERANCE,
            &what("V Λ Vᵀ"),
        );
        let symmetrizer = DMatrix::from_fn(n * n, n * n, |r, c| {
            let (i, j, k, l) = (r % n, r / n, c % n, c / n);
            0.5 * (f64::from(i == k && j == l) + f64::from(i == l && j == k))
        });
        assert_close(
            jacobian.as_slice(),
            symmetrizer.as_slice(),
            REPEATED_TOLERANCE,
            &what("Jacobian of V Λ Vᵀ"),
        );
    }
}

/// Matrices with repeated singular values, square and tall (wide ones are their
/// transposes): diagonal, identity, and rotated `P diag(σ) Qᵀ`.
fn repeated_singular() -> Vec<DMatrix<f64>> {
    let p = orthogonal(
        5,
        &[
            0.3, -0.8, 0.5, 0.1, 0.9, 0.2, -0.4, 0.7, -0.6, 0.5, 0.3, -0.2, 0.1, 0.4, 0.8, -0.9,
            0.6, 0.2, -0.3, 0.7, 0.5, -0.1, 0.9, 0.4, -0.7,
        ],
    );
    let q = orthogonal(3, &[0.6, 0.1, -0.7, -0.2, 0.9, 0.3, 0.5, 0.4, 0.8]);
    let sigma = |values: &[f64], rows: usize| {
        let mut d = DMatrix::zeros(rows, values.len());
        for (i, &s) in values.iter().enumerate() {
            d[(i, i)] = s;
        }
        d
    };
    let p3 = p.view((0, 0), (3, 3)).into_owned().qr().q();
    vec![
        sigma(&[2.0, 2.0, 1.0], 3),
        DMatrix::identity(3, 3),
        sigma(&[2.0, 2.0, 1.0], 5),
        &p3 * sigma(&[2.0, 2.0, 1.0], 3) * q.transpose(),
        &p3 * sigma(&[1.5, 1.5, 1.5], 3) * q.transpose(),
        &p * sigma(&[3.0, 0.5, 0.5], 5) * q.transpose(),
    ]
}

#[test]
fn svd_basis_independent_functions_at_repeated_singular_values() {
    for a in repeated_singular() {
        for a in [a.clone(), a.transpose()] {
            let (m, n) = a.shape();
            let what = |name: &str| format!("{name} at {a}");
            // Σ σ² = ‖A‖²_F: gradient 2A.
            let (_, gradient) = tapegrad::gradient(
                |x| svd(&var_matrix(m, n, x)).1.map(|s| s * s).sum(),
                a.as_slice(),
            );
            assert_close(
                &gradient,
                (&a * 2.0).as_slice(),
                REPEATED_TOLERANCE,
                &what("Σ σ²"),
            );
            // The recomposition: the sum of its entries, and its whole Jacobian, I.
            let (_, gradient) = tapegrad::gradient(
                |x| {
                    let (u, sigma, v_t) = svd(&var_matrix(m, n, x));
                    recompose_svd(&u, &sigma, &v_t).sum()
                },
                a.as_slice(),
            );
            assert_close(
                &gradient,
                &vec![1.0; m * n],
                REPEATED_TOLERANCE,
                &what("Σ (U Σ Vᵀ)_ij"),
            );
            let (value, jacobian) = tapegrad::jacobian(
                |x: &DVector<Var<'static>>| {
                    let (u, sigma, v_t) = svd(&var_matrix(m, n, x.as_slice()));
                    DVector::from_column_slice(recompose_svd(&u, &sigma, &v_t).as_slice())
                },
                &DVector::from_column_slice(a.as_slice()),
            );
            assert_close(
                value.as_slice(),
                a.as_slice(),
                REPEATED_TOLERANCE,
                &what("U Σ Vᵀ"),
            );
            let identity = DMatrix::<f64>::identity(m * n, m * n);
            assert_close(
                jacobian.as_slice(),
                identity.as_slice(),
                REPEATED_TOLERANCE,
                &what("Jacobian of U Σ Vᵀ"),
            );
        }
    }
}

#[test]
fn svd_at_a_rank_deficient_matrix() {
    // σ = (2, 1, 0): Σ σ² still has gradient 2A; the largest singular value has gradient
    // u₁ v₁ᵀ. Tall, square and wide.
    let q = orthogonal(3, &[0.6, 0.1, -0.7, -0.2, 0.9, 0.3, 0.5, 0.4, 0.8]);
    let square = &q * DMatrix::from_diagonal(&DVector::from_vec(vec![2.0, 1.0, 0.0]));
    let tall = DMatrix::from_fn(4, 3, |i, j| if i < 3 { square[(i, j)] } else { 0.0 });
    for a in [square.clone(), tall.clone(), tall.transpose()] {
        let (m, n) = a.shape();
        let (_, gradient) = tapegrad::gradient(
            |x| svd(&var_matrix(m, n, x)).1.map(|s| s * s).sum(),
            a.as_slice(),
        );
        assert_close(
            &gradient,
            (&a * 2.0).as_slice(),
            REPEATED_TOLERANCE,
            "Σ σ², rank 2",
        );
        let (_, gradient) = tapegrad::gradient(|x| svd(&var_matrix(m, n, x)).1[0], a.as_slice());
        let reference = a.clone().svd(true, true);
        let expected = reference.u.unwrap().column(0) * reference.v_t.unwrap().row(0);
        assert_close(
            &gradient,
            expected.as_slice(),
            REPEATED_TOLERANCE,
            "σ₁, rank 2",
        );
    }
}

#[test]
fn eigen_and_svd_values_and_fixed_sizes() {
    // A fixed-size input gives fixed-size outputs, ascending eigenvalues, and the
    // decompositions recompose the matrix.
    let a = Matrix4::new(
        4.0, 1.0, -2.0, 0.5, 1.0, 3.0, 0.0, 1.0, -2.0, 0.0, -1.0, 0.3, 0.5, 1.0, 0.3, 2.0,
    );
    let tape: &'static Tape = Box::leak(Box::new(Tape::new()));
    let vars: Matrix4<Var<'static>> = a.map(|x| tape.var(x));
    let (values, vectors): (nalgebra::Vector4<Var>, Matrix4<Var>) = symmetric_eigen(&vars);
    let (values, vectors) = (values.map(|x| x.value()), vectors.map(|x| x.value()));
    assert!(
        values.as_slice().windows(2).all(|w| w[0] <= w[1]),
        "{values}"
    );
    let recomposed = vectors * Matrix4::from_diagonal(&values) * vectors.transpose();
    assert_close(recomposed.as_slice(), a.as_slice(), 1e-14, "V Λ Vᵀ");
    let tall = nalgebra::Matrix4x2::new(1.0, 2.0, -1.0, 0.5, 3.0, 0.0, 0.2, -2.0);
    let (u, sigma, v_t): (
        nalgebra::Matrix4x2<Var>,
        nalgebra::Vector2<Var>,
        nalgebra::Matrix2<Var>,
    ) = svd(&tall.map(|x| tape.var(x)));
    let (u, sigma, v_t) = (
        u.map(|x| x.value()),
        sigma.map(|x| x.value()),
        v_t.map(|x| x.value()),
    );
    assert!(sigma[0] >= sigma[1] && sigma[1] >= 0.0);
    assert_close(
        (u * nalgebra::Matrix2::from_diagonal(&sigma) * v_t).as_slice(),
        tall.as_slice(),
        1e-14,
        "U Σ Vᵀ",
    );
}

#[test]
fn tape_cost_is_quadratic() {
    // One rule: n² inputs, and n + n² outputs (eigen) or m k + k + k n outputs (svd).
    let tape: &'static Tape = Box::leak(Box::new(Tape::new()));
    let n = 12;
    let a = DMatrix::from_fn(n, n, |i, j| tape.var(1.0 / (1.0 + i as f64 + j as f64)));
    let before = tape.len();
    let _ = symmetric_eigen(&a);
    assert_eq!(tape.len() - before, n + n * n);
    let before = tape.len();
    let _ = svd(&a.columns(0, 5).into_owned());
    assert_eq!(tape.len() - before, n * 5 + 5 + 5 * 5);
}

#[test]
fn non_finite_input_gives_nan() {
    let (value, gradient) = tapegrad::gradient(
        |x| symmetric_eigen(&var_matrix(2, 2, x)).0[0],
        &[1.0, f64::NAN, 0.0, 2.0],
    );
    assert!(value.is_nan() && gradient.iter().all(|g| g.is_nan()));
    let (value, gradient) = tapegrad::gradient(
        |x| svd(&var_matrix(2, 2, x)).1[1],
        &[1.0, f64::INFINITY, 0.0, 2.0],
    );
    assert!(value.is_nan() && gradient.iter().all(|g| g.is_nan()));
}

#[test]
#[should_panic(expected = "must be square, but it is 2 × 3")]
fn symmetric_eigen_of_a_non_square_matrix_panics() {
    let _ = tapegrad::gradient(|x| symmetric_eigen(&var_matrix(2, 3, x)).0[0], &[1.0; 6]);
}

#[test]
#[should_panic(expected = "linalg::symmetric_eigen records no second derivatives")]
fn hessian_through_symmetric_eigen_panics() {
    let _ = tapegrad::hessian(
        |x: &DVector<Var<'static>>| symmetric_eigen(&var_matrix(2, 2, x.as_slice())).0[0],
        &DVector::from_vec(vec![2.0, 1.0, 1.0, 3.0]),
    );
}

#[test]
#[should_panic(expected = "linalg::svd records no second derivatives")]
fn hessian_through_svd_panics() {
    let _ = tapegrad::hessian(
        |x: &DVector<Var<'static>>| svd(&var_matrix(2, 2, x.as_slice())).1[0],
        &DVector::from_vec(vec![2.0, 1.0, 1.0, 3.0]),
    );
}

// ---- Random matrices: closed forms and finite differences ------------------------------

proptest! {
    #![proptest_config(config())]

    /// `∂λ_i/∂A = v_i v_iᵀ` at `A = Q diag(d) Qᵀ` with gaps of at least 0.4 (worst seen
    /// 2.4e-15 for λ_i; 0 for its gradient, as the reference uses the same eigenvectors),
    /// and finite differences of a function of the eigenvalues and of the eigenvectors at
    /// the same matrix plus an antisymmetric part, whose symmetric part the decomposition
    /// reads (worst seen 9.9e-11).
    #[test]
    fn eigen_at_random_matrices(q in entries(16), d in entries(4), skew in entries(16)) {
        let n = 4;
        let q = orthogonal(n, &q);
        let spectrum = spread(n, -1.5, &d);
        let a = &q * DMatrix::from_diagonal(&spectrum) * q.transpose();
        let (_, vectors) = eigen_on_f64(&a);
        for i in 0..n {
            let (value, gradient) = tapegrad::gradient(
                |x| symmetric_eigen(&var_matrix(n, n, x)).0[i],
                a.as_slice(),
            );
            assert_close(&[value], &[spectrum[i]], CLOSED_FORM_TOLERANCE, "λ_i");
            let expected = vectors.column(i) * vectors.column(i).transpose();
            assert_close(&gradient, expected.as_slice(), CLOSED_FORM_TOLERANCE, "v_i v_iᵀ");
        }
        let a = a + matrix(n, n, &skew) - matrix(n, n, &skew).transpose();
        let (_, gradient) = tapegrad::gradient(
            |x| {
                let (values, vectors) = symmetric_eigen(&var_matrix(n, n, x));
                eigen_test_function(&values, &vectors)
            },
            a.as_slice(),
        );
        let fd = finite_difference(a.as_slice(), |x| {
            let (values, vectors) = eigen_on_f64(&matrix(n, n, x));
            eigen_test_function(&values, &vectors)
        });
        assert_close(&gradient, &fd, FD_TOLERANCE, "eigen function vs finite differences");
    }

    /// `∂σ_i/∂A = u_i v_iᵀ` at `A = P diag(d) Qᵀ` with gaps of at least 0.4 and `σ ≥
    /// 0.7` (worst seen 2.0e-15 for σ_i, 6.6e-15 for its gradient), and finite
    /// differences of a function of `U`, `σ` and `Vᵀ` (worst seen 5.4e-11), for square,
    /// tall and wide `A`.
    #[test]
    fn svd_at_random_matrices(p in entries(25), q in entries(25), d in entries(5), shape in 0..3usize) {
        let (m, n) = [(4, 4), (5, 3), (3, 5)][shape];
        let k = m.min(n);
        let p = orthogonal(m, &p[..m * m]);
        let q = orthogonal(n, &q[..n * n]);
        let spectrum = spread(k, 1.0, &d).iter().rev().copied().collect::<Vec<_>>();
        let mut sigma = DMatrix::zeros(m, n);
        for (i, &s) in spectrum.iter().enumerate() {
            sigma[(i, i)] = s;
        }
        let a = &p * sigma * q.transpose();
        let reference = a.clone().svd(true, true);
        let (u, v_t) = (reference.u.unwrap(), reference.v_t.unwrap());
        for (i, &expected_value) in spectrum.iter().enumerate() {
            let (value, gradient) =
                tapegrad::gradient(|x| svd(&var_matrix(m, n, x)).1[i], a.as_slice());
            assert_close(&[value], &[expected_value], CLOSED_FORM_TOLERANCE, "σ_i");
            let expected = u.column(i) * v_t.row(i);
            assert_close(&gradient, expected.as_slice(), CLOSED_FORM_TOLERANCE, "u_i v_iᵀ");
        }
        let (_, gradient) = tapegrad::gradient(
            |x| {
                let (u, sigma, v_t) = svd(&var_matrix(m, n, x));
                svd_test_function(&u, &sigma, &v_t)
            },
            a.as_slice(),
        );
        let fd = finite_difference(a.as_slice(), |x| {
            let s = matrix(m, n, x).svd(true, true);
            svd_test_function(&s.u.unwrap(), &s.singular_values, &s.v_t.unwrap())
        });
        assert_close(&gradient, &fd, FD_TOLERANCE, "svd function vs finite differences");
    }
}
