//! Model types of the API, under the names this SDK uses.
//!
//! They are the generated types (fields are `Option` because the API
//! describes every field as optional). String enums are open: see
//! [`MethodType`].

pub use alternative_payments_raw::types::{
    CreateCustomerInput as NewCustomer, CreateCustomerUserInput as NewCustomerUser,
    CustomerReply as Customer, CustomerUser, MethodType, PatchCustomerRequest as CustomerUpdate,
    PaymentMethod,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The RFC 3339 `created_at` field of a model, parsed.
pub trait CreatedAt {
    /// `created_at` as sent by the API.
    fn created_at_str(&self) -> Option<&str>;

    /// `created_at` as a timestamp: `Ok(None)` when absent, an error when the
    /// API sent something that is not RFC 3339 (the text stays available
    /// through [`created_at_str`](Self::created_at_str)).
    fn created_at_time(&self) -> Result<Option<OffsetDateTime>, time::error::Parse> {
        self.created_at_str()
            .map(|s| OffsetDateTime::parse(s, &Rfc3339))
            .transpose()
    }
}

macro_rules! created_at {
    ($($model:ty),*) => {$(
        impl CreatedAt for $model {
            fn created_at_str(&self) -> Option<&str> {
                self.created_at.as_deref()
            }
        }
    )*};
}
created_at!(Customer, CustomerUser, PaymentMethod);
