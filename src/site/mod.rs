//! The book → site pipeline: reading the book, rendering pages, writing the site.

pub mod assets;
pub mod book;
pub mod build;
pub mod chapter;
pub mod check;
pub mod claims;
pub mod highlight;
pub mod html;
pub mod incremental;
pub mod links;
pub mod markdown;
pub mod mdbook;
pub mod output;
pub mod print;
pub mod reproduce;
pub mod search;
pub mod summary;
pub mod templates;
pub mod toc;
