//! The rule file's condition language: `{all: [...]}`, `{any: [...]}` and
//! `{param, op, value}`, evaluated over inputs that may be missing.
//!
//! Evaluation is three-valued. A comparison on a missing input is *unknown*; `all` is false
//! as soon as one part is false and `any` true as soon as one part is true, whatever the
//! unknown parts say, so a missing input only matters where it could change the outcome.
//! `is_null` is the one operator that looks at absence itself.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::inputs::{Inputs, Value};

/// A condition as written in the rule file.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    All { all: Vec<Condition> },
    Any { any: Vec<Condition> },
    Compare(Comparison),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub param: String,
    pub op: Op,
    pub value: Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    In,
    IsNull,
}

impl Op {
    pub const ALL: [Op; 8] = [
        Op::Lt,
        Op::Le,
        Op::Gt,
        Op::Ge,
        Op::Eq,
        Op::Ne,
        Op::In,
        Op::IsNull,
    ];

    pub fn parse(s: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|o| o.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::In => "in",
            Op::IsNull => "is_null",
        }
    }

    /// Whether the operator orders numbers.
    pub fn is_ordering(self) -> bool {
        matches!(self, Op::Lt | Op::Le | Op::Gt | Op::Ge)
    }
}

/// The outcome of a condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Truth {
    True,
    False,
    /// Depends on these missing inputs.
    Unknown(BTreeSet<String>),
}

impl Condition {
    /// Reads a condition; `at` names where it stands in the file, for the error.
    pub fn parse(v: &Json, at: &str) -> Result<Condition, String> {
        let Some(map) = v.as_object() else {
            return Err(format!("{at}: a condition is an object"));
        };
        let list = |key: &str| -> Result<Vec<Condition>, String> {
            if map.len() != 1 {
                return Err(format!("{at}: `{key}` stands alone in its object"));
            }
            let items = map[key]
                .as_array()
                .ok_or_else(|| format!("{at}.{key}: a list of conditions"))?;
            items
                .iter()
                .enumerate()
                .map(|(i, c)| Condition::parse(c, &format!("{at}.{key}[{i}]")))
                .collect()
        };
        if map.contains_key("all") {
            return Ok(Condition::All { all: list("all")? });
        }
        if map.contains_key("any") {
            return Ok(Condition::Any { any: list("any")? });
        }
        if let Some(k) = map
            .keys()
            .find(|k| !matches!(k.as_str(), "param" | "op" | "value"))
        {
            return Err(format!("{at}: unknown key `{k}`"));
        }
        let param = map
            .get("param")
            .and_then(Json::as_str)
            .ok_or_else(|| format!("{at}: `param` names an input"))?;
        let op = map
            .get("op")
            .and_then(Json::as_str)
            .ok_or_else(|| format!("{at}: `op` is missing"))?;
        let op = Op::parse(op).ok_or_else(|| {
            format!(
                "{at}: unknown operator `{op}` (known: {})",
                Op::ALL.map(Op::as_str).join(", ")
            )
        })?;
        let value = map.get("value").cloned().unwrap_or(Json::Null);
        if value.is_null() && op != Op::IsNull {
            return Err(format!("{at}: `{}` needs a `value`", op.as_str()));
        }
        Ok(Condition::Compare(Comparison {
            param: param.to_owned(),
            op,
            value,
        }))
    }

    pub fn eval(&self, inputs: &Inputs) -> Truth {
        match self {
            // `all` is decided by the first false part, `any` by the first true one.
            Condition::All { all } => combine(all, inputs, false),
            Condition::Any { any } => combine(any, inputs, true),
            Condition::Compare(c) => c.eval(inputs),
        }
    }

    /// Every input the condition reads.
    pub fn params(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Condition::All { all: cs } | Condition::Any { any: cs } => {
                for c in cs {
                    c.collect(out);
                }
            }
            Condition::Compare(c) => out.push(&c.param),
        }
    }

    /// Every comparison, depth first.
    pub fn comparisons(&self) -> Vec<&Comparison> {
        match self {
            Condition::All { all: cs } | Condition::Any { any: cs } => {
                cs.iter().flat_map(|c| c.comparisons()).collect()
            }
            Condition::Compare(c) => vec![c],
        }
    }
}

impl Comparison {
    fn eval(&self, inputs: &Inputs) -> Truth {
        let actual = inputs.get(&self.param);
        if self.op == Op::IsNull {
            let wanted = self.value.as_bool().unwrap_or(true);
            let null = matches!(actual, None | Some(Value::Absent));
            return truth(null == wanted);
        }
        let Some(actual) = actual else {
            return Truth::Unknown(BTreeSet::from([self.param.clone()]));
        };
        let holds = match (self.op, actual) {
            (Op::In, v) => self
                .value
                .as_array()
                .is_some_and(|list| list.iter().any(|x| v.equals(x))),
            (Op::Eq, v) => v.equals(&self.value),
            (Op::Ne, v) => !v.equals(&self.value),
            (op, Value::Number(a)) => {
                let Some(b) = self.value.as_f64() else {
                    return Truth::False;
                };
                match op {
                    Op::Lt => *a < b,
                    Op::Le => *a <= b,
                    Op::Gt => *a > b,
                    Op::Ge => *a >= b,
                    _ => false,
                }
            }
            // Ordering a text or a flag: refused when the rule file is loaded.
            _ => false,
        };
        truth(holds)
    }
}

/// Kleene's `all` (`decisive` false) or `any` (`decisive` true): the first part equal to
/// `decisive` settles it; otherwise unknown parts make it unknown, naming their inputs.
fn combine(parts: &[Condition], inputs: &Inputs, decisive: bool) -> Truth {
    let mut missing = BTreeSet::new();
    for c in parts {
        match c.eval(inputs) {
            Truth::Unknown(m) => missing.extend(m),
            t if (t == Truth::True) == decisive => return t,
            _ => {}
        }
    }
    if missing.is_empty() {
        truth(!decisive)
    } else {
        Truth::Unknown(missing)
    }
}

fn truth(b: bool) -> Truth {
    if b { Truth::True } else { Truth::False }
}
