-- What the stt job does: transcribe in the spoken language, or translate to English.
alter table events add column task text not null default 'transcribe'
    check (task in ('transcribe', 'translate'));
