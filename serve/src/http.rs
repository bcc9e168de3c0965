//! The HTTP face: routes, the token, the per-client rate limit and the body limit. GraphQL
//! itself is [`crate::schema`]'s; this module only admits requests and hands them over.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_graphql::http::{GraphiQLSource, ALL_WEBSOCKET_PROTOCOLS};
use async_graphql_axum::{
    rejection::GraphQLRejection, GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket,
};
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State, WebSocketUpgrade};
use axum::http::{header, HeaderMap, HeaderValue, Request, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;

use crate::schema::{ApiSchema, Authorized};
use crate::{assets, App};

/// What the handlers share.
#[derive(Clone)]
pub struct Shared {
    /// The app state.
    pub app: Arc<App>,
    /// The schema with its limits.
    pub schema: ApiSchema,
    /// The bearer token, when the server has one.
    pub token: Option<Arc<str>>,
    /// Every request needs the token (the server listens beyond loopback).
    pub token_required: bool,
    limiter: Arc<RateLimiter>,
}

/// The routes, with the limits in front of them.
pub fn router(
    app: Arc<App>,
    schema: ApiSchema,
    token: Option<Arc<str>>,
    token_required: bool,
) -> Router {
    let limits = app.limits;
    let shared = Shared {
        limiter: Arc::new(RateLimiter::new(limits.rate_per_second, limits.rate_burst)),
        app,
        schema,
        token,
        token_required,
    };
    Router::new()
        .route("/", get(index))
        .route("/assets/{file}", get(asset))
        .route("/graphql", get(graphiql).post(graphql))
        .route("/graphql/ws", get(subscriptions))
        .route("/metrics", get(metrics_text))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .layer(middleware::from_fn_with_state(shared.clone(), admit))
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        .with_state(shared)
}

/// A GraphQL-shaped error body, so that clients read every refusal the same way.
fn refusal(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message }] });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn route_name(path: &str) -> &'static str {
    match path {
        "/graphql" => "graphql",
        "/graphql/ws" => "graphql_ws",
        "/metrics" => "metrics",
        "/healthz" => "healthz",
        "/readyz" => "readyz",
        p if p.starts_with("/assets/") => "assets",
        "/" => "dashboard",
        _ => "other",
    }
}

/// The gate every request passes: the client's rate, then (beyond loopback) the token.
async fn admit(
    State(s): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request<Body>,
    next: Next,
) -> Response {
    let route = route_name(req.uri().path());
    let open = matches!(route, "healthz" | "readyz" | "dashboard" | "assets");
    // A browser cannot set headers on a WebSocket: its token comes in `connection_init`.
    let token_in_band = route == "graphql_ws";
    let response = if !open && !s.limiter.allow(peer.ip()) {
        crate::metrics::limited("rate");
        let mut r = refusal(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "rate limit: more than {} requests per second from {}; slow down",
                s.app.limits.rate_per_second,
                peer.ip()
            ),
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        r
    } else if !open && !token_in_band && s.token_required && !carries_token(&s, req.headers()) {
        crate::metrics::limited("token");
        refusal(
            StatusCode::UNAUTHORIZED,
            "this server listens beyond loopback: send Authorization: Bearer <token>",
        )
    } else {
        next.run(req).await
    };
    crate::metrics::request(route, response.status().as_u16());
    response
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

fn carries_token(s: &Shared, headers: &HeaderMap) -> bool {
    match (&s.token, bearer(headers)) {
        (Some(t), Some(given)) => same_secret(t.as_bytes(), given.as_bytes()),
        _ => false,
    }
}

/// True when a WebSocket's `connection_init` payload carries the token
/// (`{"authorization": "Bearer TOKEN"}`).
fn init_carries(payload: &serde_json::Value, token: &str) -> bool {
    payload
        .get("authorization")
        .and_then(|a| a.as_str())
        .and_then(|a| a.strip_prefix("Bearer "))
        .is_some_and(|given| same_secret(token.as_bytes(), given.trim().as_bytes()))
}

/// Compares a secret in time that does not depend on where it differs.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn graphql(
    State(s): State<Shared>,
    headers: HeaderMap,
    req: Result<GraphQLRequest, GraphQLRejection>,
) -> Response {
    let req = match req {
        Ok(r) => r,
        Err(e) => {
            let status = match &e.0 {
                async_graphql::ParseRequestError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::BAD_REQUEST,
            };
            return refusal(
                status,
                &format!("cannot read the request: {}", one_line(&e.0)),
            );
        }
    };
    let authorized = carries_token(&s, &headers);
    GraphQLResponse::from(
        s.schema
            .execute(req.into_inner().data(Authorized(authorized)))
            .await,
    )
    .into_response()
}

/// A parse error as one line (serde's messages carry the position already).
fn one_line(e: &async_graphql::ParseRequestError) -> String {
    let text = match e {
        async_graphql::ParseRequestError::InvalidRequest(inner) => {
            format!("the body is not a GraphQL request in JSON ({inner})")
        }
        other => other.to_string(),
    };
    text.lines().next().unwrap_or_default().to_string()
}

async fn graphiql() -> impl IntoResponse {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .finish(),
    )
}

/// Subscriptions over WebSocket. The socket closes when the server stops, so that a drain
/// does not wait on a dashboard left open.
async fn subscriptions(
    State(s): State<Shared>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let schema = s.schema.clone();
    let mut stop = s.app.stopping();
    let required = s.token.clone().filter(|_| s.token_required);
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            let serve = GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    match required {
                        Some(token) if !init_carries(&payload, &token) => {
                            crate::metrics::limited("token");
                            Err(async_graphql::Error::new(
                                "this server listens beyond loopback: send {\"authorization\": \"Bearer <token>\"} in connection_init",
                            ))
                        }
                        _ => Ok(async_graphql::Data::default()),
                    }
                })
                .serve();
            tokio::select! {
                _ = serve => {}
                _ = stop.wait_for(|stopping| *stopping) => {}
            }
        })
}

async fn index() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        assets::INDEX,
    )
}

async fn asset(Path(file): Path<String>) -> Response {
    match assets::get(&file) {
        Some((bytes, mime)) => ([(header::CONTENT_TYPE, mime)], bytes).into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

async fn metrics_text(State(s): State<Shared>) -> Response {
    let app = s.app.clone();
    match tokio::task::spawn_blocking(move || crate::metrics::render(&app)).await {
        Ok(text) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "metrics failed").into_response(),
    }
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the store can be read now (one read transaction, not a whole snapshot).
async fn readyz(State(s): State<Shared>) -> Response {
    let app = s.app.clone();
    let ready = tokio::task::spawn_blocking(move || {
        app.ws
            .store()
            .and_then(|st| st.log_len().map(|_| ()).map_err(Into::into))
    })
    .await;
    match ready {
        Ok(Ok(())) if !*s.app.stopping().borrow() => (StatusCode::OK, "ready").into_response(),
        Ok(Ok(())) => (StatusCode::SERVICE_UNAVAILABLE, "stopping").into_response(),
        Ok(Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, format!("{e:#}")).into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "the check failed").into_response(),
    }
}

/// A token bucket per client address: `per_second` sustained, `burst` at once. Zero turns it
/// off.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

/// Past this many tracked clients, the full buckets are forgotten (they would allow a request
/// anyway).
const TRACKED_CLIENTS: usize = 4096;

impl RateLimiter {
    /// A limiter allowing `per_second` requests per second per client, `burst` at once.
    pub fn new(per_second: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            per_second: f64::from(per_second),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for a request from `ip`; false when it has none left.
    pub fn allow(&self, ip: IpAddr) -> bool {
        if self.per_second == 0.0 {
            return true;
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > TRACKED_CLIENTS {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = buckets.entry(ip).or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_past_its_burst_is_refused_and_others_are_not() {
        let l = RateLimiter::new(10, 5);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        assert!((0..5).all(|_| l.allow(a)));
        assert!(!l.allow(a));
        assert!(l.allow(b));
        assert!(RateLimiter::new(0, 0).allow(a));
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"ab"));
    }
}
