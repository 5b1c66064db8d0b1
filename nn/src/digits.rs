//! The UCI 8×8 handwritten digits, as scikit-learn ships them: 1,797 images of 64 pixels
//! with values 0 to 16, labelled 0 to 9.
//!
//! | item | what it gives |
//! |---|---|
//! | [`DIGITS_PATH`] | where the bundled copy lies: `data/digits.csv.gz` in the crate |
//! | [`load_digits`], [`read_digits`] | the CSV file, gzip or plain, checked line by line |
//! | [`DigitsReader`] | the same two functions as methods, with another [size limit](#size-limit) |
//! | [`DEFAULT_LIMIT`] | the most text a read accepts unless told otherwise: 512 MiB |
//! | [`Digits`] | the images and labels; [`features`](Digits::features) scales pixels to `[0, 1]` |
//! | [`DigitsError`], [`DigitsErrorKind`] | what went wrong, on which line of which file |
//!
//! The data is the test set of E. Alpaydin and C. Kaynak's "Optical Recognition of
//! Handwritten Digits" (UCI Machine Learning Repository, CC BY 4.0); `data/README.md`
//! gives the source and checksum of the copy. Each line of the file holds 64 pixel
//! values, row by row, then the label, separated by commas.
//!
//! ```
//! # #[cfg(feature = "gzip")] {
//! use tapegrad_nn::digits::{load_digits, DIGITS_PATH};
//!
//! let digits = load_digits(DIGITS_PATH).unwrap();
//! assert_eq!(digits.len(), 1797);
//! assert_eq!(digits.labels[0], 0);
//! let x: [f64; 64] = digits.features(0); // pixels / 16
//! assert!(x.iter().all(|&p| (0.0..=1.0).contains(&p)));
//! # }
//! ```
//!
//! # Size limit
//!
//! A few megabytes of gzip can decompress to gigabytes of valid lines, and every line
//! read is kept. So a read counts the bytes of text, after decompression, and stops with
//! [`DigitsErrorKind::TooLarge`] as soon as they pass a limit, without decompressing
//! further; a plain file longer than the limit fails before it is read. The limit is
//! [`DEFAULT_LIMIT`], 512 MiB, for [`load_digits`] and [`read_digits`] (the bundled file
//! holds 265 kB of text); [`DigitsReader`] reads with another:
//!
//! ```
//! use tapegrad_nn::digits::{DigitsErrorKind, DigitsReader};
//!
//! let line = format!("{}7\n", "16,".repeat(64)); // 64 pixels and a label: 194 bytes
//! let text = line.repeat(3);
//! assert_eq!(text.len(), 582);
//! let digits = DigitsReader::new().limit(582).read(text.as_bytes()).unwrap();
//! assert_eq!(digits.labels, [7, 7, 7]);
//!
//! let error = DigitsReader::new().limit(581).read(text.as_bytes()).unwrap_err();
//! assert!(matches!(error.kind(), DigitsErrorKind::TooLarge { limit: 581 }));
//! assert!(error.to_string().contains("DigitsReader::new().limit(bytes)"));
//! ```

use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::idx::{GZIP_MAGIC, open_with_length, read_up_to};

/// The most bytes of text a read accepts unless told otherwise, decompressed: 512 MiB,
/// the same as for IDX files.
pub use super::idx::DEFAULT_LIMIT;

/// The path of the bundled `data/digits.csv.gz`, inside the crate's source folder as it
/// was when compiled. A test, an example or a program run from a checkout of the crate
/// finds it there; a binary moved to another machine does not.
pub const DIGITS_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv.gz");

/// The pixels in one image: 8 rows of 8.
pub const PIXELS: usize = 64;

/// The number of classes, the digits 0 to 9.
pub const CLASSES: usize = 10;

/// The largest pixel value: a pixel counts the ink in a 4×4 block of a 32×32 bitmap.
pub const MAX_PIXEL: u8 = 16;

/// A line longer than this is not a line of the digits file (its longest has 155 bytes,
/// about 1,700 in the old floating-point layout); stop before reading more.
const MAX_LINE: usize = 4096;

/// The digits: `images[i]` shows the digit `labels[i]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digits {
    /// The 64 pixels of each image, row by row, each in `0..=16`.
    pub images: Vec<[u8; PIXELS]>,
    /// The digit each image shows, in `0..10`.
    pub labels: Vec<usize>,
}

impl Digits {
    /// The number of images.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// The pixels of image `index` divided by 16, so in `[0, 1]`: an input for a network.
    ///
    /// # Panics
    ///
    /// When `index` is not below [`len`](Self::len).
    pub fn features(&self, index: usize) -> [f64; PIXELS] {
        let image = &self.images[index];
        std::array::from_fn(|i| f64::from(image[i]) / f64::from(MAX_PIXEL))
    }

    /// How many images show each digit: entry `d` counts the digit `d`.
    pub fn class_counts(&self) -> [usize; CLASSES] {
        let mut counts = [0; CLASSES];
        for &label in &self.labels {
            counts[label] += 1;
        }
        counts
    }

    /// The images at `indices`, in that order (an index may repeat); with
    /// [`split_indices`](super::data::split_indices), a train/test split.
    ///
    /// # Panics
    ///
    /// When an index is not below [`len`](Self::len).
    pub fn subset(&self, indices: &[usize]) -> Digits {
        Digits {
            images: indices.iter().map(|&i| self.images[i]).collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
        }
    }
}

/// What went wrong reading the digits file.
#[derive(Debug)]
#[non_exhaustive]
pub enum DigitsErrorKind {
    /// The file could not be opened or read, or its gzip stream is corrupt.
    Io(io::Error),
    /// The file is gzip-compressed and the crate was built without the `gzip` feature.
    GzipDisabled,
    /// A line is not 64 pixels in `0..=16` and a label in `0..=9`.
    Malformed {
        /// The line, counting from 1.
        line: usize,
        /// What is wrong with it.
        detail: String,
    },
    /// The file holds no digits at all.
    Empty,
    /// The file holds more bytes of text, decompressed, than the reader's limit
    /// ([`DEFAULT_LIMIT`] unless set with [`DigitsReader::limit`]); reading stopped one
    /// byte past the limit, or before reading for a plain file whose length says so.
    TooLarge {
        /// The limit in force.
        limit: u64,
    },
}

impl fmt::Display for DigitsErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DigitsErrorKind::Io(error) => write!(f, "could not read the data: {error}"),
            DigitsErrorKind::GzipDisabled => f.write_str(
                "the file is gzip-compressed: build tapegrad-nn with its `gzip` feature, \
                 or decompress it first (gunzip)",
            ),
            DigitsErrorKind::Malformed { line, detail } => write!(f, "line {line}: {detail}"),
            DigitsErrorKind::Empty => f.write_str("the file holds no digits"),
            DigitsErrorKind::TooLarge { limit } => write!(
                f,
                "the digits file holds more than the limit of {limit} bytes of text; if \
                 the file is genuine, read it with a higher limit: \
                 `DigitsReader::new().limit(bytes)`"
            ),
        }
    }
}

/// An error reading the digits file: its [`kind`](Self::kind) and, when read from a
/// path, the [`path`](Self::path).
#[derive(Debug)]
pub struct DigitsError {
    kind: DigitsErrorKind,
    path: Option<PathBuf>,
}

impl DigitsError {
    /// What went wrong.
    pub fn kind(&self) -> &DigitsErrorKind {
        &self.kind
    }

    /// The file it went wrong in, when the data came from a path.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

impl From<DigitsErrorKind> for DigitsError {
    fn from(kind: DigitsErrorKind) -> Self {
        DigitsError { kind, path: None }
    }
}

impl fmt::Display for DigitsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "{}: {}", path.display(), self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl std::error::Error for DigitsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            DigitsErrorKind::Io(error) => Some(error),
            _ => None,
        }
    }
}

/// Loads the digits CSV at `path`, gzip-compressed (with the `gzip` feature) or plain,
/// whatever its name. [`DIGITS_PATH`] is the bundled copy.
///
/// # Errors
///
/// As [`read_digits`], with the path attached; a plain file longer than
/// [`DEFAULT_LIMIT`] fails before it is read ([`DigitsReader::load`] takes another
/// limit).
pub fn load_digits<P: AsRef<Path>>(path: P) -> Result<Digits, DigitsError> {
    DigitsReader::new().load(path)
}

/// Reads digits CSV from any reader, decompressing it first when it starts with the
/// gzip signature (with the `gzip` feature).
///
/// Each non-blank line must hold 65 comma-separated integers: 64 pixels in `0..=16`,
/// then a label in `0..=9`. Spaces around a value and Windows line ends are accepted, and
/// so are integral values written as floats (`16.0`, `1.6e+01`), as older scikit-learn
/// versions wrote them.
///
/// # Errors
///
/// [`DigitsErrorKind::Malformed`], naming the first bad line, for a wrong number of
/// values, a value that is not an integer, a pixel or label out of range, text that is
/// not UTF-8 or a line longer than 4 KiB; [`DigitsErrorKind::Empty`] when no line holds
/// digits; [`DigitsErrorKind::TooLarge`] when the text, decompressed, is longer than
/// [`DEFAULT_LIMIT`] ([`DigitsReader::read`] takes another limit);
/// [`DigitsErrorKind::GzipDisabled`] and [`DigitsErrorKind::Io`] as their names say.
pub fn read_digits<R: Read>(reader: R) -> Result<Digits, DigitsError> {
    DigitsReader::new().read(reader)
}

/// [`read_digits`] and [`load_digits`] with another [size limit](self#size-limit) than
/// [`DEFAULT_LIMIT`]: the most bytes of text, decompressed, a file may hold.
///
/// `DigitsReader::new()` (or `DigitsReader::default()`) reads as the functions do;
/// [`limit`](Self::limit) sets another limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DigitsReader {
    limit: u64,
}

impl Default for DigitsReader {
    fn default() -> Self {
        DigitsReader::new()
    }
}

impl DigitsReader {
    /// A reader with the limit [`DEFAULT_LIMIT`], 512 MiB.
    pub const fn new() -> Self {
        DigitsReader {
            limit: DEFAULT_LIMIT,
        }
    }

    /// This reader with a limit of `bytes` bytes of text per file, counted after
    /// decompression: a longer file fails with [`DigitsErrorKind::TooLarge`] once one
    /// byte more has been read. `u64::MAX` lifts the limit.
    pub const fn limit(self, bytes: u64) -> Self {
        DigitsReader { limit: bytes }
    }

    /// [`read_digits`] with this reader's limit.
    ///
    /// # Errors
    ///
    /// As [`read_digits`].
    pub fn read<R: Read>(&self, reader: R) -> Result<Digits, DigitsError> {
        read_detecting_gzip(reader, None, self.limit).map_err(DigitsError::from)
    }

    /// [`load_digits`] with this reader's limit.
    ///
    /// # Errors
    ///
    /// As [`load_digits`].
    pub fn load<P: AsRef<Path>>(&self, path: P) -> Result<Digits, DigitsError> {
        let path = path.as_ref();
        let read = || -> Result<Digits, DigitsErrorKind> {
            let (file, length) = open_with_length(path).map_err(DigitsErrorKind::Io)?;
            read_detecting_gzip(file, Some(length), self.limit)
        };
        read().map_err(|kind| DigitsError {
            kind,
            path: Some(path.to_path_buf()),
        })
    }
}

/// Reads the first two bytes; a gzip signature sends the whole stream through the
/// decompressor. `length` is the total length of a plain file, when known.
fn read_detecting_gzip<R: Read>(
    mut reader: R,
    length: Option<u64>,
    limit: u64,
) -> Result<Digits, DigitsErrorKind> {
    let mut start = [0u8; 2];
    let got = read_up_to(&mut reader, &mut start).map_err(DigitsErrorKind::Io)?;
    let start = &start[..got];
    if start == GZIP_MAGIC {
        return gunzip_and_parse(start, reader, limit);
    }
    if length.is_some_and(|length| length > limit) {
        return Err(DigitsErrorKind::TooLarge { limit });
    }
    parse(start.chain(reader), limit)
}

#[cfg(feature = "gzip")]
fn gunzip_and_parse<R: Read>(
    start: &[u8],
    reader: R,
    limit: u64,
) -> Result<Digits, DigitsErrorKind> {
    parse(
        flate2::read::MultiGzDecoder::new(start.chain(reader)),
        limit,
    )
}

#[cfg(not(feature = "gzip"))]
fn gunzip_and_parse<R: Read>(
    _start: &[u8],
    _reader: R,
    _limit: u64,
) -> Result<Digits, DigitsErrorKind> {
    Err(DigitsErrorKind::GzipDisabled)
}

/// Parses the text `source` gives, after decompression, and stops with
/// [`DigitsErrorKind::TooLarge`] once it has given more than `limit` bytes.
fn parse<R: Read>(source: R, limit: u64) -> Result<Digits, DigitsErrorKind> {
    // One byte past the limit tells a file of exactly `limit` bytes from a longer one,
    // and the source is never asked for more.
    let mut reader = BufReader::new(source.take(limit.saturating_add(1)));
    let mut total: u64 = 0;
    let mut digits = Digits {
        images: Vec::new(),
        labels: Vec::new(),
    };
    let mut bytes = Vec::new();
    for line in 1.. {
        bytes.clear();
        let malformed = |detail: String| DigitsErrorKind::Malformed { line, detail };
        // One byte past the limit tells a line of exactly MAX_LINE bytes from a longer one.
        let read = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut bytes)
            .map_err(DigitsErrorKind::Io)?;
        total += read as u64;
        if total > limit {
            return Err(DigitsErrorKind::TooLarge { limit });
        }
        if read == 0 {
            break;
        }
        if bytes.len() > MAX_LINE && bytes.last() != Some(&b'\n') {
            return Err(malformed(format!(
                "the line is longer than {MAX_LINE} bytes"
            )));
        }
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| malformed("the line is not UTF-8 text".to_string()))?;
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let (image, label) = parse_line(text).map_err(malformed)?;
        digits.images.push(image);
        digits.labels.push(label);
    }
    if digits.is_empty() {
        return Err(DigitsErrorKind::Empty);
    }
    Ok(digits)
}

/// The image and label of one line, or what is wrong with it.
fn parse_line(text: &str) -> Result<([u8; PIXELS], usize), String> {
    let fields: Vec<&str> = text.split(',').collect();
    if fields.len() != PIXELS + 1 {
        return Err(format!(
            "expected {} comma-separated values (64 pixels, then the label), found {}",
            PIXELS + 1,
            fields.len()
        ));
    }
    let mut image = [0u8; PIXELS];
    for (column, (pixel, field)) in image.iter_mut().zip(&fields).enumerate() {
        let value = parse_integer(field)
            .ok_or_else(|| format!("pixel {} is `{}`, not an integer", column + 1, field.trim()))?;
        *pixel = u8::try_from(value)
            .ok()
            .filter(|&p| p <= MAX_PIXEL)
            .ok_or_else(|| format!("pixel {} is {value}, outside 0..={MAX_PIXEL}", column + 1))?;
    }
    let field = fields[PIXELS];
    let value = parse_integer(field)
        .ok_or_else(|| format!("the label is `{}`, not an integer", field.trim()))?;
    let label = usize::try_from(value)
        .ok()
        .filter(|&d| d < CLASSES)
        .ok_or_else(|| format!("the label is {value}, not a digit 0..=9"))?;
    Ok((image, label))
}

/// An integer written as such (`16`) or as an integral float (`16.0`, `1.6e+01`).
fn parse_integer(field: &str) -> Option<i64> {
    let field = field.trim();
    if let Ok(value) = field.parse::<i64>() {
        return Some(value);
    }
    let value = field.parse::<f64>().ok()?;
    let integral = value.is_finite() && value.fract() == 0.0 && value.abs() < 1e15;
    integral.then_some(value as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_in_both_layouts() {
        assert_eq!(parse_integer(" 7 "), Some(7));
        assert_eq!(parse_integer("1.600000000000000000e+01"), Some(16));
        assert_eq!(parse_integer("-0.0"), Some(0));
        assert_eq!(parse_integer("2.5"), None);
        assert_eq!(parse_integer("nan"), None);
        assert_eq!(parse_integer("inf"), None);
        assert_eq!(parse_integer(""), None);
    }
}
