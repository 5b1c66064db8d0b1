//! nalgebra support: `Var<'static>` as a simba [`RealField`], and approx's comparisons.
//!
//! | trait (crate)                                  | for            | how                                   |
//! |------------------------------------------------|----------------|---------------------------------------|
//! | `SimdValue` (simba)                            | `Var<'_>`      | a scalar: one lane, `SimdBool = bool` |
//! | `SubsetOf<Var>` (simba)                        | `Var<'_>`      | the identity                          |
//! | `SubsetOf<Var>` (simba)                        | `f64`, `f32`   | a [`Var::constant`]                   |
//! | `SubsetOf<f64>`, `SubsetOf<f32>` (simba)       | `Var<'_>`      | the value, derivative dropped         |
//! | `Field` (simba)                                | `Var<'_>`      | marker                                |
//! | `ComplexField`, `RealField` (simba)            | `Var<'static>` | the inherent methods of `math.rs`     |
//! | `AbsDiffEq`, `RelativeEq`, `UlpsEq` (approx)   | `Var<'_>`      | `f64`'s comparisons of the values     |
//!
//! With these, `Var<'static>` is a `nalgebra::RealField` and a `nalgebra::Scalar`, and
//! nalgebra's generic code — products, determinants, inverses, decompositions, rotations —
//! runs on matrices of Vars and is differentiated like any other code.
//!
//! # Why `'static`
//!
//! nalgebra's `Scalar` and simba's `ComplexField` both require `'static`, so only a
//! `Var<'static>` can be a matrix entry. Such Vars come from the drivers
//! [`gradient`](crate::gradient), [`jacobian`](crate::jacobian),
//! [`hessian`](crate::hessian) and [`hvp`](crate::hvp), which run the closure on Vars of
//! a per-thread tape; the generation check that every operation makes stands in for the
//! borrow checker and panics if one of them is used after its tape has moved on. (Any
//! `&'static Tape` also makes them.)
//!
//! ```
//! use nalgebra::{Matrix2, RealField};
//!
//! fn det<T: RealField + Copy>(m: &Matrix2<T>) -> T {
//!     m.determinant()
//! }
//!
//! let a = [1.0, 2.0, 3.0, 4.0]; // row-major [[1, 2], [3, 4]]
//! let (value, gradient) = tapegrad::gradient(|a| det(&Matrix2::from_row_slice(a)), &a);
//! assert_eq!(value, -2.0);
//! // d det(M) / dM is the cofactor matrix, det(M) M⁻ᵀ = [[4, -3], [-2, 1]].
//! assert_eq!(gradient, vec![4.0, -3.0, -2.0, 1.0]);
//! ```
//!
//! # Pivoting, branches and convergence
//!
//! nalgebra's algorithms branch on values: LU and QR pick pivots, the eigenvalue and
//! singular value iterations test convergence and sort their results. [`Var`]'s
//! comparisons look at values only, so these branches go exactly as they go on `f64`,
//! and the gradient is that of the branch taken: exact wherever a small change of the
//! input would not flip a branch, that is everywhere except exactly at ties (two equal
//! pivot candidates, two equal eigenvalues), where the function itself has no unique
//! derivative. The gradient of an iterative decomposition is that of the iterations
//! actually run, which agrees with the derivative of the exact result to about the
//! accuracy of the result itself.
//!
//! Two consequences at points where the function itself has no derivative:
//!
//! - LU with partial pivoting (`lu()`, and behind it `determinant` from 4 × 4 and
//!   `try_inverse` from 5 × 5 up) skips the elimination step of a column whose
//!   candidates are all exactly zero. That branch is taken only on this set of singular
//!   matrices, so its gradient need not be the limit of the gradients nearby: the
//!   determinant of a singular 4 × 4 matrix with a zero column can get gradient 0 where
//!   its cofactor matrix is not 0. `Matrix3::determinant` and the other explicit
//!   small-size formulas have no such branch. [`linalg::det`](crate::linalg::det) gives
//!   the cofactors there; the [`linalg`](crate::linalg) module docs list the other
//!   exact-zero shortcuts and the functions that avoid them.
//! - `norm()` is `√(x·x)`: at the zero vector `√` has derivative `+inf` and the chain rule
//!   gives `+inf · 0 = NaN`, as it would on `f64`.
//!
//! # Comparisons that return an operand
//!
//! simba implements `SimdPartialOrd` (`simd_max`, `simd_min`, `simd_clamp`) for every
//! `PartialOrd` scalar itself, so they compare values and return an operand without
//! tapegrad seeing them: with Vars of two tapes, or a stale Var, they return one of them
//! instead of panicking as `RealField::max`, `min` and `clamp` do. So do nalgebra's
//! reductions built on them: `max`, `min`, `amax`, `camax` and the uniform norm. The
//! derivative is right (that of the operand returned); only the misuse check is missing.
//!
//! # Conversions drop derivatives
//!
//! Converting a Var to `f64` or `f32` (`SubsetOf<f64>`, `matrix.cast::<f64>()`,
//! `nalgebra::try_convert`) reads its value: the result is a plain number, and nothing
//! computed from it reaches the tape. Converting an `f64` or `f32` to a Var
//! (`nalgebra::convert`, `T::from_subset`) makes a [`Var::constant`].

use approx::{AbsDiffEq, RelativeEq, UlpsEq};
use simba::scalar::{ComplexField, Field, RealField, SubsetOf};
use simba::simd::SimdValue;

use crate::float::{forward_elementary_functions, forward_to_inherent};
use crate::var::{Var, check_operands};

/// Trait methods that return a constant from `std::f64::consts`.
macro_rules! constants {
    ($(fn $name:ident() = $CONST:ident;)*) => {
        $(
            #[inline]
            fn $name() -> Self {
                Var::constant(std::f64::consts::$CONST)
            }
        )*
    };
}

/// A scalar, as simba treats `f64`: one lane, selected by a plain `bool`.
///
/// The `_unchecked` methods are `unsafe` only because the trait declares them so: with one
/// lane they ignore the index and do nothing unsafe.
impl SimdValue for Var<'_> {
    const LANES: usize = 1;
    type Element = Self;
    type SimdBool = bool;

    #[inline]
    fn splat(val: Self) -> Self {
        val
    }

    #[inline]
    fn extract(&self, _: usize) -> Self {
        *self
    }

    #[inline]
    #[allow(unsafe_code)] // simba declares it `unsafe`; this body does nothing unsafe.
    unsafe fn extract_unchecked(&self, _: usize) -> Self {
        *self
    }

    #[inline]
    fn replace(&mut self, _: usize, val: Self) {
        *self = val;
    }

    #[inline]
    #[allow(unsafe_code)] // simba declares it `unsafe`; this body does nothing unsafe.
    unsafe fn replace_unchecked(&mut self, _: usize, val: Self) {
        *self = val;
    }

    #[inline]
    fn select(self, cond: bool, other: Self) -> Self {
        if cond { self } else { other }
    }
}

/// Every Var is a Var: the identity (simba has no blanket impl of `SubsetOf<T> for T`).
impl<'t> SubsetOf<Var<'t>> for Var<'t> {
    #[inline]
    fn to_superset(&self) -> Var<'t> {
        *self
    }

    #[inline]
    fn from_superset_unchecked(element: &Var<'t>) -> Self {
        *element
    }

    #[inline]
    fn is_in_subset(_: &Var<'t>) -> bool {
        true
    }
}

/// The conversions between `Var` and a primitive float, both ways (simba's `SubsetOf`):
/// `float → Var` makes a [`Var::constant`]; `Var → float` reads the [value](Var::value)
/// (rounded, for `f32`) and **drops the derivative**, so that `matrix.cast::<f64>()`
/// gives the values of a matrix of Vars.
macro_rules! float_subsets {
    ($($float:ty),*) => {
        $(
            impl<'t> SubsetOf<Var<'t>> for $float {
                #[inline]
                fn to_superset(&self) -> Var<'t> {
                    Var::constant(f64::from(*self))
                }

                #[inline]
                fn from_superset_unchecked(element: &Var<'t>) -> Self {
                    element.value as $float
                }

                #[inline]
                fn is_in_subset(_: &Var<'t>) -> bool {
                    true
                }
            }

            impl SubsetOf<$float> for Var<'_> {
                #[inline]
                fn to_superset(&self) -> $float {
                    self.value as $float
                }

                #[inline]
                fn from_superset_unchecked(element: &$float) -> Self {
                    Var::constant(f64::from(*element))
                }

                #[inline]
                fn is_in_subset(_: &$float) -> bool {
                    true
                }
            }
        )*
    };
}

float_subsets!(f64, f32);

impl Field for Var<'_> {}

/// A real number seen as a complex one, as simba's impl for `f64`: every function
/// forwards to the inherent method of the same name, which records its derivative.
///
/// `imaginary` is the constant 0, `argument` the constant 0 or π, `conjugate` and `real`
/// are `self`, `modulus` and `norm1` are [`Var::abs`] (so `abs'(0) = 0`), `powc` is
/// [`Var::powf`], and `try_sqrt` is `None` for a negative value, as for `f64`.
impl ComplexField for Var<'static> {
    type RealField = Self;

    #[inline]
    fn from_real(re: Self) -> Self {
        re
    }

    #[inline]
    fn real(self) -> Self {
        self
    }

    #[inline]
    fn imaginary(self) -> Self {
        Var::constant(0.0)
    }

    #[inline]
    fn modulus(self) -> Self {
        Var::abs(self)
    }

    #[inline]
    fn modulus_squared(self) -> Self {
        self * self
    }

    /// The constant 0 for a value `>= 0`, else the constant π (NaN included, as for
    /// `f64`).
    #[inline]
    fn argument(self) -> Self {
        if self.value >= 0.0 {
            Var::constant(0.0)
        } else {
            Var::constant(std::f64::consts::PI)
        }
    }

    #[inline]
    fn norm1(self) -> Self {
        Var::abs(self)
    }

    #[inline]
    fn scale(self, factor: Self) -> Self {
        self * factor
    }

    #[inline]
    fn unscale(self, factor: Self) -> Self {
        self / factor
    }

    /// `(self, 1)` for a value `>= 0`, else `(-self, -1)`, as for `f64`: the sign is a
    /// constant, so no derivative is spent on `self / |self|`.
    #[inline]
    fn to_exp(self) -> (Self, Self) {
        if self.value >= 0.0 {
            (self, Var::constant(1.0))
        } else {
            (-self, Var::constant(-1.0))
        }
    }

    #[inline]
    fn conjugate(self) -> Self {
        self
    }

    #[inline]
    fn powc(self, n: Self) -> Self {
        Var::powf(self, n)
    }

    #[inline]
    fn is_finite(&self) -> bool {
        Var::is_finite(*self)
    }

    /// `Some(√self)` for a value `>= 0` (`-0.0` included), `None` otherwise (NaN
    /// included), as for `f64`.
    #[inline]
    fn try_sqrt(self) -> Option<Self> {
        if self.value >= 0.0 {
            Some(Var::sqrt(self))
        } else {
            None
        }
    }

    forward_elementary_functions!();
}

/// The real functions forward to the inherent methods ([`Var::max`], [`Var::min`],
/// [`Var::atan2`], [`Var::copysign`]) with their derivative conventions; the constants
/// are [`Var::constant`]s.
impl RealField for Var<'static> {
    #[inline]
    fn is_sign_positive(&self) -> bool {
        Var::is_sign_positive(*self)
    }

    #[inline]
    fn is_sign_negative(&self) -> bool {
        Var::is_sign_negative(*self)
    }

    /// `min` if `self < min`, `max` if `self > max`, else `self`, as simba's impl for
    /// `f64`: unlike [`Var::clamp`] it never panics, and at a bound value it returns
    /// `self`, so the derivative goes to `self`.
    ///
    /// # Panics
    ///
    /// As every operation of several Vars: if they belong to two different tapes, or a
    /// Var's tape is gone.
    #[inline]
    fn clamp(self, min: Self, max: Self) -> Self {
        check_operands(&[self, min, max]);
        if self < min {
            min
        } else if self > max {
            max
        } else {
            self
        }
    }

    /// `Some(f64::MIN)` as a constant, as simba's impl for `f64` (despite the trait's
    /// description, the most negative finite value).
    #[inline]
    fn min_value() -> Option<Self> {
        Some(Var::constant(f64::MIN))
    }

    /// `Some(f64::MAX)` as a constant.
    #[inline]
    fn max_value() -> Option<Self> {
        Some(Var::constant(f64::MAX))
    }

    forward_to_inherent! {
        fn copysign(self, sign: Self) -> Self;
        fn max(self, other: Self) -> Self;
        fn min(self, other: Self) -> Self;
        fn atan2(self, other: Self) -> Self;
    }

    constants! {
        fn pi() = PI;
        fn two_pi() = TAU;
        fn frac_pi_2() = FRAC_PI_2;
        fn frac_pi_3() = FRAC_PI_3;
        fn frac_pi_4() = FRAC_PI_4;
        fn frac_pi_6() = FRAC_PI_6;
        fn frac_pi_8() = FRAC_PI_8;
        fn frac_1_pi() = FRAC_1_PI;
        fn frac_2_pi() = FRAC_2_PI;
        fn frac_2_sqrt_pi() = FRAC_2_SQRT_PI;
        fn e() = E;
        fn log2_e() = LOG2_E;
        fn log10_e() = LOG10_E;
        fn ln_2() = LN_2;
        fn ln_10() = LN_10;
    }
}

/// Compares values, as `f64` does; the default epsilon is the constant `f64::EPSILON`.
impl AbsDiffEq for Var<'_> {
    type Epsilon = Self;

    #[inline]
    fn default_epsilon() -> Self {
        Var::constant(f64::default_epsilon())
    }

    #[inline]
    fn abs_diff_eq(&self, other: &Self, epsilon: Self) -> bool {
        self.value.abs_diff_eq(&other.value, epsilon.value)
    }
}

/// Compares values, as `f64` does; the default relative tolerance is the constant
/// `f64::EPSILON`.
impl RelativeEq for Var<'_> {
    #[inline]
    fn default_max_relative() -> Self {
        Var::constant(f64::default_max_relative())
    }

    #[inline]
    fn relative_eq(&self, other: &Self, epsilon: Self, max_relative: Self) -> bool {
        self.value
            .relative_eq(&other.value, epsilon.value, max_relative.value)
    }
}

/// Compares values, as `f64` does.
impl UlpsEq for Var<'_> {
    #[inline]
    fn default_max_ulps() -> u32 {
        f64::default_max_ulps()
    }

    #[inline]
    fn ulps_eq(&self, other: &Self, epsilon: Self, max_ulps: u32) -> bool {
        self.value.ulps_eq(&other.value, epsilon.value, max_ulps)
    }
}
