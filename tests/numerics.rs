//! The zero-adjoint skip of the backward sweep, and the checked mode that reports where it
//! decided a result: `Tape::backward_checked` and `Tape::check_numerics`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use tapegrad::{SkippedPartial, Tape};

#[test]
fn the_skip_gives_zero_where_the_chain_rule_makes_the_adjoint_zero() {
    // d/dx (√x)² = 1 everywhere; at 0 the adjoint of √x is 2√x = 0 and its partial
    // 1/(2√x) is +inf. The sweep skips the edge: 0, where IEEE arithmetic gives NaN.
    let tape = Tape::new();
    let x = tape.var(0.0);
    let y = x.sqrt().powi(2);
    assert_eq!(tape.backward(y)[x], 0.0);
    // Elsewhere the same function has its true derivative.
    let x = tape.var(4.0);
    assert_eq!(tape.backward(x.sqrt().powi(2))[x], 1.0);
}

#[test]
fn backward_checked_reports_the_skipped_infinite_partial_and_names_it() {
    let mut tape = Tape::new();
    tape.check_numerics(true);
    let x = tape.var(0.0);
    let root = x.sqrt();
    let y = root.powi(2);
    let error = tape.backward_checked(y).unwrap_err();
    assert_eq!(
        error.skipped,
        vec![SkippedPartial {
            node: 2,
            operation: Some("sqrt"),
            operand: 1,
            partial: f64::INFINITY,
        }]
    );
    let message = error.to_string();
    assert!(message.contains("node 2 (sqrt)"), "{message}");
    assert!(message.contains("inf"), "{message}");
}

#[test]
fn nan_partials_are_reported_too() {
    let tape = Tape::new();
    let x = tape.var(-1.0);
    let y = x.sqrt() * 0.0; // √-1 is NaN, and so is its partial
    let error = tape.backward_checked(y).unwrap_err();
    assert_eq!(error.skipped.len(), 1);
    assert!(error.skipped[0].partial.is_nan());
    // Without names recorded, the node is given by number only.
    assert_eq!(error.skipped[0].operation, None);
}

#[test]
fn a_value_the_output_does_not_use_is_not_reported() {
    let tape = Tape::new();
    let x = tape.var(0.0);
    let unused = x.sqrt(); // +inf partial, but y does not depend on it
    let y = x * 3.0 + 1.0;
    let grads = tape.backward_checked(y).expect("nothing to report");
    assert_eq!(grads[x], 3.0);
    assert_eq!(grads[unused], 0.0);
}

#[test]
fn check_numerics_makes_backward_panic_with_the_report_until_switched_off() {
    let mut tape = Tape::new();
    tape.check_numerics(true);
    {
        let x = tape.var(0.0);
        let y = x.sqrt().powi(2);
        let payload = catch_unwind(AssertUnwindSafe(|| drop(tape.backward(y)))).unwrap_err();
        let message = payload.downcast_ref::<String>().unwrap();
        assert!(message.contains("(sqrt)"), "{message}");
        // A clean function passes.
        let z = tape.var(2.0);
        assert_eq!(tape.backward(z * z)[z], 4.0);
    }
    tape.check_numerics(false);
    tape.clear();
    let x = tape.var(0.0);
    assert_eq!(tape.backward(x.sqrt().powi(2))[x], 0.0);
}

#[test]
fn a_finite_gradient_is_the_same_checked_or_not() {
    let tape = Tape::new();
    let x = tape.vars(&[0.5, 2.0]);
    let y = (x[0] * x[1]).sin() + x[1].ln() * x[0].exp();
    let plain = tape.backward(y).wrt_all(&x);
    let checked = tape.backward_checked(y).unwrap().wrt_all(&x);
    assert_eq!(plain, checked);
}

#[test]
fn ties_are_recorded_only_while_checking_and_only_at_zero_or_between_vars() {
    let mut tape = Tape::new();
    {
        let (x, y) = (tape.var(2.0), tape.var(2.0));
        assert!(x == y);
        assert!(tape.ties().is_empty(), "the check is off");
    }
    tape.check_numerics(true);
    let (x, y, z) = (tape.var(2.0), tape.var(2.0), tape.var(0.0));
    let w = x * 3.0;
    assert!(x == y); // two Vars
    assert!(x <= y); // through partial_cmp
    assert!(x != w); // not equal: no tie
    assert!(x == 2.0); // a Var and a nonzero constant: not reported
    assert!(z == 0.0); // an exact-zero test
    assert!(num_traits::Zero::is_zero(&z));
    let ties = tape.ties();
    assert_eq!(ties.len(), 4, "{ties:?}");
    assert_eq!(
        ties.iter().map(|t| t.with_zero).collect::<Vec<_>>(),
        [false, false, true, true]
    );
    assert!(ties.iter().all(|t| t.after_node == 6), "{ties:?}"); // after w, node 6
    assert_eq!(ties[0].operation, Some("*"));
    assert!(ties[0].to_string().contains("two equal Vars after node 6"));
    tape.clear();
    assert!(tape.ties().is_empty(), "clear forgets them");
}

#[test]
fn comparing_a_stale_var_still_does_not_panic() {
    let mut escaped = None;
    let _ = tapegrad::gradient(
        |x| {
            escaped = Some(x[0]);
            x[0] * 1.0
        },
        &[0.0],
    );
    let stale = escaped.unwrap();
    assert!(stale == 0.0);
    assert!(num_traits::Zero::is_zero(&stale));
}

#[cfg(feature = "nalgebra")]
#[test]
fn nalgebras_exact_zero_branches_show_up_as_ties() {
    use nalgebra::{Matrix3, Matrix4};
    let tape: &'static mut Tape = Box::leak(Box::new(Tape::new()));
    tape.check_numerics(true);
    let tape: &'static Tape = tape;
    // The singular 4×4: LU meets a zero pivot column.
    let a = [
        0., 1., 2., 3., 0., 4., 5., 6., 0., 7., 8., 10., 0., 1., 1., 1.,
    ];
    let vars = tape.vars(&a);
    let _ = Matrix4::from_row_slice(&vars).determinant();
    let singular = tape.ties().len();
    assert!(singular > 0);
    // The SVD of a diagonal matrix meets off-diagonal zeros.
    let d = tape.vars(&[3.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 1.0]);
    let _ = Matrix3::from_column_slice(&d).svd(true, true);
    assert!(tape.ties().len() > singular);
}
