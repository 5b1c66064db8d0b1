//! [`tapegrad::Special`] against mpmath: values, first derivatives (through
//! [`Tape::backward`]) and second derivatives (through `tapegrad::hessian`).
//!
//! `tests/reference/special.py` evaluates each function and its derivatives in closed
//! form with mpmath at 50 digits, at the exact value of each f64 test point;
//! `tests/reference/special_cases.rs` holds the results rounded to f64. Besides the
//! tables: the conventions at the poles, constants, `f32`, generic code, and the Hessian
//! of `erf` at 0.7 that motivated the functions.

use num_traits::Float;
use tapegrad::{Special, Tape, Var};

// The tables hold plain literals that happen to be near π, ln 2, ... (clippy would have
// them written as `std::f64::consts`); they are data, generated, and stay as is.
#[allow(clippy::approx_constant)]
mod cases {
    include!("reference/special_cases.rs");
}

/// The largest relative error accepted for a value: the values come from `libm` (within
/// 1e-15 of the truth) and from tapegrad's ψ family (within a few ulps), so 1e-13
/// leaves a wide margin, while a wrong branch or a lost digit of cancellation is far off.
const VALUE_TOLERANCE: f64 = 1e-13;

/// The largest relative error accepted for a first or second derivative.
const DERIVATIVE_TOLERANCE: f64 = 1e-12;

/// `|got - expected| / |expected|`; a reference of exactly 0 must be matched exactly,
/// and a NaN is infinitely far.
fn relative_error(got: f64, expected: f64) -> f64 {
    let error = if expected == 0.0 {
        got.abs()
    } else {
        ((got - expected) / expected).abs()
    };
    if error.is_nan() { f64::INFINITY } else { error }
}

/// Collects mismatches and the worst error of each kind, to report them all at once.
#[derive(Default)]
struct Checks {
    failures: Vec<String>,
    /// (what, worst relative error, where)
    worst: Vec<(String, f64, String)>,
}

impl Checks {
    fn compare(&mut self, kind: &str, at: &str, got: f64, expected: f64, tolerance: f64) {
        let error = relative_error(got, expected);
        if error > tolerance {
            self.failures.push(format!(
                "{at}: {kind}: expected {expected:?}, got {got:?} (relative error {error:.2e})"
            ));
        }
        match self.worst.iter_mut().find(|(k, _, _)| k == kind) {
            Some(entry) if error > entry.1 => *entry = (kind.to_owned(), error, at.to_owned()),
            Some(_) => {}
            None => self.worst.push((kind.to_owned(), error, at.to_owned())),
        }
    }

    /// Prints the worst error of each kind (`cargo test -- --nocapture` shows them) and
    /// panics with every failure.
    fn finish(self) {
        for (kind, error, at) in &self.worst {
            println!("worst {kind:<28} {error:9.2e} at {at}");
        }
        assert!(!self.worst.is_empty(), "nothing was checked");
        assert!(
            self.failures.is_empty(),
            "{} mismatches:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

/// The method of a UNARY row, by name, on any `Special` type.
fn unary<T: Special>(name: &str, x: T) -> T {
    match name {
        "erf" => x.erf(),
        "erfc" => x.erfc(),
        "ln_gamma" => x.ln_gamma(),
        "gamma" => x.gamma(),
        "digamma" => x.digamma(),
        "trigamma" => x.trigamma(),
        _ => panic!("no method {name:?} in this test"),
    }
}

/// The method of a BINARY row.
fn binary<T: Special>(name: &str, a: T, b: T) -> T {
    match name {
        "ln_beta" => a.ln_beta(b),
        _ => panic!("no method {name:?} in this test"),
    }
}

#[test]
fn values_and_first_derivatives_match_mpmath() {
    let mut checks = Checks::default();
    for &(name, x, value, first, _) in cases::UNARY {
        let at = format!("{name}({x:?})");
        let f64_value = unary(name, x);
        let kind = format!("{name} value");
        checks.compare(&kind, &at, f64_value, value, VALUE_TOLERANCE);
        let tape = Tape::new();
        let var = tape.var(x);
        let y = unary(name, var);
        assert_eq!(
            y.value().to_bits(),
            f64_value.to_bits(),
            "{at}: the Var's value differs from the f64 method's"
        );
        let grads = tape.backward(y);
        let kind = format!("{name} first derivative");
        checks.compare(&kind, &at, grads[var], first, DERIVATIVE_TOLERANCE);
    }
    for &(name, [a, b], value, [da, db], _) in cases::BINARY {
        let at = format!("{name}({a:?}, {b:?})");
        let f64_value = binary(name, a, b);
        let kind = format!("{name} value");
        checks.compare(&kind, &at, f64_value, value, VALUE_TOLERANCE);
        let tape = Tape::new();
        let (va, vb) = (tape.var(a), tape.var(b));
        let y = binary(name, va, vb);
        assert_eq!(y.value().to_bits(), f64_value.to_bits(), "{at}: Var vs f64");
        let grads = tape.backward(y);
        let kind = format!("{name} first derivatives");
        checks.compare(&kind, &at, grads[va], da, DERIVATIVE_TOLERANCE);
        checks.compare(&kind, &at, grads[vb], db, DERIVATIVE_TOLERANCE);
    }
    checks.finish();
}

#[cfg(feature = "nalgebra")]
mod second_order {
    use nalgebra::{Vector1, Vector2};

    use super::*;

    #[test]
    fn second_derivatives_through_hessian_match_mpmath() {
        let mut checks = Checks::default();
        for &(name, x, _, first, second) in cases::UNARY {
            let at = format!("{name}({x:?})");
            let f = |v: &Vector1<Var<'static>>| unary(name, v[0]);
            let (got_value, gradient, hessian) = tapegrad::hessian(f, &Vector1::new(x));
            assert_eq!(got_value.to_bits(), unary(name, x).to_bits(), "{at}");
            let kind = format!("{name} first derivative");
            checks.compare(&kind, &at, gradient[0], first, DERIVATIVE_TOLERANCE);
            let kind = format!("{name} second derivative");
            checks.compare(&kind, &at, hessian[(0, 0)], second, DERIVATIVE_TOLERANCE);
        }
        for &(name, [a, b], _, _, [aa, ab, bb]) in cases::BINARY {
            let at = format!("{name}({a:?}, {b:?})");
            let f = |v: &Vector2<Var<'static>>| binary(name, v[0], v[1]);
            let (_, _, hessian) = tapegrad::hessian(f, &Vector2::new(a, b));
            let kind = format!("{name} second derivatives");
            checks.compare(&kind, &at, hessian[(0, 0)], aa, DERIVATIVE_TOLERANCE);
            checks.compare(&kind, &at, hessian[(0, 1)], ab, DERIVATIVE_TOLERANCE);
            checks.compare(&kind, &at, hessian[(1, 0)], ab, DERIVATIVE_TOLERANCE);
            checks.compare(&kind, &at, hessian[(1, 1)], bb, DERIVATIVE_TOLERANCE);
        }
        checks.finish();
    }

    /// The composite expressions of the COMPOSITE table.
    fn composite<T: Float + Special>(name: &str, x: T, y: T) -> T {
        match name {
            "ln_gamma(x)*erf(y)+digamma(x*y)" => x.ln_gamma() * y.erf() + (x * y).digamma(),
            "ln_beta(x,y)-gamma(x/y)+trigamma(y)*erfc(x)" => {
                x.ln_beta(y) - (x / y).gamma() + y.trigamma() * x.erfc()
            }
            _ => panic!("no expression {name:?} in this test"),
        }
    }

    #[test]
    fn hessians_of_generic_code_using_special_functions_are_exact() {
        let mut checks = Checks::default();
        for &(name, [x, y], value, [gx, gy], [xx, xy, yy]) in cases::COMPOSITE {
            let at = format!("{name} at ({x:?}, {y:?})");
            let f = |v: &Vector2<Var<'static>>| composite(name, v[0], v[1]);
            let (got, gradient, hessian) = tapegrad::hessian(f, &Vector2::new(x, y));
            assert_eq!(
                got,
                composite(name, x, y),
                "{at}: the value differs from f64's"
            );
            checks.compare("composite value", &at, got, value, VALUE_TOLERANCE);
            for (g, expected) in gradient.iter().zip([gx, gy]) {
                checks.compare(
                    "composite gradient",
                    &at,
                    *g,
                    expected,
                    DERIVATIVE_TOLERANCE,
                );
            }
            for ((i, j), expected) in [((0, 0), xx), ((0, 1), xy), ((1, 0), xy), ((1, 1), yy)] {
                let h = hessian[(i, j)];
                checks.compare("composite Hessian", &at, h, expected, DERIVATIVE_TOLERANCE);
            }
        }
        checks.finish();
    }

    /// The motivating case: `erf''(0.7) = -2 · 0.7 · 2/√π e^(-0.49)`.
    #[test]
    fn the_hessian_of_erf_at_0_7() {
        let f = |v: &Vector1<Var<'static>>| v[0].erf();
        let (_, _, hessian) = tapegrad::hessian(f, &Vector1::new(0.7));
        let expected = -0.967784804574754;
        assert!(
            relative_error(hessian[(0, 0)], expected) < 1e-12,
            "{} vs {expected}",
            hessian[(0, 0)]
        );
    }
}

/// The brief's example: a negative log-likelihood written once for `f64` and `Var`.
fn nll<T: Float + Special>(x: T) -> T {
    x.ln_gamma() - x.digamma()
}

#[test]
fn generic_code_runs_on_f64_and_var_with_the_same_value() {
    for x in [0.3, 1.4616321449683622, 2.5, 17.0, -2.5] {
        let tape = Tape::new();
        let v = tape.var(x);
        let y = nll(v);
        assert_eq!(y.value().to_bits(), nll(x).to_bits(), "at {x}");
        let grads = tape.backward(y);
        // d/dx (ln Γ - ψ) = ψ - ψ₁, with the f64 functions.
        let expected = Special::digamma(x) - Special::trigamma(x);
        assert!(relative_error(grads[v], expected) < 1e-15, "at {x}");
    }
    // f32 too, and the value is f64's rounded once.
    assert_eq!(nll(2.5_f32), nll(2.5_f64) as f32);
}

#[test]
fn f32_rounds_the_f64_value() {
    for x in [-3.7_f32, -0.5, 1e-6, 0.7, 1.4616321, 2.0, 9.5, 30.0] {
        let wide = f64::from(x);
        for name in ["erf", "erfc", "ln_gamma", "gamma", "digamma", "trigamma"] {
            let (narrow, expected) = (unary(name, x), unary(name, wide) as f32);
            assert!(
                narrow.to_bits() == expected.to_bits() || narrow.is_nan() && expected.is_nan(),
                "{name}({x}): {narrow} vs {expected}"
            );
        }
        assert_eq!(x.ln_beta(2.5), wide.ln_beta(2.5) as f32);
    }
    // Γ overflows f32 long before f64.
    assert_eq!(Special::gamma(40.0_f32), f32::INFINITY);
}

#[test]
fn constants_in_constants_out() {
    let tape = Tape::new();
    let c = Var::constant(0.7);
    let results = [
        c.erf(),
        c.erfc(),
        c.ln_gamma(),
        c.gamma(),
        c.digamma(),
        c.trigamma(),
        c.ln_beta(Var::constant(2.0)),
    ];
    assert!(results.iter().all(|r| r.is_constant()));
    assert!(tape.is_empty(), "a constant recorded a node");
    assert_eq!(results[0].value(), Special::erf(0.7));
    // A Var with a constant: one edge, to the Var.
    let x = tape.var(1.5);
    let y = x.ln_beta(Var::constant(2.0));
    let grads = tape.backward(y);
    assert_eq!(y.value(), 1.5.ln_beta(2.0));
    let expected = Special::digamma(1.5) - Special::digamma(3.5);
    assert!(relative_error(grads[x], expected) < 1e-15);
}

/// Value, first and second derivative of `name` at `x`, through the tape (the second
/// only with the `nalgebra` feature: NaN without it).
fn value_and_derivatives(name: &str, x: f64) -> [f64; 3] {
    let tape = Tape::new();
    let v = tape.var(x);
    let y = unary(name, v);
    let first = tape.backward(y)[v];
    #[cfg(feature = "nalgebra")]
    let second = {
        let f = |v: &nalgebra::Vector1<Var<'static>>| unary(name, v[0]);
        tapegrad::hessian(f, &nalgebra::Vector1::new(x)).2[(0, 0)]
    };
    #[cfg(not(feature = "nalgebra"))]
    let second = f64::NAN;
    [y.value(), first, second]
}

/// Asserts that each of `got` is `expected` (NaN matching NaN, `-0.0` matching `0.0`).
fn assert_same(at: &str, got: [f64; 3], expected: [f64; 3]) {
    let names = ["value", "first derivative", "second derivative"];
    for ((g, e), what) in got.into_iter().zip(expected).zip(names) {
        if !cfg!(feature = "nalgebra") && what == "second derivative" {
            continue;
        }
        assert!(
            g == e || g.is_nan() && e.is_nan(),
            "{at}: {what} is {g}, expected {e}"
        );
    }
}

#[test]
fn conventions_at_the_poles() {
    let (inf, nan) = (f64::INFINITY, f64::NAN);
    // (function, x, [value, first derivative, second derivative])
    let cases = [
        ("ln_gamma", 0.0, [inf, -inf, inf]),
        ("ln_gamma", -0.0, [inf, inf, inf]),
        ("ln_gamma", -1.0, [inf, nan, inf]),
        ("ln_gamma", -4.0, [inf, nan, inf]),
        ("gamma", 0.0, [inf, -inf, inf]),
        ("gamma", -0.0, [-inf, -inf, -inf]),
        ("gamma", -1.0, [nan, nan, nan]),
        ("gamma", -3.0, [nan, nan, nan]),
        ("digamma", 0.0, [-inf, inf, -inf]),
        ("digamma", -0.0, [inf, inf, inf]),
        ("digamma", -1.0, [nan, inf, nan]),
        ("digamma", -2.0, [nan, inf, nan]),
        ("trigamma", 0.0, [inf, -inf, inf]),
        ("trigamma", -0.0, [inf, inf, inf]),
        ("trigamma", -1.0, [inf, nan, inf]),
        ("trigamma", -7.0, [inf, nan, inf]),
    ];
    for (name, x, expected) in cases {
        assert_same(
            &format!("{name}({x:?})"),
            value_and_derivatives(name, x),
            expected,
        );
    }
}

#[test]
fn conventions_at_infinity_and_nan() {
    let (inf, nan) = (f64::INFINITY, f64::NAN);
    let cases = [
        ("erf", inf, [1.0, 0.0, 0.0]),
        ("erf", -inf, [-1.0, 0.0, 0.0]),
        ("erfc", inf, [0.0, 0.0, 0.0]),
        ("erfc", -inf, [2.0, 0.0, 0.0]),
        ("ln_gamma", inf, [inf, inf, 0.0]),
        ("gamma", inf, [inf, inf, inf]),
        ("digamma", inf, [inf, 0.0, 0.0]),
        ("trigamma", inf, [0.0, 0.0, 0.0]),
        ("digamma", -inf, [nan, nan, nan]),
        ("trigamma", -inf, [nan, nan, nan]),
    ];
    for (name, x, expected) in cases {
        assert_same(
            &format!("{name}({x:?})"),
            value_and_derivatives(name, x),
            expected,
        );
    }
    for name in ["erf", "erfc", "ln_gamma", "gamma", "digamma", "trigamma"] {
        assert_same(name, value_and_derivatives(name, nan), [nan; 3]);
    }
    assert_eq!(Special::ln_beta(2.0, inf), -inf);
    assert!(Special::ln_beta(nan, 2.0).is_nan());
    // At a pole of a + b alone, B = 0.
    assert_eq!(Special::ln_beta(-0.5, -0.5), -inf);
}

/// `ln_beta`'s derivatives where products of its arguments under- or overflow (found by
/// review): ψ(a) - ψ(a+b) and ψ₁ differences at tiny and huge arguments, against mpmath
/// at 60 digits.
#[test]
fn ln_beta_derivatives_at_extreme_arguments() {
    // (a, b, ∂/∂a, ∂²/∂a², ∂²/∂b²)
    let cases = [
        (1e-160, 1e-160, -5.0e159, f64::INFINITY, f64::INFINITY),
        (1e-100, 1e-100, -5.0e99, 7.5e199, 7.5e199),
        (
            5.218_942_554_661_255_6e-101,
            1.007_665_061_895_381e-58,
            -1.916_096_967_012_710_7e100,
            3.671_427_586_995_309e200,
            1.020_149_708_438_426_3e74,
        ),
        (1e300, 1.0, 0.0, 0.0, 1.644_934_066_848_226_4),
    ];
    for (a, b, da, daa, dbb) in cases {
        let (_, gradient, hessian) =
            tapegrad::hessian(|v: &[Var<'static>]| v[0].ln_beta(v[1]), &[a, b]);
        for (got, expected) in [
            (gradient[0], da),
            (hessian[(0, 0)], daa),
            (hessian[(1, 1)], dbb),
        ] {
            let close = if expected.is_infinite() || expected == 0.0 {
                got == expected || (expected == 0.0 && got.abs() < 1e-290)
            } else {
                ((got - expected) / expected).abs() < 1e-13
            };
            assert!(close, "ln_beta({a:e}, {b:e}): {got:e} vs {expected:e}");
        }
    }
    // ∂/∂b of ln B(1, b) as b → ∞ is ψ(b) - ψ(1 + b) → 0.
    let tape = Tape::new();
    let (x, y) = (tape.var(1.0), tape.var(f64::INFINITY));
    let grads = tape.backward(x.ln_beta(y));
    assert_eq!(grads[y], 0.0);
}
