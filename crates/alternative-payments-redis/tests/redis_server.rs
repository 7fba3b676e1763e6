//! A real `redis-server` on a free loopback port, for the tests and the
//! fleet benchmark; stopped when dropped.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What a run without `redis-server` says.
pub const INSTALL: &str = "redis-server is not installed: apt-get update && apt-get install -y redis-server \
     (then: cargo test -p alternative-payments-redis -- --ignored)";

pub struct RedisServer {
    binary: String,
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts `redis-server` (or `$REDIS_SERVER`), or panics saying how to
    /// install it.
    pub fn start() -> Self {
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        Self::start_binary(&binary).unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn start_binary(binary: &str) -> Result<Self, String> {
        let port = alternative_payments_test_support::free_port();
        let mut server = Self {
            binary: binary.into(),
            port,
            child: None,
        };
        server.restart()?;
        Ok(server)
    }

    /// Starts the server again, on the same port, with no data.
    pub fn restart(&mut self) -> Result<(), String> {
        self.kill();
        let child = Command::new(&self.binary)
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--enable-debug-command",
                "local",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => INSTALL.to_string(),
                _ => format!("cannot start {}: {e}", self.binary),
            })?;
        self.child = Some(child);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if self.command::<String>(&["PING"]).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!(
            "{} did not answer on port {} within 10 s",
            self.binary, self.port
        ))
    }

    /// Stops the server at once (SIGKILL): connections drop mid-request.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// One command on a connection of its own.
    pub fn command<T: redis::FromRedisValue>(&self, args: &[&str]) -> redis::RedisResult<T> {
        let client = redis::Client::open(self.url())?;
        let mut connection = client.get_connection_with_timeout(Duration::from_secs(5))?;
        let mut cmd = redis::cmd(args[0]);
        for arg in &args[1..] {
            cmd.arg(*arg);
        }
        cmd.query(&mut connection)
    }

    /// `INFO commandstats`'s call count of `command` (lower case).
    pub fn calls(&self, command: &str) -> u64 {
        let text: String = self.command(&["INFO", "commandstats"]).unwrap_or_default();
        let prefix = format!("cmdstat_{command}:calls=");
        text.lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .and_then(|rest| rest.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
