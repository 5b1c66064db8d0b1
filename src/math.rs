//! Elementary functions: each computes its value and its local partial derivatives, then
//! records them with one call of [`Var::unary`] or [`Var::binary`] (or their `_curved`
//! forms, which add second derivatives), or of [`Var::nary_on`] for a node of
//! many operands.
//!
//! Where a function has a kink or an edge, its doc comment states the derivative used
//! there.

use std::num::FpCategory;

use crate::var::{CONSTANT, SecondPartial, Var, check_operands, common_generation};

// The arithmetic behind the operators of `ops.rs`.
impl<'t> Var<'t> {
    #[inline(always)]
    pub(crate) fn add_var(self, rhs: Self) -> Self {
        self.binary("+", rhs, self.value + rhs.value, [1.0, 1.0])
    }

    #[inline(always)]
    pub(crate) fn sub_var(self, rhs: Self) -> Self {
        self.binary("-", rhs, self.value - rhs.value, [1.0, -1.0])
    }

    /// `x * x` of one Var records one edge, with partial `2x`, instead of two.
    #[inline(always)]
    pub(crate) fn mul_var(self, rhs: Self) -> Self {
        let value = self.value * rhs.value;
        if self.index == rhs.index && self.generation == rhs.generation {
            return self.unary_curved("*", value, 2.0 * self.value, || 2.0);
        }
        self.binary_curved("*", rhs, value, [rhs.value, self.value], || [0.0, 1.0, 0.0])
    }

    #[inline(always)]
    pub(crate) fn div_var(self, rhs: Self) -> Self {
        let inverse = rhs.value.recip();
        let value = self.value / rhs.value;
        self.binary_curved("/", rhs, value, [inverse, -value * inverse], || {
            let inverse_squared = inverse * inverse;
            [0.0, -inverse_squared, 2.0 * value * inverse_squared]
        })
    }

    /// `a % b = a - b q` with the integer `q` that the remainder used: partials 1 and
    /// `-q`. `q` is read back from the exact remainder, not from a separately rounded
    /// `trunc(a / b)`: `1.0 % 0.1` is `0.09999999999999995` because `q = 9`, while `1.0 /
    /// 0.1` rounds to 10. See [`remainder_quotient`].
    #[inline]
    pub(crate) fn rem_var(self, rhs: Self) -> Self {
        let value = self.value % rhs.value;
        let quotient = remainder_quotient(self.value, rhs.value, value);
        self.binary("%", rhs, value, [1.0, -quotient])
    }

    #[inline(always)]
    pub(crate) fn neg_var(self) -> Self {
        self.unary("neg", -self.value, -1.0)
    }
}

/// Sums and products of many Vars.
impl<'t> Var<'t> {
    /// `Σ xs`, recorded as one node with one edge per operand.
    ///
    /// ```
    /// # use tapegrad::{Tape, Var};
    /// let tape = Tape::new();
    /// let x = tape.vars(&[1.0, 2.0, 3.0]);
    /// let s = Var::sum(&x);
    /// assert_eq!(s.value(), 6.0);
    /// assert_eq!(tape.len(), 4); // three inputs, one sum
    /// ```
    pub fn sum(xs: &[Var<'t>]) -> Self {
        let (value, generation) = xs.iter().fold((-0.0, CONSTANT), |(sum, generation), &x| {
            (sum + x.value, common_generation(generation, x))
        });
        let edges = xs.iter().map(|&x| (x, 1.0));
        Var::nary_on(generation, "sum", value, edges, std::iter::empty)
    }

    /// `Σ xs[i] * ys[i]`, recorded as one node: the partial with respect to `xs[i]` is
    /// `ys[i]` and the other way round.
    ///
    /// # Panics
    ///
    /// If `xs` and `ys` differ in length.
    ///
    /// ```
    /// # use tapegrad::{Tape, Var};
    /// let tape = Tape::new();
    /// let x = tape.vars(&[1.0, 2.0]);
    /// let w = tape.vars(&[3.0, 4.0]);
    /// let y = Var::dot(&x, &w);
    /// let grads = tape.backward(y);
    /// assert_eq!(y.value(), 11.0);
    /// assert_eq!(grads.wrt_all(&x), vec![3.0, 4.0]);
    /// assert_eq!(grads.wrt_all(&w), vec![1.0, 2.0]);
    /// ```
    pub fn dot(xs: &[Var<'t>], ys: &[Var<'t>]) -> Self {
        assert_eq!(
            xs.len(),
            ys.len(),
            "tapegrad: Var::dot of slices of different lengths ({} and {})",
            xs.len(),
            ys.len()
        );
        let (value, generation) =
            xs.iter()
                .zip(ys)
                .fold((-0.0, CONSTANT), |(sum, generation), (&x, &y)| {
                    let generation = common_generation(common_generation(generation, x), y);
                    (sum + x.value * y.value, generation)
                });
        let pairs = xs.iter().zip(ys);
        Var::nary_on(
            generation,
            "dot",
            value,
            pairs
                .clone()
                .map(|(&x, y)| (x, y.value))
                .chain(pairs.clone().map(|(x, &y)| (y, x.value))),
            || pairs.map(|(&x, &y)| SecondPartial::Cross(x, y, 1.0)),
        )
    }
}

/// Rounding functions: piecewise constant, so their derivative is 0 wherever it exists,
/// and the result is a [`Var::constant`] that records nothing.
macro_rules! piecewise_constant {
    ($($(#[$doc:meta])* $name:ident;)*) => {
        $(
            $(#[$doc])*
            #[inline]
            pub fn $name(self) -> Self {
                Var::constant(self.value.$name())
            }
        )*
    };
}

/// The seed's operations, the `Float` methods and their derivative conventions.
impl<'t> Var<'t> {
    /// `max(x, 0)`, with `relu'(0) = 0` (micrograd, PyTorch). NaN stays NaN.
    #[inline]
    pub fn relu(self) -> Self {
        if self.value > 0.0 {
            self.unary("relu", self.value, 1.0)
        } else if self.value.is_nan() {
            self.unary("relu", self.value, self.value)
        } else {
            self.unary("relu", 0.0, 0.0)
        }
    }

    /// `|x|`, with derivative `signum(x)` and `abs'(0) = 0`.
    #[inline]
    pub fn abs(self) -> Self {
        let d = if self.value > 0.0 {
            1.0
        } else if self.value < 0.0 {
            -1.0
        } else {
            self.value * 0.0 // 0, or NaN for NaN
        };
        self.unary("abs", self.value.abs(), d)
    }

    /// `1`, `-1` or NaN as [`f64::signum`]; derivative 0.
    #[inline]
    pub fn signum(self) -> Self {
        Var::constant(self.value.signum())
    }

    piecewise_constant! {
        /// The largest integer not above `x`; derivative 0 (a constant).
        floor;
        /// The smallest integer not below `x`; derivative 0 (a constant).
        ceil;
        /// The nearest integer, half-way cases away from zero; derivative 0 (a constant).
        round;
        /// The integer part; derivative 0 (a constant).
        trunc;
    }

    /// `x - trunc(x)`; derivative 1 (the jumps at integers are not seen).
    #[inline]
    pub fn fract(self) -> Self {
        self.unary("fract", self.value.fract(), 1.0)
    }

    /// `1 / x`, derivative `-1 / x²`.
    #[inline]
    pub fn recip(self) -> Self {
        let value = self.value.recip();
        self.unary_curved("recip", value, -value * value, || {
            2.0 * value * value * value
        })
    }

    /// `√x`, derivative `1 / (2√x)`: `+inf` at 0 (and at `-0.0`), as IEEE division
    /// by `+0.0` gives.
    #[inline]
    pub fn sqrt(self) -> Self {
        let value = self.value.sqrt();
        let root = unsigned_zero(value);
        self.unary_curved("sqrt", value, 0.5 / root, || -0.25 / (root * root * root))
    }

    /// `∛x`, derivative `1 / (3 ∛x²)`: `+inf` at 0.
    #[inline]
    pub fn cbrt(self) -> Self {
        let value = self.value.cbrt();
        let d = (3.0 * value * value).recip();
        self.unary_curved("cbrt", value, d, || -2.0 * d / (3.0 * self.value))
    }

    /// `eˣ`.
    #[inline]
    pub fn exp(self) -> Self {
        let value = self.value.exp();
        self.unary_curved("exp", value, value, || value)
    }

    /// `2ˣ`, derivative `2ˣ ln 2`.
    #[inline]
    pub fn exp2(self) -> Self {
        use std::f64::consts::LN_2;
        let value = self.value.exp2();
        self.unary_curved("exp2", value, value * LN_2, || value * LN_2 * LN_2)
    }

    /// `eˣ - 1`, accurate near 0; derivative `eˣ`.
    #[inline]
    pub fn exp_m1(self) -> Self {
        let exp = self.value.exp();
        self.unary_curved("exp_m1", self.value.exp_m1(), exp, || exp)
    }

    /// `ln x`, derivative `1 / x`: `+inf` at 0 (and at `-0.0`), as IEEE division by
    /// `+0.0` gives.
    #[inline]
    pub fn ln(self) -> Self {
        let d = unsigned_zero(self.value).recip();
        self.unary_curved("ln", self.value.ln(), d, || -d * d)
    }

    /// `ln(1 + x)`, accurate near 0; derivative `1 / (1 + x)`.
    #[inline]
    pub fn ln_1p(self) -> Self {
        let d = (1.0 + self.value).recip();
        self.unary_curved("ln_1p", self.value.ln_1p(), d, || -d * d)
    }

    /// `log₂ x`, derivative `1 / (x ln 2)`: `+inf` at 0.
    #[inline]
    pub fn log2(self) -> Self {
        let d = (unsigned_zero(self.value) * std::f64::consts::LN_2).recip();
        self.unary_curved("log2", self.value.log2(), d, || -d / self.value)
    }

    /// `log₁₀ x`, derivative `1 / (x ln 10)`: `+inf` at 0.
    #[inline]
    pub fn log10(self) -> Self {
        let d = (unsigned_zero(self.value) * std::f64::consts::LN_10).recip();
        self.unary_curved("log10", self.value.log10(), d, || -d / self.value)
    }

    /// `log_base x = ln x / ln base`; partials `1 / (x ln base)` and
    /// `-ln x / (base ln² base)`.
    #[inline]
    pub fn log(self, base: impl Into<Var<'t>>) -> Self {
        let base = base.into();
        let ln_x = self.value.ln();
        let ln_base = base.value.ln();
        let value = ln_x / ln_base;
        let dx = (unsigned_zero(self.value) * ln_base).recip();
        let dbase = -value / (base.value * ln_base);
        self.binary_curved("log", base, value, [dx, dbase], || {
            let (x, b) = (self.value, base.value);
            [
                -dx / x,
                -dx / (b * ln_base),
                value * (ln_base + 2.0) / (b * b * ln_base * ln_base),
            ]
        })
    }

    /// `xⁿ` for an integer `n`, derivative `n xⁿ⁻¹`; `powi(0)` has derivative 0
    /// everywhere, 0 included.
    #[inline]
    pub fn powi(self, n: i32) -> Self {
        let d = match n {
            0 => 0.0,
            1 => 1.0,
            _ => match n.checked_sub(1) {
                Some(m) => f64::from(n) * self.value.powi(m),
                None => f64::from(n) * self.value.powf(f64::from(n) - 1.0),
            },
        };
        self.unary_curved("powi", self.value.powi(n), d, || match n {
            0 | 1 => 0.0,
            2 => 2.0,
            _ => f64::from(n) * (f64::from(n) - 1.0) * self.value.powf(f64::from(n) - 2.0),
        })
    }

    /// `xʸ`, where the exponent may be a Var or an `f64`.
    ///
    /// With respect to `x` the derivative is `y xʸ⁻¹`, never NaN at `x = 0` where the
    /// limit exists: 0 for `y > 1`, 1 for `y = 1`, `+inf` for `0 < y < 1`, and 0 for
    /// `y = 0` (as `x⁰ = 1`). With respect to `y` it is `xʸ ln x`, and 0 at `x = 0` for
    /// `y > 0` (the limit of `xʸ ln x`). A negative `x` with a non-integer `y` gives NaN,
    /// as on `f64`.
    #[inline]
    pub fn powf(self, y: impl Into<Var<'t>>) -> Self {
        let y = y.into();
        let (x, n) = (self.value, y.value);
        let value = x.powf(n);
        let dx = if n == 0.0 { 0.0 } else { n * x.powf(n - 1.0) };
        let dy = if y.is_constant() || (x == 0.0 && n > 0.0) {
            0.0
        } else {
            value * x.ln()
        };
        self.binary_curved("powf", y, value, [dx, dy], || {
            let dxx = if n == 0.0 || n == 1.0 {
                0.0
            } else {
                n * (n - 1.0) * x.powf(n - 2.0)
            };
            if x == 0.0 && n > 1.0 {
                // The limits of x^(y-1) (1 + y ln x) and x^y ln² x at a zero base.
                return [dxx, 0.0, 0.0];
            }
            let ln_x = x.ln();
            [dxx, x.powf(n - 1.0) * (1.0 + n * ln_x), value * ln_x * ln_x]
        })
    }

    /// `sin x`.
    ///
    /// The value is `f64::sin`'s, bit for bit; the derivative `cos x` costs a second
    /// evaluation, as glibc's `sincos` costs about a `sin` and a `cos`.
    #[inline]
    pub fn sin(self) -> Self {
        let (sin, cos) = self.value.sin_cos();
        self.unary_curved("sin", sin, cos, || -sin)
    }

    /// `cos x`.
    #[inline]
    pub fn cos(self) -> Self {
        let (sin, cos) = self.value.sin_cos();
        self.unary_curved("cos", cos, -sin, || -cos)
    }

    /// `(sin x, cos x)`, both from one evaluation of the pair.
    #[inline]
    pub fn sin_cos(self) -> (Self, Self) {
        let (sin, cos) = self.value.sin_cos();
        (
            self.unary_curved("sin", sin, cos, || -sin),
            self.unary_curved("cos", cos, -sin, || -cos),
        )
    }

    /// `tan x`, derivative `1 + tan² x`.
    #[inline]
    pub fn tan(self) -> Self {
        let value = self.value.tan();
        let d = 1.0 + value * value;
        self.unary_curved("tan", value, d, || 2.0 * value * d)
    }

    /// `asin x`, derivative `1 / √(1 - x²)`: `+inf` at ±1.
    #[inline]
    pub fn asin(self) -> Self {
        let d = one_minus_square(self.value).sqrt().recip();
        self.unary_curved("asin", self.value.asin(), d, || self.value * d * d * d)
    }

    /// `acos x`, derivative `-1 / √(1 - x²)`: `-inf` at ±1.
    #[inline]
    pub fn acos(self) -> Self {
        let d = -one_minus_square(self.value).sqrt().recip();
        self.unary_curved("acos", self.value.acos(), d, || self.value * d * d * d)
    }

    /// `atan x`, derivative `1 / (1 + x²)`.
    #[inline]
    pub fn atan(self) -> Self {
        let d = (1.0 + self.value * self.value).recip();
        self.unary_curved("atan", self.value.atan(), d, || -2.0 * self.value * d * d)
    }

    /// The angle of the point `(x, self)`, as [`f64::atan2`]: partials `x / (x² + y²)`
    /// with respect to `self` (y) and `-y / (x² + y²)` with respect to `x`. Where `x² +
    /// y²` over- or underflows they are computed through `hypot`, so that they stay
    /// accurate wherever the true value is a normal `f64`; where it is infinite they are
    /// 0, their limit. At the origin, where the angle has no derivative, both are NaN.
    #[inline]
    pub fn atan2(self, x: impl Into<Var<'t>>) -> Self {
        let x = x.into();
        let (yv, xv) = (self.value, x.value);
        let mut r2 = xv * xv + yv * yv;
        if !r2.is_normal() {
            let r = xv.hypot(yv);
            if r.is_infinite() && !xv.is_nan() && !yv.is_nan() {
                // Far out the angle is flat: |∇ atan2| = 1 / r, and so are its curvatures.
                return self.binary_curved("atan2", x, yv.atan2(xv), [0.0, 0.0], || [0.0; 3]);
            }
            // `(x / r) / r` keeps every step in range; at the origin, 0 / 0 = NaN.
            let (dy, dx) = (xv / r / r, -yv / r / r);
            r2 = r * r;
            return self.binary_curved("atan2", x, yv.atan2(xv), [dy, dx], || {
                let (c, s) = (xv / r, yv / r); // cos and sin of the angle
                [-2.0 * c * s / r2, (s * s - c * c) / r2, 2.0 * c * s / r2]
            });
        }
        self.binary_curved("atan2", x, yv.atan2(xv), [xv / r2, -yv / r2], || {
            let r4 = r2 * r2;
            [
                -2.0 * xv * yv / r4,
                (yv * yv - xv * xv) / r4,
                2.0 * xv * yv / r4,
            ]
        })
    }

    /// `sinh x`, derivative `cosh x`.
    #[inline]
    pub fn sinh(self) -> Self {
        let sinh = self.value.sinh();
        self.unary_curved("sinh", sinh, self.value.cosh(), || sinh)
    }

    /// `cosh x`, derivative `sinh x`.
    #[inline]
    pub fn cosh(self) -> Self {
        let cosh = self.value.cosh();
        self.unary_curved("cosh", cosh, self.value.sinh(), || cosh)
    }

    /// `tanh x`, derivative `1 - tanh² x = sech² x`: 0, not NaN, where `tanh`
    /// saturates.
    #[inline]
    pub fn tanh(self) -> Self {
        let value = self.value.tanh();
        let d = if value.abs() < 0.5 {
            1.0 - value * value
        } else {
            // sech² x = 4t / (1 + t)² with t = e^(-2|x|), without the cancellation of
            // 1 - tanh² as tanh nears ±1.
            let t = (-2.0 * self.value.abs()).exp();
            4.0 * t / ((1.0 + t) * (1.0 + t))
        };
        self.unary_curved("tanh", value, d, || -2.0 * value * d)
    }

    /// `asinh x`, derivative `1 / √(x² + 1)`.
    #[inline]
    pub fn asinh(self) -> Self {
        let d = self.value.hypot(1.0).recip();
        self.unary_curved("asinh", self.value.asinh(), d, || -self.value * d * d * d)
    }

    /// `acosh x`, derivative `1 / √(x² - 1)`: `+inf` at 1.
    #[inline]
    pub fn acosh(self) -> Self {
        let x = self.value;
        let d = ((x - 1.0).sqrt() * (x + 1.0).sqrt()).recip();
        self.unary_curved("acosh", x.acosh(), d, || -x * d * d * d)
    }

    /// `atanh x`, derivative `1 / (1 - x²)`: `+inf` at ±1.
    #[inline]
    pub fn atanh(self) -> Self {
        let d = one_minus_square(self.value).recip();
        self.unary_curved("atanh", self.value.atanh(), d, || 2.0 * self.value * d * d)
    }

    /// `√(x² + y²)` without overflow; partials `x / h` and `y / h`, and 0 for both at the
    /// origin (the convention of `abs'(0) = 0`, which `hypot(x, 0) = |x|` extends). With
    /// one argument infinite and the other finite, the partials are their limits: `±1`
    /// for the infinite one, 0 for the finite one.
    #[inline]
    pub fn hypot(self, y: impl Into<Var<'t>>) -> Self {
        let y = y.into();
        let value = self.value.hypot(y.value);
        let partial = |a: f64, other: f64| {
            if value == 0.0 {
                0.0
            } else if a.is_infinite() && other.is_finite() {
                a.signum()
            } else {
                a / value
            }
        };
        let (dx, dy) = (partial(self.value, y.value), partial(y.value, self.value));
        self.binary_curved("hypot", y, value, [dx, dy], || {
            if value == 0.0 {
                return [0.0; 3];
            }
            [dy * dy / value, -dx * dy / value, dx * dx / value]
        })
    }

    /// `self * a + b`, recorded as one node of three operands (the value is computed
    /// with one rounding, as [`f64::mul_add`]).
    #[inline]
    pub fn mul_add(self, a: impl Into<Var<'t>>, b: impl Into<Var<'t>>) -> Self {
        let (a, b) = (a.into(), b.into());
        let value = self.value.mul_add(a.value, b.value);
        let generation = [self, a, b].into_iter().fold(CONSTANT, common_generation);
        Var::nary_on(
            generation,
            "mul_add",
            value,
            [(self, a.value), (a, self.value), (b, 1.0)].into_iter(),
            || [SecondPartial::Cross(self, a, 1.0)],
        )
    }

    /// The larger of `self` and `other`; if one is NaN, the other (as [`f64::max`]).
    /// The one returned is the operand itself, so its derivative flows on unchanged and
    /// nothing is recorded; on a tie a node splits the derivative evenly, `1/2` to each
    /// (as JAX and PyTorch's `maximum` do), so that the two add up to the derivative
    /// along `self = other`.
    #[inline]
    pub fn max(self, other: impl Into<Var<'t>>) -> Self {
        self.select("max", other.into(), |a, b| a > b)
    }

    /// The smaller of `self` and `other`; if one is NaN, the other (as [`f64::min`]).
    /// The one returned is the operand itself (nothing is recorded); on a tie a node
    /// splits the derivative evenly, `1/2` to each.
    #[inline]
    pub fn min(self, other: impl Into<Var<'t>>) -> Self {
        self.select("min", other.into(), |a, b| a < b)
    }

    /// The one of `self` and `other` that `first_wins` prefers, itself (no node is
    /// recorded: the derivative flows to it unchanged); NaN loses; a tie records a node
    /// that splits the derivative.
    #[inline]
    fn select(self, op: &'static str, other: Self, first_wins: impl Fn(f64, f64) -> bool) -> Self {
        check_operands(&[self, other]);
        let (a, b) = (self.value, other.value);
        if first_wins(a, b) || b.is_nan() {
            self
        } else if first_wins(b, a) || a.is_nan() {
            other
        } else {
            self.binary(op, other, a, [0.5, 0.5])
        }
    }

    /// `self` limited to `[min, max]`, with the value [`f64::clamp`] gives (so `-0.0`
    /// clamped to `[0, 1]` stays `-0.0`). The derivative is that of the one returned, and
    /// at a bound that of the bound.
    ///
    /// # Panics
    ///
    /// If `min > max` or either is NaN, as [`f64::clamp`]; if the three belong to
    /// different tapes.
    #[inline]
    pub fn clamp(self, min: impl Into<Var<'t>>, max: impl Into<Var<'t>>) -> Self {
        let (min, max) = (min.into(), max.into());
        assert!(
            min.value <= max.value,
            "tapegrad: clamp needs min <= max, got min = {} and max = {}",
            min.value,
            max.value
        );
        check_operands(&[self, min, max]);
        let value = self.value.clamp(min.value, max.value);
        let chosen = if self.value <= min.value {
            min
        } else if self.value >= max.value {
            max
        } else {
            self
        };
        if chosen.value.to_bits() == value.to_bits() {
            chosen
        } else {
            // A zero at a zero bound of the other sign: the bound's derivative, f64's sign.
            chosen.unary("clamp", value, 1.0)
        }
    }

    /// `max(self - other, 0)`; derivative 0 where `self <= other`.
    #[inline]
    pub fn abs_sub(self, other: impl Into<Var<'t>>) -> Self {
        let other = other.into();
        check_operands(&[self, other]);
        if self.value <= other.value {
            Var::constant(0.0)
        } else {
            self - other
        }
    }

    /// `|self|` with the sign of `sign`; derivative `±1` with respect to `self`, 0 with
    /// respect to `sign`.
    #[inline]
    pub fn copysign(self, sign: impl Into<Var<'t>>) -> Self {
        let sign = sign.into();
        check_operands(&[self, sign]);
        let value = self.value.copysign(sign.value);
        let d = if value.is_sign_negative() == self.value.is_sign_negative() {
            1.0
        } else {
            -1.0
        };
        self.unary("copysign", value, d)
    }

    /// Radians to degrees: `x · 180/π`.
    #[inline]
    pub fn to_degrees(self) -> Self {
        const DEGREES_PER_RADIAN: f64 = 180.0 / std::f64::consts::PI;
        self.unary("to_degrees", self.value.to_degrees(), DEGREES_PER_RADIAN)
    }

    /// Degrees to radians: `x · π/180`.
    #[inline]
    pub fn to_radians(self) -> Self {
        const RADIANS_PER_DEGREE: f64 = std::f64::consts::PI / 180.0;
        self.unary("to_radians", self.value.to_radians(), RADIANS_PER_DEGREE)
    }
}

/// The integer `q` with `a - q b = r`, where `r = a % b` (exact, as `fmod` is): the
/// nearest integer to `(a - r) / b`, corrected by one where that division rounded past
/// a half (`1e16 % 3`). Each candidate is checked with one fused multiply-add, which
/// gives `a - q b` exactly when it is as small as a remainder. Beyond 2^53, where `q` has
/// no exact `f64`, the nearest candidate stands.
fn remainder_quotient(a: f64, b: f64, r: f64) -> f64 {
    let q = ((a - r) / b).round();
    [q, q - 1.0, q + 1.0]
        .into_iter()
        .find(|&candidate| (-candidate).mul_add(b, a) == r)
        .unwrap_or(q)
}

/// `x`, with `-0.0` made `+0.0` (in round-to-nearest, `-0.0 + 0.0 = +0.0` and
/// `x + 0.0 = x` for every other `x`): the logarithms and `sqrt` are defined at 0 from
/// the right only, so their derivative there is `+inf` whatever the sign of the zero.
#[inline]
fn unsigned_zero(x: f64) -> f64 {
    x + 0.0
}

/// `1 - x²`, without the cancellation of `1 - x * x` near `|x| = 1`.
#[inline]
fn one_minus_square(x: f64) -> f64 {
    (1.0 - x) * (1.0 + x)
}

/// Questions about the value, answered as `f64` answers them.
impl Var<'_> {
    /// Whether the value is NaN.
    #[inline]
    pub fn is_nan(self) -> bool {
        self.value.is_nan()
    }

    /// Whether the value is `±inf`.
    #[inline]
    pub fn is_infinite(self) -> bool {
        self.value.is_infinite()
    }

    /// Whether the value is neither infinite nor NaN.
    #[inline]
    pub fn is_finite(self) -> bool {
        self.value.is_finite()
    }

    /// Whether the value is neither zero, infinite, subnormal nor NaN.
    #[inline]
    pub fn is_normal(self) -> bool {
        self.value.is_normal()
    }

    /// Whether the value is subnormal.
    #[inline]
    pub fn is_subnormal(self) -> bool {
        self.value.is_subnormal()
    }

    /// The floating-point category of the value.
    #[inline]
    pub fn classify(self) -> FpCategory {
        self.value.classify()
    }

    /// Whether the value has a positive sign bit (`+0.0` and `+inf` included).
    #[inline]
    pub fn is_sign_positive(self) -> bool {
        self.value.is_sign_positive()
    }

    /// Whether the value has a negative sign bit (`-0.0` and `-inf` included).
    #[inline]
    pub fn is_sign_negative(self) -> bool {
        self.value.is_sign_negative()
    }
}
