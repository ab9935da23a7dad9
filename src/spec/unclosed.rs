//! Finds a `[` or `{` left open before a YAML syntax error.
//!
//! A parser meets an unclosed flow collection only lines later, where the next `key:` makes no
//! sense inside it, and reports *that* place. The mistake is the bracket, so the syntax error is
//! moved there. This is a lexical scan, not a parser: it recognises where a flow collection may
//! start (a value after `key: `, a `- ` item, a line of its own) and skips quoted text and
//! comments; it is only consulted once the real parser has already failed.

/// Byte offset of the innermost flow bracket still open at `end`, if any.
pub(crate) fn open_bracket(text: &str, end: usize) -> Option<usize> {
    let prefix = text.get(..end)?;
    let mut stack: Vec<(char, usize)> = Vec::new();
    let mut line_start = 0;
    for line in prefix.split_inclusive('\n') {
        let start = if stack.is_empty() {
            block_value_start(line).map(|i| line_start + i)
        } else {
            Some(line_start)
        };
        if let Some(start) = start {
            scan_flow(prefix, start, line_start + line.len(), &mut stack);
        }
        line_start += line.len();
    }
    stack.last().map(|&(_, offset)| offset)
}

/// In block context: the offset in `line` where a flow collection starts, if one does.
fn block_value_start(line: &str) -> Option<usize> {
    let mut i = line.len() - line.trim_start_matches([' ', '-']).len();
    let dashes_ok = line[..i]
        .trim_start()
        .split(' ')
        .all(|p| p.is_empty() || p == "-");
    if !dashes_ok {
        i = line.len() - line.trim_start().len();
    }
    let rest = &line[i..];
    if rest.starts_with(['[', '{']) {
        return Some(i);
    }
    let colon = key_colon(rest)?;
    let after = &rest[colon + 1..];
    let value = after.len() - after.trim_start_matches([' ', '\t']).len();
    after[value..]
        .starts_with(['[', '{'])
        .then_some(i + colon + 1 + value)
}

/// The `:` ending a block mapping key (followed by a space or the line's end), outside quotes.
fn key_colon(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            None if (c == '"' || c == '\'') && i == 0 => quote = Some(c),
            None if c == '#' && previous.is_whitespace() => return None,
            None if c == ':' => {
                let next = text[i + 1..].chars().next();
                if next.is_none_or(char::is_whitespace) {
                    return Some(i);
                }
            }
            Some(_) | None => {}
        }
        previous = c;
    }
    None
}

/// Scan `text[from..to]` in flow context, pushing and popping brackets.
fn scan_flow(text: &str, from: usize, to: usize, stack: &mut Vec<(char, usize)>) {
    let Some(segment) = text.get(from..to) else {
        return;
    };
    let mut chars = segment.char_indices().peekable();
    let mut previous = ' ';
    while let Some((i, c)) = chars.next() {
        match c {
            '"' | '\'' if previous_allows_quote(previous) => {
                // Skip the quoted scalar (to the end of this line at most: good enough here).
                let mut escaped = false;
                for (_, q) in chars.by_ref() {
                    if c == '"' && q == '\\' && !escaped {
                        escaped = true;
                        continue;
                    }
                    if q == c && !escaped {
                        break;
                    }
                    escaped = false;
                }
            }
            '#' if previous.is_whitespace() => return,
            '[' | '{' => stack.push((c, from + i)),
            ']' | '}' => {
                if stack
                    .last()
                    .is_some_and(|&(open, _)| matches!((open, c), ('[', ']') | ('{', '}')))
                {
                    stack.pop();
                }
                if stack.is_empty() {
                    return;
                }
            }
            _ => {}
        }
        previous = c;
    }
}

fn previous_allows_quote(previous: char) -> bool {
    previous.is_whitespace() || matches!(previous, '[' | '{' | ',' | ':')
}

#[cfg(test)]
mod tests {
    use super::open_bracket;

    #[test]
    fn finds_the_bracket_left_open() {
        let text = "a: 1\nb: [x, y\nc: 2\n";
        assert_eq!(open_bracket(text, text.len()), Some(8));
        let nested = "b:\n  - {k: [1, 2], m: [3\nc: 2\n";
        assert_eq!(open_bracket(nested, nested.len()), Some(22));
    }

    #[test]
    fn ignores_closed_quoted_and_plain_brackets() {
        for text in [
            "a: [x, y]\nc: 2\n",
            "a: \"[not flow\"\nc: 2\n",
            "a: echo a[1]\nc: 2\n",
            "a: [x, \"]\"]\n",
            "# b: [x\nc: 1\n",
        ] {
            assert_eq!(open_bracket(text, text.len()), None, "{text:?}");
        }
    }
}
