//! Tabular output shared by the query commands: aligned text tables and RFC 4180 CSV.

/// How a column's cells line up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    /// Numbers: right-aligned, so digits line up.
    Right,
}

/// Columns two spaces apart, each as wide as its widest cell; no trailing spaces. `align`
/// gives each column's alignment; a column it does not name is left-aligned, so `&[]` makes a
/// plain left-aligned table.
pub fn table(header: &[&str], align: &[Align], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut l = String::new();
        for (i, cell) in cells.enumerate() {
            let w = widths.get(i).copied().unwrap_or(0);
            let gap = w.saturating_sub(cell.chars().count());
            if i > 0 {
                l.push_str("  ");
            }
            if align.get(i) == Some(&Align::Right) {
                l.extend(std::iter::repeat_n(' ', gap));
                l.push_str(cell);
            } else {
                l.push_str(cell);
                l.extend(std::iter::repeat_n(' ', gap));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

/// Appends one CSV record (RFC 4180), the one writer behind every CSV output (`log --csv`,
/// `stats --csv`, `export --format csv`): fields are comma separated, a field holding a comma,
/// a double quote, CR or LF is quoted with inner quotes doubled, and the record ends with CRLF.
pub fn csv_record<S: AsRef<str>>(out: &mut String, fields: impl IntoIterator<Item = S>) {
    for (i, f) in fields.into_iter().enumerate() {
        let f = f.as_ref();
        if i > 0 {
            out.push(',');
        }
        if f.contains([',', '"', '\r', '\n']) {
            out.push('"');
            for c in f.chars() {
                if c == '"' {
                    out.push('"');
                }
                out.push(c);
            }
            out.push('"');
        } else {
            out.push_str(f);
        }
    }
    out.push_str("\r\n");
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

/// `58.3%`, or `-` when there is nothing to divide.
pub fn percent(n: u64, of: u64) -> String {
    if of == 0 {
        "-".to_string()
    } else {
        format!("{:.1}%", n as f64 * 100.0 / of as f64)
    }
}

/// A fraction rounded to four decimals for JSON and CSV (`null` / empty when undefined).
pub fn ratio(n: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| (n as f64 / of as f64 * 10_000.0).round() / 10_000.0)
}

/// Seconds as `45s`, `3m05s`, `2h10m`.
pub fn duration(secs: f64) -> String {
    let s = secs.round() as u64;
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_what_needs_it() {
        let mut s = String::new();
        csv_record(
            &mut s,
            ["plain", "a,b", "say \"hi\"", "two\nlines", "", "cr\r"],
        );
        assert_eq!(
            s,
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,\"cr\r\"\r\n"
        );
        s.clear();
        csv_record(&mut s, [String::from("owned"), String::new()].iter());
        assert_eq!(s, "owned,\r\n");
    }

    #[test]
    fn columns_concatenate_in_order() {
        const C: [&str; 4] = concat_columns(&[&["a"], &["b", "c"], &[], &["d"]]);
        assert_eq!(C, ["a", "b", "c", "d"]);
    }

    #[test]
    fn numbers_align_right() {
        let t = table(
            &["NAME", "N"],
            &[Align::Left, Align::Right],
            &[
                vec!["a".into(), "1".into()],
                vec!["bcd".into(), "100".into()],
            ],
        );
        assert_eq!(t, "NAME    N\na       1\nbcd   100\n");
    }

    #[test]
    fn durations_and_shares() {
        assert_eq!(duration(45.4), "45s");
        assert_eq!(duration(185.0), "3m05s");
        assert_eq!(duration(7800.0), "2h10m");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(0, 0), "-");
        assert_eq!(ratio(1, 3), Some(0.3333));
        assert_eq!(ratio(1, 0), None);
    }
}
