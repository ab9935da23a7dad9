//! Positions in the spec text: byte ranges for miette's carets, 1-based line and column for people.
//!
//! Columns count characters (Unicode scalar values), as serde-saphyr and most editors do, so a
//! position printed as `pipewright.yml:12:5` is where the cursor lands with "go to line:column".

/// A located piece of the spec text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Byte offset of the first byte.
    pub offset: usize,
    /// Length in bytes (0 for a point).
    pub len: usize,
}

impl Span {
    /// The very start of the file.
    pub const START: Span = Span {
        line: 1,
        column: 1,
        offset: 0,
        len: 0,
    };
}

/// Where each line starts, to turn byte offsets into line:column and back.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self { text, starts }
    }

    /// The whole text.
    pub(crate) fn text(&self) -> &'a str {
        self.text
    }

    /// The span of `len` bytes at byte `offset` (clamped to the text and to char boundaries).
    pub(crate) fn span(&self, offset: usize, len: usize) -> Span {
        let offset = self.floor_char_boundary(offset.min(self.text.len()));
        let end = self.floor_char_boundary(offset.saturating_add(len).min(self.text.len()));
        let line = self.starts.partition_point(|&start| start <= offset);
        let line_start = self.starts.get(line.wrapping_sub(1)).copied().unwrap_or(0);
        let column = self
            .text
            .get(line_start..offset)
            .map_or(0, |prefix| prefix.chars().count())
            + 1;
        Span {
            line: line.max(1),
            column,
            offset,
            len: end - offset,
        }
    }

    /// The span at a 1-based line and character column (clamped to the line), `len` bytes long.
    pub(crate) fn at(&self, line: usize, column: usize, len: usize) -> Span {
        let Some(&line_start) = self.starts.get(line.saturating_sub(1)) else {
            return self.span(self.text.len(), 0);
        };
        let line_end = self.starts.get(line).copied().unwrap_or(self.text.len());
        let line_text = self.text.get(line_start..line_end).unwrap_or("");
        let offset = line_text
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(line_end, |(i, _)| line_start + i);
        self.span(offset, len)
    }

    /// The text of a span (empty when out of range).
    pub(crate) fn slice(&self, span: Span) -> &'a str {
        self.text
            .get(span.offset..span.offset.saturating_add(span.len))
            .unwrap_or("")
    }

    /// The whole text of the 1-based `line`, without its line break.
    pub(crate) fn line_text(&self, line: usize) -> &'a str {
        let Some(&start) = self.starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let end = self.starts.get(line).copied().unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    fn floor_char_boundary(&self, mut offset: usize) -> usize {
        while offset > 0 && !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_positions_agree() {
        let index = LineIndex::new("a: 1\nné: x\n\nz");
        let span = index.at(2, 5, 1);
        assert_eq!((span.line, span.column, span.offset), (2, 5, 10));
        assert_eq!(index.slice(span), "x");
        assert_eq!(index.span(10, 1), span);
        assert_eq!(index.span(13, 0).line, 4);
        assert_eq!(index.line_text(2), "né: x");
    }

    #[test]
    fn out_of_range_is_clamped() {
        let index = LineIndex::new("ab");
        assert_eq!(index.at(9, 9, 3).offset, 2);
        assert_eq!(index.at(1, 9, 3).offset, 2);
        assert_eq!(index.span(99, 5).len, 0);
    }
}
