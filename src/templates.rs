//! Task template files.
