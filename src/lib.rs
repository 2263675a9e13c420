//! gradbook turns a deep-learning course assignment into a published solution site.
//!
//! The book (`book.toml` + `content/`) names computations (autograd scripts, network and
//! optimizer studies). Each computation is run once; its result feeds the prose (through
//! Tera), the tables, the figures (SVG) and `gradbook results --json`. The site is written
//! atomically into `book/`.
//!
//! Layers, from pure to effectful: [`compute`] (settings → results, no I/O), [`figure`]
//! (results → SVG), [`site`] (book → pages, the only layer besides [`cmd`] that touches the disk).

pub mod cli;
pub mod cmd;
pub mod compute;
pub mod config;
pub mod diag;
pub mod figure;
pub mod format;
pub mod markup;
pub mod serve;
pub mod site;
