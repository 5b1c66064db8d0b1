//! `tapegrad::linalg`'s eigen and singular value decompositions and its rotation maps,
//! against closed forms, SymPy references, central finite differences and nalgebra's
//! `f64` results, at generic points and where nalgebra's own generic code takes
//! exact-zero shortcuts (repeated eigenvalues and singular values, the identity
//! rotation).

#![cfg(feature = "nalgebra")]

use nalgebra::{Matrix3, Quaternion, UnitQuaternion, Vector3, Vector4};
use proptest::prelude::*;
use tapegrad::Var;
use tapegrad::linalg::{rotation_from_scaled_axis, scaled_axis};

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
/// below keep eigenvalue and singular value gaps at least 0.5, so the fifth derivatives
/// stay moderate. The worst errors seen are in the comments of each test.
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
        &Vector3::zeros(),
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
        &Vector3::zeros(),
    );
    assert_eq!((w, gradient), (1.0, Vector3::zeros()));
    assert_eq!(hessian, -Matrix3::identity() / 4.0);
    let (_, gradient, hessian) = tapegrad::hessian(
        |v: &Vector3<Var<'static>>| rotation_from_scaled_axis(v).i,
        &Vector3::zeros(),
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
        &Vector3::zeros(),
    );
    assert_eq!((value, jacobian), (Vector3::zeros(), Matrix3::identity()));
}

/// Tolerance against the SymPy references, relative to the largest entry (or 1): the
/// worst seen is 3e-16 for values, 4e-16 for gradients and 1.1e-15 for Hessians,
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
/// worst seen was 1.1e-16 (exp) and 4.4e-16 (log).
const ROTATION_VALUE_TOLERANCE: f64 = 4e-15;

proptest! {
    #![proptest_config(config())]

    /// The exp map at `|v| ≤ 3√3`: values against nalgebra's (sign chosen so that w ≥
    /// 0), Jacobian against finite differences of nalgebra's (worst seen 3.9e-13 over
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
    /// quaternion, Jacobian against finite differences (worst seen 1.8e-11 over 3000
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
