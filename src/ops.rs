//! The std operators on [`Var`].
//!
//! | operator                      | left operand            | right operand           |
//! |-------------------------------|-------------------------|-------------------------|
//! | `+` `-` `*` `/` `%`           | `Var`, `&Var`           | `Var`, `&Var`           |
//! | `+` `-` `*` `/` `%`           | `Var`, `&Var`           | `f64`, `&f64`           |
//! | `+` `-` `*` `/` `%`           | `f64`, `&f64`           | `Var`, `&Var`           |
//! | `+=` `-=` `*=` `/=` `%=`      | `Var`                   | `Var`, `&Var`, `f64`, `&f64` |
//! | unary `-`                     | `Var`, `&Var`           |                         |
//! | `Sum`, `Product`              | iterators of `Var` or `&Var` |                    |
//!
//! Each operator is written once, on `Var op Var`, in `math.rs`; the macros below forward
//! every other combination to it, with an `f64` operand made a [`Var::constant`] (which
//! records nothing). `f64 op Var` is written per concrete type because of the orphan rule.

use std::iter::{Product, Sum};
use std::ops::SubAssign;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub};

use crate::var::{CONSTANT, Var, common_generation};

/// Implements `$Op` and `$OpAssign` for every operand combination through `Var::$core`.
macro_rules! binary_operator {
    ($Op:ident, $op:ident, $OpAssign:ident, $op_assign:ident, $core:ident) => {
        binary_operator!(@forward $Op, $op, $core, Var<'t>, Var<'t>, |a| a, |b| b);
        binary_operator!(@forward $Op, $op, $core, Var<'t>, &Var<'t>, |a| a, |b: &Var<'t>| *b);
        binary_operator!(@forward $Op, $op, $core, &Var<'t>, Var<'t>, |a: &Var<'t>| *a, |b| b);
        binary_operator!(@forward $Op, $op, $core, &Var<'t>, &Var<'t>,
            |a: &Var<'t>| *a, |b: &Var<'t>| *b);
        binary_operator!(@forward $Op, $op, $core, Var<'t>, f64, |a| a, Var::constant);
        binary_operator!(@forward $Op, $op, $core, Var<'t>, &f64,
            |a| a, |b: &f64| Var::constant(*b));
        binary_operator!(@forward $Op, $op, $core, &Var<'t>, f64,
            |a: &Var<'t>| *a, Var::constant);
        binary_operator!(@forward $Op, $op, $core, &Var<'t>, &f64,
            |a: &Var<'t>| *a, |b: &f64| Var::constant(*b));
        binary_operator!(@forward $Op, $op, $core, f64, Var<'t>, Var::constant, |b| b);
        binary_operator!(@forward $Op, $op, $core, f64, &Var<'t>,
            Var::constant, |b: &Var<'t>| *b);
        binary_operator!(@forward $Op, $op, $core, &f64, Var<'t>,
            |a: &f64| Var::constant(*a), |b| b);
        binary_operator!(@forward $Op, $op, $core, &f64, &Var<'t>,
            |a: &f64| Var::constant(*a), |b: &Var<'t>| *b);

        binary_operator!(@assign $OpAssign, $op_assign, $core, Var<'t>, |b| b);
        binary_operator!(@assign $OpAssign, $op_assign, $core, &Var<'t>, |b: &Var<'t>| *b);
        binary_operator!(@assign $OpAssign, $op_assign, $core, f64, Var::constant);
        binary_operator!(@assign $OpAssign, $op_assign, $core, &f64,
            |b: &f64| Var::constant(*b));
    };
    (@forward $Op:ident, $op:ident, $core:ident, $Lhs:ty, $Rhs:ty, $lhs:expr, $rhs:expr) => {
        impl<'t> $Op<$Rhs> for $Lhs {
            type Output = Var<'t>;

            #[inline(always)]
            fn $op(self, rhs: $Rhs) -> Var<'t> {
                #[allow(clippy::redundant_closure_call)]
                Var::$core(($lhs)(self), ($rhs)(rhs))
            }
        }
    };
    (@assign $OpAssign:ident, $op_assign:ident, $core:ident, $Rhs:ty, $rhs:expr) => {
        impl<'t> $OpAssign<$Rhs> for Var<'t> {
            #[inline(always)]
            fn $op_assign(&mut self, rhs: $Rhs) {
                #[allow(clippy::redundant_closure_call)]
                let result = Var::$core(*self, ($rhs)(rhs));
                *self = result;
            }
        }
    };
}

binary_operator!(Add, add, AddAssign, add_assign, add_var);
binary_operator!(Sub, sub, SubAssign, sub_assign, sub_var);
binary_operator!(Mul, mul, MulAssign, mul_assign, mul_var);
binary_operator!(Div, div, DivAssign, div_assign, div_var);
binary_operator!(Rem, rem, RemAssign, rem_assign, rem_var);

impl<'t> Neg for Var<'t> {
    type Output = Var<'t>;

    #[inline]
    fn neg(self) -> Var<'t> {
        self.neg_var()
    }
}

impl<'t> Neg for &Var<'t> {
    type Output = Var<'t>;

    #[inline]
    fn neg(self) -> Var<'t> {
        self.neg_var()
    }
}

/// How many operands an iterator's sum gathers into one node before starting the next.
const SUM_CHUNK: usize = 64;

impl<'t> Sum for Var<'t> {
    /// The sum, recorded as one node per 64 operands that are not constants (the operands
    /// are gathered on the stack first, since the iterator may itself record operations).
    /// The value is the left-to-right sum, as for `f64`. A recorded graph shows the
    /// constant terms of each node as one constant operand, their total.
    fn sum<I: Iterator<Item = Var<'t>>>(iter: I) -> Var<'t> {
        let mut chunk = [Var::constant(0.0); SUM_CHUNK];
        let mut len = 0;
        let mut total: Option<Var<'t>> = None;
        let mut constants: Option<f64> = None;
        let mut value = -0.0;
        let mut generation = CONSTANT;
        for x in iter {
            if x.is_constant() {
                constants = Some(constants.unwrap_or(-0.0) + x.value);
            } else {
                if len == SUM_CHUNK {
                    total = Some(sum_chunk(
                        generation,
                        total,
                        &chunk,
                        constants.take(),
                        value,
                    ));
                    len = 0;
                }
                generation = common_generation(generation, x);
                chunk[len] = x;
                len += 1;
            }
            value += x.value;
        }
        if len == 0 && total.is_none() {
            return Var::constant(value);
        }
        sum_chunk(generation, total, &chunk[..len], constants, value)
    }
}

/// One node for `total + Σ chunk + constants`, whose value is `value`, on the tape of
/// `generation` (`constants`, the total of the constant terms, only for a graph).
fn sum_chunk<'t>(
    generation: u32,
    total: Option<Var<'t>>,
    chunk: &[Var<'t>],
    constants: Option<f64>,
    value: f64,
) -> Var<'t> {
    let edges = total.into_iter().chain(chunk.iter().copied());
    // Two instances, so that a chunk without constants iterates no third part.
    match constants {
        None => Var::nary_on(
            generation,
            "sum",
            value,
            edges.map(|x| (x, 1.0)),
            std::iter::empty,
        ),
        Some(constants) => Var::nary_on(
            generation,
            "sum",
            value,
            edges.chain([Var::constant(constants)]).map(|x| (x, 1.0)),
            std::iter::empty,
        ),
    }
}

impl<'a, 't> Sum<&'a Var<'t>> for Var<'t> {
    /// As the sum of `Var`s.
    fn sum<I: Iterator<Item = &'a Var<'t>>>(iter: I) -> Var<'t> {
        iter.copied().sum()
    }
}

impl<'t> Product for Var<'t> {
    /// The left-to-right product, one node per factor after the first.
    fn product<I: Iterator<Item = Var<'t>>>(iter: I) -> Var<'t> {
        iter.fold(None, |product, x| {
            Some(product.map_or(x, |p: Var<'t>| p * x))
        })
        .unwrap_or(Var::constant(1.0))
    }
}

impl<'a, 't> Product<&'a Var<'t>> for Var<'t> {
    /// As the product of `Var`s.
    fn product<I: Iterator<Item = &'a Var<'t>>>(iter: I) -> Var<'t> {
        iter.copied().product()
    }
}
