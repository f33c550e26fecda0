#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nullivote_fuzz::board_log(data));
