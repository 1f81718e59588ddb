//! A response body written as it is read: what a route that streams (the long task list, the export) sends
//! into a channel with room for a few chunks, so the writer waits for the client and a request holds at most
//! those chunks in memory. An `Err` sent ends the body as broken (the chunked encoding never ends), so a client
//! sees a broken response, never a shorter valid one.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll},
};

use hyper::body::{Bytes, Frame};
use tokio::sync::mpsc;

/// A response body fed by a channel; an `Err` ends it as broken.
pub struct ChannelBody(pub mpsc::Receiver<Result<Bytes, io::Error>>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.0.poll_recv(cx).map(|item| item.map(|chunk| chunk.map(Frame::data)))
    }
}
