//! A JSON value that keeps its objects' keys in the order the file had them.
//!
//! serde_json's own `Value` sorts keys unless its `preserve_order` feature is on, and turning
//! that feature on for this crate would turn it on for the whole build (features unify), which
//! changes the key order of every `--json` output. This small tree reads and writes through
//! serde_json's parser and pretty printer, so an agent's settings file comes back with its keys
//! where the person put them.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A JSON value whose objects keep their key order (and, like the text, any repeated key).
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as serde_json reads it.
    Number(serde_json::Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, its members in file order.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// A string value.
    pub fn str(s: &str) -> Json {
        Json::String(s.to_string())
    }

    /// The string inside, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The members, if this is an object.
    pub fn as_object(&self) -> Option<&Vec<(String, Json)>> {
        match self {
            Json::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The members, if this is an object.
    pub fn as_object_mut(&mut self) -> Option<&mut Vec<(String, Json)>> {
        match self {
            Json::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&Vec<Json>> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Json>> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The first member named `key`, if this is an object that has one.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.as_object()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The first member named `key`, if this is an object that has one.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        self.as_object_mut()?
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Reads JSON text (a leading byte-order mark is skipped).
    pub fn parse(text: &str) -> serde_json::Result<Json> {
        serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(text))
    }

    /// The text written back: two-space indentation and a final newline.
    pub fn to_pretty(&self) -> String {
        // Serialising a tree of strings, numbers and containers into memory cannot fail.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// Sets `key` in an object: in place when present (every repeat after the first removed), else
/// appended, so the keys already there keep their order. Returns whether anything changed.
pub fn set(members: &mut Vec<(String, Json)>, key: &str, value: Json) -> bool {
    let mut changed = false;
    let mut seen = false;
    members.retain_mut(|(k, v)| {
        if k != key {
            return true;
        }
        if seen {
            changed = true;
            return false;
        }
        seen = true;
        if *v != value {
            *v = value.clone();
            changed = true;
        }
        true
    });
    if !seen {
        members.push((key.to_string(), value));
        changed = true;
    }
    changed
}

/// Removes every member named `key`; returns whether there was one.
pub fn remove(members: &mut Vec<(String, Json)>, key: &str) -> bool {
    let before = members.len();
    members.retain(|(k, _)| k != key);
    members.len() != before
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => s.serialize_unit(),
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Number(n) => n.serialize(s),
            Json::String(t) => s.serialize_str(t),
            Json::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(n)
            .map(Json::Number)
            .ok_or_else(|| E::custom("a number JSON cannot hold"))
    }

    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::String(s.to_string()))
    }

    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::String(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            members.push((k, v));
        }
        Ok(Json::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_order_and_numbers_their_form() {
        let text = "{\n  \"z\": 1,\n  \"a\": [true, null, -2, 1.5],\n  \"m\": {\"y\": \"x\", \"b\": {}}\n}\n";
        let v = Json::parse(text).unwrap();
        assert_eq!(
            v.to_pretty(),
            "{\n  \"z\": 1,\n  \"a\": [\n    true,\n    null,\n    -2,\n    1.5\n  ],\n  \"m\": {\n    \"y\": \"x\",\n    \"b\": {}\n  }\n}\n"
        );
    }

    #[test]
    fn set_replaces_in_place_and_appends_new_keys() {
        let mut m = vec![
            ("a".to_string(), Json::str("1")),
            ("b".to_string(), Json::Null),
        ];
        assert!(!set(&mut m, "a", Json::str("1")));
        assert!(set(&mut m, "a", Json::str("2")));
        assert!(set(&mut m, "c", Json::Bool(true)));
        let keys: Vec<&str> = m.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(m[0].1, Json::str("2"));
    }
}
