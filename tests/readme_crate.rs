//! The README's library example, as a new user meets it (issue 24): pasted as `src/main.rs`
//! into a fresh crate whose `Cargo.toml` has exactly the dependency lines the README gives (the
//! path pointing at this repository), built with cargo and run. It must compile with nothing
//! else (no `rand_core` or `curve25519-dalek` of a matching version) and print its result.
//!
//! The fresh crate gets this repository's `Cargo.lock`, so it builds offline with the versions
//! the rest of the tests use, in its own target directory (`target/readme-crate`).

use std::path::{Path, PathBuf};
use std::process::Command;

const README: &str = include_str!("../README.md");

/// The body of the first fenced block tagged exactly `tag` after the heading `section`.
fn block<'a>(section: &str, tag: &str) -> &'a str {
    let readme: &'a str = README;
    let start = readme.find(section).expect("the README has the section");
    let fence = format!("```{tag}\n");
    let open = start
        + readme[start..]
            .find(&fence)
            .expect("the section has the block")
        + fence.len();
    let close = open + readme[open..].find("\n```").expect("the block is closed");
    &readme[open..=close]
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
            PathBuf::from,
        )
        .join("readme-crate")
}

#[test]
fn the_readme_library_example_builds_and_runs_in_a_fresh_crate() {
    let section = "## A whole election through the library";
    let dependencies = block(section, "toml");
    let main = block(section, "rust");
    assert!(
        !main.lines().any(|l| l.trim_start().starts_with("# ")),
        "no hidden doctest lines"
    );
    assert!(!main.contains("curve25519"), "no curve25519-dalek import");

    let repo = env!("CARGO_MANIFEST_DIR");
    let dependencies =
        dependencies.replace(r#"path = "../nullivote""#, &format!("path = {repo:?}"));
    assert!(
        dependencies.contains(repo),
        "the README's dependency line names the clone's path"
    );

    let root = target_dir();
    let krate = root.join("my-election");
    std::fs::create_dir_all(krate.join("src")).unwrap();
    std::fs::write(
        krate.join("Cargo.toml"),
        format!(
            "[package]\nname = \"my-election\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [workspace]\n\n{dependencies}"
        ),
    )
    .unwrap();
    std::fs::write(krate.join("src/main.rs"), main).unwrap();
    std::fs::copy(Path::new(repo).join("Cargo.lock"), krate.join("Cargo.lock")).unwrap();

    let output = Command::new(env!("CARGO"))
        .args(["run", "--release", "--offline", "--quiet"])
        .current_dir(&krate)
        .env("CARGO_TARGET_DIR", root.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the README example fails:\n{stderr}"
    );
    assert_eq!(stdout, "Liz Truss: 1\nRishi Sunak: 1\n", "{stderr}");
}
