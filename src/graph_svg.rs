//! Draws a graph of value boxes and operation circles as SVG: a small layered layout, left
//! to right, in the style of Graphviz's `rankdir=LR` pictures of micrograd.
//!
//! It takes plain data — the text of each box, the operation that made it, the edges —
//! and knows nothing of tapes: [`graph`](crate::graph) hands the data over.
//!
//! Each value is a box of fields (label, data, grad) in column `2 d`, where `d` is its
//! depth (the longest path from an input); the operation that made it is a circle in
//! column `2 d - 1`, just before it. Within a column, items are ordered by the mean row
//! of what feeds them and of what they feed (a few barycentre sweeps), which keeps edges
//! short and mostly uncrossed for the graphs that fit on a page. A caption, if any, is
//! drawn above the picture, which widens to fit it.

use std::fmt::Write;

/// The sizes of the picture, in pixels.
struct Layout {
    /// The advance of a character in a box: monospace, 12 px.
    char_width: f64,
    /// The room on both sides of a field's text, together.
    field_padding: f64,
    box_height: f64,
    /// The radius of an operation's circle.
    radius: f64,
    /// From one row of items to the next.
    row: f64,
    /// Between two columns' widest items.
    column_gap: f64,
    margin: f64,
    caption_font_size: f64,
    /// The advance of a character of the caption: monospace fonts are about 0.6 em wide.
    caption_char_width: f64,
    caption_line: f64,
}

const LAYOUT: Layout = Layout {
    char_width: 7.4,
    field_padding: 14.0,
    box_height: 30.0,
    radius: 17.0,
    row: 52.0,
    column_gap: 46.0,
    margin: 20.0,
    caption_font_size: 14.0,
    caption_char_width: 8.6,
    caption_line: 20.0,
};

/// A value to draw: the fields of its box, left to right, and the operation that made it,
/// if any (drawn as a circle that feeds the box).
#[derive(Clone, Debug)]
pub(crate) struct ValueBox<'a> {
    pub(crate) fields: Vec<String>,
    pub(crate) operation: Option<&'a str>,
    /// Drawn dashed and grey: a constant, which has no gradient.
    pub(crate) constant: bool,
}

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

/// The picture of `values` joined by `edges`, `(operand, result)` as indices into
/// `values`, which come in an order where operands precede their results; the caption's
/// lines above it.
pub(crate) fn render(
    values: &[ValueBox<'_>],
    edges: &[(usize, usize)],
    caption: &[&str],
) -> String {
    let (items, operations) = layout(values, edges);
    let graph_width = items
        .iter()
        .map(|item| item.x + item.width + LAYOUT.margin)
        .fold(2.0 * LAYOUT.margin, f64::max);
    let graph_height = items
        .iter()
        .map(|item| item.y + LAYOUT.row / 2.0 + LAYOUT.margin)
        .fold(2.0 * LAYOUT.margin, f64::max);
    let caption_width = caption
        .iter()
        .map(|line| line.chars().count() as f64 * LAYOUT.caption_char_width + 2.0 * LAYOUT.margin)
        .fold(0.0, f64::max);
    let caption_height = if caption.is_empty() {
        0.0
    } else {
        LAYOUT.margin + caption.len() as f64 * LAYOUT.caption_line
    };
    let width = graph_width.max(caption_width);
    let height = caption_height + graph_height;
    // The graph is centred under a wider caption.
    let (dx, dy) = ((width - graph_width) / 2.0, caption_height);

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"monospace\" font-size=\"12\">"
    );
    if !caption.is_empty() {
        let _ = writeln!(svg, "<title>{}</title>", escape_xml(&caption.join(" ")));
    }
    svg.push_str(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">\
         <path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#444\"/></marker></defs>\n",
    );
    let _ = writeln!(
        svg,
        "<rect width=\"{width:.0}\" height=\"{height:.0}\" fill=\"white\"/>"
    );
    for (row, line) in caption.iter().enumerate() {
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{:.1}\" font-size=\"{}\" font-weight=\"bold\">{}</text>",
            LAYOUT.margin,
            LAYOUT.margin + (row as f64 + 0.75) * LAYOUT.caption_line,
            LAYOUT.caption_font_size,
            escape_xml(line)
        );
    }
    let _ = writeln!(svg, "<g transform=\"translate({dx:.1} {dy:.1})\">");
    for (i, item) in items.iter().enumerate() {
        for &input in &item.inputs {
            draw_edge(&mut svg, &items[input], item);
        }
        match values.get(i) {
            Some(value) => draw_box(&mut svg, item, value),
            None => draw_circle(&mut svg, item, operations[i - values.len()]),
        }
    }
    svg.push_str("</g>\n</svg>\n");
    svg
}

/// Places the items: the value boxes first, one per value, then the operation circles,
/// whose operations are returned in their order.
fn layout<'a>(values: &[ValueBox<'a>], edges: &[(usize, usize)]) -> (Vec<Item>, Vec<&'a str>) {
    let mut items: Vec<Item> = values
        .iter()
        .map(|value| Item {
            column: 0,
            width: value.fields.iter().map(|field| field_width(field)).sum(),
            inputs: Vec::new(),
            y: 0.0,
            x: 0.0,
        })
        .collect();
    let mut operations = Vec::new();
    let mut circle_of = vec![None; values.len()];
    for (i, value) in values.iter().enumerate() {
        if let Some(operation) = value.operation {
            let operands: Vec<usize> = edges
                .iter()
                .filter(|&&(_, result)| result == i)
                .map(|&(operand, _)| operand)
                .collect();
            // Operands come before their results, so they already have their column.
            let depth = operands
                .iter()
                .map(|&o| items[o].column / 2 + 1)
                .max()
                .unwrap_or(1);
            items[i].column = 2 * depth;
            circle_of[i] = Some(items.len());
            items.push(Item {
                column: 2 * depth - 1,
                width: 2.0 * LAYOUT.radius,
                inputs: operands,
                y: 0.0,
                x: 0.0,
            });
            operations.push(operation);
        }
    }
    for (i, circle) in circle_of.iter().enumerate() {
        if let Some(circle) = *circle {
            items[i].inputs = vec![circle];
        }
    }
    // Every value but the last moves right to just before its first use, its operation
    // circle with it (last value first, so that uses have found their place): an input
    // used late (a bias) or a partial result used late does not stretch its edge across
    // the picture and over other boxes.
    for i in (0..values.len().saturating_sub(1)).rev() {
        let first_use = edges
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

    // Rows: sweeps over the columns that order each by the mean row of what feeds its
    // items (left to right) or of what they feed (right to left), the barycentre
    // heuristic of layered drawings; an item with nothing on that side keeps its row.
    // The first rows follow the order of computation.
    let columns = items.iter().map(|item| item.column).max().unwrap_or(0) + 1;
    let mut by_column: Vec<Vec<usize>> = vec![Vec::new(); columns];
    for (i, item) in items.iter().enumerate() {
        by_column[item.column].push(i);
    }
    let mut consumers = vec![Vec::new(); items.len()];
    for (i, item) in items.iter().enumerate() {
        for &input in &item.inputs {
            consumers[input].push(i);
        }
    }
    let tallest = by_column.iter().map(Vec::len).max().unwrap_or(1) as f64;
    let place = |items: &mut [Item], column: &[usize]| {
        let offset = (tallest - column.len() as f64) * LAYOUT.row / 2.0;
        for (row, &i) in column.iter().enumerate() {
            items[i].y = LAYOUT.margin + offset + row as f64 * LAYOUT.row + LAYOUT.row / 2.0;
        }
    };
    for column in &by_column {
        place(&mut items, column);
    }
    let mean_row = |items: &[Item], of: &[usize], own: f64| {
        if of.is_empty() {
            own
        } else {
            of.iter().map(|&i| items[i].y).sum::<f64>() / of.len() as f64
        }
    };
    for rightwards in [true, false, true] {
        for c in 0..columns {
            let column = &mut by_column[if rightwards { c } else { columns - 1 - c }];
            let mut keyed: Vec<(f64, usize)> = column
                .iter()
                .map(|&i| {
                    let side = if rightwards {
                        &items[i].inputs
                    } else {
                        &consumers[i]
                    };
                    (mean_row(&items, side, items[i].y), i)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            *column = keyed.into_iter().map(|(_, i)| i).collect();
            place(&mut items, column);
        }
    }
    let mut x = LAYOUT.margin;
    for column in &by_column {
        let width = column.iter().map(|&i| items[i].width).fold(0.0, f64::max);
        for &i in column {
            items[i].x = x + (width - items[i].width) / 2.0;
        }
        x += width + LAYOUT.column_gap;
    }
    (items, operations)
}

fn field_width(field: &str) -> f64 {
    field.chars().count() as f64 * LAYOUT.char_width + 2.0 * LAYOUT.field_padding
}

fn draw_edge(svg: &mut String, from: &Item, to: &Item) {
    let (x1, y1) = (from.x + from.width, from.y);
    let (x2, y2) = (to.x, to.y);
    let bend = (x2 - x1) / 2.0;
    let _ = writeln!(
        svg,
        "<path d=\"M {x1:.1} {y1:.1} C {:.1} {y1:.1}, {:.1} {y2:.1}, {x2:.1} {y2:.1}\" \
         fill=\"none\" stroke=\"#444\" marker-end=\"url(#arrow)\"/>",
        x1 + bend,
        x2 - bend,
    );
}

fn draw_circle(svg: &mut String, item: &Item, operation: &str) {
    let _ = writeln!(
        svg,
        "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{}\" fill=\"#eef3ff\" stroke=\"#333\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
        item.x + LAYOUT.radius,
        item.y,
        LAYOUT.radius,
        item.x + LAYOUT.radius,
        item.y + 4.0,
        escape_xml(operation)
    );
}

fn draw_box(svg: &mut String, item: &Item, value: &ValueBox<'_>) {
    let top = item.y - LAYOUT.box_height / 2.0;
    let look = if value.constant {
        "fill=\"#f0f0f0\" stroke=\"#333\" stroke-dasharray=\"4 3\""
    } else {
        "fill=\"#fffbe6\" stroke=\"#333\""
    };
    let _ = writeln!(
        svg,
        "<rect x=\"{:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{}\" {look}/>",
        item.x, item.width, LAYOUT.box_height
    );
    let mut x = item.x;
    for (k, field) in value.fields.iter().enumerate() {
        let width = field_width(field);
        if k > 0 {
            let _ = writeln!(
                svg,
                "<line x1=\"{x:.1}\" y1=\"{top:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#333\"/>",
                top + LAYOUT.box_height
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

/// `text` safe inside SVG text: markup characters as entities, and the control
/// characters that XML 1.0 does not allow even as entities as U+FFFD.
fn escape_xml(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\t' => escaped.push(c),
            // Characters XML does not allow: control characters and the noncharacters
            // U+FFFE and U+FFFF.
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                escaped.push(char::REPLACEMENT_CHARACTER)
            }
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_xml() {
        assert_eq!(
            escape_xml("a<b> & \"c\"\u{1}\td"),
            "a&lt;b&gt; &amp; &quot;c&quot;\u{FFFD}\td"
        );
    }

    fn value(operation: Option<&str>) -> ValueBox<'_> {
        ValueBox {
            fields: vec!["data 1.0000".to_string()],
            operation,
            constant: false,
        }
    }

    #[test]
    fn operands_of_one_operation_end_up_side_by_side() {
        // micrograd's neuron: inputs made x1, x2, w1, w2; x1 * w1 and x2 * w2, summed.
        let values = [
            value(None),
            value(None),
            value(None),
            value(None),
            value(Some("*")),
            value(Some("*")),
            value(Some("+")),
        ];
        let edges = [(0, 4), (2, 4), (1, 5), (3, 5), (4, 6), (5, 6)];
        let (items, _) = layout(&values, &edges);
        let row = |i: usize| (items[i].y / LAYOUT.row).round() as i64;
        assert_eq!((row(0) - row(2)).abs(), 1, "x1 beside w1");
        assert_eq!((row(1) - row(3)).abs(), 1, "x2 beside w2");
        // No two items share a place.
        for (i, a) in items.iter().enumerate() {
            for b in &items[i + 1..] {
                assert!(a.column != b.column || a.y != b.y);
            }
        }
    }

    #[test]
    fn a_caption_wider_than_the_graph_widens_the_picture() {
        let value = value(None);
        let narrow = render(std::slice::from_ref(&value), &[], &[]);
        let caption = "a caption much wider than one box of the graph";
        let wide = render(&[value], &[], &[caption]);
        let width = |svg: &str| -> f64 {
            let start = svg.find("width=\"").unwrap() + 7;
            svg[start..start + svg[start..].find('"').unwrap()]
                .parse()
                .unwrap()
        };
        assert!(width(&narrow) < width(&wide));
        let needed = caption.len() as f64 * LAYOUT.caption_char_width + 2.0 * LAYOUT.margin;
        assert!(width(&wide) >= needed.floor());
    }
}
