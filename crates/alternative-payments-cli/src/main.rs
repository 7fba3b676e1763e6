//! `altpay`: the Alternative Payments API from a terminal.
//!
//! The command tree is progenitor's, generated from the spec into
//! `generated.rs` with the words users type for each operation. This file
//! adds only what the generator cannot know: authentication (the SDK's,
//! through [`Client::raw_call`]), the friendly command tree, `--all`
//! (the SDK's pagination, through [`json_pages`]), output formats, and
//! exit codes.

// Generated code follows progenitor's style, not this workspace's lints.
#[allow(clippy::all, clippy::pedantic, clippy::restriction)]
#[allow(unused, rust_2018_idioms)]
#[rustfmt::skip]
mod generated;
mod body;
mod failure;
mod output;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use alternative_payments::{
    Client, ClientBuilder, Cursor, Environment, Error, RateLimit, json_pages,
};
use alternative_payments_raw as raw;
use alternative_payments_raw::operations::Operation;
use clap::{Arg, ArgAction, ArgMatches, Command};
use failure::{Exit, Failure};
use futures::TryStreamExt;
use generated::{Cli, CliCommand, CliConfig};
use serde_json::Value;

const EXIT_CODES: &str = "Exit codes:
  0  success
  2  usage: bad flags, arguments or request body (nothing was sent)
  3  authentication or configuration: missing credentials, refused by the token endpoint, 401/403
  4  the API refused the request (another 4xx)
  5  the API or the network failed (5xx, timeout, connection, undecodable response)
  1  altpay itself failed (writing the output)

Credentials come from ALTERNATIVE_PAYMENTS_CLIENT_ID and ALTERNATIVE_PAYMENTS_CLIENT_SECRET
(and optionally ALTERNATIVE_PAYMENTS_ENVIRONMENT or _BASE_URL, ALTERNATIVE_PAYMENTS_SCOPES,
ALTERNATIVE_PAYMENTS_RATE_LIMIT), exactly as the alternative-payments crate reads them.
Requests are paced under the API key's limit (5 per second unless --rate-limit says
otherwise), --all pages included; a 429 is waited out and retried. With --redis-url
(or ALTERNATIVE_PAYMENTS_REDIS_URL), the limit is shared with every process using
that Redis for the same key.";

fn main() -> ExitCode {
    let matches = match command().try_get_matches() {
        Ok(matches) => matches,
        Err(e) => {
            // clap's own wording; help and --version exit 0.
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    init_logging(matches.get_count("verbose"));
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return report(&Failure::new(Exit::Internal, format!("cannot start: {e}"))),
    };
    let result = runtime.block_on(run(&matches));
    body::clean_up();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => report(&failure),
    }
}

fn report(failure: &Failure) -> ExitCode {
    let mut stderr = std::io::stderr().lock();
    for line in failure.message.lines() {
        let _ = writeln!(stderr, "{}", output::printable(line));
    }
    ExitCode::from(failure.exit as u8)
}

/// `-v`: one line per attempt on stderr (method, path, status, time, the
/// wait for its turn, attempt number, request id), and the SDK's retries;
/// `-vv` adds each attempt's headers, credentials redacted. Only the SDK's
/// own events: the HTTP stack's (connection pool messages) stay out, so
/// nothing but what the SDK chose to log, which never holds a secret, is
/// printed.
fn init_logging(verbosity: u8) {
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let sdk = match verbosity {
        // Warnings only: the SDK warns of nothing else than a shared rate
        // limit it cannot reach (--redis-url).
        0 => tracing::Level::WARN,
        1 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    let filter = Targets::new()
        .with_default(tracing::Level::WARN)
        .with_target("alternative_payments", sdk)
        .with_target("alternative_payments_redis", sdk);
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .with_target(false),
        )
        .with(filter)
        .init();
}

/// The whole command tree: the generated commands under their words, and
/// `auth check`.
fn command() -> Command {
    let root = Command::new("altpay")
        .version(env!("CARGO_PKG_VERSION"))
        .about("The Alternative Payments API from a terminal")
        .after_help(EXIT_CODES)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(
            Arg::new("base-url")
                .long("base-url")
                .global(true)
                .value_name("URL")
                .conflicts_with("environment")
                .help("API base URL (default: ALTERNATIVE_PAYMENTS_BASE_URL, else the environment's)"),
        )
        .arg(
            Arg::new("environment")
                .long("environment")
                .global(true)
                .value_name("NAME")
                .value_parser(clap::value_parser!(Environment))
                .help("production or demo (default: ALTERNATIVE_PAYMENTS_ENVIRONMENT, else production)"),
        )
        .arg(
            Arg::new("output")
                .long("output")
                .short('o')
                .global(true)
                .value_parser(["json", "table", "ndjson"])
                .value_name("FORMAT")
                .help("Output format [default: json; ndjson with --all]"),
        )
        .arg(
            Arg::new("columns")
                .long("columns")
                .global(true)
                .value_name("NAMES")
                .value_delimiter(',')
                .help("Columns of --output table, comma-separated (default: every scalar field)"),
        )
        .arg(
            Arg::new("rate-limit")
                .long("rate-limit")
                .global(true)
                .value_name("N|N/BURST|off")
                .value_parser(RateLimit::parse)
                .help("Requests per second, under the API key's limit (default: ALTERNATIVE_PAYMENTS_RATE_LIMIT, else 5, the provider's documented limit); off: no pacing"),
        )
        .arg(
            Arg::new("redis-url")
                .long("redis-url")
                .global(true)
                .value_name("URL")
                .help("Share the key's rate limit with the processes using this Redis (redis:// or rediss://; default: ALTERNATIVE_PAYMENTS_REDIS_URL); when it is away, altpay paces on its own and warns once"),
        )
        .arg(
            Arg::new("verbose")
                .long("verbose")
                .short('v')
                .global(true)
                .action(ArgAction::Count)
                .help("Log each request on stderr: method, path, status, time, attempt, request id (-vv: and headers, credentials redacted)"),
        )
        .subcommand(
            Command::new("request")
                .about("Call an endpoint the spec does not have, with altpay's credentials, limit and retries")
                .long_about(
                    "Call an endpoint the spec does not have (one missing from the provider's pages), \
                     with the same credentials, rate limit, retries and errors as every command. \
                     PATH is under the base URL (an absolute URL is refused: the token goes to its \
                     host only); query parameters are given with --query, which encodes them. \
                     POST and PATCH are not resent after an unknown outcome.",
                )
                .arg(
                    Arg::new("method")
                        .required(true)
                        .value_name("METHOD")
                        .value_parser(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
                        .ignore_case(true)
                        .help("The HTTP method"),
                )
                .arg(
                    Arg::new("path")
                        .required(true)
                        .value_name("PATH")
                        .help("The path under the base URL, e.g. /webhooks/retry"),
                )
                .arg(
                    Arg::new("query")
                        .long("query")
                        .short('q')
                        .value_name("NAME=VALUE")
                        .action(ArgAction::Append)
                        .value_parser(|pair: &str| {
                            pair.split_once('=')
                                .map(|(n, v)| (n.to_string(), v.to_string()))
                                .ok_or_else(|| format!("{pair:?} is not NAME=VALUE"))
                        })
                        .help("A query parameter (repeat for more); encoded by altpay"),
                )
                .arg(
                    Arg::new("json-body")
                        .long("json-body")
                        .value_name("FILE")
                        .value_parser(body::any_json)
                        .help("The JSON request body, from FILE or - for stdin"),
                ),
        )
        .subcommand(
            Command::new("auth")
                .about("Credentials")
                .subcommand_required(true)
                .subcommand(Command::new("check").about(
                    "Fetch an access token and report its scopes and lifetime (never the token)",
                )),
        );
    CliCommand::iter().fold(root, |root, cmd| insert(root, cmd.words(), leaf(cmd)))
}

/// The generated command for `cmd`, with path parameters made positional
/// and `--all` on lists.
fn leaf(cmd: CliCommand) -> Command {
    let mut leaf = Cli::<Capture>::get_command(cmd);
    // progenitor puts summary and description in one `about`: listings show
    // the summary, `--help` both.
    if let Some(about) = leaf.get_about().map(ToString::to_string)
        && let Some((summary, _)) = about.split_once("\n\n")
    {
        leaf = leaf.about(summary.to_string()).long_about(about);
    }
    leaf = leaf.after_help(operation_line(cmd));
    for (index, name) in cmd.positional().iter().enumerate() {
        // The argument keeps progenitor's typed parser (`CustomerId`);
        // `refuse_bad_ids` checks the text.
        leaf = leaf.mut_arg(*name, |arg| {
            arg.long(None)
                .index(index + 1)
                .value_name(name.to_uppercase())
        });
    }
    for (id, help) in cmd.flag_help() {
        if leaf.get_arguments().any(|a| a.get_id() == *id) {
            leaf = leaf.mut_arg(*id, |arg| arg.help(*help));
        }
    }
    if leaf.get_arguments().any(|a| a.get_id() == "limit") {
        // The page size the SDK's lists accept (`List::limit`, at least 1).
        leaf = leaf.mut_arg("limit", |arg| {
            arg.value_parser(clap::value_parser!(i64).range(1..=i64::from(u32::MAX)))
        });
    }
    if leaf
        .get_arguments()
        .any(|a| a.get_id() == "json-body-template")
    {
        leaf = leaf.mut_arg("json-body-template", |arg| {
            arg.help("Print a template of the JSON body for --json-body, and exit; sends nothing")
        });
    }
    if leaf.get_arguments().any(|a| a.get_id() == "json-body") {
        // The generated code would let the file silently replace the
        // fields given as flags: one or the other.
        let flags: Vec<String> = leaf
            .get_arguments()
            .map(|a| a.get_id().to_string())
            .filter(|id| {
                cmd.body_fields()
                    .unwrap_or_default()
                    .iter()
                    .any(|field| flag_id(field) == *id)
            })
            .collect();
        leaf = leaf.mut_arg("json-body", |arg| {
            arg.value_parser(body::JsonBody(cmd))
                .value_name("FILE")
                .conflicts_with_all(flags)
                .help("The whole request body as JSON, from FILE or - for stdin; instead of the field flags")
        });
    }
    if operation(cmd).is_some_and(|op| op.moves_money()) {
        leaf = leaf.arg(
            Arg::new("yes")
                .long("yes")
                .short('y')
                .action(ArgAction::SetTrue)
                .help("Send it without asking: this command moves money (asked on a terminal; required otherwise)"),
        );
    }
    if cmd.paginated() {
        // `--after` with `--all`: every page from that cursor on (resuming
        // an export that stopped).
        let cursors: Vec<&str> = ["before"]
            .into_iter()
            .filter(|c| leaf.get_arguments().any(|a| a.get_id() == *c))
            .collect();
        leaf = leaf.arg(
            Arg::new("all")
                .long("all")
                .action(ArgAction::SetTrue)
                .conflicts_with_all(cursors)
                .help("Every page (from --after's cursor, if given), streamed as NDJSON (one item per line) unless --output says otherwise"),
        );
    }
    leaf
}

/// The operation of the spec's table a command runs. (progenitor's
/// `CliCommand::operation_id` is the snake_case method name.)
fn operation(cmd: CliCommand) -> Option<Operation> {
    Operation::from_method_name(cmd.operation_id())
}

/// `The API's getCustomer operation: GET /customers/{id}.`
fn operation_line(cmd: CliCommand) -> String {
    match operation(cmd) {
        Some(op) => format!(
            "The API's {} operation: {} {}.",
            op.operation_id(),
            op.http_method(),
            op.path()
        ),
        // Both tables come from one spec: unreachable but harmless.
        None => String::new(),
    }
}

/// Puts `leaf` under `parent` at `words`, making the groups on the way.
fn insert(parent: Command, words: &[&'static str], leaf: Command) -> Command {
    match words {
        [] => parent,
        [name] => parent.subcommand(leaf.name(*name)),
        [group, rest @ ..] => {
            let parent = if parent.find_subcommand(group).is_some() {
                parent
            } else {
                parent.subcommand(
                    Command::new(*group)
                        .about(format!("Operations on {group}"))
                        .subcommand_required(true)
                        .arg_required_else_help(true),
                )
            };
            parent.mut_subcommand(group, |g| insert(g, rest, leaf))
        }
    }
}

/// The command the user chose: its words and matches.
fn chosen(matches: &ArgMatches) -> (Vec<&str>, &ArgMatches) {
    let mut words = Vec::new();
    let mut current = matches;
    while let Some((name, sub)) = current.subcommand() {
        words.push(name);
        current = sub;
    }
    (words, current)
}

async fn run(matches: &ArgMatches) -> Result<(), Failure> {
    let (words, leaf) = chosen(matches);
    let format = output::Options::from(leaf);
    let cmd = CliCommand::iter().find(|c| c.words() == words.as_slice());
    if let Some(cmd) = cmd {
        if let Some(template) = cmd.body_template()
            && leaf.get_flag("json-body-template")
        {
            println!("{template}");
            return Ok(());
        }
        refuse_no_body(cmd, leaf)?;
        refuse_bad_ids(cmd, leaf)?;
        confirm_money(cmd, leaf)?;
    }
    let client = client(leaf)?;
    if words == ["auth", "check"] {
        return auth_check(&client, &format).await;
    }
    if words == ["request"] {
        return custom_request(&client, leaf, &format).await;
    }
    let Some(cmd) = cmd else {
        return Err(Failure::new(
            Exit::Usage,
            format!("error: unknown command `{}`", words.join(" ")),
        ));
    };
    if cmd.paginated() && leaf.get_flag("all") {
        return all_pages(&client, cmd, &format).await;
    }
    let keyed = with_idempotency_key(cmd, leaf)?;
    let leaf = keyed.as_ref().map_or(leaf, |matches| chosen(matches).1);
    let value = execute(&client, cmd, leaf).await?;
    format.write_one(&value)
}

/// Whether the command line gave argument `id` a value.
fn given(leaf: &ArgMatches, id: &str) -> bool {
    leaf.try_get_raw(id)
        .is_ok_and(|values| values.is_some_and(|mut v| v.next().is_some()))
}

/// A command whose body takes an idempotency key (a charge: the table's
/// `Operation::idempotency_key`), given none by flag: the command line
/// again with a new random key, which stderr names so that the same
/// command can be sent again with it (it then charges at most once). With
/// the key the SDK resends the charge after a lost answer, as it does for
/// its own `payments().create`. A `--json-body` is sent as given: put the
/// key in it.
fn with_idempotency_key(cmd: CliCommand, leaf: &ArgMatches) -> Result<Option<ArgMatches>, Failure> {
    let Some(field) = operation(cmd).and_then(|op| op.idempotency_key()) else {
        return Ok(None);
    };
    let flag = flag_id(field);
    if given(leaf, &flag) || given(leaf, "json-body") {
        return Ok(None);
    }
    let key = uuid::Uuid::new_v4().to_string();
    eprintln!("{field}: {key} (to send this again, add --{flag} {key}: it charges at most once)");
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    args.extend([format!("--{flag}").into(), key.into()]);
    command()
        .try_get_matches_from(args)
        .map(Some)
        .map_err(|e| Failure::new(Exit::Usage, format!("error: adding the {field}: {e}")))
}

/// Path parameters the SDK would refuse: empty (`customers get ""` would
/// name another route, `/customers/`), or holding `/` or a control
/// character, which no id contains.
fn refuse_bad_ids(cmd: CliCommand, leaf: &ArgMatches) -> Result<(), Failure> {
    for name in cmd.positional() {
        let Ok(Some(values)) = leaf.try_get_raw(name) else {
            continue;
        };
        for value in values {
            let text = value.to_string_lossy();
            let problem = if text.is_empty() {
                Some("is empty".to_string())
            } else {
                text.chars()
                    .find(|c| *c == '/' || c.is_control())
                    .map(|c| format!("{text:?} holds {c:?}, which no id contains"))
            };
            if let Some(problem) = problem {
                return Err(Failure::new(
                    Exit::Usage,
                    format!("error: {} {problem}", name.to_uppercase()),
                ));
            }
        }
    }
    Ok(())
}

/// A command that moves money (`openapi/overlay.json` marks it) is sent only
/// when the user says so: `--yes`, or `y` at the prompt on a terminal. Not
/// on a terminal and without `--yes`, it is refused (exit 2, nothing sent):
/// a script must say it means to charge.
fn confirm_money(cmd: CliCommand, leaf: &ArgMatches) -> Result<(), Failure> {
    let Some(op) = operation(cmd).filter(|op| op.moves_money()) else {
        return Ok(());
    };
    if leaf.get_flag("yes") {
        return Ok(());
    }
    let words = cmd.words().join(" ");
    let stdin = std::io::stdin();
    if !(stdin.is_terminal() && std::io::stderr().is_terminal()) {
        return Err(Failure::new(
            Exit::Usage,
            format!(
                "error: `altpay {words}` moves money ({} {}); add --yes to send it from a script (nothing was sent)",
                op.http_method(),
                op.path()
            ),
        ));
    }
    eprint!("`altpay {words}` moves money. Send it? [y/N] ");
    let mut answer = String::new();
    let _ = stdin.read_line(&mut answer);
    if matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
        Ok(())
    } else {
        Err(Failure::new(Exit::Usage, "not sent"))
    }
}

/// The id (and long name) of the flag progenitor makes for a body field.
fn flag_id(field: &str) -> String {
    field.replace('_', "-")
}

/// A command that takes a body, given none: almost always a mistake (an
/// empty customer, a PATCH that changes nothing), so it is refused unless
/// the body is explicit (`--json-body` with `{}`).
fn refuse_no_body(cmd: CliCommand, leaf: &ArgMatches) -> Result<(), Failure> {
    let Some(fields) = cmd.body_fields() else {
        return Ok(());
    };
    if given(leaf, "json-body") || fields.iter().any(|f| given(leaf, &flag_id(f))) {
        return Ok(());
    }
    let flags: Vec<String> = fields.iter().map(|f| format!("--{}", flag_id(f))).collect();
    Err(Failure::new(
        Exit::Usage,
        format!(
            "error: `altpay {}` needs a body: give field flags ({}) or --json-body FILE|- \
             (an empty body only explicitly: `echo '{{}}' | altpay {} --json-body -`); nothing was sent",
            cmd.words().join(" "),
            flags.join(", "),
            cmd.words().join(" ")
        ),
    ))
}

/// The SDK client: settings from the environment, as the SDK reads them,
/// and `--environment` or `--base-url`.
fn client(leaf: &ArgMatches) -> Result<Client, Failure> {
    let mut builder = ClientBuilder::from_env()?;
    if let Some(environment) = leaf.get_one::<Environment>("environment") {
        builder = builder.environment(*environment);
    }
    if let Some(url) = leaf.get_one::<String>("base-url") {
        builder = builder.base_url(url);
    }
    if let Some(limit) = leaf.get_one::<Option<RateLimit>>("rate-limit") {
        builder = builder.rate_limit(*limit);
    }
    #[cfg(feature = "redis")]
    {
        use alternative_payments_redis::RedisLimiter;
        // Parsed here rather than by clap, whose errors echo the value: a
        // Redis URL can carry a password.
        let limiter = match leaf.get_one::<String>("redis-url") {
            Some(url) => Some(
                url.parse::<RedisLimiter>()
                    .map_err(|e| Failure::new(Exit::Usage, format!("--redis-url: {e}")))?,
            ),
            None => RedisLimiter::from_env()?,
        };
        if let Some(limiter) = limiter {
            builder = builder.rate_limiter(limiter);
        }
    }
    #[cfg(not(feature = "redis"))]
    if leaf.contains_id("redis-url") {
        return Err(Failure::new(
            Exit::Usage,
            "--redis-url: this altpay was built without its `redis` feature",
        ));
    }
    let builder = builder.user_agent_suffix(concat!("altpay/", env!("CARGO_PKG_VERSION")));
    Ok(builder.build()?)
}

/// `altpay request METHOD PATH`: [`Client::request`], its answer printed
/// as any command's.
async fn custom_request(
    client: &Client,
    leaf: &ArgMatches,
    format: &output::Options,
) -> Result<(), Failure> {
    let (Some(method), Some(path)) = (
        leaf.get_one::<String>("method"),
        leaf.get_one::<String>("path"),
    ) else {
        return Err(Failure::new(
            Exit::Usage,
            "error: METHOD and PATH are required",
        ));
    };
    let method = alternative_payments::Method::from_bytes(method.to_uppercase().as_bytes())
        .map_err(|_| {
            Failure::new(
                Exit::Usage,
                format!("error: {method:?} is not an HTTP method"),
            )
        })?;
    let mut request = client.request(method, path);
    for (name, value) in leaf
        .get_many::<(String, String)>("query")
        .into_iter()
        .flatten()
    {
        request = request.query(name, value);
    }
    if let Some(body) = leaf.get_one::<Value>("json-body") {
        request = request.json(body);
    }
    let value: Value = request.send().await?;
    format.write_one(&value)
}

async fn auth_check(client: &Client, format: &output::Options) -> Result<(), Failure> {
    let info = client.check_credentials().await?;
    let value = match info {
        Some(info) => serde_json::json!({
            "scopes": info.scopes,
            "expires_in_seconds": info.expires_in.as_secs(),
        }),
        // from_env always configures client credentials.
        None => serde_json::json!({}),
    };
    format.write_one(&value)
}

/// Why [`execute`] failed.
enum ExecuteError {
    /// The request was made (or refused by the SDK): the SDK's error.
    Sdk(Error),
    /// Nothing was sent: the body could not be read or does not fit.
    Input(String),
}

impl From<ExecuteError> for Failure {
    fn from(failed: ExecuteError) -> Self {
        match failed {
            ExecuteError::Sdk(e) => e.into(),
            ExecuteError::Input(message) => Failure::new(Exit::Usage, format!("error: {message}")),
        }
    }
}

/// One request of `cmd` through the generated code, with the SDK's policy
/// (the generated code runs once per attempt).
async fn execute(
    client: &Client,
    cmd: CliCommand,
    matches: &ArgMatches,
) -> Result<Value, ExecuteError> {
    // Why the generated code failed before sending anything, if it did.
    let input: Mutex<Option<String>> = Mutex::new(None);
    let result = client
        .raw_call(|raw| {
            let input = &input;
            async move {
                let capture = Capture::default();
                let error = match Cli::new((*raw).clone(), capture.clone())
                    .execute(cmd, matches)
                    .await
                {
                    Ok(()) => {
                        let status = reqwest::StatusCode::OK;
                        return Ok(raw::ResponseValue::new(
                            capture.take(),
                            status,
                            Default::default(),
                        ));
                    }
                    Err(error) => error,
                };
                // The generated code's error is the raw client's: the SDK
                // turns it into its own (and decodes a success the spec does
                // not list).
                let error = match error.downcast::<raw::Error<raw::types::HttpError>>() {
                    Ok(e) => return Err(e.into_untyped()),
                    Err(error) => error,
                };
                let error = match error.downcast::<raw::Error<()>>() {
                    Ok(e) => return Err(e),
                    Err(error) => error,
                };
                let message = body::describe(&error);
                *input.lock().unwrap_or_else(|e| e.into_inner()) = Some(message.clone());
                Err(raw::Error::Custom(message))
            }
        })
        .await;
    if let Some(message) = input.lock().unwrap_or_else(|e| e.into_inner()).take() {
        return Err(ExecuteError::Input(message));
    }
    result.map_err(ExecuteError::Sdk)
}

/// `--all`: every page through the SDK's pagination, each page's items
/// written as it arrives.
async fn all_pages(
    client: &Client,
    cmd: CliCommand,
    format: &output::Options,
) -> Result<(), Failure> {
    // Each page is the same command line with the cursor added, parsed
    // again: the generated code reads its arguments from clap's matches.
    let args_all: Arc<Vec<std::ffi::OsString>> = Arc::new(std::env::args_os().collect());
    // Built once: each page parses with a copy.
    let tree = command();
    let fetch_client = client.clone();
    let mut pages = json_pages(cmd.operation_id(), move |cursor| {
        let client = fetch_client.clone();
        let tree = tree.clone();
        // Without --all (which is not a flag of one page), and for a later
        // page without the command line's own --after.
        let mut args = args_without_all(&args_all, matches!(cursor, Cursor::First));
        async move {
            match cursor {
                Cursor::First => {}
                Cursor::After(c) => args.extend(["--after".into(), c.into()]),
                Cursor::Before(c) => args.extend(["--before".into(), c.into()]),
            }
            // The first page parsed the same line: this cannot fail unless
            // the server's cursor is unusable as an argument.
            let matches = tree
                .try_get_matches_from(args)
                .map_err(|e| Error::InvalidArgument(format!("the next page's cursor: {e}")))?;
            let (_, leaf) = chosen(&matches);
            execute(&client, cmd, leaf)
                .await
                .map_err(|failed| match failed {
                    ExecuteError::Sdk(e) => e,
                    ExecuteError::Input(message) => Error::InvalidArgument(message),
                })
        }
    });
    let mut writer = format.list_writer();
    let mut progress = output::Progress::new(std::io::stderr().is_terminal());
    let result = async {
        while let Some(page) = pages.try_next().await? {
            progress.page(page.items().len());
            writer.items(page.into_items())?;
        }
        Ok::<(), Failure>(())
    }
    .await;
    progress.done();
    result?;
    writer.finish()
}

/// The command line without `--all`, and without `--after` (and its value)
/// unless `keep_after`.
fn args_without_all(args: &[std::ffi::OsString], keep_after: bool) -> Vec<std::ffi::OsString> {
    let mut out = Vec::new();
    let mut skip_value = false;
    for arg in args {
        if std::mem::take(&mut skip_value) || arg == "--all" {
            continue;
        }
        if !keep_after && arg == "--after" {
            skip_value = true;
            continue;
        }
        if !keep_after && arg.to_string_lossy().starts_with("--after=") {
            continue;
        }
        out.push(arg.clone());
    }
    out
}

/// Keeps what the generated code hands over, as JSON.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Option<Value>>>);

impl Capture {
    fn take(&self) -> Value {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or(Value::Null)
    }

    fn keep<T: serde::Serialize>(&self, value: &T) {
        // Generated types always serialise; a failure would print `null`.
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
    }
}

impl CliConfig for Capture {
    fn success_item<T>(&self, value: &raw::ResponseValue<T>)
    where
        T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
    {
        self.keep(&**value);
    }

    fn success_no_item(&self, _: &raw::ResponseValue<()>) {}

    // Errors are reported by `execute`, after the SDK converts them.
    fn error<T>(&self, _: &raw::Error<T>)
    where
        T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
    {
    }

    // The list hooks serve progenitor's own pagination, which it generates
    // only for Dropshot-style APIs; `--all` uses the SDK's instead.
    fn list_start<T>(&self)
    where
        T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
    {
    }

    fn list_item<T>(&self, value: &T)
    where
        T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
    {
        self.keep(value);
    }

    fn list_end_success<T>(&self)
    where
        T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
    {
    }

    fn list_end_error<T>(&self, _: &raw::Error<T>)
    where
        T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
    {
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// clap's own consistency checks over the whole tree: a body field
    /// named like a global flag, or two commands on one name, fail here.
    #[test]
    fn the_command_tree_is_consistent() {
        command().debug_assert();
    }

    /// Every operation of the spec's table has a command, reachable by its
    /// words, and no command is left over.
    #[test]
    fn every_operation_is_a_command() {
        let root = command();
        for op in Operation::ALL {
            let cmd = CliCommand::iter()
                .find(|c| operation(*c) == Some(op))
                .unwrap_or_else(|| panic!("{} has no command", op.operation_id()));
            let mut found = &root;
            for word in cmd.words() {
                found = found
                    .find_subcommand(word)
                    .unwrap_or_else(|| panic!("`{}` is not reachable", cmd.words().join(" ")));
            }
            assert!(found.get_subcommands().next().is_none(), "a leaf");
        }
        assert_eq!(CliCommand::iter().count(), Operation::ALL.len());
    }
}
