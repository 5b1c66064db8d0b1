//! Read IDX files: the format of MNIST (and of Fashion-MNIST, EMNIST, KMNIST).
//!
//! | item | what it gives |
//! |---|---|
//! | [`read_idx`], [`read_idx_file`] | any IDX file: its dimensions and its typed data ([`IdxArray`]) |
//! | [`read_images`], [`read_images_from`] | an `n × rows × cols` file of `u8` pixels ([`Images`]) |
//! | [`read_labels`], [`read_labels_from`] | an `n`-long file of `u8` labels |
//! | [`load_mnist`] | the four MNIST files of a folder, checked against each other |
//! | [`IdxReader`] | the same functions as methods, with another [size limit](#size-limit) |
//! | [`DEFAULT_LIMIT`] | the most data a read accepts unless told otherwise: 512 MiB |
//! | [`IdxError`], [`IdxErrorKind`] | what went wrong, and in which file |
//!
//! # The format
//!
//! Two zero bytes, a byte for the element type ([`ElementType`]: `0x08` u8, `0x09` i8,
//! `0x0B` i16, `0x0C` i32, `0x0D` f32, `0x0E` f64), a byte for the number of dimensions;
//! then each dimension's size as a big-endian `u32`; then the elements, big-endian, the
//! last dimension varying fastest. A file that starts with the gzip signature `1f 8b` (as
//! MNIST is distributed, `*.gz`) is decompressed on the fly with the `gzip` feature and
//! refused with [`IdxErrorKind::GzipDisabled`] without it.
//!
//! # Corrupt files
//!
//! A header is a claim, checked before anything is allocated for it: the product of the
//! dimensions is computed with overflow checks, a plain file's length must match it
//! exactly, and a stream of unknown length (gzip, or any [`Read`]) is read in chunks of
//! 64 KiB, so memory grows only with the data that really arrives, and never beyond what
//! the header claims. Under a raised [limit](#size-limit), a header claiming 4 billion
//! elements followed by ten bytes costs one chunk, not 4 GB.
//!
//! ```
//! use tapegrad_nn::idx::{read_images_from, IdxErrorKind};
//!
//! // Two 2×3 images.
//! let mut file = vec![0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3];
//! file.extend(0..12u8);
//! let images = read_images_from(file.as_slice()).unwrap();
//! assert_eq!((images.len(), images.rows, images.cols), (2, 2, 3));
//! assert_eq!(images.image(1), &[6, 7, 8, 9, 10, 11]);
//!
//! // The same header with one byte missing.
//! let error = read_images_from(&file[..15]).unwrap_err();
//! assert!(matches!(error.kind(), IdxErrorKind::Truncated { expected: 12, found: 11, .. }));
//! ```
//!
//! # Size limit
//!
//! A gzip file can really hold what a corrupt or malicious header claims: 2 MB of gzip
//! decompress to 2 GiB of zeros. So a read refuses a header that claims more than a limit
//! of data (the elements, `product of the dimensions × element size` bytes, not counting
//! the header) with [`IdxErrorKind::TooLarge`], before it reads or allocates any of it.
//! The limit is [`DEFAULT_LIMIT`], 512 MiB, for the functions of this module; MNIST's
//! largest file holds 47 MB. A read never decompresses more than the header claims (one
//! byte more is an error), so the data that arrives stays within the limit too, and so
//! does the memory that holds it. [`IdxReader`] reads with another limit; EMNIST's
//! ByClass and ByMerge training images (547 MB) need one:
//!
//! ```no_run
//! use tapegrad_nn::idx::IdxReader;
//!
//! let images = IdxReader::new()
//!     .limit(1 << 30) // 1 GiB
//!     .read_images("data/emnist/emnist-byclass-train-images-idx3-ubyte.gz")?;
//! # Ok::<(), tapegrad_nn::idx::IdxError>(())
//! ```

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

/// The first two bytes of every gzip file.
pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The largest piece read at once from a stream whose length is unknown.
const CHUNK: usize = 64 * 1024;

/// The most bytes of data a read accepts unless told otherwise: 512 MiB.
///
/// MNIST's largest file holds 47 MB of pixels, so this leaves room for its relatives but
/// not for a decompression bomb. The IDX functions compare it with the data a header
/// claims, the digits reader with the CSV text; [`IdxReader::limit`] and
/// [`DigitsReader::limit`](crate::digits::DigitsReader::limit) change it.
pub const DEFAULT_LIMIT: u64 = 512 * 1024 * 1024;

/// The type of an IDX file's elements, named by its third byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ElementType {
    /// `0x08`: unsigned byte (MNIST's pixels and labels).
    U8,
    /// `0x09`: signed byte.
    I8,
    /// `0x0B`: 16-bit signed integer.
    I16,
    /// `0x0C`: 32-bit signed integer.
    I32,
    /// `0x0D`: 32-bit float.
    F32,
    /// `0x0E`: 64-bit float.
    F64,
}

impl ElementType {
    /// The type that the byte `code` names, or `None` for a byte the format does not define.
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0x08 => ElementType::U8,
            0x09 => ElementType::I8,
            0x0B => ElementType::I16,
            0x0C => ElementType::I32,
            0x0D => ElementType::F32,
            0x0E => ElementType::F64,
            _ => return None,
        })
    }

    /// The byte that names this type in a header.
    pub fn code(self) -> u8 {
        match self {
            ElementType::U8 => 0x08,
            ElementType::I8 => 0x09,
            ElementType::I16 => 0x0B,
            ElementType::I32 => 0x0C,
            ElementType::F32 => 0x0D,
            ElementType::F64 => 0x0E,
        }
    }

    /// The size of one element in bytes.
    pub fn size(self) -> usize {
        match self {
            ElementType::U8 | ElementType::I8 => 1,
            ElementType::I16 => 2,
            ElementType::I32 | ElementType::F32 => 4,
            ElementType::F64 => 8,
        }
    }
}

impl fmt::Display for ElementType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            ElementType::U8 => "u8",
            ElementType::I8 => "i8",
            ElementType::I16 => "i16",
            ElementType::I32 => "i32",
            ElementType::F32 => "f32",
            ElementType::F64 => "f64",
        };
        write!(f, "{name} (0x{:02X})", self.code())
    }
}

/// The elements of an IDX file, in file order, as the type its header names.
#[derive(Clone, Debug, PartialEq)]
pub enum IdxData {
    /// Type `0x08`.
    U8(Vec<u8>),
    /// Type `0x09`.
    I8(Vec<i8>),
    /// Type `0x0B`.
    I16(Vec<i16>),
    /// Type `0x0C`.
    I32(Vec<i32>),
    /// Type `0x0D`.
    F32(Vec<f32>),
    /// Type `0x0E`.
    F64(Vec<f64>),
}

impl IdxData {
    /// The type of the elements.
    pub fn element_type(&self) -> ElementType {
        match self {
            IdxData::U8(_) => ElementType::U8,
            IdxData::I8(_) => ElementType::I8,
            IdxData::I16(_) => ElementType::I16,
            IdxData::I32(_) => ElementType::I32,
            IdxData::F32(_) => ElementType::F32,
            IdxData::F64(_) => ElementType::F64,
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        match self {
            IdxData::U8(v) => v.len(),
            IdxData::I8(v) => v.len(),
            IdxData::I16(v) => v.len(),
            IdxData::I32(v) => v.len(),
            IdxData::F32(v) => v.len(),
            IdxData::F64(v) => v.len(),
        }
    }

    /// Whether there are no elements (some dimension is 0).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A whole IDX file: its dimensions and its elements.
///
/// `data.len()` is the product of `dims`, which [`read_idx`] has checked.
#[derive(Clone, Debug, PartialEq)]
pub struct IdxArray {
    /// The size of each dimension, outermost first (`[n, rows, cols]` for MNIST images).
    pub dims: Vec<usize>,
    /// The elements, the last dimension varying fastest.
    pub data: IdxData,
}

/// Where in an IDX file the data ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Section {
    /// The 4-byte magic number: two zero bytes, the type, the number of dimensions.
    Magic,
    /// The dimension sizes, 4 bytes each.
    Dimensions,
    /// The elements.
    Data,
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Section::Magic => "magic number",
            Section::Dimensions => "dimension sizes",
            Section::Data => "data",
        })
    }
}

/// What went wrong reading an IDX file.
#[derive(Debug)]
#[non_exhaustive]
pub enum IdxErrorKind {
    /// The file could not be opened or read (or, for [`load_mnist`], was not found).
    Io(io::Error),
    /// The file ended before `section` was complete: `expected` bytes were needed,
    /// `found` were there.
    Truncated {
        /// The part of the file that is cut short.
        section: Section,
        /// The bytes the section needs.
        expected: u64,
        /// The bytes that were there.
        found: u64,
    },
    /// The file does not start with two zero bytes, so it is not an IDX file.
    BadMagic {
        /// The first two bytes.
        found: [u8; 2],
    },
    /// The type byte names no IDX element type.
    UnsupportedType {
        /// The type byte.
        code: u8,
    },
    /// The file holds another element type than the one asked for (MNIST images and
    /// labels are `u8`).
    WrongType {
        /// The type asked for.
        expected: ElementType,
        /// The type in the file.
        found: ElementType,
    },
    /// The dimensions do not fit: none at all, a product that overflows, data left over
    /// after the elements they describe, another number of dimensions than asked for, or
    /// images and labels of different counts.
    DimensionMismatch {
        /// What does not fit, in words.
        detail: String,
    },
    /// The file is gzip-compressed and the crate was built without the `gzip` feature.
    GzipDisabled,
    /// The header claims more bytes of data than the reader's limit ([`DEFAULT_LIMIT`]
    /// unless set with [`IdxReader::limit`]); nothing of the data was read or allocated.
    TooLarge {
        /// The bytes of data the header claims: the product of the dimensions times the
        /// element size.
        claimed: u64,
        /// The limit in force.
        limit: u64,
    },
}

impl fmt::Display for IdxErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdxErrorKind::Io(error) => write!(f, "could not read the data: {error}"),
            IdxErrorKind::Truncated {
                section,
                expected,
                found,
            } => write!(
                f,
                "truncated IDX file: {expected} bytes of {section} expected, only {found} are there"
            ),
            IdxErrorKind::BadMagic { found } => write!(
                f,
                "not an IDX file: it starts with bytes {:02x} {:02x} instead of 00 00",
                found[0], found[1]
            ),
            IdxErrorKind::UnsupportedType { code } => write!(
                f,
                "unsupported IDX element type 0x{code:02X} (known: 0x08 u8, 0x09 i8, \
                 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64)"
            ),
            IdxErrorKind::WrongType { expected, found } => {
                write!(
                    f,
                    "the IDX file holds {found} elements, expected {expected}"
                )
            }
            IdxErrorKind::DimensionMismatch { detail } => {
                write!(f, "IDX dimensions do not match: {detail}")
            }
            IdxErrorKind::GzipDisabled => f.write_str(
                "the file is gzip-compressed: build tapegrad-nn with its `gzip` feature, \
                 or decompress it first (gunzip)",
            ),
            IdxErrorKind::TooLarge { claimed, limit } => write!(
                f,
                "the IDX header claims {claimed} bytes of data, more than the limit of \
                 {limit} bytes; if the file is genuine, read it with a higher limit: \
                 `IdxReader::new().limit(bytes)`"
            ),
        }
    }
}

/// An error reading an IDX file: its [`kind`](Self::kind) and, when read from a path,
/// the [`path`](Self::path).
#[derive(Debug)]
pub struct IdxError {
    kind: IdxErrorKind,
    path: Option<PathBuf>,
}

impl IdxError {
    /// What went wrong.
    pub fn kind(&self) -> &IdxErrorKind {
        &self.kind
    }

    /// The file it went wrong in, when the data came from a path.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn in_file(self, path: &Path) -> Self {
        IdxError {
            path: Some(path.to_path_buf()),
            ..self
        }
    }
}

impl From<IdxErrorKind> for IdxError {
    fn from(kind: IdxErrorKind) -> Self {
        IdxError { kind, path: None }
    }
}

impl fmt::Display for IdxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "{}: {}", path.display(), self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl std::error::Error for IdxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            IdxErrorKind::Io(error) => Some(error),
            _ => None,
        }
    }
}

/// Reads into `buf` until it is full or the input ends, and returns how many bytes it
/// read. A read that fails with `UnexpectedEof` (how flate2 reports a gzip stream cut
/// short) ends the input too: the caller sees fewer bytes than it needs and reports the
/// file as truncated.
pub(crate) fn read_up_to<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// Opens the file at `path` and gives it with its length, which a plain file's size
/// checks compare before its data is read.
pub(crate) fn open_with_length(path: &Path) -> io::Result<(File, u64)> {
    let file = File::open(path)?;
    let length = file.metadata()?.len();
    Ok((file, length))
}

/// Reads one section of the header, or says how much of it was missing.
fn read_section<R: Read>(
    reader: &mut R,
    buf: &mut [u8],
    section: Section,
    already: u64,
) -> Result<(), IdxErrorKind> {
    let got = read_up_to(reader, buf).map_err(IdxErrorKind::Io)?;
    if got < buf.len() {
        return Err(IdxErrorKind::Truncated {
            section,
            expected: already + buf.len() as u64,
            found: already + got as u64,
        });
    }
    Ok(())
}

/// Reads an IDX file from any reader, decompressing it first when it starts with the
/// gzip signature (with the `gzip` feature).
///
/// The reader's length is unknown, so the data is read in bounded chunks and a header
/// that claims more than arrives costs no more memory than what arrived. Reading from a
/// path with [`read_idx_file`] checks a plain file's length before reading the data.
/// A header that claims more than [`DEFAULT_LIMIT`] (512 MiB) of data fails before any
/// of it is read; [`IdxReader::read`] reads with another [limit](self#size-limit).
///
/// # Errors
///
/// Every [`IdxErrorKind`] but the count mismatch of [`load_mnist`]; see there.
/// [`IdxErrorKind::TooLarge`] when the header claims more than [`DEFAULT_LIMIT`].
pub fn read_idx<R: Read>(reader: R) -> Result<IdxArray, IdxError> {
    IdxReader::new().read(reader)
}

/// Reads the IDX file at `path`, decompressing it when it is gzip-compressed (with the
/// `gzip` feature), whatever its name.
///
/// # Errors
///
/// As [`read_idx`] (with [`DEFAULT_LIMIT`]; [`IdxReader::read_file`] takes another),
/// with the path attached; a plain file whose length differs from what its header
/// describes fails before its data is read.
pub fn read_idx_file<P: AsRef<Path>>(path: P) -> Result<IdxArray, IdxError> {
    IdxReader::new().read_file(path)
}

/// The functions of this module with another [size limit](self#size-limit) than
/// [`DEFAULT_LIMIT`]: the most bytes of data a file may hold, as its header claims them.
///
/// `IdxReader::new()` (or `IdxReader::default()`) reads as the functions do;
/// [`limit`](Self::limit) sets another limit. Each method is its function's twin:
/// [`read`](Self::read) is [`read_idx`], [`read_file`](Self::read_file) is
/// [`read_idx_file`], and the others keep their functions' names.
///
/// ```
/// use tapegrad_nn::idx::{IdxErrorKind, IdxReader};
///
/// // One 2×3 image: 6 bytes of data.
/// let mut file = vec![0, 0, 0x08, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
/// file.extend(0..6u8);
/// let images = IdxReader::new().limit(6).read_images_from(file.as_slice()).unwrap();
/// assert_eq!(images.pixels, [0, 1, 2, 3, 4, 5]);
///
/// let error = IdxReader::new().limit(5).read_images_from(file.as_slice()).unwrap_err();
/// assert!(matches!(error.kind(), IdxErrorKind::TooLarge { claimed: 6, limit: 5 }));
/// assert!(error.to_string().contains("IdxReader::new().limit(bytes)"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IdxReader {
    limit: u64,
}

impl Default for IdxReader {
    fn default() -> Self {
        IdxReader::new()
    }
}

impl IdxReader {
    /// A reader with the limit [`DEFAULT_LIMIT`], 512 MiB.
    pub const fn new() -> Self {
        IdxReader {
            limit: DEFAULT_LIMIT,
        }
    }

    /// This reader with a limit of `bytes` bytes of data per file: a header that claims
    /// more fails with [`IdxErrorKind::TooLarge`] before its data is read. The header
    /// itself is not counted. `u64::MAX` lifts the limit.
    pub const fn limit(self, bytes: u64) -> Self {
        IdxReader { limit: bytes }
    }

    /// [`read_idx`] with this reader's limit.
    ///
    /// # Errors
    ///
    /// As [`read_idx`].
    pub fn read<R: Read>(&self, reader: R) -> Result<IdxArray, IdxError> {
        read_detecting_gzip(reader, None, self.limit).map_err(IdxError::from)
    }

    /// [`read_idx_file`] with this reader's limit.
    ///
    /// # Errors
    ///
    /// As [`read_idx_file`].
    pub fn read_file<P: AsRef<Path>>(&self, path: P) -> Result<IdxArray, IdxError> {
        let path = path.as_ref();
        let open = || -> Result<IdxArray, IdxErrorKind> {
            let (file, length) = open_with_length(path).map_err(IdxErrorKind::Io)?;
            read_detecting_gzip(BufReader::new(file), Some(length), self.limit)
        };
        open().map_err(|kind| IdxError::from(kind).in_file(path))
    }

    /// [`read_images_from`] with this reader's limit.
    ///
    /// # Errors
    ///
    /// As [`read_images_from`].
    pub fn read_images_from<R: Read>(&self, reader: R) -> Result<Images, IdxError> {
        Images::try_from(self.read(reader)?)
    }

    /// [`read_labels_from`] with this reader's limit.
    ///
    /// # Errors
    ///
    /// As [`read_labels_from`].
    pub fn read_labels_from<R: Read>(&self, reader: R) -> Result<Vec<u8>, IdxError> {
        labels_from(self.read(reader)?)
    }

    /// [`read_images`] with this reader's limit.
    ///
    /// # Errors
    ///
    /// As [`read_images`].
    pub fn read_images<P: AsRef<Path>>(&self, path: P) -> Result<Images, IdxError> {
        let path = path.as_ref();
        Images::try_from(self.read_file(path)?).map_err(|error| error.in_file(path))
    }

    /// [`read_labels`] with this reader's limit.
    ///
    /// # Errors
    ///
    /// As [`read_labels`].
    pub fn read_labels<P: AsRef<Path>>(&self, path: P) -> Result<Vec<u8>, IdxError> {
        let path = path.as_ref();
        labels_from(self.read_file(path)?).map_err(|error| error.in_file(path))
    }

    /// [`load_mnist`] with this reader's limit for each of the four files.
    ///
    /// # Errors
    ///
    /// As [`load_mnist`].
    pub fn load_mnist<P: AsRef<Path>>(
        &self,
        dir: P,
    ) -> Result<(Images, Vec<u8>, Images, Vec<u8>), IdxError> {
        let dir = dir.as_ref();
        let (train_images, train_labels) = self.load_mnist_part(dir, "train")?;
        let (test_images, test_labels) = self.load_mnist_part(dir, "t10k")?;
        Ok((train_images, train_labels, test_images, test_labels))
    }

    /// Reads one MNIST part (`train` or `t10k`) and checks that images and labels agree.
    fn load_mnist_part(&self, dir: &Path, part: &str) -> Result<(Images, Vec<u8>), IdxError> {
        let images_path = find_mnist_file(dir, &format!("{part}-images-idx3-ubyte"))?;
        let labels_path = find_mnist_file(dir, &format!("{part}-labels-idx1-ubyte"))?;
        let images = self.read_images(&images_path)?;
        let labels = self.read_labels(&labels_path)?;
        if images.len() != labels.len() {
            let detail = format!(
                "{} holds {} images but {} holds {} labels",
                images_path.display(),
                images.len(),
                labels_path.display(),
                labels.len()
            );
            return Err(
                IdxError::from(IdxErrorKind::DimensionMismatch { detail }).in_file(&labels_path)
            );
        }
        Ok((images, labels))
    }
}

/// Reads the first two bytes; a gzip signature sends the whole stream through the
/// decompressor, two zero bytes go on to the rest of the header. `length` is the total
/// length of a plain file, when known; `limit` the most bytes of data the header may claim.
fn read_detecting_gzip<R: Read>(
    mut reader: R,
    length: Option<u64>,
    limit: u64,
) -> Result<IdxArray, IdxErrorKind> {
    let mut start = [0u8; 2];
    read_section(&mut reader, &mut start, Section::Magic, 0).map_err(whole_magic)?;
    if start == GZIP_MAGIC {
        return gunzip_and_read(start, reader, limit);
    }
    read_after_start(start, reader, length, limit)
}

/// A truncation inside the first two bytes is reported against the 4-byte magic number.
fn whole_magic(kind: IdxErrorKind) -> IdxErrorKind {
    match kind {
        IdxErrorKind::Truncated { found, .. } => IdxErrorKind::Truncated {
            section: Section::Magic,
            expected: 4,
            found,
        },
        other => other,
    }
}

#[cfg(feature = "gzip")]
fn gunzip_and_read<R: Read>(
    start: [u8; 2],
    reader: R,
    limit: u64,
) -> Result<IdxArray, IdxErrorKind> {
    let mut decoder = flate2::read::MultiGzDecoder::new(start.as_slice().chain(reader));
    let mut inner_start = [0u8; 2];
    read_section(&mut decoder, &mut inner_start, Section::Magic, 0).map_err(whole_magic)?;
    read_after_start(inner_start, decoder, None, limit)
}

#[cfg(not(feature = "gzip"))]
fn gunzip_and_read<R: Read>(
    _start: [u8; 2],
    _reader: R,
    _limit: u64,
) -> Result<IdxArray, IdxErrorKind> {
    Err(IdxErrorKind::GzipDisabled)
}

/// Reads the rest of an IDX file whose first two bytes, `start`, are already read,
/// refusing a header that claims more than `limit` bytes of data before reading it.
fn read_after_start<R: Read>(
    start: [u8; 2],
    mut reader: R,
    length: Option<u64>,
    limit: u64,
) -> Result<IdxArray, IdxErrorKind> {
    if start != [0, 0] {
        return Err(IdxErrorKind::BadMagic { found: start });
    }
    let mut type_and_rank = [0u8; 2];
    read_section(&mut reader, &mut type_and_rank, Section::Magic, 2)?;
    let [type_code, rank] = type_and_rank;
    let element = ElementType::from_code(type_code)
        .ok_or(IdxErrorKind::UnsupportedType { code: type_code })?;
    if rank == 0 {
        return Err(IdxErrorKind::DimensionMismatch {
            detail: "the header declares no dimensions".to_string(),
        });
    }

    let rank = usize::from(rank);
    let mut sizes = [0u8; 4 * 255];
    let sizes = &mut sizes[..4 * rank];
    read_section(&mut reader, sizes, Section::Dimensions, 0)?;
    let dims32: Vec<u32> = sizes
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .collect();

    let too_large = || IdxErrorKind::DimensionMismatch {
        detail: format!("{dims32:?} elements of {element} are more than this machine can address"),
    };
    let count = dims32
        .iter()
        .try_fold(1u64, |product, &d| product.checked_mul(u64::from(d)))
        .ok_or_else(too_large)?;
    let bytes = count
        .checked_mul(element.size() as u64)
        .ok_or_else(too_large)?;
    if bytes > limit {
        return Err(IdxErrorKind::TooLarge {
            claimed: bytes,
            limit,
        });
    }
    let count = usize::try_from(count).map_err(|_| too_large())?;
    usize::try_from(bytes).map_err(|_| too_large())?;
    let dims: Vec<usize> = dims32.iter().map(|&d| d as usize).collect();

    // A plain file of known length: check the claim before reading or allocating.
    if let Some(length) = length {
        let header = 4 + 4 * rank as u64;
        let available = length.saturating_sub(header);
        if available < bytes {
            return Err(IdxErrorKind::Truncated {
                section: Section::Data,
                expected: bytes,
                found: available,
            });
        }
        if available > bytes {
            return Err(trailing_data(&dims32, element, Some(available - bytes)));
        }
    }

    let known = length.is_some();
    let r = &mut reader;
    let data = match element {
        ElementType::U8 => IdxData::U8(read_elements(r, count, known, |b: [u8; 1]| b[0])?),
        ElementType::I8 => IdxData::I8(read_elements(r, count, known, i8::from_be_bytes)?),
        ElementType::I16 => IdxData::I16(read_elements(r, count, known, i16::from_be_bytes)?),
        ElementType::I32 => IdxData::I32(read_elements(r, count, known, i32::from_be_bytes)?),
        ElementType::F32 => IdxData::F32(read_elements(r, count, known, f32::from_be_bytes)?),
        ElementType::F64 => IdxData::F64(read_elements(r, count, known, f64::from_be_bytes)?),
    };

    // A stream of unknown length must end here.
    if !known {
        let mut probe = [0u8; 1];
        loop {
            match reader.read(&mut probe) {
                Ok(0) => break,
                Ok(_) => return Err(trailing_data(&dims32, element, None)),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(IdxErrorKind::Io(error)),
            }
        }
    }
    Ok(IdxArray { dims, data })
}

fn trailing_data(dims: &[u32], element: ElementType, extra: Option<u64>) -> IdxErrorKind {
    let extra = match extra {
        Some(extra) => format!("{extra} more bytes follow"),
        None => "more bytes follow".to_string(),
    };
    IdxErrorKind::DimensionMismatch {
        detail: format!("the header describes {dims:?} elements of {element}, but {extra}"),
    }
}

/// Reads `count` elements of `N` bytes each, decoding each with `decode`, in chunks of
/// at most [`CHUNK`] bytes. With `reserve_all` (a plain file whose length has been
/// checked) the result is allocated at once; otherwise it grows with the data read,
/// doubling as a `Vec` does but never beyond `count`, so its memory stays within the
/// limit that `count` was checked against.
fn read_elements<R: Read, T, const N: usize>(
    reader: &mut R,
    count: usize,
    reserve_all: bool,
    decode: impl Fn([u8; N]) -> T,
) -> Result<Vec<T>, IdxErrorKind> {
    // The caller has checked that count * N does not overflow.
    let total = count * N;
    let mut elements = Vec::with_capacity(if reserve_all {
        count
    } else {
        count.min(CHUNK / N)
    });
    let mut buffer = vec![0u8; total.min(CHUNK)];
    let mut done = 0;
    while done < total {
        // CHUNK is a multiple of N, so a full read holds whole elements.
        let want = (total - done).min(CHUNK);
        let got = read_up_to(reader, &mut buffer[..want]).map_err(IdxErrorKind::Io)?;
        if elements.capacity() - elements.len() < got / N {
            // The capacity is at least CHUNK / N here, so twice it holds what arrived.
            let grown = (2 * elements.capacity()).min(count);
            elements.reserve_exact(grown - elements.len());
        }
        elements.extend(
            buffer[..got - got % N]
                .chunks_exact(N)
                .map(|bytes| decode(bytes.try_into().expect("chunks of N bytes"))),
        );
        done += got;
        if got < want {
            return Err(IdxErrorKind::Truncated {
                section: Section::Data,
                expected: total as u64,
                found: done as u64,
            });
        }
    }
    Ok(elements)
}

/// Images of `u8` pixels, as MNIST stores them: `count` images of `rows × cols` pixels,
/// row by row, one image after the other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Images {
    /// The number of images.
    pub count: usize,
    /// The height of an image.
    pub rows: usize,
    /// The width of an image.
    pub cols: usize,
    /// All pixels, `count · rows · cols` of them; 0 is background in MNIST, 255 ink.
    pub pixels: Vec<u8>,
}

impl Images {
    /// The number of images.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The `rows · cols` pixels of image `index`, row by row.
    ///
    /// # Panics
    ///
    /// When `index` is not below [`len`](Self::len).
    pub fn image(&self, index: usize) -> &[u8] {
        assert!(
            index < self.count,
            "image index {index} out of range: there are {} images",
            self.count
        );
        let size = self.rows * self.cols;
        &self.pixels[index * size..(index + 1) * size]
    }
}

impl TryFrom<IdxArray> for Images {
    type Error = IdxError;

    /// Accepts a 3-dimensional array of `u8`.
    fn try_from(array: IdxArray) -> Result<Self, IdxError> {
        let pixels = expect_u8(array.data)?;
        match array.dims[..] {
            [count, rows, cols] => Ok(Images {
                count,
                rows,
                cols,
                pixels,
            }),
            ref dims => Err(IdxErrorKind::DimensionMismatch {
                detail: format!(
                    "images need 3 dimensions (count, rows, columns), the file has {dims:?}"
                ),
            }
            .into()),
        }
    }
}

fn expect_u8(data: IdxData) -> Result<Vec<u8>, IdxError> {
    match data {
        IdxData::U8(bytes) => Ok(bytes),
        other => Err(IdxErrorKind::WrongType {
            expected: ElementType::U8,
            found: other.element_type(),
        }
        .into()),
    }
}

fn labels_from(array: IdxArray) -> Result<Vec<u8>, IdxError> {
    let labels = expect_u8(array.data)?;
    if array.dims.len() != 1 {
        return Err(IdxErrorKind::DimensionMismatch {
            detail: format!(
                "labels need 1 dimension (count), the file has {:?}",
                array.dims
            ),
        }
        .into());
    }
    Ok(labels)
}

/// Reads an IDX file of images (`u8`, 3 dimensions) from any reader, gzip or plain,
/// of at most [`DEFAULT_LIMIT`] bytes of data ([`IdxReader::read_images_from`] takes
/// another limit).
///
/// # Errors
///
/// As [`read_idx`]; [`IdxErrorKind::WrongType`] for elements other than `u8`, and
/// [`IdxErrorKind::DimensionMismatch`] for other than 3 dimensions.
pub fn read_images_from<R: Read>(reader: R) -> Result<Images, IdxError> {
    IdxReader::new().read_images_from(reader)
}

/// Reads an IDX file of labels (`u8`, 1 dimension) from any reader, gzip or plain,
/// of at most [`DEFAULT_LIMIT`] bytes of data ([`IdxReader::read_labels_from`] takes
/// another limit).
///
/// # Errors
///
/// As [`read_idx`]; [`IdxErrorKind::WrongType`] for elements other than `u8`, and
/// [`IdxErrorKind::DimensionMismatch`] for other than 1 dimension.
pub fn read_labels_from<R: Read>(reader: R) -> Result<Vec<u8>, IdxError> {
    IdxReader::new().read_labels_from(reader)
}

/// Reads the IDX file of images (`u8`, 3 dimensions) at `path`, gzip or plain, such as
/// MNIST's `train-images-idx3-ubyte.gz`, of at most [`DEFAULT_LIMIT`] bytes of data
/// ([`IdxReader::read_images`] takes another limit).
///
/// # Errors
///
/// As [`read_images_from`], with the path attached.
pub fn read_images<P: AsRef<Path>>(path: P) -> Result<Images, IdxError> {
    IdxReader::new().read_images(path)
}

/// Reads the IDX file of labels (`u8`, 1 dimension) at `path`, gzip or plain, such as
/// MNIST's `train-labels-idx1-ubyte.gz`, of at most [`DEFAULT_LIMIT`] bytes of data
/// ([`IdxReader::read_labels`] takes another limit). The labels are returned as stored,
/// unchecked (MNIST's are digits 0 to 9).
///
/// # Errors
///
/// As [`read_labels_from`], with the path attached.
pub fn read_labels<P: AsRef<Path>>(path: P) -> Result<Vec<u8>, IdxError> {
    IdxReader::new().read_labels(path)
}

/// The path of MNIST's file `name` in `dir`, plain or with `.gz` appended.
fn find_mnist_file(dir: &Path, name: &str) -> Result<PathBuf, IdxError> {
    let plain = dir.join(name);
    if plain.is_file() {
        return Ok(plain);
    }
    let gzip = dir.join(format!("{name}.gz"));
    if gzip.is_file() {
        return Ok(gzip);
    }
    let message = format!(
        "neither {name} nor {name}.gz is in {}; download MNIST's four files there",
        dir.display()
    );
    Err(IdxError::from(IdxErrorKind::Io(io::Error::new(
        io::ErrorKind::NotFound,
        message,
    )))
    .in_file(&plain))
}

/// Loads MNIST from the folder `dir`: `(train_images, train_labels, test_images,
/// test_labels)`.
///
/// The folder holds the four files under their standard names, each plain or
/// gzip-compressed with `.gz` appended: `train-images-idx3-ubyte`,
/// `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`
/// (60 000 training and 10 000 test images of 28 × 28 pixels). Each file may hold at
/// most [`DEFAULT_LIMIT`] bytes of data, 512 MiB, more than ten times MNIST's largest;
/// [`IdxReader::load_mnist`] takes another limit, for larger data sets of the same layout.
///
/// ```no_run
/// let (train_images, train_labels, test_images, test_labels) =
///     tapegrad_nn::idx::load_mnist("data/mnist")?;
/// assert_eq!((train_images.rows, train_images.cols), (28, 28));
/// assert_eq!(train_images.len(), train_labels.len());
/// # let _ = (test_images, test_labels);
/// # Ok::<(), tapegrad_nn::idx::IdxError>(())
/// ```
///
/// # Errors
///
/// [`IdxErrorKind::Io`] (`NotFound`) when a file is missing in both forms;
/// [`IdxErrorKind::DimensionMismatch`] when a part's images and labels differ in count;
/// any error of [`read_images`] and [`read_labels`]. The error names the file.
pub fn load_mnist<P: AsRef<Path>>(dir: P) -> Result<(Images, Vec<u8>, Images, Vec<u8>), IdxError> {
    IdxReader::new().load_mnist(dir)
}
