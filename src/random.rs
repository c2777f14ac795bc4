//! Unguessable tokens for `::stop-commands::` fences and `$GITHUB_OUTPUT` delimiters: a
//! smoke that could predict one could end the fence or forge an output.

/// 32 hex digits from the operating system's random source.
pub fn token() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness is close to impossible on the platforms we ship; fall back to
        // something that still differs per process and per call.
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        bytes = (nanos ^ u128::from(std::process::id()) << 64).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
