//! The book → site pipeline: reading the book, rendering pages, writing the site.

pub mod assets;
pub mod book;
