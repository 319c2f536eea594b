//! Token vocabulary: CTranslate2's `vocabulary.txt` holds tokens in GPT-2's
//! byte-to-unicode alphabet; whisper.cpp wants the raw bytes of each token
//! before `<|endoftext|>`.

use super::ImportError;
use std::collections::HashMap;

/// GPT-2's `bytes_to_unicode` inverted: printable stand-in char → byte.
fn unicode_to_byte() -> HashMap<char, u8> {
    let mut printable: Vec<u32> = (u32::from(b'!')..=u32::from(b'~')).collect();
    printable.extend(0xA1..=0xAC);
    printable.extend(0xAE..=0xFF);
    let mut map = HashMap::with_capacity(256);
    let mut extra = 0;
    for b in 0u32..256 {
        let ch = if printable.contains(&b) {
            b
        } else {
            extra += 1;
            255 + extra
        };
        map.insert(char::from_u32(ch).unwrap_or('\u{0}'), b as u8);
    }
    map
}

/// Decodes the vocabulary text into raw token bytes, stopping at `<|endoftext|>`.
pub fn decode_vocabulary(text: &str) -> Result<Vec<Vec<u8>>, ImportError> {
    let map = unicode_to_byte();
    let mut tokens = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        if line == "<|endoftext|>" {
            return Ok(tokens);
        }
        let bytes = line
            .chars()
            .map(|c| map.get(&c).copied())
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| {
                ImportError::Format(format!(
                    "vocabulary.txt line {}: {line:?} is not in GPT-2's byte alphabet",
                    line_no + 1
                ))
            })?;
        tokens.push(bytes);
    }
    Err(ImportError::Format(
        "vocabulary.txt has no <|endoftext|> token".into(),
    ))
}

/// Encodes raw bytes into the GPT-2 alphabet (used to build test vocabularies).
pub fn encode_token(bytes: &[u8]) -> String {
    let map = unicode_to_byte();
    let inverse: HashMap<u8, char> = map.into_iter().map(|(c, b)| (b, c)).collect();
    bytes.iter().map(|b| inverse[b]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_space_and_newline_back_to_bytes() {
        let text = "Ġhello\nĊ\nÃ©\n<|endoftext|>\n<|startoftranscript|>\n";
        let toks = decode_vocabulary(text).unwrap();
        assert_eq!(
            toks,
            vec![b" hello".to_vec(), b"\n".to_vec(), "é".as_bytes().to_vec()]
        );
    }

    #[test]
    fn every_byte_round_trips() {
        let all: Vec<u8> = (0..=255).collect();
        let enc = encode_token(&all);
        let dec = decode_vocabulary(&format!("{enc}\n<|endoftext|>")).unwrap();
        assert_eq!(dec, vec![all]);
    }

    #[test]
    fn missing_end_token_is_an_error() {
        assert!(decode_vocabulary("a\nb\n").is_err());
    }
}
