//! `altpay` end to end: the real binary, against the mock API on loopback.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use alternative_payments::OffsetDateTime;
use alternative_payments_mock::{MockResponse, MockServer, MockServerBuilder, PaymentMethodSeed};
use alternative_payments_raw::operations::Operation;
use alternative_payments_test_support::customers::CUSTOMER;
use alternative_payments_test_support::invoices::INVOICE;
use alternative_payments_test_support::{Ids, fixture, seed};
use serde_json::{Value, json};

/// A mock API on its own runtime, for a test that runs processes.
struct Api {
    mock: MockServer,
    _runtime: tokio::runtime::Runtime,
}

fn api_with(builder: MockServerBuilder) -> Api {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let mock = runtime.block_on(builder.start()).expect("mock starts");
    Api {
        mock,
        _runtime: runtime,
    }
}

fn api() -> Api {
    api_with(MockServer::builder())
}

#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    fn lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).expect("an NDJSON line"))
            .collect()
    }
}

/// Runs altpay with only the given environment (plus the mock's settings
/// unless `env` replaces them) and `stdin`.
fn run_with(api: &Api, env: &[(&str, &str)], args: &[&str], stdin: &str) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_altpay"));
    command
        .args(args)
        .env_clear()
        .env("ALTERNATIVE_PAYMENTS_BASE_URL", api.mock.base_url())
        .env("ALTERNATIVE_PAYMENTS_CLIENT_ID", api.mock.client_id())
        .env(
            "ALTERNATIVE_PAYMENTS_CLIENT_SECRET",
            api.mock.client_secret(),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("altpay starts");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).expect("write stdin");
    drop(input);
    let output = child.wait_with_output().expect("altpay ends");
    let run = Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    };
    assert!(!run.stderr.contains("panicked"), "{run:?}");
    assert!(!run.stderr.contains("RUST_BACKTRACE"), "{run:?}");
    run
}

fn run(api: &Api, args: &[&str]) -> Run {
    run_with(api, &[], args, "")
}

fn ids(api: &Api) -> Ids {
    seed(&api.mock)
}

#[test]
fn every_operation_runs_through_its_command() {
    for op in Operation::ALL {
        // A fresh API each time: archiving must not hide the customer from
        // the next command.
        let api = api();
        let ids = ids(&api);
        let args = (fixture(op).cli)(&ids);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&api, &args);
        assert_eq!(out.code, 0, "{op:?}: {out:?}");
        out.json();
        let sent = api.mock.requests_to(op.operation_id());
        assert_eq!(sent.len(), 1, "{op:?} made {} request(s)", sent.len());
    }
}

#[test]
fn commands_have_the_effect_they_say() {
    let api = api();
    let ids = ids(&api);
    let users_before = api.mock.user_count(ids.get(CUSTOMER));
    let created = run(
        &api,
        &[
            "customers",
            "users",
            "create",
            ids.get(CUSTOMER),
            "--email",
            "ops@acme.test",
        ],
    );
    assert_eq!(created.code, 0, "{created:?}");
    assert_eq!(created.json()["email"], "ops@acme.test");
    assert_eq!(api.mock.user_count(ids.get(CUSTOMER)), users_before + 1);

    let updated = run(
        &api,
        &["customers", "update", ids.get(CUSTOMER), "--city", "Lyon"],
    );
    assert_eq!(updated.json()["city"], "Lyon");
    let got = run(&api, &["customers", "get", ids.get(CUSTOMER)]);
    assert_eq!(got.json()["city"], "Lyon");
}

#[test]
fn all_streams_every_page_as_ndjson() {
    let api = api();
    for i in 0..12 {
        api.mock
            .create_customer(json!({ "name": format!("Customer {i:02}") }));
    }
    let out = run(&api, &["customers", "list", "--all", "--limit", "5"]);
    assert_eq!(out.code, 0, "{out:?}");
    let items = out.lines();
    assert_eq!(items.len(), 12);
    let mut ids: Vec<&str> = items
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 12, "no item twice");
    assert_eq!(
        api.mock.requests_to("listCustomers").len(),
        3,
        "pages of 5, 5, 2"
    );
    assert_eq!(
        out.stderr, "",
        "no progress line when stderr is not a terminal"
    );

    // The same items as one JSON array, or a table.
    let array = run(
        &api,
        &[
            "customers",
            "list",
            "--all",
            "--limit",
            "5",
            "--output",
            "json",
        ],
    );
    assert_eq!(array.json().as_array().map(Vec::len), Some(12));
    let table = run(
        &api,
        &[
            "customers",
            "list",
            "--all",
            "--limit",
            "5",
            "-o",
            "table",
            "--columns",
            "name",
        ],
    );
    assert_eq!(table.stdout.lines().count(), 13, "header and 12 rows");

    // --all goes forward only; from --after's cursor when given (a bad
    // cursor is the server's 400).
    let out = run(&api, &["customers", "list", "--all", "--before", "cur"]);
    assert_eq!(out.code, 2, "{out:?}");
    let out = run(&api, &["customers", "list", "--all", "--after", "cur"]);
    assert_eq!(out.code, 4, "{out:?}");
}

#[test]
fn all_stops_with_an_error_when_a_later_page_fails() {
    let api = api();
    for i in 0..6 {
        api.mock
            .create_customer(json!({ "name": format!("Customer {i}") }));
    }
    // The first page is served normally (a zero stall), the second refused.
    api.mock
        .enqueue(
            "listCustomers",
            [
                MockResponse::stall(Duration::ZERO),
                MockResponse::status(404),
            ],
        )
        .expect("known operation");
    let out = run(&api, &["customers", "list", "--all", "--limit", "3"]);
    assert_eq!(out.code, 4, "{out:?}");
    assert_eq!(
        out.lines().len(),
        3,
        "the first page was written as it came"
    );
    assert!(
        out.stderr
            .starts_with("error: list_customers: API returned 404"),
        "{out:?}"
    );
    // Where to go on from: the rest of the export, exactly.
    let (_, cursor) = out
        .stderr
        .trim_end()
        .rsplit_once("go on with --after ")
        .unwrap_or_else(|| panic!("a cursor to resume from: {out:?}"));
    let rest = run(
        &api,
        &[
            "customers",
            "list",
            "--all",
            "--limit",
            "2",
            "--after",
            cursor,
        ],
    );
    assert_eq!(rest.code, 0, "{rest:?}");
    let names: Vec<_> = rest.lines().iter().map(|c| c["name"].clone()).collect();
    assert_eq!(
        names,
        ["Customer 3", "Customer 4", "Customer 5"],
        "{rest:?}"
    );
}

#[test]
fn table_output() {
    let demo = api_with(MockServer::builder().seed_demo(true));
    let out = run(
        &demo,
        &[
            "customers",
            "list",
            "--limit",
            "4",
            "--output",
            "table",
            "--columns",
            "id,name,email,country",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    insta::assert_snapshot!("customers_list_table", out.stdout);

    // Every scalar field by default, on data with a fixed clock.
    let api = api();
    api.mock
        .set_clock(OffsetDateTime::from_unix_timestamp(1_767_225_600).expect("2026"));
    let id = api.mock.create_customer(json!({ "name": "Acme" }));
    for seed in [
        PaymentMethodSeed::card("visa", "4242", "12", "2030").default(),
        PaymentMethodSeed::ach("6789"),
    ] {
        api.mock.add_payment_method(&id, seed).expect("added");
    }
    let methods = run(
        &api,
        &["customers", "payment-methods", "list", &id, "-o", "table"],
    );
    assert_eq!(methods.code, 0, "{methods:?}");
    insta::assert_snapshot!("payment_methods_table", methods.stdout);
}

#[test]
fn exit_codes_follow_the_class_of_failure() {
    let api = api_with(MockServer::builder().extra_rules(true));
    let ids = ids(&api);

    // Usage: nothing is sent.
    for args in [
        &["customers", "get"][..],
        &["customers", "list", "--limit", "many"],
        &["customers", "frobnicate"],
        &["customers", "get", "a", "b"],
        &["--output", "xml", "customers", "list"],
    ] {
        let out = run(&api, args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(out.stderr.starts_with("error: "), "{out:?}");
    }
    assert!(api.mock.requests().is_empty(), "usage errors send nothing");

    // The API refuses: 4, with code, message, validation errors, request id.
    let out = run(&api, &["customers", "get", "cus_missing"]);
    assert_eq!((out.code, out.stdout.as_str()), (4, ""), "{out:?}");
    let (first, request_id) = out.stderr.split_once('\n').expect("two lines");
    assert_eq!(
        first,
        "error: get_customer: API returned 404 Not Found (not_found): customer cus_missing not found"
    );
    assert!(request_id.starts_with("  request id: req_"), "{out:?}");
    let out = run(
        &api,
        &[
            "customers",
            "create",
            "--name",
            "Acme",
            "--email",
            "not-an-email",
        ],
    );
    assert_eq!(out.code, 4, "{out:?}");
    assert!(
        out.stderr.contains("\n  email: "),
        "one line per field: {out:?}"
    );
    api.mock
        .enqueue(
            "getCustomer",
            [MockResponse::status(409).header("x-request-id", "req_42")],
        )
        .expect("known operation");
    let out = run(&api, &["customers", "get", ids.get(CUSTOMER)]);
    assert_eq!(out.code, 4, "{out:?}");
    assert!(out.stderr.ends_with("\n  request id: req_42\n"), "{out:?}");

    // The API fails: 5. A create is not retried, and may have happened.
    api.mock
        .enqueue("createCustomer", [MockResponse::status(500)])
        .expect("known operation");
    let out = run(&api, &["customers", "create", "--name", "Acme"]);
    assert_eq!(out.code, 5, "{out:?}");
    assert!(out.stderr.contains("may have taken effect"), "{out:?}");

    // Authentication: 3.
    let out = run_with(
        &api,
        &[("ALTERNATIVE_PAYMENTS_CLIENT_SECRET", "wrong")],
        &["customers", "list"],
        "",
    );
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stderr.contains("invalid_client"), "{out:?}");
}

#[test]
fn a_client_without_the_scope_is_an_auth_failure() {
    let api = api_with(MockServer::builder().client("reader", "reader-secret", &["read"]));
    let env = [
        ("ALTERNATIVE_PAYMENTS_CLIENT_ID", "reader"),
        ("ALTERNATIVE_PAYMENTS_CLIENT_SECRET", "reader-secret"),
    ];
    let out = run_with(&api, &env, &["customers", "create", "--name", "Acme"], "");
    assert_eq!(out.code, 3, "403: {out:?}");
    assert!(out.stderr.contains("403 Forbidden"), "{out:?}");
}

#[test]
fn missing_credentials_are_named_and_nothing_is_sent() {
    let api = api();
    let out = run_with(
        &api,
        &[("ALTERNATIVE_PAYMENTS_CLIENT_ID", "")],
        &["customers", "list"],
        "",
    );
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(
        out.stderr,
        "error: configuration error: environment variable ALTERNATIVE_PAYMENTS_CLIENT_ID is empty\n"
    );
    assert!(api.mock.requests().is_empty());
}

#[test]
fn the_sdk_rules_apply_base_url_flag_and_https() {
    let api = api();
    // --base-url wins over the environment.
    let env = [("ALTERNATIVE_PAYMENTS_BASE_URL", "https://api.invalid")];
    let out = run_with(
        &api,
        &env,
        &["--base-url", api.mock.base_url(), "customers", "list"],
        "",
    );
    assert_eq!(out.code, 0, "{out:?}");
    // Credentials never go over plain http beyond loopback.
    let out = run(
        &api,
        &["customers", "list", "--base-url", "http://api.example.com"],
    );
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stderr.contains("http://"), "{out:?}");
    // Nothing listening: a network failure, after the SDK's retries.
    let out = run(
        &api,
        &["customers", "list", "--base-url", "http://127.0.0.1:9"],
    );
    assert_eq!(out.code, 5, "{out:?}");
}

#[test]
fn environment_flag_and_variable_take_only_known_names() {
    let api = api();
    let out = run(&api, &["--environment", "staging", "customers", "list"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("unknown environment \"staging\" (expected one of: production, demo)"),
        "{out:?}"
    );
    let out = run(
        &api,
        &[
            "--environment",
            "demo",
            "--base-url",
            api.mock.base_url(),
            "customers",
            "list",
        ],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("cannot be used with"), "{out:?}");
    let env = [("ALTERNATIVE_PAYMENTS_ENVIRONMENT", "sandbox")];
    let out = run_with(&api, &env, &["customers", "list"], "");
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains("ALTERNATIVE_PAYMENTS_ENVIRONMENT"),
        "{out:?}"
    );
    assert!(api.mock.requests().is_empty(), "nothing sent");
}

/// Against a server that enforces the API's limit, `--all` with one item a
/// page is paced under it: every page once, no call failed.
///
/// Not "no 429": the client counts a request when it lets it go, the server
/// when it arrives, and a request that reaches the server over one interval
/// (200 ms) after its turn (a process starved on a loaded machine) can be
/// refused; the SDK waits that out. This test once asserted none and failed
/// 1 run in 6 next to a build (issue #28). The limiter's guarantee is
/// tested exactly in `rate_limit.rs` (any lag under one interval is never
/// refused), and the benchmarks report the 429s of the first second.
#[test]
fn all_pages_stay_under_the_rate_limit_and_the_flag_is_checked() {
    let api = api_with(MockServer::builder().seed_demo(true).rate_limit(5.0));
    let out = run(&api, &["customers", "list", "--all", "--limit", "1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.lines().len(), 12, "{out:?}");
    let stats = api.mock.stats();
    assert_eq!(
        stats.requests - stats.rate_limited,
        12,
        "every page answered once: {stats:?}"
    );

    // Unpaced, the same export meets 429s; the SDK waits them out.
    api.mock.reset_stats();
    api.mock.set_rate_limit(Some(5.0));
    let out = run(
        &api,
        &[
            "customers",
            "list",
            "--all",
            "--limit",
            "1",
            "--rate-limit",
            "off",
        ],
    );
    assert_eq!((out.code, out.lines().len()), (0, 12), "{out:?}");
    assert!(api.mock.stats().rate_limited > 0, "{:?}", api.mock.stats());

    for bad in ["fast", "0", "-1", "5/0"] {
        let flag = format!("--rate-limit={bad}");
        let out = run(&api, &[&flag, "customers", "list"]);
        assert_eq!(out.code, 2, "{bad}: {out:?}");
        assert!(out.stderr.contains("--rate-limit"), "{bad}: {out:?}");
    }
}

#[test]
fn request_bodies_come_from_flags_a_file_or_stdin() {
    let api = api();
    let body = r#"{"name": "From stdin", "city": "Oslo"}"#;
    let out = run_with(
        &api,
        &[],
        &["customers", "create", "--json-body", "-"],
        body,
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        (&out.json()["name"], &out.json()["city"]),
        (&json!("From stdin"), &json!("Oslo"))
    );
    // The body or the field flags: the generated code would let one
    // silently replace the other.
    let out = run_with(
        &api,
        &[],
        &[
            "customers",
            "create",
            "--json-body",
            "-",
            "--city",
            "Bergen",
        ],
        body,
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("'--json-body <FILE>' cannot be used with '--city <city>'"),
        "{out:?}"
    );

    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("body.json");
    std::fs::write(&file, r#"{"name": "From a file"}"#).expect("write");
    let file = file.to_str().expect("utf-8 path");
    let out = run(&api, &["customers", "create", "--json-body", file]);
    assert_eq!(out.json()["name"], "From a file", "{out:?}");
    api.mock.clear_requests();

    // Bad bodies: usage errors naming the position or the field; nothing sent.
    let bad = |stdin: &str, args: &[&str]| {
        let out = run_with(&api, &[], args, stdin);
        assert_eq!(out.code, 2, "{out:?}");
        out.stderr
    };
    let create = ["customers", "create", "--json-body", "-"];
    assert!(
        bad("{\"name\": \"Acme\",\n  \"city\" \"Oslo\"}", &create).starts_with(
            "error: --json-body stdin: is not valid JSON: expected `:` at line 2 column 10"
        ),
    );
    assert!(
        bad("", &create)
            .contains("stdin: is not valid JSON: EOF while parsing a value at line 1 column 0")
    );
    assert!(bad("[1]", &create).contains("stdin: must be a JSON object"));
    assert!(
        bad(r#"{"emial": "a@b.test"}"#, &create)
            .contains("has a field `emial` that create_customer does not take")
    );
    assert!(
        bad(r#"{"name": 5}"#, &create).contains("invalid type: integer `5`, expected a string")
    );
    assert!(
        bad(
            "",
            &[
                "customers",
                "create",
                "--json-body",
                "/nonexistent/body.json"
            ]
        )
        .contains("/nonexistent/body.json: cannot read it")
    );
    assert!(api.mock.requests().is_empty(), "bad bodies send nothing");
}

/// What an operator did not ask for is never sent: a body template, a
/// create with no input, an empty id, a page size the SDK refuses.
#[test]
fn nothing_is_sent_that_the_operator_did_not_ask_for() {
    let api = api();
    let template = run(&api, &["customers", "create", "--json-body-template"]);
    assert_eq!(template.code, 0, "{template:?}");
    let fields = template.json();
    assert_eq!(fields["name"], "string", "{template:?}");
    assert_eq!(
        fields.as_object().map(|f| f.len()),
        Some(11),
        "{template:?}"
    );
    let help = run(&api, &["customers", "users", "create", "--help"]);
    assert!(
        help.stdout.contains("Print a template of the JSON body") && !help.stdout.contains("XXX"),
        "{help:?}"
    );
    assert!(
        help.stdout
            .contains("The request body's `first_name` (string)"),
        "body field flags have help: {help:?}"
    );

    let usage = |args: &[&str], stdin: &str, says: &str| {
        let out = run_with(&api, &[], args, stdin);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(out.stderr.contains(says), "{args:?}: {out:?}");
    };
    usage(
        &["customers", "create"],
        "",
        "`altpay customers create` needs a body",
    );
    usage(&["customers", "update", "cus_1"], "", "needs a body");
    usage(&["customers", "get", ""], "", "error: ID is empty");
    usage(
        &["customers", "payment-methods", "get", "cus_1", ""],
        "",
        "error: METHOD-ID is empty",
    );
    usage(
        &["customers", "get", "cus_1/users"],
        "",
        "error: ID \"cus_1/users\" holds '/', which no id contains",
    );
    usage(
        &["customers", "list", "--limit", "0"],
        "",
        "0 is not in 1..=4294967295",
    );
    usage(
        &["customers", "users", "list", "cus_1", "--limit=-3"],
        "",
        "-3 is not in 1..=",
    );
    assert!(api.mock.requests().is_empty(), "{:?}", api.mock.requests());

    // An empty body, said explicitly, is sent.
    let out = run_with(
        &api,
        &[],
        &["customers", "create", "--json-body", "-"],
        "{}",
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(api.mock.requests().len(), 2, "the token and the create");
}

#[test]
fn auth_check_reports_scopes_and_lifetime_never_the_token() {
    let api = api();
    let out = run(&api, &["auth", "check"]);
    assert_eq!(out.code, 0, "{out:?}");
    let report = out.json();
    assert_eq!(report["scopes"], json!(["read", "write"]));
    let lifetime = report["expires_in_seconds"].as_u64().expect("seconds");
    assert!((3000..=3600).contains(&lifetime), "{lifetime}");
    assert_eq!(
        report.as_object().map(|o| o.len()),
        Some(2),
        "nothing else: {report}"
    );
}

/// Issue #28: `-v` is one line per attempt (method, path, status, time,
/// attempt, request id), and only the SDK's: not the HTTP stack's pool
/// messages, which it printed instead.
#[test]
fn verbose_shows_one_line_per_attempt() {
    let api = api();
    api.mock
        .enqueue("listCustomers", [MockResponse::status(503)])
        .expect("known operation");
    let out = run(&api, &["-v", "customers", "list", "--limit", "2"]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains(" request "))
        .collect();
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    for (line, (status, attempt)) in lines.iter().zip([(503, 1), (200, 2)]) {
        for part in [
            "method=GET".to_string(),
            "path=/customers?limit=2".to_string(),
            format!("status={status}"),
            format!("attempt={attempt}"),
            "elapsed_ms=".to_string(),
            "request_id=\"req_".to_string(),
        ] {
            assert!(line.contains(&part), "{part} in {line}");
        }
    }
    assert!(out.stderr.contains("retrying"), "{}", out.stderr);
    assert!(!out.stderr.contains("pooling"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("request headers"),
        "headers are -vv: {}",
        out.stderr
    );
}

/// Issue #28: `altpay request` calls what the spec lacks with altpay's
/// credentials and errors; a path that could send the token elsewhere is a
/// usage error, nothing sent.
#[test]
fn request_calls_any_path_under_the_base_url_and_refuses_others() {
    let api = api();
    let ids = seed(&api.mock);
    let path = format!("/customers/{}", ids.get(CUSTOMER));
    let out = run(&api, &["request", "get", &path]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["id"], json!(ids.get(CUSTOMER)));

    let out = run_with(
        &api,
        &[],
        &["request", "POST", "/customers", "--json-body", "-"],
        r#"{"name": "Posted"}"#,
    );
    assert_eq!(
        (out.code, &out.json()["name"]),
        (0, &json!("Posted")),
        "{out:?}"
    );

    let out = run(
        &api,
        &["request", "GET", "/customers", "--query", "limit=1"],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.json()["data"].as_array().map(Vec::len),
        Some(1),
        "{out:?}"
    );

    let out = run(&api, &["request", "GET", "/no/such/route"]);
    assert_eq!(out.code, 4, "{out:?}");
    assert!(out.stderr.contains("request id: req_"), "{out:?}");

    api.mock.clear_requests();
    for bad in [
        "https://evil.example/x",
        "/customers/../oauth/token",
        "/customers?limit=1",
    ] {
        let out = run(&api, &["request", "GET", bad]);
        assert_eq!(out.code, 2, "{bad}: {out:?}");
        assert!(out.stderr.contains("path "), "{bad}: {out:?}");
    }
    let out = run(&api, &["request", "FETCH", "/customers"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(api.mock.requests().is_empty(), "nothing sent");
}

/// Issue #29: a command that moves money is sent only when the user says
/// so; from a script (no terminal) without `--yes` it is refused, exit 2,
/// nothing sent.
#[test]
fn a_command_that_moves_money_needs_yes_off_a_terminal() {
    let api = api();
    let ids = ids(&api);
    let charge = [
        "payments",
        "create",
        "--invoice-id",
        ids.get(INVOICE),
        "--amount",
        "10.00",
    ];
    let out = run(&api, &charge);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("moves money") && out.stderr.contains("--yes"),
        "{out:?}"
    );
    assert!(
        api.mock.requests_to("createPayment").is_empty(),
        "nothing sent"
    );
    let before = api.mock.payment_count();
    let mut yes = charge.to_vec();
    yes.push("--yes");
    let out = run(&api, &yes);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["total"], json!(10));
    assert_eq!(api.mock.payment_count(), before + 1);
}

/// Issue #30: a charge sent without a key gets one, named on stderr; the
/// SDK resends it with that key after a lost answer (one charge), and the
/// same command with the printed key is the same charge.
#[test]
fn a_charge_gets_a_key_the_cli_names_and_is_resent_with_it() {
    let api = api();
    let ids = ids(&api);
    api.mock
        .enqueue(
            "createPayment",
            [MockResponse::status(500).after_handling()],
        )
        .expect("the mock knows the operation");
    let before = api.mock.payment_count();
    let charge = [
        "payments",
        "create",
        "--invoice-id",
        ids.get(INVOICE),
        "--amount",
        "10.00",
        "--yes",
    ];
    let out = run(&api, &charge);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(api.mock.payment_count(), before + 1, "charged once");
    let keys: Vec<String> = api
        .mock
        .requests_to("createPayment")
        .iter()
        .map(|r| {
            let body: serde_json::Value = serde_json::from_slice(&r.body).expect("json body");
            body["idempotency_key"].as_str().expect("a key").to_string()
        })
        .collect();
    assert_eq!(keys.len(), 2, "resent after the lost answer: {keys:?}");
    assert_eq!(keys[0], keys[1], "with the same key");
    assert!(out.stderr.contains(&keys[0]), "the key is named: {out:?}");

    let mut again = charge.to_vec();
    again.extend(["--idempotency-key", &keys[0]]);
    let second = run(&api, &again);
    assert_eq!(second.code, 0, "{second:?}");
    assert_eq!(second.json()["id"], out.json()["id"], "the same charge");
    assert_eq!(api.mock.payment_count(), before + 1, "nothing more charged");
    assert!(
        !second.stderr.contains("idempotency_key:"),
        "no new key: {second:?}"
    );
}

#[test]
fn secrets_are_never_printed_even_verbose() {
    let api = api();
    let outs = [
        run(&api, &["-vv", "customers", "list"]),
        run(&api, &["-vv", "auth", "check"]),
        run(&api, &["-vv", "request", "GET", "/customers"]),
        run_with(
            &api,
            &[("ALTERNATIVE_PAYMENTS_CLIENT_SECRET", "s3cret-wrong")],
            &["-vv", "customers", "list"],
            "",
        ),
    ];
    assert!(
        outs[0].stderr.contains("request headers")
            && outs[0].stderr.contains("authorization: [redacted]"),
        "-vv logs each attempt's headers, credentials redacted: {:?}",
        outs[0]
    );
    let tokens: Vec<String> = api
        .mock
        .requests()
        .iter()
        .filter_map(|r| {
            r.header("authorization")?
                .strip_prefix("Bearer ")
                .map(String::from)
        })
        .collect();
    assert!(!tokens.is_empty());
    for out in &outs {
        let printed = format!("{}{}", out.stdout, out.stderr);
        for secret in tokens
            .iter()
            .map(String::as_str)
            .chain([api.mock.client_secret(), "s3cret-wrong"])
        {
            assert!(!printed.contains(secret), "{secret:?} printed: {out:?}");
        }
    }
}

#[path = "../../alternative-payments-redis/tests/redis_server.rs"]
mod redis_server;

/// Two exports at once on one key, each paced at the whole limit: 429s
/// without a shared limit, none with `--redis-url`.
#[test]
#[ignore = "needs redis-server: cargo test -p alternative-payments-cli -- --ignored"]
fn exports_on_one_key_share_its_limit_through_redis() {
    let redis = redis_server::RedisServer::start();
    let api = api_with(MockServer::builder().seed_demo(true).rate_limit(5.0));
    let url = redis.url();
    let export = |shared: bool| {
        let mut args = vec!["customers", "list", "--all", "--limit", "1"];
        if shared {
            args.extend(["--redis-url", &url]);
        }
        std::thread::scope(|s| {
            let runs = [s.spawn(|| run(&api, &args)), s.spawn(|| run(&api, &args))];
            for run in runs {
                let out = run.join().expect("thread");
                assert_eq!((out.code, out.lines().len()), (0, 12), "{out:?}");
                assert_eq!(out.stderr, "", "{out:?}");
            }
        });
        let stats = api.mock.stats();
        api.mock.reset_stats();
        api.mock.set_rate_limit(Some(5.0));
        stats
    };
    let alone = export(false);
    assert!(alone.rate_limited > 0, "{alone:?}");
    let started = std::time::Instant::now();
    let shared = export(true);
    // Taking turns from one budget: 24 pages, 4 at once and the rest at
    // 4.9/s, take at least 4 s however fast the machine. (Not "no 429":
    // as above, a starved process can reach the server late; the fleet
    // benchmark reports the figure.)
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(4_000),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        shared.requests - shared.rate_limited,
        24,
        "every page answered once: {shared:?}"
    );
    assert!(redis.calls("evalsha") >= 24);
}

#[test]
fn a_redis_url_is_checked_and_an_absent_redis_costs_no_call() {
    let api = api_with(MockServer::builder().seed_demo(true));
    for bad in ["http://127.0.0.1:6379", "redis://:hunter2@[::1"] {
        let out = run(&api, &["customers", "list", "--redis-url", bad]);
        assert_eq!(out.code, 2, "{out:?}");
        assert!(out.stderr.contains("--redis-url: "), "{out:?}");
        assert!(!out.stderr.contains("hunter2"), "{out:?}");
    }
    let out = run_with(
        &api,
        &[("ALTERNATIVE_PAYMENTS_REDIS_URL", "redis://:hunter2@[::1")],
        &["customers", "list"],
        "",
    );
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains("ALTERNATIVE_PAYMENTS_REDIS_URL"),
        "{out:?}"
    );
    assert!(!out.stderr.contains("hunter2"), "{out:?}");

    // Nothing listens there: altpay paces on its own and says so, once.
    let port = alternative_payments_test_support::free_port();
    let url = format!("redis://:hunter2@127.0.0.1:{port}");
    let out = run(
        &api,
        &[
            "customers",
            "list",
            "--all",
            "--limit",
            "2",
            "--redis-url",
            &url,
        ],
    );
    assert_eq!((out.code, out.lines().len()), (0, 12), "{out:?}");
    assert_eq!(
        out.stderr.matches("shared rate limit unavailable").count(),
        1,
        "{out:?}"
    );
    assert!(!out.stderr.contains("hunter2"), "{out:?}");
}
