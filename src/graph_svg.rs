//! Draws a [`Graph`] as SVG: a small layered layout, left to right, in the style of
//! Graphviz's `rankdir=LR` pictures of micrograd.
//!
//! Each value is a box of fields (label, data, grad) in column `2 d`, where `d` is its
//! depth (the longest path from an input); the operation that made it is a circle in
//! column `2 d - 1`, just before it. Within a column, items are ordered by the mean row
//! of what feeds them, which keeps edges short for the graphs that fit on a page.

use std::fmt::Write;

use crate::graph::{Graph, GraphNode, is_operation, node_fields};

const CHAR_WIDTH: f64 = 7.4;
const FIELD_PADDING: f64 = 14.0;
const BOX_HEIGHT: f64 = 30.0;
const RADIUS: f64 = 17.0;
const ROW: f64 = 52.0;
const COLUMN_GAP: f64 = 46.0;
const MARGIN: f64 = 20.0;

/// Something drawn: a value's box or an operation's circle.
struct Item {
    column: usize,
    width: f64,
    /// What feeds it, as indices into the items.
    inputs: Vec<usize>,
    /// Position after layout: centre y, left x.
    y: f64,
    x: f64,
}

pub(crate) fn render(graph: &Graph) -> String {
    let nodes = graph.nodes();
    // Items 0..n are the value boxes; operation circles follow.
    let mut items: Vec<Item> = nodes
        .iter()
        .map(|node| Item {
            column: 0,
            width: box_width(node),
            inputs: Vec::new(),
            y: 0.0,
            x: 0.0,
        })
        .collect();
    let mut circle_of = vec![None; nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        if is_operation(node) {
            let operands: Vec<usize> = graph
                .edges()
                .iter()
                .filter(|&&(_, result)| result == i)
                .map(|&(operand, _)| operand)
                .collect();
            // Nodes come in computation order, so operands already have their column.
            let depth = operands
                .iter()
                .map(|&o| items[o].column / 2 + 1)
                .max()
                .unwrap_or(1);
            items[i].column = 2 * depth;
            circle_of[i] = Some(items.len());
            items.push(Item {
                column: 2 * depth - 1,
                width: 2.0 * RADIUS,
                inputs: operands,
                y: 0.0,
                x: 0.0,
            });
        }
    }
    for (i, circle) in circle_of.iter().enumerate() {
        if let Some(circle) = *circle {
            items[i].inputs = vec![circle];
        }
    }
    // Every value but the last moves right to just before its first use, its operation
    // circle with it (last node first, so that uses have found their place): an input
    // used late (a bias) or a partial result used late does not stretch its edge across
    // the picture and over other boxes.
    for i in (0..nodes.len().saturating_sub(1)).rev() {
        let first_use = graph
            .edges()
            .iter()
            .filter(|&&(operand, _)| operand == i)
            .map(|&(_, result)| items[result].column - 1)
            .min();
        if let Some(column) = first_use.filter(|&column| column > items[i].column + 1) {
            items[i].column = column - 1;
            if let Some(circle) = circle_of[i] {
                items[circle].column = column - 2;
            }
        }
    }

    // Rows: column by column, by the mean row of the inputs (inputs keep their order).
    let columns = items.iter().map(|item| item.column).max().unwrap_or(0) + 1;
    let mut by_column: Vec<Vec<usize>> = vec![Vec::new(); columns];
    for (i, item) in items.iter().enumerate() {
        by_column[item.column].push(i);
    }
    let tallest = by_column.iter().map(Vec::len).max().unwrap_or(1) as f64;
    let mut x = MARGIN;
    for column in &mut by_column {
        let key = |item: &Item, rank: usize| -> f64 {
            if item.inputs.is_empty() {
                MARGIN + rank as f64 * ROW
            } else {
                item.inputs.iter().map(|&i| items[i].y).sum::<f64>() / item.inputs.len() as f64
            }
        };
        let mut keyed: Vec<(f64, usize)> = column
            .iter()
            .enumerate()
            .map(|(rank, &i)| (key(&items[i], rank), i))
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
        *column = keyed.into_iter().map(|(_, i)| i).collect();
        let offset = (tallest - column.len() as f64) * ROW / 2.0;
        let width = column.iter().map(|&i| items[i].width).fold(0.0, f64::max);
        for (row, &i) in column.iter().enumerate() {
            items[i].y = MARGIN + offset + row as f64 * ROW + ROW / 2.0;
            items[i].x = x + (width - items[i].width) / 2.0;
        }
        x += width + COLUMN_GAP;
    }
    let (width, height) = (x - COLUMN_GAP + MARGIN, tallest * ROW + 2.0 * MARGIN);

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"monospace\" font-size=\"12\">"
    );
    svg.push_str(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">\
         <path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#444\"/></marker></defs>\n",
    );
    let _ = writeln!(
        svg,
        "<rect width=\"{width:.0}\" height=\"{height:.0}\" fill=\"white\"/>"
    );
    for (i, item) in items.iter().enumerate() {
        for &input in &item.inputs {
            let from = &items[input];
            let (x1, y1) = (from.x + from.width, from.y);
            let (x2, y2) = (item.x, item.y);
            let bend = (x2 - x1) / 2.0;
            let _ = writeln!(
                svg,
                "<path d=\"M {x1:.1} {y1:.1} C {:.1} {y1:.1}, {:.1} {y2:.1}, {x2:.1} {y2:.1}\" \
                 fill=\"none\" stroke=\"#444\" marker-end=\"url(#arrow)\"/>",
                x1 + bend,
                x2 - bend,
            );
        }
        if let Some(node) = nodes.get(i) {
            draw_box(&mut svg, item, node);
        } else {
            let op = nodes
                .iter()
                .zip(&circle_of)
                .find(|(_, circle)| **circle == Some(i))
                .map_or("?", |(node, _)| node.op);
            let _ = writeln!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{RADIUS}\" fill=\"#eef3ff\" stroke=\"#333\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                item.x + RADIUS,
                item.y,
                item.x + RADIUS,
                item.y + 4.0,
                escape_xml(op)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn box_width(node: &GraphNode) -> f64 {
    node_fields(node)
        .iter()
        .map(|field| field.chars().count() as f64 * CHAR_WIDTH + 2.0 * FIELD_PADDING)
        .sum()
}

fn draw_box(svg: &mut String, item: &Item, node: &GraphNode) {
    let top = item.y - BOX_HEIGHT / 2.0;
    let _ = writeln!(
        svg,
        "<rect x=\"{:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{BOX_HEIGHT}\" \
         fill=\"#fffbe6\" stroke=\"#333\"/>",
        item.x, item.width
    );
    let mut x = item.x;
    for (k, field) in node_fields(node).iter().enumerate() {
        let width = field.chars().count() as f64 * CHAR_WIDTH + 2.0 * FIELD_PADDING;
        if k > 0 {
            let _ = writeln!(
                svg,
                "<line x1=\"{x:.1}\" y1=\"{top:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#333\"/>",
                top + BOX_HEIGHT
            );
        }
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x + width / 2.0,
            item.y + 4.0,
            escape_xml(field)
        );
        x += width;
    }
}

/// `text` safe inside SVG text.
fn escape_xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
