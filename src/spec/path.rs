//! A place in the spec by keys and list indexes (`environments[1].deploy.codedeploy.strategy`).
//!
//! Rules find values in the typed [`super::Spec`] but report against the YAML: a path is the bridge,
//! looked up in the located node tree to get the line and column.

use std::fmt;

/// One step into a mapping or a list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A path from the top of the spec.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Path(Vec<Segment>);

impl Path {
    /// The top of the document.
    #[must_use]
    pub fn root() -> Self {
        Self::default()
    }

    /// This path, one key deeper.
    #[must_use]
    pub fn key(&self, key: &str) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_owned()));
        next
    }

    /// This path, one list item deeper.
    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }

    pub(crate) fn push(&mut self, segment: Segment) {
        self.0.push(segment);
    }

    pub(crate) fn pop(&mut self) {
        self.0.pop();
    }

    #[must_use]
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    #[must_use]
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The last key of the path, if it ends with one.
    #[must_use]
    pub fn last_key(&self) -> Option<&str> {
        match self.0.last() {
            Some(Segment::Key(key)) => Some(key),
            _ => None,
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_a_jq_path() {
        let path = Path::root()
            .key("environments")
            .index(1)
            .key("deploy")
            .key("codedeploy");
        assert_eq!(path.to_string(), "environments[1].deploy.codedeploy");
        assert_eq!(Path::root().to_string(), "");
    }
}
