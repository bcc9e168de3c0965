//! Text tables: columns two spaces apart, each as wide as its widest cell, no borders and no
//! trailing spaces.
//!
//! On a terminal the table is drawn by comfy-table, so long cells wrap to the terminal's width
//! and headers are bold unless `NO_COLOR` is set. Into a pipe or a file nothing wraps and
//! nothing is styled, and the same bytes are written by a plain aligned writer: comfy-table
//! takes about 1.6 ms to lay out a 1,000-row `blame` (its cells are measured and formatted one
//! by one), a sixth of what `pijul credit` itself takes on the same file, while the plain
//! writer takes a tenth of that. A test holds the two to the same output.

use comfy_table::{Attribute, Cell, CellAlignment, ContentArrangement, Table};

/// How a column's cells line up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers: right-aligned, so digits line up.
    Right,
}

/// The table of `rows` under `header`, ending in a newline. `align` gives each column's
/// alignment; a column it does not name is left-aligned.
pub fn table(header: &[&str], align: &[Align], rows: &[Vec<String>]) -> String {
    let t = Table::new();
    if t.is_tty() {
        drawn(t, header, align, rows, crate::progress::color())
    } else {
        plain(header, align, rows)
    }
}

/// The table laid out by comfy-table, for a terminal.
fn drawn(
    mut t: Table,
    header: &[&str],
    align: &[Align],
    rows: &[Vec<String>],
    bold: bool,
) -> String {
    t.load_preset(comfy_table::presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if !bold {
        t.force_no_tty();
    }
    t.set_header(header.iter().map(|h| {
        let cell = Cell::new(h);
        if bold {
            cell.add_attribute(Attribute::Bold)
        } else {
            cell
        }
    }));
    for row in rows {
        t.add_row(row);
    }
    for (i, column) in t.column_iter_mut().enumerate() {
        column.set_padding((0, 2));
        if align.get(i) == Some(&Align::Right) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut out = String::new();
    for line in t.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The table written cell by cell, for a pipe or a file.
fn plain(header: &[&str], align: &[Align], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::with_capacity(rows.len() * widths.iter().sum::<usize>());
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let start = out.len();
        for (i, cell) in cells.enumerate() {
            let gap = widths
                .get(i)
                .copied()
                .unwrap_or(0)
                .saturating_sub(cell.chars().count());
            if i > 0 {
                out.push_str("  ");
            }
            if align.get(i) == Some(&Align::Right) {
                out.extend(std::iter::repeat_n(' ', gap));
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.extend(std::iter::repeat_n(' ', gap));
            }
        }
        let kept = out[start..].trim_end().len();
        out.truncate(start + kept);
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
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

    fn both(header: &[&str], align: &[Align], rows: &[Vec<String>]) -> String {
        let drawn = drawn(Table::new(), header, align, rows, false);
        let plain = plain(header, align, rows);
        assert_eq!(drawn, plain, "comfy-table and the plain writer disagree");
        plain
    }

    #[test]
    fn columns_two_spaces_apart_and_numbers_align_right() {
        let t = both(
            &["NAME", "N"],
            &[Align::Left, Align::Right],
            &[
                vec!["a".into(), "1".into()],
                vec!["bcd".into(), "100".into()],
            ],
        );
        assert_eq!(t, "NAME    N\na       1\nbcd   100\n");
        let t = both(
            &["TIME", "PATCH", "ATTRIBUTION"],
            &[],
            &[vec![
                "2026-03-05 12:00".into(),
                "P7".into(),
                "unattested, reviewed by Ada".into(),
            ]],
        );
        assert_eq!(
            t,
            "TIME              PATCH  ATTRIBUTION\n2026-03-05 12:00  P7     unattested, reviewed by Ada\n"
        );
        // An empty last cell leaves no trailing space.
        let t = both(&["A", "B"], &[], &[vec!["x".into(), String::new()]]);
        assert_eq!(t, "A  B\nx\n");
        both(
            &["KEY", "VALUE", "FROM", "MEANING"],
            &[Align::Left; 4],
            &[
                vec![
                    "ai.model".into(),
                    "-".into(),
                    String::new(),
                    "the model".into(),
                ],
                vec![
                    "p2p.peers".into(),
                    "a, b".into(),
                    "user".into(),
                    "peers".into(),
                ],
            ],
        );
    }

    #[test]
    fn durations_and_shares() {
        assert_eq!(duration(45.4), "45s");
        assert_eq!(duration(185.0), "3m05s");
        assert_eq!(duration(7800.0), "2h10m");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(0, 0), "-");
    }
}
