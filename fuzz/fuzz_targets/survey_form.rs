#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| frontline_fuzz::survey_form(data));
