//! A line sink: JSON records queued on a channel and written by one
//! background thread, so the request path never blocks on I/O.

use once_cell::sync::OnceCell;
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use std::sync::mpsc::{channel, Sender};

/// A JSON-lines output set up once at start.
pub struct LineSink(OnceCell<Sender<String>>);

impl LineSink {
    /// An unset sink (writes are dropped until [`LineSink::init`]).
    pub const fn new() -> LineSink {
        LineSink(OnceCell::new())
    }

    /// Starts the writer thread for `out`. Later calls are ignored.
    pub fn init(&self, name: &str, mut out: Box<dyn Write + Send>) -> std::io::Result<()> {
        let (tx, rx) = channel::<String>();
        if self.0.set(tx).is_err() {
            return Ok(());
        }
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                while let Ok(line) = rx.recv() {
                    let _ = out.write_all(line.as_bytes());
                    while let Ok(more) = rx.try_recv() {
                        let _ = out.write_all(more.as_bytes());
                    }
                    let _ = out.flush();
                }
            })?;
        Ok(())
    }

    /// Queues one record as a JSON line.
    pub fn write<T: Serialize>(&self, record: &T) {
        if let Some(tx) = self.0.get() {
            if let Ok(mut s) = serde_json::to_string(record) {
                s.push('\n');
                let _ = tx.send(s);
            }
        }
    }
}

impl Default for LineSink {
    fn default() -> Self {
        Self::new()
    }
}

/// Opens a file for appending.
pub fn append(path: &Path) -> std::io::Result<Box<dyn Write + Send>> {
    Ok(Box::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?,
    ))
}
