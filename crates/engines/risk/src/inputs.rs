//! The conditions an assessment is made from: named values checked against the inputs the
//! rule file declares.

use std::collections::BTreeMap;

use serde_json::Value as Json;

/// One input's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(f64),
    Bool(bool),
    Text(String),
    /// Known not to exist, where the input says what its absence means (`null` for the
    /// CP potential: no cathodic protection). Unlike an input not given, it decides: it
    /// equals nothing, orders with nothing, and is null.
    Absent,
}

impl Value {
    /// Equality with a value written in the rule file.
    pub fn equals(&self, other: &Json) -> bool {
        match self {
            Value::Number(a) => other.as_f64().is_some_and(|b| *a == b),
            Value::Bool(a) => other.as_bool() == Some(*a),
            Value::Text(a) => other.as_str() == Some(a.as_str()),
            Value::Absent => false,
        }
    }

    pub fn to_json(&self) -> Json {
        match self {
            Value::Number(n) => serde_json::Number::from_f64(*n).map_or(Json::Null, Json::Number),
            Value::Bool(b) => Json::Bool(*b),
            Value::Text(t) => Json::String(t.clone()),
            Value::Absent => Json::Null,
        }
    }
}

/// The values given, by input name; an input not given is missing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inputs(BTreeMap<String, Value>);

impl Inputs {
    pub fn new() -> Inputs {
        Inputs::default()
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    pub fn set(&mut self, name: impl Into<String>, value: Value) {
        self.0.insert(name.into(), value);
    }

    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.0.remove(name)
    }

    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Inputs {
        self.set(name, value.into());
        self
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Number(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Value {
        Value::Number(f64::from(v))
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}

/// What kind of value an input takes.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Number,
    Bool,
    /// One of these words.
    Enum(Vec<String>),
    /// A titanium grade the rule file knows (an ASTM grade number as text).
    Grade(Vec<String>),
    Text,
}

/// An input as the rule file declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSpec {
    pub name: String,
    pub kind: Kind,
    pub unit: Option<String>,
    pub description: Option<String>,
    /// The physical limits of a number, and why.
    pub bounds: Option<Bounds>,
    /// What `null` states for this input, when it states something (it is then
    /// [`Value::Absent`]); for other inputs `null` is "not given".
    pub absent: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bounds {
    pub min: f64,
    pub max: f64,
    pub why: String,
}

/// A value refused, naming the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InputError {
    pub field: String,
    pub message: String,
}

impl InputSpec {
    /// Checks one value given as JSON; `null` means missing.
    pub fn read(&self, v: &Json) -> Result<Option<Value>, InputError> {
        let err = |message: String| InputError {
            field: self.name.clone(),
            message,
        };
        if v.is_null() {
            return Ok(self.absent.as_ref().map(|_| Value::Absent));
        }
        let value = match &self.kind {
            Kind::Number => {
                let n = v
                    .as_f64()
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| err("must be a number".into()))?;
                if let Some(b) = &self.bounds
                    && !(b.min..=b.max).contains(&n)
                {
                    return Err(err(format!(
                        "{n} is outside {} to {}{} ({})",
                        b.min,
                        b.max,
                        self.unit
                            .as_deref()
                            .map(|u| format!(" {u}"))
                            .unwrap_or_default(),
                        b.why
                    )));
                }
                Value::Number(n)
            }
            Kind::Bool => Value::Bool(
                v.as_bool()
                    .ok_or_else(|| err("must be true or false".into()))?,
            ),
            Kind::Enum(values) => {
                let s = v
                    .as_str()
                    .ok_or_else(|| err(format!("must be one of {}", values.join(", "))))?;
                if !values.iter().any(|x| x == s) {
                    return Err(err(format!("{s:?} is not one of {}", values.join(", "))));
                }
                Value::Text(s.to_owned())
            }
            Kind::Grade(grades) => {
                // A grade may come as a number (2) or as text ("2").
                let s = match v {
                    Json::Number(n) => n.to_string(),
                    Json::String(s) => s.trim().to_owned(),
                    _ => return Err(err("must be an ASTM grade number such as \"2\"".into())),
                };
                if !grades.contains(&s) {
                    return Err(err(format!(
                        "{s:?} is not a titanium grade the rule set knows ({})",
                        grades.join(", ")
                    )));
                }
                Value::Text(s)
            }
            Kind::Text => Value::Text(
                v.as_str()
                    .ok_or_else(|| err("must be text".into()))?
                    .to_owned(),
            ),
        };
        Ok(Some(value))
    }
}
