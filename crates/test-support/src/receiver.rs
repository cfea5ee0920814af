//! A minimal HTTP receiver for webhook tests: listens on 127.0.0.1:0, answers every POST
//! with a chosen status, and records each request's headers and body.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub headers: HeaderMap,
    pub body: String,
}

#[derive(Default)]
struct Shared {
    deliveries: Mutex<Vec<Delivery>>,
    status: AtomicU16,
}

/// A running receiver; it stops when dropped.
pub struct Receiver {
    /// The address to register, e.g. `http://127.0.0.1:40123/hook`.
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

async fn receive(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    shared.deliveries.lock().expect("lock").push(Delivery {
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    StatusCode::from_u16(shared.status.load(Ordering::SeqCst)).unwrap_or(StatusCode::OK)
}

impl Receiver {
    /// A receiver answering `status` until told otherwise.
    pub async fn start(status: u16) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let shared = Arc::new(Shared::default());
        shared.status.store(status, Ordering::SeqCst);
        let app = axum::Router::new()
            .route("/hook", post(receive))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            shared,
            task,
        }
    }

    /// Answer `status` from now on.
    pub fn answer(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.deliveries.lock().expect("lock").clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
