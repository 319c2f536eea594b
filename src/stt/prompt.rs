//! whisper's initial prompt: glossary terms first (`WHISPER_GLOSSARY`), then
//! `WHISPER_INITIAL_PROMPT`, then the upload's `prompt`, trimmed to whisper's
//! prompt budget (whisper.cpp keeps only the last n_text_ctx/2 tokens, which
//! would drop the glossary first; trimming here keeps it).

/// Tokens whisper.cpp keeps of a prompt (448 / 2 − 1).
pub const PROMPT_TOKEN_BUDGET: usize = 223;

/// Builds the prompt; `fits` says whether a candidate is within the budget.
pub fn build(
    glossary: &[String],
    initial: Option<&str>,
    upload: Option<&str>,
    fits: impl Fn(&str) -> bool,
) -> Option<String> {
    let mut prompt = String::new();
    let mut terms = Vec::new();
    for term in glossary {
        terms.push(term.as_str());
        if !fits(&format!("{}.", terms.join(", "))) {
            terms.pop();
        }
    }
    if !terms.is_empty() {
        prompt = format!("{}.", terms.join(", "));
    }
    for text in [initial, upload].into_iter().flatten() {
        for word in text.split_whitespace() {
            let candidate = if prompt.is_empty() {
                word.to_string()
            } else {
                format!("{prompt} {word}")
            };
            if !fits(&candidate) {
                break;
            }
            prompt = candidate;
        }
    }
    (!prompt.is_empty()).then_some(prompt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words_fit(max: usize) -> impl Fn(&str) -> bool {
        move |s: &str| s.split_whitespace().count() <= max
    }

    #[test]
    fn glossary_first_then_configured_then_upload() {
        let g = vec![
            "deploy".to_string(),
            "pull request".to_string(),
            "Kubernetes".to_string(),
        ];
        let p = build(
            &g,
            Some("Notas de voz del equipo."),
            Some("sprint review"),
            words_fit(100),
        )
        .unwrap();
        assert_eq!(
            p,
            "deploy, pull request, Kubernetes. Notas de voz del equipo. sprint review"
        );
    }

    #[test]
    fn trimmed_to_the_budget_keeping_the_glossary() {
        let g = vec!["deploy".to_string(), "pull request".to_string()];
        let p = build(
            &g,
            Some("uno dos tres cuatro cinco seis"),
            Some("siete ocho"),
            words_fit(6),
        )
        .unwrap();
        assert_eq!(p, "deploy, pull request. uno dos tres");
        assert_eq!(build(&[], None, Some("  "), words_fit(6)), None);
    }
}
