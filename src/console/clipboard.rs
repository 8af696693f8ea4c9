//! Copying to the clipboard with OSC 52: the terminal itself puts the text on the clipboard, so
//! it works over SSH and in tmux (with `set -g set-clipboard on`) without any clipboard tool.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Longest text sent: many terminals ignore bigger OSC 52 payloads (tmux's default buffer
/// limit is around 100 kB of base64).
pub const MAX_COPY_BYTES: usize = 74_000;

/// The escape sequence that puts `text` on the system clipboard, or `None` when it is too big.
pub fn osc52(text: &str) -> Option<String> {
    (text.len() <= MAX_COPY_BYTES).then(|| format!("\x1b]52;c;{}\x07", STANDARD.encode(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_the_text_in_base64() {
        assert_eq!(osc52("hi").as_deref(), Some("\x1b]52;c;aGk=\x07"));
        assert!(osc52(&"x".repeat(MAX_COPY_BYTES + 1)).is_none());
    }
}
