//! `tapegrad::linalg`: each function against closed forms (cofactors by Laplace expansion,
//! `A⁻ᵀ`, the adjoints of Giles 2008 written out with nalgebra on `f64`), against central
//! finite differences of the same function computed by nalgebra on `f64` at random
//! points, and at the special inputs where nalgebra's generic code on Vars goes wrong
//! (singular, rank-deficient, identity, diagonal matrices).

#![cfg(feature = "nalgebra")]

use nalgebra::{
    Cholesky, DMatrix, DVector, Matrix2, Matrix3, Matrix3x2, Matrix4, SMatrix, Vector3,
};
use proptest::prelude::*;
use tapegrad::{Var, linalg};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Step of the finite differences: see [`FD_TOLERANCE`].
const STEP: f64 = 1e-3;

/// Tolerance against finite differences, relative to the largest entry (or 1). The
/// five-point stencil with `h = 1e-3` errs by `h⁴ |f⁽⁵⁾| / 30` from truncation and by
/// about `1.5 ε |f| / h ≈ 3e-13 |f|` from rounding; the random matrices below have
/// singular values in `[1, 2n + 1]` (or, for Cholesky, eigenvalues in `[1, n² + 1]`), so
/// the fifth derivatives stay small: the same bound as in `tests/nalgebra_ops.rs`, whose
/// inputs are built the same way. (`log_det` at a general matrix, whose smallest singular
/// value may be as small as 0.2, has fifth derivatives up to `4! ‖A⁻¹‖⁵ ≈ 8e4` times larger
/// ones of the entries: its test allows `1e-7`.)
const FD_TOLERANCE: f64 = 1e-9;

/// Tolerance against a closed form evaluated in floating point, relative to the largest
/// entry (or 1): both sides are backward-stable computations on matrices of condition
/// number at most ~10, within `cond · n · ε ≈ 1e-14` of the truth; the SVD behind `det`
/// adds its own `n ε` or so. `1e-12` leaves a margin of a hundred.
const CLOSED_FORM_TOLERANCE: f64 = 1e-12;

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

/// `n × n` matrix `M + (n + 1) I` from entries `m` of `M` in `[-1, 1]`, row-major: its
/// singular values lie in `[1, 2n + 1]`.
fn well_conditioned(n: usize, m: &[f64]) -> Vec<f64> {
    let mut a = m.to_vec();
    for i in 0..n {
        a[i * n + i] += (n + 1) as f64;
    }
    a
}

/// The symmetric positive-definite `M Mᵀ + I` from entries `m` of `M` in `[-1, 1]`,
/// row-major: its eigenvalues lie in `[1, n² + 1]`.
fn spd(n: usize, m: &[f64]) -> Vec<f64> {
    let m = DMatrix::from_row_slice(n, n, m);
    let a = &m * m.transpose() + DMatrix::identity(n, n);
    a.transpose().as_slice().to_vec()
}

/// Entries in `[-1, 1]`.
fn entries(len: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-1.0..1.0_f64, len)
}

/// The determinant by Laplace expansion along the first row: exact on small integer
/// matrices, and independent of the code under test.
fn laplace(m: &DMatrix<f64>) -> f64 {
    let n = m.nrows();
    if n == 0 {
        return 1.0;
    }
    (0..n)
        .map(|j| {
            let sign = if j % 2 == 0 { 1.0 } else { -1.0 };
            sign * m[(0, j)] * laplace(&m.clone().remove_row(0).remove_column(j))
        })
        .sum()
}

/// The cofactor matrix, by Laplace expansion, row-major.
fn cofactors(m: &DMatrix<f64>) -> Vec<f64> {
    let n = m.nrows();
    let mut c = Vec::with_capacity(n * n);
    for i in 0..n {
        for j in 0..n {
            let sign = if (i + j) % 2 == 0 { 1.0 } else { -1.0 };
            c.push(sign * laplace(&m.clone().remove_row(i).remove_column(j)));
        }
    }
    c
}

/// The gradient of `linalg::det` of the n × n matrix with row-major entries `a`, checked
/// against the cofactors by Laplace expansion.
#[track_caller]
fn assert_det_gradient_is_cofactors(n: usize, a: &[f64]) {
    let (value, gradient) =
        tapegrad::gradient(|x| linalg::det(&DMatrix::from_row_slice(n, n, x)), a);
    let m = DMatrix::from_row_slice(n, n, a);
    assert_close(&[value], &[laplace(&m)], CLOSED_FORM_TOLERANCE, "det value");
    assert_close(
        &gradient,
        &cofactors(&m),
        CLOSED_FORM_TOLERANCE,
        "det gradient",
    );
}

/// Weights for a scalar function of a matrix-valued result, `Σ w_ij Y_ij`: distinct, so
/// that every entry's derivative shows.
fn weights(len: usize) -> Vec<f64> {
    (0..len)
        .map(|k| 1.0 + 0.37 * k as f64 - 0.05 * (k * k) as f64)
        .collect()
}

// ---------------------------------------------------------------------------------------
// det
// ---------------------------------------------------------------------------------------

/// The issue's input: nalgebra's generic `determinant` gives 0 at entries 4 and 12.
#[test]
fn det_of_the_singular_4x4_of_the_issue_has_its_cofactors() {
    #[rustfmt::skip]
    let a = [0., 1., 2., 3.,  0., 4., 5., 6.,  0., 7., 8., 10.,  0., 1., 1., 1.];
    let (value, gradient) = tapegrad::gradient(|x| linalg::det(&Matrix4::from_row_slice(x)), &a);
    assert_eq!(value, 0.0);
    #[rustfmt::skip]
    let expected = [1., 0., 0., 0.,  -1., 0., 0., 0.,  0., 0., 0., 0.,  3., 0., 0., 0.];
    assert_close(&gradient, &expected, CLOSED_FORM_TOLERANCE, "cofactors");
    assert_close(
        &gradient,
        &cofactors(&DMatrix::from_row_slice(4, 4, &a)),
        1e-12,
        "laplace",
    );
    assert!((gradient[4] + 1.0).abs() < 1e-13 && (gradient[12] - 3.0).abs() < 1e-13);
}

#[test]
fn det_at_special_matrices_is_the_cofactor_matrix() {
    // Identity: the cofactors are the identity.
    assert_det_gradient_is_cofactors(4, DMatrix::<f64>::identity(4, 4).as_slice());
    // Diagonal: the cofactor of a_ii is the product of the others; zeros elsewhere.
    assert_det_gradient_is_cofactors(
        4,
        &[
            2., 0., 0., 0., 0., 3., 0., 0., 0., 0., 4., 0., 0., 0., 0., 5.,
        ],
    );
    // Diagonal with one zero: only that entry's cofactor is not 0.
    assert_det_gradient_is_cofactors(3, &[2., 0., 0., 0., 0., 0., 0., 0., 4.]);
    // Rank n - 1 without a zero row or column: cofactors not 0 (adj = rank one).
    assert_det_gradient_is_cofactors(
        4,
        &[
            1., 2., 3., 4., 2., 3., 4., 5., 3., 4., 5., 6., 1., 0., 2., 7.,
        ],
    );
    // Rank n - 2: every cofactor is 0.
    assert_det_gradient_is_cofactors(
        4,
        &[
            1., 2., 3., 4., 2., 3., 4., 5., 3., 4., 5., 6., 4., 5., 6., 7.,
        ],
    );
    // Zero matrix, and 1 × 1.
    assert_det_gradient_is_cofactors(3, &[0.0; 9]);
    assert_det_gradient_is_cofactors(1, &[0.0]);
    // A generic integer matrix.
    assert_det_gradient_is_cofactors(
        5,
        &[
            2., -1., 0., 3., 1., 4., 1., -2., 0., 5., 1., 1., 1., 1., 1., 0., 3., -1., 2., 2., -3.,
            0., 4., 1., 1.,
        ],
    );
}

#[test]
fn det_of_a_fixed_size_matrix_and_of_constants() {
    let a = [2.0, -1.0, 0.5, 1.0, 3.0, -2.0, 0.0, 1.0, 4.0];
    let (value, gradient) = tapegrad::gradient(|x| linalg::det(&Matrix3::from_row_slice(x)), &a);
    let m = DMatrix::from_row_slice(3, 3, &a);
    assert_close(&[value], &[laplace(&m)], 1e-14, "value");
    assert_close(&gradient, &cofactors(&m), CLOSED_FORM_TOLERANCE, "gradient");

    let constant = linalg::det(&Matrix2::new(1.0, 2.0, 3.0, 4.0).map(Var::constant));
    assert!(constant.is_constant());
    assert_eq!(constant.value(), -2.0);
    assert_eq!(
        linalg::det(&DMatrix::<Var<'static>>::zeros(0, 0)).value(),
        1.0
    );
}

#[test]
#[should_panic(expected = "takes a square matrix, but this one is 2 × 3")]
fn det_of_a_dynamic_non_square_matrix_panics() {
    tapegrad::gradient(
        |x| linalg::det(&DMatrix::from_row_slice(2, 3, x)),
        &[1.0; 6],
    );
}

/// The Hessian of `det` on a singular 3 × 3 matrix against that of nalgebra's explicit
/// 3 × 3 formula (a polynomial, differentiated exactly operation by operation).
#[test]
fn det_hessian_at_singular_matrices() {
    for a in [
        [1.0, 2.0, 3.0, 2.0, 4.0, 6.0, 1.0, 0.0, 1.0], // rank 2
        [1.0, 2.0, 3.0, 2.0, 4.0, 6.0, 3.0, 6.0, 9.0], // rank 1
        [0.0; 9],
        [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
    ] {
        let x = DVector::from_column_slice(&a);
        let (_, gradient, hessian) = tapegrad::hessian(
            |v: &DVector<Var<'static>>| {
                linalg::det(&DMatrix::from_column_slice(3, 3, v.as_slice()))
            },
            &x,
        );
        let (_, expected_gradient, expected_hessian) = tapegrad::hessian(
            |v: &DVector<Var<'static>>| Matrix3::from_column_slice(v.as_slice()).determinant(),
            &x,
        );
        assert_close(
            gradient.as_slice(),
            expected_gradient.as_slice(),
            1e-14,
            "gradient",
        );
        assert_close(
            hessian.as_slice(),
            expected_hessian.as_slice(),
            1e-14,
            "hessian",
        );
    }
}

/// At an invertible 4 × 4, `∂² det / ∂A_ij ∂A_kl = det(A) ((A⁻¹)_ji (A⁻¹)_lk - (A⁻¹)_jk
/// (A⁻¹)_li)`, with `A_ij` at `i + 4 j`.
#[test]
fn det_hessian_of_an_invertible_matrix_is_the_closed_form() {
    let n = 4;
    let a = DMatrix::from_row_slice(
        n,
        n,
        &well_conditioned(
            n,
            &weights(16)
                .iter()
                .map(|w| (w * 0.7).sin())
                .collect::<Vec<_>>(),
        ),
    );
    let x = DVector::from_column_slice(a.as_slice());
    let (_, _, hessian) = tapegrad::hessian(
        |v: &DVector<Var<'static>>| linalg::det(&DMatrix::from_column_slice(n, n, v.as_slice())),
        &x,
    );
    let (det, b) = (a.determinant(), a.clone().try_inverse().unwrap());
    let expected = DMatrix::from_fn(n * n, n * n, |p, q| {
        let (i, j, k, l) = (p % n, p / n, q % n, q / n);
        det * (b[(j, i)] * b[(l, k)] - b[(j, k)] * b[(l, i)])
    });
    assert_close(
        hessian.as_slice(),
        expected.as_slice(),
        CLOSED_FORM_TOLERANCE,
        "hessian",
    );
}

// ---------------------------------------------------------------------------------------
// log_det
// ---------------------------------------------------------------------------------------

#[test]
fn log_det_gradient_is_the_inverse_transpose() {
    for a in [
        vec![2.0, -1.0, 0.5, 1.0, 3.0, -2.0, 0.0, 1.0, 4.0],
        vec![0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 3.0], // det = -3
        vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        vec![1e-200, 0.0, 0.0, 0.0, 1e-200, 0.0, 0.0, 0.0, 1e-200], // det underflows
    ] {
        let m = DMatrix::from_row_slice(3, 3, &a);
        let mut sign = 0.0;
        let (value, gradient) = tapegrad::gradient(
            |x| {
                let (s, log_det) = linalg::log_det(&Matrix3::from_row_slice(x));
                sign = s;
                log_det
            },
            &a,
        );
        let det = laplace(&m);
        if det != 0.0 {
            assert_eq!(sign, det.signum());
            assert_close(&[value], &[det.abs().ln()], 1e-14, "value");
        } else {
            assert_eq!((sign, value), (1.0, 3.0 * 1e-200_f64.ln()));
        }
        // Row-major gradient: entry (i, j) is (A⁻ᵀ)_ij.
        let inverse_t = m.lu().try_inverse().unwrap().transpose();
        let expected = inverse_t.transpose().as_slice().to_vec();
        assert_close(&gradient, &expected, CLOSED_FORM_TOLERANCE, "gradient");
    }
}

#[test]
fn log_det_of_a_singular_matrix_is_minus_infinity_with_nan_partials() {
    let mut sign = 1.0;
    let (value, gradient) = tapegrad::gradient(
        |x| {
            let (s, log_det) = linalg::log_det(&DMatrix::from_row_slice(2, 2, x));
            sign = s;
            log_det
        },
        &[1.0, 2.0, 2.0, 4.0],
    );
    assert_eq!((sign, value), (0.0, f64::NEG_INFINITY));
    assert!(gradient.iter().all(|g| g.is_nan()));
}

/// The issue's second-order check: the Hessian of `ln |det A|` of a 5 × 5 against
/// `-(A⁻¹)_jk (A⁻¹)_li` (with `A_ij` at `i + 5 j`).
#[test]
fn log_det_hessian_of_a_5x5_is_exact() {
    let n = 5;
    let m: Vec<f64> = (0..n * n)
        .map(|k| ((k * 7 + 3) % 11) as f64 / 5.0 - 1.0)
        .collect();
    for a in [
        DMatrix::from_row_slice(n, n, &well_conditioned(n, &m)),
        // A negative determinant, and entries not dominated by the diagonal.
        DMatrix::from_row_slice(n, n, &m)
            + DMatrix::from_fn(n, n, |i, j| if i + j == n - 1 { 3.0 } else { 0.0 }),
    ] {
        let x = DVector::from_column_slice(a.as_slice());
        let (value, gradient, hessian) = tapegrad::hessian(
            |v: &DVector<Var<'static>>| {
                linalg::log_det(&DMatrix::from_column_slice(n, n, v.as_slice())).1
            },
            &x,
        );
        let b = a.clone().try_inverse().unwrap();
        assert_close(&[value], &[a.determinant().abs().ln()], 1e-13, "value");
        assert_close(
            gradient.as_slice(),
            b.transpose().as_slice(),
            1e-12,
            "gradient",
        );
        let expected = DMatrix::from_fn(n * n, n * n, |p, q| {
            let (i, j, k, l) = (p % n, p / n, q % n, q / n);
            -b[(j, k)] * b[(l, i)]
        });
        assert_close(hessian.as_slice(), expected.as_slice(), 1e-12, "hessian");
    }
}

// ---------------------------------------------------------------------------------------
// inverse and solve
// ---------------------------------------------------------------------------------------

#[test]
fn inverse_gradient_is_the_closed_form() {
    // f(A) = Σ w_ij (A⁻¹)_ij has gradient -A⁻ᵀ W A⁻ᵀ.
    let n = 3;
    let a = vec![2.0, -1.0, 0.5, 1.0, 3.0, -2.0, 0.0, 1.0, 4.0];
    let w = weights(n * n);
    let (value, gradient) = tapegrad::gradient(
        |x| {
            let inverse = linalg::inverse(&Matrix3::from_row_slice(x)).unwrap();
            inverse.iter().zip(&w).map(|(y, &w)| *y * w).sum()
        },
        &a,
    );
    let m = DMatrix::from_row_slice(n, n, &a);
    let b = m.try_inverse().unwrap();
    let w_matrix = DMatrix::from_column_slice(n, n, &w);
    assert_close(
        &[value],
        &[b.component_mul(&w_matrix).sum()],
        1e-14,
        "value",
    );
    let expected = -(b.transpose() * w_matrix * b.transpose());
    assert_close(
        &gradient,
        expected.transpose().as_slice(),
        CLOSED_FORM_TOLERANCE,
        "gradient",
    );
}

#[test]
fn inverse_and_solve_of_singular_matrices_are_none() {
    tapegrad::gradient(
        |x| {
            let a = DMatrix::from_row_slice(3, 3, x);
            assert!(linalg::inverse(&a).is_none());
            assert!(linalg::solve(&a, &DVector::from_element(3, x[0])).is_none());
            assert!(linalg::solve(&a, &DMatrix::from_element(3, 2, x[0])).is_none());
            let fixed = Matrix3::from_row_slice(x);
            assert!(linalg::inverse(&fixed).is_none());
            assert!(linalg::solve(&fixed, &Vector3::from_element(x[0])).is_none());
            x[0]
        },
        &[0.0, 1.0, 2.0, 0.0, 4.0, 5.0, 0.0, 7.0, 8.0],
    );
}

#[test]
fn solve_with_a_matrix_right_hand_side_is_the_closed_form() {
    // f(A, B) = Σ w_ij X_ij: B̄ = A⁻ᵀ W, Ā = -B̄ Xᵀ.
    let a = [2.0, -1.0, 0.5, 1.0, 3.0, -2.0, 0.0, 1.0, 4.0];
    let b = [1.0, 2.0, -1.0, 0.5, 3.0, 1.0];
    let w = weights(6);
    let x: Vec<f64> = a.iter().chain(&b).copied().collect();
    let (_, gradient) = tapegrad::gradient(
        |v| {
            let a = Matrix3::from_row_slice(&v[..9]);
            let b = Matrix3x2::from_row_slice(&v[9..]);
            let x = linalg::solve(&a, &b).unwrap();
            x.iter().zip(&w).map(|(y, &w)| *y * w).sum()
        },
        &x,
    );
    let a_matrix = DMatrix::from_row_slice(3, 3, &a);
    let b_matrix = DMatrix::from_row_slice(3, 2, &b);
    let x_matrix = a_matrix.clone().lu().solve(&b_matrix).unwrap();
    let b_bar = a_matrix
        .transpose()
        .lu()
        .solve(&DMatrix::from_column_slice(3, 2, &w))
        .unwrap();
    let a_bar = -(&b_bar * x_matrix.transpose());
    let expected: Vec<f64> = a_bar
        .transpose()
        .iter()
        .chain(b_bar.transpose().iter())
        .copied()
        .collect();
    assert_close(&gradient, &expected, CLOSED_FORM_TOLERANCE, "gradient");
}

#[test]
#[should_panic(expected = "so B must have 3 rows, but it has 2")]
fn solve_with_mismatched_dynamic_sizes_panics() {
    tapegrad::gradient(
        |x| {
            let a = DMatrix::from_row_slice(3, 3, &x[..9]);
            linalg::solve(&a, &DVector::from_column_slice(&x[9..])).unwrap()[0]
        },
        &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 2.0],
    );
}

#[test]
#[should_panic(expected = "tapegrad::linalg::inverse records no second derivatives")]
fn inverse_under_hessian_panics() {
    tapegrad::hessian(
        |v: &DVector<Var<'static>>| {
            linalg::inverse(&DMatrix::from_column_slice(2, 2, v.as_slice())).unwrap()[0]
        },
        &DVector::from_column_slice(&[2.0, 1.0, 1.0, 3.0]),
    );
}

#[test]
#[should_panic(expected = "tapegrad::linalg::cholesky records no second derivatives")]
fn cholesky_under_hessian_panics() {
    tapegrad::hessian(
        |v: &DVector<Var<'static>>| {
            linalg::cholesky(&DMatrix::from_column_slice(2, 2, v.as_slice())).unwrap()[0]
        },
        &DVector::from_column_slice(&[2.0, 1.0, 1.0, 3.0]),
    );
}

// ---------------------------------------------------------------------------------------
// cholesky and cholesky_solve
// ---------------------------------------------------------------------------------------

/// At a generic point nalgebra's generic `cholesky()` on Vars takes no exact-zero branch,
/// so its gradient is right: the two must agree.
#[test]
fn cholesky_agrees_with_nalgebras_generic_code_at_a_generic_point() {
    let n = 4;
    let a = spd(
        n,
        &weights(16)
            .iter()
            .map(|w| (w * 0.9).cos())
            .collect::<Vec<_>>(),
    );
    let w = weights(n * n);
    let weighted = |l: &DMatrix<Var<'static>>| -> Var<'static> {
        l.iter().zip(&w).map(|(y, &w)| *y * w).sum()
    };
    let (value, gradient) = tapegrad::gradient(
        |x| weighted(&linalg::cholesky(&DMatrix::from_row_slice(n, n, x)).unwrap()),
        &a,
    );
    let (expected_value, expected) = tapegrad::gradient(
        |x| {
            let lower = DMatrix::from_row_slice(n, n, x);
            weighted(&Cholesky::new(lower).unwrap().unpack())
        },
        &a,
    );
    assert_close(&[value], &[expected_value], 1e-14, "value");
    assert_close(&gradient, &expected, CLOSED_FORM_TOLERANCE, "gradient");
    // Only the lower triangle is read: the entries above the diagonal get 0.
    for i in 0..n {
        for j in i + 1..n {
            assert_eq!(gradient[i * n + j], 0.0);
        }
    }
}

#[test]
fn cholesky_of_a_diagonal_and_of_an_identity_matrix() {
    // L = diag(√a_ii): ∂L_ii/∂a_ii = 1 / (2 √a_ii), and ∂L_ij/∂a_ij = 1/√a_jj below it.
    let (_, gradient) = tapegrad::gradient(
        |x| {
            let l = linalg::cholesky(&Matrix3::from_row_slice(x)).unwrap();
            l[(0, 0)] + l[(1, 1)] + l[(2, 2)] + l[(2, 0)] + l[(1, 0)] * 10.0
        },
        &[4.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 9.0],
    );
    let expected = [0.25, 0.0, 0.0, 5.0, 0.5, 0.0, 0.5, 0.0, 1.0 / 6.0];
    assert_close(&gradient, &expected, 1e-15, "diagonal");
}

#[test]
fn cholesky_of_a_matrix_that_is_not_positive_definite_is_none() {
    tapegrad::gradient(
        |x| {
            assert!(linalg::cholesky(&Matrix2::from_row_slice(x)).is_none());
            assert!(linalg::cholesky(&DMatrix::from_row_slice(2, 2, x)).is_none());
            x[0]
        },
        &[1.0, 2.0, 2.0, 1.0],
    );
    let zero_diagonal = linalg::cholesky_solve(
        &Matrix2::new(1.0, 0.0, 1.0, 0.0).map(Var::constant),
        &nalgebra::Vector2::new(1.0, 1.0).map(Var::constant),
    );
    assert!(zero_diagonal.is_none());
}

// ---------------------------------------------------------------------------------------
// Finite differences at random points
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn det_matches_finite_differences(m in entries(16)) {
        let a = well_conditioned(4, &m);
        let (_, gradient) =
            tapegrad::gradient(|x| linalg::det(&DMatrix::from_row_slice(4, 4, x)), &a);
        let fd = finite_difference(&a, |x| DMatrix::from_row_slice(4, 4, x).determinant());
        assert_close(&gradient, &fd, FD_TOLERANCE, "det");
    }

    #[test]
    fn log_det_matches_finite_differences(m in entries(16)) {
        // M alone: a general matrix, of either sign of determinant, away from singular.
        let a = DMatrix::from_row_slice(4, 4, &m);
        prop_assume!(a.clone().svd(false, false).singular_values.min() > 0.2);
        let (_, gradient) = tapegrad::gradient(
            |x| linalg::log_det(&SMatrix::<Var<'static>, 4, 4>::from_row_slice(x)).1,
            &m,
        );
        let fd = finite_difference(&m, |x| DMatrix::from_row_slice(4, 4, x).determinant().abs().ln());
        assert_close(&gradient, &fd, 1e-7, "log_det");
    }

    #[test]
    fn inverse_matches_finite_differences(m in entries(9)) {
        let a = well_conditioned(3, &m);
        let w = weights(9);
        let (_, gradient) = tapegrad::gradient(
            |x| {
                let inverse = linalg::inverse(&DMatrix::from_row_slice(3, 3, x)).unwrap();
                inverse.iter().zip(&w).map(|(y, &w)| *y * w).sum()
            },
            &a,
        );
        let fd = finite_difference(&a, |x| {
            let inverse = DMatrix::from_row_slice(3, 3, x).try_inverse().unwrap();
            inverse.iter().zip(&w).map(|(y, w)| y * w).sum()
        });
        assert_close(&gradient, &fd, FD_TOLERANCE, "inverse");
    }

    #[test]
    fn solve_matches_finite_differences(m in entries(16), b in entries(8)) {
        let n = 4;
        let a = well_conditioned(n, &m);
        let x: Vec<f64> = a.iter().chain(&b).copied().collect();
        let w = weights(8);
        let on_vars = |v: &[Var<'static>]| -> Var<'static> {
            let a = DMatrix::from_row_slice(n, n, &v[..16]);
            let vector = linalg::solve(&a, &DVector::from_column_slice(&v[16..20])).unwrap();
            let matrix = linalg::solve(&a, &DMatrix::from_row_slice(n, 1, &v[20..])).unwrap();
            vector.iter().chain(matrix.iter()).zip(&w).map(|(y, &w)| *y * w).sum()
        };
        let on_f64 = |v: &[f64]| -> f64 {
            let lu = DMatrix::from_row_slice(n, n, &v[..16]).lu();
            let vector = lu.solve(&DVector::from_column_slice(&v[16..20])).unwrap();
            let matrix = lu.solve(&DMatrix::from_row_slice(n, 1, &v[20..])).unwrap();
            vector.iter().chain(matrix.iter()).zip(&w).map(|(y, w)| y * w).sum()
        };
        let (value, gradient) = tapegrad::gradient(on_vars, &x);
        assert_close(&[value], &[on_f64(&x)], 1e-14, "value");
        assert_close(&gradient, &finite_difference(&x, on_f64), FD_TOLERANCE, "solve");
    }

    #[test]
    fn cholesky_matches_finite_differences(m in entries(16)) {
        let n = 4;
        let a = spd(n, &m);
        let w = weights(n * n);
        let (_, gradient) = tapegrad::gradient(
            |x| {
                let l = linalg::cholesky(&SMatrix::<Var<'static>, 4, 4>::from_row_slice(x)).unwrap();
                l.iter().zip(&w).map(|(y, &w)| *y * w).sum()
            },
            &a,
        );
        let fd = finite_difference(&a, |x| {
            let l = Cholesky::new(DMatrix::from_row_slice(n, n, x)).unwrap().unpack();
            l.iter().zip(&w).map(|(y, w)| y * w).sum()
        });
        assert_close(&gradient, &fd, FD_TOLERANCE, "cholesky");
    }

    #[test]
    fn cholesky_solve_matches_finite_differences(m in entries(9), b in entries(6)) {
        let n = 3;
        // A factor with a diagonal in [1, 2]: L of an SPD matrix, read below the diagonal.
        let mut l = m.clone();
        for i in 0..n {
            l[i * n + i] = 1.5 + 0.5 * l[i * n + i];
        }
        let x: Vec<f64> = l.iter().chain(&b).copied().collect();
        let w = weights(6);
        let (_, gradient) = tapegrad::gradient(
            |v| {
                let l = DMatrix::from_row_slice(n, n, &v[..9]);
                let b = DMatrix::from_row_slice(n, 2, &v[9..]);
                let x = linalg::cholesky_solve(&l, &b).unwrap();
                x.iter().zip(&w).map(|(y, &w)| *y * w).sum()
            },
            &x,
        );
        let fd = finite_difference(&x, |v| {
            let l = DMatrix::from_row_slice(n, n, &v[..9]).lower_triangle();
            let b = DMatrix::from_row_slice(n, 2, &v[9..]);
            let y = l.solve_lower_triangular(&b).unwrap();
            let x = l.tr_solve_lower_triangular(&y).unwrap();
            x.iter().zip(&w).map(|(y, w)| y * w).sum()
        });
        assert_close(&gradient, &fd, FD_TOLERANCE, "cholesky_solve");
    }
}

#[test]
fn solve_of_an_empty_system_is_empty() {
    use nalgebra::{DMatrix, DVector};
    let (value, gradient) = tapegrad::gradient(
        |x| {
            let a = DMatrix::<Var<'static>>::from_column_slice(0, 0, &[]);
            let b = DVector::<Var<'static>>::from_column_slice(&[]);
            let solution = tapegrad::linalg::solve(&a, &b).expect("an empty system");
            assert_eq!(solution.len(), 0);
            x[0] * 2.0
        },
        &[1.0],
    );
    assert_eq!((value, gradient), (2.0, vec![2.0]));
}
