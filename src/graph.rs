//! Pictures of the computation graph behind a value, like micrograd's `draw_dot`: every
//! node with its operation, value and gradient, as Graphviz DOT text or as an SVG drawn
//! here in pure Rust (nothing to install; any browser shows it).
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
//! let graph = tape.graph(y).unwrap().gradients(&grads).label(x, "x").label(w, "w");
//! let dot = graph.to_dot();
//! assert!(dot.contains("relu"));
//! let svg = graph.to_svg();
//! assert!(svg.starts_with("<svg"));
//! ```

use std::collections::HashMap;
use std::fmt::{self, Write};

use crate::active::CONSTANT;
use crate::gradients::Gradients;
use crate::storage::{FIRST, NODE, Storage};
use crate::tape::Tape;
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
    /// The operation that made it (`"*"`, `"exp"`, `"sum"`, ...), or `"input"` for a
    /// leaf made by [`Tape::var`] and `"constant"` for a constant output.
    pub op: &'static str,
    /// Its value.
    pub value: f64,
    /// Its gradient, once [`Graph::gradients`] has been given them.
    pub gradient: Option<f64>,
    /// The name given with [`Graph::label`].
    pub label: Option<String>,
    /// Its node on the tape.
    node: u32,
}

/// The part of a tape's computation graph that a value depends on.
///
/// Build it with [`Tape::graph`]; name inputs with [`label`](Graph::label), add
/// gradients with [`gradients`](Graph::gradients), then write it with
/// [`to_dot`](Graph::to_dot) or [`to_svg`](Graph::to_svg).
#[derive(Clone, Debug, PartialEq)]
pub struct Graph {
    nodes: Vec<GraphNode>,
    /// `(operand, result)`, as indices into `nodes`.
    edges: Vec<(usize, usize)>,
    generation: u32,
}

impl Tape {
    /// Switches the recording of each operation's name and value on or off, for
    /// [`Tape::graph`]. Off by default.
    pub fn record_graph(&mut self, on: bool) {
        self.with_storage(|storage| storage.set_extras(storage.second_order, on));
    }

    /// The graph of everything `y` depends on, in the order it was computed.
    ///
    /// # Errors
    ///
    /// [`GraphError::NotRecorded`] if part of it was computed with
    /// [`record_graph`](Tape::record_graph) off, [`GraphError::TooLarge`] beyond
    /// [`MAX_NODES`] nodes (found without walking the rest of the tape).
    ///
    /// # Panics
    ///
    /// If `y` belongs to another tape.
    pub fn graph(&self, y: Var<'_>) -> Result<Graph, GraphError> {
        if y.is_constant() {
            let node = GraphNode {
                op: "constant",
                value: y.value(),
                gradient: None,
                label: None,
                node: 0,
            };
            return Ok(Graph {
                nodes: vec![node],
                edges: Vec::new(),
                generation: CONSTANT,
            });
        }
        self.with_storage(|storage| {
            if y.generation != storage.generation {
                crate::active::mixed_tapes(y.generation, storage.generation);
            }
            Graph::build(storage, y.index)
        })
    }
}

impl Graph {
    fn build(storage: &Storage, y: u32) -> Result<Graph, GraphError> {
        let end = storage.end_of(y);
        let operands = &storage.edges.operands()[..end];
        // Where the edges of each node start: the sink's at 0, then the leading leaves',
        // which have none, then one start per first edge.
        let mut starts = Vec::with_capacity(y as usize + 2);
        starts.push(0);
        starts.resize(storage.leading as usize + 1, 1);
        for (edge, &operand) in operands.iter().enumerate().skip(1) {
            if operand & FIRST != 0 {
                starts.push(edge);
            }
        }
        starts.push(end);
        let edges_of = |node: u32| {
            let (from, to) = (starts[node as usize], starts[node as usize + 1]);
            operands[from..to].iter().map(|&operand| operand & NODE)
        };
        // Everything y depends on, without recursion, stopping at the limit.
        let mut seen = vec![y];
        let mut stack = vec![y];
        let mut index: HashMap<u32, usize> = HashMap::from([(y, 0)]);
        while let Some(node) = stack.pop() {
            for operand in edges_of(node) {
                if operand != 0 && !index.contains_key(&operand) {
                    if seen.len() == MAX_NODES {
                        return Err(GraphError::TooLarge { limit: MAX_NODES });
                    }
                    index.insert(operand, seen.len());
                    seen.push(operand);
                    stack.push(operand);
                }
            }
        }
        seen.sort_unstable();
        let mut nodes = Vec::with_capacity(seen.len());
        for &node in &seen {
            let &(op, value) = storage
                .annotations
                .get(node as usize)
                .filter(|(op, _)| *op != "?")
                .ok_or(GraphError::NotRecorded)?;
            nodes.push(GraphNode {
                op,
                value,
                gradient: None,
                label: None,
                node,
            });
        }
        let position: HashMap<u32, usize> = seen.iter().enumerate().map(|(i, &n)| (n, i)).collect();
        let mut edges = Vec::new();
        for (result, &node) in seen.iter().enumerate() {
            for operand in edges_of(node).filter(|&operand| operand != 0) {
                let edge = (position[&operand], result);
                if !edges.contains(&edge) {
                    edges.push(edge);
                }
            }
        }
        Ok(Graph {
            nodes,
            edges,
            generation: storage.generation,
        })
    }

    /// The nodes, inputs first and the value drawn last, in the order they were computed.
    pub fn nodes(&self) -> &[GraphNode] {
        &self.nodes
    }

    /// The edges `(operand, result)`, as indices into [`nodes`](Graph::nodes).
    pub fn edges(&self) -> &[(usize, usize)] {
        &self.edges
    }

    /// Adds each node's gradient from `grads`.
    ///
    /// # Panics
    ///
    /// If `grads` come from another tape, or from before a clear.
    pub fn gradients(mut self, grads: &Gradients<'_>) -> Self {
        for node in &mut self.nodes {
            node.gradient = grads.of_node(self.generation, node.node);
            assert!(
                node.gradient.is_some() || self.generation == CONSTANT,
                "tapegrad: these gradients come from another tape than this graph"
            );
        }
        self
    }

    /// Names the node of `x` in the picture (unless `x` is not part of the graph).
    pub fn label(mut self, x: Var<'_>, name: impl Into<String>) -> Self {
        let same_tape = x.generation == self.generation;
        if let Some(node) = self
            .nodes
            .iter_mut()
            .find(|n| same_tape && n.node == x.index)
        {
            node.label = Some(name.into());
        }
        self
    }

    /// The graph in Graphviz DOT, drawn left to right like micrograd's `draw_dot`: a
    /// record `{ label | data | grad }` per value, and a circle per operation.
    pub fn to_dot(&self) -> String {
        let mut dot = String::from(
            "digraph tapegrad {\n  rankdir=LR;\n  node [shape=record, fontname=\"monospace\"];\n",
        );
        for (i, node) in self.nodes.iter().enumerate() {
            let fields = node_fields(node)
                .iter()
                .map(|field| escape_record(field))
                .collect::<Vec<_>>()
                .join(" | ");
            let _ = writeln!(dot, "  v{i} [label=\"{{ {fields} }}\"];");
            if is_operation(node) {
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
    /// columns by depth, left to right.
    pub fn to_svg(&self) -> String {
        crate::graph_svg::render(self)
    }
}

/// Whether a node was made by an operation (and so gets an operation circle).
pub(crate) fn is_operation(node: &GraphNode) -> bool {
    node.op != "input" && node.op != "constant"
}

/// The text fields of a value's box: its label if any, its value and its gradient.
pub(crate) fn node_fields(node: &GraphNode) -> Vec<String> {
    let mut fields = Vec::with_capacity(3);
    if let Some(label) = &node.label {
        fields.push(label.clone());
    }
    fields.push(format!("data {:.4}", node.value));
    if let Some(gradient) = node.gradient {
        fields.push(format!("grad {gradient:.4}"));
    }
    fields
}

/// `text` with the characters that DOT records treat specially escaped.
fn escape_record(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '{' | '}' | '|' | '<' | '>' | '"' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
