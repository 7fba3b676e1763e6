#[allow(clippy::all, clippy::pedantic, unused)]
#[rustfmt::skip]
mod generated;
fn main() {}
