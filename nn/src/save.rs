//! Saving and loading an [`MLP`] as JSON, with the feature `serde`; the format is
//! described in the [crate docs](crate).

use std::fmt;
use std::io::{self, Write};

use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use super::model::{LayoutError, MLP, Module};

/// Why a model file could not be loaded.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read, is not JSON, or is JSON of another shape than a model
    /// file's (a missing or unknown field, a size that is not a whole number, a
    /// parameter that is not a number).
    Json(serde_json::Error),
    /// The file describes no valid model: a size of 0, or parameters that do not match
    /// the layer sizes or are not finite.
    Layout(LayoutError),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Json(error) if error.is_io() => {
                write!(f, "could not read the model file: {error}")
            }
            LoadError::Json(error) => write!(f, "not a tapegrad model file: {error}"),
            LoadError::Layout(error) => write!(f, "invalid model file: {error}"),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Json(error) => Some(error),
            LoadError::Layout(error) => Some(error),
        }
    }
}

impl From<serde_json::Error> for LoadError {
    fn from(error: serde_json::Error) -> Self {
        LoadError::Json(error)
    }
}

impl From<LayoutError> for LoadError {
    fn from(error: LayoutError) -> Self {
        LoadError::Layout(error)
    }
}

/// A model file, as written.
#[derive(Serialize)]
struct ModelFileOut<'a> {
    inputs: usize,
    layers: Vec<usize>,
    parameters: ExactNumbers<'a>,
}

/// Numbers written as strings that read back exactly.
struct ExactNumbers<'a>(&'a [f64]);

impl Serialize for ExactNumbers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for &x in self.0 {
            seq.serialize_element(&ExactNumber(x))?;
        }
        seq.end()
    }
}

/// A number written as a string that reads back exactly.
struct ExactNumber(f64);

impl Serialize for ExactNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // `{:?}` is the shortest string that parses back to the same f64, in exponent
        // notation for very large and very small magnitudes.
        serializer.collect_str(&format_args!("{:?}", self.0))
    }
}

/// A model file, as read.
#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an object with the fields inputs, layers and parameters"
)]
struct ModelFile {
    inputs: usize,
    layers: Vec<usize>,
    parameters: Vec<Parameter>,
}

/// A parameter as read: a JSON number, or a string holding one.
struct Parameter(f64);

impl<'de> Deserialize<'de> for Parameter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ParameterVisitor)
    }
}

struct ParameterVisitor;

impl Visitor<'_> for ParameterVisitor {
    type Value = Parameter;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, or a string holding one")
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<Parameter, E> {
        Ok(Parameter(x))
    }

    fn visit_i64<E: de::Error>(self, x: i64) -> Result<Parameter, E> {
        Ok(Parameter(x as f64))
    }

    fn visit_u64<E: de::Error>(self, x: u64) -> Result<Parameter, E> {
        Ok(Parameter(x as f64))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Parameter, E> {
        text.parse()
            .map(Parameter)
            .map_err(|_| E::invalid_value(Unexpected::Str(text), &self))
    }
}

impl MLP {
    /// Writes the model's shape and parameters to `writer` as JSON (see the
    /// [crate docs](crate) for the format).
    ///
    /// ```
    /// use tapegrad_nn::MLP;
    ///
    /// let model = MLP::new(2, &[4, 1]);
    /// let mut file = Vec::new();
    /// model.save_json(&mut file).unwrap();
    /// let loaded = MLP::load_json(file.as_slice()).unwrap();
    /// assert_eq!(loaded, model);
    /// assert_eq!(loaded.predict(&[0.3, 0.7]), model.predict(&[0.3, 0.7]));
    /// ```
    ///
    /// # Errors
    ///
    /// If writing fails, or if a parameter is NaN or infinite (a model file holds finite
    /// numbers only), with the kind [`io::ErrorKind::InvalidData`].
    pub fn save_json<W: io::Write>(&self, writer: W) -> io::Result<()> {
        if let Some((index, &value)) = self
            .parameters()
            .iter()
            .enumerate()
            .find(|(_, p)| !p.is_finite())
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                LayoutError::NonFinite { index, value },
            ));
        }
        let file = ModelFileOut {
            inputs: self.inputs(),
            layers: self.layers().iter().map(Module::outputs).collect(),
            parameters: ExactNumbers(self.parameters()),
        };
        let mut writer = io::BufWriter::new(writer);
        serde_json::to_writer(&mut writer, &file)?;
        writer.flush()
    }

    /// Reads a model written by [`save_json`](MLP::save_json).
    ///
    /// ```
    /// use tapegrad_nn::MLP;
    ///
    /// let file = r#"{"inputs": 1, "layers": [1], "parameters": ["2.0", 1]}"#;
    /// let model = MLP::load_json(file.as_bytes()).unwrap();
    /// assert_eq!(model.predict(&[3.0]), [7.0]);
    ///
    /// let error = MLP::load_json(r#"{"inputs": 1, "layers": [0], "parameters": []}"#.as_bytes())
    ///     .unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "invalid model file: layer 0 (counting from 0) has no neurons; every layer needs at \
    ///      least one"
    /// );
    /// ```
    ///
    /// # Errors
    ///
    /// A [`LoadError`] if the file cannot be read, is not a model file, or describes no
    /// valid model (see [`MLP::from_parameters`]). A malformed file never panics.
    pub fn load_json<R: io::Read>(reader: R) -> Result<MLP, LoadError> {
        let file: ModelFile = serde_json::from_reader(io::BufReader::new(reader))?;
        let parameters = file.parameters.into_iter().map(|p| p.0).collect();
        Ok(MLP::from_parameters(file.inputs, &file.layers, parameters)?)
    }
}
