//! Deep computations differentiate with no recursion and no stack growth.

use tapegrad::Tape;

#[test]
fn ten_million_operations_on_a_small_stack() {
    const STEPS: usize = 10_000_000;
    let worker = std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(|| {
            let tape = Tape::with_capacity(STEPS);
            let x = tape.var(0.5);
            // y_{k+1} = y_k * c + x, so dy/dx = Σ c^k = (1 - c^n) / (1 - c).
            let c = 1.0 - 1e-7;
            let mut y = x;
            for _ in 1..STEPS {
                y = y * c + x;
            }
            let grads = tape.backward(y);
            (tape.len(), grads[x], c)
        })
        .expect("spawn");
    let (len, derivative, c) = worker.join().expect("no stack overflow");
    assert_eq!(len, 1 + 2 * (STEPS - 1));
    let expected = (1.0 - c.powi(STEPS as i32)) / (1.0 - c);
    assert!(
        ((derivative - expected) / expected).abs() < 1e-8,
        "{derivative} vs {expected}"
    );
}
