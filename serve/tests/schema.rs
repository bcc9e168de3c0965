//! The published schema (`serve/schema.graphql`) is the one the server answers with: a client
//! generated from the file cannot drift from the API. After a deliberate change, regenerate
//! it with `ATTRIB_UPDATE_SDL=1 cargo test -p attrib-serve --test schema`.

#[test]
fn the_published_schema_is_the_servers() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let sdl = attrib_serve::schema::sdl();
    if std::env::var_os("ATTRIB_UPDATE_SDL").is_some() {
        std::fs::write(&path, &sdl).unwrap();
    }
    let published = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        published == sdl,
        "serve/schema.graphql is not the server's schema; regenerate it with ATTRIB_UPDATE_SDL=1 cargo test -p attrib-serve --test schema"
    );
}
