//! The limits every input file is held to, whatever it holds: how many bytes are read and how
//! deeply its YAML may nest. Each is checked before the input is parsed, so a hostile or broken
//! file costs bounded time and memory and ends in a located error.

use std::io::Read;
use std::path::Path;

/// The most bytes read from one input: a file, a FIFO, a device or stdin (16 MiB).
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// The deepest nesting a YAML input may have, in levels of block indentation or flow brackets.
/// Real scenario and ledger files nest fewer than ten levels; the parser's cost grows quickly
/// with depth, so deeper text is refused before it is parsed.
pub const MAX_YAML_DEPTH: usize = 64;

/// Why an input file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("larger than {MAX_INPUT_BYTES} bytes (16 MiB), the most oauth-drift reads from one input")]
    TooLarge,
    #[error(
        "not a regular file, and it gave more than {MAX_INPUT_BYTES} bytes (16 MiB), the most oauth-drift reads from one input"
    )]
    Endless,
}

impl From<ReadError> for std::io::Error {
    fn from(error: ReadError) -> Self {
        match error {
            ReadError::Io(io) => io,
            other => std::io::Error::other(other.to_string()),
        }
    }
}

/// Reads `path` whole, up to [`MAX_INPUT_BYTES`]. A regular file that is larger is refused
/// before it is read; anything else (`/dev/zero`, a FIFO, a socket) is read up to the limit and
/// refused if it gives more, so no input can make the process read forever.
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(path)?;
    let metadata = file.metadata()?;
    if metadata.is_file() && metadata.len() > MAX_INPUT_BYTES {
        return Err(ReadError::TooLarge);
    }
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(if metadata.is_file() {
            ReadError::TooLarge
        } else {
            ReadError::Endless
        });
    }
    Ok(bytes)
}

/// [`read_bounded`] as UTF-8 text; invalid UTF-8 is an error (an [`std::io::ErrorKind::InvalidData`]).
pub fn read_bounded_text(path: &Path) -> Result<String, ReadError> {
    let bytes = read_bounded(path)?;
    String::from_utf8(bytes).map_err(|_| {
        ReadError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ))
    })
}

/// Where YAML text nests deeper than [`MAX_YAML_DEPTH`]: the 1-based line and column of the first
/// place past the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep {
    pub line: usize,
    pub column: usize,
}

impl TooDeep {
    /// The message for a located error at this place.
    pub fn message(&self) -> String {
        format!("the YAML nests more than {MAX_YAML_DEPTH} levels deep; oauth-drift's files never need that many")
    }
}

/// Checks in one pass, before parsing, that YAML text nests at most [`MAX_YAML_DEPTH`] levels.
///
/// The count is conservative and cheap: flow brackets (`[`, `{`) open a level until closed,
/// ignoring quoted text and comments; in block style every two columns of indentation and every
/// `- ` or `? ` that opens a line's content count as one level. A file that passes may still
/// be refused by the parser for other reasons, never for its depth.
pub fn check_yaml_depth(text: &str) -> Result<(), TooDeep> {
    let mut flow: usize = 0;
    for (index, line) in text.lines().enumerate() {
        let at = |column: usize| TooDeep {
            line: index + 1,
            column: column + 1,
        };
        let mut column = 0;
        let mut block = 0;
        let bytes = line.as_bytes();
        if flow == 0 {
            // indentation, then the `- ` / `? ` indicators that open nested nodes on one line
            while column < bytes.len() && bytes[column] == b' ' {
                column += 1;
            }
            block = column.div_ceil(2);
            while column + 1 < bytes.len() && matches!(bytes[column], b'-' | b'?') && bytes[column + 1] == b' ' {
                block += 1;
                column += 2;
                while column < bytes.len() && bytes[column] == b' ' {
                    column += 1;
                }
            }
            if block > MAX_YAML_DEPTH {
                return Err(at(column.min(bytes.len())));
            }
        }
        let mut quote: Option<u8> = None;
        let mut previous = b' ';
        let mut i = column;
        while i < bytes.len() {
            let byte = bytes[i];
            match quote {
                Some(b'"') if byte == b'\\' => i += 1,
                Some(q) if byte == q => quote = None,
                Some(_) => {}
                None => match byte {
                    b'#' if previous == b' ' || previous == b'\t' => break,
                    b'"' | b'\'' if matches!(previous, b' ' | b'\t' | b'[' | b'{' | b',' | b':') => quote = Some(byte),
                    b'[' | b'{' => {
                        flow += 1;
                        if block + flow > MAX_YAML_DEPTH {
                            return Err(at(i));
                        }
                    }
                    b']' | b'}' => flow = flow.saturating_sub(1),
                    _ => {}
                },
            }
            previous = byte;
            i += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_files_pass_and_deep_ones_are_located() {
        let seed = include_str!("../scenarios/approval_prompt_vs_prompt_consent.yaml");
        assert_eq!(check_yaml_depth(seed), Ok(()));
        assert_eq!(check_yaml_depth("a: \"[[[[\" # [[[[\n"), Ok(()));
        let flow = format!("a:\n  b: {}", "[".repeat(MAX_YAML_DEPTH + 5));
        let err = check_yaml_depth(&flow).unwrap_err();
        assert_eq!((err.line, err.column), (2, 5 + MAX_YAML_DEPTH));
        let dashes = format!("x:\n{}1\n", "- ".repeat(MAX_YAML_DEPTH + 1));
        assert_eq!(check_yaml_depth(&dashes).unwrap_err().line, 2);
        let mut indented = String::new();
        for level in 0..=MAX_YAML_DEPTH + 1 {
            indented.push_str(&format!("{}k{level}:\n", "  ".repeat(level)));
        }
        assert_eq!(check_yaml_depth(&indented).unwrap_err().line, MAX_YAML_DEPTH + 2);
    }

    #[test]
    fn a_depth_just_under_the_limit_passes() {
        let flow = format!("a: {}{}", "[".repeat(MAX_YAML_DEPTH), "]".repeat(MAX_YAML_DEPTH));
        assert_eq!(check_yaml_depth(&flow), Ok(()));
    }
}

#[cfg(test)]
mod examples {
    #[test]
    fn read_bounded_example() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        std::fs::write(&path, "name: x\n").unwrap();
        assert_eq!(super::read_bounded(&path).unwrap(), b"name: x\n");
        #[cfg(unix)]
        assert!(super::read_bounded(std::path::Path::new("/dev/zero")).is_err());
    }

    #[test]
    fn check_yaml_depth_example() {
        use super::check_yaml_depth;
        assert!(check_yaml_depth("a:\n  b: [1, {c: 2}]\n").is_ok());
        let deep = format!("x: {}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(check_yaml_depth(&deep).unwrap_err().line, 1);
    }
}
