//! Every response type of the API, and the error body, decoded from
//! arbitrary bytes: must return, never panic or overflow the stack.
#![no_main]

use alternative_payments_raw::types;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<types::CustomerReply>(data);
    let _ = serde_json::from_slice::<types::CustomerUser>(data);
    let _ = serde_json::from_slice::<types::PaymentMethod>(data);
    let _ = serde_json::from_slice::<types::MethodType>(data);
    let _ = serde_json::from_slice::<types::GetPaymentMethodsReply>(data);
    let _ = serde_json::from_slice::<types::PaginatedResponseCustomerReply>(data);
    let _ = serde_json::from_slice::<types::PaginatedResponseCustomerUser>(data);
    let _ = serde_json::from_slice::<types::HttpError>(data);
    // Whatever decodes must encode again.
    if let Ok(page) = serde_json::from_slice::<types::PaginatedResponseCustomerReply>(data) {
        serde_json::to_vec(&page).expect("a decoded page encodes");
    }
});
