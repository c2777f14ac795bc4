//! Cancellation: SIGINT or SIGTERM to this process (how a CI runner cancels a step) is
//! turned into a value the process engine selects on, so the smoke's tree is ended and the
//! envelope still written.

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// 1 for the first signal; a second asks to kill at once.
    pub count: u32,
    pub signal: &'static str,
}

#[derive(Clone)]
pub struct Cancel {
    rx: watch::Receiver<Option<Request>>,
    /// Keeps the channel of [`Cancel::never`] open, so waiting on it waits forever.
    _never: Option<std::sync::Arc<watch::Sender<Option<Request>>>>,
}

impl Cancel {
    /// Installs the handlers; must run inside the runtime, before anything is spawned.
    pub fn listen() -> std::io::Result<Self> {
        let mut int = signal(SignalKind::interrupt())?;
        let mut term = signal(SignalKind::terminate())?;
        let (tx, rx) = watch::channel(None);
        tokio::spawn(async move {
            loop {
                let name = tokio::select! {
                    Some(()) = int.recv() => "SIGINT",
                    Some(()) = term.recv() => "SIGTERM",
                    else => return,
                };
                tx.send_modify(|req: &mut Option<Request>| {
                    let count = req.map_or(0, |r| r.count) + 1;
                    *req = Some(Request { count, signal: name });
                });
            }
        });
        Ok(Cancel { rx, _never: None })
    }

    /// A token that is never cancelled, for callers without signal handling.
    pub fn never() -> Self {
        let (tx, rx) = watch::channel(None);
        Cancel { rx, _never: Some(std::sync::Arc::new(tx)) }
    }

    pub fn requested(&self) -> Option<Request> {
        *self.rx.borrow()
    }

    /// Resolves at the next cancellation request.
    pub async fn changed(&mut self) -> Request {
        loop {
            if self.rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
            if let Some(req) = *self.rx.borrow_and_update() {
                return req;
            }
        }
    }
}
