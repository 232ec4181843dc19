//! The command-line edge: parse flags, run a command, print, map to an exit code.

mod args;
mod compare;
mod diagnose;
mod explain;
mod init;
mod output;
mod probe;
mod providers;
mod run;
mod serve;
mod stdout;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, FromArgMatches};

pub use args::{Cli, ColorChoice, Command, GlobalArgs};

use crate::exit;
use crate::provider::Registry;

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let mut command = Cli::command();
    let matches = match command.try_get_matches_from_mut(std::env::args_os()) {
        Ok(matches) => matches,
        // the examples name the default profile's authorization URL, which takes loading the
        // profile: done only when the help that shows them is printed, not on every start
        Err(e)
            if e.kind() == ErrorKind::DisplayHelp
                || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand =>
        {
            command = command.after_help(args::examples());
            command.get_matches_mut()
        }
        Err(e) => e.exit(),
    };
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.format(&mut command).exit());
    set_color(cli.color);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            return fail(
                &anyhow::anyhow!(e).context("failed to start the async runtime"),
                exit::INPUT,
            )
            .into();
        }
    };
    let code = runtime.block_on(dispatch(cli));
    ExitCode::from(code)
}

async fn dispatch(cli: Cli) -> u8 {
    let global = cli.command.global();
    let registry = match registry(&global) {
        Ok(registry) => registry,
        Err(e) => return fail(&e, exit::INPUT),
    };
    let result = match cli.command {
        Command::Run(args) => run::run(args, &global, registry).await,
        Command::Compare(args) => compare::compare(args, &global, registry).await,
        Command::Providers(args) => providers::providers(args, &registry),
        Command::Serve(args) => serve::serve(args, &global, &registry).await,
        Command::Probe(args) => probe::probe(*args, &global, registry).await,
        Command::Diagnose(args) => diagnose::diagnose(args, &registry).await,
        Command::Explain(args) => explain::explain(args),
        Command::Init(args) => init::init(&args),
    };
    match result {
        Ok(code) => code,
        // the reader went away (`| head`): nothing is wrong and nobody is listening
        Err(e) if stdout::is_closed_pipe(&e) => exit::OK,
        Err(e) => fail(&e, exit::INPUT),
    }
}

fn registry(global: &GlobalArgs) -> anyhow::Result<Registry> {
    let mut registry = Registry::builtin();
    for file in &global.profile_files {
        registry.add_file(file)?;
    }
    Ok(registry)
}

fn set_color(choice: ColorChoice) {
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    colored::control::set_override(on);
}

/// Prints an error with its whole chain on stderr and returns `code`.
fn fail(error: &anyhow::Error, code: u8) -> u8 {
    stdout::eprint_line(&format!(
        "{} {}",
        colored::Colorize::bold(colored::Colorize::red("error:")),
        crate::report::github::neutralise(&format!("{error:#}"))
    ));
    code
}

/// Whether snapshot writes are off. As in insta: off when `CI` is set, unless `INSTA_UPDATE`
/// asks for files (`new`, `unseen`, `always`: a CI job that uploads pending `.snap.new` files);
/// `INSTA_UPDATE=no` turns them off anywhere.
pub fn ci() -> bool {
    match std::env::var("INSTA_UPDATE").as_deref() {
        Ok("no" | "0") => return true,
        Ok("new" | "unseen" | "always" | "1") => return false,
        _ => {}
    }
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
}
