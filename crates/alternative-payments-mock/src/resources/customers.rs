//! The Customers resource (the `Customers` tag): customers, their payment
//! methods and their users. Archiving hides a customer from the list; a
//! customer's first payment method, or one seeded as default, is its
//! default.

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use serde_json::{Map, Value, json};

use super::webhooks::record_event;
use super::{
    AppState, error, json_object, not_found, page_request, query_pairs, timestamp, validated,
};
use super::{DEFAULT, PAYMENT_METHODS, REMOVED};
use crate::operations::customers::Operation;
use crate::server::MockServer;
use crate::store::{Record, Store};

const CUSTOMERS: &str = "customers";
const USERS: &str = "users";
/// A customer's flag: archived (not in the list).
const ARCHIVED: &str = "archived";

/// The handler of each operation of the resource. Exhaustive: an operation
/// the spec gains fails to compile here until the mock implements it.
pub(crate) fn handler(operation: Operation, method: MethodFilter) -> MethodRouter<AppState> {
    match operation {
        Operation::ListCustomers => on(method, list_customers),
        Operation::CreateCustomer => on(method, create_customer),
        Operation::GetCustomer => on(method, get_customer),
        Operation::UpdateCustomer => on(method, update_customer),
        Operation::ArchiveCustomer => on(method, archive_customer),
        Operation::RestoreCustomer => on(method, restore_customer),
        Operation::ListPaymentMethods => on(method, list_payment_methods),
        Operation::GetPaymentMethod => on(method, get_payment_method),
        Operation::ListCustomerUsers => on(method, list_users),
        Operation::CreateCustomerUser => on(method, create_user),
    }
}

/// A customer as the API shows it, with its default payment method's id.
fn customer_json(store: &Store, customer: &Record) -> Value {
    let mut out = customer.to_json();
    let methods = store.table(PAYMENT_METHODS);
    if let Some(default) = methods
        .children(&customer.id)
        .find(|m| m.flag(DEFAULT) && !m.flag(REMOVED))
    {
        out.insert("default_payment_method_id".into(), json!(default.id));
    }
    Value::Object(out)
}

pub(crate) fn payment_method_json(method: &Record) -> Value {
    let mut out = method.to_json();
    out.insert("default".into(), json!(method.flag(DEFAULT)));
    Value::Object(out)
}

fn customer_response(store: &Store, id: &str) -> Response {
    let Some(customer) = store.table(CUSTOMERS).get(id) else {
        return not_found("customer", id);
    };
    let mut response = axum::Json(customer_json(store, customer)).into_response();
    if customer.flag(ARCHIVED) {
        response
            .headers_mut()
            .insert("x-mock-archived", HeaderValue::from_static("true"));
    }
    response
}

async fn list_customers(State(shared): State<AppState>, request: Request) -> Response {
    let pairs = query_pairs(&request.uri().query().map(String::from));
    let strict = shared.config.extra_rules;
    let (page, start, end) = match (
        page_request(&pairs, strict),
        timestamp(&pairs, "created_at_start", strict),
        timestamp(&pairs, "created_at_end", strict),
    ) {
        (Ok(p), Ok(s), Ok(e)) => (p, s, e),
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r,
    };
    let name = pairs
        .iter()
        .find(|(k, _)| k == "company_name")
        .map(|(_, v)| v.to_lowercase());
    let keep = |c: &Record| {
        !c.flag(ARCHIVED)
            && start.is_none_or(|s| c.created_at >= s)
            && end.is_none_or(|e| c.created_at <= e)
            && name.as_ref().is_none_or(|n| {
                c.fields
                    .get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.to_lowercase().contains(n.as_str()))
            })
    };
    let state = shared.lock();
    let store = &state.store;
    let page = store
        .table(CUSTOMERS)
        .page(keep, |c| customer_json(store, c), page);
    axum::Json(page).into_response()
}

async fn create_customer(State(shared): State<AppState>, body: Bytes) -> Response {
    let strict = shared.config.extra_rules;
    let fields = match json_object(&body).and_then(|o| {
        validated(
            Operation::CreateCustomer,
            o,
            StatusCode::UNPROCESSABLE_ENTITY,
            strict,
        )
    }) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let mut state = shared.lock();
    let id = insert_customer(&mut state.store, fields);
    let json = customer_json(
        &state.store,
        state.store.table(CUSTOMERS).get(&id).expect("stored"),
    );
    (StatusCode::CREATED, axum::Json(json)).into_response()
}

fn insert_customer(store: &mut Store, fields: Map<String, Value>) -> String {
    let id = store.insert(CUSTOMERS, "cus", None, fields).id.clone();
    let json = store
        .table(CUSTOMERS)
        .get(&id)
        .map(|c| customer_json(store, c));
    record_event(store, "customer_created", json.unwrap_or_default());
    id
}

async fn get_customer(State(shared): State<AppState>, Path(id): Path<String>) -> Response {
    customer_response(&shared.lock().store, &id)
}

async fn update_customer(
    State(shared): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let strict = shared.config.extra_rules;
    let changes = match json_object(&body).and_then(|o| {
        validated(
            Operation::UpdateCustomer,
            o,
            StatusCode::BAD_REQUEST,
            strict,
        )
    }) {
        Ok(changes) => changes,
        Err(response) => return response,
    };
    let mut state = shared.lock();
    let Some(customer) = state.store.table_mut(CUSTOMERS).get_mut(&id) else {
        return not_found("customer", &id);
    };
    customer.fields.extend(changes);
    let json = customer_json(
        &state.store,
        state.store.table(CUSTOMERS).get(&id).expect("found"),
    );
    record_event(&mut state.store, "customer_updated", json);
    customer_response(&state.store, &id)
}

/// Archives (`archive`) or restores a customer; refused with the
/// documented 400 when it already is in that state.
fn set_archived(shared: &AppState, id: &str, archive: bool) -> Response {
    let mut state = shared.lock();
    let Some(customer) = state.store.table_mut(CUSTOMERS).get_mut(id) else {
        return not_found("customer", id);
    };
    if customer.flag(ARCHIVED) == archive {
        let (code, state) = if archive {
            ("already_archived", "already archived")
        } else {
            ("not_archived", "not archived")
        };
        return error(
            StatusCode::BAD_REQUEST,
            code,
            format!("customer {id} is {state}"),
        );
    }
    customer.set_flag(ARCHIVED, archive);
    if archive {
        let json = customer_json(
            &state.store,
            state.store.table(CUSTOMERS).get(id).expect("found"),
        );
        record_event(&mut state.store, "customer_archived", json);
    }
    customer_response(&state.store, id)
}

async fn archive_customer(State(shared): State<AppState>, Path(id): Path<String>) -> Response {
    set_archived(&shared, &id, true)
}

async fn restore_customer(State(shared): State<AppState>, Path(id): Path<String>) -> Response {
    set_archived(&shared, &id, false)
}

async fn list_payment_methods(State(shared): State<AppState>, Path(id): Path<String>) -> Response {
    let state = shared.lock();
    if state.store.table(CUSTOMERS).get(&id).is_none() {
        return not_found("customer", &id);
    }
    let data: Vec<Value> = state
        .store
        .table(PAYMENT_METHODS)
        .children(&id)
        .filter(|m| !m.flag(REMOVED))
        .map(payment_method_json)
        .collect();
    axum::Json(json!({ "data": data })).into_response()
}

async fn get_payment_method(
    State(shared): State<AppState>,
    Path((id, method_id)): Path<(String, String)>,
) -> Response {
    let state = shared.lock();
    if state.store.table(CUSTOMERS).get(&id).is_none() {
        return not_found("customer", &id);
    }
    match state.store.table(PAYMENT_METHODS).get(&method_id) {
        Some(method) if method.parent.as_deref() == Some(id.as_str()) && !method.flag(REMOVED) => {
            axum::Json(payment_method_json(method)).into_response()
        }
        _ => not_found("payment method", &method_id),
    }
}

async fn list_users(
    State(shared): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let pairs = query_pairs(&request.uri().query().map(String::from));
    let page = match page_request(&pairs, shared.config.extra_rules) {
        Ok(page) => page,
        Err(response) => return response,
    };
    let state = shared.lock();
    if state.store.table(CUSTOMERS).get(&id).is_none() {
        return not_found("customer", &id);
    }
    let parent = Some(id.as_str());
    let page = state.store.table(USERS).page(
        |u| u.parent.as_deref() == parent,
        |u| Value::Object(u.to_json()),
        page,
    );
    axum::Json(page).into_response()
}

async fn create_user(
    State(shared): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let strict = shared.config.extra_rules;
    let fields = match json_object(&body).and_then(|o| {
        validated(
            Operation::CreateCustomerUser,
            o,
            StatusCode::UNPROCESSABLE_ENTITY,
            strict,
        )
    }) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let mut state = shared.lock();
    match state.store.table(CUSTOMERS).get(&id) {
        None => return not_found("customer", &id),
        Some(c) if c.flag(ARCHIVED) => {
            return error(
                StatusCode::BAD_REQUEST,
                "customer_archived",
                format!("customer {id} is archived"),
            );
        }
        Some(_) => {}
    }
    let user = state.store.insert(USERS, "usr", Some(&id), fields);
    (
        StatusCode::CREATED,
        axum::Json(Value::Object(user.to_json())),
    )
        .into_response()
}

/// A payment method to seed with [`MockServer::add_payment_method`].
#[derive(Clone, Debug)]
pub struct PaymentMethodSeed {
    fields: Map<String, Value>,
    default: bool,
}

impl PaymentMethodSeed {
    /// A card.
    pub fn card(brand: &str, last4: &str, exp_month: &str, exp_year: &str) -> Self {
        let fields = serde_json::json!({ "type": "card", "brand": brand, "last4": last4,
                                         "exp_month": exp_month, "exp_year": exp_year });
        Self {
            fields: fields.as_object().cloned().unwrap_or_default(),
            default: false,
        }
    }

    /// A bank account (ACH).
    pub fn ach(last4: &str) -> Self {
        let fields = serde_json::json!({ "type": "ach", "last4": last4 });
        Self {
            fields: fields.as_object().cloned().unwrap_or_default(),
            default: false,
        }
    }

    /// Any `type`, known to the spec or not (for forward-compatibility tests).
    pub fn of_type(kind: &str) -> Self {
        let fields = serde_json::json!({ "type": kind });
        Self {
            fields: fields.as_object().cloned().unwrap_or_default(),
            default: false,
        }
    }

    /// Make it the customer's default (the first one always is).
    pub fn default(mut self) -> Self {
        self.default = true;
        self
    }
}

/// Error from seeding data directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCustomer(pub String);

impl std::fmt::Display for UnknownCustomer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no customer {}", self.0)
    }
}

impl std::error::Error for UnknownCustomer {}

impl MockServer {
    /// Creates a customer directly (no HTTP, no validation); returns its id.
    pub fn create_customer(&self, fields: Value) -> String {
        let fields = fields.as_object().cloned().unwrap_or_default();
        insert_customer(&mut self.shared.lock().store, fields)
    }

    /// Adds a payment method to a customer; returns its id. The first one,
    /// or one seeded as default, becomes the default (and the customer's
    /// `default_payment_method_id`).
    pub fn add_payment_method(
        &self,
        customer_id: &str,
        seed: PaymentMethodSeed,
    ) -> Result<String, UnknownCustomer> {
        let mut state = self.shared.lock();
        let store = &mut state.store;
        if store.table(CUSTOMERS).get(customer_id).is_none() {
            return Err(UnknownCustomer(customer_id.into()));
        }
        let methods = store.table_mut(PAYMENT_METHODS);
        let default = seed.default || methods.children(customer_id).next().is_none();
        if default {
            methods
                .children_mut(customer_id)
                .for_each(|m| m.set_flag(DEFAULT, false));
        }
        let method = store.insert(PAYMENT_METHODS, "pm", Some(customer_id), seed.fields);
        method.set_flag(DEFAULT, default);
        let (id, json) = (method.id.clone(), payment_method_json(method));
        record_event(store, "payment_method_added", json);
        Ok(id)
    }

    /// Adds a user to a customer directly; returns its id.
    pub fn add_user(&self, customer_id: &str, fields: Value) -> Result<String, UnknownCustomer> {
        let fields = fields.as_object().cloned().unwrap_or_default();
        let mut state = self.shared.lock();
        if state.store.table(CUSTOMERS).get(customer_id).is_none() {
            return Err(UnknownCustomer(customer_id.into()));
        }
        let user = state.store.insert(USERS, "usr", Some(customer_id), fields);
        Ok(user.id.clone())
    }

    /// Archives or restores a customer directly.
    pub fn set_archived(&self, customer_id: &str, archived: bool) -> Result<(), UnknownCustomer> {
        let mut state = self.shared.lock();
        let customer = state
            .store
            .table_mut(CUSTOMERS)
            .get_mut(customer_id)
            .ok_or_else(|| UnknownCustomer(customer_id.into()))?;
        customer.set_flag(ARCHIVED, archived);
        Ok(())
    }

    /// Number of users a customer has (0 for an unknown customer).
    pub fn user_count(&self, customer_id: &str) -> usize {
        self.shared
            .lock()
            .store
            .table(USERS)
            .children(customer_id)
            .count()
    }

    /// Number of customers stored, archived ones included.
    pub fn customer_count(&self) -> usize {
        self.shared.lock().store.table(CUSTOMERS).len()
    }

    /// The Customers resource's part of [`seed_demo`](Self::seed_demo): a
    /// dozen customers with cards, bank accounts and users; their ids.
    pub(crate) fn seed_demo_customers(&self) -> Vec<String> {
        const COMPANIES: [(&str, &str); 12] = [
            ("Acme Corporation", "billing@acme.example"),
            ("Globex", "ap@globex.example"),
            ("Initech", "finance@initech.example"),
            ("Umbrella Health", "accounts@umbrella.example"),
            ("Stark Industries", "payables@stark.example"),
            ("Wayne Enterprises", "ap@wayne.example"),
            ("Hooli", "billing@hooli.example"),
            ("Pied Piper", "money@piedpiper.example"),
            ("Soylent", "finance@soylent.example"),
            ("Tyrell Corporation", "ap@tyrell.example"),
            ("Wonka Industries", "billing@wonka.example"),
            ("Cyberdyne Systems", "accounts@cyberdyne.example"),
        ];
        let mut ids = Vec::new();
        for (i, (name, email)) in COMPANIES.iter().enumerate() {
            let id = self.create_customer(serde_json::json!({
                "name": name, "email": email, "external_id": format!("demo-{}", i + 1), "country": "US"
            }));
            let brand = if i % 2 == 0 { "visa" } else { "mastercard" };
            let _ = self.add_payment_method(
                &id,
                PaymentMethodSeed::card(brand, &format!("42{:02}", i), "12", "2030"),
            );
            if i % 3 == 0 {
                let _ =
                    self.add_payment_method(&id, PaymentMethodSeed::ach(&format!("60{:02}", i)));
            }
            let first = ["Ada", "Grace", "Alan", "Edsger"][i % 4];
            let _ = self.add_user(&id, serde_json::json!({
                "first_name": first, "last_name": "Example", "email": format!("{}@{}", first.to_lowercase(), email.split('@').nth(1).unwrap_or("example.com"))
            }));
            ids.push(id);
        }
        ids
    }
}
