//! [`Special`]: the error function, the gamma family and `ln B` for generic code, on
//! `f64`, `f32` and [`Var`] (with first and second derivatives on the tape).
//!
//! | method            | value                      | derivative           | second derivative    |
//! |-------------------|----------------------------|----------------------|----------------------|
//! | `erf`             | `libm::erf`                | `2/√π e^(-x²)`       | `-2x erf'(x)`        |
//! | `erfc`            | `libm::erfc`               | `-erf'(x)`           | `2x erf'(x)`         |
//! | `ln_gamma`        | `libm::lgamma`: `ln \|Γ\|` | `ψ(x)`               | `ψ₁(x)`              |
//! | `gamma`           | `libm::tgamma`             | `Γ(x) ψ(x)`          | `Γ(x) (ψ² + ψ₁)(x)`  |
//! | `digamma`         | ψ, `special/polygamma.rs`  | `ψ₁(x)`              | `ψ₂(x)`              |
//! | `trigamma`        | ψ₁, `special/polygamma.rs` | `ψ₂(x)`              | `ψ₃(x)`              |
//! | `ln_beta(a, b)`   | `special/beta.rs`          | `ψ(a) - ψ(a+b)`, `ψ(b) - ψ(a+b)` | `ψ₁(a) - ψ₁(a+b)`, `-ψ₁(a+b)`, `ψ₁(b) - ψ₁(a+b)` |
//!
//! # Where the values come from
//!
//! The `libm` crate (the Rust port of musl's libm) gives `erf`,
//! `erfc`, `ln Γ` and `Γ` within 8e-16 relative of 50-digit mpmath references over
//! their domains (4e-15 where `ln |Γ|` nears its roots on the negative axis). No
//! maintained crate measured gives ψ, ψ₁, ψ₂ and ψ₃ within 1e-13 (statrs', special's
//! and spfunc's ψ lose all digits at its root 1.4616…, spfunc's ψ₂ and ψ₃ are wrong
//! for `x < 0`, none but spfunc has ψ₂ or ψ₃), so tapegrad computes them from the
//! classical formulas (`special/polygamma.rs`). `ln B` and the differences of ψ in its
//! derivatives are rearranged with Stirling's series where a plain sum would cancel
//! (`special/beta.rs`).

mod beta;
mod polygamma;

use std::f64::consts::FRAC_2_SQRT_PI;

use crate::var::Var;
use polygamma::polygamma;

/// Special functions for generic code: the error function, the gamma function and its
/// logarithmic derivatives, and `ln B`, for `f64`, `f32` and [`Var`].
///
/// On a [`Var`] each method records its first and second derivatives, so
/// [`Tape::backward`](crate::Tape::backward) and `hessian` are exact; its value is the
/// `f64` method's, bit for bit, and on a constant it records nothing and returns a
/// constant. `f32` computes in `f64` and rounds the result once.
///
/// ```
/// use num_traits::Float;
/// use tapegrad::{Special, Tape};
///
/// // Written once, for f64 and for Vars.
/// fn nll<T: Float + Special>(x: T) -> T {
///     x.ln_gamma() - x.digamma()
/// }
///
/// let tape = Tape::new();
/// let x = tape.var(2.5);
/// let y = nll(x);
/// assert_eq!(y.value(), nll(2.5));
/// let grads = tape.backward(y);
/// // d/dx (ln Γ - ψ) = ψ - ψ₁
/// let expected = Special::digamma(2.5) - Special::trigamma(2.5);
/// assert!((grads[x] - expected).abs() < 1e-15);
/// ```
///
/// # Calling the methods on `f64` and `f32`
///
/// In generic code (`T: Special`) a call such as `x.erf()` always means this trait. On
/// the concrete `f64` and `f32`, the standard library has unstable inherent methods
/// named `erf`, `erfc`, `gamma` and `ln_gamma` (features `float_erf` and
/// `float_gamma`, and `ln_gamma` there returns a pair); rustc warns about such a call
/// (`unstable_name_collisions`), and the inherent method would take over if it were
/// stabilized. On concrete floats write `Special::erf(x)`.
///
/// # Accuracy
///
/// Against 50-digit mpmath (the table of `tests/special.rs`, and a survey of some 8000
/// random points across the domains): values, first and second derivatives within
/// 1.5e-15 relative wherever they are normal `f64`s, tails included (`erfc 26`,
/// `ln Γ(1e15)`, `ψ(1e-10)`), and ψ also at its positive root 1.4616…. The exception is
/// near the zeros on the negative axis (of `ln |Γ|` between -2 and -3 and next to each
/// pole from -3 to about -19, and of ψ and ψ₂ between consecutive poles), where the error is absolute, about 1e-16 times the terms
/// of the reflection formula: at `x = -3.6352`, where ψ(x) = 0.00107, ψ is within
/// 2.8e-14 relative. Likewise `ln B(a, b)` where `B` is near 1: within 2.8e-14 relative
/// at `ln B = -0.014`.
pub trait Special: Sized {
    /// The error function `erf x = 2/√π ∫₀ˣ e^(-t²) dt` (DLMF 7.2.1), from `libm::erf`.
    ///
    /// On a [`Var`]: derivative `2/√π e^(-x²)` (DLMF 7.10.1), second derivative `-2x`
    /// times that; both are 0 at `±inf`.
    fn erf(self) -> Self;

    /// The complementary error function `erfc x = 1 - erf x` (DLMF 7.2.2), accurate in
    /// the tail (`erfc 26 ≈ 5.7e-296`), from `libm::erfc`.
    ///
    /// On a [`Var`]: derivative `-2/√π e^(-x²)`, second derivative `2x 2/√π e^(-x²)`.
    fn erfc(self) -> Self;

    /// `ln |Γ(x)|` (DLMF 5.2.1), from `libm::lgamma`: for `x < 0` the logarithm of the
    /// absolute value, as C's `lgamma` and SciPy's `gammaln`.
    ///
    /// On a [`Var`]: derivative ψ(x), second derivative ψ₁(x), also for `x < 0` (the
    /// derivative of `ln |Γ|` is Γ'/Γ there too).
    ///
    /// At the poles `x = 0, -1, -2, …` the value is `+inf` (as `lgamma`); the derivative
    /// is that of [`digamma`](Special::digamma) there (`-inf` at `+0`, `+inf` at `-0`,
    /// NaN at the negative integers) and the second derivative `+inf`.
    fn ln_gamma(self) -> Self;

    /// The gamma function Γ(x) (DLMF 5.2.1), from `libm::tgamma`; it overflows to
    /// `+inf` beyond 171.62.
    ///
    /// On a [`Var`]: derivative `Γ(x) ψ(x)`, second derivative `Γ(x) (ψ(x)² + ψ₁(x))`
    /// (DLMF 5.2.2, 5.15.1).
    ///
    /// At the poles: `±inf` at `±0` (derivative `-inf`, second derivative `±inf`, the
    /// limits from that side), NaN at the negative integers (value and derivatives), as
    /// `tgamma` gives.
    fn gamma(self) -> Self;

    /// The digamma function ψ(x) = Γ'(x)/Γ(x) (DLMF 5.2.2), computed by tapegrad (see
    /// the module `special/polygamma.rs`: asymptotic series, recurrence, a Taylor series
    /// about the root 1.4616… and the reflection formula).
    ///
    /// On a [`Var`]: derivative ψ₁(x) = [`trigamma`](Special::trigamma), second
    /// derivative ψ₂(x).
    ///
    /// At the poles, as SciPy's `digamma`: `-inf` at `+0` and `+inf` at `-0` (the limit
    /// from that side), NaN at the negative integers (where the two one-sided limits
    /// differ); the derivative is `+inf` at every pole, the second derivative `-inf` at
    /// `+0`, `+inf` at `-0` and NaN at the negative integers.
    fn digamma(self) -> Self;

    /// The trigamma function ψ₁(x) = ψ'(x) (DLMF 5.15.1), computed by tapegrad as
    /// [`digamma`](Special::digamma) is.
    ///
    /// On a [`Var`]: derivative ψ₂(x), second derivative ψ₃(x).
    ///
    /// At the poles `x = 0, -1, -2, …` the value is `+inf` (the limit from both sides);
    /// the derivative is `-inf` at `+0`, `+inf` at `-0` and NaN at the negative
    /// integers, the second derivative `+inf`.
    fn trigamma(self) -> Self;

    /// `ln |B(self, other)|`, the logarithm of the beta function `B(a, b) = Γ(a) Γ(b) /
    /// Γ(a + b)` (DLMF 5.12.1): `ln |Γ(a)| + ln |Γ(b)| - ln |Γ(a + b)|`, rearranged with
    /// Stirling's series where an argument exceeds 12, so that large arguments lose no
    /// digits (`ln B(1e10, 0.5)` is as accurate as `ln B(1, 0.5)`).
    ///
    /// On a [`Var`]: partials `ψ(a) - ψ(a + b)` and `ψ(b) - ψ(a + b)`, second
    /// derivatives `ψ₁(a) - ψ₁(a + b)`, `-ψ₁(a + b)` and `ψ₁(b) - ψ₁(a + b)`; for
    /// positive arguments the differences are computed without cancellation.
    ///
    /// Where `a`, `b` or `a + b` is a pole of Γ the value follows the three `ln |Γ|`:
    /// `+inf` at a pole of `a` or `b` alone, `-inf` at a pole of `a + b` alone, NaN where
    /// two poles meet; `ln B(a, +inf) = -inf` for `a > 0`. Where `B(a, b)` is near 1
    /// (`ln B(1, 1) = 0`) the error is absolute, up to about 1e-15: that of the `ln Γ`
    /// terms, which cancel there.
    fn ln_beta(self, other: Self) -> Self;
}

/// Trait methods that call a function of the same arguments.
macro_rules! call {
    ($(fn $name:ident(self $(, $other:ident)?) => $function:expr;)*) => {
        $(
            #[inline]
            fn $name(self $(, $other: Self)?) -> Self {
                ($function)(self $(, $other)?)
            }
        )*
    };
}

impl Special for f64 {
    call! {
        fn erf(self) => libm::erf;
        fn erfc(self) => libm::erfc;
        fn ln_gamma(self) => libm::lgamma;
        fn gamma(self) => libm::tgamma;
        fn digamma(self) => |x| polygamma(0, x);
        fn trigamma(self) => |x| polygamma(1, x);
        fn ln_beta(self, other) => beta::ln_beta;
    }
}

/// `f32` methods that compute in `f64` and round once.
macro_rules! through_f64 {
    ($(fn $name:ident(self $(, $other:ident)?);)*) => {
        $(
            #[inline]
            fn $name(self $(, $other: Self)?) -> Self {
                <f64 as Special>::$name(f64::from(self) $(, f64::from($other))?) as f32
            }
        )*
    };
}

impl Special for f32 {
    through_f64! {
        fn erf(self);
        fn erfc(self);
        fn ln_gamma(self);
        fn gamma(self);
        fn digamma(self);
        fn trigamma(self);
        fn ln_beta(self, other);
    }
}

/// `2/√π e^(-x²)`, the derivative of `erf`, with `x²` carried to twice the precision
/// (its rounding error from a fused multiply-add): where `x² ≈ 700` in the tails, the
/// rounding of `x²` alone would cost 1.5e-13 relative.
#[inline]
fn erf_derivative(x: f64) -> f64 {
    let square = x * x;
    // e^(-(square + low)) = e^(-square) (1 - low), as |low| < 1e-13 where it matters.
    let correction = if square < 750.0 {
        1.0 - x.mul_add(x, -square)
    } else {
        1.0 // e^(-square) is 0 (or square is NaN)
    };
    FRAC_2_SQRT_PI * (-square).exp() * correction
}

/// `-2x d`, the second derivative of `erf` from its first, `d`: 0 where `d` is (so that
/// `x = ±inf` gives 0, not NaN).
#[inline]
fn erf_second_derivative(x: f64, d: f64) -> f64 {
    if d == 0.0 { 0.0 } else { -2.0 * x * d }
}

/// Records `value = op(x)` for the functions whose derivatives are ψₙ(x) and ψₙ₊₁(x):
/// `ln Γ` (n = 0), ψ (n = 1) and ψ₁ (n = 2).
#[inline]
fn polygamma_derivatives<'t>(x: Var<'t>, op: &'static str, value: f64, n: usize) -> Var<'t> {
    let at = x.value;
    x.unary_curved(op, value, polygamma(n, at), || polygamma(n + 1, at))
}

impl Special for Var<'_> {
    #[inline]
    fn erf(self) -> Self {
        let x = self.value;
        let d = erf_derivative(x);
        self.unary_curved("erf", Special::erf(x), d, || erf_second_derivative(x, d))
    }

    #[inline]
    fn erfc(self) -> Self {
        let x = self.value;
        let d = erf_derivative(x);
        self.unary_curved("erfc", Special::erfc(x), -d, || {
            -erf_second_derivative(x, d)
        })
    }

    #[inline]
    fn ln_gamma(self) -> Self {
        polygamma_derivatives(self, "ln_gamma", Special::ln_gamma(self.value), 0)
    }

    #[inline]
    fn gamma(self) -> Self {
        let x = self.value;
        let (value, digamma) = (Special::gamma(x), polygamma(0, x));
        self.unary_curved("gamma", value, value * digamma, || {
            value * (digamma * digamma + polygamma(1, x))
        })
    }

    #[inline]
    fn digamma(self) -> Self {
        polygamma_derivatives(self, "digamma", Special::digamma(self.value), 1)
    }

    #[inline]
    fn trigamma(self) -> Self {
        polygamma_derivatives(self, "trigamma", Special::trigamma(self.value), 2)
    }

    #[inline]
    fn ln_beta(self, other: Self) -> Self {
        let (a, b) = (self.value, other.value);
        let partials = [
            beta::polygamma_difference(0, a, b),
            beta::polygamma_difference(0, b, a),
        ];
        self.binary_curved("ln_beta", other, beta::ln_beta(a, b), partials, || {
            [
                beta::polygamma_difference(1, a, b),
                -polygamma(1, a + b),
                beta::polygamma_difference(1, b, a),
            ]
        })
    }
}
