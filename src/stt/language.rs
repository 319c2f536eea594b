//! Which language whisper hears: `auto` (detected) or a whisper language code.

/// Language selection for transcription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Language {
    /// Let whisper detect the spoken language.
    Auto,
    /// A whisper language code such as `es` or `en`.
    Code(String),
}

impl Language {
    /// Parses `auto` or a language code known to whisper.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        if s == "auto" || s.is_empty() {
            return Ok(Self::Auto);
        }
        // whisper's codes are short ASCII words; anything else (a NUL byte
        // would make whisper-rs panic) is not one.
        let plausible = s.len() <= 16 && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
        if plausible && whisper_rs::get_lang_id(&s).is_some() {
            Ok(Self::Code(s))
        } else {
            let shown: String = s.chars().take(32).collect();
            Err(format!(
                "unknown language {shown:?} (use a whisper language code such as es or en, or auto)"
            ))
        }
    }

    /// `auto` or the code.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Auto => "auto",
            Self::Code(c) => c,
        }
    }
}
