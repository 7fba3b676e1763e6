//! `cargo run -p alternative-payments-mock -- --port 4010 --seed demo`:
//! serves the mock API until Ctrl-C.

use std::process::ExitCode;

use alternative_payments_mock::MockServer;

const USAGE: &str =
    "usage: alternative-payments-mock [--port PORT] [--seed demo|none] [--extra-rules on|off] [--rate-limit N|off]
  --port PORT        loopback port to listen on (default 4010; 0 for any free port)
  --seed demo        start with a dozen demo customers (default); none: start empty
  --extra-rules on   also enforce rules the spec does not state (email syntax,
                     limit 1-1000, RFC 3339 filters); off by default
  --rate-limit N     requests per second per client, 429 with Retry-After beyond,
                     as the API does (default 5, the provider's documented limit); off: none";

#[tokio::main]
async fn main() -> ExitCode {
    let mut port: u16 = 4010;
    let mut seed = true;
    let mut extra_rules = false;
    let mut rate_limit = Some(5.0);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        match (arg.as_str(), value.as_deref()) {
            ("--port", Some(p)) => match p.parse() {
                Ok(p) => port = p,
                Err(_) => return usage(&format!("--port: {p:?} is not a port number")),
            },
            ("--seed", Some("demo")) => seed = true,
            ("--seed", Some("none")) => seed = false,
            ("--extra-rules", Some("on")) => extra_rules = true,
            ("--extra-rules", Some("off")) => extra_rules = false,
            ("--rate-limit", Some("off")) => rate_limit = None,
            ("--rate-limit", Some(n)) => match n.parse::<f64>() {
                Ok(n) if n.is_finite() && n > 0.0 => rate_limit = Some(n),
                _ => {
                    return usage(&format!(
                        "--rate-limit: {n:?} is not a positive number of requests per second or off"
                    ));
                }
            },
            ("--extra-rules", Some(other)) => {
                return usage(&format!("--extra-rules: {other:?} is not on or off"));
            }
            ("--seed", Some(other)) => {
                return usage(&format!("--seed: unknown data set {other:?}"));
            }
            ("-h" | "--help", _) => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => return usage(&format!("unexpected argument {arg:?}")),
        }
    }
    let mock = match MockServer::builder()
        .port(port)
        .seed_demo(seed)
        .extra_rules(extra_rules)
        .rate_limit(rate_limit)
        .start()
        .await
    {
        Ok(mock) => mock,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "Alternative Payments mock API listening on {}",
        mock.base_url()
    );
    println!("  client id:     {}", mock.client_id());
    println!(
        "  client secret: {}  (demo credentials, accepted only by this mock)",
        mock.client_secret()
    );
    let counts = mock.record_counts();
    let held: Vec<String> = counts
        .iter()
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect();
    println!(
        "  records:       {}",
        if held.is_empty() {
            "none (--seed demo for a demo data set)".into()
        } else {
            held.join(", ")
        }
    );
    match rate_limit {
        Some(rate) => {
            println!("  rate limit:    {rate} requests/s per client (--rate-limit off to lift)")
        }
        None => println!("  rate limit:    off"),
    }
    println!();
    println!("Use it from a shell, with the quickstart or the altpay CLI:");
    println!(
        "  export ALTERNATIVE_PAYMENTS_BASE_URL={} ALTERNATIVE_PAYMENTS_CLIENT_ID={} ALTERNATIVE_PAYMENTS_CLIENT_SECRET={}",
        mock.base_url(),
        mock.client_id(),
        mock.client_secret()
    );
    println!("  cargo run --example quickstart");
    println!("  cargo run -p alternative-payments-cli -- customers list --output table");
    println!("What a payer or the provider does:");
    println!(
        "  open an invoice's payment link or a payment request's url: {}/pay/<id>",
        mock.base_url()
    );
    println!(
        "  POST {}/_mock/payouts/settle   (pays out succeeded payments)",
        mock.base_url()
    );
    println!(
        "  POST {}/_mock/payments/<id>/status  {{\"status\": \"refunded\"}}  (invoices, payment-requests, payouts too)",
        mock.base_url()
    );
    println!("Ctrl-C stops it.");
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("error: {problem}\n{USAGE}");
    ExitCode::from(2)
}
