//! The parameters of a journal entry: named values in the order they were first noted.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

/// Named values in the order their names were first given; a name given again keeps its place
/// and takes the new value, as an ordered JSON object does. An entry holds at most a few dozen
/// (`MAX_PARAMS`), so a name is found by looking at each in turn.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields(Vec<(String, Value)>);

impl Fields {
    /// How many names it holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Room for `more` names without growing.
    pub fn reserve(&mut self, more: usize) {
        self.0.reserve(more);
    }

    /// Whether `name` has a value.
    pub fn contains_key(&self, name: &str) -> bool {
        self.0.iter().any(|(kept, _)| kept == name)
    }

    /// The value of `name`, to change.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        self.0
            .iter_mut()
            .find(|(kept, _)| kept == name)
            .map(|(_, value)| value)
    }

    /// Sets the value of `name`, in its place if it has one, else after the others.
    pub fn insert(&mut self, name: String, value: Value) {
        match self.get_mut(&name) {
            Some(kept) => *kept = value,
            None => self.0.push((name, value)),
        }
    }

    /// The names and values, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter().map(|(name, value)| (name, value))
    }

    /// The same as a JSON object.
    #[cfg(test)]
    pub fn to_map(&self) -> Map<String, Value> {
        self.0.iter().cloned().collect()
    }
}

impl IntoIterator for Fields {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl From<Map<String, Value>> for Fields {
    fn from(map: Map<String, Value>) -> Self {
        Self(map.into_iter().collect())
    }
}

/// A JSON object, names in order.
impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Whatever is inserted, it holds and writes what an ordered JSON object would.
        #[test]
        fn it_is_an_ordered_json_object(steps in proptest::collection::vec(("[a-d]{1,2}", any::<u8>()), 0..40)) {
            let mut fields = Fields::default();
            let mut map = Map::new();
            for (name, value) in steps {
                fields.insert(name.clone(), Value::from(value));
                map.insert(name, Value::from(value));
            }
            prop_assert_eq!(fields.len(), map.len());
            prop_assert_eq!(fields.to_map(), map.clone());
            prop_assert_eq!(
                serde_json::to_string(&fields).expect("json"),
                serde_json::to_string(&map).expect("json")
            );
            prop_assert_eq!(Fields::from(map.clone()), fields);
        }
    }
}
