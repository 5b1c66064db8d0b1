//! The first steps with tapegrad: record a computation, sweep backwards, read gradients.
//!
//! Run with `cargo run --example quickstart`.

use num_traits::Float;
use tapegrad::Tape;

/// Written once for any float type: runs on `f64` and on `Var`.
fn rosenbrock<T: Float>(x: &[T]) -> T {
    let (one, hundred) = (T::one(), T::from(100.0).unwrap());
    x.windows(2)
        .map(|w| hundred * (w[1] - w[0] * w[0]).powi(2) + (one - w[0]).powi(2))
        .fold(T::zero(), |sum, term| sum + term)
}

fn main() {
    // The seed's example: c = a * b.
    let tape = Tape::new();
    let a = tape.var(2.0);
    let b = tape.var(3.0);
    let c = a * b;
    let grads = tape.backward(c);
    println!("c = a * b = {c}");
    println!("dc/da = {} (= b)", grads[a]);
    println!("dc/db = {} (= a)", grads[b]);
    assert_eq!((grads[a], grads[b]), (3.0, 2.0));

    // Any expression, with f64 constants on either side.
    let tape = Tape::new();
    let x = tape.var(0.5);
    let y = (2.0 * x).sin() + x.exp() / (1.0 + x * x);
    let grads = tape.backward(y);
    println!(
        "\ny = sin(2x) + e^x / (1 + x^2) at x = 0.5: y = {:.6}",
        y.value()
    );
    println!("dy/dx = {:.6}", grads[x]);

    // An existing generic function, unchanged.
    let point = [-1.2, 1.0];
    let (value, gradient) = tapegrad::gradient(rosenbrock, &point);
    println!(
        "\nrosenbrock({point:?}) = {value} (f64 gives {})",
        rosenbrock(&point)
    );
    println!("gradient = {gradient:?}");

    // A training loop: clear the tape between steps, it keeps its memory.
    let mut tape = Tape::new();
    let mut w = [-1.2, 1.0];
    for _ in 0..2000 {
        tape.clear();
        let x = tape.vars(&w);
        let loss = rosenbrock(&x);
        let grads = tape.backward(loss);
        for (wi, g) in w.iter_mut().zip(grads.wrt_all(&x)) {
            *wi -= 1e-3 * g;
        }
    }
    println!(
        "\n2000 steps of gradient descent from (-1.2, 1): ({:.4}, {:.4}), f = {:.2e}",
        w[0],
        w[1],
        rosenbrock(&w)
    );
}
