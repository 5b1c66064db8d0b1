//! The derivatives tapegrad documents where a function has none, or an infinite one, and
//! the other documented edge behaviour: NaN and infinities, constants, what is recorded,
//! `Default` and `Display`. Each test asserts the exact value the documentation states.

use tapegrad::{Tape, Var};

/// The value of `f(x)` and its derivative at `x`.
fn derivative(x: f64, f: impl for<'t> FnOnce(Var<'t>) -> Var<'t>) -> (f64, f64) {
    let tape = Tape::new();
    let x = tape.var(x);
    let y = f(x);
    let grads = tape.backward(y);
    (y.value(), grads[x])
}

/// The value of `f(a, b)` and its two partial derivatives.
fn partials(
    a: f64,
    b: f64,
    f: impl for<'t> FnOnce(Var<'t>, Var<'t>) -> Var<'t>,
) -> (f64, f64, f64) {
    let tape = Tape::new();
    let (a, b) = (tape.var(a), tape.var(b));
    let y = f(a, b);
    let grads = tape.backward(y);
    (y.value(), grads[a], grads[b])
}

/// The same `f64`, NaN matching any NaN and the sign of zero counting.
fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

// ---- Kinks -------------------------------------------------------------------------------

#[test]
fn relu_derivative_is_zero_at_zero() {
    assert_eq!(derivative(0.0, |x| x.relu()), (0.0, 0.0));
    assert_eq!(derivative(-0.0, |x| x.relu()), (0.0, 0.0));
}

#[test]
fn relu_derivative_is_one_above_zero_and_zero_below() {
    for x in [1e-300, 0.25, 3.0, 1e300] {
        assert_eq!(derivative(x, |x| x.relu()), (x, 1.0), "relu at {x}");
    }
    for x in [-1e-300, -0.25, -3.0, -1e300] {
        assert_eq!(derivative(x, |x| x.relu()), (0.0, 0.0), "relu at {x}");
    }
}

#[test]
fn relu_of_nan_is_nan() {
    assert!(derivative(f64::NAN, |x| x.relu()).0.is_nan());
}

#[test]
fn abs_derivative_is_zero_at_zero() {
    assert_eq!(derivative(0.0, |x| x.abs()), (0.0, 0.0));
    let (value, d) = derivative(-0.0, |x| x.abs());
    assert!(same(value, 0.0));
    assert_eq!(d, 0.0);
}

#[test]
fn abs_derivative_is_the_sign_elsewhere() {
    assert_eq!(derivative(2.5, |x| x.abs()), (2.5, 1.0));
    assert_eq!(derivative(-2.5, |x| x.abs()), (2.5, -1.0));
    assert_eq!(derivative(-1e-300, |x| x.abs()), (1e-300, -1.0));
}

#[test]
fn max_tie_splits_the_derivative_evenly() {
    assert_eq!(partials(1.5, 1.5, |a, b| a.max(b)), (1.5, 0.5, 0.5));
    assert_eq!(partials(-0.0, 0.0, |a, b| a.max(b)).1, 0.5);
}

#[test]
fn min_tie_splits_the_derivative_evenly() {
    assert_eq!(partials(1.5, 1.5, |a, b| a.min(b)), (1.5, 0.5, 0.5));
    assert_eq!(partials(0.0, -0.0, |a, b| a.min(b)).2, 0.5);
}

#[test]
fn max_and_min_tie_with_a_constant_give_one_half() {
    assert_eq!(derivative(2.0, |x| x.max(2.0)), (2.0, 0.5));
    assert_eq!(derivative(2.0, |x| x.min(2.0)), (2.0, 0.5));
    assert_eq!(derivative(2.0, |x| Var::constant(2.0).max(x)), (2.0, 0.5));
    assert_eq!(derivative(2.0, |x| Var::constant(2.0).min(x)), (2.0, 0.5));
}

#[test]
fn max_and_min_without_a_tie_follow_the_one_returned() {
    assert_eq!(partials(1.0, 2.0, |a, b| a.max(b)), (2.0, 0.0, 1.0));
    assert_eq!(partials(2.0, 1.0, |a, b| a.max(b)), (2.0, 1.0, 0.0));
    assert_eq!(partials(1.0, 2.0, |a, b| a.min(b)), (1.0, 1.0, 0.0));
    assert_eq!(partials(2.0, 1.0, |a, b| a.min(b)), (1.0, 0.0, 1.0));
}

#[test]
fn max_and_min_with_a_nan_operand_return_the_other() {
    let nan = f64::NAN;
    // A NaN Var on either side.
    assert_eq!(partials(nan, 3.0, |a, b| a.max(b)), (3.0, 0.0, 1.0));
    assert_eq!(partials(3.0, nan, |a, b| a.max(b)), (3.0, 1.0, 0.0));
    assert_eq!(partials(nan, 3.0, |a, b| a.min(b)), (3.0, 0.0, 1.0));
    assert_eq!(partials(3.0, nan, |a, b| a.min(b)), (3.0, 1.0, 0.0));
    // A NaN constant on either side.
    assert_eq!(derivative(3.0, |x| x.max(nan)), (3.0, 1.0));
    assert_eq!(derivative(3.0, |x| x.min(nan)), (3.0, 1.0));
    assert_eq!(derivative(3.0, |x| Var::constant(nan).max(x)), (3.0, 1.0));
    assert_eq!(derivative(3.0, |x| Var::constant(nan).min(x)), (3.0, 1.0));
}

#[test]
fn rounding_functions_have_derivative_zero_and_return_constants() {
    for x in [2.5, -2.5, 3.0, -0.0, 0.7, -0.3] {
        let tape = Tape::new();
        let v = tape.var(x);
        let len = tape.len();
        let results = [
            ("floor", v.floor(), x.floor()),
            ("ceil", v.ceil(), x.ceil()),
            ("round", v.round(), x.round()),
            ("trunc", v.trunc(), x.trunc()),
            ("signum", v.signum(), x.signum()),
        ];
        assert_eq!(tape.len(), len, "rounding at {x} recorded a node");
        for (name, y, expected) in results {
            assert!(y.is_constant(), "{name}({x}) is not a constant");
            assert!(same(y.value(), expected), "{name}({x}) = {}", y.value());
            assert_eq!(tape.backward(y)[v], 0.0, "{name}'({x})");
            // Inside a larger expression the rounded factor counts as a constant.
            let z = y * v;
            assert_eq!(tape.backward(z)[v], expected, "d({name}(x) x)/dx at {x}");
        }
    }
}

#[test]
fn fract_derivative_is_one() {
    assert_eq!(derivative(2.75, |x| x.fract()), (0.75, 1.0));
    assert_eq!(derivative(-2.75, |x| x.fract()), (-0.75, 1.0));
    // The jumps at the integers are not seen.
    assert_eq!(derivative(3.0, |x| x.fract()), (0.0, 1.0));
    assert_eq!(derivative(0.0, |x| x.fract()), (0.0, 1.0));
}

#[test]
fn copysign_derivative_is_plus_or_minus_one_and_zero_for_the_sign() {
    assert_eq!(partials(2.0, 5.0, |x, s| x.copysign(s)), (2.0, 1.0, 0.0));
    assert_eq!(partials(2.0, -5.0, |x, s| x.copysign(s)), (-2.0, -1.0, 0.0));
    assert_eq!(partials(-2.0, 5.0, |x, s| x.copysign(s)), (2.0, -1.0, 0.0));
    assert_eq!(partials(-2.0, -5.0, |x, s| x.copysign(s)), (-2.0, 1.0, 0.0));
}

#[test]
fn abs_sub_derivative_is_zero_where_self_is_not_above_other() {
    assert_eq!(partials(1.0, 3.0, |a, b| a.abs_sub(b)), (0.0, 0.0, 0.0));
    assert_eq!(partials(3.0, 3.0, |a, b| a.abs_sub(b)), (0.0, 0.0, 0.0));
    assert_eq!(partials(5.0, 3.0, |a, b| a.abs_sub(b)), (2.0, 1.0, -1.0));
}

// ---- powf and powi at a zero base ------------------------------------------------------

#[test]
fn powf_at_zero_base_follows_the_limits_with_respect_to_the_base() {
    // (exponent, value, d/dx) at x = 0.
    let cases = [
        (2.5, 0.0, 0.0),
        (2.0, 0.0, 0.0),
        (1.0, 0.0, 1.0),
        (0.5, 0.0, f64::INFINITY),
        (0.0, 1.0, 0.0),
    ];
    for (y, value, dx) in cases {
        // A constant exponent.
        assert_eq!(
            derivative(0.0, |x| x.powf(y)),
            (value, dx),
            "0^{y}, f64 exponent"
        );
        // A Var exponent.
        let (v, d_base, _) = partials(0.0, y, |x, y| x.powf(y));
        assert_eq!((v, d_base), (value, dx), "0^{y}, Var exponent");
    }
}

#[test]
fn powf_at_zero_base_has_derivative_zero_with_respect_to_a_positive_exponent() {
    for y in [0.25, 0.5, 1.0, 2.0, 2.5, 10.0] {
        let (value, _, d_exponent) = partials(0.0, y, |x, y| x.powf(y));
        assert_eq!(value, 0.0);
        assert_eq!(d_exponent, 0.0, "∂(0^y)/∂y at y = {y}");
    }
    // A constant base.
    assert_eq!(derivative(2.5, |y| Var::constant(0.0).powf(y)), (0.0, 0.0));
}

#[test]
fn powf_of_a_negative_base_and_non_integer_exponent_is_nan() {
    let (value, dx, dy) = partials(-2.0, 0.5, |x, y| x.powf(y));
    assert!(value.is_nan() && dx.is_nan() && dy.is_nan());
    let (value, dx) = derivative(-2.0, |x| x.powf(1.5));
    assert!(value.is_nan() && dx.is_nan());
}

#[test]
fn powi_zero_has_derivative_zero_everywhere() {
    assert_eq!(derivative(0.0, |x| x.powi(0)), (1.0, 0.0));
    assert_eq!(derivative(-0.0, |x| x.powi(0)), (1.0, 0.0));
    assert_eq!(derivative(3.0, |x| x.powi(0)), (1.0, 0.0));
    assert_eq!(derivative(-7.5, |x| x.powi(0)), (1.0, 0.0));
}

#[test]
fn powi_at_zero() {
    assert_eq!(derivative(0.0, |x| x.powi(1)), (0.0, 1.0));
    assert_eq!(derivative(0.0, |x| x.powi(2)), (0.0, 0.0));
    assert_eq!(derivative(0.0, |x| x.powi(3)), (0.0, 0.0));
}

// ---- Saturation and infinite derivatives ---------------------------------------------

#[test]
fn tanh_derivative_is_zero_not_nan_where_it_saturates() {
    let cases = [
        (800.0, 1.0),
        (-800.0, -1.0),
        (f64::INFINITY, 1.0),
        (f64::NEG_INFINITY, -1.0),
    ];
    for (x, value) in cases {
        let (v, d) = derivative(x, |x| x.tanh());
        assert_eq!(v, value, "tanh({x})");
        assert_eq!(d, 0.0, "tanh'({x})");
    }
    // Where tanh is already ±1.0 in f64 the derivative is still a number, not NaN.
    for x in [40.0, -40.0] {
        let (v, d) = derivative(x, |x| x.tanh());
        assert_eq!(v.abs(), 1.0);
        assert!((0.0..1e-30).contains(&d), "tanh'({x}) = {d}");
    }
}

#[test]
fn sqrt_derivative_at_zero_is_plus_infinity() {
    assert_eq!(derivative(0.0, |x| x.sqrt()), (0.0, f64::INFINITY));
}

#[test]
fn ln_derivative_at_zero_is_plus_infinity() {
    assert_eq!(
        derivative(0.0, |x| x.ln()),
        (f64::NEG_INFINITY, f64::INFINITY)
    );
}

#[test]
fn cbrt_derivative_at_zero_is_plus_infinity() {
    assert_eq!(derivative(0.0, |x| x.cbrt()), (0.0, f64::INFINITY));
    assert_eq!(derivative(-0.0, |x| x.cbrt()).1, f64::INFINITY);
}

#[test]
fn inverse_functions_have_the_documented_infinities_at_their_domain_edges() {
    assert_eq!(derivative(1.0, |x| x.asin()).1, f64::INFINITY);
    assert_eq!(derivative(-1.0, |x| x.asin()).1, f64::INFINITY);
    assert_eq!(derivative(1.0, |x| x.acos()).1, f64::NEG_INFINITY);
    assert_eq!(derivative(-1.0, |x| x.acos()).1, f64::NEG_INFINITY);
    assert_eq!(derivative(1.0, |x| x.acosh()).1, f64::INFINITY);
    assert_eq!(derivative(1.0, |x| x.atanh()).1, f64::INFINITY);
    assert_eq!(derivative(-1.0, |x| x.atanh()).1, f64::INFINITY);
}

// ---- Two-operand functions at the origin -----------------------------------------------

#[test]
fn hypot_at_the_origin_has_zero_partials() {
    assert_eq!(partials(0.0, 0.0, |x, y| x.hypot(y)), (0.0, 0.0, 0.0));
    assert_eq!(partials(-0.0, 0.0, |x, y| x.hypot(y)), (0.0, 0.0, 0.0));
    assert_eq!(derivative(0.0, |x| x.hypot(0.0)), (0.0, 0.0));
}

#[test]
fn atan2_at_the_origin_has_nan_partials() {
    let (value, dy, dx) = partials(0.0, 0.0, |y, x| y.atan2(x));
    assert_eq!(value, 0.0);
    assert!(dy.is_nan(), "∂atan2/∂y at the origin: {dy}");
    assert!(dx.is_nan(), "∂atan2/∂x at the origin: {dx}");
}

#[test]
fn clamp_at_a_bound_takes_the_derivative_of_the_bound() {
    let tape = Tape::new();
    let (lo, hi) = (tape.var(-1.0), tape.var(2.0));
    // (x, value, d/dx, d/dlo, d/dhi)
    let cases = [
        (-1.0, -1.0, 0.0, 1.0, 0.0),
        (2.0, 2.0, 0.0, 0.0, 1.0),
        (-3.0, -1.0, 0.0, 1.0, 0.0),
        (5.0, 2.0, 0.0, 0.0, 1.0),
        (0.5, 0.5, 1.0, 0.0, 0.0),
    ];
    for (x, value, dx, dlo, dhi) in cases {
        let v = tape.var(x);
        let y = v.clamp(lo, hi);
        let grads = tape.backward(y);
        assert_eq!(
            (y.value(), grads[v], grads[lo], grads[hi]),
            (value, dx, dlo, dhi),
            "clamp({x}, -1, 2)"
        );
    }
    // Constant bounds: at or beyond a bound, the result is that constant.
    assert_eq!(derivative(-1.0, |x| x.clamp(-1.0, 2.0)), (-1.0, 0.0));
    assert_eq!(derivative(2.0, |x| x.clamp(-1.0, 2.0)), (2.0, 0.0));
    assert_eq!(derivative(0.0, |x| x.clamp(-1.0, 2.0)), (0.0, 1.0));
}

#[test]
fn clamp_keeps_the_sign_of_zero_that_f64_keeps() {
    // f64: (-0.0).clamp(0.0, 1.0) is -0.0, and 0.0.clamp(-1.0, -0.0) is 0.0.
    let (value, d) = derivative(-0.0, |x| x.clamp(0.0, 1.0));
    assert!(same(value, -0.0), "{value}");
    assert_eq!(d, 0.0, "a constant bound: derivative 0");
    let (value, d) = derivative(0.0, |x| x.clamp(-1.0, -0.0));
    assert!(same(value, 0.0), "{value}");
    assert_eq!(d, 0.0);
    // A bound that is a Var: its derivative, with f64's value.
    let tape = Tape::new();
    let (x, lo) = (tape.var(-0.0), tape.var(0.0));
    let y = x.clamp(lo, 1.0);
    let grads = tape.backward(y);
    assert!(same(y.value(), -0.0));
    assert_eq!((grads[x], grads[lo]), (0.0, 1.0));
    for x in [-2.0, -0.0, 0.0, 0.25, 3.0] {
        for (lo, hi) in [(0.0, 1.0), (-0.0, 0.0), (-1.0, -0.0), (-0.0, 2.0)] {
            let value = derivative(x, |v| v.clamp(lo, hi)).0;
            assert!(
                same(value, x.clamp(lo, hi)),
                "clamp({x}, {lo}, {hi}) = {value}"
            );
        }
    }
}

#[test]
fn remainder_partial_uses_the_quotient_of_the_value() {
    // 1 % 0.1 = 0.09999999999999995 = 1 - 9 · 0.1 (the quotient is 9, though 1 / 0.1
    // rounds to 10): ∂/∂y = -9.
    let (value, dx, dy) = partials(1.0, 0.1, |x, y| x % y);
    assert_eq!(value, 1.0 % 0.1);
    assert_eq!((dx, dy), (1.0, -9.0));
    // The quotient that each remainder used, found exactly by counting: r = x - q y.
    for (x, y) in [
        (1.0, 0.1),
        (7.5, 2.0),
        (-7.5, 2.0),
        (5.3, -0.7),
        (1e17, 3.0),
        (0.3, 0.1),
    ] {
        let (value, _, dy) = partials(x, y, |x, y| x % y);
        let q = -dy;
        assert_eq!(q, q.trunc(), "{x} % {y}: the quotient is an integer");
        assert!(
            (x - q * y - value).abs() <= 4.0 * f64::EPSILON * x.abs(),
            "{x} % {y} = {value}, quotient {q}"
        );
    }
}

#[test]
fn remainder_partial_at_quotients_where_the_division_rounds_past_a_half() {
    // 1e16 / 3 rounds to 3333333333333333.5; the remainder 1 used q = 3333333333333333.
    let (value, _, dy) = partials(1e16, 3.0, |x, y| x % y);
    assert_eq!(value, 1.0);
    assert_eq!(dy, -3_333_333_333_333_333.0);
    let (_, _, dy) = partials(-1e16, 3.0, |x, y| x % y);
    assert_eq!(dy, 3_333_333_333_333_333.0);
}

#[test]
fn atan2_and_hypot_partials_at_infinity_are_their_limits() {
    for (y, x) in [
        (0.0, f64::INFINITY),
        (1.0, f64::INFINITY),
        (f64::INFINITY, 1.0),
    ] {
        let (_, dy, dx) = partials(y, x, |y, x| y.atan2(x));
        assert_eq!((dy, dx), (0.0, 0.0), "atan2({y}, {x})");
    }
    assert_eq!(
        partials(f64::INFINITY, 1.0, |x, y| x.hypot(y)),
        (f64::INFINITY, 1.0, 0.0)
    );
    assert_eq!(
        partials(2.0, f64::NEG_INFINITY, |x, y| x.hypot(y)),
        (f64::INFINITY, 0.0, -1.0)
    );
    // NaN stays NaN.
    assert!(
        partials(f64::NAN, f64::INFINITY, |y, x| y.atan2(x))
            .1
            .is_nan()
    );
}

#[test]
fn atan2_partials_are_exact_where_the_arithmetic_is() {
    assert_eq!(
        partials(1.0, 1.0, |y, x| y.atan2(x)),
        (std::f64::consts::FRAC_PI_4, 0.5, -0.5)
    );
    assert_eq!(partials(3.0, 4.0, |y, x| y.atan2(x)).1, 4.0 / 25.0);
    assert_eq!(partials(3.0, 4.0, |y, x| y.atan2(x)).2, -3.0 / 25.0);
    // Far out and close in, where x² + y² over- or underflows: still right to a few ulps.
    for scale in [1e200, 1e-200] {
        let (_, dy, dx) = partials(3.0 * scale, 4.0 * scale, |y, x| y.atan2(x));
        let (ey, ex) = (4.0 / 25.0 / scale, -3.0 / 25.0 / scale);
        assert!((dy - ey).abs() <= 1e-15 * ey.abs(), "{dy} vs {ey}");
        assert!((dx - ex).abs() <= 1e-15 * ex.abs(), "{dx} vs {ex}");
    }
}

#[test]
#[should_panic(expected = "clamp needs min <= max")]
fn clamp_with_min_above_max_panics() {
    let tape = Tape::new();
    let x = tape.var(0.0);
    let _ = x.clamp(2.0, 1.0);
}

// ---- NaN and infinities ------------------------------------------------------------------

#[test]
fn nan_flows_through_arithmetic() {
    let tape = Tape::new();
    let x = tape.var(f64::NAN);
    let y = x * 2.0;
    assert!(y.value().is_nan());
    assert_eq!(tape.backward(y)[x], 2.0);
    let z = x.sin() + 1.0;
    assert!(z.value().is_nan());
    assert!(tape.backward(z)[x].is_nan());
}

#[test]
fn infinities_flow_through_like_f64() {
    assert_eq!(
        derivative(f64::INFINITY, |x| x.exp()),
        (f64::INFINITY, f64::INFINITY)
    );
    assert_eq!(derivative(f64::NEG_INFINITY, |x| x.exp()), (0.0, 0.0));
    assert_eq!(derivative(f64::INFINITY, |x| x * 2.0), (f64::INFINITY, 2.0));
    assert_eq!(
        derivative(f64::NEG_INFINITY, |x| x + 1.0),
        (f64::NEG_INFINITY, 1.0)
    );
    let (value, d) = derivative(f64::INFINITY, |x| x - x);
    assert!(value.is_nan());
    assert_eq!(d, 0.0);
    assert_eq!(
        derivative(0.0, |x| 1.0 / x),
        (f64::INFINITY, f64::NEG_INFINITY)
    );
}

#[test]
fn out_of_domain_inputs_give_nan_without_panicking() {
    let (value, d) = derivative(-1.0, |x| x.sqrt());
    assert!(value.is_nan() && d.is_nan());
    let (value, d) = derivative(-1.0, |x| x.ln());
    assert!(value.is_nan());
    assert_eq!(d, -1.0);
    let (value, d) = derivative(2.0, |x| x.asin());
    assert!(value.is_nan() && d.is_nan());
    let (value, _) = derivative(0.5, |x| x.acosh());
    assert!(value.is_nan());
}

/// The gradient of `y` must not depend on operations recorded before `y` that `y` does
/// not use. A flat backward sweep visits them with adjoint 0, and `0 * inf` or `0 * NaN`
/// in the chain rule turns the gradient into NaN.
#[test]
fn unused_nodes_with_non_finite_partials_do_not_affect_the_gradient() {
    // An infinite input: exp'(inf) = inf.
    let tape = Tape::new();
    let x = tape.var(f64::INFINITY);
    let _unused = x.exp();
    let y = x * 2.0;
    assert_eq!(tape.backward(y)[x], 2.0, "d(2x)/dx at x = inf");

    // A NaN input: sin'(NaN) = NaN.
    let tape = Tape::new();
    let x = tape.var(f64::NAN);
    let _unused = x.sin();
    let y = x * 2.0;
    assert_eq!(tape.backward(y)[x], 2.0, "d(2x)/dx at x = NaN");

    // A finite input: sqrt'(0) = +inf and ln'(0) = +inf, documented conventions.
    let tape = Tape::new();
    let (x, w) = (tape.var(0.0), tape.var(3.0));
    let _unused = x.sqrt();
    let _unused = x.ln();
    let y = x * w;
    let grads = tape.backward(y);
    assert_eq!((grads[x], grads[w]), (3.0, 0.0), "d(xw) at x = 0");
}

const SPECIAL: [f64; 16] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    2.0,
    -3.0,
    f64::MIN_POSITIVE,
    5e-324,
    f64::MAX,
    f64::MIN,
    1e-300,
];

/// For each method, at every special value: the value is the f64 method's, bit for bit
/// (NaN matching any NaN), and the backward sweep runs without panicking.
macro_rules! unary_methods_match_f64 {
    ($($method:ident),* $(,)?) => {$(
        for x in SPECIAL {
            let tape = Tape::new();
            let v = tape.var(x);
            let y = v.$method();
            let _ = tape.backward(y)[v];
            let expected = x.$method();
            assert!(
                same(y.value(), expected),
                "{}({:?}): tapegrad {:?}, f64 {:?}",
                stringify!($method),
                x,
                y.value(),
                expected
            );
        }
    )*};
}

/// As [`unary_methods_match_f64`] for the methods and operators of two operands, both
/// Vars, and with either one an `f64`.
macro_rules! binary_methods_match_f64 {
    ($(|$a:ident, $b:ident| $expr:expr),* $(,)?) => {$(
        for a in SPECIAL {
            for b in SPECIAL {
                let expected = { let ($a, $b) = (a, b); $expr };
                let tape = Tape::new();
                let (va, vb) = (tape.var(a), tape.var(b));
                let results = [
                    { let ($a, $b) = (va, vb); $expr },
                    { let ($a, $b) = (va, Var::constant(b)); $expr },
                    { let ($a, $b) = (Var::constant(a), vb); $expr },
                ];
                for y in results {
                    let grads = tape.backward(y);
                    let _ = (grads[va], grads[vb]);
                    assert!(
                        same(y.value(), expected),
                        "{} at ({:?}, {:?}): tapegrad {:?}, f64 {:?}",
                        stringify!($expr),
                        a,
                        b,
                        y.value(),
                        expected
                    );
                }
            }
        }
    )*};
}

#[test]
fn special_values_flow_through_one_operand_methods_like_f64() {
    unary_methods_match_f64!(
        sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh, exp, exp2, exp_m1,
        ln, ln_1p, log2, log10, sqrt, cbrt, recip, abs, floor, ceil, round, trunc, fract, signum,
        to_degrees, to_radians,
    );
    for x in SPECIAL {
        let tape = Tape::new();
        let v = tape.var(x);
        let (s, c) = v.sin_cos();
        let _ = tape.backward(s + c)[v];
        assert!(
            same(s.value(), x.sin()) && same(c.value(), x.cos()),
            "sin_cos({x:?})"
        );
        for n in [-3, -2, -1, 0, 1, 2, 3, i32::MAX, i32::MIN] {
            let y = v.powi(n);
            let _ = tape.backward(y)[v];
            assert!(same(y.value(), x.powi(n)), "powi({x:?}, {n})");
        }
        let y = -v;
        assert!(same(y.value(), -x), "-{x:?}");
        let r = v.relu();
        let _ = tape.backward(r)[v];
        assert!(
            (x.is_nan() && r.value().is_nan()) || r.value() == x.max(0.0),
            "relu({x:?})"
        );
    }
}

#[test]
fn special_values_flow_through_two_operand_methods_like_f64() {
    binary_methods_match_f64!(
        |a, b| a + b,
        |a, b| a - b,
        |a, b| a * b,
        |a, b| a / b,
        |a, b| a % b,
        |a, b| a.powf(b),
        |a, b| a.log(b),
        |a, b| a.atan2(b),
        |a, b| a.hypot(b),
        |a, b| a.copysign(b),
        |a, b| a.mul_add(b, a),
        |a, b| a.mul_add(a, b),
    );
    // max and min may return either zero on a tie of +0 and -0: compare with ==.
    for a in SPECIAL {
        for b in SPECIAL {
            let tape = Tape::new();
            let (va, vb) = (tape.var(a), tape.var(b));
            for (y, expected) in [(va.max(vb), a.max(b)), (va.min(vb), a.min(b))] {
                let _ = tape.backward(y)[va];
                assert!(
                    y.value() == expected || (y.value().is_nan() && expected.is_nan()),
                    "max/min of {a:?} and {b:?}"
                );
            }
        }
    }
}

// ---- Constants and what is recorded ------------------------------------------------------

#[test]
fn gradient_with_respect_to_a_constant_is_zero() {
    let tape = Tape::new();
    let x = tape.var(3.0);
    let two = Var::constant(2.0);
    let y = two * x + two.powf(x);
    let grads = tape.backward(y);
    assert_eq!(grads[two], 0.0);
    assert_eq!(grads.wrt(two), 0.0);
    assert_eq!(grads[Var::constant(f64::NAN)], 0.0);
}

#[test]
fn a_constant_output_has_gradient_zero_everywhere() {
    let tape = Tape::new();
    let x = tape.var(3.0);
    let grads = tape.backward(Var::constant(5.0));
    assert_eq!(grads[x], 0.0);
}

#[test]
fn gradient_with_respect_to_an_unrelated_or_later_var_is_zero() {
    let tape = Tape::new();
    let x = tape.var(3.0);
    let unrelated = tape.var(4.0);
    let y = x * x;
    let later = tape.var(5.0);
    let grads = tape.backward(y);
    assert_eq!(grads[x], 6.0);
    assert_eq!(grads[unrelated], 0.0);
    assert_eq!(grads[later], 0.0);
}

#[test]
fn operations_on_constants_alone_record_nothing() {
    let tape = Tape::new();
    let x = tape.var(1.0);
    let before = tape.len();
    let (a, b) = (Var::constant(0.5), Var::constant(2.0));
    let results = [
        a + b,
        a - b,
        a * b,
        a / b,
        a % b,
        -a,
        a + 1.0,
        3.0 * b,
        a.sin(),
        a.exp(),
        a.ln(),
        a.sqrt(),
        a.tanh(),
        a.relu(),
        a.abs(),
        a.powi(3),
        a.powf(b),
        a.log(b),
        a.atan2(b),
        a.hypot(b),
        a.max(b),
        a.min(b),
        a.clamp(0.0, 1.0),
        a.mul_add(b, a),
        a.sin_cos().0,
        Var::sum(&[a, b]),
        Var::dot(&[a, b], &[b, a]),
        [a, b].iter().sum(),
        [a, b].iter().product(),
        <Var<'_> as num_traits::Float>::powf(a, b),
        <Var<'_> as num_traits::FloatConst>::PI() * a,
    ];
    assert_eq!(tape.len(), before, "an operation on constants was recorded");
    for (i, y) in results.iter().enumerate() {
        assert!(y.is_constant(), "result {i} is not a constant");
    }
    let mut c = a;
    c += b;
    c *= 2.0;
    c -= a;
    c /= b;
    c %= b;
    assert!(c.is_constant());
    assert_eq!(tape.len(), before);
    assert_eq!(tape.backward(x * 2.0)[x], 2.0);
}

#[test]
#[allow(clippy::op_ref)] // the operators on references are under test
fn an_operator_between_an_f64_and_a_var_records_one_node() {
    let tape = Tape::new();
    let x = tape.var(1.5);
    macro_rules! one_node {
        ($what:literal, $expr:expr) => {{
            let before = tape.len();
            let y = $expr;
            assert!(!y.is_constant(), "{} is a constant", $what);
            assert_eq!(tape.len(), before + 1, "{} did not record one node", $what);
        }};
    }
    one_node!("Var + f64", x + 2.0);
    one_node!("Var - f64", x - 2.0);
    one_node!("Var * f64", x * 2.0);
    one_node!("Var / f64", x / 2.0);
    one_node!("Var % f64", x % 2.0);
    one_node!("f64 + Var", 2.0 + x);
    one_node!("f64 - Var", 2.0 - x);
    one_node!("f64 * Var", 2.0 * x);
    one_node!("f64 / Var", 2.0 / x);
    one_node!("f64 % Var", 2.0 % x);
    one_node!("&Var + &f64", &x + &2.0);
    one_node!("&f64 * &Var", &2.0 * &x);
    one_node!("Var + constant", x + Var::constant(2.0));
    one_node!("Var.powf(f64)", x.powf(2.5));
    one_node!("Var.log(f64)", x.log(2.0));
    one_node!("Var.atan2(f64)", x.atan2(2.0));
    one_node!("Var.hypot(f64)", x.hypot(2.0));
    one_node!("Var.mul_add(f64, f64)", x.mul_add(2.0, 3.0));
    one_node!("Var += f64", {
        let mut y = x;
        y += 2.0;
        y
    });
}

#[test]
fn grouped_operations_record_one_node() {
    let tape = Tape::new();
    let x = tape.vars(&[1.0, 2.0, 3.0]);
    let before = tape.len();
    let _ = Var::sum(&x);
    assert_eq!(tape.len(), before + 1, "Var::sum");
    let _ = Var::dot(&x, &x);
    assert_eq!(tape.len(), before + 2, "Var::dot");
    let _ = x[0].mul_add(x[1], x[2]);
    assert_eq!(tape.len(), before + 3, "mul_add");
    let _: Var<'_> = x.iter().sum();
    assert_eq!(tape.len(), before + 4, "Sum");
}

// ---- Default and Display -----------------------------------------------------------------

#[test]
fn default_is_the_constant_zero() {
    let zero = Var::default();
    assert!(zero.is_constant());
    assert!(same(zero.value(), 0.0));
    let tape = Tape::new();
    let x = tape.var(2.0);
    let y = x * 3.0 + Var::default();
    assert_eq!(tape.backward(y)[x], 3.0);
    assert_eq!(tape.backward(y)[zero], 0.0);
}

#[test]
fn display_formats_like_f64() {
    let tape = Tape::new();
    let values = [
        1.0 / 3.0,
        -2.5,
        0.1 + 0.2,
        1e20,
        -1e-7,
        0.0,
        -0.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    for x in values {
        for v in [tape.var(x), Var::constant(x)] {
            assert_eq!(format!("{v}"), format!("{x}"));
            assert_eq!(format!("{v:.3}"), format!("{:.3}", v.value()));
            assert_eq!(format!("{v:>12.4}"), format!("{x:>12.4}"));
            assert_eq!(format!("{v:<+10}"), format!("{x:<+10}"));
            assert_eq!(format!("{v:^9.1}"), format!("{x:^9.1}"));
            assert_eq!(format!("{v:010.2}"), format!("{x:010.2}"));
            assert_eq!(format!("{v:e}"), format!("{x:e}"));
            assert_eq!(format!("{v:.2E}"), format!("{x:.2E}"));
        }
    }
}

#[test]
fn logarithms_and_sqrt_at_negative_zero_have_derivative_plus_inf() {
    let tape = Tape::new();
    let x = tape.var(-0.0);
    for (name, y) in [
        ("sqrt", x.sqrt()),
        ("ln", x.ln()),
        ("log2", x.log2()),
        ("log10", x.log10()),
        ("log(_, 3)", x.log(3.0)),
    ] {
        assert_eq!(tape.backward(y)[x], f64::INFINITY, "{name}'(-0.0)");
    }
}

#[test]
fn a_zero_adjoint_passes_nothing_back() {
    // y = 0 * sqrt(x) is 0 for every x >= 0: its derivative is 0, not 0 * inf.
    let tape = Tape::new();
    let x = tape.var(0.0);
    let y = 0.0 * x.sqrt() + x;
    assert_eq!(tape.backward(y)[x], 1.0);
}

#[test]
fn max_and_min_return_the_winner_itself_and_record_a_node_only_on_a_tie() {
    let tape = Tape::new();
    let x = tape.var(3.0);
    let y = tape.var(1.0);
    let before = tape.len();
    let larger = x.max(y);
    let smaller = x.min(y);
    let clipped = y.max(2.0);
    assert_eq!(tape.len(), before, "no node for a clear winner");
    assert_eq!(
        (larger.value(), smaller.value(), clipped.value()),
        (3.0, 1.0, 2.0)
    );
    assert!(clipped.is_constant());
    let grads = tape.backward(larger * 10.0 + smaller);
    assert_eq!((grads[x], grads[y]), (10.0, 1.0));
    let tie = x.max(tape.var(3.0));
    assert_eq!(
        tape.len(),
        before + 1 + 1 + 1 + 1,
        "the tie records its node"
    );
    assert_eq!(tape.backward(tie)[x], 0.5);
}
