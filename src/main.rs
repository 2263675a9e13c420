//! The `gradbook` binary: parse arguments, dispatch, print the error chain, set the exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = gradbook::cli::Cli::parse();
    // Chapters render on the pool's threads rather than on a thread each. (Building the
    // global pool fails only if it exists already; then chapters get a thread each.)
    let _ = gradbook::site::chapter::deep_stack_pool().build_global();
    gradbook::site::markdown::silence_caught_panics();
    match gradbook::cmd::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("caused by: {cause}");
            }
            ExitCode::from(1)
        }
    }
}
