//! Running the server: the token rule, binding, the live feed, the optional node, and a drain
//! on shutdown (SIGTERM: requests in flight finish, WebSockets close, exit 0).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use attrib_p2p_node::{MemberNames, NodeConfig};
use attrib_workspace::Workspace;

use crate::schema::reports::NodeEvent;
use crate::{App, Limits};

/// How to serve.
pub struct ServeConfig {
    /// The address to listen on (port 0: a free one).
    pub listen: SocketAddr,
    /// The bearer token: mutations need it, and beyond loopback every request does.
    pub token: Option<String>,
    /// Request and client limits.
    pub limits: Limits,
    /// Run the peer-to-peer node in this process too, with this config and member names.
    pub node: Option<(NodeConfig, MemberNames)>,
}

/// Why the server could not run. Each displays as one line.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A non-loopback address without a token.
    #[error("{0} is not a loopback address: serving beyond this machine needs --token-file FILE (a bearer token every client must send)")]
    TokenRequired(SocketAddr),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The store could not be opened.
    #[error("{0:#}")]
    Store(anyhow::Error),
    /// The HTTP server failed.
    #[error("the server failed: {0}")]
    Http(std::io::Error),
    /// The node failed.
    #[error("{0}")]
    Node(attrib_p2p_node::RunError),
}

/// What the server reports as it runs, for the front end to print.
#[derive(Clone, Debug)]
pub enum ServeEvent {
    /// Listening: the dashboard is at `http://ADDR/`.
    Listening(SocketAddr),
    /// The in-process node did something.
    Node(attrib_p2p_node::NodeEvent),
    /// The server drained and stopped.
    Stopped,
}

/// Serves `ws` until `shutdown` resolves, reporting to `on_event`. Must run in a
/// multi-thread tokio runtime.
pub async fn serve<S, F>(
    ws: Arc<Workspace>,
    config: ServeConfig,
    shutdown: S,
    mut on_event: F,
) -> Result<(), ServeError>
where
    S: Future<Output = ()> + Send,
    F: FnMut(ServeEvent),
{
    if !config.listen.ip().is_loopback() && config.token.is_none() {
        return Err(ServeError::TokenRequired(config.listen));
    }
    ws.store().map_err(ServeError::Store)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(ServeError::Http)?;
    crate::metrics::handle();

    let app = Arc::new(App::new(ws, config.limits));
    let schema = crate::schema::build(app.clone());
    let token_required = !addr.ip().is_loopback();
    let router = crate::http::router(
        app.clone(),
        schema,
        config.token.map(Arc::from),
        token_required,
    );
    let feed = {
        let app = app.clone();
        std::thread::Builder::new()
            .name("attrib-feed".into())
            .spawn(move || crate::feed::follow(app))
            .map_err(ServeError::Http)?
    };
    tracing::info!(%addr, "serving");
    on_event(ServeEvent::Listening(addr));

    let stopping = {
        let mut stop = app.stopping();
        async move {
            let _ = stop.wait_for(|s| *s).await;
        }
    };
    let trigger = {
        let app = app.clone();
        async move {
            shutdown.await;
            tracing::info!("stopping: draining requests");
            app.stop();
        }
    };
    let http = async {
        let served = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stopping)
        .await;
        // The HTTP side ended (a drain, or a failure): everything else stops with it.
        app.stop();
        served.map_err(ServeError::Http)
    };
    // Node events reach `on_event` (which is not `Send`) through a channel, and subscribers
    // through the app's broadcast.
    let (events_tx, mut events_rx) = tokio::sync::mpsc::unbounded_channel();
    let node_tx = app.node_events.clone();
    let node_app = app.clone();
    let node_config = config.node;
    let node = async move {
        let app = node_app;
        let Some((node_config, names)) = node_config else {
            return Ok(());
        };
        let mut stop = app.stopping();
        let until = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        let ran = attrib_p2p_node::run_until(node_config, names, until, |event| {
            let _ = node_tx.send(NodeEvent::of(&event));
            let _ = events_tx.send(event);
        })
        .await;
        if ran.is_err() {
            app.stop();
        }
        ran.map_err(ServeError::Node)
    };
    let printer = async {
        // Ends when the node's side drops its sender (at once without a node).
        while let Some(e) = events_rx.recv().await {
            on_event(ServeEvent::Node(e));
        }
        on_event
    };
    let (_, served, ran, mut on_event) = tokio::join!(trigger, http, node, printer);
    let _ = tokio::task::spawn_blocking(move || feed.join()).await;
    served?;
    ran?;
    on_event(ServeEvent::Stopped);
    Ok(())
}

impl NodeEvent {
    /// The API's form of a node event.
    pub fn of(e: &attrib_p2p_node::NodeEvent) -> NodeEvent {
        use attrib_p2p_node::NodeEvent as E;
        let (kind, peer, name, total) = match e {
            E::Started { peer_id } => ("started", Some(peer_id.clone()), None, None),
            E::SwarmKey { .. } => ("swarm-key", None, None, None),
            E::Listening { .. } => ("listening", None, None, None),
            E::Connected { peer, name } => ("connected", Some(peer.clone()), name.clone(), None),
            E::Synced { peer, name } => ("synced", Some(peer.clone()), name.clone(), None),
            E::Disconnected { peer, name } => {
                ("disconnected", Some(peer.clone()), name.clone(), None)
            }
            E::Received { total } => ("received", None, None, Some(*total)),
            E::Refused { total } => ("refused", None, None, Some(*total)),
            E::Stopped => ("stopped", None, None, None),
        };
        NodeEvent {
            kind: kind.to_string(),
            line: e.to_string(),
            peer,
            name,
            total,
        }
    }
}
