#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| convo_clients::fuzzing::response_survey(data));
