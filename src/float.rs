//! The `num_traits` numeric traits for [`Var`], forwarding to its inherent methods (the
//! derivatives live in `math.rs`) or, for conversions and constants, to `f64`.
//!
//! Everything made here from no Var — `zero()`, `PI()`, `from(3)`, `max_value()` — is a
//! [`Var::constant`]. Conversions to integers and floats read the value.

use std::num::FpCategory;

use num_traits::{
    Bounded, Float, FloatConst, FromPrimitive, Num, NumCast, One, Signed, ToPrimitive, Zero,
};

use crate::var::Var;

/// Forwards trait methods to the inherent methods of the same name (also used by the
/// simba impls of `nalgebra.rs`). Naming `Var::$name` explicitly makes a missing inherent
/// method a compile error (`unconditional_recursion`), not a call of the trait itself.
macro_rules! forward_to_inherent {
    ($(fn $name:ident(self $(, $arg:ident: $Arg:ty)*) -> $Ret:ty;)*) => {
        $(
            #[inline]
            fn $name(self $(, $arg: $Arg)*) -> $Ret {
                Var::$name(self $(, $arg)*)
            }
        )*
    };
}
#[cfg_attr(not(feature = "nalgebra"), allow(unused_imports))]
pub(crate) use forward_to_inherent;

/// Forwards the elementary functions that num-traits' `Float` and simba's `ComplexField`
/// both declare, with the same signatures, to the inherent methods: one list for both
/// impls.
macro_rules! forward_elementary_functions {
    () => {
        forward_to_inherent! {
            fn floor(self) -> Self;
            fn ceil(self) -> Self;
            fn round(self) -> Self;
            fn trunc(self) -> Self;
            fn fract(self) -> Self;
            fn mul_add(self, a: Self, b: Self) -> Self;
            fn abs(self) -> Self;
            fn signum(self) -> Self;
            fn hypot(self, other: Self) -> Self;
            fn recip(self) -> Self;
            fn sin(self) -> Self;
            fn cos(self) -> Self;
            fn sin_cos(self) -> (Self, Self);
            fn tan(self) -> Self;
            fn asin(self) -> Self;
            fn acos(self) -> Self;
            fn atan(self) -> Self;
            fn sinh(self) -> Self;
            fn cosh(self) -> Self;
            fn tanh(self) -> Self;
            fn asinh(self) -> Self;
            fn acosh(self) -> Self;
            fn atanh(self) -> Self;
            fn log(self, base: Self) -> Self;
            fn log2(self) -> Self;
            fn log10(self) -> Self;
            fn ln(self) -> Self;
            fn ln_1p(self) -> Self;
            fn sqrt(self) -> Self;
            fn exp(self) -> Self;
            fn exp2(self) -> Self;
            fn exp_m1(self) -> Self;
            fn powi(self, n: i32) -> Self;
            fn powf(self, n: Self) -> Self;
            fn cbrt(self) -> Self;
        }
    };
}
#[cfg_attr(not(feature = "nalgebra"), allow(unused_imports))]
pub(crate) use forward_elementary_functions;

/// Trait methods that make a constant from the `f64` function of the same name.
macro_rules! constant_from_f64 {
    ($Trait:ident: $(fn $name:ident() -> Self;)*) => {
        $(
            #[inline]
            fn $name() -> Self {
                Var::constant(<f64 as $Trait>::$name())
            }
        )*
    };
}

/// Trait methods that convert the value as `f64` converts it.
macro_rules! convert_value {
    ($(fn $name:ident(&self) -> Option<$T:ty>;)*) => {
        $(
            #[inline]
            fn $name(&self) -> Option<$T> {
                self.value.$name()
            }
        )*
    };
}

/// Trait methods that make a constant from a primitive as `f64` makes it.
macro_rules! constant_from_primitive {
    ($(fn $name:ident(n: $T:ty) -> Option<Self>;)*) => {
        $(
            #[inline]
            fn $name(n: $T) -> Option<Self> {
                <f64 as FromPrimitive>::$name(n).map(Var::constant)
            }
        )*
    };
}

/// `Zero` and `One`: the identity element is a [`Var::constant`], and the test reads
/// the value.
macro_rules! identity_element {
    ($Trait:ident, $make:ident, $test:ident, $value:literal) => {
        impl $Trait for Var<'_> {
            #[inline]
            fn $make() -> Self {
                Var::constant($value)
            }

            /// Through `==`, so that the checked mode sees a tie with 0.
            #[inline]
            fn $test(&self) -> bool {
                *self == Var::constant($value)
            }
        }
    };
}

identity_element!(Zero, zero, is_zero, 0.0);
identity_element!(One, one, is_one, 1.0);

impl Num for Var<'_> {
    type FromStrRadixErr = <f64 as Num>::FromStrRadixErr;

    /// Parses a constant, as `f64` does.
    fn from_str_radix(text: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
        f64::from_str_radix(text, radix).map(Var::constant)
    }
}

impl ToPrimitive for Var<'_> {
    convert_value! {
        fn to_isize(&self) -> Option<isize>;
        fn to_i8(&self) -> Option<i8>;
        fn to_i16(&self) -> Option<i16>;
        fn to_i32(&self) -> Option<i32>;
        fn to_i64(&self) -> Option<i64>;
        fn to_i128(&self) -> Option<i128>;
        fn to_usize(&self) -> Option<usize>;
        fn to_u8(&self) -> Option<u8>;
        fn to_u16(&self) -> Option<u16>;
        fn to_u32(&self) -> Option<u32>;
        fn to_u64(&self) -> Option<u64>;
        fn to_u128(&self) -> Option<u128>;
        fn to_f32(&self) -> Option<f32>;
        fn to_f64(&self) -> Option<f64>;
    }
}

impl FromPrimitive for Var<'_> {
    constant_from_primitive! {
        fn from_isize(n: isize) -> Option<Self>;
        fn from_i8(n: i8) -> Option<Self>;
        fn from_i16(n: i16) -> Option<Self>;
        fn from_i32(n: i32) -> Option<Self>;
        fn from_i64(n: i64) -> Option<Self>;
        fn from_i128(n: i128) -> Option<Self>;
        fn from_usize(n: usize) -> Option<Self>;
        fn from_u8(n: u8) -> Option<Self>;
        fn from_u16(n: u16) -> Option<Self>;
        fn from_u32(n: u32) -> Option<Self>;
        fn from_u64(n: u64) -> Option<Self>;
        fn from_u128(n: u128) -> Option<Self>;
        fn from_f32(n: f32) -> Option<Self>;
        fn from_f64(n: f64) -> Option<Self>;
    }
}

impl NumCast for Var<'_> {
    /// A constant with the value `n` converts to as `f64`.
    #[inline]
    fn from<N: ToPrimitive>(n: N) -> Option<Self> {
        n.to_f64().map(Var::constant)
    }
}

impl Bounded for Var<'_> {
    constant_from_f64! { Bounded:
        fn min_value() -> Self;
        fn max_value() -> Self;
    }
}

impl Signed for Var<'_> {
    #[inline]
    fn abs(&self) -> Self {
        Var::abs(*self)
    }

    #[inline]
    fn abs_sub(&self, other: &Self) -> Self {
        Var::abs_sub(*self, *other)
    }

    #[inline]
    fn signum(&self) -> Self {
        Var::signum(*self)
    }

    #[inline]
    fn is_positive(&self) -> bool {
        self.value.is_sign_positive() && !self.value.is_nan()
    }

    #[inline]
    fn is_negative(&self) -> bool {
        self.value.is_sign_negative() && !self.value.is_nan()
    }
}

impl FloatConst for Var<'_> {
    constant_from_f64! { FloatConst:
        fn E() -> Self;
        fn FRAC_1_PI() -> Self;
        fn FRAC_1_SQRT_2() -> Self;
        fn FRAC_2_PI() -> Self;
        fn FRAC_2_SQRT_PI() -> Self;
        fn FRAC_PI_2() -> Self;
        fn FRAC_PI_3() -> Self;
        fn FRAC_PI_4() -> Self;
        fn FRAC_PI_6() -> Self;
        fn FRAC_PI_8() -> Self;
        fn LN_10() -> Self;
        fn LN_2() -> Self;
        fn LOG10_E() -> Self;
        fn LOG2_E() -> Self;
        fn PI() -> Self;
        fn SQRT_2() -> Self;
        fn TAU() -> Self;
        fn LOG10_2() -> Self;
        fn LOG2_10() -> Self;
    }
}

impl Float for Var<'_> {
    constant_from_f64! { Float:
        fn nan() -> Self;
        fn infinity() -> Self;
        fn neg_infinity() -> Self;
        fn neg_zero() -> Self;
        fn min_value() -> Self;
        fn min_positive_value() -> Self;
        fn epsilon() -> Self;
        fn max_value() -> Self;
    }

    forward_to_inherent! {
        fn is_nan(self) -> bool;
        fn is_infinite(self) -> bool;
        fn is_finite(self) -> bool;
        fn is_normal(self) -> bool;
        fn is_subnormal(self) -> bool;
        fn classify(self) -> FpCategory;
        fn is_sign_positive(self) -> bool;
        fn is_sign_negative(self) -> bool;
        fn to_degrees(self) -> Self;
        fn to_radians(self) -> Self;
        fn max(self, other: Self) -> Self;
        fn min(self, other: Self) -> Self;
        fn clamp(self, min: Self, max: Self) -> Self;
        fn abs_sub(self, other: Self) -> Self;
        fn atan2(self, other: Self) -> Self;
        fn copysign(self, sign: Self) -> Self;
    }

    forward_elementary_functions!();

    #[inline]
    fn integer_decode(self) -> (u64, i16, i8) {
        self.value.integer_decode()
    }
}
