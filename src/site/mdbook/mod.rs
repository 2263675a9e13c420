//! mdBook compatibility: what an mdBook book expects of its builder, kept apart from
//! gradbook's own pipeline.

pub mod hidelines;
pub mod plugin;
pub mod preprocess;
pub mod protocol;
