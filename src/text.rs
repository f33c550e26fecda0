//! Text that reaches a person: which characters a name may not hold, and how anything printed
//! is made harmless.
//!
//! A terminal obeys the control characters it is sent (an escape sequence moves the cursor and
//! overwrites a line already printed), and the Unicode format characters, among them every
//! bidirectional control, reorder or hide what is shown. A record whose option names held such
//! characters could verify (every check passing on the bytes) and still *show* another result
//! than its JSON (issue #22, finding 3). So:
//!
//! * the manifest refuses them in the election id and in every contest, option and channel name
//!   ([`is_hidden`], `spec/protocol.md` §6.1), and
//! * whatever the command line prints goes through [`escape`] (or [`escape_json`]), so that no
//!   byte of an input, a record or a file name reaches the terminal as a control.

use std::borrow::Cow;
use std::fmt::Write;

/// The ranges of Unicode 16.0's general category `Cf` (format), which includes every
/// `Bidi_Control` character (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069).
const FORMAT: [(u32, u32); 21] = [
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

/// Whether `c` is a character that changes or hides what a terminal shows rather than showing
/// itself: a control (general category `Cc`: U+0000–U+001F, U+007F–U+009F, which includes
/// escape, carriage return, backspace and the C1 controls), a format character (`Cf`, which
/// includes every bidirectional control and the zero-width characters), or a line or paragraph
/// separator (`Zl` U+2028, `Zp` U+2029). No name of a manifest may hold one.
pub fn is_hidden(c: char) -> bool {
    let u = u32::from(c);
    c.is_control()
        || u == 0x2028
        || u == 0x2029
        || FORMAT.iter().any(|&(low, high)| (low..=high).contains(&u))
}

/// `text` with every [`is_hidden`] character written as `\u{…}` (its code point in lowercase
/// hex), newlines and tabs included: the result is one line that a terminal shows as it is.
/// Text without such characters is returned unchanged.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_hidden(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A JSON text with every [`is_hidden`] character written as a JSON escape (`\uXXXX`, a
/// surrogate pair above U+FFFF). Such characters only occur inside JSON strings (a JSON text's
/// structure is ASCII), where the escape means the same character, so the result is the same
/// JSON value; `serde_json` escapes U+0000–U+001F itself but writes U+007F–U+009F and the
/// format characters as they are.
pub fn escape_json(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_hidden) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_hidden(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_format_characters_and_separators_are_hidden() {
        for c in [
            '\0',
            '\t',
            '\n',
            '\r',
            '\u{1b}',
            '\u{7f}',
            '\u{9b}',
            '\u{ad}',
            '\u{61c}',
            '\u{200b}',
            '\u{200e}',
            '\u{200f}',
            '\u{202a}',
            '\u{202e}',
            '\u{2028}',
            '\u{2029}',
            '\u{2066}',
            '\u{2069}',
            '\u{feff}',
            '\u{1343f}',
            '\u{e0001}',
            '\u{e007f}',
        ] {
            assert!(is_hidden(c), "{:x}", u32::from(c));
        }
        for c in [
            ' ',
            'a',
            'é',
            '\u{301}',
            '\u{a0}',
            '\u{2027}',
            '\u{202f}',
            '\u{2065}',
            '\u{2070}',
            '\u{fffd}',
            '\u{e0000}',
            '\u{e0080}',
            '😀',
        ] {
            assert!(!is_hidden(c), "{:x}", u32::from(c));
        }
    }

    #[test]
    fn escaped_text_is_one_printable_line() {
        assert!(matches!(escape("Liz Truss"), Cow::Borrowed("Liz Truss")));
        assert_eq!(
            escape("a\u{1b}[2J\nall 11 checks passed\u{202e}"),
            "a\\u{1b}[2J\\u{a}all 11 checks passed\\u{202e}"
        );
        let json = "{\"name\":\"x\u{9b}2J\u{202e}\u{e0041}\"}";
        let escaped = escape_json(json);
        assert_eq!(escaped, "{\"name\":\"x\\u009b2J\\u202e\\udb40\\udc41\"}");
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(
            back,
            serde_json::from_str::<serde_json::Value>(json).unwrap()
        );
    }
}
