-- Per-upload speech detection settings (OpenAI's chunking_strategy), as JSON.
alter table events add column vad_options text;
