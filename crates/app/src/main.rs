//! `ticorr`: the one binary. `main` only parses the command line and hands over.

use std::process::ExitCode;

mod cases;
mod cli;
mod config;
mod demo;
mod keys;
mod ledger;
mod witness;

fn main() -> ExitCode {
    let cli = <cli::Cli as clap::Parser>::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ticorr: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ticorr: {e:#}");
            ExitCode::FAILURE
        }
    }
}
