//! The shape of a CSV import file, checked whole before anything is recorded: UTF-8 (a BOM is
//! tolerated), exactly the [`COLUMNS`] header, every quote closed, every line with as many
//! cells as the header, cells of at most [`MAX_CELL_CHARS`] characters, 1 to
//! [`MAX_ROWS`] data rows. A file that breaks any of these is refused with the line that broke
//! it; the cells themselves (a price that is not a number) are judged line by line later.

use pasar_domain::import::MAX_ROWS;
use pasar_events::types::ImportRow;

/// The header an import file must have, in this order.
pub const COLUMNS: [&str; 9] = [
    "sku",
    "name",
    "description",
    "price",
    "weight_grams",
    "brand",
    "condition",
    "category_id",
    "stock",
];

/// Longest cell (the longest field, a description, is 5,000 characters).
pub const MAX_CELL_CHARS: usize = 5_000;

/// Largest file, in bytes.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// Why a file was refused, and the 1-based line that broke it (when one did).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub line: Option<u64>,
    pub detail: String,
}

fn at(line: u64, detail: impl Into<String>) -> Malformed {
    Malformed {
        line: Some(line),
        detail: format!("line {line}: {}", detail.into()),
    }
}

/// The file's data rows, cells trimmed, or why the whole file is refused.
pub fn parse(bytes: &[u8]) -> Result<Vec<ImportRow>, Malformed> {
    let text = utf8(bytes)?;
    if let Some(line) = unclosed_quote(text) {
        return Err(at(line, "a quoted cell opened here is never closed"));
    }
    let lines = Lines::new(text);
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .into_records();
    match records.next() {
        Some(Ok(header)) => check_header(&header)?,
        Some(Err(e)) => return Err(lines.csv_error(&e)),
        None => {
            return Err(Malformed {
                line: None,
                detail: "the file is empty".into(),
            });
        }
    }
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|e| lines.csv_error(&e))?;
        let line = record.position().map_or(0, |p| lines.at(p.byte()));
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(at(line, format!("more than {MAX_ROWS} data rows")));
        }
        check_record(line, &record)?;
        rows.push(row(line, &record));
    }
    if rows.is_empty() {
        return Err(Malformed {
            line: None,
            detail: "the file has no data rows".into(),
        });
    }
    Ok(rows)
}

/// The file as UTF-8 text (a byte-order mark dropped), or the line where it stops being so.
fn utf8(bytes: &[u8]) -> Result<&str, Malformed> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        let line = 1 + valid.iter().filter(|b| **b == b'\n').count() as u64;
        at(line, "is not valid UTF-8 (save the file as UTF-8)")
    })
}

/// Line numbers of byte offsets. The csv crate's own line count skips blank lines; this
/// counts from byte offsets instead.
struct Lines<'a> {
    text: &'a str,
    newlines: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let newlines = text.match_indices('\n').map(|(at, _)| at).collect();
        Lines { text, newlines }
    }

    /// The line of a record starting at `byte`: a record's position is where the reader
    /// started it, before the blank lines it skipped.
    fn at(&self, byte: u64) -> u64 {
        let text = self.text;
        let start = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
        let blank = text[start..].len() - text[start..].trim_start_matches(['\r', '\n']).len();
        1 + self.newlines.partition_point(|n| *n < start + blank) as u64
    }

    fn csv_error(&self, e: &csv::Error) -> Malformed {
        match e.position() {
            Some(position) => at(self.at(position.byte()), "cannot be read as CSV"),
            None => Malformed {
                line: None,
                detail: format!("cannot be read as CSV: {e}"),
            },
        }
    }
}

fn check_header(header: &csv::StringRecord) -> Result<(), Malformed> {
    let names: Vec<&str> = header.iter().map(str::trim).collect();
    if names != COLUMNS {
        return Err(at(
            1,
            format!("the header must be exactly {}", COLUMNS.join(",")),
        ));
    }
    Ok(())
}

/// The record has the header's cells, none too long.
fn check_record(line: u64, record: &csv::StringRecord) -> Result<(), Malformed> {
    if record.len() != COLUMNS.len() {
        let detail = format!(
            "{} cells, but the header has {}",
            record.len(),
            COLUMNS.len()
        );
        return Err(at(line, detail));
    }
    if record
        .iter()
        .any(|cell| cell.chars().count() > MAX_CELL_CHARS)
    {
        return Err(at(
            line,
            format!("a cell is longer than {MAX_CELL_CHARS} characters"),
        ));
    }
    Ok(())
}

fn row(line: u64, record: &csv::StringRecord) -> ImportRow {
    let cell = |i: usize| record.get(i).unwrap_or_default().trim().to_owned();
    ImportRow {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        sku: cell(0),
        name: cell(1),
        description: cell(2),
        price: cell(3),
        weight_grams: cell(4),
        brand: cell(5),
        condition: cell(6),
        category_id: cell(7),
        stock: cell(8),
    }
}

/// The line of a quote that opens a cell and is never closed (RFC 4180: a quote opens a cell
/// only at its start; `""` inside a quoted cell is a quote). The csv crate would read such a
/// cell to the end of the file without complaint.
fn unclosed_quote(text: &str) -> Option<u64> {
    let (mut line, mut opened_at) = (1u64, None);
    let mut cell_start = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            line += 1;
        }
        if opened_at.is_some() {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                } else {
                    opened_at = None;
                }
            }
            continue;
        }
        match c {
            '"' if cell_start => opened_at = Some(line),
            ',' | '\n' => {
                cell_start = true;
                continue;
            }
            '\r' => continue,
            _ => {}
        }
        cell_start = false;
    }
    opened_at
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "sku,name,description,price,weight_grams,brand,condition,category_id,stock\n";

    fn file(rows: &str) -> Vec<u8> {
        format!("{HEADER}{rows}").into_bytes()
    }

    #[test]
    fn a_good_file_gives_its_rows_with_their_lines() {
        let rows = parse(&file(
            "KOPI-1,Kopi Gayo,\"Arabika, \"\"premium\"\"\",75000,250,Gayo,new,,10\n\nTEH-1,Teh,,20000,100,,,,\n",
        ))
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].description, "Arabika, \"premium\"");
        assert_eq!(rows[1].line, 4, "the blank line 3 is skipped but counted");
        assert_eq!(rows[1].stock, "");
    }

    #[test]
    fn a_bom_is_tolerated_and_crlf_lines_read() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(file("A,B,,1,1,,,,\r\n").iter().copied());
        let rows = parse(&bytes.replace_crlf()).unwrap();
        assert_eq!(rows[0].sku, "A");
    }

    trait Crlf {
        fn replace_crlf(self) -> Vec<u8>;
    }
    impl Crlf for Vec<u8> {
        fn replace_crlf(self) -> Vec<u8> {
            String::from_utf8(self)
                .unwrap()
                .replace('\n', "\r\n")
                .into_bytes()
        }
    }

    #[test]
    fn bad_encoding_names_its_line() {
        let mut bytes = file("A,B,,1,1,,,,\n");
        bytes.extend(b"C,Caf\xE9,,1,1,,,,\n");
        assert_eq!(parse(&bytes).unwrap_err().line, Some(3));
    }

    #[test]
    fn a_wrong_header_is_line_1() {
        let err = parse(b"sku,name,price\nA,B,1\n").unwrap_err();
        assert_eq!(err.line, Some(1));
        assert!(err.detail.contains("sku,name,description,price"));
    }

    #[test]
    fn an_open_quote_names_the_line_it_opened_on() {
        let err = parse(&file("A,B,,1,1,,,,\nC,\"Kopi,,1,1,,,,\nD,E,,1,1,,,,\n")).unwrap_err();
        assert_eq!(err.line, Some(3));
    }

    #[test]
    fn a_line_with_too_few_cells_is_refused() {
        assert_eq!(parse(&file("A,B,,1\n")).unwrap_err().line, Some(2));
    }

    #[test]
    fn too_many_rows_names_the_first_row_too_many() {
        let rows = "A,B,,1,1,,,,\n".repeat(MAX_ROWS + 1);
        let err = parse(&file(&rows)).unwrap_err();
        assert_eq!(err.line, Some(MAX_ROWS as u64 + 2));
    }

    #[test]
    fn a_header_alone_has_no_rows() {
        assert_eq!(parse(HEADER.as_bytes()).unwrap_err().line, None);
        assert_eq!(parse(b"").unwrap_err().line, None);
    }
}
