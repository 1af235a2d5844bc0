//! The `opsdeck` command: the console by default, and scriptable subcommands.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
