//! CSV (RFC 4180, CRLF line ends, a field quoted only when it must be), written by the `csv`
//! crate: the one writer behind every CSV answer (`log --csv`, `stats --csv`, `export --format
//! csv`). The columns that describe a claim ([`CLAIM_COLUMNS`]) are shared by `log --csv` and
//! the export report.

use anyhow::Result;
use attrib_overlay::model::format_milli;
use attrib_overlay::{AiAssistance, Membership, SignedRecord};

use crate::members::author_name;

/// A CSV document being written in memory.
pub struct CsvOut {
    writer: csv::Writer<Vec<u8>>,
}

impl Default for CsvOut {
    fn default() -> Self {
        CsvOut::new()
    }
}

impl CsvOut {
    /// An empty document.
    pub fn new() -> CsvOut {
        CsvOut {
            writer: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .quote_style(csv::QuoteStyle::Necessary)
                // Rows of one document may differ in length (a report's total row does not).
                .flexible(true)
                .from_writer(Vec::new()),
        }
    }

    /// Appends one record.
    pub fn record<S: AsRef<[u8]>>(&mut self, fields: impl IntoIterator<Item = S>) -> Result<()> {
        self.writer.write_record(fields)?;
        Ok(())
    }

    /// The document's bytes.
    pub fn finish(self) -> Result<Vec<u8>> {
        self.writer
            .into_inner()
            .map_err(|e| anyhow::anyhow!("cannot finish the CSV output: {}", e.error()))
    }
}

/// The column lists `parts` joined into one array, for CSV headers built from shared runs of
/// columns; `N` must be the total length (checked when the constant is evaluated).
pub const fn concat_columns<const N: usize>(parts: &[&[&'static str]]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut k = 0;
    let mut i = 0;
    while i < parts.len() {
        let mut j = 0;
        while j < parts[i].len() {
            out[k] = parts[i][j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    assert!(k == N, "the column count does not match the parts");
    out
}

/// Who signed an attestation and how its patch was written: the columns both `log --csv` and
/// the export report carry, in the order [`claim_cells`] fills them.
pub const CLAIM_COLUMNS: [&str; 9] = [
    "author",
    "author_key",
    "origin",
    "ai_assisted",
    "provider",
    "model",
    "suggestion_type",
    "confidence",
    "token_count",
];

/// The cells of [`CLAIM_COLUMNS`] for the attestation signed in `r`, whose AI help is `ai`
/// (empty cells where there is no AI help or the attestation does not say).
pub fn claim_cells(
    m: Option<&Membership>,
    r: &SignedRecord,
    ai: Option<&AiAssistance>,
) -> [String; 9] {
    let opt = |v: Option<String>| v.unwrap_or_default();
    [
        author_name(m, r),
        r.signer.to_hex(),
        r.record.origin.as_str().to_string(),
        ai.is_some().to_string(),
        opt(ai.map(|x| x.provider.clone())),
        opt(ai.map(|x| x.model.clone())),
        opt(ai.map(|x| x.suggestion_type.as_str().to_string())),
        opt(ai
            .and_then(|x| x.confidence_permille)
            .map(|c| format_milli(u32::from(c)))),
        opt(ai.and_then(|x| x.token_count).map(|t| t.to_string())),
    ]
}

/// A fraction rounded to four decimals for JSON and CSV (`None` when undefined).
pub fn ratio(n: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| (n as f64 / of as f64 * 10_000.0).round() / 10_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written RFC 4180 writer this module replaced: the `csv` crate must write the
    /// same bytes for every field attrib writes.
    fn reference(fields: &[&str]) -> String {
        let mut out = String::new();
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            if f.contains([',', '"', '\r', '\n']) {
                out.push('"');
                out.push_str(&f.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(f);
            }
        }
        out.push_str("\r\n");
        out
    }

    #[test]
    fn quotes_only_what_needs_it_like_rfc_4180() {
        let cases: &[&[&str]] = &[
            &["plain", "a,b", "say \"hi\"", "two\nlines", "", "cr\r"],
            &["owned", ""],
            &["", "", ""],
            &[" lead", "trail ", "#hash", "'quote", "tab\there", "ünï"],
        ];
        for fields in cases {
            let mut c = CsvOut::new();
            c.record(fields.iter()).unwrap();
            let got = String::from_utf8(c.finish().unwrap()).unwrap();
            assert_eq!(got, reference(fields), "{fields:?}");
        }
    }

    #[test]
    fn columns_concatenate_in_order() {
        const C: [&str; 4] = concat_columns(&[&["a"], &["b", "c"], &[], &["d"]]);
        assert_eq!(C, ["a", "b", "c", "d"]);
    }

    #[test]
    fn ratios_round_to_four_places() {
        assert_eq!(ratio(1, 3), Some(0.3333));
        assert_eq!(ratio(1, 0), None);
    }
}
