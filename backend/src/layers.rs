//! The crate's layers, checked: every `crate::…`, `super::…` and `$crate::…` path in `src/` is read (grouped
//! `use` trees included), resolved to the module it names, and
//!
//! - no module imports from a layer above its own ([`LAYERS`]; modules of one layer do not import each
//!   other either), and
//! - no import circle exists between modules (a module using its own submodules, as a `mod.rs` facade does, is
//!   not an import: it owns them).
//!
//! A new top-level module must be given its layer here, or this test fails.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// Top-level modules by layer, top first. A module may import only from layers below its own.
const LAYERS: &[&[&str]] =
    &[&["http"], &["flows"], &["state"], &["auth", "mail"], &["db"], &["config"], &["clock", "error", "email"]];

fn layer_of(top: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&top))
}

/// Every module of the crate (`auth::scheme`, `http::routes`, …; the root is `""`) and its file.
fn modules() -> BTreeMap<String, PathBuf> {
    let src = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
    let mut out = BTreeMap::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            // main.rs is the binary's root, not this library's; this file holds paths only as test data.
            let name = path.file_name().unwrap_or_default();
            if path.extension().is_none_or(|e| e != "rs") || name == "layers.rs" || (name == "main.rs" && dir == src) {
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                parts.pop();
            }
            out.insert(parts.join("::"), path);
        }
    }
    out
}

/// The text of a file without comments (so a path mentioned in a doc comment is not an import) and without its
/// unit tests (a `#[cfg(test)] mod tests` at the end of the file: tests may reach anywhere).
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = match text.find("#[cfg(test)]\nmod tests {") {
        Some(at) => &text[..at],
        None => &text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path that starts at `crate`, `$crate` or `super` in `code`, with grouped use-trees expanded:
/// `crate::{a::b, c::{d, e}}` gives `crate::a::b`, `crate::c::d`, `crate::c::e`.
fn paths_in(code: &str) -> Vec<String> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !code.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let rest = &code[i..];
        let start = ["$crate::", "crate::", "super::"].iter().find(|p| rest.starts_with(**p));
        let boundary = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        match start {
            Some(prefix) if boundary || prefix.starts_with('$') => {
                let (tree, len) = read_tree(rest);
                expand(&tree, &mut out);
                i += len.max(prefix.len());
            }
            _ => i += 1,
        }
    }
    out
}

/// The use-tree at the start of `s` (up to the first character that cannot continue it) and its length.
fn read_tree(s: &str) -> (String, usize) {
    let mut depth = 0;
    for (at, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return (s[..at].to_string(), at),
            '}' => depth -= 1,
            c if c.is_alphanumeric() || c == '_' || c == ':' || c == '$' => {}
            ',' | ' ' | '\n' | '\t' if depth > 0 => {}
            _ if depth > 0 => {}
            _ => return (s[..at].to_string(), at),
        }
    }
    (s.to_string(), s.len())
}

fn expand(tree: &str, out: &mut Vec<String>) {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        out.push(tree.trim_end_matches("::").to_string());
        return;
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut depth = 0;
    let mut piece = String::new();
    for c in inner.chars().chain(std::iter::once(',')) {
        match c {
            '{' => {
                depth += 1;
                piece.push(c);
            }
            '}' => {
                depth -= 1;
                piece.push(c);
            }
            ',' if depth == 0 => {
                if piece == "self" {
                    out.push(prefix.trim_end_matches("::").to_string());
                } else if !piece.is_empty() {
                    expand(&format!("{prefix}{piece}"), out);
                }
                piece.clear();
            }
            _ => piece.push(c),
        }
    }
}

/// The module a path names: the longest prefix of it that is a module (`crate::db::Ts` is `db`).
fn resolve(path: &str, from: &str, modules: &BTreeMap<String, PathBuf>) -> Option<String> {
    let mut segments: Vec<String> = Vec::new();
    let mut parts = path.split("::").peekable();
    match parts.peek().copied() {
        Some("crate" | "$crate") => {
            parts.next();
        }
        Some("super") => {
            segments = from.split("::").filter(|s| !s.is_empty()).map(str::to_string).collect();
            while parts.peek() == Some(&"super") {
                parts.next();
                segments.pop();
            }
        }
        _ => return None,
    }
    let base = segments.len();
    segments.extend(parts.map(str::to_string));
    (base..=segments.len()).rev().map(|n| segments[..n].join("::")).find(|m| modules.contains_key(m))
}

/// Whether `module` is `ancestor` or inside it.
fn within(module: &str, ancestor: &str) -> bool {
    ancestor.is_empty() || module == ancestor || module.starts_with(&format!("{ancestor}::"))
}

fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let mut edges = BTreeMap::new();
    for (module, file) in &modules {
        let mut to = BTreeSet::new();
        for path in paths_in(&code_of(file)) {
            if let Some(target) = resolve(&path, module, &modules) {
                // A module using itself or its own submodules is not an import.
                if !within(&target, module) {
                    to.insert(target);
                }
            }
        }
        edges.insert(module.clone(), to);
    }
    edges
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or("")
}

#[test]
fn no_module_imports_from_a_layer_above_it() {
    let mut wrong = Vec::new();
    for (from, targets) in imports() {
        if from.is_empty() {
            continue; // the crate root (lib.rs) declares the layers and re-exports the API
        }
        let layer = layer_of(top(&from)).unwrap_or_else(|| panic!("module {from} has no layer in layers.rs"));
        for to in targets {
            if top(&to) == top(&from) {
                continue;
            }
            let target =
                layer_of(top(&to)).unwrap_or_else(|| panic!("{from} imports {to:?}, which has no layer in layers.rs"));
            if target <= layer {
                wrong.push(format!("{from} (layer {layer}) imports {to} (layer {target})"));
            }
        }
    }
    assert!(wrong.is_empty(), "imports that point up or sideways:\n{}", wrong.join("\n"));
}

#[test]
fn no_import_circle_between_modules() {
    let edges = imports();
    // Depth-first search for a back edge; the first circle found is reported whole.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut circle = path[at..].to_vec();
            circle.push(node.to_string());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, edges, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        if let Some(circle) = visit(node, &edges, &mut Vec::new(), &mut done) {
            panic!("import circle: {}", circle.join(" -> "));
        }
    }
}

#[test]
fn the_reader_expands_grouped_imports_and_resolves_them() {
    let code = "use crate::{auth::{hasher::Hasher, scheme}, db::Db};\nuse super::{sessions, Device};\n\
                let x = crate::clock::Ts::now(); $crate::db::outbox::insert_mails!(tx);";
    let paths = paths_in(code);
    assert_eq!(
        paths,
        [
            "crate::auth::hasher::Hasher",
            "crate::auth::scheme",
            "crate::db::Db",
            "super::sessions",
            "super::Device",
            "crate::clock::Ts::now",
            "$crate::db::outbox::insert_mails",
        ]
    );
    let modules = modules();
    assert_eq!(resolve("crate::auth::hasher::Hasher", "flows", &modules).as_deref(), Some("auth::hasher"));
    assert_eq!(resolve("super::sessions", "flows::sign_in", &modules).as_deref(), Some("flows::sessions"));
    assert_eq!(resolve("super::Device", "flows::sign_in", &modules).as_deref(), Some("flows"));
    // Every top-level module has a layer.
    for module in modules.keys().filter(|m| !m.is_empty() && !m.contains("::")) {
        assert!(layer_of(module).is_some(), "module {module} has no layer in layers.rs");
    }
}
