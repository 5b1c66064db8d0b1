//! micrograd's own engine tests (its author checked them against PyTorch), written as a
//! micrograd user would port them.

use approx::assert_relative_eq;
use tapegrad::{Tape, Var};

#[test]
fn sanity_check() {
    let tape = Tape::new();
    let x = tape.var(-4.0);
    let z = 2.0 * x + 2.0 + x;
    let q = z.relu() + z * x;
    let h = (z * z).relu();
    let y = h + q + q * x;
    let grads = tape.backward(y);
    assert_eq!(y.value(), -20.0);
    assert_eq!(grads[x], 46.0);
}

/// `b**3` in micrograd; the two ways to write it in Rust must agree.
fn cube<'t>(b: Var<'t>, use_powf: bool) -> Var<'t> {
    if use_powf { b.powf(3.0) } else { b.powi(3) }
}

#[test]
// Written as micrograd writes it, `c += c + 1` included.
#[allow(clippy::misrefactored_assign_op)]
fn more_ops() {
    for use_powf in [false, true] {
        let tape = Tape::new();
        let a = tape.var(-4.0);
        let b = tape.var(2.0);
        let mut c = a + b;
        let mut d = a * b + cube(b, use_powf);
        c += c + 1.0;
        c += 1.0 + c + (-a);
        d += d * 2.0 + (b + a).relu();
        d += 3.0 * d + (b - a).relu();
        let e = c - d;
        let f = e.powi(2);
        let mut g = f / 2.0;
        g += 10.0 / f;
        let grads = tape.backward(g);
        assert_relative_eq!(g.value(), 24.70408163265306, max_relative = 1e-12);
        assert_relative_eq!(grads[a], 138.83381924198252, max_relative = 1e-12);
        assert_relative_eq!(grads[b], 645.5772594752186, max_relative = 1e-12);
    }
}

#[test]
fn reused_intermediate_node_accumulates() {
    let tape = Tape::new();
    let a = tape.var(-3.0);
    let b = a + a;
    let c = b + b;
    let grads = tape.backward(c);
    assert_eq!(c.value(), -12.0);
    assert_eq!(grads[a], 4.0);
    assert_eq!(grads[b], 2.0);
}

#[test]
fn square_by_self_multiplication() {
    let tape = Tape::new();
    let x = tape.var(3.0);
    let y = x * x;
    let grads = tape.backward(y);
    assert_eq!(y.value(), 9.0);
    assert_eq!(grads[x], 6.0);
}

#[test]
fn a_var_used_many_times_in_one_expression() {
    // f(x) = x^3 + x^2 + x, f'(x) = 3x^2 + 2x + 1.
    let tape = Tape::new();
    let x = tape.var(2.0);
    let y = x * x * x + x * x + x;
    assert_eq!(tape.backward(y)[x], 17.0);
}
