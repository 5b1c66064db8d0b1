//! Pictures of the computation graph behind a value, like micrograd's `draw_dot`: every
//! node with its operation, value and gradient, each constant operand as a leaf with its
//! value, and a caption that says what the picture shows, as Graphviz DOT text or as an
//! SVG drawn here in pure Rust (nothing to install; any browser shows it).
//!
//! Recording the operation of each node costs memory, so a tape records it only when
//! asked with [`Tape::record_graph`]; the first-order recording path tests one flag.
//!
//! ```
//! use tapegrad::Tape;
//!
//! let mut tape = Tape::new();
//! tape.record_graph(true);
//! let x = tape.var(2.0);
//! let w = tape.var(-3.0);
//! let y = (x * w + 1.0).relu();
//! let grads = tape.backward(y);
//! let graph = tape
//!     .graph(y)
//!     .unwrap()
//!     .gradients(&grads)
//!     .label(x, "x")
//!     .label(w, "w")
//!     .caption("relu(x w + 1) at x = 2, w = -3: gradients of y");
//! let dot = graph.to_dot();
//! assert!(dot.contains("relu"));
//! assert!(dot.contains("{ data 1.0000 }")); // the constant 1.0
//! let svg = graph.to_svg();
//! assert!(svg.starts_with("<svg"));
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write};

use crate::gradients::Gradients;
use crate::graph_svg::{self, ValueBox};
use crate::storage::{SINK, Storage};
use crate::tape::Tape;
use crate::var::CONSTANT;
use crate::var::Var;

/// The largest graph [`Tape::graph`] builds: beyond a few hundred nodes a picture is no
/// longer readable.
pub const MAX_NODES: usize = 1000;

/// Why a graph could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GraphError {
    /// Some node behind the value was recorded while [`Tape::record_graph`] was off.
    NotRecorded,
    /// More than `limit` nodes lie behind the value.
    TooLarge {
        /// The limit, [`MAX_NODES`].
        limit: usize,
    },
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GraphError::NotRecorded => write!(
                f,
                "the graph was not recorded: call tape.record_graph(true) before computing \
                 the value to draw"
            ),
            GraphError::TooLarge { limit } => write!(
                f,
                "more than {limit} nodes lie behind this value, too many to draw; draw a \
                 smaller part of the computation (one neuron rather than the whole network)"
            ),
        }
    }
}

impl std::error::Error for GraphError {}

/// One value of a [`Graph`].
#[derive(Clone, Debug, PartialEq)]
pub struct GraphNode {
    /// The operation that made it (`"*"`, `"exp"`, `"sum"`, ...), `"input"` for a leaf
    /// made by [`Tape::var`], or `"constant"` for a constant: an operand that belongs to
    /// no tape (`2.0` in `2.0 * x`), or the value drawn if it is itself a constant.
    pub op: &'static str,
    /// Its value.
    pub value: f64,
    /// Its gradient, once [`Graph::gradients`] has been given them; always `None` for a
    /// constant (see [`Graph`]).
    pub gradient: Option<f64>,
    /// The name given with [`Graph::label`].
    pub label: Option<String>,
    /// Its node on the tape; `None` for a constant.
    node: Option<u32>,
}

impl GraphNode {
    fn constant(value: f64) -> Self {
        GraphNode {
            op: "constant",
            value,
            gradient: None,
            label: None,
            node: None,
        }
    }

    /// Whether it is a constant rather than a value recorded on the tape.
    pub fn is_constant(&self) -> bool {
        self.node.is_none()
    }

    /// Whether an operation made it (and so it gets an operation circle).
    fn is_operation(&self) -> bool {
        self.op != "input" && self.op != "constant"
    }

    /// The text fields of its box: its label if any, its value and its gradient.
    fn fields(&self) -> Vec<String> {
        let mut fields = Vec::with_capacity(3);
        if let Some(label) = &self.label {
            fields.push(label.clone());
        }
        fields.push(format!("data {}", short(self.value)));
        if let Some(gradient) = self.gradient {
            fields.push(format!("grad {}", short(gradient)));
        }
        fields
    }
}

/// The part of a tape's computation graph that a value depends on.
///
/// Build it with [`Tape::graph`]; name inputs with [`label`](Graph::label), add
/// gradients with [`gradients`](Graph::gradients), say what it shows with
/// [`caption`](Graph::caption), then write it with [`to_dot`](Graph::to_dot) or
/// [`to_svg`](Graph::to_svg).
///
/// # Constants
///
/// Every constant operand of an operation (the `2.0` of `2.0 * x`, a `T::one()` of
/// generic code) is a leaf of its own, drawn dashed with its value, as micrograd draws
/// the `Value` it wraps around a number. It has no gradient field: the tape does not
/// differentiate with respect to constants ([`Gradients`] gives `0.0` for them), and a
/// `grad 0` would read as a computed sensitivity. micrograd shows there the gradient the
/// number would have as an input; for that, make it one with [`Tape::var`]. The terms of
/// an iterator's [`sum`](std::iter::Sum) that are constants are drawn as one constant,
/// their total, per node. A constant cannot be [labelled](Graph::label): it belongs to no
/// tape, so nothing tells it from another constant of the same value.
#[derive(Clone, Debug, PartialEq)]
pub struct Graph {
    nodes: Vec<GraphNode>,
    /// `(operand, result)`, as indices into `nodes`.
    edges: Vec<(usize, usize)>,
    generation: u32,
    caption: Option<String>,
}

impl Tape {
    /// Switches the recording of each operation's name, value and constant operands on
    /// or off, for [`Tape::graph`]. Off by default.
    pub fn record_graph(&mut self, on: bool) {
        self.with_storage(|storage| storage.set_graph(on));
    }

    /// The graph of everything `y` depends on, in the order it was computed.
    ///
    /// # Errors
    ///
    /// [`GraphError::NotRecorded`] if part of it was computed with
    /// [`record_graph`](Tape::record_graph) off, [`GraphError::TooLarge`] beyond
    /// [`MAX_NODES`] nodes, constants included (found without walking the rest of the
    /// tape).
    ///
    /// # Panics
    ///
    /// If `y` belongs to another tape.
    pub fn graph(&self, y: Var<'_>) -> Result<Graph, GraphError> {
        self.with_storage(|storage| match y.node_on(storage.generation) {
            Some(y) => Graph::build(storage, y),
            None => Ok(Graph {
                nodes: vec![GraphNode::constant(y.value())],
                edges: Vec::new(),
                generation: CONSTANT,
                caption: None,
            }),
        })
    }
}

impl Graph {
    fn build(storage: &Storage, y: u32) -> Result<Graph, GraphError> {
        // Every edge but those to the sink, as (node, operand), in node order.
        let links: Vec<(u32, u32)> = storage
            .edges_forward(y)
            .filter(|edge| edge.operand() != SINK as usize)
            .map(|edge| (edge.node as u32, edge.operand() as u32))
            .collect();
        let edges_of = |node: u32| {
            let from = links.partition_point(|&(n, _)| n < node);
            let to = links.partition_point(|&(n, _)| n <= node);
            links[from..to].iter().map(|&(_, operand)| operand)
        };
        // Everything y depends on, without recursion, stopping at the limit.
        let mut seen = vec![y];
        let mut stack = vec![y];
        let mut found: HashSet<u32> = HashSet::from([y]);
        while let Some(node) = stack.pop() {
            for operand in edges_of(node) {
                if found.insert(operand) {
                    if seen.len() == MAX_NODES {
                        return Err(GraphError::TooLarge { limit: MAX_NODES });
                    }
                    seen.push(operand);
                    stack.push(operand);
                }
            }
        }
        seen.sort_unstable();
        // The constant operands of a node, recorded in node order.
        let constants_of = |node: u32| {
            let from = storage.constants.partition_point(|c| c.node < node);
            let to = storage.constants.partition_point(|c| c.node <= node);
            &storage.constants[from..to]
        };
        let count = seen.len() + seen.iter().map(|&n| constants_of(n).len()).sum::<usize>();
        if count > MAX_NODES {
            return Err(GraphError::TooLarge { limit: MAX_NODES });
        }
        let mut nodes = Vec::with_capacity(count);
        let mut edges = Vec::new();
        let mut position: HashMap<u32, usize> = HashMap::with_capacity(seen.len());
        for &node in &seen {
            let &(op, value) = storage
                .annotations
                .get(node as usize)
                .filter(|(op, _)| *op != "?")
                .ok_or(GraphError::NotRecorded)?;
            // The operands in their order: the tape's, with the constants put back in
            // their slots, each constant a new node just before this one.
            let mut recorded = edges_of(node).map(|operand| position[&operand]);
            let mut constants = constants_of(node).iter().peekable();
            let mut inputs = Vec::new();
            for slot in 0.. {
                if let Some(constant) = constants.next_if(|c| c.slot == slot) {
                    inputs.push(nodes.len());
                    nodes.push(GraphNode::constant(constant.value));
                } else if let Some(operand) = recorded.next() {
                    inputs.push(operand);
                } else {
                    break;
                }
            }
            let result = nodes.len();
            position.insert(node, result);
            nodes.push(GraphNode {
                op,
                value,
                gradient: None,
                label: None,
                node: Some(node),
            });
            let first = edges.len();
            for operand in inputs {
                // `Var::sum(&[x, x])` has two edges from x; the picture draws one.
                if !edges[first..].contains(&(operand, result)) {
                    edges.push((operand, result));
                }
            }
        }
        Ok(Graph {
            nodes,
            edges,
            generation: storage.generation,
            caption: None,
        })
    }

    /// The nodes in the order they were computed: the value drawn is the last, the
    /// constant operands of an operation come just before it.
    pub fn nodes(&self) -> &[GraphNode] {
        &self.nodes
    }

    /// The edges `(operand, result)`, as indices into [`nodes`](Graph::nodes).
    pub fn edges(&self) -> &[(usize, usize)] {
        &self.edges
    }

    /// Adds each node's gradient from `grads` (constants have none).
    ///
    /// # Panics
    ///
    /// If `grads` come from another tape, or from before a clear.
    pub fn gradients(mut self, grads: &Gradients<'_>) -> Self {
        for node in &mut self.nodes {
            if let Some(index) = node.node {
                node.gradient = grads.of_node(self.generation, index);
                assert!(
                    node.gradient.is_some(),
                    "tapegrad: these gradients come from another tape than this graph"
                );
            }
        }
        self
    }

    /// Names the node of `x` in the picture (unless `x` is not part of the graph, or is a
    /// constant: see [`Graph`]).
    ///
    /// # Panics
    ///
    /// If `x` belongs to another tape than the graph, or its tape was cleared since.
    pub fn label(mut self, x: Var<'_>, name: impl Into<String>) -> Self {
        if self.generation == CONSTANT {
            return self; // the graph of a constant: one node, nothing recorded
        }
        let Some(index) = x.node_on(self.generation) else {
            return self; // a constant: nothing to name
        };
        if let Some(node) = self.nodes.iter_mut().find(|n| n.node == Some(index)) {
            node.label = Some(name.into());
        }
        self
    }

    /// Says what the picture shows, above it in the SVG and as the graph's label in DOT:
    /// which value, at which point, and of what the gradients are. Each line of `text`
    /// is a line of the caption.
    ///
    /// ```
    /// # use tapegrad::Tape;
    /// let mut tape = Tape::new();
    /// tape.record_graph(true);
    /// let x = tape.var(3.0);
    /// let y = x * x;
    /// let graph = tape.graph(y).unwrap().gradients(&tape.backward(y));
    /// let svg = graph.caption("y = x * x at x = 3: gradients of y").to_svg();
    /// assert!(svg.contains(">y = x * x at x = 3: gradients of y</text>"));
    /// ```
    pub fn caption(mut self, text: impl Into<String>) -> Self {
        self.caption = Some(text.into());
        self
    }

    /// The lines of the caption, none if there is none.
    fn caption_lines(&self) -> Vec<&str> {
        self.caption
            .as_deref()
            .map_or(Vec::new(), |c| c.lines().collect())
    }

    /// The graph in Graphviz DOT, drawn left to right like micrograd's `draw_dot`: a
    /// record `{ label | data | grad }` per value, dashed for a constant, a circle per
    /// operation, and the caption as the graph's label, on top.
    pub fn to_dot(&self) -> String {
        let mut dot = String::from("digraph tapegrad {\n  rankdir=LR;\n");
        let caption = self.caption_lines();
        if !caption.is_empty() {
            let label: Vec<String> = caption.iter().map(|line| escape_dot(line)).collect();
            let _ = writeln!(
                dot,
                "  graph [label=\"{}\", labelloc=t, fontname=\"monospace\"];",
                label.join("\\n")
            );
        }
        dot.push_str("  node [shape=record, fontname=\"monospace\"];\n");
        for (i, node) in self.nodes.iter().enumerate() {
            let fields = node
                .fields()
                .iter()
                .map(|field| escape_record(field))
                .collect::<Vec<_>>()
                .join(" | ");
            let style = if node.is_constant() {
                ", style=dashed"
            } else {
                ""
            };
            let _ = writeln!(dot, "  v{i} [label=\"{{ {fields} }}\"{style}];");
            if node.is_operation() {
                let op = escape_record(node.op);
                let _ = writeln!(dot, "  o{i} [label=\"{op}\", shape=circle];");
                let _ = writeln!(dot, "  o{i} -> v{i};");
            }
        }
        for &(operand, result) in &self.edges {
            let _ = writeln!(dot, "  v{operand} -> o{result};");
        }
        dot.push_str("}\n");
        dot
    }

    /// The graph as a standalone SVG picture, laid out here: values and operations in
    /// columns by depth, left to right, constants dashed, the caption above.
    pub fn to_svg(&self) -> String {
        let values: Vec<ValueBox<'_>> = self
            .nodes
            .iter()
            .map(|node| ValueBox {
                fields: node.fields(),
                operation: node.is_operation().then_some(node.op),
                constant: node.is_constant(),
            })
            .collect();
        graph_svg::render(&values, &self.edges, &self.caption_lines())
    }
}

/// `text` inside a double-quoted DOT string: quotes and backslashes escaped (so that no
/// `\n` or `\l` of the text becomes a Graphviz escape), control characters as U+FFFD.
fn escape_dot(text: &str) -> String {
    escape_dot_where(text, |c| matches!(c, '"' | '\\'))
}

/// `text` as a field of a DOT record label: as [`escape_dot`], and the characters that
/// records treat specially (`{ } | < >`) escaped too.
fn escape_record(text: &str) -> String {
    escape_dot_where(text, |c| {
        matches!(c, '{' | '}' | '|' | '<' | '>' | '"' | '\\')
    })
}

fn escape_dot_where(text: &str, special: impl Fn(char) -> bool) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if special(c) {
            escaped.push('\\');
            escaped.push(c);
        } else if c.is_control() {
            escaped.push(char::REPLACEMENT_CHARACTER);
        } else {
            escaped.push(c);
        }
    }
    escaped
}

/// `x` in a box of the picture: four decimals as micrograd's `draw_dot`, and scientific
/// notation where that would print many digits or lose them all (`1e300`, `3e-7`).
fn short(x: f64) -> String {
    if x == 0.0 || !x.is_finite() || (1e-4..1e6).contains(&x.abs()) {
        format!("{x:.4}")
    } else {
        format!("{x:.4e}")
    }
}
