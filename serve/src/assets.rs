//! The dashboard's files, compiled into the binary: `cargo build` alone builds the page, and it
//! loads nothing from the internet (Chart.js is vendored in `serve/assets/`).

/// The dashboard page.
pub const INDEX: &[u8] = include_bytes!("../assets/index.html");

const FILES: [(&str, &[u8], &str); 3] = [
    (
        "app.js",
        include_bytes!("../assets/app.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "app.css",
        include_bytes!("../assets/app.css"),
        "text/css; charset=utf-8",
    ),
    (
        "chart.umd.min.js",
        include_bytes!("../assets/chart.umd.min.js"),
        "text/javascript; charset=utf-8",
    ),
];

/// An asset by file name, with its media type.
pub fn get(name: &str) -> Option<(&'static [u8], &'static str)> {
    FILES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, bytes, mime)| (*bytes, *mime))
}
