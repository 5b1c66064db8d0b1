//! Second derivatives of every differentiable method of [`Var`], checked against a
//! computer-algebra system through [`tapegrad::hessian`] and [`tapegrad::hvp`].
//!
//! `tests/reference/generate.py --second` takes the functions and points of
//! tests/reference.rs, differentiates each function twice in SymPy and evaluates, to 40
//! digits at the exact value of each f64 point, its full Hessian and the
//! Hessian-vector products `H v` for a few fixed directions `v`;
//! `tests/reference/second.rs` holds the results rounded to f64. This test runs every
//! function (the same code as tests/reference.rs, from tests/reference/dispatch.rs)
//! through both drivers, once through the inherent methods of `Var` and once through
//! generic code that sees only `num_traits::Float`, and compares every entry, and the
//! value and gradient that the drivers return with it.

#![cfg(feature = "nalgebra")]

use nalgebra::DVector;
use tapegrad::Var;

// The functions of the tables by name, shared with tests/reference.rs.
#[path = "reference/dispatch.rs"]
mod dispatch;
use dispatch::{NOT_IN_FLOAT, float_trait, inherent};

// Plain literals that happen to be π/2, ln 2, ... (see tests/reference.rs).
#[allow(clippy::approx_constant)]
mod second {
    include!("reference/second.rs");
}

// The first-order tables, only to check that second.rs covers all of their points.
#[allow(clippy::approx_constant)]
mod cases {
    include!("reference/cases.rs");
}

/// One row of the tables, for a function of `n` arguments: `(name, arguments, value,
/// gradient, hessian, products)`, where `hessian[i * n + j]` is the second derivative
/// with respect to `arguments[i]` and `arguments[j]`, and `products[k * n + i]` is
/// `(H v)[i]` for `v = second::DIRECTIONS[n - 1][k]`.
type Case = second::Row;

/// Every table of the second-order reference data, with its name for messages.
const TABLES: [(&str, &[Case]); 4] = [
    ("UNARY", second::UNARY),
    ("BINARY", second::BINARY),
    ("TERNARY", second::TERNARY),
    ("COMPOSITE", second::COMPOSITE),
];

/// The bound on the relative error of values and first derivatives, as in
/// tests/reference.rs (which explains it): the second-order drivers return them too,
/// from a reverse sweep of their own (`Sweeps::run`), which must be as accurate.
const FIRST_ORDER_TOLERANCE: f64 = 1e-13;

/// Values less accurate than that by design, as in tests/reference.rs: `f64::acosh`
/// near 1.
const VALUE_TOLERANCES: &[(&str, f64)] = &[("acosh", 1e-12)];

/// The largest relative error accepted in a second derivative (or an entry of `H v`,
/// relative to the size of its terms), about 900 ulps: twice the bound of the first
/// derivatives.
///
/// The reference is within half an ulp of exact. tapegrad computes each local second
/// derivative of math.rs with a few roundings and one or two calls of libm, so the
/// elementary functions (UNARY, BINARY, TERNARY) land within about 10 ulps (under 2e-15
/// observed). The Hessian of a composite is a sum over the chain rule (`g'' fᵢ fⱼ +
/// g' fᵢⱼ` for `g(f(x))`), whose terms cancel where the entry is small next to them,
/// and their rounding errors are magnified by that ratio. The worst entries observed
/// are such sums: `∂²/∂x∂z` of `mul_add(x,y,z).cbrt()*log(x,y)` at `(7, 0.25, 0.5)`
/// (terms ±0.020 summing to 1.8e-4, error 2.1e-14) and `∂²/∂y²` of
/// `sqrt(x*x+y*y)*atan2(y,x)` at `(0.25, -4)` (terms ±0.031 summing to -1.5e-3, error
/// 1.3e-14), each within a few ulps of their terms. The bound leaves ten times the
/// worst for the libm of other platforms; a wrong formula (a missing factor or term, a sign, a derivative of the
/// wrong order) is off by far more, as is a formula that loses most of its digits to
/// cancellation of its own (`1 - tanh²` where `tanh` saturates, say).
///
/// A reference of exactly 0 must be matched exactly, as no relative bound applies to
/// 0: every second derivative of the linear and piecewise-linear functions (`neg`,
/// `add`, `sub`, `to_degrees`, `to_radians`, `abs`, `relu`, `fract`, `rem`, `max`,
/// `min`) and of `powi(0)` and `powi(1)`, the diagonal of `a * b`, `∂²/∂a²` of `a / b`,
/// every entry of `x.mul_add(a, b)` but `∂²/∂x∂a`, and `∂²/∂y²` and `∂²/∂x²` of
/// `y.atan2(x)` at `x = 0`. tapegrad records no curvature there, or a curvature that is
/// exactly 0, and so produces those zeros exactly.
const SECOND_ORDER_TOLERANCE: f64 = 2e-13;

/// The accuracy of one kind of number over a run: the worst error seen, and where.
#[derive(Default)]
struct Worst {
    error: f64,
    at: String,
}

/// What running the tables through one path found.
#[derive(Default)]
struct Outcome {
    /// How many numbers were compared.
    checked: usize,
    /// One message per mismatch or missing match arm.
    failures: Vec<String>,
    /// The worst error in a value, a first derivative, a Hessian entry and an entry of
    /// a Hessian-vector product: printed (with `--nocapture`) to show the margin.
    worst: [Worst; 4],
}

/// Which kind of number a comparison is about: where its worst error is kept in
/// [`Outcome::worst`], and its tolerance.
#[derive(Clone, Copy)]
enum Kind {
    /// A value, with its tolerance (see [`VALUE_TOLERANCES`]).
    Value(f64),
    Gradient,
    Hessian,
    Product,
}

impl Kind {
    fn index(self) -> usize {
        match self {
            Kind::Value(_) => 0,
            Kind::Gradient => 1,
            Kind::Hessian => 2,
            Kind::Product => 3,
        }
    }

    fn tolerance(self) -> f64 {
        match self {
            Kind::Value(tolerance) => tolerance,
            Kind::Gradient => FIRST_ORDER_TOLERANCE,
            Kind::Hessian | Kind::Product => SECOND_ORDER_TOLERANCE,
        }
    }
}

impl Outcome {
    /// Compares `got` with the reference `expected`: the error, measured relative to
    /// `scale` (`|expected|`, or the size of the terms of a sum; see [`run`]), must be
    /// at most the tolerance of `kind`. A scale of 0 means an exact 0 that must be
    /// matched exactly: no relative bound applies to 0, and tapegrad produces those
    /// zeros exactly.
    fn compare(&mut self, at: &str, what: &str, kind: Kind, got: f64, expected: f64, scale: f64) {
        self.checked += 1;
        let error = if scale == 0.0 {
            got.abs()
        } else {
            ((got - expected) / scale).abs()
        };
        let tolerance = kind.tolerance();
        // A NaN compares false, so a NaN fails.
        let close = error <= tolerance && (scale != 0.0 || got == 0.0);
        let worst = &mut self.worst[kind.index()];
        if error > worst.error || error.is_nan() {
            *worst = Worst {
                error,
                at: format!("{at}: {what}"),
            };
        }
        if !close {
            self.failures.push(format!(
                "{at}: {what}: expected {expected:?}, got {got:?} \
                 (error {error:.2e} relative to {scale:e}, tolerance {tolerance:e})"
            ));
        }
    }

    /// Compares a value and gradient returned by a driver for the function `name` with
    /// the reference.
    fn compare_first_order(
        &mut self,
        at: &str,
        name: &str,
        (value, gradient): (f64, &[f64]),
        (expected_value, expected_gradient): (f64, &[f64]),
    ) {
        let value_tolerance = VALUE_TOLERANCES
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(FIRST_ORDER_TOLERANCE, |&(_, tolerance)| tolerance);
        let (kind, expected) = (Kind::Value(value_tolerance), expected_value);
        self.compare(at, "value", kind, value, expected, expected.abs());
        for (i, (&got, &expected)) in gradient.iter().zip(expected_gradient).enumerate() {
            let what = format!("d/d(argument {i})");
            self.compare(at, &what, Kind::Gradient, got, expected, expected.abs());
        }
    }
}

/// The closure that the drivers receive: the function `name` looked up by `eval`. If
/// `eval` has no arm for `name`, it returns the first argument and clears `matched`.
fn function<'a>(
    eval: fn(&str, &[Var<'static>]) -> Option<Var<'static>>,
    name: &'a str,
    matched: &'a mut bool,
) -> impl FnOnce(&DVector<Var<'static>>) -> Var<'static> + 'a {
    move |x| {
        eval(name, x.as_slice()).unwrap_or_else(|| {
            *matched = false;
            x[0]
        })
    }
}

/// Runs every case of every table through `tapegrad::hessian` and `tapegrad::hvp`
/// with `eval` and compares with the reference, skipping only the names in `skip`.
fn run(
    path: &str,
    eval: fn(&str, &[Var<'static>]) -> Option<Var<'static>>,
    skip: &[&str],
) -> Outcome {
    let mut outcome = Outcome::default();
    for (table, cases) in TABLES {
        for &(name, args, value, gradient, hessian, products) in cases {
            if skip.contains(&name) {
                continue;
            }
            let n = args.len();
            let at = format!("{path}: {table} {name} at {args:?}");
            let directions = second::DIRECTIONS[n - 1];
            assert!(
                gradient.len() == n
                    && hessian.len() == n * n
                    && products.len() == directions.len() * n
                    && directions.iter().all(|v| v.len() == n),
                "{at}: the data has the wrong shape"
            );
            let point = DVector::from_column_slice(args);

            let mut matched = true;
            let (got_value, got_gradient, got_hessian) =
                tapegrad::hessian(function(eval, name, &mut matched), &point);
            if !matched {
                outcome.failures.push(format!(
                    "{at}: no match arm for {name:?} with {n} argument(s)"
                ));
                continue;
            }
            let at_hessian = format!("{at}, hessian");
            outcome.compare_first_order(
                &at_hessian,
                name,
                (got_value, got_gradient.as_slice()),
                (value, gradient),
            );
            for i in 0..n {
                for j in 0..n {
                    let (got, expected) = (got_hessian[(i, j)], hessian[i * n + j]);
                    let what = format!("H[{i}][{j}]");
                    let scale = expected.abs();
                    outcome.compare(&at_hessian, &what, Kind::Hessian, got, expected, scale);
                }
            }

            for (k, &v) in directions.iter().enumerate() {
                let at_hvp = format!("{at}, hvp along {v:?}");
                let direction = DVector::from_column_slice(v);
                let (got_value, got_gradient, got_product) =
                    tapegrad::hvp(function(eval, name, &mut matched), &point, &direction);
                outcome.compare_first_order(
                    &at_hvp,
                    name,
                    (got_value, got_gradient.as_slice()),
                    (value, gradient),
                );
                for i in 0..n {
                    // (H v)[i] is a sum: tapegrad adds the terms H[i][j] v[j] in an order
                    // of its own, each with a relative error of the order of that of
                    // H[i][j], so the error is bounded relative to the sum of their
                    // magnitudes (which is |(H v)[i]| when no terms cancel, as at every
                    // point of the tables). Only a product of no nonzero term (a zero
                    // row of H, or zeros of v where H is not zero) must be exactly 0.
                    let scale: f64 = (0..n).map(|j| (hessian[i * n + j] * v[j]).abs()).sum();
                    let (got, expected) = (got_product[i], products[k * n + i]);
                    let what = format!("(H v)[{i}]");
                    outcome.compare(&at_hvp, &what, Kind::Product, got, expected, scale);
                }
            }
        }
    }
    outcome
}

/// Prints the worst errors and panics with every failure, if any.
fn report(path: &str, outcome: Outcome) {
    assert!(outcome.checked > 0, "{path}: nothing was checked");
    let kinds = [
        "value",
        "first derivative",
        "Hessian entry",
        "Hessian-vector product",
    ];
    for (kind, worst) in kinds.iter().zip(&outcome.worst) {
        println!("{path}: worst {kind}: {:.2e} at {}", worst.error, worst.at);
    }
    assert!(
        outcome.failures.is_empty(),
        "{} of {} checks through {path} disagree with SymPy:\n{}",
        outcome.failures.len(),
        outcome.checked,
        outcome.failures.join("\n")
    );
}

#[test]
fn inherent_methods_match_sympy() {
    report("inherent methods", run("inherent", inherent, &[]));
}

#[test]
fn float_trait_matches_sympy() {
    report("num_traits::Float", run("Float", float_trait, NOT_IN_FLOAT));
}

/// Every point of the first-order tables is in the second-order ones, with the same
/// value and gradient, unless `LEFT_OUT` lists it: the two files come from one run of
/// the generator's definitions, and no point goes missing silently.
#[test]
fn second_order_tables_cover_the_first_order_points() {
    let first = [
        cases::UNARY,
        cases::BINARY,
        cases::TERNARY,
        cases::COMPOSITE,
    ];
    let mut missing = Vec::new();
    let mut left_out = 0;
    for &(name, args, value, partials) in first.iter().copied().flatten() {
        let same_point = |other: &[f64]| {
            other.len() == args.len()
                && other
                    .iter()
                    .zip(args)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
        };
        let row = TABLES
            .iter()
            .flat_map(|(_, cases)| cases.iter())
            .find(|case| case.0 == name && same_point(case.1));
        match row {
            Some(&(_, _, second_value, gradient, _, _)) => {
                assert_eq!(
                    (value.to_bits(), partials),
                    (second_value.to_bits(), gradient),
                    "{name} at {args:?}: cases.rs and second.rs differ"
                );
            }
            None if second::LEFT_OUT
                .iter()
                .any(|&(n, a, _)| n == name && same_point(a)) =>
            {
                left_out += 1;
            }
            None => missing.push(format!("{name} at {args:?}")),
        }
    }
    assert!(missing.is_empty(), "not in second.rs: {missing:?}");
    assert_eq!(
        left_out,
        second::LEFT_OUT.len(),
        "LEFT_OUT lists unknown points"
    );
    let total: usize = TABLES.iter().map(|(_, cases)| cases.len()).sum();
    let first_total: usize = first.iter().map(|cases| cases.len()).sum();
    assert_eq!(total + left_out, first_total);
}
