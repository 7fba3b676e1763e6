//! The one hand-written seam between the generated [`Client`](crate::Client)
//! and the crates that drive it.
//!
//! progenitor lets a generated client's requests be changed only through
//! `progenitor_client::ClientHooks`, and that trait must be implemented in the
//! crate that defines the generated `Client`: this one. So it is implemented
//! here once, and forwards every request to a [`RequestHooks`] object chosen
//! by whoever builds the client. This file holds no policy: OAuth2, retries
//! and timeouts belong to the `alternative-payments` crate.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};

/// A boxed, `Send` future, as returned by [`RequestHooks`] methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Takes part in every request the generated client makes.
///
/// `operation` names the operation as the generated method does: the spec's
/// operationId in snake_case (`get_customer` for `getCustomer`).
///
/// Both methods have defaults that leave the request alone and send it once,
/// so an implementation overrides only what it needs.
pub trait RequestHooks: Send + Sync + 'static {
    /// Runs before the request is sent; may change it, for instance to add
    /// an `Authorization` header. An `Err` aborts the operation: the
    /// generated method returns `Error::Custom` with this message.
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, Result<(), String>> {
        let _ = (request, operation);
        Box::pin(async { Ok(()) })
    }

    /// Sends the request and returns the response the generated code will
    /// decode. The default sends it once on `client`; an implementation may
    /// send it several times (it can `try_clone` the request).
    fn send<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let _ = operation;
        Box::pin(client.execute(request))
    }
}

/// The generated client's `inner` value: the [`RequestHooks`] in use, if any.
///
/// `Hooks::default()` has none, and the client then sends each request once,
/// exactly as progenitor built it.
#[derive(Clone, Default)]
pub struct Hooks(Option<Arc<dyn RequestHooks>>);

impl Hooks {
    /// Routes every request of a client through `hooks`.
    pub fn new(hooks: impl RequestHooks) -> Self {
        Self(Some(Arc::new(hooks)))
    }

    /// Like [`Hooks::new`], for hooks already shared elsewhere.
    pub fn from_arc(hooks: Arc<dyn RequestHooks>) -> Self {
        Self(Some(hooks))
    }
}

impl fmt::Debug for Hooks {
    // Hooks typically hold credentials: never print their insides.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.0.is_some() { "set" } else { "none" };
        f.debug_tuple("Hooks")
            .field(&format_args!("{state}"))
            .finish()
    }
}

impl ClientHooks<Hooks> for crate::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        match &self.inner().0 {
            Some(hooks) => hooks
                .prepare(request, info.operation_id)
                .await
                .map_err(Error::Custom),
            None => Ok(()),
        }
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        match &self.inner().0 {
            Some(hooks) => hooks.send(self.client(), request, info.operation_id).await,
            None => self.client().execute(request).await,
        }
    }
}
