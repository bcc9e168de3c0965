//! Text tables, drawn by comfy-table: columns two spaces apart, each as wide as its widest cell,
//! no borders and no trailing spaces. On a terminal, long cells wrap to the terminal's width
//! and headers are bold unless `NO_COLOR` is set; in a pipe or a file the table is plain and
//! never wrapped, so scripts and tests see the same bytes every time.

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
    let mut t = Table::new();
    t.load_preset(comfy_table::presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic);
    let styled = t.is_tty() && crate::progress::color();
    if !styled {
        t.force_no_tty();
    }
    t.set_header(header.iter().map(|h| {
        let cell = Cell::new(h);
        if styled {
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

    #[test]
    fn columns_two_spaces_apart_and_numbers_align_right() {
        let t = table(
            &["NAME", "N"],
            &[Align::Left, Align::Right],
            &[
                vec!["a".into(), "1".into()],
                vec!["bcd".into(), "100".into()],
            ],
        );
        assert_eq!(t, "NAME    N\na       1\nbcd   100\n");
        let t = table(
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
        let t = table(&["A", "B"], &[], &[vec!["x".into(), String::new()]]);
        assert_eq!(t, "A  B\nx\n");
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
