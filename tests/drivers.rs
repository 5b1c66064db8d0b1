//! The drivers `gradient`, `jacobian`, `hessian` and `hvp` against closed forms, and
//! their behaviour in loops, when nested, and when a Var escapes.

#![cfg(feature = "nalgebra")]

use std::panic::{AssertUnwindSafe, catch_unwind};

use approx::assert_relative_eq;
use nalgebra::{DMatrix, DVector, Matrix3, Vector2, Vector3};
use num_traits::Float;
use proptest::prelude::*;
use tapegrad::Var;

/// Extended Rosenbrock, generic.
fn rosenbrock<T: Float>(x: &[T]) -> T {
    let (one, hundred) = (T::one(), T::from(100.0).unwrap());
    x.windows(2)
        .map(|w| hundred * (w[1] - w[0] * w[0]).powi(2) + (one - w[0]).powi(2))
        .fold(T::zero(), |sum, term| sum + term)
}

/// The Hessian of extended Rosenbrock, by hand.
fn rosenbrock_hessian(x: &[f64]) -> DMatrix<f64> {
    let n = x.len();
    let mut h = DMatrix::zeros(n, n);
    for i in 0..n - 1 {
        h[(i, i)] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
        h[(i, i + 1)] += -400.0 * x[i];
        h[(i + 1, i)] += -400.0 * x[i];
        h[(i + 1, i + 1)] += 200.0;
    }
    h
}

/// A numerically stable log-sum-exp, generic.
fn logsumexp<T: Float>(x: &[T]) -> T {
    let max = x.iter().fold(T::neg_infinity(), |m, &xi| m.max(xi));
    let sum = x.iter().fold(T::zero(), |s, &xi| s + (xi - max).exp());
    max + sum.ln()
}

/// The text of a panic's payload.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload.downcast_ref::<&str>().unwrap().to_string(),
    }
}

fn vector(len: usize, low: f64, high: f64) -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(low..high, len)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn rosenbrock_hessian_is_exact(x in vector(6, -2.0, 2.0)) {
        let (value, gradient, hessian) =
            tapegrad::hessian(|v: &DVector<Var<'static>>| rosenbrock(v.as_slice()), &DVector::from_vec(x.clone()));
        prop_assert_eq!(value, rosenbrock(&x));
        let (_, expected_gradient) = tapegrad::gradient(rosenbrock, &x);
        assert_relative_eq!(gradient, DVector::from_vec(expected_gradient), max_relative = 1e-14);
        assert_relative_eq!(hessian, rosenbrock_hessian(&x), max_relative = 1e-13, epsilon = 1e-12);
    }

    #[test]
    fn logsumexp_hessian_is_softmax_covariance(x in vector(5, -3.0, 3.0)) {
        let (value, gradient, hessian) =
            tapegrad::hessian(|v: &DVector<Var<'static>>| logsumexp(v.as_slice()), &DVector::from_vec(x.clone()));
        prop_assert_eq!(value, logsumexp(&x));
        let total: f64 = x.iter().map(|xi| xi.exp()).sum();
        let p = DVector::from_iterator(x.len(), x.iter().map(|xi| xi.exp() / total));
        let expected = DMatrix::from_diagonal(&p) - &p * p.transpose();
        assert_relative_eq!(gradient, p, max_relative = 1e-13);
        assert_relative_eq!(hessian, expected, max_relative = 1e-12, epsilon = 1e-15);
    }

    #[test]
    fn hvp_is_the_hessian_times_the_vector(x in vector(6, -2.0, 2.0), v in vector(6, -1.0, 1.0)) {
        let point = DVector::from_vec(x.clone());
        let direction = DVector::from_vec(v);
        let f = |v: &DVector<Var<'static>>| rosenbrock(v.as_slice()) + logsumexp(v.as_slice()).sin();
        let (value, gradient, product) = tapegrad::hvp(f, &point, &direction);
        let (value_h, gradient_h, hessian) = tapegrad::hessian(f, &point);
        prop_assert_eq!(value, value_h);
        assert_relative_eq!(gradient, gradient_h, max_relative = 1e-15);
        assert_relative_eq!(product, &hessian * &direction, max_relative = 1e-12, epsilon = 1e-10);
        // And the product against the closed-form Rosenbrock part alone.
        let (_, _, rosenbrock_product) =
            tapegrad::hvp(|v: &DVector<Var<'static>>| rosenbrock(v.as_slice()), &point, &direction);
        assert_relative_eq!(rosenbrock_product, rosenbrock_hessian(&x) * &direction, max_relative = 1e-12, epsilon = 1e-10);
    }
}

#[test]
fn hessian_of_a_product_of_a_variable_with_itself() {
    // x * x, x.powi(2), Var::dot(x, x) and x.mul_add(x, 0) all have second derivative 2.
    let point = Vector2::new(3.0, -1.0);
    let f = |v: &Vector2<Var<'static>>| {
        v[0] * v[0] + v[0].powi(2) + Var::dot(&[v[1]], &[v[1]]) + v[1].mul_add(v[1], 0.0)
    };
    let (_, gradient, hessian) = tapegrad::hessian(f, &point);
    assert_eq!(gradient, Vector2::new(12.0, -4.0));
    assert_eq!(hessian, nalgebra::Matrix2::new(4.0, 0.0, 0.0, 4.0));
}

#[test]
fn hessian_with_constants_and_fixed_size_vectors() {
    // f = 3 x y / 2 + sin(2) z² (a constant factor from generic code)
    let f = |v: &Vector3<Var<'static>>| {
        let k = Var::constant(2.0).sin();
        v[0] * v[1] * 1.5 + k * v[2] * v[2]
    };
    let (_, _, hessian) = tapegrad::hessian(f, &Vector3::new(1.0, 2.0, 3.0));
    let k = 2.0f64.sin();
    let expected = Matrix3::new(0.0, 1.5, 0.0, 1.5, 0.0, 0.0, 0.0, 0.0, 2.0 * k);
    assert_relative_eq!(hessian, expected, max_relative = 1e-15);
}

#[test]
fn jacobian_of_spherical_coordinates() {
    // (r, θ, φ) -> (r sin θ cos φ, r sin θ sin φ, r cos θ)
    let f = |p: &Vector3<Var<'static>>| {
        let (r, theta, phi) = (p[0], p[1], p[2]);
        Vector3::new(
            r * theta.sin() * phi.cos(),
            r * theta.sin() * phi.sin(),
            r * theta.cos(),
        )
    };
    let (r, t, p) = (2.0f64, 0.7f64, -1.3f64);
    let (values, jacobian) = tapegrad::jacobian(f, &Vector3::new(r, t, p));
    assert_relative_eq!(
        values,
        Vector3::new(r * t.sin() * p.cos(), r * t.sin() * p.sin(), r * t.cos())
    );
    let expected = Matrix3::new(
        t.sin() * p.cos(),
        r * t.cos() * p.cos(),
        -r * t.sin() * p.sin(),
        t.sin() * p.sin(),
        r * t.cos() * p.sin(),
        r * t.sin() * p.cos(),
        t.cos(),
        -r * t.sin(),
        0.0,
    );
    assert_relative_eq!(jacobian, expected, max_relative = 1e-15);
    // The determinant of this Jacobian is r² sin θ.
    assert_relative_eq!(
        jacobian.determinant(),
        r * r * t.sin(),
        max_relative = 1e-14
    );
}

#[test]
fn jacobian_with_more_outputs_than_inputs_on_dynamic_vectors() {
    let x = DVector::from_vec(vec![0.5, -1.5]);
    let (values, jacobian) = tapegrad::jacobian(
        |v: &DVector<Var<'static>>| {
            DVector::from_vec(vec![
                v[0] * v[1],
                v[0].exp(),
                v[1] * 3.0,
                Var::constant(7.0),
            ])
        },
        &x,
    );
    assert_eq!(values.as_slice(), &[-0.75, 0.5f64.exp(), -4.5, 7.0]);
    let expected =
        DMatrix::from_row_slice(4, 2, &[-1.5, 0.5, 0.5f64.exp(), 0.0, 0.0, 3.0, 0.0, 0.0]);
    assert_eq!(jacobian, expected);
}

#[test]
fn a_var_that_escapes_a_driver_panics_when_used() {
    let mut escaped: Option<Var<'static>> = None;
    let (value, _) = tapegrad::gradient(
        |x| {
            escaped = Some(x[0]);
            x[0] * 2.0
        },
        &[1.5],
    );
    assert_eq!(value, 3.0);
    let escaped = escaped.unwrap();
    // Its value is still readable; recording with it is not.
    assert_eq!(escaped.value(), 1.5);
    let payload = catch_unwind(AssertUnwindSafe(|| escaped * 2.0)).expect_err("must panic");
    let message = panic_message(payload);
    assert!(message.contains("cleared or dropped"), "{message}");
    // Even when a later call reuses the same thread tape.
    let (_, gradient) = tapegrad::gradient(|x| x[0] * x[0], &[4.0]);
    assert_eq!(gradient, vec![8.0]);
    assert!(catch_unwind(AssertUnwindSafe(|| escaped.sin())).is_err());
}

#[test]
fn a_var_that_escapes_into_the_next_call_panics_instead_of_mixing() {
    let mut escaped: Option<Var<'static>> = None;
    let _ = tapegrad::gradient(
        |x| {
            escaped = Some(x[0]);
            x[0]
        },
        &[1.0],
    );
    let escaped = escaped.unwrap();
    let payload = catch_unwind(AssertUnwindSafe(|| {
        tapegrad::gradient(|x| x[0] * escaped, &[2.0])
    }))
    .expect_err("must panic");
    let message = panic_message(payload);
    assert!(message.contains("cleared or dropped"), "{message}");
}

#[test]
fn drivers_nest() {
    // The outer closure calls an inner gradient (a plain number to the outer one).
    let (value, gradient) = tapegrad::gradient(
        |x| {
            let (_, inner) = tapegrad::gradient(|y| y[0].powi(3), &[2.0]);
            x[0] * inner[0] // inner[0] = 12
        },
        &[5.0],
    );
    assert_eq!((value, gradient), (60.0, vec![12.0]));
    // A hessian inside a gradient, and the thread tapes still work afterwards.
    let (_, gradient) = tapegrad::gradient(
        |x| {
            let (_, _, h) = tapegrad::hessian(
                |v: &Vector2<Var<'static>>| v[0] * v[0] * v[1],
                &Vector2::new(1.0, 1.0),
            );
            x[0] * h[(0, 1)]
        },
        &[1.0],
    );
    assert_eq!(gradient, vec![2.0]);
}

#[test]
fn a_panic_inside_a_driver_leaves_the_next_call_working() {
    let result = catch_unwind(|| tapegrad::gradient(|_| panic!("user code failed"), &[1.0]));
    assert!(result.is_err());
    assert_eq!(tapegrad::gradient(|x| x[0] * 3.0, &[1.0]).1, vec![3.0]);
}

#[test]
fn gradient_over_a_matrix_determinant() {
    // d det(A) / dA = det(A) A^-T, here on a 3 x 3 matrix through the slice driver.
    let a = Matrix3::new(2.0, -1.0, 0.5, 1.0, 3.0, -2.0, 0.0, 1.0, 4.0);
    let (det, gradient) = tapegrad::gradient(
        |x| Matrix3::from_column_slice(x).determinant(),
        a.as_slice(),
    );
    assert_relative_eq!(det, a.determinant(), max_relative = 1e-15);
    let expected = a.determinant() * a.try_inverse().unwrap().transpose();
    assert_relative_eq!(
        Matrix3::from_column_slice(&gradient),
        expected,
        max_relative = 1e-14
    );
}
