//! Made-up but realistic-looking content: titles, descriptions, Markdown bodies of a few
//! KB, comments and tags from a fixed vocabulary.

use rand::Rng;
use rand::seq::IndexedRandom;

/// The tags seeded articles use (a real site has a long tail; 40 is enough to exercise
/// tag pages and the popular list).
pub const TAGS: &[&str] = &[
    "rust",
    "web",
    "databases",
    "postgres",
    "sqlite",
    "performance",
    "testing",
    "devops",
    "linux",
    "security",
    "javascript",
    "typescript",
    "css",
    "html",
    "python",
    "go",
    "kubernetes",
    "docker",
    "career",
    "beginners",
    "tutorial",
    "opensource",
    "api",
    "architecture",
    "async",
    "concurrency",
    "compilers",
    "networking",
    "cloud",
    "ai",
    "data",
    "design",
    "productivity",
    "git",
    "editors",
    "shell",
    "embedded",
    "gamedev",
    "mobile",
    "accessibility",
];

const WORDS: &[&str] = &[
    "system",
    "request",
    "latency",
    "cache",
    "index",
    "query",
    "server",
    "thread",
    "memory",
    "pattern",
    "module",
    "function",
    "error",
    "value",
    "stream",
    "buffer",
    "record",
    "table",
    "schema",
    "migration",
    "deploy",
    "release",
    "review",
    "feature",
    "bug",
    "fix",
    "test",
    "build",
    "pipeline",
    "service",
    "client",
    "token",
    "session",
    "router",
    "handler",
    "backend",
    "frontend",
    "layout",
    "style",
    "render",
    "template",
    "compile",
    "runtime",
    "allocate",
    "measure",
    "profile",
    "optimize",
    "simple",
    "fast",
    "careful",
    "small",
    "large",
    "shared",
    "local",
    "remote",
    "async",
    "blocking",
    "safe",
    "clear",
    "honest",
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "with",
    "for",
    "on",
    "without",
    "before",
    "after",
];

fn words(rng: &mut impl Rng, out: &mut String, n: usize) {
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(WORDS.choose(rng).copied().unwrap_or("word"));
    }
}

fn sentence(rng: &mut impl Rng, out: &mut String) {
    let start = out.len();
    let n = rng.random_range(6..16);
    words(rng, out, n);
    if let Some(first) = out[start..].chars().next() {
        let upper = first.to_ascii_uppercase();
        out.replace_range(start..start + first.len_utf8(), &upper.to_string());
    }
    out.push('.');
}

/// A headline of a few capitalised words.
pub fn title(rng: &mut impl Rng) -> String {
    let mut out = String::with_capacity(48);
    let n = rng.random_range(3..8);
    words(rng, &mut out, n);
    out.split(' ')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One sentence.
pub fn description(rng: &mut impl Rng) -> String {
    let mut out = String::with_capacity(96);
    sentence(rng, &mut out);
    out
}

/// A Markdown body of about `target` bytes: headings, paragraphs, a list, a code block.
pub fn body(rng: &mut impl Rng, target: usize) -> String {
    let mut out = String::with_capacity(target + 256);
    let mut section = 0;
    while out.len() < target {
        section += 1;
        out.push_str("## ");
        words(rng, &mut out, 3);
        out.push_str("\n\n");
        for _ in 0..rng.random_range(2..5) {
            let n = rng.random_range(3..7);
            for i in 0..n {
                if i > 0 {
                    out.push(' ');
                }
                sentence(rng, &mut out);
            }
            out.push_str("\n\n");
        }
        match section % 3 {
            1 => {
                for _ in 0..rng.random_range(2..5) {
                    out.push_str("- ");
                    words(rng, &mut out, 5);
                    out.push('\n');
                }
                out.push('\n');
            }
            2 => {
                out.push_str("```rust\nfn ");
                words(rng, &mut out, 1);
                out.push_str("() -> usize {\n    42\n}\n```\n\n");
            }
            _ => {
                out.push_str("> ");
                sentence(rng, &mut out);
                out.push_str("\n\n");
            }
        }
    }
    out
}

/// A comment of one to three sentences.
pub fn comment(rng: &mut impl Rng) -> String {
    let mut out = String::with_capacity(160);
    for i in 0..rng.random_range(1..4) {
        if i > 0 {
            out.push(' ');
        }
        sentence(rng, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_markdown_of_the_asked_size() {
        let mut rng = rand::rng();
        let text = body(&mut rng, 3000);
        assert!((3000..5000).contains(&text.len()), "{}", text.len());
        assert!(text.starts_with("## "));
        assert!(!text.contains('\''));
        assert!(!title(&mut rng).is_empty());
    }
}
