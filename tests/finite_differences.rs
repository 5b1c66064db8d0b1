//! Every differentiable method of `Var`, checked against finite differences of the same
//! computation done in plain `f64`.
//!
//! # The finite-difference estimate
//!
//! For a partial derivative at `x` the test picks a *length scale* `s`: the distance from
//! `x` to the nearest point where the function stops being smooth (a kink, a jump, a
//! pole, a domain edge, or a complex singularity such as `±i` for `atan`), or 1 for entire
//! functions. The domains are drawn so that `s` stays away from 0. With `h = s / 64` it
//! then takes the five-point central stencil
//!
//! ```text
//! D(h) = [8 (f(x+h) - f(x-h)) - (f(x+2h) - f(x-2h))] / (12 h) = f' - h⁴ f⁽⁵⁾ / 30 + O(h⁶)
//! ```
//!
//! at `h` and `h/2`, and one step of Richardson extrapolation cancels the `h⁴` term:
//! `R = D(h/2) + (D(h/2) - D(h)) / 15 = f' + O(h⁶)`. For a function whose derivatives
//! grow like `k! M / sᵏ` (which is what a singularity at distance `s` gives), the error
//! of `R` relative to `|f'| ≈ M / s` is about `(h/s)⁶ ≈ 1.5e-11`.
//!
//! # The tolerance
//!
//! `|tapegrad - R| <= RTOL * max(|tapegrad|, |R|) + truncation + rounding`, where
//!
//! - `truncation = |D(h/2) - D(h)| / 15` estimates the error of `D(h/2)` (about `(h/2)⁴
//!   f⁽⁵⁾ / 30`), which bounds the much smaller error of `R` from above;
//! - `rounding` bounds the error from evaluating `f` in floating point: each sample off by
//!   `ULPS` units in the last place of the largest sample (or of `magnitude`, the size of
//!   the intermediate values, where cancellation can make `f` small), and the abscissae
//!   `x ± kh` off by half an ulp of `x`; the stencil amplifies both by `3.3 / h`;
//! - `RTOL = 1e-9` covers the rounding of tapegrad's own chain rule (a few ulps per
//!   step) with a wide margin.
//!
//! The tolerance so comes to about `1e-8` of `|f'|` at most. Measured over 4000 cases per
//! property, the disagreement never exceeded `5e-11` of `|f'| + M/s`, nor a sixth of its
//! tolerance; a wrong derivative, by contrast, is typically off by a relative `1e-1`.
//!
//! As a check on the test itself, the estimated error of the stencil must be below
//! `1e-6 (|f'| + M / s)`: otherwise the step is not scaled to the function and the
//! comparison would prove nothing, which fails the test instead of passing it silently.
//!
//! Each property also checks that the value of the result equals the `f64` computation
//! exactly, as [`Var::value`] documents.

use std::f64::consts::{FRAC_PI_2, PI};
use std::iter::{Product, Sum};

use num_traits::Float;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use tapegrad::Var;

/// The step of the coarser stencil, as a fraction of the length scale.
const STEP: f64 = 1.0 / 64.0;
/// Relative tolerance on top of the stencil's own error bound (see the module docs).
const RTOL: f64 = 1e-9;
/// How many ulps of error in each evaluation of `f` the rounding bound allows for.
const ULPS: f64 = 16.0;
/// Above this relative error estimate the stencil is deemed unresolved (a test bug).
const RESOLVED: f64 = 1e-6;

/// 256 cases per property, or `PROPTEST_CASES` from the environment; no regression files.
fn config() -> ProptestConfig {
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        ProptestConfig::default().cases
    } else {
        256
    };
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// `f'(x)` from the five-point central stencil of step `h`, and the largest `|f|` sampled.
fn five_point(f: &dyn Fn(f64) -> f64, x: f64, h: f64) -> (f64, f64) {
    let samples = [f(x - 2.0 * h), f(x - h), f(x + h), f(x + 2.0 * h)];
    let slope = (8.0 * (samples[2] - samples[1]) - (samples[3] - samples[0])) / (12.0 * h);
    let largest = samples.iter().fold(0.0_f64, |m, s| m.max(s.abs()));
    (slope, largest)
}

/// A finite-difference derivative and a bound on its error.
#[derive(Debug)]
struct Difference {
    slope: f64,
    error: f64,
    /// `M / s`: the size a derivative of this function has at this scale.
    typical: f64,
}

/// `f'(x)` by Richardson extrapolation of two five-point stencils, with steps scaled to
/// the length scale `scale`; `magnitude` is the size of the intermediate values of `f`.
fn difference(f: &dyn Fn(f64) -> f64, x: f64, scale: f64, magnitude: f64) -> Difference {
    let h = STEP * scale;
    let (coarse, m1) = five_point(f, x, h);
    let (fine, m2) = five_point(f, x, h / 2.0);
    let slope = fine + (fine - coarse) / 15.0;
    let truncation = ((fine - coarse) / 15.0).abs();
    let m = m1.max(m2).max(magnitude);
    // Rounding of the samples and of the abscissae, through (16·3 + 1.5)/15 ≈ 3.3 / h.
    let rounding = 3.3 * f64::EPSILON * (ULPS * m + x.abs() * slope.abs()) / h;
    Difference {
        slope,
        error: truncation + rounding,
        typical: m / scale,
    }
}

/// Checks `value` against `f(at)` and each `gradient[i]` against a finite difference of
/// `f` along coordinate `i`, with length scale `scale[i]`.
fn check_gradient(
    f: impl Fn(&[f64]) -> f64,
    at: &[f64],
    scale: &[f64],
    magnitude: f64,
    value: f64,
    gradient: &[f64],
) -> Result<(), TestCaseError> {
    assert_eq!(at.len(), scale.len(), "one length scale per input");
    let plain = f(at);
    prop_assert!(
        value == plain || (value.is_nan() && plain.is_nan()),
        "value at {:?}: tapegrad {:e}, f64 {:e}",
        at,
        value,
        plain
    );
    prop_assert_eq!(gradient.len(), at.len());
    for (i, (&x, &s)) in at.iter().zip(scale).enumerate() {
        prop_assert!(s > 0.0 && s.is_finite(), "bad length scale {}", s);
        let along = |t: f64| {
            let mut point = at.to_vec();
            point[i] = t;
            f(&point)
        };
        let fd = difference(&along, x, s, magnitude);
        prop_assert!(
            fd.error <= RESOLVED * (fd.slope.abs() + fd.typical),
            "test bug: the stencil does not resolve ∂f/∂x{} at {:?} (scale {:e}): {:?}",
            i,
            at,
            s,
            fd
        );
        let ad = gradient[i];
        let tolerance = RTOL * ad.abs().max(fd.slope.abs()) + fd.error;
        prop_assert!(
            (ad - fd.slope).abs() <= tolerance,
            "∂f/∂x{} at {:?}: tapegrad {:e}, finite difference {:e} (difference {:e}, \
             tolerance {:e})",
            i,
            at,
            ad,
            fd.slope,
            ad - fd.slope,
            tolerance
        );
    }
    Ok(())
}

/// Differentiates an expression with tapegrad (on `Var`s) and by finite differences (on
/// `f64`s) and compares. The one-body form writes the expression once for both; the
/// two-body form is for expressions spelt differently on `f64` and on `Var`.
macro_rules! check {
    (at: $at:expr, scale: $scale:expr, |$x:ident| $body:expr) => {
        check!(at: $at, scale: $scale, magnitude: 0.0, f64: |$x| $body, var: |$x| $body)
    };
    (at: $at:expr, scale: $scale:expr, magnitude: $m:expr, |$x:ident| $body:expr) => {
        check!(at: $at, scale: $scale, magnitude: $m, f64: |$x| $body, var: |$x| $body)
    };
    (at: $at:expr, scale: $scale:expr, f64: |$x:ident| $plain:expr, var: |$y:ident| $ad:expr) => {
        check!(at: $at, scale: $scale, magnitude: 0.0, f64: |$x| $plain, var: |$y| $ad)
    };
    (
        at: $at:expr,
        scale: $scale:expr,
        magnitude: $m:expr,
        f64: |$x:ident| $plain:expr,
        var: |$y:ident| $ad:expr
    ) => {{
        let at: &[f64] = &$at;
        let scale: &[f64] = &$scale;
        let (value, gradient) = tapegrad::gradient(|$y| $ad, at);
        check_gradient(|$x: &[f64]| -> f64 { $plain }, at, scale, $m, value, &gradient)
    }};
}

/// `relu` for `f64`, so that one expression serves both types (`Var`'s inherent method
/// takes precedence over this trait).
trait Relu {
    fn relu(self) -> Self;
}

impl Relu for f64 {
    fn relu(self) -> f64 {
        self.max(0.0)
    }
}

/// Log-uniform in `[lo, hi]`.
fn magnitude(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    (lo.ln()..hi.ln()).prop_map(f64::exp)
}

/// Log-uniform magnitude in `[lo, hi]`, either sign.
fn signed(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    (magnitude(lo, hi), any::<bool>()).prop_map(|(m, negative)| if negative { -m } else { m })
}

/// A point at distance `r` from the origin, at an angle within `(-π + margin, π - margin)`.
fn polar(r: (f64, f64), margin: f64) -> impl Strategy<Value = (f64, f64)> {
    (magnitude(r.0, r.1), (-PI + margin)..(PI - margin))
        .prop_map(|(r, theta)| (r * theta.cos(), r * theta.sin()))
}

// Generic helpers, for expressions whose spelling differs between f64 and Var.

fn constant_base_powf<T: Float>(base: f64, y: T) -> T {
    T::from(base).unwrap().powf(y)
}

fn constant_y_atan2<T: Float>(y: f64, x: T) -> T {
    T::from(y).unwrap().atan2(x)
}

fn constant_x_hypot<T: Float>(x: f64, y: T) -> T {
    T::from(x).unwrap().hypot(y)
}

fn constant_mul_add<T: Float>(x: f64, a: T, b: T) -> T {
    T::from(x).unwrap().mul_add(a, b)
}

proptest! {
    #![proptest_config(config())]

    // ---- Trigonometric -------------------------------------------------------------

    #[test]
    fn sin(x in -20.0..20.0_f64) {
        check!(at: [x], scale: [1.0], |v| v[0].sin())?;
    }

    #[test]
    fn cos(x in -20.0..20.0_f64) {
        check!(at: [x], scale: [1.0], |v| v[0].cos())?;
    }

    #[test]
    fn sin_cos(x in -20.0..20.0_f64) {
        check!(at: [x], scale: [1.0], |v| v[0].sin_cos().0)?;
        check!(at: [x], scale: [1.0], |v| v[0].sin_cos().1)?;
        // Both outputs in one expression.
        check!(at: [x], scale: [1.0], |v| {
            let (s, c) = v[0].sin_cos();
            2.0 * s - 3.0 * c * s
        })?;
    }

    /// Away from the poles at odd multiples of π/2, by at least 0.05.
    #[test]
    fn tan(k in -3..=3_i32, t in (-FRAC_PI_2 + 0.05)..(FRAC_PI_2 - 0.05)) {
        let x = f64::from(k) * PI + t;
        check!(at: [x], scale: [FRAC_PI_2 - t.abs()], |v| v[0].tan())?;
    }

    #[test]
    fn asin(x in -0.99..0.99_f64) {
        check!(at: [x], scale: [1.0 - x.abs()], |v| v[0].asin())?;
    }

    #[test]
    fn acos(x in -0.99..0.99_f64) {
        check!(at: [x], scale: [1.0 - x.abs()], |v| v[0].acos())?;
    }

    /// `atan` has its singularities at `±i`, at distance `√(1 + x²)`.
    #[test]
    fn atan(x in -100.0..100.0_f64) {
        check!(at: [x], scale: [x.hypot(1.0)], |v| v[0].atan())?;
    }

    /// Both partials, away from the origin and from the cut along the negative x axis.
    #[test]
    fn atan2((x, y) in polar((0.1, 10.0), 0.05)) {
        let r = x.hypot(y);
        let scale_y = if x < 0.0 { y.abs().min(r) } else { r };
        check!(at: [y, x], scale: [scale_y, r], |v| v[0].atan2(v[1]))?;
        check!(at: [y], scale: [scale_y], |v| v[0].atan2(x))?;
        check!(
            at: [x],
            scale: [r],
            f64: |v| constant_y_atan2(y, v[0]),
            var: |v| constant_y_atan2(y, v[0])
        )?;
    }

    #[test]
    fn to_degrees(x in -1000.0..1000.0_f64) {
        check!(at: [x], scale: [x.abs().max(1.0)], |v| v[0].to_degrees())?;
    }

    #[test]
    fn to_radians(x in -1000.0..1000.0_f64) {
        check!(at: [x], scale: [x.abs().max(1.0)], |v| v[0].to_radians())?;
    }

    // ---- Hyperbolic ----------------------------------------------------------------

    #[test]
    fn sinh(x in -20.0..20.0_f64) {
        check!(at: [x], scale: [1.0], |v| v[0].sinh())?;
    }

    #[test]
    fn cosh(x in -20.0..20.0_f64) {
        check!(at: [x], scale: [1.0], |v| v[0].cosh())?;
    }

    /// Poles at `±iπ/2`, further than the scale 1.
    #[test]
    fn tanh(x in -20.0..20.0_f64) {
        check!(at: [x], scale: [1.0], |v| v[0].tanh())?;
    }

    #[test]
    fn asinh(x in -100.0..100.0_f64) {
        check!(at: [x], scale: [x.hypot(1.0)], |v| v[0].asinh())?;
    }

    #[test]
    fn acosh(d in magnitude(0.01, 100.0)) {
        let x = 1.0 + d;
        check!(at: [x], scale: [x - 1.0], |v| v[0].acosh())?;
    }

    #[test]
    fn atanh(x in -0.99..0.99_f64) {
        check!(at: [x], scale: [1.0 - x.abs()], |v| v[0].atanh())?;
    }

    // ---- Exponentials and logarithms -----------------------------------------------

    #[test]
    fn exp(x in -30.0..30.0_f64) {
        check!(at: [x], scale: [1.0], |v| v[0].exp())?;
    }

    #[test]
    fn exp2(x in -30.0..30.0_f64) {
        check!(at: [x], scale: [1.0], |v| v[0].exp2())?;
    }

    #[test]
    fn exp_m1(x in -30.0..30.0_f64) {
        check!(at: [x], scale: [1.0], |v| v[0].exp_m1())?;
    }

    #[test]
    fn exp_m1_near_zero(x in signed(1e-8, 1e-2)) {
        check!(at: [x], scale: [1.0], |v| v[0].exp_m1())?;
    }

    #[test]
    fn ln(x in magnitude(1e-3, 1e3)) {
        check!(at: [x], scale: [x], |v| v[0].ln())?;
    }

    #[test]
    fn ln_1p(d in magnitude(1e-3, 1e3)) {
        let x = d - 1.0;
        check!(at: [x], scale: [1.0 + x], |v| v[0].ln_1p())?;
    }

    #[test]
    fn ln_1p_near_zero(x in signed(1e-8, 1e-2)) {
        check!(at: [x], scale: [1.0 + x], |v| v[0].ln_1p())?;
    }

    #[test]
    fn log2(x in magnitude(1e-3, 1e3)) {
        check!(at: [x], scale: [x], |v| v[0].log2())?;
    }

    #[test]
    fn log10(x in magnitude(1e-3, 1e3)) {
        check!(at: [x], scale: [x], |v| v[0].log10())?;
    }

    /// Both partials; the base stays 0.1 away from the pole at 1, and above 0.
    #[test]
    fn log(
        x in magnitude(1e-2, 1e2),
        base in prop_oneof![magnitude(1.1, 100.0), magnitude(0.01, 0.9)],
    ) {
        let scale_base = base.min((base - 1.0).abs());
        check!(at: [x, base], scale: [x, scale_base], |v| v[0].log(v[1]))?;
        check!(at: [x], scale: [x], |v| v[0].log(base))?;
    }

    // ---- Powers and roots ----------------------------------------------------------

    #[test]
    fn sqrt(x in magnitude(1e-3, 1e3)) {
        check!(at: [x], scale: [x], |v| v[0].sqrt())?;
    }

    #[test]
    fn cbrt(x in signed(1e-3, 1e3)) {
        check!(at: [x], scale: [x.abs()], |v| v[0].cbrt())?;
    }

    #[test]
    fn recip(x in signed(1e-3, 1e3)) {
        check!(at: [x], scale: [x.abs()], |v| v[0].recip())?;
    }

    /// Near `x`, `x'ⁿ = xⁿ (1 + t)ⁿ` with `t = (x' - x) / x`, which behaves like `e^(nt)`:
    /// it varies on the scale `|x| / |n|`.
    #[test]
    fn powi(x in signed(0.1, 10.0), n in -8..=12_i32) {
        check!(at: [x], scale: [x.abs() / f64::from(n.abs().max(1))], |v| v[0].powi(n))?;
    }

    /// Both partials, at a positive base. As a function of `y`, `xʸ = e^(y ln x)` varies on
    /// the scale `1 / |ln x|`; as a function of `x`, on the scale `x / |y|` (as `powi`).
    #[test]
    fn powf(x in magnitude(1e-2, 1e2), y in -3.0..3.0_f64) {
        let scale_x = x / y.abs().max(1.0);
        let scale_y = 1.0 / x.ln().abs().max(1.0);
        check!(at: [x, y], scale: [scale_x, scale_y], |v| v[0].powf(v[1]))?;
        check!(at: [x], scale: [scale_x], |v| v[0].powf(y))?;
        check!(
            at: [y],
            scale: [scale_y],
            f64: |v| constant_base_powf(x, v[0]),
            var: |v| constant_base_powf(x, v[0])
        )?;
    }

    /// A negative base with a constant integer exponent is defined, and so is `∂/∂x`.
    #[test]
    fn powf_negative_base(x in signed(0.1, 10.0), n in -5..=6_i32) {
        let y = f64::from(n);
        check!(at: [x], scale: [x.abs() / y.abs().max(1.0)], |v| v[0].powf(y))?;
    }

    // ---- Kinks, taken away from them -----------------------------------------------

    #[test]
    fn abs(x in signed(1e-3, 1e3)) {
        check!(at: [x], scale: [x.abs()], |v| v[0].abs())?;
    }

    #[test]
    fn relu(x in signed(1e-3, 1e3)) {
        check!(at: [x], scale: [x.abs()], |v| v[0].relu())?;
    }

    /// Both operands, at least 1e-3 apart; and with a constant operand.
    #[test]
    fn max(a in -10.0..10.0_f64, gap in signed(1e-3, 10.0)) {
        let b = a + gap;
        let s = (b - a).abs();
        check!(at: [a, b], scale: [s, s], |v| v[0].max(v[1]))?;
        check!(at: [a], scale: [s], |v| v[0].max(b))?;
    }

    #[test]
    fn min(a in -10.0..10.0_f64, gap in signed(1e-3, 10.0)) {
        let b = a + gap;
        let s = (b - a).abs();
        check!(at: [a, b], scale: [s, s], |v| v[0].min(v[1]))?;
        check!(at: [a], scale: [s], |v| v[0].min(b))?;
    }

    /// All three operands, at least 1e-3 from each other.
    #[test]
    fn clamp(
        lo in -10.0..10.0_f64,
        width in magnitude(1e-2, 10.0),
        x in -25.0..25.0_f64,
    ) {
        let hi = lo + width;
        let s = (x - lo).abs().min((x - hi).abs());
        prop_assume!(s > 1e-3);
        let s_bounds = (hi - lo).min(s);
        check!(at: [x, lo, hi], scale: [s, s_bounds, s_bounds], |v| v[0].clamp(v[1], v[2]))?;
        check!(at: [x], scale: [s], |v| v[0].clamp(lo, hi))?;
    }

    #[test]
    fn abs_sub(a in -10.0..10.0_f64, gap in signed(1e-3, 10.0)) {
        let b = a + gap;
        let s = (b - a).abs();
        check!(
            at: [a, b],
            scale: [s, s],
            f64: |v| (v[0] - v[1]).max(0.0),
            var: |v| v[0].abs_sub(v[1])
        )?;
    }

    /// `∂/∂sign` is 0 away from a zero sign.
    #[test]
    fn copysign(x in signed(1e-3, 1e3), sign in signed(1e-3, 1e3)) {
        check!(at: [x, sign], scale: [x.abs(), sign.abs()], |v| v[0].copysign(v[1]))?;
    }

    /// Away from the jumps at integers.
    #[test]
    fn fract(n in -10..10_i32, t in 1e-3..(1.0 - 1e-3_f64)) {
        let x = f64::from(n) + t;
        let s = (x - x.round()).abs();
        check!(at: [x], scale: [s], |v| v[0].fract())?;
    }

    // ---- Several operands ----------------------------------------------------------

    /// Away from the origin, the one kink.
    #[test]
    fn hypot((x, y) in polar((0.1, 10.0), 0.0)) {
        let r = x.hypot(y);
        check!(at: [x, y], scale: [r, r], |v| v[0].hypot(v[1]))?;
        check!(at: [x], scale: [r], |v| v[0].hypot(y))?;
        check!(
            at: [y],
            scale: [r],
            f64: |v| constant_x_hypot(x, v[0]),
            var: |v| constant_x_hypot(x, v[0])
        )?;
    }

    #[test]
    fn mul_add(x in -10.0..10.0_f64, a in -10.0..10.0_f64, b in -10.0..10.0_f64) {
        let m = x.abs() * a.abs() + b.abs();
        check!(at: [x, a, b], scale: [1.0, 1.0, 1.0], magnitude: m, |v| v[0].mul_add(v[1], v[2]))?;
        check!(at: [x, b], scale: [1.0, 1.0], magnitude: m, |v| v[0].mul_add(a, v[1]))?;
        check!(at: [x], scale: [1.0], magnitude: m, |v| v[0].mul_add(a, b))?;
        check!(
            at: [a, b],
            scale: [1.0, 1.0],
            magnitude: m,
            f64: |v| constant_mul_add(x, v[0], v[1]),
            var: |v| constant_mul_add(x, v[0], v[1])
        )?;
    }

    // ---- Operators -----------------------------------------------------------------

    #[test]
    #[allow(clippy::op_ref)] // the operators on references are under test
    fn add(a in -100.0..100.0_f64, b in -100.0..100.0_f64) {
        let m = a.abs() + b.abs();
        check!(at: [a, b], scale: [1.0, 1.0], magnitude: m, |v| v[0] + v[1])?;
        check!(at: [a], scale: [1.0], magnitude: m, |v| v[0] + b)?;
        check!(at: [b], scale: [1.0], magnitude: m, |v| a + v[0])?;
        check!(at: [a, b], scale: [1.0, 1.0], magnitude: m, |v| &v[0] + &v[1])?;
    }

    #[test]
    #[allow(clippy::op_ref)] // the operators on references are under test
    fn sub(a in -100.0..100.0_f64, b in -100.0..100.0_f64) {
        let m = a.abs() + b.abs();
        check!(at: [a, b], scale: [1.0, 1.0], magnitude: m, |v| v[0] - v[1])?;
        check!(at: [a], scale: [1.0], magnitude: m, |v| v[0] - b)?;
        check!(at: [b], scale: [1.0], magnitude: m, |v| a - v[0])?;
        check!(at: [a, b], scale: [1.0, 1.0], magnitude: m, |v| &v[0] - v[1])?;
    }

    #[test]
    #[allow(clippy::op_ref)] // the operators on references are under test
    fn mul(a in -100.0..100.0_f64, b in -100.0..100.0_f64) {
        check!(at: [a, b], scale: [1.0, 1.0], |v| v[0] * v[1])?;
        check!(at: [a], scale: [1.0], |v| v[0] * b)?;
        check!(at: [b], scale: [1.0], |v| a * v[0])?;
        check!(at: [a], scale: [1.0], |v| v[0] * v[0])?;
        check!(at: [a, b], scale: [1.0, 1.0], |v| v[0] * &v[1])?;
    }

    #[test]
    #[allow(clippy::op_ref)] // the operators on references are under test
    fn div(a in -100.0..100.0_f64, b in signed(0.1, 100.0)) {
        check!(at: [a, b], scale: [1.0, b.abs()], |v| v[0] / v[1])?;
        check!(at: [a], scale: [1.0], |v| v[0] / b)?;
        check!(at: [b], scale: [b.abs()], |v| a / v[0])?;
        check!(at: [a, b], scale: [1.0, b.abs()], |v| &v[0] / &v[1])?;
    }

    /// `a % b` jumps where `a / b` crosses a non-zero integer: `q = a / b` stays 0.01
    /// from the integers. Along `a` that is a distance `|b| dist(q)`, along `b` about
    /// `|b| dist(q) / |q|`.
    #[test]
    #[allow(clippy::op_ref)] // the operators on references are under test
    fn rem(b in signed(0.5, 5.0), k in -6..6_i32, t in 0.01..0.99_f64) {
        let q = f64::from(k) + t;
        let a = q * b;
        let dist = (q - q.round()).abs();
        let (scale_a, scale_b) = (b.abs() * dist, b.abs() * dist / q.abs().max(1.0));
        let m = a.abs() + b.abs();
        check!(at: [a, b], scale: [scale_a, scale_b], magnitude: m, |v| v[0] % v[1])?;
        check!(at: [a], scale: [scale_a], magnitude: m, |v| v[0] % b)?;
        check!(at: [b], scale: [scale_b], magnitude: m, |v| a % v[0])?;
        check!(at: [a, b], scale: [scale_a, scale_b], magnitude: m, |v| &v[0] % v[1])?;
    }

    #[test]
    fn neg(a in -100.0..100.0_f64) {
        check!(at: [a], scale: [1.0], |v| -v[0])?;
        check!(at: [a], scale: [1.0], |v| -&v[0])?;
    }

    /// `+=`, `-=`, `*=`, `/=` and `%=` with Var and f64 right-hand sides.
    #[test]
    fn compound_assignment(a in 1.0..3.0_f64, b in 1.0..3.0_f64) {
        // y ends as a + a/b - b ∈ [-1.7, 5], where `% 20` and `% (a + 100)` are the
        // identity and have no jump.
        check!(at: [a, b], scale: [1.0, 1.0], |v| {
            let mut y = v[0];
            y *= v[1];
            y += v[0];
            y -= 0.5;
            y *= 2.0;
            y += 1.0;
            y /= v[1];
            y /= 2.0;
            y -= v[1];
            y %= 20.0;
            y %= v[0] + 100.0;
            y
        })?;
    }

    // ---- Sums, products and dot products -------------------------------------------

    /// Up to 150 operands, across the 64-operand chunks of `Sum`; the summands may record
    /// operations themselves.
    #[test]
    fn sum_iterator(xs in prop::collection::vec(-10.0..10.0_f64, 0..150)) {
        let m: f64 = xs.iter().map(|x| x.abs()).sum();
        let ones = vec![1.0; xs.len()];
        check!(at: xs, scale: ones, magnitude: m, |v| v.iter().copied().sum::<_>())?;
        check!(at: xs, scale: ones, magnitude: m, |v| v.iter().sum::<_>())?;
        let m2: f64 = xs.iter().map(|x| x * x).sum();
        check!(
            at: xs,
            scale: ones,
            magnitude: m2,
            |v| v.iter().map(|&x| x * x - 2.0 * x).sum::<_>()
        )?;
    }

    /// Constants among the summands.
    #[test]
    fn sum_iterator_with_constants(xs in prop::collection::vec(-10.0..10.0_f64, 0..100)) {
        let m: f64 = xs.iter().map(|x| x.abs()).sum::<f64>() + 2.5 * xs.len() as f64;
        let ones = vec![1.0; xs.len()];
        check!(
            at: xs,
            scale: ones,
            magnitude: m,
            f64: |v| v.iter().flat_map(|&x| [x, 2.5]).sum::<f64>(),
            var: |v| v.iter().flat_map(|&x| [x, Var::constant(2.5)]).sum::<Var<'_>>()
        )?;
    }

    #[test]
    fn var_sum(xs in prop::collection::vec(-10.0..10.0_f64, 0..150)) {
        let m: f64 = xs.iter().map(|x| x.abs()).sum();
        let ones = vec![1.0; xs.len()];
        check!(
            at: xs,
            scale: ones,
            magnitude: m,
            f64: |v| v.iter().sum::<f64>(),
            var: |v| Var::sum(v)
        )?;
    }

    /// Factors of magnitude in [0.5, 2], so that the product neither overflows nor
    /// vanishes; the product is linear in each factor.
    #[test]
    fn product_iterator(xs in prop::collection::vec(signed(0.5, 2.0), 0..40)) {
        let scale: Vec<f64> = xs.iter().map(|x| x.abs()).collect();
        check!(at: xs, scale: scale, |v| v.iter().copied().product::<_>())?;
        check!(at: xs, scale: scale, |v| v.iter().product::<_>())?;
    }

    /// `Var::dot(xs, ys)` against both slices, and `Var::dot(xs, xs)`.
    #[test]
    fn dot(
        (xs, ys) in (0..100_usize).prop_flat_map(|n| (
            prop::collection::vec(-10.0..10.0_f64, n),
            prop::collection::vec(-10.0..10.0_f64, n),
        )),
    ) {
        let at: Vec<f64> = xs.iter().chain(&ys).copied().collect();
        let m: f64 = xs.iter().zip(&ys).map(|(x, y)| (x * y).abs()).sum();
        let ones = vec![1.0; at.len()];
        check!(
            at: at,
            scale: ones,
            magnitude: m,
            f64: |v| {
                let (a, b) = v.split_at(v.len() / 2);
                a.iter().zip(b).fold(-0.0, |sum, (x, y)| sum + x * y)
            },
            var: |v| {
                let (a, b) = v.split_at(v.len() / 2);
                Var::dot(a, b)
            }
        )?;
        let m2: f64 = xs.iter().map(|x| x * x).sum();
        let ones = vec![1.0; xs.len()];
        check!(
            at: xs,
            scale: ones,
            magnitude: m2,
            f64: |v| v.iter().fold(-0.0, |sum, x| sum + x * x),
            var: |v| Var::dot(v, v)
        )?;
    }
}

// ---- Composite expressions -----------------------------------------------------------

/// The Rosenbrock function, as in the crate's documentation.
fn rosenbrock<T: Float>(x: &[T]) -> T {
    let (one, hundred) = (T::one(), T::from(100.0).unwrap());
    x.windows(2)
        .map(|w| hundred * (w[1] - w[0] * w[0]).powi(2) + (one - w[0]).powi(2))
        .fold(T::zero(), |sum, term| sum + term)
}

/// Cross-entropy of a softmax over `x` for class 0, through a stable log-sum-exp.
fn softmax_cross_entropy<T: Float>(x: &[T]) -> T {
    let top = x.iter().copied().fold(T::neg_infinity(), T::max);
    let total = x
        .iter()
        .map(|&xi| (xi - top).exp())
        .fold(T::zero(), |sum, e| sum + e);
    top + total.ln() - x[0]
}

/// A two-layer network whose weights are the inputs themselves, with a mixture of
/// functions: every input is used several times.
///
/// (No `powf(c(2.0))`: with optimisations the compiler turns it into `x * x` on `f64`,
/// which can differ from `pow(x, 2.0)` by an ulp, while on `Var` the exponent is opaque.)
fn tangle<T: Float + Sum + Product>(x: &[T]) -> T {
    let c = |v: f64| T::from(v).unwrap();
    let hidden: Vec<T> = x
        .windows(2)
        .map(|w| (w[0] * w[1] + c(0.3)).tanh() + w[0].sin() * w[1].cos())
        .collect();
    let pooled: T = hidden.iter().map(|&h| h * h).sum();
    let gates: T = x
        .iter()
        .map(|&xi| (xi * c(0.5)).exp2() / (c(1.0) + xi * xi))
        .product();
    let angle = x[0].atan2(x[x.len() - 1] + c(4.0));
    let spread = x.iter().fold(T::one(), |acc, &xi| acc.hypot(xi));
    let wobble = (x[1] * c(0.3)).asinh() * (x[0] * c(0.2)).atanh() + (spread * c(0.25)).ln_1p();
    (pooled + c(1.0)).sqrt() * angle.cos() + gates.cbrt() - wobble + spread.log10()
        - ((x[0] * c(0.1)).asin() + c(1.5)).powf(c(2.5))
        + spread.log(x[1] * x[1] + c(2.0))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn composite_rosenbrock(xs in prop::collection::vec(-2.0..2.0_f64, 2..8)) {
        let m: f64 = rosenbrock(&xs.iter().map(|x| x.abs() + 1.0).collect::<Vec<_>>());
        let ones = vec![1.0; xs.len()];
        check!(at: xs, scale: ones, magnitude: m, |v| rosenbrock(v))?;
    }

    #[test]
    fn composite_softmax(xs in prop::collection::vec(-5.0..5.0_f64, 1..10)) {
        let ones = vec![1.0; xs.len()];
        check!(at: xs, scale: ones, magnitude: 20.0, |v| softmax_cross_entropy(v))?;
    }

    #[test]
    fn composite_tangle(xs in prop::collection::vec(-2.0..2.0_f64, 2..8)) {
        let ones = vec![1.0; xs.len()];
        check!(at: xs, scale: ones, magnitude: 20.0, |v| tangle(v))?;
    }
}

// ---- Random expressions --------------------------------------------------------------

/// Smooth one-operand building blocks. Each maps `[-2, 2]` into `[-2, 2]` with a slope of
/// at most 3, so that a random tree of them keeps its values and its derivatives in
/// check, and stays inside every domain.
#[derive(Clone, Copy, Debug)]
enum Op1 {
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Asinh,
    Acosh,
    Atanh,
    Exp,
    Exp2,
    ExpM1,
    Ln,
    Ln1p,
    Log2,
    Log10,
    Sqrt,
    Cbrt,
    Recip,
    Cube,
    Powi,
    Square,
    SoftAbs,
    Sigmoid,
    SinCos,
    Degrees,
    Radians,
    Neg,
}

/// Smooth two-operand building blocks, with the same bounds as [`Op1`].
#[derive(Clone, Copy, Debug)]
enum Op2 {
    Add,
    Sub,
    Mul,
    Div,
    MulAdd,
    Powf,
    Log,
    Atan2,
    Hypot,
    Sum,
    Product,
}

const OP1: [Op1; 31] = [
    Op1::Sin,
    Op1::Cos,
    Op1::Tan,
    Op1::Asin,
    Op1::Acos,
    Op1::Atan,
    Op1::Sinh,
    Op1::Cosh,
    Op1::Tanh,
    Op1::Asinh,
    Op1::Acosh,
    Op1::Atanh,
    Op1::Exp,
    Op1::Exp2,
    Op1::ExpM1,
    Op1::Ln,
    Op1::Ln1p,
    Op1::Log2,
    Op1::Log10,
    Op1::Sqrt,
    Op1::Cbrt,
    Op1::Recip,
    Op1::Cube,
    Op1::Powi,
    Op1::Square,
    Op1::SoftAbs,
    Op1::Sigmoid,
    Op1::SinCos,
    Op1::Degrees,
    Op1::Radians,
    Op1::Neg,
];

const OP2: [Op2; 11] = [
    Op2::Add,
    Op2::Sub,
    Op2::Mul,
    Op2::Div,
    Op2::MulAdd,
    Op2::Powf,
    Op2::Log,
    Op2::Atan2,
    Op2::Hypot,
    Op2::Sum,
    Op2::Product,
];

/// How many inputs a random expression reads.
const INPUTS: usize = 4;

#[derive(Clone, Debug)]
enum Expr {
    Input(usize),
    Constant(f64),
    Unary(Op1, Box<Expr>),
    Binary(Op2, Box<Expr>, Box<Expr>),
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        3 => (0..INPUTS).prop_map(Expr::Input),
        1 => (-2.0..2.0_f64).prop_map(Expr::Constant),
    ];
    leaf.prop_recursive(6, 48, 2, |inner| {
        prop_oneof![
            (prop::sample::select(&OP1[..]), inner.clone())
                .prop_map(|(op, a)| Expr::Unary(op, Box::new(a))),
            (prop::sample::select(&OP2[..]), inner.clone(), inner)
                .prop_map(|(op, a, b)| Expr::Binary(op, Box::new(a), Box::new(b))),
        ]
    })
}

/// Evaluates `e` on the inputs `x`; written once for `f64` and `Var`.
fn eval<T: Float + Sum + Product>(e: &Expr, x: &[T]) -> T {
    let c = |v: f64| T::from(v).unwrap();
    match e {
        Expr::Input(i) => x[*i],
        Expr::Constant(v) => c(*v),
        Expr::Unary(op, a) => {
            let a = eval(a, x);
            match op {
                Op1::Sin => a.sin(),
                Op1::Cos => a.cos(),
                Op1::Tan => (a * c(0.5)).tan(),
                Op1::Asin => (a * c(0.25)).asin(),
                Op1::Acos => (a * c(0.25)).acos() - c(1.0),
                Op1::Atan => a.atan(),
                Op1::Sinh => (a * c(0.5)).sinh(),
                Op1::Cosh => (a * c(0.5)).cosh(),
                Op1::Tanh => a.tanh() * c(2.0),
                Op1::Asinh => a.asinh(),
                Op1::Acosh => (a * a * c(0.25) + c(1.25)).acosh(),
                Op1::Atanh => (a * c(0.25)).atanh(),
                Op1::Exp => a.exp() * c(0.25),
                Op1::Exp2 => (a * c(0.5)).exp2() * c(0.5),
                Op1::ExpM1 => (a * c(0.5)).exp_m1(),
                Op1::Ln => (a + c(3.0)).ln(),
                Op1::Ln1p => (a * a).ln_1p(),
                Op1::Log2 => (a * a + c(1.0)).log2() * c(0.5),
                Op1::Log10 => (a * a + c(1.0)).log10(),
                Op1::Sqrt => (a * a + c(1.0)).sqrt() - c(1.0),
                Op1::Cbrt => (a + c(3.0)).cbrt(),
                Op1::Recip => (a * a + c(1.0)).recip(),
                Op1::Cube => a.powi(3) * c(0.25),
                Op1::Powi => (a * a + c(1.0)).powi(-2),
                Op1::Square => a * a * c(0.5),
                Op1::SoftAbs => a.hypot(c(1.0)) - c(1.0),
                Op1::Sigmoid => (c(1.0) + (-a).exp()).recip(),
                Op1::SinCos => {
                    let (s, co) = a.sin_cos();
                    s - co
                }
                Op1::Degrees => a.to_degrees() / c(90.0),
                Op1::Radians => a.to_radians() * c(30.0),
                Op1::Neg => -a,
            }
        }
        Expr::Binary(op, a, b) => {
            let (a, b) = (eval(a, x), eval(b, x));
            match op {
                Op2::Add => (a + b) * c(0.5),
                Op2::Sub => (a - b) * c(0.5),
                Op2::Mul => a * b * c(0.5),
                Op2::Div => a / (b * b + c(1.0)),
                Op2::MulAdd => a.mul_add(b, b) * c(0.25),
                Op2::Powf => (a * c(0.25) + c(1.5)).powf(b * c(0.5)),
                Op2::Log => (a * a + c(1.0)).log(b * c(0.5) + c(3.0)) * c(0.5),
                Op2::Atan2 => a.atan2(b * c(0.5) + c(3.0)),
                Op2::Hypot => a.hypot(b * c(0.5) + c(1.5)) * c(0.5),
                Op2::Sum => [a, b, a * b].into_iter().sum::<T>() * c(0.25),
                Op2::Product => [a, b].into_iter().product::<T>() * c(0.5),
            }
        }
    }
}

/// How many nodes `e` has, a bound on the rounding its evaluation accumulates.
fn size(e: &Expr) -> usize {
    match e {
        Expr::Input(_) | Expr::Constant(_) => 1,
        Expr::Unary(_, a) => 1 + size(a),
        Expr::Binary(_, a, b) => 1 + size(a) + size(b),
    }
}

proptest! {
    #![proptest_config(config())]

    /// Random trees of the building blocks above, at random points of `[-2, 2]⁴`.
    ///
    /// The length scale is 1/4: a tree composes slopes of up to 3, so its derivatives
    /// vary faster than any one block's; the stencil's own error estimate would catch a
    /// scale that is too coarse (it fails the test rather than passing it).
    #[test]
    fn random_expressions(e in expr(), xs in prop::array::uniform4(-2.0..2.0_f64)) {
        // The intermediate values are bounded by about 2.5; each node rounds once.
        let m = 2.5 * size(&e) as f64;
        check!(at: xs, scale: [0.25; INPUTS], magnitude: m, |v| eval(&e, v))?;
    }
}
