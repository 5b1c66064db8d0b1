//! Values and derivatives of every differentiable method of [`Var`], checked against a
//! computer-algebra system.
//!
//! `tests/reference/generate.py` defines each function in SymPy, differentiates it
//! symbolically and evaluates the value and every partial derivative to 40 digits at
//! the exact value of each f64 test point; `tests/reference/cases.rs` holds the results
//! rounded to f64. This test records each function on a tape, runs the backward sweep
//! and compares, once through the inherent methods of `Var` and once through generic
//! code that sees only `num_traits::Float`.

use tapegrad::{Tape, Var};

// The functions of the tables by name, shared with tests/reference_second.rs.
#[path = "reference/dispatch.rs"]
mod dispatch;
use dispatch::{NOT_IN_FLOAT, float_trait, inherent, via_float};

// The tables hold plain literals that happen to be π/2, ln 2, 1/π, ... (clippy would
// have them written as `std::f64::consts`); they are data, generated, and stay as is.
#[allow(clippy::approx_constant)]
mod cases {
    include!("reference/cases.rs");
}

/// One row of the tables: `(name, arguments, value, partials)`, where `partials[i]` is
/// the derivative of the value with respect to `arguments[i]`.
type Case = (&'static str, &'static [f64], f64, &'static [f64]);

/// Every table of the reference data, with its name for messages.
const TABLES: [(&str, &[Case]); 4] = [
    ("UNARY", cases::UNARY),
    ("BINARY", cases::BINARY),
    ("TERNARY", cases::TERNARY),
    ("COMPOSITE", cases::COMPOSITE),
];

/// The largest relative error accepted, about 450 ulps.
///
/// Each reference is the true value rounded once to f64, so it is within half an ulp
/// (1.1e-16 relative) of exact. tapegrad computes a value with one call of the `f64`
/// function (std's libm: within an ulp or two) and a derivative with a few more
/// roundings on top (`1 / (2 √x)`, `n xⁿ⁻¹`, ...), and the composites chain at most
/// ten such steps at points chosen to be well conditioned; so correct code lands within
/// a few tens of ulps. The bound leaves a margin for libm differences between platforms,
/// while a wrong formula (a missing factor, a wrong sign, `log2` for `ln`) is off by
/// far more, and so is a formula that loses most of its digits to cancellation.
///
/// A reference of exactly 0 (`powi(0)'`, `relu'` below 0, `max` and `min` with respect
/// to the operand not returned, ...) must be matched exactly: no relative bound
/// applies to 0, and tapegrad produces those zeros exactly.
const RELATIVE_TOLERANCE: f64 = 1e-13;

/// Functions whose `f64` value is less accurate than [`RELATIVE_TOLERANCE`] at some test
/// point, with the bound used for their value (their derivatives keep the tight one).
/// tapegrad's value is by design what the `f64` method returns, so this is std's error.
///
/// `f64::acosh` evaluates `ln(x + √(x - 1) √(x + 1))`: near `x = 1` it takes the
/// logarithm of a number near 1, whose rounding (1.1e-16 absolute) becomes a relative
/// error of about `1.1e-16 / acosh(x)`, 2.5e-13 at `x = 1 + 1e-7` (1.9e-13 observed).
const VALUE_TOLERANCES: &[(&str, f64)] = &[("acosh", 1e-12)];

/// What running the tables through one path found.
#[derive(Default)]
struct Outcome {
    /// How many numbers were compared.
    checked: usize,
    /// One message per mismatch or missing match arm.
    failures: Vec<String>,
}

/// Runs every case of every table through `eval` on a fresh tape and compares with the
/// reference, skipping only the names in `skip`.
fn run<F>(path: &str, eval: F, skip: &[&str]) -> Outcome
where
    F: for<'t> Fn(&str, &[Var<'t>]) -> Option<Var<'t>>,
{
    let mut outcome = Outcome::default();
    for (table, cases) in TABLES {
        for &(name, args, value, partials) in cases {
            if skip.contains(&name) {
                continue;
            }
            let at = format!("{path}: {table} {name} at {args:?}");
            assert_eq!(
                args.len(),
                partials.len(),
                "{at}: the data has {} partials for {} arguments",
                partials.len(),
                args.len()
            );
            let tape = Tape::new();
            let vars = tape.vars(args);
            let Some(y) = eval(name, &vars) else {
                outcome.failures.push(format!(
                    "{at}: no match arm for {name:?} with {} argument(s)",
                    args.len()
                ));
                continue;
            };
            let grads = tape.backward(y);
            let value_tolerance = VALUE_TOLERANCES
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(RELATIVE_TOLERANCE, |&(_, tolerance)| tolerance);
            let mut mismatches = Vec::new();
            let mut compare = |what: String, got: f64, expected: f64, tolerance: f64| {
                outcome.checked += 1;
                let error = if expected == 0.0 {
                    got.abs()
                } else {
                    ((got - expected) / expected).abs()
                };
                // A NaN compares false, so a NaN fails.
                let close = error <= tolerance && (expected != 0.0 || got == 0.0);
                if !close {
                    mismatches.push(format!(
                        "{at}: {what}: expected {expected:?}, got {got:?} \
                         (relative error {error:.2e}, tolerance {tolerance:e})"
                    ));
                }
            };
            compare("value".to_owned(), y.value(), value, value_tolerance);
            for (i, (&var, &expected)) in vars.iter().zip(partials).enumerate() {
                let what = format!("d/d(argument {i})");
                compare(what, grads[var], expected, RELATIVE_TOLERANCE);
            }
            outcome.failures.append(&mut mismatches);
        }
    }
    outcome
}

/// Panics with every failure, if any.
fn report(path: &str, outcome: Outcome) {
    assert!(outcome.checked > 0, "{path}: nothing was checked");
    assert!(
        outcome.failures.is_empty(),
        "{} of {} checks through {path} disagree with SymPy \
         (relative tolerance {RELATIVE_TOLERANCE:e}):\n{}",
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
    for name in NOT_IN_FLOAT {
        let present = TABLES
            .iter()
            .any(|(_, cases)| cases.iter().any(|case| case.0 == *name));
        assert!(
            present,
            "{name:?} is skipped on the Float path but has no cases"
        );
    }
    report("num_traits::Float", run("Float", float_trait, NOT_IN_FLOAT));
}

/// A name no arm matches is a failure, not a silent skip.
#[test]
fn unknown_names_fail() {
    let tape = Tape::new();
    let x = tape.var(0.5);
    assert!(inherent("no_such_function", &[x]).is_none());
    assert!(via_float("no_such_function", &[x]).is_none());
    // The right name with the wrong number of arguments matches no arm either.
    assert!(inherent("sin", &[x, x]).is_none());
    assert!(via_float("powi(2)", &[x, x]).is_none());
}
