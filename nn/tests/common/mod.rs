//! Helpers shared by the tests of the demos: a temporary folder and a check of SVG text.

use std::path::{Path, PathBuf};

/// A fresh, empty folder under the system's temporary folder, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("tapegrad-demos-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("cannot create a temporary folder");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Checks that `svg` is one `<svg>` element whose tags nest properly; returns the names
/// of the tags in the order they open.
pub fn check_tags(svg: &str) -> Vec<String> {
    assert!(svg.trim_start().starts_with("<svg "), "{}", &svg[..80]);
    assert!(svg.trim_end().ends_with("</svg>"));
    let mut open: Vec<String> = Vec::new();
    let mut seen = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("a tag without `>`") + start;
        let tag = &rest[start + 1..end];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop().as_deref(), Some(name), "mismatched </{name}>");
        } else {
            let name: String = tag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            assert!(!name.is_empty(), "a tag without a name: <{tag}>");
            seen.push(name.clone());
            if !tag.ends_with('/') {
                open.push(name);
            }
        }
        rest = &rest[end + 1..];
    }
    assert!(open.is_empty(), "unclosed tags: {open:?}");
    seen
}

/// How many times the tag `<name` opens in `tags`.
pub fn count(tags: &[String], name: &str) -> usize {
    tags.iter().filter(|t| *t == name).count()
}

/// The values of the attribute `points="..."` of each element `<name` in `svg`, as
/// pairs of numbers.
pub fn points_of(svg: &str, name: &str) -> Vec<Vec<(f64, f64)>> {
    svg.split(&format!("<{name} "))
        .skip(1)
        .filter_map(|element| {
            let element = &element[..element.find('>')?];
            let start = element.find("points=\"")? + "points=\"".len();
            let list = &element[start..start + element[start..].find('"')?];
            let pairs = list.split_whitespace().map(|pair| {
                let (x, y) = pair.split_once(',').expect("a point is x,y");
                (x.parse().unwrap(), y.parse().unwrap())
            });
            Some(pairs.collect())
        })
        .collect()
}
