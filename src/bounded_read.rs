//! Reading a file the tool does not control (a task file, the registry, the event payload,
//! the runner's file-command files, JUnit reports, shard envelopes) without letting it
//! stall the tool or take its memory: the file is opened without blocking (a FIFO cannot
//! hang the open), must be a regular file (not `/dev/zero`, a FIFO, a socket or a folder),
//! and is read up to a cap.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Configuration: task files and the registry.
pub const CONFIG_CAP: u64 = 1024 * 1024;
/// The event payload (GitHub sends at most 25 MiB).
pub const EVENT_CAP: u64 = 25 * 1024 * 1024;
/// JUnit reports, shard envelopes and the runner's file-command files.
pub const REPORT_CAP: u64 = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReadError {
    #[error("`{}` does not exist", path.display())]
    NotFound { path: PathBuf },
    #[error("`{}` is {kind}, not a regular file", path.display())]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error("`{}` is larger than the {} allowed", path.display(), size(*cap))]
    TooLarge { path: PathBuf, cap: u64 },
    #[error("`{}` could not be read: {message}", path.display())]
    Io { path: PathBuf, message: String },
}

/// The whole file, when it is a regular file of at most `cap` bytes.
pub fn read(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::NotFound { path: path.to_owned() },
        _ => ReadError::Io { path: path.to_owned(), message: e.to_string() },
    };
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer for ever.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path)
        .map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if let Some(kind) = not_regular(&meta.file_type()) {
        return Err(ReadError::NotAFile { path: path.to_owned(), kind });
    }
    if meta.len() > cap {
        return Err(ReadError::TooLarge { path: path.to_owned(), cap });
    }
    // The size may grow while we read (a file still being written): the cap holds anyway.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(cap + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > cap {
        return Err(ReadError::TooLarge { path: path.to_owned(), cap });
    }
    Ok(bytes)
}

/// The same, as UTF-8 text.
pub fn read_text(path: &Path, cap: u64) -> Result<String, ReadError> {
    String::from_utf8(read(path, cap)?)
        .map_err(|e| ReadError::Io { path: path.to_owned(), message: format!("not UTF-8 text: {e}") })
}

/// What a path that is not a regular file is, for the message; `None` for a regular file.
pub fn not_regular(kind: &std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_file() {
        None
    } else if kind.is_dir() {
        Some("a folder")
    } else if kind.is_fifo() {
        Some("a FIFO")
    } else if kind.is_char_device() || kind.is_block_device() {
        Some("a device")
    } else if kind.is_socket() {
        Some("a socket")
    } else {
        Some("not a regular file")
    }
}

fn size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 { format!("{} MiB", bytes / (1024 * 1024)) } else { format!("{bytes} bytes") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_regular_files_up_to_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"hello").unwrap();
        assert_eq!(read(&path, 5).unwrap(), b"hello");
        assert!(matches!(read(&path, 4), Err(ReadError::TooLarge { cap: 4, .. })));
        let missing = dir.path().join("missing");
        assert!(matches!(read(&missing, 4), Err(ReadError::NotFound { .. })));
    }

    #[test]
    fn special_files_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let err = read(&fifo, 1024).unwrap_err();
        assert_eq!(err.to_string(), format!("`{}` is a FIFO, not a regular file", fifo.display()));
        assert!(matches!(
            read(Path::new("/dev/zero"), 1024),
            Err(ReadError::NotAFile { kind: "a device", .. })
        ));
        assert!(matches!(read(dir.path(), 1024), Err(ReadError::NotAFile { kind: "a folder", .. })));
    }
}
