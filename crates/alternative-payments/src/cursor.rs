//! Where a list page starts: what pagination asks for, and what an error
//! of a paged export says to resume from.

/// Which page to fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cursor {
    /// The first page: no cursor.
    First,
    /// The page after this cursor (the `after` query parameter).
    After(String),
    /// The page before this cursor (the `before` query parameter).
    Before(String),
}
