//! [`Neuron`], [`Layer`] and [`MLP`]: micrograd's modules, as layouts over one flat
//! parameter slice (described in the [crate docs](crate)), evaluated by one
//! generic forward pass for any `T: Relu`.

use std::fmt;

use num_traits::Float;

use crate::data::SplitMix64;
use tapegrad::Var;

/// `max(x, 0)` with micrograd's convention `relu'(0) = 0`, for any [`Relu`] type
/// (`f64`, `f32`, [`Var`]). NaN stays NaN.
///
/// ```
/// use tapegrad_nn::relu;
/// assert_eq!(relu(2.5), 2.5);
/// assert_eq!(relu(-1.0), 0.0);
/// let (_, gradient) = tapegrad::gradient(|x| relu(x[0]), &[0.0]);
/// assert_eq!(gradient, vec![0.0]);
/// ```
#[inline]
pub fn relu<T: Relu>(x: T) -> T {
    x.relu()
}

/// A [`Float`] with a ReLU: what the networks of this module compute with.
///
/// The provided method returns `x` for `x > 0` (and NaN) and the constant 0 otherwise.
/// [`Var`] overrides it with [`Var::relu`], which records a `relu` node, so that the
/// ReLU shows in [pictures of the graph](tapegrad::graph) even where it outputs 0. A custom
/// float type opts in with `impl Relu for MyFloat {}`.
pub trait Relu: Float {
    /// `max(self, 0)`, with derivative 0 at 0.
    #[inline]
    fn relu(self) -> Self {
        if self > Self::zero() || self.is_nan() {
            self
        } else {
            Self::zero()
        }
    }
}

impl Relu for f64 {}

impl Relu for f32 {}

impl Relu for Var<'_> {
    #[inline]
    fn relu(self) -> Self {
        Var::relu(self)
    }
}

/// What a neuron applies to its weighted sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Activation {
    /// [`relu`]: micrograd's nonlinearity, used in every hidden layer of an [`MLP`].
    Relu,
    /// None: the weighted sum itself, as in the last layer of an [`MLP`].
    Linear,
}

impl Activation {
    /// Applies the activation to `x`.
    #[inline]
    pub fn apply<T: Relu>(self, x: T) -> T {
        match self {
            Activation::Relu => relu(x),
            Activation::Linear => x,
        }
    }
}

/// micrograd's `Module`: something whose parameters sit side by side in a flat slice.
///
/// The parameters' values are not kept by [`Neuron`] and [`Layer`], which only describe
/// a layout; an [`MLP`] keeps them as `f64` between training steps.
pub trait Module {
    /// How many parameters the module has (micrograd's `len(module.parameters())`).
    fn parameter_count(&self) -> usize;
    /// How many numbers the module reads.
    fn inputs(&self) -> usize;
    /// How many numbers the module writes.
    fn outputs(&self) -> usize;
}

/// One neuron: `activation(b + Σ wᵢ xᵢ)`, micrograd's `Neuron(nin, nonlin)`.
///
/// Its parameters are its weights, one per input, then its bias.
///
/// ```
/// use tapegrad_nn::{Activation, Module, Neuron};
///
/// let neuron = Neuron::new(2, Activation::Relu);
/// assert_eq!(neuron.parameter_count(), 3);
/// // weights 2 and -1, bias 0.5
/// assert_eq!(neuron.forward(&[2.0, -1.0, 0.5], &[1.0, 3.0]), 0.0); // relu(-0.5)
/// assert_eq!(neuron.forward(&[2.0, -1.0, 0.5], &[3.0, 1.0]), 5.5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Neuron {
    inputs: usize,
    activation: Activation,
}

impl Neuron {
    /// A neuron reading `inputs` numbers.
    pub const fn new(inputs: usize, activation: Activation) -> Self {
        Neuron { inputs, activation }
    }

    /// The neuron's activation.
    pub const fn activation(&self) -> Activation {
        self.activation
    }

    /// The neuron's output for its `parameters` (weights, then bias) and `input`.
    ///
    /// The sum starts from the bias and adds `wᵢ xᵢ` in order, as micrograd's
    /// `sum((wi * xi for ...), self.b)`; it is the same sequence of `f64` operations for
    /// every `T`, so `f64` and `Var` give identical values.
    ///
    /// # Panics
    ///
    /// If `parameters` does not hold `inputs + 1` numbers or `input` does not hold
    /// `inputs`.
    #[inline]
    pub fn forward<T: Relu>(&self, parameters: &[T], input: &[T]) -> T {
        assert!(
            parameters.len() == self.inputs + 1 && input.len() == self.inputs,
            "tapegrad_nn::Neuron::forward: a neuron of {} inputs takes {} parameters and {} \
             inputs, not {} and {}",
            self.inputs,
            self.inputs + 1,
            self.inputs,
            parameters.len(),
            input.len()
        );
        let (weights, bias) = parameters.split_at(self.inputs);
        let sum = weights
            .iter()
            .zip(input)
            .fold(bias[0], |sum, (&w, &x)| sum + w * x);
        self.activation.apply(sum)
    }
}

impl Module for Neuron {
    fn parameter_count(&self) -> usize {
        self.inputs + 1
    }
    fn inputs(&self) -> usize {
        self.inputs
    }
    fn outputs(&self) -> usize {
        1
    }
}

impl fmt::Display for Neuron {
    /// micrograd's `repr`: `ReLUNeuron(2)` or `LinearNeuron(16)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.activation {
            Activation::Relu => "ReLU",
            Activation::Linear => "Linear",
        };
        write!(f, "{kind}Neuron({})", self.inputs)
    }
}

/// A layer of `outputs` neurons that all read the same `inputs` numbers, micrograd's
/// `Layer(nin, nout)`.
///
/// Its parameters are those of its neurons, one neuron after another.
///
/// ```
/// use tapegrad_nn::{Activation, Layer, Module};
///
/// let layer = Layer::new(2, 3, Activation::Linear);
/// assert_eq!(layer.parameter_count(), 9);
/// let parameters = [1.0, 0.0, 0.0, /**/ 0.0, 1.0, 0.0, /**/ 1.0, 1.0, 10.0];
/// let mut output = [0.0; 3];
/// layer.forward(&parameters, &[2.0, 3.0], &mut output);
/// assert_eq!(output, [2.0, 3.0, 15.0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Layer {
    inputs: usize,
    outputs: usize,
    activation: Activation,
}

impl Layer {
    /// A layer of `outputs` neurons reading `inputs` numbers each.
    pub const fn new(inputs: usize, outputs: usize, activation: Activation) -> Self {
        Layer {
            inputs,
            outputs,
            activation,
        }
    }

    /// The layer's activation, that of each of its neurons.
    pub const fn activation(&self) -> Activation {
        self.activation
    }

    /// The shape of each of the layer's neurons.
    pub const fn neuron(&self) -> Neuron {
        Neuron::new(self.inputs, self.activation)
    }

    /// Writes the output of neuron `j` to `output[j]`, for the layer's `parameters` and
    /// `input`.
    ///
    /// # Panics
    ///
    /// If the slices do not have the lengths that the layer's shape dictates.
    pub fn forward<T: Relu>(&self, parameters: &[T], input: &[T], output: &mut [T]) {
        assert!(
            parameters.len() == self.parameter_count()
                && input.len() == self.inputs
                && output.len() == self.outputs,
            "tapegrad_nn::Layer::forward: a layer of {} inputs and {} outputs takes {} \
             parameters, {} inputs and room for {} outputs, not {}, {} and {}",
            self.inputs,
            self.outputs,
            self.parameter_count(),
            self.inputs,
            self.outputs,
            parameters.len(),
            input.len(),
            output.len()
        );
        let neuron = self.neuron();
        for (out, parameters) in output
            .iter_mut()
            .zip(parameters.chunks_exact(self.inputs + 1))
        {
            *out = neuron.forward(parameters, input);
        }
    }
}

impl Module for Layer {
    fn parameter_count(&self) -> usize {
        self.outputs * (self.inputs + 1)
    }
    fn inputs(&self) -> usize {
        self.inputs
    }
    fn outputs(&self) -> usize {
        self.outputs
    }
}

impl fmt::Display for Layer {
    /// micrograd's `repr`: `Layer of [ReLUNeuron(2), ReLUNeuron(2)]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Layer of [")?;
        for j in 0..self.outputs {
            if j > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}", self.neuron())?;
        }
        f.write_str("]")
    }
}

/// Why a layout or a list of parameters does not make a model.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum LayoutError {
    /// The model reads no inputs.
    NoInputs,
    /// The model has no layers.
    NoLayers,
    /// Layer number `layer` (from 0) has no neurons.
    EmptyLayer {
        /// Which layer, counting from 0.
        layer: usize,
    },
    /// The number of parameters does not fit in a `usize`.
    TooLarge,
    /// The layout takes `expected` parameters, but `found` were given.
    ParameterCount {
        /// What the layout takes.
        expected: usize,
        /// What was given.
        found: usize,
    },
    /// Parameter number `index` is NaN or infinite.
    NonFinite {
        /// Which parameter, counting from 0.
        index: usize,
        /// Its value.
        value: f64,
    },
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LayoutError::NoInputs => f.write_str("a model must read at least one input"),
            LayoutError::NoLayers => f.write_str("a model must have at least one layer"),
            LayoutError::EmptyLayer { layer } => write!(
                f,
                "layer {layer} (counting from 0) has no neurons; every layer needs at least one"
            ),
            LayoutError::TooLarge => {
                f.write_str("the layer sizes make more parameters than a usize can count")
            }
            LayoutError::ParameterCount { expected, found } => write!(
                f,
                "the layer sizes take {expected} parameters, but {found} were given"
            ),
            LayoutError::NonFinite { index, value } => write!(
                f,
                "parameter {index} (counting from 0) is {value}; parameters must be finite"
            ),
        }
    }
}

impl std::error::Error for LayoutError {}

/// Reusable buffers for [`MLP::forward`]: the activations between layers.
///
/// Make one per element type and pass it to every call: the first call sizes its buffers
/// and later calls allocate nothing. Its contents between calls mean nothing.
///
/// ```
/// use tapegrad_nn::{MLP, Workspace};
///
/// let model = MLP::new(2, &[4, 1]);
/// let mut workspace = Workspace::new();
/// let y = model.forward(model.parameters(), &[0.5, -0.5], &mut workspace)[0];
/// assert_eq!(y, model.predict(&[0.5, -0.5])[0]);
/// ```
#[derive(Clone, Debug)]
pub struct Workspace<T> {
    current: Vec<T>,
    next: Vec<T>,
}

impl<T> Workspace<T> {
    /// Empty buffers, sized by the first forward pass.
    pub const fn new() -> Self {
        Workspace {
            current: Vec::new(),
            next: Vec::new(),
        }
    }
}

impl<T> Default for Workspace<T> {
    fn default() -> Self {
        Workspace::new()
    }
}

/// A multi-layer perceptron, micrograd's `MLP(nin, nouts)`: layers of [`relu`] neurons,
/// the last one linear, with its parameters in one flat `Vec<f64>` (see the
/// [crate docs](crate) for the layout).
///
/// The model is written once, generic over `T: Relu`: [`forward`](MLP::forward) runs on
/// `f64` parameters for inference and on [`Var`](tapegrad::Var) parameters for training,
/// and both give the same values to the last bit.
///
/// ```
/// use tapegrad_nn::{MLP, Module};
///
/// let model = MLP::new(2, &[16, 16, 1]);
/// assert_eq!(model.parameter_count(), 337);
/// assert_eq!(model.layers().len(), 3);
/// assert_eq!(model.to_string().matches("ReLUNeuron(2)").count(), 16);
/// let score = model.predict(&[0.5, 1.0])[0];
/// # let _ = score;
/// ```
// `MLP` is micrograd's name, and the name this crate's users look for.
#[allow(clippy::upper_case_acronyms)]
#[derive(Clone, Debug, PartialEq)]
pub struct MLP {
    inputs: usize,
    layers: Vec<Layer>,
    parameters: Vec<f64>,
}

/// The seed of [`MLP::new`].
const DEFAULT_SEED: u64 = 1337;

impl MLP {
    /// A model reading `inputs` numbers through layers of `outputs[0]`, `outputs[1]`, ...
    /// neurons, initialized as micrograd does: weights uniform in `[-1, 1)`, biases 0.
    ///
    /// The weights come from a generator of a fixed seed, so every call gives the same
    /// model; [`with_seed`](MLP::with_seed) draws others.
    ///
    /// # Panics
    ///
    /// If `inputs` is 0, `outputs` is empty or holds a 0, or the parameters would not fit
    /// in memory's address space.
    pub fn new(inputs: usize, outputs: &[usize]) -> Self {
        MLP::with_seed(inputs, outputs, DEFAULT_SEED)
    }

    /// [`MLP::new`] with weights drawn from the SplitMix64 generator seeded with `seed`:
    /// weight `i` in layout order is `low + (high - low) u` with `low = -1`, `high = 1`
    /// and `u` the generator's `i`-th number in `[0, 1)` (its top 53 bits over 2⁵³).
    ///
    /// # Panics
    ///
    /// As [`MLP::new`].
    pub fn with_seed(inputs: usize, outputs: &[usize], seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        MLP::with_init(inputs, outputs, &mut || rng.uniform_in(-1.0, 1.0))
    }

    /// A model whose weights are successive calls of `init`, in layout order, and whose
    /// biases are 0.
    ///
    /// ```
    /// use tapegrad_nn::MLP;
    ///
    /// let model = MLP::with_init(1, &[2, 1], &mut || 0.5);
    /// assert_eq!(model.parameters(), [0.5, 0.0, 0.5, 0.0, /**/ 0.5, 0.5, 0.0]);
    /// ```
    ///
    /// # Panics
    ///
    /// As [`MLP::new`].
    pub fn with_init(inputs: usize, outputs: &[usize], init: &mut impl FnMut() -> f64) -> Self {
        let (layers, count) =
            layout(inputs, outputs).unwrap_or_else(|error| panic!("tapegrad_nn::MLP: {error}"));
        let mut parameters = Vec::with_capacity(count);
        for layer in &layers {
            for _ in 0..layer.outputs {
                parameters.extend((0..layer.inputs).map(|_| init()));
                parameters.push(0.0);
            }
        }
        MLP {
            inputs,
            layers,
            parameters,
        }
    }

    /// A model of the given shape with the given parameters, in layout order.
    ///
    /// ```
    /// use tapegrad_nn::{LayoutError, MLP};
    ///
    /// let model = MLP::from_parameters(1, &[1], vec![2.0, 1.0]).unwrap();
    /// assert_eq!(model.predict(&[3.0]), [7.0]);
    /// assert_eq!(
    ///     MLP::from_parameters(1, &[1], vec![2.0]),
    ///     Err(LayoutError::ParameterCount { expected: 2, found: 1 })
    /// );
    /// ```
    ///
    /// # Errors
    ///
    /// If `inputs` is 0, `outputs` is empty or holds a 0, the count of `parameters` is
    /// not the one the shape takes, or a parameter is NaN or infinite.
    pub fn from_parameters(
        inputs: usize,
        outputs: &[usize],
        parameters: Vec<f64>,
    ) -> Result<Self, LayoutError> {
        let (layers, count) = layout(inputs, outputs)?;
        if parameters.len() != count {
            return Err(LayoutError::ParameterCount {
                expected: count,
                found: parameters.len(),
            });
        }
        if let Some((index, &value)) = parameters.iter().enumerate().find(|(_, p)| !p.is_finite()) {
            return Err(LayoutError::NonFinite { index, value });
        }
        Ok(MLP {
            inputs,
            layers,
            parameters,
        })
    }

    /// The layers, first to last: all [`Activation::Relu`] but the last, which is
    /// [`Activation::Linear`].
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The parameters, in layout order.
    pub fn parameters(&self) -> &[f64] {
        &self.parameters
    }

    /// The parameters, in layout order, to update.
    pub fn parameters_mut(&mut self) -> &mut [f64] {
        &mut self.parameters
    }

    /// The model's output for `parameters` (laid out as [`parameters`](MLP::parameters))
    /// and `input`, computed in `workspace`.
    ///
    /// `T` is the number type of the computation: `f64` for inference with
    /// `model.parameters()`, [`Var`](tapegrad::Var) for training, with the Vars that
    /// [`gradient_into`](tapegrad::gradient_into) hands its closure. `input` may hold `T`s
    /// or anything `T` converts from, such as `f64` data for `Var` parameters. The
    /// result borrows `workspace`; after the first call with a workspace, no call
    /// allocates.
    ///
    /// ```
    /// use tapegrad::Var;
    /// use tapegrad_nn::{MLP, Workspace};
    ///
    /// let model = MLP::new(2, &[8, 1]);
    /// let x = [0.5, -1.0];
    /// let mut workspace: Workspace<Var<'static>> = Workspace::new();
    /// let mut gradient = vec![0.0; model.parameters().len()];
    /// let y = tapegrad::gradient_into(
    ///     |p| model.forward(p, &x, &mut workspace)[0],
    ///     model.parameters(),
    ///     &mut gradient,
    /// );
    /// assert_eq!(y, model.predict(&x)[0]);
    /// let last_bias = gradient.len() - 1;
    /// assert_eq!(gradient[last_bias], 1.0); // the output is linear in its bias
    /// ```
    ///
    /// # Panics
    ///
    /// If `parameters` or `input` do not have the lengths that the model's shape
    /// dictates.
    pub fn forward<'w, T, X>(
        &self,
        parameters: &[T],
        input: &[X],
        workspace: &'w mut Workspace<T>,
    ) -> &'w [T]
    where
        T: Relu + From<X>,
        X: Copy,
    {
        assert!(
            parameters.len() == self.parameters.len() && input.len() == self.inputs,
            "tapegrad_nn::MLP::forward: this model takes {} parameters and {} inputs, not \
             {} and {}",
            self.parameters.len(),
            self.inputs,
            parameters.len(),
            input.len()
        );
        let Workspace { current, next } = workspace;
        current.clear();
        current.extend(input.iter().map(|&x| <T as From<X>>::from(x)));
        let mut rest = parameters;
        for layer in &self.layers {
            let (own, after) = rest.split_at(layer.parameter_count());
            rest = after;
            next.clear();
            next.resize(layer.outputs, T::zero());
            layer.forward(own, current, next);
            std::mem::swap(current, next);
        }
        current
    }

    /// The model's output for `input`: [`forward`](MLP::forward) on the model's own
    /// parameters, with a fresh workspace.
    ///
    /// # Panics
    ///
    /// If `input` does not hold [`inputs`](Module::inputs) numbers.
    pub fn predict(&self, input: &[f64]) -> Vec<f64> {
        self.forward(&self.parameters, input, &mut Workspace::new())
            .to_vec()
    }
}

/// The layers of an MLP of this shape and its parameter count.
fn layout(inputs: usize, outputs: &[usize]) -> Result<(Vec<Layer>, usize), LayoutError> {
    if inputs == 0 {
        return Err(LayoutError::NoInputs);
    }
    if outputs.is_empty() {
        return Err(LayoutError::NoLayers);
    }
    if let Some(layer) = outputs.iter().position(|&n| n == 0) {
        return Err(LayoutError::EmptyLayer { layer });
    }
    let mut layers = Vec::with_capacity(outputs.len());
    let mut count = 0usize;
    let mut width = inputs;
    for (k, &n) in outputs.iter().enumerate() {
        let activation = if k + 1 == outputs.len() {
            Activation::Linear
        } else {
            Activation::Relu
        };
        let layer = Layer::new(width, n, activation);
        count = width
            .checked_add(1)
            .and_then(|per_neuron| per_neuron.checked_mul(n))
            .and_then(|own| own.checked_add(count))
            .filter(|&total| total <= isize::MAX as usize / size_of::<f64>())
            .ok_or(LayoutError::TooLarge)?;
        layers.push(layer);
        width = n;
    }
    Ok((layers, count))
}

impl Module for MLP {
    fn parameter_count(&self) -> usize {
        self.parameters.len()
    }
    fn inputs(&self) -> usize {
        self.inputs
    }
    fn outputs(&self) -> usize {
        self.layers.last().map_or(0, |layer| layer.outputs)
    }
}

impl fmt::Display for MLP {
    /// micrograd's `repr`: `MLP of [Layer of [ReLUNeuron(2), ...], ...]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MLP of [")?;
        for (k, layer) in self.layers.iter().enumerate() {
            if k > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{layer}")?;
        }
        f.write_str("]")
    }
}
