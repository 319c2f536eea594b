//! Text whisper writes over non-speech never reaches a transcript: bracketed
//! tags (`[Música]`, `(music)`, `[BLANK_AUDIO]`, `♪`) are removed, and a
//! segment whisper itself judges as probably not speech and decoded with low
//! confidence is dropped (faster-whisper's rule: no-speech probability above
//! 0.6 and average log-probability below −1).

use super::Segment;

/// Removes bracketed tags and music symbols; trims what is left.
pub fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth_sq = 0usize;
    let mut depth_par = 0usize;
    for c in text.chars() {
        match c {
            '[' => depth_sq += 1,
            ']' if depth_sq > 0 => depth_sq -= 1,
            '(' => depth_par += 1,
            ')' if depth_par > 0 => depth_par -= 1,
            '♪' | '♫' | '♬' | '♩' => {}
            _ if depth_sq == 0 && depth_par == 0 => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a segment is whisper's guess at words over non-speech.
fn invented(s: &Segment) -> bool {
    s.no_speech_prob > 0.6 && s.avg_logprob < -1.0
}

/// Keeps the segments that carry speech, with tags removed.
pub fn speech_only(segments: Vec<Segment>) -> Vec<Segment> {
    segments
        .into_iter()
        .filter(|s| !invented(s))
        .filter_map(|mut s| {
            let text = strip_tags(&s.text);
            let trimmed = text.trim_matches(|c: char| !c.is_alphanumeric());
            if trimmed.is_empty() {
                return None;
            }
            if text != s.text {
                s.words.retain(|w| !strip_tags(&w.word).is_empty());
                s.text = text;
            }
            Some(s)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(text: &str) -> Segment {
        Segment {
            text: text.into(),
            ..Default::default()
        }
    }

    #[test]
    fn tags_and_invented_text_are_dropped() {
        assert_eq!(strip_tags("[Música]"), "");
        assert_eq!(strip_tags("(music)"), "");
        assert_eq!(strip_tags("♪♪"), "");
        assert_eq!(strip_tags("[BLANK_AUDIO]"), "");
        assert_eq!(strip_tags("Hola [Música] a todos"), "Hola a todos");
        let mut low = seg("Gracias por ver el video");
        low.no_speech_prob = 0.9;
        low.avg_logprob = -1.4;
        let kept = speech_only(vec![
            seg("[Música]"),
            seg("hay que hacer deploy"),
            low,
            seg(" - "),
        ]);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].text, "hay que hacer deploy");
    }
}
