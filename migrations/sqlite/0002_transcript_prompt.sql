-- The initial prompt whisper was given (glossary, configured and per-upload text).
alter table transcripts add column prompt text;
