//! The recipe of `examples/moons.rs` (micrograd's demo) reaches 100 % training accuracy
//! from its fixed seeds, and the graph of one neuron has micrograd's shape.

use tapegrad::Tape;
use tapegrad_nn::data::moons;
use tapegrad_nn::{MLP, Sgd, Workspace, accuracy, hinge_loss, l2_regularization};

#[test]
fn the_moons_demo_separates_the_training_set() {
    let data = moons(100, 0.1, 1337);
    let labels = data.signed_labels();
    let mut model = MLP::new(2, &[16, 16, 1]);
    assert_eq!(model.parameters().len(), 337);
    let mut sgd = Sgd::new(model.parameters().len(), |k: usize| {
        1.0 - 0.9 * k as f64 / 100.0
    });
    let mut workspace = Workspace::new();
    let mut scores = Vec::new();
    let mut gradient = vec![0.0; model.parameters().len()];
    let mut losses = Vec::new();
    for _ in 0..100 {
        let loss = tapegrad::gradient_into(
            |p| {
                scores.clear();
                for x in &data.points {
                    scores.push(model.forward(p, x, &mut workspace)[0]);
                }
                hinge_loss(&scores, &labels) + l2_regularization(p, 1e-4)
            },
            model.parameters(),
            &mut gradient,
        );
        sgd.step(model.parameters_mut(), &gradient);
        losses.push(loss);
    }
    let predictions: Vec<f64> = data.points.iter().map(|x| model.predict(x)[0]).collect();
    assert_eq!(accuracy(&predictions, &labels), 1.0);
    assert!(
        losses[99] < losses[0] / 20.0,
        "{} -> {}",
        losses[0],
        losses[99]
    );
}

#[test]
fn the_graph_of_one_neuron_is_micrograds() {
    let model = MLP::new(2, &[16, 16, 1]);
    let neuron = model.layers()[0].neuron();
    let mut tape = Tape::new();
    tape.record_graph(true);
    let w = tape.vars(&model.parameters()[..3]);
    let x = tape.vars(&[0.5, -1.0]);
    let y = neuron.forward(&w, &x);
    let graph = tape.graph(y).unwrap();
    let mut ops: Vec<&str> = graph.nodes().iter().map(|n| n.op).collect();
    ops.sort_unstable();
    // 5 inputs (w1, w2, b, x1, x2), two products, two sums, one ReLU.
    assert_eq!(
        ops,
        [
            "*", "*", "+", "+", "input", "input", "input", "input", "input", "relu"
        ]
    );
    assert_eq!(graph.edges().len(), 9);
}
