-- Set when no speech was found: the empty text is the answer, not a failure.
alter table transcripts add column no_speech integer not null default 0 check (no_speech in (0, 1));
