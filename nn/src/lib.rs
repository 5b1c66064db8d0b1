//! A small neural-network library on [tapegrad]'s tape, in the spirit of
//! micrograd's `nn`.
//!
//! | micrograd | tapegrad |
//! |---|---|
//! | `Module.parameters()` | [`Module`] ([`parameter_count`](Module::parameter_count)), [`MLP::parameters`] |
//! | `Neuron(nin, nonlin)` | [`Neuron::new`]`(inputs, activation)` |
//! | `Layer(nin, nout)` | [`Layer::new`]`(inputs, outputs, activation)` |
//! | `MLP(nin, nouts)` | [`MLP::new`]`(inputs, &outputs)`: ReLU layers, the last linear |
//! | `model(x)` | [`MLP::forward`]`(params, x, &mut workspace)`, [`MLP::predict`]`(x)` |
//! | max-margin loss + L2 | [`hinge_loss`] + [`l2_regularization`], [`accuracy`] |
//! | `p.data -= lr * p.grad` | [`Sgd`] (with a [`Schedule`] and momentum), [`Adam`] |
//!
//! A model keeps its parameters as `f64`s in one flat vector between training steps, and
//! is written once, generic over `T: Float`: on `f64` parameters it predicts, and on the
//! [`Var`](tapegrad::Var)s that [`gradient_into`](tapegrad::gradient_into) hands its closure
//! it records a step's computation on a tape that is reused from step to step. With a
//! [`Workspace`] for the activations and buffers made before the loop, a training step
//! (forward pass over a batch, loss, gradient, optimizer update) allocates nothing after
//! the first.
//!
//! ```
//! use tapegrad::Var;
//! use tapegrad_nn::{MLP, Sgd, Workspace, accuracy, hinge_loss, l2_regularization};
//!
//! // XOR, labels ±1.
//! let xs = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
//! let ys = [-1.0, 1.0, 1.0, -1.0];
//!
//! let mut model = MLP::new(2, &[8, 8, 1]);
//! let mut optimizer = Sgd::new(model.parameters().len(), 0.05).with_momentum(0.9);
//! let mut workspace: Workspace<Var<'static>> = Workspace::new();
//! let mut scores = Vec::with_capacity(xs.len());
//! let mut gradient = vec![0.0; model.parameters().len()];
//!
//! let mut losses = Vec::new();
//! for _ in 0..30 {
//!     let loss = tapegrad::gradient_into(
//!         |p| {
//!             scores.clear();
//!             for x in &xs {
//!                 scores.push(model.forward(p, x, &mut workspace)[0]);
//!             }
//!             hinge_loss(&scores, &ys) + l2_regularization(p, 1e-4)
//!         },
//!         model.parameters(),
//!         &mut gradient,
//!     );
//!     optimizer.step(model.parameters_mut(), &gradient);
//!     losses.push(loss);
//! }
//! assert!(losses[29] < losses[0] / 2.0, "{losses:?}");
//!
//! // Inference on plain f64.
//! let predictions: Vec<f64> = xs.iter().map(|x| model.predict(x)[0]).collect();
//! assert_eq!(accuracy(&predictions, &ys), 1.0);
//! ```
//!
//! # Layout of the parameters
//!
//! A neuron of `n` inputs owns `n + 1` consecutive parameters: its `n` weights, then its
//! bias (micrograd's `parameters()` order, `w + [b]`). A layer's neurons follow one
//! another, and an MLP's layers follow one another. So `MLP::new(2, &[16, 16, 1])` holds
//! `16 · 3 + 16 · 17 + 1 · 17 = 337` parameters, the first 48 those of its first layer.
//!
//! # Losses
//!
//! Each loss is a generic function over `T: Float`, so it gives a value on `f64` and a
//! value to differentiate on `Var`. Labels and targets are `f64` data.
//!
//! | function | loss |
//! |---|---|
//! | [`hinge_loss`] | micrograd's max-margin loss, `mean(relu(1 - yᵢ sᵢ))`, labels ±1 |
//! | [`l2_regularization`] | `alpha Σ p²`, micrograd's `reg_loss` with `alpha = 1e-4` |
//! | [`mean_squared_error`] | `mean((pᵢ - tᵢ)²)` |
//! | [`binary_cross_entropy_with_logits`] | `mean(-tᵢ ln σ(zᵢ) - (1 - tᵢ) ln(1 - σ(zᵢ)))`, stable |
//! | [`softmax_cross_entropy`] | `-ln softmax(z)[class]` of one sample, stable |
//! | [`accuracy`] | the fraction of scores on the side of 0 of their label (not a loss) |
//!
//! The batch losses average over the batch; the mean of an empty batch is NaN, as 0/0.
//!
//! # Optimizers
//!
//! [`Sgd`] and [`Adam`] update a slice of `f64` parameters from their gradient with
//! `step(&mut parameters, &gradients)` (also through the [`Optimizer`] trait). Their
//! state is sized when they are made, so a step allocates nothing. The learning rate is
//! an `f64` or a [`Schedule`]: a closure from the step number, counting from 0, to the
//! rate.
//!
//! # Saving and loading
//!
//! With the feature `serde`, [`MLP::save_json`] writes a model and
//! [`MLP::load_json`] reads it back, its parameters bit for bit. A model file is one JSON
//! object with the model's shape and its parameters in layout order:
//!
//! ```json
//! {"inputs":2,"layers":[16,16,1],"parameters":["-0.2868241676885137","0.0", ...]}
//! ```
//!
//! `layers` holds the sizes given to [`MLP::new`]. Each parameter is written as a string
//! in Rust's shortest round-trip notation, because a JSON reader need not read a
//! 17-digit number back to the same `f64` (serde_json's default reader can miss by one
//! unit in the last place), while [`str::parse`] always does. Plain JSON numbers are
//! read too, for files written by hand or by other tools. A malformed file — not JSON,
//! a missing or unknown field, a layer of size 0, a parameter count that does not match
//! the layers, a parameter that is not a finite number — gives a `LoadError` that says
//! what is wrong, never a panic.
//!
//! [`MLP::save_json`]: MLP#method.save_json
//! [`MLP::load_json`]: MLP#method.load_json

#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![deny(unconditional_recursion)]
#![forbid(unsafe_code)]

mod loss;
mod model;
mod optim;
#[cfg(feature = "serde")]
mod save;

pub use loss::{
    accuracy, binary_cross_entropy_with_logits, hinge_loss, l2_regularization, mean_squared_error,
    softmax_cross_entropy,
};
pub use model::{Activation, Layer, LayoutError, MLP, Module, Neuron, Relu, Workspace, relu};
pub use optim::{Adam, Optimizer, Schedule, Sgd};
#[cfg(feature = "serde")]
pub use save::LoadError;

pub mod data;
pub mod digits;
pub mod idx;
