//! The book → site pipeline: reading the book, rendering pages, writing the site.

pub mod agreement;
pub mod assets;
pub mod authoring;
pub mod book;
pub mod build;
pub mod cache;
pub mod chapter;
pub mod check;
pub mod claims;
pub mod described;
pub mod figure_frame;
pub mod highlight;
pub mod html;
pub mod incremental;
pub mod links;
pub mod markdown;
pub mod math_fix;
pub mod mdbook;
pub mod output;
pub mod paged;
pub mod print;
pub mod reproduce;
pub mod search;
pub mod summary;
pub mod templates;
pub mod toc;
