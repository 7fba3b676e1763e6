//! Cursor pagination: pages, and streams of items or pages across all of
//! them with one page of prefetch.

use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use crate::cursor::Cursor;
use crate::error::{Error, Result};

/// Fetches pages of one list, with its filters and page size.
pub(crate) trait PageSource<T>: Send + Sync + 'static {
    fn operation(&self) -> &'static str;
    fn fetch(self: Arc<Self>, cursor: Cursor) -> BoxFuture<'static, Result<Page<T>>>;
}

/// A page as the API sends it (the generated list types, or JSON).
pub(crate) struct RawPage<T> {
    pub(crate) items: Vec<T>,
    pub(crate) has_next_page: Option<bool>,
    pub(crate) has_previous_page: Option<bool>,
    pub(crate) start_cursor: Option<String>,
    pub(crate) end_cursor: Option<String>,
}

impl<T> From<alternative_payments_raw::operations::PageParts<T>> for RawPage<T> {
    fn from(p: alternative_payments_raw::operations::PageParts<T>) -> Self {
        RawPage {
            items: p.data,
            has_next_page: p.has_next_page,
            has_previous_page: p.has_previous_page,
            start_cursor: p.start_cursor,
            end_cursor: p.end_cursor,
        }
    }
}

impl<T> RawPage<T> {
    /// The page, able to fetch its neighbours from `source`. A flag the
    /// server left out means no such page.
    pub(crate) fn into_page(self, source: Arc<dyn PageSource<T>>) -> Page<T> {
        Page {
            items: self.items,
            has_next_page: self.has_next_page.unwrap_or(false),
            has_previous_page: self.has_previous_page.unwrap_or(false),
            start_cursor: self.start_cursor,
            end_cursor: self.end_cursor,
            source,
        }
    }
}

/// One page of a list, and the way to the pages around it.
///
/// Filters and page size of the list that produced it carry over to
/// [`next_page`](Page::next_page) and [`previous_page`](Page::previous_page).
pub struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) has_next_page: bool,
    pub(crate) has_previous_page: bool,
    pub(crate) start_cursor: Option<String>,
    pub(crate) end_cursor: Option<String>,
    pub(crate) source: Arc<dyn PageSource<T>>,
}

impl<T: fmt::Debug> fmt::Debug for Page<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Page")
            .field("items", &self.items)
            .field("has_next_page", &self.has_next_page)
            .field("has_previous_page", &self.has_previous_page)
            .field("start_cursor", &self.start_cursor)
            .field("end_cursor", &self.end_cursor)
            .finish()
    }
}

impl<T: Send + 'static> Page<T> {
    /// The items of this page.
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The items of this page, owned.
    pub fn into_items(self) -> Vec<T> {
        self.items
    }

    /// Whether the server says a page follows.
    pub fn has_next_page(&self) -> bool {
        self.has_next_page
    }

    /// Whether the server says a page precedes.
    pub fn has_previous_page(&self) -> bool {
        self.has_previous_page
    }

    /// Cursor of the first item (opaque).
    pub fn start_cursor(&self) -> Option<&str> {
        self.start_cursor.as_deref()
    }

    /// Cursor of the last item (opaque).
    pub fn end_cursor(&self) -> Option<&str> {
        self.end_cursor.as_deref()
    }

    /// The following page, or `None` on the last one.
    pub async fn next_page(&self) -> Result<Option<Page<T>>> {
        if !self.has_next_page {
            return Ok(None);
        }
        let cursor = self.cursor(&self.end_cursor, "has_next_page", "end_cursor")?;
        self.source
            .clone()
            .fetch(Cursor::After(cursor))
            .await
            .map(Some)
    }

    /// The preceding page, or `None` on the first one.
    pub async fn previous_page(&self) -> Result<Option<Page<T>>> {
        if !self.has_previous_page {
            return Ok(None);
        }
        let cursor = self.cursor(&self.start_cursor, "has_previous_page", "start_cursor")?;
        self.source
            .clone()
            .fetch(Cursor::Before(cursor))
            .await
            .map(Some)
    }

    fn cursor(&self, cursor: &Option<String>, flag: &str, field: &str) -> Result<String> {
        match cursor {
            Some(c) if !c.is_empty() => Ok(c.clone()),
            _ => Err(Error::Pagination {
                operation: self.source.operation(),
                message: format!("the server set {flag} but sent no {field}"),
            }),
        }
    }
}

/// What the stream fetches next.
enum PageState<T> {
    Fetch(Cursor),
    /// Under way, for this cursor.
    Prefetched(Prefetch<T>, Cursor),
    Fail(Error),
    Done,
}

/// A page being fetched on its own task while the caller works through the
/// current one. Dropping it (the stream was dropped) cancels the fetch.
struct Prefetch<T>(tokio::task::JoinHandle<Result<Page<T>>>);

impl<T> Drop for Prefetch<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct PagesState<T> {
    source: Arc<dyn PageSource<T>>,
    next: PageState<T>,
    /// Hashes of every cursor followed, to stop on a repeat instead of
    /// looping: 8 bytes a page, not the cursors themselves.
    seen: HashSet<u64>,
    hasher: RandomState,
    /// Items still wanted (`max_items`), if limited.
    wanted: Option<usize>,
    /// Fetch the next page while this one is used (else only when asked).
    ahead: bool,
}

/// All pages from `start` on, fetching the next page while the current one
/// is being used (one page ahead at most). Stops after the first error; a
/// page other than the first that fails is [`Error::PageFailed`], with the
/// cursor to resume from.
pub(crate) fn pages<T: Send + 'static>(
    source: Arc<dyn PageSource<T>>,
    max_items: Option<usize>,
    start: Cursor,
) -> BoxStream<'static, Result<Page<T>>> {
    walk(source, max_items, start, true)
}

/// [`pages`] from `start`, each fetched only when the previous one has
/// been taken: for a search that must not read past its match, or a scan
/// that keeps where it stopped.
pub(crate) fn pages_in_turn<T: Send + 'static>(
    source: Arc<dyn PageSource<T>>,
    start: Cursor,
) -> BoxStream<'static, Result<Page<T>>> {
    walk(source, None, start, false)
}

fn walk<T: Send + 'static>(
    source: Arc<dyn PageSource<T>>,
    max_items: Option<usize>,
    start: Cursor,
    ahead: bool,
) -> BoxStream<'static, Result<Page<T>>> {
    let state = PagesState {
        source,
        next: PageState::Fetch(start),
        seen: HashSet::new(),
        hasher: RandomState::new(),
        wanted: max_items,
        ahead,
    };
    stream::unfold(state, |mut state| async move {
        if state.wanted == Some(0) {
            return None;
        }
        let (page, cursor) = match std::mem::replace(&mut state.next, PageState::Done) {
            PageState::Done => return None,
            PageState::Fail(e) => return Some((Err(e), state)),
            PageState::Fetch(cursor) => (state.source.clone().fetch(cursor.clone()).await, cursor),
            PageState::Prefetched(mut task, cursor) => match (&mut task.0).await {
                Ok(result) => (result, cursor),
                Err(e) => (
                    Err(Error::Pagination {
                        operation: state.source.operation(),
                        message: format!("fetching the next page failed: {e}"),
                    }),
                    cursor,
                ),
            },
        };
        let page = match page {
            Ok(page) => page,
            // The first page has nothing to resume from.
            Err(e) if cursor == Cursor::First => return Some((Err(e), state)),
            Err(e) => {
                let failed = Error::PageFailed {
                    operation: state.source.operation(),
                    resume: cursor,
                    source: Box::new(e),
                };
                return Some((Err(failed), state));
            }
        };
        if let Some(wanted) = &mut state.wanted {
            *wanted = wanted.saturating_sub(page.items.len());
        }
        state.next = state.after(&page);
        Some((Ok(page), state))
    })
    .boxed()
}

impl<T: Send + 'static> PagesState<T> {
    /// What follows `page`: nothing, a prefetch already under way, or the
    /// error that stops a server's broken pagination.
    fn after(&mut self, page: &Page<T>) -> PageState<T> {
        if !page.has_next_page || self.wanted == Some(0) {
            return PageState::Done;
        }
        let operation = self.source.operation();
        let cursor = match &page.end_cursor {
            Some(c) if !c.is_empty() => c.clone(),
            _ => {
                return PageState::Fail(Error::Pagination {
                    operation,
                    message: "the server set has_next_page but sent no end_cursor".into(),
                });
            }
        };
        if !self.seen.insert(self.hasher.hash_one(&cursor)) {
            return PageState::Fail(Error::Pagination {
                operation,
                message: format!(
                    "the server returned cursor {cursor:?} twice; stopping instead of looping"
                ),
            });
        }
        let next = Cursor::After(cursor);
        if !self.ahead {
            return PageState::Fetch(next);
        }
        PageState::Prefetched(
            Prefetch(tokio::spawn(self.source.clone().fetch(next.clone()))),
            next,
        )
    }
}

/// Every page of any cursor-paginated operation of this API, as JSON, with
/// the prefetch and loop protection of the wrapper's streams: for an
/// operation this crate does not wrap yet, or for a tool that handles every
/// operation alike (the `altpay` CLI).
///
/// `fetch` makes one request for the page at a [`Cursor`] (with
/// [`Client::raw_call`](crate::Client::raw_call), say) and returns the
/// answer: an object with the API's page fields (`data`, `has_next_page`,
/// `has_previous_page`, `start_cursor`, `end_cursor`). An answer without a
/// `data` array ends the stream with [`Error::Pagination`]. `operation`
/// names the operation in errors.
///
/// ```no_run
/// use alternative_payments::{Client, Cursor, json_pages};
/// use futures::TryStreamExt;
///
/// # async fn run(client: Client) -> alternative_payments::Result<()> {
/// let mut pages = json_pages("list_customers", move |cursor| {
///     let client = client.clone();
///     async move {
///         let page = client
///             .raw_call(|raw| {
///                 let cursor = cursor.clone();
///                 async move {
///                     let mut request = raw.list_customers();
///                     if let Cursor::After(after) = cursor {
///                         request = request.after(after);
///                     }
///                     request.send().await
///                 }
///             })
///             .await?;
///         Ok(serde_json::to_value(page).expect("generated types serialise"))
///     }
/// });
/// while let Some(page) = pages.try_next().await? {
///     println!("{} customers", page.items().len());
/// }
/// # Ok(()) }
/// ```
pub fn json_pages<F, Fut>(
    operation: &'static str,
    fetch: F,
) -> BoxStream<'static, Result<Page<serde_json::Value>>>
where
    F: Fn(Cursor) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<serde_json::Value>> + Send + 'static,
{
    pages(
        Arc::new(JsonSource { operation, fetch }),
        None,
        Cursor::First,
    )
}

struct JsonSource<F> {
    operation: &'static str,
    fetch: F,
}

impl<F, Fut> PageSource<serde_json::Value> for JsonSource<F>
where
    F: Fn(Cursor) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<serde_json::Value>> + Send + 'static,
{
    fn operation(&self) -> &'static str {
        self.operation
    }

    fn fetch(
        self: Arc<Self>,
        cursor: Cursor,
    ) -> BoxFuture<'static, Result<Page<serde_json::Value>>> {
        let answer = (self.fetch)(cursor);
        Box::pin(async move {
            let mut answer = answer.await?;
            // `get_mut`, not indexing: indexing a non-object panics.
            let data = answer.get_mut("data").map(serde_json::Value::take);
            let Some(serde_json::Value::Array(items)) = data else {
                return Err(Error::Pagination {
                    operation: self.operation,
                    message: "the answer has no `data` array".into(),
                });
            };
            let flag = |name: &str| answer[name].as_bool();
            let cursor = |name: &str| answer[name].as_str().map(String::from);
            let page = RawPage {
                items,
                has_next_page: flag("has_next_page"),
                has_previous_page: flag("has_previous_page"),
                start_cursor: cursor("start_cursor"),
                end_cursor: cursor("end_cursor"),
            };
            Ok(page.into_page(self))
        })
    }
}

/// Every item from the first page on, at most `max_items`.
pub(crate) fn items<T: Send + 'static>(
    source: Arc<dyn PageSource<T>>,
    max_items: Option<usize>,
    start: Cursor,
) -> BoxStream<'static, Result<T>> {
    let all = pages(source, max_items, start)
        .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
        .try_flatten();
    match max_items {
        Some(n) => all.take(n).boxed(),
        None => all.boxed(),
    }
}
