//! `tapegrad_nn`: micrograd's shapes, the forward pass on `f64` and on `Var`, every
//! loss and a whole model against finite differences, the optimizers, saving and loading,
//! and a training step that allocates nothing after the first.
//!
//! This test binary counts the allocations of each thread (for the last point).

use num_traits::Float;
use proptest::prelude::*;
use tapegrad::{Tape, Var};
use tapegrad_nn::{
    Activation, Adam, Layer, LayoutError, MLP, Module, Neuron, Optimizer, Relu, Sgd, Workspace,
    accuracy, binary_cross_entropy_with_logits, hinge_loss, l2_regularization, mean_squared_error,
    relu, softmax_cross_entropy,
};

#[path = "../../tests/support/counting_allocator.rs"]
mod counting_allocator;

use counting_allocator::allocations;

// ---------------------------------------------------------------------------------------
// Helpers

/// Two interleaving half circles, 50 points each, with a deterministic jitter: the
/// shape of scikit-learn's `make_moons(100, noise=0.1)` that micrograd's demo trains on.
/// Labels are ±1.
fn moons() -> (Vec<[f64; 2]>, Vec<f64>) {
    let mut points = Vec::with_capacity(100);
    let mut labels = Vec::with_capacity(100);
    for i in 0..50 {
        let t = std::f64::consts::PI * f64::from(i) / 49.0;
        let jitter = 0.1 * (f64::from(i) * 12.9898).sin();
        points.push([t.cos() + jitter, t.sin() - jitter]);
        labels.push(-1.0);
        points.push([1.0 - t.cos() - jitter, 0.5 - t.sin() + jitter]);
        labels.push(1.0);
    }
    (points, labels)
}

/// The central finite difference of `f` at `x` along every coordinate.
fn finite_differences(f: impl Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    let mut point = x.to_vec();
    (0..x.len())
        .map(|i| {
            let h = 1e-6 * x[i].abs().max(1.0);
            point[i] = x[i] + h;
            let up = f(&point);
            point[i] = x[i] - h;
            let down = f(&point);
            point[i] = x[i];
            (up - down) / (2.0 * h)
        })
        .collect()
}

/// Checks the gradient of `f` from the tape against finite differences of `f` on `f64`.
fn check_gradient(
    f: impl Fn(&[Var<'static>]) -> Var<'static>,
    g: impl Fn(&[f64]) -> f64,
    x: &[f64],
) {
    let (value, gradient) = tapegrad::gradient(&f, x);
    assert_eq!(
        value.to_bits(),
        g(x).to_bits(),
        "Var and f64 values differ at {x:?}"
    );
    let expected = finite_differences(g, x);
    for (i, (&ad, &fd)) in gradient.iter().zip(&expected).enumerate() {
        assert!(
            (ad - fd).abs() <= 1e-6 * ad.abs().max(1.0),
            "∂/∂x[{i}] at {x:?}: tape {ad}, finite differences {fd}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Shapes

#[test]
fn micrograds_moons_model_has_337_parameters_in_micrograds_layers() {
    let model = MLP::new(2, &[16, 16, 1]);
    assert_eq!(model.parameter_count(), 337);
    assert_eq!(model.parameters().len(), 337);
    assert_eq!((model.inputs(), model.outputs()), (2, 1));
    assert_eq!(
        model.layers(),
        [
            Layer::new(2, 16, Activation::Relu),
            Layer::new(16, 16, Activation::Relu),
            Layer::new(16, 1, Activation::Linear),
        ]
    );
    let counts: Vec<usize> = model.layers().iter().map(Module::parameter_count).collect();
    assert_eq!(counts, [16 * 3, 16 * 17, 17]);
    assert_eq!(
        model.layers()[1].neuron(),
        Neuron::new(16, Activation::Relu)
    );
    assert_eq!(model.layers()[1].neuron().parameter_count(), 17);
    assert_eq!(
        (model.layers()[0].inputs(), model.layers()[0].outputs()),
        (2, 16)
    );

    // micrograd's repr, neuron by neuron.
    let relu2 = vec!["ReLUNeuron(2)"; 16].join(", ");
    let relu16 = vec!["ReLUNeuron(16)"; 16].join(", ");
    assert_eq!(
        model.to_string(),
        format!("MLP of [Layer of [{relu2}], Layer of [{relu16}], Layer of [LinearNeuron(16)]]")
    );
}

#[test]
fn initialization_is_micrograds_uniform_weights_and_zero_biases() {
    let model = MLP::new(2, &[16, 16, 1]);
    let mut weights = Vec::new();
    let mut rest = model.parameters();
    for layer in model.layers() {
        for _ in 0..layer.outputs() {
            let (neuron, after) = rest.split_at(layer.inputs() + 1);
            assert_eq!(neuron[layer.inputs()], 0.0, "a bias is not zero");
            weights.extend_from_slice(&neuron[..layer.inputs()]);
            rest = after;
        }
    }
    assert!(rest.is_empty());
    assert!(weights.iter().all(|w| (-1.0..1.0).contains(w)));
    let mean = weights.iter().sum::<f64>() / weights.len() as f64;
    assert!(mean.abs() < 0.15, "weights are not centred: mean {mean}");
    assert!(weights.iter().any(|&w| w < -0.9) && weights.iter().any(|&w| w > 0.9));

    assert_eq!(
        MLP::new(2, &[16, 16, 1]),
        model,
        "MLP::new is not reproducible"
    );
    assert_eq!(MLP::with_seed(2, &[3, 1], 7), MLP::with_seed(2, &[3, 1], 7));
    assert_ne!(MLP::with_seed(2, &[3, 1], 7), MLP::with_seed(2, &[3, 1], 8));

    let mut next = 0.0;
    let counted = MLP::with_init(2, &[2, 1], &mut || {
        next += 1.0;
        next
    });
    assert_eq!(
        counted.parameters(),
        [1.0, 2.0, 0.0, 3.0, 4.0, 0.0, 5.0, 6.0, 0.0]
    );
}

#[test]
#[should_panic(expected = "layer 1 (counting from 0) has no neurons")]
fn a_layer_of_no_neurons_panics_in_new() {
    let _ = MLP::new(2, &[4, 0, 1]);
}

#[test]
fn from_parameters_checks_the_layout() {
    let cases: [(usize, &[usize], Vec<f64>, LayoutError); 6] = [
        (0, &[1], vec![0.0], LayoutError::NoInputs),
        (1, &[], vec![], LayoutError::NoLayers),
        (1, &[2, 0], vec![], LayoutError::EmptyLayer { layer: 1 }),
        (
            1,
            &[2, 1],
            vec![0.0; 6],
            LayoutError::ParameterCount {
                expected: 7,
                found: 6,
            },
        ),
        (1, &[usize::MAX, 2], vec![], LayoutError::TooLarge),
        (
            1,
            &[1],
            vec![0.0, f64::INFINITY],
            LayoutError::NonFinite {
                index: 1,
                value: f64::INFINITY,
            },
        ),
    ];
    for (inputs, outputs, parameters, error) in cases {
        assert_eq!(
            MLP::from_parameters(inputs, outputs, parameters),
            Err(error)
        );
    }
    let nan = MLP::from_parameters(1, &[1], vec![f64::NAN, 0.0]).unwrap_err();
    assert!(matches!(nan, LayoutError::NonFinite { index: 0, .. }));
    assert_eq!(
        nan.to_string(),
        "parameter 0 (counting from 0) is NaN; parameters must be finite"
    );
}

// ---------------------------------------------------------------------------------------
// Forward pass

#[test]
fn forward_by_hand() {
    // One ReLU layer of two neurons, then one linear neuron.
    let parameters = vec![
        1.0, -1.0, 0.5, // h0 = relu(x0 - x1 + 0.5)
        2.0, 1.0, -4.0, // h1 = relu(2 x0 + x1 - 4)
        3.0, -2.0, 0.25, // y = 3 h0 - 2 h1 + 0.25
    ];
    let model = MLP::from_parameters(2, &[2, 1], parameters).unwrap();
    // h0 = relu(1.5) = 1.5, h1 = relu(-1) = 0
    assert_eq!(model.predict(&[1.0, 0.0]), [4.75]);
    // h0 = relu(0.5) = 0.5, h1 = relu(2) = 2
    assert_eq!(model.predict(&[2.0, 2.0]), [1.5 - 4.0 + 0.25]);
    assert_eq!(relu(-0.0_f64).to_bits(), 0.0_f64.to_bits());
    assert!(relu(f64::NAN).is_nan());
}

#[test]
fn forward_on_f64_equals_forward_on_vars_to_the_last_bit() {
    let model = MLP::with_seed(3, &[16, 16, 4], 11);
    let mut on_f64 = Workspace::new();
    let mut on_vars = Workspace::new();
    let tape = Tape::new();
    let parameters = tape.vars(model.parameters());
    for i in 0..50 {
        let t = f64::from(i);
        let x = [(0.37 * t).sin() * 3.0, (0.11 * t).cos(), t / 7.0 - 3.0];
        let y = model.forward(model.parameters(), &x, &mut on_f64).to_vec();
        let y_var = model.forward(&parameters, &x, &mut on_vars);
        assert_eq!(y.len(), 4);
        for (a, b) in y.iter().zip(y_var) {
            assert_eq!(a.to_bits(), b.value().to_bits(), "at {x:?}");
        }
        assert_eq!(model.predict(&x), y);
        // Var inputs work too, and change nothing.
        let x_vars = x.map(Var::constant);
        let again = model.forward(&parameters, &x_vars, &mut on_vars);
        assert!(
            y.iter()
                .zip(again)
                .all(|(a, b)| a.to_bits() == b.value().to_bits())
        );
    }
    // The drivers' Vars give the same values again.
    let x = [0.5, -0.25, 2.0];
    let mut workspace = Workspace::new();
    let mut gradient = vec![0.0; model.parameter_count()];
    let value = tapegrad::gradient_into(
        |p| model.forward(p, &x, &mut workspace)[2],
        model.parameters(),
        &mut gradient,
    );
    assert_eq!(value.to_bits(), model.predict(&x)[2].to_bits());
}

#[test]
fn neurons_and_layers_evaluate_on_their_own() {
    let neuron = Neuron::new(3, Activation::Linear);
    assert_eq!(
        neuron.forward(&[1.0, 2.0, 3.0, 0.5], &[1.0, 1.0, -1.0]),
        0.5
    );
    assert_eq!(
        Neuron::new(1, Activation::Relu).to_string(),
        "ReLUNeuron(1)"
    );
    let layer = Layer::new(1, 2, Activation::Relu);
    let mut out = [9.0; 2];
    layer.forward(&[1.0, 0.0, -1.0, 0.0], &[2.0], &mut out);
    assert_eq!(out, [2.0, 0.0]);
    assert_eq!(layer.to_string(), "Layer of [ReLUNeuron(1), ReLUNeuron(1)]");
}

#[test]
#[should_panic(expected = "this model takes 17 parameters and 2 inputs, not 17 and 3")]
fn forward_with_the_wrong_input_size_panics() {
    let model = MLP::new(2, &[4, 1]);
    let _ = model.predict(&[1.0, 2.0, 3.0]);
}

#[test]
fn relu_at_zero_passes_no_gradient() {
    // A neuron whose weighted sum is exactly 0: relu'(0) = 0, as in micrograd.
    let neuron = Neuron::new(1, Activation::Relu);
    let (value, gradient) =
        tapegrad::gradient(|p| neuron.forward(p, &[Var::constant(2.0)]), &[1.0, -2.0]);
    assert_eq!((value, gradient), (0.0, vec![0.0, 0.0]));
    let (_, gradient) =
        tapegrad::gradient(|p| neuron.forward(p, &[Var::constant(2.0)]), &[1.0, -1.5]);
    assert_eq!(gradient, vec![2.0, 1.0]);
}

// ---------------------------------------------------------------------------------------
// Losses: values

#[test]
fn losses_by_hand() {
    assert_eq!(hinge_loss(&[2.0, -2.0], &[1.0, -1.0]), 0.0);
    assert_eq!(hinge_loss(&[0.0], &[1.0]), 1.0);
    assert_eq!(hinge_loss(&[0.5, -3.0], &[-1.0, 1.0]), (1.5 + 4.0) * 0.5);
    assert_eq!(l2_regularization(&[1.0, -2.0, 3.0], 1e-4), 1e-4 * 14.0);
    assert_eq!(
        mean_squared_error(&[1.0, -1.0, 0.0], &[0.0, 1.0, 0.0]),
        5.0 / 3.0
    );
    assert_eq!(accuracy(&[1.0, -1.0, 0.5], &[1.0, 1.0, -1.0]), 1.0 / 3.0);
    assert!(hinge_loss::<f64>(&[], &[]).is_nan());

    // BCE: -ln σ(z) for t = 1, -ln(1 - σ(z)) for t = 0.
    let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
    for &(z, t) in &[(0.3, 1.0), (-2.0, 0.0), (1.5, 0.25), (-0.7, 0.9)] {
        let expected = -t * sigmoid(z).ln() - (1.0 - t) * (1.0 - sigmoid(z)).ln();
        let loss = binary_cross_entropy_with_logits(&[z], &[t]);
        assert!(
            (loss - expected).abs() < 1e-15,
            "z {z}, t {t}: {loss} vs {expected}"
        );
    }
    // No overflow at extreme logits: the loss is |z| on the wrong side, 0 on the right.
    assert_eq!(
        binary_cross_entropy_with_logits(&[800.0, -800.0], &[0.0, 1.0]),
        800.0
    );
    assert_eq!(
        binary_cross_entropy_with_logits(&[800.0, -800.0], &[1.0, 0.0]),
        0.0
    );

    // Softmax cross-entropy against the naive formula, and at extreme logits.
    let logits = [1.0, -0.5, 2.5, 0.0];
    let total: f64 = logits.iter().map(|z: &f64| z.exp()).sum();
    for class in 0..4 {
        let expected = -(logits[class].exp() / total).ln();
        let loss = softmax_cross_entropy(&logits, class);
        assert!(
            (loss - expected).abs() < 1e-14,
            "class {class}: {loss} vs {expected}"
        );
    }
    assert_eq!(softmax_cross_entropy(&[1000.0, 0.0], 1), 1000.0);
    assert_eq!(softmax_cross_entropy(&[-1000.0, 1000.0], 1), 0.0);
    assert!(softmax_cross_entropy(&[1e308, -1e308, 0.0], 0).is_finite());
}

#[test]
#[should_panic(expected = "class 3 of only 3 logits")]
fn softmax_cross_entropy_of_a_missing_class_panics() {
    let _ = softmax_cross_entropy(&[0.0, 1.0, 2.0], 3);
}

#[test]
#[should_panic(expected = "2 outputs but 3 labels")]
fn a_batch_with_fewer_outputs_than_labels_panics() {
    let _ = hinge_loss(&[0.0, 1.0], &[1.0, -1.0, 1.0]);
}

#[test]
fn losses_run_on_f32() {
    let loss: f32 = softmax_cross_entropy(&[0.0f32, 0.0], 0);
    assert_eq!(loss, std::f32::consts::LN_2);
    assert_eq!(mean_squared_error(&[1.0f32], &[0.0]), 1.0);
}

// ---------------------------------------------------------------------------------------
// Losses: gradients against finite differences

/// Scores paired with ±1 labels, away from the hinge's kink at `y s = 1`.
fn scores_and_labels() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    prop::collection::vec((-3.0..3.0f64, prop::bool::ANY), 1..8).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(s, positive)| (s, if positive { 1.0 } else { -1.0 }))
            .unzip()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn hinge_loss_gradient((scores, labels) in scores_and_labels()) {
        prop_assume!(scores.iter().zip(&labels).all(|(s, y)| (1.0 - s * y).abs() > 1e-3));
        check_gradient(|s| hinge_loss(s, &labels), |s| hinge_loss(s, &labels), &scores);
    }

    #[test]
    fn l2_regularization_gradient(p in prop::collection::vec(-3.0..3.0f64, 1..8)) {
        check_gradient(|p| l2_regularization(p, 0.5), |p| l2_regularization(p, 0.5), &p);
    }

    #[test]
    fn mean_squared_error_gradient(
        pairs in prop::collection::vec((-3.0..3.0f64, -3.0..3.0f64), 1..8),
    ) {
        let (predictions, targets): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
        check_gradient(
            |p| mean_squared_error(p, &targets),
            |p| mean_squared_error(p, &targets),
            &predictions,
        );
    }

    #[test]
    fn binary_cross_entropy_gradient(
        pairs in prop::collection::vec((-30.0..30.0f64, 0.0..=1.0f64), 1..8),
    ) {
        let (logits, targets): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
        check_gradient(
            |z| binary_cross_entropy_with_logits(z, &targets),
            |z| binary_cross_entropy_with_logits(z, &targets),
            &logits,
        );
        // and the closed form σ(z) - t, over the batch size
        let (_, gradient) =
            tapegrad::gradient(|z| binary_cross_entropy_with_logits(z, &targets), &logits);
        for ((g, z), t) in gradient.iter().zip(&logits).zip(&targets) {
            let expected = (1.0 / (1.0 + (-z).exp()) - t) / logits.len() as f64;
            prop_assert!((g - expected).abs() < 1e-15, "{} vs {}", g, expected);
        }
    }

    #[test]
    fn softmax_cross_entropy_gradient(
        logits in prop::collection::vec(-20.0..20.0f64, 1..8),
        class in 0usize..8,
    ) {
        let class = class % logits.len();
        check_gradient(
            |z| softmax_cross_entropy(z, class),
            |z| softmax_cross_entropy(z, class),
            &logits,
        );
        // and the closed form softmax(z) - onehot(class)
        let (_, gradient) = tapegrad::gradient(|z| softmax_cross_entropy(z, class), &logits);
        let total: f64 = logits.iter().map(|z| z.exp()).sum();
        for (i, (g, z)) in gradient.iter().zip(&logits).enumerate() {
            let expected = z.exp() / total - if i == class { 1.0 } else { 0.0 };
            prop_assert!((g - expected).abs() < 1e-12, "{} vs {}", g, expected);
        }
    }
}

#[test]
fn binary_cross_entropy_gradient_at_zero_is_exact() {
    let (_, gradient) = tapegrad::gradient(
        |z| binary_cross_entropy_with_logits(z, &[0.0, 1.0]),
        &[0.0, 0.0],
    );
    assert_eq!(gradient, [0.25, -0.25]);
}

// ---------------------------------------------------------------------------------------
// A whole model's gradient against finite differences

#[test]
fn model_gradients_match_finite_differences() {
    let model = MLP::with_seed(3, &[5, 4, 3], 5);
    let batch = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5], [-0.75, 0.5, 1.0]];
    let targets = [0.5, -1.0, 2.0];
    let classes = [2, 0, 1];

    // Each loss over the batch, generic so that the same code runs on f64 and on Vars.
    fn losses<T: Relu + From<f64>>(
        model: &MLP,
        p: &[T],
        batch: &[[f64; 3]],
        targets: &[f64],
        classes: &[usize],
    ) -> [T; 3] {
        let mut workspace = Workspace::new();
        let mut squared = T::zero();
        let mut cross_entropy = T::zero();
        let mut hinge = T::zero();
        for ((x, &target), &class) in batch.iter().zip(targets).zip(classes) {
            let y = model.forward(p, x, &mut workspace);
            squared = squared + mean_squared_error(&y[..1], &[target]);
            cross_entropy = cross_entropy + softmax_cross_entropy(y, class);
            hinge = hinge + hinge_loss(&y[1..2], &[target.signum()]);
        }
        [squared, cross_entropy, hinge + l2_regularization(p, 1e-2)]
    }

    for which in 0..3 {
        check_gradient(
            |p| losses(&model, p, &batch, &targets, &classes)[which],
            |p| losses(&model, p, &batch, &targets, &classes)[which],
            model.parameters(),
        );
    }
}

// ---------------------------------------------------------------------------------------
// Optimizers

/// A badly scaled quadratic bowl with its minimum 0 at (1, -2, 3).
fn bowl<T: Float>(p: &[T]) -> T {
    let c = |x: f64| T::from(x).unwrap();
    (p[0] - c(1.0)).powi(2) + c(10.0) * (p[1] + c(2.0)).powi(2) + c(0.1) * (p[2] - c(3.0)).powi(2)
}

fn minimize(optimizer: &mut impl Optimizer, steps: usize) -> (f64, f64) {
    let mut p = [0.0; 3];
    let start = bowl(&p);
    let mut gradient = [0.0; 3];
    for _ in 0..steps {
        tapegrad::gradient_into(bowl, &p, &mut gradient);
        optimizer.step(&mut p, &gradient);
    }
    (start, bowl(&p))
}

#[test]
fn sgd_with_momentum_minimizes_a_quadratic() {
    let (start, end) = minimize(&mut Sgd::new(3, 0.02).with_momentum(0.9), 300);
    assert!(end < 1e-6 * start, "{start} -> {end}");
    // Without momentum, the flat direction (curvature 0.2) converges far more slowly.
    let (_, plain) = minimize(&mut Sgd::new(3, 0.02), 300);
    assert!(end < plain / 100.0, "momentum {end}, plain {plain}");
}

#[test]
fn adam_minimizes_a_quadratic() {
    let (start, end) = minimize(&mut Adam::new(3, 0.1), 500);
    assert!(end < 1e-6 * start, "{start} -> {end}");
}

#[test]
fn sgd_without_momentum_is_micrograds_update() {
    let mut sgd = Sgd::new(2, |k: usize| 1.0 - 0.9 * k as f64 / 100.0);
    let mut p = [0.5, -0.25];
    let g = [0.125, 3.0];
    let mut expected = p;
    for k in 0..100 {
        assert_eq!(sgd.steps(), k);
        let rate = 1.0 - 0.9 * k as f64 / 100.0;
        assert_eq!(sgd.learning_rate(), rate);
        sgd.step(&mut p, &g);
        for (e, g) in expected.iter_mut().zip(&g) {
            *e -= rate * g;
        }
        assert_eq!(p, expected);
    }
}

#[test]
fn sgd_momentum_accumulates_velocity() {
    let mut sgd = Sgd::new(1, 0.5).with_momentum(0.5);
    let mut p = [0.0];
    sgd.step(&mut p, &[1.0]); // v = 1
    assert_eq!(p, [-0.5]);
    sgd.step(&mut p, &[1.0]); // v = 1.5
    assert_eq!(p, [-0.5 - 0.75]);
    sgd.step(&mut p, &[0.0]); // v = 0.75
    assert_eq!(p, [-0.5 - 0.75 - 0.375]);
}

#[test]
fn adams_first_step_is_the_rate_times_the_sign_of_the_gradient() {
    let g = [1e3, -1e-3, 2.5, -7.0, 1e-6];
    let rate = 0.05;
    let mut p = [1.0; 5];
    Adam::new(5, rate).step(&mut p, &g);
    for (p, g) in p.iter().zip(&g) {
        // After bias correction m̂ = g and v̂ = g², so the step is rate · g / (|g| + ε).
        let expected = 1.0 - rate * g / (g.abs() + 1e-8);
        assert!((p - expected).abs() < 1e-15, "g {g}: {p} vs {expected}");
    }
    let mut q = [1.0; 5];
    Adam::new(5, rate).with_epsilon(0.0).step(&mut q, &g);
    for (q, g) in q.iter().zip(&g) {
        assert!((q - (1.0 - rate * g.signum())).abs() < 1e-15, "g {g}: {q}");
    }
    // The second step follows the bias-corrected moments.
    let mut adam = Adam::new(1, rate).with_betas(0.8, 0.99);
    let mut r = [0.0];
    adam.step(&mut r, &[2.0]);
    adam.step(&mut r, &[-1.0]);
    let (m, v) = (0.8 * 0.2 * 2.0 - 0.2, 0.99 * 0.01 * 4.0 + 0.01 * 1.0);
    let (m_hat, v_hat) = (m / (1.0 - 0.64), v / (1.0 - 0.9801));
    let expected = -rate * 2.0 / (2.0 + 1e-8) - rate * m_hat / (v_hat.sqrt() + 1e-8);
    assert!((r[0] - expected).abs() < 1e-14, "{} vs {expected}", r[0]);
    assert_eq!(adam.steps(), 2);
}

#[test]
#[should_panic(expected = "made for 3 parameters, but given 2 parameters and 3 gradients")]
fn an_optimizer_given_the_wrong_length_panics() {
    Adam::new(3, 0.1).step(&mut [0.0; 2], &[0.0; 3]);
}

#[test]
fn adam_fits_a_regression() {
    // y = sin(2x) on [-1, 1] with a small MLP and the mean squared error.
    let xs: Vec<f64> = (0..32).map(|i| f64::from(i) / 15.5 - 1.0).collect();
    let ys: Vec<f64> = xs.iter().map(|x| (2.0 * x).sin()).collect();
    let mut model = MLP::with_seed(1, &[16, 1], 3);
    let mut adam = Adam::new(model.parameter_count(), 0.01);
    let mut workspace = Workspace::new();
    let mut predictions = Vec::with_capacity(xs.len());
    let mut gradient = vec![0.0; model.parameter_count()];
    let mut losses = Vec::new();
    for _ in 0..300 {
        let loss = tapegrad::gradient_into(
            |p| {
                predictions.clear();
                for x in &xs {
                    predictions.push(model.forward(p, &[*x], &mut workspace)[0]);
                }
                mean_squared_error(&predictions, &ys)
            },
            model.parameters(),
            &mut gradient,
        );
        adam.step(model.parameters_mut(), &gradient);
        losses.push(loss);
    }
    assert!(
        losses[299] < losses[0] / 20.0,
        "{} -> {}",
        losses[0],
        losses[299]
    );
}

// ---------------------------------------------------------------------------------------
// Training

/// One step of micrograd's moons demo: the forward pass over the batch, the hinge loss
/// with L2 regularization, the gradient, and the optimizer's update. Returns the loss
/// and the accuracy before the update.
fn training_step(
    model: &mut MLP,
    optimizer: &mut impl Optimizer,
    (points, labels): (&[[f64; 2]], &[f64]),
    workspace: &mut Workspace<Var<'static>>,
    scores: &mut Vec<Var<'static>>,
    gradient: &mut [f64],
) -> (f64, f64) {
    let mut correct = 0.0;
    let loss = tapegrad::gradient_into(
        |p| {
            scores.clear();
            for x in points {
                scores.push(model.forward(p, x, workspace)[0]);
            }
            correct = accuracy(scores, labels);
            hinge_loss(scores, labels) + l2_regularization(p, 1e-4)
        },
        model.parameters(),
        gradient,
    );
    optimizer.step(model.parameters_mut(), gradient);
    (loss, correct)
}

#[test]
fn training_steps_after_the_first_do_not_allocate() {
    let (points, labels) = moons();
    let mut model = MLP::new(2, &[16, 16, 1]);
    let count = model.parameter_count();
    let mut sgd = Sgd::new(count, |k: usize| 1.0 - 0.9 * k as f64 / 100.0).with_momentum(0.5);
    let mut adam = Adam::new(count, 1e-3);
    let mut workspace = Workspace::new();
    let mut scores = Vec::with_capacity(points.len());
    let mut gradient = vec![0.0; count];
    let batch = (points.as_slice(), labels.as_slice());

    let (first, _) = training_step(
        &mut model,
        &mut sgd,
        batch,
        &mut workspace,
        &mut scores,
        &mut gradient,
    );
    let before = allocations();
    let mut last = first;
    for _ in 0..20 {
        (last, _) = training_step(
            &mut model,
            &mut sgd,
            batch,
            &mut workspace,
            &mut scores,
            &mut gradient,
        );
    }
    for _ in 0..5 {
        training_step(
            &mut model,
            &mut adam,
            batch,
            &mut workspace,
            &mut scores,
            &mut gradient,
        );
    }
    assert_eq!(
        allocations() - before,
        0,
        "training steps after the first allocated"
    );

    // Inference on f64 with a workspace allocates nothing after its first call either.
    let mut on_f64 = Workspace::new();
    let _ = model.forward(model.parameters(), &points[0], &mut on_f64);
    let before = allocations();
    let mut sum = 0.0;
    for x in &points {
        sum += model.forward(model.parameters(), x, &mut on_f64)[0];
    }
    assert_eq!(allocations() - before, 0, "inference allocated");
    assert!(sum.is_finite());
    assert!(last < first, "training went nowhere: {first} -> {last}");
}

#[test]
fn micrograds_moons_recipe_learns_the_moons() {
    let (points, labels) = moons();
    let mut model = MLP::new(2, &[16, 16, 1]);
    let count = model.parameter_count();
    let mut sgd = Sgd::new(count, |k: usize| 1.0 - 0.9 * k as f64 / 100.0);
    let mut workspace = Workspace::new();
    let mut scores = Vec::with_capacity(points.len());
    let mut gradient = vec![0.0; count];
    let batch = (points.as_slice(), labels.as_slice());
    let mut history = Vec::new();
    for _ in 0..100 {
        history.push(training_step(
            &mut model,
            &mut sgd,
            batch,
            &mut workspace,
            &mut scores,
            &mut gradient,
        ));
    }
    let predictions: Vec<f64> = points.iter().map(|x| model.predict(x)[0]).collect();
    let final_accuracy = accuracy(&predictions, &labels);
    assert_eq!(final_accuracy, 1.0, "history {history:?}");
    assert!(history[99].0 < history[0].0 / 5.0, "{history:?}");
}

// ---------------------------------------------------------------------------------------
// Saving and loading

#[cfg(feature = "serde")]
mod save_and_load {
    use super::*;
    use tapegrad_nn::LoadError;

    fn save(model: &MLP) -> String {
        let mut file = Vec::new();
        model.save_json(&mut file).unwrap();
        String::from_utf8(file).unwrap()
    }

    #[test]
    fn a_loaded_model_predicts_bit_for_bit_what_the_saved_one_did() {
        for seed in 0..20 {
            let mut model = MLP::with_seed(3, &[16, 16, 2], seed);
            // Magnitudes of every kind, the signed zero and a subnormal among them.
            let p = model.parameters_mut();
            p[0] = -0.0;
            p[1] = 5e-324;
            p[2] = 1.7976931348623157e308;
            p[3] *= 1e-300;
            p[4] = 0.1 + 0.2;
            let file = save(&model);
            let loaded = MLP::load_json(file.as_bytes()).unwrap();
            assert_eq!(loaded.layers(), model.layers());
            for (a, b) in loaded.parameters().iter().zip(model.parameters()) {
                assert_eq!(a.to_bits(), b.to_bits(), "seed {seed}");
            }
            for i in 0..10 {
                let x = [f64::from(i) / 3.0 - 1.0, (f64::from(i)).sin(), 0.25];
                let (a, b) = (loaded.predict(&x), model.predict(&x));
                assert!(a.iter().zip(&b).all(|(a, b)| a.to_bits() == b.to_bits()));
            }
            // Saving again gives the same file.
            assert_eq!(save(&loaded), file);
        }
    }

    #[test]
    fn the_file_is_the_documented_json() {
        let model =
            MLP::from_parameters(1, &[2, 1], vec![0.5, -1.0, 2.0, 0.0, 1e-7, -3e20, 0.25]).unwrap();
        assert_eq!(
            save(&model),
            r#"{"inputs":1,"layers":[2,1],"parameters":["0.5","-1.0","2.0","0.0","1e-7","-3e20","0.25"]}"#
        );
    }

    #[test]
    fn plain_json_numbers_load_too() {
        let file = r#"{
            "layers": [2, 1],
            "inputs": 1,
            "parameters": [0.5, -1, "2.0", 0, 1e-7, -3e20, 0.25]
        }"#;
        let model = MLP::load_json(file.as_bytes()).unwrap();
        assert_eq!(model.parameters(), [0.5, -1.0, 2.0, 0.0, 1e-7, -3e20, 0.25]);
    }

    /// Loads `file`, which must fail with a message containing `message`.
    fn assert_rejected(file: &str, message: &str) {
        match MLP::load_json(file.as_bytes()) {
            Ok(model) => panic!("loaded {model:?} from the malformed {file:?}"),
            Err(error) => {
                let text = error.to_string();
                assert!(
                    text.contains(message),
                    "{file:?}: {text:?} lacks {message:?}"
                );
                assert!(std::error::Error::source(&error).is_some());
            }
        }
    }

    #[test]
    fn every_malformed_file_is_an_error_with_a_message() {
        let good =
            r#"{"inputs":1,"layers":[2,1],"parameters":["0.5","-1","2","0","1","-3","0.25"]}"#;
        assert!(MLP::load_json(good.as_bytes()).is_ok());
        let cases: &[(&str, &str)] = &[
            // not JSON
            ("", "not a tapegrad model file: EOF while parsing"),
            ("model", "expected value"),
            (&good[..good.len() / 2], "EOF while parsing"),
            (&format!("{good} trailing"), "trailing characters"),
            // JSON of another shape
            (
                "[]",
                "invalid length 0, expected an object with the fields inputs, layers and parameters",
            ),
            (
                "5",
                "invalid type: integer `5`, expected an object with the fields inputs, layers",
            ),
            (r#"{"inputs":1,"layers":[1]}"#, "missing field `parameters`"),
            (
                r#"{"layers":[1],"parameters":[0,0]}"#,
                "missing field `inputs`",
            ),
            (
                r#"{"inputs":1,"layers":[1],"parameters":[0,0],"bias":true}"#,
                "unknown field `bias`",
            ),
            (
                r#"{"inputs":1,"inputs":1,"layers":[1],"parameters":[0,0]}"#,
                "duplicate field `inputs`",
            ),
            (
                r#"{"inputs":-1,"layers":[1],"parameters":[0,0]}"#,
                "invalid value: integer `-1`",
            ),
            (
                r#"{"inputs":1.5,"layers":[1],"parameters":[0,0]}"#,
                "invalid type: floating point",
            ),
            (
                r#"{"inputs":1,"layers":1,"parameters":[0,0]}"#,
                "invalid type: integer `1`, expected a sequence",
            ),
            (
                r#"{"inputs":1,"layers":[1],"parameters":[0,null]}"#,
                "invalid type: null, expected a number, or a string holding one",
            ),
            (
                r#"{"inputs":1,"layers":[1],"parameters":[0,true]}"#,
                "invalid type: boolean",
            ),
            (
                r#"{"inputs":1,"layers":[1],"parameters":[0,[1]]}"#,
                "invalid type: sequence",
            ),
            (
                r#"{"inputs":1,"layers":[1],"parameters":[0,"one"]}"#,
                "invalid value: string \"one\"",
            ),
            (
                r#"{"inputs":1,"layers":[1],"parameters":[0,""]}"#,
                "invalid value: string \"\"",
            ),
            (
                r#"{"inputs":1,"layers":[1],"parameters":[0,1e400]}"#,
                "number out of range",
            ),
            // no valid model
            (
                r#"{"inputs":0,"layers":[1],"parameters":[0]}"#,
                "invalid model file: a model must read at least one input",
            ),
            (
                r#"{"inputs":1,"layers":[],"parameters":[]}"#,
                "at least one layer",
            ),
            (
                r#"{"inputs":1,"layers":[2,0,1],"parameters":[]}"#,
                "layer 1 (counting from 0) has no neurons",
            ),
            (
                r#"{"inputs":1,"layers":[2,1],"parameters":[0,0,0,0,0,0]}"#,
                "the layer sizes take 7 parameters, but 6 were given",
            ),
            (
                r#"{"inputs":1,"layers":[1],"parameters":[0,0,0]}"#,
                "take 2 parameters, but 3 were given",
            ),
            (
                r#"{"inputs":1,"layers":[18446744073709551615,2],"parameters":[]}"#,
                "more parameters than a usize can count",
            ),
            (
                r#"{"inputs":1,"layers":[4611686018427387904],"parameters":[]}"#,
                "more parameters than a usize can count",
            ),
            (
                r#"{"inputs":1,"layers":[1],"parameters":[0,"NaN"]}"#,
                "parameter 1 (counting from 0) is NaN",
            ),
            (
                r#"{"inputs":1,"layers":[1],"parameters":["inf",0]}"#,
                "parameter 0 (counting from 0) is inf",
            ),
            (
                r#"{"inputs":1,"layers":[1],"parameters":["-infinity",0]}"#,
                "is -inf",
            ),
        ];
        for (file, message) in cases {
            assert_rejected(file, message);
        }
    }

    #[test]
    fn a_failing_reader_is_an_error() {
        struct Broken;
        impl std::io::Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk on fire"))
            }
        }
        let error = MLP::load_json(Broken).unwrap_err();
        assert!(matches!(error, LoadError::Json(_)));
        assert_eq!(
            error.to_string(),
            "could not read the model file: disk on fire"
        );
    }

    #[test]
    fn a_model_with_a_non_finite_parameter_is_not_saved() {
        let mut model = MLP::new(2, &[3, 1]);
        model.parameters_mut()[4] = f64::NAN;
        let mut file = Vec::new();
        let error = model.save_json(&mut file).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(
            error.to_string(),
            "parameter 4 (counting from 0) is NaN; parameters must be finite"
        );
        assert!(file.is_empty());
    }
}
