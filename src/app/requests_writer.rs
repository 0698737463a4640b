//! `requests.parquet` written beside the simulation: the engine fills column batches while a
//! thread of the application's encodes and compresses the full ones.
//!
//! Batches go to the encoder through a channel of two (so at most a few row groups are in
//! memory) and come back empty to be refilled. It decides that the encoding runs on its own
//! thread and how a failure there reaches the caller (as an error naming the file, the run
//! stopped early); it must not decide the file's contents ([`crate::report::requests_parquet`]).

use std::path::Path;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

use anyhow::{Result, anyhow};

use crate::report::requests_parquet::{
    RequestColumns, RequestNames, RequestsParquet, RequestsParquetFile, RowGroupOut,
};

/// Full batches waiting for the encoder, at most.
const QUEUED_BATCHES: usize = 2;

/// The engine's end of the channels.
pub struct ToEncoder {
    full: SyncSender<RequestColumns>,
    empty: Receiver<RequestColumns>,
}

impl RowGroupOut for ToEncoder {
    fn hand_over(&mut self, full: RequestColumns) -> Option<RequestColumns> {
        self.full.send(full).ok()?;
        Some(
            self.empty
                .try_recv()
                .unwrap_or_else(|_| RequestColumns::for_row_group()),
        )
    }
}

/// Runs `run` with a sink that writes `path` (rows named from `names`, with `client_retries`
/// when clients retry by themselves), encoding on a second thread; returns what `run` returned
/// once the file is complete, or the error that stopped the file.
pub fn write_requests_parquet<T>(
    path: &Path,
    names: &RequestNames,
    client_retries: bool,
    run: impl FnOnce(&mut RequestsParquet<'_, ToEncoder>) -> Result<T>,
) -> Result<T> {
    let file = RequestsParquetFile::create(path, names, client_retries)?;
    let (full_tx, full_rx) = sync_channel(QUEUED_BATCHES);
    let (empty_tx, empty_rx) = channel();
    std::thread::scope(|scope| {
        let encoder = scope.spawn(move || encode(file, full_rx, empty_tx));
        let out = ToEncoder {
            full: full_tx,
            empty: empty_rx,
        };
        let mut sink = RequestsParquet::new(names, out);
        let result = run(&mut sink);
        let (rest, out) = sink.finish();
        if !rest.is_empty() {
            // A closed channel means the encoder failed; joining it reports why.
            let _ = out.full.send(rest);
        }
        drop(out);
        let encoded = encoder
            .join()
            .map_err(|_| anyhow!("the writer of {} stopped unexpectedly", path.display()))?;
        encoded?;
        result
    })
}

/// The encoder's loop: writes each full batch as a row group, returns it empty, and closes the
/// file once the engine's end hangs up.
fn encode(
    mut file: RequestsParquetFile,
    full: Receiver<RequestColumns>,
    empty: Sender<RequestColumns>,
) -> Result<()> {
    for mut batch in full {
        file.write(&batch)?;
        batch.clear();
        // The engine may have finished and stopped taking batches back.
        let _ = empty.send(batch);
    }
    file.close()
}
