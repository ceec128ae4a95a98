//! The load generator the HTTP benchmarks share: many keep-alive connections on loopback, each
//! sending requests until the total is reached, with requests per second and latency percentiles;
//! and the ceiling they are compared with, a bare axum "hello world" on the same machine.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Load on one kind of request: requests per second and latency percentiles.
pub struct Load {
    pub name: String,
    pub requests: usize,
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
}

/// Sends `total` requests from `concurrency` workers sharing one client; `request(client, i)`
/// builds the i-th. Every answer must be a success, or the load stops with the status.
pub async fn load<F>(name: &str, total: usize, concurrency: usize, request: F) -> anyhow::Result<Load>
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    let request = Arc::new(request);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (client, next, request) = (client.clone(), next.clone(), request.clone());
        workers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                let resp = request(&client, i).send().await?;
                let status = resp.status();
                let body = resp.bytes().await?;
                anyhow::ensure!(
                    status.is_success(),
                    "request {i} answered {status}: {}",
                    String::from_utf8_lossy(&body)
                );
                times.push(t.elapsed());
            }
            anyhow::Ok(times)
        }));
    }
    let mut times = Vec::with_capacity(total);
    for w in workers {
        times.extend(w.await??);
    }
    let elapsed = started.elapsed();
    anyhow::ensure!(!times.is_empty(), "no requests were sent for {name}");
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    Ok(Load {
        name: name.to_string(),
        requests: times.len(),
        per_second: times.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    })
}

/// GETs of one address, with a bearer token when given.
pub async fn load_get(
    name: &str,
    url: &str,
    token: Option<&str>,
    total: usize,
    concurrency: usize,
) -> anyhow::Result<Load> {
    let (url, token) = (url.to_string(), token.map(str::to_string));
    load(name, total, concurrency, move |client, _| {
        let req = client.get(&url);
        match &token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    })
    .await
}

/// Serves a bare axum "hello world" on a free loopback port: the ceiling of this machine.
pub async fn hello_world() -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "Hello, World!" }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(addr)
}

/// The hello-world ceiling loaded with `total` GETs at `concurrency`.
pub async fn ceiling(total: usize, concurrency: usize) -> anyhow::Result<Load> {
    let hello = hello_world().await?;
    let url = format!("http://{hello}/");
    load_get("warm-up", &url, None, concurrency, concurrency).await?;
    load_get("bare axum hello world (the ceiling)", &url, None, total, concurrency).await
}
