//! Calls from code that is not async: the client's own runtime, created at
//! the first blocking call and shut down with the last clone of the client.

use std::future::Future;
use std::sync::OnceLock;

use crate::error::{Error, Result};

/// The client's runtime for blocking calls: one worker thread, so calls
/// from many threads run at once and the token cache's and limiter's
/// timers run between them.
#[derive(Default)]
pub(crate) struct OwnedRuntime(OnceLock<std::result::Result<tokio::runtime::Runtime, String>>);

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        // A client may be dropped inside async code: shutting down without
        // waiting never panics there, where dropping a runtime would.
        if let Some(Ok(runtime)) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl OwnedRuntime {
    /// Runs `future` to its end on the runtime, from a thread that is not
    /// inside an async runtime.
    pub(crate) fn block_on<T>(&self, future: impl Future<Output = Result<T>>) -> Result<T> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::Config(
                "a blocking call was made inside an async runtime, where it would block its \
                 thread: use .send().await there (send_blocking is for code that is not async)"
                    .into(),
            ));
        }
        let runtime = self.0.get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("alternative-payments")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        });
        match runtime {
            Ok(runtime) => runtime.block_on(future),
            Err(e) => Err(Error::Config(format!(
                "cannot start the client's runtime for blocking calls: {e}"
            ))),
        }
    }
}
