//! What every attrib benchmark shares: the deterministic workload generator and the way a row
//! of figures is printed (figure, reference measured in the same run, ratio, bar).

use std::time::Duration;

/// splitmix64: a tiny deterministic generator, so every run builds the same workload.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The providers and models synthetic attestations name.
pub const MODELS: [(&str, &str); 6] = [
    ("anthropic", "claude-sonnet-4"),
    ("anthropic", "claude-opus-4"),
    ("openai", "gpt-5"),
    ("openai", "gpt-4.1"),
    ("google", "gemini-2.5-pro"),
    ("mistral", "codestral"),
];

/// The middle value (the upper one of an even count).
pub fn median<T: Copy + PartialOrd>(mut v: Vec<T>) -> T {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    v[v.len() / 2]
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// The column titles of the results table (the widths are [`row`]'s).
pub fn header() {
    println!(
        "{:<38} {:>14}  {:>30}  {:>10}  {:<12}",
        "what", "figure", "reference (same run)", "ratio", "bar"
    );
}

/// One row of the results table.
pub fn row(what: &str, figure: &str, reference: &str, ratio: String, bar: &str, ok: bool) {
    println!(
        "{what:<38} {figure:>14}  {reference:>30}  {ratio:>10}  {bar:<12} {}",
        if ok { "meets bar" } else { "MISSES BAR" }
    );
}
