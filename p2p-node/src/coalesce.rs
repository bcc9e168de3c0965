//! Fewer, fuller noise frames.
//!
//! yamux flushes its socket after every frame it writes (a 12-byte window update, a
//! substream's SYN, each write of a substream), and noise seals every flush as a frame of its
//! own: 2 bytes of length and a 16-byte tag. A connection that opens a few substreams thus
//! spends a good part of its bytes on frames of a dozen bytes. [`Coalesce`] sits between noise
//! and what runs over it (the multistream-select of yamux, then yamux) and puts off a flush
//! until the task that asked for it has nothing more to write: the first `poll_flush` after a
//! write returns at once and wakes the task; the next one, if nothing was written in between,
//! flushes. Everything yamux writes in one poll of the connection then leaves as one noise
//! frame. Closing always flushes first. Nothing is weakened: the same bytes, sealed by the same
//! noise session, one poll of the connection later at most.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::future::{MapOk, TryFutureExt};
use futures::{AsyncRead, AsyncWrite};
use libp2p::core::upgrade::{InboundConnectionUpgrade, OutboundConnectionUpgrade, UpgradeInfo};
use libp2p::PeerId;

/// A stream whose flushes wait for the end of a burst of writes (see the module).
pub struct Coalesce<S> {
    inner: S,
    /// Bytes were written since the last flush that reached `inner`.
    dirty: bool,
    /// A flush was asked for and put off, and nothing has been written since.
    deferred: bool,
}

impl<S> Coalesce<S> {
    pub fn new(inner: S) -> Coalesce<S> {
        Coalesce {
            inner,
            dirty: false,
            deferred: false,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Coalesce<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Coalesce<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let n = std::task::ready!(Pin::new(&mut this.inner).poll_write(cx, buf))?;
        if n > 0 {
            this.dirty = true;
            this.deferred = false;
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.dirty && !this.deferred {
            // Put off: the caller may have more to write in this same poll. It is polled
            // again right away, and flushes then unless it wrote more.
            this.deferred = true;
            cx.waker().wake_by_ref();
            return Poll::Ready(Ok(()));
        }
        std::task::ready!(Pin::new(&mut this.inner).poll_flush(cx))?;
        this.dirty = false;
        this.deferred = false;
        Poll::Ready(Ok(()))
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // The inner close flushes what is buffered before closing.
        let this = &mut *self;
        std::task::ready!(Pin::new(&mut this.inner).poll_close(cx))?;
        this.dirty = false;
        this.deferred = false;
        Poll::Ready(Ok(()))
    }
}

/// A security upgrade (noise) whose authenticated stream is wrapped in [`Coalesce`].
#[derive(Clone)]
pub struct Coalescing<U>(pub U);

impl<U: UpgradeInfo> UpgradeInfo for Coalescing<U> {
    type Info = U::Info;
    type InfoIter = U::InfoIter;

    fn protocol_info(&self) -> Self::InfoIter {
        self.0.protocol_info()
    }
}

type Wrap<S> = fn((PeerId, S)) -> (PeerId, Coalesce<S>);

fn wrap<S>((peer, io): (PeerId, S)) -> (PeerId, Coalesce<S>) {
    (peer, Coalesce::new(io))
}

impl<C, S, U> InboundConnectionUpgrade<C> for Coalescing<U>
where
    U: InboundConnectionUpgrade<C, Output = (PeerId, S)>,
{
    type Output = (PeerId, Coalesce<S>);
    type Error = U::Error;
    type Future = MapOk<U::Future, Wrap<S>>;

    fn upgrade_inbound(self, io: C, info: Self::Info) -> Self::Future {
        self.0.upgrade_inbound(io, info).map_ok(wrap as Wrap<S>)
    }
}

impl<C, S, U> OutboundConnectionUpgrade<C> for Coalescing<U>
where
    U: OutboundConnectionUpgrade<C, Output = (PeerId, S)>,
{
    type Output = (PeerId, Coalesce<S>);
    type Error = U::Error;
    type Future = MapOk<U::Future, Wrap<S>>;

    fn upgrade_outbound(self, io: C, info: Self::Info) -> Self::Future {
        self.0.upgrade_outbound(io, info).map_ok(wrap as Wrap<S>)
    }
}
